"""Value types with a rule inside: written once, used by every surface where the value appears.

A schedule (``cron``/``rate``/``at``, field by field), a database window, an ARN bound to its
service and to where it is used, a host name, a project path and the maps that become
environment variables or build arguments (never a plain-text secret). A new surface that takes
one of these values takes its type, and with it every rule AWS applies to it.

The markers (:class:`ArnScope`, :class:`PathRule`) ride in ``Annotated`` and mean nothing to
pydantic: the resolve stage finds them (``stacks/resolve/checks.py``) to check what only the
stack knows — its region, its files.
"""

from __future__ import annotations

import datetime
import functools
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from muon.stacks.definition.base import pattern
from muon.stacks.definition.secrets import (
    refuse_plain_build_arguments,
    refuse_plain_secrets,
    refuse_secret_values,
)

# -- schedules --------------------------------------------------------------------------------------
# The cron, rate and at expressions EventBridge Scheduler, Application Auto Scaling and AWS Backup
# share (EventBridge Scheduler user guide, "Schedule types": cron has six fields, exactly one of
# day-of-month and day-of-week is '?'; rate takes minute(s), hour(s), day(s), singular for 1).

_MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}  # noqa: SIM905
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}


@dataclass(frozen=True)
class _CronField:
    name: str
    low: int
    high: int
    names: dict[str, int]
    day: Literal["month", "week", ""] = ""


_CRON_FIELDS = (
    _CronField("minutes", 0, 59, {}),
    _CronField("hours", 0, 23, {}),
    _CronField("day-of-month", 1, 31, {}, "month"),
    _CronField("month", 1, 12, _MONTHS),
    _CronField("day-of-week", 1, 7, _DAYS, "week"),
    _CronField("year", 1970, 2199, {}),
)
_RATE_UNITS = ("minute", "hour", "day")


def _value_problem(text: str, field: _CronField) -> str | None:
    if text.upper() in field.names:
        return None
    if not text.isdigit():
        names = f" or {', '.join(field.names)}" if field.names else ""
        return f"{field.name}: '{text}' is not a number from {field.low} to {field.high}{names}"
    if not field.low <= int(text) <= field.high:
        return f"{field.name}: {int(text)} is outside {field.low}-{field.high}"
    return None


def _part_problem(part: str, field: _CronField) -> str | None:
    """One comma-separated part of a cron field: *, a value, a range, a step, or a day wildcard."""
    if field.day == "month" and re.fullmatch(r"L|LW|\d{1,2}W", part.upper()):
        day = part.upper().rstrip("W")
        return None if day in ("L", "") else _value_problem(day, field)
    if field.day == "week" and re.fullmatch(r"L|\w{1,3}L|\w{1,3}#\d", part.upper()):
        if part.upper() == "L":
            return None
        day, _, nth = part.upper().rstrip("L").partition("#")
        if nth and not 1 <= int(nth) <= 5:
            return f"{field.name}: '#{nth}' names the nth weekday of a month: 1 to 5"
        return _value_problem(day, field)
    base, slash, step = part.partition("/")
    if slash and (not step.isdigit() or int(step) < 1):
        return f"{field.name}: '/{step}' needs a positive whole increment"
    if base == "*":
        return None
    low, dash, high = base.partition("-")
    for value in (low, high) if dash else (low,):
        problem = _value_problem(value, field)
        if problem:
            return problem
    return None


def _cron_problem(body: str, backup: bool) -> str | None:
    fields = body.split()
    if len(fields) != len(_CRON_FIELDS):
        return f"cron takes 6 fields (minutes hours day-of-month month day-of-week year), got {len(fields)}"
    if (fields[2] == "?") == (fields[4] == "?"):
        return "cron needs '?' in exactly one of day-of-month and day-of-week"
    for text, field in zip(fields, _CRON_FIELDS, strict=True):
        if text == "?" and field.day:
            continue
        for part in text.split(","):
            problem = _part_problem(part, field) if part else f"{field.name}: an empty part in '{text}'"
            if problem:
                return problem
    if backup and not fields[0].isdigit():
        # AWS Backup: "The interval between backup jobs shouldn't be less than 60 minutes".
        return f"AWS Backup runs at most hourly: minutes must be one number, got '{fields[0]}'"
    return None


def _rate_problem(body: str) -> str | None:
    parts = body.split()
    units = ", ".join(f"{u}(s)" for u in _RATE_UNITS)
    if (
        len(parts) != 2
        or not parts[0].isdigit()
        or int(parts[0]) < 1
        or parts[1].rstrip("s") not in _RATE_UNITS
    ):
        return f"rate takes a positive whole number and {units}, e.g. rate(5 minutes)"
    if parts[1] not in (*_RATE_UNITS, *(f"{u}s" for u in _RATE_UNITS)):
        return f"rate takes a positive whole number and {units}, e.g. rate(5 minutes)"
    if (int(parts[0]) == 1) != (not parts[1].endswith("s")):
        return f"rate({body}): AWS wants the singular unit for 1 and the plural otherwise"
    return None


def _at_problem(body: str) -> str | None:
    try:
        datetime.datetime.strptime(body, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return "at takes yyyy-mm-ddThh:mm:ss, a date and time that exist, e.g. at(2026-12-24T18:00:00)"
    return None


ScheduleKind = Literal["cron", "rate", "at"]


def schedule_problem(schedule: str, kinds: tuple[ScheduleKind, ...] = ("cron", "rate", "at")) -> str | None:
    """Why AWS would refuse ``schedule``, or None: its kind, then every field of it."""
    kind, paren, rest = schedule.partition("(")
    if kind not in kinds or not paren or not rest.endswith(")"):
        return "expected " + " or ".join(f"{k}(...)" for k in kinds)
    body = rest[:-1].strip()
    if kind == "cron":
        return _cron_problem(body, backup=False)
    if kind == "rate":
        return _rate_problem(body)
    return _at_problem(body)


def _schedule(kinds: tuple[ScheduleKind, ...], backup: bool) -> Callable[[str], str]:
    def check(value: str) -> str:
        problem = schedule_problem(value, kinds)
        if problem is None and backup:
            problem = _cron_problem(value.partition("(")[2][:-1].strip(), backup=True)
        if problem:
            raise ValueError(problem)
        return value

    return check


def _schedule_pattern(kinds: tuple[ScheduleKind, ...], what: str) -> StringConstraints:
    return pattern(rf"^({'|'.join(kinds)})\(.+\)$", f"{what}: " + " or ".join(f"{k}(...)" for k in kinds))


Schedule = Annotated[
    str,
    _schedule_pattern(("cron", "rate"), "an EventBridge Scheduler expression"),
    Field(max_length=256),  # CreateSchedule's ScheduleExpression
    AfterValidator(_schedule(("cron", "rate"), backup=False)),
]
"""Jobs and functions' schedule triggers: EventBridge Scheduler (CreateSchedule)."""
ScalingSchedule = Annotated[
    str,
    _schedule_pattern(("cron", "rate", "at"), "an Application Auto Scaling schedule"),
    Field(max_length=256),
    AfterValidator(_schedule(("cron", "rate", "at"), backup=False)),
]
"""A service's scheduled capacity: Application Auto Scaling (PutScheduledAction)."""
BackupSchedule = Annotated[
    str,
    _schedule_pattern(("cron",), "an AWS Backup cron expression, in UTC"),
    Field(max_length=256),
    AfterValidator(_schedule(("cron",), backup=True)),
]
"""Backup plans and restore tests: AWS Backup takes cron only, at most hourly."""


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def _time_zone(value: str) -> str:
    if value not in _time_zones():
        raise ValueError(f"'{value[:60]}' is not an IANA time zone name (e.g. UTC, Europe/Paris)")
    return value


TimeZone = Annotated[str, AfterValidator(_time_zone)]
"""The zone a cron expression is read in (Scheduler's and Application Auto Scaling's timezone)."""


# -- database windows (RDS: CreateDBCluster / CreateDBInstance) -------------------------------------

WINDOW_MINIMUM = 30
"""RDS: "Must be at least 30 minutes" (PreferredBackupWindow, PreferredMaintenanceWindow)."""
_HHMM = r"([01]\d|2[0-3]):[0-5]\d"
_DAY = r"(mon|tue|wed|thu|fri|sat|sun)"
_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEK_MINUTES = 7 * 24 * 60


def _minute_of_day(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def window_minutes(window: str) -> tuple[int, int]:
    """(start, end) in minutes of the week (a daily ``hh:mm-hh:mm`` window: of the day); the end
    may be past the period when the window wraps (over midnight, or over Sunday night)."""
    start, end = window.split("-")
    if start.count(":") == 2:  # ddd:hh:mm
        first = _WEEK.index(start[:3]) * 1440 + _minute_of_day(start[4:])
        last = _WEEK.index(end[:3]) * 1440 + _minute_of_day(end[4:])
        period = WEEK_MINUTES
    else:
        first, last, period = _minute_of_day(start), _minute_of_day(end), 1440
    return first, last if last > first else last + period


def _window(value: str) -> str:
    start, end = window_minutes(value)
    if end - start < WINDOW_MINIMUM:
        raise ValueError(
            f"{value} lasts {end - start} minutes; RDS needs a window of at least {WINDOW_MINIMUM}"
        )
    return value


BackupWindow = Annotated[str, pattern(f"^{_HHMM}-{_HHMM}$", "hh:mm-hh:mm in UTC"), AfterValidator(_window)]
MaintenanceWindow = Annotated[
    str,
    pattern(f"^{_DAY}:{_HHMM}-{_DAY}:{_HHMM}$", "ddd:hh:mm-ddd:hh:mm in UTC, e.g. sun:04:30-sun:05:30"),
    AfterValidator(_window),
]


def windows_overlap(backup: str, maintenance: str) -> bool:
    """Whether the daily backup window meets the weekly maintenance window on any day."""
    b_start, b_end = window_minutes(backup)
    m_start, m_end = window_minutes(maintenance)
    for day in range(-1, 8):
        start, end = day * 1440 + b_start, day * 1440 + b_end
        for shift in (-WEEK_MINUTES, 0, WEEK_MINUTES):
            if start < m_end + shift and m_start + shift < end:
                return True
    return False


# -- ARNs -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArnScope:
    """Where the resource an ARN names must be for the stack to use it.

    ``region``: ``stack`` (the stack's own region), ``us-east-1`` (CloudFront's certificates and
    web ACLs), or ``any`` (any region of the stack's partition: IAM is global, ECS reads
    parameters of other regions by ARN). ``used_by``: the stacks that use it (environment stacks,
    or the pipeline's); another stack may be in another region.
    """

    what: str
    region: Literal["stack", "us-east-1", "any"]
    used_by: Literal["environment", "pipeline"] = "environment"


def arn_pattern(service: str, resource: str, hint: str, account: str = r"\d{12}") -> StringConstraints:
    """An ARN of ``service`` whose resource part matches ``resource`` (IAM's name no region)."""
    location = "" if service == "iam" else r"[a-z]{2}(-[a-z]+)+-\d"
    return pattern(rf"^arn:aws(-[a-z]+)*:{service}:{location}:{account}:{resource}$", hint)


def arn_parts(value: str) -> tuple[str, str, str]:
    """(partition, service, region) of an ARN."""
    parts = value.split(":", 5)
    return parts[1], parts[2], parts[3]


# -- host names -------------------------------------------------------------------------------------

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HostName = Annotated[
    str,
    pattern(rf"^(?:{_LABEL}\.)+[a-z]{{2,63}}$", "a lowercase DNS name such as banana.example.com"),
    Field(max_length=253),
]
"""A full DNS name: an environment's domain, a hosted zone."""
Host = Annotated[
    str,
    pattern(
        rf"^{_LABEL}(?:\.{_LABEL})*$",
        "a host: a label such as api (api.<the environment's domain>) or a full name",
    ),
    Field(max_length=253),
]
"""A name on the environment's domain: a label (``api``) or a full name (services, sites, functions)."""


# -- ports inside strings ---------------------------------------------------------------------------


def port_problem(text: str) -> str | None:
    """A ``host:port`` part's port: 1 to 65535."""
    return None if text.isdigit() and 1 <= int(text) <= 65535 else f"port {text} is not 1 to 65535"


def url_port(value: str) -> str:
    """A URL's port, when it names one: 1 to 65535."""
    match = re.match(r"^[a-z]+://[^/:]+:(\d+)", value)
    problem = port_problem(match.group(1)) if match else None
    if problem:
        raise ValueError(problem)
    return value


ProxyUrl = Annotated[
    str,
    pattern(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?/?$", "a proxy URL such as http://proxy.corp:3128"),
    AfterValidator(url_port),
]


# -- variables: environment, arguments, configuration -----------------------------------------------

Name = Annotated[
    str,
    pattern(
        r"^[a-z][a-z0-9-]{0,20}[a-z0-9]$",
        "a name of 2-22 lowercase letters, digits and '-', starting with a letter",
    ),
]
"""Environment and service names end up in AWS resource names: short, lowercase, DNS-safe."""
EnvName = Annotated[
    str, pattern(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$", "an environment variable name (letters, digits, '_')")
]


Variables = Annotated[dict[EnvName, str], AfterValidator(refuse_plain_secrets)]
"""The one type of every map that becomes environment variables or configuration: names a
process takes, values never a plain-text secret (``secrets.py``)."""
ServiceVariables = Annotated[dict[EnvName, str | dict[Name, str]], AfterValidator(refuse_plain_secrets)]
"""A service's variables: a value may be a map of environment name to value."""
BuildArguments = Annotated[
    dict[Annotated[str, pattern(r"^[A-Za-z_][A-Za-z0-9_]*$", "a build argument name")], str],
    AfterValidator(refuse_plain_build_arguments),
]
"""``--build-arg``s: kept in the image's history, so never a secret either."""
Arguments = Annotated[list[str], AfterValidator(refuse_secret_values)]
"""A command's arguments: no credential of a known shape inside."""
FreeText = Annotated[str, AfterValidator(refuse_secret_values)]
"""A script or a command line: no credential of a known shape inside."""


# -- project paths ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PathRule:
    """What a path of the definition must be on disk: a ``folder`` or a ``file``, relative to
    the ``definition`` file's folder or to the ``repository`` root (where the pipeline runs)."""

    kind: Literal["folder", "file"]
    base: Literal["definition", "repository"] = "definition"


def relative_path(value: str) -> str:
    """Relative, with '/' separators (whether it stays inside the project, once symbolic links
    are resolved, is checked in resolve: ``stacks/resolve/paths.py``)."""
    if value.startswith("/") or "\\" in value:
        raise ValueError(f"{value[:80]}: expected a relative path with '/' separators")
    return value


_PATH = r"^[\w.-][\w./-]*$"
PATH_HINT = "a relative path inside the project, such as app or app/Dockerfile"
Folder = Annotated[
    str,
    pattern(_PATH, PATH_HINT),
    Field(max_length=1024),
    AfterValidator(relative_path),
    PathRule("folder"),
]
File = Annotated[
    str,
    pattern(_PATH, PATH_HINT),
    Field(max_length=1024),
    AfterValidator(relative_path),
    PathRule("file"),
]
RepositoryFolder = Annotated[
    str,
    pattern(_PATH, PATH_HINT),
    Field(max_length=1024),
    AfterValidator(relative_path),
    PathRule("folder", "repository"),
]
RepositoryFile = Annotated[
    str,
    pattern(_PATH, PATH_HINT),
    Field(max_length=1024),
    AfterValidator(relative_path),
    PathRule("file", "repository"),
]


# -- storage a service owns -------------------------------------------------------------------------
# DynamoDB API reference: TableName and IndexName are 3 to 255 of [a-zA-Z0-9_.-]; a key attribute's
# name (KeySchemaElement.AttributeName) 1 to 255 characters (muon takes the same safe characters,
# which every SDK and expression writes without escaping).
AttributeName = Annotated[
    str,
    pattern(r"^[A-Za-z0-9_.-]{1,255}$", "an attribute name of letters, digits, '_', '.', '-' (up to 255)"),
]
"""A DynamoDB key, TTL or projected attribute."""
IndexName = Annotated[
    str, pattern(r"^[A-Za-z0-9_.-]{3,255}$", "an index name of 3-255 letters, digits, '_', '.', '-'")
]
"""A DynamoDB secondary index."""


def absolute_container_path(value: str) -> str:
    """A mount point inside the container: absolute, no '.' or '..' step, not the root itself."""
    steps = value.split("/")[1:]
    if value == "/" or any(step in ("", ".", "..") for step in steps):
        raise ValueError(f"{value[:80]}: expected an absolute path such as /data (no '.', '..' or '//')")
    return value


ContainerPath = Annotated[
    str,
    pattern(r"^/[A-Za-z0-9_./-]*$", "an absolute path inside the container, such as /data"),
    Field(max_length=1024),
    AfterValidator(absolute_container_path),
]
"""Where a volume is mounted in the container (ECS MountPoint.containerPath)."""
PosixId = Annotated[int, Field(ge=0, le=4294967295)]
"""An EFS access point's user or group id (EFS API reference, PosixUser: 0 to 4294967295)."""
PosixPermissions = Annotated[str, pattern(r"^[0-7]{3,4}$", "octal permissions such as 750 or 0750")]
"""An EFS access point root directory's mode (EFS API reference, CreationInfo.Permissions)."""
