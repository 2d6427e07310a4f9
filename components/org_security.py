"""Organization-wide security: a trail, GuardDuty, Security Hub, IAM Access Analyzer and AWS Config.

From the management account: trusted access for each service, its delegated administrator (the
security account), the organization trail and its bucket (in the management account, or a
log-archive account through its ``OrganizationAccountAccessRole``). From the security account
(through the same role): GuardDuty's and Security Hub's organization configurations (every member,
present and future, enrolled; Security Hub with AWS Foundational Security Best Practices, by a
central configuration policy on the root: ``org_findings.py``), the organization's access
analyzer and Config aggregator. Config recorders in the member accounts
come from a service-managed CloudFormation StackSet, deployed to every account of the
organization, the way AWS deploys per-account resources organization-wide.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from muon.components.bucket import AccessLogBucket, PrivateBucket, PrivateBucketArgs
from muon.components.encryption import rotating_key
from muon.components.org_findings import guard_duty, security_hub
from muon.components.org_security_policies import (
    config_recorder_template,
    trail_bucket_statements,
    trail_key_policy,
)
from muon.components.policies import document, ready

TRAIL_RETENTION_DAYS = 365 * 7
"""Trail logs are kept seven years (then expire), the usual audit retention."""


@dataclass(frozen=True)
class SecurityArgs:
    """The organization's security services; every one is on by default (FSBP's account-level
    controls), each can be turned off where the company runs its own."""

    name: str
    """Names the trail, analyzer, aggregator and StackSet (``<name>-organization-…``)."""
    region: str
    """The home region of the trail, Security Hub and the aggregator; required."""
    partition: str
    """``aws``, ``aws-cn`` or ``aws-us-gov``; required."""
    security_account_id: pulumi.Input[str]
    """The delegated administrator of the security services; required (never the management
    account, AWS's own recommendation)."""
    role_name: str
    """The role the management account assumes in member accounts (OrganizationAccountAccessRole)."""
    log_archive_account_id: pulumi.Input[str] | None = None
    """Where the trail's bucket lives; default None: the management account."""
    log_archive_role_name: str = "OrganizationAccountAccessRole"
    """The role assumed in the log archive account; default the one Organizations creates."""
    trail: bool = True
    """An organization trail (CloudTrail.1), kept seven years; default True."""
    guard_duty: bool = True
    """GuardDuty in every account (GuardDuty.1); default True."""
    security_hub: bool = True
    """Security Hub with FSBP in every account; default True."""
    access_analyzer: bool = True
    """An organization access analyzer: what is shared outside the organization; default True."""
    config: bool = True
    """AWS Config recorders and an organization aggregator (Config.1); default True."""
    tags: dict[str, str] = field(default_factory=dict)
    """Default none (the stack's tags come by transformation)."""


def service_principals(
    *, trail: bool, guard_duty: bool, security_hub: bool, access_analyzer: bool, config: bool
) -> tuple[str, ...]:
    """The services the organization must trust (``aws_service_access_principals``)."""
    chosen = {
        "cloudtrail.amazonaws.com": trail,
        "guardduty.amazonaws.com": guard_duty,
        "malware-protection.guardduty.amazonaws.com": guard_duty,
        "securityhub.amazonaws.com": security_hub,
        "access-analyzer.amazonaws.com": access_analyzer,
        "config.amazonaws.com": config or security_hub,  # Security Hub's controls are Config rules
        "config-multiaccountsetup.amazonaws.com": config,
        "member.org.stacksets.cloudformation.amazonaws.com": config,
    }
    return tuple(sorted(p for p, on in chosen.items() if on))


def _account_provider(
    name: str, account_id: pulumi.Input[str], role_name: str, args: SecurityArgs, parent: pulumi.Resource
) -> aws.Provider:
    role = pulumi.Output.concat(f"arn:{args.partition}:iam::", account_id, f":role/{role_name}")
    return aws.Provider(
        name,
        region=args.region,
        assume_roles=[aws.ProviderAssumeRoleArgs(role_arn=role, session_name="muon-organization-security")],
        opts=pulumi.ResourceOptions(parent=parent),
    )


class OrganizationSecurity(pulumi.ComponentResource):
    def __init__(
        self,
        name: str,
        args: SecurityArgs,
        *,
        organization: aws.organizations.Organization,
        root_id: pulumi.Input[str],
        management_account_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("muon:org:Security", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Every call below needs the organization's trusted access for its service first.
        security_id = ready(args.security_account_id, organization)
        security = _account_provider(f"{name}-security-account", security_id, args.role_name, args, self)
        in_security = pulumi.ResourceOptions(parent=self, provider=security)
        self._values: dict[str, pulumi.Input[object]] = {"securityAccountId": security_id}
        if args.trail:
            self._values |= self._trail(name, args, organization, management_account_id, child)
        if args.guard_duty:
            guard_duty(name, args, security_id, child, in_security)
        if args.security_hub:
            security_hub(name, args, security_id, root_id, child, in_security)
        if args.access_analyzer:
            delegated = aws.organizations.DelegatedAdministrator(
                f"{name}-access-analyzer-admin",
                account_id=security_id,
                service_principal="access-analyzer.amazonaws.com",
                opts=child,
            )
            aws.accessanalyzer.Analyzer(
                f"{name}-access-analyzer",
                analyzer_name=ready(f"{args.name}-organization", delegated),
                type="ORGANIZATION",
                tags=args.tags,
                opts=in_security,
            )
        if args.config:
            self._config(name, args, security_id, root_id, in_security, child)
        self.register_outputs(self._values)

    def _trail(
        self,
        name: str,
        args: SecurityArgs,
        organization: aws.organizations.Organization,
        management_account_id: pulumi.Input[str],
        child: pulumi.ResourceOptions,
    ) -> dict[str, pulumi.Input[object]]:
        """The organization trail, to a KMS-encrypted, versioned, access-logged bucket."""
        where = child
        if args.log_archive_account_id is not None:
            archive = _account_provider(
                f"{name}-log-archive-account",
                args.log_archive_account_id,
                args.log_archive_role_name,
                args,
                self,
            )
            where = pulumi.ResourceOptions(parent=self, providers={"aws": archive})
        trail_name = f"{args.name}-organization-trail"
        trail_arn = pulumi.Output.concat(
            f"arn:{args.partition}:cloudtrail:{args.region}:", management_account_id, f":trail/{trail_name}"
        )
        key = rotating_key(
            f"{name}-trail-key",
            description=f"{args.name}: the organization trail's logs",
            policy=trail_key_policy(
                args, args.log_archive_account_id or management_account_id, trail_arn, organization.id
            ),
            tags=args.tags,
            opts=where,
        )
        access_logs = AccessLogBucket(
            f"{name}-trail-access-logs",
            account_id=args.log_archive_account_id or management_account_id,
            expire_after_days=TRAIL_RETENTION_DAYS,
            tags=args.tags,
            opts=where,
        )
        bucket = PrivateBucket(
            f"{name}-trail-logs",
            PrivateBucketArgs(
                key_arn=key.arn,
                expire_after_days=TRAIL_RETENTION_DAYS,
                extra_statements=lambda arn: trail_bucket_statements(
                    arn, trail_arn, management_account_id, organization.id
                ),
                access_log_bucket=access_logs.target,
                tags=args.tags,
            ),
            opts=where,
        )
        assert bucket.policy is not None  # the trail bucket keeps PrivateBucketArgs' policy=True
        access_logs.admit([bucket.arn])
        trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=trail_name,
            s3_bucket_name=ready(bucket.bucket, bucket.policy),  # CloudTrail checks the policy at creation
            kms_key_id=key.arn,
            is_organization_trail=True,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            tags=args.tags,
            opts=child.merge(pulumi.ResourceOptions(depends_on=[organization])),
        )
        return {"trailArn": trail.arn, "trailBucket": bucket.bucket}

    def _config(
        self,
        name: str,
        args: SecurityArgs,
        security_id: pulumi.Output[str],
        root_id: pulumi.Input[str],
        in_security: pulumi.ResourceOptions,
        child: pulumi.ResourceOptions,
    ) -> None:
        """Recorders in every member account (a StackSet), aggregated in the security account."""
        delegated = [
            aws.organizations.DelegatedAdministrator(
                f"{name}-{principal.split('.')[0]}-admin",
                account_id=security_id,
                service_principal=principal,
                opts=child,
            )
            for principal in ("config.amazonaws.com", "config-multiaccountsetup.amazonaws.com")
        ]
        role = aws.iam.Role(
            f"{name}-config-aggregator-role",
            assume_role_policy=json.dumps(
                document(
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "config.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                )
            ),
            managed_policy_arns=[
                f"arn:{args.partition}:iam::aws:policy/service-role/AWSConfigRoleForOrganizations"
            ],
            tags=args.tags,
            opts=in_security,
        )
        aws.cfg.ConfigurationAggregator(
            f"{name}-config-aggregator",
            name=f"{args.name}-organization",
            organization_aggregation_source=aws.cfg.ConfigurationAggregatorOrganizationAggregationSourceArgs(
                all_regions=True, role_arn=ready(role.arn, *delegated)
            ),
            tags=args.tags,
            opts=in_security,
        )
        stack_set = aws.cloudformation.StackSet(
            f"{name}-config-recorders",
            name=f"{args.name}-config-recorders",
            description="muon: AWS Config recording in every member account",
            permission_model="SERVICE_MANAGED",
            auto_deployment=aws.cloudformation.StackSetAutoDeploymentArgs(
                enabled=True, retain_stacks_on_account_removal=False
            ),
            capabilities=["CAPABILITY_NAMED_IAM"],
            template_body=json.dumps(config_recorder_template(), sort_keys=True),
            opts=child.merge(
                pulumi.ResourceOptions(depends_on=delegated, ignore_changes=["administrationRoleArn"])
            ),
        )
        aws.cloudformation.StackSetInstance(
            f"{name}-config-recorders-everywhere",
            stack_set_name=stack_set.name,
            deployment_targets=aws.cloudformation.StackSetInstanceDeploymentTargetsArgs(
                organizational_unit_ids=[root_id]  # the root: every account, present and future
            ),
            stack_set_instance_region=args.region,
            opts=child,
        )

    def outputs(self) -> dict[str, pulumi.Input[object]]:
        return self._values
