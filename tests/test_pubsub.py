"""Publish/subscribe (issue 34, item 5): a service's SNS topics, standard or FIFO, encrypted and
TLS-only, published to by that service alone; workers' queues subscribed with filter policies; the
point-to-point ``publishers`` unchanged beside them; bad input refused in one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from muon.plan.offline import Rendering
from tests.conftest import Renderer
from tests.test_bad_input import project, refused

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:1"
TOPIC = "arn:aws:sns:us-east-1:123456789012:muon-dev-shop-orders"
FIFO = "arn:aws:sns:us-east-1:123456789012:muon-dev-shop-payments.fifo"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:muon-dev-mailer"
SHOP = f"""\
environments:
  dev: {{}}
services:
  shop:
    port: 8080
    pathPatterns: [/shop]
    image: {IMAGE}
    publish:
      - orders
      - {{name: payments, fifo: true, contentBasedDeduplication: true}}
  mailer:
    kind: worker
    image: {IMAGE}
    queue: {{publishers: [shop]}}
    subscribe:
      - {{service: shop, topic: orders, filterPolicy: {{kind: [created, cancelled], total: [{{numeric: [">", 100]}}]}}}}
      - {{service: shop, topic: payments}}
  other:
    kind: backend
    port: 9000
    image: {IMAGE}
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Rendering:
    from tests.conftest import render_definition_text

    return render_definition_text(tmp_path_factory.mktemp("shop"), SHOP, ["dev"])


def statements(rendering: Rendering, token: str, name: str, key: str = "policy") -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in rendering.one(token, name).json(key)["Statement"]}


def variables(rendering: Rendering, service: str) -> dict[str, str]:
    task = rendering.one("aws:ecs/taskDefinition:TaskDefinition", f"dev-{service}-task")
    (app,) = [c for c in json.loads(task.inputs["containerDefinitions"]) if c["name"] == "app"]
    return {v["name"]: v["value"] for v in app["environment"]}


def test_each_topic_is_encrypted_with_the_environments_key_and_tls_only(shop: Rendering) -> None:
    key = shop.one("aws:kms/key:Key", "dev-key").state["arn"]
    orders = shop.one("aws:sns/topic:Topic", "dev-shop-topic-orders-topic").inputs
    payments = shop.one("aws:sns/topic:Topic", "dev-shop-topic-payments-topic").inputs
    assert (orders["name"], orders["kmsMasterKeyId"]) == ("muon-dev-shop-orders", key)
    assert "fifoTopic" not in orders and "contentBasedDeduplication" not in orders
    assert payments["name"] == "muon-dev-shop-payments.fifo" and payments["kmsMasterKeyId"] == key
    assert payments["fifoTopic"] is True and payments["contentBasedDeduplication"] is True
    for name, arn in (("orders", TOPIC), ("payments", FIFO)):
        policy = statements(shop, "aws:sns/topicPolicy:TopicPolicy", f"dev-shop-topic-{name}-policy")
        assert policy == {
            "DenyInsecureTransport": {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "SNS:*",
                "Resource": arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        }


def test_only_the_publisher_may_publish_to_exactly_its_topics(shop: Rendering) -> None:
    key = shop.one("aws:kms/key:Key", "dev-key").state["arn"]
    granted = statements(shop, "aws:iam/rolePolicy:RolePolicy", "dev-shop-task-policy")
    assert granted["PublishToOwnTopics"]["Action"] == "sns:Publish"
    assert granted["PublishToOwnTopics"]["Resource"] == [TOPIC, FIFO]
    assert granted["EncryptForOwnTopics"]["Action"] == ["kms:GenerateDataKey*", "kms:Decrypt"]
    assert granted["EncryptForOwnTopics"]["Resource"] == key
    # The point-to-point grant is still there, unchanged.
    assert granted["PublishToWorkers"]["Resource"] == QUEUE
    mailer = shop.one("aws:iam/rolePolicy:RolePolicy", "dev-mailer-task-policy").json("policy")
    assert "sns:" not in json.dumps(mailer)
    # A service that publishes nothing has no task policy at all.
    assert [
        p.name for p in shop.of_type("aws:iam/rolePolicy:RolePolicy") if p.name == "dev-other-task-policy"
    ] == []


def test_the_publisher_reads_its_topic_arns_from_its_variables(shop: Rendering) -> None:
    shop_variables = variables(shop, "shop")
    assert shop_variables["ORDERS_TOPIC_ARN"] == TOPIC
    assert shop_variables["PAYMENTS_TOPIC_ARN"] == FIFO
    assert (
        shop_variables["MAILER_QUEUE_URL"]
        == "https://sqs.us-east-1.amazonaws.com/123456789012/muon-dev-mailer"
    )
    assert not [name for name in variables(shop, "mailer") if name.endswith("_TOPIC_ARN")]


def test_a_subscription_delivers_raw_messages_matching_its_filter(shop: Rendering) -> None:
    orders = shop.one(
        "aws:sns/topicSubscription:TopicSubscription", "dev-mailer-subscription-shop-orders"
    ).inputs
    assert (orders["topic"], orders["protocol"], orders["endpoint"]) == (TOPIC, "sqs", QUEUE)
    assert orders["rawMessageDelivery"] is True
    assert json.loads(orders["filterPolicy"]) == {
        "kind": ["created", "cancelled"],
        "total": [{"numeric": [">", 100]}],
    }
    assert orders["filterPolicyScope"] == "MessageAttributes"
    payments = shop.one(
        "aws:sns/topicSubscription:TopicSubscription", "dev-mailer-subscription-shop-payments"
    )
    assert payments.inputs["topic"] == FIFO and "filterPolicy" not in payments.inputs


def test_the_queue_admits_sns_for_exactly_its_topics(shop: Rendering) -> None:
    policy = statements(shop, "aws:sqs/queuePolicy:QueuePolicy", "dev-mailer-queue-policy")
    assert policy["TopicsDeliver"] == {
        "Sid": "TopicsDeliver",
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": QUEUE,
        "Condition": {"ArnEquals": {"aws:SourceArn": [TOPIC, FIFO]}},
    }
    assert policy["DenyInsecureTransport"]["Effect"] == "Deny"
    dead_letters = statements(shop, "aws:sqs/queuePolicy:QueuePolicy", "dev-mailer-dlq-policy")
    assert list(dead_letters) == ["DenyInsecureTransport"]


def test_the_environments_key_lets_sns_encrypt_for_those_topics_only(shop: Rendering) -> None:
    key = statements(shop, "aws:kms/key:Key", "dev-key")["TopicsDeliverToEncryptedQueues"]
    assert key["Principal"] == {"Service": "sns.amazonaws.com"}
    assert key["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert key["Condition"] == {"ArnEquals": {"aws:SourceArn": [TOPIC, FIFO]}}


def test_a_subscription_waits_for_the_queue_policy_that_admits_its_topic(shop: Rendering) -> None:
    for topic in ("orders", "payments"):
        subscription = shop.one(
            "aws:sns/topicSubscription:TopicSubscription", f"dev-mailer-subscription-shop-{topic}"
        )
        assert shop.one(
            "aws:sqs/queuePolicy:QueuePolicy", "dev-mailer-queue-policy"
        ).urn in shop.requirements(subscription.urn)


def test_the_publishers_tasks_start_once_its_topics_exist(shop: Rendering) -> None:
    task = shop.one("aws:ecs/taskDefinition:TaskDefinition", "dev-shop-task")
    for topic in ("orders", "payments"):
        assert shop.one("aws:sns/topic:Topic", f"dev-shop-topic-{topic}-topic").urn in shop.requirements(
            task.urn
        )


def test_without_subscriptions_the_key_and_queue_policies_say_nothing_of_sns(
    render_definition: Renderer,
) -> None:
    rendering = render_definition(
        SHOP.split("    subscribe:")[0] + "  other:\n    kind: backend\n    port: 9000\n", ["dev"]
    )
    assert "TopicsDeliverToEncryptedQueues" not in statements(rendering, "aws:kms/key:Key", "dev-key")
    assert list(statements(rendering, "aws:sqs/queuePolicy:QueuePolicy", "dev-mailer-queue-policy")) == [
        "DenyInsecureTransport"
    ]
    assert rendering.of_type("aws:sns/topicSubscription:TopicSubscription") == []


WORKER = """\
environments:
  dev: {}
services:
  shop:
    port: 8080
    pathPatterns: [/shop]
    publish: [orders]
  mailer:
    kind: worker
"""


@pytest.mark.parametrize(
    ("added", "expected"),
    [
        ("    subscribe: [{service: nobody, topic: orders}]\n",
         "services.mailer.subscribe[0].service: publisher 'nobody' is not a service; defined: mailer, shop"),
        ("    subscribe: [{service: shop, topic: refunds}]\n",
         "services.mailer.subscribe[0].topic: service shop publishes no topic 'refunds' (its publish: orders)"),
        ("    subscribe: [{service: shop, topic: orders}, {service: shop, topic: orders}]\n",
         "services.mailer.subscribe[1]: shop's topic orders is subscribed twice"),
        ("    subscribe: [{service: shop, topic: orders, filterPolicy: {a: [1], b: [1], c: [1], d: [1], e: [1], f: [1]}}]\n",
         "subscribe[0].filterPolicy: 6 keys; SNS takes at most 5 in a filter policy"),
        ("    subscribe: [{service: shop, topic: orders, filterPolicy: {a: [1,2,3,4,5,6,7,8,9,10,11,12,13], b: [1,2,3,4,5,6,7,8,9,10,11,12]}}]\n",
         "subscribe[0].filterPolicy: 156 combinations of values; SNS takes at most 150"),
        ("    subscribe: [{service: shop, topic: orders, filterPolicy: {order: {kind: [created]}}}]\n",
         "filtering on message attributes takes no nested keys (filterPolicyScope: MessageBody does)"),
        ("    subscribe: [{service: shop, topic: orders, filterPolicy: {kind: created}}]\n",
         "subscribe[0].filterPolicy: 'kind': a filter policy's value is a list of matches"),
        ("    subscribe: [{service: shop, topic: orders, filterPolicy: {}}]\n",
         "an empty filter policy matches nothing"),
        ("    subscribe: [{service: shop, topic: orders, filterPolicyScope: Headers}]\n",
         "services.mailer.subscribe[0].filterPolicyScope"),
    ],
)  # fmt: skip
def test_bad_subscriptions_are_one_line(tmp_path: Path, added: str, expected: str) -> None:
    refused(project(tmp_path, WORKER + added), "muon.yaml", expected)


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (WORKER.replace("publish: [orders]", "publish: [{name: orders, contentBasedDeduplication: true}]"),
         "services.shop.publish[0].contentBasedDeduplication: only a FIFO topic deduplicates (fifo: true)"),
        (WORKER.replace("publish: [orders]", "publish: [orders, orders]"),
         "services.shop.publish: topic 'orders' is listed twice"),
        (WORKER.replace("publish: [orders]", "publish: [Orders]"), "services.shop.publish[0].name"),
        (WORKER.replace("mailer:\n    kind: worker", "mailer:\n    kind: backend\n    port: 9000\n    "
                        "subscribe: [{service: shop, topic: orders}]"),
         "services.mailer.subscribe: only a worker subscribes its queue to topics (kind: worker)"),
        (WORKER.replace("publish: [orders]", "publish: [orders]\n    environment: {ORDERS_TOPIC_ARN: x}"),
         "services.shop.environment.ORDERS_TOPIC_ARN: muon sets ORDERS_TOPIC_ARN"),
        (WORKER.replace("publish: [orders]", "publish: [orders]\n    roles: {task: 'arn:aws:iam::123456789012:role/t'}"),
         "services.shop.publish: the task role is the company's (roles.task): muon cannot grant it its topics"),
    ],
)  # fmt: skip
def test_bad_topics_are_one_line(tmp_path: Path, definition: str, expected: str) -> None:
    refused(project(tmp_path, definition), "muon.yaml", expected)


def test_an_attached_environment_refuses_subscriptions_in_one_line(tmp_path: Path) -> None:
    """The platform's key encrypts the worker's queue and never admits SNS: delivery would fail."""
    from muon.stacks.errors import DefinitionError
    from tests.conftest import render_definition_text

    attached = WORKER.replace("dev: {}", "dev: {attach: {stack: acme/platform/dev}}")
    with pytest.raises(DefinitionError) as caught:
        render_definition_text(
            tmp_path, attached + "    subscribe: [{service: shop, topic: orders}]\n", ["dev"]
        )
    (problem,) = caught.value.problems
    assert problem.endswith(
        "muon.yaml: services.mailer.subscribe: environment dev is attached to acme/platform/dev, whose key "
        "encrypts the worker's queue and does not let SNS (sns.amazonaws.com) use it, so no message would "
        "arrive; subscribing in an attached environment is not supported yet"
    )


def test_a_customer_logs_key_warns_that_its_policy_must_admit_sns(render_definition: Renderer) -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    rendering = render_definition(f"keys: {{logs: '{key}'}}\n" + SHOP, ["dev"])
    (warning,) = [w for w in rendering.warnings if "keys.logs" in w]
    assert warning.endswith(
        "keys.logs: environment dev's worker queues are encrypted with this key: its policy must let "
        f"sns.amazonaws.com use it (kms:GenerateDataKey, kms:Decrypt) for the topics {TOPIC}, {FIFO}, "
        "or SNS delivers nothing"
    )
    assert render_definition(SHOP, ["dev"]).warnings == []
