"""What each day-2 command asks AWS, as plain data (rendered as tables or JSON by ``cli.main``)."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

from muon.cli.errors import AwsError, RefusedError, UsageError, describe_client_error
from muon.components.tags import MANAGED_BY_TAG

Clients = Callable[[str], Any]
"""``clients("ecs")`` → a boto3 client (tests point them at moto)."""

PASSWORD_FORBIDDEN = set('/@" ')


def optional(call: Callable[[], Any]) -> tuple[Any, str | None]:
    """An extra that may be unavailable (an API moto or a region lacks): (value, why not)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return call(), None
    except ClientError as error:
        return None, describe_client_error(error)
    except BotoCoreError as error:
        return None, str(error)


# -- environments ---------------------------------------------------------------------------------


def environment_details(clients: Clients, name: str, outputs: dict[str, Any]) -> dict[str, Any]:
    ecs = clients("ecs")
    found = [c for c in ecs.describe_clusters(clusters=[outputs["clusterName"]])["clusters"] if c]
    cluster = next((c for c in found if c.get("status") != "INACTIVE"), None)
    if cluster is None:
        raise AwsError(
            f"ECS cluster {outputs['clusterName']} of environment '{name}' does not exist in "
            f"{ecs.meta.region_name} (destroyed, or another account or region?)"
        )
    return {
        "environment": name,
        "vpcId": outputs.get("vpcId"),
        "loadBalancerUrl": outputs.get("loadBalancerUrl"),
        "cluster": outputs["clusterName"],
        "clusterStatus": cluster.get("status"),
        "runningTasks": cluster.get("runningTasksCount", 0),
        "pendingTasks": cluster.get("pendingTasksCount", 0),
        "containerInstances": cluster.get("registeredContainerInstancesCount", 0),
        "services": cluster.get("activeServicesCount", 0),
    }


# -- services -------------------------------------------------------------------------------------


def _ecs_service(clients: Clients, outputs: dict[str, Any]) -> dict[str, Any]:
    found = clients("ecs").describe_services(
        cluster=outputs["clusterName"], services=[outputs["serviceName"]]
    )
    services = [s for s in found.get("services", []) if s.get("status") != "INACTIVE"]
    if not services:
        raise RefusedError(f"ECS service {outputs['serviceName']} does not exist (deployed yet?)")
    return services[0]


def scalable_target(clients: Clients, cluster: str, service: str) -> dict[str, Any] | None:
    targets = clients("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[f"service/{cluster}/{service}"]
    )["ScalableTargets"]
    return targets[0] if targets else None


def service_details(
    clients: Clients, name: str, environment: str, outputs: dict[str, Any], pipeline: dict[str, Any] | None
) -> dict[str, Any]:
    service = _ecs_service(clients, outputs)
    details: dict[str, Any] = {
        "service": name,
        "environment": environment,
        "url": outputs.get("url"),
        "desired": service.get("desiredCount", 0),
        "running": service.get("runningCount", 0),
        "pending": service.get("pendingCount", 0),
        "deployments": [
            {
                "id": d.get("id"),
                "status": d.get("status"),
                "rolloutState": d.get("rolloutState", ""),
                "taskDefinition": str(d.get("taskDefinition", "")).rsplit("/", 1)[-1],
                "running": d.get("runningCount", 0),
                "pending": d.get("pendingCount", 0),
                "failedTasks": d.get("failedTasks", 0),
            }
            for d in service.get("deployments", [])
        ],
        "unavailable": {},
    }
    groups = [lb["targetGroupArn"] for lb in service.get("loadBalancers", []) if lb.get("targetGroupArn")]
    health, why = optional(
        lambda: [
            {
                "target": t["Target"]["Id"],
                "port": t["Target"].get("Port"),
                "state": t["TargetHealth"].get("State"),
                "reason": t["TargetHealth"].get("Reason", ""),
            }
            for group in groups
            for t in clients("elbv2").describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
        ]
    )
    details["targets"] = health or []
    if why:
        details["unavailable"]["targets"] = why
    target, why = optional(lambda: scalable_target(clients, outputs["clusterName"], outputs["serviceName"]))
    details["scaling"] = {"min": target["MinCapacity"], "max": target["MaxCapacity"]} if target else None
    if why:
        details["unavailable"]["scaling"] = why
    activities, why = optional(
        lambda: clients("application-autoscaling").describe_scaling_activities(
            ServiceNamespace="ecs",
            ResourceId=f"service/{outputs['clusterName']}/{outputs['serviceName']}",
            MaxResults=5,
        )["ScalingActivities"]
    )
    details["scalingActivity"] = [
        {
            "time": str(a.get("StartTime", "")),
            "status": a.get("StatusCode"),
            "description": a.get("Description"),
        }
        for a in activities or []
    ]
    if why:
        details["unavailable"]["scalingActivity"] = why
    if pipeline:
        state, why = optional(lambda: clients("codepipeline").get_pipeline_state(name=pipeline["name"]))
        details["pipeline"] = [
            {"stage": s["stageName"], "status": (s.get("latestExecution") or {}).get("status", "")}
            for s in (state or {}).get("stageStates", [])
        ]
        if why:
            details["unavailable"]["pipeline"] = why
    return details


def restart_service(clients: Clients, outputs: dict[str, Any]) -> dict[str, Any]:
    _ecs_service(clients, outputs)
    updated = clients("ecs").update_service(
        cluster=outputs["clusterName"], service=outputs["serviceName"], forceNewDeployment=True
    )["service"]
    primary: dict[str, Any] = next(
        (d for d in updated.get("deployments", []) if d.get("status") == "PRIMARY"), {}
    )
    return {"service": outputs["serviceName"], "deployment": primary.get("id", "")}


def wait_stable(clients: Clients, outputs: dict[str, Any], timeout: int = 900) -> None:
    waiter = clients("ecs").get_waiter("services_stable")
    waiter.wait(
        cluster=outputs["clusterName"],
        services=[outputs["serviceName"]],
        WaiterConfig={"Delay": 15, "MaxAttempts": max(1, timeout // 15)},
    )


def scale_service(clients: Clients, outputs: dict[str, Any], count: int) -> dict[str, Any]:
    cluster, service = outputs["clusterName"], outputs["serviceName"]
    _ecs_service(clients, outputs)
    target = scalable_target(clients, cluster, service)
    if target is not None and not target["MinCapacity"] <= count <= target["MaxCapacity"]:
        raise RefusedError(
            f"{count} tasks is outside the scaling bounds {target['MinCapacity']}-{target['MaxCapacity']} "
            "of this service; change scaling.min/max in muon.yaml and `pulumi up` to move them"
        )
    clients("ecs").update_service(cluster=cluster, service=service, desiredCount=count)
    return {
        "service": service,
        "desired": count,
        "bounds": [target["MinCapacity"], target["MaxCapacity"]] if target else None,
    }


# -- logs -----------------------------------------------------------------------------------------

_SINCE = re.compile(r"^(\d+)([smhd])$")


def since_millis(since: str, now: float | None = None) -> int:
    match = _SINCE.match(since)
    if not match:
        raise UsageError(f"--since: expected a duration such as 30s, 10m, 2h or 1d, got '{since}'")
    seconds = int(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return int(((now if now is not None else time.time()) - seconds) * 1000)


def tail(
    clients: Clients,
    groups: dict[str, str],
    start: int,
    *,
    follow: bool,
    sleep: Callable[[float], None] = time.sleep,
    polls: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Events of ``groups`` (label → log group) from ``start`` ms, oldest first; ``follow`` keeps polling."""
    logs = clients("logs")
    seen: set[str] = set()
    done = 0
    while True:
        batch = []
        for label, group in groups.items():
            kwargs: dict[str, Any] = {"logGroupName": group, "startTime": start}
            while True:
                page = logs.filter_log_events(**kwargs)
                for event in page.get("events", []):
                    if event["eventId"] not in seen:
                        seen.add(event["eventId"])
                        batch.append({**event, "source": label})
                if not page.get("nextToken"):
                    break
                kwargs["nextToken"] = page["nextToken"]
        batch.sort(key=lambda e: e["timestamp"])
        yield from batch
        if batch:
            start = batch[-1]["timestamp"]
        done += 1
        if not follow or (polls is not None and done >= polls):
            return
        sleep(2)


def format_event(event: dict[str, Any]) -> str:
    when = dt.datetime.fromtimestamp(event["timestamp"] / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"{when} {event['source']} {event['message'].rstrip()}"


# -- databases ------------------------------------------------------------------------------------


def database_details(
    clients: Clients, service: str, environment: str, outputs: dict[str, Any]
) -> dict[str, Any]:
    if outputs.get("kind") == "instance":
        return instance_details(clients, service, environment, outputs)
    rds = clients("rds")
    identifier = outputs["clusterIdentifier"]
    cluster = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]
    snapshots, why = optional(
        lambda: rds.describe_db_cluster_snapshots(DBClusterIdentifier=identifier, SnapshotType="manual")[
            "DBClusterSnapshots"
        ]
    )
    return {
        "service": service,
        "environment": environment,
        "cluster": identifier,
        "status": cluster.get("Status"),
        "engine": f"{cluster.get('Engine')} {cluster.get('EngineVersion')}",
        "endpoint": cluster.get("Endpoint"),
        "readerEndpoint": cluster.get("ReaderEndpoint"),
        "port": cluster.get("Port"),
        "instances": [
            {"id": m["DBInstanceIdentifier"], "writer": m.get("IsClusterWriter", False)}
            for m in cluster.get("DBClusterMembers", [])
        ],
        "backupRetentionDays": cluster.get("BackupRetentionPeriod"),
        "deletionProtection": cluster.get("DeletionProtection"),
        "manualSnapshots": sorted(s["DBClusterSnapshotIdentifier"] for s in snapshots or []),
        "unavailable": {"manualSnapshots": why} if why else {},
    }


def instance_details(
    clients: Clients, service: str, environment: str, outputs: dict[str, Any]
) -> dict[str, Any]:
    """The same view of an RDS DB instance (engine: postgres, mysql, mariadb)."""
    rds = clients("rds")
    identifier = outputs["clusterIdentifier"]
    instance = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    snapshots, why = optional(
        lambda: rds.describe_db_snapshots(DBInstanceIdentifier=identifier, SnapshotType="manual")[
            "DBSnapshots"
        ]
    )
    endpoint = instance.get("Endpoint") or {}
    return {
        "service": service,
        "environment": environment,
        "cluster": identifier,
        "status": instance.get("DBInstanceStatus"),
        "engine": f"{instance.get('Engine')} {instance.get('EngineVersion')}",
        "endpoint": endpoint.get("Address"),
        "readerEndpoint": endpoint.get("Address"),
        "port": endpoint.get("Port"),
        "instances": [{"id": identifier, "writer": True, "multiAz": instance.get("MultiAZ", False)}],
        "backupRetentionDays": instance.get("BackupRetentionPeriod"),
        "deletionProtection": instance.get("DeletionProtection"),
        "manualSnapshots": sorted(s["DBSnapshotIdentifier"] for s in snapshots or []),
        "unavailable": {"manualSnapshots": why} if why else {},
    }


def snapshot_database(
    clients: Clients, outputs: dict[str, Any], now: dt.datetime | None = None
) -> dict[str, Any]:
    identifier = outputs["clusterIdentifier"]
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%d-%H%M%S")
    name = f"{identifier}-manual-{stamp}"
    tags = [{"Key": "muon:created-by", "Value": "muon db snapshot"}]
    if outputs.get("kind") == "instance":
        snapshot = clients("rds").create_db_snapshot(
            DBInstanceIdentifier=identifier, DBSnapshotIdentifier=name, Tags=tags
        )["DBSnapshot"]
    else:
        snapshot = clients("rds").create_db_cluster_snapshot(
            DBClusterIdentifier=identifier, DBClusterSnapshotIdentifier=name, Tags=tags
        )["DBClusterSnapshot"]
    return {
        "snapshot": name,
        "status": snapshot.get("Status"),
        "cluster": identifier,
        "kind": outputs.get("kind"),
    }


def wait_snapshot(
    clients: Clients, cluster: str, snapshot: str, timeout: int = 3600, *, instance: bool = False
) -> None:
    config = {"Delay": 30, "MaxAttempts": max(1, timeout // 30)}
    if instance:
        clients("rds").get_waiter("db_snapshot_available").wait(
            DBInstanceIdentifier=cluster, DBSnapshotIdentifier=snapshot, WaiterConfig=config
        )
        return
    clients("rds").get_waiter("db_cluster_snapshot_available").wait(
        DBClusterIdentifier=cluster, DBClusterSnapshotIdentifier=snapshot, WaiterConfig=config
    )


def parameter_name(outputs: dict[str, Any]) -> str:
    arn = outputs["passwordParameterArn"]
    return arn.split(":parameter", 1)[1]


def get_password(clients: Clients, outputs: dict[str, Any]) -> str:
    return clients("ssm").get_parameter(Name=parameter_name(outputs), WithDecryption=True)["Parameter"][
        "Value"
    ]


def set_password(
    clients: Clients, outputs: dict[str, Any], value: str, stack: str, service: str
) -> dict[str, Any]:
    if not 8 <= len(value) <= 41 or PASSWORD_FORBIDDEN & set(value):
        raise UsageError(
            'the password must be 8-41 characters, without "/", "@", \'"\' or spaces (RDS rules)'
        )
    ssm = clients("ssm")
    name = parameter_name(outputs)
    tags = {
        t["Key"]: t["Value"]
        for t in ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    }
    if MANAGED_BY_TAG in tags:
        raise RefusedError(
            f"{name} is generated and kept by muon (stack {tags[MANAGED_BY_TAG]}): raise "
            f"services.{service}.database.passwordVersion in muon.yaml and `pulumi up` to rotate it"
        )
    described = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
    key_id = described[0].get("KeyId") if described else None
    put: dict[str, Any] = {"Name": name, "Value": value, "Type": "SecureString", "Overwrite": True}
    if key_id:
        put["KeyId"] = key_id  # keep the customer's key; an overwrite without one falls back to aws/ssm
    version = ssm.put_parameter(**put)["Version"]
    return {
        "parameter": name,
        "version": version,
        "next": (
            f"the cluster takes the new password at the next `pulumi up -s {stack}` (muon passes the "
            f"parameter's version to RDS); then `muon service restart {service}` so tasks read it"
        ),
    }


# -- pipeline -------------------------------------------------------------------------------------


def pending_approval(state: dict[str, Any]) -> tuple[str, str, str] | None:
    """(stage, action, token) of the approval waiting in a pipeline state, if any."""
    for stage in state.get("stageStates", []):
        for action in stage.get("actionStates", []):
            latest = action.get("latestExecution") or {}
            if latest.get("status") == "InProgress" and latest.get("token"):
                return stage["stageName"], action["actionName"], latest["token"]
    return None


def answer_approval(clients: Clients, pipeline: str, approve: bool, comment: str) -> dict[str, Any]:
    codepipeline = clients("codepipeline")
    state = codepipeline.get_pipeline_state(name=pipeline)
    waiting = pending_approval(state)
    if waiting is None:
        raise RefusedError(f"no approval is waiting in pipeline {pipeline}")
    stage, action, token = waiting
    status = "Approved" if approve else "Rejected"
    codepipeline.put_approval_result(
        pipelineName=pipeline,
        stageName=stage,
        actionName=action,
        result={"summary": comment or f"{status} with muon", "status": status},
        token=token,
    )
    return {"pipeline": pipeline, "stage": stage, "action": action, "result": status}
