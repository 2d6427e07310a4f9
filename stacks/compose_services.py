"""An environment's services, each with its database and its locally built image, composed from
their plans (``stacks/resolve``): nothing left to check or to read."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pulumi

from muon.components.attached import AttachedEnvironment
from muon.components.context import AwsContext
from muon.components.dashboard import DatabasePanel
from muon.components.database import Database
from muon.components.environment import Environment
from muon.components.registry import DEPLOYED_TAG_PREFIX, Registry
from muon.components.service import Service
from muon.components.service_args import EnvironmentWiring, QueueAccess, TopicAccess
from muon.components.storage import ServiceStorage
from muon.components.tags import BACKUP_TAG
from muon.stacks.definition import Definition, ServiceSpec
from muon.stacks.resolve.continuity import continuous_backup_days
from muon.stacks.resolve.environment_plan import EnvironmentPlan
from muon.stacks.resolve.images import awaiting_image_warning
from muon.stacks.resolve.pipelines import local_registry_args
from muon.stacks.resolve.renames import former_service
from muon.stacks.resolve.stack import StackPlan, project_dir
from muon.stacks.resolve.workloads import creation_order
from muon.stacks.wiring.databases import database_access, database_args, database_placeholders
from muon.stacks.wiring.services import DatabaseWiring, service_args, service_moved, workload_wiring
from muon.stacks.wiring.storage import storage_args

if TYPE_CHECKING:
    from muon.stacks.compose import Exports


@dataclass(frozen=True)
class Place:
    """Where an environment's services are composed: its plan and its resources."""

    plan: EnvironmentPlan
    stack: StackPlan
    environment: Environment | AttachedEnvironment
    wiring: EnvironmentWiring
    queues: dict[str, QueueAccess]
    topics: dict[tuple[str, str], TopicAccess] = field(default_factory=dict)


def compose_services(
    place: Place, built: dict[str, tuple[pulumi.Output[str], pulumi.Output[str]]], exports: Exports
) -> tuple[dict[str, Service], list[DatabasePanel]]:
    """Each service of the environment, with its database; the databases' dashboard panels. In
    the definition's order, but every service after the backends it calls (``creation_order``)."""
    plan, context, wiring = place.plan, place.stack.context, place.wiring
    services: dict[str, Service] = {}
    panels: dict[str, DatabasePanel] = {}
    outputs: dict[str, dict[str, pulumi.Input[object]]] = {}
    for name in creation_order(place.stack.definition.services):
        image, repository_arn = built.get(name, (plan.images[name], None))
        if image is None:
            pulumi.log.warn(awaiting_image_warning(name, plan.name))
        database = _database_wiring(place, name, exports, panels)
        storage = _storage(place, name)
        service = Service(
            f"{plan.name}-{name}",
            service_args(
                plan.services[name],
                environment=plan.name,
                context=context,
                wiring=_load_balancer_wiring(place, name),
                image=image,
                tags=plan.tags,
                database=database,
                image_repository_arn=repository_arn,
                storage=storage.access if storage is not None else None,
                workload=workload_wiring(
                    name,
                    place.stack.definition.services,
                    namespace_arn=wiring.service_connect_namespace_arn,
                    queues=place.queues,
                    topics=place.topics,
                    backends={created: made.service_name for created, made in services.items()},
                ),
            ),
            opts=pulumi.ResourceOptions(parent=place.environment).merge(
                service_moved(plan.name, name, place.stack.definition.services[name])
            ),
        )
        services[name] = service
        outputs[name] = service.outputs(wiring)
    # Backends were created first; from here on, the definition's order.
    order = list(place.stack.definition.services)
    exports.services[plan.name] = {name: outputs[name] for name in order}
    return {name: services[name] for name in order}, [panels[name] for name in order if name in panels]


def _load_balancer_wiring(place: Place, service: str) -> EnvironmentWiring:
    """The environment's wiring, behind the load balancer the service names (the first by default)."""
    group = place.stack.definition.services[service].load_balancer
    if group is None or not isinstance(place.environment, Environment):
        return place.wiring  # an attached environment refuses loadBalancer (resolve/routing.py)
    return place.environment.load_balancer_wiring(place.wiring, group)


def _database_wiring(
    place: Place, service: str, exports: Exports, panels: dict[str, DatabasePanel]
) -> DatabaseWiring | None:
    """The service's database (None without one), its exports and its dashboard panel."""
    spec = place.stack.definition.services[service].database
    if spec is None:
        return None
    # A renamed service's database keeps its identities: its IAM user (stacks/resolve/renames.py).
    kept = former_service(service, place.stack.definition.services[service])
    plan, context = place.plan, place.stack.context
    database = _database(plan, service, place.stack.definition, place.environment, context)
    exports.databases.setdefault(plan.name, {})[service] = database.outputs()
    panels[service] = DatabasePanel(
        identifier=database.cluster_identifier,
        dimension=database.alarm_dimension,
        alarm_names=tuple(database.alarm_names),
    )
    return DatabaseWiring(
        placeholders=database_placeholders(
            spec,
            kept,
            endpoint=database.endpoint,
            reader_endpoint=database.reader_endpoint,
            port=database.port,
        ),
        access=database_access(database, spec, kept, context, plan.passwords[service]),
        iam_authentication=spec.iam_authentication,
    )


def _storage(place: Place, service: str) -> ServiceStorage | None:
    """The service's own buckets, tables and volumes in this environment (None without any)."""
    spec = place.stack.definition.services[service]
    if spec.storage is None:
        return None
    plan, wiring = place.plan, place.wiring
    return ServiceStorage(
        f"{plan.name}-{service}-storage",
        storage_args(
            spec.storage,
            # A renamed service's storage keeps its AWS names (stacks/resolve/renames.py).
            kept=former_service(service, spec),
            environment=plan.name,
            context=place.stack.context,
            key_arn=wiring.key_arn,
            production=wiring.production,
            network={
                "vpc_id": wiring.vpc_id,
                "subnet_ids": wiring.private_subnet_ids,
                "zones": private_subnet_count(plan),
            },
            tags=plan.tags | backup_tag(plan) | {"muon:service": service},
        ),
        opts=pulumi.ResourceOptions(parent=place.environment).merge(service_moved(plan.name, service, spec)),
    )


def private_subnet_count(plan: EnvironmentPlan) -> int:
    """The environment's private subnets (one a zone): the network's own, an adopted VPC's, or
    the attached platform's."""
    if plan.args is not None and plan.args.network.existing is not None:
        return len(plan.args.network.existing.private_subnet_ids)
    if plan.platform is not None and isinstance(plan.platform.entry.get("privateSubnetIds"), list):
        return len(plan.platform.entry["privateSubnetIds"])
    return len(plan.zones)


def local_builds(
    plan: EnvironmentPlan,
    environment: Environment | AttachedEnvironment,
    context: AwsContext,
    services: dict[str, ServiceSpec],
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
                platform=build.platform,
            ),
            opts=pulumi.ResourceOptions(parent=environment).merge(
                service_moved(plan.name, service, services[service])
            ),
        )
        built[service] = (image.image, registry.repository_arns[service])
    return built


def _database(
    plan: EnvironmentPlan,
    service_name: str,
    definition: Definition,
    environment: Environment | AttachedEnvironment,
    context: AwsContext,
) -> Database:
    service_spec = definition.services[service_name]
    spec = service_spec.database
    assert spec is not None
    override = service_spec.environments.get(plan.name)
    args = database_args(
        # A renamed service's database keeps its AWS names (stacks/resolve/renames.py).
        former_service(service_name, service_spec),
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
        key_arn=definition.keys.data,
    )
    continuous = continuous_backup_days(plan.args.continuity if plan.args else None)
    if continuous is not None and spec.backup_retention is None:
        # AWS Backup's point-in-time restore sets the cluster's retention: the stack says the same.
        args = dataclasses.replace(args, backup_retention_days=continuous)
    return Database(
        f"{plan.name}-{service_name}-database",
        args,
        opts=pulumi.ResourceOptions(parent=environment).merge(
            service_moved(plan.name, service_name, service_spec)
        ),
    )


def backup_tag(plan: EnvironmentPlan) -> dict[str, str]:
    """The tag that puts a stateful resource in its environment's backup plan (see components/backup.py)."""
    if plan.args is not None:
        owner = plan.args.continuity.name if plan.args.continuity else None
    else:
        assert plan.platform is not None
        owner = plan.platform.entry.get("backupTag")
    return {BACKUP_TAG: owner} if owner else {}
