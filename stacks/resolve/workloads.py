"""An environment's workloads beside its services: the Service Connect namespace backends are
found in, workers' queues, who may call a backend, and scheduled jobs."""

from __future__ import annotations

import dataclasses

import pulumi
import pulumi_aws as aws

from muon.components.context import AwsContext
from muon.components.environment import EnvironmentArgs
from muon.components.job import JobArgs, ScheduledJob
from muon.components.queue import WorkerQueue, WorkerQueueArgs
from muon.components.service import Service
from muon.components.service_args import AWAITING_IMAGE, EnvironmentWiring, QueueAccess, fargate_size_problem
from muon.stacks.definition import Definition, EnvironmentSpec, JobSpec, ServiceSpec
from muon.stacks.errors import DefinitionError
from muon.stacks.resolve.attach import Platform
from muon.stacks.resolve.services import backends_called, callers_of


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


def creation_order(services: dict[str, ServiceSpec]) -> list[str]:
    """The definition's order, but every service after the backends it calls, so that its tasks
    start once they exist (Service Connect resolves only backends deployed before a task starts).
    Backends that call each other (a cycle) cannot all wait: the first in the definition goes first."""
    remaining = list(services)
    order: list[str] = []
    while remaining:
        ready_now = [n for n in remaining if not set(backends_called(n, services)) & set(remaining)]
        chosen = ready_now[0] if ready_now else remaining[0]
        order.append(chosen)
        remaining.remove(chosen)
    return order


def worker_queues(
    env_name: str,
    definition: Definition,
    context: AwsContext,
    wiring: EnvironmentWiring,
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> dict[str, WorkerQueue]:
    """One queue (and dead-letter queue) per worker, made before any service so publishers get
    its URL."""
    queues = {}
    for service, spec in definition.services.items():
        if spec.queue is None:
            continue
        queues[service] = WorkerQueue(
            f"{env_name}-{service}",
            WorkerQueueArgs(
                queue_name=f"{context.namespace}-{env_name}-{service}",
                worker=service,
                key_arn=wiring.key_arn,
                alarm_topic_arn=wiring.alarm_topic_arn,
                max_receives=spec.queue.max_receives,
                visibility_timeout=spec.queue.visibility_timeout,
                retention=spec.queue.retention,
                tags={**tags, "muon:service": service},
            ),
            opts=pulumi.ResourceOptions(parent=parent),
        )
    return queues


def preflight_queues(definition: Definition) -> dict[str, QueueAccess]:
    """Stand-in queues for checking the services' composition before anything exists."""
    return {
        name: QueueAccess(
            worker=name, url="preflight", arn="preflight", name="preflight", key_arn="preflight"
        )
        for name, spec in definition.services.items()
        if spec.queue is not None
    }


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


def with_task_metrics(
    env_name: str,
    spec: EnvironmentSpec,
    args: EnvironmentArgs | None,
    platform: Platform | None,
    definition: Definition,
    source: str,
) -> EnvironmentArgs | None:
    """A worker scales on messages per running task, and ECS counts running tasks only with
    Container Insights: an environment with a worker turns it on (development leaves it off to
    save its metrics' cost). Turned off on purpose, or off on a platform's cluster, is an error."""
    workers = sorted(n for n, s in definition.services.items() if s.kind == "worker")
    if not workers:
        return args
    if platform is not None:
        if not platform.entry.get("taskMetrics", False):
            raise DefinitionError(
                [
                    f"{source}: services.{workers[0]}: a worker scales on its backlog per running task, "
                    f"which needs Container Insights on the cluster of environment {env_name} "
                    f"({platform.reference_name}); turn it on in the platform project"
                ]
            )
        return args
    assert args is not None
    if spec.cluster.container_insights is False:
        raise DefinitionError(
            [
                f"{source}: environments.{env_name}.cluster.containerInsights: off, but worker "
                f"'{workers[0]}' scales on its backlog per running task, which only Container "
                "Insights counts (RunningTaskCount); leave it unset or true"
            ]
        )
    if args.cluster.container_insights:
        return args
    return dataclasses.replace(args, cluster=dataclasses.replace(args.cluster, container_insights=True))


def check_job(
    name: str, job: JobSpec, definition: Definition, provider: str, environment: str, source: str
) -> None:
    """A job's own task size must be one its cluster can run."""
    if provider != "fargate" or job.cpu is None or job.memory is None:
        return
    problem = fargate_size_problem(job.cpu, job.memory)
    if problem:
        raise DefinitionError([f"{source}: jobs.{name}.memory: {problem} (environment {environment})"])


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
