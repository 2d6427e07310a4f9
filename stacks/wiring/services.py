"""A Service's arguments from its plan (``stacks/resolve/services.py``) and the environment's
resources: its variables with their ``${placeholders}`` filled from Outputs, its database, the
backends it calls and the queues it reads and writes; and the aliases a renamed service's
components move by."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pulumi

from muon.components.context import AwsContext
from muon.components.moving import moved_options
from muon.components.registry import repository_arn_of
from muon.components.service_args import (
    DatabaseAccess,
    EnvironmentWiring,
    Permission,
    QueueAccess,
    ServiceArgs,
    ServiceConnect,
    TopicAccess,
)
from muon.components.service_containers import TRACING_VARIABLES
from muon.components.storage_args import StorageAccess
from muon.stacks.definition import ServiceSpec
from muon.stacks.definition.types import ECS_ARCHITECTURES
from muon.stacks.resolve.containers import log_routing
from muon.stacks.resolve.services import PLACEHOLDER, ServicePlan, health_checks
from muon.stacks.resolve.workloads import backends_called, queue_variable
from muon.stacks.wiring.messaging import published_topics, topic_variables


@dataclass(frozen=True)
class DatabaseWiring:
    """The service's database, as its variables and its access."""

    placeholders: dict[str, pulumi.Input[str]]
    access: DatabaseAccess
    iam_authentication: bool


def substitute(value: str, values: dict[str, pulumi.Input[str]]) -> pulumi.Input[str]:
    """``jdbc:mysql://${DatabaseEndpointAddress}/...`` with each ``${Name}`` replaced (checked
    before: every name is in ``values``)."""
    names = PLACEHOLDER.findall(value)
    if not names:
        return value

    def replace(resolved: list[object]) -> str:
        remaining = iter(resolved)
        return PLACEHOLDER.sub(lambda _: str(next(remaining)), value)

    return pulumi.Output.all(*[values[name] for name in names]).apply(replace)


def environment_variables(
    plan: ServicePlan,
    placeholders: dict[str, pulumi.Input[str]],
    wiring: EnvironmentWiring,
    database: DatabaseWiring | None,
    workload: WorkloadWiring,
) -> dict[str, pulumi.Input[str]]:
    """mu's database names (an application reads them without any ``environment:`` entry), the
    environment's proxy unless set here, the queues' URLs, then the definition's own."""
    variables: dict[str, pulumi.Input[str]] = (
        {k: v for k, v in database.placeholders.items() if k != "DatabaseReaderEndpointAddress"}
        if database is not None
        else {}
    )
    for name, proxy in wiring.proxy_variables.items():
        if name not in plan.defined:
            variables[name] = proxy
    variables |= queue_variables(workload)
    if plan.spec.tracing is not None:
        variables |= TRACING_VARIABLES
    for name, value in plan.values:
        variables[name] = substitute(value, placeholders)
    return variables


def service_args(
    plan: ServicePlan,
    *,
    environment: str,
    context: AwsContext,
    wiring: EnvironmentWiring,
    image: pulumi.Input[str] | None,
    tags: dict[str, str],
    database: DatabaseWiring | None = None,
    image_repository_arn: pulumi.Input[str] | None = None,
    workload: WorkloadWiring | None = None,
    storage: StorageAccess | None = None,
) -> ServiceArgs:
    """The Service's arguments from ``plan`` and the environment's resources: nothing left to
    check. ``image_repository_arn``: where a locally built image lives; for a named image it is
    read from the reference itself (None for registries other than ECR)."""
    spec, workload = plan.spec, workload or WorkloadWiring()
    placeholders: dict[str, pulumi.Input[str]] = {
        "Environment": environment,
        "ServiceName": plan.name,
        "Region": context.region,
        "AccountId": context.account_id,
        "LoadBalancerUrl": wiring.load_balancer_url,
        **(database.placeholders if database is not None else {}),
    }
    health_check, container_health_check = health_checks(spec)
    if image_repository_arn is None and isinstance(image, str):
        image_repository_arn = repository_arn_of(image)
    return ServiceArgs(
        context=context,
        environment=environment,
        service=plan.name,
        wiring=wiring,
        scaling=plan.scaling,
        image=image,
        image_repository_arn=image_repository_arn,
        port=spec.port,
        cpu=plan.cpu,
        memory=plan.memory,
        cpu_architecture=ECS_ARCHITECTURES[spec.platform],
        priority=plan.priority,
        path_patterns=tuple(spec.path_patterns),
        host_patterns=tuple(spec.host_patterns),
        hosts=plan.hosts,
        allowed_cidrs=tuple(spec.allowed_cidrs),
        stickiness_duration=spec.stickiness.duration if spec.stickiness is not None else None,
        protocol=spec.protocol,
        environment_variables={
            **(storage.variables if storage is not None else {}),
            **environment_variables(plan, placeholders, wiring, database, workload),
        },
        secrets=dict(plan.secrets),
        secret_keys=dict(plan.secret_keys),
        managed_secrets=dict(plan.managed_secrets),
        health_check=health_check,
        grace_period=spec.health_check.grace_period,
        container_health_check=container_health_check,
        readonly_root_filesystem=spec.readonly_root_filesystem,
        user=spec.user,
        command=tuple(spec.command or ()),
        entry_point=tuple(spec.entry_point or ()),
        exec_command=spec.exec_command,
        deregistration_delay=plan.deregistration_delay,
        minimum_healthy_percent=spec.deployment.minimum_healthy_percent,
        maximum_percent=spec.deployment.maximum_percent,
        desired_count=spec.desired_count if spec.desired_count is not None else plan.scaling.min_capacity,
        permissions=tuple(Permission(tuple(p.actions), tuple(p.resources)) for p in spec.permissions),
        database=database.access if database else None,
        kind=spec.kind,
        execution_role_arn=spec.roles.execution,
        task_role_arn=spec.roles.task,
        service_connect=workload.service_connect,
        queue=workload.queue,
        publishes_to=workload.publishes_to,
        topics=workload.topics,
        sidecars=tuple(
            replace(s, environment={k: substitute(str(v), placeholders) for k, v in s.environment.items()})
            for s in plan.sidecars
        ),
        depends_on=tuple(spec.depends_on.items()),
        target_container=spec.target_container or "app",
        logging=log_routing(spec),
        tracing=spec.tracing is not None,
        storage=storage,
        incident=plan.incident,
        tags={**tags, "muon:service": plan.name},
    )


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


def service_moved(environment: str, name: str, spec: ServiceSpec) -> pulumi.ResourceOptions:
    """Options for each component composed for a service (its Service, Database, WorkerQueue,
    image build): aliases to where it was before ``formerly``'s rename; none otherwise."""
    former = f"{environment}-{spec.formerly}" if spec.formerly else None
    return moved_options(f"{environment}-{name}", former)
