"""An environment's ``continuity:`` in ``muon.yaml``: AWS Backup, its vault lock, its copies and
restore tests."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from muon.stacks.definition.fields import Spec, _PathError, pattern
from muon.stacks.definition.types import BackupSchedule

Region = Annotated[str, pattern(r"^[a-z]{2}(-[a-z]+)+-\d$", "an AWS region such as us-west-2")]


class RestoreTestSpec(Spec):
    enabled: bool = Field(default=True, description="Restore the latest Aurora backup on a schedule.")
    schedule: BackupSchedule = Field(
        default="cron(0 6 1 * ? *)", description="When (UTC); default the 1st of each month, 06:00."
    )


class ContinuitySpec(Spec):
    """AWS Backup for every database of the environment (and any resource tagged for it)."""

    enabled: bool = True
    daily_retention_days: int | None = Field(
        default=None,
        ge=1,
        le=35,
        description="Daily backups, with point-in-time restore in production "
        "(development 7, production 35; continuous backup keeps at most 35).",
    )
    monthly_retention_days: int | None = Field(
        default=None, ge=30, le=36_500, description="Monthly backups (production 365; development none)."
    )
    lock: bool | None = Field(
        default=None,
        description="A vault lock in compliance mode (production default): nobody can "
        "delete a backup before its retention ends.",
    )
    lock_min_retention_days: int | None = Field(
        default=None,
        ge=1,
        le=36_500,
        description="The lock's minimum retention (development 7, production 35); fixed once the "
        "lock's 3 days' grace are over, so it never follows the rules.",
    )
    copy_region: Region | None = Field(default=None, description="Copy every backup to this region's vault.")
    restore_test: RestoreTestSpec = Field(default_factory=RestoreTestSpec.model_construct)

    @model_validator(mode="after")
    def _check(self) -> ContinuitySpec:
        if self.lock is False and self.lock_min_retention_days is not None:
            raise _PathError(("lockMinRetentionDays",), "set, but lock is false; drop one of them")
        if self.lock_min_retention_days is not None:
            for key, days in (
                ("dailyRetentionDays", self.daily_retention_days),
                ("monthlyRetentionDays", self.monthly_retention_days),
            ):
                if days is not None and days < self.lock_min_retention_days:
                    raise _PathError(
                        (key,),
                        f"{days} days is below the vault lock's minimum retention "
                        f"({self.lock_min_retention_days} days): the lock would refuse every backup",
                    )
        return self
