"""An SNS topic a service publishes to, and what a worker's queue needs to receive from topics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from muon.components.policies import deny_insecure_transport, document, to_json
from muon.components.service_args import TopicAccess


@dataclass(frozen=True)
class ServiceTopicArgs:
    """A service's topic: always encrypted with ``key_arn``, every call over TLS."""

    topic_name: str
    """The physical name: ``<namespace>-<environment>-<service>-<topic>``, ``.fifo`` for FIFO."""
    publisher: str
    """The service that publishes to it (the only one granted sns:Publish); required."""
    topic: str
    """The topic's name in the definition; required."""
    key_arn: pulumi.Input[str]
    """Required: a customer-managed key, never SNS's own (SNS.1)."""
    fifo: bool = False
    """Default False: a standard topic (FIFO orders and deduplicates, at a lower throughput)."""
    content_based_deduplication: bool = False
    """FIFO only; default False: the publisher gives each message a deduplication ID."""
    tags: dict[str, str] = field(default_factory=dict)
    """Default none (the stack's tags come by transformation)."""


class ServiceTopic(pulumi.ComponentResource):
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: ServiceTopicArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:sns:ServiceTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        topic = aws.sns.Topic(
            f"{name}-topic",
            name=args.topic_name,
            # SNS CreateTopic: FifoTopic and ContentBasedDeduplication only for FIFO topics.
            fifo_topic=True if args.fifo else None,
            content_based_deduplication=True if args.content_based_deduplication else None,
            kms_master_key_id=args.key_arn,
            tags=args.tags,
            opts=child,
        )
        # TLS only (SNS.4's companion, as the alarm topic). Who may publish is the task role's
        # policy (sns:Publish on this ARN): the topic's policy adds no principal.
        aws.sns.TopicPolicy(
            f"{name}-policy",
            arn=topic.arn,
            policy=to_json(document(deny_insecure_transport("SNS:*", topic.arn))),
            opts=child,
        )
        self.arn = topic.arn
        self._access = TopicAccess(
            publisher=args.publisher, topic=args.topic, arn=topic.arn, key_arn=args.key_arn
        )
        self.register_outputs({"arn": topic.arn})

    def access(self) -> TopicAccess:
        return self._access


@dataclass(frozen=True)
class QueueSubscription:
    """A topic whose messages a worker's queue receives."""

    publisher: str
    topic: str
    topic_arn: pulumi.Input[str]
    filter_policy: str | None = None
    """JSON; default None: every message."""
    filter_policy_scope: str = "MessageAttributes"
    """What the filter matches; default SNS's own, the message's attributes."""


def topics_deliver(
    queue_arn: pulumi.Input[str], subscriptions: tuple[QueueSubscription, ...], principal: str
) -> list[dict[str, Any]]:
    """The queue policy's statement admitting SNS for exactly these topics (the confused deputy:
    aws:SourceArn, SQS developer guide, "Basic examples of Amazon SQS policies")."""
    if not subscriptions:
        return []
    arns = [s.topic_arn for s in subscriptions]
    return [
        {
            "Sid": "TopicsDeliver",
            "Effect": "Allow",
            "Principal": {"Service": principal},
            "Action": "sqs:SendMessage",
            "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": arns if len(arns) > 1 else arns[0]}},
        }
    ]


def subscribe_queue(
    name: str,
    queue_arn: pulumi.Input[str],
    subscriptions: tuple[QueueSubscription, ...],
    policy: pulumi.Resource,
    opts: pulumi.ResourceOptions,
) -> list[aws.sns.TopicSubscription]:
    """Each topic delivers to the queue as it was published (raw delivery: no SNS envelope), once
    the queue's policy admits it."""
    return [
        aws.sns.TopicSubscription(
            f"{name}-subscription-{s.publisher}-{s.topic}",
            topic=s.topic_arn,
            protocol="sqs",
            endpoint=queue_arn,
            raw_message_delivery=True,
            filter_policy=s.filter_policy,
            filter_policy_scope=s.filter_policy_scope if s.filter_policy is not None else None,
            opts=opts.merge(pulumi.ResourceOptions(depends_on=[policy])),
        )
        for s in subscriptions
    ]
