"""Before any resource: the stack's settings and the definition read and checked, the AWS
context resolved, and each environment's plan decided (``environment_plan.py``; a problem stops
the run here, with nothing half-applied)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from muon.components.context import AwsContext
from muon.components.pipeline import PipelineArgs
from muon.components.registry import RegistryArgs
from muon.stacks.definition import Definition
from muon.stacks.definition.fields import NAMESPACE_PATTERN
from muon.stacks.definition.loader import load_definition
from muon.stacks.definition.settings import StackSettings, check_selection
from muon.stacks.definition.stack_config import aws_settings, read_stack_file
from muon.stacks.errors import DefinitionError
from muon.stacks.facts import Facts
from muon.stacks.resolve.builds import build_plans
from muon.stacks.resolve.checks import run_checks
from muon.stacks.resolve.environment_plan import EnvironmentPlan, prepare
from muon.stacks.resolve.inputs import Inputs, Running
from muon.stacks.resolve.organization import OrganizationPlan, load_organization
from muon.stacks.resolve.pipelines import pipeline_args, registry_args, stacks_by_environment
from muon.stacks.resolve.renames import deployed_as, rename_notes
from muon.stacks.resolve.routing import listener_priorities
from muon.stacks.resolve.scope import stack_scope

PROJECT_DIR: Path | None = None
"""The project (where ``Pulumi.yaml`` is); None: the working directory, where Pulumi runs programs."""


def project_dir() -> Path:
    return PROJECT_DIR if PROJECT_DIR is not None else Path.cwd()


def definition_dir(source: str) -> Path:
    """Where the definition file is: its relative paths (a function's source) start there."""
    return project_dir() / Path(source).parent


def load_inputs(running: Running, settings: StackSettings) -> Inputs:
    """Validate the stack's definition against its settings, before any resource is declared."""
    stack = running.stack
    stack_source = f"Pulumi.{stack}.yaml"
    definition_path = project_dir() / settings.definition
    definition = load_definition(definition_path, f"{stack_source}: muon:definition", settings.definition)
    check_selection(settings, definition, stack_source, settings.definition)
    region = running.config.get("aws:region") or ""
    check_other_stacks(stack, settings, region)
    folder = definition_path.parent
    run_checks(stack_scope(definition, settings, stack_source, region, folder, project_dir()))
    builds = build_plans(definition, definition_path.parent, settings.definition)
    notes = tuple(rename_notes(definition, settings.environments)) if settings.environments else ()
    # A renamed environment is composed under its former name (stacks/resolve/renames.py).
    definition, settings = deployed_as(definition, settings)
    return Inputs(settings, definition, builds, running, notes)


def check_other_stacks(stack: str, settings: StackSettings, region: str | None) -> None:
    """Two stacks deploying one environment into one region would create the same names twice.

    Between the stack files of the project (a stack without a file of its own has nothing to
    compare: its config came from elsewhere).
    """
    if not (project_dir() / f"Pulumi.{stack}.yaml").is_file():
        return
    for environment in settings.environments:
        for other in stacks_by_environment(project_dir()).get(environment, []):
            if other == stack:
                continue
            other_region = read_stack_file(project_dir(), other).get("aws:region")
            if other_region == region:
                raise DefinitionError(
                    [
                        f"Pulumi.{stack}.yaml: muon:environments: '{environment}' is also deployed by "
                        f"Pulumi.{other}.yaml in {region or 'the same region'}; one environment, one stack"
                    ]
                )


def namespace_of(definition: Definition, source: str, project: str) -> str:
    """The definition's ``namespace``, else the Pulumi project's name, which must then fit."""
    if definition.namespace is not None:
        return definition.namespace
    if re.fullmatch(NAMESPACE_PATTERN, project) is None:
        raise DefinitionError(
            [
                f"{source}: namespace: the project name '{project}' (Pulumi.yaml) cannot start AWS names "
                "(2-16 lowercase letters, digits and '-', starting with a letter, no '--'); set namespace: "
                "in the definition"
            ]
        )
    return project


def resolve_context(namespace: str, facts: Facts) -> tuple[AwsContext, list[str]]:
    account = facts.aws_account()
    context = AwsContext(
        account_id=account.account_id,
        region=account.region,
        partition=account.partition,
        namespace=namespace,
    )
    return context, list(account.zones)


@dataclass(frozen=True)
class StackPlan:
    """A stack with everything checked and read: what ``compose`` declares, and nothing else."""

    definition: Definition
    source: str
    """The definition file, as problems found later name it."""
    context: AwsContext
    environments: list[EnvironmentPlan]
    pipeline: tuple[RegistryArgs, PipelineArgs] | None
    notes: tuple[str, ...] = ()
    """What the run says about the renames it deploys (``formerly``)."""


def prepare_stack(running: Running, settings: StackSettings, facts: Facts) -> StackPlan:
    """The stack's definition read and checked, the AWS context resolved, each environment
    planned: one problem or one failed read stops the run here, before any resource."""
    inputs = load_inputs(running, settings)
    definition, source = inputs.definition, settings.definition
    priorities = listener_priorities(definition.services, source)
    context, zones = resolve_context(namespace_of(definition, source, running.project), facts)
    environments = prepare(inputs, context, zones, priorities, facts)
    return StackPlan(
        definition,
        source,
        context,
        environments,
        prepare_pipeline(running, settings, definition, context, facts),
        inputs.notes,
    )


def prepare_organization(running: Running, settings: StackSettings) -> OrganizationPlan | None:
    if settings.organization is None:
        return None
    tags = {"muon:project": running.project, "muon:stack": running.stack}
    return load_organization(
        project_dir() / settings.organization,
        tags=tags,
        aws_settings=aws_settings(running.config),
        setting=f"Pulumi.{running.stack}.yaml: muon:organization",
    )


def prepare_pipeline(
    running: Running, settings: StackSettings, definition: Definition, context: AwsContext, facts: Facts
) -> tuple[RegistryArgs, PipelineArgs] | None:
    if not settings.pipeline:
        return None
    tags = {
        "muon:project": running.project,
        "muon:namespace": context.namespace,
        "muon:stack": running.stack,
        "muon:pipeline": "true",
    }
    return registry_args(definition, context=context, tags=tags, source=settings.definition), pipeline_args(
        settings,
        definition,
        context=context,
        project=running.project,
        stack=running.stack,
        project_dir=project_dir(),
        tags=tags,
        facts=facts,
        organization=running.organization,
    )
