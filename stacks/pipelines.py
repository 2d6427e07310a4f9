"""From the definition's ``pipeline:`` and the stack's settings, to the Pipeline component's arguments."""

from __future__ import annotations

import json
from pathlib import Path

from components.buildspecs import ImageTarget
from components.context import AwsContext
from components.pipeline import (
    BuildSettings,
    DeploySettings,
    DeployStage,
    Notifications,
    PipelineArgs,
    PipelineSource,
)
from stacks.definition import Definition, PipelineSpec
from stacks.errors import DefinitionError
from stacks.settings import StackSettings, read_stack_file

PIPELINE_LOG_RETENTION_DAYS = 365


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


def pipeline_args(
    settings: StackSettings,
    definition: Definition,
    *,
    context: AwsContext,
    project: str,
    project_dir: Path,
    tags: dict[str, str],
) -> PipelineArgs:
    spec = definition.pipeline
    assert spec is not None
    assert settings.backend is not None
    stages = resolve_stages(spec, project_dir, settings.definition)
    environments = [environment for environment, _ in stages]
    images = tuple(
        ImageTarget(
            service=service,
            dockerfile=(spec.images[service].dockerfile if service in spec.images else "Dockerfile"),
            context=(spec.images[service].context if service in spec.images else "."),
            repositories=tuple((env, f"muon/{env}/{service}") for env in environments),
        )
        for service in definition.services
    )
    source = spec.source
    return PipelineArgs(
        context=context,
        name=spec.name or f"muon-{project}",
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
        stages=tuple(
            DeployStage(
                environment=env,
                stack=stack,
                approval=stage.approval,
                pre_deploy=stage.pre_deploy,
                test=stage.test,
                role_arn=stage.role_arn,
            )
            for (env, stack), stage in zip(stages, spec.stages, strict=True)
        ),
        deploy=DeploySettings(
            backend=settings.backend,
            pulumi_version=settings.pulumi_version,
            project_dir=spec.project_dir,
            access_token_parameter=settings.access_token_parameter,
        ),
        notifications=Notifications(
            emails=tuple(spec.notifications.emails),
            slack_team_id=spec.notifications.slack.team_id if spec.notifications.slack else None,
            slack_channel_id=spec.notifications.slack.channel_id if spec.notifications.slack else None,
            on_success=spec.notifications.on_success,
        ),
        log_retention_days=PIPELINE_LOG_RETENTION_DAYS,
        tags=tags,
    )
