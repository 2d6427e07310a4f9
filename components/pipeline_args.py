"""The Pipeline component's typed arguments, and what its parts share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pulumi

from muon.components.buildspecs import ImageTarget, PackageSource
from muon.components.context import AwsContext

SourceProvider = Literal["github", "codecommit", "s3"]


@dataclass(frozen=True)
class PipelineSource:
    provider: SourceProvider
    """``github`` (through a CodeStar connection), ``codecommit`` or ``s3``; required."""
    repo: str
    """``owner/name``, a CodeCommit repository or a bucket; required."""
    branch: str
    """The branch that deploys; required."""
    connection_arn: str | None = None
    """The CodeStar connection (GitHub only); default None: not GitHub."""
    object_key: str = "source.zip"
    """S3 only: the zipped source's key; default ``source.zip``."""


@dataclass(frozen=True)
class BuildSettings:
    """The artifact build's CodeBuild project; defaults are the definition's (``pipeline.build``)."""

    image: str = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
    """A managed image AWS patches; default Amazon Linux 2023's standard image."""
    compute_type: str = "BUILD_GENERAL1_SMALL"
    """Default the smallest (3 GB, 2 vCPUs)."""
    buildspec: str = "buildspec.yml"
    """The repository's buildspec; default ``buildspec.yml``."""
    artifact: bool = True
    """Run the artifact build; its output is the Docker build's context. Default True."""
    timeout_minutes: int = 30
    """A hung build stops after this; default 30."""


@dataclass(frozen=True)
class TestNetwork:
    """Where a stage's test runs when its environment's load balancer is internal: the environment's
    private subnets, under the security group that load balancer admits."""

    vpc_id: str
    subnet_ids: tuple[str, ...]
    security_group_id: str


@dataclass(frozen=True)
class DeployStage:
    environment: str
    """The environment deployed; required."""
    stack: str
    """The stack that deploys it; required."""
    approval: bool = True
    """A person approves before the deploy; default True: nothing reaches an environment unseen
    (a development stage turns it off explicitly). Approvers hear of it through ``Notifications``."""
    pre_deploy: str | None = None
    """A buildspec run before the deploy; default none."""
    test: str | None = None
    """A buildspec run after the deploy; a failure stops the pipeline. Default none."""
    role_arn: str | None = None
    """The role the deploy step assumes (another account); default None: the pipeline's own."""
    migrate: str | None = None
    """``{"service": …, "command": […]}`` (JSON): run before the deploy updates the service.
    Default none."""
    test_network: TestNetwork | None = None
    """The test runs in the environment's VPC (its load balancer is internal); default None:
    outside any VPC."""


@dataclass(frozen=True)
class DeploySettings:
    backend: str
    """The Pulumi state backend (``s3://…`` or Pulumi Cloud); required."""
    pulumi_version: str
    """The Pulumi CLI the deploy step installs; required, so that every run uses the same one."""
    pipeline_stack: str
    """The stack deploying this pipeline: only the self-update stage runs `pulumi up` on it."""
    secrets_provider: str | None = None
    """The stacks' secrets provider (``awskms://…``); default None: the backend's own."""
    keep_deployed: int = 10
    """Deployed images kept tagged per environment (rollbacks reach back this far); default 10."""
    permissions_boundary: str | None = None
    """A permissions boundary for the roles that run `pulumi up` (self-update, deploys); default None."""
    project_dir: str = "."
    """The Pulumi project's folder in the repository; default its root."""
    access_token_parameter: str | None = None
    """A SecureString holding the Pulumi Cloud access token; default None: an S3 backend needs none."""
    role_arn: str | None = None
    """A pre-created role for the deploy step (``pipeline.deployRoleArn``): muon creates none.
    Default None: muon's."""
    packages: PackageSource = field(default_factory=PackageSource)
    """Where the Pulumi steps install the project's requirements (muon among them) from; default
    the project's requirements.txt from PyPI (muon by a direct reference)."""
    role_boundaries: tuple[str, ...] = ()
    """With ``permissionsBoundary``: the boundaries every role the deploys create carries, which
    the deploy policy then requires of every new role; default none: no such condition."""
    company_keys: tuple[str, ...] = ()
    """The company's keys (``keys``), which the deploys use but muon did not tag; default none."""


@dataclass(frozen=True)
class Notifications:
    emails: tuple[str, ...] = ()
    """Subscribed to the pipeline's topic; default none."""
    slack_team_id: str | None = None
    """With ``slack_channel_id``: the topic in a Slack channel, through AWS Chatbot; default None."""
    slack_channel_id: str | None = None
    on_success: bool = False
    """Default False: only failures and approvals notify (no one reads a success a day)."""


@dataclass(frozen=True, kw_only=True)
class PipelineArgs:
    """Keyword-only, so that a default never depends on the fields' order. Its artifacts, logs and
    notifications are always encrypted with a customer-managed key."""

    context: AwsContext
    """Account, region, partition and namespace; required."""
    name: str
    """The pipeline's name; required."""
    source: PipelineSource
    """Required: where the code comes from."""
    build: BuildSettings = BuildSettings()
    """Default: ``BuildSettings()``, the definition's build."""
    images: tuple[ImageTarget, ...]
    """The images built and pushed; required (one per service)."""
    stages: tuple[DeployStage, ...]
    """Required: at least one environment to deploy."""
    deploy: DeploySettings
    """Required: the state backend and Pulumi version."""
    notifications: Notifications = Notifications()
    """Default: no subscriber (the topic exists: subscribe later)."""
    log_retention_days: int = 365
    """Its build logs and history; default 365 (CloudWatch.16)."""
    key_arn: str | None = None
    """The company's key (``keys.pipeline``) for artifacts, logs and notifications; default None:
    muon creates one."""
    artifact_bucket: str | None = None
    """The company's artifact bucket (``pipeline.artifactBucket``); default None: muon's own."""
    tags: dict[str, str] = field(default_factory=dict)
    """Default none (the stack's tags come by transformation)."""
    functions_built: bool = False
    """The definition has functions: the Deploy action takes the Build stage's artifact too."""
    image_scan_fail_on: str = "CRITICAL"
    """ECR scan findings of this severity or worse stop the pipeline ("none": never). Default
    CRITICAL, the definition's."""


@dataclass(frozen=True)
class Scope:
    """What every part of one pipeline shares: its name, arguments, key and child options."""

    name: str
    args: PipelineArgs
    key_arn: pulumi.Output[str]
    opts: pulumi.ResourceOptions
