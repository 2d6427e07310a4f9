"""Publish/subscribe in an environment: each service's SNS topics, the workers' subscriptions to
them, and the grant the environment's key gives SNS to deliver into the (encrypted) queues."""

from __future__ import annotations

import dataclasses
import json

import pulumi

from muon.components.context import AwsContext
from muon.components.environment import EnvironmentArgs
from muon.components.messaging import QueueSubscription, ServiceTopic, ServiceTopicArgs
from muon.components.service_args import EnvironmentWiring, TopicAccess
from muon.stacks.definition import Definition, ServiceSpec


def topic_name(namespace: str, environment: str, service: str, topic: str, fifo: bool) -> str:
    """``<namespace>-<environment>-<service>-<topic>``; SNS: a FIFO topic's name ends ``.fifo``."""
    return f"{namespace}-{environment}-{service}-{topic}" + (".fifo" if fifo else "")


def topic_variable(topic: str) -> str:
    return f"{topic.upper().replace('-', '_')}_TOPIC_ARN"


def topic_variable_names(spec: ServiceSpec) -> list[str]:
    """The variables muon gives a publisher: one topic ARN per topic."""
    return [topic_variable(t.name) for t in spec.publish]


def subscribed_topic_arns(env_name: str, definition: Definition, context: AwsContext) -> tuple[str, ...]:
    """Every topic some worker of the environment subscribes to, as its ARN (names are muon's:
    known before the topics exist)."""
    arns = set()
    for spec in definition.services.values():
        for subscription in spec.subscribe:
            publisher = definition.services[subscription.service]
            topic = next(t for t in publisher.publish if t.name == subscription.topic)
            name = topic_name(context.namespace, env_name, subscription.service, topic.name, topic.fifo)
            arns.add(context.arn("sns", name))
    return tuple(sorted(arns))


def with_topic_delivery(
    env_name: str, definition: Definition, context: AwsContext, args: EnvironmentArgs | None
) -> EnvironmentArgs | None:
    """SNS encrypts what it delivers to a worker's queue with the queue's key, the environment's:
    the key's policy must let SNS use it, for these topics only (SQS developer guide, "Configure
    server-side encryption: AWS KMS permissions", for AWS services sending to encrypted queues)."""
    if args is None:
        return None
    arns = subscribed_topic_arns(env_name, definition, context)
    return dataclasses.replace(args, delivering_topic_arns=arns) if arns else args


def service_topics(
    env_name: str,
    definition: Definition,
    context: AwsContext,
    wiring: EnvironmentWiring,
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> dict[tuple[str, str], TopicAccess]:
    """Every topic of every service, made before the queues subscribing to it: (service, topic) →
    its access."""
    topics = {}
    for service, spec in definition.services.items():
        for topic in spec.publish:
            made = ServiceTopic(
                f"{env_name}-{service}-topic-{topic.name}",
                ServiceTopicArgs(
                    topic_name=topic_name(context.namespace, env_name, service, topic.name, topic.fifo),
                    publisher=service,
                    topic=topic.name,
                    key_arn=wiring.key_arn,
                    fifo=topic.fifo,
                    content_based_deduplication=topic.content_based_deduplication,
                    tags={**tags, "muon:service": service},
                ),
                opts=pulumi.ResourceOptions(parent=parent),
            )
            topics[(service, topic.name)] = made.access()
    return topics


def queue_subscriptions(
    spec: ServiceSpec, topics: dict[tuple[str, str], TopicAccess]
) -> tuple[QueueSubscription, ...]:
    """A worker's subscriptions, each to a topic made before it."""
    return tuple(
        QueueSubscription(
            publisher=s.service,
            topic=s.topic,
            topic_arn=topics[(s.service, s.topic)].arn,
            filter_policy=json.dumps(s.filter_policy, sort_keys=True)
            if s.filter_policy is not None
            else None,
            filter_policy_scope=s.filter_policy_scope,
        )
        for s in spec.subscribe
    )


def published_topics(service: str, topics: dict[tuple[str, str], TopicAccess]) -> tuple[TopicAccess, ...]:
    return tuple(access for (publisher, _), access in topics.items() if publisher == service)


def topic_variables(topics: tuple[TopicAccess, ...]) -> dict[str, pulumi.Input[str]]:
    return {topic_variable(t.topic): t.arn for t in topics}
