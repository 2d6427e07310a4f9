"""Step scaling for an ECS service that really scales both ways.

The policy of Stelligent's mu post "Application Auto Scaling with Amazon ECS" (+2 at CPU >= 80,
-1 below) hung both steps off one alarm, which acts only while
it is in ALARM (above 80): its -1 step could never run. Here each direction has its own alarm and
policy, derived from a list of steps the way CDK's ``scaleOnMetric`` does: the alarm threshold is
the step nearest the middle, and each step's bounds are measured from that threshold.

With ``target_tracking`` the same component (its type and its scalable target's URN kept, so a
service moving between the two forms is never deregistered) holds a target-tracking policy instead
(``target_tracking.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from muon.components.target_tracking import TargetTracking, target_tracking_policy

Metric = Literal["cpu", "memory", "requests", "backlog", "custom"]


@dataclass(frozen=True)
class Step:
    at: float
    """The metric's value where this step starts (required: it depends on the metric)."""
    change: int
    """Tasks added (scale-out, > 0) or removed (scale-in, < 0) from there on (required)."""


@dataclass(frozen=True)
class StepPolicy:
    """One direction of step scaling: its steps, and the alarm that runs them. No field has a
    default: the two directions differ in every one (see ``MU_SCALE_OUT`` and ``MU_SCALE_IN``)."""

    steps: tuple[Step, ...]
    """Ascending for scale-out, descending for scale-in; the first is the alarm's threshold."""
    cooldown: int
    """Seconds after an adjustment before the next one (Application Auto Scaling's ``Cooldown``)."""
    period: int
    """The alarm's period in seconds: 10, 30 or a multiple of 60 (CloudWatch's ``Period``)."""
    evaluation_periods: int
    """Periods in a row past the threshold before the alarm acts."""


MU_SCALE_OUT = StepPolicy(steps=(Step(at=80, change=2),), cooldown=60, period=300, evaluation_periods=1)
"""mu's policy ("Application Auto Scaling with Amazon ECS"): CPU >= 80 for one 5-minute period adds
2 tasks, cooldown 60 s (the definition's default, ``stacks/definition/service.py``)."""
MU_SCALE_IN = StepPolicy(steps=(Step(at=30, change=-1),), cooldown=300, period=300, evaluation_periods=3)
"""mu's -1 step with its own low alarm (mu's single alarm could never fire it) over 3 x 5 minutes,
so that the service does not flap."""


@dataclass(frozen=True)
class Schedule:
    name: str
    """Names the scheduled action (``<scaling>-schedule-<name>``); required."""
    schedule: str
    """``cron(...)``, ``rate(...)`` or ``at(...)``, as Application Auto Scaling takes it; required."""
    min: int
    """The fewest tasks from then on; required."""
    max: int
    """The most tasks from then on; required."""
    timezone: str = "UTC"
    """Default UTC: the schedule reads the same wherever whoever wrote it lives."""


@dataclass(frozen=True)
class StepAdjustment:
    lower: float | None
    upper: float | None
    change: int

    def as_input(self) -> dict[str, object]:
        item: dict[str, object] = {"scaling_adjustment": self.change}
        if self.lower is not None:
            item["metric_interval_lower_bound"] = _bound(self.lower)
        if self.upper is not None:
            item["metric_interval_upper_bound"] = _bound(self.upper)
        return item


def _bound(value: float) -> str:
    return f"{value:g}"


def scale_out_adjustments(steps: tuple[Step, ...]) -> tuple[float, list[StepAdjustment]]:
    """Alarm threshold (the lowest step) and adjustments [0, next), ..., [last, ∞)."""
    threshold = steps[0].at
    adjustments = []
    for index, step in enumerate(steps):
        upper = steps[index + 1].at - threshold if index + 1 < len(steps) else None
        adjustments.append(StepAdjustment(lower=step.at - threshold, upper=upper, change=step.change))
    return threshold, adjustments


def scale_in_adjustments(steps: tuple[Step, ...]) -> tuple[float, list[StepAdjustment]]:
    """Alarm threshold (the highest step) and adjustments (.., 0], ..., (-∞, last]."""
    threshold = steps[0].at
    adjustments = []
    for index, step in enumerate(steps):
        lower = steps[index + 1].at - threshold if index + 1 < len(steps) else None
        adjustments.append(StepAdjustment(lower=lower, upper=step.at - threshold, change=step.change))
    return threshold, adjustments


@dataclass(frozen=True)
class MetricSource:
    namespace: str
    metric_name: str
    statistic: str
    dimensions: dict[str, pulumi.Input[str]]
    queries: bool = False
    """A metric math expression (backlog_queries) rather than one metric."""


@dataclass(frozen=True)
class ScalingConfig:
    """What to scale on and how far; the defaults are mu's policy, made to scale in too, with the
    production tier's floor of two tasks."""

    min_capacity: int = 2
    """Default 2: a task in each of two zones, so that losing a zone or a task is not an outage
    (compliance checklist: ``min_capacity >= 2``)."""
    max_capacity: int = 20
    """Default 20, the definition's ``scaling.max``: a ceiling on what a runaway metric can cost."""
    metric: Metric = "cpu"
    """Default ``cpu`` (average utilisation %); a worker scales on ``backlog``, which needs its queue."""
    scale_out: StepPolicy = MU_SCALE_OUT
    """Default: mu's +2 tasks at 80."""
    scale_in: StepPolicy = MU_SCALE_IN
    """Default: -1 task at 30 or below, judged over 15 minutes."""
    schedules: tuple[Schedule, ...] = ()
    """Default none: the bounds above hold at every hour."""
    target_tracking: TargetTracking | None = None
    """Default None: step scaling (``scale_out``, ``scale_in``); given, one target-tracking policy on
    ``metric`` replaces the steps and their alarms."""

    @property
    def scales_to_zero(self) -> bool:
        """Zero tasks is planned: a minimum of 0, or a schedule that lowers it to 0 (a night)."""
        return self.min_capacity == 0 or any(s.min == 0 for s in self.schedules)


@dataclass(frozen=True)
class StepScalingArgs:
    cluster_name: pulumi.Input[str]
    """The ECS cluster of the scaled service (required: the scalable target's resource id)."""
    service_name: pulumi.Input[str]
    """The ECS service scaled (required)."""
    config: ScalingConfig = ScalingConfig()
    """Default: ``ScalingConfig()``, 2 to 20 tasks on CPU with mu's steps."""
    target_group_arn_suffix: pulumi.Input[str] | None = None
    """Needed by ``requests`` scaling only (with ``load_balancer_arn_suffix``); default None."""
    load_balancer_arn_suffix: pulumi.Input[str] | None = None
    """Needed by ``requests`` scaling only; default None."""
    queue_name: pulumi.Input[str] | None = None
    """A worker's queue: the backlog metric divides its messages by the running tasks. Needed by
    ``backlog`` scaling only; default None."""
    tags: dict[str, str] = field(default_factory=dict)
    """Default none of muon's own (the stack's tags reach every resource through its transformation)."""


class StepScaling(pulumi.ComponentResource):
    scale_out_policy_arn: pulumi.Output[str]
    scale_in_policy_arn: pulumi.Output[str]

    def __init__(self, name: str, args: StepScalingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:ecs:StepScaling", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        config = args.config
        resource_id = pulumi.Output.all(args.cluster_name, args.service_name).apply(
            lambda names: f"service/{names[0]}/{names[1]}"
        )
        target = aws.appautoscaling.Target(
            f"{name}-target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=resource_id,
            min_capacity=config.min_capacity,
            max_capacity=config.max_capacity,
            tags=args.tags,
            opts=child,
        )
        if config.target_tracking is not None:
            policy = target_tracking_policy(
                name,
                config.metric,
                config.target_tracking,
                target,
                child,
                load_balancer_arn_suffix=args.load_balancer_arn_suffix,
                target_group_arn_suffix=args.target_group_arn_suffix,
            )
            self.scale_out_policy_arn = self.scale_in_policy_arn = policy.arn
            _schedules(name, config, target, child)
            self.register_outputs(
                {
                    "targetTrackingPolicyArn": policy.arn,
                    # The alarms Application Auto Scaling made for the policy (high and low).
                    "targetTrackingAlarmArns": policy.alarm_arns,
                }
            )
            return
        source = self._metric(args)
        directions = (
            ("out", config.scale_out, scale_out_adjustments, "GreaterThanOrEqualToThreshold"),
            ("in", config.scale_in, scale_in_adjustments, "LessThanOrEqualToThreshold"),
        )
        arns = {}
        for direction, policy_spec, derive, comparison in directions:
            threshold, adjustments = derive(policy_spec.steps)
            policy = aws.appautoscaling.Policy(
                f"{name}-scale-{direction}",
                policy_type="StepScaling",
                resource_id=target.resource_id,
                scalable_dimension=target.scalable_dimension,
                service_namespace=target.service_namespace,
                step_scaling_policy_configuration={
                    "adjustment_type": "ChangeInCapacity",
                    "cooldown": policy_spec.cooldown,
                    "metric_aggregation_type": "Average",
                    "step_adjustments": [a.as_input() for a in adjustments],
                },
                opts=child,
            )
            metric: dict[str, object] = (
                {"metric_queries": backlog_queries(args, policy_spec.period, config.scale_out.steps[0].at)}
                if source.queries
                else {
                    "namespace": source.namespace,
                    "metric_name": source.metric_name,
                    "dimensions": source.dimensions,
                    "statistic": source.statistic,
                    "period": policy_spec.period,
                }
            )
            aws.cloudwatch.MetricAlarm(
                f"{name}-{source.metric_name.lower()}-{'high' if direction == 'out' else 'low'}",
                alarm_description=f"Scale {direction} {name}: {source.metric_name} "
                f"{'>=' if direction == 'out' else '<='} {threshold:g}",
                **metric,
                evaluation_periods=policy_spec.evaluation_periods,
                comparison_operator=comparison,
                threshold=threshold,
                # Missing data (e.g. no requests) must not scale in or out by itself.
                treat_missing_data="notBreaching" if direction == "out" else "missing",
                actions_enabled=True,
                alarm_actions=[policy.arn],
                tags=args.tags,
                opts=child,
            )
            arns[direction] = policy.arn
        _schedules(name, config, target, child)
        self.scale_out_policy_arn = arns["out"]
        self.scale_in_policy_arn = arns["in"]
        self.register_outputs({"scaleOutPolicyArn": arns["out"], "scaleInPolicyArn": arns["in"]})

    @staticmethod
    def _metric(args: StepScalingArgs) -> MetricSource:
        if args.config.metric == "backlog":
            if args.queue_name is None:
                raise ValueError("backlog scaling needs the worker's queue")
            return MetricSource("", "BacklogPerTask", "", {}, queries=True)
        if args.config.metric == "requests":
            if args.target_group_arn_suffix is None or args.load_balancer_arn_suffix is None:
                raise ValueError("requests scaling needs the target group and load balancer")
            return MetricSource(
                namespace="AWS/ApplicationELB",
                metric_name="RequestCountPerTarget",
                statistic="Sum",
                dimensions={
                    "TargetGroup": args.target_group_arn_suffix,
                    "LoadBalancer": args.load_balancer_arn_suffix,
                },
            )
        return MetricSource(
            namespace="AWS/ECS",
            metric_name="CPUUtilization" if args.config.metric == "cpu" else "MemoryUtilization",
            statistic="Average",
            dimensions={"ClusterName": args.cluster_name, "ServiceName": args.service_name},
        )


def backlog_queries(args: StepScalingArgs, period: int, first_step: float) -> list[dict[str, object]]:
    """Messages waiting or in flight per running task (AWS's "backlog per instance", done with
    metric math instead of a custom metric). With no task running, any visible message counts as
    a full step (``first_step``) so the first message starts a task; an empty queue reads 0.
    Missing data (SQS and Container Insights publish nothing for idle resources) reads as 0."""

    def metric(query_id: str, namespace: str, name: str, dimensions: dict[str, pulumi.Input[str]]) -> dict:
        return {
            "id": query_id,
            "return_data": False,
            "metric": {
                "namespace": namespace,
                "metric_name": name,
                "dimensions": dimensions,
                "period": period,
                "stat": "Maximum",
            },
        }

    if args.queue_name is None:  # _metric refuses it first; this narrows the type
        raise ValueError("backlog scaling needs the worker's queue")
    queue = {"QueueName": args.queue_name}
    tasks = {"ClusterName": args.cluster_name, "ServiceName": args.service_name}
    expression = (
        "IF(FILL(tasks, 0) > 0, (FILL(visible, 0) + FILL(inflight, 0)) / FILL(tasks, 0), "
        f"IF(FILL(visible, 0) > 0, {first_step:g}, 0))"
    )
    return [
        metric("visible", "AWS/SQS", "ApproximateNumberOfMessagesVisible", queue),
        metric("inflight", "AWS/SQS", "ApproximateNumberOfMessagesNotVisible", queue),
        metric("tasks", "ECS/ContainerInsights", "RunningTaskCount", tasks),
        {"id": "backlog", "expression": expression, "label": "Backlog per task", "return_data": True},
    ]


def _schedules(
    name: str, config: ScalingConfig, target: aws.appautoscaling.Target, child: pulumi.ResourceOptions
) -> None:
    for schedule in config.schedules:
        aws.appautoscaling.ScheduledAction(
            f"{name}-schedule-{schedule.name}",
            service_namespace=target.service_namespace,
            resource_id=target.resource_id,
            scalable_dimension=target.scalable_dimension,
            schedule=schedule.schedule,
            timezone=schedule.timezone,
            scalable_target_action={"min_capacity": schedule.min, "max_capacity": schedule.max},
            opts=child,
        )
