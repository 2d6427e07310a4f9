"""A service's own Aurora cluster, its key, its network boundary and its master password."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from muon.components.aurora import ENGINES
from muon.components.aurora_cluster import aurora_cluster
from muon.components.database_args import (
    DatabaseAlarms,
    DatabaseArgs,
    ExistingPassword,
    GeneratedPassword,
    ServerlessCapacity,
)
from muon.components.encryption import ExistingKey, Key, KeyArgs, key_or_existing
from muon.components.naming import fit
from muon.components.policies import assume_role_policy, ready
from muon.components.rds_instance import Placement, rds_instance
from muon.components.tags import MANAGED_BY_TAG

# RDS rejects '/', '@', '"' and spaces in master passwords; everything here is safe in a
# shell, a JDBC URL's query string and a MySQL/PostgreSQL client option file.
PASSWORD_SPECIALS = "!#$%^&*()-_=+[]{}<>:?"
PASSWORD_LENGTH = 16

# The arguments live in database_args.py; callers import them from here too.
__all__ = [
    "Database",
    "DatabaseAlarms",
    "DatabaseArgs",
    "ExistingPassword",
    "GeneratedPassword",
    "ServerlessCapacity",
]


class Database(pulumi.ComponentResource):
    endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    port: int
    database_name: str
    master_username: str
    cluster_identifier: str
    kind: str
    alarm_names: list[str]
    """Its CPU, memory and connections alarms (set by ``_alarms``)."""
    alarm_dimension: str
    """``DBClusterIdentifier`` or ``DBInstanceIdentifier``: how its metrics are found."""
    cluster_resource_id: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    password_parameter_arn: str
    password_key_arn: pulumi.Output[str] | None
    """The key the password parameter is encrypted with; None when the customer chose it."""

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:data:Database", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        context, facts = args.context, ENGINES[args.engine]
        # A fixed identifier: the log groups below must exist, encrypted, before RDS creates them.
        namespace = args.context.namespace
        identifier = f"{namespace}-{args.environment}-{args.service}"
        tags = {**args.tags, "muon:service": args.service}

        key = key_or_existing(
            f"{name}-key",
            args.key_arn,
            KeyArgs(
                context=context,
                description=f"muon database {identifier}: storage, password, Performance Insights, logs",
                alias=f"{namespace}/{args.environment}/{args.service}/database",
                tags=tags,
                publishing_services=(),
            ),
            opts=child,
        )
        password, password_version = self._password(name, args, key, tags, child)

        subnets = aws.rds.SubnetGroup(
            f"{name}-subnets",
            description=f"{identifier}: isolated subnets (no route to the internet)",
            subnet_ids=args.subnet_ids,
            tags=tags,
            opts=child,
        )
        security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"{identifier}: the service's tasks reach port {args.port}; nothing else",
            egress=[],  # a database starts no connections
            tags={**tags, "Name": f"{identifier}-database"},
            opts=child,
        )
        log_groups = [
            aws.cloudwatch.LogGroup(
                f"{name}-log-{log}",
                name=f"/aws/rds/{'instance' if facts.instance_engine else 'cluster'}/{identifier}/{log}",
                retention_in_days=args.log_retention_days,
                kms_key_id=key.arn,
                tags=tags,
                opts=child,
            )
            for log in facts.log_exports
        ]
        monitoring_role_arn = self._monitoring_role(name, identifier, args, tags, child)

        # An RDS DB instance or an Aurora cluster: the rest of the database is the same.
        build = rds_instance if facts.instance_engine else aurora_cluster
        placement = Placement(
            key_arn=key.arn,
            password=password,
            password_version=password_version,
            subnet_group=subnets.name,
            security_group_id=security_group.id,
            log_groups=log_groups,
            monitoring_role_arn=monitoring_role_arn,
            final_snapshot=self._final_snapshot(name, identifier, args, key.arn, subnets.name, child),
            tags=tags,
            child=child,
        )
        built = build(name, identifier, args, placement)
        self._events(name, identifier, args, built.event_sources, tags, child)
        self._alarms(name, identifier, args, built.alarm_dimensions, child)
        self.endpoint = built.endpoint
        self.reader_endpoint = built.reader_endpoint
        self.port = args.port
        self.database_name = args.database_name
        self.master_username = args.master_username
        self.cluster_identifier = identifier
        self.kind = "instance" if facts.instance_engine else "cluster"
        self.cluster_resource_id = built.resource_id
        self.security_group_id = security_group.id
        self.key_arn = key.arn
        self.password_parameter_arn = context.arn("ssm", f"parameter{args.password.parameter_name}")
        self.password_key_arn = key.arn if isinstance(args.password, GeneratedPassword) else None
        self.register_outputs(self.outputs())

    @staticmethod
    def _final_snapshot(
        name: str,
        identifier: str,
        args: DatabaseArgs,
        key_arn: pulumi.Input[str],
        subnet_group: pulumi.Input[str],
        child: pulumi.ResourceOptions,
    ) -> pulumi.Output[str]:
        """``<identifier>-final-<8 hex>``: RDS refuses a final snapshot whose name exists, so each
        database a deletion may take gets a name of its own. The suffix changes with every input
        that makes the provider replace the database (the keepers: identifier, engine, the database
        created with it, master user, key, subnet group), so a replacement's deletion and the next
        one never share a name; the old database's deletion reads the name from the state it was
        deployed with. All of them are ForceNew for an Aurora cluster (terraform-provider-aws
        internal/service/rds/cluster.go). An RDS instance (instance.go) updates ``identifier`` in
        place since provider v5 (PR #32687), and ``db_subnet_group_name`` too: a change of those
        gives it a new final snapshot name (in the state, in place) without replacing it."""
        import pulumi_random as random  # as in _password: only stacks with a database load it

        suffix = random.RandomId(
            f"{name}-final-snapshot",
            byte_length=4,
            keepers={
                "identifier": identifier,
                "engine": args.engine,
                "database": args.cluster_database_name or args.database_name,
                "username": args.master_username,
                "key": key_arn,
                "subnets": subnet_group,
            },
            opts=child,
        )
        return pulumi.Output.concat(identifier, "-final-", suffix.hex)

    @staticmethod
    def _monitoring_role(
        name: str, identifier: str, args: DatabaseArgs, tags: dict[str, str], child: pulumi.ResourceOptions
    ) -> pulumi.Output[str] | None:
        """Enhanced monitoring's role (None with ``monitoring_interval`` 0), handed over once its
        policy is attached: RDS checks the role's permissions when the instance is created (a data
        dependency, not a depends_on)."""
        if not args.monitoring_interval:
            return None
        context = args.context
        monitoring_role = aws.iam.Role(
            f"{name}-monitoring-role",
            name=fit(f"{identifier}-monitoring", 64),
            assume_role_policy=assume_role_policy(
                "monitoring.rds.amazonaws.com", source_account=context.account_id
            ),
            tags=tags,
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-monitoring-policy",
            role=monitoring_role.name,
            policy_arn=context.managed_policy("service-role/AmazonRDSEnhancedMonitoringRole"),
            opts=child,
        )
        return ready(monitoring_role.arn, attachment)

    def _password(
        self,
        name: str,
        args: DatabaseArgs,
        key: Key | ExistingKey,
        tags: dict[str, str],
        child: pulumi.ResourceOptions,
    ) -> tuple[pulumi.Output[str], pulumi.Input[int]]:
        """The master password (a secret) and the version that rotates it when it changes."""
        source = args.password
        if isinstance(source, ExistingPassword):
            return pulumi.Output.secret(source.value), source.version
        # Imported here: a stack with no generated password never loads the random provider's SDK.
        import pulumi_random as random

        generated = random.RandomPassword(
            f"{name}-password",
            length=PASSWORD_LENGTH,
            special=True,
            override_special=PASSWORD_SPECIALS,
            min_lower=1,
            min_upper=1,
            min_numeric=1,
            min_special=1,
            keepers={"version": str(source.version)},
            opts=child,
        )
        # Typed: mypy cannot infer Output.secret's T from an Output[str] on its own.
        value: pulumi.Output[str] = pulumi.Output.secret(generated.result)
        aws.ssm.Parameter(
            f"{name}-password-parameter",
            name=source.parameter_name,
            description=f"Master password of {args.context.namespace}-{args.environment}-{args.service} "
            "(generated by muon)",
            type="SecureString",
            key_id=key.arn,
            value_wo=value,
            value_wo_version=source.version,
            tier="Standard",
            tags={**tags, MANAGED_BY_TAG: source.managed_by},
            opts=child,
        )
        return value, source.version

    def _events(
        self,
        name: str,
        identifier: str,
        args: DatabaseArgs,
        sources: tuple[tuple[str, list[pulumi.Input[str]], tuple[str, ...]], ...],
        tags: dict[str, str],
        child: pulumi.ResourceOptions,
    ) -> None:
        """Failures, failovers and maintenance of the database → the alarm topic."""
        for source_type, ids, categories in sources:
            role = "cluster" if source_type == "db-cluster" else "instance"
            aws.rds.EventSubscription(
                f"{name}-{role}-events",
                name=f"{identifier}-{role if role == 'cluster' else 'instances'}",
                sns_topic=args.alarm_topic_arn,
                source_type=source_type,
                source_ids=ids,
                event_categories=list(categories),
                tags=tags,
                opts=child,
            )

    def _alarms(
        self,
        name: str,
        identifier: str,
        args: DatabaseArgs,
        dimensions: dict[str, pulumi.Input[str]],
        child: pulumi.ResourceOptions,
    ) -> None:
        self.alarm_names: list[str] = []
        self.alarm_dimension = next(iter(dimensions))
        checks = (
            ("cpu", "CPU above {:g}%", "CPUUtilization", "Average", args.alarms.cpu_percent, "Greater"),
            (
                "memory",
                "freeable memory below {:g} MiB",
                "FreeableMemory",
                "Minimum",
                args.alarms.freeable_memory_mib,
                "Less",
            ),
            (
                "connections",
                "more than {:g} connections",
                "DatabaseConnections",
                "Maximum",
                args.alarms.connections,
                "Greater",
            ),
        )
        for role, description, metric, statistic, threshold, direction in checks:
            value = threshold * 1024 * 1024 if metric == "FreeableMemory" else threshold
            self.alarm_names.append(f"{identifier}-db-{role}")
            aws.cloudwatch.MetricAlarm(
                f"{name}-{role}-alarm",
                name=self.alarm_names[-1],
                alarm_description=f"{identifier}: {description.format(threshold)}",
                namespace="AWS/RDS",
                metric_name=metric,
                dimensions=dimensions,
                statistic=statistic,
                period=300,
                evaluation_periods=3,
                datapoints_to_alarm=3,
                threshold=value,
                comparison_operator=f"{direction}ThanThreshold",
                # A paused Serverless v2 cluster reports nothing: that is not an alarm.
                treat_missing_data="notBreaching",
                actions_enabled=True,
                alarm_actions=[args.alarm_topic_arn],
                ok_actions=[args.alarm_topic_arn],
                opts=child,
            )

    def outputs(self) -> dict[str, pulumi.Input[object]]:
        return {
            "clusterIdentifier": self.cluster_identifier,
            "endpoint": self.endpoint,
            "readerEndpoint": self.reader_endpoint,
            "port": self.port,
            "databaseName": self.database_name,
            "masterUsername": self.master_username,
            "passwordParameterArn": self.password_parameter_arn,
            # An Aurora cluster or one RDS DB instance (the day-2 commands ask RDS accordingly).
            "kind": self.kind,
        }
