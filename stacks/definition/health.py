"""A service's health checks in ``muon.yaml``: the load balancer's (``healthCheck``) and the
container's own (``containerHealthCheck``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from muon.stacks.definition.fields import Spec, _PathError, pattern
from muon.stacks.definition.types import Arguments


def _http_codes(value: str) -> str:
    """ELB's Matcher: HTTP codes 200 to 499, each range low to high (CreateTargetGroup, HttpCode)."""
    for part in value.split(","):
        low, _, high = part.partition("-")
        if not 200 <= int(low) <= 499 or (high and not int(low) < int(high) <= 499):
            raise ValueError(f"{part}: a load balancer's health check takes codes 200 to 499, low-high")
    return value


class HealthCheckSpec(Spec):
    path: Annotated[
        str,
        pattern(r"^/[\x21-\x7e]*$", "a URL path starting with '/'"),
        Field(max_length=1024),  # CreateTargetGroup: HealthCheckPath, 1 to 1024 characters
    ] = "/"
    matcher: Annotated[
        str,
        pattern(r"^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$", "HTTP codes such as 200 or 200-399"),
        AfterValidator(_http_codes),
    ] = "200-399"
    interval: int = Field(default=15, ge=5, le=300)
    timeout: int = Field(default=5, ge=2, le=120)
    healthy_threshold: int = Field(default=2, ge=2, le=10)
    unhealthy_threshold: int = Field(default=3, ge=2, le=10)
    grace_period: int = Field(
        default=60, ge=0, le=2147483647, description="Seconds ECS ignores failures after start."
    )

    @model_validator(mode="after")
    def _check(self) -> HealthCheckSpec:
        if self.timeout >= self.interval:
            raise ValueError(f"timeout ({self.timeout}) must be shorter than interval ({self.interval})")
        return self


class ContainerHealthCheckSpec(Spec):
    """ECS's HealthCheck inside a container: the service's ``containerHealthCheck``, a sidecar's
    ``healthCheck``."""

    command: Arguments = Field(
        min_length=1, description='e.g. ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]'
    )
    interval: int = Field(default=30, ge=5, le=300)
    timeout: int = Field(default=5, ge=2, le=60)
    retries: int = Field(default=3, ge=1, le=10)
    start_period: int = Field(default=0, ge=0, le=300)

    @model_validator(mode="after")
    def _check(self) -> ContainerHealthCheckSpec:
        # ECS API reference, HealthCheck: "The string array must start with CMD to run the command
        # arguments directly, or CMD-SHELL to run the command with the container's default shell".
        if self.command[0] not in ("CMD", "CMD-SHELL", "NONE"):
            raise _PathError(
                ("command", 0), f"'{self.command[0][:40]}': the command starts with CMD, CMD-SHELL or NONE"
            )
        return self
