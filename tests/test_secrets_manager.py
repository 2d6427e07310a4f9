"""Secrets from AWS Secrets Manager beside Parameter Store: ``valueFrom`` as ECS documents it
("Pass Secrets Manager secrets through Amazon ECS environment variables"), read and decrypt grants
on exactly the named secrets and keys, and bad references refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from muon.plan.offline import Rendering
from muon.stacks.errors import DefinitionError
from tests.aws_models import assert_valid
from tests.conftest import render_definition_text

ENVS = "environments: {dev: {}, production: {}}\n"
BANANA = ENVS + "services:\n  banana:\n    port: 8080\n    pathPatterns: [/bananas]\n"
ACCOUNT = "arn:aws:secretsmanager:us-east-1:123456789012:secret"
SECRET_KEY = "arn:aws:kms:us-east-1:111111111111:key/55555555-5555-5555-5555-555555555555"


def _container(rendering: Rendering) -> dict:
    (definition,) = rendering.one("aws:ecs/taskDefinition:TaskDefinition", "dev-banana-task").json(
        "containerDefinitions"
    )
    return definition


def _statements(rendering: Rendering) -> dict[str, dict]:
    policy = rendering.one("aws:iam/rolePolicy:RolePolicy", "dev-banana-execution-policy").json("policy")
    return {s["Sid"]: s for s in policy["Statement"]}


def test_secrets_manager_secrets_arrive_as_value_from_with_key_and_version(render_definition) -> None:
    rendering = render_definition(
        BANANA
        + "    secrets:\n"
        + "      API_TOKEN: /banana/api-token\n"
        + "      STRIPE: {secret: 'banana/${Environment}/stripe'}\n"
        + "      DB_USER: {secret: banana/db, jsonKey: username}\n"
        + "      DB_PASS: {secret: banana/db, jsonKey: password, versionStage: AWSPREVIOUS}\n"
        + f"      PARTNER: {{secret: '{ACCOUNT}:partner-AbC123', versionId: 0123456789abcdef0123456789abcdef,"
        + f" key: '{SECRET_KEY}'}}\n",
        ["dev"],
    )
    app = _container(rendering)
    assert app["secrets"] == [
        {"name": "API_TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/banana/api-token"},
        {"name": "DB_PASS", "valueFrom": f"{ACCOUNT}:banana/db:password:AWSPREVIOUS:"},
        {"name": "DB_USER", "valueFrom": f"{ACCOUNT}:banana/db:username::"},
        {"name": "PARTNER", "valueFrom": f"{ACCOUNT}:partner-AbC123:::0123456789abcdef0123456789abcdef"},
        {"name": "STRIPE", "valueFrom": f"{ACCOUNT}:banana/dev/stripe"},
    ]
    statements = _statements(rendering)
    # Exactly the named secrets: a name's ARN with Secrets Manager's six characters, a complete ARN as is.
    assert statements["ReadOwnSecrets"]["Action"] == "secretsmanager:GetSecretValue"
    assert statements["ReadOwnSecrets"]["Resource"] == [
        f"{ACCOUNT}:banana/db-??????",
        f"{ACCOUNT}:banana/dev/stripe-??????",
        f"{ACCOUNT}:partner-AbC123",
    ]
    assert statements["DecryptOwnSecrets"] == {
        "Sid": "DecryptOwnSecrets",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": SECRET_KEY,
        "Condition": {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}},
    }
    # Parameter Store keeps its own statements, on the parameter only.
    assert statements["ReadOwnParameters"]["Resource"] == [
        "arn:aws:ssm:us-east-1:123456789012:parameter/banana/api-token"
    ]
    task = rendering.one("aws:ecs/taskDefinition:TaskDefinition", "dev-banana-task")
    assert_valid(
        "ecs", "RegisterTaskDefinition", {"family": task.inputs["family"], "containerDefinitions": [app]}
    )


def test_only_secrets_manager_secrets_grant_no_parameter_or_environment_key(render_definition) -> None:
    rendering = render_definition(BANANA + "    secrets: {STRIPE: {secret: banana/stripe}}\n", ["dev"])
    statements = _statements(rendering)
    assert "ReadOwnParameters" not in statements
    assert "DecryptOwnParameters" not in statements
    # AWS's own aws/secretsmanager key needs no grant of the role.
    assert "DecryptOwnSecrets" not in statements
    assert statements["ReadOwnSecrets"]["Resource"] == f"{ACCOUNT}:banana/stripe-??????"


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        (
            "{secret: banana/db, versionStage: AWSCURRENT, versionId: 0123456789abcdef0123456789abcdef}",
            "services.banana.secrets.DB.versionId: give versionStage or versionId, not both",
        ),
        (
            "{secret: banana/db, jsonKey: 'a:b'}",
            "services.banana.secrets.DB.jsonKey: expected a key of the secret's JSON object (no ':' or spaces)",
        ),
        (
            "{secret: 'banana db'}",
            "services.banana.secrets.DB.secret: expected a Secrets Manager secret name (e.g. banana/stripe) "
            "or its ARN",
        ),
        (
            "{secret: banana/db, versionId: v1}",
            "services.banana.secrets.DB.versionId: expected a secret version id (32 to 64 letters, digits, '-')",
        ),
        (
            "{secret: 'banana/${Stage}/db'}",
            "services.banana.secrets.DB.secret: only ${Environment} and ${ServiceName} may stand in a secret's name",
        ),
        (
            "{secret: banana/db, key: 'arn:aws:kms:eu-west-1:111111111111:key/55555555-5555-5555-5555-555555555555'}",
            "services.banana.secrets.DB.key: the key is in eu-west-1, the secret in us-east-1; Secrets Manager "
            "encrypts a secret with a key of the secret's own region",
        ),
        (
            "{secret: 'arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:db-AbC123'}",
            "services.banana.secrets.DB.secret: a Secrets Manager secret of partition aws-cn",
        ),
        (
            "{secret: banana/db, parameter: /x}",
            "services.banana.secrets.DB.parameter: ",
        ),
    ],
)
def test_a_bad_secrets_manager_reference_is_refused_in_one_line(render_definition, secret, expected) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(BANANA + f"    secrets: {{DB: {secret}}}\n", ["dev"])
    (problem,) = caught.value.problems
    assert expected in problem, problem
    assert "\n" not in problem


def test_a_secret_of_another_region_is_read_by_its_arn_and_decrypted_there(render_definition) -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:222222222222:secret:shared/token-Xy12Z9"
    key = "arn:aws:kms:eu-west-1:222222222222:key/66666666-6666-6666-6666-666666666666"
    rendering = render_definition(
        BANANA + f"    secrets: {{TOKEN: {{secret: '{arn}', jsonKey: token, key: '{key}'}}}}\n", ["dev"]
    )
    assert _container(rendering)["secrets"] == [{"name": "TOKEN", "valueFrom": f"{arn}:token::"}]
    statements = _statements(rendering)
    assert statements["ReadOwnSecrets"]["Resource"] == arn
    assert statements["DecryptOwnSecrets"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}
    }


FUNCTION = """environments: {{dev: {{}}}}
functions:
  hello:
    source: fn
    runtime: python3.12
    handler: app.handler
    secrets: {secrets}
"""


def _function_project(tmp_path: Path) -> Path:
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    return tmp_path


def test_a_function_reads_its_secrets_manager_secrets_by_variable(tmp_path: Path) -> None:
    secrets = (
        "{TOKEN: /acme/token, STRIPE: {secret: 'acme/${Environment}/stripe', key: '"
        + SECRET_KEY.replace("111111111111", "123456789012")
        + "'}}"
    )
    rendering = render_definition_text(_function_project(tmp_path), FUNCTION.format(secrets=secrets), ["dev"])
    function = rendering.one("aws:lambda/function:Function", "dev-hello-function").inputs
    assert function["environment"]["variables"] == {
        "TOKEN_PARAMETER": "/acme/token",
        "STRIPE_SECRET": f"{ACCOUNT}:acme/dev/stripe",
    }
    policy = rendering.one("aws:iam/rolePolicy:RolePolicy", "dev-hello-role-policy").json("policy")
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["ReadOwnSecrets"]["Resource"] == f"{ACCOUNT}:acme/dev/stripe-??????"
    assert statements["DecryptOwnSecrets"]["Resource"] == SECRET_KEY.replace("111111111111", "123456789012")
    assert statements["DecryptOwnSecrets"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
    }
    assert statements["ReadOwnParameters"]["Resource"] == [
        "arn:aws:ssm:us-east-1:123456789012:parameter/acme/token"
    ]


@pytest.mark.parametrize(
    ("secrets", "expected"),
    [
        (
            "{TOKEN: {secret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:t-AbC123'}}",
            "functions.hello.secrets.TOKEN.secret: a Secrets Manager secret of eu-west-1, but it is used in "
            "us-east-1 (the function reads its secrets in its own region)",
        ),
        (
            "{TOKEN: {secret: acme/token, jsonKey: password}}",
            "functions.hello.secrets.TOKEN.jsonKey: ",
        ),
        (
            "{TOKEN: {secret: acme/token}}\n    environment: {TOKEN_SECRET: 'true'}",
            "functions.hello.secrets.TOKEN: also a variable in environment",
        ),
    ],
)
def test_a_bad_function_secret_is_refused_in_one_line(tmp_path: Path, secrets, expected) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition_text(_function_project(tmp_path), FUNCTION.format(secrets=secrets), ["dev"])
    (problem,) = caught.value.problems
    assert expected in problem, problem
    assert "\n" not in problem
