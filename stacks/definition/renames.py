"""Renames in the definition (``formerly``): what they may name.

A service or an environment renamed with ``formerly: <old>`` keeps the resources it had under
``<old>`` (``stacks/resolve/renames.py`` says how). The old name must then be gone from the
definition, and two things cannot both claim to have been it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from muon.stacks.definition.fields import _PathError


def check_renames(kind: str, entries: Mapping[str, Any]) -> None:
    """``kind`` (``services``, ``environments``): each ``formerly`` names a name no longer in use,
    claimed once."""
    claimed: dict[str, str] = {}
    for name, spec in entries.items():
        former = spec.formerly
        if former is None:
            continue
        where = (kind, name, "formerly")
        if former == name:
            raise _PathError(where, f"'{former}' is this one's own name; drop formerly")
        if former in entries:
            raise _PathError(
                where,
                f"'{former}' is still in {kind}: a rename leaves the old name behind "
                f"(remove {kind}.{former}, or drop formerly)",
            )
        if former in claimed:
            raise _PathError(where, f"'{former}' is already the former name of {kind}.{claimed[former]}")
        claimed[former] = name
