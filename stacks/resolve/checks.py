"""Rules across surfaces: named checks over the whole definition, each in ``CHECKS``, run in one
place (``run_checks``, from ``stack.load_inputs``) before anything is read or declared.

A rule that involves one field is a type (``stacks/definition/types.py``); one that involves one
object is that model's validator. What is left here are the rules AWS applies to two keys
together, often of different surfaces (a function and a worker's queue, an environment's tags and
the top level's), and the rules that need the stack (its region, its files, its environments). A
check returns one line per problem (file, key path, what is expected); every problem of every
check is reported at once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from muon.components.cluster import is_arm64
from muon.stacks.definition.fields import SecretsManagerSpec, SecretSpec
from muon.stacks.definition.function import FunctionSecretSpec, HttpTrigger
from muon.stacks.definition.permissions import PermissionSpec
from muon.stacks.errors import DefinitionError
from muon.stacks.resolve.functions import queue_trigger_problems
from muon.stacks.resolve.names import name_problems
from muon.stacks.resolve.paths import function_handlers_exist, paths_inside_project
from muon.stacks.resolve.regions import arns_in_stack_region
from muon.stacks.resolve.scope import Scope
from muon.stacks.resolve.workloads import job_size_problem

Check = Callable[[Scope], list[str]]

MAX_TAGS = 50
"""Tags a resource takes ("Tagging AWS resources", tag limits)."""
MUON_TAGS = 10
"""Tags muon sets itself on one resource: muon:project, namespace, stack, environment, tier, the
area's own (muon:service…), muon:backup, Name (8 today), and room for two more."""


def unique_hosts(scope: Scope) -> list[str]:
    """Every name muon writes in an environment's zone has one owner (``names.py``)."""
    return [
        problem
        for env in scope.environments
        if not env.attached  # an attached environment's domain is its platform's: checked in prepare
        for problem in name_problems(env.name, scope.definition, env.domain, scope.source, attached=False)
    ]


def merged_tags_within_50(scope: Scope) -> list[str]:
    """The top level's tags and an environment's, merged, with muon's own, fit in AWS's 50."""
    top = scope.definition.tags
    problems = []
    for env in scope.environments:
        merged = {**top, **scope.definition.environments[env.name].tags}
        if len(merged) + MUON_TAGS > MAX_TAGS:
            problems.append(
                f"{scope.source}: environments.{env.name}.tags: {len(merged)} tags with the top level's "
                f"(merged), and muon sets up to {MUON_TAGS} of its own: AWS takes {MAX_TAGS} a resource; "
                f"keep it to {MAX_TAGS - MUON_TAGS}"
            )
    return problems


def function_timeout_within_queue_visibility(scope: Scope) -> list[str]:
    if not scope.environments:
        return []
    workers = {
        name: spec.queue.visibility_timeout
        for name, spec in scope.definition.services.items()
        if spec.kind == "worker" and spec.queue is not None
    }
    return [
        problem
        for name, spec in scope.definition.functions.items()
        for problem in queue_trigger_problems(name, spec, workers, scope.source)
    ]


def _route_key(trigger: HttpTrigger) -> tuple[str, str]:
    # API Gateway matches a variable segment whatever its name: /items/{id} and /items/{key} are
    # one route (CreateRoute refuses the second: ConflictException).
    return trigger.method, re.sub(r"\{\w+\}", "{}", trigger.path.rstrip("/") or "/")


def unique_http_routes(scope: Scope) -> list[str]:
    """A function's HTTP API takes each route (method and path) once."""
    problems = []
    for name, spec in scope.definition.functions.items():
        seen: dict[tuple[str, str], int] = {}
        for index, trigger in enumerate(spec.triggers):
            if not isinstance(trigger, HttpTrigger):
                continue
            key = _route_key(trigger)
            if key in seen:
                problems.append(
                    f"{scope.source}: functions.{name}.triggers[{index}]: {trigger.method} {trigger.path} is "
                    f"the route of triggers[{seen[key]}] already; an HTTP API takes each route once"
                )
            seen.setdefault(key, index)
    return problems


MAX_OVERRIDES = 8192
"""RunTask: "A total of 8192 characters are allowed for overrides", JSON included (ECS API reference)."""


def job_service_can_run(scope: Scope) -> list[str]:
    """A job runs its service's task definition with its own command (and size): the size must
    be one the environment's cluster runs, and the override within what RunTask takes."""
    problems = []
    for name, job in scope.definition.jobs.items():
        overrides: dict[str, object] = {"containerOverrides": [{"name": "app", "command": job.command}]}
        if job.cpu is not None:
            overrides |= {"cpu": str(job.cpu), "memory": str(job.memory)}
        size = len(json.dumps(overrides, separators=(",", ":")))
        if size > MAX_OVERRIDES:
            problems.append(
                f"{scope.source}: jobs.{name}.command: {size:,} characters once sent to RunTask; ECS takes "
                f"{MAX_OVERRIDES:,} of overrides: put the steps in a script in the image and run that"
            )
        refused = [
            env.name for env in scope.environments if job_size_problem(name, job, env.provider, "", "")
        ]
        if refused:  # one line for every environment whose cluster cannot run it
            problem = job_size_problem(name, job, "fargate", ", ".join(refused), scope.source)
            problems += [problem] if problem else []
    return problems


INLINE_POLICY_SIZE = 10_240
"""IAM and AWS STS quotas: "Role policy size … 10,240 characters" for a role's inline policies
(whitespace not counted)."""
OWN_STATEMENTS = 1_500
"""What muon's own statements of a role take at most (logs, ECS Exec, a database, KMS), beside the
ones counted per queue and per secret below."""
PER_QUEUE, PER_PARAMETER = 200, 60


def _statements_size(permissions: list[PermissionSpec]) -> int:
    statements = [{"Effect": "Allow", "Action": p.actions, "Resource": p.resources} for p in permissions]
    return len(json.dumps(statements, separators=(",", ":")))


def _secret_reference(reference: str | SecretSpec | SecretsManagerSpec | FunctionSecretSpec) -> str:
    if isinstance(reference, str):
        return reference
    return reference.parameter if isinstance(reference, SecretSpec) else reference.secret


def iam_policies_within_size(scope: Scope) -> list[str]:
    """A role's inline policy holds muon's statements and the definition's ``permissions`` (and
    each secret's parameter ARN, each queue's): together within IAM's 10,240 characters."""
    problems, definition = [], scope.definition
    roles: list[tuple[str, int, str]] = []
    for name, service in definition.services.items():
        queues = sum(1 for s in definition.services.values() if s.queue and name in s.queue.publishers)
        # A topic's ARN is a queue's size; tracing and log routing fit in OWN_STATEMENTS.
        own = OWN_STATEMENTS + PER_QUEUE * (queues + (service.queue is not None) + len(service.publish))
        roles.append((f"services.{name}.permissions", own + _statements_size(service.permissions), "task"))
        declared = [
            *service.secrets.values(),
            *(r for s in service.sidecars.values() for r in s.secrets.values()),
        ]
        secrets = sum(PER_PARAMETER + len(_secret_reference(reference)) for reference in declared)
        roles.append((f"services.{name}.secrets", OWN_STATEMENTS + secrets, "execution"))
    for name, function in definition.functions.items():
        queues = sum(1 for t in function.triggers if t.type == "queue")
        secrets = sum(PER_PARAMETER + len(_secret_reference(r)) for r in function.secrets.values())
        size = OWN_STATEMENTS + PER_QUEUE * queues + secrets + _statements_size(function.permissions)
        roles.append((f"functions.{name}.permissions", size, "function"))
    for where, size, role in roles:
        if size > INLINE_POLICY_SIZE:
            problems.append(
                f"{scope.source}: {where}: about {size:,} characters in the {role} role's policy with muon's "
                f"own statements; IAM takes {INLINE_POLICY_SIZE:,}: grant whole prefixes (arn:…:bucket/*) "
                "rather than each resource"
            )
    return problems


def services_match_hosts(scope: Scope) -> list[str]:
    """On an EC2 cluster, a service's platform is its hosts' architecture (Graviton types are arm64):
    ECS places a task only on a host of its architecture, and an image of the other one does not
    start (ECS developer guide, "Amazon ECS task definitions for 64-bit ARM workloads"). Fargate runs
    either."""
    problems = []
    for env in scope.environments:
        if env.provider != "ec2":
            continue  # Fargate, or an attached environment (its platform's hosts, unknown here)
        instance_type = scope.definition.environments[env.name].cluster.instance_type
        hosts = "linux/arm64" if is_arm64(instance_type) else "linux/x86_64"
        for name, service in scope.definition.services.items():
            if service.platform != hosts:
                problems.append(
                    f"{scope.source}: services.{name}.platform: {service.platform}, but environment "
                    f"{env.name}'s EC2 hosts ({instance_type}) are {hosts}; give the service "
                    f"platform: {hosts} or the environment hosts of its architecture (Graviton types such "
                    "as t4g, m7g are arm64)"
                )
    return problems


def pipeline_builds_one_platform(scope: Scope) -> list[str]:
    """The pipeline builds every image in one CodeBuild project, on an x86 or an ARM host: the
    services it builds share one platform (an image is built natively, never under emulation)."""
    if not scope.pipeline:
        return []
    built = {n: s.platform for n, s in scope.definition.services.items() if s.image is None}
    if len(set(built.values())) < 2:
        return []
    arm = sorted(n for n, p in built.items() if p == "linux/arm64")
    x86 = sorted(n for n, p in built.items() if p != "linux/arm64")
    return [
        f"{scope.source}: services.{arm[0]}.platform: linux/arm64 beside linux/x86_64 services "
        f"({', '.join(x86)}); the pipeline builds every image on one CodeBuild host: give its services "
        "one platform"
    ]


CHECKS: list[Check] = [
    unique_hosts,
    merged_tags_within_50,
    function_timeout_within_queue_visibility,
    unique_http_routes,
    job_service_can_run,
    iam_policies_within_size,
    arns_in_stack_region,
    paths_inside_project,
    function_handlers_exist,
    services_match_hosts,
    pipeline_builds_one_platform,
]
"""Every rule across surfaces; a new one is added here, with its own tests (tests/test_checks.py)."""


def run_checks(scope: Scope, checks: list[Check] | None = None) -> None:
    """Every check over ``scope``; all their problems in one DefinitionError."""
    problems = [problem for check in checks or CHECKS for problem in check(scope)]
    if problems:
        raise DefinitionError(list(dict.fromkeys(problems)))
