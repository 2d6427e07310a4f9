"""Benchmark: how fast muon answers a definition error and ``muon --help``, against the floor of
reading YAML with pydantic behind a typer command line.

    python bench/feedback.py            # 10 runs of each
    python bench/feedback.py --runs 30

Each figure is the wall time of a fresh process, as a person waits for it:

- floor: ``python -c "import yaml, pydantic, typer"`` — what any YAML-reading typer tool pays;
- ``muon --help``;
- time to first error: ``muon plan dev`` in a project whose ``muon.yaml`` has one wrong value
  (answered by the shape check, stacks/definition/shape.py, before any model is built);
- the same for a mistake only the models see, a rule between two keys (cluster ``min`` over
  ``max``): the definition's ~50 models are built and validate it;
- ``muon init --help``;
- for reference, one pydantic model: ``import yaml`` and a one-field ``BaseModel`` validated
  (``import pydantic`` alone loads none of its model machinery: the floor has none of it, and no
  definition is read without it).

Runs alternate floor, help, error, init-help, floor ... so that machine noise falls on all of them;
medians are reported, with each figure's ratio to the floor (the goal: at most 1.5). Every command
runs once untimed first, with Python's bytecode cache in a temporary folder: an installed muon has
its bytecode (pip compiles it), as yaml, pydantic and typer have theirs — with
``PYTHONDONTWRITEBYTECODE`` set, muon's own modules would be compiled again in every process and
the floor's would not (``--no-bytecode`` measures that). No test is timed: ``tests/test_feedback.py``
checks instead that these paths never import Pulumi or the AWS SDK, which is what made them slow.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL = 1.5
BAD_DEFINITION = "environments:\n  dev: {}\nservices:\n  banana:\n    port: banana\n    pathPatterns: [/b]\n"
BAD_RULE = "environments:\n  dev:\n    cluster: {provider: ec2, min: 5, max: 2}\n"


ONE_MODEL = """import yaml
from pydantic import BaseModel
class Banana(BaseModel):
    port: int
Banana.model_validate(yaml.safe_load("port: 80"))
"""


def bad_project(folder: Path, definition: str = BAD_DEFINITION) -> Path:
    """A project whose definition has one error (default: a port that is not a number)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.yaml").write_text("name: feedback\nruntime: python\n", encoding="utf-8")
    (folder / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  muon:environments: [dev]\n", encoding="utf-8"
    )
    (folder / "muon.yaml").write_text(definition, encoding="utf-8")
    return folder


def muon_command() -> list[str]:
    """The ``muon`` script beside this interpreter (what a person runs), else ``python -m muon.cli``."""
    script = Path(sys.executable).parent / "muon"
    found = script if script.exists() else shutil.which("muon")
    return [str(found)] if found else [sys.executable, "-m", "muon.cli"]


def commands(project: Path, rule_project: Path) -> dict[str, tuple[list[str], int]]:
    """Name → (argv, the exit status it must end with: a run that fails otherwise is no figure)."""
    muon = muon_command()
    return {
        "floor (import yaml, pydantic, typer)": ([sys.executable, "-c", "import yaml, pydantic, typer"], 0),
        "muon --help": ([*muon, "--help"], 0),
        "muon plan dev (definition error)": ([*muon, "--cwd", str(project), "plan", "dev"], 2),
        "muon plan dev (rule between keys)": ([*muon, "--cwd", str(rule_project), "plan", "dev"], 2),
        "muon init --help": ([*muon, "init", "--help"], 0),
        "(one pydantic model, for reference)": ([sys.executable, "-c", ONE_MODEL], 0),
    }


def environment(bytecode: Path | None) -> dict[str, str]:
    """The commands' environment: bytecode written to and read from ``bytecode`` (None: as it is)."""
    if bytecode is None:
        return dict(os.environ)
    variables = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**variables, "PYTHONPYCACHEPREFIX": str(bytecode)}


def timed(argv: list[str], expected: int, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        argv, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL, env=env
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != expected:
        raise SystemExit(f"{' '.join(argv)}: exit {result.returncode}, expected {expected}\n{result.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(
    runs: int, project: Path, rule_project: Path, env: dict[str, str]
) -> dict[str, list[tuple[float, float]]]:
    table = commands(project, rule_project)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in table}
    names = list(table)
    for argv, expected in table.values():  # untimed: writes the bytecode the timed runs read
        timed(argv, expected, env)
    for run in range(runs):
        rotated = names[run % len(names) :] + names[: run % len(names)]  # no command always goes first
        for name in rotated:
            argv, expected = table[name]
            times[name].append(timed(argv, expected, env))
    return times


def report(times: dict[str, list[tuple[float, float]]], bytecode: bool) -> None:
    """Wall time is what a person waits; CPU time is what the command itself costs (on a loaded
    machine, the wall time also holds the wait for a core)."""
    walls = {name: statistics.median(w for w, _ in values) for name, values in times.items()}
    cpus = {name: statistics.median(c for _, c in values) for name, values in times.items()}
    floor_wall, floor_cpu = next(iter(walls.values())), next(iter(cpus.values()))
    runs = len(next(iter(times.values())))
    cache = "from its bytecode cache" if bytecode else "bytecode as the environment has it"
    print(f"medians of {runs} alternating runs, each a fresh process {cache} ({sys.executable});")
    print(f"goal: at most {GOAL}x the floor; load average {os.getloadavg()[0]:.2f} (1 min) at the end")
    print(f"  {'':<38} {'wall':>8} {'x floor':>8} {'CPU':>8} {'x floor':>8}")
    for name in times:
        wall, cpu = walls[name], cpus[name]
        print(f"  {name:<38} {wall:7.3f}s {wall / floor_wall:7.2f}x {cpu:7.3f}s {cpu / floor_cpu:7.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs of each command (default 10)")
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="leave the bytecode cache as the environment sets it (PYTHONDONTWRITEBYTECODE: muon's "
        "modules compiled in every process)",
    )
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs: at least 1")
    with tempfile.TemporaryDirectory(prefix="muon-feedback-") as folder:
        project = bad_project(Path(folder) / "value")
        rule_project = bad_project(Path(folder) / "rule", BAD_RULE)
        env = environment(None if args.no_bytecode else Path(folder) / "bytecode")
        report(measure(args.runs, project, rule_project, env), not args.no_bytecode)
    return 0


if __name__ == "__main__":
    sys.exit(main())
