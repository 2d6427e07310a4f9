"""Publish/subscribe in an environment, decided before any resource: each service's SNS topics'
names and variables, and the grant the environment's key gives SNS to deliver into the
(encrypted) queues. The topics themselves: ``stacks/compose_workloads.py``; the subscriptions
from them: ``stacks/wiring/messaging.py``."""

from __future__ import annotations

import dataclasses

from muon.components.context import AwsContext
from muon.components.environment import EnvironmentArgs
from muon.stacks.definition import Definition, ServiceSpec
from muon.stacks.errors import DefinitionError


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


def check_attached_subscriptions(
    env_name: str, definition: Definition, platform_name: str, source: str
) -> None:
    """An attached environment's worker queues are encrypted with the platform's key, whose policy
    never lets SNS use it: SNS would fail to deliver, silently. Refused until it does."""
    for name, spec in definition.services.items():
        if spec.subscribe:
            raise DefinitionError(
                [
                    f"{source}: services.{name}.subscribe: environment {env_name} is attached to "
                    f"{platform_name}, whose key encrypts the worker's queue and does not let SNS "
                    "(sns.amazonaws.com) use it, so no message would arrive; subscribing in an attached "
                    "environment is not supported yet"
                ]
            )


def customer_key_warning(
    env_name: str, definition: Definition, context: AwsContext, source: str
) -> list[str]:
    """With ``keys.logs`` the queues are encrypted with the company's key: muon cannot grant SNS."""
    arns = subscribed_topic_arns(env_name, definition, context)
    if definition.keys.logs is None or not arns:
        return []
    return [
        f"{source}: keys.logs: environment {env_name}'s worker queues are encrypted with this key: its "
        "policy must let sns.amazonaws.com use it (kms:GenerateDataKey, kms:Decrypt) for the topics "
        f"{', '.join(arns)}, or SNS delivers nothing"
    ]
