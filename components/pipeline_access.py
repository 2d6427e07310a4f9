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


SCOPED_SERVICES = ("iam", "kms")
"""Granted on what muon's stacks create only (below): who holds them could otherwise grant
itself anything (IAM) or destroy every encrypted byte of the account (KMS)."""
PASSED_TO_SERVICES = (
    "backup.amazonaws.com", "chatbot.amazonaws.com", "codebuild.amazonaws.com",
    "codedeploy.amazonaws.com", "codepipeline.amazonaws.com", "ec2.amazonaws.com",
    "ecs-tasks.amazonaws.com", "events.amazonaws.com", "lambda.amazonaws.com",
    "monitoring.rds.amazonaws.com", "scheduler.amazonaws.com", "states.amazonaws.com",
    "vpc-flow-logs.amazonaws.com",
)  # fmt: skip
"""The services muon's roles trust, the only ones the deploy may hand them to (iam:PassedToService)."""
ATTACHED_MANAGED_POLICIES = (
    "AmazonSSMManagedInstanceCore",
    "service-role/AmazonEC2ContainerServiceforEC2Role",
    "service-role/AmazonRDSEnhancedMonitoringRole",
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "service-role/AWSCodeDeployRoleForLambda",
)
"""The AWS managed policies muon attaches to its roles: no other (AdministratorAccess…) may be."""
SERVICE_LINKED_ROLES = (
    "autoscaling.amazonaws.com", "backup.amazonaws.com", "codestar-notifications.amazonaws.com",
    "ecs.amazonaws.com", "ecs.application-autoscaling.amazonaws.com",
    "elasticloadbalancing.amazonaws.com", "management.chatbot.amazonaws.com",
    "ops.apigateway.amazonaws.com", "rds.amazonaws.com", "restore-testing.backup.amazonaws.com",
    "wafv2.amazonaws.com",
)  # fmt: skip
"""Roles AWS creates on a service's first use in an account, when the caller may."""


def deploy_policy(
    context: AwsContext, *, boundaries: tuple[str, ...] = (), company_keys: tuple[str, ...] = ()
) -> dict[str, Any]:
    """What `pulumi up` of muon's stacks creates, changes and deletes: every kind of resource muon
    manages. IAM and KMS only on what carries the namespace's ``muon:namespace`` tag (muon tags
    every role, policy and key it makes), the company's own keys and aliases under the namespace;
    roles handed only to the services muon's roles trust, attached only muon's managed policies,
    created only under ``boundaries`` when the definition sets one. The other services stay
    ``<service>:*``: their resources are many, mostly named by AWS or Pulumi, and hold no
    privilege over others (docs/definition.md, "The deploy roles, exactly")."""
    broad = [f"{service}:*" for service in DEPLOYED_SERVICES if service not in SCOPED_SERVICES]
    return document(
        allow(broad, "*", Sid="ManageMuonResources"),
        allow("sts:GetCallerIdentity", "*", Sid="WhoAmI"),
        *iam_statements(context, boundaries),
        *kms_statements(context, company_keys),
    )


def _tagged(context: AwsContext, key: str = "aws:ResourceTag") -> dict[str, Any]:
    return {"StringEquals": {f"{key}/muon:namespace": context.namespace}}


def iam_statements(context: AwsContext, boundaries: tuple[str, ...]) -> list[dict[str, Any]]:
    """Roles and policies of the namespace (by tag), handed to muon's services only."""
    iam = f"arn:{context.partition}:iam::{context.account_id}"
    creating = _tagged(context, "aws:RequestTag")
    if boundaries:  # every role muon creates carries one: no role without it
        creating = {"StringEquals": {**creating["StringEquals"], "iam:PermissionsBoundary": list(boundaries)}}
    return [
        allow("iam:CreateRole", f"{iam}:role/*", Sid="CreateRolesOfTheNamespace", Condition=creating),
        # Tags sent with CreateRole are authorised as TagRole, with the tags of the request.
        allow(
            "iam:TagRole",
            f"{iam}:role/*",
            Sid="TagNewRolesWithTheNamespace",
            Condition=_tagged(context, "aws:RequestTag"),
        ),
        allow(
            [
                "iam:DeleteRole",
                "iam:DeleteRolePolicy",
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListInstanceProfilesForRole",
                "iam:ListRolePolicies",
                "iam:ListRoleTags",
                "iam:PutRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
                *(["iam:PutRolePermissionsBoundary"] if boundaries else []),
            ],
            f"{iam}:role/*",
            Sid="RolesOfTheNamespace",
            Condition=_tagged(context),
        ),
        allow(
            ["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
            f"{iam}:role/*",
            Sid="AttachMuonsPoliciesOnly",
            Condition={
                **_tagged(context),
                "ArnLike": {
                    "iam:PolicyARN": [
                        *[context.managed_policy(name) for name in ATTACHED_MANAGED_POLICIES],
                        f"{iam}:policy/{context.namespace}/*",  # the deploy policy: the namespace's path
                    ]
                },
            },
        ),
        allow(
            "iam:PassRole",
            f"{iam}:role/*",
            Sid="PassRolesToMuonsServices",
            Condition={
                "StringEquals": {
                    "aws:ResourceTag/muon:namespace": context.namespace,
                    "iam:PassedToService": list(PASSED_TO_SERVICES),
                }
            },
        ),
        allow(
            ["iam:CreatePolicy", "iam:TagPolicy"],
            f"{iam}:policy/*",
            Sid="CreatePoliciesOfTheNamespace",
            Condition=_tagged(context, "aws:RequestTag"),
        ),
        allow(
            [
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:GetPolicy",
                "iam:GetPolicyVersion",
                "iam:ListEntitiesForPolicy",
                "iam:ListPolicyTags",
                "iam:ListPolicyVersions",
                "iam:TagPolicy",
                "iam:UntagPolicy",
            ],
            f"{iam}:policy/*",
            Sid="PoliciesOfTheNamespace",
            Condition=_tagged(context),
        ),
        # Instance profiles carry no tag muon sets: a profile only holds a role, which the role
        # statements gate (adding one needs iam:PassRole on it).
        allow(
            [
                "iam:AddRoleToInstanceProfile",
                "iam:CreateInstanceProfile",
                "iam:DeleteInstanceProfile",
                "iam:GetInstanceProfile",
                "iam:RemoveRoleFromInstanceProfile",
                "iam:TagInstanceProfile",
                "iam:UntagInstanceProfile",
            ],
            f"{iam}:instance-profile/*",
            Sid="InstanceProfilesOfTheAccount",
        ),
        allow(
            "iam:CreateServiceLinkedRole",
            f"{iam}:role/aws-service-role/*",
            Sid="ServiceLinkedRoles",
            Condition={"StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED_ROLES)}},
        ),
    ]


def kms_statements(context: AwsContext, company_keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Keys of the namespace (by tag) and their aliases, and the keys the company brought."""
    keys = context.arn("kms", "key/*")
    use = [
        "kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext", "kms:ListGrants", "kms:ReEncryptFrom", "kms:ReEncryptTo",
        "kms:RetireGrant", "kms:RevokeGrant",
    ]  # fmt: skip
    statements = [
        # CreateKey names no key yet: AWS offers no narrower resource than "*", the tag gates it.
        allow(
            ["kms:CreateKey", "kms:TagResource"],
            "*",
            Sid="CreateKeysOfTheNamespace",
            Condition=_tagged(context, "aws:RequestTag"),
        ),
        # The deploys own these keys whole: policy, rotation, grants, aliases, deletion.
        allow("kms:*", keys, Sid="KeysOfTheNamespace", Condition=_tagged(context)),
        allow(
            ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
            context.arn("kms", f"alias/{context.namespace}/*"),
            Sid="AliasesOfTheNamespace",
        ),
        # List calls have no resource-level permissions: AWS offers nothing narrower.
        allow(["kms:ListAliases", "kms:ListKeys"], "*", Sid="ListKeys"),
    ]
    if company_keys:
        statements.append(allow(use, list(company_keys), Sid="UseTheCompanysKeys"))
    return statements


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
