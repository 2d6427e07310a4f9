"""The NAT instance: development's default way out (the cheapest by muon's price table)."""

from __future__ import annotations

import base64

from muon.components.nat_instance import NAT_INSTANCE_AMI
from muon.plan.offline import Rendering


def test_dev_leaves_through_one_nat_instance(dev: Rendering) -> None:
    assert dev.of_type("aws:ec2/natGateway:NatGateway") == []
    assert dev.of_type("aws:ec2/eip:Eip") == []
    instance = dev.one("aws:ec2/instance:Instance")
    public_subnet = dev.one("aws:ec2/subnet:Subnet", "dev-public-0")
    assert instance.inputs["subnetId"] == public_subnet.state["id"]
    assert instance.inputs["sourceDestCheck"] is False  # it forwards packets addressed to others
    assert instance.inputs["associatePublicIpAddress"] is True
    template = dev.one("aws:ec2/launchTemplate:LaunchTemplate", "dev-nat-template")
    assert instance.inputs["launchTemplate"] == {"id": template.state["id"], "version": "1"}
    # Every private route table sends the internet to the instance's interface.
    interface = instance.state["primaryNetworkInterfaceId"]
    for index in (0, 1):
        table = dev.one("aws:ec2/routeTable:RouteTable", f"dev-private-rt-{index}")
        assert table.inputs["routes"] == [{"cidrBlock": "0.0.0.0/0", "networkInterfaceId": interface}]


def test_nat_instance_template_is_hardened_and_current(dev: Rendering) -> None:
    template = dev.one("aws:ec2/launchTemplate:LaunchTemplate", "dev-nat-template")
    inputs = template.inputs
    assert inputs["imageId"] == NAT_INSTANCE_AMI  # EC2 resolves AWS's parameter at each launch
    assert inputs["imageId"].startswith("resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-")
    assert inputs["instanceType"] == "t4g.nano"
    assert inputs["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
    }
    (device,) = inputs["blockDeviceMappings"]
    assert device["ebs"] == {
        "volumeSize": 8,
        "volumeType": "gp3",
        "encrypted": "true",
        "deleteOnTermination": "true",
    }
    script = base64.b64decode(inputs["userData"]).decode()
    assert "net.ipv4.ip_forward = 1" in script
    assert "-j MASQUERADE" in script
    assert "service iptables save" in script  # the rules survive a reboot


def test_nat_instance_admits_only_the_vpc(dev: Rendering) -> None:
    group = dev.one("aws:ec2/securityGroup:SecurityGroup", "dev-nat-sg")
    vpc = dev.one("aws:ec2/vpc:Vpc")
    assert [rule["cidrBlocks"] for rule in group.inputs["ingress"]] == [[vpc.inputs["cidrBlock"]]]
    assert all(rule["description"] for rule in group.inputs["ingress"] + group.inputs["egress"])


def test_nat_instance_boots_only_once_its_subnet_routes_to_the_internet(dev: Rendering) -> None:
    """The boot script installs packages: the public route must exist before the instance starts."""
    instance = dev.one("aws:ec2/instance:Instance")
    waits_for = dev.requirements(instance.urn)
    association = dev.one("aws:ec2/routeTableAssociation:RouteTableAssociation", "dev-public-rta-0")
    public_routes = dev.one("aws:ec2/routeTable:RouteTable", "dev-public-rt")
    gateway = dev.one("aws:ec2/internetGateway:InternetGateway")
    assert {association.urn, public_routes.urn, gateway.urn} <= waits_for


def test_nat_instance_may_be_chosen_in_production_too(render_definition) -> None:
    rendering = render_definition(
        "environments: {production: {network: {nat: instance}, loadBalancer: {allowPlainHttp: true}}}",
        ["production"],
    )
    assert rendering.of_type("aws:ec2/natGateway:NatGateway") == []
    assert len(rendering.of_type("aws:ec2/instance:Instance")) == 1
    # Production keeps its interface endpoints: the instance carries only what they do not.
    assert any(
        r.inputs["vpcEndpointType"] == "Interface"
        for r in rendering.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    )


def test_botocore_accepts_the_launch_template_and_the_instance(dev: Rendering) -> None:
    """What the provider sends: CreateLaunchTemplate with the template's data, then RunInstances
    from that template into the public subnet (botocore's EC2 model, offline)."""
    from tests.aws_models import assert_valid

    template = dev.one("aws:ec2/launchTemplate:LaunchTemplate", "dev-nat-template").inputs
    (device,) = template["blockDeviceMappings"]
    data = {
        "ImageId": template["imageId"],
        "InstanceType": template["instanceType"],
        "UserData": template["userData"],
        "MetadataOptions": {
            "HttpEndpoint": "enabled",
            "HttpTokens": template["metadataOptions"]["httpTokens"],
            "HttpPutResponseHopLimit": template["metadataOptions"]["httpPutResponseHopLimit"],
        },
        "Monitoring": {"Enabled": True},
        "BlockDeviceMappings": [
            {
                "DeviceName": device["deviceName"],
                "Ebs": {
                    "VolumeSize": device["ebs"]["volumeSize"],
                    "VolumeType": device["ebs"]["volumeType"],
                    "Encrypted": True,
                    "DeleteOnTermination": True,
                },
            }
        ],
    }
    assert_valid("ec2", "CreateLaunchTemplate", {"LaunchTemplateName": "dev-nat", "LaunchTemplateData": data})
    instance = dev.one("aws:ec2/instance:Instance").inputs
    assert_valid(
        "ec2",
        "RunInstances",
        {
            "MinCount": 1,
            "MaxCount": 1,
            "LaunchTemplate": {
                "LaunchTemplateId": "lt-0123",
                "Version": instance["launchTemplate"]["version"],
            },
            "NetworkInterfaces": [
                {
                    "DeviceIndex": 0,
                    "SubnetId": instance["subnetId"],
                    "Groups": instance["vpcSecurityGroupIds"],
                    "AssociatePublicIpAddress": instance["associatePublicIpAddress"],
                }
            ],
        },
    )
    assert_valid(
        "ec2",
        "ModifyInstanceAttribute",
        {"InstanceId": "i-0123", "SourceDestCheck": {"Value": instance["sourceDestCheck"]}},
    )
