"""Publish/subscribe in an environment, decided before any resource: each service's SNS topics'
names and variables, and the grant the environment's key gives SNS to deliver into the
(encrypted) queues. The topics themselves: ``stacks/compose_workloads.py``; the subscriptions
from them: ``stacks/wiring/messaging.py``."""

from __future__ import annotations

import dataclasses

from muon.components.context import AwsContext
from muon.components.environment import EnvironmentArgs
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
