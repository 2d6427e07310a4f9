"""A private S3 bucket: no public access, owner-enforced objects, TLS only, encrypted, versioned."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from muon.components.policies import deny_insecure_transport, document, ready, to_json

# Extra bucket-policy statements, built from the bucket's ARN once it is known.
StatementsFor = Callable[[pulumi.Output[str]], list[dict[str, Any]]]


@dataclass(frozen=True)
class PrivateBucketArgs:
    """Every bucket is private whatever its arguments: public access blocked, owner-enforced, TLS
    only, versioned, encrypted."""

    key_arn: pulumi.Input[str] | None = None
    """KMS key for SSE-KMS; None means SSE-S3 (required where AWS supports nothing else, e.g. ELB
    access logs). Default None: encrypted, with S3's key."""
    expire_after_days: int | None = None
    """Objects expire after this many days; default None: kept."""
    noncurrent_expire_after_days: int = 30
    """Overwritten or deleted versions expire after 30 days by default: a mistake can be undone
    for a month."""
    extra_statements: StatementsFor | None = None
    """More bucket policy statements (given the bucket's ARN); default none."""
    force_destroy: bool = False
    """Default False: a bucket with objects is never deleted with the stack."""
    policy: bool = True
    """False: the owner writes the bucket policy (with ``policy_statements``), e.g. one naming a
    resource that needs the bucket first (a CloudFront distribution). Default True."""
    access_log_bucket: pulumi.Input[str] | None = None
    """Where S3 writes this bucket's server access logs (under ``<bucket name>/``); None: nowhere.
    Default None: a log bucket cannot log into itself, so the caller names one."""
    bucket: str | None = None
    """The bucket's name; default None: Pulumi's automatic name (the logical name and 7 random
    characters), which suits every bucket whose name nobody types."""
    protect: bool = False
    """``protect`` the bucket: a change that would replace it (its name) fails instead of deleting
    its objects. Default False (production's service buckets set it)."""
    tags: dict[str, str] = field(default_factory=dict)
    """Default none (the stack's tags come by transformation)."""


class PrivateBucket(pulumi.ComponentResource):
    bucket: pulumi.Output[str]
    arn: pulumi.Output[str]
    policy: aws.s3.BucketPolicy | None
    """Resources that need the policy in place before they use the bucket depend on this."""
    regional_domain_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: PrivateBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("muon:storage:PrivateBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket,
            force_destroy=args.force_destroy,
            tags=args.tags,
            opts=child.merge(pulumi.ResourceOptions(protect=args.protect)) if args.protect else child,
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        encryption = (
            {"sse_algorithm": "aws:kms", "kms_master_key_id": args.key_arn}
            if args.key_arn is not None
            else {"sse_algorithm": "AES256"}
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": encryption,
                    "bucket_key_enabled": args.key_arn is not None,
                }
            ],
            opts=child,
        )
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        rule: dict[str, Any] = {
            "id": "expire",
            "status": "Enabled",
            "filter": {},
            "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
            "noncurrent_version_expiration": {"noncurrent_days": args.noncurrent_expire_after_days},
        }
        if args.expire_after_days is not None:
            rule["expiration"] = {"days": args.expire_after_days}
        aws.s3.BucketLifecycleConfiguration(f"{name}-lifecycle", bucket=bucket.id, rules=[rule], opts=child)
        self.policy = None
        if args.policy:
            self.policy = aws.s3.BucketPolicy(
                f"{name}-policy",
                bucket=bucket.id,
                policy=to_json(document(*self.policy_statements(bucket.arn, args))),
                opts=child,
            )
        self.bucket_id = bucket.id
        if args.access_log_bucket is not None:
            aws.s3.BucketLogging(
                f"{name}-access-logging",
                bucket=bucket.id,
                target_bucket=args.access_log_bucket,
                target_prefix=bucket.bucket.apply(lambda b: f"{b}/"),
                opts=child,
            )
        self.bucket = bucket.bucket
        self.arn = bucket.arn
        self.regional_domain_name = bucket.bucket_regional_domain_name
        self.register_outputs({"bucket": self.bucket, "arn": self.arn})

    @staticmethod
    def policy_statements(arn: pulumi.Output[str], args: PrivateBucketArgs) -> list[dict[str, Any]]:
        """TLS only, and the owner's extra statements."""
        extra = args.extra_statements(arn) if args.extra_statements else []
        return [deny_insecure_transport("s3:*", [arn, arn.apply(lambda a: f"{a}/*")]), *extra]


class AccessLogBucket:
    """A bucket for other buckets' S3 server access logs: SSE-S3 (the only encryption S3 logging
    delivers to), written by S3's logging service for exactly those buckets of one account.

    The bucket policy names its sources (``aws:SourceArn``, ``aws:SourceAccount``: S3 user guide,
    "Enabling Amazon S3 server access logging", permissions for the logging service principal),
    which exist only after this bucket: ``target`` is the bucket name to log to, handed out once
    ``admit`` wrote that policy, so a source starts logging only when its logs are admitted.
    """

    def __init__(
        self,
        name: str,
        *,
        account_id: str | pulumi.Input[str],
        expire_after_days: int,
        tags: dict[str, str],
        opts: pulumi.ResourceOptions,
        force_destroy: bool = False,
    ) -> None:
        self._name, self._account_id = name, account_id
        self.bucket = PrivateBucket(
            name,
            PrivateBucketArgs(
                expire_after_days=expire_after_days, policy=False, force_destroy=force_destroy, tags=tags
            ),
            opts=opts,
        )
        self.target: pulumi.Output[str]
        self._resolve: Callable[[pulumi.Output[str]], None]
        self.target, self._resolve = pulumi.deferred_output()

    def admit(self, sources: list[pulumi.Output[str]]) -> aws.s3.BucketPolicy:
        """The bucket policy: S3's logging service may write for the ``sources`` (bucket ARNs) only."""
        bucket = self.bucket
        logs_from = {
            "Sid": "S3ServerAccessLogs",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": bucket.arn.apply(lambda a: f"{a}/*"),
            "Condition": {
                "ArnLike": {"aws:SourceArn": sources if len(sources) > 1 else sources[0]},
                "StringEquals": {"aws:SourceAccount": self._account_id},
            },
        }
        policy = aws.s3.BucketPolicy(
            f"{self._name}-policy",  # the name PrivateBucket gives its own policy: the URN stays
            bucket=bucket.bucket_id,
            policy=to_json(
                document(*PrivateBucket.policy_statements(bucket.arn, PrivateBucketArgs()), logs_from)
            ),
            opts=pulumi.ResourceOptions(parent=bucket),
        )
        self._resolve(ready(bucket.bucket, policy))
        return policy


class ExistingBucket:
    """A bucket the company brought (``pipeline.artifactBucket``): used as is, its settings theirs."""

    def __init__(self, name: str, partition: str = "aws") -> None:
        self.bucket = pulumi.Output.from_input(name)
        self.arn = pulumi.Output.from_input(f"arn:{partition}:s3:::{name}")
