"""What a Service runs and how ECS runs it: its log group, roles, container, task definition and
the ECS service itself. Functions, not components: every resource stays a child of the Service."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import pulumi
import pulumi_aws as aws

from muon.components.naming import fit
from muon.components.policies import assume_role_policy, document, ready, to_json
from muon.components.registry import execution_role_path
from muon.components.service_access import execution_policy, queue_statements, task_policy_statements
from muon.components.service_args import ServiceArgs
from muon.components.service_containers import (
    extra_containers,
    log_configuration,
    observability_statements,
    sidecar_secrets,
    topic_statements,
    with_log_group,
)
from muon.components.service_routing import service_connect_configuration

CONTAINER = "app"
"""The one container of every task definition (the deploy step's one-off tasks override it)."""


class ServiceRoles(NamedTuple):
    """The execution and task roles: ARNs handed out once their policies are attached, and names."""

    execution_arn: pulumi.Input[str]
    task_arn: pulumi.Input[str]
    execution_name: pulumi.Output[str]
    task_name: pulumi.Output[str]


def service_log_group(name: str, args: ServiceArgs, child: pulumi.ResourceOptions) -> aws.cloudwatch.LogGroup:
    """The container's and the Service Connect proxy's logs, with the environment's key."""
    return aws.cloudwatch.LogGroup(
        f"{name}-logs",
        name=f"/{args.context.namespace}/{args.environment}/{args.service}",
        retention_in_days=args.wiring.log_retention_days,
        kms_key_id=args.wiring.key_arn,
        tags=args.tags,
        opts=child,
    )


def service_roles(
    name: str,
    service_id: str,
    args: ServiceArgs,
    log_group: aws.cloudwatch.LogGroup,
    child: pulumi.ResourceOptions,
) -> ServiceRoles:
    """The execution and task roles: the company's when given (nothing created or attached), else
    muon's, handed out once their policies are attached."""
    tasks_trust = assume_role_policy("ecs-tasks.amazonaws.com", source_account=args.context.account_id)
    if args.execution_role_arn is not None:
        execution_arn: pulumi.Input[str] = args.execution_role_arn
        execution_name = pulumi.Output.from_input(args.execution_role_arn.rsplit("/", 1)[-1])
    else:
        execution_role = aws.iam.Role(
            f"{name}-execution-role",
            name=fit(f"{service_id}-execution", 64),
            assume_role_policy=tasks_trust,
            # The path the delivery account's repository policy admits (cross-account pulls).
            path=execution_role_path(args.context.namespace),
            tags=args.tags,
            opts=child,
        )
        # The sidecars' secrets beside the app's (named <sidecar>.<variable>), their images too.
        extra_secrets, extra_keys, extra_managed = sidecar_secrets(args)
        execution_policy_resource = aws.iam.RolePolicy(
            f"{name}-execution-policy",
            role=execution_role.id,
            policy=to_json(
                execution_policy(
                    args.image_repository_arn,
                    log_group.arn,
                    {**args.secrets, **extra_secrets},
                    args.wiring.key_arn,
                    args.database,
                    {**args.secret_keys, **extra_keys},
                    tuple(s.repository_arn for s in args.sidecars if s.repository_arn is not None),
                    {**args.managed_secrets, **extra_managed},
                )
            ),
            opts=child,
        )
        execution_arn = ready(execution_role.arn, execution_policy_resource)
        execution_name = execution_role.name
    if args.task_role_arn is not None:
        task_name = pulumi.Output.from_input(args.task_role_arn.rsplit("/", 1)[-1])
        return ServiceRoles(execution_arn, args.task_role_arn, execution_name, task_name)
    task_role = aws.iam.Role(
        f"{name}-task-role",
        name=fit(f"{service_id}-task", 64),
        assume_role_policy=tasks_trust,
        tags=args.tags,
        opts=child,
    )
    task_statements = task_policy_statements(args.permissions, args.exec_command, args.database)
    task_statements += queue_statements(args.queue, args.publishes_to)
    task_statements += observability_statements(args, log_group.arn) + topic_statements(args.topics)
    if args.storage is not None:
        task_statements += args.storage.statements
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
    return ServiceRoles(execution_arn, ready(task_role.arn, *task_policies), execution_name, task_role.name)


def port_mappings(args: ServiceArgs) -> list[dict[str, Any]]:
    """The container's one port, named for Service Connect; a worker has none."""
    if args.port is None:
        return []
    # "app" is the name Service Connect refers to (its ``port_name``).
    mapping: dict[str, Any] = {"name": "app", "containerPort": args.port, "protocol": "tcp"}
    if args.kind == "backend":
        mapping["appProtocol"] = "http"  # Service Connect's proxy then reports HTTP metrics
    return [mapping]


def container(args: ServiceArgs) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The container's definition but for what is known only at deploy time (image, variables,
    log group), and the task's volumes."""
    definition: dict[str, Any] = {
        "name": CONTAINER,
        "essential": True,
        "portMappings": port_mappings(args),
        "readonlyRootFilesystem": args.readonly_root_filesystem,
        "privileged": False,
        "stopTimeout": 30,
        "linuxParameters": {"initProcessEnabled": True},
        "secrets": [
            {"name": k, "valueFrom": v}
            for k, v in sorted(
                {**args.secrets, **{n: s.value_from for n, s in args.managed_secrets.items()}}.items()
            )
        ],
        # awslogs: streams app/app/<task id>; with ``logging``, FireLens under app/.
        "logConfiguration": log_configuration(args, "app"),
    }
    # A read-only root still needs a writable /tmp the (non-root) user owns: a tmpfs with mode
    # 1777 on either launch type, whatever the image declares. A bind mount would be root-owned
    # 0755 unless the image declared VOLUME /tmp; Fargate takes tmpfs mounts since January 2026
    # (ECS API reference, LinuxParameters.tmpfs: no Fargate exception left; containers-roadmap#736).
    volumes: list[dict[str, Any]] = []
    definition["linuxParameters"] = {
        "initProcessEnabled": True,
        "tmpfs": [{"containerPath": "/tmp", "size": 512, "mountOptions": ["mode=1777"]}],  # noqa: S108
    }
    if args.storage is not None and args.storage.mount_points:
        definition["mountPoints"] = list(args.storage.mount_points)
    if args.database is not None and args.database.password_version:
        definition["dockerLabels"] = {"muon.database-password-version": args.database.password_version}
    if args.user is not None:
        definition["user"] = args.user
    # ECS ContainerDefinition's entryPoint and command (lists of strings, Docker's exec form):
    # absent, the image's own ENTRYPOINT and CMD run.
    if args.entry_point:
        definition["entryPoint"] = list(args.entry_point)
    if args.command:
        definition["command"] = list(args.command)
    if args.depends_on:
        definition["dependsOn"] = [{"containerName": c, "condition": w} for c, w in args.depends_on]
    if args.container_health_check is not None:
        check = args.container_health_check
        definition["healthCheck"] = {
            "command": list(check.command),
            "interval": check.interval,
            "timeout": check.timeout,
            "retries": check.retries,
            "startPeriod": check.start_period,
        }
    return definition, volumes


def container_definitions(
    args: ServiceArgs, definition: dict[str, Any], log_group_name: pulumi.Output[str]
) -> pulumi.Output[str]:
    """The task's container definitions (JSON) once the images, variables and log group resolve:
    the app's first, then its sidecars, log router and collector."""
    containers = [(definition, args.environment_variables), *extra_containers(args)]
    assert args.image is not None  # awaiting_image gave it one
    images: list[pulumi.Input[str]] = [args.image, *[d["image"] for d, _ in containers[1:]]]
    layout = [(d, sorted(variables)) for d, variables in containers]
    values = [
        variables[k] for (_, variables), (_, names) in zip(containers, layout, strict=True) for k in names
    ]

    def render(resolved: list[Any]) -> str:
        group, images_now, rest = (
            resolved[0],
            resolved[1 : 1 + len(layout)],
            iter(resolved[1 + len(layout) :]),
        )
        rendered = []
        for (container_definition, names), image in zip(layout, images_now, strict=True):
            environment = [{"name": k, "value": next(rest)} for k in names]
            rendered.append(
                {
                    **container_definition,
                    "image": image,
                    "environment": environment,
                    "logConfiguration": with_log_group(container_definition["logConfiguration"], group),
                }
            )
        return json.dumps(rendered, sort_keys=True)

    return pulumi.Output.all(log_group_name, *images, *values).apply(render)


def task_definition(
    name: str,
    service_id: str,
    args: ServiceArgs,
    log_group: aws.cloudwatch.LogGroup,
    roles: ServiceRoles,
    child: pulumi.ResourceOptions,
    admitted: tuple[pulumi.Resource, ...] = (),
) -> aws.ecs.TaskDefinition:
    """One container in awsvpc mode, on Fargate (x86_64 or ARM64 Linux) or the cluster's EC2 hosts.
    ``admitted``: the rules that let the tasks reach their volumes, which a task needs to start."""
    fargate = args.wiring.provider == "fargate"
    arm = args.cpu_architecture == "ARM64"
    definition, volumes = container(args)
    volumes += storage_volumes(args, admitted)
    return aws.ecs.TaskDefinition(
        f"{name}-task",
        family=service_id,
        network_mode="awsvpc",
        requires_compatibilities=["FARGATE" if fargate else "EC2"],
        cpu=str(args.cpu),
        memory=str(args.memory),
        # Tasks start as soon as the service exists: the roles must carry their policies.
        execution_role_arn=roles.execution_arn,
        task_role_arn=roles.task_arn,
        container_definitions=container_definitions(args, definition, log_group.name),
        volumes=volumes,
        # ECS API reference, RuntimePlatform: Fargate needs it; on EC2 an ARM64 task is placed only
        # on ARM64 hosts with it (an x86 task on EC2 keeps none, as before).
        runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": args.cpu_architecture}
        if fargate or arm
        else None,
        tags=args.tags,
        opts=child,
    )


def storage_volumes(args: ServiceArgs, admitted: tuple[pulumi.Resource, ...]) -> list[dict[str, Any]]:
    """The service's EFS volumes, each handed to the task definition once its tasks may reach it
    (NFS admitted from their security group). EFS volumes need Fargate platform version 1.4.0 or
    later (ECS developer guide, "Amazon EFS volumes"): the service runs LATEST."""
    if args.storage is None:
        return []
    volumes = []
    for volume in args.storage.volumes:
        efs = volume["efs_volume_configuration"]
        volumes.append(
            {
                **volume,
                "efs_volume_configuration": {
                    **efs,
                    "file_system_id": ready(efs["file_system_id"], *admitted),
                },
            }
        )
    return volumes


def ecs_service(
    name: str,
    service_id: str,
    args: ServiceArgs,
    *,
    task: aws.ecs.TaskDefinition,
    security_group: aws.ec2.SecurityGroup,
    target_group: aws.lb.TargetGroup | None,
    rule: aws.lb.ListenerRule | None,
    log_group_name: pulumi.Output[str],
    rollback_alarm_names: list[pulumi.Input[str]],
    child: pulumi.ResourceOptions,
) -> aws.ecs.Service:
    """The ECS service: private subnets only, rolled back by the circuit breaker and by
    ``rollback_alarm_names``; `pulumi up` waits for a steady state."""
    wiring = args.wiring
    fargate = wiring.provider == "fargate"
    return aws.ecs.Service(
        f"{name}-service",
        name=service_id,
        cluster=wiring.cluster_arn,
        task_definition=task.arn,
        desired_count=args.initial_count,
        capacity_provider_strategies=[
            {"capacity_provider": c.provider, "weight": c.weight, "base": c.base}
            for c in wiring.capacity_strategy
        ],
        platform_version="LATEST" if fargate else None,
        network_configuration={
            "subnets": wiring.private_subnet_ids,
            "security_groups": [security_group.id],
            "assign_public_ip": False,
        },
        load_balancers=[
            {
                "target_group_arn": target_group.arn,
                "container_name": args.target_container,
                "container_port": args.traffic_port,
            }
        ]
        if target_group
        else None,
        # ECS takes a grace period only for a service behind a load balancer.
        health_check_grace_period_seconds=args.grace_period if target_group else None,
        service_connect_configuration=service_connect_configuration(args, log_group_name),
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
        tags=args.tags,
        opts=child.merge(
            pulumi.ResourceOptions(
                # Application Auto Scaling owns the desired count once the service runs.
                ignore_changes=["desiredCount"],
                # ECS accepts a target group only once a listener rule forwards to it.
                depends_on=[rule] if rule else None,
            )
        ),
    )
