"""What the account already uses of the quotas every stack of it shares: IAM roles, EventBridge
rules on the default bus, security groups, target groups and Application Load Balancers of the
region. Read with the stack's own AWS settings (``aws_session``), through ``Facts.account_use``.

Per quota: the account's count now, how many of those are this stack's own (deployed by an earlier
run: counted once, not twice) and the applied quota value where AWS says it (a raised quota).

- Roles: ``iam:GetAccountSummary`` (``Roles``, and ``RolesQuota``: the applied value); this
  stack's by name (``iam:ListRoles``).
- Event rules: ``events:ListRules`` on the default bus; this stack's by name.
- Security groups: ``ec2:DescribeSecurityGroups``; this stack's by its tags (``muon:project``,
  ``muon:stack``), which every resource muon creates carries.
- Target groups, load balancers: ``elasticloadbalancing:DescribeTargetGroups``,
  ``DescribeLoadBalancers`` (application ones); this stack's by name.
- Applied values: ``servicequotas:GetServiceQuota``; no value (``NoSuchResourceException``) is
  AWS's default; a failed read leaves the default and says why.

"This stack's by name": a resource the stack names itself is found by that name; one Pulumi names
(``<name>-<7 hex digits>``) by that pattern. A read that fails (access denied, throttling, no
network) is "not read" with AWS's reason, never zero.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

KEYS = ("albs", "target-groups", "event-rules", "iam-roles", "security-groups")
"""The shared quotas (plan/quotas.py keys) whose account use is read."""
QUOTA_CODES = {
    "albs": ("elasticloadbalancing", "L-53DA6B97"),
    "target-groups": ("elasticloadbalancing", "L-B22855CB"),
    "event-rules": ("events", "L-244521F2"),
    "security-groups": ("vpc", "L-E79EC296"),
}
"""Service Quotas codes (service, quota) of the quotas whose applied value GetServiceQuota gives.
Roles per account (iam, L-FE177D64) needs none: GetAccountSummary's RolesQuota is the applied value."""
QUOTA_ABSENT = "NoSuchResourceException"
"""Service Quotas' answer for a quota with no value of its own (AWS's default applies)."""
OFFLINE = "offline render: Pulumi mocks stand in for AWS, no account is read"
PERMISSIONS = (
    "iam:GetAccountSummary",
    "iam:ListRoles",
    "events:ListRules",
    "ec2:DescribeSecurityGroups",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeLoadBalancers",
    "servicequotas:GetServiceQuota",
)
"""What the read needs (docs/many-teams.md)."""


@dataclass(frozen=True)
class Owned:
    """What this stack renders, to tell its own resources among the account's."""

    project: str
    stack: str
    names: dict[str, frozenset[str]] = field(default_factory=dict)
    """Per quota key: the names the stack gives its resources."""
    autonamed: dict[str, frozenset[str]] = field(default_factory=dict)
    """Per quota key: the logical names of resources Pulumi names (``<name>-<7 hex>``)."""

    def owns(self, key: str, name: str) -> bool:
        if name in self.names.get(key, ()):
            return True
        base, _, suffix = name.rpartition("-")
        return bool(re.fullmatch(r"[0-9a-f]{7}", suffix)) and base in self.autonamed.get(key, ())


@dataclass(frozen=True)
class Counted:
    existing: int
    """The account's count now (every stack's, and what muon did not make)."""
    deployed: int
    """Of ``existing``, this stack's own (an earlier deploy of it)."""
    limit: int | None = None
    """The applied quota value AWS answered; None: AWS's default applies (or it was not read)."""
    limit_note: str = ""
    """Why the applied value is not known, when its read failed."""


@dataclass(frozen=True)
class AccountUse:
    counts: dict[str, Counted] = field(default_factory=dict)
    unread: dict[str, str] = field(default_factory=dict)
    """Per quota key that was not read: why (AWS's answer, no credentials, offline)."""
    where: str = ""
    """The region read (empty: nothing was)."""

    @classmethod
    def nothing(cls, reason: str) -> AccountUse:
        return cls(unread=dict.fromkeys(KEYS, reason))

    def reason(self, key: str) -> str:
        return (
            self.unread.get(key)
            or "muon reads roles, event rules, security groups, target groups and ALBs only"
        )


def reason(error: BaseException) -> str:
    """One line: AWS's error code, the operation and its message; else the error's own text."""
    response = getattr(error, "response", None)
    if isinstance(response, dict) and response.get("Error", {}).get("Code"):
        details = response["Error"]
        message = " ".join(str(details.get("Message") or "").split())[:200]
        operation = getattr(error, "operation_name", "the request")
        return f"{details['Code']} on {operation}" + (f": {message}" if message else "")
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:300]


def read_account_use(aws: dict[str, str], owned: Owned) -> AccountUse:
    """The account's use of the shared quotas, with the stack's AWS settings (``aws_settings``)."""
    from muon.stacks.facts import aws_session

    try:
        session = aws_session(aws)
        if session.get_credentials() is None:
            return AccountUse.nothing(
                "no AWS credentials (the stack's profile or role, or the environment's): the account's "
                "current use is unknown"
            )
    except Exception as error:  # a profile that does not exist, a role that cannot be assumed
        return AccountUse.nothing(reason(error))
    reads: dict[str, Callable[[Any, Owned], Counted]] = {
        "albs": _load_balancers,
        "target-groups": _target_groups,
        "event-rules": _event_rules,
        "iam-roles": _roles,
        "security-groups": _security_groups,
    }
    counts, unread = {}, {}
    for key, reading in reads.items():
        try:
            counts[key] = reading(session, owned)
        except Exception as error:
            unread[key] = reason(error)
    return AccountUse(counts=counts, unread=unread, where=str(session.region_name))


def _pages(
    call: Callable[..., dict[str, Any]], items: str, token: str, next_token: str, **request: Any
) -> Iterable[Any]:
    marker = None
    while True:
        page = call(**request, **({token: marker} if marker else {}))
        yield from page.get(items) or []
        marker = page.get(next_token)
        if not marker:
            return


def _applied(session: Any, key: str) -> tuple[int | None, str]:
    service, code = QUOTA_CODES[key]
    try:
        quota = session.client("service-quotas").get_service_quota(ServiceCode=service, QuotaCode=code)
    except Exception as error:
        response = getattr(error, "response", None)
        if isinstance(response, dict) and response.get("Error", {}).get("Code") == QUOTA_ABSENT:
            return None, ""
        return None, f"applied value not read ({reason(error)}): AWS's default assumed"
    return int(quota["Quota"]["Value"]), ""


def _counted(session: Any, owned: Owned, key: str, names: list[str]) -> Counted:
    limit, note = _applied(session, key)
    deployed = sum(1 for name in names if owned.owns(key, name))
    return Counted(existing=len(names), deployed=deployed, limit=limit, limit_note=note)


def _roles(session: Any, owned: Owned) -> Counted:
    iam = session.client("iam")
    summary = iam.get_account_summary()["SummaryMap"]
    names = [r["RoleName"] for r in _pages(iam.list_roles, "Roles", "Marker", "Marker", MaxItems=1000)]
    deployed = sum(1 for name in names if owned.owns("iam-roles", name))
    return Counted(existing=int(summary["Roles"]), deployed=deployed, limit=int(summary["RolesQuota"]))


def _event_rules(session: Any, owned: Owned) -> Counted:
    events = session.client("events")
    rules = _pages(events.list_rules, "Rules", "NextToken", "NextToken", EventBusName="default", Limit=100)
    return _counted(session, owned, "event-rules", [rule["Name"] for rule in rules])


def _security_groups(session: Any, owned: Owned) -> Counted:
    ec2 = session.client("ec2")
    groups = list(
        _pages(ec2.describe_security_groups, "SecurityGroups", "NextToken", "NextToken", MaxResults=1000)
    )
    mine = {"muon:project": owned.project, "muon:stack": owned.stack}
    deployed = sum(
        1 for g in groups if mine.items() <= {t["Key"]: t["Value"] for t in g.get("Tags") or []}.items()
    )
    limit, note = _applied(session, "security-groups")
    return Counted(existing=len(groups), deployed=deployed, limit=limit, limit_note=note)


def _target_groups(session: Any, owned: Owned) -> Counted:
    elbv2 = session.client("elbv2")
    groups = _pages(elbv2.describe_target_groups, "TargetGroups", "Marker", "NextMarker", PageSize=400)
    return _counted(session, owned, "target-groups", [g["TargetGroupName"] for g in groups])


def _load_balancers(session: Any, owned: Owned) -> Counted:
    elbv2 = session.client("elbv2")
    balancers = _pages(elbv2.describe_load_balancers, "LoadBalancers", "Marker", "NextMarker", PageSize=400)
    names = [b["LoadBalancerName"] for b in balancers if b.get("Type", "application") == "application"]
    return _counted(session, owned, "albs", names)
