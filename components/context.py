"""Where resources are deployed: account, region and partition, resolved once per stack."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AwsContext:
    account_id: str
    region: str
    partition: str = "aws"
    namespace: str = "muon"
    """Starts every physical name, alias, path, log group and repository muon creates, so that
    two projects sharing an account and region have no name in common (default: the project's)."""

    def arn(self, service: str, resource: str, *, regional: bool = True, account: bool = True) -> str:
        region = self.region if regional else ""
        account_id = self.account_id if account else ""
        return f"arn:{self.partition}:{service}:{region}:{account_id}:{resource}"

    @property
    def root_principal(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:root"

    @property
    def dns_suffix(self) -> str:
        return "amazonaws.com.cn" if self.partition == "aws-cn" else "amazonaws.com"

    def service_principal(self, service: str) -> str:
        """``logs`` → ``logs.amazonaws.com``; regional principals are spelled out by callers."""
        return f"{service}.{self.dns_suffix}"

    def managed_policy(self, name: str) -> str:
        return f"arn:{self.partition}:iam::aws:policy/{name}"
