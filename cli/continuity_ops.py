"""What `muon db backups` and `muon db restore` ask AWS: recovery points, and restores to a new cluster.

A restore never touches the running database: it creates a cluster beside it (named
``<cluster>-restored-<time>``) in the same subnets and security groups, and says how to switch over.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from muon.cli.errors import AwsError, RefusedError, UsageError
from muon.cli.operations import Clients, optional

RESTORED_TAG = "muon:restored-from"
POLL_SECONDS = 30


def _cluster(clients: Clients, outputs: dict[str, Any]) -> dict[str, Any]:
    if outputs.get("kind") == "instance":
        raise RefusedError(
            "this database is one RDS DB instance: its backups and restores are RDS's "
            "(aws rds restore-db-instance-to-point-in-time); muon restores Aurora clusters"
        )
    identifier = outputs["clusterIdentifier"]
    found = clients("rds").describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"]
    if not found:
        raise AwsError(f"Aurora cluster {identifier} does not exist")
    return found[0]


def _when(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def list_backups(clients: Clients, outputs: dict[str, Any]) -> dict[str, Any]:
    """Recovery points of the database (AWS Backup), its snapshots (RDS) and its restore window."""
    cluster = _cluster(clients, outputs)
    identifier = cluster["DBClusterIdentifier"]

    def recovery_points() -> list[dict[str, Any]]:
        pages = clients("backup").get_paginator("list_recovery_points_by_resource")
        return [
            p for page in pages.paginate(ResourceArn=cluster["DBClusterArn"]) for p in page["RecoveryPoints"]
        ]

    points, why = optional(recovery_points)
    snapshots, snapshots_why = optional(
        lambda: clients("rds").describe_db_cluster_snapshots(DBClusterIdentifier=identifier)[
            "DBClusterSnapshots"
        ]
    )
    unavailable = {}
    if why:
        unavailable["recoveryPoints"] = why
    if snapshots_why:
        unavailable["snapshots"] = snapshots_why
    return {
        "cluster": identifier,
        "earliestRestorableTime": _when(cluster.get("EarliestRestorableTime")),
        "latestRestorableTime": _when(cluster.get("LatestRestorableTime")),
        "recoveryPoints": sorted(
            (
                {
                    "recoveryPoint": p["RecoveryPointArn"],
                    "created": _when(p.get("CreationDate")),
                    "status": p.get("Status"),
                    "vault": p.get("BackupVaultName"),
                    # Point-in-time (continuous) recovery points say so in their ARN.
                    "kind": "continuous" if ":continuous:" in p["RecoveryPointArn"] else "snapshot",
                }
                for p in points or []
            ),
            key=lambda p: p["created"] or "",
            reverse=True,
        ),
        "snapshots": sorted(
            (
                {
                    "snapshot": s["DBClusterSnapshotIdentifier"],
                    "created": _when(s.get("SnapshotCreateTime")),
                    "type": s.get("SnapshotType"),
                    "status": s.get("Status"),
                }
                for s in snapshots or []
            ),
            key=lambda s: s["created"] or "",
            reverse=True,
        ),
        "unavailable": unavailable,
    }


def restored_name(identifier: str, now: dt.datetime) -> str:
    """``<cluster>-restored-<yyyymmddhhmmss>``, within RDS's 63 characters."""
    suffix = f"-restored-{now:%Y%m%d%H%M%S}"
    return identifier[: 63 - len(suffix)].rstrip("-") + suffix


def _parse_time(value: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--to-time {value}: expected an ISO 8601 time such as 2026-11-27T09:30:00Z"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def restore(
    clients: Clients,
    outputs: dict[str, Any],
    environment_outputs: dict[str, Any],
    *,
    to_time: str | None,
    recovery_point: str | None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Start a restore into a new cluster beside the running one; returns what was started."""
    if (to_time is None) == (recovery_point is None):
        raise UsageError("give exactly one of --to-time or --recovery-point")
    cluster = _cluster(clients, outputs)
    source = cluster["DBClusterIdentifier"]
    target = restored_name(source, now or dt.datetime.now(dt.UTC))
    placement = {
        "DBSubnetGroupName": cluster["DBSubnetGroup"],
        "VpcSecurityGroupIds": [g["VpcSecurityGroupId"] for g in cluster.get("VpcSecurityGroups", [])],
    }
    if to_time is not None:
        when = _parse_time(to_time)
        latest = cluster.get("LatestRestorableTime")
        earliest = cluster.get("EarliestRestorableTime")
        if isinstance(earliest, dt.datetime) and when < earliest:
            raise RefusedError(
                f"--to-time {to_time} is before the earliest restorable time, {earliest.isoformat()}"
            )
        if isinstance(latest, dt.datetime) and when > latest:
            raise RefusedError(
                f"--to-time {to_time} is after the latest restorable time, {latest.isoformat()}"
            )
        options: dict[str, Any] = {}
        if cluster.get("ServerlessV2ScalingConfiguration"):
            scaling = cluster["ServerlessV2ScalingConfiguration"]
            options["ServerlessV2ScalingConfiguration"] = {
                "MinCapacity": scaling["MinCapacity"],
                "MaxCapacity": scaling["MaxCapacity"],
            }
        if cluster.get("KmsKeyId"):
            options["KmsKeyId"] = cluster["KmsKeyId"]
        clients("rds").restore_db_cluster_to_point_in_time(
            SourceDBClusterIdentifier=source,
            DBClusterIdentifier=target,
            RestoreToTime=when,
            CopyTagsToSnapshot=True,
            EnableIAMDatabaseAuthentication=bool(cluster.get("IAMDatabaseAuthenticationEnabled")),
            Tags=[{"Key": RESTORED_TAG, "Value": f"{source}@{when.isoformat()}"}],
            **placement,
            **options,
        )
        return {"cluster": target, "source": source, "from": when.isoformat(), "job": None}
    vault = environment_outputs.get("backupVaultName")
    role = environment_outputs.get("backupRoleArn")
    if not vault or not role:
        raise RefusedError("the environment has no AWS Backup vault (continuity is off): use --to-time")
    backup = clients("backup")
    metadata = backup.get_recovery_point_restore_metadata(
        BackupVaultName=vault, RecoveryPointArn=recovery_point
    )["RestoreMetadata"]
    metadata = {
        **metadata,
        "DBClusterIdentifier": target,
        "DBSubnetGroupName": placement["DBSubnetGroupName"],
        "VpcSecurityGroupIds": ",".join(placement["VpcSecurityGroupIds"]),
    }
    job = backup.start_restore_job(
        RecoveryPointArn=recovery_point, Metadata=metadata, IamRoleArn=role, ResourceType="Aurora"
    )["RestoreJobId"]
    return {"cluster": target, "source": source, "from": recovery_point, "job": job}


def wait_restore(clients: Clients, started: dict[str, Any], timeout: int = 4 * 3600) -> None:
    """Until the restore job (if any) is done and the new cluster is available."""
    deadline = time.monotonic() + timeout
    if started["job"]:
        backup = clients("backup")
        while True:
            job = backup.describe_restore_job(RestoreJobId=started["job"])
            if job["Status"] == "COMPLETED":
                break
            if job["Status"] in ("ABORTED", "FAILED"):
                raise AwsError(
                    f"restore job {started['job']} {job['Status']}: {job.get('StatusMessage', '')}"
                )
            if time.monotonic() > deadline:
                raise AwsError(f"restore job {started['job']} still {job['Status']} after {timeout} s")
            time.sleep(POLL_SECONDS)
    clients("rds").get_waiter("db_cluster_available").wait(
        DBClusterIdentifier=started["cluster"],
        WaiterConfig={"Delay": POLL_SECONDS, "MaxAttempts": max(1, timeout // POLL_SECONDS)},
    )


def add_writer(clients: Clients, started: dict[str, Any]) -> str:
    """A restored Aurora cluster has no instance: add a writer like the source's."""
    rds = clients("rds")
    source = rds.describe_db_clusters(DBClusterIdentifier=started["source"])["DBClusters"][0]
    writer = next((m for m in source.get("DBClusterMembers", []) if m.get("IsClusterWriter")), None)
    instance_class = "db.serverless"
    if writer is not None:
        found = rds.describe_db_instances(DBInstanceIdentifier=writer["DBInstanceIdentifier"])["DBInstances"]
        instance_class = found[0]["DBInstanceClass"] if found else instance_class
    name = f"{started['cluster']}-1"
    rds.create_db_instance(
        DBInstanceIdentifier=name,
        DBClusterIdentifier=started["cluster"],
        Engine=source["Engine"],
        DBInstanceClass=instance_class,
        PubliclyAccessible=False,
    )
    return name


def switch_over_steps(started: dict[str, Any], stack: str) -> list[str]:
    """How to make the restored cluster the service's database: by name, so the stack keeps it."""
    source, target = started["source"], started["cluster"]
    return [
        f"check the restored data on {target} (its endpoint: aws rds describe-db-clusters "
        f"--db-cluster-identifier {target})",
        f"rename the running cluster away: aws rds modify-db-cluster --db-cluster-identifier {source} "
        f"--new-db-cluster-identifier {source}-replaced --apply-immediately",
        f"give the restored one its name: aws rds modify-db-cluster --db-cluster-identifier {target} "
        f"--new-db-cluster-identifier {source} --apply-immediately",
        f"pulumi refresh --stack {stack}, then pulumi up --stack {stack}: the stack adopts the restored "
        "cluster under its name and re-applies its settings (tags, backups, alarms); the service's "
        "endpoint name is unchanged",
        f"once satisfied, delete {source}-replaced (its final snapshot is kept if you ask for one)",
    ]
