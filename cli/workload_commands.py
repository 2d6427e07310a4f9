"""One-off tasks and scheduled jobs: `muon service run|exec`, `muon job run|history`."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from muon.cli.app import (
    EnvOption,
    State,
    WaitOption,
    _table,
    console,
    job_app,
    run,
    service_app,
    stack_region,
)
from muon.cli.errors import CliError, RefusedError, UsageError
from muon.deploy import one_off

SESSION_MANAGER_PLUGIN = "session-manager-plugin"
PLUGIN_INSTALL = "https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html"


class ContainerExitError(CliError):
    """The one-off task's container exited non-zero: `muon service run` exits with the same code."""

    def __init__(self, code: int, task: str) -> None:
        super().__init__(f"the task {task} exited {code}")
        self.exit_code = code if 0 < code < 256 else 1


CommandArgument = Annotated[list[str], typer.Argument(help="The command and its arguments, after `--`.")]


@service_app.command("run")
def service_run(
    ctx: typer.Context,
    service: str,
    command: CommandArgument,
    env: EnvOption = None,
    detach: Annotated[
        bool, typer.Option("--detach", help="Print the task's ARN and return at once.")
    ] = False,
    timeout: Annotated[
        float | None, typer.Option("--timeout", min=1, help="Seconds before the task is stopped.")
    ] = None,
) -> None:
    """Run a command once as a task of the service (its image, network, roles and secrets), follow
    its logs, and exit with the container's exit code: `muon service run api -- python manage.py check`."""

    def action(state: State) -> dict[str, Any]:
        _, outputs = state.outputs.service(service, env)
        ecs = state.clients("ecs")
        started = one_off.start(
            ecs,
            cluster=outputs["clusterName"],
            service_name=outputs["serviceName"],
            command=command,
            started_by="muon-service-run",
        )
        if detach:
            return {"task": started.task_arn, "logGroup": started.log_group, "logStream": started.log_stream}
        write = (lambda line: print(line, file=sys.stderr, flush=True)) if state.json else _print_line
        code = one_off.wait(ecs, state.clients("logs"), started, write, timeout=timeout)
        if code != 0:
            raise ContainerExitError(code, started.task_arn)
        return {"task": started.task_arn, "exitCode": code}

    run(ctx, _guard(action), lambda data: print(data["task"]) if "exitCode" not in data else None)


def _print_line(line: str) -> None:
    print(line, flush=True)


def _guard(action: Any) -> Any:
    """A task that cannot start (or ends without an exit code) is one refused line."""

    def guarded(state: State) -> Any:
        try:
            return action(state)
        except one_off.TaskError as error:
            raise RefusedError(str(error)) from None

    return guarded


@service_app.command("exec")
def service_exec(
    ctx: typer.Context,
    service: str,
    command: Annotated[list[str] | None, typer.Argument(help="Command to run (default: /bin/sh).")] = None,
    env: EnvOption = None,
) -> None:
    """Open ECS Exec on a running task of the service (it needs `execCommand: true`)."""

    def action(state: State) -> None:
        # Checked first: without the plugin nothing else is worth asking AWS.
        plugin = shutil.which(SESSION_MANAGER_PLUGIN)
        if plugin is None:
            raise UsageError(
                f"ECS Exec needs AWS's Session Manager plugin ({SESSION_MANAGER_PLUGIN}) on this machine: "
                f"{PLUGIN_INSTALL}"
            )
        _, outputs = state.outputs.service(service, env)
        ecs = state.clients("ecs")
        cluster = outputs["clusterName"]
        described = one_off.describe_service(ecs, cluster, outputs["serviceName"])
        if not described.get("enableExecuteCommand"):
            raise RefusedError(
                f"ECS Exec is off for service {service}: set execCommand: true (and readonlyRootFilesystem: "
                "false) on it in the definition and deploy"
            )
        tasks = ecs.list_tasks(cluster=cluster, serviceName=outputs["serviceName"], desiredStatus="RUNNING")
        if not tasks.get("taskArns"):
            raise RefusedError(f"service {service} has no running task to open a shell in")
        task_arn = tasks["taskArns"][0]
        task = ecs.describe_tasks(cluster=cluster, tasks=[task_arn])["tasks"][0]
        runtime = next(
            (c.get("runtimeId") for c in task.get("containers", []) if c.get("name") == "app"), None
        )
        session = ecs.execute_command(
            cluster=cluster,
            task=task_arn,
            container="app",
            interactive=True,
            command=shlex.join(command) if command else "/bin/sh",
        )["session"]
        region = stack_region(state) or ""
        target = {"Target": f"ecs:{cluster}_{task_arn.rsplit('/', 1)[-1]}_{runtime}"}
        # What the AWS CLI does for `aws ecs execute-command`: hand the session to the plugin.
        completed = subprocess.run(
            [
                plugin,
                json.dumps(session),
                region,
                "StartSession",
                "",
                json.dumps(target),
                f"https://ssm.{region}.amazonaws.com",
            ],
            check=False,
        )
        if completed.returncode:
            raise typer.Exit(completed.returncode)

    run(ctx, _guard(action))


# -- job ------------------------------------------------------------------------------------------


@job_app.command("run")
def job_run(ctx: typer.Context, job: str, env: EnvOption = None, wait: WaitOption = False) -> None:
    """Run a scheduled job now (a run of its state machine, as the schedule would start it)."""

    def action(state: State) -> dict[str, Any]:
        _, outputs = state.outputs.job(job, env)
        sfn = state.clients("stepfunctions")
        name = f"manual-{datetime.now(UTC):%Y%m%dT%H%M%S}-{int(time.time() * 1000) % 1000:03d}"
        started = sfn.start_execution(stateMachineArn=outputs["stateMachineArn"], name=name)
        result: dict[str, Any] = {"job": job, "execution": started["executionArn"], "status": "RUNNING"}
        if wait:
            described = _wait_execution(sfn, started["executionArn"])
            result["status"] = described["status"]
            if described["status"] != "SUCCEEDED":
                why = described.get("cause") or described.get("error") or described["status"]
                raise RefusedError(f"job {job}: run {name} {described['status'].lower()}: {why}")
        return result

    run(
        ctx,
        action,
        lambda data: console.print(f"{data['job']}: {data['execution']} {data['status']}", markup=False),
    )


def _wait_execution(sfn: Any, arn: str) -> dict[str, Any]:
    while True:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(one_off.POLL_SECONDS)


@job_app.command("history")
def job_history(
    ctx: typer.Context,
    job: str,
    env: EnvOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="Runs to show, newest first.")] = 10,
) -> None:
    """Recent runs of a job: when, how they ended, the container's exit code."""

    def action(state: State) -> list[dict[str, Any]]:
        _, outputs = state.outputs.job(job, env)
        sfn = state.clients("stepfunctions")
        executions = sfn.list_executions(stateMachineArn=outputs["stateMachineArn"], maxResults=limit)
        return [_run_row(sfn, execution) for execution in executions.get("executions", [])]

    run(
        ctx,
        action,
        lambda rows: _table(f"Runs of job {job}", rows, ["run", "status", "started", "stopped", "exitCode"]),
    )


def _run_row(sfn: Any, execution: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "run": execution["name"],
        "status": execution["status"],
        "started": str(execution.get("startDate", "")),
        "stopped": str(execution.get("stopDate", "")),
        "exitCode": None,
    }
    if execution["status"] == "SUCCEEDED":
        output = sfn.describe_execution(executionArn=execution["executionArn"]).get("output") or "{}"
        try:
            containers = json.loads(output).get("Containers") or []
        except (json.JSONDecodeError, AttributeError):
            containers = []
        row["exitCode"] = containers[0].get("ExitCode") if containers else None
    return row
