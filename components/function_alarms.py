"""A function's alarms: error and throttle *rates* of its ``live`` alias, judged only with enough
invocations, combined in one incident alarm that pages — as a service's are (``incident.py``).

One failed invocation in a quiet minute is not an incident, nor a reason to stop a release: a
count of 1 would page and roll back on the first transient error. The children page nobody; the
CodeDeploy deployment group rolls a release back on them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

MINIMUM_INVOCATIONS = 10
"""Invocations (and throttles) a minute below which a rate is not judged, as for services' requests."""


@dataclass(frozen=True)
class FunctionAlarms:
    names: list[str]
    """Every alarm name, the incident alarm's first (the dashboard and `muon report` read them)."""
    rollback: list[pulumi.Output[str]]
    """The rate alarms, as Outputs: what CodeDeploy watches during a release."""


def function_alarms(
    name: str,
    *,
    alarm_prefix: str,
    function_name: pulumi.Output[str],
    alias: str,
    rate_percent: float,
    topic_arn: pulumi.Input[str],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> FunctionAlarms:
    """Error rate (errors ÷ invocations) and throttle rate (throttles ÷ invocations + throttles:
    Lambda counts a throttled request in Throttles, not in Invocations — Lambda developer guide,
    "Types of metrics for Lambda functions"), 3 of 5 minutes over ``rate_percent``."""
    dimensions: dict[str, pulumi.Input[str]] = {
        "FunctionName": function_name,
        "Resource": pulumi.Output.concat(function_name, f":{alias}"),
    }
    counted = "FILL(invocations, 0) + FILL(throttles, 0)"
    rates = {
        "error-rate": (
            "invocations failed",
            f"IF(FILL(invocations, 0) >= {MINIMUM_INVOCATIONS}, 100 * FILL(errors, 0) / invocations, 0)",
        ),
        "throttle-rate": (
            "invocations throttled",
            f"IF({counted} >= {MINIMUM_INVOCATIONS}, 100 * FILL(throttles, 0) / ({counted}), 0)",
        ),
    }
    children: dict[str, pulumi.Output[str]] = {}
    for suffix, (what, expression) in rates.items():
        alarm_name = f"{alarm_prefix}-{suffix}"
        children[alarm_name] = aws.cloudwatch.MetricAlarm(
            f"{name}-{suffix}",
            name=alarm_name,
            alarm_description=(
                f"{alarm_prefix}: over {rate_percent:g}% of {what} (the {alias} alias; 3 of 5 minutes "
                f"with at least {MINIMUM_INVOCATIONS}); rolls a release back"
            ),
            metric_queries=[
                *(_sum(query_id, metric, dimensions) for query_id, metric in METRICS.items()),
                {"id": "rate", "label": f"{what}, %", "return_data": True, "expression": expression},
            ],
            threshold=rate_percent,
            comparison_operator="GreaterThanThreshold",
            evaluation_periods=5,
            datapoints_to_alarm=3,
            treat_missing_data="notBreaching",
            actions_enabled=True,
            alarm_actions=[],
            ok_actions=[],
            tags=tags,
            opts=opts,
        ).name
    incident = f"{alarm_prefix}-incident"
    aws.cloudwatch.CompositeAlarm(
        f"{name}-incident",
        alarm_name=incident,
        alarm_description=f"{alarm_prefix}: an incident (its error or throttle rate), paged once",
        # The children's name Outputs: CloudWatch refuses a rule naming an alarm that does not exist.
        alarm_rule=pulumi.Output.all(*children.values()).apply(
            lambda names: " OR ".join(f'ALARM("{n}")' for n in names)
        ),
        actions_enabled=True,
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        tags=tags,
        opts=opts,
    )
    return FunctionAlarms(names=[incident, *children], rollback=list(children.values()))


METRICS = {"errors": "Errors", "invocations": "Invocations", "throttles": "Throttles"}


def _sum(query_id: str, metric: str, dimensions: dict[str, pulumi.Input[str]]) -> dict[str, object]:
    return {
        "id": query_id,
        "return_data": False,
        "metric": {
            "namespace": "AWS/Lambda",
            "metric_name": metric,
            "dimensions": dimensions,
            "period": 60,
            "stat": "Sum",
        },
    }
