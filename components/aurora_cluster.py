"""A service's database as an Aurora cluster (MySQL or PostgreSQL) and its instances; the rest
(key, password, subnets, security group, log groups, events, alarms) is the Database component's."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from muon.components.aurora import ENGINES, SERVERLESS_CLASS, version_family
from muon.components.naming import fit
from muon.components.policies import ready
from muon.components.rds_instance import (
    INSTANCE_EVENTS,
    Built,
    Placement,
    engine_parameters,
    instance_settings,
)

if TYPE_CHECKING:
    from muon.components.database_args import DatabaseArgs

CLUSTER_EVENTS = ("failover", "failure", "maintenance", "notification")


def aurora_cluster(name: str, identifier: str, args: DatabaseArgs, placement: Placement) -> Built:
    facts = ENGINES[args.engine]
    p = placement
    parameter_group = aws.rds.ClusterParameterGroup(
        f"{name}-parameters",
        family=version_family(args.engine, args.version),
        description=f"{identifier}: TLS only, audit and slow-query logging",
        parameters=engine_parameters(args),
        tags=p.tags,
        opts=p.child,
    )
    serverless = args.serverless
    cluster = aws.rds.Cluster(
        f"{name}-cluster",
        cluster_identifier=identifier,
        engine=args.engine,
        engine_version=args.version,
        engine_mode="provisioned",
        database_name=args.cluster_database_name or args.database_name,
        master_username=args.master_username,
        # Write-only: sent to RDS, never read back into the cluster's outputs.
        master_password_wo=p.password,
        master_password_wo_version=p.password_version,
        port=args.port,
        db_subnet_group_name=p.subnet_group,
        vpc_security_group_ids=[p.security_group_id],
        db_cluster_parameter_group_name=parameter_group.name,
        storage_encrypted=True,
        kms_key_id=p.key_arn,
        iam_database_authentication_enabled=True,
        backup_retention_period=args.backup_retention_days,
        preferred_backup_window=args.backup_window,
        preferred_maintenance_window=args.maintenance_window,
        copy_tags_to_snapshot=True,
        enabled_cloudwatch_logs_exports=list(facts.log_exports),
        backtrack_window=args.backtrack_seconds or None,
        deletion_protection=args.deletion_protection,
        # Every tier: a deletion never loses the data (a development database's snapshot too).
        skip_final_snapshot=False,
        final_snapshot_identifier=p.final_snapshot,
        # Production keeps its automated backups (point-in-time recovery) after a deletion, until
        # their retention ends; development deletes them (the provider's default). In place, read
        # from the state at deletion like the final snapshot (terraform-provider-aws rds/cluster.go,
        # instance.go: delete_automated_backups is neither ForceNew nor sent by a modification).
        delete_automated_backups=not args.production,
        apply_immediately=not args.production,  # production changes wait for the window
        serverlessv2_scaling_configuration=(
            {
                "min_capacity": serverless.min_capacity,
                "max_capacity": serverless.max_capacity,
                "seconds_until_auto_pause": (
                    serverless.auto_pause_after if serverless.min_capacity == 0 else None
                ),
            }
            if serverless
            else None
        ),
        tags=p.tags,
        opts=p.child.merge(
            pulumi.ResourceOptions(
                protect=args.production,
                additional_secret_outputs=["masterPassword", "masterPasswordWo"],
                # Linked to the log groups by name only: create those first.
                depends_on=p.log_groups,
                # A fixed identifier cannot be taken by the replacement while the old exists.
                delete_before_replace=True,
                # The version is what the cluster is created with; afterwards it is AWS's (automatic
                # minor upgrades, on every instance). Pinned, the next `up` after an upgrade asks
                # RDS to go back ("Cannot upgrade aurora-… from 3.13.0 to 3.12.0"); a prefix ("8.0")
                # is no cure: terraform-provider-aws's cluster update sends engine_version with
                # every modification while it differs from engine_version_actual
                # (internal/service/rds/cluster.go, resourceClusterUpdate).
                ignore_changes=["engineVersion"],
            )
        ),
    )
    instance_class = SERVERLESS_CLASS if serverless else args.instance_class
    instances = [
        aws.rds.ClusterInstance(
            f"{name}-instance-{index}",
            # 63 at most (RDS): the longest names (a 62-character cluster) shorten, hashed; a name
            # that fits is the same as before.
            identifier=fit(f"{identifier}-{index}", 63),
            cluster_identifier=cluster.id,
            engine=args.engine,
            instance_class=instance_class,
            availability_zone=args.zones[index % len(args.zones)] if args.zones else None,
            db_subnet_group_name=p.subnet_group,
            promotion_tier=index,
            **instance_settings(args, p),
            opts=p.child.merge(pulumi.ResourceOptions(delete_before_replace=True)),
        )
        for index in range(args.instances)
    ]

    # A cluster is "available" minutes before its writer exists: whoever connects (the
    # service's tasks) gets the endpoints once the instances do.
    return Built(
        endpoint=ready(cluster.endpoint, *instances),
        reader_endpoint=ready(cluster.reader_endpoint, *instances),
        resource_id=cluster.cluster_resource_id,
        alarm_dimensions={"DBClusterIdentifier": cluster.id},
        event_sources=(
            ("db-cluster", [cluster.id], CLUSTER_EVENTS),
            ("db-instance", [instance.identifier for instance in instances], INSTANCE_EVENTS),
        ),
    )
