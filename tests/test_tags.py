"""A company's tags (`tags:` at the top and per environment) on every taggable resource."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from muon.components.tagging import takes_tags
from muon.plan.offline import Rendering, render
from muon.stacks import compose as program
from muon.stacks.definition.stack_config import read_stack_file
from tests.conftest import PROJECT_DIR, definition_error, delivered_images

COMPANY = {"Company": "acme", "CostCenter": "42"}
TEAM = {"Owner": "team-banana", "CostCenter": "7"}  # the environment's value wins


def repository_stacks(folder: Path, text: str) -> dict[str, Rendering]:
    """The repository's dev, prod and pipeline stacks over the definition ``text`` (its example
    example paths served by a copy of the repository's examples: a link leading outside the project
    is refused, as it would be in a team's repository)."""
    shutil.copytree(PROJECT_DIR / "examples", folder / "examples")
    definition = folder / "muon.yaml"
    definition.write_text(text, encoding="utf-8")
    renderings = {}
    for stack in ("dev", "prod", "pipeline"):
        config = read_stack_file(PROJECT_DIR, stack)
        config["muon:definition"] = str(definition)
        if config.get("muon:environments"):
            config["muon:images"] = json.dumps(delivered_images(text))
        renderings[stack] = render(lambda: program.run(), config=config, stack=stack)
    return renderings


@pytest.fixture(scope="module")
def tagged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendering]:
    """The repository's dev, prod and pipeline stacks over its definition with tags added."""
    text = (PROJECT_DIR / "muon.yaml").read_text(encoding="utf-8")
    text = text.replace("environments:\n  dev:\n", f"tags: {json.dumps(COMPANY)}\nenvironments:\n  dev:\n")
    text = text.replace(
        "    network: {azs: 2}\n", f"    network: {{azs: 2}}\n    tags: {json.dumps(TEAM)}\n", 1
    )
    return repository_stacks(tmp_path_factory.mktemp("tagged"), text)


def under_dev_environment(rendering: Rendering) -> set[str]:
    (environment,) = [
        r for r in rendering.resources if r.type == "muon:network:Environment" and r.name == "dev"
    ]
    return {r.urn for r in rendering.descendants(environment.urn)}


@pytest.mark.slow
def test_every_taggable_resource_carries_the_tags(tagged: dict[str, Rendering]) -> None:
    from bench.render import sdk_class  # the SDK class behind a type token

    checked = 0
    for stack, rendering in tagged.items():
        in_dev = under_dev_environment(rendering) if stack == "dev" else set()
        for resource in rendering.custom_resources:
            if not resource.type.startswith("aws:") or not takes_tags(sdk_class(resource.type)):
                continue
            expected = {**COMPANY, **TEAM} if resource.urn in in_dev else COMPANY
            tags = resource.inputs.get("tags")
            if isinstance(tags, list):  # an Auto Scaling group: propagated to the instances it launches
                as_map = {t["key"]: t["value"] for t in tags}
                assert all(t["propagateAtLaunch"] for t in tags if t["key"] in expected), resource.name
            else:
                as_map = tags or {}
            assert {k: as_map.get(k) for k in expected} == expected, (stack, resource.type, resource.name)
            checked += 1
    assert checked > 150


@pytest.mark.slow
def test_a_resources_own_tags_win(tagged: dict[str, Rendering]) -> None:
    dev = tagged["dev"]
    (cluster,) = dev.of_type("aws:ecs/cluster:Cluster")
    assert cluster.inputs["tags"]["muon:environment"] == "dev"
    groups = [g for g in dev.of_type("aws:ec2/securityGroup:SecurityGroup") if "Name" in g.inputs["tags"]]
    assert groups and all(not g.inputs["tags"]["Name"].startswith("acme") for g in groups)
    assert cluster.inputs["tags"]["CostCenter"] == "7"  # the environment's over the top level


@pytest.mark.slow
def test_instances_launched_by_the_hosts_carry_the_tags(tagged: dict[str, Rendering]) -> None:
    template = tagged["prod"].one("aws:ec2/launchTemplate:LaunchTemplate").inputs
    (instances,) = [s for s in template["tagSpecifications"] if s["resourceType"] == "instance"]
    assert {k: instances["tags"].get(k) for k in COMPANY} == COMPANY


@pytest.mark.slow
def test_untaggable_types_are_left_alone(tagged: dict[str, Rendering]) -> None:
    for rendering in tagged.values():
        for resource in rendering.custom_resources:
            if resource.type in ("aws:iam/rolePolicy:RolePolicy", "aws:s3/bucketPolicy:BucketPolicy"):
                assert "tags" not in resource.inputs, resource.name


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"k" * 129: "v"}, "has 129 characters; AWS takes 1 to 128"),
        ({"team": "v" * 257}, "has 257 characters; AWS takes at most 256"),
        ({"aws:owner": "me"}, "the aws: and muon: prefixes are reserved"),
        ({"muon:stack": "x"}, "the aws: and muon: prefixes are reserved"),
        ({"team": "a;b"}, "AWS takes letters, digits, spaces and _ . : / = + - @"),
        ({f"t{i}": "v" for i in range(41)}, "at most 40 tags"),
    ],
    ids=["long-key", "long-value", "aws-prefix", "muon-prefix", "character", "too-many"],
)
def test_bad_tags_are_one_line(tags: dict[str, str], expected: str) -> None:
    message = definition_error(f"tags: {json.dumps(tags)}\nenvironments: {{dev: {{}}}}\n")
    assert message.startswith("muon.yaml: tags: ")
    assert expected in message
    message = definition_error(f"environments: {{dev: {{tags: {json.dumps(tags)}}}}}\n")
    assert message.startswith("muon.yaml: environments.dev.tags: ")


BOUNDARY = "arn:aws:iam::123456789012:policy/acme/DeveloperBoundary"


@pytest.fixture(scope="module")
def bounded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendering]:
    """The repository's dev, prod and pipeline stacks with a permissions boundary."""
    text = f"permissionsBoundary: {BOUNDARY}\n" + (PROJECT_DIR / "muon.yaml").read_text(encoding="utf-8")
    return repository_stacks(tmp_path_factory.mktemp("bounded"), text)


@pytest.mark.slow
def test_every_role_carries_the_permissions_boundary(bounded: dict[str, Rendering]) -> None:
    roles = [role for rendering in bounded.values() for role in rendering.of_type("aws:iam/role:Role")]
    assert len(roles) >= 15  # services, hosts, NAT instance, database monitoring, pipeline, ...
    for role in roles:
        assert role.inputs.get("permissionsBoundary") == BOUNDARY, role.name


def test_a_permissions_boundary_that_is_not_a_policy_arn_is_one_line() -> None:
    message = definition_error("permissionsBoundary: DeveloperBoundary\nenvironments: {dev: {}}\n")
    assert message.startswith("muon.yaml: permissionsBoundary: expected an IAM managed policy ARN")
    assert "\n" not in message
