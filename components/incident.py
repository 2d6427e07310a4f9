"""One incident, one page: a service's alarms combined in a composite alarm that pages its topic.

Children (none pages on its own): the 5xx *rate* (not a count: ten errors in a million requests is
not an outage), the p99 response time, running tasks below the minimum (where Container
Insights counts them), an ECS deployment that failed and a task whose essential container exited
non-zero (EventBridge rules on ECS's events, counted by ``AWS/Events TriggeredRules``), plus the
service's rollback and outage alarms. The composite alarm pages when any is in ALARM and once more
when all are OK again.
"""

from __future__ import annotations

import json
from typing import Literal

import pulumi
import pulumi_aws as aws

from muon.components.alarms import metric_query, occurrence_alarm, topic_alarm
from muon.components.context import AwsContext
from muon.components.naming import fit
from muon.components.policies import document, to_json
from muon.components.service_args import EnvironmentWiring, IncidentThresholds

RULE_NAME_LIMIT = 64
MINIMUM_REQUESTS = 10
"""Requests a minute below which the error rate is not judged (one 5xx of one request is 100%)."""


def deployment_failed_pattern(service_arn: str) -> dict[str, object]:
    """ECS gave up a deployment of this service (circuit breaker or rollback alarm)."""
    return {
        "source": ["aws.ecs"],
        "detail-type": ["ECS Deployment State Change"],
        "resources": [service_arn],
        "detail": {"eventName": ["SERVICE_DEPLOYMENT_FAILED"]},
    }


def task_failed_pattern(cluster_arn: str, service_name: str) -> dict[str, object]:
    """A task of this service stopped because its essential container exited with a non-zero code
    (a crash; tasks that ECS stops for a deployment or a scale-in carry other stop codes)."""
    return {
        "source": ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        "detail": {
            "clusterArn": [cluster_arn],
            "group": [f"service:{service_name}"],
            "lastStatus": ["STOPPED"],
            "stopCode": ["EssentialContainerExited"],
            "containers": {"exitCode": [{"anything-but": 0}]},
        },
    }


def service_incident(
    name: str,
    service_id: str,
    *,
    kind: Literal["web", "backend", "worker"],
    context: AwsContext,
    wiring: EnvironmentWiring,
    service: aws.ecs.Service,
    target_group: aws.lb.TargetGroup | None,
    discovery_name: str,
    thresholds: IncidentThresholds,
    children: dict[str, pulumi.Input[str]],
    tags: dict[str, str],
    child: pulumi.ResourceOptions,
) -> list[str]:
    """The children and the composite alarm; returns every alarm name, the composite's first.

    ``children``: alarms the service already has (rollback, outage), by name → their name Output.
    """
    own: dict[str, pulumi.Input[str]] = {}
    if target_group is not None:
        dimensions = {"TargetGroup": target_group.arn_suffix, "LoadBalancer": wiring.load_balancer_arn_suffix}
        alb = "AWS/ApplicationELB"
        own |= _rate_and_latency(name, service_id, alb, dimensions, thresholds, 1, tags, child)
    elif kind == "backend":
        dimensions = {
            "ClusterName": wiring.cluster_name,
            "ServiceName": service_id,
            "DiscoveryName": discovery_name,
        }
        # Service Connect reports its response time in milliseconds, the load balancer in seconds.
        own |= _rate_and_latency(name, service_id, "AWS/ECS", dimensions, thresholds, 1000, tags, child)
    if wiring.task_metrics and thresholds.minimum_tasks > 0 and thresholds.scales_to_zero:
        own[f"{service_id}-tasks-below-minimum"] = _below_planned_minimum(
            name, service_id, wiring, service, thresholds.minimum_tasks, tags, child
        ).name
    elif wiring.task_metrics and thresholds.minimum_tasks > 0:
        alarm = topic_alarm(
            f"{name}-below-minimum",
            alarm_name=f"{service_id}-tasks-below-minimum",
            description=f"{service_id}: fewer than {thresholds.minimum_tasks} tasks running for 5 minutes",
            namespace="ECS/ContainerInsights",
            metric="RunningTaskCount",
            dimensions={"ClusterName": wiring.cluster_name, "ServiceName": service.name},
            statistic="Maximum",
            threshold=thresholds.minimum_tasks,
            comparison="LessThanThreshold",
            datapoints=5,
            evaluation_periods=5,
            topic_arn=None,
            tags=tags,
            opts=child,
        )
        own[f"{service_id}-tasks-below-minimum"] = alarm.name
    services_arn = f"arn:{context.partition}:ecs:{context.region}:{context.account_id}:service"
    # One Output.all and one apply per pattern: Output.concat would wrap each Output once more.
    patterns = {
        "deployment-failed": (
            pulumi.Output.all(wiring.cluster_name, service.name).apply(
                lambda v: json.dumps(
                    deployment_failed_pattern(f"{services_arn}/{v[0]}/{v[1]}"), sort_keys=True
                )
            ),
            "an ECS deployment failed",
        ),
        "task-failed": (
            pulumi.Output.all(wiring.cluster_arn, service.name).apply(
                lambda v: json.dumps(task_failed_pattern(v[0], v[1]), sort_keys=True)
            ),
            "a task's essential container exited non-zero",
        ),
    }
    for suffix, (pattern, what) in patterns.items():
        rule = aws.cloudwatch.EventRule(
            f"{name}-{suffix}",
            name=fit(f"{service_id}-{suffix}", RULE_NAME_LIMIT),
            description=f"{service_id}: {what}",
            event_pattern=pattern,
            tags=tags,
            opts=child,
        )
        if wiring.incident_log_arn is not None:
            # The event itself, kept: what `muon report` and a person on call read first.
            aws.cloudwatch.EventTarget(
                f"{name}-{suffix}", rule=rule.name, arn=wiring.incident_log_arn, opts=child
            )
        alarm = occurrence_alarm(
            f"{name}-{suffix}-alarm",
            alarm_name=f"{service_id}-{suffix}",
            description=f"{service_id}: {what} (its EventBridge rule's matches)",
            namespace="AWS/Events",
            metric="TriggeredRules",
            dimensions={"RuleName": rule.name},
            topic_arn=None,
            tags=tags,
            opts=child,
        )
        own[f"{service_id}-{suffix}"] = alarm.name
    every = {**own, **children}
    # The children's name Outputs: CloudWatch refuses a rule naming an alarm that does not exist.
    rule = pulumi.Output.all(*every.values()).apply(lambda names: " OR ".join(f'ALARM("{n}")' for n in names))
    aws.cloudwatch.CompositeAlarm(
        f"{name}-incident",
        alarm_name=f"{service_id}-incident",
        alarm_description=f"{service_id}: an incident (any of its {len(every)} alarms), paged once",
        alarm_rule=rule,
        actions_enabled=True,
        alarm_actions=[wiring.alarm_topic_arn],
        ok_actions=[wiring.alarm_topic_arn],
        tags=tags,
        opts=child,
    )
    return [f"{service_id}-incident", *every]


def _below_planned_minimum(
    name: str,
    service_id: str,
    wiring: EnvironmentWiring,
    service: aws.ecs.Service,
    minimum: int,
    tags: dict[str, str],
    child: pulumi.ResourceOptions,
) -> aws.cloudwatch.MetricAlarm:
    """Fewer tasks running than the minimum — or than the desired count when a schedule has set
    it lower (zero at night): a planned scale-in is never an incident (Container Insights'
    ``DesiredTaskCount``)."""
    ecs = {"ClusterName": wiring.cluster_name, "ServiceName": service.name}
    return aws.cloudwatch.MetricAlarm(
        f"{name}-below-minimum",
        name=f"{service_id}-tasks-below-minimum",
        alarm_description=(
            f"{service_id}: fewer than {minimum} tasks (or than the desired count, when lower) running "
            "for 5 minutes"
        ),
        metric_queries=[
            metric_query("running", "ECS/ContainerInsights", "RunningTaskCount", ecs),
            metric_query("desired", "ECS/ContainerInsights", "DesiredTaskCount", ecs),
            {
                "id": "missing",
                "label": "tasks missing",
                "return_data": True,
                "expression": (
                    f"IF(FILL(desired, 0) < {minimum}, FILL(desired, 0), {minimum}) - FILL(running, 0)"
                ),
            },
        ],
        threshold=0,
        comparison_operator="GreaterThanThreshold",
        evaluation_periods=5,
        datapoints_to_alarm=5,
        treat_missing_data="notBreaching",
        actions_enabled=True,
        alarm_actions=[],
        ok_actions=[],
        tags=tags,
        opts=child,
    )


def _rate_and_latency(
    name: str,
    service_id: str,
    namespace: str,
    dimensions: dict[str, pulumi.Input[str]],
    thresholds: IncidentThresholds,
    latency_unit: int,
    tags: dict[str, str],
    child: pulumi.ResourceOptions,
) -> dict[str, pulumi.Input[str]]:
    """5xx as a share of requests (judged from MINIMUM_REQUESTS a minute), and p99 latency."""

    def metric(query_id: str, metric_name: str) -> dict[str, object]:
        return {
            "id": query_id,
            "return_data": False,
            "metric": {
                "namespace": namespace,
                "metric_name": metric_name,
                "dimensions": dimensions,
                "period": 60,
                "stat": "Sum",
            },
        }

    rate = aws.cloudwatch.MetricAlarm(
        f"{name}-5xx-rate",
        name=f"{service_id}-5xx-rate",
        alarm_description=(
            f"{service_id}: over {thresholds.error_rate_percent:g}% of requests answered 5xx "
            f"(3 of 5 minutes with at least {MINIMUM_REQUESTS} requests)"
        ),
        metric_queries=[
            metric("errors", "HTTPCode_Target_5XX_Count"),
            metric("requests", "RequestCount"),
            {
                "id": "rate",
                "label": "5xx, % of requests",
                "return_data": True,
                "expression": f"IF(requests >= {MINIMUM_REQUESTS}, 100 * FILL(errors, 0) / requests, 0)",
            },
        ],
        threshold=thresholds.error_rate_percent,
        comparison_operator="GreaterThanThreshold",
        evaluation_periods=5,
        datapoints_to_alarm=3,
        treat_missing_data="notBreaching",
        actions_enabled=True,
        alarm_actions=[],
        ok_actions=[],
        tags=tags,
        opts=child,
    )
    latency = aws.cloudwatch.MetricAlarm(
        f"{name}-p99-latency",
        name=f"{service_id}-p99-latency",
        alarm_description=(
            f"{service_id}: p99 response time over {thresholds.latency_p99_seconds:g} s (3 of 5 minutes)"
        ),
        namespace=namespace,
        metric_name="TargetResponseTime",
        dimensions=dimensions,
        extended_statistic="p99",
        period=60,
        evaluation_periods=5,
        datapoints_to_alarm=3,
        threshold=thresholds.latency_p99_seconds * latency_unit,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        actions_enabled=True,
        alarm_actions=[],
        ok_actions=[],
        tags=tags,
        opts=child,
    )
    return {f"{service_id}-5xx-rate": rate.name, f"{service_id}-p99-latency": latency.name}


def incident_log(
    name: str,
    *,
    context: AwsContext,
    log_group_name: str,
    policy_name: str,
    key_arn: pulumi.Input[str],
    retention_days: int,
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> pulumi.Output[str]:
    """The log group the environment's incident rules write ECS's events to, and the resource
    policy that lets EventBridge write there (CloudWatch Logs holds 10 such policies per region)."""
    group = aws.cloudwatch.LogGroup(
        f"{name}-incidents",
        name=log_group_name,
        retention_in_days=retention_days,
        kms_key_id=key_arn,
        tags=tags,
        opts=opts,
    )
    aws.cloudwatch.LogResourcePolicy(
        f"{name}-incidents-policy",
        policy_name=policy_name,
        policy_document=to_json(
            document(
                {
                    "Sid": "EventBridgeWrites",
                    "Effect": "Allow",
                    "Principal": {"Service": [context.service_principal("events")]},
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": group.arn.apply(lambda arn: f"{arn}:*"),
                    "Condition": {"StringEquals": {"aws:SourceAccount": context.account_id}},
                }
            )
        ),
        opts=opts,
    )
    return group.arn
