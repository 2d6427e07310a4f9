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
    topic_arn: pulumi.Input[str],
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
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        tags=tags,
        opts=opts,
    )
