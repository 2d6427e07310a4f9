"""The README's walkthrough for a team coming from mu, in this process: ``muon import mu.yml``, then
``muon init``, then ``muon plan`` of every stack file init wrote — and the verdict on the mu file:
faithful (exit 0, nothing on stderr), lossy (every loss a line), silently lossy (a mu key neither
converted nor named), or fails (a step refused it). tests/test_mu_corpus.py runs it on its own mu
files; mu's own examples are measured with it too (see the module's docstring there)."""

from __future__ import annotations

import io
import os
import re
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from muon.importers.mu_table import MAPPING, generic
from tests.conftest import repository_files

MUON_SOURCE = "git+https://git.example.com/platform/muon.git@v1"
OPAQUE = {"templates", "extensions", "parameters", "catalog", "rbac", "tags", "region"}
"""mu keys whose content is CloudFormation, a catalog or a map of the file's own: one line (or one
conversion) covers the whole key."""


@dataclass
class Walk:
    import_code: int = 0
    losses: list[str] = field(default_factory=list)
    """The import's stderr lines, without the ``mu.yml: `` prefix."""
    notes: list[str] = field(default_factory=list)
    silent: list[str] = field(default_factory=list)
    """mu paths neither converted (a MAPPING key with a muon target) nor named on stderr."""
    failed: str = ""
    """The first step that refused, and its first line."""
    stacks: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.failed:
            return "fails"
        if self.silent:
            return "silently lossy"
        return "lossy" if self.losses or self.import_code else "faithful"


def muon(directory: Path, *args: str) -> tuple[int, str, str]:
    """``muon ARGS`` in ``directory`` through the command's entry point, in this process."""
    from muon.cli.main import entry

    out, err, previous = io.StringIO(), io.StringIO(), Path.cwd()
    os.chdir(directory)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                entry(list(args))
                code = 0
            except SystemExit as exited:
                code = int(exited.code or 0)
    finally:
        os.chdir(previous)
    return code, out.getvalue(), err.getvalue()


def plan(directory: Path, stack: str) -> tuple[int, str, str]:
    """``muon plan STACK --quiet`` (the same command) in this process; not standalone: the next
    render in this process needs the event loop a standalone plan closes."""
    from muon.plan.command import main

    out, err = io.StringIO(), io.StringIO()
    code = main([stack, "--quiet"], out, err, project_dir=directory, prog="muon plan")
    return code, out.getvalue(), err.getvalue()


def leaves(value: Any, path: str = "") -> list[str]:
    """Every mu path that holds a value (a list of plain values is one; nothing, or an empty
    mapping or list, holds none)."""
    if value is None or (isinstance(value, dict | list) and not value):
        return []
    if isinstance(value, dict) and path.split(".")[0].split("[")[0] not in OPAQUE:
        return [
            leaf for key, item in value.items() for leaf in leaves(item, f"{path}.{key}" if path else key)
        ]
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        return [leaf for i, item in enumerate(value) for leaf in leaves(item, f"{path}[{i}]")]
    return [path]


def converted(path: str) -> bool:
    """A MAPPING key with a muon target holds ``path`` (itself, or a key above it)."""
    key = generic(path)
    while key:
        for candidate in (key, key.removesuffix("[]")):
            if candidate in MAPPING:
                return bool(MAPPING[candidate][0])
        key = key.rpartition(".")[0]
    return False


def silent(data: dict[str, Any], losses: list[str]) -> list[str]:
    """The mu paths the import neither converted nor named."""
    named = [line.split(": ", 1)[0] for line in losses]

    def said(path: str) -> bool:
        return any(
            path == n or path.startswith((f"{n}.", f"{n}[")) or n.startswith(f"{path}.") for n in named
        )

    return [leaf for leaf in leaves(data) if not converted(leaf) and not said(leaf)]


def walk(directory: Path, text: str, *import_args: str) -> Walk:
    """The walkthrough in ``directory`` (a new, empty folder) for the mu file ``text``."""
    (directory / "mu.yml").write_text(text, encoding="utf-8")
    result = Walk()
    code, out, err = muon(directory, "import", "mu.yml", *import_args)
    result.import_code = code
    result.losses = [re.sub(r"^mu\.yml: ", "", line) for line in err.splitlines() if line.strip()]
    result.notes = [line.removeprefix("note: ") for line in out.splitlines() if line.startswith("note: ")]
    if code == 2:
        result.failed = f"import: {err.strip().splitlines()[0] if err.strip() else out.strip()}"
        return result
    from muon.importers.mu import _TolerantLoader

    result.silent = silent(yaml.load(text, Loader=_TolerantLoader) or {}, result.losses)
    # The region the import says the stacks belong in (mu's `region:`, a certificate's), as a team
    # following its lines gives it to init.
    regions = re.findall(r"`muon init --region ([a-z0-9-]+)`", "\n".join(result.losses + result.notes))
    code, out, err = muon(
        directory, "init", "--muon-source", MUON_SOURCE, *(["--region", regions[0]] if regions else [])
    )
    if code != 0:
        result.failed = f"init: {(err or out).strip().splitlines()[0]}"
        return result
    # The files a mu repository had for its pipeline (buildspec.yml, buildspec-test.yml, ...): the
    # converted pipeline names them, as mu's did.
    definition = (directory / "muon.yaml").read_text(encoding="utf-8")
    repository_files(directory, definition)
    for service in (yaml.safe_load(definition).get("services") or {}).values():  # and its Dockerfile
        if "build" in service:
            (directory / service["build"]["dockerfile"]).write_text("FROM scratch\n", encoding="utf-8")
    result.stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in directory.glob("Pulumi.*.yaml"))
    for stack in result.stacks:
        code, out, err = plan(directory, stack)
        if code != 0:
            result.failed = f"plan {stack}: {(err or out).strip().splitlines()[0]}"
            return result
    return result
