"""The Pulumi program: compose the components from what ``stacks/resolve/stack.py`` decided."""

from __future__ import annotations

import dataclasses
import gc

import pulumi
import pulumi_aws as aws

from muon.components.attached import CONTRACT_OUTPUT, CONTRACT_VERSION, AttachedEnvironment, contract_entry
from muon.components.context import AwsContext
from muon.components.dashboard import (
    DatabasePanel,
    FunctionPanel,
    ServicePanel,
    SitePanel,
    environment_dashboard,
)
from muon.components.database import Database
from muon.components.environment import Environment
from muon.components.function import Function
from muon.components.org_security import OrganizationSecurity
from muon.components.organization import Organization
from muon.components.pipeline import Pipeline
from muon.components.registry import DEPLOYED_TAG_PREFIX, Registry
from muon.components.service import Service
from muon.components.service_args import EnvironmentWiring
from muon.components.site import StaticSite
from muon.components.tagging import boundary_transformation, tag_transformation
from muon.components.tags import BACKUP_TAG
from muon.stacks.definition import ServiceSpec
from muon.stacks.definition.settings import (
    organization_only,
    settings_from_config,
)
from muon.stacks.extensions import ServiceWiring, extend_environment, load_extensions
from muon.stacks.extensions import transformation as extension_transformation
from muon.stacks.resolve.continuity import continuous_backup_days
from muon.stacks.resolve.databases import (
    database_access,
    database_args,
    database_placeholders,
)
from muon.stacks.resolve.functions import environment_functions
from muon.stacks.resolve.organization import OrganizationPlan
from muon.stacks.resolve.pipelines import local_registry_args
from muon.stacks.resolve.services import (
    DatabaseWiring,
    awaiting_image_warning,
    listener_priorities,
    service_args,
    workload_wiring,
)
from muon.stacks.resolve.sites import environment_sites
from muon.stacks.resolve.stack import (
    EnvironmentPlan,
    definition_dir,
    load_inputs,
    namespace_of,
    prepare,
    prepare_organization,
    prepare_pipeline,
    project_dir,
    resolve_context,
    stack_config,
)
from muon.stacks.resolve.workloads import (
    admit_callers,
    creation_order,
    scheduled_jobs,
    service_connect_namespace,
    worker_queues,
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
    services: dict[str, dict[str, dict[str, pulumi.Input[object]]]] = {}  # environment → service → outputs
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
            if environment.awaiting_delegation:  # its zone only, until muon:delegatedZones names it
                environments[env_name] = {**environment.outputs(), "tier": plan.tier}
                continue
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
        panels: dict[str, DatabasePanel] = {}  # the environment's databases, for its dashboard
        services[env_name] = {}
        for service_name in creation_order(definition.services):
            service_spec = definition.services[service_name]
            image, repository_arn = built.get(service_name, (plan.images[service_name], None))
            if image is None:
                pulumi.log.warn(awaiting_image_warning(service_name, env_name))
            database_wiring = None
            if service_spec.database is not None:
                database = _database(
                    plan, service_name, service_spec, environment, context, definition.keys.data
                )
                databases.setdefault(env_name, {})[service_name] = database.outputs()
                panels[service_name] = DatabasePanel(
                    identifier=database.cluster_identifier,
                    dimension=database.alarm_dimension,
                    alarm_names=tuple(database.alarm_names),
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
                        backends={name: made.service_name for name, made in created.items()},
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
        # Backends were created first (creation_order); from here on, the definition's order.
        created = {name: created[name] for name in definition.services}
        services[env_name] = {name: services[env_name][name] for name in definition.services}
        admit_callers(definition, created)
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
        # Empty when the definition declares none: no component, no export.
        built_sites = environment_sites(
            env_name, definition.sites, plan.tier, context, wiring, source, tags, environment
        )
        built_functions = environment_functions(
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
        if built_sites:
            sites[env_name] = {name: site.outputs() for name, site in built_sites.items()}
        if built_functions:
            functions[env_name] = {name: function.outputs() for name, function in built_functions.items()}
        if isinstance(environment, Environment):
            databases_shown = [panels[name] for name in definition.services if name in panels]
            _dashboard(
                env_name, context, wiring, environment, created, databases_shown, built_functions, built_sites
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


def _dashboard(
    env_name: str,
    context: AwsContext,
    wiring: EnvironmentWiring,
    environment: Environment,
    services: dict[str, Service],
    databases: list[DatabasePanel],
    functions: dict[str, Function],
    sites: dict[str, StaticSite],
) -> None:
    """The environment's dashboard, once everything it shows exists in the program."""
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
            for name, service in services.items()
        ],
        databases=databases,
        environment_alarm_names=(f"{context.namespace}-{env_name}-load-balancer-5xx",),
        functions=tuple(
            FunctionPanel(name=name, function_name=f.name_in_aws, alarm_names=tuple(f.alarm_names))
            for name, f in functions.items()
        ),
        sites=tuple(SitePanel(name=name, distribution_id=s.distribution_id) for name, s in sites.items()),
        opts=pulumi.ResourceOptions(parent=environment),
    )


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
        location, dockerfile = build.locations(project_dir())
        image = ImageBuild(
            f"{plan.name}-{service}-build",
            ImageBuildArgs(
                repository_url=registry.repository_urls[service],
                registry_id=context.account_id,
                context=location,
                dockerfile=dockerfile,
                tag=f"{DEPLOYED_TAG_PREFIX}{plan.name}-{build.tag}",
                target=build.target,
                build_args=build.args,
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
