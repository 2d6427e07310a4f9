"""From ``functions.<name>`` of the definition to a Function's arguments, per environment."""

from __future__ import annotations

from pathlib import Path

import pulumi

from muon.components.context import AwsContext
from muon.components.function import Function, FunctionArgs, HttpRoute
from muon.components.service_args import EnvironmentWiring, ManagedSecret, Permission, QueueAccess
from muon.stacks.definition.fields import SecretsManagerSpec, Tier
from muon.stacks.definition.function import (
    DEPLOYMENTS,
    AlexaSkillTrigger,
    FunctionSecretSpec,
    FunctionSpec,
    HttpTrigger,
    QueueTrigger,
    ScheduleTrigger,
)
from muon.stacks.resolve.secrets_manager import managed_secret
from muon.stacks.resolve.services import INCIDENT_DEFAULTS, parameter_arn
from muon.stacks.resolve.sites import host_on_domain

DEFAULT_DEPLOYMENT: dict[Tier, str] = {"development": "allAtOnce", "production": "canary10Percent5Minutes"}


def queue_trigger_problems(name: str, spec: FunctionSpec, workers: dict[str, int], source: str) -> list[str]:
    """A worker queue trigger names a worker, whose queue hides a message at least as long as the
    function may run on it.

    ``workers``: each worker service's queue visibility timeout (seconds). Lambda refuses an SQS
    trigger whose queue's visibility timeout is under the function's timeout ("Queue visibility
    timeout: … is less than Function timeout", InvalidParameterValueException; AWS Lambda developer
    guide, "Configuring an Amazon SQS queue to use with Lambda").
    """
    where = f"{source}: functions.{name}"
    problems = []
    for index, trigger in enumerate(spec.triggers):
        if not isinstance(trigger, QueueTrigger) or trigger.worker is None:
            continue  # the function's own queue is sized from its timeout (own_queue_visibility)
        if trigger.worker not in workers:
            known = ", ".join(sorted(workers)) or "(none)"
            problems.append(
                f"{where}.triggers[{index}].worker: no worker service '{trigger.worker}'; workers: {known}"
            )
            continue
        visibility = workers[trigger.worker]
        if visibility < spec.timeout:
            problems.append(
                f"{where}.timeout: {spec.timeout} seconds is longer than the visibility timeout of "
                f"its trigger's queue (services.{trigger.worker}.queue.visibilityTimeout: {visibility}); "
                "Lambda refuses the trigger: raise the visibility timeout (six times the function's "
                "timeout is AWS's advice) or shorten the timeout"
            )
    return problems


def function_hosts(
    functions: dict[str, FunctionSpec], domain: str | None, source: str
) -> dict[str, str | None]:
    """Each function's full host name (None: API Gateway's own), checked against the domain."""
    return {
        name: host_on_domain(spec.host, domain, f"{source}: functions.{name}.host")
        for name, spec in functions.items()
    }


def function_secrets(
    name: str, spec: FunctionSpec, environment: str, context: AwsContext
) -> dict[str, ManagedSecret]:
    """The Secrets Manager secrets the function reads, by variable (their names' placeholders and
    their region were checked with the definition: nothing here can fail)."""
    return {
        variable: managed_secret(
            SecretsManagerSpec.model_construct(
                secret=declared.secret, key=declared.key, json_key=None, version_stage=None, version_id=None
            ),
            context,
            environment=environment,
            service=name,
            where=f"functions.{name}.secrets.{variable}",
        )
        for variable, declared in spec.secrets.items()
        if isinstance(declared, FunctionSecretSpec)
    }


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
    host: str | None,
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
        error_rate_percent=INCIDENT_DEFAULTS[tier][0],
        environment=dict(spec.environment),
        parameters={k: parameter_arn(context, v) for k, v in spec.secrets.items() if isinstance(v, str)},
        managed_secrets=function_secrets(name, spec, environment, context),
        permissions=tuple(Permission(tuple(p.actions), tuple(p.resources)) for p in spec.permissions),
        tracing=spec.tracing,
        reserved_concurrency=spec.reserved_concurrency,
        http_routes=tuple(HttpRoute(t.method, t.path) for t in triggers if isinstance(t, HttpTrigger)),
        schedules=tuple((t.schedule, t.timezone) for t in triggers if isinstance(t, ScheduleTrigger)),
        queues=tuple(
            (queues[t.worker], t.batch_size, t.window)
            for t in triggers
            if isinstance(t, QueueTrigger) and t.worker
        ),
        own_queue_batch=own_queue.batch_size if own_queue else None,
        own_queue_window=own_queue.window if own_queue else None,
        alexa_skill_ids=tuple(t.skill_id for t in triggers if isinstance(t, AlexaSkillTrigger)),
        host=host,
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
    hosts: dict[str, str | None],
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> dict[str, Function]:
    """Every function of the definition in ``environment``, by name (``hosts``: from
    ``function_hosts``)."""
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
                host=hosts[name],
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for name, spec in functions.items()
    }
