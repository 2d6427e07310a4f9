"""The organization file's models (``organization.yaml``): OUs, service control policies,
accounts and the organization-wide security services (``stacks/resolve/organization.py`` checks
what a model cannot and plans the Organization)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator
from pydantic.alias_generators import to_camel

from muon.stacks.definition import Email, Spec, _PathError, pattern

PolicyName = Annotated[str, pattern(r"^[\w+=,.@-]{1,128}$", "a policy name (letters, digits, +=,.@-_)")]


UnitName = Annotated[str, pattern(r"^[\w+=,.@ -]{1,128}$", "an OU name")]


class PolicySpec(Spec):
    description: str = Field(default="", max_length=512)
    file: str | None = Field(default=None, description="JSON file, relative to the organization file.")
    document: dict[str, Any] | None = Field(default=None, description="The policy inline.")

    @model_validator(mode="after")
    def _check(self) -> PolicySpec:
        if (self.file is None) == (self.document is None):
            raise ValueError("give exactly one of 'file' or 'document'")
        return self


class UnitSpec(Spec):
    policies: list[PolicyName] = Field(default_factory=list)
    full_aws_access: Literal["keep", "detach"] | None = Field(
        default=None, description="Default: detach where the unit attaches its own policies, else keep."
    )
    hosts_muon: bool = Field(default=False, description="Warn when its SCPs would block muon's services.")
    units: dict[UnitName, UnitSpec] = Field(default_factory=dict)


class AccountSpec(Spec):
    unit: str = Field(description="OU path, e.g. HipaaOU/PciOU.")
    email: Email | None = Field(default=None, description="New account: its root user's email.")
    id: Annotated[str, pattern(r"^\d{12}$", "a 12-digit AWS account id")] | None = Field(
        default=None, description="Existing member account: moved into the unit."
    )
    role_name: Annotated[str, pattern(r"^[\w+=,.@-]{1,64}$", "an IAM role name")] = (
        "OrganizationAccountAccessRole"
    )
    policies: list[PolicyName] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> AccountSpec:
        if (self.email is None) == (self.id is None):
            raise ValueError("give 'email' to create the account or 'id' to move an existing one")
        return self


class RootSpec(Spec):
    policies: list[PolicyName] = Field(default_factory=list)


class SecuritySpec(Spec):
    """Organization-wide security services, run from a delegated administrator account."""

    account: str = Field(
        description="The security (delegated administrator) account: its name under accounts, or its id."
    )
    log_archive: str | None = Field(
        default=None,
        description="The trail bucket's account: a name or id (default: the management account).",
    )
    trail: bool = Field(default=True, description="An organization CloudTrail trail, log file validation on.")
    guard_duty: bool = Field(default=True, description="GuardDuty in every member account.")
    security_hub: bool = Field(
        default=True, description="Security Hub with AWS Foundational Security Best Practices, every member."
    )
    access_analyzer: bool = Field(default=True, description="IAM Access Analyzer for the organization.")
    config: bool = Field(default=True, description="AWS Config recording in every member account.")


class OrganizationSpec(Spec):
    adopt: (
        Annotated[str, pattern(r"^o-[a-z0-9]{10,32}$", "an organization id such as o-a1b2c3d4e5")] | None
    ) = Field(
        default=None, description="Adopt this existing organization (imported) instead of creating one."
    )
    policies: dict[PolicyName, PolicySpec] = Field(default_factory=dict)
    root: RootSpec = Field(default_factory=RootSpec)
    units: dict[UnitName, UnitSpec] = Field(default_factory=dict)
    accounts: dict[
        Annotated[str, pattern(r"^[\x20-\x7e]{1,50}$", "an account name: 1-50 printable ASCII characters")],
        AccountSpec,
    ] = Field(default_factory=dict)
    security: SecuritySpec | None = Field(
        default=None,
        description="Trail, GuardDuty, Security Hub, Access Analyzer and Config, organization-wide.",
    )

    @model_validator(mode="after")
    def _check(self) -> OrganizationSpec:
        paths = set(_unit_paths(self.units))
        for name, account in self.accounts.items():
            if account.unit not in paths:
                raise _PathError(
                    ("accounts", name, "unit"),
                    f"no such OU '{account.unit}'; defined: {', '.join(sorted(paths))}",
                )
        emails: dict[str, str] = {}
        for name, account in self.accounts.items():
            if account.email is None:
                continue
            if account.email.lower() in emails:
                raise _PathError(
                    ("accounts", name, "email"), f"already used by account '{emails[account.email.lower()]}'"
                )
            emails[account.email.lower()] = name
        if self.security is not None:
            for key in ("account", "log_archive"):
                chosen = getattr(self.security, key)
                if chosen is not None and self.account_named(chosen) is None:
                    known = (
                        ", ".join(f"{n} ({a.id or 'created'})" for n, a in self.accounts.items()) or "(none)"
                    )
                    raise _PathError(
                        ("security", to_camel(key)),
                        f"'{chosen}' is not an account of this file (by name or id); accounts: {known}",
                    )
        return self

    def account_named(self, chosen: str) -> str | None:
        """The name under ``accounts`` of the account ``chosen`` names (by name or by id)."""
        if chosen in self.accounts:
            return chosen
        return next((n for n, a in self.accounts.items() if a.id is not None and a.id == chosen), None)


def _unit_paths(units: dict[str, UnitSpec], prefix: str = "") -> list[str]:
    paths = []
    for name, unit in units.items():
        path = f"{prefix}{name}"
        paths.append(path)
        paths += _unit_paths(unit.units, f"{path}/")
    return paths
