"""What a Service is given for its task's other containers (sidecars, the log router) and the
topics it publishes to (``service_containers.py``, ``messaging.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import pulumi

if TYPE_CHECKING:
    from muon.components.service_args import ContainerHealthCheck, ManagedSecret


@dataclass(frozen=True)
class Sidecar:
    """One more container in the service's task. Defaults are the service container's own:
    non-root, read-only root, essential (the task stops with it)."""

    name: str
    """The container's name (``dependsOn`` and ``targetContainer`` refer to it); required."""
    image: str
    """Required: only the team knows what runs beside its app."""
    port: int | None = None
    """The port it listens on; default None: none."""
    essential: bool = True
    """Default True: the task stops when it stops (ECS's default, and Copilot's)."""
    depends_on: tuple[tuple[str, str], ...] = ()
    """(container, ECS condition) pairs it waits for; default none."""
    command: tuple[str, ...] = ()
    """Default empty: the image's CMD."""
    environment: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    """Its own plain variables; default none."""
    secrets: dict[str, str] = field(default_factory=dict)
    """Variable → Parameter Store ARN, injected by ECS; default none."""
    secret_keys: dict[str, str] = field(default_factory=dict)
    """Variable → its parameter's own KMS key (not the environment's); default none."""
    managed_secrets: dict[str, ManagedSecret] = field(default_factory=dict)
    """Variable → a Secrets Manager secret; default none."""
    cpu: int | None = None
    """CPU units reserved for it; default None: it shares the task's."""
    memory: int | None = None
    """MiB it may use at most; default None: it shares the task's."""
    health_check: ContainerHealthCheck | None = None
    """Default None: the image's own HEALTHCHECK, if any."""
    readonly_root_filesystem: bool = True
    """Default True (ECS.5)."""
    user: str | None = "1000"
    """Default ``1000``, not root (ECS.20); None: the image's USER."""
    repository_arn: str | None = None
    """The ECR repository its image is pulled from; default None: a public registry (no grant)."""


@dataclass(frozen=True)
class LogRouting:
    """FireLens: every container of the task but the router logs through Fluent Bit."""

    destination: Literal["cloudwatch", "firehose"]
    """Required: where the logs go."""
    log_group: str | None = None
    """cloudwatch: an existing log group's name; default None: the service's own log group."""
    delivery_stream: str | None = None
    """firehose: the delivery stream's name (this account and region); required for firehose."""
    enable_metadata: bool = True
    """Default True: each record carries its cluster, task and container (FireLens's default)."""


@dataclass(frozen=True)
class TopicAccess:
    """An SNS topic a service publishes to (the ServiceTopic component's)."""

    publisher: str
    topic: str
    arn: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    """The topic's KMS key: publishing needs GenerateDataKey and Decrypt on it."""
