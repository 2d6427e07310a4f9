"""The errors of the Automation API library: each one a caller can act on, each a ``MuonError`` whose
message is one line for a person (no Pulumi import here: callers may catch them cheaply)."""

from __future__ import annotations

from muon.stacks.errors import MuonError


class PulumiNotInstalledError(MuonError):
    """No Pulumi CLI where muon looked for it."""


class StackLockedError(MuonError):
    """Another update of the same stack is running (or died holding the lock)."""


class InvalidConfigError(MuonError):
    """The config does not fit the definition; the message names the key and what was expected."""


class StackFileNotFoundError(MuonError):
    """The project has no ``Pulumi.<stack>.yaml`` for the stack; the message names the path and the
    stack files the project has."""


class UnknownStackError(MuonError):
    """The stack does not exist in the backend and the operation does not create stacks (only ``up``
    does); the message names the stacks that exist."""


class OperationFailedError(MuonError):
    """Pulumi ran and failed; ``output`` holds what it printed."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output
