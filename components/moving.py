"""Renames without loss: a component composed under a new name keeps its resources.

Pulumi identifies a resource by its URN: its parents' types, its type and its name. muon names
every resource of a service ``<environment>-<service>-<role>`` (``dev-banana-database-cluster``),
so renaming the service changes every URN under it, and ``pulumi up`` would delete the old
resources and create new ones — the database with them. An alias (``pulumi.Alias``) tells the
engine that the resource of an earlier deployment under the old URN is this one.

The engine does carry a parent's aliases to its children: it multiplies them into every child's
URN (pulumi/pulumi, ``pkg/resource/deploy/step_generator.go``, ``generateAliases``), but only as
URNs built from the child's own name under the parent's old name — a child ``fruit-…`` is
not found under ``banana-…`` — and on the engine's side, which the offline plan cannot see. So
the transformation below gives *every* resource of the renamed component's subtree an explicit
alias of its own, naming its old URN exactly, which the plan records and the tests check; an
explicit alias and the engine's derived ones agree, so both stay correct. A transformation set on
a component runs for the component and for everything created under it (Pulumi's
``ResourceOptions.transformations`` are inherited by children).
"""

from __future__ import annotations

import pulumi


def moved(new_prefix: str, old_prefix: str) -> pulumi.ResourceTransformation:
    """Alias each resource named ``<new_prefix>`` or ``<new_prefix>-…`` to ``<old_prefix>…``:
    the same type and parent types, the old name. Apply it to the one component whose subtree was
    renamed (never to an environment: a sibling service whose name starts alike is not moved)."""

    def transformation(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        name = args.name
        if name != new_prefix and not name.startswith(f"{new_prefix}-"):
            return None
        alias = pulumi.Alias(name=old_prefix + name[len(new_prefix) :])
        opts = pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(aliases=[alias]))
        return pulumi.ResourceTransformationResult(props=args.props, opts=opts)

    return transformation


def moved_options(new_prefix: str, old_prefix: str | None) -> pulumi.ResourceOptions:
    """Options for a component that was ``old_prefix`` (None: not renamed, no options)."""
    if old_prefix is None or old_prefix == new_prefix:
        return pulumi.ResourceOptions()
    return pulumi.ResourceOptions(transformations=[moved(new_prefix, old_prefix)])
