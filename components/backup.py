"""Continuity: an AWS Backup vault, a plan by tier, a selection by tag and a restore test.

Every resource tagged ``muon:backup = <namespace>-<environment>`` (muon tags its databases so) is
backed up without being named; the restore testing plan restores the latest Aurora recovery
point on a schedule into the environment's isolated subnets, where nothing can reach it, and AWS
Backup deletes it after the validation window. A failed backup or restore job pages the
environment's topic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from muon.components.context import AwsContext
from muon.components.encryption import KeyArgs, key_or_existing, key_policy, rotating_key
from muon.components.policies import assume_role_policy, ready
from muon.components.tags import BACKUP_TAG

BACKUP_POLICIES = (
    # AWS's own policies for AWS Backup's role: they follow every resource type Backup supports
    # (snapshots, copies, continuous backup, restores), which a hand-written list would lag.
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
)


@dataclass(frozen=True)
class BackupRule:
    name: str
    """Names the rule in the plan; required."""
    schedule: str
    """A cron expression in UTC, as AWS Backup takes it (``cron(0 5 ? * * *)``); required."""
    delete_after_days: int
    """Retention of its recovery points; required (what a restore must reach back to is the
    company's, not muon's, to say)."""
    continuous: bool = False
    """Continuous backup (point-in-time restore) where the resource supports it; at most 35 days.
    Default False: snapshots on the schedule (RDS keeps its own point-in-time window anyway)."""


@dataclass(frozen=True)
class RestoreTest:
    schedule: str
    """When the latest recovery point is restored (cron, UTC); required."""
    validation_window_hours: int = 1
    """How long the restored cluster lives before AWS Backup deletes it; default 1 hour."""
    selection_window_days: int = 7
    """How recent the restored recovery point must be; default 7 days."""


@dataclass(frozen=True)
class ContinuityArgs:
    context: AwsContext
    """Account, region, partition and namespace; required."""
    name: str
    """``<namespace>-<environment>``: the vault, plan and selection; also the value of the tag that
    selects what is backed up. Required."""
    rules: tuple[BackupRule, ...]
    """Required: the schedules and retentions."""
    lock_min_retention_days: int | None = None
    """A vault lock in compliance mode with this minimum retention; None: no lock. Default None:
    a lock is irreversible once its grace days pass, so it is never taken by default."""
    lock_grace_days: int = 3
    """Days in which the lock can still be removed; after them nobody (not even the account's
    root) can delete a recovery point before its retention ends. AWS Backup's minimum."""
    copy_region: str | None = None
    """A copy of every recovery point in this region's vault; default None: no copy."""
    restore_test: RestoreTest | None = None
    """A scheduled restore of the latest recovery point; default None."""
    production: bool = True
    """Default True: the vaults are ``protect``ed (no `pulumi destroy`) and never force-deleted
    with recovery points in them. False is a development stack's explicit choice."""
    vpc_id: pulumi.Input[str] | None = None
    """Needed by ``restore_test`` (where the restored cluster lives); the Environment passes its own."""
    isolated_subnet_ids: pulumi.Input[list[str]] | None = None
    """Needed by ``restore_test``; the Environment passes its own."""
    alarm_topic_arn: pulumi.Input[str] | None = None
    """Failed jobs page it; None: no failure rules. The Environment passes its own."""
    key_arn: str | None = None
    """The company's key for data (``keys.data``); None: the vault gets its own. Encrypted either way."""
    tags: dict[str, str] = field(default_factory=dict)
    """Default none (the stack's tags come by transformation)."""


def restore_testing_plan_name(name: str) -> str:
    """AWS Backup takes letters, digits and underscores only for a restore testing plan's name."""
    return name.replace("-", "_")


class Continuity(pulumi.ComponentResource):
    vault_name: pulumi.Output[str]
    vault_arn: pulumi.Output[str]
    plan_id: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    restore_testing_plan_name: str | None
    selection_value: str
    """The value of ``muon:backup`` that puts a resource in this plan."""

    def __init__(self, name: str, args: ContinuityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:backup:Continuity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Production recovery points outlive any mistake in the stack: the vault cannot be
        # deleted by `pulumi destroy` (nor, once locked, by anyone until they expire).
        keep = pulumi.ResourceOptions(parent=self, protect=args.production)
        context = args.context
        self.selection_value = args.name
        key = key_or_existing(
            f"{name}-backup",
            args.key_arn,
            KeyArgs(
                context=context,
                description=f"muon {args.name}: AWS Backup vault",
                alias=f"{context.namespace}/{name}/backup",
                tags=args.tags,
                publishing_services=(),
            ),
            opts=child,
        )
        vault = locked_vault(name, args, key.arn, keep)
        copy_vault_arn = self._copy_vault(name, args, keep) if args.copy_region else None
        role = aws.iam.Role(
            f"{name}-backup-role",
            assume_role_policy=assume_role_policy("backup.amazonaws.com", source_account=context.account_id),
            tags=args.tags,
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-backup-{policy.rsplit('/', 1)[-1]}",
                role=role.name,
                policy_arn=context.managed_policy(policy),
                opts=child,
            )
            for policy in BACKUP_POLICIES
        ]
        plan = aws.backup.Plan(
            f"{name}-backup-plan",
            name=args.name,
            rules=[
                aws.backup.PlanRuleArgs(
                    rule_name=rule.name,
                    target_vault_name=vault.name,
                    schedule=rule.schedule,
                    start_window=60,
                    completion_window=24 * 60,
                    enable_continuous_backup=rule.continuous,
                    lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=rule.delete_after_days),
                    copy_actions=[
                        aws.backup.PlanRuleCopyActionArgs(
                            destination_vault_arn=copy_vault_arn,
                            lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(
                                delete_after=rule.delete_after_days
                            ),
                        )
                    ]
                    if copy_vault_arn is not None
                    else None,
                    recovery_point_tags={BACKUP_TAG: args.name, "muon:backup-rule": rule.name},
                )
                for rule in args.rules
            ],
            tags=args.tags,
            opts=child,
        )
        # The role's policies before the selection: AWS Backup checks the role when it is named.
        role_arn = ready(role.arn, *attachments)
        aws.backup.Selection(
            f"{name}-backup-selection",
            name=args.name,
            plan_id=plan.id,
            iam_role_arn=role_arn,
            resources=["*"],
            conditions=[
                aws.backup.SelectionConditionArgs(
                    string_equals=[
                        aws.backup.SelectionConditionStringEqualArgs(
                            key=f"aws:ResourceTag/{BACKUP_TAG}", value=args.name
                        )
                    ]
                )
            ],
            opts=child,
        )
        self.restore_testing_plan_name = None
        if args.restore_test is not None:
            self.restore_testing_plan_name = self._restore_test(name, args, vault, role_arn, child)
        if args.alarm_topic_arn is not None:
            self._failure_rules(name, args, role.arn, child)
        self.vault_name = vault.name
        self.vault_arn = vault.arn
        self.plan_id = plan.id
        self.role_arn = role.arn
        self.register_outputs(self.outputs())

    def _copy_vault(
        self, name: str, args: ContinuityArgs, opts: pulumi.ResourceOptions
    ) -> pulumi.Output[str]:
        """A vault of the same name in the copy region, under a key of that region."""
        region = args.copy_region
        assert region is not None
        context = args.context
        key = rotating_key(
            f"{name}-backup-copy-key",
            description=f"muon {args.name}: AWS Backup copies in {region}",
            policy=key_policy(AwsContext(context.account_id, region, context.partition), ()),
            region=region,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return locked_vault(f"{name}-copy", args, key.arn, opts, region=region).arn

    def _restore_test(
        self,
        name: str,
        args: ContinuityArgs,
        vault: aws.backup.Vault,
        role_arn: pulumi.Output[str],
        child: pulumi.ResourceOptions,
    ) -> str:
        test = args.restore_test
        assert test is not None
        assert args.isolated_subnet_ids is not None
        assert args.vpc_id is not None
        # Where restored clusters land: the isolated subnets, behind a group that admits nothing
        # and lets nothing out. A test restore is proof, not a second database.
        subnets = aws.rds.SubnetGroup(
            f"{name}-restore-tests",
            name=f"{args.name}-restore-tests",
            description=f"muon {args.name}: restore tests (isolated subnets)",
            subnet_ids=args.isolated_subnet_ids,
            tags=args.tags,
            opts=child,
        )
        group = aws.ec2.SecurityGroup(
            f"{name}-restore-tests",
            name=f"{args.name}-restore-tests",
            description=f"muon {args.name}: restored test databases, unreachable",
            vpc_id=args.vpc_id,
            ingress=[],
            egress=[],
            tags=args.tags,
            opts=child,
        )
        plan_name = restore_testing_plan_name(args.name)
        plan = aws.backup.RestoreTestingPlan(
            f"{name}-restore-testing-plan",
            name=plan_name,
            schedule_expression=test.schedule,
            start_window_hours=24,
            recovery_point_selection=aws.backup.RestoreTestingPlanRecoveryPointSelectionArgs(
                algorithm="LATEST_WITHIN_WINDOW",
                include_vaults=[vault.arn],
                recovery_point_types=restore_test_recovery_point_types(args.rules),
                selection_window_days=test.selection_window_days,
            ),
            tags=args.tags,
            opts=child,
        )
        aws.backup.RestoreTestingSelection(
            f"{name}-restore-testing-aurora",
            name=f"{plan_name}_aurora",
            restore_testing_plan_name=plan.name,
            protected_resource_type="Aurora",
            protected_resource_arns=["*"],
            protected_resource_conditions=aws.backup.RestoreTestingSelectionProtectedResourceConditionsArgs(
                string_equals=[
                    aws.backup.RestoreTestingSelectionProtectedResourceConditionsStringEqualArgs(
                        key=f"aws:ResourceTag/{BACKUP_TAG}", value=args.name
                    )
                ]
            ),
            restore_metadata_overrides={
                "dbsubnetgroupname": subnets.name,
                "vpcsecuritygroupids": group.id.apply(lambda group_id: json.dumps([group_id])),
            },
            iam_role_arn=role_arn,
            validation_window_hours=test.validation_window_hours,
            opts=child,
        )
        return plan_name

    def _failure_rules(
        self, name: str, args: ContinuityArgs, role_arn: pulumi.Output[str], child: pulumi.ResourceOptions
    ) -> None:
        """A backup job into this environment's vault, or a (test) restore job run with its role,
        that ends badly pages the topic."""
        patterns = {
            "backup-failed": pulumi.Output.from_input(backup_failure_pattern(args.name)),
            "restore-failed": role_arn.apply(restore_failure_pattern),
        }
        for suffix, pattern in patterns.items():
            kind = suffix.split("-")[0]
            rule = aws.cloudwatch.EventRule(
                f"{name}-{suffix}",
                name=f"{args.name}-{suffix}",
                description=f"muon {args.name}: an AWS Backup {kind} job failed",
                event_pattern=pattern.apply(lambda p: json.dumps(p, sort_keys=True)),
                tags=args.tags,
                opts=child,
            )
            # Backup jobs report `state`, restore jobs `status` (AWS Backup's EventBridge events).
            ended = "state" if kind == "backup" else "status"
            aws.cloudwatch.EventTarget(
                f"{name}-{suffix}",
                rule=rule.name,
                arn=args.alarm_topic_arn,
                input_transformer=aws.cloudwatch.EventTargetInputTransformerArgs(
                    input_paths={
                        "job": f"$.detail.{kind}JobId",
                        "ended": f"$.detail.{ended}",
                        "type": "$.detail.resourceType",
                    },
                    input_template=json.dumps(
                        f"muon {args.name}: AWS Backup {kind} job <job> of a <type> resource ended "
                        "<ended> (AWS Backup console, Jobs)"
                    ),
                ),
                opts=child,
            )

    def outputs(self) -> dict[str, pulumi.Input[object]]:
        return {
            "backupVaultName": self.vault_name,
            "backupVaultArn": self.vault_arn,
            "backupPlanId": self.plan_id,
            "backupRoleArn": self.role_arn,
            "restoreTestingPlanName": self.restore_testing_plan_name,
        }


def locked_vault(
    prefix: str,
    args: ContinuityArgs,
    key_arn: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
    *,
    region: str | None = None,
) -> aws.backup.Vault:
    """``<prefix>-vault`` named ``args.name`` (in ``region``, else the stack's), locked when
    ``args`` asks: ``changeable_for_days`` set is compliance mode, not governance."""
    vault = aws.backup.Vault(
        f"{prefix}-vault",
        name=args.name,
        kms_key_arn=key_arn,
        force_destroy=not args.production,
        region=region,
        tags=args.tags,
        opts=opts,
    )
    if args.lock_min_retention_days is not None:
        aws.backup.VaultLockConfiguration(
            f"{prefix}-vault-lock",
            backup_vault_name=vault.name,
            min_retention_days=args.lock_min_retention_days,
            changeable_for_days=args.lock_grace_days,
            region=region,
            # Every input forces a replacement (terraform-provider-aws vault_lock_configuration.go:
            # ForceNew, no Update). Create-before-delete would put the new lock, then delete the
            # vault's only lock: delete first, which AWS allows during the grace period.
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(delete_before_replace=True)),
        )
    return vault


def restore_test_recovery_point_types(rules: tuple[BackupRule, ...]) -> list[str]:
    """What a restore test may pick. A rule with continuous backup keeps a continuous recovery
    point (point-in-time restore), not a snapshot a day: a test limited to SNAPSHOT would find
    nothing to restore in production. Both types: "use both to restore either a snapshot or a
    continuous recovery point" (AWS Backup API, RestoreTestingRecoveryPointSelection)."""
    return ["CONTINUOUS", "SNAPSHOT"] if any(rule.continuous for rule in rules) else ["SNAPSHOT"]


def backup_failure_pattern(vault_name: str) -> dict[str, object]:
    """Backup jobs into ``vault_name`` that ended badly."""
    return {
        "source": ["aws.backup"],
        "detail-type": ["Backup Job State Change"],
        "detail": {"state": ["FAILED", "ABORTED", "EXPIRED"], "backupVaultName": [vault_name]},
    }


def restore_failure_pattern(role_arn: str) -> dict[str, object]:
    """Restore jobs (a restore test's, or ``muon db restore``'s) run with ``role_arn`` that failed."""
    return {
        "source": ["aws.backup"],
        "detail-type": ["Restore Job State Change"],
        "detail": {"status": ["FAILED", "ABORTED"], "iamRoleArn": [role_arn]},
    }
