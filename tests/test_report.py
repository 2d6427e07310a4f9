"""`muon report`, against moto in server mode.

moto has no AWS Backup jobs (ListBackupJobs, ListRestoreJobs) and no Patch Manager states
(DescribeInstancePatchStates): against moto the report lists those parts as unavailable, and their
reading is held to botocore's models with botocore's Stubber. ECS, CloudWatch and EC2 are moto's.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from muon.cli import report
from muon.cli.main import app
from tests.conftest import PROJECT_DIR

runner = CliRunner()
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/muon/banana@sha256:" + "a" * 64


@pytest.fixture
def deployed(aws: str, tmp_path: Path) -> Path:
    """A dev environment with the banana service running an image, one alarm in ALARM; its outputs."""
    ecs, cloudwatch = boto3.client("ecs"), boto3.client("cloudwatch")
    ecs.create_cluster(clusterName="muon-dev")
    task = ecs.register_task_definition(
        family="muon-dev-banana", containerDefinitions=[{"name": "app", "image": IMAGE, "memory": 512}]
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="muon-dev", serviceName="muon-dev-banana", taskDefinition=task, desiredCount=1)
    for name in ("muon-dev-banana-5xx-rate", "muon-dev-banana-p99-latency", "other-project-alarm"):
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            Namespace="AWS/ApplicationELB",
            MetricName="RequestCount",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
        )
    for name in ("muon-dev-banana-5xx-rate", "other-project-alarm"):
        cloudwatch.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="Threshold Crossed: 12%")
    outputs = {
        "environments": {
            "dev": {
                "tier": "development",
                "namespace": "muon",
                "clusterName": "muon-dev",
                "url": "http://dev-alb.example",
                "backupVaultName": "muon-dev",
                "restoreTestingPlanName": "muon_dev",
            }
        },
        "services": {"dev": {"banana": {"clusterName": "muon-dev", "serviceName": "muon-dev-banana"}}},
    }
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs), encoding="utf-8")
    return path


def test_report_shows_what_runs_what_alarms_and_what_it_cannot_see(deployed: Path) -> None:
    result = runner.invoke(app, ["--outputs", str(deployed), "--json", "report", "dev", "--no-plan"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    env = data["environments"]["dev"]
    banana = env["services"]["banana"]
    assert banana["image"] == IMAGE
    assert banana["deployedAt"] is not None and banana["desired"] == 1
    # Only this environment's alarms, and only those in ALARM.
    assert [a["alarm"] for a in env["alarmsInAlarm"]] == ["muon-dev-banana-5xx-rate"]
    assert env["alarmsInAlarm"][0]["reason"] == "Threshold Crossed: 12%"
    assert env["patches"]["hosts"] == 0 and "Fargate" in env["patches"]["note"]
    # moto lacks these AWS Backup APIs: said, not hidden.
    assert {"lastBackup", "lastRestoreTest"} <= set(env["unavailable"])
    assert "plan" not in data
    markdown = runner.invoke(app, ["--outputs", str(deployed), "report", "dev", "--no-plan", "--markdown"])
    assert markdown.exit_code == 0
    assert markdown.stdout.startswith("# muon report: stack `dev`")
    assert f"| banana | `{IMAGE}` |" in markdown.stdout
    assert "Alarms in ALARM: muon-dev-banana-5xx-rate" in markdown.stdout
    assert "(lastBackup unavailable:" in markdown.stdout


def test_last_backup_and_restore_test_are_the_latest_jobs() -> None:
    backup = boto3.client("backup", region_name="us-east-1")
    early, late = dt.datetime(2026, 11, 25, tzinfo=dt.UTC), dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    plan = "arn:aws:backup:us-east-1:123456789012:restore-testing-plan:muon_dev"
    with Stubber(backup) as stub:
        stub.add_response(
            "list_backup_jobs",
            {
                "BackupJobs": [
                    {"BackupJobId": "1", "State": "FAILED", "CreationDate": early, "ResourceArn": "arn:a"},
                    {"BackupJobId": "2", "State": "COMPLETED", "CreationDate": late, "CompletionDate": late},
                ]
            },
            {"ByBackupVaultName": "muon-dev", "MaxResults": 100},
        )
        stub.add_response(
            "list_restore_jobs",
            {
                "RestoreJobs": [
                    {
                        "RestoreJobId": "r1",
                        "Status": "COMPLETED",
                        "CreationDate": late,
                        "CreatedBy": {"RestoreTestingPlanArn": plan},
                        "ValidationStatus": "SUCCESSFUL",
                    },
                    {
                        "RestoreJobId": "r2",
                        "Status": "COMPLETED",
                        "CreationDate": late + dt.timedelta(hours=1),
                    },  # a person's restore
                ]
            },
            {"ByResourceType": "Aurora", "MaxResults": 100},
        )
        clients = lambda service: backup  # noqa: E731
        assert report.last_backup(clients, "muon-dev") == {
            "state": "COMPLETED",
            "resource": None,
            "at": late.isoformat(),
        }
        assert report.last_restore_test(clients, "muon_dev") == {
            "status": "COMPLETED",
            "validation": "SUCCESSFUL",
            "at": late.isoformat(),
        }


def test_host_patches_read_patch_manager_for_the_clusters_hosts(aws: str) -> None:
    ec2, ecs = boto3.client("ec2"), boto3.client("ecs")
    ecs.create_cluster(clusterName="muon-production")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
    document = json.dumps({"instanceId": instance, "region": "us-east-1", "accountId": "123456789012"})
    ecs.register_container_instance(cluster="muon-production", instanceIdentityDocument=document)
    ssm = boto3.client("ssm", region_name="us-east-1")
    scanned = dt.datetime(2026, 11, 27, 5, tzinfo=dt.UTC)
    with Stubber(ssm) as stub:
        stub.add_response(
            "describe_instance_patch_states",
            {
                "InstancePatchStates": [
                    {
                        "InstanceId": instance,
                        "PatchGroup": "muon",
                        "BaselineId": "pb-0123456789abcdef0",
                        "OperationStartTime": scanned,
                        "OperationEndTime": scanned,
                        "Operation": "Scan",
                        "MissingCount": 3,
                        "FailedCount": 0,
                    }
                ]
            },
            {"InstanceIds": [instance]},
        )
        found: dict[str, Any] = report.host_patches(
            lambda s: ssm if s == "ssm" else boto3.client(s), "muon-production"
        )
    assert found == {"hosts": 1, "scanned": 1, "missing": 3, "failed": 0, "lastScan": scanned.isoformat()}


def test_the_plan_part_carries_the_offline_findings_and_cost() -> None:
    planned = report.plan_report("dev", PROJECT_DIR)
    assert planned["exceptions"] == 6
    # 15: development's database takes a final snapshot too now (CKV_AWS_139 closed; issue 32).
    assert all(f.split()[0] for f in planned["findings"]) and len(planned["findings"]) == 15
    assert planned["cost"]["usdPerMonth"] == 58.44
    assert planned["cost"]["byEnvironment"] == {"dev": 58.44}
    missing = report.plan_report("nowhere", PROJECT_DIR)
    assert missing == {"unavailable": f"no Pulumi.nowhere.yaml in {PROJECT_DIR}: the plan was not rendered"}
