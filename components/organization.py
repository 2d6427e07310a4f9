"""AWS Organizations: the organization, an OU tree, service control policies and accounts.

Two things have no resource in the AWS provider, and are small dynamic resources here (using the
stack's own AWS settings, and stored by value so that any checkout can read the state):
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

from muon.components.policies import ready

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
    """Every SCP of the organization; required (may be empty)."""
    units: tuple[UnitPlan, ...]
    """Parents before children."""
    accounts: tuple[AccountPlan, ...]
    """Member accounts, created or adopted; required (may be empty)."""
    root_policies: tuple[str, ...] = ()
    """SCPs attached to the root; default none."""
    adopt_id: str | None = None
    """An existing organization's id to import; default None: a new one. Protected either way."""
    service_principals: tuple[str, ...] = ()
    """Services with trusted access to the organization (the security services muon enables)."""
    aws_settings: dict[str, str] = field(default_factory=lambda: {"region": "us-east-1"})
    """The stack's AWS settings (``region``, ``profile``, ``role_arn``…) for the dynamic providers.
    Default us-east-1, where Organizations' endpoint is."""
    tags: dict[str, str] = field(default_factory=dict)
    """Default none (the stack's tags come by transformation)."""


def _providers() -> tuple[type[dynamic.ResourceProvider], type[dynamic.ResourceProvider]]:
    """The two dynamic providers, defined in a function on purpose.

    Pulumi stores a dynamic provider in the state by pickling it (dill). A class importable by name
    would be stored as a reference to this module, which a checkout elsewhere, another layout or an
    installed package could not resolve; a class defined here is stored by value, whole. Imports
    happen inside the methods for the same reason.
    """

    def organizations(settings: dict[str, Any]) -> Any:
        """An Organizations client with the stack's AWS settings (region, profile, role), not the
        ambient defaults of whoever runs the provider."""
        import boto3

        session = boto3.Session(profile_name=settings.get("profile") or None, region_name=settings["region"])
        role = settings.get("role_arn")
        if role:
            request = {
                "RoleArn": role,
                "RoleSessionName": settings.get("session_name") or "muon-organization",
            }
            if settings.get("external_id"):
                request["ExternalId"] = settings["external_id"]
            credentials = session.client("sts").assume_role(**request)["Credentials"]
            session = boto3.Session(
                aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"],
                aws_session_token=credentials["SessionToken"],
                region_name=settings["region"],
            )
        return session.client("organizations")

    class FullAwsAccessDetachmentProvider(dynamic.ResourceProvider):
        """Detach FullAWSAccess from a target on create; attach it back on delete."""

        def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
            client = organizations(props["aws"])
            target = props["target_id"]
            attached = client.list_policies_for_target(TargetId=target, Filter="SERVICE_CONTROL_POLICY")[
                "Policies"
            ]
            if any(p["Id"] == "p-FullAWSAccess" for p in attached):
                client.detach_policy(PolicyId="p-FullAWSAccess", TargetId=target)
            return dynamic.CreateResult(id_=f"{target}/p-FullAWSAccess", outs=dict(props))

        def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
            changed = olds.get("target_id") != news.get("target_id")
            return dynamic.DiffResult(
                changes=changed or olds != news, replaces=["target_id"] if changed else []
            )

        def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
            return dynamic.UpdateResult(outs=dict(news))  # only the AWS settings changed

        def delete(self, _id: str, props: dict[str, Any]) -> None:
            import contextlib

            client = organizations(props["aws"])
            with contextlib.suppress(client.exceptions.DuplicatePolicyAttachmentException):
                client.attach_policy(PolicyId="p-FullAWSAccess", TargetId=props["target_id"])

    class AccountPlacementProvider(dynamic.ResourceProvider):
        """Keep an existing member account in an OU: MoveAccount from wherever it is now."""

        def _move(self, props: dict[str, Any], destination: str) -> None:
            client = organizations(props["aws"])
            account = props["account_id"]
            source = client.list_parents(ChildId=account)["Parents"][0]["Id"]
            if source != destination:
                client.move_account(AccountId=account, SourceParentId=source, DestinationParentId=destination)

        def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
            self._move(props, props["parent_id"])
            return dynamic.CreateResult(id_=props["account_id"], outs=dict(props))

        def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
            replaces = ["account_id"] if olds.get("account_id") != news.get("account_id") else []
            return dynamic.DiffResult(changes=olds != news, replaces=replaces)

        def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
            self._move(news, news["parent_id"])
            return dynamic.UpdateResult(outs=dict(news))

        def delete(self, _id: str, props: dict[str, Any]) -> None:
            # Back to the root: the account stays a member, unrestricted by the OU it leaves.
            self._move(props, props["root_id"])

    return FullAwsAccessDetachmentProvider, AccountPlacementProvider


FullAwsAccessDetachmentProvider, AccountPlacementProvider = _providers()


class FullAwsAccessDetachment(dynamic.Resource):
    def __init__(
        self,
        name: str,
        target_id: pulumi.Input[str],
        aws_settings: dict[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            FullAwsAccessDetachmentProvider(), name, {"target_id": target_id, "aws": aws_settings}, opts
        )


class AccountPlacement(dynamic.Resource):
    def __init__(
        self,
        name: str,
        account_id: str,
        parent_id: pulumi.Input[str],
        root_id: pulumi.Input[str],
        aws_settings: dict[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {"account_id": account_id, "parent_id": parent_id, "root_id": root_id, "aws": aws_settings}
        super().__init__(AccountPlacementProvider(), name, props, opts)


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
            aws_service_access_principals=list(args.service_principals) or None,
            # Deleting an organization needs every member gone first: never by accident.
            opts=child.merge(pulumi.ResourceOptions(protect=True, import_=args.adopt_id)),
        )
        self.organization = organization
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
        guardrails: list[pulumi.Resource] = []
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
                guardrails.append(
                    FullAwsAccessDetachment(
                        f"{name}-ou-{_slug(unit.path)}-without-full-access",
                        ou.id,
                        args.aws_settings,
                        opts=child.merge(pulumi.ResourceOptions(depends_on=attachments)),
                    )
                )
            guardrails += attachments
        self.account_ids = {}
        previous: list[pulumi.Resource] = []
        for account in args.accounts:
            # Accounts enter the tree only once every OU carries its SCPs (never an unguarded
            # moment), and one at a time: the quota of a new organization (10 accounts) or a
            # failed creation stops the run at a known account instead of anywhere.
            parent_id = ready(self.unit_ids[account.unit], *guardrails, *previous)
            if account.account_id is not None:
                placement = AccountPlacement(
                    f"{name}-account-{_slug(account.name)}-placement",
                    account.account_id,
                    parent_id,
                    self.root_id,
                    args.aws_settings,
                    opts=child,
                )
                previous = [placement]
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
                previous = [created]
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
