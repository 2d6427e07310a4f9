"""The offline plan command and the checked-in JSON Schema."""

from __future__ import annotations

import io
import json

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


def test_plan_is_deterministic(tmp_path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    run_plan("dev", "--json", str(first), "--quiet")
    run_plan("dev", "--json", str(second), "--quiet")
    assert first.read_text() == second.read_text()


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
