"""Elastic Load Balancing offline: what boto3's elbv2 client answers about a listener's rules,
from the rules a render's mocks hold (there is no Pulumi data source for them to mock)."""

from __future__ import annotations

from typing import Any


class OfflineElbv2:
    """The two calls of boto3's elbv2 client that read a listener's rules, answered from the
    mocks' rules in the same shapes (and failing with a ClientError where ``errors`` says)."""

    def __init__(self, rules: dict[tuple[str, int], dict[str, Any]], errors: dict[str, str]) -> None:
        self.rules, self.errors = rules, errors

    def _fail(self, operation: str) -> None:
        if operation in self.errors:
            from botocore.exceptions import ClientError

            code = self.errors[operation]
            raise ClientError({"Error": {"Code": code, "Message": f"offline: {code}"}}, operation)

    def describe_rules(self, ListenerArn: str, **_: Any) -> dict[str, Any]:  # noqa: N803 - boto3's names
        self._fail("DescribeRules")
        rules = [
            {"RuleArn": rule["arn"], "Priority": str(priority), "Conditions": rule.get("conditions", [])}
            for (listener, priority), rule in self.rules.items()
            if listener == ListenerArn
        ]
        return {"Rules": rules}

    def describe_tags(self, ResourceArns: list[str]) -> dict[str, Any]:  # noqa: N803 - boto3's names
        self._fail("DescribeTags")
        tags = {rule["arn"]: rule.get("tags", {}) for rule in self.rules.values()}
        return {
            "TagDescriptions": [
                {"ResourceArn": arn, "Tags": [{"Key": k, "Value": v} for k, v in tags[arn].items()]}
                for arn in ResourceArns
            ]
        }
