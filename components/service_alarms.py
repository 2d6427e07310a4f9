"""A service's alarms: the ones that roll a bad deployment back, the ones that page on an outage,
and (with incident thresholds, ``incident.py``) the composite alarm over all of them."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from muon.components.alarms import metric_query, topic_alarm
from muon.components.incident import service_incident
from muon.components.service_args import EnvironmentWiring, ServiceArgs

RollbackAlarms = dict[str, pulumi.Output[str]]
"""Alarm name → the alarm's name as an Output (ECS may only name alarms that exist: the Output
makes the service wait for them)."""


def outage_alarms(
    name: str,
    service_id: str,
    wiring: EnvironmentWiring,
    target_group: aws.lb.TargetGroup | None,
    service: aws.ecs.Service,
    tags: dict[str, str],
    child: pulumi.ResourceOptions,
    topic_arn: pulumi.Input[str] | None,
    scales_to_zero: bool = False,
) -> RollbackAlarms:
    """A total outage alarms: no task running (where Container Insights counts them), no healthy
    target (behind the load balancer). No data at all is an outage too (a service with no task
    publishes nothing): missing data is breaching.

    ``scales_to_zero``: no task is sometimes the plan (a schedule, a minimum of 0): an outage is
    then only one while ECS wants tasks — Container Insights' ``DesiredTaskCount`` above 0 (ECS
    developer guide, "Amazon ECS Container Insights metrics"). Without Container Insights nothing
    tells a planned zero from an outage, and no outage alarm is made."""
    if scales_to_zero and not wiring.task_metrics:
        return {}
    ecs = {"ClusterName": wiring.cluster_name, "ServiceName": service.name}
    checks = []
    if wiring.task_metrics:
        checks.append(("no-tasks", "no task is running", "ECS/ContainerInsights", "RunningTaskCount", ecs))
    if target_group is not None:
        checks.append(
            (
                "no-healthy-targets",
                "no target is healthy",
                "AWS/ApplicationELB",
                "HealthyHostCount",
                {"TargetGroup": target_group.arn_suffix, "LoadBalancer": wiring.load_balancer_arn_suffix},
            )
        )
    alarms = {}
    for role, description, namespace, metric, dimensions in checks:
        if scales_to_zero:
            alarm = _while_tasks_wanted(
                f"{name}-{role}",
                alarm_name=f"{service_id}-{role}",
                description=f"{service_id}: {description} while ECS wants tasks",
                level=(namespace, metric, dimensions),
                ecs=ecs,
                topic_arn=topic_arn,
                tags=tags,
                opts=child,
            )
        else:
            alarm = topic_alarm(
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
                topic_arn=topic_arn,
                tags=tags,
                opts=child,
            )
        alarms[f"{service_id}-{role}"] = alarm.name
    return alarms


def _while_tasks_wanted(
    resource_name: str,
    *,
    alarm_name: str,
    description: str,
    level: tuple[str, str, dict[str, pulumi.Input[str]]],
    ecs: dict[str, pulumi.Input[str]],
    topic_arn: pulumi.Input[str] | None,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.MetricAlarm:
    """``level`` below 1 for 3 minutes while the desired count is above 0; at 0 desired the
    expression is 1 (no outage), whatever ``level`` says."""
    actions = [topic_arn] if topic_arn is not None else []
    return aws.cloudwatch.MetricAlarm(
        resource_name,
        name=alarm_name,
        alarm_description=description,
        metric_queries=[
            metric_query("level", *level),
            metric_query("desired", "ECS/ContainerInsights", "DesiredTaskCount", ecs),
            {
                "id": "wanted",
                "label": "level while tasks are wanted (1 when none is)",
                "return_data": True,
                "expression": "IF(FILL(desired, 0) > 0, FILL(level, 0), 1)",
            },
        ],
        threshold=1,
        comparison_operator="LessThanThreshold",
        evaluation_periods=3,
        datapoints_to_alarm=3,
        treat_missing_data="notBreaching",
        actions_enabled=True,
        alarm_actions=actions,
        ok_actions=actions,
        tags=tags,
        opts=opts,
    )


def rollback_alarms(
    name: str,
    service_id: str,
    wiring: EnvironmentWiring,
    target_group: aws.lb.TargetGroup,
    child: pulumi.ResourceOptions,
    topic_arn: pulumi.Input[str] | None,
) -> RollbackAlarms:
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
            topic_arn=topic_arn,
            opts=child,
        )
        for role, suffix, description, metric, statistic, threshold in checks
    ]
    return {f"{service_id}-{check[1]}": alarm.name for check, alarm in zip(checks, alarms, strict=True)}


def backend_rollback_alarms(
    name: str,
    service_id: str,
    service: str,
    wiring: EnvironmentWiring,
    child: pulumi.ResourceOptions,
    topic_arn: pulumi.Input[str] | None,
) -> RollbackAlarms:
    """A backend has no target group: its callers' Service Connect proxies count its 5xx answers."""
    alarm = topic_alarm(
        f"{name}-5xx",
        alarm_name=f"{service_id}-target-5xx",
        description=f"{service_id}: answers its callers with 5xx (Service Connect)",
        namespace="AWS/ECS",
        metric="HTTPCode_Target_5XX_Count",
        dimensions={"ClusterName": wiring.cluster_name, "ServiceName": service_id, "DiscoveryName": service},
        statistic="Sum",
        threshold=10,
        comparison="GreaterThanOrEqualToThreshold",
        topic_arn=topic_arn,
        opts=child,
    )
    return {f"{service_id}-target-5xx": alarm.name}


def deployment_alarms(
    name: str,
    service_id: str,
    args: ServiceArgs,
    target_group: aws.lb.TargetGroup | None,
    child: pulumi.ResourceOptions,
    topic_arn: pulumi.Input[str] | None,
) -> dict[str, pulumi.Input[str]]:
    """What rolls a healthy-but-bad revision back: the target group's 5xx and unhealthy hosts (web),
    the callers' 5xx (a backend behind Service Connect), or the queue's dead letters (a worker)."""
    if target_group is not None:
        return dict(rollback_alarms(name, service_id, args.wiring, target_group, child, topic_arn))
    if args.kind == "backend" and args.service_connect is not None:
        return dict(backend_rollback_alarms(name, service_id, args.service, args.wiring, child, topic_arn))
    if args.queue is not None and args.queue.dead_letter_alarm_name is not None:
        return {args.queue.dead_letter_alarm: args.queue.dead_letter_alarm_name}
    return {}


def watch(
    name: str,
    service_id: str,
    args: ServiceArgs,
    *,
    running: bool,
    service: aws.ecs.Service,
    target_group: aws.lb.TargetGroup | None,
    rollback: dict[str, pulumi.Input[str]],
    child: pulumi.ResourceOptions,
    topic_arn: pulumi.Input[str] | None,
) -> list[str]:
    """The outage alarms, and with incident thresholds the composite alarm over every alarm of the
    service; returns every alarm name (the composite's first), for the dashboard and `muon report`."""
    wiring = args.wiring
    outage: dict[str, pulumi.Input[str]] = {}
    if running and args.kind != "worker":  # a worker at zero tasks is idle, not down
        # Zero tasks planned (a schedule, a minimum of 0): judged against the desired count.
        zero = args.scaling.scales_to_zero
        outage = dict(
            outage_alarms(name, service_id, wiring, target_group, service, args.tags, child, topic_arn, zero)
        )
    if args.incident is None:
        return [*rollback, *outage]
    return service_incident(
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
        tags=args.tags,
        child=child,
    )
