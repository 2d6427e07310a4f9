"""The Pulumi program: read the stack's settings and the definition, compose the components."""

from __future__ import annotations

import dataclasses
import gc
import re
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws
from pulumi.runtime import config as runtime_config

from muon.components.attached import CONTRACT_OUTPUT, CONTRACT_VERSION, AttachedEnvironment, contract_entry
from muon.components.context import AwsContext
from muon.components.dashboard import DatabasePanel, ServicePanel, environment_dashboard
from muon.components.database import Database, ExistingPassword, GeneratedPassword
from muon.components.environment import Environment, EnvironmentArgs
from muon.components.org_security import OrganizationSecurity
from muon.components.organization import Organization
from muon.components.pipeline import Pipeline, PipelineArgs
from muon.components.registry import DEPLOYED_TAG_PREFIX, Registry, RegistryArgs
from muon.components.service import Service
from muon.components.tagging import boundary_transformation, tag_transformation
from muon.components.tags import BACKUP_TAG
from muon.stacks.attach import (
    Platform,
    check_shared_patterns,
    check_shared_priorities,
    listener_claims,
    read_platform,
)
from muon.stacks.builds import BuildPlan, build_plans
from muon.stacks.continuity import continuous_backup_days
from muon.stacks.databases import (
    database_access,
    database_args,
    database_placeholders,
    find_password,
    insights_choice,
    parameter_name,
    preflight_database,
)
from muon.stacks.definition import Definition, ServiceSpec, Tier, tier_of
from muon.stacks.environments import environment_args
from muon.stacks.errors import DefinitionError
from muon.stacks.extensions import ServiceWiring, extend_environment, load_extensions
from muon.stacks.extensions import transformation as extension_transformation
from muon.stacks.functions import check_function, environment_functions
from muon.stacks.loader import load_definition
from muon.stacks.organization import OrganizationPlan, load_organization
from muon.stacks.pipelines import local_registry_args, pipeline_args, registry_args, stacks_by_environment
from muon.stacks.services import (
    DatabaseWiring,
    awaiting_image_warning,
    choose_image,
    cluster_exists,
    deployed_image,
    listener_priorities,
    preflight_wiring,
    service_args,
    workload_wiring,
)
from muon.stacks.settings import (
    StackSettings,
    aws_settings,
    check_selection,
    organization_only,
    read_stack_file,
    settings_from_config,
)
from muon.stacks.sites import environment_sites
from muon.stacks.spec import NAMESPACE_PATTERN
from muon.stacks.workloads import (
    admit_callers,
    check_job,
    preflight_queues,
    scheduled_jobs,
    service_connect_namespace,
    with_task_metrics,
    worker_queues,
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
        if args is not None and definition.keys.logs:
            args = dataclasses.replace(args, key_arn=definition.keys.logs)
        if args is not None and args.continuity is not None and definition.keys.data:
            args = dataclasses.replace(
                args, continuity=dataclasses.replace(args.continuity, key_arn=definition.keys.data)
            )
        if platform:
            provider, domain = platform.entry["provider"], platform.entry.get("domain")
            env_zones = tuple(platform.entry["zones"])
        else:
            assert args is not None
            provider, domain = args.cluster.provider, args.domain.name if args.domain else None
            env_zones = args.network.availability_zones
        images: dict[str, str | None] = {}
        passwords: dict[str, GeneratedPassword | ExistingPassword] = {}
        warnings: list[str] = []
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
        for job_name, job in definition.jobs.items():
            check_job(job_name, job, definition, provider, env_name, source)
        workers = {n for n, s in definition.services.items() if s.kind == "worker"}
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
    return registry_args(definition, context=context, tags=tags), pipeline_args(
        settings,
        definition,
        context=context,
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        project_dir=project_dir(),
        tags=tags,
    )


_imports_frozen = False


def _freeze_imports() -> None:
    """Move everything loaded so far (modules, classes, the SDK's type tables) out of the
    collector's reach: it lives as long as the process anyway, and each full collection would
    otherwise traverse all of it again — a quarter of a render's time (bench/render.py). Once per
    process, so that a process rendering many stacks (the tests) never pins their garbage."""
    global _imports_frozen
    if not _imports_frozen:
        _imports_frozen = True
        gc.collect()
        gc.freeze()


def run() -> None:
    """Declare the stack's resources: the same under `pulumi up`, a preview and the offline plan."""
    _freeze_imports()
    stack = pulumi.get_stack()
    settings = settings_from_config(stack_config(), f"Pulumi.{stack}.yaml")
    if organization_only(settings):
        organization = prepare_organization(settings)
        assert organization is not None
        for warning in organization.warnings:
            pulumi.log.warn(warning)
        pulumi.export("organization", _organization(organization))
        return
    inputs = load_inputs(stack, settings)
    definition = inputs.definition
    source = settings.definition  # problems found while composing name the definition file
    priorities = listener_priorities(definition.services, source)
    context, zones = resolve_context(namespace_of(definition, source))
    plans = prepare(inputs, context, zones, priorities)
    pipeline = prepare_pipeline(settings, definition, context)
    if definition.tags:  # every resource of the stack; an environment's own tags go over them
        pulumi.runtime.register_stack_transformation(tag_transformation(definition.tags))
    if definition.permissions_boundary:
        pulumi.runtime.register_stack_transformation(boundary_transformation(definition.permissions_boundary))
    # The company's own hooks last: they see (and may change) what muon and the rules above set.
    extensions = load_extensions(definition.extensions, project_dir(), source)
    if any(extension.transform for extension in extensions):
        pulumi.runtime.register_stack_transformation(extension_transformation(extensions))
    organization = prepare_organization(settings)
    environments: dict[str, object] = {}
    contract: dict[str, object] = {}
    services: dict[str, dict[str, object]] = {}
    databases: dict[str, dict[str, object]] = {}
    jobs: dict[str, dict[str, object]] = {}
    sites: dict[str, dict[str, object]] = {}
    functions: dict[str, dict[str, object]] = {}
    for plan in plans:
        env_name, tags = plan.name, plan.tags
        for warning in plan.warnings:
            pulumi.log.warn(warning)
        env_tags = definition.environments[env_name].tags
        environment_options = (
            pulumi.ResourceOptions(transformations=[tag_transformation(env_tags)]) if env_tags else None
        )
        environment: Environment | AttachedEnvironment
        if plan.platform is not None:
            environment = AttachedEnvironment(
                env_name, plan.platform.entry, plan.platform.reference, opts=environment_options
            )
        else:
            assert plan.args is not None
            environment = Environment(env_name, plan.args, opts=environment_options)
            contract[env_name] = contract_entry(
                environment, tier=plan.tier, context=context, zones=list(plan.zones)
            )
        environments[env_name] = {**environment.outputs(), "tier": plan.tier, "namespace": context.namespace}
        wiring = dataclasses.replace(
            environment.wiring(),
            service_connect_namespace_arn=service_connect_namespace(
                env_name, definition, context, tags, environment
            ),
        )
        built = _local_builds(plan, environment, context)
        queues = worker_queues(env_name, definition, context, wiring, tags, environment)
        queue_access = {name: queue.access() for name, queue in queues.items()}
        created: dict[str, Service] = {}
        panels: list[DatabasePanel] = []  # the environment's databases, for its dashboard
        services[env_name] = {}
        for service_name, service_spec in definition.services.items():
            image, repository_arn = built.get(service_name, (plan.images[service_name], None))
            if image is None:
                pulumi.log.warn(awaiting_image_warning(service_name, env_name))
            database_wiring = None
            if service_spec.database is not None:
                database = _database(
                    plan, service_name, service_spec, environment, context, definition.keys.data
                )
                databases.setdefault(env_name, {})[service_name] = database.outputs()
                panels.append(
                    DatabasePanel(
                        identifier=database.cluster_identifier,
                        dimension=database.alarm_dimension,
                        alarm_names=tuple(database.alarm_names),
                    )
                )
                database_wiring = DatabaseWiring(
                    placeholders=database_placeholders(
                        service_spec.database,
                        service_name,
                        endpoint=database.endpoint,
                        reader_endpoint=database.reader_endpoint,
                        port=database.port,
                    ),
                    access=database_access(
                        database, service_spec.database, service_name, context, plan.passwords[service_name]
                    ),
                    iam_authentication=service_spec.database.iam_authentication,
                )
            service = Service(
                f"{env_name}-{service_name}",
                service_args(
                    service_name,
                    service_spec,
                    environment=env_name,
                    tier=plan.tier,
                    context=context,
                    wiring=wiring,
                    priority=plan.priorities.get(service_name),
                    image=image,
                    source=source,
                    tags=tags,
                    database=database_wiring,
                    image_repository_arn=repository_arn,
                    workload=workload_wiring(
                        service_name,
                        definition.services,
                        namespace_arn=wiring.service_connect_namespace_arn,
                        queues=queue_access,
                    ),
                ),
                opts=pulumi.ResourceOptions(parent=environment),
            )
            created[service_name] = service
            services[env_name][service_name] = service.outputs(wiring)
            if service_name in queues:
                queue = queues[service_name]
                services[env_name][service_name] |= {
                    "queueUrl": queue.url,
                    "deadLetterQueueUrl": queue.dead_letter_url,
                }
        admit_callers(definition, created)
        if isinstance(environment, Environment):
            environment_dashboard(
                env_name,
                context=context,
                cluster_name=f"{context.namespace}-{env_name}",
                load_balancer_arn_suffix=wiring.load_balancer_arn_suffix,
                services=[
                    ServicePanel(
                        name=name,
                        service_name=f"{context.namespace}-{env_name}-{name}",
                        target_group_arn_suffix=service.target_group_arn_suffix,
                        alarm_names=tuple(service.alarm_names),
                    )
                    for name, service in created.items()
                ],
                databases=panels,
                environment_alarm_names=(f"{context.namespace}-{env_name}-load-balancer-5xx",),
                opts=pulumi.ResourceOptions(parent=environment),
            )
        extend_environment(
            extensions,
            environment=env_name,
            tier=plan.tier,
            aws=context,
            wiring=wiring,
            services={
                name: ServiceWiring(
                    name=name,
                    security_group_id=service.security_group_id,
                    task_role_name=service.task_role_name,
                    execution_role_name=service.execution_role_name,
                    service_name=service.service_name,
                )
                for name, service in created.items()
            },
            tags=tags,
            parent=environment,
        )
        if definition.jobs:
            jobs[env_name] = scheduled_jobs(env_name, definition, context, wiring, created, tags, environment)
        if definition.sites:
            sites[env_name] = environment_sites(
                env_name, definition.sites, plan.tier, context, wiring, source, tags, environment
            )
        if definition.functions:
            functions[env_name] = environment_functions(
                env_name,
                definition.functions,
                plan.tier,
                context,
                wiring,
                queue_access,
                definition_dir(source),
                source,
                tags,
                environment,
            )
    pulumi.export("environments", environments)
    if contract:  # what service projects attach to (components/attached.py)
        pulumi.export(CONTRACT_OUTPUT, {"version": CONTRACT_VERSION, "environments": contract})
    pulumi.export("services", services)
    pulumi.export("jobs", jobs)
    pulumi.export("sites", sites)
    pulumi.export("functions", functions)
    pulumi.export("databases", databases)
    if pipeline is not None:
        registry = Registry("registry", pipeline[0])
        pulumi.export("repositories", registry.repository_urls)
        pulumi.export("pipeline", Pipeline("pipeline", pipeline[1]).outputs())
    if organization is not None:
        for warning in organization.warnings:
            pulumi.log.warn(warning)
        pulumi.export("organization", _organization(organization))


def _organization(plan: OrganizationPlan) -> dict[str, object]:
    """The organization, and its security services when the file names a security account."""
    organization = Organization("org", plan.args)
    outputs: dict[str, object] = dict(organization.outputs())
    security = plan.security_args(organization, plan.args.aws_settings["region"], pulumi.get_project())
    if security is not None:
        identity = aws.get_caller_identity_output()
        outputs["security"] = OrganizationSecurity(
            "org-security",
            security,
            organization=organization.organization,
            root_id=organization.root_id,
            management_account_id=identity.account_id,
        ).outputs()
    return outputs


def _local_builds(
    plan: EnvironmentPlan, environment: Environment | AttachedEnvironment, context: AwsContext
) -> dict[str, tuple[pulumi.Output[str], pulumi.Output[str]]]:
    """Build and push the images this stack builds itself: (image by digest, repository ARN)."""
    if not plan.builds:
        return {}
    # Imported here: the docker-build SDK costs every other stack its import time.
    from muon.components.image_build import ImageBuild, ImageBuildArgs

    registry = Registry(
        f"{plan.name}-images",
        local_registry_args(plan.name, tuple(plan.builds), context=context, tags=plan.tags),
        opts=pulumi.ResourceOptions(parent=environment),
    )
    built = {}
    for service, build in plan.builds.items():
        image = ImageBuild(
            f"{plan.name}-{service}-build",
            ImageBuildArgs(
                repository_url=registry.repository_urls[service],
                registry_id=context.account_id,
                context=str(build.context),
                dockerfile=str(build.dockerfile),
                tag=f"{DEPLOYED_TAG_PREFIX}{plan.name}-{build.tag}",
                target=build.target,
                build_args=build.args,
                cache_from=deployed_image(f"{context.namespace}-{plan.name}-{service}"),
            ),
            opts=pulumi.ResourceOptions(parent=environment),
        )
        built[service] = (image.image, registry.repository_arns[service])
    return built


def _database(
    plan: EnvironmentPlan,
    service_name: str,
    service_spec: ServiceSpec,
    environment: Environment | AttachedEnvironment,
    context: AwsContext,
    key_arn: str | None = None,
) -> Database:
    spec = service_spec.database
    assert spec is not None
    override = service_spec.environments.get(plan.name)
    args = database_args(
        service_name,
        spec,
        override.database if override else None,
        environment=plan.name,
        tier=plan.tier,
        context=context,
        zones=plan.zones,
        vpc_id=environment.network.vpc_id,
        subnet_ids=environment.network.isolated_subnet_ids,
        alarm_topic_arn=environment.alarm_topic_arn,
        log_retention_days=environment.log_retention_days,
        password=plan.passwords[service_name],
        tags=plan.tags | backup_tag(plan),
        key_arn=key_arn,
    )
    continuous = continuous_backup_days(plan.args.continuity if plan.args else None)
    if continuous is not None and spec.backup_retention is None:
        # AWS Backup's point-in-time restore sets the cluster's retention: the stack says the same.
        args = dataclasses.replace(args, backup_retention_days=continuous)
    return Database(
        f"{plan.name}-{service_name}-database",
        args,
        opts=pulumi.ResourceOptions(parent=environment),
    )


def backup_tag(plan: EnvironmentPlan) -> dict[str, str]:
    """The tag that puts a stateful resource in its environment's backup plan (see components/backup.py)."""
    if plan.args is not None:
        owner = plan.args.continuity.name if plan.args.continuity else None
    else:
        assert plan.platform is not None
        owner = plan.platform.entry.get("backupTag")
    return {BACKUP_TAG: owner} if owner else {}
