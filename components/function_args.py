"""What a Function is given: its typed arguments, with the defaults a function built on its own gets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pulumi

from muon.components.context import AwsContext
from muon.components.service_args import ManagedSecret, Permission, QueueAccess


@dataclass(frozen=True)
class HttpRoute:
    method: str
    """``GET``, ``POST``… or ``ANY``, as API Gateway's route keys take it."""
    path: str
    """``/items/{id}``; API Gateway's path syntax."""


@dataclass(frozen=True, kw_only=True)
class FunctionArgs:
    """Keyword-only, so that a default never depends on the fields' order. Defaults are the
    definition's (``functions.<name>``), with the production tier's deployment and retention."""

    context: AwsContext
    """Account, region, partition and namespace; required."""
    name: str
    """``<namespace>-<env>-<function>``: the function's name (64 characters at most); required."""
    code: pulumi.Archive | None
    """The zipped code, or None with ``image``; required (one of the two)."""
    image: str | None
    """A container image, or None with ``code``; required (one of the two)."""
    runtime: str | None
    """With ``code``: ``python3.12``, ``nodejs20.x``…; required (only the code knows)."""
    handler: str | None
    """With ``code``: ``module.function``; required (only the code knows)."""
    memory: int = 256
    """MB; default 256, the definition's (CPU grows with it)."""
    timeout: int = 10
    """Seconds; default 10, the definition's: a hung call ends long before Lambda's 900."""
    architecture: Literal["arm64", "x86_64"] = "arm64"
    """Default arm64 (Graviton), the definition's: cheaper per millisecond."""
    deployment_config: str = "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    """How CodeDeploy shifts the alias to a new version; default the production tier's canary:
    10% for 5 minutes, rolled back when the function's alarms fire."""
    key_arn: pulumi.Input[str]
    """The environment's key: logs, variables and its queue; required."""
    alarm_topic_arn: pulumi.Input[str]
    """Where its alarms go; required."""
    log_retention_days: int = 365
    """Default 365 (CloudWatch.16)."""
    error_rate_percent: float = 5.0
    """Errors (or throttles) as a share of invocations over which the function has an incident;
    default 5, the production tier's (development: 10)."""
    environment: dict[str, str] = field(default_factory=dict)
    """Plain variables; default none. Anything secret goes to ``parameters``."""
    parameters: dict[str, str] = field(default_factory=dict)
    """Variable → a Parameter Store ARN the function may read (``<VAR>_PARAMETER`` names it)."""
    managed_secrets: dict[str, ManagedSecret] = field(default_factory=dict)
    """Variable → a Secrets Manager secret the function may read (``<VAR>_SECRET`` holds its ARN, a
    name's without the six characters Secrets Manager adds, which GetSecretValue takes); default none."""
    permissions: tuple[Permission, ...] = ()
    """Its role's statements beyond its logs and parameters; default none."""
    tracing: bool = False
    """X-Ray active tracing; default False (PassThrough: a caller's trace still continues)."""
    reserved_concurrency: int | None = None
    """Default None: the account's unreserved pool."""
    http_routes: tuple[HttpRoute, ...] = ()
    """An HTTP API in front of it with these routes; default none."""
    schedules: tuple[tuple[str, str], ...] = ()
    """(expression, time zone) each."""
    queues: tuple[tuple[QueueAccess, int, int | None], ...] = ()
    """A worker's queue, the batch size and the batching window (seconds; None: Lambda's 0)."""
    own_queue_batch: int | None = None
    """A queue of its own, with this batch size…"""
    own_queue_window: int | None = None
    """…and this batching window."""
    alexa_skill_ids: tuple[str, ...] = ()
    """Alexa skills that may invoke it; default none."""
    host: str | None = None
    """The HTTP API's name on the environment's domain (its own regional certificate)."""
    zone_id: pulumi.Input[str] | None = None
    """The hosted zone of ``host``; needed with it."""
    tags: dict[str, str] = field(default_factory=dict)
    """Default none (the stack's tags come by transformation)."""
