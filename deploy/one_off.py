"""One-off tasks of a service: its task definition with another command, in its network, with its
roles and secrets; their logs followed until the container exits, and its exit code returned.

Used by ``muon service run`` and by migrations (the pipeline's deploy step, ``muon up --migrate``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

CONTAINER = "app"
"""The one container of every muon task definition (components/service_task.py)."""

POLL_SECONDS = 3.0
"""How often a waiting command asks ECS and CloudWatch Logs for news."""

LOG_PREFIX = "app"
"""The awslogs stream prefix: a task's stream is ``app/app/<task id>``."""


class TaskError(Exception):
    """The one-off task could not start, or stopped without an exit code."""


@dataclass(frozen=True)
class Started:
    task_arn: str
    cluster: str
    log_group: str | None

    @property
    def task_id(self) -> str:
        return self.task_arn.rsplit("/", 1)[-1]

    @property
    def log_stream(self) -> str:
        return f"{LOG_PREFIX}/{CONTAINER}/{self.task_id}"


def run_task_request(
    service: dict[str, Any], command: list[str], *, task_definition: str | None, started_by: str
) -> dict[str, Any]:
    """RunTask for ``service`` (a DescribeServices entry) with ``command``: its network, its
    capacity (strategy or launch type), its task definition unless another revision is given."""
    request: dict[str, Any] = {
        "cluster": service["clusterArn"],
        "taskDefinition": task_definition or service["taskDefinition"],
        "count": 1,
        "overrides": {"containerOverrides": [{"name": CONTAINER, "command": list(command)}]},
        "startedBy": started_by[:128],
        "enableECSManagedTags": True,
        "propagateTags": "TASK_DEFINITION",
    }
    if service.get("networkConfiguration"):
        request["networkConfiguration"] = service["networkConfiguration"]
    if service.get("capacityProviderStrategy"):
        request["capacityProviderStrategy"] = service["capacityProviderStrategy"]
    elif service.get("launchType"):
        request["launchType"] = service["launchType"]
    if service.get("platformVersion") and (
        service.get("launchType") == "FARGATE"
        or any(
            s.get("capacityProvider", "").startswith("FARGATE")
            for s in service.get("capacityProviderStrategy", [])
        )
    ):
        request["platformVersion"] = service["platformVersion"]
    return request


def describe_service(ecs: Any, cluster: str, service_name: str) -> dict[str, Any]:
    found = ecs.describe_services(cluster=cluster, services=[service_name]).get("services") or []
    if not found or found[0].get("status") == "INACTIVE":
        raise TaskError(
            f"service {service_name} does not exist in cluster {cluster} yet: deploy the environment once "
            "(its first `pulumi up` creates the service) before running tasks of it"
        )
    return found[0]


def start(
    ecs: Any,
    *,
    cluster: str,
    service_name: str,
    command: list[str],
    task_definition: str | None = None,
    started_by: str = "muon-run",
) -> Started:
    """Start one task of the service with ``command``; its log group is read from the revision."""
    service = describe_service(ecs, cluster, service_name)
    request = run_task_request(service, command, task_definition=task_definition, started_by=started_by)
    response = ecs.run_task(**request)
    if response.get("failures") or not response.get("tasks"):
        reasons = "; ".join(
            f"{f.get('arn', '')} {f.get('reason', '')}".strip() for f in response.get("failures", [])
        )
        raise TaskError(f"ECS did not start the task: {reasons or 'no task returned'}")
    revision = ecs.describe_task_definition(taskDefinition=request["taskDefinition"])["taskDefinition"]
    app: dict[str, Any] = next(
        (c for c in revision.get("containerDefinitions", []) if c.get("name") == CONTAINER), {}
    )
    log_group = ((app.get("logConfiguration") or {}).get("options") or {}).get("awslogs-group")
    return Started(
        task_arn=response["tasks"][0]["taskArn"], cluster=service["clusterArn"], log_group=log_group
    )


def wait(
    ecs: Any,
    logs: Any,
    started: Started,
    on_line: Callable[[str], None],
    *,
    timeout: float | None = None,
    poll: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Follow the task's log stream until it stops; its container's exit code. Past ``timeout``
    seconds the task is stopped (and the wait goes on until ECS reports it stopped)."""
    deadline = None if timeout is None else clock() + timeout
    lines = _log_lines(logs, started)
    stop_requested = False
    while True:
        task = ecs.describe_tasks(cluster=started.cluster, tasks=[started.task_arn])["tasks"][0]
        for line in lines():
            on_line(line)
        if task.get("lastStatus") == "STOPPED":
            for line in lines():  # what arrived between the last read and the stop
                on_line(line)
            return exit_code(task, timed_out=stop_requested)
        if deadline is not None and clock() >= deadline and not stop_requested:
            ecs.stop_task(cluster=started.cluster, task=started.task_arn, reason="muon: timeout")
            stop_requested = True
        sleep(POLL_SECONDS if poll is None else poll)


def exit_code(task: dict[str, Any], *, timed_out: bool = False) -> int:
    container = next((c for c in task.get("containers", []) if c.get("name") == CONTAINER), None)
    if container is None and task.get("containers"):
        container = task["containers"][0]
    code = (container or {}).get("exitCode")
    if timed_out:
        raise TaskError(f"stopped at the timeout (exit code {code})")
    if code is None:
        reason = task.get("stoppedReason") or (container or {}).get("reason") or "no reason given"
        raise TaskError(f"the task stopped without an exit code: {reason}")
    return int(code)


def _log_lines(logs: Any, started: Started) -> Callable[[], Iterator[str]]:
    """Each call yields the lines written since the previous call (none until the stream exists)."""
    token: dict[str, str] = {}

    def read() -> Iterator[str]:
        if started.log_group is None:
            return
        while True:
            request: dict[str, Any] = {
                "logGroupName": started.log_group,
                "logStreamName": started.log_stream,
                "startFromHead": True,
            }
            if "next" in token:
                request["nextToken"] = token["next"]
            try:
                page = logs.get_log_events(**request)
            except logs.exceptions.ResourceNotFoundException:
                return  # the stream appears once the container starts
            for event in page.get("events", []):
                yield event["message"]
            following = page.get("nextForwardToken")
            if not following or following == token.get("next"):
                return
            token["next"] = following

    return read
