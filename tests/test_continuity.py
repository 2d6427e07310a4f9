"""Continuity: AWS Backup vault, plan by tier, selection by tag, restore testing, failure pages."""

from __future__ import annotations

import json

import pytest

from muon.plan.offline import Rendering
from muon.stacks.errors import DefinitionError
from tests.aws_models import assert_valid
from tests.conftest import definition_error
from tests.event_patterns import matches

BACKUP_TAG = "muon:backup"


def rules_of(rendering: Rendering) -> dict[str, dict]:
    plan = rendering.one("aws:backup/plan:Plan")
    return {rule["ruleName"]: rule for rule in plan.inputs["rules"]}


def test_production_locks_its_vault_and_keeps_daily_monthly_and_point_in_time_backups(
    prod: Rendering,
) -> None:
    vault = prod.one("aws:backup/vault:Vault")
    assert vault.inputs["name"] == "muon-production"
    assert vault.protect is True
    assert vault.inputs["forceDestroy"] is False
    # Its own key, not the environment's.
    key = prod.one("aws:kms/key:Key", "production-backup-key")
    assert vault.inputs["kmsKeyArn"] == key.state["arn"]
    lock = prod.one("aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    assert lock.inputs["backupVaultName"] == vault.inputs["name"]
    # changeableForDays set: compliance mode (governance mode has none).
    assert (lock.inputs["minRetentionDays"], lock.inputs["changeableForDays"]) == (35, 3)
    rules = rules_of(prod)
    assert set(rules) == {"daily", "monthly"}
    assert rules["daily"]["schedule"] == "cron(0 5 ? * * *)"
    assert rules["daily"]["lifecycle"]["deleteAfter"] == 35
    assert rules["daily"]["enableContinuousBackup"] is True
    assert rules["monthly"]["schedule"] == "cron(0 5 1 * ? *)"
    assert rules["monthly"]["lifecycle"]["deleteAfter"] == 365
    assert rules["monthly"]["enableContinuousBackup"] is False
    for rule in rules.values():
        assert rule["targetVaultName"] == vault.inputs["name"]
        assert rule["lifecycle"]["deleteAfter"] >= lock.inputs["minRetentionDays"]
        assert not rule.get("copyActions")
    # The databases' own point-in-time retention is the continuous rule's.
    assert prod.one("aws:rds/cluster:Cluster").inputs["backupRetentionPeriod"] == 35


def test_development_keeps_a_week_of_daily_backups_without_a_lock(dev: Rendering) -> None:
    assert dev.of_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration") == []
    vault = dev.one("aws:backup/vault:Vault")
    assert vault.inputs["forceDestroy"] is True
    assert vault.protect is False
    rules = rules_of(dev)
    assert list(rules) == ["daily"]
    assert rules["daily"]["lifecycle"]["deleteAfter"] == 7
    assert rules["daily"]["enableContinuousBackup"] is False
    assert dev.one("aws:rds/cluster:Cluster").inputs["backupRetentionPeriod"] == 1


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_selection_covers_every_database_by_tag_alone(stack: str, request: pytest.FixtureRequest) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    selection = rendering.one("aws:backup/selection:Selection")
    assert selection.inputs["resources"] == ["*"]
    assert selection.inputs["planId"] == rendering.one("aws:backup/plan:Plan").state["id"]
    ((condition,),) = [c["stringEquals"] for c in selection.inputs["conditions"]]
    assert condition["key"] == f"aws:ResourceTag/{BACKUP_TAG}"
    clusters = rendering.of_type("aws:rds/cluster:Cluster")
    assert clusters
    for cluster in clusters:
        assert cluster.inputs["tags"][BACKUP_TAG] == condition["value"]
    role = rendering.one("aws:iam/role:Role", f"{'production' if stack == 'prod' else 'dev'}-backup-role")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "backup.amazonaws.com"
    }
    assert selection.inputs["iamRoleArn"] == role.state["arn"]


def test_every_database_kind_of_a_stack_is_tagged_into_its_environments_plan(render_definition) -> None:
    rendering = render_definition(
        "environments: {dev: {}, production: {loadBalancer: {allowPlainHttp: true}}}\nservices:\n"
        "  api: {port: 80, pathPatterns: [/a], database: {name: api}}\n"
        "  bee: {port: 80, pathPatterns: [/b], database: {name: bee, engine: postgres}}\n",
        ["dev", "production"],
    )
    values = {
        s.inputs["conditions"][0]["stringEquals"][0]["value"]
        for s in rendering.of_type("aws:backup/selection:Selection")
    }
    assert values == {"muon-dev", "muon-production"}
    stateful = rendering.of_type("aws:rds/cluster:Cluster") + rendering.of_type("aws:rds/instance:Instance")
    assert len(stateful) == 4
    for resource in stateful:
        environment = resource.inputs["tags"]["muon:environment"]
        assert resource.inputs["tags"][BACKUP_TAG] == f"muon-{environment}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_restore_tests_restore_the_latest_aurora_backup_into_the_isolated_subnets(
    stack: str, request: pytest.FixtureRequest
) -> None:
    rendering: Rendering = request.getfixturevalue(stack)
    env = "production" if stack == "prod" else "dev"
    plan = rendering.one("aws:backup/restoreTestingPlan:RestoreTestingPlan")
    assert plan.inputs["name"] == f"muon_{env}"
    assert plan.inputs["scheduleExpression"] == "cron(0 6 1 * ? *)"  # monthly
    selection = plan.inputs["recoveryPointSelection"]
    assert selection["algorithm"] == "LATEST_WITHIN_WINDOW"
    assert selection["includeVaults"] == [rendering.one("aws:backup/vault:Vault").state["arn"]]
    test = rendering.one("aws:backup/restoreTestingSelection:RestoreTestingSelection")
    assert test.inputs["protectedResourceType"] == "Aurora"
    assert test.inputs["restoreTestingPlanName"] == plan.inputs["name"]
    (condition,) = test.inputs["protectedResourceConditions"]["stringEquals"]
    assert condition == {"key": f"aws:ResourceTag/{BACKUP_TAG}", "value": f"muon-{env}"}
    overrides = test.inputs["restoreMetadataOverrides"]
    subnets = rendering.one("aws:rds/subnetGroup:SubnetGroup", f"{env}-restore-tests")
    assert overrides["dbsubnetgroupname"] == subnets.inputs["name"]
    assert subnets.inputs["subnetIds"] == rendering.outputs["environments"][env]["isolatedSubnetIds"]
    group = rendering.one("aws:ec2/securityGroup:SecurityGroup", f"{env}-restore-tests")
    assert json.loads(overrides["vpcsecuritygroupids"]) == [group.state["id"]]
    assert group.inputs["ingress"] == [] and group.inputs["egress"] == []
    assert test.inputs["validationWindowHours"] == 1
    assert rendering.outputs["environments"][env]["restoreTestingPlanName"] == plan.inputs["name"]


def test_a_failed_backup_or_restore_test_pages_the_environment(prod: Rendering) -> None:
    topic = prod.one("aws:sns/topic:Topic", "production-alarms")
    role = prod.one("aws:iam/role:Role", "production-backup-role").state["arn"]
    samples = {
        # Shapes from AWS Backup's EventBridge events (AWS Backup developer guide).
        "production-backup-failed": {
            "source": "aws.backup",
            "detail-type": "Backup Job State Change",
            "detail": {
                "backupJobId": "34176239",
                "backupVaultName": "muon-production",
                "iamRoleArn": role,
                "resourceType": "Aurora",
                "state": "FAILED",
            },
        },
        "production-restore-failed": {
            "source": "aws.backup",
            "detail-type": "Restore Job State Change",
            "detail": {
                "restoreJobId": "D591",
                "iamRoleArn": role,
                "resourceType": "Aurora",
                "status": "FAILED",
            },
        },
    }
    for name, event in samples.items():
        rule = prod.one("aws:cloudwatch/eventRule:EventRule", name)
        pattern = json.loads(rule.inputs["eventPattern"])
        assert matches(pattern, event)
        field = "state" if "backup" in name else "status"
        done = {**event, "detail": {**event["detail"], field: "COMPLETED"}}
        assert not matches(pattern, done)
        other = {
            **event,
            "detail": {**event["detail"], "backupVaultName": "theirs", "iamRoleArn": "arn:other"},
        }
        assert not matches(pattern, other)
        target = prod.one("aws:cloudwatch/eventTarget:EventTarget", name)
        assert target.inputs["arn"] == topic.state["arn"]
        assert set(target.inputs["inputTransformer"]["inputPaths"].values()) <= {
            f"$.detail.{key}" for key in event["detail"]
        }


def test_a_copy_region_gets_its_own_vault_key_and_lock(render_definition) -> None:
    rendering = render_definition(
        "environments:\n  production: {loadBalancer: {allowPlainHttp: true}, continuity: {copyRegion: us-west-2}}\n"
        "services:\n  api: {port: 80, pathPatterns: [/a], database: {name: api}}\n",
        ["production"],
    )
    vaults = {v.name: v for v in rendering.of_type("aws:backup/vault:Vault")}
    copy = vaults["production-copy-vault"]
    assert copy.inputs["region"] == "us-west-2"
    copy_key = rendering.one("aws:kms/key:Key", "production-backup-copy-key")
    assert copy_key.inputs["region"] == "us-west-2"
    assert copy.inputs["kmsKeyArn"] == copy_key.state["arn"]
    locks = {
        lock.name: lock
        for lock in rendering.of_type("aws:backup/vaultLockConfiguration:VaultLockConfiguration")
    }
    assert locks["production-copy-vault-lock"].inputs["region"] == "us-west-2"
    # Every input of a lock forces a replacement; created first, the new lock would be deleted by the
    # old one's delete on the same vault. Deleted first, the vault is locked again at once.
    assert all(lock.delete_before_replace for lock in locks.values()), sorted(locks)
    for rule in rules_of(rendering).values():
        (action,) = rule["copyActions"]
        assert action["destinationVaultArn"] == copy.state["arn"]
        assert action["lifecycle"]["deleteAfter"] == rule["lifecycle"]["deleteAfter"]


def test_rendered_backup_calls_are_valid_for_the_api(prod: Rendering) -> None:
    vault = prod.one("aws:backup/vault:Vault").inputs
    assert_valid(
        "backup",
        "CreateBackupVault",
        {"BackupVaultName": vault["name"], "EncryptionKeyArn": vault["kmsKeyArn"]},
    )
    lock = prod.one("aws:backup/vaultLockConfiguration:VaultLockConfiguration").inputs
    assert_valid(
        "backup",
        "PutBackupVaultLockConfiguration",
        {
            "BackupVaultName": lock["backupVaultName"],
            "MinRetentionDays": lock["minRetentionDays"],
            "ChangeableForDays": lock["changeableForDays"],
        },
    )
    plan = prod.one("aws:backup/plan:Plan").inputs
    assert_valid(
        "backup",
        "CreateBackupPlan",
        {
            "BackupPlan": {
                "BackupPlanName": plan["name"],
                "Rules": [
                    {
                        "RuleName": r["ruleName"],
                        "TargetBackupVaultName": r["targetVaultName"],
                        "ScheduleExpression": r["schedule"],
                        "StartWindowMinutes": r["startWindow"],
                        "CompletionWindowMinutes": r["completionWindow"],
                        "Lifecycle": {"DeleteAfterDays": r["lifecycle"]["deleteAfter"]},
                        "EnableContinuousBackup": r["enableContinuousBackup"],
                        "RecoveryPointTags": r["recoveryPointTags"],
                    }
                    for r in plan["rules"]
                ],
            }
        },
    )
    selection = prod.one("aws:backup/selection:Selection").inputs
    condition = selection["conditions"][0]["stringEquals"][0]
    assert_valid(
        "backup",
        "CreateBackupSelection",
        {
            "BackupPlanId": "plan",
            "BackupSelection": {
                "SelectionName": selection["name"],
                "IamRoleArn": selection["iamRoleArn"],
                "Resources": selection["resources"],
                "Conditions": {
                    "StringEquals": [{"ConditionKey": condition["key"], "ConditionValue": condition["value"]}]
                },
            },
        },
    )
    plan = prod.one("aws:backup/restoreTestingPlan:RestoreTestingPlan").inputs
    point = plan["recoveryPointSelection"]
    assert_valid(
        "backup",
        "CreateRestoreTestingPlan",
        {
            "RestoreTestingPlan": {
                "RestoreTestingPlanName": plan["name"],
                "ScheduleExpression": plan["scheduleExpression"],
                "StartWindowHours": plan["startWindowHours"],
                "RecoveryPointSelection": {
                    "Algorithm": point["algorithm"],
                    "IncludeVaults": point["includeVaults"],
                    "RecoveryPointTypes": point["recoveryPointTypes"],
                    "SelectionWindowDays": point["selectionWindowDays"],
                },
            }
        },
    )
    test = prod.one("aws:backup/restoreTestingSelection:RestoreTestingSelection").inputs
    condition = test["protectedResourceConditions"]["stringEquals"][0]
    assert_valid(
        "backup",
        "CreateRestoreTestingSelection",
        {
            "RestoreTestingPlanName": test["restoreTestingPlanName"],
            "RestoreTestingSelection": {
                "RestoreTestingSelectionName": test["name"],
                "IamRoleArn": test["iamRoleArn"],
                "ProtectedResourceType": test["protectedResourceType"],
                "ProtectedResourceArns": test["protectedResourceArns"],
                "ProtectedResourceConditions": {
                    "StringEquals": [{"Key": condition["key"], "Value": condition["value"]}]
                },
                "RestoreMetadataOverrides": test["restoreMetadataOverrides"],
                "ValidationWindowHours": test["validationWindowHours"],
            },
        },
    )


def test_continuity_can_be_turned_off(render_definition) -> None:
    rendering = render_definition(
        "environments: {dev: {continuity: {enabled: false}}}\n"
        "services:\n  api: {port: 80, pathPatterns: [/a], database: {name: api}}\n",
        ["dev"],
    )
    assert rendering.of_type("aws:backup/vault:Vault") == []
    assert "muon:backup" not in rendering.one("aws:rds/cluster:Cluster").inputs["tags"]


def test_a_copy_region_equal_to_the_stacks_is_refused_in_one_line(render_definition) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(
            "environments: {production: {loadBalancer: {allowPlainHttp: true}, continuity: {copyRegion: us-east-1}}}\n"
            "services:\n  api: {port: 80, pathPatterns: [/a]}\n",
            ["production"],
        )
    (problem,) = caught.value.problems
    assert problem.endswith(
        "muon.yaml: environments.production.continuity.copyRegion: us-east-1 is the stack's own "
        "region; a copy must survive the region, so name another one"
    )


@pytest.mark.parametrize(
    ("continuity", "expected"),
    [
        (
            "{lockMinRetentionDays: 30, dailyRetentionDays: 7}",
            "environments.production.continuity.dailyRetentionDays: 7 days is below the vault lock's minimum",
        ),
        (
            "{lock: false, lockMinRetentionDays: 30}",
            "continuity.lockMinRetentionDays: set, but lock is false",
        ),
        ("{copyRegion: mars-1}", "continuity.copyRegion"),
        ("{restoreTest: {schedule: monthly}}", "continuity.restoreTest.schedule"),
    ],
)
def test_bad_continuity_is_refused_in_one_line(continuity: str, expected: str) -> None:
    message = definition_error(
        f"environments: {{production: {{continuity: {continuity}}}}}\nservices:\n  api: {{port: 80, pathPatterns: [/a]}}\n"
    )
    assert expected in message


def test_a_lock_longer_than_the_tiers_daily_retention_is_refused(render_definition) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(
            "environments: {production: {loadBalancer: {allowPlainHttp: true}, continuity: {lockMinRetentionDays: 60}}}\n"
            "services:\n  api: {port: 80, pathPatterns: [/a]}\n",
            ["production"],
        )
    (problem,) = caught.value.problems
    assert "lockMinRetentionDays: 60 days is above the daily backups' retention (35 days" in problem
