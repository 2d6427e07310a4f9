"""Drive muon from Python: preview, up, destroy, refresh and outputs of a stack (Pulumi Automation API).

For portals, chat bots and schedulers::

    from muon.automation import Muon

    muon = Muon()                                  # this project, the `pulumi` on PATH
    result = muon.up("dev", config={"environments": ["dev"], "images": {"banana": "repo@sha256:…"}},
                     on_output=print)
    print(result.summary, result.changes, result.outputs["services"])

The stack's config is passed as Python data with the keys of ``Pulumi.<stack>.yaml`` (without the
``muon:`` prefix) and checked against the definition with the same rules as the program, before
any stack is created, selected or changed. Errors a caller can act on are distinct exceptions.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pulumi import automation as auto

from muon.deploy.migrate import Migration, run_migration
from muon.plan.prices import prices_for
from muon.stacks.definition.loader import load_definition
from muon.stacks.definition.settings import (
    NAMESPACE,
    StackSettings,
    check_selection,
    organization_only,
    read_stack_file,
    settings_from_config,
)
from muon.stacks.errors import MuonError

INSTALL_HINT = (
    "install it with `curl -fsSL https://get.pulumi.com | sh` (https://www.pulumi.com/docs/install/)"
)

Operation = Literal["preview", "up", "destroy", "refresh"]


class PulumiNotInstalledError(MuonError):
    """No Pulumi CLI where muon looked for it."""


class StackLockedError(MuonError):
    """Another update of the same stack is running (or died holding the lock)."""


class InvalidConfigError(MuonError):
    """The config does not fit the definition; the message names the key and what was expected."""


class OperationFailedError(MuonError):
    """Pulumi ran and failed; ``output`` holds what it printed."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.output = output


@dataclass(frozen=True)
class OperationResult:
    stack: str
    operation: Operation
    summary: str
    """``succeeded`` / ``failed`` for up, destroy and refresh; ``previewed`` for preview."""
    changes: dict[str, int]
    """Resources by operation: ``{"create": 3, "same": 40, ...}``."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """Stack outputs, secrets masked (``[secret]``) unless ``show_secrets``."""
    seconds: float = 0.0


def to_config(settings: dict[str, Any]) -> dict[str, str]:
    """Python data → Pulumi's flat string config (``{"muon:environments": '["dev"]'}``)."""
    flat = {}
    for key, value in settings.items():
        full = key if ":" in key else f"{NAMESPACE}:{key}"
        flat[full] = value if isinstance(value, str) else json.dumps(value)
    return flat


class Muon:
    """This project's program, run through a ``LocalWorkspace``."""

    def __init__(
        self,
        project_dir: Path | None = None,
        *,
        pulumi_root: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        """``pulumi_root``: a directory with ``bin/pulumi`` (default: the ``pulumi`` on PATH)."""
        self.project_dir = (project_dir or Path.cwd()).resolve()
        self.pulumi_root = pulumi_root
        self.env = dict(env or {})

    # -- checks -------------------------------------------------------------------------------

    def validate(self, stack: str, config: dict[str, Any]) -> StackSettings:
        """The program's own checks on ``config`` over the stack file's: raises InvalidConfigError.

        ``config`` may be partial (``{"images": {...}}``): it is checked as it will apply, on top of
        what ``Pulumi.<stack>.yaml`` already sets.
        """
        source = f"config of stack '{stack}'"
        try:
            stack_file = self.project_dir / f"Pulumi.{stack}.yaml"
            base = read_stack_file(self.project_dir, stack) if stack_file.exists() else {}
            flat = {**base, **to_config(config)}
            settings = settings_from_config(flat, source)
            if not organization_only(settings):
                definition = load_definition(self.project_dir / settings.definition)
                check_selection(settings, definition, source, settings.definition)
            # Then the program itself, offline: every check `pulumi up` makes before it declares
            # anything (sizes, names, placeholders, priorities, stages, the organization file…).
            from muon.plan.command import render_stack

            render_stack(stack, self.project_dir, flat)
        except MuonError as error:
            raise InvalidConfigError(str(error)) from None
        return settings

    def estimate(self, stack: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
        """The stack's monthly cost, offline (no CLI, no credentials): the ``cost`` object of
        ``muon plan --cost --json`` — USD per month per line and environment, with the usage each
        line assumes. ``config`` applies over the stack file, as in :meth:`validate`; a region
        without prices raises InvalidConfigError naming the regions that have them."""
        from muon.plan.command import cost_estimate, render_stack

        try:
            stack_file = self.project_dir / f"Pulumi.{stack}.yaml"
            base = read_stack_file(self.project_dir, stack) if stack_file.exists() else {}
            flat = {**base, **to_config(config or {})}
            prices_for(flat.get("aws:region", "us-east-1"))  # refused before rendering
            rendering = render_stack(stack, self.project_dir, flat)
            return cost_estimate(stack, rendering, self.project_dir, flat).document()
        except MuonError as error:
            raise InvalidConfigError(str(error)) from None

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

    def _stack(self, stack: str, config: dict[str, Any] | None) -> auto.Stack:
        if config is not None:
            self.validate(stack, config)  # before any stack is touched
        command = self._command()
        options = auto.LocalWorkspaceOptions(pulumi_command=command, env_vars=self.env)
        workspace_stack = _guard(
            lambda: auto.create_or_select_stack(
                stack_name=stack, work_dir=str(self.project_dir), opts=options
            ),
            stack,
        )
        if config is not None:
            values = {key: auto.ConfigValue(value=value) for key, value in to_config(config).items()}
            _guard(lambda: workspace_stack.set_all_config(values), stack)
        return workspace_stack

    # -- operations ---------------------------------------------------------------------------

    def preview(self, stack: str, config: dict[str, Any] | None = None, **callbacks: Any) -> OperationResult:
        return self._run(stack, "preview", config, callbacks)

    def up(self, stack: str, config: dict[str, Any] | None = None, **callbacks: Any) -> OperationResult:
        return self._run(stack, "up", config, callbacks)

    def migrations(self, stack: str) -> list[Migration]:
        """The migrations (``pipeline.stages[].migrate``) of the environments ``stack`` deploys."""
        settings = settings_from_config(read_stack_file(self.project_dir, stack), f"Pulumi.{stack}.yaml")
        definition = load_definition(self.project_dir / settings.definition)
        stages = definition.pipeline.stages if definition.pipeline else []
        return [
            Migration(stage.environment, stage.migrate.service, tuple(stage.migrate.command))
            for stage in stages
            if stage.migrate is not None and stage.environment in settings.environments
        ]

    def migrate(
        self,
        stack: str,
        config: dict[str, Any] | None = None,
        *,
        ecs: Any,
        logs: Any,
        on_output: Callable[[str], None] = print,
    ) -> list[Migration]:
        """Run the stack's migrations as the pipeline does before its full update: each service's
        new task definition alone (``up --target <its URN>``), then the command as a task of it.
        Raises MigrationError when one exits non-zero; then nothing else is updated."""
        migrations = self.migrations(stack)
        if not migrations:
            return []
        workspace_stack = self._stack(stack, config)

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

    def destroy(self, stack: str, config: dict[str, Any] | None = None, **callbacks: Any) -> OperationResult:
        return self._run(stack, "destroy", config, callbacks)

    def refresh(self, stack: str, config: dict[str, Any] | None = None, **callbacks: Any) -> OperationResult:
        return self._run(stack, "refresh", config, callbacks)

    def outputs(self, stack: str, *, show_secrets: bool = False) -> dict[str, Any]:
        workspace_stack = self._stack(stack, None)
        return _plain_outputs(_guard(workspace_stack.outputs, stack), show_secrets)

    def _run(
        self, stack: str, operation: Operation, config: dict[str, Any] | None, callbacks: dict[str, Any]
    ) -> OperationResult:
        allowed = {"on_output", "on_event", "on_error"}
        unknown = set(callbacks) - allowed
        if unknown:
            raise TypeError(f"unknown arguments {sorted(unknown)}; callbacks are {sorted(allowed)}")
        workspace_stack = self._stack(stack, config)
        started = time.monotonic()
        method: Callable[..., Any] = getattr(workspace_stack, operation)
        result = _guard(lambda: method(**callbacks), stack)
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
