"""The same classification over the real diff: ``pulumi preview``'s steps, judged as the offline
diff judges its own (``plan/diff.py``, ``plan/diff_report.py``).

Two sources, one shape. ``pulumi preview --json`` prints a ``PreviewDigest`` (pulumi/pulumi,
``sdk/go/common/display/json.go``): ``steps``, each with ``op`` (``same``, ``create``, ``update``,
``replace``, ``create-replacement``, ``delete-replaced``, ``delete``, ``read``, ``refresh``,
``discard``, ``import``...), ``urn``, ``oldState`` and ``newState`` (``apitype.ResourceV3``:
``urn``, ``type``, ``parent``, ``custom``, ``protect``, ``retainOnDelete``, ``inputs``...),
``diffReasons`` and ``replaceReasons``. The Automation API reports the same steps as engine events
(``ResourcePreEvent.metadata``: ``op``, ``old``, ``new``, ``diffs``, ``keys``), which
``step_of_event`` turns into that shape. Pulumi decides what is replaced here, from the provider;
muon only says what it means for the data.
"""

from __future__ import annotations

from typing import Any

from muon.plan.diff import Change, Resource

_REPLACING = ("replace", "create-replacement", "delete-replaced", "import-replacement")
_IGNORED = ("read", "refresh", "discard", "discard-replaced", "read-replacement", "remove-pending-replace")


def _resource(state: dict[str, Any], urn: str) -> Resource:
    return Resource(
        urn=state.get("urn") or urn,
        type=state.get("type", urn.split("::")[2].split("$")[-1] if urn.count("::") >= 3 else ""),
        name=(state.get("urn") or urn).rsplit("::", 1)[-1],
        parent=state.get("parent", ""),
        custom=bool(state.get("custom", True)),
        inputs=dict(state.get("inputs") or {}),
        protect=bool(state.get("protect")),
        retain=bool(state.get("retainOnDelete")),
    )


def changes_of_preview(document: dict[str, Any]) -> list[Change]:
    """One change per resource of a ``pulumi preview --json`` document (a replacement's several
    steps count once)."""
    changes: dict[str, Change] = {}
    for step in document.get("steps") or []:
        op, urn = step.get("op", ""), step.get("urn", "")
        if op in _IGNORED or not urn:
            continue
        old, new = step.get("oldState"), step.get("newState")
        resource = _resource(new or old or {}, urn)
        if not resource.custom:
            continue
        before = _resource(old, urn) if old else None
        moved = before.urn if before is not None and before.urn != urn else ""
        action = "replace" if op in _REPLACING else op if op in ("create", "update", "delete") else "same"
        if urn in changes and (action != "replace" or changes[urn].action == "replace"):
            continue  # a replacement's first step said it all
        changes[urn] = Change(
            action,
            resource,
            before,
            moved,
            tuple(step.get("diffReasons") or ()),
            tuple(step.get("replaceReasons") or ()) if action == "replace" else (),
        )
    return list(changes.values())


def step_of_event(metadata: Any) -> dict[str, Any]:
    """An Automation API ``StepEventMetadata`` as a ``pulumi preview --json`` step."""

    def state(meta: Any) -> dict[str, Any] | None:
        if meta is None:
            return None
        return {
            "urn": meta.urn,
            "type": meta.type,
            "parent": meta.parent,
            "custom": meta.custom,
            "protect": meta.protect,
            "retainOnDelete": bool(getattr(meta, "retain_on_delete", False)),
            "inputs": dict(meta.inputs or {}),
        }

    op = getattr(metadata.op, "value", metadata.op)
    return {
        "op": str(op),
        "urn": metadata.urn,
        "oldState": state(metadata.old),
        "newState": state(metadata.new),
        "diffReasons": list(metadata.diffs or []),
        "replaceReasons": list(metadata.keys or []),
    }
