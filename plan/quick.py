"""The definition check before Pulumi, without pydantic's plugin scan (bench/feedback.py).

pydantic looks for plugins when it builds its first validator: its loader imports
``importlib.metadata`` (email, zipfile, csv…) and reads the entry points of every installed
distribution — about a sixth of what a definition error costs, for plugins that nothing in muon's
command line uses. While the definition is checked, pydantic finds none: what its loader answers
when ``PYDANTIC_DISABLE_PLUGINS`` is ``__all__`` (pydantic's documented switch), without the
import. Nothing is validated differently — plugins observe validation, they take no part in it —
and validators built afterwards (the render's) load pydantic's own loader as before.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import Any

LOADER = "pydantic.plugin._loader"
"""pydantic's plugin loader: ``create_schema_validator`` imports its ``get_plugins`` on each call."""


def _no_plugins() -> Iterable[Any]:
    return ()


@contextlib.contextmanager
def without_plugin_scan() -> Iterator[None]:
    """Within: pydantic's validators are built with no plugin, and nothing is scanned for them."""
    if LOADER in sys.modules:  # pydantic's loader is here already: its import is paid
        yield
        return
    stand_in = ModuleType(LOADER, "No pydantic plugins while a definition is checked (muon.plan.quick).")
    stand_in.get_plugins = _no_plugins  # type: ignore[attr-defined]
    sys.modules[LOADER] = stand_in
    try:
        yield
    finally:
        if sys.modules.get(LOADER) is stand_in:
            del sys.modules[LOADER]
        package = sys.modules.get("pydantic.plugin")
        if package is not None and getattr(package, "_loader", None) is stand_in:
            delattr(package, "_loader")
