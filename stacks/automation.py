"""Kept for tools written against earlier releases: ``muon.stacks.automation`` is
:mod:`muon.automation`."""

from muon.automation import *  # noqa: F403
from muon.automation import __all__  # noqa: F401
