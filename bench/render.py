"""Benchmark: how long muon takes to render stacks offline, against a bare pulumi_aws floor.

    python bench/render.py            # every workload, each in a fresh process
    python bench/render.py --repeat 3

Each run is its own Python process (pulumi keeps global state, and peak memory is a per-process
figure). For every muon workload the benchmark also renders a *floor*: a bare program that
registers **the same custom resources** muon rendered — the same types, in the same numbers,
through the same ``pulumi_aws`` classes' own constructors (loaded inside the timed part), with the
same property payloads — under the same mocks, and nothing else. Both freeze what they loaded
before registering (``gc.freeze``, see ``stacks/compose.py``), so neither pays for the collector
traversing its imports. ``overhead`` is muon's cost over that floor: loading and validating the
definition, composing components, building policy documents, and the ``Output`` plumbing between
resources.
A second, *wired* floor registers the same resources with muon's dependency graph written as a
program by hand would write it (``vpc_id=vpc.id``; ``depends_on`` for a dependency no property
carries): ``vs wired`` is what muon costs beyond the SDK's own work for that graph — every real
dependency, which the deploy needs (see ``tests/test_creation_order.py``).
Runs alternate muon, floor, wired floor, muon ... so that machine noise falls on all; medians are
reported. Figures: wall time of the render (imports of ``pulumi_aws`` and muon reported apart),
peak RSS, resources, and resources per second.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def run_workload(name: str, resources_file: str = "") -> dict[str, float]:
    """Inside the child process: render one workload and report figures as JSON; with
    ``resources_file``, also write the custom resources it registered, for the floor."""
    started = time.perf_counter()
    import pulumi_aws  # noqa: F401 - imports are measured apart from the render

    from muon.plan.offline import render
    from muon.stacks import compose as program
    from muon.stacks.definition.stack_config import read_stack_file

    imported = time.perf_counter()
    if name.startswith(("svc-", "db-")):
        kind, count = name.split("-")
        config = synthetic_config(int(count), Path(tempfile.mkdtemp()), databases=kind == "db")
    else:
        config = read_stack_file(ROOT, name)
    began = time.perf_counter()
    rendering = render(lambda: program.run(), config=config, stack=name)
    elapsed = time.perf_counter() - began
    if resources_file:
        Path(resources_file).write_text(json.dumps(recorded(rendering)), encoding="utf-8")
    return {
        "import_s": imported - started,
        "render_s": elapsed,
        "resources": len(rendering.custom_resources),
        "components": len(rendering.resources) - len(rendering.custom_resources),
        "peak_rss_mib": _peak_rss_mib(),
    }


def recorded(rendering: Any) -> list[dict[str, Any]]:
    """What the floors replay of each custom resource: type, name, properties as sent (secrets
    masked), and for the wired floor its URN, dependencies and the outputs the mocks gave it."""
    return [
        {
            "type": r.type,
            "name": r.name,
            "inputs": r.masked_inputs,
            "urn": r.urn,
            "dependencies": list(r.dependencies),
            # By attribute (``arn``, ``arn_suffix`` ...), where the SDK class has one.
            "outputs": {
                _snake(key): value
                for key, value in r.state.items()
                if isinstance(value, str) and _snake(key) in _output_attributes(r.type)
            },
        }
        for r in rendering.custom_resources
    ]


@functools.cache
def sdk_class(type_token: str) -> type:
    """The SDK class of a type token: ``aws:ec2/vpc:Vpc`` → ``pulumi_aws.ec2.Vpc``,
    ``random:index/randomPassword:RandomPassword`` → ``pulumi_random.RandomPassword``."""
    package, module_path, class_name = type_token.split(":")
    module = module_path.split("/")[0]
    base = f"pulumi_{package}"
    return getattr(importlib.import_module(base if module == "index" else f"{base}.{module}"), class_name)


def register_floor(resources: list[dict], wiring: Wiring | None = None) -> None:
    """Register each resource through its SDK class's own constructor, with the properties muon
    sent — so the floor pays what any Pulumi program pays for these resources (class loading,
    the generated constructors' argument handling, serialisation, registration) — and nothing
    muon adds: no definition, no component, no validation. Plain: no ``Output`` between
    resources either. With ``wiring`` (see ``plan_wiring``): the same dependency graph as muon's,
    written as a program by hand would write it."""
    import pulumi  # loaded already: render() imported it

    # As muon's program does when it starts (stacks/compose.py): what was loaded before this
    # point is moved out of the garbage collector's reach.
    gc.collect()
    gc.freeze()
    created: dict[int, Any] = {}
    for index in wiring.order if wiring else range(len(resources)):
        entry = resources[index]
        cls = sdk_class(entry["type"])
        python_names = keyword_names(cls)
        inputs, options = entry["inputs"], None
        if wiring:
            wired = wiring.properties[index]
            if wired:
                inputs = {**inputs, **{key: _fill(wired[key], created) for key in wired}}
            if wiring.depends_on[index]:
                options = pulumi.ResourceOptions(depends_on=[created[j] for j in wiring.depends_on[index]])
        keywords = {python_names.get(key, key): value for key, value in inputs.items()}
        created[index] = cls(f"r{index}-{entry['name']}", **keywords, opts=options)


@dataclass(frozen=True)
class _Output:
    """Where the wired floor passes a dependency's output: resource (by position), attribute."""

    index: int
    attribute: str


@dataclass(frozen=True)
class Wiring:
    """Worked out before the clock, so that the wired floor times registration only."""

    order: list[int]
    """Every resource after the ones it depends on."""
    properties: list[dict[str, Any]]
    """Per resource, the properties that carry a dependency's output (as ``_Output`` leaves)."""
    depends_on: list[list[int]]
    """Per resource, the dependencies no property carries."""


def plan_wiring(resources: list[dict]) -> Wiring:
    """muon's dependency graph as a hand-written program states it: a property whose value is an
    output of a resource it depends on takes that resource's ``Output`` (``vpc_id=vpc.id``);
    a dependency no property carries becomes ``depends_on``."""
    position = {entry["urn"]: index for index, entry in enumerate(resources)}
    properties: list[dict[str, Any]] = []
    depends_on: list[list[int]] = []
    for entry in resources:
        needed = list(dict.fromkeys(position[urn] for urn in entry["dependencies"] if urn in position))
        sources: dict[str, _Output] = {}
        for index in needed:
            for attribute, value in resources[index]["outputs"].items():
                sources.setdefault(value, _Output(index, attribute))
        carried: set[int] = set()
        wired = {key: _wire(value, sources, carried) for key, value in entry["inputs"].items()}
        properties.append({key: value for key, value in wired.items() if value != entry["inputs"][key]})
        depends_on.append([index for index in needed if index not in carried])
    return Wiring(order=dependency_order(resources, position), properties=properties, depends_on=depends_on)


def _wire(value: Any, sources: dict[str, _Output], carried: set[int]) -> Any:
    """``value`` with each string that is a dependency's output replaced by where it comes from."""
    if isinstance(value, str) and value in sources:
        carried.add(sources[value].index)
        return sources[value]
    if isinstance(value, list):
        return [_wire(item, sources, carried) for item in value]
    if isinstance(value, dict):
        return {key: _wire(item, sources, carried) for key, item in value.items()}
    return value


@functools.cache
def _output_attributes(type_token: str) -> frozenset[str]:
    """The attributes of a resource class that are its outputs (``id``, ``arn``, ``name`` ...)."""
    cls = sdk_class(type_token)
    return frozenset(
        name for name in dir(cls) if name == "id" or isinstance(getattr(cls, name, None), property)
    )


def _fill(value: Any, created: dict[int, Any]) -> Any:
    if isinstance(value, _Output):
        return getattr(created[value.index], value.attribute)
    if isinstance(value, list):
        return [_fill(item, created) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, created) for key, item in value.items()}
    return value


def dependency_order(resources: list[dict], position: dict[str, int]) -> list[int]:
    """Every resource after the ones it depends on (the wired floor needs their objects)."""
    order: list[int] = []
    placed: set[int] = set()
    for start in range(len(resources)):
        stack = [(start, False)]
        while stack:
            index, expanded = stack.pop()
            if index in placed:
                continue
            if expanded:
                placed.add(index)
                order.append(index)
                continue
            stack.append((index, True))
            stack.extend(
                (position[urn], False) for urn in resources[index]["dependencies"] if urn in position
            )
    return order


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@functools.cache
def keyword_names(cls: type) -> dict[str, str]:
    """The constructor's keyword for each property name on the wire (``cidrBlock`` → ``cidr_block``);
    once per class, so that the floor spends nothing a program written by hand would not."""
    from pulumi import _types

    module = vars(sys.modules[cls.__module__])
    # Named <Class>Args, or <Class>InitArgs where the module already has a <Class>Args.
    arguments = module.get(f"{cls.__name__}InitArgs") or module[f"{cls.__name__}Args"]
    return {wire: py for py, wire in _types.input_type_py_to_pulumi_names(arguments).items()}


def run_floor(resources_file: str, wired: bool = False) -> dict[str, float]:
    """Inside the child process: register the recorded resources, nothing else."""
    import pulumi_aws  # noqa: F401 - imported before the clock, as for the workload

    from muon.plan.offline import render

    resources = json.loads(Path(resources_file).read_text(encoding="utf-8"))
    wiring = plan_wiring(resources) if wired else None
    began = time.perf_counter()
    rendering = render(
        lambda: register_floor(resources, wiring), config={"aws:region": "us-east-1"}, stack="floor"
    )
    elapsed = time.perf_counter() - began
    assert len(rendering.custom_resources) == len(resources)
    return {"render_s": elapsed, "resources": len(resources), "peak_rss_mib": _peak_rss_mib()}


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
    parser.add_argument(
        "--only", nargs="+", choices=sorted(WORKLOADS), metavar="WORKLOAD", help="these workloads only"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *values = args.child
        wired = kind == "wired"
        figures = run_workload(*values) if kind == "workload" else run_floor(values[0], wired=wired)
        print(json.dumps(figures))
        return 0

    columns = (
        ("resources", 9),
        ("render s", 9),
        ("res/s", 7),
        ("peak MiB", 9),
        ("floor s", 8),
        ("overhead", 8),
        ("pairs", 11),
        ("wired s", 8),
        ("vs wired", 8),
    )
    header = f"{'workload':<10} " + " ".join(f"{title:>{width}}" for title, width in columns) + " import s"
    print(
        f"muon offline render benchmark ({args.repeat} runs each, alternating, median; "
        f"Python {sys.version.split()[0]})"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as folder:
        for name in args.only or WORKLOADS:
            recorded = str(Path(folder) / f"{name}.json")
            runs = [child(["workload", name, recorded])]
            floors = [child(["floor", recorded])]
            wired = [child(["wired", recorded])]
            for _ in range(args.repeat - 1):
                runs.append(child(["workload", name]))
                floors.append(child(["floor", recorded]))
                wired.append(child(["wired", recorded]))
            count = int(runs[0]["resources"])
            render_s = statistics.median(r["render_s"] for r in runs)
            floor_s = statistics.median(f["render_s"] for f in floors)
            wired_s = statistics.median(w["render_s"] for w in wired)
            # Each run against the floor run right after it: how far the machine's noise moves the ratio.
            pairs = sorted(r["render_s"] / f["render_s"] - 1 for r, f in zip(runs, floors, strict=True))
            spread = f"{pairs[0]:.0%}..{pairs[-1]:.0%}"
            imported = statistics.median(r["import_s"] for r in runs)
            print(
                f"{name:<10} {count:>9} {render_s:>9.3f} {count / render_s:>7.0f} "
                f"{max(r['peak_rss_mib'] for r in runs):>9.1f} {floor_s:>8.3f} "
                f"{render_s / floor_s - 1:>8.0%} {spread:>11} {wired_s:>8.3f} {render_s / wired_s - 1:>8.0%}"
                f" {imported:>8.2f}"
            )
    for name, description in WORKLOADS.items():
        print(f"  {name:<8} {description}")
    print(
        "\nfloor: the same custom resources (types, numbers, properties) registered through the same SDK"
        "\nclasses' constructors under the same mocks, nothing else;"
        "\noverhead = median render / median floor - 1;"
        "\nwired: the same floor with muon's dependency graph written by hand (an output of a dependency"
        "\npassed as that resource's Output, any other dependency as depends_on); vs wired: muon over it;"
        "\npairs: the lowest and highest overhead of one run against the floor run beside it"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
