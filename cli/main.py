"""``muon``: day-2 commands for what muon deployed, without an operator.

Names come from the stack's outputs (through the Automation API, or ``--outputs FILE``): the
commands work for any definition, never on hard-coded resource names.
"""

from __future__ import annotations

import dataclasses
import getpass
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from muon.cli import operations as ops
from muon.cli.context import StackOutputs
from muon.cli.errors import EXIT_INTERRUPTED, EXIT_USAGE, CliError, UsageError, translate

app = typer.Typer(
    help="Day-2 commands for muon stacks: environments, services, databases and the pipeline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
env_app = typer.Typer(help="Environments: VPC, cluster, load balancer.", no_args_is_help=True)
service_app = typer.Typer(help="Services: state, logs, restart, scale.", no_args_is_help=True)
db_app = typer.Typer(help="Databases: state, snapshots, the master password.", no_args_is_help=True)
password_app = typer.Typer(help="The master password in Parameter Store.", no_args_is_help=True)
pipeline_app = typer.Typer(help="The delivery pipeline: logs, approvals.", no_args_is_help=True)
app.add_typer(env_app, name="env")
app.add_typer(service_app, name="service")
app.add_typer(db_app, name="db")
db_app.add_typer(password_app, name="password")
app.add_typer(pipeline_app, name="pipeline")

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

    @property
    def outputs(self) -> StackOutputs:
        if self._outputs is None:
            self._outputs = translate(lambda: StackOutputs.load(self.stack, self.outputs_file))
        return self._outputs


def _boto3_clients(state: Callable[[], State]) -> ops.Clients:
    """Clients in the stack's region (never the shell's default), made when first needed."""
    import boto3

    cache: dict[str, Any] = {}

    def client(service: str) -> Any:
        if service not in cache:
            region = translate(lambda: stack_region(state()))
            cache[service] = boto3.session.Session(region_name=region).client(service)
        return cache[service]

    return client


def stack_region(state: State) -> str | None:
    """The stack's region: its stack file's ``aws:region``, else the region in its outputs' ARNs.

    A shell whose region says otherwise is an error naming both: a command must never act on
    another region's resources of the same name.
    """
    import boto3

    from muon.stacks.settings import read_stack_file

    stack_file = Path(f"Pulumi.{state.stack}.yaml")
    region, where = None, ""
    if state.outputs_file is None and stack_file.is_file():
        region, where = read_stack_file(Path.cwd(), state.stack).get("aws:region"), f"{stack_file} aws:region"
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


console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False, soft_wrap=True)


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


def _table(title: str, rows: list[dict[str, Any]], columns: list[str]) -> None:
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


# -- plan -----------------------------------------------------------------------------------------


@app.command()
def plan(
    stack: Annotated[str, typer.Argument(help="Stack to plan offline (reads Pulumi.<stack>.yaml).")],
    json_file: Annotated[
        Path | None, typer.Option("--json-file", help="Also write the graph as JSON.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Counts only, no tree.")] = False,
) -> None:
    """The offline plan: what `pulumi up` would create, with compliance findings (no AWS, no Pulumi CLI)."""
    from muon.stacks.plan import main as plan_main

    argv = [stack, *(["--json", str(json_file)] if json_file else []), *(["--quiet"] if quiet else [])]
    raise typer.Exit(plan_main(argv, standalone=True))


# -- init -----------------------------------------------------------------------------------------


@app.command()
def init(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option("--name", help="The service's name (2-22 a-z, 0-9, -).")] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", help="Container port (default: the Dockerfile's EXPOSE, else 8080)."),
    ] = None,
    path: Annotated[
        str | None, typer.Option("--path", help="Path the load balancer routes (default /<name>).")
    ] = None,
    database: Annotated[
        bool, typer.Option("--database/--no-database", help="An Aurora database for it.")
    ] = False,
    pipeline: Annotated[
        str | None,
        typer.Option("--pipeline", help="github:OWNER/REPO or codecommit:REPO: a delivery stack too."),
    ] = None,
    region: Annotated[str, typer.Option("--region", help="AWS region of the stacks.")] = "us-east-1",
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that exist.")] = False,
) -> None:
    """Write a team repository: Pulumi.yaml, __main__.py, muon.yaml and the stack files."""
    from muon.cli.init import DEFAULT_PORT, InitOptions, exposed_port, write

    def action(_state: State) -> dict[str, Any]:
        directory = Path.cwd()
        interactive = sys.stdin.isatty()
        chosen_name = name or (typer.prompt("Service name") if interactive else None)
        if not chosen_name:
            raise UsageError("--name is required (or run muon init in a terminal to be asked)")
        detected = exposed_port(directory)
        chosen_port = (
            port
            if port is not None
            else typer.prompt("Container port", default=detected or DEFAULT_PORT, type=int)
            if interactive
            else detected or DEFAULT_PORT
        )
        chosen_path = path or (
            typer.prompt("Path to route", default=f"/{chosen_name}") if interactive else f"/{chosen_name}"
        )
        options = InitOptions(chosen_name, chosen_port, chosen_path, database, pipeline, region)
        return {"directory": str(directory), "written": write(options, directory, force=force)}

    def human(data: dict[str, Any]) -> None:
        for written in data["written"]:
            console.print(f"wrote {written}", markup=False)
        console.print("next: muon plan dev   (the offline plan of the dev stack)", markup=False)

    run(ctx, action, human)


# -- stack operations (the Automation API library) -------------------------------------------------


def _images(values: list[str]) -> dict[str, str]:
    images = {}
    for value in values:
        service, sep, reference = value.partition("=")
        if not sep or not service or not reference:
            raise UsageError(f"--image: expected SERVICE=REPOSITORY@sha256:DIGEST, got '{value}'")
        images[service] = reference
    return images


def _operate(ctx: typer.Context, operation: str, stack: str, images: list[str]) -> None:
    def action(_state: State) -> dict[str, Any]:
        from muon.stacks.automation import Muon

        config = {"images": _images(images)} if images else None
        method = getattr(Muon(), operation)
        printer = (lambda line: errors.print(line, markup=False)) if ctx.obj.json else print
        result = method(stack, config=config, on_output=printer)
        return dataclasses.asdict(result)

    def human(data: dict[str, Any]) -> None:
        changes = (
            ", ".join(f"{count} {kind}" for kind, count in sorted(data["changes"].items())) or "no changes"
        )
        console.print(
            f"{data['operation']} {data['stack']}: {data['summary']} ({changes}) in {data['seconds']:.0f} s",
            markup=False,
        )

    run(ctx, action, human)


ImageOption = Annotated[
    list[str],
    typer.Option("--image", help="SERVICE=REPOSITORY@sha256:DIGEST, set in muon:images first (repeatable)."),
]


@app.command()
def preview(ctx: typer.Context, stack: str, image: ImageOption = []) -> None:  # noqa: B006 - typer's list default
    """What `pulumi up` would change on STACK (needs the Pulumi CLI and AWS credentials)."""
    _operate(ctx, "preview", stack, image)


@app.command()
def up(ctx: typer.Context, stack: str, image: ImageOption = []) -> None:  # noqa: B006
    """Deploy STACK, streaming Pulumi's output; with --image, deploy those images."""
    _operate(ctx, "up", stack, image)


@app.command()
def refresh(ctx: typer.Context, stack: str) -> None:
    """Read the real state of STACK's resources into Pulumi's state."""
    _operate(ctx, "refresh", stack, [])


@app.command()
def destroy(
    ctx: typer.Context,
    stack: str,
    yes: Annotated[bool, typer.Option("--yes", help="Really delete every resource of the stack.")] = False,
) -> None:
    """Delete every resource of STACK (protected databases and accounts stop it; see the README)."""
    if not yes:
        errors.print(
            f"muon: destroying stack '{stack}' deletes its resources; add --yes to do it", markup=False
        )
        raise typer.Exit(1)
    _operate(ctx, "destroy", stack, [])


# -- env ------------------------------------------------------------------------------------------


@env_app.command("list")
def env_list(ctx: typer.Context) -> None:
    """Environments of the stack, with their VPC, cluster and load balancer URL."""

    def action(state: State) -> list[dict[str, Any]]:
        return [
            {
                "environment": name,
                "vpcId": e.get("vpcId"),
                "cluster": e.get("clusterName"),
                "url": e.get("loadBalancerUrl"),
            }
            for name, e in sorted(state.outputs.environments().items())
        ]

    run(
        ctx,
        action,
        lambda rows: _table(
            f"Environments of stack {ctx.obj.stack}", rows, ["environment", "vpcId", "cluster", "url"]
        ),
    )


@env_app.command("show")
def env_show(
    ctx: typer.Context, environment: Annotated[str, typer.Argument(help="Environment name.")]
) -> None:
    """One environment: cluster state, running tasks, container instances."""

    def action(state: State) -> dict[str, Any]:
        return ops.environment_details(state.clients, environment, state.outputs.environment(environment))

    keys = [
        "vpcId",
        "loadBalancerUrl",
        "cluster",
        "clusterStatus",
        "services",
        "runningTasks",
        "pendingTasks",
        "containerInstances",
    ]
    run(ctx, action, lambda data: _pairs(f"Environment {environment}", data, keys))


# -- service --------------------------------------------------------------------------------------


def _show_service(data: dict[str, Any]) -> None:
    _pairs(
        f"Service {data['service']} in {data['environment']}", data, ["url", "desired", "running", "pending"]
    )
    if data.get("scaling"):
        console.print(f"  scaling: {data['scaling']['min']}-{data['scaling']['max']} tasks", markup=False)
    _table(
        "Deployments",
        data["deployments"],
        ["status", "rolloutState", "taskDefinition", "running", "pending", "failedTasks"],
    )
    if data["targets"]:
        _table("Targets", data["targets"], ["target", "port", "state", "reason"])
    if data["scalingActivity"]:
        _table("Recent scaling", data["scalingActivity"], ["time", "status", "description"])
    if data.get("pipeline"):
        _table("Pipeline", data["pipeline"], ["stage", "status"])
    _unavailable(data)


@service_app.command("show")
def service_show(ctx: typer.Context, service: str, env: EnvOption = None) -> None:
    """Task counts, deployments and rollout state, target health, scaling bounds and activity, pipeline."""

    def action(state: State) -> dict[str, Any]:
        environment, outputs = state.outputs.service(service, env)
        pipeline = state.outputs.values.get("pipeline")
        return ops.service_details(state.clients, service, environment, outputs, pipeline)

    run(ctx, action, _show_service)


def _print_events(state: State, events: Any) -> None:
    for event in events:
        if state.json:
            print(json.dumps({k: event[k] for k in ("timestamp", "source", "message")}), flush=True)
        else:
            print(ops.format_event(event), flush=True)


@service_app.command("logs")
def service_logs(
    ctx: typer.Context,
    service: str,
    env: EnvOption = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events (Ctrl-C stops).")
    ] = False,
    since: Annotated[str, typer.Option("--since", help="How far back: 30s, 10m, 2h, 1d.")] = "10m",
) -> None:
    """The service's container logs (CloudWatch Logs)."""

    def action(state: State) -> None:
        _, outputs = state.outputs.service(service, env)
        start = ops.since_millis(since)
        _print_events(
            state, ops.tail(state.clients, {service: outputs["logGroupName"]}, start, follow=follow)
        )

    run(ctx, action)


@service_app.command("restart")
def service_restart(
    ctx: typer.Context, service: str, env: EnvOption = None, wait: WaitOption = False
) -> None:
    """Replace every task (force a new deployment of the same revision)."""

    def action(state: State) -> dict[str, Any]:
        _, outputs = state.outputs.service(service, env)
        result = ops.restart_service(state.clients, outputs)
        if wait:
            with errors.status(f"waiting for {outputs['serviceName']} to be stable…"):
                ops.wait_stable(state.clients, outputs)
            result["stable"] = True
        return result

    run(
        ctx,
        action,
        lambda data: console.print(
            f"restarting {data['service']} (deployment {data['deployment']})"
            + (": stable" if data.get("stable") else ""),
            markup=False,
        ),
    )


@service_app.command("scale")
def service_scale(
    ctx: typer.Context,
    service: str,
    count: Annotated[int, typer.Argument(min=0, help="Tasks to run now.")],
    env: EnvOption = None,
    wait: WaitOption = False,
) -> None:
    """Set the running task count, within the service's scaling bounds."""

    def action(state: State) -> dict[str, Any]:
        _, outputs = state.outputs.service(service, env)
        result = ops.scale_service(state.clients, outputs, count)
        if wait:
            with errors.status(f"waiting for {count} tasks…"):
                ops.wait_stable(state.clients, outputs)
        return result

    run(
        ctx,
        action,
        lambda data: console.print(f"{data['service']}: desired count {data['desired']}", markup=False),
    )


# -- db -------------------------------------------------------------------------------------------


@db_app.command("show")
def db_show(ctx: typer.Context, service: str, env: EnvOption = None) -> None:
    """The service's Aurora cluster: status, engine, endpoints, instances, backups, snapshots."""

    def action(state: State) -> dict[str, Any]:
        environment, outputs = state.outputs.database(service, env)
        return ops.database_details(state.clients, service, environment, outputs)

    def human(data: dict[str, Any]) -> None:
        _pairs(
            f"Database of {service} in {data['environment']}",
            data,
            [
                "cluster",
                "status",
                "engine",
                "endpoint",
                "readerEndpoint",
                "port",
                "backupRetentionDays",
                "deletionProtection",
            ],
        )
        _table("Instances", data["instances"], ["id", "writer"])
        console.print(f"  manual snapshots: {', '.join(data['manualSnapshots']) or '(none)'}", markup=False)
        _unavailable(data)

    run(ctx, action, human)


@db_app.command("snapshot")
def db_snapshot(ctx: typer.Context, service: str, env: EnvOption = None, wait: WaitOption = False) -> None:
    """Take a manual cluster snapshot, named with the time (kept until you delete it)."""

    def action(state: State) -> dict[str, Any]:
        _, outputs = state.outputs.database(service, env)
        result = ops.snapshot_database(state.clients, outputs)
        if wait:
            with errors.status(f"waiting for {result['snapshot']}…"):
                ops.wait_snapshot(state.clients, result["cluster"], result["snapshot"])
            result["status"] = "available"
        return result

    run(
        ctx,
        action,
        lambda data: console.print(f"snapshot {data['snapshot']}: {data['status']}", markup=False),
    )


@password_app.command("get")
def password_get(ctx: typer.Context, service: str, env: EnvOption = None) -> None:
    """Print the master password (decrypted from Parameter Store)."""

    def action(state: State) -> dict[str, Any]:
        _, outputs = state.outputs.database(service, env)
        return {"password": ops.get_password(state.clients, outputs)}

    run(ctx, action, lambda data: print(data["password"]))


@password_app.command("set")
def password_set(
    ctx: typer.Context,
    service: str,
    env: EnvOption = None,
    value: Annotated[
        str | None, typer.Option("--value", help="The new password; '-' reads stdin; asked when omitted.")
    ] = None,
) -> None:
    """Set a customer-owned master password; says how the cluster and the service pick it up."""

    def action(state: State) -> dict[str, Any]:
        _, outputs = state.outputs.database(service, env)
        secret = value
        if secret == "-":
            secret = sys.stdin.readline().rstrip("\n")
        elif secret is None:
            secret = getpass.getpass("new master password: ")
            if getpass.getpass("again: ") != secret:
                raise UsageError("the two passwords differ")
        return ops.set_password(state.clients, outputs, secret, state.stack, service)

    run(
        ctx,
        action,
        lambda data: console.print(
            f"{data['parameter']} is at version {data['version']}: {data['next']}", markup=False
        ),
    )


# -- pipeline -------------------------------------------------------------------------------------


@pipeline_app.command("logs")
def pipeline_logs(
    ctx: typer.Context,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events (Ctrl-C stops).")
    ] = False,
    since: Annotated[str, typer.Option("--since", help="How far back: 30s, 10m, 2h, 1d.")] = "1h",
) -> None:
    """The pipeline's CodeBuild logs, every project interleaved by time."""

    def action(state: State) -> None:
        groups = state.outputs.pipeline()["logGroups"]
        _print_events(
            state,
            ops.tail(state.clients, dict(sorted(groups.items())), ops.since_millis(since), follow=follow),
        )

    run(ctx, action)


def _answer(ctx: typer.Context, approve: bool, comment: str) -> None:
    def action(state: State) -> dict[str, Any]:
        return ops.answer_approval(state.clients, state.outputs.pipeline()["name"], approve, comment)

    run(
        ctx,
        action,
        lambda data: console.print(
            f"{data['result']}: {data['pipeline']} {data['stage']}/{data['action']}", markup=False
        ),
    )


@pipeline_app.command("approve")
def pipeline_approve(
    ctx: typer.Context, comment: Annotated[str, typer.Option("--comment", "-m")] = ""
) -> None:
    """Approve the deploy waiting for approval."""
    _answer(ctx, True, comment)


@pipeline_app.command("reject")
def pipeline_reject(
    ctx: typer.Context, comment: Annotated[str, typer.Option("--comment", "-m")] = ""
) -> None:
    """Reject the deploy waiting for approval (the run stops)."""
    _answer(ctx, False, comment)


def entry(argv: list[str] | None = None) -> None:
    """The ``muon`` command: every usage error is one line (click would print a usage block)."""
    usage_error = typer.BadParameter.__bases__[0]  # click's UsageError, as typer ships it
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
