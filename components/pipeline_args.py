"""The Pipeline component's typed arguments, and what its parts share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pulumi

from muon.components.buildspecs import ImageTarget
from muon.components.context import AwsContext

SourceProvider = Literal["github", "codecommit", "s3"]


@dataclass(frozen=True)
class PipelineSource:
    provider: SourceProvider
    repo: str
    branch: str
    connection_arn: str | None = None
    object_key: str = "source.zip"


@dataclass(frozen=True)
class BuildSettings:
    image: str
    compute_type: str
    buildspec: str
    artifact: bool
    timeout_minutes: int


@dataclass(frozen=True)
class DeployStage:
    environment: str
    stack: str
    approval: bool
    pre_deploy: str | None
    test: str | None
    role_arn: str | None
    migrate: str | None = None
    """``{"service": …, "command": […]}`` (JSON): run before the deploy updates the service."""


@dataclass(frozen=True)
class DeploySettings:
    backend: str
    pulumi_version: str
    pipeline_stack: str
    """The stack deploying this pipeline: only the self-update stage runs `pulumi up` on it."""
    secrets_provider: str | None = None
    keep_deployed: int = 10
    permissions_boundary: str | None = None
    """A permissions boundary for the roles that run `pulumi up` (self-update, deploys)."""
    project_dir: str = "."
    access_token_parameter: str | None = None
    role_arn: str | None = None
    """A pre-created role for the deploy step (``pipeline.deployRoleArn``): muon creates none."""


@dataclass(frozen=True)
class Notifications:
    emails: tuple[str, ...] = ()
    slack_team_id: str | None = None
    slack_channel_id: str | None = None
    on_success: bool = False


@dataclass(frozen=True)
class PipelineArgs:
    context: AwsContext
    name: str
    source: PipelineSource
    build: BuildSettings
    images: tuple[ImageTarget, ...]
    stages: tuple[DeployStage, ...]
    deploy: DeploySettings
    notifications: Notifications
    log_retention_days: int
    key_arn: str | None = None
    """The company's key (``keys.pipeline``) for artifacts, logs and notifications."""
    artifact_bucket: str | None = None
    """The company's artifact bucket (``pipeline.artifactBucket``)."""
    tags: dict[str, str] = field(default_factory=dict)
    functions_built: bool = False
    """The definition has functions: the Deploy action takes the Build stage's artifact too."""
    image_scan_fail_on: str = "CRITICAL"
    """ECR scan findings of this severity or worse stop the pipeline ("none": never)."""


@dataclass(frozen=True)
class Scope:
    """What every part of one pipeline shares: its name, arguments, key and child options."""

    name: str
    args: PipelineArgs
    key_arn: pulumi.Output[str]
    opts: pulumi.ResourceOptions
