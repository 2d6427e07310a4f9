"""A container service: the Service component, composed from its parts.

What runs (log group, roles, container, task definition, the ECS service): ``service_task.py``.
Who reaches it (security groups, target group, listener rule, Service Connect, DNS, URL):
``service_routing.py``. What watches it (rollback, outage and incident alarms): ``service_alarms.py``
and ``incident.py``. How it scales: ``scaling.py``. Its arguments: ``service_args.py``. They are
functions, not components: every resource is the Service's own child, as it always was (URNs).
"""

from __future__ import annotations

import pulumi

from muon.components.policies import output_of
from muon.components.scaling import StepScaling, StepScalingArgs
from muon.components.service_alarms import deployment_alarms, watch
from muon.components.service_args import EnvironmentWiring, ServiceArgs, awaiting_image
from muon.components.service_routing import (
    admit_callers,
    database_ingress,
    host_records,
    route,
    service_url,
    storage_ingress,
    tasks_security_group,
)
from muon.components.service_task import ecs_service, service_log_group, service_roles, task_definition


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
    alarm_names: list[str]
    """By name (muon names its alarms): the dashboard needs no Output for them."""

    def __init__(self, name: str, args: ServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:ecs:Service", name, None, opts)
        running = args.image is not None
        args = awaiting_image(args)
        child = pulumi.ResourceOptions(parent=self)
        service_id = f"{args.context.namespace}-{args.environment}-{args.service}"  # service and task family
        log_group = service_log_group(name, args, child)
        roles = service_roles(name, service_id, args, log_group, child)
        tasks_sg = tasks_security_group(name, service_id, args, child)
        admitted = storage_ingress(name, service_id, args, tasks_sg, child)
        task = task_definition(name, service_id, args, log_group, roles, child, admitted)
        self._security_group = tasks_sg
        self._child, self._name, self._args = child, name, args
        if args.database is not None:
            database_ingress(name, service_id, args.database, tasks_sg, args.tags, child)
        target_group, rule = route(name, args, child) if args.kind == "web" else (None, None)
        self.target_group_arn_suffix = target_group.arn_suffix if target_group is not None else None
        # With incident thresholds the composite alarm pages for every alarm of the service.
        page = None if args.incident is not None else args.wiring.alarm_topic_arn
        rollback = deployment_alarms(name, service_id, args, target_group, child, page)
        service = ecs_service(
            name,
            service_id,
            args,
            task=task,
            security_group=tasks_sg,
            target_group=target_group,
            rule=rule,
            log_group_name=log_group.name,
            rollback_alarm_names=list(rollback.values()),
            child=child,
        )
        StepScaling(
            f"{name}-scaling",
            StepScalingArgs(
                cluster_name=args.wiring.cluster_name,
                service_name=service.name,
                config=args.scaling,
                target_group_arn_suffix=target_group.arn_suffix if target_group else None,
                load_balancer_arn_suffix=args.wiring.load_balancer_arn_suffix if target_group else None,
                queue_name=args.queue.name if args.queue else None,
                tags=args.tags,
            ),
            opts=child,
        )
        self.alarm_names = watch(
            name,
            service_id,
            args,
            running=running,
            service=service,
            target_group=target_group,
            rollback=rollback,
            child=child,
            topic_arn=page,
        )
        host_records(name, args, child)
        self.url = service_url(args)
        self.log_group_name = log_group.name
        assert args.image is not None  # awaiting_image gave it one
        self.image = args.image
        self.service_name = service.name
        self.task_definition_arn = task.arn
        self.security_group_id = tasks_sg.id
        self.task_role_name = roles.task_name
        self.execution_role_name = roles.execution_name
        self.task_role_arn = output_of(roles.task_arn)
        self.execution_role_arn = output_of(roles.execution_arn)
        self.task_family = service_id
        self.register_outputs(self.outputs(args.wiring))

    def admit(self, callers: dict[str, pulumi.Input[str]]) -> None:
        """A backend admits exactly these callers (service name → tasks security group) on its port."""
        admit_callers(self._name, self._args, self._security_group, callers, self._child)

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
