"""Defaults by environment tier: cheap for development, compliant for production.

Every field of the definition left out takes its value from here; the reference's tables
(docs/definition.md) are this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from muon.stacks.definition import ClusterProvider, NatStrategy, Tier


@dataclass(frozen=True)
class TierDefaults:
    azs: int
    nat: NatStrategy | Literal["cheapest"]
    """``cheapest``: chosen by muon's price table for the region and zone count."""
    endpoints: bool
    provider: ClusterProvider
    spot: bool
    on_demand_base: int
    """With Spot, the tasks kept on regular Fargate so that an interruption never takes them all."""
    container_insights: bool
    ec2_min: int
    ec2_max: int
    log_retention_days: int
    load_balancer_deletion_protection: bool
    access_log_days: int
    db_instances: int
    db_backup_days: int
    db_deletion_protection: bool
    db_performance_insights: bool
    db_monitoring_interval: int
    db_backtrack_hours: int
    db_pause_when_idle: bool
    """No capacity given: Serverless v2 that pauses when idle (where the engine version can)."""


TIER_DEFAULTS: dict[Tier, TierDefaults] = {
    "development": TierDefaults(
        azs=2,
        nat="cheapest",
        endpoints=False,
        provider="fargate",
        spot=True,
        on_demand_base=0,
        container_insights=False,
        ec2_min=1,
        ec2_max=4,
        log_retention_days=14,
        load_balancer_deletion_protection=False,
        access_log_days=30,
        db_instances=1,
        db_backup_days=1,
        db_deletion_protection=False,
        db_performance_insights=False,
        db_monitoring_interval=0,
        db_backtrack_hours=0,
        db_pause_when_idle=True,
    ),
    "production": TierDefaults(
        azs=3,
        nat="per-az",
        endpoints=True,
        provider="fargate",
        spot=False,
        on_demand_base=1,
        container_insights=True,
        ec2_min=2,
        ec2_max=10,
        log_retention_days=365,
        load_balancer_deletion_protection=True,
        access_log_days=365,
        db_instances=2,
        db_backup_days=14,
        db_deletion_protection=True,
        db_performance_insights=True,
        db_monitoring_interval=60,
        db_backtrack_hours=24,
        db_pause_when_idle=False,
    ),
}
