"""A delivery pipeline: source, self-update, build, image, then each environment through Pulumi.

CodePipeline (V2) runs CodeBuild projects. It first updates its own stack (restarting the run when
that changed the pipeline); every deploy is ``pulumi up`` on the environment's stack with the
image digests built once, so Pulumi state and what runs never drift. A stage whose
deploy or tests fail rolls back to its last successful run (its previous image digests) and fails
the run. Failures reach an encrypted SNS topic (email, Slack through AWS Chatbot).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from muon.components.bucket import ExistingBucket, PrivateBucket
from muon.components.buildspecs import ImageTarget, deploy_buildspec, image_buildspec, update_buildspec
from muon.components.encryption import KeyArgs, key_or_existing
from muon.components.pipeline_access import deploy_policy, vpc_statements
from muon.components.pipeline_args import PipelineArgs, Scope, TestNetwork
from muon.components.pipeline_artifacts import artifact_bucket
from muon.components.pipeline_feedback import dashboard, feedback, history_name, notification_channel
from muon.components.pipeline_projects import (
    deploy_statements,
    image_statements,
    pulumi_variables,
    token_statements,
)
from muon.components.pipeline_sources import (
    codecommit_trigger,
    source_statements,
)
from muon.components.pipeline_stages import pipeline_stages
from muon.components.policies import allow, assume_role_policy, document, ready, to_json
from muon.components.registry import execution_role_path

DEPLOY_TIMEOUT_MINUTES = 120
"""`pulumi up` creating a database plus the rollout check can outlast a build's usual half hour."""


ARM_BUILD_IMAGE = "aws/codebuild/amazonlinux-aarch64-standard:3.0"
"""CodeBuild's managed Amazon Linux 2023 image for ARM hosts (CodeBuild user guide, "Docker images
provided by CodeBuild": environment type ARM_CONTAINER)."""


def arm64_images(images: tuple[ImageTarget, ...]) -> bool:
    """The image build runs on ARM when the images are arm64 (the definition refuses a mix)."""
    return bool(images) and all(target.platform == "linux/arm64" for target in images)


def build_host(arm: bool, image: str) -> dict[str, str]:
    """An arm64 image is built natively on an ARM host, never under emulation."""
    if arm:
        return {"type": "ARM_CONTAINER", "image": ARM_BUILD_IMAGE}
    return {"type": "LINUX_CONTAINER", "image": image}


@dataclass
class _Project:
    name: str
    reference: pulumi.Output[str]
    """The project's name as an Output: actions naming it wait for the project to exist."""
    arn: pulumi.Output[str]
    log_group: str


class Pipeline(pulumi.ComponentResource):
    pipeline_name: pulumi.Output[str]
    topic_arn: pulumi.Output[str]
    artifact_bucket: pulumi.Output[str]
    log_groups: dict[str, str]

    def __init__(self, name: str, args: PipelineArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:cicd:Pipeline", name, None, opts)
        self._name, self._args = name, args
        self._child = pulumi.ResourceOptions(parent=self)
        context, tags = args.context, args.tags

        self._key = key_or_existing(
            f"{name}-key",
            args.key_arn,
            KeyArgs(
                context=context,
                description=f"muon pipeline {args.name}: artifacts, logs, notifications",
                alias=f"{args.context.namespace}/pipeline/{args.name}",
                tags=tags,
            ),
            opts=self._child,
        )
        self._bucket: PrivateBucket | ExistingBucket = (
            ExistingBucket(args.artifact_bucket, context.partition)
            if args.artifact_bucket
            else artifact_bucket(name, args, self._key.arn, self._child)
        )
        scope = Scope(name, args, self._key.arn, self._child)
        topic = notification_channel(scope)
        self._projects: dict[str, _Project] = {}
        self._broad = aws.iam.Policy(
            f"{name}-deploy-broad",
            description=f"muon pipeline {args.name}: what `pulumi up` of a muon stack creates",
            # Under the namespace's path: the only customer policies the deploy may attach.
            path=execution_role_path(context.namespace),
            policy=json.dumps(
                deploy_policy(
                    context, boundaries=args.deploy.role_boundaries, company_keys=args.deploy.company_keys
                ),
                sort_keys=True,
            ),
            tags=tags,
            opts=self._child,
        )
        self._update_project()
        self._artifact_project()
        self._image_project()
        self._deploy_project()
        for stage in args.stages:
            if stage.pre_deploy:
                self._repository_project(f"pre-deploy-{stage.environment}", stage.pre_deploy)
            if stage.test:
                self._repository_project(f"test-{stage.environment}", stage.test, stage.test_network)

        role_arn = self._pipeline_role(topic.arn)
        pipeline = aws.codepipeline.Pipeline(
            f"{name}-pipeline",
            name=args.name,
            pipeline_type="V2",
            execution_mode="QUEUED",  # never cancel a deploy halfway through for a newer commit
            role_arn=role_arn,
            artifact_stores=[
                {
                    "location": self._bucket.bucket,
                    "type": "S3",
                    "encryption_key": {"id": self._key.arn, "type": "KMS"},
                }
            ],
            stages=pipeline_stages(args, {k: p.reference for k, p in self._projects.items()}, topic.arn),
            tags=tags,
            opts=self._child,
        )
        feedback(scope, pipeline, topic)
        if args.source.provider == "codecommit":
            codecommit_trigger(scope, pipeline)
        dashboard(scope, [p.name for p in self._projects.values()])

        self.pipeline_name = pipeline.name
        self.topic_arn = topic.arn
        self.artifact_bucket = self._bucket.bucket
        self.log_groups = {key: project.log_group for key, project in self._projects.items()}
        self.register_outputs(self.outputs())

    # -- CodeBuild -------------------------------------------------------------------------------

    def _project(
        self,
        key: str,
        *,
        buildspec: str,
        extra_statements: list[dict[str, Any]],
        privileged: bool = False,
        variables: list[dict[str, str]] | None = None,
        managed_policy: aws.iam.Policy | None = None,
        timeout_minutes: int | None = None,
        network: TestNetwork | None = None,
    ) -> _Project:
        args, context, child = self._args, self._args.context, self._child
        log_group_name = self._log_group_name(key)
        log_group = aws.cloudwatch.LogGroup(
            f"{self._name}-{key}-logs",
            name=log_group_name,
            retention_in_days=args.log_retention_days,
            kms_key_id=self._key.arn,
            tags=args.tags,
            opts=child,
        )
        if key == "deploy" and args.deploy.role_arn is not None:
            # The company's own deploy role: muon creates and attaches nothing to it.
            return self._codebuild_project(
                key,
                log_group,
                args.deploy.role_arn,
                buildspec,
                privileged,
                variables,
                timeout_minutes,
            )
        role = aws.iam.Role(
            f"{self._name}-{key}-role",
            assume_role_policy=assume_role_policy(
                "codebuild.amazonaws.com", source_account=context.account_id
            ),
            # The roles that run `pulumi up` hold the one broad grant: a company's boundary caps it.
            permissions_boundary=args.deploy.permissions_boundary if managed_policy is not None else None,
            tags=args.tags,
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{self._name}-{key}-policy",
            role=role.id,
            policy=to_json(
                document(
                    allow(
                        ["logs:CreateLogStream", "logs:PutLogEvents"],
                        log_group.arn.apply(lambda arn: f"{arn}:*"),
                        Sid="WriteOwnLogs",
                    ),
                    *self._artifact_access(),
                    *extra_statements,
                )
            ),
            opts=child,
        )
        depends: list[pulumi.Resource] = [policy]
        if managed_policy is not None:
            depends.append(
                aws.iam.RolePolicyAttachment(
                    f"{self._name}-{key}-broad",
                    role=role.name,
                    policy_arn=managed_policy.arn,
                    opts=child,
                )
            )
        return self._codebuild_project(
            key,
            log_group,
            ready(role.arn, *depends),
            buildspec,
            privileged,
            variables,
            timeout_minutes,
            network,
        )

    def _log_group_name(self, key: str) -> str:
        return f"/{self._args.context.namespace}/pipeline/{self._args.name}/{key}"

    def _codebuild_project(
        self,
        key: str,
        log_group: aws.cloudwatch.LogGroup,
        service_role: pulumi.Input[str],
        buildspec: str,
        privileged: bool,
        variables: list[dict[str, str]] | None,
        timeout_minutes: int | None,
        network: TestNetwork | None = None,
    ) -> _Project:
        args, child = self._args, self._child
        project_name = f"{args.name}-{key}"
        build = args.build
        project = aws.codebuild.Project(
            f"{self._name}-{key}",
            name=project_name,
            description=f"muon pipeline {args.name}: {key}",
            # A V2 pipeline starts a run as soon as it is created: the project's role carries its
            # permissions by then, and the pipeline waits for the project (it names it by Output).
            service_role=service_role,
            encryption_key=self._key.arn,
            build_timeout=timeout_minutes or build.timeout_minutes,
            artifacts={"type": "CODEPIPELINE"},
            source={"type": "CODEPIPELINE", "buildspec": buildspec},
            environment={
                **build_host(key == "image" and arm64_images(args.images), build.image),
                "compute_type": build.compute_type,
                "image_pull_credentials_type": "CODEBUILD",
                "privileged_mode": privileged,
                "environment_variables": [
                    {"name": v["name"], "value": v["value"], "type": v.get("type", "PLAINTEXT")}
                    for v in variables or []
                ],
            },
            logs_config={
                "cloudwatch_logs": {"status": "ENABLED", "group_name": log_group.name},
                "s3_logs": {"status": "DISABLED"},
            },
            # A test of an internal load balancer: in the environment's private subnets.
            vpc_config={
                "vpc_id": network.vpc_id,
                "subnets": list(network.subnet_ids),
                "security_group_ids": [network.security_group_id],
            }
            if network is not None
            else None,
            tags=args.tags,
            opts=child,
        )
        entry = _Project(project_name, project.name, project.arn, self._log_group_name(key))
        self._projects[key] = entry
        return entry

    def _artifact_access(self) -> list[dict[str, Any]]:
        bucket_arn = self._bucket.arn
        return [
            allow(
                ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                bucket_arn.apply(lambda arn: f"{arn}/*"),
                Sid="ReadWriteArtifacts",
            ),
            allow(["s3:GetBucketLocation", "s3:GetBucketVersioning"], bucket_arn, Sid="ArtifactBucket"),
            allow(
                ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
                self._key.arn,
                Sid="UsePipelineKey",
            ),
        ]

    def _artifact_project(self) -> None:
        if self._args.build.artifact:
            self._repository_project("artifact", self._args.build.buildspec)

    def _repository_project(self, key: str, buildspec: str, network: TestNetwork | None = None) -> _Project:
        """A build running one of the repository's own buildspec files (in a VPC: ``network``)."""
        statements = vpc_statements(self._args.context, network) if network is not None else []
        return self._project(key, buildspec=buildspec, extra_statements=statements, network=network)

    def _image_project(self) -> None:
        statements = image_statements(self._args)
        self._project(
            "image",
            buildspec=image_buildspec(self._args.images, self._args.image_scan_fail_on),
            extra_statements=statements,
            privileged=True,  # docker build needs the daemon: this project only (documented exception)
        )

    def _update_project(self) -> None:
        """`pulumi up` of the pipeline's own stack, first thing in every run."""
        deploy = self._args.deploy
        self._project(
            "update",
            buildspec=update_buildspec(
                project_dir=deploy.project_dir,
                access_token_parameter=deploy.access_token_parameter,
                packages=deploy.packages,
            ),
            extra_statements=token_statements(self._args),
            variables=pulumi_variables(self._args),
            managed_policy=self._broad,
            timeout_minutes=self._args.build.timeout_minutes,
        )

    def _deploy_project(self) -> None:
        args = self._args
        deploy = args.deploy
        statements = deploy_statements(args)
        self._project(
            "deploy",
            buildspec=deploy_buildspec(
                project_dir=deploy.project_dir,
                access_token_parameter=deploy.access_token_parameter,
                packages=deploy.packages,
            ),
            extra_statements=statements,
            variables=[
                *pulumi_variables(self._args),
                {"name": "MUON_KEEP_DEPLOYED", "value": str(deploy.keep_deployed)},
            ],
            # The broad grant only where some stage deploys in this account.
            managed_policy=self._broad if any(s.role_arn is None for s in args.stages) else None,
            timeout_minutes=max(DEPLOY_TIMEOUT_MINUTES, args.build.timeout_minutes),
        )

    # -- CodePipeline ----------------------------------------------------------------------------

    def _pipeline_role(self, topic_arn: pulumi.Output[str]) -> pulumi.Output[str]:
        args, context, child = self._args, self._args.context, self._child
        role = aws.iam.Role(
            f"{self._name}-role",
            assume_role_policy=assume_role_policy(
                "codepipeline.amazonaws.com", source_account=context.account_id
            ),
            tags=args.tags,
            opts=child,
        )
        statements = [
            *self._artifact_access(),
            allow(
                ["codebuild:BatchGetBuilds", "codebuild:StartBuild"],
                [p.arn for p in self._projects.values()],
                Sid="RunOwnBuilds",
            ),
            allow("sns:Publish", topic_arn, Sid="AskForApproval"),
            *source_statements(context, args.source),
        ]
        policy = aws.iam.RolePolicy(
            f"{self._name}-policy", role=role.id, policy=to_json(document(*statements)), opts=child
        )
        # The first run starts on creation: hand the role over once its policy is attached.
        return ready(role.arn, policy)

    def outputs(self) -> dict[str, pulumi.Input[object]]:
        return {
            "name": self.pipeline_name,
            "notificationTopicArn": self.topic_arn,
            "artifactBucket": self.artifact_bucket,
            "logGroups": self.log_groups,
            "historyLogGroup": history_name(self._args.context.namespace, self._args.name),
        }
