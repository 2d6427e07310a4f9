"""A regional web application firewall in front of an environment's load balancer.

AWS's managed rule groups (common rules, known bad inputs, IP reputation) and a rate limit per
client IP; metrics and sampled requests on every rule; every request logged to a KMS-encrypted
log group (WAF takes only groups named ``aws-waf-logs-…``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)
COMMON_RULE_SET = MANAGED_RULE_GROUPS[0]
COUNTABLE_RULES = ("SizeRestrictions_BODY", "NoUserAgent_HEADER")
"""Rules of the common rule set that block ordinary traffic of an application: a request body
over 8 KB (an upload, a large JSON document) and a request with no User-Agent header (a health
checker, a webhook, a script) — AWS WAF developer guide, "Baseline rule groups", core rule set."""


@dataclass(frozen=True, kw_only=True)
class FirewallArgs:
    """Keyword-only, so that a default never depends on the fields' order."""

    name: str
    """The web ACL's name (letters, digits, '-', '_'); required."""
    rate_limit: int
    """Requests per client IP in any 5 minutes before it is blocked; required (only the application
    knows its traffic)."""
    key_arn: pulumi.Input[str] | None
    """The logs' key; None: CloudWatch Logs' own encryption (a CloudFront ACL's logs live in
    us-east-1, where the environment's key may not). Required, so that None is a choice."""
    log_retention_days: int = 365
    """Days its logs are kept; default 365 (CloudWatch.16)."""
    count_rules: tuple[str, ...] = ()
    """Rules of the common rule set to count (metrics, sampled requests, logs) instead of block;
    default none (AWS's own actions)."""
    scope: Literal["REGIONAL", "CLOUDFRONT"] = "REGIONAL"
    """CLOUDFRONT: in front of a distribution; AWS keeps such ACLs (and their logs) in us-east-1.
    Default REGIONAL: in front of a load balancer."""
    tags: dict[str, str] = field(default_factory=dict)
    """Default none (the stack's tags come by transformation)."""


def _visibility(metric: str) -> dict[str, Any]:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


def _managed_group(group: str, count_rules: tuple[str, ...]) -> dict[str, Any]:
    """AWS's rule group, with ``count_rules`` of the common rule set overridden to count."""
    statement: dict[str, Any] = {"name": group, "vendor_name": "AWS"}
    if group == COMMON_RULE_SET and count_rules:
        statement["rule_action_overrides"] = [
            {"name": rule, "action_to_use": {"count": {}}} for rule in count_rules
        ]
    return statement


class WebFirewall(pulumi.ComponentResource):
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: FirewallArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:network:WebFirewall", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        region = "us-east-1" if args.scope == "CLOUDFRONT" else None
        rules = [
            {
                "name": group,
                "priority": index,
                "override_action": {"none": {}},
                "statement": {"managed_rule_group_statement": _managed_group(group, args.count_rules)},
                "visibility_config": _visibility(f"{args.name}-{group}"),
            }
            for index, group in enumerate(MANAGED_RULE_GROUPS, start=1)
        ]
        rules.append(
            {
                "name": "rate-per-client-ip",
                "priority": len(rules) + 1,
                "action": {"block": {}},
                "statement": {"rate_based_statement": {"limit": args.rate_limit, "aggregate_key_type": "IP"}},
                "visibility_config": _visibility(f"{args.name}-rate-per-client-ip"),
            }
        )
        acl = aws.wafv2.WebAcl(
            f"{name}-acl",
            name=args.name,
            scope=args.scope,
            region=region,
            description=f"muon: {args.name}",
            default_action={"allow": {}},
            rules=rules,
            visibility_config=_visibility(args.name),
            tags=args.tags,
            opts=child,
        )
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"aws-waf-logs-{args.name}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.key_arn,
            region=region,
            tags=args.tags,
            opts=child,
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-logging",
            resource_arn=acl.arn,
            log_destination_configs=[logs.arn],
            region=region,
            opts=child,
        )
        self.arn = acl.arn
        self.register_outputs({"arn": self.arn})
