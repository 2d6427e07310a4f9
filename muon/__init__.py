"""muon: a self-service AWS platform on Pulumi (environments, services, databases, pipelines).

Installed, everything lives under this namespace: ``muon.components`` (the ComponentResources),
``muon.stacks`` (definition, composition, offline plan, Automation API), ``muon.policy`` (the
compliance rules) and ``muon.cli`` (the ``muon`` command).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("muon")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
