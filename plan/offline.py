"""Running the real program with no AWS account and no Pulumi CLI: Pulumi mocks.

``render()`` runs a program function under :func:`pulumi.runtime.set_mocks` and returns every
resource it registered — type, name, parent, inputs (with secrets masked), and the resource
options mocks cannot otherwise see (``protect``, ``ignore_changes``, dependencies). The offline
plan, the benchmark and the tests all use it.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.stack import Stack, run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from muon.plan.mocks import MuonMocks

SECRET_MASK = "[secret]"
_active_mocks: MuonMocks | None = None


def active_mocks() -> MuonMocks | None:
    """The mocks of the render in progress: code that calls AWS itself (not through the provider)
    asks them instead, offline."""
    return _active_mocks


_EMPTY_STACK_TRACE = pulumi_resource.source_pb2.StackTrace()
_SIG_KEY = "4dabf18193072939515e22adb298388d"  # pulumi.runtime.rpc._special_sig_key
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # pulumi.runtime.rpc._special_secret_sig
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"  # pulumi.runtime.rpc._special_resource_sig


@dataclass(frozen=True)
class RenderedResource:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    inputs: dict[str, Any]
    """Inputs as the provider would receive them (camelCase keys), secrets in clear."""
    masked_inputs: dict[str, Any]
    """The same with every secret value replaced by ``[secret]``: safe to print or write."""
    protect: bool
    ignore_changes: tuple[str, ...]
    dependencies: tuple[str, ...]
    additional_secret_outputs: tuple[str, ...]
    retain_on_delete: bool
    delete_before_replace: bool
    aliases: int
    moved_from: tuple[str, ...] = ()
    """The URNs its ``aliases`` name: a resource of an earlier deployment under one of them is
    this one, moved (updated in place, not deleted and created)."""
    import_id: str = ""
    """The ``import_`` option: an existing cloud resource Pulumi adopts instead of creating."""
    provider: str = ""
    """The explicit provider's reference (``<urn>::<id>``); empty: the stack's default provider."""
    state: dict[str, Any] = field(default_factory=dict)
    """What the mocks answered: the resource's outputs (``arn``, ``id`` ...) in this render."""
    alias_specs: tuple[dict[str, Any], ...] = ()
    """The ``aliases`` option as the SDK sent it: ``{"urn": ...}`` or ``{"spec": {"name", "type",
    "parentUrn" | "noParent", ...}}`` (what the engine resolves against the last deployment)."""
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Input → the resources whose outputs it was made from (what a replacement of one changes)."""

    def json(self, key: str) -> Any:
        """Decode an input that carries a JSON document (policies, container definitions)."""
        return json.loads(self.inputs[key])


@dataclass
class Rendering:
    resources: list[RenderedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """What the program warned about (``pulumi.log.warn``)."""
    notes: list[str] = field(default_factory=list)
    """What it said for information (``pulumi.log.info``): the renames it deploys."""

    def of_type(self, type_token: str) -> list[RenderedResource]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str, name: str | None = None) -> RenderedResource:
        found = [r for r in self.of_type(type_token) if name is None or r.name == name]
        if len(found) != 1:
            names = [r.name for r in self.of_type(type_token)]
            raise LookupError(f"expected one {type_token} named {name!r}, found {len(found)} among {names}")
        return found[0]

    def by_urn(self) -> dict[str, RenderedResource]:
        return {r.urn: r for r in self.resources}

    def descendants(self, urn: str) -> list[RenderedResource]:
        children: dict[str, list[RenderedResource]] = {}
        for r in self.resources:
            children.setdefault(r.parent, []).append(r)
        found, queue = [], [urn]
        while queue:
            for r in children.get(queue.pop(), []):
                found.append(r)
                queue.append(r.urn)
        return found

    def requirements(self, urn: str) -> set[str]:
        """Every custom resource ``urn`` waits for before the engine creates it: its dependencies,
        theirs, and so on, a dependency on a component standing for all the resources under it."""
        by_urn = self.by_urn()
        seen: set[str] = set()
        queue = list(by_urn[urn].dependencies)
        while queue:
            current = queue.pop()
            if current in seen or current not in by_urn:
                continue
            seen.add(current)
            resource = by_urn[current]
            queue.extend(resource.dependencies)
            if not resource.custom:
                queue.extend(r.urn for r in self.descendants(current))
        return {u for u in seen if by_urn[u].custom}

    @property
    def custom_resources(self) -> list[RenderedResource]:
        return [r for r in self.resources if r.custom]


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A MockMonitor that also keeps every registration request: options, parent, secrets."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.requests: list[Any] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        self.requests.append(request)
        return super().RegisterResource(request)


def _plain(value: Any, *, reveal: bool) -> Any:
    """Plain data from a serialised property struct: references become their id, and secrets
    become ``[secret]`` or, with ``reveal``, their clear value (for assertions)."""
    if isinstance(value, dict):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            return _plain(value.get("value"), reveal=reveal) if reveal else SECRET_MASK
        if value.get(_SIG_KEY) == _RESOURCE_SIG:
            return value.get("id") or value.get("urn")
        return {k: _plain(v, reveal=reveal) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, reveal=reveal) for v in value]
    return _number(value)


def _number(value: Any) -> Any:
    """Property structs carry every number as a double; whole numbers read back as ints."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _record(monitor: RecordingMonitor) -> list[RenderedResource]:
    resources = []
    for request in monitor.requests:
        if request.type == "pulumi:pulumi:Stack":
            continue
        raw = json_format.MessageToDict(request.object) if request.HasField("object") else {}
        urn = monitor.make_urn(request.parent, request.type, request.name)
        registered = monitor.resources.get(urn)
        resources.append(
            RenderedResource(
                urn=urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=bool(request.custom),
                inputs=_plain(raw, reveal=True),
                masked_inputs=_plain(raw, reveal=False),
                protect=bool(request.protect),
                ignore_changes=tuple(request.ignoreChanges),
                dependencies=tuple(sorted(request.dependencies)),  # the SDK gathers them from a set
                additional_secret_outputs=tuple(request.additionalSecretOutputs),
                retain_on_delete=bool(request.retainOnDelete),
                delete_before_replace=bool(request.deleteBeforeReplace),
                aliases=len(request.aliases) + len(request.aliasURNs),
                moved_from=_alias_urns(monitor, request),
                import_id=request.importId,
                provider=request.provider,
                state={"id": registered.id, **registered.state} if registered else {},
                alias_specs=tuple(json_format.MessageToDict(alias) for alias in request.aliases)
                + tuple({"urn": urn} for urn in request.aliasURNs),
                property_dependencies={
                    key: tuple(sorted(deps.urns))
                    for key, deps in sorted(request.propertyDependencies.items())
                    if deps.urns
                },
            )
        )
    # Registration order depends on the event loop; sort so that every render reads the same.
    return sorted(resources, key=lambda r: r.urn)


def _alias_urns(monitor: RecordingMonitor, request: Any) -> tuple[str, ...]:
    """The URNs a registration's aliases stand for, as the engine resolves them: an alias spec
    leaves out what did not change (name, type, parent), which is then the resource's own."""
    urns = list(request.aliasURNs)
    for alias in request.aliases:
        if alias.HasField("spec"):
            spec = alias.spec
            parent = "" if spec.noParent else (spec.parentUrn or request.parent)
            urns.append(monitor.make_urn(parent, spec.type or request.type, spec.name or request.name))
        else:
            urns.append(alias.urn)
    return tuple(sorted(set(urns)))


def render(
    program: Callable[[], None],
    *,
    config: dict[str, str],
    stack: str,
    project: str = "muon",
    mocks: MuonMocks | None = None,
) -> Rendering:
    """Run ``program`` under mocks with ``config`` and return what it registered and exported.

    Each call starts from a fresh root stack, so several renders can share one process.
    """
    mocks = mocks or MuonMocks(region=config.get("aws:region", "us-east-1"))
    monitor = RecordingMonitor(mocks)
    logger = logging.getLogger(f"muon.offline.{stack}")
    logger.propagate = False
    collector, notes = _WarningCollector(), _NoteCollector()
    logger.setLevel(logging.INFO)
    logger.handlers = [collector, notes]
    pulumi_settings.ROOT.set(None)  # set_root_resource(None), which its annotation does not admit
    pulumi.runtime.set_mocks(
        mocks, project=project, stack=stack, preview=False, monitor=monitor, logger=logger
    )
    pulumi.runtime.set_all_config(config)
    global _active_mocks
    _active_mocks = mocks
    stack_trace = pulumi_resource._get_stack_trace
    pulumi_resource._get_stack_trace = _no_stack_trace
    try:
        _sync_await(run_pulumi_func(program))
    finally:
        _active_mocks = None
        _settle()
        pulumi_resource._get_stack_trace = stack_trace
    root = pulumi_settings.get_root_resource()
    exported: dict[str, Any] = {}
    for key, value in (root.outputs if isinstance(root, Stack) else {}).items():
        exported[key] = _sync_await(_resolve(value))
    warnings = collector.messages
    return Rendering(resources=_record(monitor), outputs=exported, warnings=warnings, notes=notes.messages)


def _no_stack_trace() -> Any:
    """What the SDK sends the engine for each registration's source position: the mocks read
    none of it (nor does a rendering), and walking the stack for it with ``traceback`` (a path to
    a URI for every frame) took a sixth to a quarter of a render's time."""
    return _EMPTY_STACK_TRACE


def _settle() -> None:
    """Finish what a failed program left running: no pending task is garbage-collected later, at
    the interpreter's exit, where asyncio would print a trace after muon's one-line message."""
    loop = asyncio.get_event_loop()
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def close_event_loop() -> None:
    """For processes that render and exit (the plan command): close the loop before the exit."""
    loop = asyncio.get_event_loop()
    if not loop.is_closed():
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
    # The SDK opens more loops of its own (on worker threads, and when it replaces the current
    # one); left to the interpreter's exit, their finalisers run after their sockets are gone and
    # print a traceback. Close every one now, while this process still owns them.
    for other in gc.get_objects():
        if isinstance(other, asyncio.AbstractEventLoop) and not other.is_closed() and not other.is_running():
            other.close()


class _WarningCollector(logging.Handler):
    """Keeps what the program said with ``pulumi.log.warn`` (the engine would print it)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


async def _resolve(value: Any) -> Any:
    """Await every Output inside an exported value."""
    if isinstance(value, pulumi.Output):
        if await value.is_secret():
            return SECRET_MASK
        return await _resolve(await value.future())
    if isinstance(value, dict):
        return {k: await _resolve(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [await _resolve(v) for v in value]
    return value


class _NoteCollector(logging.Handler):
    """Keeps what the program said with ``pulumi.log.info`` (the engine prints it as info)."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno == logging.INFO:
            self.messages.append(record.getMessage())
