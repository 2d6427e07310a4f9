"""A service's storage (``services.<name>.storage``): the variables it sets, checked against the
service's own (``stacks/wiring/storage.py`` makes the ServiceStorage component's arguments)."""

from __future__ import annotations

from muon.stacks.definition import ServiceSpec
from muon.stacks.definition.storage import variable_name


def storage_variable_names(spec: ServiceSpec) -> dict[str, str]:
    """Variable muon sets → what sets it (``storage.buckets.uploads``)."""
    storage = spec.storage
    if storage is None:
        return {}
    names = {variable_name(b, "BUCKET"): f"storage.buckets.{b}" for b in storage.buckets}
    names |= {variable_name(t, "TABLE"): f"storage.tables.{t}" for t in storage.tables}
    return names
