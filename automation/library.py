"""Drive muon from Python: preview, up, destroy, refresh and outputs of a stack (Pulumi Automation API).

For portals, chat bots and schedulers::

    from muon.automation import Muon

    muon = Muon("path/to/team-repo")               # a str or a Path; the `pulumi` on PATH
    result = muon.up("dev", config={"images": {"banana": "repo@sha256:…"}}, on_output=print)
    print(result.summary, result.changes, result.outputs["services"])

The stack's config is passed as Python data with the keys of ``Pulumi.<stack>.yaml`` (without the
``muon:`` prefix) and checked against the definition with the same rules as the program, before
any stack is created, selected or changed. Only ``up`` (and ``migrate``, part of an update) creates a
stack that does not exist — with the project's secrets provider, never Pulumi's default passphrase
one; every other operation refuses an unknown stack, naming the ones that exist. Errors a caller can
act on are distinct exceptions (automation/errors.py).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeAlias

from pulumi import automation as auto
from pulumi.automation.events import EngineEvent

from muon.automation.errors import (
    InvalidConfigError,
    OperationFailedError,
    PulumiNotInstalledError,
    StackLockedError,
    UnknownStackError,
)
from muon.automation.stack_files import mutable_images, secrets_provider, stack_file
from muon.components.buildspecs import FALLBACK_TO_STATE
from muon.deploy.migrate import Migration, run_migration
from muon.plan.prices import prices_for
from muon.stacks.definition.loader import load_definition
from muon.stacks.definition.settings import (
    StackSettings,
    check_selection,
    organization_only,
    settings_from_config,
)
from muon.stacks.definition.stack_config import NAMESPACE, read_stack_file
from muon.stacks.errors import MuonError

INSTALL_HINT = (
    "install it with `curl -fsSL https://get.pulumi.com | sh` (https://www.pulumi.com/docs/install/)"
)

Operation = Literal["preview", "up", "destroy", "refresh"]
OnOutput: TypeAlias = Callable[[str], None]
"""Receives each line Pulumi prints (``on_output``: standard output, ``on_error``: standard error)."""
OnEvent: TypeAlias = Callable[[EngineEvent], None]
"""Receives each structured engine event (``pulumi.automation.events.EngineEvent``) as it happens."""
PathLike: TypeAlias = str | os.PathLike[str]


@dataclass(frozen=True)
class OperationResult:
    """What an operation did, as plain data (``dataclasses.asdict`` gives JSON-ready values)."""

    stack: str
    operation: Operation
    summary: str
    """``succeeded`` / ``failed`` for up, destroy and refresh; ``previewed`` for preview."""
    changes: dict[str, int]
    """Resources by operation: ``{"create": 3, "same": 40, ...}``."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """Stack outputs, secrets masked (``[secret]``) unless ``show_secrets``."""
    seconds: float = 0.0


def to_config(settings: Mapping[str, Any]) -> dict[str, str]:
    """Python data → Pulumi's flat string config (``{"muon:environments": '["dev"]'}``)."""
    flat = {}
    for key, value in settings.items():
        full = key if ":" in key else f"{NAMESPACE}:{key}"
        flat[full] = value if isinstance(value, str) else json.dumps(value)
    return flat


class Muon:
    """A muon project's program, run through a Pulumi ``LocalWorkspace`` in its folder."""

    def __init__(
        self,
        project_dir: PathLike | None = None,
        *,
        pulumi_root: PathLike | None = None,
        env: Mapping[str, str] | None = None,
        allow_mutable_images: bool = False,
    ) -> None:
        """``project_dir``: the project's folder (its ``Pulumi.yaml``), a ``str`` or any path-like;
        default: the working directory. ``pulumi_root``: a folder with ``bin/pulumi`` (default: the
        ``pulumi`` on PATH). ``env``: variables for every Pulumi command (credentials, backend).
        ``allow_mutable_images``: accept ``images`` given by tag instead of by digest (refused by
        default: promotion is by digest)."""
        self.project_dir = Path(project_dir if project_dir is not None else Path.cwd()).resolve()
        self.pulumi_root = Path(pulumi_root) if pulumi_root is not None else None
        self.env = dict(env or {})
        self.allow_mutable_images = allow_mutable_images

    # -- checks -------------------------------------------------------------------------------

    def validate(self, stack: str, config: Mapping[str, Any]) -> StackSettings:
        """The program's own checks on ``config`` over the stack file's; returns the stack's settings.

        ``config`` may be partial (``{"images": {...}}``): it is checked as it will apply, on top of
        what ``Pulumi.<stack>.yaml`` already sets. Raises StackFileNotFoundError without that file,
        InvalidConfigError naming the key and what is expected.
        """
        source = f"config of stack '{stack}'"
        stack_file(self.project_dir, stack)
        try:
            flat = {**read_stack_file(self.project_dir, stack), **to_config(config)}
            settings = settings_from_config(flat, source)
            if not self.allow_mutable_images:  # a well-formed reference, by tag
                mutable_images(dict(config), stack)
            if not organization_only(settings):
                definition = load_definition(
                    self.project_dir / settings.definition, shown=settings.definition
                )
                check_selection(settings, definition, source, settings.definition)
            # Then the program itself, offline: every check `pulumi up` makes before it declares
            # anything (sizes, names, placeholders, priorities, stages, the organization file…).
            from muon.plan.command import render_stack

            render_stack(stack, self.project_dir, flat)
        except MuonError as error:
            raise InvalidConfigError(str(error)) from None
        return settings

    def estimate(self, stack: str, config: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The stack's monthly cost, offline (no CLI, no credentials): the ``cost`` object of
        ``muon plan --cost --json`` — USD per month per line and environment, with the usage each
        line assumes. ``config`` applies over the stack file, as in :meth:`validate`; a region
        without prices raises InvalidConfigError naming the regions that have them."""
        from muon.plan.command import cost_estimate, render_stack

        stack_file(self.project_dir, stack)
        try:
            flat = {**read_stack_file(self.project_dir, stack), **to_config(config or {})}
            prices_for(flat.get("aws:region", "us-east-1"))  # refused before rendering
            rendering = render_stack(stack, self.project_dir, flat)
            return cost_estimate(stack, rendering, self.project_dir, flat).document()
        except MuonError as error:
            raise InvalidConfigError(str(error)) from None

    def secrets_provider(self, stack: str) -> str | None:
        """The secrets provider :meth:`up` creates ``stack`` with when it does not exist: the one its
        stack file names, else its ``muon:secretsProvider``, else the delivery stack's (the pipeline's);
        None for a Pulumi Cloud project. MuonError when none is configured."""
        return secrets_provider(self.project_dir, stack)

    # -- the workspace ------------------------------------------------------------------------

    def _command(self) -> auto.PulumiCommand:
        if self.pulumi_root is not None:
            binary = self.pulumi_root / "bin" / "pulumi"
            if not binary.exists():
                raise PulumiNotInstalledError(f"no Pulumi CLI at {binary}; {INSTALL_HINT}")
            root: str | None = str(self.pulumi_root)
        else:
            if shutil.which("pulumi") is None:
                raise PulumiNotInstalledError(f"the Pulumi CLI is not on PATH; {INSTALL_HINT}")
            root = None
        try:
            return auto.PulumiCommand(root=root)
        except (OSError, ValueError) as error:
            raise PulumiNotInstalledError(f"the Pulumi CLI cannot run ({error}); {INSTALL_HINT}") from None

    def _options(self, provider: str | None = None) -> auto.LocalWorkspaceOptions:
        # A stack file without `secretsprovider:` keeps the provider its state records instead of
        # asking for a passphrase, as in the pipeline's deploy step (components/buildspecs.py).
        env = {FALLBACK_TO_STATE: "true", **self.env}
        return auto.LocalWorkspaceOptions(
            pulumi_command=self._command(), env_vars=env, secrets_provider=provider
        )

    def _stack(self, stack: str, config: Mapping[str, Any] | None, *, create: bool = False) -> auto.Stack:
        """Select ``stack`` (after checking ``config``); create it only when ``create``."""
        stack_file(self.project_dir, stack)
        if config is not None:
            self.validate(stack, config)  # before any stack is touched
        work_dir = str(self.project_dir)
        options = self._options()
        try:
            workspace_stack = _guard(
                lambda: auto.select_stack(stack_name=stack, work_dir=work_dir, opts=options), stack
            )
        except UnknownStackError:
            if not create:
                raise UnknownStackError(self._unknown(stack, options)) from None
            created = self._options(secrets_provider(self.project_dir, stack))
            workspace_stack = _guard(
                lambda: auto.create_stack(stack_name=stack, work_dir=work_dir, opts=created), stack
            )
        if config is not None:
            values = {key: auto.ConfigValue(value=value) for key, value in to_config(config).items()}
            _guard(lambda: workspace_stack.set_all_config(values), stack)
        return workspace_stack

    def _unknown(self, stack: str, options: auto.LocalWorkspaceOptions) -> str:
        workspace = auto.LocalWorkspace(
            work_dir=str(self.project_dir), pulumi_command=options.pulumi_command, env_vars=options.env_vars
        )
        known = sorted(summary.name for summary in _guard(workspace.list_stacks, stack))
        return (
            f"no stack '{stack}' in this project's backend; its stacks: {', '.join(known) or '(none)'} "
            f"(`up` creates it; the offline plan needs none: muon plan {stack})"
        )

    # -- operations ---------------------------------------------------------------------------

    def preview(
        self,
        stack: str,
        config: Mapping[str, Any] | None = None,
        *,
        on_output: OnOutput | None = None,
        on_event: OnEvent | None = None,
        on_error: OnOutput | None = None,
    ) -> OperationResult:
        """What ``up`` would change on an existing ``stack`` (Pulumi's preview needs the stack: an
        unknown one raises UnknownStackError; ``muon plan`` previews offline without one).
        ``config``, if given, is checked and set first, as in :meth:`up`."""
        return self._run(stack, "preview", config, on_output, on_event, on_error)

    def up(
        self,
        stack: str,
        config: Mapping[str, Any] | None = None,
        *,
        on_output: OnOutput | None = None,
        on_event: OnEvent | None = None,
        on_error: OnOutput | None = None,
    ) -> OperationResult:
        """Deploy ``stack``: check ``config`` (partial, over the stack file), set it, ``pulumi up``.

        A stack that does not exist yet is created with the project's secrets provider
        (:meth:`secrets_provider`), never Pulumi's default. Streams Pulumi's lines to ``on_output``
        (``on_error``: its standard error) and its engine events to ``on_event``."""
        return self._run(stack, "up", config, on_output, on_event, on_error, create=True)

    def destroy(
        self,
        stack: str,
        config: Mapping[str, Any] | None = None,
        *,
        on_output: OnOutput | None = None,
        on_event: OnEvent | None = None,
        on_error: OnOutput | None = None,
    ) -> OperationResult:
        """Delete every resource of an existing ``stack`` (protected resources stop it)."""
        return self._run(stack, "destroy", config, on_output, on_event, on_error)

    def refresh(
        self,
        stack: str,
        config: Mapping[str, Any] | None = None,
        *,
        on_output: OnOutput | None = None,
        on_event: OnEvent | None = None,
        on_error: OnOutput | None = None,
    ) -> OperationResult:
        """Read the real state of an existing ``stack``'s resources into Pulumi's state."""
        return self._run(stack, "refresh", config, on_output, on_event, on_error)

    def outputs(self, stack: str, *, show_secrets: bool = False) -> dict[str, Any]:
        """The outputs of an existing ``stack`` (``pulumi stack output``), secrets masked as
        ``[secret]`` unless ``show_secrets``. Never creates a stack: an unknown one raises
        UnknownStackError naming the stacks that exist."""
        workspace_stack = self._stack(stack, None)
        return _plain_outputs(_guard(workspace_stack.outputs, stack), show_secrets)

    def migrations(self, stack: str) -> list[Migration]:
        """The migrations (``pipeline.stages[].migrate``) of the environments ``stack`` deploys."""
        stack_file(self.project_dir, stack)
        settings = settings_from_config(read_stack_file(self.project_dir, stack), f"Pulumi.{stack}.yaml")
        definition = load_definition(self.project_dir / settings.definition, shown=settings.definition)
        stages = definition.pipeline.stages if definition.pipeline else []
        return [
            Migration(stage.environment, stage.migrate.service, tuple(stage.migrate.command))
            for stage in stages
            if stage.migrate is not None and stage.environment in settings.environments
        ]

    def migrate(
        self,
        stack: str,
        config: Mapping[str, Any] | None = None,
        *,
        ecs: Any,
        logs: Any,
        on_output: OnOutput = print,
    ) -> list[Migration]:
        """Run the stack's migrations as the pipeline does before its full update: each service's
        new task definition alone (``up --target <its URN>``), then the command as a task of it.
        ``ecs`` and ``logs``: boto3 clients in the stack's region. Raises MigrationError when one
        exits non-zero; then nothing else is updated."""
        migrations = self.migrations(stack)
        if not migrations:
            return []
        workspace_stack = self._stack(stack, config, create=True)

        def export_state() -> dict[str, Any]:
            return {"deployment": _guard(workspace_stack.export_stack, stack).deployment}

        def up_target(urn: str) -> None:
            _guard(lambda: workspace_stack.up(target=[urn], on_output=on_output), stack)

        for migration in migrations:
            run_migration(
                migration,
                export_state=export_state,
                up_target=up_target,
                ecs=ecs,
                logs=logs,
                on_line=on_output,
            )
        return migrations

    def _run(
        self,
        stack: str,
        operation: Operation,
        config: Mapping[str, Any] | None,
        on_output: OnOutput | None,
        on_event: OnEvent | None,
        on_error: OnOutput | None,
        *,
        create: bool = False,
    ) -> OperationResult:
        workspace_stack = self._stack(stack, config, create=create)
        callbacks = {"on_output": on_output, "on_event": on_event, "on_error": on_error}
        started = time.monotonic()
        method: Callable[..., Any] = getattr(workspace_stack, operation)
        result = _guard(lambda: method(**{k: v for k, v in callbacks.items() if v is not None}), stack)
        seconds = time.monotonic() - started
        if operation == "preview":
            return OperationResult(
                stack, operation, "previewed", _changes(result.change_summary), seconds=seconds
            )
        summary = result.summary
        outputs = _plain_outputs(getattr(result, "outputs", None) or {}, show_secrets=False)
        return OperationResult(
            stack, operation, str(summary.result), _changes(summary.resource_changes), outputs, seconds
        )


def _changes(changes: dict[Any, int] | None) -> dict[str, int]:
    return {str(getattr(kind, "value", kind)): int(count) for kind, count in (changes or {}).items()}


def _plain_outputs(outputs: dict[str, Any], show_secrets: bool) -> dict[str, Any]:
    return {
        key: ("[secret]" if value.secret and not show_secrets else value.value)
        for key, value in outputs.items()
    }


def _guard(call: Callable[[], Any], stack: str) -> Any:
    """Map the Automation API's errors to the ones a caller can act on."""
    try:
        return call()
    except auto.StackNotFoundError:
        raise UnknownStackError(f"no stack '{stack}' in this project's backend") from None
    except auto.ConcurrentUpdateError as error:
        raise StackLockedError(
            f"stack '{stack}' is locked by another update; wait for it to finish. If it died: "
            f"`pulumi cancel -s {stack}` (Pulumi Cloud), or delete its lock under .pulumi/locks/ "
            "in the state bucket (self-managed backend)"
        ) from error
    except auto.CommandError as error:
        # The error carries the CLI's result as text: " code: N\n stdout: ...\n stderr: ...".
        output = str(error)
        _, _, stderr = output.partition("stderr:")
        lines = [line.strip() for line in (stderr or output).splitlines() if line.strip()]
        raise OperationFailedError(
            f"pulumi failed on stack '{stack}': {lines[-1] if lines else 'no output'}", output
        ) from error
    except FileNotFoundError as error:
        raise PulumiNotInstalledError(
            f"the Pulumi CLI is missing ({error.filename}); {INSTALL_HINT}"
        ) from None
