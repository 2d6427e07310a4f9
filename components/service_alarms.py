"""A service's alarms: the ones that roll a bad deployment back, and the ones that page on an outage."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from muon.components.alarms import topic_alarm
from muon.components.service_args import EnvironmentWiring

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
) -> RollbackAlarms:
    """A total outage alarms: no task running (where Container Insights counts them), no healthy
    target (behind the load balancer). No data at all is an outage too (a service with no task
    publishes nothing): missing data is breaching."""
    checks = []
    if wiring.task_metrics:
        checks.append(
            (
                "no-tasks",
                "no task is running",
                "ECS/ContainerInsights",
                "RunningTaskCount",
                {"ClusterName": wiring.cluster_name, "ServiceName": service.name},
            )
        )
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
        alarms[f"{service_id}-{role}"] = topic_alarm(
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
        ).name
    return alarms


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
