"""An SNS topic for people to hear from the platform: KMS-encrypted, TLS-only, email subscribers."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from muon.components.context import AwsContext
from muon.components.policies import assume_role_policy, deny_insecure_transport, document, to_json

CHATBOT_REGIONS = ("us-east-2", "us-west-2", "eu-west-1", "ap-southeast-1")
"""The only regions AWS Chatbot's API (CreateSlackChannelConfiguration) serves, all in the ``aws``
partition: the AWS Chatbot API Reference's welcome page and the documentation of botocore's own
chatbot model (``botocore/data/chatbot/2017-10-11/service-2.json``); the general reference's
"AWS Chatbot endpoints and quotas" lists the same four endpoints. botocore's ``endpoints.json``
has no chatbot entry: its endpoint rule set builds ``chatbot.<region>`` for any region, which
then does not answer. A configuration's SNS topics may be in any region of the account."""


def chatbot_region(region: str) -> str:
    """Where a Slack channel configuration is created for a stack in ``region``: the region itself
    when the API serves it, else the nearest that does."""
    if region in CHATBOT_REGIONS:
        return region
    if region.startswith(("eu-", "me-", "il-", "af-")):
        return "eu-west-1"
    if region.startswith("ap-"):
        return "ap-southeast-1"
    if region.startswith(("us-west-", "ca-west-")):
        return "us-west-2"
    return "us-east-2"  # the Americas, and the console's own region


def chatbot_problem(partition: str, where: str) -> str | None:
    """The one-line refusal for a Slack channel in a partition AWS Chatbot does not serve."""
    if partition == "aws":
        return None
    return (
        f"{where}: AWS Chatbot's API serves only {', '.join(CHATBOT_REGIONS)} (partition aws); this "
        f"stack's partition is {partition}: use emails instead"
    )


def notification_topic(
    name: str,
    *,
    topic_name: str,
    context: AwsContext,
    key_arn: pulumi.Input[str],
    publishers: tuple[str, ...],
    emails: tuple[str, ...] = (),
    tags: dict[str, str] | None = None,
    opts: pulumi.ResourceOptions,
) -> aws.sns.Topic:
    """The topic, its policy (the account, plus ``publishers`` services of this account) and subscriptions.

    Resources are named ``name``, ``name-policy`` and ``name-email-<n>`` under ``opts``' parent.
    """
    topic = aws.sns.Topic(name, name=topic_name, kms_master_key_id=key_arn, tags=tags, opts=opts)
    aws.sns.TopicPolicy(
        f"{name}-policy",
        arn=topic.arn,
        policy=to_json(
            document(
                {
                    "Sid": "AccountUses",
                    "Effect": "Allow",
                    "Principal": {"AWS": context.root_principal},
                    "Action": ["SNS:Publish", "SNS:Subscribe", "SNS:GetTopicAttributes"],
                    "Resource": topic.arn,
                },
                {
                    "Sid": "ServicesPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": [context.service_principal(s) for s in publishers]},
                    "Action": "SNS:Publish",
                    "Resource": topic.arn,
                    # Only this account's alarms, rules and subscriptions: no confused deputy.
                    "Condition": {"StringEquals": {"aws:SourceAccount": context.account_id}},
                },
                deny_insecure_transport("SNS:Publish", topic.arn),
            )
        ),
        opts=opts,
    )
    for index, email in enumerate(emails):
        aws.sns.TopicSubscription(
            f"{name}-email-{index}", topic=topic.arn, protocol="email", endpoint=email, opts=opts
        )
    return topic


def slack_channel(
    name: str,
    *,
    configuration_name: str,
    topic_arn: pulumi.Input[str],
    team_id: str,
    channel_id: str,
    context: AwsContext,
    tags: dict[str, str] | None,
    opts: pulumi.ResourceOptions,
) -> aws.chatbot.SlackChannelConfiguration:
    """The topic's messages in a Slack channel, through AWS Chatbot.

    AWS Chatbot rather than a webhook: no function to run and patch, messages formatted by AWS,
    and the workspace is authorised once in the console (docs/definition.md, `alarmSlack`).
    """
    role = aws.iam.Role(
        f"{name}-chatbot-role",
        assume_role_policy=assume_role_policy("chatbot.amazonaws.com"),
        tags=tags,
        opts=opts,
    )
    return aws.chatbot.SlackChannelConfiguration(
        f"{name}-slack",
        # Chatbot's API answers in four regions only: the configuration lives in one of them,
        # its topic stays where the stack is (pulumi-aws v7's per-resource region).
        region=chatbot_region(context.region),
        configuration_name=configuration_name,
        iam_role_arn=role.arn,
        slack_team_id=team_id,
        slack_channel_id=channel_id,
        sns_topic_arns=[topic_arn],
        # Notifications only: whatever is typed in the channel can read, never change.
        guardrail_policy_arns=[context.managed_policy("ReadOnlyAccess")],
        logging_level="ERROR",
        tags=tags,
        opts=opts,
    )
