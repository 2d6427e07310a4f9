"""An environment's workloads beside its services: the Service Connect namespace backends are
found in, workers' queues, who may call a backend, and scheduled jobs."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from muon.components.context import AwsContext
from muon.components.environment import EnvironmentArgs
from muon.components.job import JobArgs, ScheduledJob
from muon.components.queue import WorkerQueue, WorkerQueueArgs
from muon.components.service import Service
from muon.components.service_args import (
    AWAITING_IMAGE,
    EnvironmentWiring,
    QueueAccess,
    ServiceConnect,
    TopicAccess,
    fargate_size_problem,
)
from muon.stacks.definition import Definition, EnvironmentSpec, JobSpec, ServiceSpec
from muon.stacks.errors import DefinitionError
from muon.stacks.resolve.attach import Platform
from muon.stacks.resolve.messaging import (
    published_topics,
    queue_subscriptions,
    topic_variable_names,
    topic_variables,
)
from muon.stacks.resolve.renames import former_service, service_moved


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


@dataclass(frozen=True)
class WorkloadWiring:
    """How a service takes part in its environment's other workloads."""

    service_connect: ServiceConnect | None = None
    queue: QueueAccess | None = None
    publishes_to: tuple[QueueAccess, ...] = ()
    topics: tuple[TopicAccess, ...] = ()
    backends: pulumi.Input[str] | None = None
    """``MUON_BACKENDS``: the backends the service calls, sorted and comma-separated; None: it calls
    none. An Output of the backends already created: the task definition waits for their ECS
    services."""


def callers_of(backend: str, services: dict[str, ServiceSpec]) -> list[str]:
    """Who may call a backend: its ``allowFrom``, else every other service of the environment."""
    spec = services[backend]
    return list(spec.allow_from) if spec.allow_from is not None else [n for n in services if n != backend]


def backends_called(service: str, services: dict[str, ServiceSpec]) -> list[str]:
    """The backends ``service`` may call (Service Connect resolves them in its tasks), sorted."""
    return sorted(
        b
        for b, s in services.items()
        if s.kind == "backend" and b != service and service in callers_of(b, services)
    )


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


def workload_wiring(
    service: str,
    services: dict[str, ServiceSpec],
    *,
    namespace_arn: pulumi.Input[str] | None,
    queues: dict[str, QueueAccess],
    backends: dict[str, pulumi.Input[str]] | None = None,
    topics: dict[tuple[str, str], TopicAccess] | None = None,
) -> WorkloadWiring:
    """Service Connect for a backend and for everything that calls one; a worker's own queue; the
    workers' queues the service publishes to. ``backends``: backend → its ECS service's name, for
    the backends created before this service."""
    spec = services[service]
    backend = spec.kind == "backend"
    calls = backends_called(service, services)
    connect = (
        ServiceConnect(namespace_arn=namespace_arn, serve=backend)
        if namespace_arn is not None and (backend or calls)
        else None
    )
    publishes_to = tuple(
        queues[worker]
        for worker, worker_spec in sorted(services.items())
        if worker_spec.queue is not None and service in worker_spec.queue.publishers and worker in queues
    )
    return WorkloadWiring(
        service_connect=connect,
        queue=queues.get(service),
        publishes_to=publishes_to,
        topics=published_topics(service, topics or {}),
        backends=backend_list(calls, backends or {}) if connect is not None and calls else None,
    )


def backend_list(calls: list[str], created: dict[str, pulumi.Input[str]]) -> pulumi.Input[str]:
    """``api,auth``. ECS Service Connect: "Only new tasks ... that start running after this deployment
    can resolve and connect to this endpoint" (ECS developer guide, "Amazon ECS Service Connect
    components"): the caller's task definition names its backends, so that it is registered once
    they are deployed (their ECS services' names are Outputs) and rolls when the list changes."""
    listed = ",".join(calls)
    waited = [created[b] for b in calls if b in created]
    return pulumi.Output.all(*waited).apply(lambda _: listed) if waited else listed


def queue_variable(worker: str) -> str:
    return f"{worker.upper().replace('-', '_')}_QUEUE_URL"


def queue_variables(workload: WorkloadWiring) -> dict[str, pulumi.Input[str]]:
    """QUEUE_URL for a worker's own queue; <WORKER>_QUEUE_URL for each queue it publishes to;
    MUON_BACKENDS for a caller of backends."""
    variables: dict[str, pulumi.Input[str]] = {}
    if workload.backends is not None:
        variables["MUON_BACKENDS"] = workload.backends
    if workload.queue is not None:
        variables["QUEUE_URL"] = workload.queue.url
    for queue in workload.publishes_to:
        variables[queue_variable(queue.worker)] = queue.url
    return variables | topic_variables(workload.topics)


def queue_variable_names(service: str, services: dict[str, ServiceSpec]) -> list[str]:
    """The names ``queue_variables`` gives ``service``, known before anything exists: a caller of
    backends has Service Connect (the environment has a namespace for its backends), every worker
    has its queue."""
    names = ["MUON_BACKENDS"] if backends_called(service, services) else []
    names += ["QUEUE_URL"] if services[service].queue is not None else []
    return (
        names
        + [
            queue_variable(worker)
            for worker, spec in sorted(services.items())
            if spec.queue is not None and service in spec.queue.publishers
        ]
        + topic_variable_names(services[service])
    )


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
    problem = job_size_problem(name, job, provider, environment, source)
    if problem:
        raise DefinitionError([problem])


def job_size_problem(
    name: str, job: JobSpec, provider: str | None, environment: str, source: str
) -> str | None:
    if provider != "fargate" or job.cpu is None or job.memory is None:
        return None
    problem = fargate_size_problem(job.cpu, job.memory)
    where = "environments" if "," in environment else "environment"
    return f"{source}: jobs.{name}.memory: {problem} ({where} {environment})" if problem else None


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
