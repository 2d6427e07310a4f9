"""GuardDuty and Security Hub for the whole organization, run by the security account.

Two facts of real AWS decide the order and the shape here:

- Designating GuardDuty's delegated administrator enables GuardDuty in that account, i.e. creates
  its detector, in the current region (GuardDuty user guide, "Permissions required to designate a
  delegated GuardDuty administrator account"); a detector created next to the designation would
  race it and fail with "a detector already exists for the current account"
  (terraform-provider-aws issue #11780). So the security account's detector comes first and the
  designation waits for it: the designation then finds it, and nothing is created twice.
  Security Hub is enabled in the security account before its designation for the same reason.
- Security Hub's local ``AutoEnable`` enrols only accounts that join the organization later
  (Security Hub API reference, UpdateOrganizationConfiguration). Every member, present and
  future, is enrolled by central configuration instead: a configuration policy (Security Hub on,
  AWS Foundational Security Best Practices) associated with the organization's root
  (CreateConfigurationPolicy, StartConfigurationPolicyAssociation; the pulumi-aws
  ``securityhub.ConfigurationPolicyAssociation`` docs give this shape, with the finding
  aggregator central configuration requires). The aggregator links no other region: muon's
  organization security, like its Config recorders, covers the stack's region.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from muon.components.policies import ready

if TYPE_CHECKING:
    from muon.components.org_security import SecurityArgs

FSBP = "standards/aws-foundational-security-best-practices/v/1.0.0"


def guard_duty(
    name: str,
    args: SecurityArgs,
    security_id: pulumi.Output[str],
    child: pulumi.ResourceOptions,
    in_security: pulumi.ResourceOptions,
) -> None:
    """The security account's detector, then its designation, then every member auto-enabled."""
    detector = aws.guardduty.Detector(
        f"{name}-guardduty",
        enable=True,
        finding_publishing_frequency="FIFTEEN_MINUTES",
        tags=args.tags,
        opts=in_security,
    )
    admin = aws.guardduty.OrganizationAdminAccount(
        f"{name}-guardduty-admin",
        admin_account_id=security_id,
        opts=child.merge(pulumi.ResourceOptions(depends_on=[detector])),
    )
    aws.guardduty.OrganizationConfiguration(
        f"{name}-guardduty-organization",
        detector_id=ready(detector.id, admin),
        # ALL: existing members as well as new ones (GuardDuty API reference,
        # UpdateOrganizationConfiguration, autoEnableOrganizationMembers).
        auto_enable_organization_members="ALL",
        opts=in_security,
    )


def security_hub(
    name: str,
    args: SecurityArgs,
    security_id: pulumi.Output[str],
    root_id: pulumi.Input[str],
    child: pulumi.ResourceOptions,
    in_security: pulumi.ResourceOptions,
) -> None:
    """Security Hub in the security account, its designation, and a central configuration policy
    on the root: every account of the organization, those there now included."""
    hub = aws.securityhub.Account(
        f"{name}-securityhub",
        enable_default_standards=False,  # FSBP through the configuration policy, explicitly
        auto_enable_controls=True,
        control_finding_generator="SECURITY_CONTROL",
        opts=in_security,
    )
    admin = aws.securityhub.OrganizationAdminAccount(
        f"{name}-securityhub-admin",
        admin_account_id=security_id,
        opts=child.merge(pulumi.ResourceOptions(depends_on=[hub])),
    )
    aggregator = aws.securityhub.FindingAggregator(
        f"{name}-securityhub-aggregator",
        linking_mode="NO_REGIONS",
        opts=in_security.merge(pulumi.ResourceOptions(depends_on=[admin])),
    )
    organization = aws.securityhub.OrganizationConfiguration(
        f"{name}-securityhub-organization",
        # Under CENTRAL, AWS holds these at false/NONE: the policy below enrols the accounts.
        auto_enable=False,
        auto_enable_standards="NONE",
        organization_configuration={"configuration_type": "CENTRAL"},
        opts=in_security.merge(pulumi.ResourceOptions(depends_on=[aggregator])),
    )
    policy = aws.securityhub.ConfigurationPolicy(
        f"{name}-securityhub-policy",
        name=f"{args.name}-organization",
        description="muon: Security Hub with AWS Foundational Security Best Practices, every account",
        configuration_policy={
            "service_enabled": True,
            "enabled_standard_arns": [f"arn:{args.partition}:securityhub:{args.region}::{FSBP}"],
            # Every control, and every control AWS adds later.
            "security_controls_configuration": {"disabled_control_identifiers": []},
        },
        opts=in_security.merge(pulumi.ResourceOptions(depends_on=[organization])),
    )
    aws.securityhub.ConfigurationPolicyAssociation(
        f"{name}-securityhub-everywhere",
        policy_id=policy.id,
        target_id=root_id,  # the root: every account, present and future
        opts=in_security,
    )
