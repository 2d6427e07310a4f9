"""Target tracking for an ECS service, beside step scaling (``scaling.py``): one policy holds a metric
at a target, and Application Auto Scaling makes, adjusts and deletes the alarms that drive it."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class CustomMetric:
    """A CloudWatch metric a target-tracking policy holds at its target (required fields: only the
    application knows what it publishes)."""

    namespace: str
    name: str
    statistic: str = "Average"
    """Default Average: the metric per task, as target tracking wants it."""
    dimensions: tuple[tuple[str, str], ...] = ()
    """Default none."""
    unit: str | None = None
    """Default None: whatever unit the metric is published in."""


@dataclass(frozen=True)
class TargetTracking:
    """Hold the metric at ``target``: Application Auto Scaling creates and manages the alarms that add
    and remove tasks, and deletes them with the policy (they are never declared here: "Do not create,
    edit, or delete the CloudWatch alarms that are used with a target tracking scaling policy",
    Application Auto Scaling user guide). Defaults are those of muon's step policies."""

    target: float
    """Required: what to hold the metric at depends on the metric and the application."""
    scale_out_cooldown: int = 60
    """Seconds after adding tasks before adding more; default 60 (the step policy's scale-out)."""
    scale_in_cooldown: int = 300
    """Seconds after removing tasks before removing more; default 300 (the step policy's scale-in)."""
    disable_scale_in: bool = False
    """Default False: the policy removes tasks too."""
    custom_metric: CustomMetric | None = None
    """The metric, with ``metric: custom``; default None."""


PREDEFINED_METRICS = {
    "cpu": "ECSServiceAverageCPUUtilization",
    "memory": "ECSServiceAverageMemoryUtilization",
    "requests": "ALBRequestCountPerTarget",
}
"""Application Auto Scaling's predefined metrics for an ECS service (API reference, ``MetricType``)."""


def target_tracking_policy(
    name: str,
    metric: str,
    tracking: TargetTracking,
    target: aws.appautoscaling.Target,
    child: pulumi.ResourceOptions,
    *,
    load_balancer_arn_suffix: pulumi.Input[str] | None = None,
    target_group_arn_suffix: pulumi.Input[str] | None = None,
) -> aws.appautoscaling.Policy:
    """One TargetTrackingScaling policy on the service's scalable target (ECS developer guide,
    "Target tracking scaling policies"); requests per target name the load balancer and the target
    group by their ARNs' suffixes (``app/…/targetgroup/…``: PredefinedMetricSpecification's
    ``ResourceLabel``)."""
    configuration: dict[str, object] = {
        "target_value": tracking.target,
        "scale_out_cooldown": tracking.scale_out_cooldown,
        "scale_in_cooldown": tracking.scale_in_cooldown,
        "disable_scale_in": tracking.disable_scale_in,
    }
    if metric == "custom":
        custom = tracking.custom_metric
        if custom is None:
            raise ValueError("custom target tracking needs its metric")
        configuration["customized_metric_specification"] = {
            "namespace": custom.namespace,
            "metric_name": custom.name,
            "statistic": custom.statistic,
            "dimensions": [{"name": n, "value": v} for n, v in custom.dimensions] or None,
            "unit": custom.unit,
        }
    elif metric in PREDEFINED_METRICS:
        specification: dict[str, object] = {"predefined_metric_type": PREDEFINED_METRICS[metric]}
        if metric == "requests":
            if target_group_arn_suffix is None or load_balancer_arn_suffix is None:
                raise ValueError("requests scaling needs the target group and load balancer")
            specification["resource_label"] = pulumi.Output.concat(
                load_balancer_arn_suffix, "/", target_group_arn_suffix
            )
        configuration["predefined_metric_specification"] = specification
    else:
        raise ValueError(f"{metric} is not tracked to a target (backlog scales in steps)")
    return aws.appautoscaling.Policy(
        f"{name}-track-{metric}",
        policy_type="TargetTrackingScaling",
        resource_id=target.resource_id,
        scalable_dimension=target.scalable_dimension,
        service_namespace=target.service_namespace,
        target_tracking_scaling_policy_configuration=configuration,
        opts=child,
    )
