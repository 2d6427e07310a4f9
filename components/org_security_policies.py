"""The organization trail's key and bucket policies, and the template of the Config recorders
the StackSet deploys in every member account (``org_security.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi

from muon.components.policies import document

if TYPE_CHECKING:  # org_security.py composes with these policies
    from muon.components.org_security import SecurityArgs


def trail_key_policy(
    args: SecurityArgs,
    owner_account_id: pulumi.Input[str],
    trail_arn: pulumi.Input[str],
    organization_id: pulumi.Input[str],
) -> dict[str, object]:
    """The account holding the key administers it; CloudTrail encrypts for this trail only; the
    organization's principals may decrypt (to read and validate the logs)."""
    root = pulumi.Output.concat(f"arn:{args.partition}:iam::", owner_account_id, ":root")
    return document(
        {
            "Sid": "AccountAdministersKey",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "CloudTrailEncrypts",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": ["kms:GenerateDataKey*", "kms:DescribeKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
        },
        {
            "Sid": "OrganizationDecrypts",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ["kms:Decrypt", "kms:ReEncryptFrom"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": organization_id}},
        },
    )


def trail_bucket_statements(
    bucket_arn: pulumi.Output[str],
    trail_arn: pulumi.Input[str],
    management_account_id: pulumi.Input[str],
    organization_id: pulumi.Input[str],
) -> list[dict[str, object]]:
    """CloudTrail reads the ACL and writes the management account's and every member's logs,
    for this trail only (``aws:SourceArn``)."""
    condition = {"StringEquals": {"aws:SourceArn": trail_arn}}
    return [
        {
            "Sid": "CloudTrailChecksAcl",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
            "Condition": condition,
        },
        {
            "Sid": "CloudTrailWrites",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": [
                pulumi.Output.concat(bucket_arn, "/AWSLogs/", management_account_id, "/*"),
                pulumi.Output.concat(bucket_arn, "/AWSLogs/", organization_id, "/*"),
            ],
            "Condition": {
                "StringEquals": {"aws:SourceArn": trail_arn, "s3:x-amz-acl": "bucket-owner-full-control"}
            },
        },
    ]


def config_recorder_template() -> dict[str, object]:
    """The StackSet's template: a recorder of every supported resource type (global ones in the
    StackSet's region only) and its service-linked role; delivery to a bucket of the account."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "muon: AWS Config recorder (organization-wide, from the management account)",
        "Resources": {
            "ConfigRole": {
                "Type": "AWS::IAM::ServiceLinkedRole",
                "Properties": {"AWSServiceName": "config.amazonaws.com"},
            },
            "DeliveryBucket": {
                "Type": "AWS::S3::Bucket",
                "DeletionPolicy": "Retain",
                "Properties": {
                    "BucketEncryption": {
                        "ServerSideEncryptionConfiguration": [
                            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                        ]
                    },
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": True,
                        "BlockPublicPolicy": True,
                        "IgnorePublicAcls": True,
                        "RestrictPublicBuckets": True,
                    },
                    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                    "VersioningConfiguration": {"Status": "Enabled"},
                },
            },
            "DeliveryBucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": {"Ref": "DeliveryBucket"},
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "ConfigChecksAcl",
                                "Effect": "Allow",
                                "Principal": {"Service": "config.amazonaws.com"},
                                "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
                                "Resource": {"Fn::GetAtt": ["DeliveryBucket", "Arn"]},
                                "Condition": {
                                    "StringEquals": {"AWS:SourceAccount": {"Ref": "AWS::AccountId"}}
                                },
                            },
                            {
                                "Sid": "ConfigWrites",
                                "Effect": "Allow",
                                "Principal": {"Service": "config.amazonaws.com"},
                                "Action": "s3:PutObject",
                                "Resource": {
                                    "Fn::Sub": "${DeliveryBucket.Arn}/AWSLogs/${AWS::AccountId}/Config/*"
                                },
                                "Condition": {
                                    "StringEquals": {"AWS:SourceAccount": {"Ref": "AWS::AccountId"}}
                                },
                            },
                            {
                                "Sid": "DenyInsecureTransport",
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "s3:*",
                                "Resource": [
                                    {"Fn::GetAtt": ["DeliveryBucket", "Arn"]},
                                    {"Fn::Sub": "${DeliveryBucket.Arn}/*"},
                                ],
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            },
                        ],
                    },
                },
            },
            "Recorder": {
                "Type": "AWS::Config::ConfigurationRecorder",
                "DependsOn": "ConfigRole",
                "Properties": {
                    "Name": "default",
                    "RoleARN": {
                        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/"
                        "config.amazonaws.com/AWSServiceRoleForConfig"
                    },
                    "RecordingGroup": {"AllSupported": True, "IncludeGlobalResourceTypes": True},
                },
            },
            "DeliveryChannel": {
                "Type": "AWS::Config::DeliveryChannel",
                "DependsOn": ["DeliveryBucketPolicy", "Recorder"],
                "Properties": {
                    "Name": "default",
                    "S3BucketName": {"Ref": "DeliveryBucket"},
                    "ConfigSnapshotDeliveryProperties": {"DeliveryFrequency": "TwentyFour_Hours"},
                },
            },
        },
    }
