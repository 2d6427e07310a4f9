"""A service's ``scaling:`` in ``muon.yaml``: its bounds, metric, step policies and schedules."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator
from pydantic.alias_generators import to_camel

from muon.stacks.definition.fields import Spec, _PathError, pattern
from muon.stacks.definition.traffic import TargetTrackingSpec, tracking_problem
from muon.stacks.definition.types import ScalingSchedule, TimeZone

ScalingMetric = Literal["cpu", "memory", "requests", "backlog", "custom"]


class StepSpec(Spec):
    at: float = Field(description="Metric value at which this step starts.")
    change: int = Field(
        ge=-1000, le=1000, description="Tasks to add (scale-out, > 0) or remove (scale-in, < 0)."
    )


class StepPolicySpec(Spec):
    steps: list[StepSpec] = Field(min_length=1)
    cooldown: int = Field(ge=0, le=3600, description="Seconds before another adjustment.")
    period: int = Field(default=300, description="Alarm period in seconds: 10, 30 or a multiple of 60.")
    evaluation_periods: int = Field(ge=1, le=100)

    @model_validator(mode="after")
    def _check(self) -> StepPolicySpec:
        if self.period not in (10, 30) and self.period % 60 != 0:
            raise ValueError(f"period {self.period}: CloudWatch accepts 10, 30 or a multiple of 60 seconds")
        return self


def _default_scale_out() -> StepPolicySpec:
    # mu's policy ("Application Auto Scaling with Amazon ECS"): CPU >= 80 over one 5-minute
    # period adds 2 tasks, cooldown 60 s.
    return StepPolicySpec(steps=[StepSpec(at=80, change=2)], cooldown=60, period=300, evaluation_periods=1)


def _default_scale_in() -> StepPolicySpec:
    # mu's -1 step, given its own low alarm (mu's single alarm could never fire it)
    # and a longer window (3 x 5 minutes) so the service does not flap.
    return StepPolicySpec(steps=[StepSpec(at=30, change=-1)], cooldown=300, period=300, evaluation_periods=3)


class ScheduleSpec(Spec):
    name: Annotated[
        str, pattern(r"^[a-z][a-z0-9-]{0,40}$", "a schedule name of lowercase letters, digits, '-'")
    ]
    schedule: ScalingSchedule
    min: int = Field(ge=0, le=1000)
    max: int = Field(ge=0, le=1000)
    timezone: TimeZone = "UTC"

    @model_validator(mode="after")
    def _check(self) -> ScheduleSpec:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


def _with_defaults(value: object, defaults: StepPolicySpec) -> object:
    """A step policy given in part keeps the default of every key it leaves out."""
    if not isinstance(value, dict):
        return value
    given = {to_camel(k) if "_" in str(k) else k: v for k, v in value.items()}
    return {**defaults.model_dump(by_alias=True), **given}


class ScalingSpec(Spec):
    min: int | None = Field(default=None, ge=0, le=1000, description="Fewest tasks (dev 1, production 2).")
    max: int = Field(default=20, ge=1, le=1000, description="Most tasks.")
    metric: ScalingMetric = Field(
        default="cpu",
        description="cpu, memory (utilisation %), requests (ALB requests per target), backlog "
        "(a worker's queued and in-flight messages per running task; a worker's default) or custom "
        "(targetTracking.customMetric).",
    )
    target_tracking: TargetTrackingSpec | None = Field(
        default=None,
        description="Hold the metric at a target (Application Auto Scaling's alarms) instead of the "
        "steps of scaleOut and scaleIn.",
    )
    scale_out: StepPolicySpec = Field(default_factory=_default_scale_out)
    scale_in: StepPolicySpec = Field(default_factory=_default_scale_in)
    schedules: list[ScheduleSpec] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _deep_defaults(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for key, default in (("scaleOut", _default_scale_out()), ("scaleIn", _default_scale_in())):
            snake = "scale_out" if key == "scaleOut" else "scale_in"
            for name in (key, snake):
                if name in data:
                    data[name] = _with_defaults(data[name], default)
        return data

    @model_validator(mode="after")
    def _check(self) -> ScalingSpec:
        if self.min is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        tracking_problem(self.metric, self.target_tracking, self.model_fields_set)
        _check_steps(self.scale_out.steps, ascending=True, sign=1, where="scaleOut")
        _check_steps(self.scale_in.steps, ascending=False, sign=-1, where="scaleIn")
        if self.metric in ("cpu", "memory"):
            for where, policy in (("scaleOut", self.scale_out), ("scaleIn", self.scale_in)):
                for index, step in enumerate(policy.steps):
                    if not 0 <= step.at <= 100:
                        raise _PathError(
                            (where, "steps", index, "at"),
                            f"{self.metric} utilisation is a percentage: expected 0 to 100, got {step.at:g}",
                        )
        lowest_out = self.scale_out.steps[0].at
        highest_in = self.scale_in.steps[0].at
        if highest_in >= lowest_out:
            raise ValueError(
                f"scaleIn starts at {highest_in:g}, which is not below scaleOut's {lowest_out:g}: "
                "the two alarms would overlap and the service would flap"
            )
        return self


def _check_steps(steps: list[StepSpec], *, ascending: bool, sign: int, where: str) -> None:
    for index, step in enumerate(steps):
        if step.change * sign <= 0:
            expected = (
                "a positive number of tasks to add" if sign > 0 else "a negative number of tasks to remove"
            )
            raise _PathError((where, "steps", index, "change"), f"expected {expected}, got {step.change}")
        if index:
            previous = steps[index - 1].at
            ordered = step.at > previous if ascending else step.at < previous
            if not ordered:
                order = "increasing" if ascending else "decreasing"
                raise _PathError(
                    (where, "steps", index, "at"),
                    f"steps must be in strictly {order} order of 'at' (no overlap): "
                    f"{step.at:g} follows {previous:g}",
                )
