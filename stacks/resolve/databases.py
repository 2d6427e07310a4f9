"""From a service's ``database:`` in one environment, to the Database component and its wiring."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from muon.components.aurora import (
    BACKTRACK_UNAVAILABLE,
    DEFAULT_INSTANCE_CLASS,
    ENGINES,
    SERVERLESS_CLASS,
    estimated_max_connections,
    insights_problem,
    supports_pause,
)
from muon.components.context import AwsContext
from muon.components.database import (
    Database,
    DatabaseAlarms,
    DatabaseArgs,
    ExistingPassword,
    GeneratedPassword,
    ServerlessCapacity,
)
from muon.components.service_args import DatabaseAccess
from muon.components.tags import MANAGED_BY_TAG
from muon.stacks.definition import DatabaseOverride, DatabaseSpec, ServerlessSpec, ServiceSpec, Tier
from muon.stacks.errors import DefinitionError, MuonError
from muon.stacks.facts import Facts
from muon.stacks.resolve.renames import former_service
from muon.stacks.resolve.services import DATABASE_VALUES
from muon.stacks.tiers import TIER_DEFAULTS


def parameter_name(template: str, environment: str, service: str, namespace: str) -> str:
    return (
        template.replace("${Namespace}", namespace)
        .replace("${Environment}", environment)
        .replace("${ServiceName}", service)
    )


def choose_password(
    name: str, managed_by: str, version: int, facts: Facts
) -> GeneratedPassword | ExistingPassword:
    """mu's rule, made safe: use a customer's SecureString if one exists, else generate one.

    A parameter muon generated on an earlier run exists too; its ``muon:managed-by`` tag tells it
    apart, so the second run keeps managing it instead of adopting (and then deleting) it.
    """
    found = facts.password_parameter(name)
    if found is None:
        return GeneratedPassword(parameter_name=name, version=version, managed_by=managed_by)
    owner = found.tags.get(MANAGED_BY_TAG)
    if owner == managed_by:
        return GeneratedPassword(parameter_name=name, version=version, managed_by=managed_by)
    if owner is not None:
        raise MuonError(
            f"the database password parameter {name} belongs to stack {owner}; two stacks cannot "
            "share one database password (set database.passwordParameter to another name)"
        )
    if found.type != "SecureString":
        raise MuonError(f"{name} exists but is a {found.type}; a database password must be a SecureString")
    secret = facts.password_value(name)
    return ExistingPassword(parameter_name=name, value=secret.value, version=secret.version)


def database_parameters(
    services: dict[str, ServiceSpec], environment: str, namespace: str, source: str
) -> dict[str, str]:
    """Each database's password parameter (by service): one parameter, one database."""
    names: dict[str, str] = {}
    for service, service_spec in services.items():
        if service_spec.database is None:
            continue
        # A renamed service's password stays where it is (stacks/resolve/renames.py).
        kept = former_service(service, service_spec)
        name = parameter_name(service_spec.database.password_parameter, environment, kept, namespace)
        owner = next((s for s, taken in names.items() if taken == name), None)
        if owner is not None:
            raise DefinitionError(
                [
                    f"{source}: services.{service}.database.passwordParameter: {name} is already the "
                    f"password of service '{owner}' (environment {environment}); two databases cannot "
                    "share one parameter"
                ]
            )
        names[service] = name
    return names


@dataclass(frozen=True)
class DatabasePlan:
    """The environment's databases, decided before any exists."""

    passwords: dict[str, GeneratedPassword | ExistingPassword]
    """By service."""
    warnings: list[str]


def plan_databases(
    services: dict[str, ServiceSpec],
    parameters: dict[str, str],
    *,
    environment: str,
    tier: Tier,
    managed_by: str,
    source: str,
    facts: Facts,
) -> DatabasePlan:
    """Each database's password (generated, or the customer's, from ``parameters``: by service)
    and what a tier's default that had to give way says."""
    warnings: list[str] = []
    for service in parameters:  # every check first, then the reads
        spec, override = services[service].database, services[service].environments.get(environment)
        assert spec is not None
        _, warning = insights_choice(
            spec,
            override.database if override else None,
            tier,
            service=service,
            environment=environment,
            source=source,
        )
        warnings += [warning] if warning else []
    passwords: dict[str, GeneratedPassword | ExistingPassword] = {}
    for service, name in parameters.items():
        spec = services[service].database
        assert spec is not None
        passwords[service] = choose_password(name, managed_by, spec.password_version, facts)
    return DatabasePlan(passwords=passwords, warnings=warnings)


@dataclass(frozen=True)
class Capacity:
    """A database's instances: their class (``db.serverless`` for Serverless v2) and count."""

    instance_class: str
    serverless: ServerlessCapacity | None
    instances: int
    connections_alarm: int


def _capacity(spec: DatabaseSpec, override: DatabaseOverride, tier: Tier) -> Capacity:
    instance_class = instance_class_of(spec, override, tier)
    serverless_spec = serverless_of(spec, override, tier)
    serverless = (
        ServerlessCapacity(
            min_capacity=serverless_spec.min_capacity,
            max_capacity=serverless_spec.max_capacity,
            auto_pause_after=serverless_spec.auto_pause_after,
        )
        if serverless_spec
        else None
    )
    max_acu = serverless.max_capacity if serverless is not None else None
    connections = spec.alarms.connections or int(
        0.8 * estimated_max_connections(spec.engine, instance_class, max_acu)
    )
    return Capacity(
        instance_class=instance_class,
        serverless=serverless,
        instances=override.instances or spec.instances or TIER_DEFAULTS[tier].db_instances,
        connections_alarm=connections,
    )


def _backtrack_hours(spec: DatabaseSpec, tier: Tier, region: str) -> int:
    if spec.backtrack_hours is not None:
        return spec.backtrack_hours
    available = spec.engine == "aurora-mysql" and region not in BACKTRACK_UNAVAILABLE
    return TIER_DEFAULTS[tier].db_backtrack_hours if available else 0


def database_args(
    service: str,
    spec: DatabaseSpec,
    override: DatabaseOverride | None,
    *,
    environment: str,
    tier: Tier,
    context: AwsContext,
    zones: tuple[str, ...],
    vpc_id: pulumi.Input[str],
    subnet_ids: pulumi.Input[list[str]],
    alarm_topic_arn: pulumi.Input[str],
    log_retention_days: int,
    password: GeneratedPassword | ExistingPassword,
    tags: dict[str, str],
    key_arn: str | None = None,
) -> DatabaseArgs:
    defaults = TIER_DEFAULTS[tier]
    facts = ENGINES[spec.engine]
    override = override or DatabaseOverride()
    capacity = _capacity(spec, override, tier)
    return DatabaseArgs(
        context=context,
        environment=environment,
        service=service,
        engine=spec.engine,
        version=spec.version or facts.default_version,
        database_name=spec.name,
        cluster_database_name=spec.formerly,  # RDS cannot rename it (stacks/resolve/renames.py)
        master_username=spec.master_username,
        port=spec.port or facts.port,
        instance_class=capacity.instance_class,
        instances=capacity.instances,
        serverless=capacity.serverless,
        zones=zones,
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        alarm_topic_arn=alarm_topic_arn,
        password=password,
        alarms=DatabaseAlarms(
            cpu_percent=spec.alarms.cpu,
            freeable_memory_mib=spec.alarms.freeable_memory_mib,
            connections=capacity.connections_alarm,
        ),
        production=tier == "production",
        log_retention_days=log_retention_days,
        backup_retention_days=spec.backup_retention or defaults.db_backup_days,
        backup_window=spec.backup_window,
        maintenance_window=spec.maintenance_window,
        deletion_protection=(
            spec.deletion_protection
            if spec.deletion_protection is not None
            else defaults.db_deletion_protection
        ),
        performance_insights=insights_choice(
            spec, override, tier, service=service, environment=environment, source=""
        )[0],
        monitoring_interval=(
            spec.monitoring_interval
            if spec.monitoring_interval is not None
            else defaults.db_monitoring_interval
        ),
        backtrack_seconds=_backtrack_hours(spec, tier, context.region) * 3600,
        allocated_storage=spec.allocated_storage,
        max_allocated_storage=spec.max_allocated_storage
        or max(MAX_STORAGE[tier], spec.allocated_storage + 20),
        multi_az=spec.multi_az if spec.multi_az is not None else tier == "production",
        parameters=dict(spec.parameters),
        tags=tags,
        key_arn=key_arn,
    )


MAX_STORAGE = {"development": 100, "production": 1000}
"""RDS instance engines: how far storage autoscaling may grow (GiB) unless the definition says."""


def serverless_of(spec: DatabaseSpec, override: DatabaseOverride | None, tier: Tier) -> ServerlessSpec | None:
    """The Serverless v2 capacity, if the database is serverless: as given, or — nothing given in
    a tier that pauses idle databases (development) — 0 to 4 ACUs, paused after 10 idle minutes:
    at muon's price table a few working hours a day cost a fraction of the smallest instance's month."""
    override = override or DatabaseOverride()
    if override.serverless or override.instance_class:
        return override.serverless
    if spec.serverless or spec.instance_class:
        return spec.serverless
    if ENGINES[spec.engine].instance_engine:
        return None  # an RDS DB instance: no Serverless v2
    version = spec.version or ENGINES[spec.engine].default_version
    if TIER_DEFAULTS[tier].db_pause_when_idle and supports_pause(spec.engine, version):
        return ServerlessSpec(min_capacity=0)
    return None


def instance_class_of(spec: DatabaseSpec, override: DatabaseOverride | None, tier: Tier) -> str:
    if serverless_of(spec, override, tier) is not None:
        return SERVERLESS_CLASS
    override = override or DatabaseOverride()
    # An RDS instance in development: the smallest Graviton class (production: db.t4g.medium).
    default = (
        "db.t4g.micro"
        if ENGINES[spec.engine].instance_engine and tier == "development"
        else DEFAULT_INSTANCE_CLASS
    )
    return override.instance_class or spec.instance_class or default


def insights_choice(
    spec: DatabaseSpec,
    override: DatabaseOverride | None,
    tier: Tier,
    *,
    service: str,
    environment: str,
    source: str,
) -> tuple[bool, str | None]:
    """Performance Insights on or off, and a warning when the tier's default had to give way.

    Asked for explicitly on a class without it: refused (AWS would fail the instance's creation).
    """
    problem = insights_problem(spec.engine, instance_class_of(spec, override, tier))
    if not problem:
        on = spec.performance_insights
        return (TIER_DEFAULTS[tier].db_performance_insights if on is None else on), None
    where = f"services.{service}.database"
    chosen = (
        f"services.{service}.environments.{environment}.database.instanceClass"
        if override and override.instance_class
        else f"{where}.instanceClass"
    )
    if spec.performance_insights:
        raise DefinitionError(
            [
                f"{source}: {where}.performanceInsights: {problem} ({chosen}, environment {environment}); "
                "choose db.t4g.medium or larger, or performanceInsights: false"
            ]
        )
    if spec.performance_insights is None and TIER_DEFAULTS[tier].db_performance_insights:
        return False, f"{source}: {chosen}: {problem} (environment {environment}); it is left off"
    return False, None


def iam_user(service: str, spec: DatabaseSpec) -> str:
    return spec.iam_user or service.replace("-", "_")


def database_placeholders(
    spec: DatabaseSpec,
    service: str,
    *,
    endpoint: pulumi.Input[str],
    reader_endpoint: pulumi.Input[str],
    port: int,
) -> dict[str, pulumi.Input[str]]:
    """The ``${Database...}`` names mu gave its CloudFormation parameters, with this database's values."""
    values: dict[str, pulumi.Input[str]] = dict(
        zip(
            DATABASE_VALUES,
            (endpoint, reader_endpoint, str(port), spec.name, spec.master_username),
            strict=True,
        )
    )
    if spec.iam_authentication:
        values["DatabaseIamUser"] = iam_user(service, spec)
    return values


def database_access(
    database: Database,
    spec: DatabaseSpec,
    service: str,
    context: AwsContext,
    password: GeneratedPassword | ExistingPassword,
) -> DatabaseAccess:
    connect_arn = None
    if spec.iam_authentication:
        user = iam_user(service, spec)
        connect_arn = database.cluster_resource_id.apply(
            lambda resource_id: context.arn("rds-db", f"dbuser:{resource_id}/{user}")
        )
    return DatabaseAccess(
        security_group_id=database.security_group_id,
        port=database.port,
        password_parameter_arn=database.password_parameter_arn,
        password_key_arn=database.password_key_arn,
        iam_connect_arn=connect_arn,
        # The generated password's version, or the customer parameter's: either changes the task
        # definition when the password changes, so the tasks restart with it.
        password_version=(
            f"generated-{password.version}"
            if isinstance(password, GeneratedPassword)
            else f"parameter-{password.version}"
        ),
    )
