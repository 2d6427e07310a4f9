"""What the pipeline's CodeBuild projects may do beyond their own logs and artifacts (the image
build's registry access, the Pulumi CLI's state and token, the deploy's tagging and roles), and
the variables the Pulumi runs get (``pipeline.py``)."""

from __future__ import annotations

from typing import Any

from muon.components.pipeline_access import state_statements
from muon.components.pipeline_args import PipelineArgs
from muon.components.policies import allow


def image_statements(args: PipelineArgs) -> list[dict[str, Any]]:
    """The image project's: log in to ECR, push the services' images, read the scan's findings."""
    context = args.context
    repositories = sorted({target.repository for target in args.images})
    statements = [
        # GetAuthorizationToken has no resource-level permissions: AWS offers nothing narrower.
        allow("ecr:GetAuthorizationToken", "*", Sid="RegistryLogin"),
    ]
    if repositories:  # none when every service names a prebuilt image (IAM refuses an empty list)
        statements.append(
            allow(
                [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:CompleteLayerUpload",
                    "ecr:DescribeImages",
                    "ecr:DescribeImageScanFindings",  # the scan gate
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:InitiateLayerUpload",
                    "ecr:PutImage",
                    "ecr:UploadLayerPart",
                ],
                [context.arn("ecr", f"repository/{repo}") for repo in repositories],
                Sid="PushServiceImages",
            )
        )
    if args.image_scan_fail_on != "none":
        # With enhanced scanning, ECR serves the scan gate Inspector's findings only for a caller
        # that may list them (ECR user guide, "IAM permissions required for enhanced scanning").
        # ListFindings has no resource-level permissions: AWS offers nothing narrower.
        statements.append(allow("inspector2:ListFindings", "*", Sid="ReadEnhancedScanFindings"))
    return statements


def pulumi_variables(args: PipelineArgs) -> list[dict[str, str]]:
    """Where the Pulumi runs keep their state and which CLI they run."""
    deploy = args.deploy
    variables = [
        {"name": "MUON_BACKEND", "value": deploy.backend},
        {"name": "MUON_PULUMI_VERSION", "value": deploy.pulumi_version},
    ]
    if deploy.secrets_provider:
        variables.append({"name": "MUON_ENCRYPTION_PROVIDER", "value": deploy.secrets_provider})
    return variables


def token_statements(args: PipelineArgs) -> list[dict[str, Any]]:
    """What the Pulumi CLI itself needs, whatever role deploys the resources: its state, its
    secrets key, or its Pulumi Cloud token."""
    deploy, context = args.deploy, args.context
    parameter = deploy.access_token_parameter
    statements = state_statements(context, deploy.backend, deploy.secrets_provider)
    if parameter:
        arn = context.arn("ssm", f"parameter{parameter}")
        statements.append(allow("ssm:GetParameters", arn, Sid="ReadPulumiToken"))
    credentials = deploy.packages.credentials_parameter
    if credentials:
        # CodeBuild reads env.parameter-store with the project's role (CodeBuild User Guide,
        # "Buildspec syntax": parameter-store needs ssm:GetParameters on the parameter).
        arn = context.arn("ssm", f"parameter{credentials}")
        statements.append(allow("ssm:GetParameters", arn, Sid="ReadPackageIndexCredentials"))
    return statements


def deploy_statements(args: PipelineArgs) -> list[dict[str, Any]]:
    """The deploy project's own: tag what it deploys, the Pulumi CLI's needs, assume the stages'
    deploy roles in other accounts."""
    context = args.context
    repositories = sorted({target.repository for target in args.images})
    # The deploy step tags what it deploys (and untags what fell out of the kept window) with
    # this account's credentials, also for stages deployed in another account.
    tagging = allow(
        ["ecr:BatchDeleteImage", "ecr:BatchGetImage", "ecr:DescribeImages", "ecr:PutImage"],
        [context.arn("ecr", f"repository/{repo}") for repo in repositories],
        Sid="TagDeployedImages",
    )
    statements: list[dict[str, Any]] = [*([tagging] if repositories else []), *token_statements(args)]
    cross_account = sorted({s.role_arn for s in args.stages if s.role_arn})
    if cross_account:
        statements.append(allow("sts:AssumeRole", cross_account, Sid="AssumeDeployRoles"))
    return statements
