"""From an environment of the definition to the Environment component's arguments."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from muon.components.cluster import EC2_AGENT_ENDPOINTS, ClusterArgs
from muon.components.context import AwsContext
from muon.components.domain import DomainArgs
from muon.components.environment import EnvironmentArgs
from muon.components.firewall import COUNTABLE_RULES
from muon.components.load_balancer import LoadBalancerArgs
from muon.components.network import BASE_INTERFACE_ENDPOINTS
from muon.components.network_args import ExistingNetwork, NatStrategy, NetworkArgs
from muon.components.topic import chatbot_problem
from muon.stacks.definition import ClusterProvider, EnvironmentSpec, Tier, tier_of
from muon.stacks.definition.environment import ClusterSpec, NetworkSpec
from muon.stacks.errors import DefinitionError
from muon.stacks.resolve.continuity import continuity_args
from muon.stacks.resolve.egress import cheapest_egress
from muon.stacks.tiers import TIER_DEFAULTS, TierDefaults

MAX_HOST_LIFETIME_DAYS = 14
"""Production hosts are replaced at least every 14 days: none outlives a fortnight of patches."""


@dataclass(frozen=True)
class Egress:
    """How the private subnets reach AWS and the internet: NAT, and which interface endpoints."""

    nat: NatStrategy
    interface_endpoints: tuple[str, ...]


def _provider(name: str, cluster: ClusterSpec, defaults: TierDefaults, source: str) -> ClusterProvider:
    # Graviton hosts run the services whose platform is linux/arm64 (checks.services_match_hosts).
    return cluster.provider or defaults.provider


def _egress(
    name: str,
    spec: EnvironmentSpec,
    defaults: TierDefaults,
    provider: str,
    region: str,
    azs: int,
    source: str,
) -> Egress:
    network = spec.network
    nat, endpoints = network.nat or defaults.nat, network.endpoints
    if nat == "cheapest" or (spec.cost == "minimal" and network.nat is None):
        choice = cheapest_egress(region, azs)
        nat, endpoints = choice.nat, endpoints if endpoints is not None else choice.endpoints
    if endpoints is None:
        # Without NAT, the endpoints are the only way tasks reach ECR and CloudWatch Logs.
        endpoints = True if nat == "none" else defaults.endpoints
    if nat == "none" and not endpoints and network.existing is None:
        raise DefinitionError(
            [
                f"{source}: environments.{name}.network: with nat: none and endpoints: false, tasks in "
                "the private subnets could reach neither ECR nor CloudWatch Logs; set endpoints: true "
                "or choose a nat"
            ]
        )
    interface_endpoints: tuple[str, ...] = ()
    if endpoints:
        interface_endpoints = BASE_INTERFACE_ENDPOINTS + (EC2_AGENT_ENDPOINTS if provider == "ec2" else ())
    return Egress(nat=nat, interface_endpoints=interface_endpoints)


def _zones(
    name: str, network: NetworkSpec, azs: int, context: AwsContext, zones: list[str], source: str
) -> tuple[list[str], ExistingNetwork | None]:
    """The zones the network spans (``zones`` are the region's), or the VPC it uses instead."""
    chosen = list(network.zones) if network.zones else zones[:azs]
    unknown = [(i, z) for i, z in enumerate(chosen) if z not in zones]
    if unknown and network.existing is None:
        index, zone = unknown[0]
        raise DefinitionError(
            [
                f"{source}: environments.{name}.network.zones[{index}]: {context.region} has no zone "
                f"'{zone}'; it has: {', '.join(zones)}"
            ]
        )
    if network.existing is not None:
        existing = network.existing
        return chosen, ExistingNetwork(
            vpc_id=existing.vpc_id,
            public_subnet_ids=tuple(existing.public_subnet_ids),
            private_subnet_ids=tuple(existing.private_subnet_ids),
            isolated_subnet_ids=tuple(existing.isolated_subnet_ids),
        )
    if azs > len(zones):
        raise DefinitionError(
            [
                f"{source}: environments.{name}.network.azs: {azs} availability zones requested, "
                f"but {context.region} has {len(zones)} available ({', '.join(zones)})"
            ]
        )
    return chosen, None


def _cluster_args(
    name: str, spec: EnvironmentSpec, tier: Tier, provider: ClusterProvider, context: AwsContext, source: str
) -> ClusterArgs:
    defaults, cluster, minimal = TIER_DEFAULTS[tier], spec.cluster, spec.cost == "minimal"
    ec2_min = cluster.min if cluster.min is not None else defaults.ec2_min
    ec2_max = cluster.max if cluster.max is not None else max(defaults.ec2_max, ec2_min)
    if ec2_min > ec2_max:
        raise DefinitionError(
            [f"{source}: environments.{name}.cluster: min ({ec2_min}) must not exceed max ({ec2_max})"]
        )
    return ClusterArgs(
        context=context,
        provider=provider,
        spot=minimal or (cluster.spot if cluster.spot is not None else defaults.spot),
        on_demand_base=0 if minimal else defaults.on_demand_base,
        container_insights=(
            cluster.container_insights
            if cluster.container_insights is not None
            else defaults.container_insights
        ),
        instance_type=cluster.instance_type,
        min_size=ec2_min,
        max_size=ec2_max,
        root_volume_size=cluster.root_volume_size,
        image_id=cluster.image_id,
        user_data=cluster.user_data,
        http_proxy=cluster.http_proxy,
        max_instance_lifetime_days=MAX_HOST_LIFETIME_DAYS if tier == "production" else None,
    )


def _domain(name: str, spec: EnvironmentSpec, tier: Tier, source: str) -> DomainArgs | None:
    """The environment's domain; production without one (or a certificate) only on purpose."""
    domain = None
    if spec.domain is not None:
        domain = DomainArgs(
            name=spec.domain.name,
            zone_name=spec.domain.zone,
            zone_id=spec.domain.zone_id,
            production=tier == "production",
        )
    lb = spec.load_balancer
    if tier == "production" and domain is None and lb.certificate_arn is None and not lb.allow_plain_http:
        raise DefinitionError(
            [
                f"{source}: environments.{name}: production is HTTPS-only: give it a domain "
                "({name: app.example.com, zone: example.com}) or loadBalancer.certificateArn; "
                "loadBalancer.allowPlainHttp: true serves plain HTTP on purpose"
            ]
        )
    return domain


def _load_balancer_args(spec: EnvironmentSpec, tier: Tier, waf: str, context: AwsContext) -> LoadBalancerArgs:
    defaults, lb = TIER_DEFAULTS[tier], spec.load_balancer
    return LoadBalancerArgs(
        context=context,
        internal=lb.internal,
        ingress_cidrs=tuple(lb.ingress_cidrs),
        peer_cidrs=tuple(lb.peer_cidrs),
        certificate_arn=lb.certificate_arn,
        ssl_policy=lb.ssl_policy,
        idle_timeout=lb.idle_timeout,
        deletion_protection=(
            lb.deletion_protection
            if lb.deletion_protection is not None
            else defaults.load_balancer_deletion_protection
        ),
        access_logs=lb.access_logs,
        access_log_days=defaults.access_log_days,
        web_acl_arn=waf if waf.startswith("arn:") else None,
    )


def environment_args(
    name: str,
    spec: EnvironmentSpec,
    *,
    context: AwsContext,
    zones: list[str],
    source: str,
    tags: dict[str, str],
) -> EnvironmentArgs:
    tier = tier_of(name, spec)
    defaults = TIER_DEFAULTS[tier]
    if spec.alarm_slack is not None:
        problem = chatbot_problem(context.partition, f"{source}: environments.{name}.alarmSlack")
        if problem:
            raise DefinitionError([problem])
    provider = _provider(name, spec.cluster, defaults, source)
    network = spec.network
    azs = len(network.zones) if network.zones else network.azs or defaults.azs
    egress = _egress(name, spec, defaults, provider, context.region, azs, source)
    chosen, existing = _zones(name, network, azs, context, zones, source)
    retention = spec.log_retention_days or defaults.log_retention_days
    cluster = _cluster_args(name, spec, tier, provider, context, source)
    domain = _domain(name, spec, tier, source)
    check_peers(name, spec, source)
    waf = spec.waf or ("managed" if tier == "production" else "off")
    return EnvironmentArgs(
        context=context,
        production=tier == "production",
        network=NetworkArgs(
            context=context,
            availability_zones=tuple(chosen) if existing is None else (),
            cidr=network.cidr,
            nat=egress.nat,
            interface_endpoints=egress.interface_endpoints,
            # Free, and ECR serves image layers from S3: no NAT charge for them.
            gateway_endpoints=True,
            flow_log_retention_days=retention,
            existing=existing,
            peer_cidrs=tuple(spec.load_balancer.peer_cidrs),
        ),
        cluster=cluster,
        load_balancer=_load_balancer_args(spec, tier, waf, context),
        log_retention_days=retention,
        alarm_emails=tuple(spec.alarm_emails),
        alarm_slack=(spec.alarm_slack.team_id, spec.alarm_slack.channel_id) if spec.alarm_slack else None,
        domain=domain,
        firewall_rate_limit=spec.waf_rate_limit if waf == "managed" else None,
        # Counted unless the definition blocks them: they refuse uploads and User-Agent-less clients.
        firewall_count_rules=tuple(r for r in COUNTABLE_RULES if r not in spec.waf_block),
        continuity=continuity_args(
            name, spec.continuity, tier=tier, context=context, tags=tags, source=source
        ),
        tags=tags,
    )


def check_peers(name: str, spec: EnvironmentSpec, source: str) -> None:
    """A peer network shares no address with the VPC: AWS refuses to peer (or route to) overlapping
    blocks (VPC peering guide, "VPC peering limitations"), and the VPC's own are admitted already."""
    if spec.network.existing is not None:
        return  # the VPC's block is the company's: not known here
    vpc = ipaddress.IPv4Network(spec.network.cidr)
    for index, cidr in enumerate(spec.load_balancer.peer_cidrs):
        if ipaddress.IPv4Network(cidr).overlaps(vpc):
            raise DefinitionError(
                [
                    f"{source}: environments.{name}.loadBalancer.peerCidrs[{index}]: {cidr} overlaps the "
                    f"VPC's {vpc}; a peer network cannot share its addresses (the VPC is admitted already)"
                ]
            )
