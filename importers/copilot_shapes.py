"""The shape of every value of a Copilot manifest the importer reads, checked before it reads any.

Copilot read its manifests into Go structs (``internal/pkg/manifest``): a list where a map is
expected, or a word where a number is, was an error there too (``copilot svc deploy`` refused it).
Here each such value is one line naming the file, the Copilot key and what Copilot takes — never a
traceback from deep inside the conversion. The walk is mu's (``importers/mu_shapes.py``).
"""

from __future__ import annotations

from typing import Any

from muon.importers.mu_shapes import walk
from muon.stacks.errors import DefinitionError

TYPES = (
    "Load Balanced Web Service",
    "Backend Service",
    "Worker Service",
    "Request-Driven Web Service",
    "Static Site",
    "Scheduled Job",
)
"""``manifestinfo/type.go``: the workload types."""

_CONFIG: dict[str, str] = {
    "image": "map",
    "image.location": "text",
    "image.build": "text or map",
    "image.build.*": "scalar",
    "image.build.args": "map",
    "image.build.args.*": "scalar",
    "image.build.cache_from": "list",
    "image.port": "whole",
    "image.healthcheck": "map",
    "image.healthcheck.command": "text or list",
    "image.healthcheck.*": "scalar",
    "image.depends_on": "map",
    "image.depends_on.*": "text",
    "cpu": "whole",
    "memory": "whole",
    "platform": "text or map",
    "count": "text or map",
    "count.range": "text or map",
    "count.range.min": "whole",
    "count.range.max": "whole",
    "count.cpu_percentage": "text or map",
    "count.memory_percentage": "text or map",
    "count.requests": "text or map",
    "count.cooldown": "map",
    "count.cooldown.in": "text",
    "count.cooldown.out": "text",
    "exec": "scalar",
    "entrypoint": "text or list",
    "command": "text or list",
    "variables": "map",
    "variables.*": "text or map",
    "secrets": "map",
    "secrets.*": "text or map",
    "secrets.*.secretsmanager": "text",
    "network": "map",
    "network.vpc": "map",
    "network.vpc.placement": "text or map",
    "network.connect": "text or map",
    "storage": "map",
    "storage.readonly_fs": "scalar",
    "storage.volumes": "map",
    "storage.volumes.*": "map",
    "storage.volumes.*.path": "text",
    "storage.volumes.*.read_only": "scalar",
    "storage.volumes.*.efs": "text or map",
    "logging": "map",
    "logging.retention": "whole",
    "logging.destination": "map",
    "logging.destination.*": "scalar",
    "observability": "map",
    "observability.tracing": "text",
    "sidecars": "map",
    "sidecars.*": "map",
    "sidecars.*.image": "text or map",
    "sidecars.*.port": "scalar",
    "sidecars.*.essential": "scalar",
    "sidecars.*.variables": "map",
    "sidecars.*.secrets": "map",
    "sidecars.*.command": "text or list",
    "sidecars.*.healthcheck": "map",
    "sidecars.*.depends_on": "map",
    "sidecars.*.depends_on.*": "text",
    "publish": "map",
    "publish.topics": "list",
    "publish.topics[]": "map",
    "publish.topics[].name": "text",
    "subscribe": "map",
    "subscribe.topics": "list",
    "subscribe.topics[]": "map",
    "subscribe.topics[].name": "text",
    "subscribe.topics[].service": "text",
    "subscribe.topics[].filter_policy": "map",
    "subscribe.queue": "map",
    "subscribe.queue.retention": "text",
    "subscribe.queue.timeout": "text",
    "subscribe.queue.dead_letter": "map",
    "subscribe.queue.dead_letter.tries": "whole",
    "deployment": "map",
    "deployment.rolling": "text",
    "http": "text or map",
    "http.path": "text",
    "http.healthcheck": "text or map",
    "http.healthcheck.path": "text",
    "http.healthcheck.success_codes": "text",
    "http.healthcheck.healthy_threshold": "whole",
    "http.healthcheck.unhealthy_threshold": "whole",
    "http.healthcheck.*": "scalar",
    "http.alias": "text or list",
    "http.deregistration_delay": "text",
    "http.stickiness": "scalar",
    "http.allowed_source_ips": "list",
    "http.allowed_source_ips[]": "text",
    "http.target_container": "text",
    "on": "map",
    "on.schedule": "text",
    "timeout": "text",
    "retries": "whole",
    "files": "list",
    "files[]": "map",
    "files[].*": "scalar",
}
SHAPES: dict[str, str] = {
    "name": "text",
    "type": "text",
    **_CONFIG,
    "environments": "map",
    "environments.*": "map",
    **{f"environments.*.{key}": shape for key, shape in _CONFIG.items()},
}
"""Copilot key (``[]`` a list's item, ``*`` a name of the file's own) → what Copilot takes there."""

ENVIRONMENT_SHAPES: dict[str, str] = {
    "name": "text",
    "type": "text",
    "network": "map",
    "network.vpc": "map",
    "network.vpc.id": "text",
    "network.vpc.cidr": "text",
    "network.vpc.subnets": "map",
    "network.vpc.subnets.public": "list",
    "network.vpc.subnets.public[]": "map",
    "network.vpc.subnets.private": "list",
    "network.vpc.subnets.private[]": "map",
    "http": "map",
    "http.public": "map",
    "http.public.certificates": "list",
    "http.public.certificates[]": "text",
    "http.public.ssl_policy": "text",
    "http.public.ingress": "map",
    "http.public.ingress.source_ips": "list",
    "http.public.ingress.source_ips[]": "text",
    "observability": "map",
    "observability.container_insights": "scalar",
}


def check_workload(data: dict[Any, Any], source: str) -> None:
    """Every value the importer reads has the shape Copilot took; the type is one of Copilot's."""
    kind = data.get("type")
    if kind not in TYPES:
        got = f"'{str(kind)[:40]}'" if kind is not None else "none"
        raise DefinitionError([f"{source}: type: expected one of {', '.join(TYPES)}; got {got}"])
    walk(data, "", "", source, SHAPES)


def check_environment(data: dict[Any, Any], source: str) -> None:
    walk(data, "", "", source, ENVIRONMENT_SHAPES)
