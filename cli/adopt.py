"""What `muon init` does to an existing repository's own files: the requirement that brings muon,
the lines ``.gitignore`` needs, where the repository's root is. It adds; it never overwrites.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from muon.cli.errors import UsageError
from muon.stacks.requirements import DISTRIBUTION, OTHER_PROJECT, read_requirements

ARCHIVES = (".whl", ".tar.gz", ".zip")
VCS = re.compile(r"^(git|hg|svn|bzr)\+https://")
IGNORED = (".venv/", "__pycache__/", "*.pyc", "*.plan.json")
"""The project's virtualenv, bytecode and `muon plan --json-file x.plan.json` output."""
INFRA_REQUIREMENTS = "requirements-infra.txt"


@dataclass(frozen=True)
class MuonSource:
    requirement: str
    """The requirements file's line."""
    index_url: str | None
    """The package index it comes from (the pipeline's ``muonSource.indexUrl``), if by name."""
    described: str


def repository_root(project: Path, start: Path) -> Path:
    """The repository the project is in: the nearest folder above it holding ``.git``, else
    ``start`` (where `muon init` runs)."""
    for folder in (project, *project.parents):
        if (folder / ".git").exists():
            return folder
    return start


def _from_url(value: str, version: str, flag: str) -> MuonSource:
    parts = urlsplit(value.split("+", 1)[1] if VCS.match(value) else value)
    if parts.username or parts.password:
        raise UsageError(
            f"{flag}: credentials never go in a requirement; keep them in ~/.netrc (and, for the "
            "pipeline, in pipeline.muonSource.credentialsParameter)"
        )
    if VCS.match(value) or parts.path.endswith(ARCHIVES):
        return MuonSource(f"{DISTRIBUTION} @ {value}", None, f"from {value}")
    return MuonSource(f"{DISTRIBUTION}=={version}", value.rstrip("/") + "/", f"from the index {value}")


def muon_source(value: str | None, version: str, project: Path) -> MuonSource:
    """The requirement for ``--muon-source``: a wheel, sdist or VCS URL (a direct reference), a
    package index URL (anything else over https), or a wheel committed in the repository.
    Without it: the source this muon was installed from."""
    flag = "--muon-source"
    if value is None:
        return installed_source(version)
    if value.startswith("https://") or VCS.match(value):
        return _from_url(value, version, flag)
    if re.match(r"^[a-z+]+://", value):
        raise UsageError(
            f"{flag}: '{value}': expected https:// (a wheel, a git+https:// repository or a package "
            "index); plain http would let anyone on the way change the code the pipeline runs"
        )
    wheel = (project / value).resolve()
    if value.endswith(".whl") and not Path(value).is_absolute() and wheel.is_file():
        relative = Path(value).as_posix()
        return MuonSource(relative if relative.startswith(".") else f"./{relative}", None, f"from {value}")
    raise UsageError(
        f"{flag}: '{value}' is neither an https:// URL (a wheel, git+https://…, a package index) nor a "
        "wheel file in the project (a relative path ending in .whl)"
    )


def installed_source(version: str) -> MuonSource:
    """Where this muon came from, as pip recorded it (PEP 610 ``direct_url.json``): a URL or a
    repository anyone on the team (and the pipeline) can install from again; otherwise the name
    and version, which only the team's package index serves."""
    try:
        recorded = importlib.metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        recorded = None
    data = json.loads(recorded) if recorded else {}
    url = str(data.get("url", ""))
    vcs = data.get("vcs_info") or {}
    if url.startswith("https://") and vcs.get("vcs") and vcs.get("commit_id"):
        reference = f"{vcs['vcs']}+{url}@{vcs['commit_id']}"
        return MuonSource(f"{DISTRIBUTION} @ {reference}", None, f"from {reference} (installed from there)")
    if url.startswith("https://") and "archive_info" in data:
        return MuonSource(f"{DISTRIBUTION} @ {url}", None, f"from {url} (installed from there)")
    return MuonSource(f"{DISTRIBUTION}=={version}", None, "by name, from your team's package index")


def muon_lines(source: MuonSource) -> str:
    return (
        "# muon, the infrastructure program (`muon init`): the distribution muon-platform, never `muon`\n"
        "# (PyPI's `muon` is another project). It brings pulumi, pulumi-aws and boto3.\n"
        f"{source.requirement}\n"
    )


def installs_requirements(dockerfile: Path, name: str) -> bool:
    """The Dockerfile copies or installs ``name``: muon added there would go into the image."""
    if not dockerfile.is_file():
        return False
    return name in dockerfile.read_text(encoding="utf-8", errors="replace")


def add_requirement(path: Path, source: MuonSource) -> str | None:
    """Append muon's lines to ``path`` ("added") or write it ("wrote"); None when it requires
    muon-platform already.
    A line requiring PyPI's ``muon`` is refused: both install a ``muon`` package."""
    if not path.is_file():
        # muon's own file: its index for every package, here as in the pipeline (never an extra one).
        index = f"--index-url {source.index_url}\n" if source.index_url else ""
        path.write_text(
            "# The Pulumi program's packages (the pipeline's deploy steps install them).\n"
            + index
            + muon_lines(source),
            encoding="utf-8",
        )
        return "wrote"
    requirements, _ = read_requirements(path, path.name)
    for requirement in requirements:
        if requirement.name == OTHER_PROJECT and requirement.direct is None:
            raise UsageError(
                f"{requirement.where}: '{OTHER_PROJECT}' is PyPI's project of that name, not this muon, and "
                f"both install a `muon` package: remove that line (muon init adds {DISTRIBUTION})"
            )
    if any(r.name == DISTRIBUTION for r in requirements):
        return None
    text = path.read_text(encoding="utf-8")
    separator = "" if not text or text.endswith("\n") else "\n"
    path.write_text(text + separator + muon_lines(source), encoding="utf-8")
    return "added"


def _ignore_key(line: str, anchored_ok: bool) -> str:
    """Lines that ignore the same paths compare equal (``.venv`` and ``.venv/``; ``/.venv`` only
    when the project is the repository's root, where it covers the project's)."""
    key = line.strip().rstrip("/")
    if anchored_ok and key.startswith("/"):
        key = key[1:]
    return key


def extend_gitignore(path: Path, anchored_ok: bool) -> list[str]:
    """Add the lines muon's project needs that ``path`` lacks; the ones added."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    present = {_ignore_key(line, anchored_ok) for line in text.splitlines()}
    missing = [line for line in IGNORED if _ignore_key(line, anchored_ok) not in present]
    if missing:
        separator = "" if not text or text.endswith("\n") else "\n"
        block = "# muon's project (muon init): its virtualenv, bytecode, plan files\n" + "\n".join(missing)
        path.write_text(text + separator + ("\n" if text else "") + block + "\n", encoding="utf-8")
    return missing
