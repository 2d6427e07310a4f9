"""Production defaults meet the checklist's controls; every exception is listed and still needed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from muon.plan.offline import Rendering
from muon.policy.exceptions import EXCEPTIONS
from muon.policy.rules import evaluate, split_excepted
from tests.conftest import render_repository_stack


def test_production_and_delivery_have_no_open_findings(prod: Rendering, delivery: Rendering) -> None:
    for stack in (prod, delivery):
        open_findings, _ = split_excepted(evaluate(stack.custom_resources))
        assert [str(f) for f in open_findings] == []


def test_every_unconditional_exception_still_excuses_something(prod: Rendering, delivery: Rendering) -> None:
    org = render_repository_stack("org")
    _, excepted = split_excepted(
        evaluate(prod.custom_resources + delivery.custom_resources + org.custom_resources)
    )
    used = {id(reason) for _, reason in excepted}
    stale = [e.control for e in EXCEPTIONS if not e.conditional and id(e) not in used]
    assert stale == []


def test_every_exception_has_a_reason() -> None:
    assert all(len(e.reason) > 40 for e in EXCEPTIONS)


def test_with_a_certificate_the_http_exception_is_not_needed(render_definition) -> None:
    cert = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0000-1111-2222-333344445555"
    rendering = render_definition(
        f"environments: {{production: {{loadBalancer: {{certificateArn: '{cert}'}}}}}}", ["production"]
    )
    controls = {f.control for f in evaluate(rendering.custom_resources)}
    assert "ELB.1" not in controls
    assert "ELB.17" not in controls


@dataclass
class Fake:
    type: str
    name: str
    inputs: dict[str, Any]
    parent: str = field(default="p")


@pytest.mark.parametrize(
    ("resource", "control"),
    [
        (Fake("aws:ec2/subnet:Subnet", "s", {"mapPublicIpOnLaunch": True}), "EC2.15"),
        (Fake("aws:ecs/cluster:Cluster", "c", {"settings": []}), "ECS.12"),
        (
            Fake(
                "aws:ec2/launchTemplate:LaunchTemplate", "lt", {"metadataOptions": {"httpTokens": "optional"}}
            ),
            "EC2.8",
        ),
        (
            Fake(
                "aws:lb/listener:Listener",
                "l",
                {"protocol": "HTTPS", "sslPolicy": "ELBSecurityPolicy-2016-08"},
            ),
            "ELB.17",
        ),
        (Fake("aws:kms/key:Key", "k", {"enableKeyRotation": False, "deletionWindowInDays": 30}), "KMS.4"),
        (
            Fake("aws:cloudwatch/logGroup:LogGroup", "g", {"retentionInDays": 7, "kmsKeyId": "k"}),
            "CloudWatch.16",
        ),
        (Fake("aws:sns/topic:Topic", "t", {"kmsMasterKeyId": "alias/aws/sns"}), "SNS.1"),
        (
            Fake(
                "aws:ec2/securityGroup:SecurityGroup",
                "tasks-sg",
                {
                    "ingress": [
                        {
                            "protocol": "tcp",
                            "fromPort": 22,
                            "toPort": 22,
                            "cidrBlocks": ["0.0.0.0/0"],
                            "description": "ssh",
                        }
                    ]
                },
            ),
            "EC2.18",
        ),
        (
            Fake(
                "aws:ec2/networkAcl:NetworkAcl",
                "n",
                {
                    "subnetIds": ["s"],
                    "ingress": [{"action": "allow", "protocol": "-1", "cidrBlock": "0.0.0.0/0", "ruleNo": 1}],
                },
            ),
            "EC2.21",
        ),
        (
            Fake(
                "aws:iam/rolePolicy:RolePolicy",
                "p",
                {"policy": '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'},
            ),
            "IAM.1",
        ),
        (
            Fake(
                "aws:iam/rolePolicy:RolePolicy",
                "p",
                {"policy": '{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "x"}]}'},
            ),
            "IAM.21",
        ),
        (Fake("aws:s3/bucket:Bucket", "b", {}), "S3.8"),
        (Fake("aws:rds/cluster:Cluster", "db", {"storageEncrypted": False}), "RDS.27"),
        (Fake("aws:rds/cluster:Cluster", "db", {"masterPassword": "plain"}), "CKV_AWS_337"),
        (Fake("aws:rds/cluster:Cluster", "db", {"engine": "aurora-mysql"}), "RDS.14"),
        (Fake("aws:rds/cluster:Cluster", "db", {"masterUsername": "admin"}), "RDS.24"),
        (Fake("aws:rds/cluster:Cluster", "db", {}), "RDS.19"),
        (Fake("aws:rds/clusterInstance:ClusterInstance", "i", {"publiclyAccessible": True}), "RDS.2"),
        (Fake("aws:rds/clusterInstance:ClusterInstance", "i", {"monitoringInterval": 0}), "RDS.6"),
        (
            Fake("aws:ssm/parameter:Parameter", "p", {"name": "/x/db-password", "type": "String"}),
            "CKV2_AWS_34",
        ),
    ],
)
def test_rules_catch_violations(resource: Fake, control: str) -> None:
    assert control in {f.control for f in evaluate([resource])}


def test_every_control_checked_is_documented() -> None:
    import re

    from tests.conftest import PROJECT_DIR

    sources = "".join(p.read_text() for p in sorted((PROJECT_DIR / "policy").glob("rules*.py")))
    checked = set(re.findall(r'Finding\(\s*"([^"]+)"', sources))
    assert "ELB.17" in checked  # a finding written over several lines is found too
    documented = (PROJECT_DIR / "docs" / "compliance.md").read_text()
    assert sorted(c for c in checked if f"| {c} " not in documented and f" {c} |" not in documented) == []
    for variant in ("CloudWatch.15-capacity", "ECS-DEPLOY-1", "SCP.count", "CKV_AWS_NOTIFY"):
        assert f"{variant} **(muon)**" in documented
