"""From ``sites.<name>`` of the definition to a StaticSite's arguments, per environment."""

from __future__ import annotations

import pulumi

from muon.components.context import AwsContext
from muon.components.service_args import EnvironmentWiring
from muon.components.site import SiteArgs, SiteHeaders, StaticSite
from muon.stacks.definition.fields import Tier
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


def site_args(
    name: str,
    spec: SiteSpec,
    *,
    environment: str,
    tier: Tier,
    context: AwsContext,
    host: str | None,
    zone_id: pulumi.Input[str] | None,
    log_retention_days: int,
    tags: dict[str, str],
) -> SiteArgs:
    waf = spec.waf if spec.waf is not None else tier == "production"
    return SiteArgs(
        context=context,
        name=f"{context.namespace}-{environment}-{name}",
        headers=SiteHeaders(
            content_security_policy=spec.headers.content_security_policy,
            frame_options=spec.headers.frame_options,
            referrer_policy=spec.headers.referrer_policy,
            hsts_max_age=spec.headers.hsts_max_age,
        ),
        spa=spec.spa,
        not_found=spec.not_found,
        host=host,
        zone_id=zone_id,
        waf_rate_limit=SITE_WAF_RATE_LIMIT if waf else None,
        log_retention_days=log_retention_days,
        price_class=spec.price_class,
        production=tier == "production",
        tags={**tags, "muon:site": name},
    )


def environment_sites(
    environment: str,
    sites: dict[str, SiteSpec],
    tier: Tier,
    context: AwsContext,
    wiring: EnvironmentWiring,
    hosts: dict[str, str | None],
    tags: dict[str, str],
    parent: pulumi.Resource,
) -> dict[str, StaticSite]:
    """Every site of the definition in ``environment``, by name (``hosts``: from ``site_hosts``)."""
    return {
        name: StaticSite(
            f"{environment}-{name}",
            site_args(
                name,
                spec,
                environment=environment,
                tier=tier,
                context=context,
                host=hosts[name],
                zone_id=wiring.zone_id,
                log_retention_days=wiring.log_retention_days,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for name, spec in sites.items()
    }
