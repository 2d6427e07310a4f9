"""Workloads other than a web service: a worker's queue, scheduled jobs, and migrations."""

from __future__ import annotations

import functools
import re
import zoneinfo
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from muon.stacks.definition.fields import Name, Spec, _PathError, pattern

ServiceKind = Literal["web", "backend", "worker"]
"""web: behind the load balancer; backend: reachable by the environment's services through
Service Connect; worker: consumes its own SQS queue, no port."""

CATCH_ALL_PATHS = frozenset({"/*", "*"})
"""Paths that route every request: one service per set of hosts may take one."""

MAX_SQS_RETENTION = 1_209_600  # 14 days, SetQueueAttributes' MessageRetentionPeriod maximum
MAX_VISIBILITY_TIMEOUT = 43_200  # 12 hours

Command = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=4096)]],
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


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


_RATE_UNITS = {"minute", "minutes", "hour", "hours", "day", "days"}


def schedule_problem(schedule: str) -> str | None:
    """Why Application Auto Scaling would refuse ``schedule`` (PutScheduledAction), or None.

    cron has six fields (minutes hours day-of-month month day-of-week year) and exactly one of the
    two day fields is '?'; rate is a positive whole number and a unit (singular for 1); at is
    yyyy-mm-ddThh:mm:ss.
    """
    kind, _, rest = schedule.partition("(")
    body = rest[:-1].strip()
    if kind == "cron":
        fields = body.split()
        if len(fields) != 6:
            return (
                f"cron takes 6 fields (minutes hours day-of-month month day-of-week year), got {len(fields)}"
            )
        if (fields[2] == "?") == (fields[4] == "?"):
            return "cron needs '?' in exactly one of day-of-month and day-of-week"
        return None
    if kind == "rate":
        parts = body.split()
        if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) < 1 or parts[1] not in _RATE_UNITS:
            return "rate takes a positive whole number and minute(s), hour(s) or day(s), e.g. rate(5 minutes)"
        if (int(parts[0]) == 1) != (not parts[1].endswith("s")):
            return f"rate({body}): AWS wants the singular unit for 1 and the plural otherwise"
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", body):
        return "at takes yyyy-mm-ddThh:mm:ss, e.g. at(2026-12-24T18:00:00)"
    return None


def check_schedule(schedule: str, timezone: str) -> None:
    """A schedule AWS accepts, read in a time zone it knows (scaling schedules and jobs alike)."""
    problem = schedule_problem(schedule)
    if problem:
        raise _PathError(("schedule",), problem)
    if timezone not in _time_zones():
        raise _PathError(
            ("timezone",), f"'{timezone}' is not an IANA time zone name (e.g. UTC, Europe/Paris)"
        )


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
    schedule: Annotated[
        str,
        pattern(r"^(cron|rate)\(.+\)$", "an EventBridge Scheduler expression: cron(...) or rate(...)"),
    ]
    timezone: str = Field(default="UTC", description="IANA time zone the cron expression is read in.")
    timeout: int = Field(
        default=3600, ge=60, le=86_400, description="Seconds before the run is stopped and counted as failed."
    )
    cpu: int | None = Field(default=None, description="CPU units for the run (default: the service's).")
    memory: int | None = Field(default=None, description="MiB for the run (default: the service's).")

    @model_validator(mode="after")
    def _check(self) -> JobSpec:
        check_schedule(self.schedule, self.timezone)
        if (self.cpu is None) != (self.memory is None):
            raise ValueError("give cpu and memory together (a task size), or neither")
        return self


class MigrateSpec(Spec):
    """Run a command as a one-off task of the new task definition before the service is updated."""

    service: Name
    command: Command
