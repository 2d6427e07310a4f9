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

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from muon.stacks.definition.base import pattern
from muon.stacks.definition.cron import ScheduleKind, cron_problem, schedule_problem
from muon.stacks.definition.secrets import (
    refuse_plain_build_arguments,
    refuse_plain_secrets,
    refuse_secret_values,
)

# -- schedules --------------------------------------------------------------------------------------
# Each expression checked field by field in cron.py, as AWS checks it.


def _schedule(kinds: tuple[ScheduleKind, ...], backup: bool) -> Callable[[str], str]:
    def check(value: str) -> str:
        problem = schedule_problem(value, kinds)
        if problem is None and backup:
            problem = cron_problem(value.partition("(")[2][:-1].strip(), backup=True)
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
    import zoneinfo  # its data path (sysconfig) only when a time zone is checked

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


# -- Secrets Manager secrets (ECS: "Pass Secrets Manager secrets through Amazon ECS environment
# variables"; Secrets Manager API reference, CreateSecret Name and GetSecretValue) -------------------

SECRET_NAME = r"[A-Za-z0-9/_+=.@${}-]{1,512}"
"""CreateSecret's Name: letters, digits and /_+=.@- (``${Environment}``, ``${ServiceName}`` allowed)."""
SECRET_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")
"""The six random characters Secrets Manager appends to a secret's name in its (complete) ARN."""


def _secret_placeholders(value: str) -> str:
    """A secret's name may vary by environment and workload, and by nothing else muon knows."""
    rest = value.replace("${Environment}", "").replace("${ServiceName}", "")
    if "${" in rest or "}" in rest:
        raise ValueError("only ${Environment} and ${ServiceName} may stand in a secret's name")
    return value


SecretsManagerSecret = Annotated[
    str,
    pattern(
        rf"^(?:{SECRET_NAME}|arn:aws(-[a-z]+)*:secretsmanager:[a-z]{{2}}(-[a-z]+)+-\d:\d{{12}}:secret:{SECRET_NAME})$",
        "a Secrets Manager secret name (e.g. banana/stripe) or its ARN; never the secret itself",
    ),
    Field(max_length=2048),  # GetSecretValue's SecretId
    AfterValidator(_secret_placeholders),
    # ECS reads a secret of another region or account by its full ARN.
    ArnScope("a Secrets Manager secret", "any"),
]
FunctionSecretsManagerSecret = Annotated[
    str,
    pattern(
        rf"^(?:{SECRET_NAME}|arn:aws(-[a-z]+)*:secretsmanager:[a-z]{{2}}(-[a-z]+)+-\d:\d{{12}}:secret:{SECRET_NAME})$",
        "a Secrets Manager secret name (e.g. banana/stripe) or its ARN; never the secret itself",
    ),
    Field(max_length=2048),
    AfterValidator(_secret_placeholders),
    # A function calls GetSecretValue in its own region: a secret of another is not found there.
    ArnScope("a Secrets Manager secret", "stack"),
]
SecretJsonKey = Annotated[
    str,
    # ECS splits valueFrom on ':': a key holding one would be read as the version stage.
    pattern(r"^[^:\s]+$", "a key of the secret's JSON object (no ':' or spaces)"),
]
SecretVersionStage = Annotated[
    str,
    pattern(r"^[^:\s]{1,256}$", "a staging label such as AWSCURRENT or AWSPREVIOUS (no ':')"),
]
SecretVersionId = Annotated[
    str,
    # GetSecretValue's VersionId: 32 to 64 characters (a UUID as Secrets Manager makes them).
    pattern(r"^[A-Za-z0-9-]{32,64}$", "a secret version id (32 to 64 letters, digits, '-')"),
]


# -- CPU architecture -------------------------------------------------------------------------------

Platform = Literal["linux/x86_64", "linux/arm64"]
"""What a service's image is built for and its tasks run on (Copilot's ``platform:`` spelling)."""
DOCKER_PLATFORMS: dict[str, str] = {"linux/x86_64": "linux/amd64", "linux/arm64": "linux/arm64"}
"""The same, as ``docker build --platform`` names it."""
ECS_ARCHITECTURES: dict[str, Literal["X86_64", "ARM64"]] = {"linux/x86_64": "X86_64", "linux/arm64": "ARM64"}
"""The same, as a task definition's ``runtimePlatform.cpuArchitecture`` (ECS API, RuntimePlatform)."""


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
