"""A service's other containers in one environment: its sidecars as the Service takes them, and
the share of the task they reserve."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from muon.components.registry import repository_arn_of
from muon.components.service_args import ContainerHealthCheck, LogRouting, Sidecar
from muon.components.service_containers import ROUTER_MEMORY
from muon.stacks.definition import ServiceSpec
from muon.stacks.definition.fields import SecretReference, SecretsManagerSpec
from muon.stacks.errors import DefinitionError
from muon.stacks.resolve.secrets_manager import managed_secret

if TYPE_CHECKING:
    from muon.stacks.resolve.services import ServiceSetting

SecretsOf = Callable[[dict[str, SecretReference], str], tuple[dict[str, str], dict[str, str]]]
"""(declared secrets, where) → (variable → parameter ARN, variable → its own KMS key)."""
CheckValue = Callable[[str, str], None]
"""(value, where): refuses a placeholder the container does not have."""


def _values(spec: ServiceSpec, name: str, environment: str) -> dict[str, str]:
    """A sidecar's variables in this environment (a value may be a map of environment to value)."""
    picked: dict[str, str] = {}
    for variable, value in spec.sidecars[name].environment.items():
        chosen = value.get(environment) if isinstance(value, dict) else value
        if chosen is not None:
            picked[variable] = chosen
    return picked


def plan_sidecars(
    service: str,
    spec: ServiceSpec,
    setting: ServiceSetting,
    size: tuple[int, int],
    secrets_of: SecretsOf,
    check_value: CheckValue,
) -> tuple[Sidecar, ...]:
    """The sidecars, their secrets as ARNs and their variables with their ``${placeholders}``
    still in (replaced once the environment's resources exist); their reservations fit the task."""
    check_reservations(service, spec, setting, size)
    sidecars = []
    for name, sidecar in spec.sidecars.items():
        where = f"services.{service}.sidecars.{name}"
        secrets, keys = secrets_of(sidecar.secrets, f"{where}.secrets")
        managed = {
            variable: managed_secret(
                declared,
                setting.context,
                environment=setting.environment,
                service=service,
                where=f"{setting.source}: {where}.secrets.{variable}",
            )
            for variable, declared in sidecar.secrets.items()
            if isinstance(declared, SecretsManagerSpec)
        }
        values = _values(spec, name, setting.environment)
        for variable, value in values.items():
            check_value(value, f"{where}.environment.{variable}")
        check = sidecar.health_check
        sidecars.append(
            Sidecar(
                name=name,
                image=sidecar.image,
                port=sidecar.port,
                essential=sidecar.essential,
                depends_on=tuple(sidecar.depends_on.items()),
                command=tuple(sidecar.command or ()),
                environment=dict(values),
                secrets=secrets,
                secret_keys=keys,
                managed_secrets=managed,
                cpu=sidecar.cpu,
                memory=sidecar.memory,
                health_check=ContainerHealthCheck(
                    command=tuple(check.command),
                    interval=check.interval,
                    timeout=check.timeout,
                    retries=check.retries,
                    start_period=check.start_period,
                )
                if check is not None
                else None,
                readonly_root_filesystem=sidecar.readonly_root_filesystem,
                user=sidecar.user,
                repository_arn=repository_arn_of(sidecar.image),
            )
        )
    return tuple(sidecars)


def check_reservations(
    service: str, spec: ServiceSpec, setting: ServiceSetting, size: tuple[int, int]
) -> None:
    """What the other containers reserve leaves some of the task for the app: ECS refuses a task
    whose containers reserve more than the task's size (ECS developer guide, "Task size"), and a
    sidecar reserving all of it starves the app."""
    cpu, memory = size
    reserved_cpu = sum(s.cpu or 0 for s in spec.sidecars.values())
    reserved_memory = sum(s.memory or 0 for s in spec.sidecars.values())
    reserved_memory += ROUTER_MEMORY if spec.logging is not None else 0
    where = f"{setting.source}: services.{service}.sidecars"
    for what, reserved, total, key in (
        ("CPU units", reserved_cpu, cpu, "cpu"),
        ("MiB", reserved_memory, memory, "memory"),
    ):
        if reserved >= total:
            router = " (the log router's 50 MiB included)" if key == "memory" and spec.logging else ""
            raise DefinitionError(
                [
                    f"{where}: the sidecars reserve {reserved} {what}{router} of the task's {total} "
                    f"(environment {setting.environment}), leaving none for app; raise the service's "
                    f"{key} or lower theirs"
                ]
            )


def log_routing(spec: ServiceSpec) -> LogRouting | None:
    logging = spec.logging
    if logging is None:
        return None
    return LogRouting(
        destination=logging.destination,
        log_group=logging.log_group,
        delivery_stream=logging.delivery_stream,
        enable_metadata=logging.enable_metadata,
    )
