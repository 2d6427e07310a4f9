"""A Database's arguments from the decisions of ``stacks/resolve/databases.py`` and the
environment's network, and what a service gets of the database (its variables, its access)."""

from __future__ import annotations

import pulumi

from muon.components.aurora import ENGINES
from muon.components.context import AwsContext
from muon.components.database import (
    Database,
    DatabaseAlarms,
    DatabaseArgs,
    ExistingPassword,
    GeneratedPassword,
)
from muon.components.service_args import DatabaseAccess
from muon.stacks.definition import DatabaseOverride, DatabaseSpec, Tier
from muon.stacks.resolve.databases import (
    MAX_STORAGE,
    backtrack_hours,
    capacity_of,
    iam_user,
    insights_choice,
)
from muon.stacks.resolve.services import DATABASE_VALUES
from muon.stacks.tiers import TIER_DEFAULTS


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
    capacity = capacity_of(spec, override, tier)
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
        backtrack_seconds=backtrack_hours(spec, tier, context.region) * 3600,
        allocated_storage=spec.allocated_storage,
        max_allocated_storage=spec.max_allocated_storage
        or max(MAX_STORAGE[tier], spec.allocated_storage + 20),
        multi_az=spec.multi_az if spec.multi_az is not None else tier == "production",
        parameters=dict(spec.parameters),
        tags=tags,
        key_arn=key_arn,
    )


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
