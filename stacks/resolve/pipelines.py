"""From the definition's ``pipeline:`` and the stack's settings, to the Pipeline component's arguments."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path

from muon.components.attached import CONTRACT_OUTPUT
from muon.components.buildspecs import ImageTarget
from muon.components.context import AwsContext
from muon.components.naming import fit
from muon.components.pipeline_access import deploy_policy
from muon.components.pipeline_args import (
    BuildSettings,
    DeploySettings,
    DeployStage,
    Notifications,
    PipelineArgs,
    PipelineSource,
    TestNetwork,
)
from muon.components.registry import RegistryArgs
from muon.components.topic import chatbot_problem
from muon.stacks.definition import Definition, MigrateSpec, PipelineSpec
from muon.stacks.definition.settings import StackSettings
from muon.stacks.definition.stack_config import read_stack_file
from muon.stacks.definition.types import DOCKER_PLATFORMS
from muon.stacks.errors import DefinitionError
from muon.stacks.facts import Facts
from muon.stacks.resolve.attach import STAND_IN
from muon.stacks.resolve.muon_source import package_source

PIPELINE_LOG_RETENTION_DAYS = 365
LOCAL_BUILDS_KEPT = 10


def registry_args(
    definition: Definition, *, context: AwsContext, tags: dict[str, str], source: str = "muon.yaml"
) -> RegistryArgs:
    """The delivery stack's repositories: every service, pulled by every stage's account and by the
    execution roles the company brought (``services.<name>.roles.execution``), which live under
    a path of the company's, not under muon's ``/<namespace>/``."""
    spec = definition.pipeline
    assert spec is not None
    registry = spec.registry
    brought = {
        name: service.roles.execution
        for name, service in definition.services.items()
        if service.roles.execution is not None
    }
    accounts = (
        registry.pull_accounts
        if registry.pull_accounts is not None
        else sorted(
            {s.role_arn.split(":")[4] for s in spec.stages if s.role_arn}
            | {role.split(":")[4] for role in brought.values()}
        )
    )
    refused = [
        f"{source}: services.{name}.roles.execution: account {role.split(':')[4]} cannot pull the pipeline's "
        f"images: pipeline.registry.pullAccounts admits only {', '.join(accounts) or '(none)'}; add it there"
        for name, role in sorted(brought.items())
        if role.split(":")[4] not in (*accounts, context.account_id)
    ]
    if refused:
        raise DefinitionError(refused)
    return RegistryArgs(
        context=context,
        # Repositories: <namespace>/<service>.
        prefix=context.namespace,
        services=tuple(definition.services),
        expire_builds_after_days=registry.expire_builds_after_days,
        pull_accounts=tuple(a for a in accounts if a != context.account_id),
        # Another account's: the repository policy names them (the delivery account's own roles
        # pull with their IAM policy alone).
        pull_roles=tuple(sorted({r for r in brought.values() if r.split(":")[4] != context.account_id})),
        organization_id=registry.organization_id,
        key_arn=definition.keys.pipeline,
        tags=tags,
    )


def local_registry_args(
    environment: str, services: tuple[str, ...], *, context: AwsContext, tags: dict[str, str]
) -> RegistryArgs:
    """An environment's repositories for the images its stack builds itself."""
    return RegistryArgs(
        context=context,
        # An environment's own builds: <namespace>/<environment>/<service>.
        prefix=f"{context.namespace}/{environment}",
        services=services,
        protected_images=LOCAL_BUILDS_KEPT,
        force_delete=True,  # only this stack's own builds, rebuilt from source by the next `up`
        tags=tags,
    )


def stacks_by_environment(project_dir: Path) -> dict[str, list[str]]:
    """Which stack files (``Pulumi.<stack>.yaml``) select each environment."""
    found: dict[str, list[str]] = {}
    for path in sorted(project_dir.glob("Pulumi.*.yaml")):
        stack = path.name[len("Pulumi.") : -len(".yaml")]
        raw = read_stack_file(project_dir, stack).get("muon:environments", "[]")
        try:
            environments = json.loads(raw)
        except json.JSONDecodeError:
            continue  # the stack's own run reports a malformed setting
        for environment in environments if isinstance(environments, list) else []:
            found.setdefault(str(environment), []).append(stack)
    return found


def resolve_stages(spec: PipelineSpec, project_dir: Path, source: str) -> list[tuple[str, str]]:
    """(environment, stack) per stage: the stage's ``stack``, or the one stack file selecting it."""
    selecting = stacks_by_environment(project_dir)
    problems, resolved = [], []
    for index, stage in enumerate(spec.stages):
        where = f"{source}: pipeline.stages[{index}]"
        candidates = selecting.get(stage.environment, [])
        if stage.stack is not None:
            if stage.stack not in candidates:
                problems.append(
                    f"{where}.stack: Pulumi.{stage.stack}.yaml does not deploy environment "
                    f"'{stage.environment}' (stacks that do: {', '.join(candidates) or 'none'})"
                )
            resolved.append((stage.environment, stage.stack))
        elif len(candidates) == 1:
            resolved.append((stage.environment, candidates[0]))
        elif not candidates:
            problems.append(
                f"{where}: no stack deploys environment '{stage.environment}'; add a Pulumi.<stack>.yaml "
                f"with muon:environments: [{stage.environment}], or set 'stack'"
            )
        else:
            problems.append(
                f"{where}: stacks {', '.join(candidates)} all deploy '{stage.environment}'; set 'stack'"
            )
    if problems:
        raise DefinitionError(problems)
    return resolved


def default_pipeline_name(project: str, namespace: str) -> str:
    """``<namespace>-<project>`` in the characters and length every name derived from it accepts."""
    return fit(re.sub(r"[^A-Za-z0-9_-]", "-", f"{namespace}-{project}"), 54)


def built_services(definition: Definition) -> list[str]:
    """The services the pipeline builds: every one but those naming a prebuilt ``image:`` (which
    runs as named: a build would be pushed, set in muon:images and win over it)."""
    return [name for name, service in definition.services.items() if service.image is None]


def image_target(service: str, definition: Definition, definition_source: str, namespace: str) -> ImageTarget:
    """How the pipeline builds a service: ``pipeline.images``, else its ``build``, else the root;
    for the service's platform."""
    repository = f"{namespace}/{service}"
    test = definition.services[service].image_test
    target = _image_target(service, definition, definition_source, repository, test)
    return dataclasses.replace(target, platform=DOCKER_PLATFORMS[definition.services[service].platform])


def _image_target(
    service: str, definition: Definition, definition_source: str, repository: str, test: str | None
) -> ImageTarget:
    spec = definition.pipeline
    assert spec is not None
    if service in spec.images:
        image = spec.images[service]
        return ImageTarget(service, image.dockerfile, image.context, repository, image.target, test=test)
    build = definition.services[service].build
    if build is not None:
        # Paths of `build` are relative to the definition; the pipeline's, to the repository root.
        definition_dir = Path(definition_source).parent
        base = Path(spec.project_dir) / ("." if definition_dir.is_absolute() else definition_dir)
        context = os.path.normpath(base / build.context)
        dockerfile = (
            os.path.normpath(base / build.dockerfile) if build.dockerfile else f"{context}/Dockerfile"
        )
        return ImageTarget(
            service, dockerfile, context, repository, build.target, dict(build.args), test=test
        )
    return ImageTarget(service, "Dockerfile", ".", repository, test=test)


MANAGED_POLICY_CHARACTERS = 6144
"""IAM quotas: a managed policy's document, white space not counted."""


def check_deploy_policy(context: AwsContext, deploy: DeploySettings, source: str) -> None:
    """The deploy policy names the boundaries and keys of the definition: it must still fit."""
    size = len(
        json.dumps(
            deploy_policy(context, boundaries=deploy.role_boundaries, company_keys=deploy.company_keys),
            separators=(",", ":"),
        )
    )
    if size > MANAGED_POLICY_CHARACTERS:
        raise DefinitionError(
            [
                f"{source}: permissionsBoundary: the pipeline's deploy policy names the boundaries and "
                f"keys of the definition and comes to {size:,} characters; IAM takes "
                f"{MANAGED_POLICY_CHARACTERS:,} in a managed policy: shorten the boundary policies' paths"
            ]
        )


def pipeline_args(
    settings: StackSettings,
    definition: Definition,
    *,
    context: AwsContext,
    project: str,
    stack: str,
    project_dir: Path,
    tags: dict[str, str],
    facts: Facts,
    organization: str | None,
) -> PipelineArgs:
    """``organization``: the Pulumi organization the stacks belong to (an environment stack's
    contract is read by its full name)."""
    spec = definition.pipeline
    assert spec is not None
    assert settings.backend is not None
    stages = resolve_stages(spec, project_dir, settings.definition)
    if spec.notifications.slack is not None:
        problem = chatbot_problem(context.partition, f"{settings.definition}: pipeline.notifications.slack")
        if problem:
            raise DefinitionError([problem])
    images = tuple(
        image_target(service, definition, settings.definition, context.namespace)
        for service in built_services(definition)
    )
    source = spec.source
    deploy = deploy_settings(settings, definition, stack, project_dir)
    check_deploy_policy(context, deploy, settings.definition)
    return PipelineArgs(
        context=context,
        name=spec.name or default_pipeline_name(project, context.namespace),
        source=PipelineSource(
            provider=source.provider,
            repo=source.repo,
            branch=source.branch,
            connection_arn=source.connection or settings.connection,
            object_key=source.object_key,
        ),
        build=BuildSettings(
            image=spec.build.image,
            compute_type=spec.build.compute_type,
            buildspec=spec.build.buildspec,
            artifact=spec.build.artifact,
            timeout_minutes=spec.build.timeout_minutes,
        ),
        images=images,
        image_scan_fail_on=spec.image_scan.fail_on,
        functions_built=bool(definition.functions),
        stages=tuple(
            DeployStage(
                environment=env,
                stack=stack,
                approval=stage.approval,
                pre_deploy=stage.pre_deploy,
                test=stage.test,
                role_arn=stage.role_arn,
                migrate=migrate_variable(stage.migrate, index, settings.definition),
                test_network=test_network(
                    definition,
                    index,
                    stack,
                    settings.definition,
                    facts,
                    # A DIY backend's stacks (s3://) belong to the organization named "organization".
                    owner=f"{organization or 'organization'}/{project}",
                ),
            )
            for index, ((env, stack), stage) in enumerate(zip(stages, spec.stages, strict=True))
        ),
        deploy=deploy,
        notifications=Notifications(
            emails=tuple(spec.notifications.emails),
            slack_team_id=spec.notifications.slack.team_id if spec.notifications.slack else None,
            slack_channel_id=spec.notifications.slack.channel_id if spec.notifications.slack else None,
            on_success=spec.notifications.on_success,
        ),
        log_retention_days=PIPELINE_LOG_RETENTION_DAYS,
        key_arn=definition.keys.pipeline,
        artifact_bucket=spec.artifact_bucket,
        tags=tags,
    )


def deploy_scope(definition: Definition) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What the deploy policy names: the boundaries every role it creates carries (the definition's
    ``permissionsBoundary`` and the deploy roles' own), and the company's keys it may use."""
    deploy_boundary = definition.pipeline.deploy_permissions_boundary if definition.pipeline else None
    boundaries = (
        tuple(dict.fromkeys(b for b in (definition.permissions_boundary, deploy_boundary) if b))
        if definition.permissions_boundary
        else ()
    )
    keys = tuple(
        sorted({k for k in (definition.keys.logs, definition.keys.data, definition.keys.pipeline) if k})
    )
    return boundaries, keys


def deploy_settings(
    settings: StackSettings, definition: Definition, stack: str, project_dir: Path
) -> DeploySettings:
    """How the pipeline's Pulumi runs deploy: backend, CLI, roles, and what the deploy policy names."""
    spec = definition.pipeline
    assert spec is not None
    assert settings.backend is not None
    return DeploySettings(
        backend=settings.backend,
        secrets_provider=settings.secrets_provider,
        pipeline_stack=stack,
        keep_deployed=spec.registry.keep_deployed,
        permissions_boundary=spec.deploy_permissions_boundary,
        pulumi_version=settings.cli_version,
        project_dir=spec.project_dir,
        access_token_parameter=settings.access_token_parameter,
        role_arn=spec.deploy_role_arn,
        role_boundaries=deploy_scope(definition)[0],
        company_keys=deploy_scope(definition)[1],
        packages=package_source(spec.muon_source, project_dir, settings.definition),
    )


MIGRATE_VARIABLE_LIMIT = 800
"""CodePipeline takes an action's environment variables as one JSON string of at most 1,000
characters; the other variables of the deploy action need the rest."""


def migrate_variable(migrate: MigrateSpec | None, index: int, source: str) -> str | None:
    """The stage's migration as the deploy action's MUON_MIGRATE (JSON)."""
    if migrate is None:
        return None
    value = json.dumps({"service": migrate.service, "command": list(migrate.command)}, separators=(",", ":"))
    # Escaped again inside the action's configuration: count what CodePipeline will see.
    if len(json.dumps(value)) > MIGRATE_VARIABLE_LIMIT:
        raise DefinitionError(
            [
                f"{source}: pipeline.stages[{index}].migrate.command: {len(json.dumps(value))} characters "
                f"once encoded; CodePipeline takes at most {MIGRATE_VARIABLE_LIMIT} here: put the "
                "steps in a script in the image and run that"
            ]
        )
    return value


def test_network(
    definition: Definition, index: int, stack: str, source: str, facts: Facts, *, owner: str
) -> TestNetwork | None:
    """A stage whose environment's load balancer is internal runs its test in that environment's VPC
    (its private subnets, under the group the load balancer admits), read from the environment
    stack's contract before anything is declared. CodeBuild joins a VPC of its own account only."""
    assert definition.pipeline is not None
    stage = definition.pipeline.stages[index]
    if stage.test is None or not definition.environments[stage.environment].load_balancer.internal:
        return None
    where = f"{source}: pipeline.stages[{index}].test"
    if stage.role_arn is not None:
        raise DefinitionError(
            [
                f"{where}: environment {stage.environment}'s load balancer is internal, so its test runs "
                f"in its VPC, in account {stage.role_arn.split(':')[4]}; CodeBuild joins a VPC of the "
                "pipeline's own account only: test from inside that account (preDeploy, a migration) or "
                "drop test"
            ]
        )
    name = f"{owner}/{stack}"
    missing = (
        f"{where}: environment {stage.environment}'s load balancer is internal, so its test runs in its "
        f"VPC, which stack {name} does not export yet: `pulumi up -s {stack}` with this muon before the "
        "delivery stack"
    )
    document = facts.stack_output(f"pipeline-test-{stage.environment}", name, CONTRACT_OUTPUT)
    environments = document.get("environments", {}) if isinstance(document, dict) else {}
    entry = environments.get(stage.environment) or environments.get(STAND_IN) or {}
    if not entry.get("testSecurityGroupId"):
        raise DefinitionError([missing])
    return TestNetwork(entry["vpcId"], tuple(entry["privateSubnetIds"]), entry["testSecurityGroupId"])
