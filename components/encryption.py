"""A customer-managed KMS key with a policy that lets the platform's AWS services use it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from muon.components.context import AwsContext
from muon.components.policies import document, to_json

# Services that publish to SNS topics encrypted with this key; without a grant in the key
# policy their messages are dropped silently (SNS docs, "compatibility with AWS services").
PUBLISHING_SERVICES = ("cloudwatch", "events", "events.rds", "codestar-notifications")


@dataclass(frozen=True)
class KeyArgs:
    context: AwsContext
    """Account and partition: the key policy's root principal; required."""
    description: str
    """What the key encrypts (shown in the KMS console); required."""
    alias: str
    """``alias/<alias>``; required (aliases are unique per account and region)."""
    tags: dict[str, str] = field(default_factory=dict)
    """Default none (the stack's tags come by transformation)."""
    publishing_services: tuple[str, ...] = PUBLISHING_SERVICES
    """Services whose principals may encrypt with it (SNS topics they publish to); default the
    alarm and notification publishers, without which encrypted topics drop their messages.
    Rotation (yearly) and retention are not options: every key has them."""
    delivering_topic_arns: tuple[str, ...] = ()
    """SNS topics delivering to queues encrypted with the key: SNS may use it for those topics
    only. Default none."""


class Key(pulumi.ComponentResource):
    """KMS key (rotation on, retained) and its alias."""

    arn: pulumi.Output[str]
    key_id: pulumi.Output[str]

    def __init__(self, name: str, args: KeyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:kms:Key", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = rotating_key(
            f"{name}-key",
            description=args.description,
            policy=key_policy(args.context, args.publishing_services, args.delivering_topic_arns),
            tags=args.tags,
            opts=child,
        )
        aws.kms.Alias(f"{name}-alias", name=f"alias/{args.alias}", target_key_id=key.key_id, opts=child)
        self.arn = key.arn
        self.key_id = key.key_id
        self.register_outputs({"arn": self.arn, "keyId": self.key_id})


def rotating_key(
    resource_name: str,
    *,
    description: str,
    policy: dict,
    tags: dict[str, str] | None,
    opts: pulumi.ResourceOptions,
    region: str | None = None,
) -> aws.kms.Key:
    """A customer-managed key as muon makes them all: yearly rotation, retained when it leaves the
    stack; ``region``: another region than the stack's (AWS Backup copies, CloudFront's us-east-1).

    Retained (``components/retention.py``): what a key encrypted — logs, parameters, a database,
    its final snapshot and its backups — may outlive the stack, and is unreadable once the key is
    gone. So Pulumi never deletes it: ``deletion_window_in_days`` is what the provider would pass
    to ScheduleKeyDeletion on a delete, which a retained resource never gets; it is recorded (30,
    the longest KMS allows) and applies to nothing. The waiting period that counts is the one the
    operator gives when scheduling the deletion by hand, once nothing it encrypted is left
    (``aws kms schedule-key-deletion --pending-window-in-days 30``; KMS API Reference,
    ScheduleKeyDeletion: PendingWindowInDays 7 to 30 days)."""
    return aws.kms.Key(
        resource_name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=to_json(policy),
        region=region,
        tags=tags,
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(retain_on_delete=True)),
    )


def key_policy(
    context: AwsContext, publishing_services: tuple[str, ...], delivering_topic_arns: tuple[str, ...] = ()
) -> dict:
    logs_arn = context.arn("logs", "log-group:*")
    statements = [
        {
            # The account's own IAM policies decide who administers the key (the AWS default
            # key policy). Without this statement the key can become unmanageable.
            "Sid": "AccountAdministersKey",
            "Effect": "Allow",
            "Principal": {"AWS": context.root_principal},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "CloudWatchLogsEncrypt",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{context.region}.{context.dns_suffix}"},
            "Action": [
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            "Resource": "*",
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": logs_arn}},
        },
    ]
    if publishing_services:
        statements.append(
            {
                "Sid": "ServicesPublishToEncryptedTopics",
                "Effect": "Allow",
                "Principal": {"Service": [context.service_principal(s) for s in publishing_services]},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
            }
        )
    if delivering_topic_arns:
        # SNS encrypts what it delivers into a queue encrypted with this key; aws:SourceArn keeps
        # it to the environment's own topics (SQS developer guide, "Configure server-side
        # encryption for a queue": AWS services sending to encrypted queues).
        arns = list(delivering_topic_arns)
        statements.append(
            {
                "Sid": "TopicsDeliverToEncryptedQueues",
                "Effect": "Allow",
                "Principal": {"Service": context.service_principal("sns")},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"ArnEquals": {"aws:SourceArn": arns if len(arns) > 1 else arns[0]}},
            }
        )
    return document(*statements)


class ExistingKey:
    """A key the company brought (``keys:`` in the definition): used as is, its policy theirs."""

    def __init__(self, arn: str) -> None:
        self.arn = pulumi.Output.from_input(arn)
        self.key_id = pulumi.Output.from_input(arn.rsplit("/", 1)[-1])


def key_or_existing(
    name: str, existing_arn: str | None, args: KeyArgs, opts: pulumi.ResourceOptions
) -> Key | ExistingKey:
    """The company's key when given, else a new one muon manages."""
    return ExistingKey(existing_arn) if existing_arn else Key(name, args, opts=opts)
