"""An environment's continuity settings, by tier: what is backed up, how long, how it is proven."""

from __future__ import annotations

from dataclasses import dataclass

from muon.components.backup import BackupRule, ContinuityArgs, RestoreTest
from muon.components.context import AwsContext
from muon.stacks.definition.continuity import ContinuitySpec
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
    lock_min_days: int
    """The lock's minimum retention unless the definition names one: a fixed value, never derived
    from the rules, because a compliance-mode lock cannot change once its grace period is over
    (AWS Backup developer guide, "AWS Backup Vault Lock"): a lock that followed the shortest rule
    would make every `up` after a retention change fail. The tier's default daily retention, which
    is what earlier muon versions locked a vault with default rules at."""


CONTINUITY_DEFAULTS: dict[Tier, ContinuityDefaults] = {
    "development": ContinuityDefaults(
        daily_days=7, monthly_days=None, continuous=False, lock=False, lock_min_days=7
    ),
    "production": ContinuityDefaults(
        daily_days=35, monthly_days=365, continuous=True, lock=True, lock_min_days=35
    ),
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
    lock_days = lock_min_retention(spec, rules, defaults, tier, path) if lock else None
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


def lock_min_retention(
    spec: ContinuitySpec, rules: list[BackupRule], defaults: ContinuityDefaults, tier: Tier, path: str
) -> int:
    """The lock's minimum retention: the definition's, else the tier's fixed default. Refused: a
    minimum above a rule's retention (the lock would refuse its backups), and a default that differs
    from the shortest rule (what earlier muon versions locked the vault at, and what its lock may
    hold now: changing it fails every `up` once the grace period is over)."""
    shortest = min(rule.delete_after_days for rule in rules)
    days = spec.lock_min_retention_days
    if days is None and shortest != defaults.lock_min_days:
        raise DefinitionError(
            [
                f"{path}.lockMinRetentionDays: write it down: the lock no longer follows the shortest "
                f"rule ({shortest} days) and a compliance-mode lock cannot change after its grace "
                f"period; {shortest} keeps the lock an earlier muon set, {defaults.lock_min_days} is the "
                f"{tier} default for a new vault"
            ]
        )
    days = days or defaults.lock_min_days
    if days > shortest:
        kept = next(rule for rule in rules if rule.delete_after_days == shortest)
        raise DefinitionError(
            [
                f"{path}.lockMinRetentionDays: {days} days is above the {kept.name} backups' "
                f"retention ({shortest} days): the lock would refuse them; "
                f"lower it or set {kept.name}RetentionDays"
            ]
        )
    return days


def continuous_backup_days(args: ContinuityArgs | None) -> int | None:
    """Days of point-in-time restore AWS Backup keeps, if any: the databases' own retention
    follows it, so that AWS Backup and `pulumi up` do not set it back and forth."""
    if args is None:
        return None
    return next((rule.delete_after_days for rule in args.rules if rule.continuous), None)
