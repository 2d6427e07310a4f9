"""A service's database as an RDS DB instance (PostgreSQL, MySQL, MariaDB): Multi-AZ in
production, gp3 storage that grows by itself up to a ceiling, KMS, TLS forced by its parameter
group, IAM authentication where the engine has it; the rest (key, password, subnets, security
group, log groups, events, alarms) is the Database component's, as for Aurora."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from muon.components.aurora import ENGINES, version_family

if TYPE_CHECKING:
    from muon.components.database_args import DatabaseArgs

INSTANCE_EVENTS = ("availability", "failover", "failure", "low storage", "maintenance", "recovery")


@dataclass(frozen=True)
class Built:
    """What the Aurora cluster or the RDS instance gives the rest of the component."""

    endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    resource_id: pulumi.Output[str]
    """For IAM authentication's ``rds-db:connect`` ARN (cluster or DBI resource id)."""
    alarm_dimensions: dict[str, pulumi.Input[str]]
    event_sources: tuple[tuple[str, list[pulumi.Input[str]], tuple[str, ...]], ...]


@dataclass(frozen=True)
class Placement:
    """What the Database component made for its engine to use: key, password, network, logs."""

    key_arn: pulumi.Input[str]
    password: pulumi.Output[str]
    password_version: pulumi.Input[int]
    subnet_group: pulumi.Input[str]
    security_group_id: pulumi.Input[str]
    log_groups: list[aws.cloudwatch.LogGroup]
    monitoring_role_arn: pulumi.Output[str] | None
    final_snapshot: pulumi.Input[str]
    """The snapshot RDS takes when it deletes the database: a name no earlier deletion took."""
    tags: dict[str, str]
    child: pulumi.ResourceOptions


def engine_parameters(args: DatabaseArgs) -> list[dict[str, str]]:
    """muon's parameters (TLS only, logging) at once; the definition's at the next reboot (they
    may be static)."""
    facts = ENGINES[args.engine]
    return [
        *({"name": k, "value": v, "apply_method": "immediate"} for k, v in facts.cluster_parameters),
        *(
            {"name": k, "value": v, "apply_method": "pending-reboot"}
            for k, v in sorted(args.parameters.items())
        ),
    ]


def instance_settings(args: DatabaseArgs, placement: Placement) -> dict[str, object]:
    """What every database instance muon makes shares, an Aurora member or an RDS instance: private,
    patched, the current CA, monitored, Performance Insights with the database's key, tags copied
    to snapshots, production changes held for the maintenance window."""
    insights = args.performance_insights
    return {
        "publicly_accessible": False,
        "auto_minor_version_upgrade": True,
        "ca_cert_identifier": "rds-ca-rsa2048-g1",
        "monitoring_interval": args.monitoring_interval,
        "monitoring_role_arn": placement.monitoring_role_arn,
        "performance_insights_enabled": insights,
        "performance_insights_kms_key_id": placement.key_arn if insights else None,
        "performance_insights_retention_period": 7 if insights else None,
        "copy_tags_to_snapshot": True,
        "apply_immediately": not args.production,  # production changes wait for the window
        "tags": placement.tags,
    }


def rds_instance(name: str, identifier: str, args: DatabaseArgs, placement: Placement) -> Built:
    facts, p = ENGINES[args.engine], placement
    parameter_group = aws.rds.ParameterGroup(
        f"{name}-parameters",
        family=version_family(args.engine, args.version),
        description=f"{identifier}: TLS only, slow-query logging",
        parameters=engine_parameters(args),
        tags=p.tags,
        opts=p.child,
    )
    instance = aws.rds.Instance(
        f"{name}-instance",
        identifier=identifier,
        engine=args.engine,
        # What the instance is created with: by default the major version, a prefix RDS completes
        # with the major's default minor (engine_version's doc in pulumi-aws rds.Instance).
        engine_version=args.version,
        instance_class=args.instance_class,
        db_name=args.cluster_database_name or args.database_name,
        username=args.master_username,
        # Write-only: sent to RDS, never read back into the instance's outputs.
        password_wo=p.password,
        password_wo_version=p.password_version,
        port=args.port,
        db_subnet_group_name=p.subnet_group,
        vpc_security_group_ids=[p.security_group_id],
        parameter_group_name=parameter_group.name,
        multi_az=args.multi_az,
        storage_type="gp3",
        allocated_storage=args.allocated_storage,
        max_allocated_storage=args.max_allocated_storage,
        storage_encrypted=True,
        kms_key_id=p.key_arn,
        iam_database_authentication_enabled=facts.iam_authentication,
        backup_retention_period=args.backup_retention_days,
        backup_window=args.backup_window,
        maintenance_window=args.maintenance_window,
        enabled_cloudwatch_logs_exports=list(facts.log_exports),
        deletion_protection=args.deletion_protection,
        # Every tier: a deletion never loses the data (a development database's snapshot too).
        skip_final_snapshot=False,
        final_snapshot_identifier=p.final_snapshot,
        # Production keeps its automated backups (point-in-time recovery) after a deletion, until
        # their retention ends; development deletes them (the provider's default). In place, read
        # from the state at deletion like the final snapshot (terraform-provider-aws rds/cluster.go,
        # instance.go: delete_automated_backups is neither ForceNew nor sent by a modification).
        delete_automated_backups=not args.production,
        **instance_settings(args, p),
        opts=p.child.merge(
            pulumi.ResourceOptions(
                protect=args.production,
                additional_secret_outputs=["password", "passwordWo"],
                # Linked to the log groups by name only: create those first.
                depends_on=p.log_groups,
                delete_before_replace=True,
                # Then the version is AWS's (automatic minor upgrades): an instance created at a full
                # version (as earlier muon versions did) would otherwise be asked, at the first `up`
                # after an upgrade, to go back ("Cannot upgrade postgres from 17.6 to 17.5"), and a
                # major upgrade is an operation (a new parameter group family), not a diff.
                ignore_changes=["engineVersion"],
            )
        ),
    )
    return Built(
        endpoint=instance.address,
        reader_endpoint=instance.address,  # one instance: the standby serves no reads
        resource_id=instance.resource_id,
        alarm_dimensions={"DBInstanceIdentifier": instance.identifier},
        event_sources=(("db-instance", [instance.identifier], INSTANCE_EVENTS),),
    )
