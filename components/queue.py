"""A worker's SQS queue: encrypted, TLS-only, with a dead-letter queue that pages when it fills."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from muon.components.messaging import QueueSubscription, subscribe_queue, topics_deliver
from muon.components.policies import deny_insecure_transport, document, to_json
from muon.components.service_args import QueueAccess

DEAD_LETTER_RETENTION = 1_209_600
"""14 days, SQS's maximum: time to look at what failed before it is gone."""


@dataclass(frozen=True)
class WorkerQueueArgs:
    """A worker's queue and its dead-letter queue: always encrypted with ``key_arn``, TLS only."""

    queue_name: str
    """``<namespace>-<environment>-<service>`` (SQS: 80 characters of letters, digits, '-', '_')."""
    worker: str
    """The worker service that consumes it; required."""
    key_arn: pulumi.Input[str]
    """Required: the queues are encrypted with a customer-managed key, never SQS's own."""
    alarm_topic_arn: pulumi.Input[str]
    """Where the dead-letter alarm goes; required."""
    max_receives: int = 5
    """Receives before a message goes to the dead-letter queue; default 5: a poison message stops
    being retried, a transient failure still gets retries."""
    visibility_timeout: int = 60
    """Seconds a received message is hidden from other consumers; default 60 (longer than most
    messages take; SQS's own default is 30)."""
    retention: int = 345_600
    """Seconds a message waits to be consumed; default 4 days, SQS's own."""
    subscriptions: tuple[QueueSubscription, ...] = ()
    """Topics whose messages the queue receives; default none."""
    sns_principal: str = "sns.amazonaws.com"
    """SNS's service principal in the stack's partition (for the queue's policy)."""
    tags: dict[str, str] = field(default_factory=dict)
    """Default none (the stack's tags come by transformation)."""


class WorkerQueue(pulumi.ComponentResource):
    url: pulumi.Output[str]
    arn: pulumi.Output[str]
    name: pulumi.Output[str]
    dead_letter_url: pulumi.Output[str]

    def __init__(self, name: str, args: WorkerQueueArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:sqs:WorkerQueue", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        encryption = {
            "kms_master_key_id": args.key_arn,
            # Reusing a data key for 5 minutes keeps the KMS calls (and their cost) low.
            "kms_data_key_reuse_period_seconds": 300,
        }
        dead_letter = aws.sqs.Queue(
            f"{name}-dlq",
            name=f"{args.queue_name}-dlq",
            message_retention_seconds=DEAD_LETTER_RETENTION,
            tags=args.tags,
            opts=child,
            **encryption,
        )
        queue = aws.sqs.Queue(
            f"{name}-queue",
            name=args.queue_name,
            visibility_timeout_seconds=args.visibility_timeout,
            message_retention_seconds=args.retention,
            receive_wait_time_seconds=20,  # long polling: fewer empty receives
            redrive_policy=to_json(
                {"deadLetterTargetArn": dead_letter.arn, "maxReceiveCount": args.max_receives}
            ),
            tags=args.tags,
            opts=child,
            **encryption,
        )
        # Only the main queue may move messages into its dead-letter queue.
        aws.sqs.RedriveAllowPolicy(
            f"{name}-dlq-redrive-allow",
            queue_url=dead_letter.url,
            redrive_allow_policy=to_json({"redrivePermission": "byQueue", "sourceQueueArns": [queue.arn]}),
            opts=child,
        )
        delivered = topics_deliver(queue.arn, args.subscriptions, args.sns_principal)
        policy = tls_only_queue(f"{name}-queue-policy", queue, child, delivered)
        tls_only_queue(f"{name}-dlq-policy", dead_letter, child)
        subscribe_queue(name, queue.arn, args.subscriptions, policy, child)
        dead_letter_alarm = f"{args.queue_name}-dead-letters"
        dead_letters = new_dead_letters_alarm(
            f"{name}-dead-letters", dead_letter_alarm, args, dead_letter.name, child
        )
        self.url = queue.url
        self.arn = queue.arn
        self.name = queue.name
        self.dead_letter_url = dead_letter.url
        self._access = QueueAccess(
            worker=args.worker,
            url=queue.url,
            arn=queue.arn,
            name=queue.name,
            key_arn=args.key_arn,
            dead_letter_alarm=dead_letter_alarm,
            dead_letter_alarm_name=dead_letters.name,
        )
        self.register_outputs({"url": queue.url, "arn": queue.arn, "deadLetterUrl": dead_letter.url})

    def access(self) -> QueueAccess:
        return self._access


def new_dead_letters_alarm(
    resource_name: str,
    alarm_name: str,
    args: WorkerQueueArgs,
    dead_letter_queue: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.MetricAlarm:
    """ALARM while messages *arrive* in the dead-letter queue, not while some wait there: ECS does
    not watch a rollback alarm already in ALARM when a deployment starts (ECS developer guide, "How
    CloudWatch alarms detect Amazon ECS deployment failures"), so an alarm on the queue's level
    would blind the worker's rollback for the 14 days one bad message stays. The increase of
    ApproximateNumberOfMessagesVisible, because NumberOfMessagesSent does not count what SQS moves
    there itself ("if a message is sent to a dead-letter queue as a result of a failed processing
    attempt, it isn't captured by this metric": SQS developer guide, troubleshooting dead-letter
    queues)."""
    actions = [args.alarm_topic_arn]
    return aws.cloudwatch.MetricAlarm(
        resource_name,
        name=alarm_name,
        alarm_description=f"{args.queue_name}: new messages in {args.queue_name}-dlq (each failed "
        f"{args.max_receives} times); those already there do not keep it in ALARM",
        metric_queries=[
            {
                "id": "waiting",
                "return_data": False,
                "metric": {
                    "namespace": "AWS/SQS",
                    "metric_name": "ApproximateNumberOfMessagesVisible",
                    "dimensions": {"QueueName": dead_letter_queue},
                    "period": 300,  # SQS publishes queue metrics every five minutes
                    "stat": "Maximum",
                },
            },
            {
                "id": "arrived",
                "label": "new dead letters",
                "return_data": True,
                # SQS publishes only while a queue is active ("Available CloudWatch metrics for
                # Amazon SQS"); one holding messages is, so a gap is an empty queue: 0, or the
                # first dead letter after a quiet spell would have nothing to differ from.
                "expression": "DIFF(FILL(waiting, 0))",
            },
        ],
        threshold=1,
        comparison_operator="GreaterThanOrEqualToThreshold",
        # Two periods, so that DIFF has the one before; ALARM for the period of an arrival.
        evaluation_periods=2,
        datapoints_to_alarm=1,
        treat_missing_data="notBreaching",
        actions_enabled=True,
        alarm_actions=actions,
        ok_actions=actions,
        tags=args.tags,
        opts=opts,
    )


def tls_only_queue(
    name: str,
    queue: aws.sqs.Queue,
    opts: pulumi.ResourceOptions,
    admitted: list[dict[str, Any]] | None = None,
) -> aws.sqs.QueuePolicy:
    """The queue's policy: every call over TLS (SQS.1's companion, as buckets and topics), and
    the ``admitted`` statements (SNS topics delivering to it). SQS keeps one policy per queue."""
    return aws.sqs.QueuePolicy(
        name,
        queue_url=queue.url,
        policy=to_json(document(deny_insecure_transport("sqs:*", queue.arn), *(admitted or []))),
        opts=opts,
    )
