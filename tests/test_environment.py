"""The Environment component: key, alarm topic, outputs, and the program's error path."""

from __future__ import annotations

import runpy

import pulumi
import pytest

from muon.plan.offline import Rendering
from tests.conftest import PROJECT_DIR


def test_key_policy_lets_logs_and_alarm_publishers_use_the_key(prod: Rendering) -> None:
    key = prod.one("aws:kms/key:Key", "production-key")
    assert key.inputs["deletionWindowInDays"] == 30
    statements = {s["Sid"]: s for s in key.json("policy")["Statement"]}
    assert statements["AccountAdministersKey"]["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    logs = statements["CloudWatchLogsEncrypt"]
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:*"
    )
    publishers = statements["ServicesPublishToEncryptedTopics"]
    assert "cloudwatch.amazonaws.com" in publishers["Principal"]["Service"]
    assert "codestar-notifications.amazonaws.com" in publishers["Principal"]["Service"]
    assert set(publishers["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}


def test_alarm_topic_is_encrypted_and_tls_only(prod: Rendering) -> None:
    topic = prod.one("aws:sns/topic:Topic", "production-alarms")
    assert topic.inputs["kmsMasterKeyId"] == prod.outputs["environments"]["production"]["keyArn"]
    policy = prod.one("aws:sns/topicPolicy:TopicPolicy", "production-alarms-policy").json("policy")
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    services = statements["ServicesPublish"]
    assert "cloudwatch.amazonaws.com" in services["Principal"]["Service"]
    assert services["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_alarm_emails_subscribe(render_definition) -> None:
    rendering = render_definition("environments: {dev: {alarmEmails: [ops@example.com]}}", ["dev"])
    subscription = rendering.one("aws:sns/topicSubscription:TopicSubscription")
    assert (subscription.inputs["protocol"], subscription.inputs["endpoint"]) == ("email", "ops@example.com")


def test_stack_outputs_per_environment(dev: Rendering) -> None:
    outputs = dev.outputs["environments"]["dev"]
    assert set(outputs) >= {
        "vpcId",
        "publicSubnetIds",
        "privateSubnetIds",
        "isolatedSubnetIds",
        "clusterName",
        "clusterArn",
        "loadBalancerDnsName",
        "loadBalancerUrl",
        "httpListenerArn",
        "httpsListenerArn",
        "alarmTopicArn",
    }
    assert outputs["clusterName"] == "muon-dev"
    assert outputs["vpcId"].startswith("vpc-")
    assert len(outputs["privateSubnetIds"]) == 2


def test_components_use_muon_type_tokens_and_parent_their_children(
    prod: Rendering, delivery: Rendering
) -> None:
    components = [r for r in prod.resources + delivery.resources if not r.custom]
    assert {c.type for c in components} >= {
        "muon:network:Environment",
        "muon:network:Network",
        "muon:ecs:Cluster",
        "muon:network:LoadBalancer",
        "muon:kms:Key",
        "muon:storage:PrivateBucket",
        "muon:cicd:Pipeline",
        "muon:ecr:Registry",
    }
    for stack, roots in (
        (prod, ["muon:network:Environment"]),
        (delivery, ["muon:cicd:Pipeline", "muon:ecr:Registry"]),
    ):
        top = [stack.one(token) for token in roots]
        inside = {r.urn for component in top for r in stack.descendants(component.urn)}
        assert inside == {r.urn for r in stack.resources} - {c.urn for c in top}


def test_every_resource_is_tagged_with_its_environment_or_the_pipeline(
    prod: Rendering, delivery: Rendering
) -> None:
    for stack, name, expected in (
        (prod, "prod", "muon:environment"),
        (delivery, "pipeline", "muon:pipeline"),
    ):
        tagged = [r for r in stack.custom_resources if isinstance(r.inputs.get("tags"), dict)]
        assert len(tagged) > 20
        for resource in tagged:
            tags = resource.inputs["tags"]
            assert tags.get(expected) in ("production", "true"), resource.name
            assert tags["muon:stack"] == name


def test_bad_definition_stops_pulumi_with_the_message_alone(tmp_path, monkeypatch) -> None:
    (tmp_path / "bad.yaml").write_text("environments: {dev: {network: {azs: 9}}}\n")
    from muon.plan.offline import MuonMocks, render

    def program() -> None:
        runpy.run_path(str(PROJECT_DIR / "__main__.py"))

    with pytest.raises(pulumi.RunError) as caught:
        render(
            program,
            config={
                "aws:region": "us-east-1",
                "muon:environments": '["dev"]',
                "muon:definition": str(tmp_path / "bad.yaml"),
            },
            stack="dev",
            mocks=MuonMocks(),
        )
    assert str(caught.value).endswith(
        "environments.dev.network.azs: input should be less than or equal to 6, got 9"
    )
    assert caught.value.__cause__ is None
