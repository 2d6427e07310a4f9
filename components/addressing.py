"""Subnet CIDRs computed from the VPC block, stable when zones are added.

The VPC is cut into tiers, each with eight zone slots (no region has more than six zones):

    first half      private   (tasks, instances: the most addresses)   /16 → eight /20s
    third quarter   public    (load balancer, NAT gateways)             /16 → eight /21s
    fourth quarter  isolated  (databases: no route out)                 /16 → eight /21s

Zone *i* always gets slot *i* of each tier, so adding a zone never renumbers existing subnets.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

ZONE_SLOTS = 8
TIERS = ("public", "private", "isolated")


@dataclass(frozen=True)
class SubnetPlan:
    public: tuple[str, ...]
    private: tuple[str, ...]
    isolated: tuple[str, ...]


def plan_subnets(vpc_cidr: str, zones: int) -> SubnetPlan:
    if not 1 <= zones <= ZONE_SLOTS:
        raise ValueError(f"zones must be 1 to {ZONE_SLOTS}, got {zones}")
    vpc = ipaddress.IPv4Network(vpc_cidr, strict=True)
    private_half, rest = vpc.subnets(prefixlen_diff=1)
    public_quarter, isolated_quarter = rest.subnets(prefixlen_diff=1)

    def slots(block: ipaddress.IPv4Network) -> tuple[str, ...]:
        every = list(block.subnets(prefixlen_diff=3))  # 2**3 == ZONE_SLOTS
        return tuple(str(net) for net in every[:zones])

    return SubnetPlan(
        public=slots(public_quarter),
        private=slots(private_half),
        isolated=slots(isolated_quarter),
    )
