"""The CrossGuard pack (policy/pack) reports what the offline plan reports, at the same levels, from
the same rules: its validations are called here on the rendered resources (no CLI needed)."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
)

from muon.plan.offline import Rendering
from muon.policy.crossguard import policies
from muon.policy.levels import assess
from tests.conftest import PROJECT_DIR


def as_policy_resources(rendering: Rendering) -> list[PolicyResource]:
    """The rendered resources as CrossGuard hands them to a stack validation."""
    made: dict[str, PolicyResource] = {}
    for resource in rendering.resources:  # parents come before their children
        options = PolicyResourceOptions(
            protect=False,
            ignore_changes=[],
            delete_before_replace=None,
            aliases=[],
            custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
            additional_secret_outputs=[],
            parent=resource.parent or None,
        )
        made[resource.urn] = PolicyResource(
            resource.type,
            dict(resource.inputs),
            resource.urn,
            resource.name,
            options,
            None,
            made.get(resource.parent),
            [],
            {},
        )
    return list(made.values())


def pack_violations(rendering: Rendering) -> dict[str, list[tuple[str, str | None]]]:
    resources = as_policy_resources(rendering)
    return {policy.name: run(policy, resources) for policy in policies()}


def run(policy: object, resources: list[PolicyResource]) -> list[tuple[str, str | None]]:
    reported: list[tuple[str, str | None]] = []

    def report(message: str, urn: str | None = None) -> None:
        reported.append((message, urn))

    policy.validate(StackValidationArgs(resources), report)  # type: ignore[attr-defined]
    return reported


def test_the_pack_and_the_plan_report_the_same_findings(dev: Rendering, prod: Rendering) -> None:
    for rendering in (dev, prod):
        assessed, _ = assess(rendering.custom_resources)
        violations = pack_violations(rendering)
        for level in ("mandatory", "advisory"):
            plan = sorted(str(a.finding) for a in assessed if a.level == level)
            pack = sorted(message for message, _ in violations[f"muon-compliance-{level}"])
            assert pack == plan, level


def test_levels_production_mandatory_development_advisory(dev: Rendering, prod: Rendering) -> None:
    assert pack_violations(prod)["muon-compliance-mandatory"] == []  # production meets every control
    dev_violations = pack_violations(dev)
    assert dev_violations["muon-compliance-mandatory"] == []
    advisory = dev_violations["muon-compliance-advisory"]
    assert len(advisory) >= 15  # development's documented trade-offs (docs/compliance.md)
    urns = {r.name: r.urn for r in dev.resources}
    for message, urn in advisory:
        assert urn == urns[message.split()[1].rstrip(":")]  # each violation names its resource


def test_a_production_finding_fails_the_preview(prod: Rendering) -> None:
    """Remove a control from a production resource: the mandatory policy reports it."""
    resources = as_policy_resources(prod)
    cluster = next(r for r in resources if r.resource_type == "aws:rds/cluster:Cluster")
    cluster.props = {**cluster.props, "deletionProtection": False}
    mandatory = next(p for p in policies() if p.name == "muon-compliance-mandatory")
    assert mandatory.enforcement_level == EnforcementLevel.MANDATORY
    reported = [message for message, _ in run(mandatory, resources)]
    assert any(message.startswith("RDS.7 production-banana-database-cluster") for message in reported)


def test_the_pack_folder_is_a_python_policy_pack() -> None:
    pack = PROJECT_DIR / "policy" / "pack"
    settings = yaml.safe_load((pack / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert settings["runtime"]["name"] == "python"
    program = ast.parse((pack / "__main__.py").read_text(encoding="utf-8"))
    calls = [n.func.id for n in ast.walk(program) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert "PolicyPack" in calls and "policies" in calls
    requirements = (pack / "requirements.txt").read_text(encoding="utf-8")
    assert "pulumi-policy==" in requirements
    assert Path(pack / "../..").resolve() == PROJECT_DIR.resolve()  # `-e ../..` installs this repository
