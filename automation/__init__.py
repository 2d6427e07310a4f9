"""The Automation API library other tools import: ``from muon.automation import Muon``."""

from muon.automation.errors import (
    InvalidConfigError,
    OperationFailedError,
    PulumiNotInstalledError,
    StackFileNotFoundError,
    StackLockedError,
    UnknownStackError,
)
from muon.automation.library import Muon, OnEvent, OnOutput, OperationResult, to_config

__all__ = [
    "InvalidConfigError",
    "Muon",
    "OnEvent",
    "OnOutput",
    "OperationFailedError",
    "OperationResult",
    "PulumiNotInstalledError",
    "StackFileNotFoundError",
    "StackLockedError",
    "UnknownStackError",
    "to_config",
]
