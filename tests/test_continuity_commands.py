"""`muon db backups` and `muon db restore`, against moto in server mode.

moto has no AWS Backup recovery points or restore jobs (ListRecoveryPointsByResource,
GetRecoveryPointRestoreMetadata, StartRestoreJob, DescribeRestoreJob): against moto the command
says the recovery points are unavailable, and those calls are held to botocore's model through
botocore's Stubber (which checks every request against the service model). RDS is moto's.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from typer.testing import CliRunner

from muon.cli import continuity_ops as ops
from muon.cli.errors import RefusedError, UsageError
from muon.cli.main import app

runner = CliRunner()
ROLE = "arn:aws:iam::123456789012:role/muon-dev-backup-role"
VAULT = "muon-dev"


@pytest.fixture
def database(aws: str, tmp_path: Path) -> Path:
    """An Aurora cluster in its subnet group and security group, as muon leaves it; the outputs file."""
    ec2, rds = boto3.client("ec2"), boto3.client("rds")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"][
            "SubnetId"
        ]
        for i, z in enumerate("ab")
    ]
    rds.create_db_subnet_group(
        DBSubnetGroupName="muon-dev-banana-database-subnets", DBSubnetGroupDescription="d", SubnetIds=subnets
    )
    group = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    rds.create_db_cluster(
        DBClusterIdentifier="muon-dev-banana",
        Engine="aurora-mysql",
        MasterUsername="muon",
        MasterUserPassword="Generated-Pass-1",
        DBSubnetGroupName="muon-dev-banana-database-subnets",
        VpcSecurityGroupIds=[group],
        StorageEncrypted=True,
    )
    rds.create_db_instance(
        DBInstanceIdentifier="muon-dev-banana-1",
        DBClusterIdentifier="muon-dev-banana",
        Engine="aurora-mysql",
        DBInstanceClass="db.t4g.medium",
    )
    rds.create_db_cluster_snapshot(
        DBClusterIdentifier="muon-dev-banana", DBClusterSnapshotIdentifier="before-upgrade"
    )
    outputs = {
        "environments": {"dev": {"clusterName": "muon-dev", "backupVaultName": VAULT, "backupRoleArn": ROLE}},
        "databases": {"dev": {"banana": {"clusterIdentifier": "muon-dev-banana", "kind": "cluster"}}},
    }
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs), encoding="utf-8")
    return path


def muon(outputs: Path, *args: str) -> Any:
    return runner.invoke(app, ["--outputs", str(outputs), *args])


def test_db_backups_lists_snapshots_and_says_what_is_unavailable(database: Path) -> None:
    result = muon(database, "--json", "db", "backups", "banana")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["cluster"] == "muon-dev-banana"
    manual = [s for s in data["snapshots"] if s["snapshot"] == "before-upgrade"]
    assert manual and manual[0]["type"] == "manual"
    # moto has no AWS Backup recovery points: said, not hidden, and the rest still shown.
    assert data["recoveryPoints"] == []
    assert "recoveryPoints" in data["unavailable"]
    human = muon(database, "db", "backups", "banana")
    assert human.exit_code == 0
    assert "before-upgrade" in human.stdout and "recoveryPoints unavailable" in human.stdout


def clients_with(stubbed: dict[str, Any]) -> ops.Clients:
    return lambda service: stubbed.get(service) or boto3.client(service)


def test_recovery_points_are_listed_newest_first(database: Path) -> None:
    backup = boto3.client("backup")
    arn = boto3.client("rds").describe_db_clusters(DBClusterIdentifier="muon-dev-banana")["DBClusters"][0][
        "DBClusterArn"
    ]
    older, newer = dt.datetime(2026, 11, 1, tzinfo=dt.UTC), dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
    with Stubber(backup) as stub:
        stub.add_response(
            "list_recovery_points_by_resource",
            {
                "RecoveryPoints": [
                    {
                        "RecoveryPointArn": "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:awsbackup:job-1",
                        "CreationDate": older,
                        "Status": "COMPLETED",
                        "BackupVaultName": VAULT,
                    },
                    {
                        "RecoveryPointArn": "arn:aws:backup:us-east-1:123456789012:recovery-point:continuous:cluster-x",
                        "CreationDate": newer,
                        "Status": "COMPLETED",
                        "BackupVaultName": VAULT,
                    },
                ]
            },
            {"ResourceArn": arn},
        )
        listed = ops.list_backups(clients_with({"backup": backup}), {"clusterIdentifier": "muon-dev-banana"})
    assert [(p["kind"], p["created"]) for p in listed["recoveryPoints"]] == [
        ("continuous", newer.isoformat()),
        ("snapshot", older.isoformat()),
    ]
    assert listed["unavailable"] == {}


def test_db_restore_to_a_time_creates_a_new_cluster_beside_the_running_one(database: Path) -> None:
    rds = boto3.client("rds")
    window = rds.describe_db_clusters(DBClusterIdentifier="muon-dev-banana")["DBClusters"][0]
    earliest = window["EarliestRestorableTime"].astimezone(dt.UTC)
    too_early = (earliest - dt.timedelta(days=1)).isoformat()
    refused = muon(database, "db", "restore", "banana", "--to-time", too_early)
    assert refused.exit_code != 0 and "before the earliest restorable time" in refused.output
    when = earliest  # moto keeps a window of moments; its start is always inside it
    result = muon(database, "--json", "db", "restore", "banana", "--to-time", when.isoformat(), "--wait")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["cluster"].startswith("muon-dev-banana-restored-")
    source = rds.describe_db_clusters(DBClusterIdentifier="muon-dev-banana")["DBClusters"][0]
    restored = rds.describe_db_clusters(DBClusterIdentifier=data["cluster"])["DBClusters"][0]
    assert restored["DBSubnetGroup"] == source["DBSubnetGroup"]
    assert [g["VpcSecurityGroupId"] for g in restored["VpcSecurityGroups"]] == [
        g["VpcSecurityGroupId"] for g in source["VpcSecurityGroups"]
    ]
    tags = {
        t["Key"]: t["Value"]
        for t in rds.list_tags_for_resource(ResourceName=restored["DBClusterArn"])["TagList"]
    }
    assert tags[ops.RESTORED_TAG] == f"muon-dev-banana@{when.isoformat()}"
    # --wait: the restored cluster gets a writer like the source's.
    writer = rds.describe_db_instances(DBInstanceIdentifier=data["writer"])["DBInstances"][0]
    assert (writer["DBClusterIdentifier"], writer["DBInstanceClass"]) == (data["cluster"], "db.t4g.medium")
    # The running cluster is untouched; the switch-over is spelled out, by name.
    assert source["Status"] == "available"
    assert any("--new-db-cluster-identifier muon-dev-banana " in step for step in data["switchOver"])
    time.sleep(1.1)  # a restored cluster's name carries the second it was asked for
    human = muon(database, "db", "restore", "banana", "--to-time", when.replace(tzinfo=None).isoformat())
    assert human.exit_code == 0, human.output
    assert "To switch over:" in human.stdout and "add a writer instance" in human.stdout


def test_db_restore_from_a_recovery_point_uses_the_environments_backup_role() -> None:
    backup = boto3.client("backup", region_name="us-east-1")
    rds = boto3.client("rds", region_name="us-east-1")
    point = "arn:aws:backup:us-east-1:123456789012:recovery-point:continuous:cluster-x"
    cluster = {
        "DBClusterIdentifier": "muon-dev-banana",
        "DBSubnetGroup": "muon-dev-banana-database-subnets",
        "VpcSecurityGroups": [{"VpcSecurityGroupId": "sg-0123456789abcdef0", "Status": "active"}],
    }
    with Stubber(backup) as backups, Stubber(rds) as databases:
        databases.add_response(
            "describe_db_clusters", {"DBClusters": [cluster]}, {"DBClusterIdentifier": "muon-dev-banana"}
        )
        backups.add_response(
            "get_recovery_point_restore_metadata",
            {"RestoreMetadata": {"Engine": "aurora-mysql", "DBClusterIdentifier": "muon-dev-banana"}},
            {"BackupVaultName": VAULT, "RecoveryPointArn": point},
        )
        backups.add_response(
            "start_restore_job",
            {"RestoreJobId": "job-1"},
            {
                "RecoveryPointArn": point,
                "IamRoleArn": ROLE,
                "ResourceType": "Aurora",
                "Metadata": {
                    "Engine": "aurora-mysql",
                    "DBClusterIdentifier": "muon-dev-banana-restored-20261127093000",
                    "DBSubnetGroupName": "muon-dev-banana-database-subnets",
                    "VpcSecurityGroupIds": "sg-0123456789abcdef0",
                },
            },
        )
        started = ops.restore(
            clients_with({"backup": backup, "rds": rds}),
            {"clusterIdentifier": "muon-dev-banana"},
            {"backupVaultName": VAULT, "backupRoleArn": ROLE},
            to_time=None,
            recovery_point=point,
            now=dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC),
        )
        backups.assert_no_pending_responses()
    assert started == {
        "cluster": "muon-dev-banana-restored-20261127093000",
        "source": "muon-dev-banana",
        "from": point,
        "job": "job-1",
    }
    assert ANY  # the Stubber's expected parameters above are exact


def test_restore_refuses_what_it_cannot_do(database: Path) -> None:
    both = muon(
        database, "db", "restore", "banana", "--to-time", "2026-11-27T09:30:00Z", "--recovery-point", "x"
    )
    assert both.exit_code != 0
    assert "give exactly one of --to-time or --recovery-point" in both.output
    bad_time = muon(database, "db", "restore", "banana", "--to-time", "yesterday")
    assert bad_time.exit_code != 0 and "expected an ISO 8601 time" in bad_time.output
    with pytest.raises(RefusedError, match="one RDS DB instance"):
        ops.restore(
            lambda s: None, {"kind": "instance"}, {}, to_time="2026-11-27T09:30:00Z", recovery_point=None
        )
    with pytest.raises(RefusedError, match="continuity is off"):
        ops.restore(
            lambda s: boto3.client(s),
            {"clusterIdentifier": "muon-dev-banana"},
            {},
            to_time=None,
            recovery_point="arn:aws:backup:us-east-1:123456789012:recovery-point:x",
        )
    with pytest.raises(UsageError):
        ops.restore(lambda s: None, {}, {}, to_time=None, recovery_point=None)


def test_restored_names_fit_rds() -> None:
    name = ops.restored_name("x" * 63, dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC))
    assert len(name) == 63 and name.endswith("-restored-20261127093000")
