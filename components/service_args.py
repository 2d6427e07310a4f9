"""What a Service is given: its typed arguments, the environment's wiring, and Fargate's sizes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import pulumi

from muon.components.cluster import CapacityItem
from muon.components.context import AwsContext
from muon.components.scaling import ScalingConfig

# Fargate's valid CPU → memory (MiB) combinations (ECS developer guide, "Task size").
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}


def fargate_size_problem(cpu: int, memory: int) -> str | None:
    """Why ``cpu``/``memory`` cannot run on Fargate, or None when they can."""
    if cpu not in FARGATE_SIZES:
        return f"Fargate CPU must be one of {', '.join(map(str, FARGATE_SIZES))}, got {cpu}"
    allowed = FARGATE_SIZES[cpu]
    if memory not in allowed:
        if len(allowed) <= 4:
            choices = ", ".join(map(str, allowed))
        else:
            choices = f"{allowed[0]}-{allowed[-1]} in steps of {allowed[1] - allowed[0]}"
        return f"Fargate with cpu {cpu} takes memory {choices} MiB, got {memory}"
    return None


@dataclass(frozen=True)
class TargetHealthCheck:
    path: str = "/"
    matcher: str = "200-399"
    interval: int = 15
    timeout: int = 5
    healthy_threshold: int = 2
    unhealthy_threshold: int = 3


@dataclass(frozen=True)
class ContainerHealthCheck:
    command: tuple[str, ...]
    interval: int = 30
    timeout: int = 5
    retries: int = 3
    start_period: int = 0


@dataclass(frozen=True)
class Permission:
    actions: tuple[str, ...]
    resources: tuple[str, ...]


@dataclass(frozen=True)
class DatabaseAccess:
    """What the service's tasks need to reach their own database."""

    security_group_id: pulumi.Input[str]
    port: int
    password_parameter_arn: str
    password_key_arn: pulumi.Input[str] | None
    """None: the customer's own parameter, encrypted with a key muon does not know."""
    iam_connect_arn: pulumi.Input[str] | None = None
    """``arn:aws:rds-db:…:dbuser:<cluster resource id>/<user>`` when IAM authentication is on."""
    password_version: str = ""
    """Changes with the password (ECS reads secrets only when a task starts: a new value must
    change the task definition, or no task ever sees it)."""


@dataclass(frozen=True)
class EnvironmentWiring:
    """What a service needs from the environment it runs in."""

    cluster_name: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    provider: Literal["fargate", "ec2"]
    capacity_strategy: tuple[CapacityItem, ...]
    vpc_id: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[list[str]]
    listener_arn: pulumi.Input[str]
    load_balancer_security_group_id: pulumi.Input[str]
    load_balancer_arn_suffix: pulumi.Input[str]
    load_balancer_url: pulumi.Input[str]
    load_balancer_dns_name: pulumi.Input[str]
    load_balancer_zone_id: pulumi.Input[str]
    domain: str | None
    """The environment's domain (HTTPS, DNS records); None: the load balancer's own name."""
    zone_id: pulumi.Input[str] | None
    key_arn: pulumi.Input[str]
    alarm_topic_arn: pulumi.Input[str]
    log_retention_days: int
    production: bool
    task_metrics: bool = False
    """Container Insights is on: ECS publishes RunningTaskCount (a worker's backlog per task, the
    no-task alarm). Without it the metric does not exist and an alarm on it would never clear."""
    service_connect_namespace_arn: pulumi.Input[str] | None = None
    """The environment's Cloud Map namespace, when a backend service lives there."""
    proxy_variables: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    """HTTP_PROXY, HTTPS_PROXY and NO_PROXY for every task (cluster.httpProxy)."""
    incident_log_arn: pulumi.Input[str] | None = None
    """The log group the environment's incident rules write their events to (None: no target)."""
    private_route_table_ids: tuple[pulumi.Input[str], ...] = ()
    """One per zone, for extensions (a VPN gateway's route propagation); empty when the routes
    are not muon's (an existing VPC, an attached environment)."""


@dataclass(frozen=True)
class IncidentThresholds:
    error_rate_percent: float
    latency_p99_seconds: float
    minimum_tasks: int
    """The service's minimum task count; below it (for 5 minutes) is an incident. 0: not watched."""


@dataclass(frozen=True)
class QueueAccess:
    """A worker's queue, as its consumer and its publishers see it."""

    worker: str
    url: pulumi.Input[str]
    arn: pulumi.Input[str]
    name: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    dead_letter_alarm: str = ""
    """The dead-letter alarm's name (``<queue>-dead-letters``)."""
    dead_letter_alarm_name: pulumi.Input[str] | None = None
    """Messages failing into the dead-letter queue: what rolls a bad worker revision back."""


@dataclass(frozen=True)
class ServiceConnect:
    """Service Connect in the environment's namespace: as a client (every caller), and serving
    ``http://<service>:<port>`` when the service is a backend."""

    namespace_arn: pulumi.Input[str]
    serve: bool


@dataclass(frozen=True)
class ServiceArgs:
    context: AwsContext
    environment: str
    service: str
    wiring: EnvironmentWiring
    scaling: ScalingConfig
    image: pulumi.Input[str] | None
    """None: no image exists yet. The service is created with no task and cannot scale until one
    arrives (the bootstrap of a new environment, before the pipeline's first run)."""
    port: int | None
    """None: a worker, which listens on nothing."""
    cpu: int
    memory: int
    priority: int | None
    """The listener rule's priority (web services only)."""
    kind: Literal["web", "backend", "worker"] = "web"
    path_patterns: tuple[str, ...] = ()
    host_patterns: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    """Full names on the environment's domain: routed like host patterns, with DNS records."""
    protocol: Literal["http", "https"] = "http"
    """To the tasks: https when the image serves TLS itself."""
    environment_variables: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    """Variable name → Parameter Store ARN (injected by ECS, never in plain text)."""
    health_check: TargetHealthCheck = TargetHealthCheck()
    grace_period: int = 60
    container_health_check: ContainerHealthCheck | None = None
    readonly_root_filesystem: bool = True
    user: str | None = "1000"
    exec_command: bool = False
    deregistration_delay: int = 60
    minimum_healthy_percent: int = 100
    maximum_percent: int = 200
    desired_count: int = 1
    permissions: tuple[Permission, ...] = ()
    database: DatabaseAccess | None = None
    image_repository_arn: pulumi.Input[str] | None = None
    """The ECR repository the image is pulled from (None: another registry, or no image)."""
    execution_role_arn: str | None = None
    """A pre-created execution role (``roles.execution``): muon creates and attaches nothing."""
    task_role_arn: str | None = None
    """A pre-created task role (``roles.task``)."""
    service_connect: ServiceConnect | None = None
    queue: QueueAccess | None = None
    """A worker's own queue: receive and delete only."""
    publishes_to: tuple[QueueAccess, ...] = ()
    incident: IncidentThresholds | None = None
    """Thresholds of the service's incident alarms, combined in one composite alarm that pages;
    None: every alarm pages on its own."""
    """Workers' queues this service may send to."""
    tags: dict[str, str] = field(default_factory=dict)


AWAITING_IMAGE = "muon.invalid/awaiting-first-image:none"
"""What the task definition names while no image exists: a registry that can never resolve
(RFC 2606 ``.invalid``), under a service held at zero tasks. No stand-in image ever runs."""


def awaiting_image(args: ServiceArgs) -> ServiceArgs:
    """With no image yet: zero tasks, and scaling held at zero (schedules too) until one arrives."""
    if args.image is not None:
        return args
    held = replace(args.scaling, min_capacity=0, max_capacity=0, schedules=())
    return replace(args, image=AWAITING_IMAGE, desired_count=0, scaling=held, image_repository_arn=None)
