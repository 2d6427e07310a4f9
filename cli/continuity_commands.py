"""`muon db backups` and `muon db restore`: a database's recovery points, and a restore beside it."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from muon.cli import continuity_ops as ops
from muon.cli.app import EnvOption, State, WaitOption, _table, _unavailable, console, db_app, errors, run


@db_app.command("backups")
def db_backups(ctx: typer.Context, service: str, env: EnvOption = None) -> None:
    """Recovery points (AWS Backup), snapshots and the point-in-time window of the service's database."""

    def action(state: State) -> dict[str, Any]:
        environment, outputs = state.outputs.database(service, env)
        return {"service": service, "environment": environment, **ops.list_backups(state.clients, outputs)}

    def human(data: dict[str, Any]) -> None:
        console.print(
            f"{data['cluster']}: point-in-time restore from {data['earliestRestorableTime']} "
            f"to {data['latestRestorableTime']}",
            markup=False,
        )
        _table(
            "Recovery points (AWS Backup)",
            data["recoveryPoints"],
            ["created", "kind", "status", "recoveryPoint"],
        )
        _table("Snapshots (RDS)", data["snapshots"], ["created", "type", "status", "snapshot"])
        _unavailable(data)

    run(ctx, action, human)


@db_app.command("restore")
def db_restore(
    ctx: typer.Context,
    service: str,
    env: EnvOption = None,
    to_time: Annotated[
        str | None, typer.Option("--to-time", help="Point in time, ISO 8601 (2026-11-27T09:30:00Z).")
    ] = None,
    recovery_point: Annotated[
        str | None, typer.Option("--recovery-point", help="A recovery point ARN (from `muon db backups`).")
    ] = None,
    wait: WaitOption = False,
) -> None:
    """Restore into a NEW cluster beside the running one, then print how to switch over."""

    def action(state: State) -> dict[str, Any]:
        environment, outputs = state.outputs.database(service, env)
        started = ops.restore(
            state.clients,
            outputs,
            state.outputs.environment(environment),
            to_time=to_time,
            recovery_point=recovery_point,
        )
        if wait:
            with errors.status(f"restoring {started['cluster']}…"):
                ops.wait_restore(state.clients, started)
                started["writer"] = ops.add_writer(state.clients, started)
        started["switchOver"] = ops.switch_over_steps(started, state.stack)
        return started

    def human(data: dict[str, Any]) -> None:
        console.print(f"restoring {data['source']} from {data['from']} into {data['cluster']}", markup=False)
        if not data.get("writer"):
            console.print(
                "  then (or run with --wait): add a writer instance, as the restored cluster has none",
                markup=False,
            )
        console.print("To switch over:", markup=False)
        for number, step in enumerate(data["switchOver"], 1):
            console.print(f"  {number}. {step}", markup=False)

    run(ctx, action, human)
