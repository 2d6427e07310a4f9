"""The Automation API library other tools import: ``from muon.automation import Muon``."""

from muon.automation.library import (
    InvalidConfigError,
    Muon,
    OperationFailedError,
    OperationResult,
    PulumiNotInstalledError,
    StackLockedError,
    to_config,
)

__all__ = [
    "InvalidConfigError",
    "Muon",
    "OperationFailedError",
    "OperationResult",
    "PulumiNotInstalledError",
    "StackLockedError",
    "to_config",
]
