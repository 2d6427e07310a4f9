"""What the pipeline's Pulumi runs may do: the one broad grant, and the CLI's own state and key."""

from __future__ import annotations

from typing import Any

from muon.components.context import AwsContext
from muon.components.pipeline_args import TestNetwork
from muon.components.policies import allow, document

# Every service prefix muon's stacks create resources with: what `pulumi up` needs. The one broad
# grant in muon (see deploy_policy); organisations use the same list for their allow-list SCPs.
DEPLOYED_SERVICES = (
    "acm", "apigateway", "application-autoscaling", "autoscaling", "backup", "backup-storage",
    "chatbot", "cloudfront", "cloudwatch", "codebuild", "codecommit", "codedeploy", "codepipeline",
    "codestar-connections", "codestar-notifications", "ec2", "ecr", "ecs", "elasticloadbalancing",
    "events", "iam", "kms", "lambda", "logs", "rds", "route53", "s3", "scheduler",
    "servicediscovery", "sns", "sqs", "ssm", "states", "tag", "wafv2",
)  # fmt: skip


def state_statements(context: AwsContext, backend: str, secrets_provider: str | None) -> list[dict[str, Any]]:
    """Read and write the stacks' state in an s3:// backend, and use its awskms:// secrets key."""
    statements = []
    if backend.startswith("s3://"):
        location = backend.removeprefix("s3://").split("?")[0].rstrip("/")
        bucket, _, prefix = location.partition("/")
        bucket_arn = f"arn:{context.partition}:s3:::{bucket}"
        statements += [
            allow(
                ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
                f"{bucket_arn}/{prefix + '/' if prefix else ''}*",
                Sid="PulumiState",
            ),
            allow(["s3:GetBucketLocation", "s3:ListBucket"], bucket_arn, Sid="PulumiStateBucket"),
        ]
    if secrets_provider and secrets_provider.startswith("awskms://"):
        key, _, query = secrets_provider.removeprefix("awskms://").partition("?")
        region = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("region", context.region)
        actions = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
        if key.startswith("alias/"):
            # Decrypt names no key in the request: match the key by the alias it carries.
            statements.append(
                allow(
                    actions,
                    f"arn:{context.partition}:kms:{region}:{context.account_id}:key/*",
                    Sid="PulumiSecrets",
                    Condition={"ForAnyValue:StringEquals": {"kms:ResourceAliases": key}},
                )
            )
        else:
            arn = (
                key
                if key.startswith("arn:")
                else f"arn:{context.partition}:kms:{region}:{context.account_id}:key/{key}"
            )
            statements.append(allow(actions, arn, Sid="PulumiSecrets"))
    return statements


def deploy_policy() -> dict[str, Any]:
    """The one broad grant in muon: the deploy step runs `pulumi up`, which creates, changes and
    deletes every kind of resource muon manages. It is attached to the deploy project only (or
    lives in the target account, assumed through ``roleArn``)."""
    return document(
        allow([f"{service}:*" for service in DEPLOYED_SERVICES], "*", Sid="ManageMuonResources"),
        allow("sts:GetCallerIdentity", "*", Sid="WhoAmI"),
    )


def vpc_statements(context: AwsContext, network: TestNetwork) -> list[dict[str, Any]]:
    """What a CodeBuild project running in a VPC needs of its role: network interfaces in its
    subnets under its group, handed to CodeBuild (CodeBuild user guide, "Allow CodeBuild access to
    AWS services required to create a VPC network interface")."""
    interfaces = context.arn("ec2", "network-interface/*")
    subnets = [context.arn("ec2", f"subnet/{subnet}") for subnet in network.subnet_ids]
    return [
        # Describe calls have no resource-level permissions: AWS offers nothing narrower.
        allow(
            [
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
            ],
            "*",
            Sid="DescribeTheVpc",
        ),
        allow(
            "ec2:CreateNetworkInterface",
            [interfaces, *subnets, context.arn("ec2", f"security-group/{network.security_group_id}")],
            Sid="JoinTheVpc",
        ),
        # The build's interface ids are CodeBuild's to choose: any of this account and region.
        allow("ec2:DeleteNetworkInterface", interfaces, Sid="LeaveTheVpc"),
        allow(
            "ec2:CreateNetworkInterfacePermission",
            interfaces,
            Sid="HandTheInterfaceToCodeBuild",
            Condition={
                "StringEquals": {
                    "ec2:Subnet": subnets,
                    "ec2:AuthorizedService": context.service_principal("codebuild"),
                }
            },
        ),
    ]
