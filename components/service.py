"""A container service: task definition, roles, routing, ECS service and its scaling."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from muon.components.domain import alias_record
from muon.components.incident import service_incident
from muon.components.naming import fit, scoped, unique_name
from muon.components.policies import assume_role_policy, document, output_of, ready, to_json
from muon.components.registry import execution_role_path
from muon.components.scaling import StepScaling, StepScalingArgs
from muon.components.service_access import execution_policy, queue_statements, task_policy_statements
from muon.components.service_alarms import backend_rollback_alarms, outage_alarms, rollback_alarms
from muon.components.service_args import (
    EnvironmentWiring,
    ServiceArgs,
    awaiting_image,
)


class Service(pulumi.ComponentResource):
    url: pulumi.Input[str]
    log_group_name: pulumi.Output[str]
    image: pulumi.Input[str]
    service_name: pulumi.Output[str]
    task_definition_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    task_role_name: pulumi.Output[str]
    execution_role_name: pulumi.Output[str]
    task_role_arn: pulumi.Output[str]
    execution_role_arn: pulumi.Output[str]
    task_family: str
    target_group_arn_suffix: pulumi.Output[str] | None

    def __init__(self, name: str, args: ServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:ecs:Service", name, None, opts)
        running = args.image is not None
        args = awaiting_image(args)
        child = pulumi.ResourceOptions(parent=self)
        wiring, context = args.wiring, args.context
        namespace = context.namespace
        service_id = f"{namespace}-{args.environment}-{args.service}"  # ECS service name and task family
        tags = args.tags

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/{namespace}/{args.environment}/{args.service}",
            retention_in_days=wiring.log_retention_days,
            kms_key_id=wiring.key_arn,
            tags=tags,
            opts=child,
        )

        execution_role_arn, task_role_arn, execution_role_name, task_role_name = self._roles(
            name, service_id, args, log_group, child
        )
        container: dict[str, Any] = {
            "name": "app",
            "essential": True,
            "portMappings": port_mappings(args),
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
            execution_role_arn=execution_role_arn,
            task_role_arn=task_role_arn,
            container_definitions=definitions,
            volumes=volumes,
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"}
            if fargate
            else None,
            tags=tags,
            opts=child,
        )

        web = args.kind == "web"
        tasks_sg = aws.ec2.SecurityGroup(
            f"{name}-tasks-sg",
            vpc_id=wiring.vpc_id,
            description=f"Tasks of {service_id}: {ADMITTED[args.kind]}",
            # A backend's callers are separate rules (admit()); inline ingress would remove them.
            ingress=[
                {
                    "description": "From the load balancer",
                    "protocol": "tcp",
                    "from_port": args.port,
                    "to_port": args.port,
                    "security_groups": [wiring.load_balancer_security_group_id],
                }
            ]
            if web
            else None,
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
        self._security_group = tasks_sg
        self._child, self._name, self._service_id, self._args = child, name, service_id, args
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
        target_group, rule = self._route(name, args, namespace, tags, child) if web else (None, None)
        self.target_group_arn_suffix = target_group.arn_suffix if target_group is not None else None
        # With incident thresholds the composite alarm pages for every alarm of the service.
        page = None if args.incident is not None else wiring.alarm_topic_arn
        rollback: dict[str, pulumi.Input[str]] = {}
        if target_group is not None:
            rollback = dict(rollback_alarms(name, service_id, wiring, target_group, child, page))
        elif args.kind == "backend" and args.service_connect is not None:
            rollback = dict(backend_rollback_alarms(name, service_id, args.service, wiring, child, page))
        elif args.queue is not None and args.queue.dead_letter_alarm_name is not None:
            rollback = {args.queue.dead_letter_alarm: args.queue.dead_letter_alarm_name}
        rollback_alarm_names = list(rollback.values())
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
            ]
            if target_group
            else None,
            # ECS takes a grace period only for a service behind a load balancer.
            health_check_grace_period_seconds=args.grace_period if target_group else None,
            service_connect_configuration=service_connect_configuration(args, log_group.name),
            deployment_circuit_breaker={"enable": True, "rollback": True},
            deployment_minimum_healthy_percent=args.minimum_healthy_percent,
            deployment_maximum_percent=args.maximum_percent,
            alarms={"alarm_names": rollback_alarm_names, "enable": True, "rollback": True}
            if rollback_alarm_names
            else None,
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
                    depends_on=[rule] if rule else None,
                )
            ),
        )
        StepScaling(
            f"{name}-scaling",
            StepScalingArgs(
                cluster_name=wiring.cluster_name,
                service_name=service.name,
                config=args.scaling,
                target_group_arn_suffix=target_group.arn_suffix if target_group else None,
                load_balancer_arn_suffix=wiring.load_balancer_arn_suffix if target_group else None,
                queue_name=args.queue.name if args.queue else None,
                tags=tags,
            ),
            opts=child,
        )
        outage: dict[str, pulumi.Input[str]] = {}
        if running and args.kind != "worker":  # a worker at zero tasks is idle, not down
            outage = dict(outage_alarms(name, service_id, wiring, target_group, service, tags, child, page))
        alarm_names = [*rollback, *outage]
        if args.incident is not None:
            alarm_names = service_incident(
                name,
                service_id,
                kind=args.kind,
                context=args.context,
                wiring=wiring,
                service=service,
                target_group=target_group,
                discovery_name=args.service,
                thresholds=args.incident,
                # A worker's rollback alarm is its queue's dead-letter alarm: it pages on its own.
                children=outage if args.queue is not None else {**rollback, **outage},
                tags=tags,
                child=child,
            )
        for host in args.hosts:
            if wiring.zone_id is None:
                raise ValueError("hosts need the environment's domain (its hosted zone)")
            if host == wiring.domain:
                continue  # the apex: the environment's own alias already points at the load balancer
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
        assert args.image is not None  # awaiting_image gave it one
        self.image = args.image
        self.service_name = service.name
        self.task_definition_arn = task.arn
        self.security_group_id = tasks_sg.id
        self.task_role_name = task_role_name
        self.execution_role_name = execution_role_name
        self.task_role_arn = output_of(task_role_arn)
        self.execution_role_arn = output_of(execution_role_arn)
        self.task_family = service_id
        # By name (muon names its alarms): the dashboard needs no Output for them.
        self.alarm_names: list[str] = alarm_names
        self.register_outputs(self.outputs(wiring))

    def _roles(
        self,
        name: str,
        service_id: str,
        args: ServiceArgs,
        log_group: aws.cloudwatch.LogGroup,
        child: pulumi.ResourceOptions,
    ) -> tuple[pulumi.Input[str], pulumi.Input[str], pulumi.Output[str], pulumi.Output[str]]:
        """The execution and task roles (ARN, name): the company's when given (nothing created or
        attached), else muon's, handed out once their policies are attached."""
        wiring, context, namespace, tags = args.wiring, args.context, args.context.namespace, args.tags
        tasks_trust = assume_role_policy("ecs-tasks.amazonaws.com", source_account=context.account_id)
        if args.execution_role_arn is not None:
            execution_arn: pulumi.Input[str] = args.execution_role_arn
            execution_name = pulumi.Output.from_input(args.execution_role_arn.rsplit("/", 1)[-1])
        else:
            execution_role = aws.iam.Role(
                f"{name}-execution-role",
                name=fit(f"{service_id}-execution", 64),
                assume_role_policy=tasks_trust,
                # The path the delivery account's repository policy admits (cross-account pulls).
                path=execution_role_path(namespace),
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
            execution_arn = ready(execution_role.arn, execution_policy_resource)
            execution_name = execution_role.name
        if args.task_role_arn is not None:
            return (
                execution_arn,
                args.task_role_arn,
                execution_name,
                pulumi.Output.from_input(args.task_role_arn.rsplit("/", 1)[-1]),
            )
        task_role = aws.iam.Role(
            f"{name}-task-role",
            name=fit(f"{service_id}-task", 64),
            assume_role_policy=tasks_trust,
            tags=tags,
            opts=child,
        )
        task_statements = task_policy_statements(args.permissions, args.exec_command, args.database)
        task_statements += queue_statements(args.queue, args.publishes_to)
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
        return execution_arn, ready(task_role.arn, *task_policies), execution_name, task_role.name

    def _route(
        self,
        name: str,
        args: ServiceArgs,
        namespace: str,
        tags: dict[str, str],
        child: pulumi.ResourceOptions,
    ) -> tuple[aws.lb.TargetGroup, aws.lb.ListenerRule]:
        """A web service's target group and the listener rule that forwards to it."""
        wiring = args.wiring
        hc = args.health_check
        protocol = args.protocol.upper()
        target_group = aws.lb.TargetGroup(
            f"{name}-tg",
            # 32 characters; new exactly when a change replaces the target group.
            name=output_of(wiring.vpc_id).apply(
                lambda vpc: unique_name(scoped(namespace, name), 32, args.port, protocol, "ip", vpc)
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
        return target_group, rule

    def admit(self, callers: dict[str, pulumi.Input[str]]) -> None:
        """A backend admits exactly these callers (service name → tasks security group) on its port."""
        args = self._args
        for caller, group_id in sorted(callers.items()):
            aws.vpc.SecurityGroupIngressRule(
                f"{self._name}-from-{caller}",
                security_group_id=self._security_group.id,
                referenced_security_group_id=group_id,
                ip_protocol="tcp",
                from_port=args.port,
                to_port=args.port,
                description=f"Service Connect from {caller}",
                tags=args.tags,
                opts=self._child,
            )

    def outputs(self, wiring: EnvironmentWiring) -> dict[str, pulumi.Input[object]]:
        return {
            "url": self.url,
            "image": self.image,
            "logGroupName": self.log_group_name,
            "clusterName": wiring.cluster_name,
            "serviceName": self.service_name,
            # What the pipeline's rollout check expects the service's PRIMARY deployment to run.
            "taskDefinitionArn": self.task_definition_arn,
            "kind": self._args.kind,
            # The incident alarm first (what pages), then its children: `muon report` reads them.
            "alarms": self.alarm_names,
        }


ADMITTED = {
    "web": "only the load balancer reaches the container port",
    "backend": "only its callers reach the container port (Service Connect)",
    "worker": "no inbound traffic (it reads its queue)",
}


def port_mappings(args: ServiceArgs) -> list[dict[str, Any]]:
    """The container's one port, named for Service Connect; a worker has none."""
    if args.port is None:
        return []
    mapping: dict[str, Any] = {"name": "app", "containerPort": args.port, "protocol": "tcp"}
    if args.kind == "backend":
        mapping["appProtocol"] = "http"  # Service Connect's proxy then reports HTTP metrics
    return [mapping]


def service_connect_configuration(
    args: ServiceArgs, log_group_name: pulumi.Output[str]
) -> dict[str, Any] | None:
    """A caller joins the namespace as a client; a backend also serves ``http://<name>:<port>``."""
    connect = args.service_connect
    if connect is None:
        return None
    configuration: dict[str, Any] = {
        "enabled": True,
        "namespace": connect.namespace_arn,
        "log_configuration": {
            "log_driver": "awslogs",
            "options": {
                "awslogs-group": log_group_name,
                "awslogs-region": args.context.region,
                "awslogs-stream-prefix": "service-connect",
            },
        },
    }
    if connect.serve:
        configuration["services"] = [
            {
                "port_name": "app",
                "discovery_name": args.service,
                "client_alias": [{"port": args.port, "dns_name": args.service}],
            }
        ]
    return configuration


def service_url(args: ServiceArgs) -> pulumi.Input[str]:
    """Where the service answers: its first host (or the environment's domain) over HTTPS, never the
    load balancer's AWS name once a domain exists; the path of its first pattern."""
    if args.kind == "backend":
        return f"http://{args.service}:{args.port}"  # Service Connect, inside the environment
    if args.kind == "worker":
        return ""
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
        return output_of(wiring.load_balancer_url).apply(lambda url: f"{url.split('://')[0]}://{host}{path}")
    return output_of(wiring.load_balancer_url).apply(lambda url: f"{url}{path}")
