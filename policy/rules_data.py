"""Controls on keys, logs, topics, buckets and IAM policies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from muon.policy.checks import (
    Finding,
    Resource,
    _as_list,
    _doc,
    _of,
    rule,
)


@rule
def kms_keys(resources: Sequence[Resource]) -> Iterable[Finding]:
    for key in _of(resources, "aws:kms/key:Key"):
        inputs = key.inputs
        if not inputs.get("enableKeyRotation"):
            yield Finding("KMS.4", key.name, "key rotation off")
        if inputs.get("deletionWindowInDays") != 30:
            yield Finding("KMS.3", key.name, "deletion window is not 30 days")
        for statement in _doc(inputs.get("policy")).get("Statement", []):
            if statement.get("Principal") in ("*", {"AWS": "*"}) and not statement.get("Condition"):
                yield Finding("KMS.5", key.name, "key policy grants an unconditioned * principal")


@rule
def log_groups(resources: Sequence[Resource]) -> Iterable[Finding]:
    for group in _of(resources, "aws:cloudwatch/logGroup:LogGroup"):
        if (group.inputs.get("retentionInDays") or 0) < 365:
            yield Finding("CloudWatch.16", group.name, "log retention under 365 days")
        if not group.inputs.get("kmsKeyId"):
            yield Finding("CKV_AWS_158", group.name, "log group not encrypted with a KMS key")


@rule
def sns_topics(resources: Sequence[Resource]) -> Iterable[Finding]:
    policies = {
        p.inputs.get("arn"): _doc(p.inputs.get("policy"))
        for p in _of(resources, "aws:sns/topicPolicy:TopicPolicy")
    }
    for topic in _of(resources, "aws:sns/topic:Topic"):
        key = topic.inputs.get("kmsMasterKeyId") or ""
        if not key or key.startswith("alias/aws/"):
            yield Finding("SNS.1", topic.name, "topic not encrypted with a customer-managed key")
    for arn, policy in policies.items():
        statements = policy.get("Statement", [])
        if not any(_denies_insecure_transport(s) for s in statements):
            yield Finding("SNS.4", str(arn), "topic policy does not deny insecure transport")


def _denies_insecure_transport(statement: dict[str, Any]) -> bool:
    condition = statement.get("Condition") or {}
    return (
        statement.get("Effect") == "Deny"
        and (condition.get("Bool") or {}).get("aws:SecureTransport") == "false"
    )


@rule
def buckets(resources: Sequence[Resource]) -> Iterable[Finding]:
    def by_bucket(type_token: str) -> dict[str, Resource]:
        # muon's PrivateBucket parents a bucket and its configuration to one component.
        return {r.parent: r for r in _of(resources, type_token)}

    blocks = by_bucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    policies = by_bucket("aws:s3/bucketPolicy:BucketPolicy")
    encryption = by_bucket(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    versioning = by_bucket("aws:s3/bucketVersioning:BucketVersioning")
    lifecycle = by_bucket("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    ownership = by_bucket("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    logging = by_bucket("aws:s3/bucketLogging:BucketLogging")
    for bucket in _of(resources, "aws:s3/bucket:Bucket"):
        stem = bucket.parent
        block = blocks.get(stem)
        flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        if block is None or not all(block.inputs.get(f) for f in flags):
            yield Finding("S3.8", bucket.name, "public access not fully blocked")
        policy = policies.get(stem)
        if policy is None or not any(
            _denies_insecure_transport(s) for s in _doc(policy.inputs.get("policy")).get("Statement", [])
        ):
            yield Finding("S3.5", bucket.name, "bucket policy does not deny insecure transport")
        sse = encryption.get(stem)
        rules = (sse.inputs.get("rules") or [{}]) if sse else [{}]
        default = rules[0].get("applyServerSideEncryptionByDefault") or {}
        if default.get("sseAlgorithm") != "aws:kms" or not default.get("kmsMasterKeyId"):
            yield Finding("S3.17", bucket.name, "not encrypted with a customer-managed KMS key")
        if (
            stem not in versioning
            or (versioning[stem].inputs.get("versioningConfiguration") or {}).get("status") != "Enabled"
        ):
            yield Finding("S3.14", bucket.name, "versioning off")
        if stem not in lifecycle:
            yield Finding("S3.13", bucket.name, "no lifecycle configuration")
        if (
            stem not in ownership
            or (ownership[stem].inputs.get("rule") or {}).get("objectOwnership") != "BucketOwnerEnforced"
        ):
            yield Finding("S3.12", bucket.name, "ACLs not disabled (BucketOwnerEnforced)")
        if stem not in logging:
            yield Finding("S3.9", bucket.name, "server access logging off")


@rule
def iam_policies(resources: Sequence[Resource]) -> Iterable[Finding]:
    documents = [
        (r.name, _doc(r.inputs.get("policy")))
        for r in resources
        if r.type in ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy")
    ]
    for name, doc in documents:
        for statement in doc.get("Statement", []):
            if statement.get("Effect") != "Allow":
                continue
            actions = _as_list(statement.get("Action"))
            resources_ = _as_list(statement.get("Resource"))
            if "*" in actions:
                yield Finding("IAM.1", name, "allows every action")
            if any(a.endswith(":*") for a in actions if isinstance(a, str)):
                yield Finding("IAM.21", name, f"allows a whole service: {actions}")
            if "*" in resources_ and {"iam:PassRole", "kms:Decrypt", "kms:ReEncryptFrom"} & set(actions):
                yield Finding("KMS.1", name, "PassRole or decrypt on every resource")
    for role in _of(resources, "aws:iam/role:Role"):
        for statement in _doc(role.inputs.get("assumeRolePolicy")).get("Statement", []):
            principal = statement.get("Principal")
            if principal == "*" or principal == {"AWS": "*"}:
                yield Finding("CKV_AWS_60", role.name, "trust policy names every principal")
    for attachment in _of(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        if str(attachment.inputs.get("policyArn", "")).endswith("/AdministratorAccess"):
            yield Finding("CKV_AWS_274", attachment.name, "AdministratorAccess attached")
