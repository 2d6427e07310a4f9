"""``muon``: the command line: a team's project (init, plan, Pulumi operations) and day-2 commands for
what muon deployed, without an operator. Every usage error is one line; exit codes in cli/errors.py.
"""

from __future__ import annotations

import sys

import typer

from muon.cli import (  # noqa: F401 - they register their commands
    continuity_commands,
    day2_commands,
    init_commands,
    project_commands,
    reference_commands,
    report_commands,
    site_commands,
    workload_commands,
)
from muon.cli.app import State, app, errors, stack_region
from muon.cli.errors import EXIT_INTERRUPTED, EXIT_USAGE

__all__ = ["State", "app", "entry", "hoist_global_options", "stack_region"]


def entry(argv: list[str] | None = None) -> None:
    """The ``muon`` command: every usage error is one line (click would print a usage block)."""
    usage_error = typer.BadParameter.__bases__[0]  # click's UsageError, as typer ships it
    assert issubclass(usage_error, typer.TyperException)  # narrows `type` for mypy
    args = hoist_global_options(list(sys.argv[1:] if argv is None else argv))
    try:
        code = app(args=args, prog_name="muon", standalone_mode=False)
    except usage_error as error:
        errors.print(f"muon: {error.format_message()}", markup=False)
        sys.exit(EXIT_USAGE)
    except typer.Abort:
        errors.print("muon: interrupted", markup=False)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(code if isinstance(code, int) else 0)


GLOBAL_FLAGS = ("--json",)


def hoist_global_options(args: list[str]) -> list[str]:
    """``muon env list --json`` means ``muon --json env list``: global flags go first."""
    flags = [a for a in args if a in GLOBAL_FLAGS]
    return [*flags, *(a for a in args if a not in GLOBAL_FLAGS)]
