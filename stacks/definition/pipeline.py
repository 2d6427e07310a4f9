"""The delivery pipeline of ``muon.yaml``: source, build, registry, stages, notifications."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    model_validator,
)

from muon.stacks.definition.fields import (
    Email,
    Name,
    PipelineRoleArn,
    PolicyArn,
    SlackSpec,
    Spec,
    _PathError,
    pattern,
)
from muon.stacks.definition.types import (
    ArnScope,
    PathRule,
    RepositoryFile,
    RepositoryFolder,
    relative_path,
    url_port,
)
from muon.stacks.definition.workload import MigrateSpec

PipelineSourceProvider = Literal["github", "codecommit", "s3"]
ComputeType = Literal[
    "BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE",
    "BUILD_GENERAL1_XLARGE", "BUILD_GENERAL1_2XLARGE",
]  # fmt: skip
ConnectionArn = Annotated[
    str,
    pattern(
        r"^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection/[0-9a-f-]{36}$",
        "a CodeStar connection ARN (arn:aws:codestar-connections:<region>:<account>:connection/<uuid>)",
    ),
    # A pipeline's source action runs in the pipeline's region (CodePipeline refuses another; aws-cdk
    # issue #4303), and the connection it uses with it.
    ArnScope("a CodeStar connection", "stack", used_by="pipeline"),
]
RoleArn = PipelineRoleArn
BuildspecPath = Annotated[
    str,
    pattern(r"^[\w./-]+\.ya?ml$", "a buildspec file in the repository, e.g. buildspec-test.yml"),
    Field(max_length=1024),
    AfterValidator(relative_path),
    PathRule("file", "repository"),
]
"""CodeBuild reads it from the source: relative to the repository's root."""


class PipelineSourceSpec(Spec):
    provider: PipelineSourceProvider = Field(default="github", description="github, codecommit or s3.")
    repo: str = Field(description="github: owner/name; codecommit: repository name; s3: bucket name.")
    branch: str = "main"
    connection: ConnectionArn | None = Field(
        default=None, description="github: the CodeStar connection (or the stack's muon:connection)."
    )
    object_key: str = Field(default="source.zip", description="s3: the zipped source object.")

    @model_validator(mode="after")
    def _check(self) -> PipelineSourceSpec:
        if self.provider == "github" and not re.fullmatch(r"[\w.-]+/[\w.-]+", self.repo):
            raise _PathError(("repo",), "expected owner/name for a GitHub repository")
        if self.provider != "github" and self.connection is not None:
            raise _PathError(("connection",), f"a connection is only for github sources, not {self.provider}")
        return self


class PipelineBuildSpec(Spec):
    image: str = Field(
        default="aws/codebuild/amazonlinux-x86_64-standard:5.0",
        description="CodeBuild image (a managed image, or an ECR image URI).",
    )
    compute_type: ComputeType = "BUILD_GENERAL1_SMALL"
    buildspec: BuildspecPath = "buildspec.yml"
    artifact: bool = Field(
        default=True, description="Run the artifact build; its output is the Docker build's context."
    )
    timeout_minutes: int = Field(default=30, ge=5, le=480)


class PipelineImageSpec(Spec):
    """How the pipeline builds one service's image (``docker build -f <dockerfile> --target <target>
    <context>``, paths from the repository's root)."""

    dockerfile: RepositoryFile = "Dockerfile"
    context: RepositoryFolder = "."
    target: Annotated[str, pattern(r"^[A-Za-z0-9][\w.-]*$", "a build stage name")] | None = Field(
        default=None, description="Multi-stage build target (default: the Dockerfile's last stage)."
    )


class PipelineNotificationsSpec(Spec):
    emails: list[Email] = Field(default_factory=list)
    slack: SlackSpec | None = Field(default=None, description="Through AWS Chatbot (authorise it once).")
    on_success: bool = Field(default=False, description="Also announce successful runs.")


class ImageScanSpec(Spec):
    fail_on: Literal["CRITICAL", "HIGH", "MEDIUM", "LOW", "none"] = Field(
        default="CRITICAL",
        description="The pushed image's ECR scan findings of this severity or worse stop the pipeline "
        "before any environment runs it; none: reported, never stopping.",
    )


IndexUrl = Annotated[
    str,
    pattern(
        r"^https://[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~%/+-]*)?$",
        "an https:// package index URL with no credentials in it, e.g. "
        "https://pypi.acme.example/simple/ (credentials go in credentialsParameter)",
    ),
    AfterValidator(url_port),
]
ParameterName = Annotated[
    str, pattern(r"^/[A-Za-z0-9_./-]{1,1010}$", "a Parameter Store name such as /acme/ci/pip-index")
]
RequirementsPath = Annotated[
    str,
    pattern(
        r"^[\w-][\w.-]*(/[\w-][\w.-]*)*\.(txt|in)$",
        "a requirements file in the project, e.g. requirements.txt",
    ),
]


class MuonSourceSpec(Spec):
    """Where the pipeline's Pulumi steps (self-update, deploys) install muon and the project's other
    packages from. muon is not on PyPI under its name (PyPI's ``muon`` is another project)."""

    requirements: RequirementsPath = Field(
        default="requirements.txt",
        description="The requirements file (in projectDir) requiring muon-platform: the steps install it.",
    )
    index_url: IndexUrl | None = Field(
        default=None,
        description="The package index pip installs every requirement from, and the only one it asks "
        "(--index-url): it serves muon-platform and everything the file requires (e.g. a repository "
        "proxying PyPI). Default: PyPI, for a file requiring muon by a direct reference.",
    )
    credentials_parameter: ParameterName | None = Field(
        default=None,
        description="A SecureString 'user:password' for indexUrl's host (without indexUrl: the host of "
        "muon's direct reference), read by CodeBuild from Parameter Store and given to pip as ~/.netrc.",
    )


class PipelineStageSpec(Spec):
    environment: Name
    stack: Annotated[str, pattern(r"^[\w.-]+$", "a stack name")] | None = Field(
        default=None, description="The stack deploying the environment (found from Pulumi.*.yaml)."
    )
    approval: bool = False
    pre_deploy: BuildspecPath | None = Field(default=None, description="Buildspec run before the deploy.")
    test: BuildspecPath | None = Field(default=None, description="Buildspec run after the deploy.")
    migrate: MigrateSpec | None = Field(
        default=None,
        description="A command run as a one-off task of the new task definition before the service "
        "is updated; a non-zero exit fails the stage with the service untouched.",
    )
    role_arn: RoleArn | None = Field(default=None, description="Deploy role to assume (another account).")


AccountId = Annotated[str, pattern(r"^\d{12}$", "a 12-digit AWS account id")]


class RegistrySpec(Spec):
    """The delivery stack's image repositories, one per service, shared by every environment."""

    keep_deployed: int = Field(
        default=10, ge=1, le=100, description="Deployed images kept per environment, for rollback."
    )
    expire_builds_after_days: int = Field(
        default=30, ge=1, le=3650, description="Images no environment ever ran expire after this many days."
    )
    pull_accounts: list[AccountId] | None = Field(
        default=None,
        description="Accounts whose muon execution roles may pull (default: the stages' roleArn accounts).",
    )
    organization_id: (
        Annotated[str, pattern(r"^o-[a-z0-9]{10,32}$", "an organization id such as o-a1b2c3d4e5")] | None
    ) = Field(default=None, description="Also require the pulling role to be in this AWS Organization.")


class PipelineSpec(Spec):
    name: (
        Annotated[
            str,
            pattern(
                r"^[A-Za-z0-9][A-Za-z0-9_-]{0,53}$",
                "a pipeline name of up to 54 letters, digits, '-' or '_' (it prefixes rule names AWS "
                "limits to 64 characters, and dashboards take no other characters)",
            ),
        ]
        | None
    ) = None
    source: PipelineSourceSpec
    build: PipelineBuildSpec = Field(default_factory=PipelineBuildSpec.model_construct)
    images: dict[Name, PipelineImageSpec] = Field(
        default_factory=dict,
        description="Docker build per service. Default: a service's build:, else the root Dockerfile; a "
        "service with a prebuilt image: is never built.",
    )
    stages: list[PipelineStageSpec] = Field(min_length=1)
    notifications: PipelineNotificationsSpec = Field(
        default_factory=PipelineNotificationsSpec.model_construct
    )
    registry: RegistrySpec = Field(default_factory=RegistrySpec.model_construct)
    image_scan: ImageScanSpec = Field(default_factory=ImageScanSpec.model_construct)
    deploy_permissions_boundary: PolicyArn | None = Field(
        default=None,
        description="Permissions boundary for the roles that run `pulumi up` (default: permissionsBoundary).",
    )
    project_dir: str = Field(default=".", description="Where Pulumi.yaml is, in the repository.")
    muon_source: MuonSourceSpec = Field(
        default_factory=MuonSourceSpec.model_construct,
        description="Where the Pulumi steps install muon from: requirements file, index, credentials.",
    )
    artifact_bucket: (
        Annotated[
            str,
            pattern(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", "an S3 bucket name"),
        ]
        | None
    ) = Field(default=None, description="The company's own artifact bucket instead of the one muon creates.")
    deploy_role_arn: RoleArn | None = Field(
        default=None,
        description="A pre-created role for the deploy step (pulumi up) instead of the one muon creates.",
    )

    @model_validator(mode="after")
    def _check(self) -> PipelineSpec:
        seen: set[str] = set()
        for index, stage in enumerate(self.stages):
            if stage.environment in seen:
                raise _PathError(
                    ("stages", index, "environment"), f"'{stage.environment}' already has a stage"
                )
            seen.add(stage.environment)
            admitted = self.registry.pull_accounts
            if stage.role_arn and admitted is not None and stage.role_arn.split(":")[4] not in admitted:
                raise _PathError(
                    ("stages", index, "roleArn"),
                    f"account {stage.role_arn.split(':')[4]} cannot pull the pipeline's images: "
                    f"pipeline.registry.pullAccounts admits only {', '.join(admitted) or '(none)'}",
                )
            if stage.approval and not (self.notifications.emails or self.notifications.slack):
                raise _PathError(
                    ("stages", index, "approval"),
                    "an approval needs someone to notify: set pipeline.notifications.emails or slack",
                )
        return self
