"""Before any resource: the stack's settings and the definition read and checked, the AWS
context resolved, and each environment's plan decided (a problem stops the run here, with nothing
half-applied)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import pulumi
from pulumi.runtime import config as runtime_config

from muon.components.context import AwsContext
from muon.components.database import ExistingPassword, GeneratedPassword
from muon.components.environment import EnvironmentArgs
from muon.components.pipeline import PipelineArgs
from muon.components.registry import RegistryArgs
from muon.stacks.definition import Definition, Tier, tier_of
from muon.stacks.definition.fields import NAMESPACE_PATTERN
from muon.stacks.definition.loader import load_definition
from muon.stacks.definition.settings import (
    StackSettings,
    aws_settings,
    check_selection,
    read_stack_file,
)
from muon.stacks.errors import DefinitionError
from muon.stacks.facts import Facts
from muon.stacks.resolve.attach import (
    Platform,
    check_shared_patterns,
    check_shared_priorities,
    listener_claims,
    read_platform,
)
from muon.stacks.resolve.builds import BuildPlan, build_plans
from muon.stacks.resolve.checks import run_checks
from muon.stacks.resolve.databases import database_parameters, plan_databases
from muon.stacks.resolve.environments import environment_args
from muon.stacks.resolve.functions import function_hosts
from muon.stacks.resolve.hosts import host_image
from muon.stacks.resolve.images import Cluster, choose_images
from muon.stacks.resolve.messaging import with_topic_delivery
from muon.stacks.resolve.names import check_names
from muon.stacks.resolve.organization import OrganizationPlan, load_organization
from muon.stacks.resolve.pipelines import pipeline_args, registry_args, stacks_by_environment
from muon.stacks.resolve.renames import deployed_as, rename_notes
from muon.stacks.resolve.routing import listener_priorities
from muon.stacks.resolve.scope import stack_scope
from muon.stacks.resolve.services import ServicePlan, ServiceSetting, plan_service
from muon.stacks.resolve.sites import site_hosts
from muon.stacks.resolve.workloads import check_job, with_task_metrics

PROJECT_DIR: Path | None = None
"""The project (where ``Pulumi.yaml`` is); None: the working directory, where Pulumi runs programs."""


def project_dir() -> Path:
    return PROJECT_DIR if PROJECT_DIR is not None else Path.cwd()


def definition_dir(source: str) -> Path:
    """Where the definition file is: its relative paths (a function's source) start there."""
    return project_dir() / Path(source).parent


def stack_config() -> dict[str, str]:
    """Every config value of the running stack, as Pulumi passes them (strings)."""
    # pulumi.Config reads one key at a time; listing all keys (to reject unknown muon: keys)
    # needs the runtime's map: what the engine passed plus what set_all_config set.
    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


@dataclass(frozen=True)
class Inputs:
    settings: StackSettings
    definition: Definition
    builds: dict[str, BuildPlan]
    """Services whose image this stack builds itself (``services.<name>.build``)."""
    notes: tuple[str, ...] = ()
    """What the run says about the renames it deploys (``formerly``)."""


def load_inputs(stack: str, settings: StackSettings) -> Inputs:
    """Validate the stack's definition against its settings, before any resource is declared."""
    stack_source = f"Pulumi.{stack}.yaml"
    definition_path = project_dir() / settings.definition
    definition = load_definition(definition_path, f"{stack_source}: muon:definition", settings.definition)
    check_selection(settings, definition, stack_source, settings.definition)
    region = stack_config().get("aws:region") or ""
    check_other_stacks(stack, settings, region)
    folder = definition_path.parent
    run_checks(stack_scope(definition, settings, stack_source, region, folder, project_dir()))
    builds = build_plans(definition, definition_path.parent, settings.definition)
    notes = tuple(rename_notes(definition, settings.environments)) if settings.environments else ()
    # A renamed environment is composed under its former name (stacks/resolve/renames.py).
    definition, settings = deployed_as(definition, settings)
    return Inputs(settings, definition, builds, notes)


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


def namespace_of(definition: Definition, source: str) -> str:
    """The definition's ``namespace``, else the Pulumi project's name, which must then fit."""
    if definition.namespace is not None:
        return definition.namespace
    project = pulumi.get_project()
    if re.fullmatch(NAMESPACE_PATTERN, project) is None:
        raise DefinitionError(
            [
                f"{source}: namespace: the project name '{project}' (Pulumi.yaml) cannot start AWS names "
                "(2-16 lowercase letters, digits and '-', starting with a letter); set namespace: in the "
                "definition"
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
class EnvironmentPlan:
    """One selected environment with everything checked and looked up, before any resource exists."""

    name: str
    tier: Tier
    args: EnvironmentArgs | None
    """None: the environment is attached (another stack deployed it; see ``platform``)."""
    tags: dict[str, str]
    services: dict[str, ServicePlan]
    images: dict[str, str | None]
    """The image each service runs; None: none yet (zero tasks) or built by this stack."""
    builds: dict[str, BuildPlan]
    passwords: dict[str, GeneratedPassword | ExistingPassword]
    warnings: list[str]
    """What `pulumi up` should say about this environment (a default that had to give way)."""
    zones: tuple[str, ...]
    site_hosts: dict[str, str | None]
    function_hosts: dict[str, str | None]
    platform: Platform | None = None


@dataclass(frozen=True)
class Placement:
    """Where an environment's workloads run: its own arguments say, or the platform's contract."""

    provider: str
    domain: str | None
    zones: tuple[str, ...]
    cluster: Cluster


def prepare(
    inputs: Inputs, context: AwsContext, zones: list[str], priorities: dict[str, int], facts: Facts
) -> list[EnvironmentPlan]:
    """Every check that can fail, for every environment and service, and every read of what
    exists (``facts``), before anything is declared.

    A problem found here stops the run with nothing changed; one found halfway through declaring
    resources would leave a half-applied update behind.
    """
    return [
        prepare_environment(name, inputs, context, zones, priorities, facts)
        for name in inputs.settings.environments
    ]


def prepare_environment(
    env_name: str,
    inputs: Inputs,
    context: AwsContext,
    zones: list[str],
    priorities: dict[str, int],
    facts: Facts,
) -> EnvironmentPlan:
    settings, definition = inputs.settings, inputs.definition
    source, env_spec = settings.definition, definition.environments[env_name]
    platform, priorities = attach(env_name, definition, context, priorities, source, facts)
    tier: Tier = platform.entry["tier"] if platform else tier_of(env_name, env_spec)
    tags = environment_tags(env_name, tier, context)
    args = own_environment_args(env_name, definition, platform, context, zones, tags, source)
    args = with_delegation(env_name, args, settings, context.namespace, facts)
    args, ami_warnings = with_host_image(env_name, args, context, source, facts)
    placement = place(env_name, platform, args, context)
    # Checks first: a definition that cannot deploy stops before anything is read of AWS.
    parameters = database_parameters(definition.services, env_name, context.namespace, source)
    setting = ServiceSetting(env_name, tier, context, placement.provider, placement.domain, source)
    services = {
        name: plan_service(
            name,
            definition.services,
            setting,
            priority=priorities.get(name),
            password_parameter=(
                context.arn("ssm", f"parameter{parameters[name]}") if name in parameters else None
            ),
        )
        for name in definition.services
    }
    if platform is not None:
        # What checks.py could not see before the platform was read: its domain and its cluster.
        check_names(env_name, definition, placement.domain, source, attached=True)
        for job_name, job in definition.jobs.items():
            check_job(job_name, job, definition, placement.provider, env_name, source)
    site_hosts_ = site_hosts(definition.sites, placement.domain, source)
    function_hosts_ = function_hosts(definition.functions, placement.domain, source)
    databases = plan_databases(
        definition.services,
        parameters,
        environment=env_name,
        tier=tier,
        managed_by=f"{pulumi.get_project()}/{pulumi.get_stack()}",
        source=source,
        facts=facts,
    )
    # The pipeline's digest wins over a local build: it is what the pipeline tested.
    builds = {s: b for s, b in inputs.builds.items() if s not in settings.images}
    images = choose_images(definition.services, settings.images, set(builds), placement.cluster, facts)
    return EnvironmentPlan(
        name=env_name,
        tier=tier,
        args=args,
        tags=tags,
        services=services,
        images=images,
        builds=builds,
        passwords=databases.passwords,
        warnings=plain_http_warning(env_name, definition, tier, args, source)
        + databases.warnings
        + ami_warnings,
        zones=placement.zones,
        site_hosts=site_hosts_,
        function_hosts=function_hosts_,
        platform=platform,
    )


def attach(
    env_name: str,
    definition: Definition,
    context: AwsContext,
    priorities: dict[str, int],
    source: str,
    facts: Facts,
) -> tuple[Platform | None, dict[str, int]]:
    """The platform an attached environment runs on, and the services' priorities there: on a
    listener other projects share, salted by namespace and checked against its rules."""
    spec = definition.environments[env_name].attach
    if spec is None:
        return None, priorities
    platform = read_platform(env_name, spec, context, source, facts)
    priorities = listener_priorities(definition.services, source, salt=context.namespace)
    claims = listener_claims(env_name, platform, facts, source)  # one read serves both checks
    check_shared_priorities(env_name, platform, priorities, claims, source)
    check_shared_patterns(env_name, platform, definition.services, claims, source)
    return platform, priorities


def environment_tags(env_name: str, tier: Tier, context: AwsContext) -> dict[str, str]:
    return {
        "muon:project": pulumi.get_project(),
        "muon:namespace": context.namespace,
        "muon:stack": pulumi.get_stack(),
        "muon:environment": env_name,
        # Cost allocation by tier, and the level of a compliance finding (policy/levels.py).
        "muon:tier": tier,
    }


def own_environment_args(
    env_name: str,
    definition: Definition,
    platform: Platform | None,
    context: AwsContext,
    zones: list[str],
    tags: dict[str, str],
    source: str,
) -> EnvironmentArgs | None:
    """The Environment's arguments (None: attached), with the definition's own keys."""
    spec = definition.environments[env_name]
    args = (
        None
        if platform
        else environment_args(env_name, spec, context=context, zones=zones, source=source, tags=tags)
    )
    args = with_task_metrics(env_name, spec, args, platform, definition, source)
    args = with_topic_delivery(env_name, definition, context, args)
    if args is not None and definition.keys.logs:
        args = dataclasses.replace(args, key_arn=definition.keys.logs)
    if args is not None and args.continuity is not None and definition.keys.data:
        args = dataclasses.replace(
            args, continuity=dataclasses.replace(args.continuity, key_arn=definition.keys.data)
        )
    return args


def with_host_image(
    env_name: str, args: EnvironmentArgs | None, context: AwsContext, source: str, facts: Facts
) -> tuple[EnvironmentArgs | None, list[str]]:
    """EC2 hosts boot the AMI ``cluster.imageId`` names (an id, or a parameter read now)."""
    if args is None or args.cluster.provider != "ec2":
        return args, []
    where = f"{source}: environments.{env_name}.cluster.imageId"
    ami, warning = host_image(args.cluster.image_id, where=where, region=context.region, facts=facts)
    args = dataclasses.replace(args, cluster=dataclasses.replace(args.cluster, image_id=ami))
    return args, [warning] if warning else []


def place(
    env_name: str, platform: Platform | None, args: EnvironmentArgs | None, context: AwsContext
) -> Placement:
    if platform:
        entry = platform.entry
        cluster = Cluster(entry["clusterName"], context.namespace, env_name, own=False)
        return Placement(entry["provider"], entry.get("domain"), tuple(entry["zones"]), cluster)
    assert args is not None
    cluster = Cluster(f"{context.namespace}-{env_name}", context.namespace, env_name, own=True)
    domain = args.domain.name if args.domain else None
    return Placement(args.cluster.provider, domain, args.network.availability_zones, cluster)


def plain_http_warning(
    env_name: str, definition: Definition, tier: Tier, args: EnvironmentArgs | None, source: str
) -> list[str]:
    plain = args is not None and args.domain is None and args.load_balancer.certificate_arn is None
    if tier == "production" and definition.environments[env_name].load_balancer.allow_plain_http and plain:
        return [
            f"{source}: environments.{env_name}.loadBalancer.allowPlainHttp: production serves "
            "plain HTTP (no domain, no certificate)"
        ]
    return []


def with_delegation(
    env_name: str, args: EnvironmentArgs | None, settings: StackSettings, namespace: str, facts: Facts
) -> EnvironmentArgs | None:
    """A created zone waits for its delegation (``muon:delegatedZones``) before anything needs it:
    an environment already deployed (its cluster exists) was delegated before this setting."""
    if args is None or args.domain is None or args.domain.zone_name or args.domain.zone_id:
        return args
    if env_name in settings.delegated_zones or facts.cluster_active(f"{namespace}-{env_name}"):
        return args
    domain = dataclasses.replace(args.domain, awaiting_delegation=True)
    return dataclasses.replace(args, domain=domain)


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


def prepare_stack(stack: str, settings: StackSettings, facts: Facts) -> StackPlan:
    """The stack's definition read and checked, the AWS context resolved, each environment
    planned: one problem or one failed read stops the run here, before any resource."""
    inputs = load_inputs(stack, settings)
    definition, source = inputs.definition, settings.definition
    priorities = listener_priorities(definition.services, source)
    context, zones = resolve_context(namespace_of(definition, source), facts)
    environments = prepare(inputs, context, zones, priorities, facts)
    return StackPlan(
        definition,
        source,
        context,
        environments,
        prepare_pipeline(settings, definition, context),
        inputs.notes,
    )


def prepare_organization(settings: StackSettings) -> OrganizationPlan | None:
    if settings.organization is None:
        return None
    tags = {"muon:project": pulumi.get_project(), "muon:stack": pulumi.get_stack()}
    return load_organization(
        project_dir() / settings.organization,
        tags=tags,
        aws_settings=aws_settings(stack_config()),
        setting=f"Pulumi.{pulumi.get_stack()}.yaml: muon:organization",
    )


def prepare_pipeline(
    settings: StackSettings, definition: Definition, context: AwsContext
) -> tuple[RegistryArgs, PipelineArgs] | None:
    if not settings.pipeline:
        return None
    tags = {
        "muon:project": pulumi.get_project(),
        "muon:namespace": context.namespace,
        "muon:stack": pulumi.get_stack(),
        "muon:pipeline": "true",
    }
    return registry_args(definition, context=context, tags=tags, source=settings.definition), pipeline_args(
        settings,
        definition,
        context=context,
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        project_dir=project_dir(),
        tags=tags,
    )
