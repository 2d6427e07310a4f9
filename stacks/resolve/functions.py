"""From ``functions.<name>`` of the definition to a Function's arguments, per environment."""

from __future__ import annotations

from pathlib import Path

import pulumi

from muon.components.context import AwsContext
from muon.components.function import Function, FunctionArgs, HttpRoute
from muon.components.service_args import EnvironmentWiring, Permission, QueueAccess
from muon.stacks.definition.fields import Tier
from muon.stacks.definition.function import (
    DEPLOYMENTS,
    AlexaSkillTrigger,
    FunctionSpec,
    HttpTrigger,
    QueueTrigger,
    ScheduleTrigger,
)
from muon.stacks.errors import DefinitionError
from muon.stacks.resolve.services import parameter_arn
from muon.stacks.resolve.sites import host_on_domain

DEFAULT_DEPLOYMENT: dict[Tier, str] = {"development": "allAtOnce", "production": "canary10Percent5Minutes"}


def check_function(name: str, spec: FunctionSpec, project_dir: Path, workers: set[str], source: str) -> None:
    """What the definition alone cannot say: the code's folder exists, the worker queues exist."""
    where = f"{source}: functions.{name}"
    if spec.source is not None and not (project_dir / spec.source).is_dir():
        raise DefinitionError([f"{where}.source: {spec.source} is not a folder next to the definition"])
    for index, trigger in enumerate(spec.triggers):
        if isinstance(trigger, QueueTrigger) and trigger.worker is not None and trigger.worker not in workers:
            known = ", ".join(sorted(workers)) or "(none)"
            raise DefinitionError(
                [f"{where}.triggers[{index}].worker: no worker service '{trigger.worker}'; workers: {known}"]
            )


def function_args(
    name: str,
    spec: FunctionSpec,
    *,
    environment: str,
    tier: Tier,
    context: AwsContext,
    wiring: EnvironmentWiring,
    queues: dict[str, QueueAccess],
    project_dir: Path,
    source: str,
    tags: dict[str, str],
) -> FunctionArgs:
    triggers = spec.triggers
    own_queue = next((t for t in triggers if isinstance(t, QueueTrigger) and t.worker is None), None)
    return FunctionArgs(
        context=context,
        name=f"{context.namespace}-{environment}-{name}",
        code=pulumi.FileArchive(str(project_dir / spec.source)) if spec.source is not None else None,
        image=spec.image,
        runtime=spec.runtime,
        handler=spec.handler,
        memory=spec.memory,
        timeout=spec.timeout,
        architecture=spec.architecture,
        deployment_config=DEPLOYMENTS[spec.deployment or DEFAULT_DEPLOYMENT[tier]],
        key_arn=wiring.key_arn,
        alarm_topic_arn=wiring.alarm_topic_arn,
        log_retention_days=wiring.log_retention_days,
        environment=dict(spec.environment),
        parameters={k: parameter_arn(context, v) for k, v in spec.secrets.items()},
        permissions=tuple(Permission(tuple(p.actions), tuple(p.resources)) for p in spec.permissions),
        tracing=spec.tracing,
        reserved_concurrency=spec.reserved_concurrency,
        http_routes=tuple(HttpRoute(t.method, t.path) for t in triggers if isinstance(t, HttpTrigger)),
        schedules=tuple((t.schedule, t.timezone) for t in triggers if isinstance(t, ScheduleTrigger)),
        queues=tuple(
            (queues[t.worker], t.batch_size) for t in triggers if isinstance(t, QueueTrigger) and t.worker
        ),
        own_queue_batch=own_queue.batch_size if own_queue else None,
        alexa_skill_ids=tuple(t.skill_id for t in triggers if isinstance(t, AlexaSkillTrigger)),
        host=host_on_domain(spec.host, wiring.domain, f"{source}: functions.{name}.host"),
        zone_id=wiring.zone_id,
        tags={**tags, "muon:function": name},
    )


def environment_functions(
    environment: str,
    functions: dict[str, FunctionSpec],
    tier: Tier,
    context: AwsContext,
    wiring: EnvironmentWiring,
    queues: dict[str, QueueAccess],
    project_dir: Path,
    source: str,
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> dict[str, Function]:
    """Every function of the definition in ``environment``, by name."""
    return {
        name: Function(
            f"{environment}-{name}",
            function_args(
                name,
                spec,
                environment=environment,
                tier=tier,
                context=context,
                wiring=wiring,
                queues=queues,
                project_dir=project_dir,
                source=source,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for name, spec in functions.items()
    }
