"""The pipeline's deploy policy: `pulumi up` of muon's stacks, with IAM and KMS scoped to what those
stacks create (the namespace's tag, its alias path, muon's managed policies, muon's services)."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import pytest
from botocore.session import get_session

from muon.components.pipeline_access import (
    ATTACHED_MANAGED_POLICIES,
    PASSED_TO_SERVICES,
    SCOPED_SERVICES,
)
from muon.plan.offline import Rendering
from muon.stacks.errors import DefinitionError
from tests.conftest import render_definition_text

ACCOUNT = "123456789012"
CONNECTION = (
    f"arn:aws:codestar-connections:us-east-1:{ACCOUNT}:connection/00000000-0000-0000-0000-000000000000"
)
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/DeveloperBoundary"
DEPLOY_BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/DeployBoundary"
PIPELINE_CONFIG = {
    "muon:pipeline": True,
    "muon:backend": "s3://acme-pulumi-state",
    "muon:secretsProvider": "awskms://alias/muon-pulumi?region=us-east-1",
}
# Every kind of role muon makes: services (execution, task), hosts, flow logs, database monitoring,
# backups, a job (Step Functions, Scheduler), a function (Lambda, CodeDeploy), Chatbot, the pipeline.
EVERYTHING = """
environments:
  production:
    loadBalancer: {allowPlainHttp: true}
    cluster: {provider: ec2, instanceType: m6i.large}
    alarmSlack: {teamId: T0123ABCDE, channelId: C0123ABCDE}
services:
  banana: {port: 8080, pathPatterns: [/bananas], database: {name: banana}}
  mailer: {kind: worker}
jobs:
  nightly: {service: banana, command: [report], schedule: rate(1 day)}
functions:
  hello:
    source: functions/hello
    runtime: python3.12
    handler: app.handler
    triggers: [{type: schedule, schedule: rate(5 minutes)}]
pipeline:
  source: {provider: codecommit, repo: banana}
  notifications: {slack: {teamId: T0123ABCDE, channelId: C0123ABCDE}}
  stages: [{environment: production, test: buildspec-test.yml}]
"""


def _project(directory: Path) -> Path:
    (directory / "functions" / "hello").mkdir(parents=True, exist_ok=True)
    (directory / "functions" / "hello" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    return directory


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendering]:
    directory = _project(tmp_path_factory.mktemp("everything"))
    return {
        "environment": render_definition_text(directory, EVERYTHING, ["production"]),
        "delivery": render_definition_text(directory, EVERYTHING, [], extra_config=PIPELINE_CONFIG),
    }


def deploy_policy_of(delivery: Rendering) -> dict[str, dict]:
    document = delivery.one("aws:iam/policy:Policy", "pipeline-deploy-broad").json("policy")
    return {s["Sid"]: s for s in document["Statement"]}


def listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def test_iam_and_kms_are_no_longer_granted_on_everything(stacks: dict[str, Rendering]) -> None:
    # `iam:*` and `kms:*` on "*" unless a boundary was set: a deploy role could grant itself any
    # permission or schedule every key of the account for deletion.
    statements = deploy_policy_of(stacks["delivery"])
    broad = listed(statements["ManageMuonResources"]["Action"])
    assert not {f"{service}:*" for service in SCOPED_SERVICES} & set(broad)
    for sid, statement in statements.items():
        actions = listed(statement["Action"])
        if not any(a.split(":")[0] in SCOPED_SERVICES for a in actions):
            continue
        condition = json.dumps(statement.get("Condition", {}))
        resources = listed(statement["Resource"])
        if resources == ["*"]:
            # Only creation gated by the request's tag, and list calls AWS scopes to nothing.
            assert '"aws:RequestTag/muon:namespace": "muon"' in condition or sid == "ListKeys", sid
            assert sid != "ListKeys" or set(actions) == {"kms:ListAliases", "kms:ListKeys"}
        else:
            assert all(
                r.startswith((f"arn:aws:iam::{ACCOUNT}:", f"arn:aws:kms:us-east-1:{ACCOUNT}:"))
                for r in resources
            ), sid
    assert statements["PassRolesToMuonsServices"]["Condition"] == {
        "StringEquals": {
            "aws:ResourceTag/muon:namespace": "muon",
            "iam:PassedToService": list(PASSED_TO_SERVICES),
        }
    }
    attach = statements["AttachMuonsPoliciesOnly"]["Condition"]["ArnLike"]["iam:PolicyARN"]
    assert "arn:aws:iam::aws:policy/AdministratorAccess" not in attach
    assert f"arn:aws:iam::{ACCOUNT}:policy/muon/*" in attach
    # The deploy policy lives under the namespace's path: the one customer policy it may attach.
    assert stacks["delivery"].one("aws:iam/policy:Policy", "pipeline-deploy-broad").inputs["path"] == "/muon/"


def test_every_scoped_action_is_a_real_aws_operation(stacks: dict[str, Rendering]) -> None:
    session = get_session()
    models = {"iam": session.get_service_model("iam"), "kms": session.get_service_model("kms")}
    for sid, statement in deploy_policy_of(stacks["delivery"]).items():
        for action in listed(statement["Action"]):
            prefix, name = action.split(":")
            if prefix not in models or name == "*" or action == "iam:PassRole":
                continue
            assert name in models[prefix].operation_names, f"{sid}: {action}"


def test_what_muons_stacks_create_falls_inside_the_scoped_grants(stacks: dict[str, Rendering]) -> None:
    """Each role, policy and key carries the namespace's tag, each alias its path, each attached
    managed policy is one muon attaches, each role trusts a service the deploy may hand it to."""
    managed = {f"arn:aws:iam::aws:policy/{name}" for name in ATTACHED_MANAGED_POLICIES}
    checked = set()
    for rendering in stacks.values():
        for resource in rendering.custom_resources:
            kind, inputs = resource.type, resource.inputs
            if kind in ("aws:iam/role:Role", "aws:iam/policy:Policy", "aws:kms/key:Key"):
                assert (inputs.get("tags") or {}).get("muon:namespace") == "muon", resource.name
            if kind == "aws:iam/role:Role":
                trust = json.loads(inputs["assumeRolePolicy"])
                for statement in trust["Statement"]:
                    for service in listed(statement["Principal"].get("Service", [])):
                        assert service in PASSED_TO_SERVICES, (resource.name, service)
                        checked.add(service)
                assert set(inputs.get("managedPolicyArns") or []) <= managed, resource.name
            elif kind == "aws:kms/alias:Alias":
                assert inputs["name"].startswith("alias/muon/"), inputs["name"]
            elif kind == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
                arn = inputs["policyArn"]
                assert arn in managed or "deploy-broad" in arn, arn
    assert checked == set(PASSED_TO_SERVICES)  # and none listed that no role trusts


def test_roles_are_created_only_under_the_definitions_boundaries(tmp_path: Path) -> None:
    definition = f"permissionsBoundary: {BOUNDARY}\n" + EVERYTHING.replace(
        "pipeline:\n", f"pipeline:\n  deployPermissionsBoundary: {DEPLOY_BOUNDARY}\n"
    )
    delivery = render_definition_text(_project(tmp_path), definition, [], extra_config=PIPELINE_CONFIG)
    statements = deploy_policy_of(delivery)
    assert statements["CreateRolesOfTheNamespace"]["Condition"] == {
        "StringEquals": {
            "aws:RequestTag/muon:namespace": "muon",
            "iam:PermissionsBoundary": [BOUNDARY, DEPLOY_BOUNDARY],
        }
    }
    assert "iam:DeleteRolePermissionsBoundary" not in json.dumps(statements)
    for role in delivery.of_type("aws:iam/role:Role"):
        assert role.inputs["permissionsBoundary"] in (BOUNDARY, DEPLOY_BOUNDARY), role.name


def test_a_deploy_policy_iam_cannot_hold_is_refused(tmp_path: Path) -> None:
    # IAM quotas: a managed policy of at most 6,144 characters, white space not counted.
    long = f"arn:aws:iam::{ACCOUNT}:policy/{'a' * 200}/{'b' * 200}/{'c' * 200}/{'d' * 200}/Boundary"
    definition = f"permissionsBoundary: {long}\n" + EVERYTHING.replace(
        "pipeline:\n", f"pipeline:\n  deployPermissionsBoundary: {long.replace('Boundary', 'Deploy')}\n"
    )
    with pytest.raises(DefinitionError) as caught:
        render_definition_text(_project(tmp_path), definition, [], extra_config=PIPELINE_CONFIG)
    (problem,) = caught.value.problems
    assert "the pipeline's deploy policy names the boundaries and keys of the definition" in problem
    assert problem.endswith("IAM takes 6,144 in a managed policy: shorten the boundary policies' paths")


def test_the_companys_keys_are_usable_not_administered(tmp_path: Path) -> None:
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/11111111-1111-1111-1111-111111111111"
    definition = f"keys: {{data: {key}}}\n" + EVERYTHING
    delivery = render_definition_text(_project(tmp_path), definition, [], extra_config=PIPELINE_CONFIG)
    statement = deploy_policy_of(delivery)["UseTheCompanysKeys"]
    assert listed(statement["Resource"]) == [key]
    assert not {"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:*"} & set(listed(statement["Action"]))
    assert fnmatch.filter(listed(statement["Action"]), "kms:CreateGrant")  # RDS and ECR take grants
