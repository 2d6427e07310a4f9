"""The Pulumi program: read the stack's settings and the definition, compose the components."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_aws as aws
from pulumi.runtime import config as runtime_config

from components.context import AwsContext
from components.database import Database
from components.environment import Environment, EnvironmentArgs
from components.service import Service
from stacks.databases import (
    database_access,
    database_args,
    database_placeholders,
    find_password,
    parameter_name,
)
from stacks.definition import Definition, ServiceSpec, Tier, tier_of
from stacks.environments import environment_args
from stacks.loader import load_definition
from stacks.services import DatabaseWiring, choose_image, listener_priorities, service_args
from stacks.settings import StackSettings, check_selection, settings_from_config

PROJECT_DIR = Path(__file__).resolve().parent.parent


def stack_config() -> dict[str, str]:
    """Every config value of the running stack, as Pulumi passes them (strings)."""
    # pulumi.Config reads one key at a time; listing all keys (to reject unknown muon: keys)
    # needs the runtime's map: what the engine passed plus what set_all_config set.
    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def load_inputs(stack: str, project_dir: Path = PROJECT_DIR) -> tuple[StackSettings, Definition]:
    """Validate the stack's settings and its definition, before any resource is declared."""
    stack_source = f"Pulumi.{stack}.yaml"
    settings = settings_from_config(stack_config(), stack_source)
    definition_path = project_dir / settings.definition
    definition = load_definition(definition_path)
    check_selection(settings, definition, stack_source, settings.definition)
    return settings, definition


def resolve_context() -> tuple[AwsContext, list[str]]:
    identity = aws.get_caller_identity()
    region = aws.get_region()
    partition = aws.get_partition()
    zones = aws.get_availability_zones(
        state="available",
        # Local and Wavelength zones are opt-in and cannot host every service.
        filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}],
    )
    context = AwsContext(account_id=identity.account_id, region=region.region, partition=partition.partition)
    return context, sorted(zones.names)


def run(offline: bool = False) -> None:
    """Declare the stack's resources. ``offline``: rendering for the offline plan (placeholders allowed)."""
    stack = pulumi.get_stack()
    settings, definition = load_inputs(stack)
    source = settings.definition  # problems found while composing name the definition file
    priorities = listener_priorities(definition.services, source)
    context, zones = resolve_context()
    environments: dict[str, object] = {}
    services: dict[str, dict[str, object]] = {}
    databases: dict[str, dict[str, object]] = {}
    for env_name in settings.environments:
        env_spec = definition.environments[env_name]
        tags = {"muon:project": pulumi.get_project(), "muon:stack": stack, "muon:environment": env_name}
        args = environment_args(env_name, env_spec, context=context, zones=zones, source=source, tags=tags)
        tier = tier_of(env_name, env_spec)
        environment = Environment(env_name, args)
        environments[env_name] = environment.outputs()
        wiring = environment.wiring()
        services[env_name] = {}
        for service_name, service_spec in definition.services.items():
            image = choose_image(service_name, service_spec, settings.images, offline=offline)
            database = None
            if service_spec.database is not None:
                database = _database(
                    env_name, service_name, service_spec, environment, args, context, tier, tags
                )
                databases.setdefault(env_name, {})[service_name] = database.outputs()
            service = Service(
                f"{env_name}-{service_name}",
                service_args(
                    service_name,
                    service_spec,
                    environment=env_name,
                    tier=tier,
                    context=context,
                    wiring=wiring,
                    priority=priorities[service_name],
                    image=image,
                    source=source,
                    tags=tags,
                    database=(
                        DatabaseWiring(
                            placeholders=database_placeholders(database, service_spec.database, service_name),
                            access=database_access(database, service_spec.database, service_name, context),
                            iam_authentication=service_spec.database.iam_authentication,
                        )
                        if database is not None and service_spec.database is not None
                        else None
                    ),
                ),
                opts=pulumi.ResourceOptions(parent=environment),
            )
            services[env_name][service_name] = service.outputs(wiring)
    pulumi.export("environments", environments)
    pulumi.export("services", services)
    pulumi.export("databases", databases)


def _database(
    env_name: str,
    service_name: str,
    service_spec: ServiceSpec,
    environment: Environment,
    env_args: EnvironmentArgs,
    context: AwsContext,
    tier: Tier,
    tags: dict[str, str],
) -> Database:
    spec = service_spec.database
    assert spec is not None
    override = service_spec.environments.get(env_name)
    name = parameter_name(spec.password_parameter, env_name, service_name)
    password = find_password(name, f"{pulumi.get_project()}/{pulumi.get_stack()}", spec.password_version)
    return Database(
        f"{env_name}-{service_name}-database",
        database_args(
            service_name,
            spec,
            override.database if override else None,
            environment=env_name,
            tier=tier,
            context=context,
            zones=env_args.network.availability_zones,
            vpc_id=environment.network.vpc_id,
            subnet_ids=environment.network.isolated_subnet_ids,
            alarm_topic_arn=environment.alarm_topic_arn,
            log_retention_days=environment.log_retention_days,
            password=password,
            tags=tags,
        ),
        opts=pulumi.ResourceOptions(parent=environment),
    )
