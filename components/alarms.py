"""A CloudWatch alarm that pages the environment's topic: once a minute, as muon's alarms are."""

from __future__ import annotations

from typing import Literal

import pulumi
import pulumi_aws as aws

MissingData = Literal["breaching", "notBreaching", "missing", "ignore"]


def topic_alarm(
    resource_name: str,
    *,
    alarm_name: str,
    description: str,
    namespace: str,
    metric: str,
    dimensions: dict[str, pulumi.Input[str]],
    statistic: str,
    threshold: float,
    comparison: str,
    topic_arn: pulumi.Input[str] | None,
    opts: pulumi.ResourceOptions,
    datapoints: int = 2,
    evaluation_periods: int = 3,
    period: int = 60,
    missing_data: MissingData = "notBreaching",
    tags: dict[str, str] | None = None,
) -> aws.cloudwatch.MetricAlarm:
    """``datapoints`` of the last ``evaluation_periods`` (a minute each, unless ``period`` says
    otherwise) past ``threshold`` → ALARM, and OK again, both to ``topic_arn``."""
    return aws.cloudwatch.MetricAlarm(
        resource_name,
        name=alarm_name,
        alarm_description=description,
        namespace=namespace,
        metric_name=metric,
        dimensions=dimensions,
        statistic=statistic,
        period=period,
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=datapoints,
        threshold=threshold,
        comparison_operator=comparison,
        treat_missing_data=missing_data,
        actions_enabled=True,
        # None: a child of a composite alarm, which pages for it (one incident, one page).
        alarm_actions=[topic_arn] if topic_arn is not None else [],
        ok_actions=[topic_arn] if topic_arn is not None else [],
        tags=tags,
        opts=opts,
    )


def occurrence_alarm(
    resource_name: str,
    *,
    alarm_name: str,
    description: str,
    namespace: str,
    metric: str,
    dimensions: dict[str, pulumi.Input[str]],
    topic_arn: pulumi.Input[str] | None,
    tags: dict[str, str] | None,
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.MetricAlarm:
    """ALARM for the five minutes in which ``metric`` counted at least one occurrence (a failed
    run, a matched event): something that happened, not a level that lasts."""
    return topic_alarm(
        resource_name,
        alarm_name=alarm_name,
        description=description,
        namespace=namespace,
        metric=metric,
        dimensions=dimensions,
        statistic="Sum",
        threshold=1,
        comparison="GreaterThanOrEqualToThreshold",
        datapoints=1,
        evaluation_periods=1,
        period=300,
        topic_arn=topic_arn,
        tags=tags,
        opts=opts,
    )


def metric_query(
    query_id: str, namespace: str, metric: str, dimensions: dict[str, pulumi.Input[str]]
) -> dict[str, object]:
    """One minute's maximum of ``metric``, for metric math (not returned itself)."""
    return {
        "id": query_id,
        "return_data": False,
        "metric": {
            "namespace": namespace,
            "metric_name": metric,
            "dimensions": dimensions,
            "period": 60,
            "stat": "Maximum",
        },
    }
