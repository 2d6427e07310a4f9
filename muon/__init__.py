"""muon: a self-service AWS platform on Pulumi (environments, services, databases, pipelines).

Installed, everything lives under this namespace: ``muon.components`` (the ComponentResources),
``muon.stacks`` (definition, composition, offline plan, Automation API), ``muon.policy`` (the
compliance rules) and ``muon.cli`` (the ``muon`` command).
"""

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "muon-platform"
"""The distribution's name: PyPI's project `muon` is another one (see the README's install section)."""

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
