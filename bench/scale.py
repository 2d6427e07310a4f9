"""Scale benchmark: render time, peak memory, resources and the quota table as services grow.

    python bench/scale.py                 # 50, 150, 300 services in one environment; 3 x 100
    python bench/scale.py --sizes 50 150  # fewer workloads (a loaded machine)

Each workload renders in its own Python process (pulumi keeps global state; peak RSS is a
per-process figure, ``resource.getrusage(RUSAGE_SELF).ru_maxrss``). Every service is a web
service; a load balancer takes at most 100 target groups (a quota AWS cannot raise), so services
beyond the first 100 name another one, 100 each (``loadBalancer: lb1``, ``lb2`` ...). Time and
memory are wall time of the render alone (imports excluded) and peak RSS of the child; the slope is
a least-squares fit over services.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB_PER_LOAD_BALANCER = 100


def definition_text(services: int, environments: int) -> str:
    lines = ["environments:"] + [f"  env{index}: {{}}" for index in range(environments)] + ["services:"]
    for index in range(services):
        lines += [f"  s{index:03d}:", "    port: 8080", f"    pathPatterns: ['/s{index:03d}/*']"]
        if index >= WEB_PER_LOAD_BALANCER:
            lines.append(f"    loadBalancer: lb{index // WEB_PER_LOAD_BALANCER}")
    return "\n".join(lines) + "\n"


def child(services: int, environments: int) -> dict[str, object]:
    """In the child process: render once, measure, and count the quotas."""
    sys.path.insert(0, str(ROOT))
    from muon.plan.offline import render
    from muon.plan.quotas import assess, findings, fullest
    from muon.stacks import compose as program

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "muon.yaml"
        path.write_text(definition_text(services, environments), encoding="utf-8")
        image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/muon/{}:bench"
        config = {
            "aws:region": "us-east-1",
            "muon:definition": str(path),
            "muon:environments": json.dumps([f"env{i}" for i in range(environments)]),
            "muon:images": json.dumps({f"s{i:03d}": image.format(f"s{i:03d}") for i in range(services)}),
        }
        started = time.perf_counter()
        rendering = render(lambda: program.run(), config=config, stack="bench")
        seconds = time.perf_counter() - started
    usages = assess(rendering)
    refusals, warnings = findings(usages)
    return {
        "services": services,
        "environments": environments,
        "seconds": round(seconds, 2),
        "peakMB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "resources": len(rendering.custom_resources),
        "quotas": [
            f"{u.used:>6,} / {u.quota.default:<9,} {u.share:>5.0%}  {u.quota.name} [{u.holder}]"
            for u in fullest(usages)
        ],
        "refusals": refusals,
        "warnings": warnings,
    }


def slope(points: list[tuple[float, float]]) -> float:
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0


def run(services: int, environments: int) -> dict[str, object]:
    command = [sys.executable, __file__, "--child", str(services), str(environments)]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"workload {services} x {environments} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(result: dict[str, object]) -> None:
    print(
        f"\n{result['environments']} environment(s) x {result['services']} services: "
        f"{result['seconds']} s, peak {result['peakMB']} MB, {result['resources']} resources"
    )
    for line in result["quotas"]:  # type: ignore[attr-defined]
        print(f"  {line}")
    for line in result["refusals"]:  # type: ignore[attr-defined]
        print(f"  REFUSED: {line}")
    for line in result["warnings"]:  # type: ignore[attr-defined]
        print(f"  warning: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 150, 300])
    parser.add_argument("--no-account", action="store_true", help="skip three environments of 100")
    parser.add_argument("--child", type=int, nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    results = []
    for size in args.sizes:
        results.append(run(size, 1))
        report(results[-1])
    if len(results) > 1:
        time_slope = slope([(float(r["services"]), float(r["seconds"])) for r in results])  # type: ignore[arg-type]
        memory_slope = slope([(float(r["services"]), float(r["peakMB"])) for r in results])  # type: ignore[arg-type]
        print(f"\nslope: {time_slope * 1000:.0f} ms and {memory_slope:.2f} MB per service (one environment)")
    if not args.no_account:
        report(run(100, 3))


if __name__ == "__main__":
    main()
