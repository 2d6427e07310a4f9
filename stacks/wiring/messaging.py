"""Publish/subscribe from the topics made (``stacks/compose_workloads.py``): a publisher's topics
and their variables, a worker's subscriptions (names and checks: ``stacks/resolve/messaging.py``)."""

from __future__ import annotations

import json

import pulumi

from muon.components.messaging import QueueSubscription
from muon.components.service_args import TopicAccess
from muon.stacks.definition import ServiceSpec
from muon.stacks.resolve.messaging import topic_variable


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
