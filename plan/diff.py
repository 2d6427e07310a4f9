"""What a change of the definition does to a stack: two offline renders compared, each resource
judged created, updated, replaced, deleted or moved (an alias), by muon's replace-on-change table
(``plan/replacements.py``).

Both sides are renders under Pulumi mocks, whose ids, ARNs and automatic names derive from the
Pulumi name. A resource that moved (an alias) keeps its real id and name in AWS, so the values the
mocks made for its new name are read as its old ones before comparing; a replaced resource gets a
new id in AWS, so every input that holds one of its values changes too — and replaces the
resource it belongs to when that input is one the provider cannot update (a database follows its
subnet group into a new VPC). ``pulumi preview`` computes the same against the real state; muon
classifies its steps the same way (``plan/preview.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from muon.plan.offline import SECRET_MASK, Rendering
from muon.plan.replacements import MOVES_WITH_SUBNETS, STATEFUL, forcing

_SECRET_STATE = {"result", "bcryptHash"}
"""Outputs of the random provider that are the secret itself (never written to a plan file)."""


@dataclass(frozen=True)
class Resource:
    """One resource of a render or of a saved plan (``--json``), as the diff needs it."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    """Secrets masked on both sides: a secret's change is not visible offline."""
    protect: bool = False
    retain: bool = False
    ignore_changes: tuple[str, ...] = ()
    moved_from: tuple[str, ...] = ()
    computed: dict[str, str] = field(default_factory=dict)
    """Outputs the provider computes (id, ARN, automatic name): what other resources take from it."""
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Input → the resources whose outputs made it."""


def resources_of(rendering: Rendering) -> list[Resource]:
    return [
        Resource(
            urn=r.urn,
            type=r.type,
            name=r.name,
            parent=r.parent,
            custom=r.custom,
            inputs=r.masked_inputs,
            protect=r.protect,
            retain=r.retain_on_delete,
            ignore_changes=r.ignore_changes,
            moved_from=r.moved_from,
            computed=computed_outputs(r.state, r.inputs),
            property_dependencies=r.property_dependencies,
        )
        for r in rendering.resources
    ]


def computed_outputs(state: dict[str, Any], inputs: dict[str, Any]) -> dict[str, str]:
    """The string outputs that are not an input echoed back, secrets left out."""
    return {
        key: value
        for key, value in state.items()
        if isinstance(value, str) and key not in inputs and key not in _SECRET_STATE and value != SECRET_MASK
    }


def resources_of_document(document: dict[str, Any]) -> list[Resource]:
    """A saved plan (``python -m muon.plan STACK --json FILE``); a file written before muon
    recorded retain, aliases and computed outputs reads them as absent."""
    return [
        Resource(
            urn=entry["urn"],
            type=entry["type"],
            name=entry["name"],
            parent=entry.get("parent", ""),
            custom=bool(entry.get("custom", True)),
            inputs=entry.get("inputs") or {},
            protect=bool(entry.get("protect")),
            retain=bool(entry.get("retainOnDelete")),
            ignore_changes=tuple(entry.get("ignoreChanges") or ()),
            moved_from=tuple(entry.get("movedFrom") or ()),
            computed=dict(entry.get("computed") or {}),
            property_dependencies={k: tuple(v) for k, v in (entry.get("propertyDependencies") or {}).items()},
        )
        for entry in document.get("resources", [])
    ]


@dataclass(frozen=True)
class Change:
    action: str
    """``create``, ``update``, ``replace``, ``delete`` or ``same``."""
    resource: Resource
    """The new resource (the old one for a deletion)."""
    before: Resource | None = None
    moved_from: str = ""
    """The old URN when the resource moved (an alias matched it)."""
    changed: tuple[str, ...] = ()
    forced_by: tuple[str, ...] = ()
    """Why it is replaced: ``input`` or ``input <- <resource> (why that one is)``."""

    @property
    def stateful(self) -> bool:
        return self.resource.type in STATEFUL

    @property
    def retained(self) -> bool:
        """Left in AWS by the engine (``retain_on_delete`` of the resource as deployed)."""
        old = self.before or self.resource
        return old.retain

    @property
    def loses_data(self) -> bool:
        return self.stateful and self.action in ("replace", "delete") and not self.retained


def compare(before: Iterable[Resource], after: Iterable[Resource]) -> list[Change]:
    """Every resource of ``after`` and ``before``, each with what the deploy does to it."""
    old = {r.urn: r for r in before if r.custom}
    new = [r for r in after if r.custom]
    pairs: list[tuple[Resource, Resource, str]] = []
    used: set[str] = set()
    created: list[Resource] = []
    for resource in new:
        match = (
            resource.urn if resource.urn in old else next((u for u in resource.moved_from if u in old), None)
        )
        if match is None:
            created.append(resource)
            continue
        used.add(match)
        pairs.append((old[match], resource, "" if match == resource.urn else match))
    moved_values = _moved_values(pairs)
    changes = [Change("create", r) for r in created]
    changes += [Change("delete", r) for urn, r in old.items() if urn not in used]
    judged = {after.urn: _judge(before, after, moved, moved_values) for before, after, moved in pairs}
    _propagate(judged)
    return changes + list(judged.values())


def _moved_values(pairs: list[tuple[Resource, Resource, str]]) -> dict[str, str]:
    """New render's value → old render's, for the outputs the mocks derived from a new name."""
    values = {}
    for before, after, _ in pairs:
        for key, value in after.computed.items():
            previous = before.computed.get(key)
            if previous is not None and previous != value:
                values[value] = previous
    return values


def _substitute(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        if value in values:
            return values[value]
        for new, old in values.items():
            if new in value:  # an ARN inside a policy document
                value = value.replace(new, old)
        return value
    if isinstance(value, dict):
        return {k: _substitute(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, values) for v in value]
    return value


def _judge(before: Resource, after: Resource, moved: str, values: dict[str, str]) -> Change:
    inputs = _substitute(after.inputs, values) if values else after.inputs
    keys = set(before.inputs) | set(inputs)
    # Dynamic providers carry their pickled code (``__provider``); ignore_changes is the engine's.
    changed = sorted(
        k
        for k in keys
        if not k.startswith("__") and k not in after.ignore_changes and before.inputs.get(k) != inputs.get(k)
    )
    forced = tuple(forcing(after.type, set(changed)))
    action = "replace" if forced else "update" if changed else "same"
    resource = Resource(**{**after.__dict__, "inputs": inputs})
    return Change(action, resource, before, moved, tuple(changed), forced)


def _propagate(judged: dict[str, Change]) -> None:
    """A replaced resource's outputs are new (unknown until it exists, as ``pulumi preview`` says):
    every input made from them changes too, and replaces its resource when the provider cannot
    update it in place. Until nothing more is replaced."""
    while True:
        replaced = {urn: change for urn, change in judged.items() if change.action == "replace"}
        replaced |= {change.moved_from: change for change in replaced.values() if change.moved_from}
        grew = False
        for urn, change in judged.items():
            if change.action == "replace":
                continue
            tainted = {
                key: cause
                for key, urns in change.resource.property_dependencies.items()
                if (cause := next((replaced[u] for u in urns if u in replaced), None)) is not None
            }
            forced = forcing(change.resource.type, set(tainted))
            moves = MOVES_WITH_SUBNETS.get(change.resource.type)
            if moves in tainted and tainted[moves].resource.type == "aws:ec2/subnet:Subnet":
                forced.append(moves)
            if forced:
                reasons = tuple(f"{key} <- {_why(tainted[key])}" for key in forced)
                judged[urn] = Change(
                    "replace", change.resource, change.before, change.moved_from, change.changed, reasons
                )
                grew = True
            elif tainted and change.action == "same":
                judged[urn] = Change(
                    "update", change.resource, change.before, change.moved_from, tuple(tainted)
                )
        if not grew:
            return


def _why(change: Change) -> str:
    return f"{change.resource.name} ({', '.join(change.forced_by)})"
