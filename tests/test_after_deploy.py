"""What deploys today and breaks a later `up`: engine versions AWS upgrades, a vault lock that may
no longer change, a WAF that refuses ordinary requests, hosts that never rotate, restore tests that
find nothing to restore."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from muon.plan.offline import Rendering
from muon.policy.rules import evaluate
from tests.aws_models import assert_valid
from tests.conftest import render_definition_text

PRODUCTION = "environments:\n  production: {loadBalancer: {allowPlainHttp: true}%s}\n"
SHOP = "services:\n  shop:\n    port: 8080\n    pathPatterns: [/shop]\n    database: {name: shop%s}\n"


def render_shop(tmp_path: Path, database: str = "", environment: str = "") -> Rendering:
    return render_definition_text(tmp_path, PRODUCTION % environment + SHOP % database, ["production"])


def refused(tmp_path: Path, database: str = "", environment: str = "") -> str:
    from muon.stacks.errors import DefinitionError

    with pytest.raises(DefinitionError) as caught:
        render_shop(tmp_path, database, environment)
    message = str(caught.value)
    assert "\n" not in message.strip() and "Traceback" not in message
    return message


# 1. Engine versions -----------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["aurora-mysql", "aurora-postgresql"])
def test_an_aurora_cluster_leaves_its_version_to_automatic_minor_upgrades(
    tmp_path: Path, engine: str
) -> None:
    """terraform-provider-aws's cluster update sends engine_version whenever it differs from the
    running one: pinned or a prefix, the next `up` after AWS's upgrade would ask for a downgrade."""
    rendering = render_shop(tmp_path, f", engine: {engine}")
    cluster = rendering.one("aws:rds/cluster:Cluster")
    assert "engineVersion" in cluster.ignore_changes
    assert cluster.inputs["engineVersion"]  # still what the cluster is created with
    instances = rendering.of_type("aws:rds/clusterInstance:ClusterInstance")
    assert instances and all(i.inputs["autoMinorVersionUpgrade"] is True for i in instances)
    assert all("engineVersion" not in i.inputs for i in instances)  # the cluster's, whatever it is


@pytest.mark.parametrize(("engine", "major"), [("postgres", "17"), ("mysql", "8.0"), ("mariadb", "11.4")])
def test_an_rds_instance_is_created_at_its_major_version_then_left_to_aws(
    tmp_path: Path, engine: str, major: str
) -> None:
    """pulumi-aws rds.Instance: a prefix such as 8.0 stands for the major's default minor; afterwards
    the version is AWS's, so an instance created at a full version by an earlier muon is never
    asked to go back to it."""
    instance = render_shop(tmp_path, f", engine: {engine}").one("aws:rds/instance:Instance")
    assert (instance.inputs["engineVersion"], instance.inputs["autoMinorVersionUpgrade"]) == (major, True)
    assert "engineVersion" in instance.ignore_changes


@pytest.mark.parametrize("version", ["16", "16.4"])
def test_a_version_in_the_definition_is_where_the_instance_starts(tmp_path: Path, version: str) -> None:
    rendering = render_shop(tmp_path, f", engine: postgres, version: '{version}'")
    instance = rendering.one("aws:rds/instance:Instance")
    assert (instance.inputs["engineVersion"], instance.ignore_changes) == (version, ("engineVersion",))
    assert rendering.one("aws:rds/parameterGroup:ParameterGroup").inputs["family"] == "postgres16"


def test_an_rds_version_of_no_supported_major_is_refused(tmp_path: Path) -> None:
    message = refused(tmp_path, ", engine: mysql, version: '5.7'")
    assert "services.shop.database.version: expected an RDS for MySQL version such as 8.0" in message


# 2. The vault lock ------------------------------------------------------------------------------


def lock_of(rendering: Rendering) -> dict:
    return rendering.one("aws:backup/vaultLockConfiguration:VaultLockConfiguration").inputs


def test_a_retention_change_that_would_move_the_lock_is_refused(tmp_path: Path) -> None:
    """Earlier, the lock followed the shortest rule: lowering the daily retention moved a lock
    that compliance mode no longer lets anyone change."""
    message = refused(tmp_path, environment=", continuity: {dailyRetentionDays: 30}")
    assert "environments.production.continuity.lockMinRetentionDays: write it down" in message
    assert "grace period" in message and "30 keeps the lock an earlier muon set" in message


def test_the_lock_keeps_its_own_values_whatever_the_rules(tmp_path: Path) -> None:
    default = lock_of(render_shop(tmp_path))
    assert (default["minRetentionDays"], default["changeableForDays"]) == (35, 3)
    for daily in (30, 35):
        explicit = render_shop(
            tmp_path, environment=f", continuity: {{lockMinRetentionDays: 30, dailyRetentionDays: {daily}}}"
        )
        assert lock_of(explicit)["minRetentionDays"] == 30  # the retention moved, the lock did not
    message = refused(
        tmp_path, environment=", continuity: {lockMinRetentionDays: 35, dailyRetentionDays: 30}"
    )
    assert "below the vault lock's minimum retention" in message


# 4. The production WAF --------------------------------------------------------------------------


def common_rule_set(rendering: Rendering) -> dict:
    acl = rendering.one("aws:wafv2/webAcl:WebAcl").inputs
    (rule,) = [r for r in acl["rules"] if r["name"] == "AWSManagedRulesCommonRuleSet"]
    return rule["statement"]["managedRuleGroupStatement"]


def test_the_common_rule_set_counts_large_bodies_and_missing_user_agents(tmp_path: Path) -> None:
    statement = common_rule_set(render_shop(tmp_path))
    assert statement["ruleActionOverrides"] == [
        {"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}},
        {"name": "NoUserAgent_HEADER", "actionToUse": {"count": {}}},
    ]
    assert_valid(
        "wafv2",
        "CreateWebACL",
        {
            "Name": "acl",
            "Scope": "REGIONAL",
            "DefaultAction": {"Allow": {}},
            "VisibilityConfig": {
                "SampledRequestsEnabled": True,
                "CloudWatchMetricsEnabled": True,
                "MetricName": "m",
            },
            "Rules": [
                {
                    "Name": "common",
                    "Priority": 1,
                    "OverrideAction": {"None": {}},
                    "Statement": {
                        "ManagedRuleGroupStatement": {
                            "VendorName": "AWS",
                            "Name": statement["name"],
                            "RuleActionOverrides": [
                                {"Name": o["name"], "ActionToUse": {"Count": {}}}
                                for o in statement["ruleActionOverrides"]
                            ],
                        }
                    },
                    "VisibilityConfig": {
                        "SampledRequestsEnabled": True,
                        "CloudWatchMetricsEnabled": True,
                        "MetricName": "m",
                    },
                }
            ],
        },
    )
    blocking = common_rule_set(render_shop(tmp_path, environment=", wafBlock: [SizeRestrictions_BODY]"))
    assert blocking["ruleActionOverrides"] == [{"name": "NoUserAgent_HEADER", "actionToUse": {"count": {}}}]
    strict = common_rule_set(
        render_shop(tmp_path, environment=", wafBlock: [SizeRestrictions_BODY, NoUserAgent_HEADER]")
    )
    assert "ruleActionOverrides" not in strict


# 5. Hosts that rotate ---------------------------------------------------------------------------


def test_protected_hosts_are_replaced_by_a_scheduled_instance_refresh(prod: Rendering) -> None:
    group = prod.one("aws:autoscaling/group:Group")
    assert group.inputs["protectFromScaleIn"] is True  # why a maximum lifetime alone does nothing
    schedule = prod.one("aws:scheduler/schedule:Schedule").inputs
    target = schedule["target"]
    assert target["arn"] == "arn:aws:scheduler:::aws-sdk:autoscaling:startInstanceRefresh"
    assert schedule["scheduleExpression"] == "rate(7 days)" and schedule["state"] == "ENABLED"
    request = json.loads(target["input"])
    assert request["AutoScalingGroupName"] == group.state["name"]
    assert request["Preferences"]["ScaleInProtectedInstances"] == "Refresh"
    assert request["Preferences"]["SkipMatching"] is False  # every host, not only outdated ones
    assert_valid("autoscaling", "StartInstanceRefresh", request)
    role = prod.one("aws:iam/role:Role", "production-host-refresh-role")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "scheduler.amazonaws.com"
    }
    (statement,) = prod.one("aws:iam/rolePolicy:RolePolicy", "production-host-refresh-policy").json("policy")[
        "Statement"
    ]
    assert (statement["Action"], statement["Resource"]) == (
        "autoscaling:StartInstanceRefresh",
        group.state["arn"],
    )
    assert target["roleArn"] == role.state["arn"]
    # The role's policy exists before the schedule names the role (IAM is eventually consistent).
    policy_urn = prod.one("aws:iam/rolePolicy:RolePolicy", "production-host-refresh-policy").urn
    assert policy_urn in prod.requirements(prod.one("aws:scheduler/schedule:Schedule").urn)


def test_the_rule_finds_a_group_whose_protected_hosts_never_rotate(prod: Rendering) -> None:
    everything = prod.custom_resources
    assert "EC2-HOSTS-1" not in {f.control for f in evaluate(everything)}
    without = [r for r in everything if r.type != "aws:scheduler/schedule:Schedule"]
    assert "EC2-HOSTS-1" in {f.control for f in evaluate(without)}


# 10. Restore tests that find a recovery point ---------------------------------------------------


def test_production_restore_tests_pick_continuous_recovery_points_too(
    prod: Rendering, dev: Rendering
) -> None:
    plan = prod.one("aws:backup/restoreTestingPlan:RestoreTestingPlan").inputs
    rules = prod.one("aws:backup/plan:Plan").inputs["rules"]
    assert [r["ruleName"] for r in rules if r.get("enableContinuousBackup")] == ["daily"]
    selection = plan["recoveryPointSelection"]
    assert selection["recoveryPointTypes"] == ["CONTINUOUS", "SNAPSHOT"]
    assert_valid(
        "backup",
        "CreateRestoreTestingPlan",
        {
            "RestoreTestingPlan": {
                "RestoreTestingPlanName": plan["name"],
                "ScheduleExpression": plan["scheduleExpression"],
                "RecoveryPointSelection": {
                    "Algorithm": selection["algorithm"],
                    "IncludeVaults": ["arn:aws:backup:us-east-1:123456789012:backup-vault:v"],
                    "RecoveryPointTypes": selection["recoveryPointTypes"],
                    "SelectionWindowDays": selection["selectionWindowDays"],
                },
            }
        },
    )
    development = dev.one("aws:backup/restoreTestingPlan:RestoreTestingPlan").inputs
    assert development["recoveryPointSelection"]["recoveryPointTypes"] == ["SNAPSHOT"]  # snapshots only there
