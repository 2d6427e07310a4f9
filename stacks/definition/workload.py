"""Workloads other than a web service: a worker's queue, scheduled jobs, and migrations."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from muon.stacks.definition.fields import Name, Spec
from muon.stacks.definition.secrets import refuse_secret_values
from muon.stacks.definition.types import Schedule, TimeZone

ServiceKind = Literal["web", "backend", "worker"]
"""web: behind the load balancer; backend: reachable by the environment's services through
Service Connect; worker: consumes its own SQS queue, no port."""

CATCH_ALL_PATHS = frozenset({"/*", "*"})
"""Paths that route every request: one service per set of hosts may take one."""

MAX_SQS_RETENTION = 1_209_600  # 14 days, SetQueueAttributes' MessageRetentionPeriod maximum
MAX_VISIBILITY_TIMEOUT = 43_200  # 12 hours

Command = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=4096)]],
    AfterValidator(refuse_secret_values),
    Field(min_length=1, max_length=64, description='The command, e.g. ["python", "-m", "app.report"]'),
]


def _argv_not_a_string(value: object) -> object:
    if isinstance(value, str):
        raise ValueError(
            'expected a list of strings such as ["python", "-m", "app.worker"]; ECS takes no shell '
            'string (["sh", "-c", "..."] runs one)'
        )
    return value


Process = Annotated[Command, BeforeValidator(_argv_not_a_string)]
"""A container's ``command`` or ``entryPoint``: ECS's ContainerDefinition takes each as a list of
strings (the exec form of Docker's CMD and ENTRYPOINT)."""


class QueueSpec(Spec):
    """A worker's SQS queue and its dead-letter queue."""

    max_receives: int = Field(
        default=5, ge=1, le=1000, description="Receives before a message moves to the dead-letter queue."
    )
    visibility_timeout: int = Field(
        default=60,
        ge=0,
        le=MAX_VISIBILITY_TIMEOUT,
        description="Seconds a received message stays hidden: longer than the work on one message.",
    )
    retention: int = Field(
        default=345_600,
        ge=60,
        le=MAX_SQS_RETENTION,
        description="Seconds a message is kept.",
    )
    publishers: list[Name] = Field(
        default_factory=list, description="Services allowed to send to the queue (they get its URL)."
    )


def backlog_scaling_defaults() -> dict[str, object]:
    """A worker scales on messages per running task: +1 from 10 (and from the first message when
    none runs), +3 from 50; -1 at 2 or fewer, and straight to zero when nothing is left."""
    return {
        "metric": "backlog",
        "scaleOut": {
            "steps": [{"at": 10, "change": 1}, {"at": 50, "change": 3}],
            "cooldown": 60,
            "period": 60,
            "evaluationPeriods": 1,
        },
        "scaleIn": {
            "steps": [{"at": 2, "change": -1}, {"at": 0, "change": -1000}],
            "cooldown": 60,
            "period": 60,
            "evaluationPeriods": 5,
        },
    }


class JobSpec(Spec):
    """A command run on a schedule as a one-off task of a service's task definition."""

    service: Name = Field(description="The service whose task definition (image, variables, secrets) runs.")
    command: Command
    schedule: Schedule
    timezone: TimeZone = Field(default="UTC", description="IANA time zone the cron expression is read in.")
    timeout: int = Field(
        default=3600, ge=60, le=86_400, description="Seconds before the run is stopped and counted as failed."
    )
    cpu: int | None = Field(default=None, description="CPU units for the run (default: the service's).")
    memory: int | None = Field(default=None, description="MiB for the run (default: the service's).")

    @model_validator(mode="after")
    def _check(self) -> JobSpec:
        if (self.cpu is None) != (self.memory is None):
            raise ValueError("give cpu and memory together (a task size), or neither")
        return self


class MigrateSpec(Spec):
    """Run a command as a one-off task of the new task definition before the service is updated."""

    service: Name
    command: Command
