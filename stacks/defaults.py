"""Defaults by environment tier: cheap for development, compliant for production.

Every field of the definition left out takes its value from here; the README's reference
table is this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from muon.stacks.definition import ClusterProvider, NatStrategy, Tier


@dataclass(frozen=True)
class TierDefaults:
    azs: int
    nat: NatStrategy
    endpoints: bool
    provider: ClusterProvider
    spot: bool
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


TIER_DEFAULTS: dict[Tier, TierDefaults] = {
    "development": TierDefaults(
        azs=2,
        nat="single",
        endpoints=False,
        provider="fargate",
        spot=True,
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
    ),
    "production": TierDefaults(
        azs=3,
        nat="per-az",
        endpoints=True,
        provider="fargate",
        spot=False,
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
    ),
}
