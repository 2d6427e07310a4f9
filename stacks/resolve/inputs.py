"""What a stack's preparation starts from: the stack it runs as, and its definition and settings
read and checked (``stack.load_inputs``)."""

from __future__ import annotations

from dataclasses import dataclass

from muon.stacks.definition import Definition
from muon.stacks.definition.settings import StackSettings
from muon.stacks.resolve.builds import BuildPlan


@dataclass(frozen=True)
class Running:
    """The stack the program runs as: its names and its config, read from Pulumi once, at the
    program's edge (``stacks/compose.py``), so that nothing here asks the runtime."""

    project: str
    stack: str
    config: dict[str, str]
    """Every config value of the stack, as Pulumi passes them (strings)."""
    organization: str | None = None
    """The Pulumi organization (another stack's outputs are read by its full name)."""

    @property
    def managed_by(self) -> str:
        """``project/stack``: what muon's ownership tags say of this stack's resources."""
        return f"{self.project}/{self.stack}"


@dataclass(frozen=True)
class Inputs:
    settings: StackSettings
    definition: Definition
    builds: dict[str, BuildPlan]
    """Services whose image this stack builds itself (``services.<name>.build``)."""
    running: Running
    notes: tuple[str, ...] = ()
    """What the run says about the renames it deploys (``formerly``)."""
