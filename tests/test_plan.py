"""The offline plan command and the checked-in JSON Schema."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from muon.plan.command import main
from muon.stacks.definition.schema import SCHEMA_PATH, SCHEMAS, schema_text
from tests.conftest import PROJECT_DIR


def run_plan(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_plan_prints_the_tree_counts_and_compliance() -> None:
    code, out, _ = run_plan("dev")
    assert code == 0
    assert "└─ muon:network:Environment  dev" in out
    assert "muon:network:Network  dev" in out
    assert "aws:ec2/instance:Instance  dev-nat-instance" in out
    assert "aws:ec2/subnet:Subnet                " in out  # the counts table
    assert "Compliance (FSBP/Checkov controls" in out


def test_plan_json_holds_the_graph_with_parents_and_inputs(tmp_path) -> None:
    target = tmp_path / "plan.json"
    code, out, _ = run_plan("prod", "--json", str(target), "--quiet")
    assert code == 0 and f"wrote {target}" in out
    document = json.loads(target.read_text())
    assert document["stack"] == "prod"
    by_name = {r["name"]: r for r in document["resources"]}
    vpc = by_name["production-vpc"]
    assert vpc["type"] == "aws:ec2/vpc:Vpc"
    assert vpc["inputs"]["cidrBlock"] == "10.0.0.0/16"
    by_urn = {r["urn"]: r for r in document["resources"]}
    assert by_urn[vpc["parent"]]["type"] == "muon:network:Network"
    assert document["counts"]["aws:ec2/natGateway:NatGateway"] == 3
    assert document["outputs"]["environments"]["production"]["clusterName"] == "muon-production"
    # What CI gates on: production meets every control; the documented exceptions say why not.
    assert document["findings"] == []
    assert document["summary"]["mandatory"] == 0 and document["summary"]["excepted"] > 0
    excepted = {(e["control"], e["resource"]): e for e in document["exceptions"]}
    rds = excepted["RDS.23", "production-banana-database-cluster"]
    assert rds["reason"].startswith("A non-default port hides nothing") and rds["urn"].endswith(
        "::production-banana-database-cluster"
    )


def test_plan_is_deterministic(tmp_path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    run_plan("dev", "--json", str(first), "--quiet")
    run_plan("dev", "--json", str(second), "--quiet")
    assert first.read_text() == second.read_text()
    document = json.loads(first.read_text())
    levels = {f["level"] for f in document["findings"]}
    assert levels == {"advisory"} and document["summary"]["advisory"] == len(document["findings"]) >= 15
    finding = next(f for f in document["findings"] if f["control"] == "RDS.7")
    assert finding == {
        "control": "RDS.7",
        "resource": "dev-banana-database-cluster",
        "urn": next(r["urn"] for r in document["resources"] if r["name"] == "dev-banana-database-cluster"),
        "message": "deletion protection off",
        "level": "advisory",
    }
    assert document["warnings"] and all(w["level"] == "warning" for w in document["warnings"])


def test_unknown_stack_is_one_line_and_exit_2() -> None:
    code, out, err = run_plan("staging")
    assert code == 2
    assert err == "error: Pulumi.staging.yaml: no such stack file; stacks here: dev, org, pipeline, prod\n"
    assert "Traceback" not in err and out == ""


def test_schemas_are_current() -> None:
    for path, model in ((PROJECT_DIR / p, m) for p, m in SCHEMAS.items()):
        assert path.read_text() == schema_text(model), (
            f"{path.name} is stale; run: python -m muon.stacks.definition.schema"
        )


def test_schema_rejects_unknown_keys_and_knows_the_enums() -> None:
    schema = json.loads((PROJECT_DIR / SCHEMA_PATH).read_text())
    network = schema["$defs"]["NetworkSpec"]
    assert network["additionalProperties"] is False
    nat = network["properties"]["nat"]["anyOf"][0]
    assert nat["enum"] == ["none", "single", "per-az", "instance"]


def test_secret_inputs_are_masked_in_the_plan_and_clear_for_assertions() -> None:
    import pulumi
    import pulumi_aws as aws

    from muon.plan.offline import SECRET_MASK, render

    def program() -> None:
        aws.ssm.Parameter("p", type="SecureString", value=pulumi.Output.secret("hunter22"))

    (parameter,) = render(program, config={}, stack="t").of_type("aws:ssm/parameter:Parameter")
    assert parameter.masked_inputs["value"] == SECRET_MASK
    assert parameter.inputs["value"] == "hunter22"
    assert parameter.masked_inputs["type"] == "SecureString"


def test_a_bad_command_line_is_one_line_and_exit_2() -> None:
    code, out, err = run_plan("dev", "--timeline=fast")
    assert code == 2 and out == ""
    assert err == (
        "error: argument --timeline: ignored explicit argument 'fast' (see: python -m muon.plan --help)\n"
    )


PRODUCTION_FINDING = """\
environments:
  production: {loadBalancer: {allowPlainHttp: true}}
services:
  banana: {port: 8080, pathPatterns: [/bananas], readonlyRootFilesystem: false}
"""


def test_fail_on_mandatory_fails_a_production_finding(tmp_path: Path) -> None:
    """ECS.5 in production is mandatory: reported (exit 0) without --fail-on, exit 1 with it; the
    JSON on standard output carries it, the text report goes to standard error."""
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_DIR / "Pulumi.yaml").read_text())
    (tmp_path / "muon.yaml").write_text(PRODUCTION_FINDING)
    (tmp_path / "Pulumi.prod.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  muon:environments: [production]\n"
    )
    out, err = io.StringIO(), io.StringIO()
    assert main(["prod", "--quiet"], out=out, err=err, project_dir=tmp_path) == 0
    assert "open  mandatory ECS.5 production-banana-task/app: root filesystem is writable" in out.getvalue()
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["prod", "--quiet", "--json", "-", "--fail-on", "mandatory"], out=out, err=err, project_dir=tmp_path
    )
    assert code == 1
    document = json.loads(out.getvalue())
    assert [(f["control"], f["level"]) for f in document["findings"]] == [("ECS.5", "mandatory")]
    assert err.getvalue().startswith("Offline plan of stack 'prod'")
    assert err.getvalue().endswith("error: --fail-on mandatory: 1 mandatory finding (listed above)\n")


def test_fail_on_warning_fails_a_warning_advisory_findings_never() -> None:
    code, _, err = run_plan("dev", "--quiet", "--fail-on", "mandatory")  # 16 advisory findings
    assert code == 0 and "--fail-on" not in err
    code, _, err = run_plan("dev", "--quiet", "--fail-on", "warning")
    assert code == 1
    assert err.startswith("error: --fail-on warning: 1 warning (listed above)")
    assert run_plan("dev", "--fail-on", "advisory")[0] == 2


def test_muon_plan_takes_the_same_flags(tmp_path: Path, capsys, monkeypatch) -> None:
    """`muon plan` is `python -m muon.plan`: --json FILE writes the file (it was taken for the global
    --json and ignored), `muon --json plan` prints the JSON, --help lists the plan's own flags."""
    from muon.cli.main import entry

    monkeypatch.chdir(PROJECT_DIR)
    # The command closes its event loop before the process exits; this process renders on.
    monkeypatch.setattr("muon.plan.offline.close_event_loop", lambda: None)
    target = tmp_path / "plan.json"
    with pytest.raises(SystemExit) as exited:
        entry(["plan", "dev", "--json", str(target), "--quiet"])
    assert exited.value.code == 0 and json.loads(target.read_text())["stack"] == "dev"
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:
        entry(["--json", "plan", "dev", "--quiet"])
    out, err = capsys.readouterr()
    assert exited.value.code == 0 and json.loads(out)["findings"] and "Offline plan of stack 'dev'" in err
    with pytest.raises(SystemExit) as exited:
        entry(["plan", "--help"])
    out, _ = capsys.readouterr()
    assert (
        out.startswith("usage: muon plan [-h] [--json FILE]")
        and "--fail-on {mandatory,warning,data-loss}" in out
    )
