"""The Image stage tests each image before pushing it and holds the pushed image to its ECR scan."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from muon.components.buildspecs import ImageTarget, image_buildspec, image_test_variable, scan_gate
from muon.plan.offline import Rendering
from tests.conftest import definition_error


def commands_of(spec: str) -> list[str]:
    return yaml.safe_load(spec)["phases"]["build"]["commands"]


def test_the_image_test_runs_between_build_and_push() -> None:
    target = ImageTarget(
        "banana",
        "Dockerfile",
        ".",
        "muon/banana",
        test="container-structure-test test --image $IMAGE --config cst.yaml",
    )
    spec = yaml.safe_load(image_buildspec((target,), "HIGH"))
    # The command is a variable, never spliced into the shell line: no quoting to get wrong.
    assert spec["env"]["variables"] == {"MUON_IMAGE_TEST_BANANA": target.test}
    (build,) = [c for c in spec["phases"]["build"]["commands"] if "docker build" in c]
    assert build.endswith(
        '&& IMAGE="$REGISTRY/muon/banana:$TAG" bash -c "$MUON_IMAGE_TEST_BANANA" '
        '&& docker push "$REGISTRY/muon/banana:$TAG"; fi'
    )
    commands = spec["phases"]["build"]["commands"]
    gate = commands.index(scan_gate("muon/banana", "HIGH"))
    digest = next(i for i, c in enumerate(commands) if c.startswith("DIGEST="))
    assert commands.index(build) < gate < digest  # scanned before it is recorded for any stage
    assert image_test_variable("my-api") == "MUON_IMAGE_TEST_MY_API"


def test_no_test_no_gate_when_asked() -> None:
    spec = yaml.safe_load(image_buildspec((ImageTarget("banana", "Dockerfile", ".", "muon/banana"),), "none"))
    assert "variables" not in spec["env"]
    assert not [
        c for c in commands_of(image_buildspec((ImageTarget("b", "D", ".", "r"),), "none")) if "scan" in c
    ]
    assert all("IMAGE=" not in c for c in spec["phases"]["build"]["commands"])


@pytest.mark.parametrize(
    ("fail_on", "counts", "passes"),
    [
        ("CRITICAL", "None", True),
        ("CRITICAL", "2", False),
        ("HIGH", "None\t0", True),
        ("HIGH", "None\t3", False),
        ("LOW", "0\t0\t0\t0", True),
    ],
)
def test_the_scan_gate_fails_on_findings_at_or_above_its_severity(
    tmp_path: Path, fail_on: str, counts: str, passes: bool
) -> None:
    """The gate's own shell, with an `aws` that answers as the ECR CLI does (`--output text`)."""
    fake = tmp_path / "aws"
    fake.write_text(
        f'#!/bin/sh\ncase "$2" in wait) exit 0;; describe-image-scan-findings) printf "{counts}\\n";; esac\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    result = subprocess.run(
        ["bash", "-c", scan_gate("muon/banana", fail_on)],
        env={**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}", "TAG": "abc"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode == 0) is passes, result.stdout
    if not passes:
        assert "muon/banana:abc has" in result.stdout and "not promoted" in result.stdout


def test_the_pipeline_runs_the_definitions_tests_and_gate(render_definition) -> None:

    rendering: Rendering = render_definition(
        "environments: {dev: {}}\n"
        "services:\n  banana: {port: 8080, pathPatterns: [/b], imageTest: 'curl -fsS localhost'}\n"
        "pipeline:\n"
        "  source: {provider: codecommit, repo: banana}\n"
        "  stages: [{environment: dev}]\n"
        "  imageScan: {failOn: HIGH}\n",
        [],
        extra_config={
            "muon:pipeline": True,
            "muon:backend": "s3://state",
            "muon:secretsProvider": "awskms://alias/state?region=us-east-1",
        },
    )
    project = next(p for p in rendering.of_type("aws:codebuild/project:Project") if p.name.endswith("-image"))
    spec = yaml.safe_load(project.inputs["source"]["buildspec"])
    assert spec["env"]["variables"] == {"MUON_IMAGE_TEST_BANANA": "curl -fsS localhost"}
    assert any(
        c.startswith('aws ecr wait image-scan-complete --repository-name "muon/banana"')
        for c in spec["phases"]["build"]["commands"]
    )


def test_a_bad_scan_severity_is_refused_in_one_line() -> None:
    message = definition_error(
        "environments: {dev: {}}\npipeline:\n  source: {provider: codecommit, repo: b}\n"
        "  stages: [{environment: dev}]\n  imageScan: {failOn: SEVERE}\n"
    )
    assert "pipeline.imageScan.failOn" in message
