"""Day-2 commands on what a stack deployed: environments, services, databases, the pipeline."""

from __future__ import annotations

import getpass
import json
import sys
from typing import Annotated, Any

import typer

from muon.cli import operations as ops
from muon.cli.app import (
    EnvOption,
    State,
    WaitOption,
    _pairs,
    _table,
    _unavailable,
    console,
    db_app,
    env_app,
    errors,
    password_app,
    pipeline_app,
    run,
    service_app,
)
from muon.cli.errors import UsageError

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
    """The service's database (Aurora cluster or RDS instance): status, engine, endpoints, snapshots."""

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
    """Take a manual snapshot (cluster or instance), named with the time (kept until you delete it)."""

    def action(state: State) -> dict[str, Any]:
        _, outputs = state.outputs.database(service, env)
        result = ops.snapshot_database(state.clients, outputs)
        if wait:
            with errors.status(f"waiting for {result['snapshot']}…"):
                ops.wait_snapshot(
                    state.clients,
                    result["cluster"],
                    result["snapshot"],
                    instance=result["kind"] == "instance",
                )
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
