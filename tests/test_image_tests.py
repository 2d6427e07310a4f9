"""The Image stage tests each image before pushing it and holds the pushed image to its ECR scan."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest
import yaml

from muon.components.buildspecs import ImageTarget, image_buildspec, image_test_variable
from muon.components.scan_gate import GATE_VARIABLE, gate_command, gate_script
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
    assert spec["env"]["variables"] == {
        "MUON_IMAGE_TEST_BANANA": target.test,
        GATE_VARIABLE: gate_script("HIGH"),
    }
    (build,) = [c for c in spec["phases"]["build"]["commands"] if "docker build" in c]
    assert build.endswith(
        '&& IMAGE="$REGISTRY/muon/banana:$TAG" bash -c "$MUON_IMAGE_TEST_BANANA" '
        '&& docker push "$REGISTRY/muon/banana:$TAG"; fi'
    )
    commands = spec["phases"]["build"]["commands"]
    gate = commands.index(gate_command("muon/banana"))
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


AWS = r"""
import json, os, sys
import jmespath
args = sys.argv[1:]
if args[:2] != ["ecr", "describe-image-scan-findings"]:
    sys.exit("fake aws: not modeled: " + " ".join(args))
with open(os.environ["FAKE_ECR_SCANS"], encoding="utf-8") as scans:
    answers = json.load(scans)
query = args[args.index("--query") + 1]
calls = os.environ["FAKE_ECR_SCANS"] + ".calls"
count = sum(1 for _ in open(calls)) if os.path.exists(calls) else 0
with open(calls, "a") as log:
    log.write(query + "\n")
# Status reads step through the answers (the last one stays); the findings are the last answer's.
status_reads = sum(1 for line in open(calls) if "imageScanStatus" in line)
answer = answers[min(status_reads, len(answers)) - 1] if "imageScanStatus" in query else answers[-1]
if "error" in answer:
    sys.stderr.write(f"An error occurred ({answer['error']}) when calling the DescribeImageScanFindings operation\n")
    sys.exit(254)
found = jmespath.search(query, answer)
text = lambda v: "None" if v is None else str(v)
print("\t".join(text(v) for v in found) if isinstance(found, list) else text(found))
"""


def run_gate(
    tmp_path: Path, fail_on: str, answers: list[dict], attempts: int = 120
) -> subprocess.CompletedProcess:
    """The gate's own shell, with an `aws` that answers DescribeImageScanFindings as the CLI does
    (`--query`, `--output text`), one answer per status read."""
    fake = tmp_path / "aws"
    fake.write_text(f"#!{sys.executable}\n{AWS}", encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    scans = tmp_path / "scans.json"
    scans.write_text(json.dumps(answers), encoding="utf-8")
    variables = {
        GATE_VARIABLE: gate_script(fail_on),
        "TAG": "abc",
        "FAKE_ECR_SCANS": str(scans),
        "MUON_SCAN_ATTEMPTS": str(attempts),
        "MUON_SCAN_INTERVAL": "0",
        "PATH": f"{tmp_path}:{os.environ['PATH']}",
    }
    return subprocess.run(
        ["bash", "-c", gate_command("muon/banana")],
        env={**os.environ, **variables},
        capture_output=True,
        text=True,
        check=False,
    )


def scanned(status: str, description: str = "", **findings: object) -> dict:
    """A DescribeImageScanFindings answer (the API reference's shape)."""
    return {
        "repositoryName": "muon/banana",
        "imageId": {"imageTag": "abc"},
        "imageScanStatus": {"status": status, "description": description or f"{status} described"},
        **({"imageScanFindings": findings} if findings else {}),
    }


@pytest.mark.parametrize(
    ("fail_on", "counts", "passes"),
    [
        ("CRITICAL", {}, True),
        ("CRITICAL", {"CRITICAL": 2}, False),
        ("HIGH", {"MEDIUM": 4}, True),
        ("HIGH", {"HIGH": 3}, False),
        ("LOW", {"INFORMATIONAL": 7}, True),
        ("LOW", {"LOW": 1}, False),
    ],
)
def test_the_scan_gate_fails_on_basic_findings_at_or_above_its_severity(
    tmp_path: Path, fail_on: str, counts: dict, passes: bool
) -> None:
    result = run_gate(tmp_path, fail_on, [scanned("COMPLETE", findingSeverityCounts=counts)])
    assert (result.returncode == 0) is passes, result.stdout + result.stderr
    if not passes:
        assert "muon/banana:abc has" in result.stdout and "not promoted" in result.stdout


def enhanced(severity: str, status: str = "ACTIVE") -> dict:
    return {
        "findingArn": f"arn:aws:inspector2:us-east-1:123456789012:finding/{severity}",
        "severity": severity,
        "status": status,
    }


@pytest.mark.parametrize(
    ("fail_on", "findings", "passes"),
    [
        ("CRITICAL", [enhanced("HIGH"), enhanced("MEDIUM")], True),
        ("CRITICAL", [enhanced("HIGH"), enhanced("CRITICAL")], False),
        ("HIGH", [enhanced("HIGH")], False),
        # A suppression rule (accepted risk) or a fixed finding does not stop the pipeline.
        ("CRITICAL", [enhanced("CRITICAL", "SUPPRESSED"), enhanced("CRITICAL", "CLOSED")], True),
        ("LOW", [enhanced("UNTRIAGED"), enhanced("INFORMATIONAL")], True),
    ],
)
def test_enhanced_scanning_is_judged_on_inspectors_findings(
    tmp_path: Path, fail_on: str, findings: list[dict], passes: bool
) -> None:
    """Enhanced scanning reports ACTIVE, and its findings as `enhancedFindings` (Amazon Inspector)."""
    result = run_gate(tmp_path, fail_on, [scanned("PENDING"), scanned("ACTIVE", enhancedFindings=findings)])
    assert (result.returncode == 0) is passes, result.stdout + result.stderr
    assert ("ACTIVE scan" in result.stdout) and (("not promoted" in result.stdout) is not passes)


GATE_VERDICTS = {
    # status: (answers for the status reads, passes, what the gate says)
    "COMPLETE": ([scanned("IN_PROGRESS"), scanned("COMPLETE")], True, "COMPLETE scan, no CRITICAL findings"),
    "ACTIVE": ([scanned("ACTIVE", enhancedFindings=[])], True, "ACTIVE scan, no CRITICAL findings"),
    "IN_PROGRESS": (
        [scanned("IN_PROGRESS")],
        False,
        "the scan is still IN_PROGRESS after 3 checks 0 s apart",
    ),
    "PENDING": ([scanned("PENDING")], False, "the scan is still PENDING after 3 checks 0 s apart"),
    "FAILED": (
        [scanned("FAILED", "boom")],
        False,
        "ECR could not scan the image (boom): not promoted unscanned",
    ),
    "UNSUPPORTED_IMAGE": (
        [scanned("UNSUPPORTED_IMAGE", "UnsupportedImageError")],
        False,
        "operating system or package manager is not supported (UnsupportedImageError): not promoted unscanned",
    ),
    "SCAN_ELIGIBILITY_EXPIRED": (
        [scanned("SCAN_ELIGIBILITY_EXPIRED")],
        False,
        "past the rescan duration of enhanced scanning",
    ),
    "FINDINGS_UNAVAILABLE": ([scanned("FINDINGS_UNAVAILABLE")], False, "ECR has no findings for the image"),
    "LIMIT_EXCEEDED": ([scanned("LIMIT_EXCEEDED")], False, "the scan quota for the image is used up"),
    "IMAGE_ARCHIVED": (
        [scanned("IMAGE_ARCHIVED")],
        False,
        "the image is archived and archived images are not scanned",
    ),
}
SCAN_STATUSES = botocore.session.get_session().get_service_model("ecr").shape_for("ScanStatus").enum


@pytest.mark.parametrize("status", SCAN_STATUSES)
def test_every_scan_status_ecr_documents_has_its_verdict(tmp_path: Path, status: str) -> None:
    """Every value of botocore's ScanStatus: a status ECR adds fails here until the gate knows it."""
    answers, passes, says = GATE_VERDICTS[status]
    result = run_gate(tmp_path, "CRITICAL", answers, attempts=3)
    assert (result.returncode == 0) is passes, result.stdout + result.stderr
    assert result.stdout.startswith("muon/banana:abc: ") and says in result.stdout
    if not passes:
        assert "not promoted" in result.stdout
    assert status in gate_script("CRITICAL")  # named in the gate, not left to its catch-all


@pytest.fixture
def folders(tmp_path: Path):
    """A fresh folder per gate run (each keeps its own answers and calls)."""
    count = iter(range(100))

    def folder() -> Path:
        path = tmp_path / str(next(count))
        path.mkdir()
        return path

    return folder


def test_the_gate_waits_for_the_scan_to_start_and_says_when_it_never_does(folders) -> None:
    """Right after the push ECR may have no scan yet (ScanNotFoundException): the gate waits; a
    scan that never comes (no scan on push, no enhanced filter) stops it with what to turn on."""
    missing = {"error": "ScanNotFoundException"}
    started = run_gate(folders(), "CRITICAL", [missing, scanned("COMPLETE")])
    assert started.returncode == 0, started.stdout + started.stderr
    never = run_gate(folders(), "CRITICAL", [missing], attempts=2)
    assert never.returncode == 1
    assert (
        "ECR has not scanned the image after 2 checks 0 s apart: not promoted; turn on scan on push"
        in never.stdout
    )
    unknown = run_gate(folders(), "CRITICAL", [scanned("QUARANTINED", "new")])
    assert unknown.returncode == 1
    assert (
        "ECR reports scan status QUARANTINED (new), which this gate does not know: not promoted"
        in unknown.stdout
    )


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
    assert spec["env"]["variables"]["MUON_IMAGE_TEST_BANANA"] == "curl -fsS localhost"
    assert gate_command("muon/banana") in spec["phases"]["build"]["commands"]
    assert spec["env"]["variables"][GATE_VARIABLE] == gate_script("HIGH")
    # Enhanced scanning's findings are Inspector's: the image build may read them.
    policy = rendering.one("aws:iam/rolePolicy:RolePolicy", "pipeline-image-policy").json("policy")
    (inspector,) = [st for st in policy["Statement"] if st["Sid"] == "ReadEnhancedScanFindings"]
    assert (inspector["Action"], inspector["Resource"]) == ("inspector2:ListFindings", "*")


def test_a_bad_scan_severity_is_refused_in_one_line() -> None:
    message = definition_error(
        "environments: {dev: {}}\npipeline:\n  source: {provider: codecommit, repo: b}\n"
        "  stages: [{environment: dev}]\n  imageScan: {failOn: SEVERE}\n"
    )
    assert "pipeline.imageScan.failOn" in message
