"""The values the offline plan's mocks (``mocks.py``) answer with: zones per region, ids shaped as
AWS's, the ECS-optimized AMI's parameters, and a platform stack's stand-in contract."""

from __future__ import annotations

import hashlib
import json
from typing import Any

# Availability zones an account sees in a region (AWS Regions and Zones page), so that the offline
# plan refuses more zones than the region has; regions not listed get the common three.
REGION_ZONES = {
    "us-east-1": 6,
    "us-east-2": 3,
    "us-west-2": 4,
    "eu-west-1": 3,
    "eu-central-1": 3,
    "ap-southeast-2": 3,
}


DEFAULT_ZONES = 3


def stable_hex(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


# Id prefixes AWS uses, so that rendered inputs look like (and validate as) the real thing.
ID_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/networkAcl:NetworkAcl": "acl-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
    "aws:ec2/flowLog:FlowLog": "fl-",
    "aws:ec2/instance:Instance": "i-",
}


AWS_AMI_PARAMETERS = "/aws/service/ecs/optimized-ami/"
"""AWS's public parameters of the ECS-optimized AMIs: ``…/image_id`` holds the id, the path above it
AWS's JSON document (ECS developer guide, "Retrieving Amazon ECS-optimized Linux AMI metadata")."""


def aws_ami_value(name: str) -> str:
    # The document and its image_id parameter name the same AMI.
    ami = "ami-0" + stable_hex(name if name.endswith("/image_id") else f"{name}/image_id", length=16)
    if name.endswith("/image_id"):
        return ami
    return json.dumps(
        {"image_id": ami, "image_name": "al2023-ami-ecs-hvm-2023.0.20261101-kernel-6.1-x86_64",
         "os": "Amazon Linux 2023", "schema_version": 1},
        sort_keys=True,
    )  # fmt: skip


def stand_in_platform(region: str, account: str, zones: list[str]) -> dict[str, Any]:
    """A platform stack's contract with one development environment of stand-in ids, offered
    under any name (``*``): what the offline plan of a service project attaches to."""
    from muon.components.attached import CONTRACT_OUTPUT, CONTRACT_VERSION

    listener = f"arn:aws:elasticloadbalancing:{region}:{account}:listener/app/platform/0123456789abcdef/01"
    entry = {
        "tier": "development",
        "namespace": "platform",
        "account": account,
        "region": region,
        "zones": zones[:2],
        "vpcId": "vpc-0platform00000000",
        "privateSubnetIds": ["subnet-0private0000000a", "subnet-0private0000000b"],
        "isolatedSubnetIds": ["subnet-0isolated000000a", "subnet-0isolated000000b"],
        "clusterName": "platform-dev",
        "clusterArn": f"arn:aws:ecs:{region}:{account}:cluster/platform-dev",
        "provider": "fargate",
        "capacityStrategy": [{"provider": "FARGATE_SPOT", "weight": 1, "base": 0}],
        "listenerArn": listener,
        "loadBalancerSecurityGroupId": "sg-0platformalb00000",
        "loadBalancerArnSuffix": "app/platform-dev/0123456789abcdef",
        "loadBalancerUrl": f"http://platform-dev-0123456789.{region}.elb.amazonaws.com",
        "loadBalancerDnsName": f"platform-dev-0123456789.{region}.elb.amazonaws.com",
        "loadBalancerZoneId": "Z35SXDOTRQ7X7K",
        "url": f"http://platform-dev-0123456789.{region}.elb.amazonaws.com",
        "domain": None,
        "zoneId": None,
        "keyArn": f"arn:aws:kms:{region}:{account}:key/00000000-0000-0000-0000-000000000000",
        "alarmTopicArn": f"arn:aws:sns:{region}:{account}:platform-dev-alarms",
        "logRetentionDays": 14,
        # Container Insights on, so a service project with a worker plans offline; `pulumi up`
        # reads the real platform's contract and refuses a worker where it is off.
        "taskMetrics": True,
        "incidentLogArn": f"arn:aws:logs:{region}:{account}:log-group:/aws/events/platform-dev/incidents",
        "backupTag": "platform-dev",
        "testSecurityGroupId": "sg-0platformtests000",
    }
    return {CONTRACT_OUTPUT: {"version": CONTRACT_VERSION, "environments": {"*": entry}}}
