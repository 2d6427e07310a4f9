"""``sites.<name>`` of the definition, per environment: its host (``stacks/wiring/edge.py``
makes the StaticSite's arguments)."""

from __future__ import annotations

from muon.stacks.definition.site import SiteSpec
from muon.stacks.errors import DefinitionError

SITE_WAF_RATE_LIMIT = 2000
"""Requests per client IP in 5 minutes before a site's managed web ACL blocks it."""


def host_on_domain(host: str | None, domain: str | None, where: str) -> str | None:
    """A full name: a label is ``<label>.<domain>``; a full name must be in the domain."""
    if host is None:
        return None
    if domain is None:
        raise DefinitionError(
            [f"{where}: a host lives on the environment's domain; give the environment a domain"]
        )
    name = host if "." in host else f"{host}.{domain}"
    if name != domain and not name.endswith(f".{domain}"):
        raise DefinitionError([f"{where}: {host} is not in the environment's domain {domain}"])
    return name


def site_hosts(sites: dict[str, SiteSpec], domain: str | None, source: str) -> dict[str, str | None]:
    """Each site's full host name (None: CloudFront's own), checked against the domain."""
    return {
        name: host_on_domain(spec.host, domain, f"{source}: sites.{name}.host")
        for name, spec in sites.items()
    }
