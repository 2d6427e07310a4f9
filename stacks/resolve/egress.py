"""How private subnets reach ECR, CloudWatch Logs and the internet, chosen by price.

``cost: minimal`` and the development tier's default take the cheapest option for the zone count
at the region's list prices (``plan/prices.py``); the offline plan's cost estimate prints the
comparison so a reader sees why. A region without prices is compared at us-east-1's: the options
differ there by the same structure (an instance-hour against gateway- and endpoint-hours).
"""

from __future__ import annotations

from dataclasses import dataclass

from muon.components.nat_instance import NAT_INSTANCE_TYPE, NAT_INSTANCE_VOLUME_GB
from muon.components.network import BASE_INTERFACE_ENDPOINTS
from muon.components.network_args import NatStrategy
from muon.plan.prices import RegionPrices, priced_regions, prices_for, usage_for

FALLBACK_REGION = "us-east-1"


@dataclass(frozen=True)
class EgressOption:
    nat: NatStrategy
    endpoints: bool
    label: str
    monthly: float
    internet: bool
    """Whether tasks reach the internet too (endpoints alone reach only the AWS services)."""


def egress_options(prices: RegionPrices, zones: int, tier: str = "development") -> list[EgressOption]:
    """Every way out for ``zones`` zones, cheapest first, at ``tier``'s stated NAT traffic."""
    hours, gb = prices.hours_per_month, usage_for(tier)["natGbMonth"]
    ipv4 = prices["publicIpv4Hour"] * hours
    instance_hour = prices.rate("ec2Hour", NAT_INSTANCE_TYPE) or 0.0
    options = [
        EgressOption(
            "instance",
            False,
            f"one NAT instance ({NAT_INSTANCE_TYPE})",
            instance_hour * hours + NAT_INSTANCE_VOLUME_GB * prices["ebsGp3GbMonth"] + ipv4,
            True,
        ),
        EgressOption(
            "single",
            False,
            "one NAT gateway",
            prices["natGatewayHour"] * hours + gb * prices["natGatewayGb"] + ipv4,
            True,
        ),
        EgressOption(
            "per-az",
            False,
            f"a NAT gateway in each of {zones} zones",
            zones * (prices["natGatewayHour"] * hours + ipv4) + gb * prices["natGatewayGb"],
            True,
        ),
        EgressOption(
            "none",
            True,
            f"{len(BASE_INTERFACE_ENDPOINTS)} interface endpoints in {zones} zones",
            len(BASE_INTERFACE_ENDPOINTS) * zones * prices["interfaceEndpointHour"] * hours
            + gb * prices["interfaceEndpointGb"],
            False,
        ),
    ]
    return sorted(options, key=lambda o: o.monthly)


def cheapest_egress(region: str, zones: int) -> EgressOption:
    """The cheapest option that also reaches the internet, at ``region``'s prices."""
    prices = prices_for(region if region in priced_regions() else FALLBACK_REGION)
    return next(o for o in egress_options(prices, zones) if o.internet)


def explain(prices: RegionPrices, zones: int, chosen: NatStrategy, tier: str) -> str:
    """One line: the options for ``zones`` zones with their monthly cost, the chosen one first."""
    options = egress_options(prices, zones, tier)
    parts = [
        f"{o.label} ${o.monthly:,.2f}{'' if o.internet else ' (no internet)'}"
        for o in sorted(options, key=lambda o: (o.nat != chosen, o.monthly))
    ]
    line = "egress: " + parts[0] + " — against " + ", ".join(parts[1:])
    cheapest = next(o for o in options if o.internet)
    if chosen != cheapest.nat:
        why = REASONS.get(chosen, "set in the definition")
        line += f"; not the cheapest: {why}"
    return line


# Why a tier's default (or a definition) pays more than the cheapest way out.
REASONS = {
    "per-az": "a gateway per zone, so that losing one zone cuts no other zone off (production default)",
    "single": "a managed gateway, no instance to look after (set in the definition)",
    "none": "no internet at all, AWS services through endpoints (set in the definition)",
}
