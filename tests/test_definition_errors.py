"""Bad input gets one clear message naming the file, the path in it and what was expected."""

from __future__ import annotations

import json
import textwrap

import pytest

from muon.stacks.definition import Definition
from muon.stacks.definition.loader import load_definition, parse_definition
from muon.stacks.definition.settings import check_selection, settings_from_config
from muon.stacks.errors import DefinitionError

GOOD_ENVIRONMENTS = "environments: {dev: {}, production: {}}\n"

# (YAML text, path the message must name, words the message must contain)
MALFORMED = [
    ("environments: {dev: {network: {azs: 7}}}", "environments.dev.network.azs", "less than or equal to 6"),
    ("environments: {dev: {network: {azs: one}}}", "environments.dev.network.azs", "expected a whole number"),
    (
        "environments: {dev: {netwrk: {}}}",
        "environments.dev.netwrk",
        "unknown key 'netwrk'; expected one of: tier",
    ),
    (
        "environments: {dev: {network: {nat: doubled}}}",
        "environments.dev.network.nat",
        "'none', 'single', 'per-az' or 'instance'",
    ),
    ("environments: {dev: {network: {cidr: 10.0.0.1/16}}}", "environments.dev.network.cidr", "IPv4 CIDR"),
    ("environments: {dev: {network: {cidr: 10.0.0.0/24}}}", "environments.dev.network", "/16 to /22"),
    (
        "environments: {dev: {cluster: {provider: ec2, min: 5, max: 2}}}",
        "environments.dev.cluster",
        "min (5) must not exceed max (2)",
    ),
    (
        "environments: {dev: {cluster: {provider: lambda}}}",
        "environments.dev.cluster.provider",
        "'fargate' or 'ec2'",
    ),
    (
        "environments: {dev: {cluster: {provider: fargate, min: 2}}}",
        "environments.dev.cluster",
        "only apply to provider: ec2",
    ),
    (
        "environments: {dev: {cluster: {instanceType: large}}}",
        "environments.dev.cluster.instanceType",
        "EC2 instance type",
    ),
    (
        "environments: {dev: {loadBalancer: {certificateArn: my-cert}}}",
        "environments.dev.loadBalancer.certificateArn",
        "ACM certificate ARN",
    ),
    (
        "environments: {dev: {loadBalancer: {ingressCidrs: []}}}",
        "environments.dev.loadBalancer.ingressCidrs",
        "at least 1",
    ),
    (
        "environments: {dev: {logRetentionDays: 2}}",
        "environments.dev.logRetentionDays",
        "retention days: 1, 3, 5",
    ),
    ("environments: {Dev: {}}", "environments.Dev", "lowercase letters"),
    ("environments: {dev: {tier: staging}}", "environments.dev.tier", "'development' or 'production'"),
    ("environments: {dev: {cost: free}}", "environments.dev.cost", "'standard' or 'minimal'"),
    ("namespace: A_b\nenvironments: {dev: {}}", "namespace", "2-16 lowercase letters, digits and '-'"),
    (
        "environments: {dev: {attach: {stack: 'a b'}}}",
        "environments.dev.attach.stack",
        "stack, project/stack or organization/project/stack",
    ),
    (
        "environments: {dev: {cost: minimal, network: {nat: single}}}",
        "environments.dev",
        "cost: minimal chooses the cheapest egress by price, but network.nat is single",
    ),
    ("environments: {dev: {alarmEmails: [ops]}}", "environments.dev.alarmEmails[0]", "an email address"),
    (
        "environments: {dev: {network: {existing: {vpcId: vpc-12345678, publicSubnetIds: [subnet-12345678]}}}}",
        "environments.dev.network.existing.publicSubnetIds",
        "at least 2",
    ),
    (
        "environments: {dev: {network: {azs: 2, existing: {vpcId: vpc-12345678, "
        "publicSubnetIds: [subnet-12345678, subnet-23456789], privateSubnetIds: [subnet-34567890, subnet-45678901]}}}}",
        "environments.dev.network",
        "azs cannot be combined with existing",
    ),
    ("environments: {}", "environments", "at least 1"),
    ("services: {}", "environments", "required key is missing"),
    (
        GOOD_ENVIRONMENTS + "services: {banana: {port: 80800}}",
        "services.banana.port",
        "less than or equal to 65535",
    ),
    (GOOD_ENVIRONMENTS + "services: {banana: {}}", "services.banana.port", "needs the container port"),
    (
        GOOD_ENVIRONMENTS + "services: {banana: {port: 8080, database: {name: 1banana}}}",
        "services.banana.database.name",
        "a database name",
    ),
    (
        GOOD_ENVIRONMENTS + "pipeline: {source: {repo: acme/banana}, stages: [{environment: staging}]}",
        "pipeline.stages[0].environment",
        "unknown environment 'staging'; defined: dev, production",
    ),
    (
        GOOD_ENVIRONMENTS + "pipeline: {source: {repo: acme/banana}, stages: []}",
        "pipeline.stages",
        "at least 1",
    ),
    ("environments: [dev, production]", "environments", "expected a mapping"),
]


@pytest.mark.parametrize(
    ("text", "path", "expected"), MALFORMED, ids=[m[1] + ":" + m[2][:20] for m in MALFORMED]
)
def test_malformed_definition_names_file_path_and_expectation(text: str, path: str, expected: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text, "muon.yaml")
    message = str(caught.value)
    assert f"muon.yaml: {path}: " in message
    assert expected in message
    assert "Traceback" not in message


def test_several_problems_are_reported_together() -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_definition("environments: {dev: {network: {azs: 9, nat: lots}}}", "muon.yaml")
    assert len(caught.value.problems) == 2
    assert str(caught.value).startswith("2 problems:")


def test_yaml_syntax_error_names_line_and_column() -> None:
    with pytest.raises(DefinitionError, match=r"^muon\.yaml:2:\d+: invalid YAML"):
        parse_definition("environments:\n  dev: {network: [}\n", "muon.yaml")


def test_duplicate_keys_are_errors_not_silently_overwritten() -> None:
    with pytest.raises(DefinitionError, match=r"muon\.yaml:3:\d+: invalid YAML: duplicate key 'dev'"):
        parse_definition("environments:\n  dev: {}\n  dev: {tier: production}\n", "muon.yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "environments: {dev: {tags: {team: !!binary /w==}}}",
            r"muon\.yaml:1:\d+: invalid YAML: binary data",
        ),
        (
            "environments: {dev: {alarmEmails: !!set {a@example.com}}}",
            r"a set \(!!set\) is not taken.*write a list",
        ),
        (
            'environments: {dev: {tags: {team: "\\ud800"}}}',
            r"muon\.yaml:1:\d+: invalid YAML: half of a UTF-16",
        ),
        ("environments: {dev: {formerly: !!timestamp 2020-01-01}}", r"a timestamp \(!!timestamp\)"),
        # An unquoted date is text: here a name it cannot be (PyYAML raised a bare ValueError on it).
        (
            "environments: {dev: {formerly: 2020-02-30}}",
            r"environments\.dev\.formerly: expected .*got '2020-02-30'",
        ),
    ],
)
def test_yaml_s_own_types_are_refused_where_they_are_written(text: str, expected: str) -> None:
    with pytest.raises(DefinitionError, match=expected) as caught:
        parse_definition(text, "muon.yaml")
    assert "\n" not in str(caught.value)


def test_an_unquoted_date_is_text_where_text_is_taken() -> None:
    """A filter policy value that looks like a date stays the text it reads as (a date object
    broke its JSON size check with a traceback)."""
    definition = parse_definition(
        textwrap.dedent(
            """\
            environments: {dev: {}}
            services:
              orders: {kind: worker, publish: [placed]}
              shipping:
                kind: worker
                subscribe: [{service: orders, topic: placed, filterPolicy: {shipped: [2024-01-02]}}]
            """
        ),
        "muon.yaml",
    )
    assert definition.services["shipping"].subscribe[0].filter_policy == {"shipped": ["2024-01-02"]}


def test_a_definition_path_with_a_nul_byte_is_one_line() -> None:
    with pytest.raises(DefinitionError, match="not a file name"):
        load_definition("muon\0.yaml")


def test_empty_file() -> None:
    with pytest.raises(DefinitionError, match="the file is empty"):
        parse_definition("", "muon.yaml")


def test_missing_file(tmp_path) -> None:
    with pytest.raises(DefinitionError, match="no such definition file"):
        load_definition(tmp_path / "nope.yaml")


def test_defaults_are_applied() -> None:
    definition = parse_definition(
        "environments: {dev: {}}\nservices: {api: {port: 80, pathPatterns: [/api]}}"
    )
    env = definition.environments["dev"]
    assert env.network.cidr == "10.0.0.0/16"
    assert env.load_balancer.ssl_policy == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    assert env.load_balancer.ingress_cidrs == ["0.0.0.0/0"]
    assert definition.services["api"].scaling.max == 20


def test_repository_definition_is_the_seed_example() -> None:
    definition = load_definition("muon.yaml")
    banana = definition.services["banana"]
    assert (banana.port, banana.path_patterns) == (8080, ["/bananas"])
    assert banana.database is not None and banana.database.name == "banana"
    assert set(definition.environments) == {"dev", "production"}
    assert definition.pipeline is not None
    stages = [(s.environment, s.approval) for s in definition.pipeline.stages]
    assert stages == [("dev", False), ("production", True)]


# --- stack selection -------------------------------------------------------------------------

DEFINITION = parse_definition(textwrap.dedent(GOOD_ENVIRONMENTS))


def select(config: dict[str, object]) -> None:
    flat = {
        k: v if isinstance(v, str) else json.dumps(v)
        for k, v in {"aws:region": "us-east-1", **config}.items()
    }
    settings = settings_from_config(flat, "Pulumi.dev.yaml")
    check_selection(settings, DEFINITION, "Pulumi.dev.yaml", "muon.yaml")


def test_unknown_environment_lists_the_known_ones() -> None:
    with pytest.raises(DefinitionError) as caught:
        select({"muon:environments": ["staging"]})
    assert str(caught.value) == (
        "Pulumi.dev.yaml: muon:environments[0]: unknown environment 'staging'; muon.yaml defines: dev, production"
    )


def test_unknown_muon_setting_is_an_error() -> None:
    with pytest.raises(
        DefinitionError, match=r"Pulumi\.dev\.yaml: muon:enviroments: unknown setting; expected one of"
    ):
        select({"muon:enviroments": ["dev"]})


def test_environments_must_be_a_list() -> None:
    with pytest.raises(DefinitionError, match=r"Pulumi\.dev\.yaml: muon:environments: expected a list"):
        select({"muon:environments": "dev"})


def test_a_stack_must_select_something() -> None:
    with pytest.raises(DefinitionError, match="selects no environment; set it to a list of: dev, production"):
        select({"aws:region": "us-east-1"})


def test_pipeline_without_pipeline_section() -> None:
    with pytest.raises(
        DefinitionError, match="muon:pipeline: true, but muon.yaml has no 'pipeline:' section"
    ):
        select({"muon:environments": ["dev"], "muon:pipeline": True})


def test_environment_listed_twice() -> None:
    with pytest.raises(DefinitionError, match=r"muon:environments\[1\]: 'dev' is listed twice"):
        select({"muon:environments": ["dev", "dev"]})


def test_other_namespaces_are_left_alone() -> None:
    select({"muon:environments": ["dev"], "aws:region": "eu-west-1", "other:thing": "x"})


def test_definition_type_is_exported() -> None:
    assert Definition.model_json_schema(by_alias=True)["additionalProperties"] is False


def test_a_step_policy_given_in_part_keeps_the_other_defaults(render_definition) -> None:
    rendering = render_definition(
        "environments: {dev: {}}\nservices:\n  banana:\n    port: 80\n    pathPatterns: [/b]\n"
        "    scaling: {scaleOut: {steps: [{at: 70, change: 3}]}, scaleIn: {cooldown: 600}}\n",
        ["dev"],
    )
    out = rendering.one("aws:appautoscaling/policy:Policy", "dev-banana-scaling-scale-out").inputs
    assert out["stepScalingPolicyConfiguration"]["cooldown"] == 60  # the seed's, kept
    assert out["stepScalingPolicyConfiguration"]["stepAdjustments"][0]["scalingAdjustment"] == 3
    scale_in = rendering.one("aws:appautoscaling/policy:Policy", "dev-banana-scaling-scale-in").inputs
    assert scale_in["stepScalingPolicyConfiguration"]["cooldown"] == 600
    assert scale_in["stepScalingPolicyConfiguration"]["stepAdjustments"][0]["scalingAdjustment"] == -1
    high = next(
        a for a in rendering.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if a.name.endswith("-high")
    )
    assert (high.inputs["threshold"], high.inputs["period"], high.inputs["evaluationPeriods"]) == (70, 300, 1)


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        (
            "pathPatterns: [bananas]",
            "services.banana.pathPatterns[0]: expected a path pattern starting with '/'",
        ),
        (
            "pathPatterns: [/b]\n    image: 'nginx latest'",
            "services.banana.image: expected an image reference",
        ),
        (
            "pathPatterns: [/b]\n    image: 'repo@sha256:abc'",
            "services.banana.image: expected an image reference",
        ),
        (
            "pathPatterns: [/b]\n    image: 'HTTP://registry/x'",
            "services.banana.image: expected an image reference",
        ),
    ],
)
def test_paths_and_image_references_are_checked(render_definition, service: str, expected: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(
            f"environments: {{dev: {{}}}}\nservices:\n  banana:\n    port: 80\n    {service}\n", ["dev"]
        )
    (problem,) = caught.value.problems
    assert expected in problem


@pytest.mark.parametrize(
    "image",
    [
        "nginx",
        "nginx:1.27",
        "public.ecr.aws/docker/library/python:3.12-slim",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/muon/banana@sha256:" + "a" * 64,
        "localhost:5000/team/app:v1.2.3",
        "ghcr.io/acme/banana_api:2026-11-27",
    ],
)
def test_real_image_references_are_accepted(render_definition, image: str) -> None:
    rendering = render_definition(
        f"environments: {{dev: {{}}}}\nservices:\n  banana:\n    port: 80\n    pathPatterns: [/b]\n    image: '{image}'\n",
        ["dev"],
    )
    (container,) = rendering.one("aws:ecs/taskDefinition:TaskDefinition").json("containerDefinitions")
    assert container["image"] == image


def test_a_region_aws_does_not_have_is_refused(render_definition) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition("environments: {dev: {}}", ["dev"], extra_config={"aws:region": "us-east-7"})
    (problem,) = caught.value.problems
    assert (
        problem
        == "Pulumi.test.yaml: aws:region: 'us-east-7' is not an AWS region (e.g. us-east-1, eu-west-1, ap-southeast-2)"
    )


def test_more_zones_than_the_region_has_is_refused_offline(render_definition) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(
            "environments: {dev: {network: {azs: 4}}}", ["dev"], extra_config={"aws:region": "eu-west-1"}
        )
    (problem,) = caught.value.problems
    assert "environments.dev.network.azs: 4 availability zones requested, but eu-west-1 has 3" in problem
