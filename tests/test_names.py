"""Every physical name fits what AWS accepts, with the longest names the definition accepts."""

from __future__ import annotations

import pytest

from muon.components.load_balancer import load_balancer_name
from muon.components.naming import NAME_RULES, fit, name_problem, physical_name, unique_name
from muon.plan.offline import Rendering
from muon.stacks.resolve import stack as preparation
from tests.conftest import render_definition_text, render_repository_stack

LONGEST = "a" * 21 + "z"  # definition names: 2-22 characters
PRODUCTION = "prod" + "p" * 17 + "z"
SERVICE = "s" * 21 + "z"
OTHER = "o" * 21 + "z"
TOPIC = "t" * 21 + "z"
PIPELINE = "p" * 53 + "e"  # pipeline.name: at most 54
CONNECTION = (
    "arn:aws:codestar-connections:us-east-1:111111111111:connection/00000000-0000-0000-0000-000000000000"
)
DEFINITION = f"""
environments:
  {LONGEST}: {{cluster: {{provider: ec2, spot: true}}}}
  internal: {{tier: development}}
  {PRODUCTION}:
    network: {{azs: 3, nat: per-az}}
    cluster: {{provider: ec2, min: 2, max: 10}}
    domain: {{name: {"d" * 60}.example.com, zone: example.com}}
services:
  {SERVICE}:
    port: 8080
    pathPatterns: [/x]
    scaling:
      schedules: [{{name: {"n" * 41}, schedule: 'cron(0 8 * * ? *)', min: 2, max: 4}}]
    database: {{name: banana}}
    publish: [{TOPIC}, {{name: {"f" * 21 + "z"}, fifo: true}}]
    storage:
      buckets: {{{"u" * 21 + "z"}: {{}}}}
      tables: {{{"t" * 21 + "z"}: {{partitionKey: {{name: {"k" * 255}}}, globalIndexes: {{{"i" * 255}: {{partitionKey: {{name: g}}}}}}}}}}
      volumes: {{{"v" * 21 + "z"}: {{path: /data}}}}
  {OTHER}:
    port: 8080
    pathPatterns: [/y]
    database: {{name: other, engine: aurora-postgresql, serverless: {{minCapacity: 0}}}}
  {"b" * 21 + "z"}: {{kind: backend, port: 9000, database: {{name: rds, engine: postgres}}}}
  {"w" * 21 + "z"}:
    kind: worker
    subscribe: [{{service: {SERVICE}, topic: {TOPIC}}}, {{service: {SERVICE}, topic: {"f" * 21 + "z"}}}]
jobs:
  {"j" * 21 + "z"}: {{service: {SERVICE}, command: [report], schedule: rate(1 day)}}
sites:
  {"x" * 21 + "z"}: {{spa: true, waf: true}}
functions:
  {"f" * 21 + "z"}:
    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/muon/f@sha256:{"a" * 64}
    triggers:
      - {{type: http, path: /x}}
      - {{type: schedule, schedule: rate(1 hour)}}
      - {{type: queue}}
      - {{type: queue, worker: {"w" * 21 + "z"}}}
      - {{type: alexaSkill, skillId: amzn1.ask.skill.00000000-0000-0000-0000-000000000000}}
pipeline:
  name: {PIPELINE}
  source: {{repo: acme/banana, connection: '{CONNECTION}'}}
  stages:
    - {{environment: {LONGEST}, preDeploy: buildspec-migrate.yml, test: buildspec-test.yml}}
    - {{environment: {PRODUCTION}, approval: true, stack: prod, test: buildspec-test.yml}}
  notifications: {{emails: [a@example.com], slack: {{teamId: T01234ABCDE, channelId: C01234ABCDE}}}}
"""


@pytest.fixture(scope="module")
def renderings(tmp_path_factory, dev: Rendering, prod: Rendering, delivery: Rendering) -> list[Rendering]:
    directory = tmp_path_factory.mktemp("longest")
    for stack, environment in (("prod", PRODUCTION), ("dev", LONGEST)):
        (directory / f"Pulumi.{stack}.yaml").write_text(f"config:\n  muon:environments: [{environment}]\n")
    # The pipeline installs the project's requirements, muon among them (pipeline.muonSource).
    wheel = "https://artifacts.example.com/muon/muon_platform-0.2.0-py3-none-any.whl"
    (directory / "requirements.txt").write_text(f"muon-platform @ {wheel}\n")
    environments = render_definition_text(directory, DEFINITION, [LONGEST, "internal", PRODUCTION])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(preparation, "PROJECT_DIR", directory)  # the stack files the stages resolve to
        pipeline = render_definition_text(
            directory,
            DEFINITION,
            [],
            extra_config={
                "muon:pipeline": True,
                "muon:backend": "s3://state",
                "muon:secretsProvider": "awskms://alias/state?region=us-east-1",
            },
        )
    return [environments, pipeline, dev, prod, delivery, render_repository_stack("org")]


@pytest.mark.slow
def test_every_type_muon_creates_has_a_name_rule(renderings: list[Rendering]) -> None:
    types = {r.type for rendering in renderings for r in rendering.custom_resources}
    assert sorted(types - set(NAME_RULES)) == []


@pytest.mark.slow
def test_every_physical_name_fits_what_aws_accepts(renderings: list[Rendering]) -> None:
    problems, checked = [], 0
    for rendering in renderings:
        for resource in rendering.custom_resources:
            name = physical_name(resource.type, resource.name, resource.inputs)
            if name is None:
                continue
            checked += 1
            problem = name_problem(resource.type, name)
            if problem:
                problems.append(f"{resource.type} {resource.name}: '{name}' {problem}")
    assert problems == []
    assert checked > 300


@pytest.mark.slow
def test_names_of_the_same_kind_never_collide(renderings: list[Rendering]) -> None:
    for rendering in renderings:
        seen: dict[tuple[str, str, str], str] = {}
        for resource in rendering.custom_resources:
            name = physical_name(resource.type, resource.name, resource.inputs)
            rule = NAME_RULES[resource.type]
            if name is None or (rule.autonamed and rule.key not in resource.inputs):
                continue  # Pulumi's random suffix keeps automatic names apart
            # Organizational unit names are unique among their siblings only, a restore testing
            # selection's within its plan, an API stage's within its API, an alias's within its function.
            inputs = resource.inputs
            scope = (
                inputs.get("parentId")
                or inputs.get("restoreTestingPlanName")
                or inputs.get("apiId")
                or inputs.get("functionName", "")
            )
            key = (resource.type, name, str(scope))
            assert key not in seen, f"{resource.name} and {seen[key]}"
            seen[key] = resource.name


@pytest.mark.slow
def test_load_balancer_and_target_group_names_are_readable_and_follow_replacements(
    renderings: list[Rendering], render_definition
) -> None:
    balancers = {r.name: r.inputs["name"] for r in renderings[0].of_type("aws:lb/loadBalancer:LoadBalancer")}
    assert balancers["internal-alb"].startswith("lb-internal-")  # AWS reserves "internal-"
    assert balancers[f"{LONGEST}-alb"].startswith(LONGEST[:20])
    groups = {r.name: r.inputs["name"] for r in renderings[0].of_type("aws:lb/targetGroup:TargetGroup")}
    assert groups[f"internal-{SERVICE}-tg"].startswith("internal-sss")
    # A change that replaces the target group (the port) gives the replacement a name of its own.
    names = [
        render_definition(
            f"environments: {{dev: {{}}}}\nservices:\n  banana: {{port: {port}, pathPatterns: [/b]}}\n",
            ["dev"],
        )
        .one("aws:lb/targetGroup:TargetGroup")
        .inputs["name"]
        for port in (8080, 8081, 8080)
    ]
    assert names[0] == names[2] != names[1]
    assert load_balancer_name("dev", internal=False) != load_balancer_name("dev", internal=True)


def test_storage_names_fit_s3_dynamodb_and_efs(renderings: list[Rendering]) -> None:
    """The longest names give a bucket of 63 lowercase characters (hashed by ``fit``), a table name
    and an EFS creation token within their limits."""
    environments = renderings[0]
    buckets = [
        b.inputs["bucket"] for b in environments.of_type("aws:s3/bucket:Bucket") if "bucket" in b.inputs
    ]
    assert buckets and all(len(b) <= 63 and b == b.lower() for b in buckets)
    assert any(len(b) == 63 for b in buckets)  # shortened, not refused
    tables = [t.inputs["name"] for t in environments.of_type("aws:dynamodb/table:Table")]
    assert f"muon-{PRODUCTION}-{SERVICE}-{'t' * 21}z" in tables
    tokens = [f.inputs["creationToken"] for f in environments.of_type("aws:efs/fileSystem:FileSystem")]
    assert tokens and all(len(t) <= 64 for t in tokens)


def test_fit_keeps_short_names_and_hashes_long_ones() -> None:
    assert fit("muon-dev-banana", 32) == "muon-dev-banana"
    long = fit("muon-" + "x" * 60, 32)
    assert len(long) == 32 and long.startswith("muon-xxx") and long != fit("muon-" + "x" * 61, 32)
    assert unique_name("dev-banana", 32, 8080) != unique_name("dev-banana", 32, 8081)
    assert len(unique_name("d" * 40, 32, 1)) == 32


def test_the_longest_database_names_fit_rds_and_shorter_ones_are_unchanged(render_definition) -> None:
    """A 16-character namespace, a 22-character environment and service: a 62-character cluster
    identifier, whose instances' ``<identifier>-<n>`` would be 64 (RDS allows 63)."""
    environment, service = "e" * 21 + "z", "s" * 21 + "z"
    rendering = render_definition(
        f"namespace: {'n' * 15}z\nenvironments: {{{environment}: {{}}}}\n"
        f"services:\n  {service}: {{port: 8080, pathPatterns: [/x], database: {{name: banana, instances: 2}}}}\n",
        [environment],
    )
    cluster = rendering.one("aws:rds/cluster:Cluster").inputs["clusterIdentifier"]
    assert cluster == f"{'n' * 15}z-{environment}-{service}" and len(cluster) == 62
    instances = [i.inputs["identifier"] for i in rendering.of_type("aws:rds/clusterInstance:ClusterInstance")]
    assert len(instances) == 2 and len(set(instances)) == 2
    for identifier in instances:
        assert (
            len(identifier) == 63
            and name_problem("aws:rds/clusterInstance:ClusterInstance", identifier) is None
        )
        assert identifier.startswith(cluster[:50])
    # Identifiers that fit keep their form: the stacks deployed before keep their instances.
    assert fit("muon-dev-banana-0", 63) == "muon-dev-banana-0"
    assert fit(f"{cluster[:61]}-1", 63) == f"{cluster[:61]}-1"
