"""From a service's ``database:`` in one environment, to the Database component and its wiring."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

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
from muon.stacks.definition import DatabaseOverride, DatabaseSpec, ServerlessSpec, Tier
from muon.stacks.errors import DefinitionError, MuonError
from muon.stacks.resolve.services import DatabaseWiring
from muon.stacks.tiers import TIER_DEFAULTS


def parameter_name(template: str, environment: str, service: str, namespace: str) -> str:
    return (
        template.replace("${Namespace}", namespace)
        .replace("${Environment}", environment)
        .replace("${ServiceName}", service)
    )


def find_password(name: str, managed_by: str, version: int) -> GeneratedPassword | ExistingPassword:
    """mu's rule, made safe: use a customer's SecureString if one exists, else generate one.

    A parameter muon generated on an earlier run exists too; its ``muon:managed-by`` tag tells it
    apart, so the second run keeps managing it instead of adopting (and then deleting) it.
    """
    try:
        found = aws.ssm.get_parameter(name=name, with_decryption=False)
    except Exception as error:  # the provider reports ParameterNotFound as a plain invoke error
        if "ParameterNotFound" not in str(error) and "not found" not in str(error).lower():
            raise MuonError(f"cannot read Parameter Store parameter {name}: {error}") from error
        return GeneratedPassword(parameter_name=name, version=version, managed_by=managed_by)
    tags = _tags_of(found.arn)
    owner = tags.get(MANAGED_BY_TAG)
    if owner == managed_by:
        return GeneratedPassword(parameter_name=name, version=version, managed_by=managed_by)
    if owner is not None:
        raise MuonError(
            f"the database password parameter {name} belongs to stack {owner}; two stacks cannot "
            "share one database password (set database.passwordParameter to another name)"
        )
    if found.type != "SecureString":
        raise MuonError(f"{name} exists but is a {found.type}; a database password must be a SecureString")
    secret = aws.ssm.get_parameter(name=name, with_decryption=True)
    return ExistingPassword(
        parameter_name=name, value=pulumi.Output.secret(secret.value), version=int(secret.version or 1)
    )


def _tags_of(arn: str) -> dict[str, str]:
    # Parameter Store's GetParameter returns no tags; the tagging API does, for any ARN.
    try:
        found = aws.resourcegroupstaggingapi.get_resources(resource_arn_lists=[arn])
    except Exception as error:  # an invoke failure arrives as a plain Exception
        raise MuonError(
            f"cannot read the tags of {arn} (the deploying role needs tag:GetResources) to tell a "
            f"muon-generated password from your own: {error}"
        ) from error
    for mapping in found.resource_tag_mapping_lists:
        if mapping.resource_arn == arn:
            return dict(mapping.tags or {})
    return {}


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
    backtrack_hours = spec.backtrack_hours
    if backtrack_hours is None:
        available = spec.engine == "aurora-mysql" and context.region not in BACKTRACK_UNAVAILABLE
        backtrack_hours = defaults.db_backtrack_hours if available else 0
    max_acu = serverless.max_capacity if serverless is not None else None
    connections = spec.alarms.connections or int(
        0.8 * estimated_max_connections(spec.engine, instance_class, max_acu)
    )
    return DatabaseArgs(
        context=context,
        environment=environment,
        service=service,
        engine=spec.engine,
        version=spec.version or facts.default_version,
        database_name=spec.name,
        master_username=spec.master_username,
        port=spec.port or facts.port,
        instance_class=instance_class,
        instances=override.instances or spec.instances or defaults.db_instances,
        serverless=serverless,
        zones=zones,
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        alarm_topic_arn=alarm_topic_arn,
        password=password,
        alarms=DatabaseAlarms(
            cpu_percent=spec.alarms.cpu,
            freeable_memory_mib=spec.alarms.freeable_memory_mib,
            connections=connections,
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
        backtrack_seconds=backtrack_hours * 3600,
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
    values: dict[str, pulumi.Input[str]] = {
        "DatabaseEndpointAddress": endpoint,
        "DatabaseReaderEndpointAddress": reader_endpoint,
        "DatabaseEndpointPort": str(port),
        "DatabaseName": spec.name,
        "DatabaseMasterUsername": spec.master_username,
    }
    if spec.iam_authentication:
        values["DatabaseIamUser"] = iam_user(service, spec)
    return values


def preflight_database(
    spec: DatabaseSpec, service: str, context: AwsContext, password_name: str
) -> DatabaseWiring:
    """Stand-in wiring for checking a service's composition before the database exists."""
    return DatabaseWiring(
        placeholders=database_placeholders(
            spec, service, endpoint="preflight", reader_endpoint="preflight", port=spec.port or 0
        ),
        access=DatabaseAccess(
            security_group_id="preflight",
            port=spec.port or 0,
            password_parameter_arn=context.arn("ssm", f"parameter{password_name}"),
            password_key_arn=None,
        ),
        iam_authentication=spec.iam_authentication,
    )


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
