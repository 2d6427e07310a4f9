"""Benchmark: how long muon takes to render stacks offline, against a bare pulumi_aws floor.

    python bench/render.py            # every workload, each in a fresh process
    python bench/render.py --repeat 3

Each workload runs in its own Python process (pulumi keeps global state, and peak memory is a
per-process figure). For every muon workload the same run renders a *floor*: a bare program
that registers the same number of plain ``aws.s3.Bucket`` resources under the same mocks, so
``ratio`` is muon's own overhead (components, validation, policy documents) over Pulumi's.
Figures: wall time of the render (imports excluded, reported apart), peak RSS, resources, and
resources per second.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORKLOADS = {
    "dev": "the repository's dev stack (muon.yaml, Pulumi.dev.yaml)",
    "prod": "the repository's prod stack (muon.yaml, Pulumi.prod.yaml)",
    "svc-1": "synthetic: one dev environment with 1 service",
    "svc-10": "synthetic: one dev environment with 10 services",
    "svc-50": "synthetic: one dev environment with 50 services",
    "db-10": "synthetic: one dev environment with 10 services, each with its Aurora database",
}


def synthetic_config(services: int, folder: Path, *, databases: bool = False) -> dict[str, str]:
    """A definition with ``services`` services (each with a database or not) in one dev environment."""
    lines = ["environments: {dev: {}}", "services:"]
    database = ", database: {name: app}" if databases else ""
    for index in range(services):
        route = f"pathPatterns: [/svc-{index:02d}/*]"
        lines.append(f"  svc-{index:02d}: {{port: 8080, {route}, cpu: 256, memory: 512{database}}}")
    path = folder / "muon.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"aws:region": "us-east-1", "muon:definition": str(path), "muon:environments": '["dev"]'}


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_workload(name: str) -> dict[str, float]:
    """Inside the child process: render one workload and report figures as JSON."""
    started = time.perf_counter()
    import pulumi_aws  # noqa: F401 - imports are measured apart from the render

    from muon.stacks import program
    from muon.stacks.offline import render
    from muon.stacks.settings import read_stack_file

    imported = time.perf_counter()
    if name.startswith(("svc-", "db-")):
        import tempfile

        kind, count = name.split("-")
        config = synthetic_config(int(count), Path(tempfile.mkdtemp()), databases=kind == "db")
    else:
        config = read_stack_file(ROOT, name)
    began = time.perf_counter()
    rendering = render(lambda: program.run(), config=config, stack=name)
    elapsed = time.perf_counter() - began
    return {
        "import_s": imported - started,
        "render_s": elapsed,
        "resources": len(rendering.custom_resources),
        "components": len(rendering.resources) - len(rendering.custom_resources),
        "peak_rss_mib": _peak_rss_mib(),
    }


def run_floor(count: int) -> dict[str, float]:
    """Inside the child process: register ``count`` plain resources, nothing else."""
    import pulumi
    import pulumi_aws as aws

    from muon.stacks.offline import render

    def bare() -> None:
        for index in range(count):
            aws.s3.Bucket(f"bucket-{index}", tags={"index": str(index)})

    began = time.perf_counter()
    rendering = render(bare, config={"aws:region": "us-east-1"}, stack="floor")
    elapsed = time.perf_counter() - began
    assert len(rendering.custom_resources) == count
    del pulumi
    return {"render_s": elapsed, "resources": count, "peak_rss_mib": _peak_rss_mib()}


def child(argv: list[str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *argv], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per workload; the median is reported")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, value = args.child
        figures = run_floor(int(value)) if kind == "floor" else run_workload(value)
        print(json.dumps(figures))
        return 0

    columns = ("resources", 9), ("render s", 9), ("res/s", 7), ("peak MiB", 9), ("floor s", 8), ("ratio", 6)
    header = f"{'workload':<10} " + " ".join(f"{title:>{width}}" for title, width in columns) + " import s"
    print(f"muon offline render benchmark ({args.repeat} runs each, median; Python {sys.version.split()[0]})")
    print(header)
    print("-" * len(header))
    for name in WORKLOADS:
        runs = [child(["workload", name]) for _ in range(args.repeat)]
        count = int(runs[0]["resources"])
        floors = [child(["floor", str(count)]) for _ in range(args.repeat)]
        render_s = statistics.median(r["render_s"] for r in runs)
        floor_s = statistics.median(f["render_s"] for f in floors)
        print(
            f"{name:<10} {count:>9} {render_s:>9.3f} {count / render_s:>7.0f} "
            f"{max(r['peak_rss_mib'] for r in runs):>9.1f} {floor_s:>8.3f} {render_s / floor_s:>6.2f} "
            f"{statistics.median(r['import_s'] for r in runs):>8.2f}"
        )
    for name, description in WORKLOADS.items():
        print(f"  {name:<8} {description}")
    print("\nfloor: the same number of bare aws.s3.Bucket resources under the same mocks, same run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
