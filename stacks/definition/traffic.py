"""How a service meets its traffic besides step scaling: a target-tracking policy, sticky sessions
and the source addresses its listener rule admits."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from muon.stacks.definition.base import pattern
from muon.stacks.definition.fields import Cidr, Spec, _PathError

MetricStatistic = Literal["Average", "Minimum", "Maximum", "SampleCount", "Sum"]
"""botocore ``application-autoscaling`` model, ``MetricStatistic``."""


CLOUDWATCH_NAME = (
    "1 to 255 characters with no ':', not starting with a space (CloudWatch's namespaces and dimension names)"
)
"""One hint for the one pattern a namespace and a dimension name share."""


class CustomMetricSpec(Spec):
    """A CloudWatch metric whose value grows with the load on each task and falls as tasks are added
    (Application Auto Scaling user guide, "Target tracking scaling policies": a utilization metric
    proportional to capacity)."""

    namespace: Annotated[str, pattern(r"^[^:\s][^:]{0,254}$", CLOUDWATCH_NAME)]
    name: Annotated[str, pattern(r"^[^\s].{0,254}$", "a CloudWatch metric name (1 to 255 characters)")]
    statistic: MetricStatistic = "Average"
    dimensions: dict[
        Annotated[str, pattern(r"^[^:\s][^:]{0,254}$", CLOUDWATCH_NAME)],
        Annotated[str, Field(min_length=1, max_length=1024)],
    ] = Field(default_factory=dict, max_length=30, description="CloudWatch takes 30 dimensions at most.")
    unit: (
        Literal[
            "Seconds",
            "Microseconds",
            "Milliseconds",
            "Bytes",
            "Kilobytes",
            "Megabytes",
            "Gigabytes",
            "Terabytes",
            "Bits",
            "Kilobits",
            "Megabits",
            "Gigabits",
            "Terabits",
            "Percent",
            "Count",
            "Bytes/Second",
            "Kilobytes/Second",
            "Megabytes/Second",
            "Gigabytes/Second",
            "Terabytes/Second",
            "Bits/Second",
            "Kilobits/Second",
            "Megabits/Second",
            "Gigabits/Second",
            "Terabits/Second",
            "Count/Second",
            "None",
        ]
        | None
    ) = None  # fmt: skip  (CloudWatch's StandardUnit)


class TargetTrackingSpec(Spec):
    """Keep ``scaling.metric`` at ``target``: Application Auto Scaling creates and manages the two
    alarms that add and remove tasks (ECS developer guide, "Target tracking scaling policies")."""

    target: float = Field(
        gt=0,
        description="The value to hold the metric at: a percentage for cpu and memory, requests per "
        "task and minute for requests, the custom metric's value for custom.",
    )
    scale_out_cooldown: int = Field(
        default=60, ge=0, le=3600, description="Seconds after adding tasks before adding more."
    )
    scale_in_cooldown: int = Field(
        default=300, ge=0, le=3600, description="Seconds after removing tasks before removing more."
    )
    disable_scale_in: bool = Field(
        default=False, description="Only add tasks (a schedule or a person removes them)."
    )
    custom_metric: CustomMetricSpec | None = Field(
        default=None, description="With metric: custom, the CloudWatch metric to track."
    )


class StickinessSpec(Spec):
    """Sticky sessions on the service's target group: the load balancer's own cookie (AWSALB)."""

    duration: int = Field(
        default=86_400,
        ge=1,
        le=604_800,
        description="Seconds a client stays with its task (1 second to 7 days; default 1 day).",
    )


MAX_SOURCE_IPS = 5
"""ELB user guide, "Listener rules for your Application Load Balancer": a rule's conditions take 5
values in all (the path and host patterns count too)."""
AllowedCidrs = Annotated[list[Cidr], Field(max_length=MAX_SOURCE_IPS)]


def tracking_problem(metric: str, tracking: TargetTrackingSpec | None, given: set[str]) -> None:
    """Target tracking or step scaling, on a metric each can scale on (one _PathError, or None)."""
    if tracking is None:
        if metric == "custom":
            raise _PathError(
                ("metric",), "a custom metric is tracked: give targetTracking with its customMetric"
            )
        return
    where = ("targetTracking",)
    if metric == "backlog":
        raise _PathError(
            (*where,), "backlog (a worker's messages per task) scales in steps; track cpu, memory or custom"
        )
    steps = sorted({"scale_out", "scale_in"} & given)
    if steps:
        # Application Auto Scaling user guide: a step policy may scale in before the target-tracking one
        # is ready to, and the two then undo each other.
        key = "scaleOut" if steps[-1] == "scale_out" else "scaleIn"
        raise _PathError((key,), "give targetTracking or scaleOut/scaleIn (step scaling), not both")
    if (metric == "custom") != (tracking.custom_metric is not None):
        raise _PathError(
            (*where, "customMetric"),
            "give customMetric with metric: custom, and only then"
            if metric != "custom"
            else "metric: custom tracks customMetric: give it",
        )
    if metric in ("cpu", "memory") and tracking.target > 100:
        raise _PathError(
            (*where, "target"),
            f"{metric} utilisation is a percentage: expected at most 100, got {tracking.target:g}",
        )
