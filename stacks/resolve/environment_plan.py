"""One environment of the stack planned: attached or its own, its arguments, tags, placement,
services, databases' passwords and images — every check that can fail and every read of what
exists (``facts``), before anything is declared."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from muon.components.cluster import is_arm64
from muon.components.context import AwsContext
from muon.components.database import ExistingPassword, GeneratedPassword
from muon.components.environment import EnvironmentArgs
from muon.stacks.definition import Definition, Tier, tier_of
from muon.stacks.definition.settings import StackSettings
from muon.stacks.facts import Facts
from muon.stacks.resolve.attach import (
    Platform,
    check_shared_patterns,
    check_shared_priorities,
    listener_claims,
    read_platform,
)
from muon.stacks.resolve.builds import BuildPlan
from muon.stacks.resolve.databases import database_parameters, plan_databases
from muon.stacks.resolve.environments import environment_args
from muon.stacks.resolve.functions import function_hosts
from muon.stacks.resolve.hosts import host_image
from muon.stacks.resolve.images import Cluster, choose_images
from muon.stacks.resolve.inputs import Inputs, Running
from muon.stacks.resolve.messaging import (
    check_attached_subscriptions,
    customer_key_warning,
    with_topic_delivery,
)
from muon.stacks.resolve.names import check_names
from muon.stacks.resolve.routing import (
    listener_priorities,
    load_balancer_groups,
    refuse_attached_load_balancers,
)
from muon.stacks.resolve.services import ServicePlan, ServiceSetting, plan_service
from muon.stacks.resolve.sites import site_hosts
from muon.stacks.resolve.workloads import check_job, with_task_metrics


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
    platform, priorities = attach(env_name, inputs, context, priorities, facts)
    tier: Tier = platform.entry["tier"] if platform else tier_of(env_name, env_spec)
    tags = environment_tags(env_name, tier, context, inputs.running)
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
        managed_by=inputs.running.managed_by,
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
        + customer_key_warning(env_name, definition, context, source)
        + ami_warnings,
        zones=placement.zones,
        site_hosts=site_hosts_,
        function_hosts=function_hosts_,
        platform=platform,
    )


def attach(
    env_name: str,
    inputs: Inputs,
    context: AwsContext,
    priorities: dict[str, int],
    facts: Facts,
) -> tuple[Platform | None, dict[str, int]]:
    """The platform an attached environment runs on, and the services' priorities there: on a
    listener other projects share, salted by namespace and checked against its rules."""
    definition, source, ours = inputs.definition, inputs.settings.definition, inputs.running.managed_by
    spec = definition.environments[env_name].attach
    if spec is None:
        return None, priorities
    refuse_attached_load_balancers(env_name, definition.services, source)
    platform = read_platform(env_name, spec, context, source, facts)
    priorities = listener_priorities(definition.services, source, salt=context.namespace)
    claims = listener_claims(env_name, platform, facts, source)  # one read serves both checks
    check_shared_priorities(env_name, platform, priorities, claims, source, ours)
    check_shared_patterns(env_name, platform, definition.services, claims, source, ours)
    return platform, priorities


def environment_tags(env_name: str, tier: Tier, context: AwsContext, running: Running) -> dict[str, str]:
    return {
        "muon:project": running.project,
        "muon:namespace": context.namespace,
        "muon:stack": running.stack,
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
    if platform is not None:
        check_attached_subscriptions(env_name, definition, platform.reference_name, source)
    args = (
        None
        if platform
        else environment_args(env_name, spec, context=context, zones=zones, source=source, tags=tags)
    )
    args = with_task_metrics(env_name, spec, args, platform, definition, source)
    args = with_topic_delivery(env_name, definition, context, args)
    extra = tuple(group for group in load_balancer_groups(definition.services) if group is not None)
    if args is not None and extra:
        args = dataclasses.replace(args, load_balancers=extra)
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
    ami, warning = host_image(
        args.cluster.image_id,
        where=where,
        region=context.region,
        facts=facts,
        arm64=is_arm64(args.cluster.instance_type),
    )
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
