"""A service's target-tracking policy, from the definition to the component's terms."""

from __future__ import annotations

from muon.components.target_tracking import CustomMetric, TargetTracking
from muon.stacks.definition.traffic import TargetTrackingSpec


def target_tracking(spec: TargetTrackingSpec | None) -> TargetTracking | None:
    """``scaling.targetTracking`` (checked in the definition: the metric suits it, no steps beside it)."""
    if spec is None:
        return None
    custom = spec.custom_metric
    return TargetTracking(
        target=spec.target,
        scale_out_cooldown=spec.scale_out_cooldown,
        scale_in_cooldown=spec.scale_in_cooldown,
        disable_scale_in=spec.disable_scale_in,
        custom_metric=CustomMetric(
            namespace=custom.namespace,
            name=custom.name,
            statistic=custom.statistic,
            dimensions=tuple(sorted(custom.dimensions.items())),
            unit=custom.unit,
        )
        if custom is not None
        else None,
    )
