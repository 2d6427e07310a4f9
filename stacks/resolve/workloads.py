"""An environment's workloads beside its services: who may call a backend, the order services
are created in, the variables muon sets for queues, topics and backends, Container Insights for workers,
a job's size (``stacks/compose_workloads.py`` declares them)."""

from __future__ import annotations

import dataclasses

from muon.components.environment import EnvironmentArgs
from muon.components.service_args import (
    fargate_size_problem,
)
from muon.stacks.definition import Definition, EnvironmentSpec, JobSpec, ServiceSpec
from muon.stacks.errors import DefinitionError
from muon.stacks.resolve.attach import Platform
from muon.stacks.resolve.messaging import topic_variable_names


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


def queue_variable(worker: str) -> str:
    return f"{worker.upper().replace('-', '_')}_QUEUE_URL"


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
