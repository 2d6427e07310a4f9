"""Before any resource: the stack's settings and the definition read and checked, the AWS
context resolved, and each environment's plan decided (a problem stops the run here, with nothing
half-applied)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws
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
from muon.stacks.resolve.attach import (
    Platform,
    check_shared_patterns,
    check_shared_priorities,
    listener_claims,
    read_platform,
)
from muon.stacks.resolve.builds import BuildPlan, build_plans
from muon.stacks.resolve.databases import (
    find_password,
    insights_choice,
    parameter_name,
    preflight_database,
)
from muon.stacks.resolve.environments import environment_args
from muon.stacks.resolve.functions import check_function
from muon.stacks.resolve.hosts import host_image
from muon.stacks.resolve.names import check_names
from muon.stacks.resolve.organization import OrganizationPlan, load_organization
from muon.stacks.resolve.pipelines import pipeline_args, registry_args, stacks_by_environment
from muon.stacks.resolve.services import (
    choose_image,
    cluster_exists,
    listener_priorities,
    preflight_wiring,
    service_args,
    workload_wiring,
)
from muon.stacks.resolve.workloads import (
    check_job,
    preflight_queues,
    with_task_metrics,
)

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


def load_inputs(stack: str, settings: StackSettings) -> Inputs:
    """Validate the stack's definition against its settings, before any resource is declared."""
    stack_source = f"Pulumi.{stack}.yaml"
    definition_path = project_dir() / settings.definition
    definition = load_definition(definition_path, f"{stack_source}: muon:definition")
    check_selection(settings, definition, stack_source, settings.definition)
    check_other_stacks(stack, settings, stack_config().get("aws:region"))
    builds = build_plans(definition, definition_path.parent, settings.definition)
    return Inputs(settings, definition, builds)


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


def resolve_context(namespace: str) -> tuple[AwsContext, list[str]]:
    identity = aws.get_caller_identity()
    region = aws.get_region()
    partition = aws.get_partition()
    zones = aws.get_availability_zones(
        # Local and Wavelength zones are opt-in and cannot host every service. No filter on the
        # zones' state: an impaired zone must not shift the list (and move subnets and database
        # instances) in the middle of an incident. New zones sort after the ones in use.
        filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
    )
    context = AwsContext(
        account_id=identity.account_id,
        region=region.region,
        partition=partition.partition,
        namespace=namespace,
    )
    return context, sorted(zones.names)


@dataclass(frozen=True)
class EnvironmentPlan:
    """One selected environment with everything checked and looked up, before any resource exists."""

    name: str
    tier: Tier
    args: EnvironmentArgs | None
    """None: the environment is attached (another stack deployed it; see ``platform``)."""
    tags: dict[str, str]
    images: dict[str, str | None]
    """The image each service runs; None: none yet (zero tasks) or built by this stack."""
    builds: dict[str, BuildPlan]
    passwords: dict[str, GeneratedPassword | ExistingPassword]
    warnings: list[str]
    """What `pulumi up` should say about this environment (a default that had to give way)."""
    zones: tuple[str, ...]
    priorities: dict[str, int]
    """Each service's listener-rule priority in this environment."""
    platform: Platform | None = None


def prepare(
    inputs: Inputs, context: AwsContext, zones: list[str], priorities: dict[str, int]
) -> list[EnvironmentPlan]:
    """Every check that can fail, for every environment and service, before anything is declared.

    A problem found here stops the run with nothing changed; one found halfway through declaring
    resources would leave a half-applied update behind.
    """
    settings, definition = inputs.settings, inputs.definition
    stack, source = pulumi.get_stack(), settings.definition
    managed_by = f"{pulumi.get_project()}/{stack}"
    plans = []
    for env_name in settings.environments:
        env_spec = definition.environments[env_name]
        platform = (
            read_platform(env_name, env_spec.attach, context, source) if env_spec.attach is not None else None
        )
        tier: Tier = platform.entry["tier"] if platform else tier_of(env_name, env_spec)
        env_priorities = priorities
        if platform:  # a listener other projects share: salted by namespace, checked live
            env_priorities = listener_priorities(definition.services, source, salt=context.namespace)
            # One read of the listener's rules serves both checks.
            claims = listener_claims(platform.entry["listenerArn"], aws_settings(stack_config()))
            check_shared_priorities(env_name, platform, env_priorities, claims, source)
            check_shared_patterns(env_name, platform, definition.services, claims, source)
        tags = {
            "muon:project": pulumi.get_project(),
            "muon:namespace": context.namespace,
            "muon:stack": stack,
            "muon:environment": env_name,
            # Cost allocation by tier, and the level of a compliance finding (policy/levels.py).
            "muon:tier": tier,
        }
        args = (
            None
            if platform
            else environment_args(env_name, env_spec, context=context, zones=zones, source=source, tags=tags)
        )
        args = with_task_metrics(env_name, env_spec, args, platform, definition, source)
        args = with_delegation(env_name, args, settings, context.namespace)
        warnings: list[str] = []
        if args is not None and definition.keys.logs:
            args = dataclasses.replace(args, key_arn=definition.keys.logs)
        if args is not None and args.continuity is not None and definition.keys.data:
            args = dataclasses.replace(
                args, continuity=dataclasses.replace(args.continuity, key_arn=definition.keys.data)
            )
        if args is not None and args.cluster.provider == "ec2":
            where = f"{source}: environments.{env_name}.cluster.imageId"
            ami, warning = host_image(args.cluster.image_id, where=where, region=context.region)
            args = dataclasses.replace(args, cluster=dataclasses.replace(args.cluster, image_id=ami))
            warnings += [warning] if warning else []
        if platform:
            provider, domain = platform.entry["provider"], platform.entry.get("domain")
            env_zones = tuple(platform.entry["zones"])
        else:
            assert args is not None
            provider, domain = args.cluster.provider, args.domain.name if args.domain else None
            env_zones = args.network.availability_zones
        images: dict[str, str | None] = {}
        passwords: dict[str, GeneratedPassword | ExistingPassword] = {}
        plain = args is not None and args.domain is None and args.load_balancer.certificate_arn is None
        if tier == "production" and env_spec.load_balancer.allow_plain_http and plain:
            warnings.append(
                f"{source}: environments.{env_name}.loadBalancer.allowPlainHttp: production serves "
                "plain HTTP (no domain, no certificate)"
            )
        # The pipeline's digest wins over a local build: it is what the pipeline tested.
        builds = {s: b for s, b in inputs.builds.items() if s not in settings.images}
        # A platform's cluster exists; an own environment's only after its first deploy.
        deployed = platform is not None or (
            any(
                s not in settings.images and s not in builds and not definition.services[s].image
                for s in definition.services
            )
            and cluster_exists(f"{context.namespace}-{env_name}")
        )
        stand_in_queues = preflight_queues(definition)
        for service_name, service_spec in definition.services.items():
            images[service_name] = (
                None
                if service_name in builds
                else choose_image(
                    service_name,
                    service_spec,
                    settings.images,
                    environment=env_name,
                    namespace=context.namespace,
                    deployed=deployed,
                )
            )
            database = None
            if service_spec.database is not None:
                spec = service_spec.database
                name = parameter_name(spec.password_parameter, env_name, service_name, context.namespace)
                owner = next((s for s, p in passwords.items() if p.parameter_name == name), None)
                if owner is not None:
                    raise DefinitionError(
                        [
                            f"{source}: services.{service_name}.database.passwordParameter: {name} is "
                            f"already the password of service '{owner}' (environment {env_name}); "
                            "two databases cannot share one parameter"
                        ]
                    )
                passwords[service_name] = find_password(name, managed_by, spec.password_version)
                database = preflight_database(spec, service_name, context, name)
                override = service_spec.environments.get(env_name)
                _, warning = insights_choice(
                    spec,
                    override.database if override else None,
                    tier,
                    service=service_name,
                    environment=env_name,
                    source=source,
                )
                warnings += [warning] if warning else []
            # The real composition with stand-in values: same checks, no resources.
            service_args(
                service_name,
                service_spec,
                environment=env_name,
                tier=tier,
                context=context,
                wiring=preflight_wiring(provider, domain),
                priority=env_priorities.get(service_name),
                image=images[service_name],
                source=source,
                tags=tags,
                database=database,
                workload=workload_wiring(
                    service_name,
                    definition.services,
                    namespace_arn="preflight",
                    queues=stand_in_queues,
                ),
            )
        check_names(env_name, definition, domain, source, attached=platform is not None)
        for job_name, job in definition.jobs.items():
            check_job(job_name, job, definition, provider, env_name, source)
        workers = {
            n: s.queue.visibility_timeout
            for n, s in definition.services.items()
            if s.kind == "worker" and s.queue is not None
        }
        for function_name, function_spec in definition.functions.items():
            check_function(function_name, function_spec, definition_dir(source), workers, source)
        plans.append(
            EnvironmentPlan(
                name=env_name,
                tier=tier,
                args=args,
                tags=tags,
                images=images,
                builds=builds,
                passwords=passwords,
                warnings=warnings,
                zones=env_zones,
                priorities=env_priorities,
                platform=platform,
            )
        )
    return plans


def with_delegation(
    env_name: str, args: EnvironmentArgs | None, settings: StackSettings, namespace: str
) -> EnvironmentArgs | None:
    """A created zone waits for its delegation (``muon:delegatedZones``) before anything needs it:
    an environment already deployed (its cluster exists) was delegated before this setting."""
    if args is None or args.domain is None or args.domain.zone_name or args.domain.zone_id:
        return args
    if env_name in settings.delegated_zones or cluster_exists(f"{namespace}-{env_name}"):
        return args
    domain = dataclasses.replace(args.domain, awaiting_delegation=True)
    return dataclasses.replace(args, domain=domain)


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
