"""Controls on ECS tasks and services, scaling, repositories, databases and parameters."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from muon.policy.checks import (
    SECRET_NAME,
    Finding,
    Resource,
    _of,
    rule,
)


@rule
def task_definitions(resources: Sequence[Resource]) -> Iterable[Finding]:
    for task in _of(resources, "aws:ecs/taskDefinition:TaskDefinition"):
        inputs = task.inputs
        if inputs.get("networkMode") != "awsvpc":
            yield Finding("ECS.17", task.name, "network mode is not awsvpc")
        if "host" in (inputs.get("pidMode"), inputs.get("ipcMode")):
            yield Finding("ECS.3", task.name, "shares the host's process or IPC namespace")
        if inputs.get("taskRoleArn") and inputs.get("taskRoleArn") == inputs.get("executionRoleArn"):
            yield Finding("CKV_AWS_249", task.name, "task role is the execution role")
        for container in json.loads(inputs.get("containerDefinitions") or "[]"):
            label = f"{task.name}/{container.get('name')}"
            if container.get("privileged"):
                yield Finding("ECS.4", label, "privileged container")
            if container.get("readonlyRootFilesystem") is not True:
                yield Finding("ECS.5", label, "root filesystem is writable")
            if str(container.get("user", "root")).split(":")[0] in ("root", "0"):
                yield Finding("ECS.20", label, "runs as root")
            if not (container.get("logConfiguration") or {}).get("logDriver"):
                yield Finding("ECS.9", label, "no log configuration")
            for variable in container.get("environment") or []:
                if any(word in variable["name"].upper() for word in SECRET_NAME):
                    yield Finding("ECS.8", label, f"secret-like variable {variable['name']} in plain text")


@rule
def ecs_services(resources: Sequence[Resource]) -> Iterable[Finding]:
    alarm_names = {a.inputs.get("name") for a in _of(resources, "aws:cloudwatch/metricAlarm:MetricAlarm")}
    for service in _of(resources, "aws:ecs/service:Service"):
        inputs = service.inputs
        if (inputs.get("networkConfiguration") or {}).get("assignPublicIp"):
            yield Finding("ECS.2", service.name, "tasks get public IPs")
        if inputs.get("platformVersion") not in (None, "LATEST", "1.4.0"):
            yield Finding("ECS.10", service.name, "old Fargate platform version")
        if inputs.get("deploymentCircuitBreaker") != {"enable": True, "rollback": True}:
            yield Finding("ECS-DEPLOY-1", service.name, "no circuit breaker with rollback")
        alarms = inputs.get("alarms") or {}
        if not (
            alarms.get("enable")
            and alarms.get("rollback")
            and set(alarms.get("alarmNames") or []) & alarm_names
        ):
            yield Finding("ECS-DEPLOY-2", service.name, "no alarm-based rollback on alarms in this stack")
        if (inputs.get("deploymentMinimumHealthyPercent") or 0) < 100 or (
            inputs.get("deploymentMaximumPercent") or 0
        ) < 200:
            yield Finding("ECS-DEPLOY-4", service.name, "rolling update may drop capacity")
        if inputs.get("loadBalancers") and not inputs.get("healthCheckGracePeriodSeconds"):
            yield Finding("ECS-DEPLOY-3", service.name, "no health-check grace period")
        if not inputs.get("waitForSteadyState"):
            yield Finding("ECS-DEPLOY-11", service.name, "pulumi up would not wait for the rollout")


@rule
def scaling(resources: Sequence[Resource]) -> Iterable[Finding]:
    alarms = _of(resources, "aws:cloudwatch/metricAlarm:MetricAlarm")
    # A worker scales to zero on an empty queue by design (its queue, not its tasks, holds the
    # work): its scaling alarms read SQS metrics, next to its scalable target.
    queue_scaled = {
        alarm.parent
        for alarm in alarms
        if any(
            (query.get("metric") or {}).get("namespace") == "AWS/SQS"
            for query in alarm.inputs.get("metricQueries") or []
        )
    }
    for target in _of(resources, "aws:appautoscaling/target:Target"):
        # A service awaiting its first image is held at zero (max 0): no capacity to keep yet.
        if target.inputs.get("maxCapacity") == 0 or target.parent in queue_scaled:
            continue
        if (target.inputs.get("minCapacity") or 0) < 2:
            yield Finding("CloudWatch.15-capacity", target.name, "fewer than two tasks at minimum")
    policies = _of(resources, "aws:appautoscaling/policy:Policy")
    directions = {p.name.rsplit("-", 1)[-1] for p in policies}
    if policies and not {"out", "in"} <= directions:
        yield Finding("CloudWatch.15-steps", policies[0].name, "scaling does not go both ways")
    # A child of a composite alarm that acts is acted on through it (one incident, one page).
    paged_through = {
        name
        for composite in _of(resources, "aws:cloudwatch/compositeAlarm:CompositeAlarm")
        if composite.inputs.get("actionsEnabled") and composite.inputs.get("alarmActions")
        for name in re.findall(r'ALARM\("([^"]+)"\)', str(composite.inputs.get("alarmRule", "")))
    }
    for alarm in alarms:
        acts = alarm.inputs.get("actionsEnabled") and alarm.inputs.get("alarmActions")
        if not acts and alarm.inputs.get("name") not in paged_through:
            yield Finding("CloudWatch.15", alarm.name, "alarm has no enabled action")


@rule
def repositories(resources: Sequence[Resource]) -> Iterable[Finding]:
    lifecycles = {p.parent for p in _of(resources, "aws:ecr/lifecyclePolicy:LifecyclePolicy")}
    for repository in _of(resources, "aws:ecr/repository:Repository"):
        inputs = repository.inputs
        if not (inputs.get("imageScanningConfiguration") or {}).get("scanOnPush"):
            yield Finding("ECR.1", repository.name, "images are not scanned on push")
        if inputs.get("imageTagMutability") != "IMMUTABLE":
            yield Finding("ECR.2", repository.name, "tags are mutable")
        encryption = (inputs.get("encryptionConfigurations") or [{}])[0]
        if encryption.get("encryptionType") != "KMS" or not encryption.get("kmsKey"):
            yield Finding("CKV_AWS_136", repository.name, "not encrypted with a customer-managed key")
        if repository.parent not in lifecycles:
            yield Finding("ECR.3", repository.name, "no lifecycle policy")


MONITORING_INTERVALS = {1, 5, 10, 15, 30, 60}
DEFAULT_PORTS = {3306, 5432}
GUESSABLE_USERNAMES = {"admin", "postgres", "root"}
ENGINE_LOG = {
    "aurora-mysql": "audit",
    "aurora-postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "error",
    "mariadb": "error",
}
IAM_AUTHENTICATION_ENGINES = {"aurora-mysql", "aurora-postgresql", "postgres", "mysql"}


def _is_secret(resource: Resource, key: str) -> bool:
    masked = getattr(resource, "masked_inputs", {})
    return key in resource.inputs and masked.get(key) == "[secret]"


def _instance_findings(instance: Resource) -> Iterable[Finding]:
    """What holds for any database instance, an Aurora member or an RDS instance (FSBP uses the
    same ids for both)."""
    inputs, name = instance.inputs, instance.name
    if inputs.get("publiclyAccessible") is not False:
        yield Finding("RDS.2", name, "publicly accessible")
    if inputs.get("autoMinorVersionUpgrade") is not True:
        yield Finding("RDS.13", name, "automatic minor upgrades off")
    if inputs.get("monitoringInterval") not in MONITORING_INTERVALS or not inputs.get("monitoringRoleArn"):
        yield Finding("RDS.6", name, "enhanced monitoring off")


def _insights_encrypted(inputs: dict) -> bool:
    return bool(inputs.get("performanceInsightsEnabled") and inputs.get("performanceInsightsKmsKeyId"))


@rule
def database_clusters(resources: Sequence[Resource]) -> Iterable[Finding]:
    instances = _of(resources, "aws:rds/clusterInstance:ClusterInstance")
    for cluster in _of(resources, "aws:rds/cluster:Cluster"):
        inputs, name = cluster.inputs, cluster.name
        if inputs.get("storageEncrypted") is not True or not inputs.get("kmsKeyId"):
            yield Finding("RDS.27", name, "storage not encrypted with a customer-managed key")
        if inputs.get("deletionProtection") is not True:
            yield Finding("RDS.7", name, "deletion protection off")
        if inputs.get("skipFinalSnapshot") is not False:
            yield Finding("CKV_AWS_139", name, "no final snapshot on delete")
        if (inputs.get("backupRetentionPeriod") or 1) < 7:
            yield Finding("RDS.50", name, "backups kept under 7 days")
        if inputs.get("copyTagsToSnapshot") is not True:
            yield Finding("RDS.16", name, "tags not copied to snapshots")
        if inputs.get("iamDatabaseAuthenticationEnabled") is not True:
            yield Finding("RDS.12", name, "IAM database authentication off")
        if str(inputs.get("masterUsername", "")).lower() in GUESSABLE_USERNAMES:
            yield Finding("RDS.24", name, "guessable master user name")
        if inputs.get("port") in DEFAULT_PORTS:
            yield Finding("RDS.23", name, f"engine default port {inputs.get('port')}")
        engine = inputs.get("engine") or ""  # "": none given (no engine has its log)
        if ENGINE_LOG.get(engine) not in (inputs.get("enabledCloudwatchLogsExports") or []):
            yield Finding("RDS.34", name, f"{ENGINE_LOG.get(engine)} log not exported")
        if engine == "aurora-mysql" and not inputs.get("backtrackWindow"):
            yield Finding("RDS.14", name, "backtracking off")
        # A write-only password (masterPasswordWo) never reaches the state; a plain one must be a
        # secret. (CrossGuard's stack validation sees values, not secretness: there only a plain
        # password given without Secrets Manager is reported, from its key alone.)
        if (
            "masterPassword" in inputs
            and not inputs.get("manageMasterUserPassword")
            and not _is_secret(cluster, "masterPassword")
        ):
            yield Finding("CKV_AWS_337", name, "master password is not a secret")
        members = [
            i for i in instances if i.inputs.get("clusterIdentifier") == inputs.get("clusterIdentifier")
        ]
        zones = {i.inputs.get("availabilityZone") for i in members}
        if len(members) < 2 or len(zones) < 2:
            yield Finding("RDS.15", name, "instances not spread over two or more zones")
    for instance in instances:
        yield from _instance_findings(instance)
        if not _insights_encrypted(instance.inputs):
            yield Finding(
                "CKV_AWS_353", instance.name, "Performance Insights off or not encrypted with a CMK"
            )
    for group in _of(resources, "aws:rds/subnetGroup:SubnetGroup"):
        if len(group.inputs.get("subnetIds") or []) < 2:
            yield Finding("RDS.15", group.name, "subnet group spans fewer than two subnets")


@rule
def database_instances(resources: Sequence[Resource]) -> Iterable[Finding]:
    """RDS DB instances (PostgreSQL, MySQL, MariaDB): the same controls, FSBP's instance ids."""
    for instance in _of(resources, "aws:rds/instance:Instance"):
        inputs, name = instance.inputs, instance.name
        engine = inputs.get("engine") or ""  # "": none given (no engine has its log)
        if inputs.get("storageEncrypted") is not True or not inputs.get("kmsKeyId"):
            yield Finding("RDS.3", name, "storage not encrypted with a customer-managed key")
        if inputs.get("multiAz") is not True:
            yield Finding("RDS.5", name, "no Multi-AZ standby")
        if inputs.get("deletionProtection") is not True:
            yield Finding("RDS.8", name, "deletion protection off")
        if inputs.get("skipFinalSnapshot") is not False:
            yield Finding("CKV_AWS_139", name, "no final snapshot on delete")
        if (inputs.get("backupRetentionPeriod") or 0) < 7:
            yield Finding("RDS.11", name, "backups kept under 7 days")
        if inputs.get("copyTagsToSnapshot") is not True:
            yield Finding("RDS.17", name, "tags not copied to snapshots")
        if (
            engine in IAM_AUTHENTICATION_ENGINES
            and inputs.get("iamDatabaseAuthenticationEnabled") is not True
        ):
            yield Finding("RDS.10", name, "IAM database authentication off")
        if ENGINE_LOG.get(engine) not in (inputs.get("enabledCloudwatchLogsExports") or []):
            yield Finding("RDS.9", name, f"{ENGINE_LOG.get(engine)} log not exported")
        yield from _instance_findings(instance)
        if not _insights_encrypted(inputs):
            yield Finding("CKV_AWS_354", name, "Performance Insights off or not encrypted with a CMK")
        if str(inputs.get("username", "")).lower() in GUESSABLE_USERNAMES:
            yield Finding("RDS.25", name, "guessable master user name")
        if inputs.get("port") in DEFAULT_PORTS:
            yield Finding("RDS.23", name, f"engine default port {inputs.get('port')}")
        if not inputs.get("maxAllocatedStorage"):
            yield Finding("RDS-STORAGE", name, "storage autoscaling off")
        if "password" in inputs and not _is_secret(instance, "password"):
            yield Finding("CKV_AWS_337", name, "master password is not a secret")


@rule
def database_events(resources: Sequence[Resource]) -> Iterable[Finding]:
    if _of(resources, "aws:rds/instance:Instance") and not _of(resources, "aws:rds/cluster:Cluster"):
        subscribed = {
            s.inputs.get("sourceType") for s in _of(resources, "aws:rds/eventSubscription:EventSubscription")
        }
        if "db-instance" not in subscribed:
            yield Finding("RDS.20", "db-instance", "no event subscription for db-instance events")
        return
    if not _of(resources, "aws:rds/cluster:Cluster"):
        return
    subscribed = {
        s.inputs.get("sourceType")
        for s in _of(resources, "aws:rds/eventSubscription:EventSubscription")
        if s.inputs.get("snsTopic") and s.inputs.get("enabled", True)
    }
    for source, control in (("db-cluster", "RDS.19"), ("db-instance", "RDS.20")):
        if source not in subscribed:
            yield Finding(control, source, f"no event subscription for {source} events")


@rule
def parameters(resources: Sequence[Resource]) -> Iterable[Finding]:
    for parameter in _of(resources, "aws:ssm/parameter:Parameter"):
        inputs = parameter.inputs
        secret_like = any(w in str(inputs.get("name", "")).upper() for w in SECRET_NAME)
        if secret_like and inputs.get("type") != "SecureString":
            yield Finding("CKV2_AWS_34", parameter.name, "a secret stored as a plain String")
        if inputs.get("type") == "SecureString" and not inputs.get("keyId"):
            yield Finding("CKV_AWS_337", parameter.name, "SecureString not encrypted with a customer key")


@rule
def host_rotation(resources: Sequence[Resource]) -> Iterable[Finding]:
    """ECS protects every host that runs a task from scale-in, and neither a maximum instance
    lifetime nor a refresh that skips matching hosts replaces them: a schedule must start an
    instance refresh that includes protected hosts, at least every 14 days."""
    schedules = [
        s
        for s in _of(resources, "aws:scheduler/schedule:Schedule")
        if str((s.inputs.get("target") or {}).get("arn", "")).endswith(":autoscaling:startInstanceRefresh")
    ]
    for group in _of(resources, "aws:autoscaling/group:Group"):
        if not group.inputs.get("protectFromScaleIn"):
            continue
        if not any(s.parent == group.parent and _rotates(s.inputs) for s in schedules):
            yield Finding("EC2-HOSTS-1", group.name, "no scheduled instance refresh replaces protected hosts")


def _rotates(schedule: dict[str, Any]) -> bool:
    request = json.loads((schedule.get("target") or {}).get("input") or "{}")
    preferences = request.get("Preferences") or {}
    every = re.fullmatch(r"rate\((\d+) days?\)", schedule.get("scheduleExpression") or "")
    return (
        preferences.get("ScaleInProtectedInstances") == "Refresh"
        and preferences.get("SkipMatching") is False
        and every is not None
        and int(every.group(1)) <= 14
    )
