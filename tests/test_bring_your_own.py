"""Bring your own: KMS keys by purpose, the pipeline's artifact bucket, pre-created roles."""

from __future__ import annotations

import pytest

from muon.plan.offline import Rendering
from tests.conftest import definition_error, render_definition_text

ACCOUNT = "123456789012"
LOGS_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/11111111-1111-1111-1111-111111111111"
DATA_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/22222222-2222-2222-2222-222222222222"
PIPELINE_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/33333333-3333-3333-3333-333333333333"
EXECUTION = f"arn:aws:iam::{ACCOUNT}:role/acme/banana-execution"
TASK = f"arn:aws:iam::{ACCOUNT}:role/acme/banana-task"
DEPLOY = f"arn:aws:iam::{ACCOUNT}:role/acme/pipeline-deploy"
CONNECTION = (
    f"arn:aws:codestar-connections:us-east-1:{ACCOUNT}:connection/00000000-0000-0000-0000-000000000000"
)

DEFINITION = f"""
keys: {{logs: {LOGS_KEY}, data: {DATA_KEY}, pipeline: {PIPELINE_KEY}}}
environments:
  dev: {{}}
services:
  banana:
    port: 8080
    pathPatterns: [/bananas]
    database: {{name: banana}}
    roles: {{execution: {EXECUTION}, task: {TASK}}}
  apple: {{port: 8080, pathPatterns: [/apples]}}
pipeline:
  source: {{repo: acme/banana, connection: '{CONNECTION}'}}
  artifactBucket: acme-pipeline-artifacts
  deployRoleArn: {DEPLOY}
  stages: [{{environment: dev}}]
"""


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> Rendering:
    return render_definition_text(tmp_path_factory.mktemp("byo"), DEFINITION, ["dev"])


@pytest.fixture(scope="module")
def delivery(tmp_path_factory: pytest.TempPathFactory) -> Rendering:
    return render_definition_text(
        tmp_path_factory.mktemp("byo-pipeline"),
        DEFINITION,
        [],
        extra_config={
            "muon:pipeline": True,
            "muon:backend": "s3://acme-pulumi-state",
            "muon:secretsProvider": "awskms://alias/muon-pulumi?region=us-east-1",
        },
    )


def test_no_key_is_created_and_the_given_ones_are_used(environment: Rendering, delivery: Rendering) -> None:
    assert environment.of_type("aws:kms/key:Key") == []
    assert delivery.of_type("aws:kms/key:Key") == []
    for group in environment.of_type("aws:cloudwatch/logGroup:LogGroup"):
        expected = (
            DATA_KEY if "database" in group.name or group.inputs["name"].startswith("/aws/rds/") else LOGS_KEY
        )
        assert group.inputs["kmsKeyId"] == expected, group.name
    (topic,) = environment.of_type("aws:sns/topic:Topic")
    assert topic.inputs["kmsMasterKeyId"] == LOGS_KEY
    cluster = environment.one("aws:rds/cluster:Cluster")
    assert cluster.inputs["kmsKeyId"] == DATA_KEY
    pipeline = delivery.one("aws:codepipeline/pipeline:Pipeline").inputs
    assert pipeline["artifactStores"][0]["encryptionKey"]["id"] == PIPELINE_KEY
    for repository in delivery.of_type("aws:ecr/repository:Repository"):
        assert repository.inputs["encryptionConfigurations"][0]["kmsKey"] == PIPELINE_KEY


def test_the_given_artifact_bucket_is_used(delivery: Rendering) -> None:
    pipeline = delivery.one("aws:codepipeline/pipeline:Pipeline").inputs
    assert pipeline["artifactStores"][0]["location"] == "acme-pipeline-artifacts"
    assert not [b for b in delivery.of_type("aws:s3/bucket:Bucket") if "artifacts" in b.name]
    policy = delivery.one("aws:iam/rolePolicy:RolePolicy", "pipeline-image-policy").json("policy")
    resources = str([s["Resource"] for s in policy["Statement"]])
    assert "arn:aws:s3:::acme-pipeline-artifacts" in resources


def test_pre_created_service_roles_are_used_and_none_created(environment: Rendering) -> None:
    roles = {r.name for r in environment.of_type("aws:iam/role:Role")}
    assert not {"dev-banana-execution-role", "dev-banana-task-role"} & roles
    assert {"dev-apple-execution-role", "dev-apple-task-role"} <= roles  # only where given
    policies = {p.name for p in environment.of_type("aws:iam/rolePolicy:RolePolicy")}
    assert not {"dev-banana-execution-policy", "dev-banana-task-policy"} & policies
    task = environment.one("aws:ecs/taskDefinition:TaskDefinition", "dev-banana-task").inputs
    assert (task["executionRoleArn"], task["taskRoleArn"]) == (EXECUTION, TASK)


def test_a_pre_created_deploy_role(delivery: Rendering) -> None:
    projects = {p.inputs["name"]: p.inputs for p in delivery.of_type("aws:codebuild/project:Project")}
    deploy = next(v for k, v in projects.items() if k.endswith("-deploy"))
    assert deploy["serviceRole"] == DEPLOY
    roles = {r.name for r in delivery.of_type("aws:iam/role:Role")}
    assert "pipeline-deploy-role" not in roles
    assert "pipeline-image-role" in roles  # the other projects keep muon's roles


@pytest.mark.parametrize(
    ("text", "path", "expected"),
    [
        ("keys: {logs: alias/acme-logs}\n", "keys.logs", "a KMS key ARN"),
        (
            f"services: {{banana: {{port: 80, pathPatterns: [/b], roles: {{task: {TASK}}}, "
            "permissions: [{actions: [s3:GetObject], resources: ['arn:aws:s3:::b/*']}]}}\n",
            "services.banana.permissions",
            "muon attaches nothing to it",
        ),
        (
            "services: {banana: {port: 80, pathPatterns: [/b], roles: {task: banana-task}}}\n",
            "services.banana.roles.task",
            "an IAM role ARN",
        ),
    ],
    ids=["key-alias", "permissions-on-own-role", "role-name"],
)
def test_bad_bring_your_own_input_is_one_line(text: str, path: str, expected: str) -> None:
    message = definition_error("environments: {dev: {}}\n" + text)
    assert message.startswith(f"muon.yaml: {path}: ")
    assert expected in message


OTHER = "222222222222"
ELSEWHERE = f"arn:aws:iam::{OTHER}:role/acme/apple-execution"  # the company's path, not /muon/
CROSS_ACCOUNT = f"""
environments:
  dev: {{}}
services:
  apple:
    port: 8080
    pathPatterns: [/apples]
    roles: {{execution: {ELSEWHERE}}}
pipeline:
  source: {{repo: acme/apple, connection: '{CONNECTION}'}}
  stages: [{{environment: dev}}]
"""
DELIVERY_CONFIG = {
    "muon:pipeline": True,
    "muon:backend": "s3://acme-pulumi-state",
    "muon:secretsProvider": "awskms://alias/muon-pulumi?region=us-east-1",
}


def test_a_brought_execution_role_in_another_account_may_pull_the_delivery_images(tmp_path) -> None:
    # The repository policy admitted only principals under muon's /<namespace>/ path: a role the
    # company made under its own path could not pull across accounts (ECR user guide, "Private
    # repository policy examples": cross-account pulls need the repository policy).
    delivery = render_definition_text(tmp_path, CROSS_ACCOUNT, [], extra_config=DELIVERY_CONFIG)
    policy = delivery.one("aws:ecr/repositoryPolicy:RepositoryPolicy", "registry-apple-pull").json("policy")
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"AWS": [f"arn:aws:iam::{OTHER}:root"]}
    assert statement["Condition"]["ArnLike"]["aws:PrincipalArn"] == [
        f"arn:aws:iam::{OTHER}:role/muon/*",
        ELSEWHERE,
    ]
    assert sorted(statement["Action"]) == [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    ]


def test_a_brought_execution_role_the_registry_cannot_admit_is_refused(tmp_path) -> None:
    from muon.stacks.errors import DefinitionError

    definition = CROSS_ACCOUNT.replace("stages:", "registry: {pullAccounts: ['333333333333']}\n  stages:")
    with pytest.raises(DefinitionError) as caught:
        render_definition_text(tmp_path, definition, [], extra_config=DELIVERY_CONFIG)
    (problem,) = caught.value.problems
    assert problem.endswith(
        f"services.apple.roles.execution: account {OTHER} cannot pull the pipeline's images: "
        "pipeline.registry.pullAccounts admits only 333333333333; add it there"
    )
    # A role of the delivery account itself pulls with its IAM policy: nothing to admit.
    same = CROSS_ACCOUNT.replace(OTHER, ACCOUNT)
    delivery = render_definition_text(tmp_path, same, [], extra_config=DELIVERY_CONFIG)
    assert delivery.of_type("aws:ecr/repositoryPolicy:RepositoryPolicy") == []
