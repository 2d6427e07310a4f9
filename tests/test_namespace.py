"""Namespaces: two projects share an account and region with no name in common."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from muon.components.naming import NAME_RULES, physical_name
from muon.plan.offline import Rendering
from muon.stacks.errors import DefinitionError
from tests.conftest import PROJECT_DIR, render_definition_text, render_repository_stack

CONNECTION = (
    "arn:aws:codestar-connections:us-east-1:111111111111:connection/00000000-0000-0000-0000-000000000000"
)
EVERYTHING = """
environments:
  dev: {}
  production: {domain: {name: app.example.com, zone: example.com}, cluster: {provider: ec2}}
services:
  banana:
    port: 8080
    pathPatterns: [/bananas]
    database: {name: banana}
    build: {context: app}
  apple: {port: 8080, pathPatterns: [/apples], database: {name: apple, engine: aurora-postgresql}}
pipeline:
  source: {provider: codecommit, repo: banana}
  stages: [{environment: dev}, {environment: production, approval: true}]
  notifications: {emails: [team@example.com]}
"""
PIPELINE_CONFIG = {
    "muon:pipeline": True,
    "muon:backend": "s3://state",
    "muon:secretsProvider": "awskms://alias/state?region=us-east-1",
}


def names(rendering: Rendering) -> set[str]:
    """Every name AWS will see that muon chooses (automatic names end in a random suffix)."""
    chosen = set()
    for resource in rendering.custom_resources:
        rule = NAME_RULES[resource.type]
        name = physical_name(resource.type, resource.name, resource.inputs)
        if name and not (rule.autonamed and not isinstance(resource.inputs.get(rule.key or ""), str)):
            chosen.add(f"{resource.type} {name}")
    return chosen


def render_project(directory: Path, project: str, definition: str = EVERYTHING) -> list[Rendering]:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "app").mkdir(exist_ok=True)
    (directory / "app" / "Dockerfile").write_text("FROM scratch\n", encoding="utf-8")
    return [
        render_definition_text(directory, definition, ["dev", "production"], project=project),
        render_definition_text(
            directory, definition, [], project=project, stack="pipeline", extra_config=PIPELINE_CONFIG
        ),
    ]


@pytest.mark.slow
@pytest.mark.parametrize("stack", ["dev", "prod", "pipeline"])
def test_the_shipped_projects_names_are_unchanged(stack: str) -> None:
    """The namespace defaults to the project's name, `muon` here: every name is as it was before
    namespaces (tests/data/physical_names.json: the stack files as they are, rendered by the
    commit before namespaces; since then prod's bootstrap has the host refresh's schedule and role,
    no below-minimum alarm for a service awaiting its first image, and the certificate's
        validation record is named as the offline ACM now names one per name and account)."""
    before = json.loads((PROJECT_DIR / "tests" / "data" / "physical_names.json").read_text(encoding="utf-8"))
    assert sorted(names(render_repository_stack(stack, delivered=False))) == before[stack]


@pytest.mark.slow
def test_two_projects_share_no_name(tmp_path: Path) -> None:
    acme = set().union(*map(names, render_project(tmp_path / "acme", "acme")))
    globex = set().union(*map(names, render_project(tmp_path / "globex", "globex")))
    assert len(acme) > 80
    # DNS records are named by the domains a definition gives (two projects cannot both own one).
    shared = {name for name in acme & globex if not name.startswith("aws:route53/record:Record ")}
    assert shared == set()
    kinds = {name.split(" ")[0] for name in acme}
    # Among them the kinds that collided before namespaces.
    assert {
        "aws:ssm/parameter:Parameter",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:kms/alias:Alias",
        "aws:ecr/repository:Repository",
        "aws:ecs/cluster:Cluster",
        "aws:iam/role:Role",
        "aws:rds/cluster:Cluster",
        "aws:sns/topic:Topic",
    } <= kinds


def test_a_namespace_in_the_definition_wins_and_is_tagged(tmp_path: Path) -> None:
    definition = "namespace: team-a\n" + EVERYTHING
    rendering, _ = render_project(tmp_path, "muon", definition)
    assert rendering.one("aws:ecs/cluster:Cluster", "dev-cluster").inputs["name"] == "team-a-dev"
    parameter = rendering.one("aws:ssm/parameter:Parameter", "dev-banana-database-password-parameter")
    assert parameter.inputs["name"] == "/team-a/dev/banana/database/password"
    assert (
        rendering.one("aws:cloudwatch/logGroup:LogGroup", "dev-banana-logs").inputs["name"]
        == "/team-a/dev/banana"
    )
    role = rendering.one("aws:iam/role:Role", "dev-banana-execution-role")
    assert (role.inputs["name"], role.inputs["path"]) == ("team-a-dev-banana-execution", "/team-a/")
    assert (
        rendering.one("aws:ecs/service:Service", "dev-banana-service").inputs["tags"]["muon:namespace"]
        == "team-a"
    )


def test_a_project_name_that_cannot_start_names_needs_a_namespace(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition_text(tmp_path, "environments: {dev: {}}", ["dev"], project="Acme_Platform")
    assert str(caught.value) == (
        f"{tmp_path / 'muon.yaml'}: namespace: the project name 'Acme_Platform' (Pulumi.yaml) cannot start "
        "AWS names (2-16 lowercase letters, digits and '-', starting with a letter, no '--'); set namespace: in the definition"
    )
    rendering = render_definition_text(
        tmp_path, "namespace: acme\nenvironments: {dev: {}}", ["dev"], project="Acme_Platform"
    )
    assert rendering.one("aws:ecs/cluster:Cluster").inputs["name"] == "acme-dev"
