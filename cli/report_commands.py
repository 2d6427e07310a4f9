"""`muon report`: per environment and service, what runs, what alarms, backups, patches, findings, cost."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer

from muon.cli import report as build
from muon.cli.app import State, _table, _unavailable, app, console, run
from muon.cli.project import nearest_project


@app.command("report")
def report(
    ctx: typer.Context,
    stack: Annotated[
        str | None, typer.Argument(help="The stack to report on (default: --stack, or dev).")
    ] = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="A Markdown document instead of tables.")
    ] = False,
    with_plan: Annotated[
        bool, typer.Option("--plan/--no-plan", help="Add the offline plan's findings and cost estimate.")
    ] = True,
) -> None:
    """Running images and when they deployed, alarms in ALARM, last backup and restore test, host
    patches, and (from the offline plan) compliance findings and the monthly cost estimate."""
    if stack is not None:
        ctx.obj.stack = stack

    def action(state: State) -> dict[str, Any]:
        services = state.outputs.values.get("services") or {}
        document: dict[str, Any] = {
            "stack": state.stack,
            "generated": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "environments": {
                name: build.environment_report(state.clients, name, outputs, services.get(name) or {})
                for name, outputs in sorted(state.outputs.environments().items())
            },
        }
        if with_plan:
            document["plan"] = build.plan_report(state.stack, nearest_project())
        return document

    def human(data: dict[str, Any]) -> None:
        if markdown:
            print(build.markdown(data))
            return
        for name, env in data["environments"].items():
            rows = [{"service": s, **(d or {})} for s, d in env["services"].items()]
            _table(
                f"{name} ({env.get('tier')})", rows, ["service", "image", "deployedAt", "running", "desired"]
            )
            alarms = env.get("alarmsInAlarm") or []
            console.print(
                f"  alarms in ALARM: {', '.join(a['alarm'] for a in alarms) or 'none'}", markup=False
            )
            for key in ("lastBackup", "lastRestoreTest", "patches"):
                if key in env:
                    console.print(f"  {key}: {env[key] or 'none yet'}", markup=False)
            _unavailable(env)
        plan = data.get("plan") or {}
        if "findings" in plan:
            console.print(
                f"compliance: {len(plan['findings'])} open finding(s), {plan['exceptions']} exception(s)",
                markup=False,
            )
            for finding in plan["findings"]:
                console.print(f"  {finding}", markup=False)
            cost = plan.get("cost") or {}
            if "usdPerMonth" in cost:
                console.print(f"estimated monthly cost: ${cost['usdPerMonth']:.2f}", markup=False)
        elif plan.get("unavailable"):
            console.print(f"(plan unavailable: {plan['unavailable']})", markup=False)

    run(ctx, action, human)
