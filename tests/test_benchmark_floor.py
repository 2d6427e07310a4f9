"""The render benchmark's floor registers what muon registers, so its overhead figure is fair."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections import Counter
from types import ModuleType

import pytest

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


@pytest.mark.parametrize("sdk", ["pulumi_docker_build", "pulumi_random"])
def test_loading_muon_loads_no_provider_sdk_a_stack_may_not_use(sdk: str) -> None:
    # Imported only by the stacks that use them (local builds, generated database passwords):
    # loading them up front would cost every other render their import time.
    probe = f"import sys, muon.stacks.program; print({sdk!r} in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


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
