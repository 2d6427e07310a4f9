"""The render benchmark's floor registers what muon registers, so its overhead figure is fair."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections import Counter
from types import ModuleType

import pytest

from muon.plan.offline import Rendering, render
from tests.conftest import PROJECT_DIR


def load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_render", PROJECT_DIR / "bench" / "render.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_floor_registers_the_same_resources_with_the_same_properties(prod: Rendering) -> None:
    bench = load_benchmark()
    recorded = [{"type": r.type, "name": r.name, "inputs": r.masked_inputs} for r in prod.custom_resources]
    floor = render(lambda: bench.register_floor(recorded), config={"aws:region": "us-east-1"}, stack="floor")
    assert Counter(r.type for r in floor.custom_resources) == Counter(r.type for r in prod.custom_resources)
    assert len(floor.resources) == len(floor.custom_resources)  # no component in the floor
    sent = {r.name.split("-", 1)[1]: r.masked_inputs for r in floor.custom_resources}
    assert sent == {r.name: r.masked_inputs for r in prod.custom_resources}


def test_floor_loads_the_sdk_class_of_every_type() -> None:
    bench = load_benchmark()
    assert bench.sdk_class("aws:ec2/vpc:Vpc").__module__ == "pulumi_aws.ec2.vpc"
    assert bench.sdk_class("random:index/randomPassword:RandomPassword").__name__ == "RandomPassword"


@pytest.mark.slow
@pytest.mark.parametrize("sdk", ["pulumi_docker_build", "pulumi_random"])
def test_loading_muon_loads_no_provider_sdk_a_stack_may_not_use(sdk: str) -> None:
    # Imported only by the stacks that use them (local builds, generated database passwords):
    # loading them up front would cost every other render their import time.
    probe = f"import sys, muon.stacks.compose; print({sdk!r} in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.slow
def test_a_stack_without_databases_never_loads_the_random_sdk(tmp_path) -> None:
    probe = (
        "import sys\n"
        "from tests.conftest import render_definition_text\n"
        "from pathlib import Path\n"
        f"render_definition_text(Path({str(tmp_path)!r}), 'environments: {{dev: {{}}}}\\nservices: "
        "{banana: {port: 8080, pathPatterns: [/b]}}\\n', ['dev'])\n"
        "print('pulumi_random' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=PROJECT_DIR
    )
    assert result.stdout.strip().splitlines()[-1] == "False"


@pytest.mark.slow
def test_wired_floor_carries_muons_dependency_graph(prod: Rendering) -> None:
    bench = load_benchmark()
    recorded = bench.recorded(prod)
    wiring = bench.plan_wiring(recorded)
    floor = render(
        lambda: bench.register_floor(recorded, wiring), config={"aws:region": "us-east-1"}, stack="wired"
    )
    # The floor names resources r<position>-<name>; its dependencies, read back by position, are muon's.
    position = {r.urn: int(r.name.split("-", 1)[0][1:]) for r in floor.custom_resources}
    muons = {entry["urn"]: index for index, entry in enumerate(recorded)}
    for r in floor.custom_resources:
        index = position[r.urn]
        assert {position[urn] for urn in r.dependencies} == {
            muons[urn] for urn in recorded[index]["dependencies"] if urn in muons
        }, r.name
        # Unwired properties as muon sent them; wired ones hold the floor's own resources' outputs
        # (the mocks derive identifiers from the floor's names), so only their keys are compared.
        wired = wiring.properties[index]
        unwired = {key: value for key, value in r.masked_inputs.items() if key not in wired}
        assert unwired == {k: v for k, v in recorded[index]["inputs"].items() if k not in wired}, r.name
        assert set(wired) <= set(r.masked_inputs), r.name
    # Most dependencies travel in properties, as in a program written by hand, not in depends_on.
    carried = sum(len(p) for p in wiring.properties)
    assert carried > sum(len(d) for d in wiring.depends_on)
    assert sorted(wiring.order) == list(range(len(recorded)))  # each resource, once


def test_wired_floor_registers_each_resource_after_its_dependencies(prod: Rendering) -> None:
    bench = load_benchmark()
    recorded = bench.recorded(prod)
    order = bench.plan_wiring(recorded).order
    placed = {recorded[index]["urn"]: step for step, index in enumerate(order)}
    for step, index in enumerate(order):
        assert all(placed[urn] < step for urn in recorded[index]["dependencies"] if urn in placed)
