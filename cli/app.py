"""The `muon` command's application: its groups, global options, state and output helpers.

Names come from the stack's outputs (through the Automation API, or ``--outputs FILE``): the
commands work for any definition, never on hard-coded resource names.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from muon.cli import operations as ops
from muon.cli.context import StackOutputs
from muon.cli.errors import EXIT_INTERRUPTED, EXIT_USAGE, CliError, UsageError, translate

if TYPE_CHECKING:
    from rich.console import Console

PLAIN_HELP: Any = None
"""Help as click writes it: rendering it with rich loads ~0.3 s of modules before the first line
(bench/feedback.py)."""

app = typer.Typer(
    rich_markup_mode=PLAIN_HELP,
    help="muon: a team's project (init, plan, Pulumi operations) and its day-2 commands: environments, "
    "services, databases and the pipeline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
env_app = typer.Typer(
    rich_markup_mode=PLAIN_HELP, help="Environments: VPC, cluster, load balancer.", no_args_is_help=True
)
service_app = typer.Typer(
    rich_markup_mode=PLAIN_HELP,
    help="Services: state, logs, restart, scale, one-off tasks, ECS Exec.",
    no_args_is_help=True,
)
db_app = typer.Typer(
    rich_markup_mode=PLAIN_HELP,
    help="Databases: state, snapshots, backups and restores, the master password.",
    no_args_is_help=True,
)
password_app = typer.Typer(
    rich_markup_mode=PLAIN_HELP, help="The master password in Parameter Store.", no_args_is_help=True
)
pipeline_app = typer.Typer(
    rich_markup_mode=PLAIN_HELP, help="The delivery pipeline: logs, approvals.", no_args_is_help=True
)
job_app = typer.Typer(
    rich_markup_mode=PLAIN_HELP, help="Scheduled jobs: run now, recent runs.", no_args_is_help=True
)
app.add_typer(env_app, name="env")
app.add_typer(service_app, name="service")
app.add_typer(db_app, name="db")
db_app.add_typer(password_app, name="password")
app.add_typer(pipeline_app, name="pipeline")
app.add_typer(job_app, name="job")

EnvOption = Annotated[
    str | None, typer.Option("--env", "-e", help="Environment (needed when the stack has several).")
]
WaitOption = Annotated[bool, typer.Option("--wait", help="Follow the operation until it is done.")]


@dataclass
class State:
    stack: str
    outputs_file: Path | None
    json: bool
    clients: ops.Clients
    _outputs: StackOutputs | None = None
    _project: Path | None = None

    @property
    def outputs(self) -> StackOutputs:
        if self._outputs is None:
            self._outputs = translate(
                lambda: StackOutputs.load(self.stack, self.outputs_file, lambda: self.project_dir)
            )
        return self._outputs

    @property
    def project_dir(self) -> Path:
        """The project, found upward from the working directory as Pulumi finds its own (a
        UsageError saying where muon looked when there is none)."""
        if self._project is None:
            from muon.cli.project import find_project

            self._project = find_project()
        return self._project


def _boto3_clients(state: Callable[[], State]) -> ops.Clients:
    """Clients in the stack's region (never the shell's default), made when first needed (boto3
    too: `muon --help`, `muon init` and the offline plan never load it)."""
    cache: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in cache:
            import boto3

            region = translate(lambda: stack_region(state()))
            # A service named at run time: the stubs type client() per literal name only.
            cache[service] = boto3.session.Session(region_name=region).client(service)  # type: ignore[call-overload]
        return cache[service]

    return client


def stack_region(state: State) -> str | None:
    """The stack's region: its stack file's ``aws:region``, else the region in its outputs' ARNs.

    A shell whose region says otherwise is an error naming both: a command must never act on
    another region's resources of the same name.
    """
    import boto3

    from muon.cli.project import nearest_project
    from muon.stacks.definition.stack_config import read_stack_file

    project = nearest_project()
    stack_file = Path(f"Pulumi.{state.stack}.yaml")
    region, where = None, ""
    if state.outputs_file is None and (project / stack_file).is_file():
        region, where = read_stack_file(project, state.stack).get("aws:region"), f"{stack_file} aws:region"
    if not region:
        region = state.outputs.region()
        where = f"the ARNs in the outputs of stack '{state.stack}'"
    shell = boto3.session.Session().region_name
    if region and shell and shell != region:
        raise UsageError(
            f"the stack's region is {region} ({where}) but this shell's AWS region is {shell} "
            "(AWS_DEFAULT_REGION or the profile); unset it or make them agree"
        )
    return region or shell


@app.callback()
def main(
    ctx: typer.Context,
    stack: Annotated[
        str, typer.Option("--stack", "-s", envvar="MUON_STACK", help="Stack whose outputs name things.")
    ] = "dev",
    outputs: Annotated[
        Path | None,
        typer.Option("--outputs", help="JSON of `pulumi stack output --json`, instead of asking Pulumi."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    cwd: Annotated[
        Path | None, typer.Option("--cwd", help="The project folder (Pulumi.yaml, muon.yaml); default: here.")
    ] = None,
) -> None:
    if cwd is not None:
        if not cwd.is_dir():
            errors.print(f"muon: --cwd: {cwd} is not a folder", markup=False)
            raise typer.Exit(EXIT_USAGE)
        os.chdir(cwd)  # every command reads the project from the working directory
    state = State(stack=stack, outputs_file=outputs, json=json_output, clients=_boto3_clients(lambda: state))
    ctx.obj = state


class _LazyConsole:
    """A rich Console made at its first use: `muon --help`, `muon init` and a definition error
    answer without loading rich's rendering."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


console = cast("Console", _LazyConsole(highlight=False, soft_wrap=True))
errors = cast("Console", _LazyConsole(stderr=True, highlight=False, soft_wrap=True))


def run(
    ctx: typer.Context, action: Callable[[State], Any], human: Callable[[Any], None] | None = None
) -> None:
    """Run a command: data out as JSON or through ``human``; every failure one line and an exit code."""
    state: State = ctx.obj
    try:
        result = translate(lambda: action(state))
    except CliError as error:
        errors.print(f"muon: {error}", markup=False)
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt:
        errors.print("muon: interrupted", markup=False)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    if result is None:
        return
    if state.json:
        console.print_json(json.dumps(result, default=str))
    elif human is not None:
        human(result)


def project_of(ctx: typer.Context) -> Path:
    """The command's project folder, or its one-line error and exit code."""
    try:
        return ctx.obj.project_dir
    except CliError as error:
        errors.print(f"muon: {error}", markup=False)
        raise typer.Exit(error.exit_code) from None


def _table(title: str, rows: list[dict[str, Any]], columns: list[str]) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row.get(c, "")) for c in columns))
    console.print(table)


def _pairs(title: str, data: dict[str, Any], keys: list[str]) -> None:
    console.print(f"[bold]{title}[/bold]")
    for key in keys:
        console.print(f"  {key}: {data.get(key)}", markup=False)


def _unavailable(data: dict[str, Any]) -> None:
    for part, why in (data.get("unavailable") or {}).items():
        console.print(f"  ({part} unavailable: {why})", markup=False)
