"""From a service of the definition, in one environment, to the Service component's arguments:
``plan_service`` decides and checks everything before any resource exists; ``service_args``
assembles the arguments from that plan and the environment's resources, and checks nothing."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace

import pulumi

from muon.components.context import AwsContext
from muon.components.registry import repository_arn_of
from muon.components.scaling import ScalingConfig, Schedule, Step, StepPolicy
from muon.components.service_args import (
    ContainerHealthCheck,
    DatabaseAccess,
    EnvironmentWiring,
    IncidentThresholds,
    Permission,
    ServiceArgs,
    Sidecar,
    TargetHealthCheck,
    fargate_size_problem,
)
from muon.components.service_containers import TRACING_VARIABLES
from muon.stacks.definition import DatabaseSpec, ScalingSpec, ServiceKind, ServiceSpec, StepPolicySpec, Tier
from muon.stacks.definition.fields import SecretReference
from muon.stacks.errors import DefinitionError
from muon.stacks.resolve.containers import log_routing, plan_sidecars
from muon.stacks.resolve.routing import service_hosts
from muon.stacks.resolve.workloads import WorkloadWiring, queue_variable_names, queue_variables

PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
ENVIRONMENT_PLACEHOLDERS = ("Environment", "ServiceName", "Region", "AccountId", "LoadBalancerUrl")
DATABASE_VALUES = (
    "DatabaseEndpointAddress",
    "DatabaseReaderEndpointAddress",
    "DatabaseEndpointPort",
    "DatabaseName",
    "DatabaseMasterUsername",
)
"""The ``${Database...}`` names mu gave its CloudFormation parameters, as a service's database has them."""
DATABASE_PLACEHOLDERS = (*DATABASE_VALUES, "DatabaseMasterPassword", "DatabaseIamUser")
PASSWORD_PLACEHOLDER = "${DatabaseMasterPassword}"
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
INCIDENT_DEFAULTS: dict[Tier, tuple[float, float]] = {
    # 5xx share of requests (%), p99 response time (s) over which a service's incident pages.
    "development": (10.0, 5.0),
    "production": (5.0, 2.0),
}


@dataclass(frozen=True)
class ServicePlan:
    """One service in one environment with every check passed: what its arguments are made of
    once the environment's resources exist."""

    name: str
    spec: ServiceSpec
    cpu: int
    memory: int
    scaling: ScalingConfig
    priority: int | None
    hosts: tuple[str, ...]
    secrets: dict[str, str]
    secret_keys: dict[str, str]
    """A secret's own KMS key (``secrets.<name>.key``), by variable name: decrypt is granted on it."""
    """Variable → Parameter Store ARN (the database password's included), in the order set."""
    values: tuple[tuple[str, str], ...]
    """Plain variables the definition sets (name, value with its ``${placeholders}``), in order."""
    defined: frozenset[str]
    """Every variable name the definition sets: the environment's proxy variables give way to them."""
    deregistration_delay: int
    incident: IncidentThresholds
    sidecars: tuple[Sidecar, ...] = ()
    """With their variables' ``${placeholders}`` still in."""


@dataclass(frozen=True)
class ServiceSetting:
    """Where a service is planned: its environment and what the environment decided."""

    environment: str
    tier: Tier
    context: AwsContext
    provider: str
    domain: str | None
    source: str


def parameter_arn(context: AwsContext, reference: str) -> str:
    """A Parameter Store name (``/app/key``) or ARN, as the ARN ECS and IAM expect."""
    if reference.startswith("arn:"):
        return reference
    name = reference if reference.startswith("/") else f"/{reference}"
    return context.arn("ssm", f"parameter{name}")


def database_placeholder_names(spec: DatabaseSpec | None) -> tuple[str, ...]:
    """The ``${Database...}`` placeholders a service's database gives it (none without one)."""
    if spec is None:
        return ()
    return (*DATABASE_VALUES, "DatabaseIamUser") if spec.iam_authentication else DATABASE_VALUES


def check_placeholders(value: str, known: tuple[str, ...], where: str, source: str) -> None:
    """Every ``${Name}`` in ``value`` is one the service has, or one line saying what it needs."""
    for name in PLACEHOLDER.findall(value):
        if name in known:
            continue
        if name == "DatabaseIamUser" and "DatabaseName" in known:
            hint = "it needs 'iamAuthentication: true' in the service's database"
        elif name == "DatabaseMasterPassword" and "DatabaseName" in known:
            hint = "the password is a secret: it can only be a variable's whole value"
        elif name in DATABASE_PLACEHOLDERS:
            hint = "it needs a 'database:' in the service"
        else:
            hint = "known placeholders: " + ", ".join(sorted(known))
        raise DefinitionError([f"{source}: {where}: unknown placeholder ${{{name}}}; {hint}"])


def substitute(value: str, values: dict[str, pulumi.Input[str]]) -> pulumi.Input[str]:
    """``jdbc:mysql://${DatabaseEndpointAddress}/...`` with each ``${Name}`` replaced (checked
    before: every name is in ``values``)."""
    names = PLACEHOLDER.findall(value)
    if not names:
        return value

    def replace(resolved: list[object]) -> str:
        remaining = iter(resolved)
        return PLACEHOLDER.sub(lambda _: str(next(remaining)), value)

    return pulumi.Output.all(*[values[name] for name in names]).apply(replace)


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


def _task_size(service: str, spec: ServiceSpec, setting: ServiceSetting) -> tuple[int, int]:
    """CPU and memory in this environment, a size the cluster's capacity can run."""
    override = spec.environments.get(setting.environment)
    cpu = override.cpu if override and override.cpu else spec.cpu
    memory = override.memory if override and override.memory else spec.memory
    problem = fargate_size_problem(cpu, memory) if setting.provider == "fargate" else None
    if problem:
        where = f"{setting.source}: services.{service}.memory"
        raise DefinitionError([f"{where}: {problem} (environment {setting.environment})"])
    return cpu, memory


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


def declared_secrets(
    service: str, declared_secrets: dict[str, SecretReference], setting: ServiceSetting, where: str
) -> tuple[dict[str, str], dict[str, str]]:
    """A container's ``secrets:`` (``where`` names them) as Parameter Store ARNs, and the KMS keys
    of those that name one."""
    secrets, keys = {}, {}
    for name, declared in declared_secrets.items():
        reference = declared if isinstance(declared, str) else declared.parameter
        resolved = reference.replace("${Environment}", setting.environment).replace("${ServiceName}", service)
        if "${" in resolved or "}" in resolved:
            raise DefinitionError(
                [
                    f"{setting.source}: {where}.{name}: only ${{Environment}} and "
                    "${ServiceName} may stand in a parameter name"
                ]
            )
        secrets[name] = parameter_arn(setting.context, resolved)
        if not isinstance(declared, str):
            keys[name] = secret_key(declared.key, setting.context, f"{setting.source}: {where}.{name}.key")
    return secrets, keys


def _secrets(
    service: str, spec: ServiceSpec, setting: ServiceSetting, password_parameter: str | None
) -> dict[str, str]:
    """``secrets:`` as ARNs, then the database password (unless IAM authentication replaces it)."""
    secrets, _ = declared_secrets(service, spec.secrets, setting, f"services.{service}.secrets")
    if spec.database is not None and not spec.database.iam_authentication:
        assert password_parameter is not None
        secrets["DatabaseMasterPassword"] = password_parameter
    return secrets


def _chosen_values(service: str, spec: ServiceSpec, environment: str) -> dict[str, tuple[str, str]]:
    """The variables this environment sets (name → value, where it is set): the service's, then
    the environment's override."""
    prefix = f"services.{service}"
    chosen: dict[str, tuple[str, str]] = {}
    for name, value in spec.environment.items():
        picked = value.get(environment) if isinstance(value, dict) else value
        if picked is not None:
            chosen[name] = (picked, f"{prefix}.environment.{name}")
    override = spec.environments.get(environment)
    for name, value in (override.environment if override else {}).items():
        chosen[name] = (value, f"{prefix}.environments.{environment}.environment.{name}")
    return chosen


def _check_variables(
    service: str,
    chosen: dict[str, tuple[str, str]],
    secrets: dict[str, str],
    services: dict[str, ServiceSpec],
    setting: ServiceSetting,
) -> None:
    """A task definition's size, and the names muon sets itself (queue URLs)."""
    size = len(json.dumps({n: v for n, (v, _) in chosen.items()})) + len(json.dumps(secrets))
    if size > CONTAINER_DEFINITION_BUDGET:
        raise DefinitionError(
            [
                f"{setting.source}: services.{service}.environment: {size:,} characters of variables and "
                f"secrets (environment {setting.environment}); ECS takes a task definition of at most "
                "64 KiB: keep large values in Parameter Store or a file"
            ]
        )
    tracing = list(TRACING_VARIABLES) if services[service].tracing else []
    for name in [*queue_variable_names(service, services), *tracing]:
        if name in chosen:
            raise DefinitionError(
                [
                    f"{setting.source}: {chosen[name][1]}: muon sets {name} (a queue's URL, a topic's "
                    "ARN, the tracing collector, or the backends the service calls); choose another name"
                ]
            )


def plan_service(
    service: str,
    services: dict[str, ServiceSpec],
    setting: ServiceSetting,
    *,
    priority: int | None,
    password_parameter: str | None,
) -> ServicePlan:
    """Everything decided and checked for ``service`` in one environment, before any resource.
    ``password_parameter``: the ARN of its database's password parameter (with a database)."""
    spec = services[service]
    cpu, memory = _task_size(service, spec, setting)
    override = spec.environments.get(setting.environment)
    scaling = scaling_config(
        override.scaling if override and override.scaling else spec.scaling, setting.tier, spec.kind
    )
    secrets = _secrets(service, spec, setting, password_parameter)
    _, secret_keys = declared_secrets(service, spec.secrets, setting, f"services.{service}.secrets")
    sidecars = plan_sidecars(
        service,
        spec,
        setting,
        (cpu, memory),
        lambda declared, where: declared_secrets(service, declared, setting, where),
        lambda value, where: check_placeholders(value, ENVIRONMENT_PLACEHOLDERS, where, setting.source),
    )
    chosen = _chosen_values(service, spec, setting.environment)
    _check_variables(service, chosen, secrets, services, setting)
    known = (*ENVIRONMENT_PLACEHOLDERS, *database_placeholder_names(spec.database))
    values = []
    for name, (value, where) in chosen.items():
        if value == PASSWORD_PLACEHOLDER and password_parameter is not None:
            # mu passed the password in plain text; muon hands ECS the parameter to inject.
            secrets[name] = password_parameter
            continue
        check_placeholders(value, known, where, setting.source)
        values.append((name, value))
    alarms, tier = spec.alarms, setting.tier
    return ServicePlan(
        name=service,
        spec=spec,
        cpu=cpu,
        memory=memory,
        scaling=scaling,
        priority=priority,
        hosts=service_hosts(service, spec, setting.domain, setting.source),
        secrets=secrets,
        secret_keys=secret_keys,
        values=tuple(values),
        defined=frozenset(chosen),
        deregistration_delay=(
            spec.deregistration_delay if spec.deregistration_delay is not None else DEREGISTRATION_DELAY[tier]
        ),
        sidecars=sidecars,
        incident=IncidentThresholds(
            error_rate_percent=alarms.error_rate_percent or INCIDENT_DEFAULTS[tier][0],
            latency_p99_seconds=alarms.latency_p99_seconds or INCIDENT_DEFAULTS[tier][1],
            minimum_tasks=scaling.min_capacity,
            scales_to_zero=scaling.scales_to_zero,
        ),
    )


def environment_variables(
    plan: ServicePlan,
    placeholders: dict[str, pulumi.Input[str]],
    wiring: EnvironmentWiring,
    database: DatabaseWiring | None,
    workload: WorkloadWiring,
) -> dict[str, pulumi.Input[str]]:
    """mu's database names (an application reads them without any ``environment:`` entry), the
    environment's proxy unless set here, the queues' URLs, then the definition's own."""
    variables: dict[str, pulumi.Input[str]] = (
        {k: v for k, v in database.placeholders.items() if k != "DatabaseReaderEndpointAddress"}
        if database is not None
        else {}
    )
    for name, proxy in wiring.proxy_variables.items():
        if name not in plan.defined:
            variables[name] = proxy
    variables |= queue_variables(workload)
    if plan.spec.tracing is not None:
        variables |= TRACING_VARIABLES
    for name, value in plan.values:
        variables[name] = substitute(value, placeholders)
    return variables


def _health_checks(spec: ServiceSpec) -> tuple[TargetHealthCheck, ContainerHealthCheck | None]:
    health, container = spec.health_check, spec.container_health_check
    target = TargetHealthCheck(
        path=health.path,
        matcher=health.matcher,
        interval=health.interval,
        timeout=health.timeout,
        healthy_threshold=health.healthy_threshold,
        unhealthy_threshold=health.unhealthy_threshold,
    )
    if container is None:
        return target, None
    return target, ContainerHealthCheck(
        command=tuple(container.command),
        interval=container.interval,
        timeout=container.timeout,
        retries=container.retries,
        start_period=container.start_period,
    )


def service_args(
    plan: ServicePlan,
    *,
    environment: str,
    context: AwsContext,
    wiring: EnvironmentWiring,
    image: pulumi.Input[str] | None,
    tags: dict[str, str],
    database: DatabaseWiring | None = None,
    image_repository_arn: pulumi.Input[str] | None = None,
    workload: WorkloadWiring | None = None,
) -> ServiceArgs:
    """The Service's arguments from ``plan`` and the environment's resources: nothing left to
    check. ``image_repository_arn``: where a locally built image lives; for a named image it is
    read from the reference itself (None for registries other than ECR)."""
    spec, workload = plan.spec, workload or WorkloadWiring()
    placeholders: dict[str, pulumi.Input[str]] = {
        "Environment": environment,
        "ServiceName": plan.name,
        "Region": context.region,
        "AccountId": context.account_id,
        "LoadBalancerUrl": wiring.load_balancer_url,
        **(database.placeholders if database is not None else {}),
    }
    health_check, container_health_check = _health_checks(spec)
    if image_repository_arn is None and isinstance(image, str):
        image_repository_arn = repository_arn_of(image)
    return ServiceArgs(
        context=context,
        environment=environment,
        service=plan.name,
        wiring=wiring,
        scaling=plan.scaling,
        image=image,
        image_repository_arn=image_repository_arn,
        port=spec.port,
        cpu=plan.cpu,
        memory=plan.memory,
        priority=plan.priority,
        path_patterns=tuple(spec.path_patterns),
        host_patterns=tuple(spec.host_patterns),
        hosts=plan.hosts,
        protocol=spec.protocol,
        environment_variables=environment_variables(plan, placeholders, wiring, database, workload),
        secrets=dict(plan.secrets),
        secret_keys=dict(plan.secret_keys),
        health_check=health_check,
        grace_period=spec.health_check.grace_period,
        container_health_check=container_health_check,
        readonly_root_filesystem=spec.readonly_root_filesystem,
        user=spec.user,
        command=tuple(spec.command or ()),
        entry_point=tuple(spec.entry_point or ()),
        exec_command=spec.exec_command,
        deregistration_delay=plan.deregistration_delay,
        minimum_healthy_percent=spec.deployment.minimum_healthy_percent,
        maximum_percent=spec.deployment.maximum_percent,
        desired_count=spec.desired_count if spec.desired_count is not None else plan.scaling.min_capacity,
        permissions=tuple(Permission(tuple(p.actions), tuple(p.resources)) for p in spec.permissions),
        database=database.access if database else None,
        kind=spec.kind,
        execution_role_arn=spec.roles.execution,
        task_role_arn=spec.roles.task,
        service_connect=workload.service_connect,
        queue=workload.queue,
        publishes_to=workload.publishes_to,
        topics=workload.topics,
        sidecars=tuple(
            replace(s, environment={k: substitute(str(v), placeholders) for k, v in s.environment.items()})
            for s in plan.sidecars
        ),
        depends_on=tuple(spec.depends_on.items()),
        target_container=spec.target_container or "app",
        logging=log_routing(spec),
        tracing=spec.tracing is not None,
        incident=plan.incident,
        tags={**tags, "muon:service": plan.name},
    )
