"""Where a pipeline's runs come from: GitHub (CodeStar connection), CodeCommit or S3."""

from __future__ import annotations

import json
from typing import Any

import pulumi_aws as aws

from muon.components.context import AwsContext
from muon.components.pipeline_args import PipelineSource, Scope
from muon.components.policies import allow, assume_role_policy, document, ready, to_json

SOURCE_NAMESPACE = "SourceVariables"


def revision_variable(source: PipelineSource) -> str:
    """The source action's variable naming the revision this run builds."""
    return f"#{{{SOURCE_NAMESPACE}.{'VersionId' if source.provider == 's3' else 'CommitId'}}}"


def revision_type(source: PipelineSource) -> str:
    """How StartPipelineExecution names that revision (``sourceRevisions[].revisionType``)."""
    return "S3_OBJECT_VERSION_ID" if source.provider == "s3" else "COMMIT_ID"


def source_action(source: PipelineSource) -> dict[str, Any]:
    base = {
        "name": "Source",
        "category": "Source",
        "version": "1",
        "run_order": 1,
        "output_artifacts": ["Source"],
        "namespace": SOURCE_NAMESPACE,
    }
    if source.provider == "github":
        return {
            **base,
            "owner": "AWS",
            "provider": "CodeStarSourceConnection",
            "configuration": {
                "ConnectionArn": source.connection_arn,
                "FullRepositoryId": source.repo,
                "BranchName": source.branch,
                "OutputArtifactFormat": "CODE_ZIP",
                "DetectChanges": "true",
            },
        }
    if source.provider == "codecommit":
        return {
            **base,
            "owner": "AWS",
            "provider": "CodeCommit",
            # An EventBridge rule starts the pipeline; polling is deprecated and slow.
            "configuration": {
                "RepositoryName": source.repo,
                "BranchName": source.branch,
                "PollForSourceChanges": "false",
            },
        }
    return {
        **base,
        "owner": "AWS",
        "provider": "S3",
        # Event-driven S3 sources need CloudTrail data events on the customer's bucket; polling
        # works with none.
        "configuration": {
            "S3Bucket": source.repo,
            "S3ObjectKey": source.object_key,
            "PollForSourceChanges": "true",
        },
    }


def source_statements(context: AwsContext, source: PipelineSource) -> list[dict[str, Any]]:
    if source.provider == "github":
        return [
            allow(
                ["codestar-connections:UseConnection", "codeconnections:UseConnection"],
                source.connection_arn,
                Sid="UseConnection",
            )
        ]
    if source.provider == "codecommit":
        return [
            allow(
                [
                    "codecommit:GetBranch",
                    "codecommit:GetCommit",
                    "codecommit:GetUploadArchiveStatus",
                    "codecommit:UploadArchive",
                ],
                context.arn("codecommit", source.repo),
                Sid="ReadRepository",
            )
        ]
    bucket = f"arn:{context.partition}:s3:::{source.repo}"
    return [
        allow(["s3:GetObject", "s3:GetObjectVersion"], f"{bucket}/{source.object_key}", Sid="ReadSource"),
        allow(["s3:GetBucketVersioning", "s3:GetBucketLocation"], bucket, Sid="SourceBucket"),
    ]


def codecommit_trigger(scope: Scope, pipeline: aws.codepipeline.Pipeline) -> None:
    args, context, child = scope.args, scope.args.context, scope.opts
    role = aws.iam.Role(
        f"{scope.name}-trigger-role",
        assume_role_policy=assume_role_policy("events.amazonaws.com", source_account=context.account_id),
        tags=args.tags,
        opts=child,
    )
    start = aws.iam.RolePolicy(
        f"{scope.name}-trigger-policy",
        role=role.id,
        policy=to_json(document(allow("codepipeline:StartPipelineExecution", pipeline.arn, Sid="Start"))),
        opts=child,
    )
    rule = aws.cloudwatch.EventRule(
        f"{scope.name}-trigger",
        name=f"{args.name}-source",
        description=f"{args.name}: a push to {args.source.branch} starts the pipeline",
        event_pattern=json.dumps(
            {
                "source": ["aws.codecommit"],
                "detail-type": ["CodeCommit Repository State Change"],
                "resources": [context.arn("codecommit", args.source.repo)],
                "detail": {
                    "event": ["referenceCreated", "referenceUpdated"],
                    "referenceType": ["branch"],
                    "referenceName": [args.source.branch],
                },
            },
            sort_keys=True,
        ),
        tags=args.tags,
        opts=child,
    )
    aws.cloudwatch.EventTarget(
        f"{scope.name}-trigger-target",
        rule=rule.name,
        arn=pipeline.arn,
        role_arn=ready(role.arn, start),
        opts=child,
    )
