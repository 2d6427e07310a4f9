"""Where a muon project is: the nearest folder, from the working directory upward, holding a
``Pulumi.yaml`` — as the Pulumi CLI finds its project — that is muon's (a ``muon.yaml`` beside it,
or a ``__main__.py`` that runs muon's program).

Light on purpose: no Pulumi, no AWS SDK; ``muon init`` and every error answer fast.
"""

from __future__ import annotations

from pathlib import Path

from muon.cli.errors import UsageError

PROJECT_FILE = "Pulumi.yaml"


def is_muon_program(main: Path) -> bool:
    """``__main__.py`` runs muon's program (what ``muon init`` writes imports ``muon.stacks``)."""
    if not main.is_file():
        return False
    text = main.read_text(encoding="utf-8", errors="replace")
    return "from muon." in text or "import muon" in text


def is_muon_project(folder: Path) -> bool:
    return (folder / PROJECT_FILE).is_file() and (
        (folder / "muon.yaml").is_file() or is_muon_program(folder / "__main__.py")
    )


def search(start: Path) -> tuple[Path | None, list[Path]]:
    """The project folder (or None) and the folders looked in, nearest first.

    The search stops at the first ``Pulumi.yaml``, as Pulumi's does: a folder holding another
    Pulumi project is never mistaken for a muon project further up.
    """
    looked: list[Path] = []
    for folder in (start, *start.parents):
        looked.append(folder)
        if (folder / PROJECT_FILE).is_file():
            return (folder if is_muon_project(folder) else None), looked
    return None, looked


def nearest_project() -> Path:
    """The project around the working directory, else the working directory itself (for commands
    that read a stack file when there is one, and work from outputs otherwise)."""
    return search(Path.cwd().resolve())[0] or Path.cwd()


def find_project(start: Path | None = None) -> Path:
    """The project folder; a UsageError saying where muon looked when there is none."""
    start = (start or Path.cwd()).resolve()
    found, looked = search(start)
    if found is not None:
        return found
    last = looked[-1]
    if (last / PROJECT_FILE).is_file():
        raise UsageError(
            f"{last / PROJECT_FILE} is not a muon project (no muon.yaml beside it, and its __main__.py "
            "does not run muon); run muon in a muon project, give --cwd, or `muon init --dir FOLDER`"
        )
    where = str(start) if len(looked) == 1 else f"{start} and the {len(looked) - 1} folders above it"
    raise UsageError(
        f"no muon project: no {PROJECT_FILE} in {where} (up to {last}); run `muon init` here, or give --cwd"
    )
