"""A site's and a function's arguments: their plan, and the environment's zone, key and topic."""

from __future__ import annotations

from pathlib import Path

import pulumi

from muon.components.context import AwsContext
from muon.components.function import FunctionArgs, HttpRoute
from muon.components.service_args import EnvironmentWiring, Permission, QueueAccess
from muon.components.site import SiteArgs, SiteHeaders
from muon.stacks.definition.fields import Tier
from muon.stacks.definition.function import (
    DEPLOYMENTS,
    AlexaSkillTrigger,
    FunctionSpec,
    HttpTrigger,
    QueueTrigger,
    ScheduleTrigger,
)
from muon.stacks.definition.site import SiteSpec
from muon.stacks.resolve.functions import DEFAULT_DEPLOYMENT, function_secrets
from muon.stacks.resolve.services import INCIDENT_DEFAULTS, parameter_arn
from muon.stacks.resolve.sites import SITE_WAF_RATE_LIMIT


def site_args(
    name: str,
    spec: SiteSpec,
    *,
    environment: str,
    tier: Tier,
    context: AwsContext,
    host: str | None,
    zone_id: pulumi.Input[str] | None,
    log_retention_days: int,
    tags: dict[str, str],
) -> SiteArgs:
    waf = spec.waf if spec.waf is not None else tier == "production"
    return SiteArgs(
        context=context,
        name=f"{context.namespace}-{environment}-{name}",
        headers=SiteHeaders(
            content_security_policy=spec.headers.content_security_policy,
            frame_options=spec.headers.frame_options,
            referrer_policy=spec.headers.referrer_policy,
            hsts_max_age=spec.headers.hsts_max_age,
        ),
        spa=spec.spa,
        not_found=spec.not_found,
        host=host,
        zone_id=zone_id,
        waf_rate_limit=SITE_WAF_RATE_LIMIT if waf else None,
        log_retention_days=log_retention_days,
        price_class=spec.price_class,
        production=tier == "production",
        tags={**tags, "muon:site": name},
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
