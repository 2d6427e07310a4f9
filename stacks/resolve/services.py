"""From a service of the definition, in one environment, to the Service component's arguments."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from muon.components.context import AwsContext
from muon.components.registry import repository_arn_of
from muon.components.scaling import ScalingConfig, Schedule, Step, StepPolicy
from muon.components.service_args import (
    AWAITING_IMAGE,
    ContainerHealthCheck,
    DatabaseAccess,
    EnvironmentWiring,
    IncidentThresholds,
    Permission,
    QueueAccess,
    ServiceArgs,
    ServiceConnect,
    TargetHealthCheck,
    fargate_size_problem,
)
from muon.stacks.definition import ScalingSpec, ServiceKind, ServiceSpec, StepPolicySpec, Tier
from muon.stacks.errors import DefinitionError

PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
DATABASE_PLACEHOLDERS = (
    "DatabaseEndpointAddress",
    "DatabaseReaderEndpointAddress",
    "DatabaseEndpointPort",
    "DatabaseName",
    "DatabaseMasterUsername",
    "DatabaseMasterPassword",
    "DatabaseIamUser",
)
PASSWORD_PLACEHOLDER = "${DatabaseMasterPassword}"
CATCH_ALL = {"/*", "*", "/"}
CONTAINER_DEFINITION_BUDGET = 60_000
"""Characters of variables and secrets a task definition may carry: RegisterTaskDefinition takes
64 KiB in all, and muon's own container settings need the rest."""


@dataclass(frozen=True)
class DatabaseWiring:
    """The service's database, as its variables and its access."""

    placeholders: dict[str, pulumi.Input[str]]
    access: DatabaseAccess
    iam_authentication: bool


MIN_TASKS = {"development": 1, "production": 2}
DEREGISTRATION_DELAY = {"development": 10, "production": 60}


def listener_priorities(services: dict[str, ServiceSpec], source: str, salt: str = "") -> dict[str, int]:
    """Stable listener-rule priorities: explicit, or derived from the service's name alone.

    A name always maps to the same number, so adding a service never renumbers the others.
    Catch-all services (``/*``) sort after every specific rule. A clash is an error asking for an
    explicit ``priority`` rather than a silent reshuffle. ``salt`` (the namespace, on a listener
    other projects share) keeps two projects' services of the same name apart.
    """
    taken: dict[int, str] = {}
    result: dict[str, int] = {}
    routed = {n: spec for n, spec in services.items() if spec.kind == "web"}
    for name in sorted(routed, key=lambda n: routed[n].priority is None):
        spec = routed[name]
        if spec.priority is not None:
            priority = spec.priority
        else:
            digest = int(hashlib.sha256(f"{salt}/{name}".encode() if salt else name.encode()).hexdigest(), 16)
            catch_all = bool(CATCH_ALL & set(spec.path_patterns))
            priority = 40000 + digest % 10000 if catch_all else 1 + digest % 39999
        if priority in taken:
            raise DefinitionError(
                [
                    f"{source}: services.{name}.priority: listener priority {priority} is already "
                    f"used by service '{taken[priority]}'; set a distinct 'priority' on one of them"
                ]
            )
        taken[priority] = name
        result[name] = priority
    return result


@dataclass(frozen=True)
class WorkloadWiring:
    """How a service takes part in its environment's other workloads."""

    service_connect: ServiceConnect | None = None
    queue: QueueAccess | None = None
    publishes_to: tuple[QueueAccess, ...] = ()
    backends: pulumi.Input[str] | None = None
    """``MUON_BACKENDS``: the backends the service calls, sorted and comma-separated; None: it calls
    none. An Output of the backends already created: the task definition waits for their ECS
    services."""


def callers_of(backend: str, services: dict[str, ServiceSpec]) -> list[str]:
    """Who may call a backend: its ``allowFrom``, else every other service of the environment."""
    spec = services[backend]
    return list(spec.allow_from) if spec.allow_from is not None else [n for n in services if n != backend]


def backends_called(service: str, services: dict[str, ServiceSpec]) -> list[str]:
    """The backends ``service`` may call (Service Connect resolves them in its tasks), sorted."""
    return sorted(
        b
        for b, s in services.items()
        if s.kind == "backend" and b != service and service in callers_of(b, services)
    )


def workload_wiring(
    service: str,
    services: dict[str, ServiceSpec],
    *,
    namespace_arn: pulumi.Input[str] | None,
    queues: dict[str, QueueAccess],
    backends: dict[str, pulumi.Input[str]] | None = None,
) -> WorkloadWiring:
    """Service Connect for a backend and for everything that calls one; a worker's own queue; the
    workers' queues the service publishes to. ``backends``: backend → its ECS service's name, for
    the backends created before this service."""
    spec = services[service]
    backend = spec.kind == "backend"
    calls = backends_called(service, services)
    connect = (
        ServiceConnect(namespace_arn=namespace_arn, serve=backend)
        if namespace_arn is not None and (backend or calls)
        else None
    )
    publishes_to = tuple(
        queues[worker]
        for worker, worker_spec in sorted(services.items())
        if worker_spec.queue is not None and service in worker_spec.queue.publishers and worker in queues
    )
    return WorkloadWiring(
        service_connect=connect,
        queue=queues.get(service),
        publishes_to=publishes_to,
        backends=backend_list(calls, backends or {}) if connect is not None and calls else None,
    )


def backend_list(calls: list[str], created: dict[str, pulumi.Input[str]]) -> pulumi.Input[str]:
    """``api,auth``. ECS Service Connect: "Only new tasks ... that start running after this deployment
    can resolve and connect to this endpoint" (ECS developer guide, "Amazon ECS Service Connect
    components"): the caller's task definition names its backends, so that it is registered once
    they are deployed (their ECS services' names are Outputs) and rolls when the list changes."""
    listed = ",".join(calls)
    waited = [created[b] for b in calls if b in created]
    return pulumi.Output.all(*waited).apply(lambda _: listed) if waited else listed


def queue_variables(workload: WorkloadWiring) -> dict[str, pulumi.Input[str]]:
    """QUEUE_URL for a worker's own queue; <WORKER>_QUEUE_URL for each queue it publishes to;
    MUON_BACKENDS for a caller of backends."""
    variables: dict[str, pulumi.Input[str]] = {}
    if workload.backends is not None:
        variables["MUON_BACKENDS"] = workload.backends
    if workload.queue is not None:
        variables["QUEUE_URL"] = workload.queue.url
    for queue in workload.publishes_to:
        variables[f"{queue.worker.upper().replace('-', '_')}_QUEUE_URL"] = queue.url
    return variables


def parameter_arn(context: AwsContext, reference: str) -> str:
    """A Parameter Store name (``/app/key``) or ARN, as the ARN ECS and IAM expect."""
    if reference.startswith("arn:"):
        return reference
    name = reference if reference.startswith("/") else f"/{reference}"
    return context.arn("ssm", f"parameter{name}")


def secret_key(key_arn: str, context: AwsContext, where: str) -> str:
    """The KMS key a declared secret is encrypted with: Parameter Store encrypts and decrypts a
    SecureString with a key of its own region (KMS keys are regional), in the stack's partition."""
    _, partition, _, region, _ = key_arn.split(":", 4)
    if (partition, region) != (context.partition, context.region):
        raise DefinitionError(
            [
                f"{where}: the key is in {region} ({partition}); the stack's parameters are in "
                f"{context.region} ({context.partition}), where Parameter Store decrypts only with a key "
                "of that region"
            ]
        )
    return key_arn


def resolve_placeholders(
    value: str, values: dict[str, pulumi.Input[str]], where: str, source: str
) -> pulumi.Input[str]:
    """``jdbc:mysql://${DatabaseEndpointAddress}/...`` with each ``${Name}`` replaced."""
    names = PLACEHOLDER.findall(value)
    if not names:
        return value
    for name in names:
        if name not in values:
            if name == "DatabaseIamUser" and "DatabaseName" in values:
                hint = "it needs 'iamAuthentication: true' in the service's database"
            elif name == "DatabaseMasterPassword" and "DatabaseName" in values:
                hint = "the password is a secret: it can only be a variable's whole value"
            elif name in DATABASE_PLACEHOLDERS:
                hint = "it needs a 'database:' in the service"
            else:
                hint = "known placeholders: " + ", ".join(sorted(values))
            raise DefinitionError([f"{source}: {where}: unknown placeholder ${{{name}}}; {hint}"])
    parts = [values[name] for name in names]

    def substitute(resolved: list[object]) -> str:
        remaining = iter(resolved)
        return PLACEHOLDER.sub(lambda _: str(next(remaining)), value)

    return pulumi.Output.all(*parts).apply(substitute)


def _policy(spec: StepPolicySpec) -> StepPolicy:
    return StepPolicy(
        steps=tuple(Step(at=s.at, change=s.change) for s in spec.steps),
        cooldown=spec.cooldown,
        period=spec.period,
        evaluation_periods=spec.evaluation_periods,
    )


def scaling_config(spec: ScalingSpec, tier: Tier, kind: ServiceKind = "web") -> ScalingConfig:
    """A worker starts at zero tasks and scales on its queue; the others keep a tier's minimum."""
    default_min = 0 if kind == "worker" else MIN_TASKS[tier]
    minimum = spec.min if spec.min is not None else min(default_min, spec.max)
    return ScalingConfig(
        min_capacity=minimum,
        max_capacity=spec.max,
        metric=spec.metric,
        scale_out=_policy(spec.scale_out),
        scale_in=_policy(spec.scale_in),
        schedules=tuple(Schedule(s.name, s.schedule, s.min, s.max, s.timezone) for s in spec.schedules),
    )


def preflight_wiring(provider: Literal["fargate", "ec2"], domain: str | None = None) -> EnvironmentWiring:
    """Stand-in environment values for checking a service's composition before anything exists."""
    return EnvironmentWiring(
        cluster_name="preflight",
        cluster_arn="preflight",
        provider=provider,
        capacity_strategy=(),
        vpc_id="preflight",
        private_subnet_ids=[],
        listener_arn="preflight",
        load_balancer_security_group_id="preflight",
        load_balancer_arn_suffix="preflight",
        load_balancer_url="preflight",
        load_balancer_dns_name="preflight",
        load_balancer_zone_id="preflight",
        domain=domain,
        zone_id="preflight" if domain else None,
        key_arn="preflight",
        alarm_topic_arn="preflight",
        log_retention_days=1,
        production=False,
    )


def deployed_image(task_family: str) -> str | None:
    """The image the service runs now (its latest task definition), or None before the first deploy."""
    try:
        found = aws.ecs.get_task_definition(task_definition=task_family)
    except Exception:  # an invoke failure (no such family yet) arrives as a plain Exception
        return None
    containers = json.loads(found.container_definitions or "[]")
    return next((c.get("image") for c in containers if c.get("name") == "app"), None)


def cluster_exists(name: str) -> bool:
    """Whether the ECS cluster ``name`` is there (ACTIVE): before an environment's first deploy it
    is not, and then none of its services runs anything to look up."""
    try:
        found = aws.ecs.get_cluster(cluster_name=name)
    except Exception:  # an invoke failure (no such cluster) arrives as a plain Exception
        return False
    return found.status == "ACTIVE"


def choose_image(
    service: str,
    spec: ServiceSpec,
    images: dict[str, str],
    *,
    environment: str,
    namespace: str,
    deployed: bool = True,
) -> str | None:
    """The stack's ``muon:images``, else the definition's ``image``, else what runs now, else None.

    The pipeline sets ``muon:images`` only for its own run; a later ``pulumi up`` from a checkout
    keeps the running image instead of failing or rolling it back. None: no image exists yet, and
    the service waits at zero tasks for the pipeline's first run. ``deployed``: False when the
    environment's cluster does not exist yet (one lookup instead of one per service).
    """
    image = (
        images.get(service)
        or spec.image
        or (deployed_image(f"{namespace}-{environment}-{service}") if deployed else None)
    )
    return image if image and image != AWAITING_IMAGE else None


def awaiting_image_warning(service: str, environment: str) -> str:
    return (
        f"service '{service}' in {environment} has no image yet: it is created with 0 tasks; the "
        f"pipeline's first run (or muon:images.{service} in the stack config) will start it"
    )


def service_hosts(service: str, spec: ServiceSpec, domain: str | None, source: str) -> tuple[str, ...]:
    """``hosts`` as full names: a label is ``<label>.<domain>``; a full name must be on the domain."""
    if not spec.hosts:
        return ()
    where = f"{source}: services.{service}.hosts"
    if domain is None:
        raise DefinitionError(
            [f"{where}: hosts live on the environment's domain; give the environment a domain"]
        )
    names = []
    for index, host in enumerate(spec.hosts):
        name = host if "." in host else f"{host}.{domain}"
        label = name[: -len(domain) - 1] if name.endswith(f".{domain}") else None
        if name != domain and (label is None or "." in label):
            raise DefinitionError(
                [
                    f"{where}[{index}]: {host} is not covered by the certificate of {domain} "
                    f"(it holds {domain} and *.{domain})"
                ]
            )
        names.append(name)
    return tuple(names)


INCIDENT_DEFAULTS: dict[Tier, tuple[float, float]] = {
    # 5xx share of requests (%), p99 response time (s) over which a service's incident pages.
    "development": (10.0, 5.0),
    "production": (5.0, 2.0),
}


def service_args(
    service: str,
    spec: ServiceSpec,
    *,
    environment: str,
    tier: Tier,
    context: AwsContext,
    wiring: EnvironmentWiring,
    priority: int | None,
    image: pulumi.Input[str] | None,
    source: str,
    tags: dict[str, str],
    database: DatabaseWiring | None = None,
    image_repository_arn: pulumi.Input[str] | None = None,
    workload: WorkloadWiring | None = None,
) -> ServiceArgs:
    """``image_repository_arn``: where a locally built image lives; for a named image it is read
    from the reference itself (None for registries other than ECR)."""
    override = spec.environments.get(environment)
    cpu = override.cpu if override and override.cpu else spec.cpu
    memory = override.memory if override and override.memory else spec.memory
    scaling = scaling_config(
        override.scaling if override and override.scaling else spec.scaling, tier, spec.kind
    )
    prefix = f"services.{service}"
    if wiring.provider == "fargate":
        problem = fargate_size_problem(cpu, memory)
        if problem:
            raise DefinitionError([f"{source}: {prefix}.memory: {problem} (environment {environment})"])

    placeholders: dict[str, pulumi.Input[str]] = {
        "Environment": environment,
        "ServiceName": service,
        "Region": context.region,
        "AccountId": context.account_id,
        "LoadBalancerUrl": wiring.load_balancer_url,
    }
    secrets, secret_keys = {}, {}
    for name, declared in spec.secrets.items():
        reference = declared if isinstance(declared, str) else declared.parameter
        if not isinstance(declared, str):
            secret_keys[name] = secret_key(declared.key, context, f"{source}: {prefix}.secrets.{name}.key")
        resolved = reference.replace("${Environment}", environment).replace("${ServiceName}", service)
        if "${" in resolved or "}" in resolved:
            raise DefinitionError(
                [
                    f"{source}: {prefix}.secrets.{name}: only ${{Environment}} and ${{ServiceName}} may "
                    "stand in a parameter name"
                ]
            )
        secrets[name] = parameter_arn(context, resolved)
    if database is not None:
        placeholders.update(database.placeholders)
        if not database.iam_authentication:
            secrets["DatabaseMasterPassword"] = database.access.password_parameter_arn
    chosen_values: dict[str, tuple[str, str]] = {}
    for name, value in spec.environment.items():
        chosen = value.get(environment) if isinstance(value, dict) else value
        if chosen is not None:
            chosen_values[name] = (chosen, f"{prefix}.environment.{name}")
    for name, value in (override.environment if override else {}).items():
        chosen_values[name] = (value, f"{prefix}.environments.{environment}.environment.{name}")
    size = len(json.dumps({n: v for n, (v, _) in chosen_values.items()})) + len(json.dumps(secrets))
    if size > CONTAINER_DEFINITION_BUDGET:
        raise DefinitionError(
            [
                f"{source}: {prefix}.environment: {size:,} characters of variables and secrets "
                f"(environment {environment}); ECS takes a task definition of at most 64 KiB: keep "
                "large values in Parameter Store or a file"
            ]
        )
    # mu's names, as variables too: an application reads them without any `environment:` entry.
    variables: dict[str, pulumi.Input[str]] = (
        {k: v for k, v in database.placeholders.items() if k != "DatabaseReaderEndpointAddress"}
        if database is not None
        else {}
    )
    workload = workload or WorkloadWiring()
    for name, proxy in wiring.proxy_variables.items():  # the environment's proxy, unless set here
        if name not in chosen_values:
            variables[name] = proxy
    for name, url in queue_variables(workload).items():
        if name in chosen_values:
            raise DefinitionError(
                [
                    f"{source}: {chosen_values[name][1]}: muon sets {name} (a queue's URL, or the "
                    "backends the service calls); choose another name"
                ]
            )
        variables[name] = url
    for name, (value, where) in chosen_values.items():
        if value == PASSWORD_PLACEHOLDER and database is not None:
            # mu passed the password in plain text; muon hands ECS the parameter to inject.
            secrets[name] = database.access.password_parameter_arn
            continue
        variables[name] = resolve_placeholders(value, placeholders, where, source)

    health = spec.health_check
    container_check = spec.container_health_check
    return ServiceArgs(
        context=context,
        environment=environment,
        service=service,
        wiring=wiring,
        scaling=scaling,
        image=image,
        image_repository_arn=(
            image_repository_arn
            if image_repository_arn is not None
            else repository_arn_of(image)
            if isinstance(image, str)
            else None
        ),
        port=spec.port,
        cpu=cpu,
        memory=memory,
        priority=priority,
        path_patterns=tuple(spec.path_patterns),
        host_patterns=tuple(spec.host_patterns),
        hosts=service_hosts(service, spec, wiring.domain, source),
        protocol=spec.protocol,
        environment_variables=variables,
        secrets=secrets,
        secret_keys=secret_keys,
        health_check=TargetHealthCheck(
            path=health.path,
            matcher=health.matcher,
            interval=health.interval,
            timeout=health.timeout,
            healthy_threshold=health.healthy_threshold,
            unhealthy_threshold=health.unhealthy_threshold,
        ),
        grace_period=health.grace_period,
        container_health_check=(
            ContainerHealthCheck(
                command=tuple(container_check.command),
                interval=container_check.interval,
                timeout=container_check.timeout,
                retries=container_check.retries,
                start_period=container_check.start_period,
            )
            if container_check
            else None
        ),
        readonly_root_filesystem=spec.readonly_root_filesystem,
        user=spec.user,
        exec_command=spec.exec_command,
        deregistration_delay=(
            spec.deregistration_delay if spec.deregistration_delay is not None else DEREGISTRATION_DELAY[tier]
        ),
        minimum_healthy_percent=spec.deployment.minimum_healthy_percent,
        maximum_percent=spec.deployment.maximum_percent,
        desired_count=spec.desired_count if spec.desired_count is not None else scaling.min_capacity,
        permissions=tuple(Permission(tuple(p.actions), tuple(p.resources)) for p in spec.permissions),
        database=database.access if database else None,
        kind=spec.kind,
        execution_role_arn=spec.roles.execution,
        task_role_arn=spec.roles.task,
        service_connect=workload.service_connect,
        queue=workload.queue,
        publishes_to=workload.publishes_to,
        incident=IncidentThresholds(
            error_rate_percent=spec.alarms.error_rate_percent or INCIDENT_DEFAULTS[tier][0],
            latency_p99_seconds=spec.alarms.latency_p99_seconds or INCIDENT_DEFAULTS[tier][1],
            minimum_tasks=scaling.min_capacity,
            scales_to_zero=scaling.scales_to_zero,
        ),
        tags={**tags, "muon:service": service},
    )
