"""Storage a service owns: S3 buckets, DynamoDB tables, EFS volumes, and the access its task role
gets to exactly them (``StorageAccess``).

Everything is encrypted with the environment's key. In production the tables and file systems are
``protect``ed (a change that would replace them fails the update instead of deleting data), kept in
AWS when they leave the stack (``retention.py``), and carry the environment's backup tag, which puts
them in its AWS Backup plan (``backup.py``); buckets are versioned and retained.
"""

from __future__ import annotations

from typing import Any

import pulumi

from muon.components.bucket import AccessLogBucket, PrivateBucket, PrivateBucketArgs
from muon.components.naming import fit
from muon.components.policies import allow
from muon.components.retention import retained
from muon.components.storage_args import StorageAccess, StorageArgs
from muon.components.storage_parts import Volume, dynamodb_table

# S3 actions on objects, and listing the bucket (Service Authorization Reference, Amazon S3:
# object actions take the ``<bucket ARN>/*`` resource, ListBucket the bucket's own ARN).
OBJECT_ACTIONS = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:GetObjectVersion",
    "s3:AbortMultipartUpload",
]
# DynamoDB item and query actions (Service Authorization Reference, Amazon DynamoDB: resources
# ``table`` and ``index``); no table management (CreateTable, DeleteTable, UpdateTable).
ITEM_ACTIONS = [
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
]
# Amazon EFS user guide, "Using IAM to control file system data access": ClientMount (read),
# ClientWrite (write); condition key elasticfilesystem:AccessPointArn.
MOUNT_ACTIONS = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]


class ServiceStorage(pulumi.ComponentResource):
    access: StorageAccess

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:storage:ServiceStorage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self).merge(retained(args.production))
        variables: dict[str, pulumi.Input[str]] = {}
        statements: list[dict[str, Any]] = []
        statements += self._buckets(name, args, child, variables)
        for table in args.tables:
            made_table = dynamodb_table(name, table, args, child)
            variables[_variable(table.key, "TABLE")] = made_table.name
            statements.append(
                allow(
                    ITEM_ACTIONS,
                    [made_table.arn, made_table.arn.apply(lambda a: f"{a}/index/*")],
                    Sid=_sid("Table", table.key),
                )
            )
        volumes, mounts, groups = [], [], []
        for spec in args.volumes:
            volume = Volume(name, spec, args, child)
            actions = MOUNT_ACTIONS[:1] if spec.read_only else MOUNT_ACTIONS
            statements.append(
                allow(
                    actions,
                    volume.file_system.arn,
                    Sid=_sid("Volume", spec.key),
                    Condition={"StringEquals": {"elasticfilesystem:AccessPointArn": volume.access_point.arn}},
                )
            )
            volumes.append(
                {
                    "name": spec.key,
                    "efs_volume_configuration": {
                        "file_system_id": volume.file_system_id,
                        "transit_encryption": "ENABLED",
                        "authorization_config": {"access_point_id": volume.access_point.id, "iam": "ENABLED"},
                    },
                }
            )
            mounts.append({"sourceVolume": spec.key, "containerPath": spec.path, "readOnly": spec.read_only})
            groups.append(volume.security_group.id)
        statements += self._key_statements(args)
        self.access = StorageAccess(variables, statements, volumes, mounts, tuple(groups))
        self.register_outputs({"variables": variables})

    @staticmethod
    def _buckets(
        name: str, args: StorageArgs, child: pulumi.ResourceOptions, variables: dict[str, pulumi.Input[str]]
    ) -> list[dict[str, Any]]:
        """The buckets; in production, with S3 server access logs in a log bucket of the service's
        own (Security Hub S3.9), which admits exactly them."""
        if not args.buckets:
            return []
        access_logs = (
            AccessLogBucket(
                # Pulumi names it "<this>-bucket-<7 random>": 63 characters at most, S3's limit.
                f"{fit(name, 30)}-access-logs",
                account_id=args.context.account_id,
                expire_after_days=365,
                tags=args.tags,
                opts=child,
            )
            if args.production
            else None
        )
        statements: list[dict[str, Any]] = []
        arns = []
        for bucket in args.buckets:
            made = PrivateBucket(
                f"{name}-bucket-{bucket.key}",
                PrivateBucketArgs(
                    key_arn=args.key_arn,
                    bucket=bucket.bucket_name,
                    expire_after_days=bucket.expire_after_days,
                    access_log_bucket=access_logs.target if access_logs is not None else None,
                    protect=args.production,
                    tags=args.tags,
                ),
                opts=child,
            )
            variables[_variable(bucket.key, "BUCKET")] = made.bucket
            statements += _bucket_statements(bucket.key, made.arn)
            arns.append(made.arn)
        if access_logs is not None:
            access_logs.admit(arns)
        return statements

    @staticmethod
    def _key_statements(args: StorageArgs) -> list[dict[str, Any]]:
        """The environment's key, through S3 and DynamoDB only (``kms:ViaService``): SSE-KMS reads
        decrypt, writes generate data keys (S3 user guide, "Using SSE-KMS": GenerateDataKey and
        Decrypt; DynamoDB developer guide, "How DynamoDB uses AWS KMS"). EFS encrypts with its own
        grant: a client mounting needs no KMS permission."""
        services = [
            f"{s}.{args.context.region}.{args.context.dns_suffix}"
            for s in ("s3", "dynamodb")
            if _uses(args, s)
        ]
        if not services:
            return []
        return [
            allow(
                ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                args.key_arn,
                Sid="StorageKey",
                Condition={
                    "StringEquals": {"kms:ViaService": services if len(services) > 1 else services[0]}
                },
            )
        ]


def _uses(args: StorageArgs, service: str) -> bool:
    return bool(args.buckets) if service == "s3" else bool(args.tables)


def _bucket_statements(key: str, arn: pulumi.Output[str]) -> list[dict[str, Any]]:
    return [
        allow("s3:ListBucket", arn, Sid=_sid("ListBucket", key)),
        allow(OBJECT_ACTIONS, arn.apply(lambda a: f"{a}/*"), Sid=_sid("Bucket", key)),
    ]


def _sid(prefix: str, key: str) -> str:
    """IAM statement ids are alphanumeric: ``Bucket`` + ``user-uploads`` → ``BucketUserUploads``."""
    return prefix + "".join(part.capitalize() for part in key.split("-"))


def _variable(key: str, suffix: str) -> str:
    return f"{key.upper().replace('-', '_')}_{suffix}"
