"""The "before" of ``muon plan STACK --diff REF``: the stack rendered from the project as it was at
a git ref, or a plan saved with ``--json``. No credentials: both are offline renders.

At a git ref, the whole project tree at that ref is exported into a temporary folder (``git
archive``) and rendered there: the definition, the stack file, and every file they name by a
relative path (an image build's context, a site's folder, a function's source) are the ref's.
Inputs that carry the project's absolute path then carry the temporary one; they are read back as
the working tree's, so that only the ref's content differs.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from muon.plan.diff import Resource, resources_of, resources_of_document
from muon.stacks.errors import MuonError


def before(reference: str, stack: str, project_dir: Path) -> tuple[list[Resource], str]:
    """The resources of ``stack`` at ``reference`` (a git ref, or a ``--json`` plan file), and how
    to name that side in the report."""
    path = Path(reference)
    if path.suffix == ".json" and path.is_file():
        return _from_plan_file(path, stack), str(path)
    return _from_git(reference, stack, project_dir), reference


def _from_plan_file(path: Path, stack: str) -> list[Resource]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MuonError(f"--diff {path}: not a plan file written by --json ({error})") from error
    if not isinstance(document, dict) or not isinstance(document.get("resources"), list):
        raise MuonError(f"--diff {path}: not a plan file written by --json (no 'resources' list)")
    if document.get("stack") not in (None, stack):
        raise MuonError(f"--diff {path}: a plan of stack '{document['stack']}', not '{stack}'")
    return resources_of_document(document)


def _git(project_dir: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=project_dir, capture_output=True, check=False)
    except FileNotFoundError as error:
        raise MuonError("--diff REF needs git on the PATH (or give a plan file written by --json)") from error
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise MuonError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
    return done.stdout


def _from_git(reference: str, stack: str, project_dir: Path) -> list[Resource]:
    from muon.plan.command import render_stack  # late: it loads the program

    _git(project_dir, "rev-parse", "--verify", "--quiet", f"{reference}^{{commit}}")
    top = Path(_git(project_dir, "rev-parse", "--show-toplevel").decode().strip())
    inside = project_dir.resolve().relative_to(top.resolve())
    archive = _git(
        project_dir, "archive", "--format=tar", reference, "--", str(inside) if str(inside) != "." else "."
    )
    with tempfile.TemporaryDirectory(prefix="muon-diff-") as folder:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        then = Path(folder) / inside
        if not (then / f"Pulumi.{stack}.yaml").is_file():
            return []  # the stack is new since the ref: everything is created
        rendering = render_stack(stack, then)
        return [
            _relocated(r, str(then.resolve()), str(project_dir.resolve())) for r in resources_of(rendering)
        ]


def _relocated(resource: Resource, then: str, now: str) -> Resource:
    def move(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(then, now)
        if isinstance(value, dict):
            return {k: move(v) for k, v in value.items()}
        if isinstance(value, list):
            return [move(v) for v in value]
        return value

    return Resource(
        **{**resource.__dict__, "inputs": move(resource.inputs), "computed": move(resource.computed)}
    )
