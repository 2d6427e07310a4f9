"""Slack channels through AWS Chatbot, whose configuration API answers in four regions only
(AWS Chatbot API Reference, "Welcome"; botocore's chatbot model says the same): the configuration
is created there, whatever the stack's region; its SNS topic stays in the stack's region."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import botocore
import pytest

from muon.components.topic import CHATBOT_REGIONS, chatbot_region
from muon.plan.mocks import MuonMocks
from muon.plan.offline import Rendering
from muon.stacks.errors import DefinitionError
from tests.conftest import render_definition_text

SLACK = "{teamId: T01234ABCDE, channelId: C01234ABCDE}"
DEFINITION = f"""
environments:
  dev: {{alarmSlack: {SLACK}}}
services:
  banana: {{port: 8080, pathPatterns: [/bananas]}}
pipeline:
  source: {{repo: acme/banana, connection: 'arn:aws:codestar-connections:eu-central-1:111111111111:connection/00000000-0000-0000-0000-000000000000'}}
  stages: [{{environment: dev}}]
  notifications: {{slack: {SLACK}}}
"""
PIPELINE = {
    "muon:pipeline": True,
    "muon:backend": "s3://acme-pulumi-state",
    "muon:secretsProvider": "awskms://alias/muon-pulumi?region=eu-central-1",
}


def render(tmp_path: Path, region: str, environments: list[str], mocks: MuonMocks | None = None) -> Rendering:
    config: dict[str, object] = {"aws:region": region}
    if not environments:
        config |= PIPELINE
    # The connection lives in the pipeline's region (one of another region is refused first).
    partition = "aws-cn" if region.startswith("cn-") else "aws"
    definition = DEFINITION.replace(
        "arn:aws:codestar-connections:eu-central-1:", f"arn:{partition}:codestar-connections:{region}:"
    )
    return render_definition_text(tmp_path, definition, environments, extra_config=config, mocks=mocks)


def test_the_regions_are_the_ones_botocore_documents() -> None:
    model = Path(botocore.__file__).parent / "data" / "chatbot" / "2017-10-11" / "service-2.json.gz"
    documentation = json.loads(gzip.decompress(model.read_bytes()))["documentation"]
    listed = documentation.split("currently available in the following Regions:")[1].split("</ul>")[0]
    assert {r for r in CHATBOT_REGIONS if f"<code>{r}</code>" in listed} == set(CHATBOT_REGIONS)
    assert listed.count("<li>") == len(CHATBOT_REGIONS)


def assert_every_configuration_is_where_chatbot_answers(rendering: Rendering) -> None:
    """The rule over the rendered graph: a configuration names a region Chatbot serves; the
    topics it carries stay in the stack's region (no region of their own)."""
    configurations = rendering.of_type("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration")
    assert configurations
    topics = {t.state["arn"]: t for t in rendering.of_type("aws:sns/topic:Topic")}
    for configuration in configurations:
        assert configuration.inputs.get("region") in CHATBOT_REGIONS, configuration.name
        for arn in configuration.inputs["snsTopicArns"]:
            assert "region" not in topics[arn].inputs


@pytest.mark.parametrize("environments", [["dev"], []], ids=["environment alarms", "pipeline"])
def test_a_stack_where_chatbot_has_no_api_creates_the_configuration_where_it_has(
    tmp_path: Path, environments: list[str]
) -> None:
    rendering = render(tmp_path, "eu-central-1", environments)
    (configuration,) = rendering.of_type("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration")
    assert configuration.inputs["region"] == "eu-west-1"
    (topic_arn,) = configuration.inputs["snsTopicArns"]
    assert ":eu-central-1:" in topic_arn  # the topic is the stack's, in its region
    assert_every_configuration_is_where_chatbot_answers(rendering)


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("us-east-1", "us-east-2"),
        ("us-east-2", "us-east-2"),
        ("us-west-1", "us-west-2"),
        ("ca-central-1", "us-east-2"),
        ("sa-east-1", "us-east-2"),
        ("eu-west-1", "eu-west-1"),
        ("eu-north-1", "eu-west-1"),
        ("me-south-1", "eu-west-1"),
        ("ap-northeast-1", "ap-southeast-1"),
        ("ap-southeast-2", "ap-southeast-1"),
    ],
)
def test_each_region_maps_to_one_chatbot_serves(region: str, expected: str) -> None:
    assert chatbot_region(region) == expected


class ChinaMocks(MuonMocks):
    def call(self, args: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws-cn", "dnsSuffix": "amazonaws.com.cn", "id": "aws-cn"}, []
        return super().call(args)


@pytest.mark.parametrize(
    ("environments", "key"),
    [(["dev"], "environments.dev.alarmSlack"), ([], "pipeline.notifications.slack")],
)
def test_a_partition_without_chatbot_is_refused_at_plan_time(
    tmp_path: Path, environments: list[str], key: str
) -> None:
    with pytest.raises(DefinitionError) as caught:
        render(tmp_path, "cn-north-1", environments, mocks=ChinaMocks(region="cn-north-1"))
    (problem,) = caught.value.problems
    assert f"muon.yaml: {key}: AWS Chatbot's API serves only us-east-2, us-west-2, eu-west-1" in problem
    assert "partition is aws-cn" in problem and "\n" not in problem
