"""Where the day-2 commands find things: the stack's outputs, never hard-coded names."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from muon.cli.errors import NotFoundError, UsageError

SECTIONS = ("environments", "services", "databases", "jobs", "pipeline", "repositories", "organization")


def shape_problem(values: Any) -> str | None:
    """Why ``values`` is not the outputs of a muon stack, or None."""
    expected = "the JSON of `pulumi stack output --json` for a muon stack"
    if not isinstance(values, dict):
        return f"expected {expected} (an object), got {type(values).__name__}"
    if not set(values) & set(SECTIONS):
        found = ", ".join(sorted(values)) or "nothing"
        return f"expected {expected}, with one of: {', '.join(SECTIONS)}; found: {found}"
    for section in SECTIONS:
        if section in values and not isinstance(values[section], dict):
            return f"{section}: expected an object, got {type(values[section]).__name__}"
    for section in ("services", "databases", "jobs"):
        for environment, entries in (values.get(section) or {}).items():
            if not isinstance(entries, dict) or not all(isinstance(v, dict) for v in entries.values()):
                return f"{section}.{environment}: expected an object of {section} by name"
    return None


@dataclass
class StackOutputs:
    """The outputs of one stack (``pulumi stack output --json``), with lookups that explain misses."""

    stack: str
    values: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(
        cls, stack: str, outputs_file: Path | None, project: Callable[[], Path] | None = None
    ) -> StackOutputs:
        """``project``: the project folder, asked for only when no outputs file is given."""
        if outputs_file is not None:
            try:
                values = json.loads(outputs_file.read_text(encoding="utf-8"))
            except FileNotFoundError:
                raise UsageError(f"{outputs_file}: no such outputs file") from None
            except json.JSONDecodeError as error:
                raise UsageError(f"{outputs_file}: not JSON ({error.msg}, line {error.lineno})") from None
            problem = shape_problem(values)
            if problem:
                raise UsageError(f"{outputs_file}: {problem}")
            return cls(stack, values)
        from muon.automation import Muon  # the Automation API only when no file is given

        return cls(stack, Muon(project() if project else None).outputs(stack))

    def region(self) -> str | None:
        """The region named by the first regional ARN among the outputs."""
        found = re.search(r"arn:aws[a-z-]*:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d):", json.dumps(self.values))
        return found.group(1) if found else None

    def environments(self) -> dict[str, dict[str, Any]]:
        return self.values.get("environments") or {}

    def environment(self, name: str) -> dict[str, Any]:
        known = self.environments()
        if name not in known:
            listed = ", ".join(sorted(known)) or "(none)"
            raise NotFoundError(f"no environment '{name}' in stack '{self.stack}'; known: {listed}")
        return known[name]

    def _pick_environment(self, kind: str, by_env: dict[str, dict[str, Any]], environment: str | None) -> str:
        if environment is not None:
            if environment not in by_env:
                raise NotFoundError(
                    f"no {kind} in environment '{environment}' of stack '{self.stack}'; "
                    f"environments: {', '.join(sorted(by_env)) or '(none)'}"
                )
            return environment
        if len(by_env) == 1:
            return next(iter(by_env))
        raise UsageError(
            f"stack '{self.stack}' has several environments ({', '.join(sorted(by_env))}); give --env"
        )

    def _named(
        self, section: str, kind: str, name: str, environment: str | None
    ) -> tuple[str, dict[str, Any]]:
        by_env = self.values.get(section) or {}
        env = self._pick_environment(section, by_env, environment)
        entries = by_env[env]
        if name not in entries:
            listed = ", ".join(sorted(entries)) or "(none)"
            raise NotFoundError(f"no {kind} '{name}' in environment '{env}'; known: {listed}")
        return env, entries[name]

    def service(self, name: str, environment: str | None) -> tuple[str, dict[str, Any]]:
        return self._named("services", "service", name, environment)

    def database(self, service: str, environment: str | None) -> tuple[str, dict[str, Any]]:
        by_env = self.values.get("databases") or {}
        env = self._pick_environment("databases", by_env, environment)
        databases = by_env[env]
        if service not in databases:
            raise NotFoundError(
                f"service '{service}' has no database in environment '{env}'; services with one: "
                f"{', '.join(sorted(databases)) or '(none)'}"
            )
        return env, databases[service]

    def job(self, name: str, environment: str | None) -> tuple[str, dict[str, Any]]:
        if not self.values.get("jobs"):
            raise NotFoundError(f"stack '{self.stack}' has no scheduled jobs (jobs: in the definition)")
        return self._named("jobs", "job", name, environment)

    def pipeline(self) -> dict[str, Any]:
        pipeline = self.values.get("pipeline")
        if not pipeline:
            raise NotFoundError(
                f"stack '{self.stack}' deploys no pipeline (the stack with muon:pipeline: true does)"
            )
        return pipeline
