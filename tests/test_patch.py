"""Patch: EC2 hosts are replaced, not patched in place — a new AMI rolls them through an instance
refresh, production replaces each within 14 days, and Patch Manager scans them (scan only)."""

from __future__ import annotations

from pathlib import Path

from muon.plan.offline import Rendering
from tests.aws_models import assert_valid
from tests.conftest import render_definition_text


def test_hosts_roll_on_a_new_ami_and_production_hosts_expire(prod: Rendering) -> None:
    group = prod.one("aws:autoscaling/group:Group").inputs
    refresh = group["instanceRefresh"]
    assert refresh["strategy"] == "Rolling"
    preferences = refresh["preferences"]
    # Replacements first (never below today's capacity), hosts ECS protects included, tasks drained by ECS.
    assert (preferences["minHealthyPercentage"], preferences["maxHealthyPercentage"]) == (100, 200)
    assert preferences["scaleInProtectedInstances"] == "Refresh"
    assert group["maxInstanceLifetime"] == 14 * 86_400
    provider = prod.one("aws:ecs/capacityProvider:CapacityProvider").inputs
    assert provider["autoScalingGroupProvider"]["managedDraining"] == "ENABLED"
    # The launch template's version is what changes with the AMI: the group follows the latest.
    template = prod.one("aws:ec2/launchTemplate:LaunchTemplate", "production-launch-template")
    assert group["launchTemplate"]["id"] == template.state["id"]
    assert_valid(
        "autoscaling",
        "StartInstanceRefresh",
        {
            "AutoScalingGroupName": "g",
            "Strategy": refresh["strategy"],
            "Preferences": {
                "MinHealthyPercentage": preferences["minHealthyPercentage"],
                "MaxHealthyPercentage": preferences["maxHealthyPercentage"],
                "InstanceWarmup": int(preferences["instanceWarmup"]),
                "ScaleInProtectedInstances": preferences["scaleInProtectedInstances"],
                "StandbyInstances": preferences["standbyInstances"],
                "SkipMatching": preferences["skipMatching"],
            },
        },
    )
    assert_valid(
        "autoscaling",
        "UpdateAutoScalingGroup",
        {"AutoScalingGroupName": "g", "MaxInstanceLifetime": group["maxInstanceLifetime"]},
    )


def test_patch_manager_scans_the_hosts(prod: Rendering) -> None:
    association = prod.one("aws:ssm/association:Association").inputs
    group = prod.one("aws:autoscaling/group:Group")
    assert (association["name"], association["parameters"]) == ("AWS-RunPatchBaseline", {"Operation": "Scan"})
    assert association["targets"] == [
        {"key": "tag:aws:autoscaling:groupName", "values": [group.state["name"]]}
    ]
    assert_valid(
        "ssm",
        "CreateAssociation",
        {
            "Name": association["name"],
            "AssociationName": association["associationName"],
            "Parameters": {"Operation": [association["parameters"]["Operation"]]},
            "Targets": [{"Key": t["key"], "Values": t["values"]} for t in association["targets"]],
            "ScheduleExpression": association["scheduleExpression"],
            "ComplianceSeverity": association["complianceSeverity"],
        },
    )


def test_development_hosts_have_no_lifetime_limit(tmp_path: Path) -> None:
    rendering = render_definition_text(
        tmp_path,
        "environments: {dev: {cluster: {provider: ec2}}}\nservices: {banana: {port: 8080, pathPatterns: [/b]}}\n",
        ["dev"],
    )
    group = rendering.one("aws:autoscaling/group:Group").inputs
    assert group.get("maxInstanceLifetime") is None
    assert group["instanceRefresh"]["strategy"] == "Rolling"
