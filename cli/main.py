"""``muon``: the command line: a team's project (init, plan, Pulumi operations) and day-2 commands for
what muon deployed, without an operator. Every usage error is one line; exit codes in cli/errors.py.

This module stays light: ``muon plan`` goes straight to the plan (its own parser), and typer with
the command modules loads only for the other commands — a definition error answers in the time it
takes to read the definition (bench/feedback.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from muon.cli.errors import EXIT_INTERRUPTED, EXIT_USAGE

if TYPE_CHECKING:  # loaded on first use (__getattr__): `muon plan` never needs them
    from muon.cli.app import State, app, stack_region

__all__ = ["State", "app", "entry", "hoist_global_options", "stack_region"]


def _commands() -> ModuleType:
    """The typer application with every command registered."""
    from muon.cli import (  # noqa: F401 - they register their commands
        app,
        continuity_commands,
        day2_commands,
        init_commands,
        policy_pack,
        project_commands,
        reference_commands,
        report_commands,
        site_commands,
        workload_commands,
    )

    return app


def __getattr__(name: str) -> Any:
    if name in ("State", "app", "stack_region"):
        return getattr(_commands(), name)
    raise AttributeError(f"module 'muon.cli.main' has no attribute '{name}'")


def entry(argv: list[str] | None = None) -> None:
    """The ``muon`` command: every usage error is one line (click would print a usage block)."""
    args = hoist_global_options(list(sys.argv[1:] if argv is None else argv))
    plan_args = plan_arguments(args)
    if plan_args is not None:
        sys.exit(plan_main(plan_args))
    import typer

    commands = _commands()
    if help_of(commands.app, args):
        sys.exit(0)
    usage_error = typer.BadParameter.__bases__[0]  # click's UsageError, as typer ships it
    assert issubclass(usage_error, typer.TyperException)  # narrows `type` for mypy
    try:
        code = commands.app(args=args, prog_name="muon", standalone_mode=False)
    except usage_error as error:
        commands.errors.print(f"muon: {error.format_message()}", markup=False)
        sys.exit(EXIT_USAGE)
    except typer.Abort:
        commands.errors.print("muon: interrupted", markup=False)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(code if isinstance(code, int) else 0)


def help_of(app: Any, args: list[str]) -> bool:
    """``muon [GROUP...] COMMAND --help``: print the command's help as typer would, and say so.

    Typer would first process the global options (``--stack``, ``--outputs``, ``--cwd``) as it
    does before any command, building a pydantic adapter for each: ~0.1 s of imports before a
    help page that needs none of them (bench/feedback.py). Anything else (an option before
    ``--help``, an unknown command, a command without a help option) is left to typer."""
    import typer.main

    if not args or any(arg.startswith("-") for arg in args[:-1]):
        return False
    command: Any = typer.main.get_command(app)
    context = command.context_class(command, info_name="muon", **command.context_settings)
    if args[-1] not in context.help_option_names:
        return False
    for name in args[:-1]:
        find = getattr(command, "get_command", None)
        command = find(context, name) if find is not None else None
        if command is None:
            return False
        context = command.context_class(command, info_name=name, parent=context, **command.context_settings)
    if command.get_help_option(context) is None:
        return False
    typer.echo(context.get_help(), color=context.color)
    return True


GLOBAL_FLAGS = ("--json",)
GLOBAL_VALUED = ("--stack", "-s", "--outputs", "--cwd")
OWN_FLAGS = ("plan",)
"""Commands that parse their own flags (``muon plan`` is ``python -m muon.plan``: its ``--json FILE``
is its own)."""


def plan_arguments(args: list[str]) -> list[str] | None:
    """``muon [global options] plan ...`` → the plan's own arguments (None: another command).

    The plan parses its own command line (it is ``python -m muon.plan``), so it skips typer: building
    typer's parameters costs a definition error more than reading the definition (bench/feedback.py).
    """
    index, json_output = 0, False
    while index < len(args) and args[index] in (*GLOBAL_FLAGS, *GLOBAL_VALUED):
        if args[index] == "--cwd" and index + 1 < len(args):
            folder = Path(args[index + 1])
            if not folder.is_dir():
                print(f"muon: --cwd: {folder} is not a folder", file=sys.stderr)
                sys.exit(EXIT_USAGE)
            os.chdir(folder)  # every command reads the project from the working directory
        json_output = json_output or args[index] == "--json"
        index += 2 if args[index] in GLOBAL_VALUED else 1
    if index >= len(args) or args[index] != "plan":
        return None
    rest = args[index + 1 :]
    if json_output and not {"--json", "--json-file"} & set(rest):
        rest += ["--json", "-"]  # `muon --json plan dev`: the plan's JSON on standard output
    return rest


def plan_main(args: list[str]) -> int:
    """The plan of the project found upward from the working directory, as every command's."""
    from muon.cli.errors import CliError
    from muon.cli.project import find_project
    from muon.plan.command import main

    project = None
    if not {"-h", "--help"} & set(args):
        try:
            project = find_project()
        except CliError as error:
            print(f"muon: {error}", file=sys.stderr)
            return error.exit_code
    return main(args, standalone=True, prog="muon plan", project_dir=project)


def hoist_global_options(args: list[str]) -> list[str]:
    """``muon env list --json`` means ``muon --json env list``: global flags go first (not those
    after a command that parses its own, ``muon plan dev --json plan.json``)."""
    index = 0
    while index < len(args) and args[index].startswith("-"):  # the global options before the command
        index += 2 if args[index] in GLOBAL_VALUED else 1
    if index < len(args) and args[index] in OWN_FLAGS:
        return args
    head, tail = (args[: index + 1], args[index + 1 :]) if index < len(args) else (args, [])
    flags = [a for a in tail if a in GLOBAL_FLAGS]
    return [*flags, *head, *(a for a in tail if a not in GLOBAL_FLAGS)]
