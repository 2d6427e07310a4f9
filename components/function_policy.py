"""A Function's role policy, its own queue's visibility and its HTTP API's access log format."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from muon.components.function_args import FunctionArgs
from muon.components.policies import allow, document
from muon.components.service_access import managed_secret_statements


def own_queue_visibility(timeout: int, window: int | None) -> int:
    """The function's own queue hides a message six times the function's timeout plus the batching
    window (AWS Lambda developer guide, "Configuring an Amazon SQS queue to use with Lambda"); AWS
    refuses the trigger below the timeout itself. Never under SQS's default of 30 seconds."""
    return max(30, 6 * timeout + (window or 0))


ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "latency": "$context.responseLatency",
}


def function_policy(
    args: FunctionArgs,
    log_group_arn: pulumi.Output[str],
    dead_letters: aws.sqs.Queue | None,
    own_queue: aws.sqs.Queue | None,
) -> dict[str, Any]:
    """Its own log group, parameters, dead-letter queue and trigger queues; what it declares."""
    statements: list[dict[str, Any]] = [
        allow(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            log_group_arn.apply(lambda a: f"{a}:*"),
            Sid="WriteOwnLogs",
        ),
        allow("kms:Decrypt", args.key_arn, Sid="DecryptOwnVariablesAndQueues"),
    ]
    if args.tracing:
        # X-Ray's PutTraceSegments and PutTelemetryRecords take no resource: AWS offers nothing narrower.
        statements.append(allow(["xray:PutTelemetryRecords", "xray:PutTraceSegments"], "*", Sid="Traces"))
    if args.parameters:
        statements.append(
            allow("ssm:GetParameters", sorted(set(args.parameters.values())), Sid="ReadOwnParameters")
        )
    statements += managed_secret_statements(list(args.managed_secrets.values()))
    if dead_letters is not None:
        statements.append(
            allow(
                ["sqs:SendMessage", "kms:GenerateDataKey"],
                [dead_letters.arn, args.key_arn],
                Sid="DeadLetters",
            )
        )
    consumed: list[pulumi.Input[str]] = [q.arn for q, _, _ in args.queues]
    if own_queue is not None:
        consumed.append(own_queue.arn)
    if consumed:
        statements.append(
            allow(
                [
                    "sqs:ChangeMessageVisibility",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:ReceiveMessage",
                ],
                consumed,
                Sid="ConsumeQueues",
            )
        )
        keys = [q.key_arn for q, _, _ in args.queues]
        if keys:
            statements.append(allow("kms:Decrypt", keys, Sid="DecryptWorkerQueues"))
    for index, permission in enumerate(args.permissions):
        statements.append(allow(list(permission.actions), list(permission.resources), Sid=f"Declared{index}"))
    return document(*statements)
