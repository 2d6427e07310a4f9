"""An environment's continuity settings, by tier: what is backed up, how long, how it is proven."""

from __future__ import annotations

from dataclasses import dataclass

from muon.components.backup import BackupRule, ContinuityArgs, RestoreTest
from muon.components.context import AwsContext
from muon.stacks.definition.environment import ContinuitySpec
from muon.stacks.definition.fields import Tier
from muon.stacks.errors import DefinitionError

DAILY = "cron(0 5 ? * * *)"
"""05:00 UTC, inside muon's default database backup windows' quiet hours."""
MONTHLY = "cron(0 5 1 * ? *)"


@dataclass(frozen=True)
class ContinuityDefaults:
    daily_days: int
    monthly_days: int | None
    continuous: bool
    """Point-in-time restore from AWS Backup (Aurora and RDS support it; at most 35 days)."""
    lock: bool


CONTINUITY_DEFAULTS: dict[Tier, ContinuityDefaults] = {
    "development": ContinuityDefaults(daily_days=7, monthly_days=None, continuous=False, lock=False),
    "production": ContinuityDefaults(daily_days=35, monthly_days=365, continuous=True, lock=True),
}


def continuity_args(
    env_name: str,
    spec: ContinuitySpec,
    *,
    tier: Tier,
    context: AwsContext,
    tags: dict[str, str],
    source: str,
) -> ContinuityArgs | None:
    """The environment's backup plan by its tier and ``spec``; None when continuity is off."""
    if not spec.enabled:
        return None
    path = f"{source}: environments.{env_name}.continuity"
    if spec.copy_region == context.region:
        raise DefinitionError(
            [
                f"{path}.copyRegion: {spec.copy_region} is the stack's own region; a copy must "
                "survive the region, so name another one"
            ]
        )
    defaults = CONTINUITY_DEFAULTS[tier]
    rules = [
        BackupRule(
            name="daily",
            schedule=DAILY,
            delete_after_days=spec.daily_retention_days or defaults.daily_days,
            continuous=defaults.continuous,
        )
    ]
    monthly = spec.monthly_retention_days or defaults.monthly_days
    if monthly is not None:
        rules.append(BackupRule(name="monthly", schedule=MONTHLY, delete_after_days=monthly))
    lock = spec.lock if spec.lock is not None else defaults.lock
    shortest = min(rule.delete_after_days for rule in rules)
    lock_days = (spec.lock_min_retention_days or shortest) if lock else None
    if lock_days is not None and lock_days > shortest:
        kept = next(rule for rule in rules if rule.delete_after_days == shortest)
        raise DefinitionError(
            [
                f"{path}.lockMinRetentionDays: {lock_days} days is above the {kept.name} backups' "
                f"retention ({shortest} days, the {tier} default): the lock would refuse them; "
                f"lower it or set {kept.name}RetentionDays"
            ]
        )
    name = f"{context.namespace}-{env_name}"
    return ContinuityArgs(
        context=context,
        name=name,
        rules=tuple(rules),
        lock_min_retention_days=lock_days,
        copy_region=spec.copy_region,
        restore_test=RestoreTest(schedule=spec.restore_test.schedule) if spec.restore_test.enabled else None,
        production=tier == "production",
        tags=tags,
    )


def continuous_backup_days(args: ContinuityArgs | None) -> int | None:
    """Days of point-in-time restore AWS Backup keeps, if any: the databases' own retention
    follows it, so that AWS Backup and `pulumi up` do not set it back and forth."""
    if args is None:
        return None
    return next((rule.delete_after_days for rule in args.rules if rule.continuous), None)
