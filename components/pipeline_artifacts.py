"""The pipeline's artifact bucket: kept for rollbacks, its access logged."""

from __future__ import annotations

import pulumi

from muon.components.bucket import AccessLogBucket, PrivateBucket, PrivateBucketArgs
from muon.components.pipeline_args import PipelineArgs

ARTIFACT_RETENTION_DAYS = 365
"""A stage's rollback re-runs its last successful execution with that execution's artifacts
(CodePipeline user guide, "Configuring stage rollback"): they must outlive the longest a stage goes
without a successful run. A year (the thirty days before broke the rollback of a stage released
monthly); the images themselves are kept by the registry's deployed tags."""


def artifact_bucket(
    name: str, args: PipelineArgs, key_arn: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> PrivateBucket:
    """The artifacts, kept for rollbacks, their access logged (S3.9) to a bucket of their own."""
    access_logs = AccessLogBucket(
        f"{name}-access-logs",
        account_id=args.context.account_id,
        expire_after_days=ARTIFACT_RETENTION_DAYS,
        # As the artifacts: `pulumi destroy` of the delivery stack must not stop at it.
        force_destroy=True,
        tags=args.tags,
        opts=opts,
    )
    bucket = PrivateBucket(
        f"{name}-artifacts",
        PrivateBucketArgs(
            key_arn=key_arn,
            expire_after_days=ARTIFACT_RETENTION_DAYS,
            noncurrent_expire_after_days=7,
            # Build artifacts only: `pulumi destroy` must not stop at a non-empty bucket.
            force_destroy=True,
            access_log_bucket=access_logs.target,
            tags=args.tags,
        ),
        opts=opts,
    )
    access_logs.admit([bucket.arn])
    return bucket
