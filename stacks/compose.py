"""The Pulumi program: compose the components from what ``stacks/resolve/stack.py`` decided."""

from __future__ import annotations

import dataclasses
import gc
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from pulumi.runtime import config as runtime_config

from muon.components.attached import CONTRACT_OUTPUT, CONTRACT_VERSION, AttachedEnvironment, contract_entry
from muon.components.context import AwsContext
from muon.components.dashboard import (
    DatabasePanel,
    FunctionPanel,
    ServicePanel,
    SitePanel,
    environment_dashboard,
)
from muon.components.environment import Environment
from muon.components.function import Function
from muon.components.load_balancers import extra_load_balancer_alarm_name
from muon.components.org_security import OrganizationSecurity
from muon.components.organization import Organization
from muon.components.pipeline import Pipeline
from muon.components.registry import Registry
from muon.components.retention import retained
from muon.components.service import Service
from muon.components.service_args import EnvironmentWiring
from muon.components.site import StaticSite
from muon.components.tagging import boundary_transformation, tag_transformation
from muon.stacks.compose_services import Place, compose_services, local_builds
from muon.stacks.compose_workloads import (
    admit_callers,
    environment_functions,
    environment_sites,
    scheduled_jobs,
    service_connect_namespace,
    service_topics,
    worker_queues,
)
from muon.stacks.definition import Definition
from muon.stacks.definition.settings import organization_only, settings_from_config
from muon.stacks.definition.stack_config import aws_settings
from muon.stacks.extensions import Extension, ServiceWiring, extend_environment, load_extensions
from muon.stacks.extensions import transformation as extension_transformation
from muon.stacks.facts import PulumiFacts
from muon.stacks.resolve.environment_plan import EnvironmentPlan
from muon.stacks.resolve.inputs import Running
from muon.stacks.resolve.organization import OrganizationPlan
from muon.stacks.resolve.stack import (
    StackPlan,
    definition_dir,
    prepare_organization,
    prepare_stack,
    project_dir,
)
from muon.stacks.wiring.organization import security_args

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


@dataclass
class Exports:
    """What the stack exports, gathered environment by environment."""

    environments: dict[str, object] = field(default_factory=dict)
    contract: dict[str, object] = field(default_factory=dict)
    """What service projects attach to (components/attached.py): this stack's own environments."""
    services: dict[str, dict[str, dict[str, pulumi.Input[object]]]] = field(default_factory=dict)
    """Environment → service → its outputs."""
    databases: dict[str, dict[str, object]] = field(default_factory=dict)
    jobs: dict[str, dict[str, object]] = field(default_factory=dict)
    sites: dict[str, dict[str, object]] = field(default_factory=dict)
    functions: dict[str, dict[str, object]] = field(default_factory=dict)


def stack_config() -> dict[str, str]:
    """Every config value of the running stack, as Pulumi passes them (strings)."""
    # pulumi.Config reads one key at a time; listing all keys (to reject unknown muon: keys)
    # needs the runtime's map: what the engine passed plus what set_all_config set.
    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def running() -> Running:
    """The stack this program runs as, read from the runtime once: the resolve stage asks it nothing."""
    return Running(
        project=pulumi.get_project(),
        stack=pulumi.get_stack(),
        config=stack_config(),
        organization=pulumi.get_organization(),
    )


def run() -> None:
    """Declare the stack's resources: the same under `pulumi up`, a preview and the offline plan."""
    _freeze_imports()
    this = running()
    settings = settings_from_config(this.config, f"Pulumi.{this.stack}.yaml")
    if organization_only(settings):
        _compose_organization(prepare_organization(this, settings))
        return
    # Every check and every read of what exists, before the first resource is declared.
    plan = prepare_stack(this, settings, PulumiFacts(aws_settings(this.config)))
    definition = plan.definition
    for note in plan.notes:  # the renames it deploys (stacks/resolve/renames.py)
        pulumi.log.info(note)
    if definition.tags:  # every resource of the stack; an environment's own tags go over them
        pulumi.runtime.register_stack_transformation(tag_transformation(definition.tags))
    if definition.permissions_boundary:
        pulumi.runtime.register_stack_transformation(boundary_transformation(definition.permissions_boundary))
    # The company's own hooks last: they see (and may change) what muon and the rules above set.
    extensions = load_extensions(definition.extensions, project_dir(), plan.source)
    if any(extension.transform for extension in extensions):
        pulumi.runtime.register_stack_transformation(extension_transformation(extensions))
    organization = prepare_organization(this, settings)
    exports = Exports()
    for environment in plan.environments:
        _compose_environment(environment, plan, extensions, exports)
    _export(exports)
    if plan.pipeline is not None:
        registry = Registry("registry", plan.pipeline[0], opts=retained())
        pulumi.export("repositories", registry.repository_urls)
        pulumi.export("pipeline", Pipeline("pipeline", plan.pipeline[1], opts=retained()).outputs())
    if organization is not None:
        _compose_organization(organization)


def _export(exports: Exports) -> None:
    pulumi.export("environments", exports.environments)
    if exports.contract:
        pulumi.export(CONTRACT_OUTPUT, {"version": CONTRACT_VERSION, "environments": exports.contract})
    pulumi.export("services", exports.services)
    pulumi.export("jobs", exports.jobs)
    pulumi.export("sites", exports.sites)
    pulumi.export("functions", exports.functions)
    pulumi.export("databases", exports.databases)


def _compose_organization(organization: OrganizationPlan | None) -> None:
    assert organization is not None
    for warning in organization.warnings:
        pulumi.log.warn(warning)
    pulumi.export("organization", _organization(organization))


def _environment(
    plan: EnvironmentPlan, stack: StackPlan, exports: Exports
) -> Environment | AttachedEnvironment | None:
    """The environment itself: this stack's own, or the platform's it attaches to. None: a
    created zone awaiting its delegation, the only thing declared until muon:delegatedZones
    names it."""
    env_tags = stack.definition.environments[plan.name].tags
    options = pulumi.ResourceOptions(transformations=[tag_transformation(env_tags)]) if env_tags else None
    # Production keeps its logs, buckets, vaults and repositories when they leave the stack.
    options = pulumi.ResourceOptions.merge(options, retained(plan.tier == "production"))
    environment: Environment | AttachedEnvironment
    if plan.platform is not None:
        environment = AttachedEnvironment(
            plan.name, plan.platform.entry, plan.platform.reference, opts=options
        )
    else:
        assert plan.args is not None
        environment = Environment(plan.name, plan.args, opts=options)
        if environment.awaiting_delegation:
            exports.environments[plan.name] = {**environment.outputs(), "tier": plan.tier}
            return None
        exports.contract[plan.name] = contract_entry(
            environment, tier=plan.tier, context=stack.context, zones=list(plan.zones)
        )
    exports.environments[plan.name] = {
        **environment.outputs(),
        "tier": plan.tier,
        "namespace": stack.context.namespace,
    }
    return environment


def _compose_environment(
    plan: EnvironmentPlan, stack: StackPlan, extensions: list[Extension], exports: Exports
) -> None:
    """One environment and everything in it, from its plan: nothing left to check."""
    definition, context, env_name = stack.definition, stack.context, plan.name
    for warning in plan.warnings:
        pulumi.log.warn(warning)
    environment = _environment(plan, stack, exports)
    if environment is None:  # its zone only, until muon:delegatedZones names it
        return
    wiring = dataclasses.replace(
        environment.wiring(),
        service_connect_namespace_arn=service_connect_namespace(
            env_name, definition, context, plan.tags, environment
        ),
    )
    built = local_builds(plan, environment, context, definition.services)
    topics = service_topics(env_name, definition, context, wiring, plan.tags, environment)
    queues = worker_queues(env_name, definition, context, wiring, plan.tags, environment, topics)
    queue_access = {name: queue.access() for name, queue in queues.items()}
    place = Place(plan, stack, environment, wiring, queue_access, topics)
    services, panels = compose_services(place, built, exports)
    for name, queue in queues.items():
        exports.services[env_name][name] |= {
            "queueUrl": queue.url,
            "deadLetterQueueUrl": queue.dead_letter_url,
        }
    admit_callers(definition, services)
    _extend(extensions, place, services)
    if definition.jobs:
        exports.jobs[env_name] = scheduled_jobs(
            env_name, definition, context, wiring, services, plan.tags, environment
        )
    # Empty when the definition declares none: no component, no export.
    sites = environment_sites(
        env_name, definition.sites, plan.tier, context, wiring, plan.site_hosts, plan.tags, environment
    )
    functions = environment_functions(
        env_name,
        definition.functions,
        plan.tier,
        context,
        wiring,
        queue_access,
        definition_dir(stack.source),
        plan.function_hosts,
        plan.tags,
        environment,
    )
    if sites:
        exports.sites[env_name] = {name: site.outputs() for name, site in sites.items()}
    if functions:
        exports.functions[env_name] = {name: function.outputs() for name, function in functions.items()}
    if isinstance(environment, Environment):
        _dashboard(env_name, definition, context, wiring, environment, services, panels, functions, sites)


def _extend(extensions: list[Extension], place: Place, services: dict[str, Service]) -> None:
    """The company's ``extend`` hooks, once the environment's services exist."""
    extend_environment(
        extensions,
        environment=place.plan.name,
        tier=place.plan.tier,
        aws=place.stack.context,
        wiring=place.wiring,
        services={
            name: ServiceWiring(
                name=name,
                security_group_id=service.security_group_id,
                task_role_name=service.task_role_name,
                execution_role_name=service.execution_role_name,
                service_name=service.service_name,
            )
            for name, service in services.items()
        },
        tags=place.plan.tags,
        parent=place.environment,
    )


def _dashboard(
    env_name: str,
    definition: Definition,
    context: AwsContext,
    wiring: EnvironmentWiring,
    environment: Environment,
    services: dict[str, Service],
    databases: list[DatabasePanel],
    functions: dict[str, Function],
    sites: dict[str, StaticSite],
) -> None:
    """The environment's dashboard, once everything it shows exists in the program."""
    balancers, specs = environment.load_balancers, definition.services
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
                load_balancer_arn_suffix=balancers[group].arn_suffix
                if (group := specs[name].load_balancer) in balancers
                else None,
            )
            for name, service in services.items()
        ],
        load_balancers={group: balancer.arn_suffix for group, balancer in balancers.items()},
        databases=databases,
        environment_alarm_names=(
            f"{context.namespace}-{env_name}-load-balancer-5xx",
            *[
                extra_load_balancer_alarm_name(context.namespace, env_name, g)
                for g in environment.load_balancers
            ],
        ),
        functions=tuple(
            FunctionPanel(name=name, function_name=f.name_in_aws, alarm_names=tuple(f.alarm_names))
            for name, f in functions.items()
        ),
        sites=tuple(SitePanel(name=name, distribution_id=s.distribution_id) for name, s in sites.items()),
        opts=pulumi.ResourceOptions(parent=environment),
    )


def _organization(plan: OrganizationPlan) -> dict[str, object]:
    """The organization, and its security services when the file names a security account."""
    organization = Organization("org", plan.args, opts=retained())
    outputs: dict[str, object] = dict(organization.outputs())
    security = security_args(plan, organization, plan.args.aws_settings["region"], pulumi.get_project())
    if security is not None:
        identity = aws.get_caller_identity_output()
        outputs["security"] = OrganizationSecurity(
            "org-security",
            security,
            organization=organization.organization,
            root_id=organization.root_id,
            management_account_id=identity.account_id,
            opts=retained(),  # the organization trail's buckets: the audit trail
        ).outputs()
    return outputs
