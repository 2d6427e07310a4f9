"""``functions.<name>`` of the definition, per environment: its host, its triggers' queues, its
deployment by tier (``stacks/wiring/edge.py`` makes the Function's arguments)."""

from __future__ import annotations

from muon.components.context import AwsContext
from muon.components.service_args import ManagedSecret
from muon.stacks.definition.fields import SecretsManagerSpec, Tier
from muon.stacks.definition.function import (
    FunctionSecretSpec,
    FunctionSpec,
    QueueTrigger,
)
from muon.stacks.resolve.secrets_manager import managed_secret
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
