"""The CrossGuard pack (`muon policy-pack`) reports what the offline plan reports, at the same levels, from
the same rules: its validations are called here on the rendered resources (no CLI needed)."""

from __future__ import annotations

import fnmatch
import runpy
import sys
import tomllib
from importlib.resources import files
from pathlib import Path

import pulumi_policy
import pytest
import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    StackValidationArgs,
)

from muon.cli.main import entry
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


def run_muon(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        entry(list(args))
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def test_muon_policy_pack_writes_a_pack_pulumi_runs_in_muons_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`pulumi preview --policy-pack "$(muon policy-pack)"` from a team's repository: the command's
    only output is the folder; the pack names the virtualenv muon runs in (muon and pulumi-policy
    are there) and builds muon's two stack validations."""
    folder = tmp_path / "pack"
    code, out, err = run_muon(capsys, "policy-pack", "--path", str(folder))
    assert (code, out, err) == (0, f"{folder}\n", "")
    assert sorted(p.name for p in folder.iterdir()) == [
        "PulumiPolicy.yaml",
        "__main__.py",
        "requirements.txt",
    ]
    settings = yaml.safe_load((folder / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert settings["runtime"] == {
        "name": "python",
        "options": {"toolchain": "pip", "virtualenv": sys.prefix},
    }
    assert Path(sys.prefix, "bin", "python").exists()  # what Pulumi's analyzer runs the pack with
    assert "pulumi-policy>=1.21,<2" in (folder / "requirements.txt").read_text(encoding="utf-8")
    built: dict[str, object] = {}
    monkeypatch.setattr(
        pulumi_policy, "PolicyPack", lambda name, policies: built.update(name=name, policies=policies)
    )
    runpy.run_path(str(folder / "__main__.py"), run_name="__main__")
    assert built["name"] == "muon-compliance"
    assert [p.name for p in built["policies"]] == ["muon-compliance-mandatory", "muon-compliance-advisory"]  # type: ignore[attr-defined]


def test_the_pack_ships_in_the_package_and_defaults_to_the_users_cache(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = files("muon") / "data" / "policy-pack"
    assert all(
        shipped.joinpath(name).is_file() for name in ("PulumiPolicy.yaml", "__main__.py", "requirements.txt")
    )
    patterns = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["muon"]
    for name in ("PulumiPolicy.yaml", "__main__.py", "requirements.txt"):  # the wheel takes them
        assert any(fnmatch.fnmatch(f"data/policy-pack/{name}", pattern) for pattern in patterns), name
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    code, out, _ = run_muon(capsys, "policy-pack")
    assert (code, out) == (0, f"{tmp_path / 'cache' / 'muon' / 'policy-pack'}\n")
    (tmp_path / "file").write_text("")
    code, out, err = run_muon(capsys, "policy-pack", "--path", str(tmp_path / "file" / "pack"))
    assert (code, out) == (2, "")
    assert err.startswith("muon: policy-pack: ") and err.count("\n") == 1


def test_target_tracking_beside_step_scaling_passes_the_mandatory_pack(tmp_path: Path) -> None:
    """CloudWatch.15-steps per scalable target in the pack too: a target-tracking service and a
    step-scaled one in production report nothing; the step-scaled one without its scale-in does."""
    from tests.conftest import render_definition_text
    from tests.test_target_tracking import TWO_SERVICES

    rendering = render_definition_text(tmp_path, TWO_SERVICES, ["production"])
    mandatory = next(p for p in policies() if p.name == "muon-compliance-mandatory")
    resources = as_policy_resources(rendering)
    assert not [m for m, _ in run(mandatory, resources) if m.startswith("CloudWatch.15-steps")]
    without_in = [r for r in resources if r.name != "production-cherry-scaling-scale-in"]
    assert [m for m, _ in run(mandatory, without_in) if m.startswith("CloudWatch.15-steps")] == [
        "CloudWatch.15-steps production-cherry-scaling-scale-out: scaling does not go both ways"
    ]
