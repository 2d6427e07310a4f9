"""The task's containers beside the service's own: its sidecars, the FireLens log router and the
tracing collector, and what the task role needs for them."""

from __future__ import annotations

from typing import Any

import pulumi

from muon.components.policies import allow
from muon.components.service_args import (
    ContainerHealthCheck,
    LogRouting,
    ManagedSecret,
    ServiceArgs,
    Sidecar,
    TopicAccess,
)

LOG_ROUTER = "log-router"
COLLECTOR = "otel-collector"
FLUENT_BIT_IMAGE = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
"""AWS for Fluent Bit from the ECR Public Gallery; ``stable`` is the tag AWS names for production
(ECS developer guide, "Using the AWS for Fluent Bit image"; github.com/aws/aws-for-fluent-bit)."""
COLLECTOR_IMAGE = "public.ecr.aws/aws-observability/aws-otel-collector:v0.45.1"
"""AWS Distro for OpenTelemetry's collector, pinned (a muon upgrade moves it)."""
COLLECTOR_CONFIG = "--config=/etc/ecs/ecs-default-config.yaml"
"""The image's ECS configuration: OTLP on 4317/4318 and the X-Ray daemon protocol on UDP 2000
to X-Ray (aws-otel-collector, config/ecs/ecs-default-config.yaml). Its EMF metrics pipeline gets
no grant here: muon sends traces, not metrics."""
TRACING_VARIABLES = {
    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4317",
    "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
    "AWS_XRAY_DAEMON_ADDRESS": "localhost:2000",
}
"""What an OpenTelemetry or X-Ray SDK in the app reads to find the collector (the task's
containers share localhost in awsvpc mode). 4317 is OTLP/gRPC: the OTel specification's default
protocol is http/protobuf (4318), so the protocol is set too."""
LOG_GROUP = "${muon:service-log-group}"
"""Stands for the service's log group name in a log option until it is known."""
ROUTER_MEMORY = 50
"""MiB reserved for Fluent Bit: the ECS developer guide's FireLens examples reserve 50."""


def tmpfs() -> dict[str, Any]:
    # A writable /tmp under a read-only root, as the app's (service_task.container).
    return {
        "initProcessEnabled": True,
        "tmpfs": [{"containerPath": "/tmp", "size": 64, "mountOptions": ["mode=1777"]}],  # noqa: S108
    }


def awslogs(args: ServiceArgs, prefix: str) -> dict[str, Any]:
    """To the service's log group (its name is filled in once known)."""
    return {
        "logDriver": "awslogs",
        "options": {"awslogs-region": args.context.region, "awslogs-stream-prefix": prefix},
    }


def firelens(args: ServiceArgs, logging: LogRouting, prefix: str) -> dict[str, Any]:
    """``awsfirelens`` with the output plugin's options (Fluent Bit's cloudwatch_logs and
    kinesis_firehose outputs; the group or stream exists: nothing is created on the way)."""
    if logging.destination == "firehose":
        assert logging.delivery_stream is not None  # the definition requires one
        options = {
            "Name": "kinesis_firehose",
            "region": args.context.region,
            "delivery_stream": logging.delivery_stream,
        }
    else:
        options = {
            "Name": "cloudwatch_logs",
            "region": args.context.region,
            "log_group_name": logging.log_group or LOG_GROUP,
            "log_stream_prefix": f"{prefix}/",
            "auto_create_group": "false",
        }
    return {"logDriver": "awsfirelens", "options": options}


def log_configuration(args: ServiceArgs, prefix: str) -> dict[str, Any]:
    return firelens(args, args.logging, prefix) if args.logging is not None else awslogs(args, prefix)


def health_check(check: ContainerHealthCheck) -> dict[str, Any]:
    return {
        "command": list(check.command),
        "interval": check.interval,
        "timeout": check.timeout,
        "retries": check.retries,
        "startPeriod": check.start_period,
    }


def sidecar_definition(args: ServiceArgs, sidecar: Sidecar) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "name": sidecar.name,
        "image": sidecar.image,
        "essential": sidecar.essential,
        "portMappings": [{"name": sidecar.name, "containerPort": sidecar.port, "protocol": "tcp"}]
        if sidecar.port is not None
        else [],
        "readonlyRootFilesystem": sidecar.readonly_root_filesystem,
        "privileged": False,
        "stopTimeout": 30,
        "linuxParameters": tmpfs(),
        "secrets": [
            {"name": k, "valueFrom": v}
            for k, v in sorted(
                {**sidecar.secrets, **{n: m.value_from for n, m in sidecar.managed_secrets.items()}}.items()
            )
        ],
        "logConfiguration": log_configuration(args, sidecar.name),
    }
    if sidecar.depends_on:
        definition["dependsOn"] = [{"containerName": c, "condition": w} for c, w in sidecar.depends_on]
    if sidecar.command:
        definition["command"] = list(sidecar.command)
    if sidecar.user is not None:
        definition["user"] = sidecar.user
    if sidecar.cpu is not None:
        definition["cpu"] = sidecar.cpu
    if sidecar.memory is not None:
        definition["memory"] = sidecar.memory
    if sidecar.health_check is not None:
        definition["healthCheck"] = health_check(sidecar.health_check)
    return definition


def log_router_definition(args: ServiceArgs, logging: LogRouting) -> dict[str, Any]:
    """Fluent Bit as FireLens: ECS starts it before the containers that log through it and stops
    it after them (ECS developer guide, "Send Amazon ECS logs to an AWS service or AWS Partner").
    Its own logs go to the service's log group. It runs as root: FireLens's socket lives in a
    directory only root may write (containers-roadmap#2122, "Support FireLens container as
    non-root user", open): the documented ECS.20 exception (policy/exceptions.py)."""
    return {
        "name": LOG_ROUTER,
        "image": FLUENT_BIT_IMAGE,
        "essential": True,
        "firelensConfiguration": {
            "type": "fluentbit",
            "options": {"enable-ecs-log-metadata": "true" if logging.enable_metadata else "false"},
        },
        "memoryReservation": ROUTER_MEMORY,
        "readonlyRootFilesystem": True,
        "privileged": False,
        "user": "0",
        "linuxParameters": tmpfs(),
        "portMappings": [],
        "secrets": [],
        "logConfiguration": awslogs(args, "firelens"),
    }


def collector_definition(args: ServiceArgs) -> dict[str, Any]:
    """The ADOT collector: not essential, so that losing traces never stops the service. The
    image runs as its own non-root user (aoc, UID 4317: aws-otel-collector's
    cmd/awscollector/Dockerfile, USER_UID=4317)."""
    return {
        "name": COLLECTOR,
        "image": COLLECTOR_IMAGE,
        "essential": False,
        "command": [COLLECTOR_CONFIG],
        "readonlyRootFilesystem": True,
        "privileged": False,
        "user": "4317",
        "linuxParameters": tmpfs(),
        "portMappings": [],
        "secrets": [],
        "logConfiguration": awslogs(args, "otel"),
    }


def extra_containers(args: ServiceArgs) -> list[tuple[dict[str, Any], dict[str, pulumi.Input[str]]]]:
    """Every container but the app's, with its variables: the sidecars in the definition's order,
    then the log router and the collector."""
    containers = [(sidecar_definition(args, s), s.environment) for s in args.sidecars]
    if args.logging is not None:
        containers.append((log_router_definition(args, args.logging), {}))
    if args.tracing:
        containers.append((collector_definition(args), {}))
    return containers


def with_log_group(configuration: dict[str, Any], group: str) -> dict[str, Any]:
    """The log configuration once the service's log group name is known."""
    options = configuration["options"]
    if configuration["logDriver"] == "awslogs":
        return {**configuration, "options": {**options, "awslogs-group": group}}
    return {**configuration, "options": {k: group if v == LOG_GROUP else v for k, v in options.items()}}


def observability_statements(
    args: ServiceArgs, log_group_arn: pulumi.Input[str] | None
) -> list[dict[str, Any]]:
    """The task role's grants for FireLens (Fluent Bit runs with the task role) and tracing."""
    statements = []
    logging = args.logging
    if logging is not None and logging.destination == "firehose":
        stream = args.context.arn("firehose", f"deliverystream/{logging.delivery_stream}")
        statements.append(allow("firehose:PutRecordBatch", stream, Sid="RouteLogsToFirehose"))
    elif logging is not None:
        group: pulumi.Input[str] = (
            f"{args.context.arn('logs', f'log-group:{logging.log_group}')}:*"
            if logging.log_group is not None
            else pulumi.Output.from_input(log_group_arn).apply(lambda arn: f"{arn}:*")
        )
        # Fluent Bit's cloudwatch_logs output: CreateLogStream and PutLogEvents (CreateLogGroup only
        # with auto_create_group, which muon leaves off).
        statements.append(
            allow(["logs:CreateLogStream", "logs:PutLogEvents"], group, Sid="RouteLogsToCloudWatch")
        )
    if args.tracing:
        # These four X-Ray actions take no resource-level permissions (Service Authorization
        # Reference, "Actions, resources, and condition keys for AWS X-Ray"; X-Ray developer
        # guide, "Identity and access management for AWS X-Ray"): "*" is all AWS offers.
        statements.append(
            allow(
                [
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                ],
                "*",
                Sid="SendTraces",
            )
        )
    return statements


def topic_statements(topics: tuple[TopicAccess, ...]) -> list[dict[str, Any]]:
    """Publish to exactly the service's own topics; encrypted topics need GenerateDataKey and
    Decrypt on their key from the publisher (SNS developer guide, "Encryption at rest")."""
    if not topics:
        return []
    arns = [t.arn for t in topics]
    return [
        allow("sns:Publish", arns if len(arns) > 1 else arns[0], Sid="PublishToOwnTopics"),
        allow(["kms:GenerateDataKey*", "kms:Decrypt"], topics[0].key_arn, Sid="EncryptForOwnTopics"),
    ]


def sidecar_secrets(args: ServiceArgs) -> tuple[dict[str, str], dict[str, str], dict[str, ManagedSecret]]:
    """The sidecars' secrets, their own keys and their Secrets Manager secrets, keyed
    ``<sidecar>.<variable>`` beside the app's."""
    secrets = {f"{s.name}.{k}": v for s in args.sidecars for k, v in s.secrets.items()}
    keys = {f"{s.name}.{k}": v for s in args.sidecars for k, v in s.secret_keys.items()}
    managed = {f"{s.name}.{k}": m for s in args.sidecars for k, m in s.managed_secrets.items()}
    return secrets, keys, managed
