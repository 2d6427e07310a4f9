"""A service's task beyond its one container: sidecars, FireLens log routing, tracing, and the
SNS topics it publishes to or its worker queue subscribes to."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from muon.stacks.definition.fields import ImageReference, Name, SecretReference, Spec, _PathError, pattern
from muon.stacks.definition.health import ContainerHealthCheckSpec
from muon.stacks.definition.types import EnvName, ServiceVariables
from muon.stacks.definition.workload import Process

if TYPE_CHECKING:
    from muon.stacks.definition.service import ServiceSpec

MAIN_CONTAINER = "app"
"""The service's own container, as ``dependsOn`` and ``targetContainer`` name it."""
LOG_ROUTER = "log-router"
COLLECTOR = "otel-collector"
RESERVED_CONTAINERS = (MAIN_CONTAINER, LOG_ROUTER, COLLECTOR)
"""Container names muon gives its own containers: a sidecar takes none of them."""

Condition = Literal["START", "COMPLETE", "SUCCESS", "HEALTHY"]
"""ECS ContainerDependency.condition (ECS API reference): HEALTHY needs the target's health check."""


class SidecarSpec(Spec):
    """One more container in the service's task (``services.<name>.sidecars.<sidecar>``)."""

    image: ImageReference = Field(description="The sidecar's image (a public or ECR image).")
    port: int | None = Field(default=None, ge=1, le=65535, description="The port it listens on, if any.")
    essential: bool = Field(
        default=True, description="The task stops when it stops (Copilot's default too); false: it may exit."
    )
    depends_on: dict[Annotated[str, Field(max_length=255)], Condition] = Field(
        default_factory=dict,
        description="Containers it waits for (app or another sidecar): START, COMPLETE, SUCCESS or HEALTHY.",
    )
    command: Process | None = Field(default=None, description="Its command (default: the image's CMD).")
    environment: ServiceVariables = Field(
        default_factory=dict, description="Its own variables (not the service's); never a secret."
    )
    secrets: dict[EnvName, SecretReference] = Field(
        default_factory=dict, description="Its own variables from Parameter Store, as the service's secrets."
    )
    cpu: int | None = Field(default=None, ge=0, le=16384, description="CPU units reserved from the task's.")
    memory: int | None = Field(
        default=None, ge=6, le=122880, description="MiB reserved from the task's (ECS: at least 6)."
    )
    health_check: ContainerHealthCheckSpec | None = Field(
        default=None, description="ECS's check inside it (what a HEALTHY dependency waits for)."
    )
    readonly_root_filesystem: bool = Field(
        default=True, description="Opt out for images writing outside /tmp."
    )
    user: str | None = Field(
        default="1000", description="Non-root by default; null runs as the image's user."
    )

    @model_validator(mode="after")
    def _check(self) -> SidecarSpec:
        if self.user in ("root", "0", "0:0"):
            raise _PathError(("user",), "running as root is refused; use a numeric non-root user or null")
        overlap = sorted(set(self.environment) & set(self.secrets))
        if overlap:
            raise _PathError(
                ("secrets", overlap[0]), "also set in environment: a variable is either plain or secret"
            )
        return self


DeliveryStream = Annotated[
    str,
    pattern(
        r"^[a-zA-Z0-9_.-]{1,64}$", "a Firehose delivery stream name (1-64 letters, digits, '_', '.', '-')"
    ),
]
"""CreateDeliveryStream's DeliveryStreamName (Firehose API reference)."""
LogGroupName = Annotated[
    str,
    pattern(r"^[\.\-_/#A-Za-z0-9]{1,512}$", "a log group name (letters, digits, '.', '-', '_', '/', '#')"),
]
"""CreateLogGroup's logGroupName (CloudWatch Logs API reference)."""


class LoggingSpec(Spec):
    """FireLens: the task's containers log through a Fluent Bit router (``services.<name>.logging``)."""

    destination: Literal["cloudwatch", "firehose"] = Field(
        description="cloudwatch: a log group; firehose: a Kinesis Data Firehose delivery stream."
    )
    log_group: LogGroupName | None = Field(
        default=None, description="cloudwatch: an existing log group (default: the service's own)."
    )
    delivery_stream: DeliveryStream | None = Field(
        default=None, description="firehose: the delivery stream's name, in the stack's account and region."
    )
    enable_metadata: bool = Field(
        default=True, description="Add the task's ECS metadata (cluster, task, container) to every record."
    )

    @model_validator(mode="after")
    def _check(self) -> LoggingSpec:
        if self.destination == "firehose" and self.delivery_stream is None:
            raise _PathError(("deliveryStream",), "firehose needs the delivery stream the logs go to")
        if self.destination == "cloudwatch" and self.delivery_stream is not None:
            raise _PathError(("deliveryStream",), "only a firehose destination takes a delivery stream")
        if self.destination == "firehose" and self.log_group is not None:
            raise _PathError(("logGroup",), "only a cloudwatch destination takes a log group")
        return self


TopicName = Name
"""A topic's name in its service (it ends up in the topic's physical name, as a service's)."""


def _topic_shorthand(value: object) -> object:
    """``publish: [orders]`` is ``publish: [{name: orders}]``."""
    return {"name": value} if isinstance(value, str) else value


class TopicSpec(Spec):
    """An SNS topic the service publishes to (``services.<name>.publish[]``)."""

    name: TopicName
    fifo: bool = Field(default=False, description="A FIFO topic: ordered, deduplicated (name ends .fifo).")
    content_based_deduplication: bool = Field(
        default=False, description="FIFO: deduplicate by the message's SHA-256 instead of an ID."
    )

    @model_validator(mode="after")
    def _check(self) -> TopicSpec:
        # SNS CreateTopic: ContentBasedDeduplication "applies only to FIFO topics".
        if self.content_based_deduplication and not self.fifo:
            raise _PathError(("contentBasedDeduplication",), "only a FIFO topic deduplicates (fifo: true)")
        return self


Topic = Annotated[TopicSpec, BeforeValidator(_topic_shorthand, json_schema_input_type=TopicName | TopicSpec)]
"""A topic, or its name alone (a standard topic)."""

FILTER_POLICY_KEYS = 5
FILTER_POLICY_COMBINATIONS = 150
FILTER_POLICY_BYTES = 256 * 1024
"""SNS developer guide, "Filter policy constraints in Amazon SNS": at most five keys, a total
combination of values (the product of each array's length) of at most 150, 256 KB."""


def _leaves(policy: Any) -> tuple[int, int]:
    """(keys, combinations) of a filter policy: every key holding a list is a key; nested objects
    (a message body's) count their own keys."""
    keys, combinations = 0, 1
    for value in policy.values():
        if isinstance(value, dict):
            inner_keys, inner = _leaves(value)
            keys, combinations = keys + inner_keys, combinations * inner
        else:
            keys += 1
            combinations *= len(value) if isinstance(value, list) else 1
    return keys, combinations


def filter_policy_problem(policy: dict[str, Any], scope: str) -> str | None:
    """Why SNS would refuse ``policy``, or None."""
    if not policy:
        return "an empty filter policy matches nothing: leave it out to receive every message"
    if scope == "MessageAttributes" and any(isinstance(v, dict) for v in policy.values()):
        return "filtering on message attributes takes no nested keys (filterPolicyScope: MessageBody does)"
    for key, value in policy.items():
        if not isinstance(value, (list, dict)):
            return f"'{key}': a filter policy's value is a list of matches, e.g. {key}: [created]"
    keys, combinations = _leaves(policy)
    if keys > FILTER_POLICY_KEYS:
        return f"{keys} keys; SNS takes at most {FILTER_POLICY_KEYS} in a filter policy"
    if combinations > FILTER_POLICY_COMBINATIONS:
        return f"{combinations} combinations of values; SNS takes at most {FILTER_POLICY_COMBINATIONS}"
    if len(json.dumps(policy).encode()) > FILTER_POLICY_BYTES:
        return "larger than the 256 KB SNS takes"
    return None


class SubscriptionSpec(Spec):
    """A worker's queue receives a topic's messages (``services.<worker>.subscribe[]``)."""

    service: Name = Field(description="The service that publishes the topic.")
    topic: TopicName = Field(description="The topic's name in that service's publish list.")
    filter_policy: dict[str, Any] | None = Field(
        default=None, description="Only messages matching this SNS filter policy reach the queue."
    )
    filter_policy_scope: Literal["MessageAttributes", "MessageBody"] = Field(
        default="MessageAttributes", description="What the filter policy matches: attributes or the body."
    )

    @model_validator(mode="after")
    def _check(self) -> SubscriptionSpec:
        if self.filter_policy is not None:
            problem = filter_policy_problem(self.filter_policy, self.filter_policy_scope)
            if problem:
                raise _PathError(("filterPolicy",), problem)
        return self


def _unique_topics(value: list[TopicSpec]) -> list[TopicSpec]:
    names = [t.name for t in value]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"topic '{repeated[0]}' is listed twice")
    return value


Topics = Annotated[list[Topic], AfterValidator(_unique_topics), Field(max_length=20)]


class TaskContainersSpec(Spec):
    """A service's keys for its task's other containers, its logs, traces and topics
    (``ServiceSpec``'s; its schema lists them first)."""

    sidecars: dict[Name, SidecarSpec] = Field(
        default_factory=dict, description="More containers in the service's task (a proxy, an agent)."
    )
    depends_on: dict[Annotated[str, Field(max_length=255)], Condition] = Field(
        default_factory=dict,
        description="Sidecars the app waits for before it starts: START, COMPLETE, SUCCESS or HEALTHY.",
    )
    target_container: Name | None = Field(
        default=None,
        description="web: the container the load balancer sends to (default app, the service's own).",
    )
    logging: LoggingSpec | None = Field(
        default=None,
        description="Route the task's logs through FireLens (Fluent Bit) to CloudWatch or Firehose.",
    )
    tracing: Literal["xray"] | None = Field(
        default=None,
        description="xray: an AWS Distro for OpenTelemetry collector beside the app sends traces to X-Ray.",
    )
    publish: Topics = Field(
        default_factory=list,
        description="SNS topics the service publishes to (<TOPIC>_TOPIC_ARN in its variables).",
    )
    subscribe: list[SubscriptionSpec] = Field(
        default_factory=list, max_length=20, description="worker: topics its queue receives messages from."
    )


def check_containers(spec: ServiceSpec) -> None:
    """A service's sidecars, target container and subscriptions agree with each other and with
    the service, and need muon's task role. Raises a _PathError."""
    granted = [
        (key, what)
        for key, what, given in (
            ("logging", "its log destination", spec.logging is not None),
            ("tracing", "X-Ray", spec.tracing is not None),
            ("publish", "its topics", bool(spec.publish)),
        )
        if given
    ]
    if spec.roles.task is not None and granted:
        key, what = granted[0]
        raise _PathError(
            (key,),
            f"the task role is the company's (roles.task): muon cannot grant it {what}; drop roles.task "
            "or this key",
        )
    sidecars: dict[str, SidecarSpec] = spec.sidecars
    for name in sidecars:
        if name in RESERVED_CONTAINERS:
            raise _PathError(("sidecars", name), f"'{name}' is muon's own container name; choose another")
    ports = {MAIN_CONTAINER: spec.port} | {n: s.port for n, s in sidecars.items()}
    bound = _muon_ports(spec)
    seen: dict[int, str] = {}
    for name, port in ports.items():
        if port is None:
            continue
        if port in bound:
            where = ("port",) if name == MAIN_CONTAINER else ("sidecars", name, "port")
            raise _PathError(
                where,
                f"port {port} is bound by muon's {bound[port]}: the task's containers share one network",
            )
        if port in seen:
            where = ("sidecars", name, "port")
            raise _PathError(
                where, f"port {port} is also {seen[port]}'s: the task's containers share one network"
            )
        seen[port] = name
    for target, condition in spec.depends_on.items():
        _check_dependency(spec, MAIN_CONTAINER, target, condition, ("dependsOn", target))
    for name, sidecar in sidecars.items():
        for target, condition in sidecar.depends_on.items():
            _check_dependency(spec, name, target, condition, ("sidecars", name, "dependsOn", target))
    _check_cycles(spec)
    _check_target(spec, sidecars)
    if spec.subscribe and spec.kind != "worker":
        raise _PathError(("subscribe",), "only a worker subscribes its queue to topics (kind: worker)")
    pairs = [(s.service, s.topic) for s in spec.subscribe]
    for index, pair in enumerate(pairs):
        if pairs.index(pair) != index:
            raise _PathError(("subscribe", index), f"{pair[0]}'s topic {pair[1]} is subscribed twice")


COLLECTOR_PORTS = {4317: "4317", 4318: "4318", 2000: "2000/udp", 8125: "8125/udp", 13133: "13133"}
"""What the ADOT collector's ECS configuration binds: OTLP gRPC and HTTP, the X-Ray daemon
protocol, StatsD, its health check extension (aws-otel-collector config/ecs/ecs-default-config.yaml)."""
LOG_ROUTER_PORTS = {24224: "24224", 8877: "8877"}
"""What FireLens's generated Fluent Bit configuration binds: the forward input (24224) and the
firelens-healthcheck TCP input (8877)."""


def _muon_ports(spec: ServiceSpec) -> dict[int, str]:
    """Ports muon's own containers bind in the task's network, with who binds them."""
    bound: dict[int, str] = {}
    if spec.tracing is not None:
        bound |= {p: f"{COLLECTOR} ({shown}, tracing: xray)" for p, shown in COLLECTOR_PORTS.items()}
    if spec.logging is not None:
        bound |= {p: f"{LOG_ROUTER} ({shown}, logging)" for p, shown in LOG_ROUTER_PORTS.items()}
    return bound


def _check_dependency(
    spec: ServiceSpec, name: str, target: str, condition: str, where: tuple[str, ...]
) -> None:
    sidecars: dict[str, SidecarSpec] = spec.sidecars
    if target == name:
        raise _PathError(where, "a container cannot wait for itself")
    if target != MAIN_CONTAINER and target not in sidecars:
        known = ", ".join([MAIN_CONTAINER, *sidecars])
        raise _PathError(where, f"'{target}' is not a container of the task; known: {known}")
    if condition == "HEALTHY":
        checked = (
            spec.container_health_check is not None
            if target == MAIN_CONTAINER
            else sidecars[target].health_check is not None
        )
        if not checked:
            key = "containerHealthCheck" if target == MAIN_CONTAINER else f"sidecars.{target}.healthCheck"
            raise _PathError(where, f"HEALTHY waits for {target}'s health check: give it one ({key})")
    if condition in ("COMPLETE", "SUCCESS") and (target == MAIN_CONTAINER or sidecars[target].essential):
        # ECS RegisterTaskDefinition (ContainerDependency.condition): "A dependency container with
        # SUCCESS or COMPLETE condition cannot be an essential container".
        essential = "app is always essential" if target == MAIN_CONTAINER else f"sidecars.{target}.essential"
        raise _PathError(
            where,
            f"{condition} waits for {target} to exit, but ECS refuses it for an essential container "
            f"({essential}); use START or HEALTHY, or make it essential: false",
        )


def _check_cycles(spec: ServiceSpec) -> None:
    """Refuse any dependsOn cycle among app and the sidecars (ECS would start none of them)."""
    sidecars: dict[str, SidecarSpec] = spec.sidecars
    waits = {MAIN_CONTAINER: list(spec.depends_on)} | {n: list(s.depends_on) for n, s in sidecars.items()}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycle = path[path.index(name) :]
            first = cycle[0]
            where = (
                ("dependsOn", cycle[1])
                if first == MAIN_CONTAINER
                else ("sidecars", first, "dependsOn", cycle[1])
            )
            if len(cycle) == 2:
                raise _PathError(
                    where, f"{first} and {cycle[1]} wait for each other: ECS would start neither"
                )
            loop = " -> ".join([*cycle, first])
            raise _PathError(where, f"the containers wait in a cycle ({loop}): ECS would start none of them")
        if name in done:
            return
        for target in waits.get(name, ()):
            visit(target, [*path, name])
        done.add(name)

    for name in waits:
        visit(name, [])


def _check_target(spec: ServiceSpec, sidecars: dict[str, SidecarSpec]) -> None:
    target = spec.target_container
    if target is None or target == MAIN_CONTAINER:
        return
    if spec.kind != "web":
        raise _PathError(("targetContainer",), "only a web service has load-balancer traffic to direct")
    if target not in sidecars:
        known = ", ".join([MAIN_CONTAINER, *sidecars])
        raise _PathError(("targetContainer",), f"'{target}' is not a container of the task; known: {known}")
    if sidecars[target].port is None:
        raise _PathError(
            ("targetContainer",), f"sidecar {target} has no port for the load balancer to send to"
        )
