"""A mu team's first hour, for every situation mu's own examples exercise (tests/data/mu/<situation>/
mu.yml, written for muon — not mu's files): ``muon import`` → ``muon init`` → the offline plan of
every stack init wrote. Each file's verdict is asserted: faithful (exit 0, nothing on stderr) or
lossy with each loss named (its stderr lines, by mu path and what they say) — and none is silently
lossy (a mu key neither converted nor named).

mu's own 25+ example files (stelligent/mu ``examples/*/mu.yml``, ``e2e/*/mu.yml``) are measured the
same way with ``tests.mu_walkthrough.walk``; they are not in this repository (the report of issue 33
lists the verdict per file)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mu_walkthrough import walk

CORPUS = Path(__file__).parent / "data" / "mu"
TEMPLATES = ("templates", "CloudFormation template patches: see extensions")
ATTACHED = ("environments", "none in this file; attached to stacks named acceptance, production")

# situation -> each stderr line: (its mu path, what it says); no line: faithful.
EXPECTED: dict[str, list[tuple[str, str]]] = {
    "ecs-two-environments": [],
    "fargate": [],
    "ec2-instances": [
        ("environments[0].provider", "ec2: muon runs ECS on Fargate or EC2; Fargate chosen"),
        ("environments[0].cluster.keyName", "configures EC2 hosts; this environment runs on Fargate"),
        ("environments[0].cluster.sshAllow", "configures EC2 hosts; this environment runs on Fargate"),
    ],
    "eks": [TEMPLATES, ("environments[0].provider", "eks: muon runs ECS on Fargate or EC2; Fargate chosen")],
    "database-aurora": [],
    "database-serverless": [],
    "database-mysql": [],
    "database-template-patch": [TEMPLATES],
    "pipeline-test-stages": [
        ("environments[1].loadbalancer.hostedzone", "mu also aliased *.production.orchard.example"),
        ("service.pipeline.acceptance.image", "the test action's CodeBuild settings are muon's"),
        ("service.pipeline.acceptance.computeType", "the test action's CodeBuild settings are muon's"),
    ],
    "pipeline-notify-only": [ATTACHED],
    "loadbalancer-hostedzone": [
        ("environments[0].loadbalancer.hostedzone", "mu also aliased *.web-dev.grove.example"),
        ("environments[1].loadbalancer.hostedzone", "mu also aliased *.demo.grove.example"),
    ],
    "loadbalancer-certificate": [],
    "sticky-sessions": [TEMPLATES],
    "custom-cidr": [TEMPLATES],
    "custom-cloudformation": [TEMPLATES],
    "extensions": [("extensions", "mu extensions patch CloudFormation")],
    "service-discovery": [("environments[0].discovery", "reached through Service Connect (kind: backend)")],
    "vpc-target": [],
    "vpn-template": [TEMPLATES],
    "schedules": [],
    "environment-variables": [],
    "multiple-environments": [],
    "parameters": [("parameters.mu-cluster-dev.SshAllow", "a CloudFormation parameter: set the muon key")],
    "tags": [],
    "batch": [
        ATTACHED,
        ("service.provider", "ran the service as an AWS Batch job: muon has no Batch"),
        ("service.command", "give jobs.<name>.command"),
        ("service.retryAttempts", "muon's jobs run once a schedule"),
    ],
}


def test_every_situation_has_a_file_and_an_expected_verdict() -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in CORPUS.iterdir() if (p / "mu.yml").is_file())


@pytest.mark.slow
@pytest.mark.parametrize("situation", sorted(EXPECTED))
def test_a_mu_file_imports_inits_and_plans_with_every_loss_named(
    situation: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MU_CORPUS_TEAM", "grove")  # environment-variables' ${env:MU_CORPUS_TEAM}
    monkeypatch.delenv("MU_NAMESPACE", raising=False)
    result = walk(tmp_path, (CORPUS / situation / "mu.yml").read_text(encoding="utf-8"))
    assert (result.failed, result.silent) == ("", [])
    assert result.stacks  # init wrote a stack file per environment, and each one planned
    expected = EXPECTED[situation]
    assert [line.split(": ", 1)[0] for line in result.losses] == [path for path, _ in expected]
    for line, (_, says) in zip(result.losses, expected, strict=True):
        assert says in line
    assert (result.verdict, result.import_code) == (("lossy", 1) if expected else ("faithful", 0))
    if situation == "ecs-two-environments":  # mu's GitHub token: a connection to set, said beside
        assert any("GitHub through a CodeStar connection" in note for note in result.notes)


def test_a_key_nothing_converts_or_names_is_found() -> None:
    """The silence check is no formality: a key neither in the mapping table nor on stderr is caught."""
    from tests.mu_walkthrough import silent

    data = {"service": {"name": "x", "pipeline": {"acceptance": {"image": "a"}}, "port": 80}}
    assert silent(data, []) == ["service.pipeline.acceptance.image"]
    assert silent(data, ["service.pipeline.acceptance.image: not converted (...)"]) == []
