"""The diff as a reader needs it: stateful resources first, each with the input that replaces it,
the definition key behind it and what to do; refused in production, a warning in development.

Verdicts, per change of a resource that holds data (``plan/replacements.py``):

- ``refused`` (production): a replacement that loses the data (not retained), or the replacement
  or deletion of a ``protect``ed resource (``pulumi up`` would stop there, half-way through);
- ``refused`` (every tier): a database deleted or replaced with NO final snapshot (the deployed
  state skips it or names none: the provider reads both from the state, not from the new
  inputs), and the replacement of a retained resource that keeps its physical name (the old one
  stays in AWS under that name: creating the new one fails, AlreadyExists);
- ``warning``: the same in development, and a deletion that loses data anywhere;
- ``kept``: replaced or deleted, but retained: the old one stays in AWS;
- ``moved``: an alias carries it to its new name (updated in place if anything else changed).

A resource's tier is its ``muon:tier`` tag (or its parents'); the delivery and organization
stacks, which have none, count as production.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from muon.components.naming import NAME_RULES
from muon.plan.diff import Change, Resource
from muon.plan.offline import Rendering
from muon.plan.replacements import SNAPSHOTTED, STATEFUL, rule


@dataclass(frozen=True)
class Verdict:
    level: str
    """``refused``, ``warning``, ``kept``, ``moved`` or ``""`` (nothing to say)."""
    line: str
    """One line: the definition key, what happens and what to do."""


def tags_of(resource: Resource, parents: dict[str, Resource]) -> dict[str, str]:
    """The resource's own tags, else its nearest parent's (components carry none: their children do)."""
    current: Resource | None = resource
    while current is not None:
        tags = current.inputs.get("tags")
        if isinstance(tags, dict) and "muon:tier" in tags:
            return tags
        current = parents.get(current.parent)
    return {}


def owners_of(changes: Sequence[Change], parents: dict[str, Resource]) -> set[str]:
    """``services.<name>`` and ``environments.<name>`` of everything the definition still makes."""
    found = set()
    for change in changes:
        if change.action == "delete":
            continue
        tags = tags_of(change.resource, parents)
        if "muon:service" in tags:
            found.add(f"services.{tags['muon:service']}")
        if "muon:environment" in tags:
            found.add(f"environments.{tags['muon:environment']}")
    return found


def no_final_snapshot(change: Change) -> str:
    """Why deleting this database takes NO final snapshot ("" when it takes one, or is no
    database being deleted). Read from the resource as deployed (``before``): the provider deletes
    with the ``skipFinalSnapshot`` and ``finalSnapshotIdentifier`` of the state, so a deploy that
    first sets them and deletes in the same run deletes by the old ones."""
    if change.resource.type not in SNAPSHOTTED or change.action not in ("replace", "delete"):
        return ""
    if change.retained:
        return ""
    old = change.before or change.resource
    if old.inputs.get("skipFinalSnapshot") is True:
        return "the deployed state has skipFinalSnapshot: true"
    if not old.inputs.get("finalSnapshotIdentifier"):
        return (
            "the deployed state names no finalSnapshotIdentifier (the provider stops the deletion: "
            "final_snapshot_identifier is required when skip_final_snapshot is false)"
        )
    return ""


_FIRST_UP = (
    "refused in every tier: `pulumi up` the definition unchanged with this muon first (it records a "
    "final snapshot name in the state; docs/upgrading.md), or take a manual snapshot, then make this edit"
)


def kept_name(change: Change) -> str:
    """The physical name a replacement keeps ("" when it takes a new one): the name input
    (``components/naming.py`` NAME_RULES) set, unchanged, and not Pulumi's automatic one (an
    automatic name is not an input offline; a replacement gets a new one from ``pulumi preview``)."""
    found = NAME_RULES.get(change.resource.type)
    if change.action != "replace" or change.before is None or found is None or found.key is None:
        return ""
    old, new = change.before.inputs.get(found.key), change.resource.inputs.get(found.key)
    return old if isinstance(old, str) and old and old == new else ""


def verdict(change: Change, tags: dict[str, str], owners: set[str] | None = None) -> Verdict:
    """``owners``: the services and environments (``muon:service``, ``muon:environment`` tags)
    the definition still has, to tell a removal from an edit."""
    found = _verdict(change, tags, owners)
    if no_final_snapshot(change) and found.level in ("refused", "warning"):
        return Verdict("refused", f"{found.line}; {_FIRST_UP}")
    return found


def _verdict(change: Change, tags: dict[str, str], owners: set[str] | None) -> Verdict:
    production = tags.get("muon:tier", "production") == "production"
    old = change.before or change.resource
    if change.action == "delete" and old.protect:
        level = "refused" if production else "warning"
        return Verdict(level, _deleted_line(change, tags, protected=True, owners=owners))
    taken = kept_name(change) if change.retained else ""
    if change.action == "replace" and ((old.protect and change.stateful) or taken):
        line = _name_taken_line(change, tags, taken) if taken else _replaced_line(change, tags)
        if old.protect:  # Pulumi replaces nothing protected: the update would stop there
            line += " (it is protected: `pulumi up` would stop there, half-way)"
        return Verdict("refused" if production or taken else "warning", line)
    if not change.stateful:
        return Verdict("moved" if change.moved_from else "", "")
    if change.action == "replace" and not change.retained:
        return Verdict("refused" if production else "warning", _replaced_line(change, tags))
    if change.action in ("replace", "delete") and change.retained:
        return Verdict(
            "kept", f"left in AWS with {_holds(change)} (retained): the stack no longer manages it"
        )
    if change.action == "delete":
        return Verdict("warning", _deleted_line(change, tags, protected=False, owners=owners))
    return Verdict("moved" if change.moved_from else "", "")


def _holds(change: Change) -> str:
    found = STATEFUL.get(change.resource.type)
    holds = found.holds if found else "what it holds"
    if change.resource.type in SNAPSHOTTED:
        missing = no_final_snapshot(change)
        holds += f" (NO final snapshot: {missing})" if missing else " (RDS takes a final snapshot)"
    return holds


def _name_taken_line(change: Change, tags: dict[str, str], name: str) -> str:
    """``<definition key>: <input> <old> -> <new> replaces it, but the name stays taken; <what to do>``."""
    where, what, advice = _cause(change, tags)
    return (
        f"{where}: {what} replaces it, but the old one is retained and keeps the name {name!r} in AWS: "
        f"creating the replacement fails (AlreadyExists), `pulumi up` stops there; {advice}"
    )


def _replaced_line(change: Change, tags: dict[str, str]) -> str:
    """``<definition key>: <input> <old> -> <new> replaces it and loses <data>; <what to do>``."""
    where, what, advice = _cause(change, tags)
    return f"{where}: {what} replaces it and loses {_holds(change)}; {advice}"


def _cause(change: Change, tags: dict[str, str]) -> tuple[str, str, str]:
    """Where in the definition, what changed, and what to do."""
    first = change.forced_by[0] if change.forced_by else "(an input the provider cannot update)"
    key = first.split(" <- ")[0]
    # A replacement carried from another resource: advise on the input that started it.
    root = first.rsplit("(", 1)[-1].rstrip(")").split(", ")[0] if " <- " in first else key
    before = change.before.inputs.get(key) if change.before else None
    what = first if " <- " in first else f"{key} {before!r} -> {change.resource.inputs.get(key)!r}"
    where, advice = _ADVICE.get(root) or _ADVICE.get(key) or _DEFAULT_ADVICE
    if change.moved_from and key == "name":  # renamed with formerly: what takes the new name
        where, advice = (
            "services.{service}",
            "renamed (formerly): the old one goes; a production environment keeps it",
        )
    values = {
        "service": tags.get("muon:service", "<service>"),
        "env": tags.get("muon:environment", "<environment>"),
        "old": before,
    }
    return where.format(**values), what, advice.format(**values)


_DEFAULT_ADVICE = (
    "the definition",
    "keep the value it was created with, or move the data to a new resource first",
)


def _deleted_line(change: Change, tags: dict[str, str], *, protected: bool, owners: set[str] | None) -> str:
    service, env = tags.get("muon:service"), tags.get("muon:environment", "<environment>")
    where = f"services.{service}" if service else f"environments.{env}"
    if owners is not None and where in owners:  # still there: an edit no longer makes this one
        return (
            f"{where}: no longer made by the definition (an edit changed what it needs): deleting it "
            f"loses {_holds(change)}"
            + ("; it is protected: `pulumi up` would stop here, half-way" if protected else "")
        )
    if protected:
        return (
            f"{where}: gone from the definition, but it is protected: `pulumi up` would stop here, half-way; "
            f"renamed? say formerly: <old name> on the new one; removed on purpose? turn its deletion "
            f"protection off, `pulumi up`, then `pulumi state unprotect`"
        )
    return (
        f"{where}: gone from the definition: deleting it loses {_holds(change)}; renamed? say "
        "formerly: <old name> on the new one"
    )


_ADVICE: dict[str, tuple[str, str]] = {
    "databaseName": (
        "services.{service}.database.name",
        "keep {old}, or set services.{service}.database.formerly: {old} (the cluster keeps it; rename "
        "or create the new one inside the engine)",
    ),
    "dbName": (
        "services.{service}.database.name",
        "keep {old}, or set services.{service}.database.formerly: {old} (the instance keeps it; rename "
        "or create the new one inside the engine)",
    ),
    "engine": (
        "services.{service}.database.engine",
        "an engine change is a migration: give the new engine a new service, move the data (dump and "
        "restore, or AWS DMS), then remove the old service",
    ),
    "kmsKeyId": (
        "keys.data",
        "RDS cannot re-encrypt a database in place: keep the key, or restore a snapshot copied under the "
        "new key into a new service",
    ),
    "masterUsername": (
        "services.{service}.database.masterUsername",
        "keep {old}; add users inside the engine",
    ),
    "username": ("services.{service}.database.masterUsername", "keep {old}; add users inside the engine"),
    "clusterIdentifier": (
        "services.{service}",
        "the service or its environment was renamed: say formerly: <old name> on the new one",
    ),
    "name": ("services.{service}", "renamed? say formerly: <old name> on the new service or environment"),
    "kmsKeyArn": (
        "keys.data",
        "AWS Backup cannot change a vault's key: keep the key (what it backed up stays in the old vault)",
    ),
    "encryptionConfigurations": (
        "keys.pipeline",
        "ECR cannot change a repository's key: keep the key (the images stay in the old repository)",
    ),
    "cidrBlock": (
        "environments.{env}.network",
        "a database cannot move to another VPC in place: keep the network, or restore a snapshot into a "
        "new environment",
    ),
    "vpcId": (
        "environments.{env}.network",
        "a database cannot move to another VPC in place: keep the network",
    ),
    "availabilityZone": ("environments.{env}.network", "keep the zones the database was created in"),
}


def print_diff(
    changes: Sequence[Change], reference: str, out: TextIO, *, offline: bool = True
) -> list[Verdict]:
    """Print the diff; return the verdicts of the stateful changes (refused, warning, kept)."""
    parents = {c.resource.urn: c.resource for c in changes}
    owners = owners_of(changes, parents)
    counts = {a: sum(1 for c in changes if c.action == a) for a in ("create", "update", "replace", "delete")}
    moved = sum(1 for c in changes if c.moved_from)
    how = (
        f"against {reference} (offline: both renders under Pulumi mocks; replacements: plan/replacements.py)"
        if offline
        else f"in {reference} (Pulumi's own diff against the stack's state)"
    )
    out.write(
        f"\nChanges {how}: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['replace']} to replace, {counts['delete']} to delete, {moved} moved\n"
    )
    verdicts: list[Verdict] = []
    stateful = [c for c in changes if c.stateful and (c.action != "same" or c.moved_from)]
    other = [c for c in changes if not c.stateful and c.action != "same"]
    if stateful:
        out.write("\n  Resources that hold data:\n")
    for change in sorted(stateful, key=lambda c: (_ORDER.get(c.action, 9), c.resource.name)):
        found = verdict(change, tags_of(change.resource, parents), owners)
        out.write(f"    {found.level or 'ok':<8} {_describe(change)}\n")
        if found.line:
            out.write(f"             {found.line}\n")
        if found.level in ("refused", "warning", "kept"):
            verdicts.append(found)
    if other:
        out.write("\n  Other resources:\n")
    for change in sorted(other, key=lambda c: (_ORDER.get(c.action, 9), c.resource.type, c.resource.name)):
        found = verdict(change, tags_of(change.resource, parents), owners)
        if found.level == "refused":
            verdicts.append(found)
            out.write(f"    refused  {_describe(change)}\n             {found.line}\n")
        else:
            out.write(f"             {_describe(change)}\n")
    from muon.plan.diff_cautions import cautions  # it reads this module's verdicts and tags

    found_cautions = cautions(changes, parents)
    if found_cautions:
        out.write("\n  Cautions:\n")
    for change, found in found_cautions:
        out.write(f"    {found.level:<8} {_describe(change)}\n             {found.line}\n")
        verdicts.append(found)
    return verdicts


_ORDER = {"replace": 0, "delete": 1, "update": 2, "same": 3, "create": 4}


def _describe(change: Change) -> str:
    resource = change.resource
    action = "move" if change.action == "same" else change.action  # listed only when it moved
    text = f"{action:<8} {resource.type}  {resource.name}"
    if change.moved_from:
        text += f"  (moved from {change.moved_from.rsplit('::', 1)[-1]})"
    if change.forced_by:
        found = rule(resource.type)
        text += f"  [forced by {'; '.join(change.forced_by)}: {found.source if found else ''}]"
    elif change.changed and change.action == "update":
        text += f"  [{', '.join(change.changed[:6])}{', ...' if len(change.changed) > 6 else ''}]"
    return text


def report_changes(
    changes: Sequence[Change],
    reference: str,
    fail_on: str | None,
    out: TextIO,
    err: TextIO,
    *,
    offline: bool = True,
) -> int:
    """Print ``changes``; 1 when one is refused, or loses data under ``--fail-on data-loss``; else 0."""
    verdicts = print_diff(changes, reference, out, offline=offline)
    refused = [v for v in verdicts if v.level == "refused"]
    for found in refused:
        err.write(f"refused: {found.line}\n")
    if refused:
        return 1
    lost = sum(1 for c in changes if c.loses_data)
    if fail_on == "data-loss" and lost:
        err.write(
            f"error: --fail-on data-loss: {lost} resource(s) holding data would be replaced or deleted\n"
        )
        return 1
    return 0


def print_moves(rendering: Rendering, out: TextIO) -> None:
    """The renames the stack deploys (``formerly``), and what moves: the components and the
    resources that hold data, each from its old Pulumi name (every other resource under them
    moves with them, by alias too)."""
    # Only renames: pulumi-aws aliases types it renamed itself (the same name under an old type).
    moved = [r for r in rendering.resources if any(u.rsplit("::", 1)[-1] != r.name for u in r.moved_from)]
    if not rendering.notes and not moved:
        return
    out.write("\nRenames:\n")
    for note in rendering.notes:
        out.write(f"  {note}\n")
    if moved:
        out.write(f"  {len(moved)} resources move to their new names (aliases, not deleted and created):\n")
    for resource in moved:
        if not resource.custom or resource.type in STATEFUL:
            old = ", ".join({u.rsplit("::", 1)[-1] for u in resource.moved_from} - {resource.name})
            out.write(f"    {old} -> {resource.name}  ({resource.type})\n")
