"""AWS Organizations: the organization, an OU tree, service control policies and accounts.

Two things have no resource in the AWS provider, and are small dynamic resources here:
detaching the AWS-managed ``FullAWSAccess`` SCP (attached by AWS to every new OU and account; an
allow-list SCP only restricts once it is gone), and moving an existing member account into an OU.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi import dynamic

FULL_AWS_ACCESS = "FullAWSAccess"
FULL_AWS_ACCESS_ID = "p-FullAWSAccess"
MAX_OU_DEPTH = 5
"""OUs nest at most five levels below the root (Organizations quotas)."""
MAX_POLICIES_PER_TARGET = 5
MAX_SCP_CHARACTERS = 5120


def minified(document: dict[str, Any]) -> str:
    """The policy as sent to the API: the size quota counts every character stored, whitespace too."""
    return json.dumps(document, separators=(",", ":"))


@dataclass(frozen=True)
class PolicyPlan:
    name: str
    description: str
    content: str


@dataclass(frozen=True)
class UnitPlan:
    path: str
    name: str
    parent: str | None
    policies: tuple[str, ...]
    keep_full_access: bool


@dataclass(frozen=True)
class AccountPlan:
    name: str
    unit: str
    email: str | None
    account_id: str | None
    role_name: str
    policies: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrganizationArgs:
    policies: tuple[PolicyPlan, ...]
    units: tuple[UnitPlan, ...]
    """Parents before children."""
    accounts: tuple[AccountPlan, ...]
    root_policies: tuple[str, ...] = ()
    adopt_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


class _FullAwsAccessDetachment(dynamic.ResourceProvider):
    """Detach FullAWSAccess from a target on create; attach it back on delete.

    Self-contained (imports inside methods): Pulumi serialises dynamic providers by value.
    """

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        import boto3

        client = boto3.client("organizations", region_name="us-east-1")
        target = props["target_id"]
        attached = client.list_policies_for_target(TargetId=target, Filter="SERVICE_CONTROL_POLICY")[
            "Policies"
        ]
        if any(p["Id"] == "p-FullAWSAccess" for p in attached):
            client.detach_policy(PolicyId="p-FullAWSAccess", TargetId=target)
        return dynamic.CreateResult(id_=f"{target}/p-FullAWSAccess", outs=dict(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        changed = olds.get("target_id") != news.get("target_id")
        return dynamic.DiffResult(changes=changed, replaces=["target_id"] if changed else [])

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        import contextlib

        import boto3

        client = boto3.client("organizations", region_name="us-east-1")
        with contextlib.suppress(client.exceptions.DuplicatePolicyAttachmentException):
            client.attach_policy(PolicyId="p-FullAWSAccess", TargetId=props["target_id"])


class FullAwsAccessDetachment(dynamic.Resource):
    def __init__(
        self, name: str, target_id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(_FullAwsAccessDetachment(), name, {"target_id": target_id}, opts)


class _AccountPlacement(dynamic.ResourceProvider):
    """Keep an existing member account in an OU: MoveAccount from wherever it is now."""

    def _move(self, account: str, destination: str) -> None:
        import boto3

        client = boto3.client("organizations", region_name="us-east-1")
        source = client.list_parents(ChildId=account)["Parents"][0]["Id"]
        if source != destination:
            client.move_account(AccountId=account, SourceParentId=source, DestinationParentId=destination)

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        self._move(props["account_id"], props["parent_id"])
        return dynamic.CreateResult(id_=props["account_id"], outs=dict(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        replaces = ["account_id"] if olds.get("account_id") != news.get("account_id") else []
        return dynamic.DiffResult(changes=olds != news, replaces=replaces)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        self._move(news["account_id"], news["parent_id"])
        return dynamic.UpdateResult(outs=dict(news))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        # Back to the root: the account stays a member, unrestricted by the OU it leaves.
        self._move(props["account_id"], props["root_id"])


class AccountPlacement(dynamic.Resource):
    def __init__(
        self,
        name: str,
        account_id: str,
        parent_id: pulumi.Input[str],
        root_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {"account_id": account_id, "parent_id": parent_id, "root_id": root_id}
        super().__init__(_AccountPlacement(), name, props, opts)


class Organization(pulumi.ComponentResource):
    root_id: pulumi.Output[str]
    unit_ids: dict[str, pulumi.Output[str]]
    policy_ids: dict[str, pulumi.Output[str]]
    account_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: OrganizationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:org:Organization", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        organization = aws.organizations.Organization(
            f"{name}-organization",
            feature_set="ALL",
            enabled_policy_types=["SERVICE_CONTROL_POLICY"],
            # Deleting an organization needs every member gone first: never by accident.
            opts=child.merge(pulumi.ResourceOptions(protect=True, import_=args.adopt_id)),
        )
        self.root_id = organization.roots.apply(lambda roots: roots[0]["id"])
        self.policy_ids = {}
        for policy in args.policies:
            self.policy_ids[policy.name] = aws.organizations.Policy(
                f"{name}-policy-{_slug(policy.name)}",
                name=policy.name,
                description=policy.description or None,
                type="SERVICE_CONTROL_POLICY",
                content=policy.content,
                tags=args.tags,
                opts=child,
            ).id
        self._attach(name, "root", self.root_id, args.root_policies, child)
        self.unit_ids = {}
        for unit in args.units:
            parent_id = self.root_id if unit.parent is None else self.unit_ids[unit.parent]
            ou = aws.organizations.OrganizationalUnit(
                f"{name}-ou-{_slug(unit.path)}",
                name=unit.name,
                parent_id=parent_id,
                tags=args.tags,
                opts=child,
            )
            self.unit_ids[unit.path] = ou.id
            attachments = self._attach(name, f"ou-{_slug(unit.path)}", ou.id, unit.policies, child)
            if not unit.keep_full_access:
                # After the unit's own SCPs: a target must never be left without any.
                FullAwsAccessDetachment(
                    f"{name}-ou-{_slug(unit.path)}-without-full-access",
                    ou.id,
                    opts=child.merge(pulumi.ResourceOptions(depends_on=attachments)),
                )
        self.account_ids = {}
        for account in args.accounts:
            parent_id = self.unit_ids[account.unit]
            if account.account_id is not None:
                AccountPlacement(
                    f"{name}-account-{_slug(account.name)}-placement",
                    account.account_id,
                    parent_id,
                    self.root_id,
                    opts=child,
                )
                self.account_ids[account.name] = pulumi.Output.from_input(account.account_id)
                target: pulumi.Input[str] = account.account_id
            else:
                created = aws.organizations.Account(
                    f"{name}-account-{_slug(account.name)}",
                    name=account.name,
                    email=account.email,
                    role_name=account.role_name,
                    parent_id=parent_id,
                    # Closing an account is a 90-day, support-assisted affair: never on `destroy`.
                    close_on_deletion=False,
                    iam_user_access_to_billing="ALLOW",
                    tags=args.tags,
                    opts=child.merge(
                        pulumi.ResourceOptions(
                            protect=True,
                            # AWS never returns the role name: without this every run would diff.
                            ignore_changes=["roleName"],
                        )
                    ),
                )
                self.account_ids[account.name] = created.id
                target = created.id
            self._attach(name, f"account-{_slug(account.name)}", target, account.policies, child)
        self.register_outputs(self.outputs())

    def _attach(
        self,
        name: str,
        target_name: str,
        target_id: pulumi.Input[str],
        policies: tuple[str, ...],
        child: pulumi.ResourceOptions,
    ) -> list[pulumi.Resource]:
        return [
            aws.organizations.PolicyAttachment(
                f"{name}-{target_name}-{_slug(policy)}",
                policy_id=self.policy_ids[policy],
                target_id=target_id,
                opts=child,
            )
            for policy in policies
        ]

    def outputs(self) -> dict[str, pulumi.Input[object]]:
        return {
            "rootId": self.root_id,
            "unitIds": self.unit_ids,
            "policyIds": self.policy_ids,
            "accountIds": self.account_ids,
        }


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text).strip("-").lower()
