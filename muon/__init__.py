"""muon: a self-service AWS platform on Pulumi (environments, services, databases, pipelines).

Installed, everything lives under this namespace: ``muon.components`` (the ComponentResources),
``muon.stacks`` (definition, composition, offline plan, Automation API), ``muon.policy`` (the
compliance rules) and ``muon.cli`` (the ``muon`` command).
"""

from __future__ import annotations

DISTRIBUTION = "muon-platform"
"""The distribution's name: PyPI's project `muon` is another one (see the README's install section)."""


def __getattr__(name: str) -> str:
    # ``__version__`` is read from the distribution's metadata when asked for: importlib.metadata
    # costs every `muon` command ~0.1 s otherwise (bench/feedback.py).
    if name != "__version__":
        raise AttributeError(f"module 'muon' has no attribute '{name}'")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"
