"""The organization's security services' arguments: the plan's choice, with the ids of the
accounts the Organization created (Outputs)."""

from __future__ import annotations

from muon.components.org_security import SecurityArgs
from muon.components.organization import Organization
from muon.stacks.resolve.organization import OrganizationPlan


def security_args(
    plan: OrganizationPlan, organization: Organization, region: str, name: str
) -> SecurityArgs | None:
    """With the accounts' ids (created accounts have theirs only once created)."""
    choice = plan.security
    if choice is None:
        return None
    partition = (
        "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    )
    return SecurityArgs(
        name=name,
        region=region,
        partition=partition,
        security_account_id=organization.account_ids[choice.account],
        role_name=choice.role_name,
        log_archive_account_id=(
            organization.account_ids[choice.log_archive] if choice.log_archive is not None else None
        ),
        log_archive_role_name=choice.log_archive_role_name,
        tags=plan.args.tags,
        **choice.switches,
    )
