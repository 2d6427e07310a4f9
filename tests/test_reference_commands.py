"""`muon schema` and `muon deploy-role-policy`: what a team must run comes from the installed muon,
and is the very thing muon checks or deploys with."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from muon.cli.main import app
from muon.plan.mocks import DEFAULT_ACCOUNT
from muon.plan.offline import Rendering
from muon.stacks.definition.schema import ORGANIZATION_SCHEMA_PATH, SCHEMA_PATH, SCHEMAS, schema_text
from tests.conftest import PROJECT_DIR


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_schema_prints_the_definitions_schema_as_the_program_checks_it() -> None:
    code, out, _ = invoke("schema")
    assert code == 0
    assert out == (PROJECT_DIR / SCHEMA_PATH).read_text() == schema_text(SCHEMAS[SCHEMA_PATH])
    assert json.loads(out)["title"] == "muon definition (muon.yaml)"


def test_schema_organization_prints_organization_yamls() -> None:
    code, out, _ = invoke("schema", "organization")
    assert code == 0
    assert out == schema_text(SCHEMAS[ORGANIZATION_SCHEMA_PATH])
    assert json.loads(out)["title"] == "OrganizationSpec"


def test_schema_of_something_else_is_a_usage_error() -> None:
    code, out, _ = invoke("schema", "pipeline")
    assert code == 2 and out == ""


def test_deploy_role_policy_is_the_one_the_pipelines_deploy_roles_hold(delivery: Rendering) -> None:
    code, out, err = invoke("--cwd", str(PROJECT_DIR), "deploy-role-policy", "--account", DEFAULT_ACCOUNT)
    assert code == 0, err
    printed = json.loads(out)["Statement"]
    (broad,) = [p for p in delivery.of_type("aws:iam/policy:Policy") if p.name.endswith("-deploy-broad")]
    held = json.loads(broad.inputs["policy"])["Statement"]
    assert printed[: len(held)] == held  # the namespace's IAM and KMS, <service>:* for the rest
    state = [
        s
        for p in delivery.of_type("aws:iam/rolePolicy:RolePolicy")
        if p.name.endswith("-deploy-policy")
        for s in json.loads(p.inputs["policy"])["Statement"]
        if s.get("Sid", "").startswith("Pulumi")
    ]
    assert state and printed[len(held) :] == state  # the backend and the secrets key of Pulumi.pipeline.yaml


def test_deploy_role_policy_wants_an_account_id() -> None:
    code, out, err = invoke("--cwd", str(PROJECT_DIR), "deploy-role-policy", "--account", "12")
    assert code == 2 and out == "" and "--account: expected a 12-digit AWS account id" in err
