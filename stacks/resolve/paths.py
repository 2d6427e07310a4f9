"""Every path of the definition, on disk: it exists, it stays inside the project once symbolic
links are resolved, and it is what its key expects (a folder, a file); a function's handler
names a file and a function that exist in its source.

The path types (``stacks/definition/types.py``: ``PathRule``) say what each path must be and
what it is relative to: the definition's folder (local builds, function sources, sites) or the
repository's root (what the pipeline reads: buildspecs, its Docker builds). A path that leaves
the project works on one machine and nowhere else: the pipeline's checkout has only the project.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from muon.stacks.definition.types import PathRule
from muon.stacks.resolve.markers import marked, shown
from muon.stacks.resolve.scope import Scope


def _root(scope: Scope) -> Path:
    """What the definition's paths must stay in: the project (or, for a definition outside it,
    as the tests render them, the definition's own folder)."""
    project, folder = scope.project_dir.resolve(), scope.definition_dir.resolve()
    return project if folder.is_relative_to(project) else folder


def repository_root(scope: Scope) -> Path:
    """The repository's root: the project folder, less ``pipeline.projectDir``."""
    pipeline = scope.definition.pipeline
    depth = 0
    if pipeline is not None and posixpath.normpath(pipeline.project_dir) != ".":
        depth = len(posixpath.normpath(pipeline.project_dir).split("/"))
    root = _root(scope)
    for _ in range(depth):
        root = root.parent
    return root


def path_problem(base: Path, value: str, kind: str, root: Path, relative_to: str) -> str | None:
    target = base / value
    resolved = target.resolve()
    if not resolved.is_relative_to(root):
        return f"{value} leads outside the project (through '..' or a symbolic link); keep it inside"
    if not target.exists():
        return f"{value} does not exist ({relative_to})"
    if kind == "folder" and not resolved.is_dir():
        return f"{value} is a file; expected a folder"
    if kind == "file" and not resolved.is_file():
        return f"{value} is a folder; expected a file"
    return None


def paths_inside_project(scope: Scope) -> list[str]:
    """Each path of a part this stack uses: the environments' (builds, functions, sites) in an
    environment stack, the pipeline's in the pipeline stack."""
    problems = []
    for path, value, rule in marked(scope.definition, PathRule):
        if not (scope.pipeline if path[0] == "pipeline" else scope.environments):
            continue  # another stack's
        pipeline = scope.definition.pipeline
        if (
            path == ("pipeline", "build", "buildspec")
            and pipeline is not None
            and not pipeline.build.artifact
        ):
            continue  # no artifact build: its buildspec is never read
        if rule.base == "repository":
            base = root = repository_root(scope)
            relative_to = "relative to the repository's root"
        else:
            base, root = scope.definition_dir, _root(scope)
            relative_to = "relative to the definition's folder"
        problem = path_problem(base, value, rule.kind, root, relative_to)
        if problem:
            problems.append(f"{scope.source}: {shown(path)}: {problem}")
    return problems + _site_outputs(scope) + _extensions(scope)


def _site_outputs(scope: Scope) -> list[str]:
    """A site without a build publishes its output folder as it is: it must be there."""
    if not scope.environments:
        return []
    problems = []
    for name, site in scope.definition.sites.items():
        if site.build is not None or not (scope.definition_dir / site.source).is_dir():
            continue
        problem = path_problem(
            scope.definition_dir, site.output_folder(), "folder", _root(scope), "a site without a build"
        )
        if problem:
            problems.append(f"{scope.source}: sites.{name}.output: {problem}")
    return problems


def _extensions(scope: Scope) -> list[str]:
    """An extension module found in the project must be the project's own file, not a link out
    of it (one not found there is reported by the loader, which imports it)."""
    problems = []
    for index, module in enumerate(scope.definition.extensions):
        relative = module.replace(".", "/")
        for candidate in (f"{relative}.py", f"{relative}/__init__.py"):
            target = scope.project_dir / candidate
            if target.exists() and not target.resolve().is_relative_to(scope.project_dir.resolve()):
                problems.append(
                    f"{scope.source}: extensions[{index}]: {candidate} leads outside the project "
                    "(a symbolic link); the pipeline's checkout would not have it"
                )
    return problems


# -- handlers ---------------------------------------------------------------------------------------

PYTHON_DEFINITION = r"^(?:async\s+)?def\s+{name}\s*\(|^{name}\s*=|^from\s+\S+\s+import\s+.*\b{name}\b"
NODE_EXPORT = (
    r"exports\.{name}\s*=|export\s+(?:async\s+)?function\s*\*?\s*{name}\b|"
    r"export\s+(?:const|let|var)\s+{name}\b|export\s*\{{[^}}]*\b{name}\b|module\.exports\s*=\s*\{{[^}}]*\b{name}\b"
)
NODE_FILES = (".js", ".mjs", ".cjs")


def handler_problem(source: Path, runtime: str, handler: str) -> str | None:
    """Why Lambda would not find ``handler`` in ``source`` (python, node and ruby runtimes; the
    compiled runtimes' handlers name classes inside packages muon does not open), or None."""
    if runtime.startswith(("java", "dotnet", "provided")):
        return None
    module, dot, function = handler.rpartition(".")
    if not dot or not module or not function:
        return f"{handler}: expected <file>.<function>, such as app.handler"
    if runtime.startswith("python"):
        files = [f"{module.replace('.', '/')}.py"]
        expression = PYTHON_DEFINITION.format(name=re.escape(function))
    elif runtime.startswith("nodejs"):
        files = [f"{module}{suffix}" for suffix in NODE_FILES]
        expression = NODE_EXPORT.format(name=re.escape(function))
    else:  # ruby: file.method, or file.Module::Class.method
        files = [f"{module.split('::')[0].split('.')[0]}.rb"]
        expression = rf"^\s*def\s+(?:self\.)?{re.escape(function)}\b"
    found = next((source / f for f in files if (source / f).is_file()), None)
    if found is None:
        return f"{handler}: no {' or '.join(files)} in the function's source"
    text = found.read_text(encoding="utf-8", errors="replace")
    if not re.search(expression, text, re.MULTILINE):
        return f"{handler}: {found.relative_to(source).as_posix()} defines no {function}"
    return None


def function_handlers_exist(scope: Scope) -> list[str]:
    if not scope.environments:
        return []
    problems = []
    for name, spec in scope.definition.functions.items():
        if spec.source is None or spec.handler is None or spec.runtime is None:
            continue
        source = scope.definition_dir / spec.source
        if not source.is_dir():
            continue  # reported by paths_inside_project
        problem = handler_problem(source, spec.runtime, spec.handler)
        if problem:
            problems.append(f"{scope.source}: functions.{name}.handler: {problem}")
    return problems
