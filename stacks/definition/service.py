"""A service of ``muon.yaml``: routing, size, scaling, health, variables and secrets, builds."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    model_validator,
)
from pydantic.alias_generators import to_camel

from muon.components.aurora import (
    ENGINES,
    instance_class_problem,
)
from muon.stacks.definition.containers import (
    Condition,
    ContainerHealthCheckSpec,
    LoggingSpec,
    SidecarSpec,
    SubscriptionSpec,
    Topics,
    check_containers,
)
from muon.stacks.definition.database import (
    DatabaseOverride,
    DatabaseSpec,
    _check_pause,
    instance_engine_problem,
)
from muon.stacks.definition.fields import (
    IamRoleArn,
    ImageReference,
    Name,
    SecretReference,
    Spec,
    _PathError,
    pattern,
)
from muon.stacks.definition.types import (
    BuildArguments,
    EnvName,
    File,
    Folder,
    FreeText,
    Host,
    ScalingSchedule,
    ServiceVariables,
    TimeZone,
    Variables,
)
from muon.stacks.definition.workload import (
    Process,
    QueueSpec,
    ServiceKind,
    backlog_scaling_defaults,
)

ScalingMetric = Literal["cpu", "memory", "requests", "backlog"]


class StepSpec(Spec):
    at: float = Field(description="Metric value at which this step starts.")
    change: int = Field(
        ge=-1000, le=1000, description="Tasks to add (scale-out, > 0) or remove (scale-in, < 0)."
    )


class StepPolicySpec(Spec):
    steps: list[StepSpec] = Field(min_length=1)
    cooldown: int = Field(ge=0, le=3600, description="Seconds before another adjustment.")
    period: int = Field(default=300, description="Alarm period in seconds: 10, 30 or a multiple of 60.")
    evaluation_periods: int = Field(ge=1, le=100)

    @model_validator(mode="after")
    def _check(self) -> StepPolicySpec:
        if self.period not in (10, 30) and self.period % 60 != 0:
            raise ValueError(f"period {self.period}: CloudWatch accepts 10, 30 or a multiple of 60 seconds")
        return self


def _default_scale_out() -> StepPolicySpec:
    # mu's policy ("Application Auto Scaling with Amazon ECS"): CPU >= 80 over one 5-minute
    # period adds 2 tasks, cooldown 60 s.
    return StepPolicySpec(steps=[StepSpec(at=80, change=2)], cooldown=60, period=300, evaluation_periods=1)


def _default_scale_in() -> StepPolicySpec:
    # mu's -1 step, given its own low alarm (mu's single alarm could never fire it)
    # and a longer window (3 x 5 minutes) so the service does not flap.
    return StepPolicySpec(steps=[StepSpec(at=30, change=-1)], cooldown=300, period=300, evaluation_periods=3)


class ScheduleSpec(Spec):
    name: Annotated[
        str, pattern(r"^[a-z][a-z0-9-]{0,40}$", "a schedule name of lowercase letters, digits, '-'")
    ]
    schedule: ScalingSchedule
    min: int = Field(ge=0, le=1000)
    max: int = Field(ge=0, le=1000)
    timezone: TimeZone = "UTC"

    @model_validator(mode="after")
    def _check(self) -> ScheduleSpec:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


def _with_defaults(value: object, defaults: StepPolicySpec) -> object:
    """A step policy given in part keeps the default of every key it leaves out."""
    if not isinstance(value, dict):
        return value
    given = {to_camel(k) if "_" in str(k) else k: v for k, v in value.items()}
    return {**defaults.model_dump(by_alias=True), **given}


class ScalingSpec(Spec):
    min: int | None = Field(default=None, ge=0, le=1000, description="Fewest tasks (dev 1, production 2).")
    max: int = Field(default=20, ge=1, le=1000, description="Most tasks.")
    metric: ScalingMetric = Field(
        default="cpu",
        description="cpu, memory (utilisation %), requests (ALB requests per target) or backlog "
        "(a worker's queued and in-flight messages per running task; a worker's default).",
    )
    scale_out: StepPolicySpec = Field(default_factory=_default_scale_out)
    scale_in: StepPolicySpec = Field(default_factory=_default_scale_in)
    schedules: list[ScheduleSpec] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _deep_defaults(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for key, default in (("scaleOut", _default_scale_out()), ("scaleIn", _default_scale_in())):
            snake = "scale_out" if key == "scaleOut" else "scale_in"
            for name in (key, snake):
                if name in data:
                    data[name] = _with_defaults(data[name], default)
        return data

    @model_validator(mode="after")
    def _check(self) -> ScalingSpec:
        if self.min is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        _check_steps(self.scale_out.steps, ascending=True, sign=1, where="scaleOut")
        _check_steps(self.scale_in.steps, ascending=False, sign=-1, where="scaleIn")
        if self.metric in ("cpu", "memory"):
            for where, policy in (("scaleOut", self.scale_out), ("scaleIn", self.scale_in)):
                for index, step in enumerate(policy.steps):
                    if not 0 <= step.at <= 100:
                        raise _PathError(
                            (where, "steps", index, "at"),
                            f"{self.metric} utilisation is a percentage: expected 0 to 100, got {step.at:g}",
                        )
        lowest_out = self.scale_out.steps[0].at
        highest_in = self.scale_in.steps[0].at
        if highest_in >= lowest_out:
            raise ValueError(
                f"scaleIn starts at {highest_in:g}, which is not below scaleOut's {lowest_out:g}: "
                "the two alarms would overlap and the service would flap"
            )
        return self


def _check_steps(steps: list[StepSpec], *, ascending: bool, sign: int, where: str) -> None:
    for index, step in enumerate(steps):
        if step.change * sign <= 0:
            expected = (
                "a positive number of tasks to add" if sign > 0 else "a negative number of tasks to remove"
            )
            raise _PathError((where, "steps", index, "change"), f"expected {expected}, got {step.change}")
        if index:
            previous = steps[index - 1].at
            ordered = step.at > previous if ascending else step.at < previous
            if not ordered:
                order = "increasing" if ascending else "decreasing"
                raise _PathError(
                    (where, "steps", index, "at"),
                    f"steps must be in strictly {order} order of 'at' (no overlap): "
                    f"{step.at:g} follows {previous:g}",
                )


def _http_codes(value: str) -> str:
    """ELB's Matcher: HTTP codes 200 to 499, each range low to high (CreateTargetGroup, HttpCode)."""
    for part in value.split(","):
        low, _, high = part.partition("-")
        if not 200 <= int(low) <= 499 or (high and not int(low) < int(high) <= 499):
            raise ValueError(f"{part}: a load balancer's health check takes codes 200 to 499, low-high")
    return value


class HealthCheckSpec(Spec):
    path: Annotated[
        str,
        pattern(r"^/[\x21-\x7e]*$", "a URL path starting with '/'"),
        Field(max_length=1024),  # CreateTargetGroup: HealthCheckPath, 1 to 1024 characters
    ] = "/"
    matcher: Annotated[
        str,
        pattern(r"^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$", "HTTP codes such as 200 or 200-399"),
        AfterValidator(_http_codes),
    ] = "200-399"
    interval: int = Field(default=15, ge=5, le=300)
    timeout: int = Field(default=5, ge=2, le=120)
    healthy_threshold: int = Field(default=2, ge=2, le=10)
    unhealthy_threshold: int = Field(default=3, ge=2, le=10)
    grace_period: int = Field(
        default=60, ge=0, le=2147483647, description="Seconds ECS ignores failures after start."
    )

    @model_validator(mode="after")
    def _check(self) -> HealthCheckSpec:
        if self.timeout >= self.interval:
            raise ValueError(f"timeout ({self.timeout}) must be shorter than interval ({self.interval})")
        return self


class PermissionSpec(Spec):
    actions: list[
        Annotated[str, pattern(r"^[a-z0-9-]+:[A-Za-z0-9*]+$", "an IAM action such as s3:GetObject")]
    ] = Field(min_length=1)
    resources: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> PermissionSpec:
        if "*" in self.resources and any(a.endswith(":*") or a == "*" for a in self.actions):
            raise ValueError(
                "a whole service on every resource is too broad; name the actions or the resources"
            )
        return self


class DeploymentSpec(Spec):
    minimum_healthy_percent: int = Field(default=100, ge=0, le=100)
    maximum_percent: int = Field(default=200, ge=100, le=200)


EnvironmentValue = str | dict[Name, str]
RelativePath = Folder
"""A folder relative to the definition file."""


class ServiceEnvironmentOverride(Spec):
    """Per-environment settings of a service (``services.<name>.environments.<env>``)."""

    cpu: int | None = None
    memory: int | None = None
    scaling: ScalingSpec | None = None
    environment: Variables = Field(default_factory=dict)
    database: DatabaseOverride | None = None


class BuildSpec(Spec):
    """Build the image during ``pulumi up`` (Docker BuildKit on the deploying machine)."""

    context: Folder = Field(default=".", description="Build context, relative to the definition file.")
    dockerfile: File | None = Field(
        default=None, description="Dockerfile, relative to the definition (default <context>/Dockerfile)."
    )
    target: Annotated[str, pattern(r"^[A-Za-z0-9][\w.-]*$", "a build stage name")] | None = Field(
        default=None, description="Multi-stage build target."
    )
    args: BuildArguments = Field(
        default_factory=dict, description="Build arguments (--build-arg); never secrets."
    )


def _backlog_defaults(scaling: object) -> object:
    """``scaling`` with the backlog defaults for every key it leaves out (a partial policy keeps
    the rest of the default policy); untouched when it names another metric."""
    if scaling is not None and not isinstance(scaling, dict):
        return scaling
    merged = dict(scaling or {})
    if merged.get("metric", "backlog") != "backlog":
        return scaling
    defaults = backlog_scaling_defaults()
    merged.setdefault("metric", "backlog")
    for key in ("scaleOut", "scaleIn"):
        given, default = merged.get(key), defaults[key]
        assert isinstance(default, dict)
        merged[key] = {**default, **given} if isinstance(given, dict) else given or default
    return merged


class ServiceRolesSpec(Spec):
    execution: IamRoleArn | None = Field(
        default=None,
        description="Pulls the image, writes the logs, reads the secrets (muon attaches nothing to it).",
    )
    task: IamRoleArn | None = Field(default=None, description="The application's own role.")


class IncidentSpec(Spec):
    """When the service's composite alarm pages (defaults by tier: development 10% and 5 s,
    production 5% and 2 s)."""

    error_rate_percent: float | None = Field(
        default=None, gt=0, le=100, description="5xx answers, as a share of requests, over which it pages."
    )
    latency_p99_seconds: float | None = Field(
        default=None, gt=0, le=3600, description="p99 response time over which it pages."
    )


class ServiceSpec(Spec):
    kind: ServiceKind = Field(
        default="web",
        description="web: behind the load balancer; backend: reached by the environment's other "
        "services at http://<name>:<port> (Service Connect); worker: consumes its own SQS queue.",
    )
    port: int | None = Field(
        default=None, ge=1, le=65535, description="Container port (web and backend; a worker has none)."
    )
    allow_from: list[Name] | None = Field(
        default=None,
        description="backend: the services that may call it (default: every service of the environment).",
    )
    queue: QueueSpec | None = Field(default=None, description="worker: its SQS queue (defaults apply).")
    path_patterns: list[
        Annotated[
            str,
            pattern(
                r"^/[\x21-\x7e]{0,127}$",
                "a path pattern starting with '/' (up to 128 characters), e.g. /bananas*",
            ),
        ]
    ] = Field(default_factory=list, max_length=5)
    host_patterns: list[
        Annotated[
            str,
            pattern(
                r"^[A-Za-z0-9*?](?:[A-Za-z0-9*?.-]{0,126}[A-Za-z0-9*?])?$",
                "a host name such as api.example.com or *.example.com (no scheme, no path)",
            ),
        ]
    ] = Field(default_factory=list, max_length=5)
    hosts: list[Host] = Field(
        default_factory=list,
        max_length=5,
        description="Names on the environment's domain, with DNS records: api means api.<domain>.",
    )
    protocol: Literal["http", "https"] = Field(
        default="http",
        description="https: TLS from the load balancer to the tasks too (the image serves it).",
    )
    priority: int | None = Field(
        default=None, ge=1, le=50000, description="Listener rule priority; derived from the name by default."
    )
    cpu: int = Field(default=256, description="CPU units (1024 = one vCPU).")
    memory: int = Field(default=512, description="MiB.")
    image: ImageReference | None = Field(
        default=None, description="Default image; the stack's muon:images wins."
    )
    build: BuildSpec | None = Field(
        default=None, description="Build and push the image during `pulumi up` instead of naming one."
    )
    command: Process | None = Field(
        default=None,
        description="The process to run (the container's command; default: the image's CMD): a worker, a "
        "job's service or a second web process runs the web service's image with its own command.",
    )
    entry_point: Process | None = Field(
        default=None, description="The container's entry point instead of the image's ENTRYPOINT."
    )
    image_test: FreeText | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="The pipeline runs this against the image it built, before pushing it ($IMAGE names "
        "the image): a container-structure-test, or a smoke request to the container started here.",
    )
    desired_count: int | None = Field(default=None, ge=0, le=1000)
    environment: ServiceVariables = Field(
        default_factory=dict, description="Variables; a value may be a map of environment name to value."
    )
    secrets: dict[EnvName, SecretReference] = Field(
        default_factory=dict,
        description="Variables from Parameter Store: name to parameter name or ARN, or {parameter, key} "
        "for a parameter encrypted with another KMS key than the environment's.",
    )
    environments: dict[Name, ServiceEnvironmentOverride] = Field(default_factory=dict)
    scaling: ScalingSpec = Field(default_factory=ScalingSpec)
    alarms: IncidentSpec = Field(default_factory=IncidentSpec)
    health_check: HealthCheckSpec = Field(default_factory=HealthCheckSpec)
    container_health_check: ContainerHealthCheckSpec | None = None
    readonly_root_filesystem: bool = Field(
        default=True, description="Opt out for images that write outside /tmp."
    )
    user: str | None = Field(
        default="1000", description="Non-root by default; null runs as the image's user."
    )
    exec_command: bool = Field(default=False, description="Allow ECS Exec into running tasks.")
    deregistration_delay: int | None = Field(default=None, ge=0, le=3600)
    deployment: DeploymentSpec = Field(default_factory=DeploymentSpec)
    permissions: list[PermissionSpec] = Field(default_factory=list, description="Task role statements.")
    database: DatabaseSpec | None = None
    sidecars: dict[Name, SidecarSpec] = Field(
        default_factory=dict, description="More containers in the service's task (a proxy, an agent)."
    )
    depends_on: dict[Annotated[str, Field(max_length=255)], Condition] = Field(
        default_factory=dict,
        description="Sidecars the app waits for before it starts: START, COMPLETE, SUCCESS or HEALTHY.",
    )
    target_container: Name | None = Field(
        default=None,
        description="web: the container the load balancer sends to (default app, the service's own).",
    )
    logging: LoggingSpec | None = Field(
        default=None,
        description="Route the task's logs through FireLens (Fluent Bit) to CloudWatch or Firehose.",
    )
    tracing: Literal["xray"] | None = Field(
        default=None,
        description="xray: an AWS Distro for OpenTelemetry collector beside the app sends traces to X-Ray.",
    )
    publish: Topics = Field(
        default_factory=list,
        description="SNS topics the service publishes to (<TOPIC>_TOPIC_ARN in its variables).",
    )
    subscribe: list[SubscriptionSpec] = Field(
        default_factory=list, max_length=20, description="worker: topics its queue receives messages from."
    )
    formerly: Name | None = Field(
        default=None,
        description="The service's name before a rename: its resources move to the new name instead of "
        "being deleted and created, and its database, queue and password keep their AWS names. Keep it "
        "while they exist.",
    )
    roles: ServiceRolesSpec = Field(
        default_factory=lambda: ServiceRolesSpec(),
        description="Pre-created roles instead of the ones muon creates (role creation refused).",
    )

    @model_validator(mode="before")
    @classmethod
    def _worker_scaling(cls, data: object) -> object:
        """A worker scales on its backlog unless it says otherwise (per environment too)."""
        if not isinstance(data, dict) or data.get("kind") != "worker":
            return data
        data = {**data, "scaling": _backlog_defaults(data.get("scaling"))}
        data.setdefault("queue", {})
        overrides = data.get("environments")
        if isinstance(overrides, dict):
            data["environments"] = {
                env: {**o, "scaling": _backlog_defaults(o["scaling"])}
                if isinstance(o, dict) and o.get("scaling") is not None
                else o
                for env, o in overrides.items()
            }
        return data

    @model_validator(mode="after")
    def _check(self) -> ServiceSpec:
        self._check_kind()
        self._check_roles()
        check_containers(self)
        if self.hosts and self.host_patterns:
            raise _PathError(("hosts",), "give hosts (on the domain) or hostPatterns (any name), not both")
        if len(self.path_patterns) + len(self.host_patterns) + len(self.hosts) > 5:
            raise ValueError("a listener rule takes at most 5 path and host patterns together")
        if self.image is not None and self.build is not None:
            raise _PathError(
                ("build",), "give either image (built elsewhere) or build (built here), not both"
            )
        if self.exec_command and self.readonly_root_filesystem:
            raise _PathError(
                ("execCommand",),
                "ECS Exec's agent must write to the container's filesystem, which AWS does not support "
                "with a read-only root; set readonlyRootFilesystem: false for this service to use it",
            )
        if self.user in ("root", "0", "0:0"):
            raise _PathError(("user",), "running as root is refused; use a numeric non-root user or null")
        overlap = sorted(set(self.environment) & set(self.secrets))
        if overlap:
            raise _PathError(
                ("secrets", overlap[0]), "also set in environment: a variable is either plain or secret"
            )
        for env, override in self.environments.items():
            if override.database is None:
                continue
            where = ("environments", env, "database")
            if self.database is None:
                raise _PathError(where, "the service declares no database to size")
            engine = self.database.engine
            if override.database.instance_class is not None:
                problem = instance_class_problem(engine, override.database.instance_class)
                if problem:
                    raise _PathError((*where, "instanceClass"), problem)
            misplaced = instance_engine_problem(engine, override.database)
            if misplaced:
                raise _PathError((*where, *misplaced[0]), misplaced[1])
            if override.database.serverless is not None:
                version = self.database.version or ENGINES[engine].default_version
                _check_pause(
                    engine, version, override.database.serverless, (*where, "serverless", "minCapacity")
                )
        return self

    def _check_roles(self) -> None:
        if self.roles.task is not None and self.permissions:
            raise _PathError(
                ("permissions",),
                "the task role is the company's (roles.task): muon attaches nothing to it; grant these "
                "on that role instead",
            )
        granted = [
            (key, what)
            for key, what, given in (
                ("logging", "its log destination", self.logging is not None),
                ("tracing", "X-Ray", self.tracing is not None),
                ("publish", "its topics", bool(self.publish)),
            )
            if given
        ]
        if self.roles.task is not None and granted:
            key, what = granted[0]
            raise _PathError(
                (key,),
                f"the task role is the company's (roles.task): muon cannot grant it {what}; drop roles.task "
                "or this key",
            )

    def _check_kind(self) -> None:
        routes = [
            key
            for key, value in (
                ("pathPatterns", self.path_patterns),
                ("hostPatterns", self.host_patterns),
                ("hosts", self.hosts),
            )
            if value
        ]
        if self.kind == "web":
            if self.port is None:
                raise _PathError(
                    ("port",), "a web service needs the container port the load balancer sends to"
                )
            if not routes:
                raise ValueError(
                    "give pathPatterns, hostPatterns or hosts: the load balancer needs a rule to route by "
                    "(or kind: backend / worker for a service it does not route to)"
                )
        else:
            if routes:
                raise _PathError(
                    (routes[0],),
                    f"a {self.kind} service has no load-balancer route; use kind: web to route to it",
                )
            if self.priority is not None:
                raise _PathError(("priority",), f"a {self.kind} service has no listener rule to order")
        if self.kind == "backend" and self.port is None:
            raise _PathError(("port",), "a backend service needs the port its callers reach it on")
        if self.kind == "worker" and self.port is not None:
            raise _PathError(("port",), "a worker takes work from its queue and listens on no port")
        if self.allow_from is not None and self.kind != "backend":
            raise _PathError(("allowFrom",), "only a backend service admits callers (kind: backend)")
        if self.queue is not None and self.kind != "worker":
            raise _PathError(("queue",), "only a worker has a queue (kind: worker)")
        if self.kind != "worker":
            metrics: list[tuple[str, ...]] = (
                [("scaling", "metric")] if self.scaling.metric == "backlog" else []
            )
            metrics += [
                ("environments", env, "scaling", "metric")
                for env, override in self.environments.items()
                if override.scaling is not None and override.scaling.metric == "backlog"
            ]
            if metrics:
                raise _PathError(metrics[0], "backlog scaling needs a queue: only a worker scales on it")
        if self.kind != "web" and self.scaling.metric == "requests":
            raise _PathError(
                ("scaling", "metric"), "requests scaling counts load-balancer requests: web only"
            )
