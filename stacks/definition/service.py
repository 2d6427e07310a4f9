"""A service of ``muon.yaml``: routing, size, scaling, health, variables and secrets, builds."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    Field,
    model_validator,
)

from muon.components.aurora import (
    ENGINES,
    instance_class_problem,
)
from muon.stacks.definition.containers import TaskContainersSpec, check_containers
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
from muon.stacks.definition.health import ContainerHealthCheckSpec, HealthCheckSpec
from muon.stacks.definition.permissions import PermissionSpec
from muon.stacks.definition.scaling import (
    ScalingSpec,
)
from muon.stacks.definition.storage import StorageSpec
from muon.stacks.definition.traffic import AllowedCidrs, StickinessSpec
from muon.stacks.definition.types import (
    BuildArguments,
    EnvName,
    File,
    Folder,
    FreeText,
    Host,
    Platform,
    ServiceVariables,
    Variables,
)
from muon.stacks.definition.workload import (
    Process,
    QueueSpec,
    ServiceKind,
    backlog_scaling_defaults,
)


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


class ServiceSpec(TaskContainersSpec):
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
    load_balancer: Name | None = Field(
        default=None,
        description="web: the environment's load balancer that routes it, by a name of your choosing "
        "(each name is one more load balancer, reached at <name>.<domain>); default: the environment's "
        "first one. An ALB takes 100 target groups: name one for the 101st web service.",
    )
    allowed_cidrs: AllowedCidrs = Field(
        default_factory=list,
        description="web: only these source addresses reach the service (its listener rule's source-ip "
        "condition; others fall through to the next rule, by default the listener's 404).",
    )
    stickiness: StickinessSpec | None = Field(
        default=None, description="web: sticky sessions (the load balancer's cookie) for this long."
    )
    cpu: int = Field(default=256, description="CPU units (1024 = one vCPU).")
    memory: int = Field(default=512, description="MiB.")
    image: ImageReference | None = Field(
        default=None, description="Default image; the stack's muon:images wins."
    )
    platform: Platform = Field(
        default="linux/x86_64",
        description="linux/arm64: built for and run on Graviton (Fargate ARM, or an EC2 environment whose "
        "hosts are Graviton types); its jobs run on it too.",
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
        "for a parameter encrypted with another KMS key than the environment's; or from Secrets Manager: "
        "{secret, jsonKey, versionStage or versionId, key}.",
    )
    environments: dict[Name, ServiceEnvironmentOverride] = Field(default_factory=dict)
    scaling: ScalingSpec = Field(default_factory=ScalingSpec.model_construct)
    alarms: IncidentSpec = Field(default_factory=IncidentSpec.model_construct)
    health_check: HealthCheckSpec = Field(default_factory=HealthCheckSpec.model_construct)
    container_health_check: ContainerHealthCheckSpec | None = None
    readonly_root_filesystem: bool = Field(
        default=True, description="Opt out for images that write outside /tmp."
    )
    user: str | None = Field(
        default="1000", description="Non-root by default; null runs as the image's user."
    )
    exec_command: bool = Field(default=False, description="Allow ECS Exec into running tasks.")
    deregistration_delay: int | None = Field(default=None, ge=0, le=3600)
    deployment: DeploymentSpec = Field(default_factory=DeploymentSpec.model_construct)
    permissions: list[PermissionSpec] = Field(default_factory=list, description="Task role statements.")
    database: DatabaseSpec | None = None
    storage: StorageSpec | None = Field(
        default=None,
        description="Buckets, tables and volumes of the service's own, in every environment it runs in.",
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
        values = len(self.path_patterns) + len(self.host_patterns) + len(self.hosts) + len(self.allowed_cidrs)
        if values > 5:
            # ELB quotas: "Condition values per rule: 5" (paths, hosts and source addresses together).
            raise ValueError(
                "a listener rule takes at most 5 path and host patterns and allowedCidrs together"
            )
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
        if self.roles.task is not None and self.storage is not None:
            raise _PathError(
                ("storage",),
                "the task role is the company's (roles.task): muon grants it nothing, and the service's "
                "storage is reachable through muon's task role only",
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
            if self.load_balancer is not None:
                raise _PathError(("loadBalancer",), f"a {self.kind} service is behind no load balancer")
            for key, value in (("allowedCidrs", self.allowed_cidrs), ("stickiness", self.stickiness)):
                if value:
                    raise _PathError(
                        (key,),
                        f"a {self.kind} service is not behind the load balancer; {key} is for kind: web",
                    )
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
