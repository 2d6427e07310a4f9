"""A NAT instance: one small EC2 instance translating for every private subnet of a network.

It costs a few dollars a month where a NAT gateway costs its hourly charge plus a charge per GB,
at the price of one instance's availability: EC2 recovers it after a failed system status check,
but nothing fails over to another zone. muon chooses it where its price table says it is the
cheapest way out (``cost: minimal``, the development tier); production keeps NAT gateways.
"""

from __future__ import annotations

import base64

import pulumi
import pulumi_aws as aws

ANYWHERE = "0.0.0.0/0"
# NAT runs no application image, so the smallest Graviton type does, on the current Amazon Linux
# 2023 that EC2 resolves from AWS's public parameter at each launch (never a stale image id).
NAT_INSTANCE_TYPE = "t4g.nano"
NAT_INSTANCE_AMI = "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
NAT_INSTANCE_VOLUME_GB = 8  # the image's root snapshot size

# AWS's recipe for a NAT AMI on Amazon Linux 2023 (Amazon VPC User Guide, "NAT instances"):
# forward, masquerade out of the primary interface, keep the rules across reboots.
BOOT_SCRIPT = "\n".join(
    [
        "#!/bin/bash",
        "set -euo pipefail",
        "dnf install -y iptables-services",
        "systemctl enable --now iptables",
        "echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-muon-nat.conf",
        "sysctl --system",
        "interface=\"$(ip route show default | awk '{print $5; exit}')\"",
        'iptables -t nat -A POSTROUTING -o "$interface" -j MASQUERADE',
        "iptables -F FORWARD",
        "service iptables save",
    ]
)


def nat_instance(
    name: str,
    *,
    vpc_id: pulumi.Input[str],
    cidr: str,
    subnet_id: pulumi.Input[str],
    routed: pulumi.Resource,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> pulumi.Output[str]:
    """Create the instance in ``subnet_id`` (public) once ``routed`` (the association giving that
    subnet its internet route) exists; return the network interface private routes point at."""
    group = aws.ec2.SecurityGroup(
        f"{name}-sg",
        vpc_id=vpc_id,
        description=f"NAT instance {name}: forwards traffic from the VPC to the internet",
        ingress=[
            {
                "description": "Everything from inside the VPC, to be forwarded",
                "protocol": "-1",
                "from_port": 0,
                "to_port": 0,
                "cidr_blocks": [cidr],
            }
        ],
        egress=[
            {
                "description": "Forwarded traffic and package updates to the internet",
                "protocol": "-1",
                "from_port": 0,
                "to_port": 0,
                "cidr_blocks": [ANYWHERE],
            }
        ],
        tags=tags,
        opts=opts,
    )
    template = aws.ec2.LaunchTemplate(
        f"{name}-template",
        image_id=NAT_INSTANCE_AMI,
        instance_type=NAT_INSTANCE_TYPE,
        user_data=base64.b64encode(BOOT_SCRIPT.encode()).decode(),
        metadata_options={
            "http_endpoint": "enabled",
            "http_tokens": "required",  # IMDSv2 only
            "http_put_response_hop_limit": 1,
        },
        block_device_mappings=[
            {
                "device_name": "/dev/xvda",
                "ebs": {
                    "volume_size": NAT_INSTANCE_VOLUME_GB,
                    "volume_type": "gp3",
                    "encrypted": "true",
                    "delete_on_termination": "true",
                },
            }
        ],
        monitoring={"enabled": True},
        tag_specifications=[{"resource_type": "instance", "tags": {**tags, "Name": name}}],
        tags=tags,
        opts=opts,
    )
    instance = aws.ec2.Instance(
        f"{name}-instance",
        launch_template={"id": template.id, "version": template.latest_version.apply(str)},
        subnet_id=subnet_id,
        vpc_security_group_ids=[group.id],
        # A public address to reach the internet from; and since the instance forwards other
        # hosts' packets, EC2 must not drop those not addressed to it.
        associate_public_ip_address=True,
        source_dest_check=False,
        tags=tags,
        # The boot script installs packages: its subnet must route to the internet gateway before
        # the instance starts, and the association has no attribute to pass instead.
        opts=opts.merge(pulumi.ResourceOptions(depends_on=[routed])),
    )
    return instance.primary_network_interface_id
