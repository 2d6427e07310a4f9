"""A company's rules on every resource muon creates, as resource transformations: its tags on every
taggable AWS resource, its permissions boundary on every IAM role.

A transformation (not the provider's ``default_tags``) because it also reaches what default tags
do not: the instances an Auto Scaling group launches (its ``tags`` list, propagated at launch) and
launch templates' ``tag_specifications``; and because it runs in the SDK, where the offline plan
and the tests see it (the engine-side transforms are never run under mocks). A resource's own tags
win over these: a ``Name`` muon sets stays.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import pulumi

Transformation = Callable[[pulumi.ResourceTransformationArgs], pulumi.ResourceTransformationResult | None]


@functools.cache
def takes_tags(resource_class: type) -> bool:
    """Whether an AWS SDK resource class has a ``tags`` input (its ``_internal_init`` lists it)."""
    init = getattr(resource_class, "_internal_init", None)
    return init is not None and "tags" in inspect.signature(init).parameters


def tag_transformation(tags: dict[str, str]) -> Transformation:
    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if not tags or not args.type_.startswith("aws:") or not isinstance(args.props, dict):
            return None
        # Widened to `type`: mypy wrongly takes type[Resource] for unhashable (python/mypy#11470).
        resource_class: type = type(args.resource)
        if not takes_tags(resource_class):
            return None
        props = dict(args.props)
        props["tags"] = _merged(props.get("tags"), tags)
        if args.type_ == "aws:ec2/launchTemplate:LaunchTemplate" and props.get("tag_specifications"):
            props["tag_specifications"] = [
                {**spec, "tags": _merged(spec.get("tags"), tags)} if isinstance(spec, dict) else spec
                for spec in props["tag_specifications"]
            ]
        return pulumi.ResourceTransformationResult(props, args.opts)

    return transform


def _merged(own: Any, tags: dict[str, str]) -> Any:
    """``tags`` under a resource's own: a map, or an Auto Scaling group's list of tag objects."""
    if own is None:
        return dict(tags)
    if isinstance(own, dict):
        return {**tags, **own}
    if isinstance(own, list):  # aws.autoscaling.Group: [{key, value, propagate_at_launch}]
        present = {item.get("key") for item in own if isinstance(item, dict)}
        extra = [
            {"key": k, "value": v, "propagate_at_launch": True} for k, v in tags.items() if k not in present
        ]
        return [*own, *extra]
    # An Output of a map: merged once it resolves.
    return pulumi.Output.from_input(own).apply(lambda value: {**tags, **(value or {})})


def boundary_transformation(policy_arn: str) -> Transformation:
    """Every IAM role gets ``policy_arn`` as its permissions boundary, unless it names its own."""

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if args.type_ != "aws:iam/role:Role" or not isinstance(args.props, dict):
            return None
        if args.props.get("permissions_boundary"):
            return None
        return pulumi.ResourceTransformationResult(
            {**args.props, "permissions_boundary": policy_arn}, args.opts
        )

    return transform
