"""Local image builds (``services.<name>.build``): where the files are, and the tag they get.

The build context and Dockerfile are paths relative to the definition file. They are checked
before anything is declared, and the image tag is a digest of what the build reads, so an
unchanged source is neither rebuilt nor pushed again (the repository's tags are immutable).

What the build resource receives must not change between two checkouts of the same source: the
provider rebuilds on any changed input (pulumi-docker-build, provider/internal/image.go, ``Diff``:
``context.location``, ``dockerfile``, ``cacheFrom`` ...) and pushes the same tag again, which an
immutable repository refuses. So its locations are relative to the project folder (where Pulumi
runs the program and its providers, which resolve relative locations against their working
folder: provider/internal/context.go, ``filepath.Abs``), never absolute.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from muon.stacks.definition import BuildSpec, Definition
from muon.stacks.definition.types import DOCKER_PLATFORMS
from muon.stacks.errors import DefinitionError


@dataclass(frozen=True)
class BuildPlan:
    service: str
    context: Path
    dockerfile: Path
    target: str | None
    args: dict[str, str]
    platform: str = "linux/amd64"
    """``docker build --platform``: the service's (``DOCKER_PLATFORMS``)."""

    @property
    def tag(self) -> str:
        return "src-" + source_digest(self)[:16]

    def locations(self, project: Path) -> tuple[str, str]:
        """The context and the Dockerfile relative to ``project`` (POSIX): the same for every
        checkout of the repository, wherever it is."""
        root = project.resolve()
        return (
            Path(os.path.relpath(self.context, root)).as_posix(),
            Path(os.path.relpath(self.dockerfile, root)).as_posix(),
        )


def build_plans(definition: Definition, base_dir: Path, source: str) -> dict[str, BuildPlan]:
    """Every service's local build, checked: the context is a folder, the Dockerfile a file in it."""
    plans, problems = {}, []
    for name, service in definition.services.items():
        if service.build is None:
            continue
        plan, problem = _plan(name, service.build, base_dir, f"{source}: services.{name}.build")
        if plan is not None:
            plan = dataclasses.replace(plan, platform=DOCKER_PLATFORMS[service.platform])
        if problem:
            problems.append(problem)
        elif plan is not None:
            plans[name] = plan
    if problems:
        raise DefinitionError(problems)
    return plans


def _plan(name: str, spec: BuildSpec, base_dir: Path, where: str) -> tuple[BuildPlan | None, str | None]:
    context = (base_dir / spec.context).resolve()
    if not context.is_dir():
        return None, f"{where}.context: {spec.context} is not a folder (relative to {base_dir})"
    dockerfile = (base_dir / spec.dockerfile).resolve() if spec.dockerfile else context / "Dockerfile"
    shown = spec.dockerfile or f"{spec.context}/Dockerfile"
    if not dockerfile.is_relative_to(context):
        return None, (
            f"{where}.dockerfile: {shown} is outside the build context {spec.context}; "
            "Docker sends only the context to the builder"
        )
    if not dockerfile.is_file():
        return None, f"{where}.dockerfile: {shown} does not exist"
    return BuildPlan(name, context, dockerfile, spec.target, dict(spec.args)), None


def source_digest(plan: BuildPlan) -> str:
    """SHA-256 over the context's files (less ``.dockerignore``'s), the Dockerfile, target and args."""
    digest = hashlib.sha256()
    for key, value in sorted(plan.args.items()):
        digest.update(f"arg {key}={value}\n".encode())
    digest.update(f"target {plan.target or ''}\n".encode())
    if plan.platform != "linux/amd64":  # another architecture is another image (x86 tags unchanged)
        digest.update(f"platform {plan.platform}\n".encode())
    ignored = _ignore_patterns(plan.context)
    for path in _files(plan.context, ignored):
        digest.update(f"file {path.relative_to(plan.context).as_posix()}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    digest.update(plan.dockerfile.read_bytes())
    return digest.hexdigest()


def _ignore_patterns(context: Path) -> list[str]:
    """``.dockerignore`` lines (plain patterns; ``!`` exceptions are not honoured: they only make
    the digest cover more files, so a changed file still changes the tag)."""
    path = context / ".dockerignore"
    if not path.is_file():
        return [".git"]
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [".git", *(line.strip("/") for line in lines if line and not line.startswith(("#", "!")))]


def _files(context: Path, ignored: list[str]) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(context):
        relative = Path(folder).relative_to(context)
        dirs[:] = sorted(d for d in dirs if not _matches((relative / d).as_posix(), ignored))
        found += [Path(folder) / f for f in sorted(files) if not _matches((relative / f).as_posix(), ignored)]
    return found


def _matches(relative: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(relative, p) for p in patterns)
