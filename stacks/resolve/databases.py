"""A service's ``database:`` in one environment: its password, capacity and tier defaults, decided
before any resource (``stacks/wiring/databases.py`` makes the Database's arguments of them)."""

from __future__ import annotations

from dataclasses import dataclass

from muon.components.aurora import (
    BACKTRACK_UNAVAILABLE,
    DEFAULT_INSTANCE_CLASS,
    ENGINES,
    SERVERLESS_CLASS,
    estimated_max_connections,
    insights_problem,
    supports_pause,
)
from muon.components.database import (
    ExistingPassword,
    GeneratedPassword,
    ServerlessCapacity,
)
from muon.components.tags import MANAGED_BY_TAG
from muon.stacks.definition import DatabaseOverride, DatabaseSpec, ServerlessSpec, ServiceSpec, Tier
from muon.stacks.errors import DefinitionError, MuonError
from muon.stacks.facts import Facts
from muon.stacks.resolve.renames import former_service
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


def capacity_of(spec: DatabaseSpec, override: DatabaseOverride, tier: Tier) -> Capacity:
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


def backtrack_hours(spec: DatabaseSpec, tier: Tier, region: str) -> int:
    if spec.backtrack_hours is not None:
        return spec.backtrack_hours
    available = spec.engine == "aurora-mysql" and region not in BACKTRACK_UNAVAILABLE
    return TIER_DEFAULTS[tier].db_backtrack_hours if available else 0


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
