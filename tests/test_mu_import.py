"""`muon import`: mu files (Stelligent mu's format) become muon definitions, every loss reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from muon.importers.mu import convert
from muon.stacks.definition.loader import parse_definition
from muon.stacks.errors import DefinitionError
from tests.conftest import render_definition_text, run_muon
from tests.mu_walkthrough import silent

BANANA = """
environments:
  - name: acceptance
    provider: ecs
  - name: production
    provider: ecs
    loadbalancer: {hostedzone: example.com, name: banana}
    cluster: {instanceType: t3.large, minSize: 2, maxSize: 6}
service:
  name: banana
  port: 8080
  healthEndpoint: /bananas
  pathPatterns: [/bananas]
  priority: 25
  cpu: 512
  memory: 1024
  environment:
    SPRING_PROFILES_ACTIVE: ${Environment}
    SPRING_DATASOURCE_URL: jdbc:mysql://${DatabaseEndpointAddress}:${DatabaseEndpointPort}/${DatabaseName}
    SPRING_DATASOURCE_USERNAME: ${DatabaseMasterUsername}
    SPRING_DATASOURCE_PASSWORD: ${DatabaseMasterPassword}
  database: {name: bananadb, engine: aurora-mysql}
  pipeline:
    source: {provider: CodeCommit, repo: banana-service}
    build: {image: aws/codebuild/java:openjdk-8, computeType: BUILD_GENERAL1_MEDIUM}
    notify: [team@example.com]
"""
FARGATE = """
environments:
  - name: dev
    provider: ecs-fargate
    loadbalancer: {certificate: "arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"}
service:
  name: web
  port: 3000
  pathPatterns: [/*]
  minSize: 1
  maxSize: 3
"""
SERVICE_ONLY = """
service:
  name: orders
  port: 8080
  pathPatterns: [/orders/*]
  hostPatterns: [api.example.com]
  pipeline:
    source: {provider: GitHub, repo: acme/orders, branch: main}
    acceptance: {environment: staging}
    production: {environment: prod}
    notify: [orders@example.com]
"""
SERVERLESS = """
environments:
  - name: dev
    provider: ecs-fargate
  - name: production
    provider: ecs-fargate
service:
  name: ledger
  port: 8080
  pathPatterns: [/ledger]
  database:
    name: ledger
    engine: aurora-postgresql
    engineMode: serverless
    minSize: 1
    maxSize: 8
    secondsUntilAutoPause: 600
    iamAuthentication: "true"
    masterUsername: ledger
    masterPasswordSSMParam: /ledger/db/password
    environmentConfig:
      production: {instanceClass: db.r6g.large, engineMode: provisioned}
"""
VPC_TARGET = """
environments:
  - name: shared
    provider: ecs-fargate
    vpcTarget:
      vpcId: vpc-0123456789abcdef0
      elbSubnetIds: [subnet-0aaaaaaaaaaaaaaa1, subnet-0aaaaaaaaaaaaaaa2]
      instanceSubnetIds: [subnet-0bbbbbbbbbbbbbbb1, subnet-0bbbbbbbbbbbbbbb2]
service:
  name: api
  port: 8080
  pathPatterns: [/api/*]
"""
PER_ENVIRONMENT = """
namespace: shop
environments:
  - {name: acceptance, provider: ecs-fargate}
  - {name: production, provider: ecs-fargate, loadbalancer: {internal: true}}
service:
  name: cart
  port: 8080
  pathPatterns: [/cart]
  desiredCount: 2
  environment:
    LOG_LEVEL: {acceptance: debug, production: info}
    FEATURE_X: "on"
"""
UNSUPPORTED = """
templates: {mu-service-cart: {Resources: {}}}
parameters: {mu-service-cart: {Foo: bar}}
extensions: [{url: https://example.com/ext.zip}]
environments:
  - name: dev
    provider: eks
    discovery: {provider: consul}
    cluster: {keyName: ops, sshAllow: 10.0.0.0/8, imageId: ami-0123456789abcdef0}
service:
  name: cart
  port: 8080
  pathPatterns: [/cart]
  networkMode: bridge
  links: [redis]
  schedules: [{name: nightly, expression: rate(1 day), command: [echo]}]
  database: {name: cart, engine: mysql, kmsKey: arn:aws:kms:us-east-1:111111111111:key/x}
"""
RDS = """
environments:
  - {name: dev, provider: ecs-fargate}
service:
  name: legacy
  port: 8080
  pathPatterns: [/legacy]
  database: {name: legacy, engine: postgres, instanceClass: db.t4g.medium}
"""


def converted(text: str) -> tuple[dict, list[str]]:
    result = convert(text, "mu.yml")
    parse_definition(yaml.safe_dump(result.definition), "converted")  # muon's loader accepts it
    return result.definition, result.dropped


def test_the_banana_file_converts_completely() -> None:
    definition, dropped = converted(BANANA)
    # mu's elb.yml also aliased the wildcard: the one loss, named.
    assert [line.split(": ")[1] for line in dropped] == ["environments[1].loadbalancer.hostedzone"]
    production = definition["environments"]["production"]
    assert production["cluster"] == {"provider": "ec2", "instanceType": "t3.large", "min": 2, "max": 6}
    assert production["domain"] == {"name": "banana.example.com", "zone": "example.com"}
    banana = definition["services"]["banana"]
    assert (banana["port"], banana["priority"]) == (8080, 25)
    # service-ecs.yml's ElbTargetGroup, ServiceDesiredCount 2, ServiceMinSize 1, ServiceMaxSize 2.
    assert banana["healthCheck"] == {
        "path": "/bananas", "interval": 30, "timeout": 3, "healthyThreshold": 2, "unhealthyThreshold": 5,
        "matcher": "200-299",
    }  # fmt: skip
    assert (banana["desiredCount"], banana["scaling"]) == (2, {"min": 1, "max": 2})
    assert banana["database"] == {"name": "bananadb", "engine": "aurora-mysql"}
    assert definition["pipeline"] == {
        # No branch and no checkout: mu's pipeline.yml SourceBranch default, not muon's main.
        "source": {"provider": "codecommit", "repo": "banana-service", "branch": "master"},
        "build": {"image": "aws/codebuild/java:openjdk-8", "computeType": "BUILD_GENERAL1_MEDIUM"},
        "stages": [
            {"environment": "acceptance", "test": "buildspec-test.yml"},
            {"environment": "production", "test": "buildspec-prod.yml", "approval": True},
        ],
        "notifications": {"emails": ["team@example.com"], "onSuccess": True},
    }


def test_the_database_password_reference_becomes_an_ecs_secret(tmp_path: Path) -> None:
    definition, _ = converted(BANANA)
    rendering = render_definition_text(tmp_path, yaml.safe_dump(definition), ["acceptance"])
    (container,) = rendering.one("aws:ecs/taskDefinition:TaskDefinition").json("containerDefinitions")
    assert "SPRING_DATASOURCE_PASSWORD" not in {v["name"] for v in container["environment"]}
    (secret,) = [s for s in container["secrets"] if s["name"] == "SPRING_DATASOURCE_PASSWORD"]
    # The file has no namespace: mu's own default, "mu" (cli/app.go), prefixes the parameter.
    assert secret["valueFrom"].endswith(":parameter/mu/acceptance/banana/database/password")


def test_a_fargate_file_with_a_certificate() -> None:
    definition, dropped = converted(FARGATE)
    assert dropped == []
    dev = definition["environments"]["dev"]
    assert dev["cluster"] == {"provider": "fargate"}
    assert dev["loadBalancer"]["certificateArn"].startswith("arn:aws:acm:")
    assert definition["services"]["web"]["scaling"] == {"min": 1, "max": 3}


def test_a_service_only_file_becomes_an_attached_service_project() -> None:
    definition, dropped = converted(SERVICE_ONLY)
    assert definition["environments"] == {
        "staging": {"attach": {"stack": "staging"}},
        "prod": {"attach": {"stack": "prod"}},
    }
    assert definition["services"]["orders"]["hostPatterns"] == ["api.example.com"]
    assert definition["pipeline"]["source"] == {"provider": "github", "repo": "acme/orders", "branch": "main"}
    # mu's GitHub token was never in the file: the connection that replaces it is a note, not a loss.
    assert [line.split(": ")[1] for line in dropped] == ["environments"]
    assert "GitHub through a CodeStar connection" in convert(SERVICE_ONLY).notes[0]


def test_a_serverless_database_with_per_environment_capacity() -> None:
    definition, dropped = converted(SERVERLESS)
    ledger = definition["services"]["ledger"]
    assert ledger["database"] == {
        "name": "ledger",
        "engine": "aurora-postgresql",
        "serverless": {"minCapacity": 0.0, "maxCapacity": 8.0, "autoPauseAfter": 600},
        "iamAuthentication": True,
        "masterUsername": "ledger",
        "passwordParameter": "/ledger/db/password",
    }
    assert ledger["environments"] == {"production": {"database": {"instanceClass": "db.r6g.large"}}}
    # mu's Serverless v1 paused (secondsUntilAutoPause): muon's v2 pauses at minCapacity 0, no floor.
    assert [line.split(": ")[1] for line in dropped] == ["service.database.minSize"]


def test_a_vpc_target_becomes_an_existing_network() -> None:
    definition, dropped = converted(VPC_TARGET)
    assert dropped == []
    assert definition["environments"]["shared"]["network"]["existing"] == {
        "vpcId": "vpc-0123456789abcdef0",
        "publicSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
        "privateSubnetIds": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"],
    }


def test_per_environment_values_namespace_and_internal_load_balancer() -> None:
    definition, dropped = converted(PER_ENVIRONMENT)
    assert dropped == []
    assert definition["namespace"] == "shop"
    assert definition["environments"]["production"]["loadBalancer"] == {
        "internal": True,
        "allowPlainHttp": True,
    }
    cart = definition["services"]["cart"]
    assert cart["environment"] == {
        "LOG_LEVEL": {"acceptance": "debug", "production": "info"},
        "FEATURE_X": "on",
    }
    assert cart["desiredCount"] == 2


def test_every_key_muon_cannot_express_is_one_line_with_its_mu_path() -> None:
    definition, dropped = converted(UNSUPPORTED)
    paths = [line.split(": ")[1] for line in dropped]
    assert paths == [
        "templates",
        "extensions",
        "environments[0].discovery",
        "environments[0].provider",
        "environments[0].cluster.keyName",
        "environments[0].cluster.sshAllow",
        "environments[0].cluster.imageId",
        "parameters.mu-service-cart.Foo",
        "service.links",
        "service.networkMode",
        "service.database.kmsKey",
    ]
    # schedules became a job; engine mysql an RDS instance (mu's IsStandalone).
    assert definition["jobs"] == {
        "nightly": {"service": "cart", "command": ["echo"], "schedule": "rate(1 day)"}
    }
    assert all(line.startswith("mu.yml: ") for line in dropped)
    assert definition["services"]["cart"]["database"]["engine"] == "mysql"


def test_an_rds_engine_stays_an_rds_instance_with_mus_storage() -> None:
    definition, dropped = converted(RDS)
    assert definition["services"]["legacy"]["database"] == {
        "name": "legacy",
        "engine": "postgres",
        "instanceClass": "db.t4g.medium",
        "allocatedStorage": 100,  # database.yml's DatabaseStorage
    }
    assert dropped == []


def test_a_result_muon_refuses_is_an_error_not_a_file() -> None:
    bad = "environments: [{name: Dev_1, provider: ecs-fargate}]\nservice: {name: web, pathPatterns: [/x]}\n"
    with pytest.raises(DefinitionError) as caught:
        convert(bad, "mu.yml")
    assert "mu.yml (converted): environments.Dev_1: expected a name of 2-22 lowercase" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "written"),
    [("x", "app"), ("issue-158-scheduled-tasks", "issue-158-scheduled-ta"), ("My_Service", "my-service")],
)
def test_a_service_name_muon_cannot_take_is_renamed_with_a_line(name: str, written: str) -> None:
    result = convert(f"environments: [{{name: dev}}]\nservice: {{name: {name}, pathPatterns: [/x]}}\n")
    assert list(result.definition["services"]) == [written]
    assert result.dropped == [
        f"mu.yml: service.name: '{name}' is not a muon name (2-22 of a-z, 0-9, '-'): wrote '{written}' — "
        "its resources' names change"
    ]


def test_the_command_writes_reports_and_says_so_in_its_exit_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "complete.yml").write_text(FARGATE, encoding="utf-8")
    (tmp_path / "lossy.yml").write_text(UNSUPPORTED, encoding="utf-8")
    code, _, err = run_muon(tmp_path, monkeypatch, capsys, "import", "complete.yml")
    assert (code, err) == (0, "")
    assert yaml.safe_load((tmp_path / "muon.yaml").read_text())["services"]["web"]["port"] == 3000
    code, _, err = run_muon(tmp_path, monkeypatch, capsys, "import", "complete.yml")
    assert code == 2 and "muon.yaml exists; add --force" in err
    code, out, _ = run_muon(
        tmp_path, monkeypatch, capsys, "--json", "import", "lossy.yml", "--output", "lossy-muon.yaml"
    )
    assert code == 1
    assert len(json.loads(out)["dropped"]) == 11
    (tmp_path / "broken.yml").write_text("- not a mapping\n", encoding="utf-8")
    code, _, _ = run_muon(
        tmp_path, monkeypatch, capsys, "import", "broken.yml", "--output", "broken-muon.yaml"
    )
    assert code == 2 and not (tmp_path / "broken-muon.yaml").exists()


ACCEPTED_BY_MU = """
namespace: ${env:MU33_TEAM}
templates:
  mu-service-api:
    Resources:
      Extra: {Type: AWS::SNS::Topic, Properties: {TopicName: !Sub "${AWS::StackName}-x"}}
environments:
  - name: production
    provider: ecs-fargate
    loadbalancer: {certificate: 0a1b2c3d-0000-4000-8000-00000000abcd}
service:
  name: api
  environment:
    DB_PASSWORD: $(SomeSecret)
    REGION: ${AWS::Region}
"""


def test_what_mu_accepted_imports_and_every_loss_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MU33_TEAM", "shop")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    result = convert(ACCEPTED_BY_MU, "mu.yml")
    api = result.definition["services"]["api"]
    # No path or host patterns: mu made no target group (service-ecs.yml HasTargetGroup): a backend.
    assert (api["kind"], api["port"], "healthCheck" in api) == ("backend", 8080, False)
    assert api["environment"] == {"REGION": "${Region}"}
    assert result.definition["namespace"] == "shop"
    production = result.definition["environments"]["production"]
    assert production["loadBalancer"]["certificateArn"] == (
        "arn:aws:acm:us-east-1:000000000000:certificate/0a1b2c3d-0000-4000-8000-00000000abcd"
    )
    assert [line.split(": ")[1] for line in result.dropped] == [
        "templates",
        "environments[0].loadbalancer.certificate",
        "service.environment.DB_PASSWORD",
    ]
    assert "production tier" in result.notes[0]


def test_the_namespace_is_mus_default_when_the_file_has_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MU_NAMESPACE", raising=False)
    assert convert(FARGATE).definition["namespace"] == "mu"
    monkeypatch.setenv("MU_NAMESPACE", "Grove")  # mu's cli/app.go: the variable, before "mu"
    assert convert(FARGATE).definition["namespace"] == "grove"
    assert convert(PER_ENVIRONMENT).definition["namespace"] == "shop"  # the file's own wins


def test_per_environment_values_of_environments_the_file_lacks() -> None:
    service_only = "service:\n  name: web\n  environment:\n    URL: {dev: a, prod: b}\n    MODE: fast\n"
    result = convert(service_only)
    # mu deployed it to environments of another file: each one its values name is attached.
    assert result.definition["environments"] == {
        name: {"attach": {"stack": name}} for name in ("acceptance", "production", "dev", "prod")
    }
    assert result.definition["services"]["web"]["environment"]["URL"] == {"dev": "a", "prod": "b"}
    with_environments = "environments: [{name: dev}]\n" + service_only
    result = convert(with_environments)
    assert result.definition["services"]["web"]["environment"]["URL"] == {"dev": "a"}
    assert result.dropped == [
        "mu.yml: service.environment.URL.prod: not converted (no such environment in this file)"
    ]


def test_a_certificate_arn_says_which_region_the_stacks_go_to() -> None:
    result = convert(FARGATE.replace("us-east-1", "eu-west-1"))
    assert result.notes == [
        "mu.yml: environments[0].loadbalancer.certificate: a certificate of eu-west-1; its stacks are in "
        "eu-west-1: `muon init --region eu-west-1`"
    ]


def test_a_schedules_command_line_is_split_with_a_line() -> None:
    text = (
        "environments: [{name: dev}]\nservice:\n  name: web\n  pathPatterns: [/x]\n  schedules:\n"
        "    - {name: tidy, expression: rate(1 hour), command: python tidy.py --all}\n"
        "    - {expression: '* * * * *', command: echo hi}\n"
    )
    result = convert(text)
    assert result.definition["jobs"] == {
        "tidy": {"service": "web", "command": ["python", "tidy.py", "--all"], "schedule": "rate(1 hour)"}
    }
    assert result.dropped == [
        "mu.yml: service.schedules[0].command: a command line, which mu did not read (it ran the image's "
        "own command): wrote ['python', 'tidy.py', '--all'] — check jobs.tidy.command",
        "mu.yml: service.schedules[1].expression: '* * * * *': write jobs.<name>.schedule as cron(...) or rate(...)",
    ]


def test_a_stage_of_an_environment_the_file_lacks_is_left_out_with_a_line() -> None:
    text = (
        "environments: [{name: dev}, {name: production}]\nservice:\n  name: web\n  pathPatterns: [/x]\n"
        "  pipeline: {source: {provider: CodeCommit, repo: web}, notify: [a@example.com]}\n"
    )
    result = convert(text)
    assert [s["environment"] for s in result.definition["pipeline"]["stages"]] == ["production"]
    assert result.dropped == [
        "mu.yml: service.pipeline.acceptance.environment: 'acceptance' is no environment of this file "
        "(mu's stage failed there): the stage is left out — name one of the file's environments"
    ]


def test_an_ec2_cluster_takes_mus_host_counts_and_a_batch_job_runs_no_copies() -> None:
    text = "environments: [{name: production, cluster: {maxSize: 1}}, {name: dev}]\nservice: {name: web}\n"
    environments = convert(text).definition["environments"]
    # env-ecs.yml MinSize 1 and MaxSize 2: not muon production's two hosts, which max 1 refuses.
    assert environments["production"]["cluster"] == {"provider": "ec2", "max": 1, "min": 1}
    assert environments["dev"]["cluster"] == {"provider": "ec2", "min": 1, "max": 2}
    batch = "service: {name: crunch, provider: batch, cpu: 2, memory: 128}\n"
    result = convert(batch)
    crunch = result.definition["services"]["crunch"]
    assert (crunch["desiredCount"], crunch["scaling"], "cpu" in crunch) == (0, {"min": 0, "max": 1}, False)
    assert [line.split(": ")[1] for line in result.dropped] == [
        "environments",
        "service.provider",
        "service.cpu",
        "service.memory",
    ]


def test_the_tier_is_chosen_at_import() -> None:
    result = convert(PER_ENVIRONMENT, "mu.yml", tiers={"production": "development"})
    production = result.definition["environments"]["production"]
    assert (production["tier"], production["loadBalancer"]) == ("development", {"internal": True})
    assert result.notes == []


def test_unreadable_yaml_is_one_line_not_a_traceback() -> None:
    with pytest.raises(DefinitionError) as caught:
        convert("service: {name: [unclosed\n", "mu.yml")
    assert str(caught.value).startswith("mu.yml (line ")


def test_the_docs_table_is_generated_from_the_mapping_table() -> None:
    from muon.importers.mu_table import markdown

    doc = (Path(__file__).parents[1] / "docs" / "coming-from-mu.md").read_text(encoding="utf-8")
    begin, end = "<!-- mu-table:begin -->\n", "<!-- mu-table:end -->"
    assert doc.split(begin)[1].split(end)[0] == markdown()


# -- any YAML, never a traceback (issue 31, class 7) ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- environments\n- service\n", "mu.yml: expected a mu file"),
        ("just a string\n", "mu.yml: expected a mu file"),
        ("42\n", "mu.yml: expected a mu file"),
        ("{}\n", "mu.yml: expected a mu file"),
        ("enviroments: [{name: dev}]\nservice: {name: x}\n", "mu.yml: enviroments: not a key of a mu file; did you mean environments?"),
        ("servise: {name: x}\n", "mu.yml: servise: not a key of a mu file; did you mean service?"),
        ("banana: 1\n", "mu.yml: banana: not a key of a mu file; mu's keys are namespace, environments"),
        ("environments: {dev: {}}\n", "mu.yml: environments: expected a list, got dict"),
        ("environments: [dev]\n", "mu.yml: environments[0]: expected a mapping, got 'dev'"),
        ("environments: [{provider: ecs}]\n", "mu.yml: environments[0].name: required"),
        ("environments: [{name: dev, cluster: [a]}]\n", "mu.yml: environments[0].cluster: expected a mapping, got list"),
        ("environments: [{name: dev, provider: ecs, cluster: {minSize: many}}]\n",
         "mu.yml: environments[0].cluster.minSize: expected a whole number, got 'many'"),
        ("environments: [{name: dev, loadbalancer: web}]\n", "mu.yml: environments[0].loadbalancer: expected a mapping"),
        ("environments: [{name: dev, vpcTarget: {vpcId: vpc-1, elbSubnetIds: subnet-1}}]\n",
         "mu.yml: environments[0].vpcTarget.elbSubnetIds: expected a list"),
        ("service: [a, b]\n", "mu.yml: service: expected a mapping, got list"),
        ("service: {name: x, minSize: [1]}\n", "mu.yml: service.minSize: expected a whole number, got list"),
        ("service: {name: x, environment: [A, B]}\n", "mu.yml: service.environment: expected a mapping, got list"),
        ("service: {name: x, database: yes}\n", "mu.yml: service.database: expected a mapping, got bool"),
        ("service: {name: x, database: {name: d, engineMode: serverless, minSize: lots}}\n",
         "mu.yml: service.database.minSize: expected a number, got 'lots'"),
        ("service: {name: x, database: {name: d, environmentConfig: [a]}}\n",
         "mu.yml: service.database.environmentConfig: expected a mapping"),
        ("service: {name: x, pipeline: {source: github}}\n", "mu.yml: service.pipeline.source: expected a mapping"),
        ("service: {name: x, pipeline: {acceptance: [dev]}}\n", "mu.yml: service.pipeline.acceptance: expected a mapping"),
        ("service: {name: x, pipeline: {notify: team@example.com}}\n", "mu.yml: service.pipeline.notify: expected a list"),
        ("service: &a {name: x, environment: *a}\n", "mu.yml: invalid YAML: an alias refers to a node that contains it"),
        ("environments: &a [*a, *a]\n", "mu.yml: invalid YAML: an alias refers to a node that contains it"),
        ("x0: &x0 [a, a, a, a, a, a, a, a, a, a]\n"
         + "".join(f"x{i + 1}: &x{i + 1} [{', '.join([f'*x{i}'] * 10)}]\n" for i in range(6)) + "service: *x6\n",
         "mu.yml: too large once its aliases are expanded"),
    ],
)  # fmt: skip
def test_a_file_of_any_shape_is_one_line_naming_the_mu_path(text: str, expected: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        convert(text, "mu.yml")
    assert len(caught.value.problems) >= 1 and "\n" not in caught.value.problems[0]
    assert expected in str(caught.value)


def test_binary_and_huge_files_are_refused_by_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "binary.yml").write_bytes(bytes(range(256)) * 4)
    code, _, err = run_muon(tmp_path, monkeypatch, capsys, "import", "binary.yml")
    assert code == 2 and "binary.yml: not UTF-8 text" in err and "Traceback" not in err
    (tmp_path / "huge.yml").write_text("service: {name: x}\n" + "# padding\n" * 120_000, encoding="utf-8")
    code, _, err = run_muon(tmp_path, monkeypatch, capsys, "import", "huge.yml")
    assert code == 2 and "larger than" in err and "Traceback" not in err


SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**6), st.text(max_size=8), st.floats(allow_nan=False)
)
MU_KEYS = st.sampled_from(
    ["name", "provider", "cluster", "loadbalancer", "vpcTarget", "hostedzone", "certificate", "minSize", "maxSize",
     "instanceType", "port", "pathPatterns", "environment", "database", "pipeline", "source", "build", "notify",
     "acceptance", "production", "engine", "engineMode", "environmentConfig", "secondsUntilAutoPause",
     "healthEndpoint", "protocol", "dockerfile", "elbSubnetIds", "vpcId", "repo", "branch", "disabled"]
)  # fmt: skip
VALUES = st.recursive(
    SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(MU_KEYS, inner, max_size=4)),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    st.dictionaries(
        st.sampled_from(["namespace", "environments", "service", "templates"]), VALUES, max_size=3
    )
)
def test_any_mu_shaped_yaml_converts_or_is_refused_never_a_traceback(document: dict) -> None:
    """Found 11 tracebacks while it was written (AttributeError, TypeError, ValueError: a list
    where a mapping was read, a scalar's .get, int('abc')), each now a line naming the mu path."""
    problems: list[str] = []
    try:
        result = convert(yaml.safe_dump(document), "mu.yml")
    except DefinitionError as error:  # any other exception fails the test, with its traceback
        problems = error.problems
    assert all("\n" not in problem and problem.startswith("mu.yml") for problem in problems)
    if not problems:  # converted: every key it holds is in the mapping table or on a line
        assert silent(document, [line.removeprefix("mu.yml: ") for line in result.dropped]) == []
