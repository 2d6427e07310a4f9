"""The render benchmark's floor registers what muon registers, so its overhead figure is fair."""

from __future__ import annotations

import importlib.util
from collections import Counter
from types import ModuleType

from muon.stacks.offline import Rendering, render
from tests.conftest import PROJECT_DIR


def load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_render", PROJECT_DIR / "bench" / "render.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
