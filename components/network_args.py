"""The Network's arguments: each field's default and why (``network.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pulumi

from muon.components.context import AwsContext

NatStrategy = Literal["none", "single", "per-az", "instance"]


@dataclass(frozen=True)
class ExistingNetwork:
    """A VPC muon adopts instead of creating one: its ids, as the company's network team gives them."""

    vpc_id: str
    public_subnet_ids: tuple[str, ...]
    private_subnet_ids: tuple[str, ...]
    isolated_subnet_ids: tuple[str, ...] = ()
    """Default none: databases go to the private subnets."""


@dataclass(frozen=True)
class NetworkArgs:
    context: AwsContext
    """Account, region, partition and namespace; required."""
    availability_zones: tuple[str, ...] = ()
    """Its subnets' zones, in a stable order; required to create a network (empty raises)."""
    cidr: str = "10.0.0.0/16"
    """Default 10.0.0.0/16: 65,536 addresses, split per zone by ``addressing.py``."""
    nat: NatStrategy = "per-az"
    """Private subnets' egress; default ``per-az``, the production tier's: losing a zone loses no
    other zone's egress (``single`` and ``instance`` are cheaper, with one point of failure)."""
    interface_endpoints: tuple[str, ...] = ()
    """Interface endpoints (``ecr.api``, ``logs``…); default none: AWS APIs are reached through the
    NAT (the definition's tiers add them where they pay)."""
    gateway_endpoints: bool = True
    """The S3 gateway endpoint; default True: free, and ECR serves image layers from S3."""
    flow_log_retention_days: int = 365
    """Default 365 (CloudWatch.16)."""
    key_arn: pulumi.Input[str] | None = None
    """The flow logs' key; required to create a network (None raises): the Environment's own."""
    existing: ExistingNetwork | None = None
    """Default None: muon creates the VPC."""
    peer_cidrs: tuple[str, ...] = ()
    """Networks outside the VPC (VPN, peering) that may reach an internal load balancer, admitted by
    the private network ACL on 80 and 443; default none: the VPC only."""
    tags: dict[str, str] = field(default_factory=dict)
    """On every resource of the network; default none (the stack's tags come by transformation)."""
