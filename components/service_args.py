"""What a Service is given: its typed arguments, the environment's wiring, and Fargate's sizes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import pulumi

from muon.components.cluster import CapacityItem
from muon.components.container_args import LogRouting, Sidecar, TopicAccess
from muon.components.context import AwsContext
from muon.components.scaling import ScalingConfig
from muon.components.storage_args import StorageAccess

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
    """The load balancer's check of each task. Defaults tuned for deployment speed (ECS guide,
    "Optimize load balancer health check parameters"): a new task is healthy in 30 s, a broken
    one out in 45 s, where the ELB defaults (30 s, 5 healthy) take minutes."""

    path: str = "/"
    """Default ``/``: every web server answers it; point it at a cheap health endpoint."""
    matcher: str = "200-399"
    """Default 200-399: a redirect (to a login page, say) is alive too."""
    interval: int = 15
    """Seconds between checks; default 15."""
    timeout: int = 5
    """Seconds before a check fails; default 5 (the ELB default for IP targets over HTTP)."""
    healthy_threshold: int = 2
    """Checks in a row before a new task takes traffic; default 2."""
    unhealthy_threshold: int = 3
    """Failures in a row before a task stops taking traffic; default 3."""


@dataclass(frozen=True)
class ContainerHealthCheck:
    """ECS's check inside the container (a container failure the load balancer cannot see).
    Defaults are ECS's own (``HealthCheck`` in the task definition reference)."""

    command: tuple[str, ...]
    """``("CMD-SHELL", "curl -f http://localhost/ || exit 1")``; required: only the image knows."""
    interval: int = 30
    """Seconds between checks; default 30 (ECS's)."""
    timeout: int = 5
    """Seconds before a check fails; default 5 (ECS's)."""
    retries: int = 3
    """Failures in a row before the container is unhealthy; default 3 (ECS's)."""
    start_period: int = 0
    """Seconds of grace at start; default 0 (ECS's: off): a slow starter sets it."""


@dataclass(frozen=True)
class Permission:
    """One statement of the task role: both fields required, never a wildcard by default."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]


@dataclass(frozen=True)
class ManagedSecret:
    """A Secrets Manager secret ECS injects (ECS developer guide, "Pass Secrets Manager secrets
    through Amazon ECS environment variables"); every field is what the definition named."""

    value_from: str
    """The task definition's ``valueFrom``: the secret's ARN, then ``:json-key:version-stage:version-id``
    when one of them is given (empty fields stay empty)."""
    arn: str
    """What IAM matches: the complete ARN, or a name's ARN followed by ``-??????`` (the six
    characters Secrets Manager appends; Secrets Manager user guide, "Resource: ARN with wildcards")."""
    key_arn: str | None = None
    """The customer managed KMS key it is encrypted with; default None: AWS's own key, for which
    the execution role needs no grant."""


@dataclass(frozen=True)
class DatabaseAccess:
    """What the service's tasks need to reach their own database (from the Database component)."""

    security_group_id: pulumi.Input[str]
    """The database's security group: the service adds the one rule admitting its tasks."""
    port: int
    password_parameter_arn: str
    password_key_arn: pulumi.Input[str] | None
    """None: the customer's own parameter, encrypted with a key muon does not know."""
    iam_connect_arn: pulumi.Input[str] | None = None
    """``arn:aws:rds-db:…:dbuser:<cluster resource id>/<user>`` when IAM authentication is on;
    default None: the task role gets no ``rds-db:connect``."""
    password_version: str = ""
    """Changes with the password (ECS reads secrets only when a task starts: a new value must
    change the task definition, or no task ever sees it). Default empty: no label."""


@dataclass(frozen=True)
class EnvironmentWiring:
    """What a service needs from the environment it runs in (``Environment.wiring()``, or an
    attached environment's contract). Its values are the environment's, not choices: the fields
    without a default have none that could be right."""

    cluster_name: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    provider: Literal["fargate", "ec2"]
    capacity_strategy: tuple[CapacityItem, ...]
    """The cluster's capacity providers and weights (Spot, on-demand base)."""
    vpc_id: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[list[str]]
    """Where tasks run: private subnets, never a public IP."""
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
    """The environment's KMS key: log groups and parameters are encrypted with it."""
    alarm_topic_arn: pulumi.Input[str]
    log_retention_days: int
    production: bool
    task_metrics: bool = False
    """Container Insights is on: ECS publishes RunningTaskCount (a worker's backlog per task, the
    no-task alarm). Without it the metric does not exist and an alarm on it would never clear.
    Default False: no alarm on a metric that may not exist."""
    service_connect_namespace_arn: pulumi.Input[str] | None = None
    """The environment's Cloud Map namespace, when a backend service lives there; default None."""
    proxy_variables: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    """HTTP_PROXY, HTTPS_PROXY and NO_PROXY for every task (cluster.httpProxy); default none."""
    load_balancer_group: str | None = None
    """The load balancer it is behind, by its ``loadBalancer`` name; None: the environment's first."""
    incident_log_arn: pulumi.Input[str] | None = None
    """The log group the environment's incident rules write their events to (None: no target)."""
    private_route_table_ids: tuple[pulumi.Input[str], ...] = ()
    """One per zone, for extensions (a VPN gateway's route propagation); empty when the routes
    are not muon's (an existing VPC, an attached environment)."""


@dataclass(frozen=True)
class IncidentThresholds:
    """When a service is in an incident (``incident.py``); no defaults: the tiers choose them."""

    error_rate_percent: float
    latency_p99_seconds: float
    minimum_tasks: int
    """The service's minimum task count; below it (for 5 minutes) is an incident. 0: not watched."""
    scales_to_zero: bool = False
    """Zero tasks is planned (a schedule, a minimum of 0): the minimum is judged against the
    desired count, never above it."""


@dataclass(frozen=True)
class QueueAccess:
    """A worker's queue, as its consumer and its publishers see it (from the WorkerQueue)."""

    worker: str
    url: pulumi.Input[str]
    arn: pulumi.Input[str]
    name: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    """The queue's KMS key: consuming needs Decrypt, publishing GenerateDataKey too."""
    dead_letter_alarm: str = ""
    """The dead-letter alarm's name (``<queue>-dead-letters``)."""
    dead_letter_alarm_name: pulumi.Input[str] | None = None
    """Messages failing into the dead-letter queue: what rolls a bad worker revision back. Default
    None: the worker has no rollback alarm."""


@dataclass(frozen=True)
class ServiceConnect:
    """Service Connect in the environment's namespace: as a client (every caller), and serving
    ``http://<service>:<port>`` when the service is a backend."""

    namespace_arn: pulumi.Input[str]
    serve: bool


@dataclass(frozen=True, kw_only=True)
class ServiceArgs:
    """A Service's arguments. Every default is what a service built on its own should get: non-root,
    read-only, private, two tasks rolled out without losing capacity, rolled back when unhealthy.
    Keyword-only, so that a default never depends on the fields' order."""

    context: AwsContext
    """Account, region, partition and namespace; required."""
    environment: str
    """Names the service's resources (``<namespace>-<environment>-<service>``); required."""
    service: str
    """Names the service's resources, and its Service Connect name; required."""
    wiring: EnvironmentWiring
    """The environment it runs in; required."""
    image: pulumi.Input[str] | None
    """Required. None: no image exists yet. The service is created with no task and cannot scale
    until one arrives (the bootstrap of a new environment, before the pipeline's first run)."""
    port: int | None
    """Required: the container port (no guess is safe). None: a worker, which listens on nothing."""
    priority: int | None
    """The listener rule's priority (web services only); required, so that two services never race
    for one (ALB priorities are unique per listener). None: not behind the load balancer."""
    scaling: ScalingConfig = field(default_factory=ScalingConfig)
    """Default: 2 to 20 tasks on CPU, mu's steps (``ScalingConfig``)."""
    cpu_architecture: Literal["X86_64", "ARM64"] = "X86_64"
    """What the image is built for and the tasks run on; default X86_64. ARM64: Fargate's Graviton,
    or an EC2 cluster whose hosts are Graviton types (the definition matches the two)."""
    cpu: int = 256
    """CPU units; default 256 (a quarter vCPU), Fargate's smallest size, as CDK's task definitions."""
    memory: int = 512
    """MiB; default 512, Fargate's smallest memory for 256 CPU units, as CDK's task definitions."""
    kind: Literal["web", "backend", "worker"] = "web"
    """Default ``web``: behind the environment's load balancer."""
    path_patterns: tuple[str, ...] = ()
    """The listener rule's path conditions; default none."""
    host_patterns: tuple[str, ...] = ()
    """The listener rule's host conditions; default none."""
    hosts: tuple[str, ...] = ()
    """Full names on the environment's domain: routed like host patterns, with DNS records.
    Default none."""
    allowed_cidrs: tuple[str, ...] = ()
    """The listener rule's source-ip condition: only these addresses reach the service through the
    shared load balancer (the others fall through to the next rule). Default none: every address the
    load balancer admits."""
    stickiness_duration: int | None = None
    """Seconds of the target group's ``lb_cookie`` stickiness; default None: no sticky sessions."""
    protocol: Literal["http", "https"] = "http"
    """To the tasks: https when the image serves TLS itself. Default http: the load balancer ends
    TLS, and the tasks are reachable from its security group only."""
    environment_variables: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    """Plain variables; default none. Anything secret goes to ``secrets``."""
    secrets: dict[str, str] = field(default_factory=dict)
    """Variable name → Parameter Store ARN (injected by ECS, never in plain text); default none."""
    secret_keys: dict[str, str] = field(default_factory=dict)
    """Variable name → the KMS key its parameter is encrypted with, when not the environment's;
    default none: every secret under the environment's key."""
    managed_secrets: dict[str, ManagedSecret] = field(default_factory=dict)
    """Variable name → a Secrets Manager secret (injected by ECS like a parameter); default none."""
    health_check: TargetHealthCheck = TargetHealthCheck()
    """Default: ``/``, 200-399, every 15 s (``TargetHealthCheck``)."""
    grace_period: int = 60
    """Seconds ECS ignores failed load balancer checks of a new task; default 60, so that a slow
    start is not killed before it is ready (ECS's own default is 0)."""
    container_health_check: ContainerHealthCheck | None = None
    """Default None: the image's own HEALTHCHECK, if any (only the image knows its command)."""
    readonly_root_filesystem: bool = True
    """Default True (ECS.5): the container writes only to its /tmp."""
    user: str | None = "1000"
    """Default ``1000``, not root (ECS.20); None: the image's USER."""
    command: tuple[str, ...] = ()
    """The container's command; default empty: the image's CMD (one image, several processes)."""
    entry_point: tuple[str, ...] = ()
    """The container's entry point; default empty: the image's ENTRYPOINT."""
    exec_command: bool = False
    """ECS Exec (a shell in a running task); default False: nobody enters a task."""
    deregistration_delay: int = 60
    """Seconds a stopping task keeps its in-flight requests; default 60, more than the container's
    30-second stop timeout and far less than the ELB's 300 (slow deployments)."""
    minimum_healthy_percent: int = 100
    """Default 100: a deployment never runs fewer healthy tasks than wanted."""
    maximum_percent: int = 200
    """Default 200: a deployment starts the new tasks before it stops the old ones."""
    desired_count: int | None = None
    """Tasks at creation (Application Auto Scaling owns the count afterwards); default None: the
    scaling minimum."""
    permissions: tuple[Permission, ...] = ()
    """The task role's statements; default none: the task role may do nothing."""
    database: DatabaseAccess | None = None
    """The service's own database; default None."""
    image_repository_arn: pulumi.Input[str] | None = None
    """The ECR repository the image is pulled from (None: another registry, or no image); default
    None: the execution role may pull from no repository."""
    execution_role_arn: str | None = None
    """A pre-created execution role (``roles.execution``): muon creates and attaches nothing.
    Default None: muon's, scoped to this service's image, logs and parameters."""
    task_role_arn: str | None = None
    """A pre-created task role (``roles.task``); default None: muon's, with ``permissions`` only."""
    service_connect: ServiceConnect | None = None
    """Default None: not in the environment's Service Connect namespace."""
    queue: QueueAccess | None = None
    """A worker's own queue: receive and delete only. Default None."""
    publishes_to: tuple[QueueAccess, ...] = ()
    """Workers' queues this service may send to; default none."""
    sidecars: tuple[Sidecar, ...] = ()
    """More containers in the task; default none: the service's own container only."""
    depends_on: tuple[tuple[str, str], ...] = ()
    """(sidecar, ECS condition) pairs the app waits for; default none."""
    target_container: str = "app"
    """The container the load balancer sends to; default ``app``, the service's own."""
    logging: LogRouting | None = None
    """FireLens log routing; default None: every container logs to the service's log group (awslogs)."""
    tracing: bool = False
    """X-Ray through an ADOT collector beside the app; default False: no collector, no grants."""
    topics: tuple[TopicAccess, ...] = ()
    """SNS topics the service publishes to; default none."""
    storage: StorageAccess | None = None
    """The service's own buckets, tables and volumes (``storage.py``): its task role's grants, its
    volumes and mount points. Default None: no storage of its own."""
    incident: IncidentThresholds | None = None
    """Thresholds of the service's incident alarms, combined in one composite alarm that pages;
    default None: every alarm pages on its own."""
    tags: dict[str, str] = field(default_factory=dict)
    """On every resource of the service; default none (the stack's tags come by transformation)."""

    @property
    def traffic_port(self) -> int | None:
        """The port the load balancer sends to: the target container's."""
        for sidecar in self.sidecars:
            if sidecar.name == self.target_container:
                return sidecar.port
        return self.port

    @property
    def initial_count(self) -> int:
        """The tasks the ECS service starts with: ``desired_count``, else the scaling minimum."""
        return self.desired_count if self.desired_count is not None else self.scaling.min_capacity


AWAITING_IMAGE = "muon.invalid/awaiting-first-image:none"
"""What the task definition names while no image exists: a registry that can never resolve
(RFC 2606 ``.invalid``), under a service held at zero tasks. No stand-in image ever runs."""


def awaiting_image(args: ServiceArgs) -> ServiceArgs:
    """With no image yet: zero tasks, and scaling held at zero (schedules too) until one arrives."""
    if args.image is not None:
        return args
    held = replace(args.scaling, min_capacity=0, max_capacity=0, schedules=())
    # Zero tasks on purpose: nothing is below its minimum (incident.py) until the image arrives.
    incident = replace(args.incident, minimum_tasks=0) if args.incident is not None else None
    return replace(
        args,
        image=AWAITING_IMAGE,
        desired_count=0,
        scaling=held,
        image_repository_arn=None,
        incident=incident,
    )
