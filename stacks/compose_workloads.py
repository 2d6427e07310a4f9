"""An environment's workloads beside its services, declared from their plans (``stacks/resolve``):
the Service Connect namespace, services' topics, workers' queues, who may call a backend,
scheduled jobs, sites and functions. Nothing left to check."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_aws as aws

from muon.components.context import AwsContext
from muon.components.function import Function
from muon.components.job import JobArgs, ScheduledJob
from muon.components.messaging import ServiceTopic, ServiceTopicArgs
from muon.components.queue import WorkerQueue, WorkerQueueArgs
from muon.components.service import Service
from muon.components.service_args import AWAITING_IMAGE, EnvironmentWiring, QueueAccess, TopicAccess
from muon.components.site import StaticSite
from muon.stacks.definition import Definition
from muon.stacks.definition.fields import Tier
from muon.stacks.definition.function import FunctionSpec
from muon.stacks.definition.site import SiteSpec
from muon.stacks.resolve.messaging import topic_name
from muon.stacks.resolve.renames import former_service
from muon.stacks.resolve.workloads import callers_of
from muon.stacks.wiring.edge import function_args, site_args
from muon.stacks.wiring.messaging import queue_subscriptions
from muon.stacks.wiring.services import service_moved


def service_connect_namespace(
    env_name: str, definition: Definition, context: AwsContext, tags: dict[str, str], parent: pulumi.Resource
) -> pulumi.Output[str] | None:
    """The environment's Cloud Map namespace (HTTP: Service Connect needs no DNS zone), when a
    backend lives there; None otherwise."""
    if not any(spec.kind == "backend" for spec in definition.services.values()):
        return None
    namespace = aws.servicediscovery.HttpNamespace(
        f"{env_name}-service-connect",
        name=f"{context.namespace}-{env_name}",
        description=f"Service Connect of muon environment {env_name}: backends at http://<service>:<port>",
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return namespace.arn


def service_topics(
    env_name: str,
    definition: Definition,
    context: AwsContext,
    wiring: EnvironmentWiring,
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> dict[tuple[str, str], TopicAccess]:
    """Every topic of every service, made before the queues subscribing to it: (service, topic) →
    its access."""
    topics = {}
    for service, spec in definition.services.items():
        for topic in spec.publish:
            made = ServiceTopic(
                f"{env_name}-{service}-topic-{topic.name}",
                ServiceTopicArgs(
                    topic_name=topic_name(context.namespace, env_name, service, topic.name, topic.fifo),
                    publisher=service,
                    topic=topic.name,
                    key_arn=wiring.key_arn,
                    fifo=topic.fifo,
                    content_based_deduplication=topic.content_based_deduplication,
                    tags={**tags, "muon:service": service},
                ),
                opts=pulumi.ResourceOptions(parent=parent),
            )
            topics[(service, topic.name)] = made.access()
    return topics


def worker_queues(
    env_name: str,
    definition: Definition,
    context: AwsContext,
    wiring: EnvironmentWiring,
    tags: dict[str, str],
    parent: pulumi.Resource,
    topics: dict[tuple[str, str], TopicAccess] | None = None,
) -> dict[str, WorkerQueue]:
    """One queue (and dead-letter queue) per worker, made before any service so publishers get
    its URL; subscribed to its topics (``topics``: every service's, made before)."""
    queues = {}
    for service, spec in definition.services.items():
        if spec.queue is None:
            continue
        queues[service] = WorkerQueue(
            f"{env_name}-{service}",
            WorkerQueueArgs(
                # A renamed worker's queue keeps its messages, and so its name (renames.py).
                queue_name=f"{context.namespace}-{env_name}-{former_service(service, spec)}",
                worker=service,
                key_arn=wiring.key_arn,
                alarm_topic_arn=wiring.alarm_topic_arn,
                max_receives=spec.queue.max_receives,
                visibility_timeout=spec.queue.visibility_timeout,
                retention=spec.queue.retention,
                subscriptions=queue_subscriptions(spec, topics or {}),
                sns_principal=context.service_principal("sns"),
                tags={**tags, "muon:service": service},
            ),
            opts=pulumi.ResourceOptions(parent=parent).merge(service_moved(env_name, service, spec)),
        )
    return queues


def admit_callers(definition: Definition, services: dict[str, Service]) -> None:
    """Each backend's security group admits exactly its callers' tasks on its port."""
    for name, spec in definition.services.items():
        if spec.kind == "backend":
            services[name].admit(
                {
                    caller: services[caller].security_group_id
                    for caller in callers_of(name, definition.services)
                }
            )


def scheduled_jobs(
    env_name: str,
    definition: Definition,
    context: AwsContext,
    wiring: EnvironmentWiring,
    services: dict[str, Service],
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> dict[str, object]:
    """Every job of the definition, in this environment, run from its service's task definition."""
    outputs: dict[str, object] = {}
    for name, job in definition.jobs.items():
        service = services[job.service]
        scheduled = ScheduledJob(
            f"{env_name}-job-{name}",
            JobArgs(
                context=context,
                environment=env_name,
                job=name,
                service=job.service,
                command=tuple(job.command),
                schedule=job.schedule,
                timezone=job.timezone,
                timeout=job.timeout,
                cluster_arn=wiring.cluster_arn,
                cluster_name=wiring.cluster_name,
                task_family=service.task_family,
                task_definition_arn=service.task_definition_arn,
                execution_role_arn=service.execution_role_arn,
                task_role_arn=service.task_role_arn,
                subnet_ids=wiring.private_subnet_ids,
                security_group_id=service.security_group_id,
                capacity_strategy=wiring.capacity_strategy,
                fargate=wiring.provider == "fargate",
                alarm_topic_arn=wiring.alarm_topic_arn,
                cpu=job.cpu,
                memory=job.memory,
                # The schedule starts once the service has an image (the deploy that brings it).
                enabled=not (isinstance(service.image, str) and service.image == AWAITING_IMAGE),
                tags={**tags, "muon:job": name},
            ),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        outputs[name] = {**scheduled.outputs(), "service": job.service, "command": list(job.command)}
    return outputs


def environment_sites(
    environment: str,
    sites: dict[str, SiteSpec],
    tier: Tier,
    context: AwsContext,
    wiring: EnvironmentWiring,
    hosts: dict[str, str | None],
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> dict[str, StaticSite]:
    """Every site of the definition in ``environment``, by name (``hosts``: from ``site_hosts``)."""
    return {
        name: StaticSite(
            f"{environment}-{name}",
            site_args(
                name,
                spec,
                environment=environment,
                tier=tier,
                context=context,
                host=hosts[name],
                zone_id=wiring.zone_id,
                log_retention_days=wiring.log_retention_days,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for name, spec in sites.items()
    }


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
