"""Renames without loss (``formerly``): what keeps the old name, and what takes the new one.

**A service** (``services.<new>.formerly: <old>``) takes its new name — its ECS service, task
definition, roles, target group, alarms and log group are the new service's, and AWS replaces
those whose name cannot change in place (none holds data but the log group, which a production
environment retains) — while every resource muon composed for it moves to its new Pulumi name
through an alias (``components/moving.py``, by ``stacks/wiring/services.py``'s
``service_moved``), and what holds data keeps its AWS name: the database
(its cluster and instance identifiers force a replacement in the provider), its password parameter
(its name too), its log exports (named after the cluster), the worker's queue (its name forces a
replacement, and the messages in it would go with it). Those names come from ``formerly`` for as
long as it stays in the definition: keep it.

**A database name** (``database.formerly: <old>``): RDS creates the database named in the
cluster's ``database_name`` only with the cluster, and the provider replaces the cluster when it
changes; the cluster keeps ``<old>`` and the service gets the new name, which the team renames or
creates inside the engine.

**An environment** (``environments.<new>.formerly: <old>``) is deployed under its former name
still: in muon, an environment's name is in the AWS name of nearly everything it holds (its ECS
cluster, whose replacement replaces every service; its backup vault, which AWS will not delete
while it holds recovery points; its databases, queues, log groups, key aliases, alarm topic), so
the only rename that loses nothing keeps them all — and then the Pulumi names, which are the same
strings, stay as well. The definition and the stack file say the new name; the resources, their
URNs and the stack's outputs keep the old one.
"""

from __future__ import annotations

from muon.stacks.definition import Definition, ServiceSpec
from muon.stacks.definition.settings import StackSettings


def former_service(name: str, spec: ServiceSpec) -> str:
    """The name a service's data is kept under in AWS: its former name while it has one."""
    return spec.formerly or name


def deployed_as(definition: Definition, settings: StackSettings) -> tuple[Definition, StackSettings]:
    """The definition and settings with every renamed environment under its former name, as it is
    deployed (nothing changes when no environment says ``formerly``)."""
    renamed = {name: spec.formerly for name, spec in definition.environments.items() if spec.formerly}
    if not renamed:
        return definition, settings

    def old(name: str) -> str:
        return renamed.get(name, name)

    environments = {old(name): spec for name, spec in definition.environments.items()}
    services = {
        name: spec.model_copy(
            update={
                "environments": {old(env): o for env, o in spec.environments.items()},
                "environment": {
                    variable: {old(env): v for env, v in value.items()} if isinstance(value, dict) else value
                    for variable, value in spec.environment.items()
                },
            }
        )
        for name, spec in definition.services.items()
    }
    pipeline = definition.pipeline
    if pipeline is not None:
        stages = [
            stage.model_copy(update={"environment": old(stage.environment)}) for stage in pipeline.stages
        ]
        pipeline = pipeline.model_copy(update={"stages": stages})
    definition = definition.model_copy(
        update={"environments": environments, "services": services, "pipeline": pipeline}
    )
    settings = settings.model_copy(
        update={
            "environments": [old(env) for env in settings.environments],
            "delegated_zones": [old(env) for env in settings.delegated_zones],
        }
    )
    return definition, settings


def environment_renames(definition: Definition) -> dict[str, str]:
    """New name → the name it is deployed under, for every renamed environment."""
    return {name: spec.formerly for name, spec in definition.environments.items() if spec.formerly}


def rename_notes(original: Definition, environments: list[str]) -> list[str]:
    """What the plan and ``pulumi up`` say about the renames this stack deploys."""
    notes = [
        f"environments.{new}.formerly: '{new}' is deployed as '{old}': every resource keeps its name "
        "and identity (keep formerly)"
        for new, old in environment_renames(original).items()
        if new in environments
    ]
    notes += [
        f"services.{name}.formerly: the resources of '{spec.formerly}' move to '{name}' (aliases); its "
        "database, password and queue keep their AWS names (keep formerly while they exist)"
        for name, spec in original.services.items()
        if spec.formerly
    ]
    return notes
