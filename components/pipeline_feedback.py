"""A pipeline's feedback: its notification topic (email, Slack), failure events, history, dashboard."""

from __future__ import annotations

import json
from typing import Any

import pulumi_aws as aws

from muon.components.pipeline_args import Scope
from muon.components.policies import document, to_json
from muon.components.topic import notification_topic, slack_channel


def notification_channel(scope: Scope) -> aws.sns.Topic:
    args, context, child = scope.args, scope.args.context, scope.opts
    topic = notification_topic(
        f"{scope.name}-notifications",
        topic_name=f"{args.name}-notifications",
        context=context,
        key_arn=scope.key_arn,
        publishers=("events", "codestar-notifications"),
        emails=args.notifications.emails,
        tags=args.tags,
        opts=child,
    )
    notifications = args.notifications
    if notifications.slack_team_id and notifications.slack_channel_id:
        slack_channel(
            scope.name,
            configuration_name=args.name,
            topic_arn=topic.arn,
            team_id=notifications.slack_team_id,
            channel_id=notifications.slack_channel_id,
            context=context,
            tags=args.tags,
            opts=child,
        )
    return topic


def feedback(scope: Scope, pipeline: aws.codepipeline.Pipeline, topic: aws.sns.Topic) -> None:
    """Stop the line: failures (and optionally successes) → the topic; every event → a log group."""
    args, child = scope.args, scope.opts
    states = ["FAILED", *(["SUCCEEDED"] if args.notifications.on_success else [])]
    pattern = failure_pattern(args.name, states)
    rule = aws.cloudwatch.EventRule(
        f"{scope.name}-failures",
        name=f"{args.name}-failures",
        description=f"{args.name}: pipeline, stage and action failures",
        event_pattern=json.dumps(pattern, sort_keys=True),
        tags=args.tags,
        opts=child,
    )
    aws.cloudwatch.EventTarget(
        f"{scope.name}-failures-to-topic",
        rule=rule.name,
        arn=topic.arn,
        input_transformer={
            "input_paths": {
                "pipeline": "$.detail.pipeline",
                "stage": "$.detail.stage",
                "action": "$.detail.action",
                "state": "$.detail.state",
                "execution": "$.detail.execution-id",
                "region": "$.region",
            },
            "input_template": (
                '"muon pipeline <pipeline>: <stage> <action> <state> (execution <execution>). '
                "https://<region>.console.aws.amazon.com/codesuite/codepipeline/pipelines/<pipeline>/"
                'executions/<execution>/timeline"'
            ),
        },
        opts=child,
    )
    aws.codestarnotifications.NotificationRule(
        f"{scope.name}-approvals",
        name=f"{args.name}-approvals"[:64],
        resource=pipeline.arn,
        detail_type="BASIC",
        event_type_ids=[
            "codepipeline-pipeline-manual-approval-succeeded",
            "codepipeline-pipeline-manual-approval-failed",
        ],
        targets=[{"address": topic.arn, "type": "SNS"}],
        tags=args.tags,
        opts=child,
    )
    # Every state change of this pipeline, kept for the dashboard (approval waits, durations).
    history = aws.cloudwatch.LogGroup(
        f"{scope.name}-history",
        name=history_name(args.context.namespace, args.name),
        retention_in_days=args.log_retention_days,
        kms_key_id=scope.key_arn,
        tags=args.tags,
        opts=child,
    )
    aws.cloudwatch.LogResourcePolicy(
        f"{scope.name}-history-policy",
        policy_name=f"{args.name}-events-to-logs",
        policy_document=to_json(
            document(
                {
                    "Sid": "EventBridgeWrites",
                    "Effect": "Allow",
                    "Principal": {"Service": [args.context.service_principal("events")]},
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": history.arn.apply(lambda arn: f"{arn}:*"),
                }
            )
        ),
        opts=child,
    )
    every = aws.cloudwatch.EventRule(
        f"{scope.name}-history-rule",
        name=f"{args.name}-history",
        description=f"{args.name}: every state change, to {history_name(args.context.namespace, args.name)}",
        event_pattern=json.dumps(
            {"source": ["aws.codepipeline"], "detail": {"pipeline": [args.name]}}, sort_keys=True
        ),
        tags=args.tags,
        opts=child,
    )
    aws.cloudwatch.EventTarget(f"{scope.name}-history-target", rule=every.name, arn=history.arn, opts=child)


def dashboard(scope: Scope, projects: list[str]) -> None:
    args = scope.args
    region = args.context.region
    history = history_name(args.context.namespace, args.name)

    def build_metric(metric: str, stat: str) -> list[list[Any]]:
        return [["AWS/CodeBuild", metric, "ProjectName", p, {"stat": stat}] for p in projects]

    widgets = [
        _metric_widget("Builds", build_metric("Builds", "Sum"), region, 0),
        _metric_widget("Failed builds", build_metric("FailedBuilds", "Sum"), region, 8),
        _metric_widget("Build duration (s)", build_metric("Duration", "Average"), region, 16),
        {
            "type": "log",
            "x": 0,
            "y": 6,
            "width": 24,
            "height": 6,
            "properties": {
                "title": "Approval wait (seconds from request to answer)",
                "region": region,
                "query": (
                    f"SOURCE '{history}' | filter detail.type.category = 'Approval' "
                    "| stats (max(@timestamp) - min(@timestamp)) / 1000 as waitSeconds, "
                    "latest(detail.state) as outcome by detail.stage, `detail.execution-id` "
                    "| sort waitSeconds desc | limit 50"
                ),
                "view": "table",
            },
        },
        {
            "type": "log",
            "x": 0,
            "y": 12,
            "width": 24,
            "height": 6,
            "properties": {
                "title": "Runs by outcome",
                "region": region,
                "query": (
                    f"SOURCE '{history}' "
                    "| filter `detail-type` = 'CodePipeline Pipeline Execution State Change' "
                    "| stats count(*) by detail.state"
                ),
                "view": "table",
            },
        },
    ]
    aws.cloudwatch.Dashboard(
        f"{scope.name}-dashboard",
        dashboard_name=f"{args.name}-pipeline",
        dashboard_body=json.dumps({"widgets": widgets}, sort_keys=True),
        opts=scope.opts,
    )


def history_name(namespace: str, pipeline: str) -> str:
    return f"/aws/events/{namespace}/{pipeline}"


def failure_pattern(pipeline: str, states: list[str]) -> dict[str, Any]:
    """EventBridge pattern for this pipeline's execution, stage and action state changes."""
    return {
        "source": ["aws.codepipeline"],
        "detail-type": [
            "CodePipeline Pipeline Execution State Change",
            "CodePipeline Stage Execution State Change",
            "CodePipeline Action Execution State Change",
        ],
        "detail": {"pipeline": [pipeline], "state": states},
    }


def _metric_widget(title: str, metrics: list[list[Any]], region: str, x: int) -> dict[str, Any]:
    return {
        "type": "metric",
        "x": x,
        "y": 0,
        "width": 8,
        "height": 6,
        "properties": {
            "title": title,
            "region": region,
            "metrics": metrics,
            "period": 86400,
            "view": "timeSeries",
        },
    }
