"""A migration before a deploy: register the service's new task definition alone, run the
migration command as a one-off task of that new revision, and only when it exits 0 let the full
``pulumi up`` update the service. A failing migration stops the deploy with the service still
running its previous revision (which ECS keeps running even once deregistered).

The steps around Pulumi are passed in (``up_target``, ``export_state``): the pipeline's deploy step
runs the CLI, ``muon up --migrate`` the Automation API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from muon.deploy import one_off

TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"


class MigrationError(Exception):
    """The migration could not run, or exited non-zero: the service must not be updated."""


@dataclass(frozen=True)
class Migration:
    environment: str
    service: str
    command: tuple[str, ...]


def _resource(state: dict[str, Any], type_token: str, name: str) -> dict[str, Any] | None:
    """The resource named ``name`` of that type in ``pulumi stack export``'s deployment."""
    resources = (state.get("deployment") or {}).get("resources") or []
    return next(
        (r for r in resources if r.get("type") == type_token and r.get("urn", "").endswith(f"::{name}")), None
    )


def targets(state: dict[str, Any], migration: Migration) -> tuple[str, str, str]:
    """The task definition's URN, the ECS service's name and cluster, from the stack's state."""
    prefix = f"{migration.environment}-{migration.service}"
    task = _resource(state, TASK_DEFINITION, f"{prefix}-task")
    service = _resource(state, SERVICE, f"{prefix}-service")
    if task is None or service is None:
        raise MigrationError(
            f"service {migration.service} of environment {migration.environment} is not deployed yet: "
            "its first deploy (the bootstrap `pulumi up`, which starts it with no task) must come before a "
            "migration can run in its network"
        )
    outputs = service.get("outputs") or {}
    return task["urn"], outputs.get("name", ""), outputs.get("cluster", "")


def run_migration(
    migration: Migration,
    *,
    export_state: Callable[[], dict[str, Any]],
    up_target: Callable[[str], None],
    ecs: Any,
    logs: Any,
    on_line: Callable[[str], None],
    timeout: float | None = 3600,
) -> None:
    """Raise MigrationError unless the command exits 0 in a task of the new revision."""
    urn, service_name, cluster = targets(export_state(), migration)
    # Registers the new revision; the service is untouched. Pulumi refuses a targeted update whose
    # target needs a resource that does not exist yet (a new parameter, say): that error stops the
    # deploy here, and such a change is deployed once without its migration first.
    up_target(urn)
    # The ECS service and its task family share the name; the latest ACTIVE revision is the new one.
    revision = ecs.describe_task_definition(taskDefinition=service_name)["taskDefinition"][
        "taskDefinitionArn"
    ]
    try:
        started = one_off.start(
            ecs,
            cluster=cluster,
            service_name=service_name,
            command=list(migration.command),
            task_definition=revision,
            started_by="muon-migrate",
        )
        on_line(f"muon migrate: {started.task_arn} runs {' '.join(migration.command)} on {revision}")
        code = one_off.wait(ecs, logs, started, on_line, timeout=timeout)
    except one_off.TaskError as error:
        raise MigrationError(
            f"migration of {migration.service}: {error}; the service was not updated"
        ) from None
    if code != 0:
        raise MigrationError(
            f"migration of {migration.service} exited {code}; the service was not updated "
            f"(it still runs its previous revision)"
        )
