"""A pip requirements file, read the way pip reads it (comments, continuations, ``-r``), far
enough to tell which line brings a package and from where: by name from an index, or by a direct
reference (a URL, a VCS URL, a path). Standard library only: ``muon init`` reads it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DISTRIBUTION = "muon-platform"
"""muon's distribution: on no public index (the import package and the command are ``muon``)."""
OTHER_PROJECT = "muon"
"""PyPI's project of that name: unrelated to this one, and it also installs a ``muon`` package."""
INCLUDES = ("-r", "--requirement")
NAMED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(@\s*(\S+))?")


@dataclass(frozen=True)
class Requirement:
    where: str
    """``file line N``."""
    name: str | None
    """Normalized (PEP 503); None: a line muon cannot name (an editable path, an unnamed URL)."""
    direct: str | None
    """The URL or path of a direct reference; None: by name, from an index."""


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(line number, content) with comments dropped and continuation lines joined, as pip reads."""
    lines: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined = (pending + line).strip()
        pending = ""
        if joined:
            lines.append((start, joined))
    return lines


def _reference(where: str, value: str) -> Requirement:
    """A line that is a path or URL: named by its wheel file name or ``#egg=``, if at all."""
    egg = re.search(r"[#&]egg=([A-Za-z0-9._-]+)", value)
    wheel = re.search(r"([A-Za-z0-9._]+)-[^-/]+(-[^-/]+)?-[^-/]+-[^-/]+-[^-/]+\.whl$", value)
    name = egg.group(1) if egg else wheel.group(1) if wheel else None
    return Requirement(where, normalize(name) if name else None, value)


def read_requirements(path: Path, label: str, depth: int = 0) -> tuple[list[Requirement], list[str]]:
    """The requirements of ``path`` (following ``-r``) and the index options its lines give."""
    requirements: list[Requirement] = []
    options: list[str] = []
    for number, line in _logical_lines(path.read_text(encoding="utf-8", errors="replace")):
        where = f"{label} line {number}"
        flag = re.match(r"^(-[a-z]|--[a-z-]+)(?:[\s=]+(.*))?$", line)
        option, value = (flag.group(1), (flag.group(2) or "").strip()) if flag else ("", "")
        if option in INCLUDES:
            included = path.parent / value
            if included.is_file() and depth < 5:
                more, more_options = read_requirements(included, value, depth + 1)
                requirements += more
                options += more_options
            else:  # not readable here: it may hold muon
                requirements.append(Requirement(where, None, value))
        elif option in ("-e", "--editable"):
            requirements.append(_reference(where, value))
        elif option:
            options.append(f"{where}: {option}")
        else:
            match = NAMED.match(line)
            if match and match.group(4):  # name @ reference
                requirements.append(Requirement(where, normalize(match.group(1)), match.group(4)))
            elif "://" in line or line.startswith((".", "/")) or line.endswith(".whl"):
                requirements.append(_reference(where, line))
            elif match:
                requirements.append(Requirement(where, normalize(match.group(1)), None))
    return requirements, options
