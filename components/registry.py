"""Image repositories: one per service, immutable, scanned, KMS-encrypted, never losing a running image.

Images are built once and promoted by digest, so the repositories belong to the delivery stack and
every environment pulls from them. What keeps a running image alive:

- the deploy step tags every image it deploys ``deployed-<environment>-<UTC time>`` and removes
  that environment's older ``deployed-`` tags beyond the last ``keep_deployed`` (``deploy/steps.py``);
- the lifecycle policy's first rule selects images carrying a ``deployed-`` tag. In ECR an image
  matched by a rule's tag selection cannot be expired by any rule of lower priority, and this rule
  expires only beyond a count no repository reaches (at most ``keep_deployed`` per environment
  carry such a tag), so no rule can expire an image an environment runs or may roll back to;
- the other rules expire untagged layers after a day and images no environment ever ran after
  ``expire_builds_after_days``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from muon.components.context import AwsContext
from muon.components.encryption import KeyArgs, key_or_existing
from muon.components.policies import document, to_json

DEPLOYED_TAG_PREFIX = "deployed-"
PROTECTED_DEPLOYED_IMAGES = 1000
"""The protecting rule's count: far above what the deploy step leaves tagged (environments x kept)."""


def execution_role_path(namespace: str) -> str:
    """The IAM path of every service execution role of a namespace: what a repository policy
    admits for cross-account pulls (``role/<namespace>/*``)."""
    return f"/{namespace}/"


"""Every execution role muon creates lives under this IAM path: the only principals a
cross-account repository policy admits."""
PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")


@dataclass(frozen=True)
class RegistryArgs:
    """Every repository scans on push, has immutable tags and a KMS key, whatever its arguments."""

    context: AwsContext
    """Account, region, partition and namespace; required."""
    prefix: str
    """Repository names are ``<prefix>/<service>``; required."""
    services: tuple[str, ...]
    """One repository each; required."""
    expire_builds_after_days: int = 30
    """Builds never deployed expire after this many days; default 30."""
    pull_accounts: tuple[str, ...] = ()
    """Other accounts whose muon execution roles may pull (cross-account environments); default
    none: only this account."""
    pull_roles: tuple[str, ...] = ()
    """Execution roles of those accounts that the company brought (any IAM path): they may pull
    too; default none."""
    organization_id: str | None = None
    """Pull accounts must also be in this organization; default None: no such condition."""
    protected_images: int = PROTECTED_DEPLOYED_IMAGES
    """Deployed images past this count expire: far above what the pipeline keeps tagged; an
    environment's own repository of local builds keeps exactly its last ``keep_deployed``."""
    force_delete: bool = False
    """Default False: a repository holding images is never deleted with the stack."""
    key_arn: str | None = None
    """The company's key (``keys.pipeline``); its policy must admit the pull accounts' roles.
    Default None: muon creates one. Encrypted either way."""
    tags: dict[str, str] = field(default_factory=dict)
    """Default none (the stack's tags come by transformation)."""


class Registry(pulumi.ComponentResource):
    repository_urls: dict[str, pulumi.Output[str]]
    repository_arns: dict[str, pulumi.Output[str]]
    repository_names: dict[str, str]

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:ecr:Registry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = key_or_existing(
            f"{name}-key",
            args.key_arn,
            KeyArgs(
                context=args.context,
                description=f"muon images {args.prefix}/*",
                alias=f"{args.prefix}/images",
                tags=args.tags,
                publishing_services=(),
            ),
            opts=child,
        )
        policy = lifecycle_policy(args.protected_images, args.expire_builds_after_days)
        self.repository_urls, self.repository_arns, self.repository_names = {}, {}, {}
        for service in args.services:
            repository_name = f"{args.prefix}/{service}"
            repository = aws.ecr.Repository(
                f"{name}-{service}",
                name=repository_name,
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration={"scan_on_push": True},
                encryption_configurations=[{"encryption_type": "KMS", "kms_key": key.arn}],
                force_delete=args.force_delete,
                tags={**args.tags, "muon:service": service},
                opts=child,
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{service}-lifecycle",
                repository=repository.name,
                policy=json.dumps(policy, sort_keys=True),
                opts=child,
            )
            if args.pull_accounts:
                aws.ecr.RepositoryPolicy(
                    f"{name}-{service}-pull",
                    repository=repository.name,
                    policy=to_json(
                        pull_policy(args.context, args.pull_accounts, args.organization_id, args.pull_roles)
                    ),
                    opts=child,
                )
            self.repository_urls[service] = repository.repository_url
            self.repository_arns[service] = repository.arn
            self.repository_names[service] = repository_name
        self.register_outputs({"repositoryUrls": self.repository_urls})


def lifecycle_policy(protected_images: int, expire_builds_after_days: int) -> dict[str, Any]:
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"Images deployed to an environment: only the {protected_images} newest "
                "are kept, and no later rule can expire one",
                "selection": {
                    "tagStatus": "tagged",
                    "tagPrefixList": [DEPLOYED_TAG_PREFIX],
                    "countType": "imageCountMoreThan",
                    "countNumber": protected_images,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": "Untagged layers (interrupted pushes, build cache) after a day",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": 1,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 3,
                "description": f"Images no environment ran, {expire_builds_after_days} days after the build",
                "selection": {
                    "tagStatus": "any",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": expire_builds_after_days,
                },
                "action": {"type": "expire"},
            },
        ]
    }


def pull_policy(
    context: AwsContext,
    accounts: tuple[str, ...],
    organization_id: str | None,
    brought: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Repository policy: muon's execution roles in ``accounts`` may pull, and the execution roles
    the company ``brought`` (by ARN: they live under its own paths), nothing else."""
    path = execution_role_path(context.namespace)
    roles = [f"arn:{context.partition}:iam::{account}:role{path}*" for account in accounts]
    roles += [role for role in brought if role not in roles]
    condition: dict[str, Any] = {"ArnLike": {"aws:PrincipalArn": roles}}
    if organization_id is not None:
        condition["StringEquals"] = {"aws:PrincipalOrgID": organization_id}
    return document(
        {
            "Sid": "EnvironmentsPull",
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:{context.partition}:iam::{a}:root" for a in accounts]},
            "Action": list(PULL_ACTIONS),
            "Condition": condition,
        }
    )


def repository_arn_of(image: str) -> str | None:
    """The ECR repository ARN an image reference pulls from, or None for another registry.

    ``<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repo>[:tag|@digest]``.
    """
    registry, _, rest = image.partition("/")
    parts = registry.split(".")
    if len(parts) < 6 or parts[1:3] != ["dkr", "ecr"] or not parts[0].isdigit() or not rest:
        return None
    account, region = parts[0], parts[3]
    partition = "aws-cn" if registry.endswith(".amazonaws.com.cn") else "aws"
    repository = rest.split("@")[0].split(":")[0]
    return f"arn:{partition}:ecr:{region}:{account}:repository/{repository}"
