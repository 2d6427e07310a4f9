"""A service of the definition, in one environment: ``plan_service`` decides and checks
everything before any resource exists; ``stacks/wiring/services.py`` assembles the Service's
arguments from that plan and the environment's resources, and checks nothing."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from muon.components.context import AwsContext
from muon.components.scaling import ScalingConfig, Schedule, Step, StepPolicy
from muon.components.service_args import (
    ContainerHealthCheck,
    IncidentThresholds,
    ManagedSecret,
    Sidecar,
    TargetHealthCheck,
    fargate_size_problem,
)
from muon.components.service_containers import TRACING_VARIABLES
from muon.stacks.definition import DatabaseSpec, ScalingSpec, ServiceKind, ServiceSpec, StepPolicySpec, Tier
from muon.stacks.definition.fields import SecretReference, SecretsManagerSpec, SecretSpec
from muon.stacks.errors import DefinitionError
from muon.stacks.resolve.containers import plan_sidecars
from muon.stacks.resolve.routing import service_hosts
from muon.stacks.resolve.secrets_manager import managed_secrets
from muon.stacks.resolve.storage import storage_variable_names
from muon.stacks.resolve.traffic import target_tracking
from muon.stacks.resolve.workloads import queue_variable_names

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
    managed_secrets: dict[str, ManagedSecret]
    """Variable → a Secrets Manager secret (``secrets.<name>.secret``)."""
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
        target_tracking=target_tracking(spec.target_tracking),
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


def declared_secrets(
    service: str, declared_secrets: dict[str, SecretReference], setting: ServiceSetting, where: str
) -> tuple[dict[str, str], dict[str, str]]:
    """A container's Parameter Store ``secrets:`` (``where`` names them) as ARNs, and the KMS keys
    of those that name one (a key's region and partition are checked with every ARN,
    resolve/checks.py). The Secrets Manager form is secrets_manager.py's."""
    secrets, keys = {}, {}
    for name, declared in declared_secrets.items():
        if isinstance(declared, SecretsManagerSpec):
            continue  # secrets_manager.py
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
        if isinstance(declared, SecretSpec):
            keys[name] = declared.key
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
    for name, owner in storage_variable_names(services[service]).items():
        if name in chosen:
            raise DefinitionError(
                [
                    f"{setting.source}: {chosen[name][1]}: muon sets {name} (the name of "
                    f"services.{service}.{owner}); choose another name"
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
    managed = managed_secrets(
        dict(spec.secrets),
        setting.context,
        environment=setting.environment,
        service=service,
        source=setting.source,
    )
    sidecars = plan_sidecars(
        service,
        spec,
        setting,
        (cpu, memory),
        lambda declared, where: declared_secrets(service, declared, setting, where),
        lambda value, where: check_placeholders(value, ENVIRONMENT_PLACEHOLDERS, where, setting.source),
    )
    chosen = _chosen_values(service, spec, setting.environment)
    _check_variables(
        service, chosen, {**secrets, **{n: m.value_from for n, m in managed.items()}}, services, setting
    )
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
        managed_secrets=managed,
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


def health_checks(spec: ServiceSpec) -> tuple[TargetHealthCheck, ContainerHealthCheck | None]:
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
