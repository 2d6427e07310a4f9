"""AWS quotas a rendered stack counts against, and how much of each it uses.

Each quota: AWS's name for it, its default value, where AWS documents it (the page name), whether
a Service Quotas request can raise it, and what it is counted per (one load balancer, one event
bus, the account and region...). ``assess()`` counts a rendering against every quota; the offline
plan (``plan/command.py``) prints the table with ``--quotas``, warns at 80 % and refuses at 100 %
of a quota that cannot be raised.

Quotas shared by every stack of an account and region (roles, event rules, security groups) are
counted for this stack only: the plan is offline and does not read the account's current use.

Sources (AWS documentation, values as published):
- "Quotas for your Application Load Balancers" (Elastic Load Balancing user guide): Application
  Load Balancers per Region 50 (adjustable), Certificates per ALB 25 (adjustable), Target Groups per
  ALB 100 (not adjustable), Target Groups per Region 3,000 (adjustable), Rules per ALB excluding
  default rules 100 (adjustable) — rechecked for issue 35
- "Amazon EventBridge quotas" (EventBridge user guide): Number of rules 300 per event bus
  (adjustable; 100 in af-south-1/eu-south-1) — rechecked for issue 35
- "Dashboard Body Structure and Syntax" (CloudWatch API reference): "an array of between 0 and 500
  widget objects" — rechecked for issue 35
- "IAM and AWS STS quotas" (IAM user guide)
- "Amazon VPC quotas" (VPC user guide)
- "CloudWatch service quotas" (CloudWatch user guide: dashboards)
- "AWS Systems Manager endpoints and quotas" (AWS General Reference: Parameter Store)
- "CloudWatch Logs quotas" (CloudWatch Logs user guide)
- "Quotas for EventBridge Scheduler" (EventBridge Scheduler user guide)
- "Amazon ECS service quotas" (ECS developer guide)
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from muon.plan.offline import RenderedResource, Rendering

WARN_AT = 0.8


@dataclass(frozen=True)
class Quota:
    key: str
    name: str
    """AWS's name for it, as the Service Quotas console and the documentation print it."""
    service: str
    """The service whose Service Quotas page holds it (where a raise is requested)."""
    default: int
    adjustable: bool
    per: str
    """What one count is per: ``load balancer``, ``event bus``, ``account and region`` ..."""
    source: str
    """The AWS documentation page that states the default."""
    shared: bool
    """True: every stack in the account and region counts against it, not this stack alone."""
    remedy: str
    """What to do when this stack reaches it."""


ALB_PAGE = "Quotas for your Application Load Balancers"
QUOTAS: tuple[Quota, ...] = (
    Quota(
        "alb-target-groups", "Target Groups per Application Load Balancer", "Elastic Load Balancing",
        100, False, "load balancer", ALB_PAGE, False,
        "set 'loadBalancer: <name>' on some web services (each name is one more load balancer)",
    ),
    Quota(
        "alb-rules", "Rules per Application Load Balancer", "Elastic Load Balancing",
        100, True, "load balancer", ALB_PAGE, False,
        "request an increase of 'Rules per Application Load Balancer' in Service Quotas",
    ),
    Quota(
        "alb-certificates", "Certificates per Application Load Balancer", "Elastic Load Balancing",
        25, True, "load balancer", ALB_PAGE, False,
        "use a wildcard certificate, or request an increase in Service Quotas",
    ),
    Quota(
        "albs", "Application Load Balancers per Region", "Elastic Load Balancing",
        50, True, "account and region", ALB_PAGE, True,
        "request an increase of 'Application Load Balancers per Region' in Service Quotas",
    ),
    Quota(
        "target-groups", "Target Groups per Region", "Elastic Load Balancing",
        3000, True, "account and region", ALB_PAGE, True,
        "request an increase of 'Target Groups per Region' in Service Quotas",
    ),
    Quota(
        "event-rules", "Number of rules (per event bus)", "Amazon EventBridge",
        300, True, "event bus", "Amazon EventBridge quotas", True,
        "request an increase of the EventBridge rules quota in Service Quotas",
    ),
    Quota(
        "iam-roles", "Roles per account", "AWS Identity and Access Management (IAM)",
        1000, True, "account", "IAM and AWS STS quotas", True,
        "request an increase of 'Roles per account' in Service Quotas (up to 5,000)",
    ),
    Quota(
        "security-groups", "VPC security groups per Region", "Amazon Virtual Private Cloud (Amazon VPC)",
        2500, True, "account and region", "Amazon VPC quotas", True,
        "request an increase of 'VPC security groups per Region' in Service Quotas",
    ),
    Quota(
        "security-group-inbound", "Inbound rules per security group",
        "Amazon Virtual Private Cloud (Amazon VPC)",
        60, True, "security group", "Amazon VPC quotas", False,
        "request an increase of 'Inbound or outbound rules per security group' in Service Quotas",
    ),
    Quota(
        "dashboard-widgets", "Widgets per dashboard", "Amazon CloudWatch",
        500, False, "dashboard", "Dashboard Body Structure and Syntax (CloudWatch API reference)", False,
        "split the environment's services over several dashboards",
    ),
    Quota(
        "dashboard-metrics", "Metrics per dashboard (across all widgets)", "Amazon CloudWatch",
        2500, False, "dashboard", "CloudWatch service quotas", False,
        "split the environment's services over several dashboards",
    ),
    Quota(
        "ssm-parameters", "Standard parameters (Parameter Store)", "AWS Systems Manager",
        10000, False, "account and region", "AWS Systems Manager endpoints and quotas", True,
        "move parameters to the advanced tier (100,000, charged per parameter)",
    ),
    Quota(
        "log-groups", "Log groups", "Amazon CloudWatch Logs",
        1_000_000, True, "account and region", "CloudWatch Logs quotas", True,
        "request an increase of 'Log groups' in Service Quotas",
    ),
    Quota(
        "schedules", "Schedules", "Amazon EventBridge Scheduler",
        1_000_000, True, "account and region", "Quotas for EventBridge Scheduler", True,
        "request an increase of 'Schedules' in Service Quotas",
    ),
    Quota(
        "ecs-services", "Services per cluster", "Amazon Elastic Container Service (Amazon ECS)",
        5000, False, "cluster", "Amazon ECS service quotas", False,
        "split the environment in two (each has its own cluster)",
    ),
)  # fmt: skip
BY_KEY = {quota.key: quota for quota in QUOTAS}


@dataclass(frozen=True)
class Usage:
    quota: Quota
    holder: str
    """Which load balancer, bus, dashboard ...; ``account`` for account-wide quotas."""
    used: int

    @property
    def share(self) -> float:
        return self.used / self.quota.default

    @property
    def level(self) -> str:
        """``refuse``: past a quota no request can raise; ``over``: past a raisable one; ``warn``:
        at 80 % or more (at 100 % the deploy still succeeds, the next one would not); ``ok``."""
        if self.used > self.quota.default:
            return "over" if self.quota.adjustable else "refuse"
        return "warn" if self.share >= WARN_AT else "ok"

    def message(self) -> str:
        quota = self.quota
        where = f"{quota.per} {self.holder}" if quota.per != self.holder else quota.per
        counted = " (this stack's share only)" if quota.shared else ""
        head = f"{quota.service} '{quota.name}': {self.used} of {quota.default:,} on {where}{counted}"
        if self.level == "refuse":
            return f"{head} — the default cannot be raised; {quota.remedy}"
        if self.level == "over":
            return f"{head} — deploying would fail; {quota.remedy} before deploying"
        full = "full: one more fails the deploy" if self.used == quota.default else f"{self.share:.0%}"
        return f"{head} ({full}); {quota.remedy} before it is reached"


def _by_arn(rendering: Rendering, type_token: str) -> dict[str, RenderedResource]:
    return {str(r.state.get("arn", "")): r for r in rendering.of_type(type_token)}


def _load_balancer_of_listener(rendering: Rendering) -> dict[str, str]:
    balancers = _by_arn(rendering, "aws:lb/loadBalancer:LoadBalancer")
    result = {}
    for listener in rendering.of_type("aws:lb/listener:Listener"):
        arn = str(listener.inputs.get("loadBalancerArn", ""))
        result[str(listener.state.get("arn", ""))] = balancers[arn].name if arn in balancers else arn
    return result


def _load_balancers(rendering: Rendering) -> Iterable[Usage]:
    listeners = _load_balancer_of_listener(rendering)
    rules: Counter[str] = Counter()
    groups: dict[str, set[str]] = {}
    for rule in rendering.of_type("aws:lb/listenerRule:ListenerRule"):
        balancer = listeners.get(str(rule.inputs.get("listenerArn", "")), "(attached listener)")
        rules[balancer] += 1
        for action in rule.inputs.get("actions") or []:
            if action.get("targetGroupArn"):
                groups.setdefault(balancer, set()).add(str(action["targetGroupArn"]))
    certificates = Counter(
        listeners.get(str(c.inputs.get("listenerArn", "")), "(attached listener)")
        for c in rendering.of_type("aws:lb/listenerCertificate:ListenerCertificate")
    )
    for balancer in sorted(set(rules) | set(certificates) | set(listeners.values())):
        yield Usage(BY_KEY["alb-rules"], balancer, rules[balancer])
        yield Usage(BY_KEY["alb-target-groups"], balancer, len(groups.get(balancer, ())))
        yield Usage(BY_KEY["alb-certificates"], balancer, certificates[balancer])


def _dashboards(rendering: Rendering) -> Iterable[Usage]:
    for dashboard in rendering.of_type("aws:cloudwatch/dashboard:Dashboard"):
        body: dict[str, Any] = json.loads(str(dashboard.inputs.get("dashboardBody") or "{}"))
        widgets = body.get("widgets", [])
        metrics = sum(len(w.get("properties", {}).get("metrics", [])) for w in widgets)
        name = str(dashboard.inputs.get("dashboardName", dashboard.name))
        yield Usage(BY_KEY["dashboard-widgets"], name, len(widgets))
        yield Usage(BY_KEY["dashboard-metrics"], name, metrics)


def _security_group_inbound(rendering: Rendering) -> Iterable[Usage]:
    groups = {str(g.state.get("id", "")): g for g in rendering.of_type("aws:ec2/securityGroup:SecurityGroup")}
    inbound = Counter({gid: len(g.inputs.get("ingress") or []) for gid, g in groups.items()})
    for rule in rendering.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        inbound[str(rule.inputs.get("securityGroupId", ""))] += 1
    for gid, count in inbound.items():
        if count:
            yield Usage(BY_KEY["security-group-inbound"], groups[gid].name if gid in groups else gid, count)


def _counted(key: str, type_token: str, holder: Callable[[RenderedResource], str]) -> Callable[..., Any]:
    def count(rendering: Rendering) -> Iterable[Usage]:
        per = Counter(holder(r) for r in rendering.of_type(type_token))
        if not per:
            per["account and region" if BY_KEY[key].per == "account and region" else BY_KEY[key].per] = 0
        for name, used in sorted(per.items()):
            yield Usage(BY_KEY[key], name, used)

    return count


def _account(_: RenderedResource) -> str:
    return "account and region"


COUNTERS: tuple[Callable[[Rendering], Iterable[Usage]], ...] = (
    _load_balancers,
    _counted("albs", "aws:lb/loadBalancer:LoadBalancer", _account),
    _counted("target-groups", "aws:lb/targetGroup:TargetGroup", _account),
    _counted(
        "event-rules",
        "aws:cloudwatch/eventRule:EventRule",
        lambda r: str(r.inputs.get("eventBusName") or "default"),
    ),
    _counted("iam-roles", "aws:iam/role:Role", lambda _: "account"),
    _counted("security-groups", "aws:ec2/securityGroup:SecurityGroup", _account),
    _security_group_inbound,
    _dashboards,
    _counted(
        "ssm-parameters",
        "aws:ssm/parameter:Parameter",
        lambda r: "account and region" if r.inputs.get("tier", "Standard") == "Standard" else "(advanced)",
    ),
    _counted("log-groups", "aws:cloudwatch/logGroup:LogGroup", _account),
    _counted("schedules", "aws:scheduler/schedule:Schedule", _account),
    _counted(
        "ecs-services", "aws:ecs/service:Service", lambda r: str(r.inputs.get("cluster", "")).split("/")[-1]
    ),
)


def assess(rendering: Rendering) -> list[Usage]:
    """Every quota this stack counts against, per holder (each load balancer, each dashboard ...)."""
    return [
        usage
        for counter in COUNTERS
        for usage in counter(rendering)
        if usage.holder != "(advanced)"  # advanced-tier parameters count against another quota
    ]


def fullest(usages: list[Usage]) -> list[Usage]:
    """One line per quota: the holder closest to its limit (the table's view)."""
    best: dict[str, Usage] = {}
    for usage in usages:
        if usage.quota.key not in best or usage.used > best[usage.quota.key].used:
            best[usage.quota.key] = usage
    return [best[q.key] for q in QUOTAS if q.key in best]


def findings(usages: list[Usage]) -> tuple[list[str], list[str]]:
    """(refusals, warnings): one line each, the refusal naming the quota and what to do."""
    refusals = [u.message() for u in usages if u.level == "refuse"]
    warnings = [u.message() for u in usages if u.level in ("warn", "over")]
    return refusals, warnings


def document(usages: list[Usage]) -> dict[str, Any]:
    """The ``quotas`` object of ``--json``: every quota's use on its fullest holder."""
    return {
        "accountUsageRead": False,
        "note": "shared quotas are counted for this stack only: the account's current use is not read",
        "quotas": [
            {
                "key": u.quota.key,
                "name": u.quota.name,
                "service": u.quota.service,
                "default": u.quota.default,
                "adjustable": u.quota.adjustable,
                "per": u.quota.per,
                "holder": u.holder,
                "used": u.used,
                "level": u.level,
                "shared": u.quota.shared,
                "source": u.quota.source,
            }
            for u in fullest(usages)
        ],
    }
