"""A container service: task definition, roles, routing, ECS service and its scaling."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from muon.components.alarms import topic_alarm
from muon.components.cluster import CapacityItem
from muon.components.context import AwsContext
from muon.components.domain import alias_record
from muon.components.naming import fit, unique_name
from muon.components.policies import allow, assume_role_policy, document, ready, to_json
from muon.components.registry import EXECUTION_ROLE_PATH, PULL_ACTIONS
from muon.components.scaling import ScalingConfig, StepScaling, StepScalingArgs

# Fargate's valid CPU → memory (MiB) combinations (ECS developer guide, "Task size").
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}


def fargate_size_problem(cpu: int, memory: int) -> str | None:
    """Why ``cpu``/``memory`` cannot run on Fargate, or None when they can."""
    if cpu not in FARGATE_SIZES:
        return f"Fargate CPU must be one of {', '.join(map(str, FARGATE_SIZES))}, got {cpu}"
    allowed = FARGATE_SIZES[cpu]
    if memory not in allowed:
        if len(allowed) <= 4:
            choices = ", ".join(map(str, allowed))
        else:
            choices = f"{allowed[0]}-{allowed[-1]} in steps of {allowed[1] - allowed[0]}"
        return f"Fargate with cpu {cpu} takes memory {choices} MiB, got {memory}"
    return None


@dataclass(frozen=True)
class TargetHealthCheck:
    path: str = "/"
    matcher: str = "200-399"
    interval: int = 15
    timeout: int = 5
    healthy_threshold: int = 2
    unhealthy_threshold: int = 3


@dataclass(frozen=True)
class ContainerHealthCheck:
    command: tuple[str, ...]
    interval: int = 30
    timeout: int = 5
    retries: int = 3
    start_period: int = 0


@dataclass(frozen=True)
class Permission:
    actions: tuple[str, ...]
    resources: tuple[str, ...]


@dataclass(frozen=True)
class DatabaseAccess:
    """What the service's tasks need to reach their own database."""

    security_group_id: pulumi.Input[str]
    port: int
    password_parameter_arn: str
    password_key_arn: pulumi.Input[str] | None
    """None: the customer's own parameter, encrypted with a key muon does not know."""
    iam_connect_arn: pulumi.Input[str] | None = None
    """``arn:aws:rds-db:…:dbuser:<cluster resource id>/<user>`` when IAM authentication is on."""
    password_version: str = ""
    """Changes with the password (ECS reads secrets only when a task starts: a new value must
    change the task definition, or no task ever sees it)."""


@dataclass(frozen=True)
class EnvironmentWiring:
    """What a service needs from the environment it runs in."""

    cluster_name: pulumi.Input[str]
    cluster_arn: pulumi.Input[str]
    provider: Literal["fargate", "ec2"]
    capacity_strategy: tuple[CapacityItem, ...]
    vpc_id: pulumi.Input[str]
    private_subnet_ids: pulumi.Input[list[str]]
    listener_arn: pulumi.Input[str]
    load_balancer_security_group_id: pulumi.Input[str]
    load_balancer_arn_suffix: pulumi.Input[str]
    load_balancer_url: pulumi.Input[str]
    load_balancer_dns_name: pulumi.Input[str]
    load_balancer_zone_id: pulumi.Input[str]
    domain: str | None
    """The environment's domain (HTTPS, DNS records); None: the load balancer's own name."""
    zone_id: pulumi.Input[str] | None
    key_arn: pulumi.Input[str]
    alarm_topic_arn: pulumi.Input[str]
    log_retention_days: int
    production: bool


@dataclass(frozen=True)
class ServiceArgs:
    context: AwsContext
    environment: str
    service: str
    wiring: EnvironmentWiring
    scaling: ScalingConfig
    image: pulumi.Input[str] | None
    """None: no image exists yet. The service is created with no task and cannot scale until one
    arrives (the bootstrap of a new environment, before the pipeline's first run)."""
    port: int
    cpu: int
    memory: int
    priority: int
    path_patterns: tuple[str, ...] = ()
    host_patterns: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    """Full names on the environment's domain: routed like host patterns, with DNS records."""
    protocol: Literal["http", "https"] = "http"
    """To the tasks: https when the image serves TLS itself."""
    environment_variables: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    """Variable name → Parameter Store ARN (injected by ECS, never in plain text)."""
    health_check: TargetHealthCheck = TargetHealthCheck()
    grace_period: int = 60
    container_health_check: ContainerHealthCheck | None = None
    readonly_root_filesystem: bool = True
    user: str | None = "1000"
    exec_command: bool = False
    deregistration_delay: int = 60
    minimum_healthy_percent: int = 100
    maximum_percent: int = 200
    desired_count: int = 1
    permissions: tuple[Permission, ...] = ()
    database: DatabaseAccess | None = None
    image_repository_arn: pulumi.Input[str] | None = None
    """The ECR repository the image is pulled from (None: another registry, or no image)."""
    tags: dict[str, str] = field(default_factory=dict)


AWAITING_IMAGE = "muon.invalid/awaiting-first-image:none"
"""What the task definition names while no image exists: a registry that can never resolve
(RFC 2606 ``.invalid``), under a service held at zero tasks. No stand-in image ever runs."""


def awaiting_image(args: ServiceArgs) -> ServiceArgs:
    """With no image yet: zero tasks, and scaling held at zero (schedules too) until one arrives."""
    if args.image is not None:
        return args
    held = replace(args.scaling, min_capacity=0, max_capacity=0, schedules=())
    return replace(args, image=AWAITING_IMAGE, desired_count=0, scaling=held, image_repository_arn=None)


class Service(pulumi.ComponentResource):
    url: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    image: pulumi.Input[str]
    service_name: pulumi.Output[str]
    task_definition_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    task_role_name: pulumi.Output[str]
    execution_role_name: pulumi.Output[str]

    def __init__(self, name: str, args: ServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:ecs:Service", name, None, opts)
        running = args.image is not None
        args = awaiting_image(args)
        child = pulumi.ResourceOptions(parent=self)
        wiring, context = args.wiring, args.context
        service_id = f"muon-{args.environment}-{args.service}"  # ECS service name and task family
        tags = args.tags

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/muon/{args.environment}/{args.service}",
            retention_in_days=wiring.log_retention_days,
            kms_key_id=wiring.key_arn,
            tags=tags,
            opts=child,
        )

        tasks_trust = assume_role_policy("ecs-tasks.amazonaws.com", source_account=context.account_id)
        execution_role = aws.iam.Role(
            f"{name}-execution-role",
            name=fit(f"{service_id}-execution", 64),
            assume_role_policy=tasks_trust,
            # The path the delivery account's repository policy admits (cross-account pulls).
            path=EXECUTION_ROLE_PATH,
            tags=tags,
            opts=child,
        )
        execution_policy_resource = aws.iam.RolePolicy(
            f"{name}-execution-policy",
            role=execution_role.id,
            policy=to_json(
                execution_policy(
                    args.image_repository_arn, log_group.arn, args.secrets, wiring.key_arn, args.database
                )
            ),
            opts=child,
        )
        task_role = aws.iam.Role(
            f"{name}-task-role",
            name=fit(f"{service_id}-task", 64),
            assume_role_policy=tasks_trust,
            tags=tags,
            opts=child,
        )
        task_statements = task_policy_statements(args.permissions, args.exec_command, args.database)
        task_policies = (
            [
                aws.iam.RolePolicy(
                    f"{name}-task-policy",
                    role=task_role.id,
                    policy=to_json(document(*task_statements)),
                    opts=child,
                )
            ]
            if task_statements
            else []
        )

        container = {
            "name": "app",
            "essential": True,
            "portMappings": [{"containerPort": args.port, "protocol": "tcp"}],
            "readonlyRootFilesystem": args.readonly_root_filesystem,
            "privileged": False,
            "stopTimeout": 30,
            "linuxParameters": {"initProcessEnabled": True},
            "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(args.secrets.items())],
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-region": context.region,
                    "awslogs-stream-prefix": "app",
                },
            },
        }
        fargate = wiring.provider == "fargate"
        # A read-only root still needs a writable /tmp the (non-root) user owns. On EC2 a tmpfs
        # with mode 1777; Fargate has no tmpfs, so a bind mount, which ECS creates root-owned
        # 0755 unless the image declares VOLUME /tmp with its own ownership (README, "Images").
        volumes: list[dict[str, Any]] = []
        if fargate:
            volumes = [{"name": "tmp"}]
            container["mountPoints"] = [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}]  # noqa: S108
        else:
            container["linuxParameters"] = {
                "initProcessEnabled": True,
                "tmpfs": [{"containerPath": "/tmp", "size": 512, "mountOptions": ["mode=1777"]}],  # noqa: S108
            }
        if args.database is not None and args.database.password_version:
            container["dockerLabels"] = {"muon.database-password-version": args.database.password_version}
        if args.user is not None:
            container["user"] = args.user
        if args.container_health_check is not None:
            check = args.container_health_check
            container["healthCheck"] = {
                "command": list(check.command),
                "interval": check.interval,
                "timeout": check.timeout,
                "retries": check.retries,
                "startPeriod": check.start_period,
            }
        env_names = sorted(args.environment_variables)
        definitions = pulumi.Output.all(
            log_group.name, args.image, *[args.environment_variables[k] for k in env_names]
        ).apply(
            lambda resolved: json.dumps(
                [
                    {
                        **container,
                        "image": resolved[1],
                        "environment": [
                            {"name": k, "value": v} for k, v in zip(env_names, resolved[2:], strict=True)
                        ],
                        "logConfiguration": {
                            **container["logConfiguration"],
                            "options": {
                                **container["logConfiguration"]["options"],
                                "awslogs-group": resolved[0],
                            },
                        },
                    }
                ],
                sort_keys=True,
            )
        )
        task = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=service_id,
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE" if fargate else "EC2"],
            cpu=str(args.cpu),
            memory=str(args.memory),
            # Tasks start as soon as the service exists: the roles must carry their policies.
            execution_role_arn=ready(execution_role.arn, execution_policy_resource),
            task_role_arn=ready(task_role.arn, *task_policies),
            container_definitions=definitions,
            volumes=volumes,
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"}
            if fargate
            else None,
            tags=tags,
            opts=child,
        )

        tasks_sg = aws.ec2.SecurityGroup(
            f"{name}-tasks-sg",
            vpc_id=wiring.vpc_id,
            description=f"Tasks of {service_id}: only the load balancer reaches the container port",
            ingress=[
                {
                    "description": "From the load balancer",
                    "protocol": "tcp",
                    "from_port": args.port,
                    "to_port": args.port,
                    "security_groups": [wiring.load_balancer_security_group_id],
                }
            ],
            egress=[
                {
                    "description": "AWS APIs, databases and dependencies",
                    "protocol": "-1",
                    "from_port": 0,
                    "to_port": 0,
                    "cidr_blocks": ["0.0.0.0/0"],
                }
            ],
            tags={**tags, "Name": f"{service_id}-tasks"},
            opts=child,
        )
        if args.database is not None:
            # Owned by the service: the database admits exactly the tasks of its service.
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-database-ingress",
                security_group_id=args.database.security_group_id,
                referenced_security_group_id=tasks_sg.id,
                ip_protocol="tcp",
                from_port=args.database.port,
                to_port=args.database.port,
                description=f"Tasks of {service_id}",
                tags=tags,
                opts=child,
            )
        hc = args.health_check
        protocol = args.protocol.upper()
        target_group = aws.lb.TargetGroup(
            f"{name}-tg",
            # 32 characters; new exactly when a change replaces the target group.
            name=pulumi.Output.from_input(wiring.vpc_id).apply(
                lambda vpc: unique_name(name, 32, args.port, protocol, "ip", vpc)
            ),
            port=args.port,
            protocol=protocol,
            target_type="ip",
            vpc_id=wiring.vpc_id,
            deregistration_delay=args.deregistration_delay,
            health_check={
                "enabled": True,
                "path": hc.path,
                "matcher": hc.matcher,
                "interval": hc.interval,
                "timeout": hc.timeout,
                "healthy_threshold": hc.healthy_threshold,
                "unhealthy_threshold": hc.unhealthy_threshold,
                "protocol": protocol,
            },
            tags=tags,
            opts=child,
        )
        conditions: list[dict[str, Any]] = []
        if args.path_patterns:
            conditions.append({"path_pattern": {"values": list(args.path_patterns)}})
        if args.host_patterns or args.hosts:
            conditions.append({"host_header": {"values": [*args.host_patterns, *args.hosts]}})
        rule = aws.lb.ListenerRule(
            f"{name}-rule",
            listener_arn=wiring.listener_arn,
            priority=args.priority,
            conditions=conditions,
            actions=[{"type": "forward", "target_group_arn": target_group.arn}],
            tags=tags,
            opts=child,
        )

        rollback_alarms = self._rollback_alarms(name, service_id, wiring, target_group, child)
        service = aws.ecs.Service(
            f"{name}-service",
            name=service_id,
            cluster=wiring.cluster_arn,
            task_definition=task.arn,
            desired_count=args.desired_count,
            capacity_provider_strategies=[
                {"capacity_provider": c.provider, "weight": c.weight, "base": c.base}
                for c in wiring.capacity_strategy
            ],
            platform_version="LATEST" if fargate else None,
            network_configuration={
                "subnets": wiring.private_subnet_ids,
                "security_groups": [tasks_sg.id],
                "assign_public_ip": False,
            },
            load_balancers=[
                {"target_group_arn": target_group.arn, "container_name": "app", "container_port": args.port}
            ],
            health_check_grace_period_seconds=args.grace_period,
            deployment_circuit_breaker={"enable": True, "rollback": True},
            deployment_minimum_healthy_percent=args.minimum_healthy_percent,
            deployment_maximum_percent=args.maximum_percent,
            alarms={"alarm_names": rollback_alarms, "enable": True, "rollback": True},
            enable_execute_command=args.exec_command,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            availability_zone_rebalancing="ENABLED",
            wait_for_steady_state=True,  # `pulumi up` fails when the rollout fails
            # ECS refuses a changed capacity provider strategy (spot, cost, Fargate/EC2) without a
            # new deployment; every update of the service rolls the tasks anyway.
            force_new_deployment=True,
            tags=tags,
            opts=child.merge(
                pulumi.ResourceOptions(
                    # Application Auto Scaling owns the desired count once the service runs.
                    ignore_changes=["desiredCount"],
                    # ECS accepts a target group only once a listener rule forwards to it.
                    depends_on=[rule],
                )
            ),
        )
        StepScaling(
            f"{name}-scaling",
            StepScalingArgs(
                cluster_name=wiring.cluster_name,
                service_name=service.name,
                config=args.scaling,
                target_group_arn_suffix=target_group.arn_suffix,
                load_balancer_arn_suffix=wiring.load_balancer_arn_suffix,
                tags=tags,
            ),
            opts=child,
        )
        if running:
            self._outage_alarms(name, service_id, wiring, target_group, service, tags, child)
        for host in args.hosts:
            if wiring.zone_id is None:
                raise ValueError("hosts need the environment's domain (its hosted zone)")
            alias_record(
                f"{name}-host-{host}",
                zone_id=wiring.zone_id,
                fqdn=host,
                dns_name=wiring.load_balancer_dns_name,
                dns_zone_id=wiring.load_balancer_zone_id,
                opts=child,
            )
        self.url = service_url(args)
        self.log_group_name = log_group.name
        self.image = args.image
        self.service_name = service.name
        self.task_definition_arn = task.arn
        self.security_group_id = tasks_sg.id
        self.task_role_name = task_role.name
        self.execution_role_name = execution_role.name
        self.register_outputs(self.outputs(wiring))

    def _outage_alarms(
        self,
        name: str,
        service_id: str,
        wiring: EnvironmentWiring,
        target_group: aws.lb.TargetGroup,
        service: aws.ecs.Service,
        tags: dict[str, str],
        child: pulumi.ResourceOptions,
    ) -> None:
        """A total outage alarms: no task running, no healthy target. No data at all is an outage
        too (a service with no task publishes nothing): missing data is breaching."""
        checks = (
            (
                "no-tasks",
                "no task is running",
                "ECS/ContainerInsights",
                "RunningTaskCount",
                {"ClusterName": wiring.cluster_name, "ServiceName": service.name},
            ),
            (
                "no-healthy-targets",
                "no target is healthy",
                "AWS/ApplicationELB",
                "HealthyHostCount",
                {"TargetGroup": target_group.arn_suffix, "LoadBalancer": wiring.load_balancer_arn_suffix},
            ),
        )
        for role, description, namespace, metric, dimensions in checks:
            topic_alarm(
                f"{name}-{role}",
                alarm_name=f"{service_id}-{role}",
                description=f"{service_id}: {description}",
                namespace=namespace,
                metric=metric,
                dimensions=dimensions,
                statistic="Maximum",
                threshold=1,
                comparison="LessThanThreshold",
                datapoints=3,
                missing_data="breaching",
                topic_arn=wiring.alarm_topic_arn,
                tags=tags,
                opts=child,
            )

    def _rollback_alarms(
        self,
        name: str,
        service_id: str,
        wiring: EnvironmentWiring,
        target_group: aws.lb.TargetGroup,
        child: pulumi.ResourceOptions,
    ) -> list[pulumi.Output[str]]:
        """Alarms that roll a deployment back when the new revision is healthy but bad."""
        dimensions = {"TargetGroup": target_group.arn_suffix, "LoadBalancer": wiring.load_balancer_arn_suffix}
        checks = (
            ("5xx", "target-5xx", "targets answer 5xx", "HTTPCode_Target_5XX_Count", "Sum", 10),
            (
                "unhealthy",
                "unhealthy-hosts",
                "targets fail health checks",
                "UnHealthyHostCount",
                "Maximum",
                1,
            ),
        )
        alarms = [
            topic_alarm(
                f"{name}-{role}",
                alarm_name=f"{service_id}-{suffix}",
                description=f"{service_id}: {description}",
                namespace="AWS/ApplicationELB",
                metric=metric,
                dimensions=dimensions,
                statistic=statistic,
                threshold=threshold,
                comparison="GreaterThanOrEqualToThreshold",
                topic_arn=wiring.alarm_topic_arn,
                opts=child,
            )
            for role, suffix, description, metric, statistic, threshold in checks
        ]
        return [alarm.name for alarm in alarms]

    def outputs(self, wiring: EnvironmentWiring) -> dict[str, pulumi.Input[object]]:
        return {
            "url": self.url,
            "image": self.image,
            "logGroupName": self.log_group_name,
            "clusterName": wiring.cluster_name,
            "serviceName": self.service_name,
            # What the pipeline's rollout check expects the service's PRIMARY deployment to run.
            "taskDefinitionArn": self.task_definition_arn,
        }


def service_url(args: ServiceArgs) -> pulumi.Input[str]:
    """Where the service answers: its first host (or the environment's domain) over HTTPS, never the
    load balancer's AWS name once a domain exists; the path of its first pattern."""
    path = next((p for p in args.path_patterns), "/").rstrip("*?") or "/"
    wiring = args.wiring
    # A service routed by host is reached on that host (the first one that is a plain name).
    host = (
        args.hosts[0]
        if args.hosts
        else next((h for h in args.host_patterns if not {"*", "?"} & set(h)), None)
    )
    if wiring.domain is not None:
        return f"https://{host or wiring.domain}{path}"
    if host is not None:
        return pulumi.Output.from_input(wiring.load_balancer_url).apply(
            lambda url: f"{url.split('://')[0]}://{host}{path}"
        )
    return pulumi.Output.concat(wiring.load_balancer_url, path)


def execution_policy(
    repository_arn: pulumi.Input[str] | None,
    log_group_arn: pulumi.Output[str],
    secrets: dict[str, str],
    key_arn: pulumi.Input[str],
    database: DatabaseAccess | None = None,
) -> dict[str, Any]:
    """What ECS needs to start the task: its own image, log group, parameters and key only.

    ``repository_arn``: the ECR repository the image comes from (None: another registry, or no
    image yet), possibly in the delivery account.
    """
    statements = []
    if repository_arn is not None:
        statements += [
            # GetAuthorizationToken has no resource-level permissions: AWS offers nothing narrower.
            allow("ecr:GetAuthorizationToken", "*", Sid="RegistryLogin"),
            allow(list(PULL_ACTIONS), repository_arn, Sid="PullOwnImage"),
        ]
    statements.append(
        allow(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            log_group_arn.apply(lambda arn: f"{arn}:*"),
            Sid="WriteOwnLogs",
        )
    )
    if secrets:
        statements.append(allow("ssm:GetParameters", sorted(set(secrets.values())), Sid="ReadOwnParameters"))
        password_arn = database.password_parameter_arn if database is not None else None
        keys: list[pulumi.Input[str]] = []
        if any(arn != password_arn for arn in secrets.values()):
            keys.append(key_arn)  # the service's declared parameters: the environment's key
        if database is not None and password_arn in secrets.values():
            if database.password_key_arn is not None:
                keys.append(database.password_key_arn)
            else:
                statements.append(customer_parameter_decrypt(password_arn))
        if keys:
            statements.append(
                allow("kms:Decrypt", keys if len(keys) > 1 else keys[0], Sid="DecryptOwnParameters")
            )
    return document(*statements)


def customer_parameter_decrypt(parameter_arn: str) -> dict[str, Any]:
    """Decrypt one customer-created parameter, whichever key the customer chose.

    The key is not discoverable from Parameter Store's read API, so the statement names no key;
    SSM's encryption context pins it to that single parameter, through SSM only.
    """
    _, partition, _, region, account, _ = parameter_arn.split(":", 5)
    dns_suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return allow(
        "kms:Decrypt",
        f"arn:{partition}:kms:{region}:{account}:key/*",
        Sid="DecryptDatabasePassword",
        Condition={
            "StringEquals": {
                "kms:EncryptionContext:PARAMETER_ARN": parameter_arn,
                "kms:ViaService": f"ssm.{region}.{dns_suffix}",
            }
        },
    )


def task_policy_statements(
    permissions: tuple[Permission, ...], exec_command: bool, database: DatabaseAccess | None = None
) -> list[dict[str, Any]]:
    statements = [
        allow(
            list(p.actions), list(p.resources) if len(p.resources) > 1 else p.resources[0], Sid=f"Declared{i}"
        )
        for i, p in enumerate(permissions)
    ]
    if database is not None and database.iam_connect_arn is not None:
        statements.append(allow("rds-db:connect", database.iam_connect_arn, Sid="ConnectToOwnDatabase"))
    if exec_command:
        # ECS Exec's Session Manager channels have no resource-level permissions.
        statements.append(
            allow(
                [
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                ],
                "*",
                Sid="EcsExec",
            )
        )
    return statements
