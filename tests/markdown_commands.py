"""The README's and docs/'s fenced blocks, read as a reader would copy them: shell commands (one per
``&&``, ``|`` or ``;``; ``$(…)`` substitutions as commands of their own; ``VAR=value`` prefixes and
redirections set apart), YAML, and the sections they sit in."""

from __future__ import annotations

import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import PROJECT_DIR

README = PROJECT_DIR / "README.md"
DOCS = sorted((PROJECT_DIR / "docs").glob("*.md"))
SEPARATORS = {"&&", "||", "|", ";"}
REDIRECTS = {">", ">>", "<", "2>"}


@dataclass
class Command:
    argv: list[str]
    line: str
    """The shell line it came from, as written (continuations joined)."""
    where: str
    redirect: str | None = None
    """Where its output goes (``> file``), if anywhere."""
    env: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.where}: {' '.join(self.argv)}"


def section(text: str, heading: str) -> str:
    """From ``heading`` (a whole heading line) to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    start = text.index(f"\n{heading}\n") + 1
    body = start + len(heading) + 1
    end = re.search(rf"^#{{1,{level}}} ", text[body:], re.M)
    return text[start : body + end.start()] if end else text[start:]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{re.escape(language)}\n(.*?)^```", text, re.S | re.M)


def shell_lines(block: str) -> list[str]:
    """Lines of a shell block, ``\\``-continuations joined, empty and comment-only lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", block)
    return [line for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _substitutions(line: str) -> tuple[str, list[str]]:
    """``$(cmd)`` replaced by a placeholder, and the commands inside."""
    inner: list[str] = []

    def take(match: re.Match[str]) -> str:
        inner.append(match.group(1))
        return "SUBSTITUTED"

    return re.sub(r"\$\(([^()]*)\)", take, line), inner


def commands_of_line(line: str, where: str) -> list[Command]:
    outer, inner = _substitutions(line)
    found = [c for text in inner for c in commands_of_line(text, where)]
    words = shlex.split(outer, comments=True)
    current: list[str] = []
    for word in [*words, ";"]:
        if word not in SEPARATORS:
            current.append(word)
            continue
        if current:
            env = {}
            while current and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", current[0]):
                name, _, value = current.pop(0).partition("=")
                env[name] = value
            redirect = None
            for symbol in REDIRECTS:
                if symbol in current:
                    index = current.index(symbol)
                    redirect = current[index + 1] if symbol in (">", ">>") else redirect
                    del current[index : index + 2]
            if current:
                found.append(Command(current, line, where, redirect, env))
        current = []
    return found


def commands(text: str, where: str) -> list[Command]:
    return [
        c
        for block in blocks(text, "sh")
        for line in shell_lines(block)
        for c in commands_of_line(line, where)
    ]


def documents() -> list[tuple[Path, str]]:
    return [(path, path.read_text(encoding="utf-8")) for path in [README, *DOCS]]


# The application repository the README's team starts from: its own Dockerfile (which installs its
# requirements.txt) and .gitignore, before muon.
APP = {
    "Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    'COPY . .\nUSER 1000\nEXPOSE 8080\nCMD ["python", "app.py"]\n',
    "requirements.txt": "flask==3.0.3\n",
    ".gitignore": ".venv\n",
    "app.py": "print('banana')\n",
}


def application(directory: Path) -> Path:
    """A team's application repository, before muon."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in APP.items():
        (directory / name).write_text(content, encoding="utf-8")
    subprocess.run(["git", "init", "-q", "-b", "main", str(directory)], check=True)
    return directory
