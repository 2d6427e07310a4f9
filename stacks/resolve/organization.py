"""The organization file (``organization.yaml``): OUs, service control policies and accounts.

Validated whole before anything is declared: the OU tree's depth, each SCP's JSON, shape and size
as the API stores it, how many SCPs each target carries, and whether an allow-list would lock
muon's own platform out of an OU that hosts it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from muon.components.org_security import service_principals
from muon.components.organization import (
    FULL_AWS_ACCESS,
    MAX_OU_DEPTH,
    MAX_POLICIES_PER_TARGET,
    MAX_SCP_CHARACTERS,
    AccountPlan,
    OrganizationArgs,
    PolicyPlan,
    UnitPlan,
    minified,
)
from muon.components.pipeline_access import DEPLOYED_SERVICES
from muon.stacks.definition.loader import parse_yaml, read_text
from muon.stacks.definition.organization import OrganizationSpec, PolicySpec, UnitSpec
from muon.stacks.definition.problems import validate
from muon.stacks.definition.wording import format_path
from muon.stacks.errors import DefinitionError

# What muon's stacks and what they run call besides what they create: identity, tag lookups, the
# pipeline source, the image scan gate's enhanced-scanning findings (inspector2: Amazon Inspector
# is HIPAA eligible and PCI DSS in scope); at run time ECS Exec and the SSM agent on EC2 hosts
# (ssmmessages, ec2messages), IAM database authentication (rds-db) and a traced function's segments
# (xray: HIPAA eligible and PCI DSS in scope, AWS's "HIPAA Eligible Services Reference" and
# "Services in Scope by Compliance Program"). A test derives this from the rendered IAM policies.
RUNTIME_SERVICES = (
    "codeconnections",
    "codestar-connections",
    "ec2messages",
    "inspector2",
    "rds-db",
    "ssmmessages",
    "sts",
    "tag",
    "xray",
)
# The AWS managed policies muon attaches, by the service prefixes of their actions (IAM policy
# reference): what the roles holding them call at run time.
MANAGED_POLICY_SERVICES = {
    "AmazonSSMManagedInstanceCore": ("ec2messages", "ssm", "ssmmessages"),
    "AmazonEC2ContainerServiceforEC2Role": ("ec2", "ecr", "ecs", "logs"),
    "AmazonRDSEnhancedMonitoringRole": ("logs",),
    # AWS Backup's role, as muon uses it: snapshots of RDS and Aurora, and restores of them.
    "AWSBackupServiceRolePolicyForBackup": ("backup", "backup-storage", "kms", "rds", "tag"),
    "AWSBackupServiceRolePolicyForRestores": ("backup", "ec2", "iam", "kms", "rds"),
}
MUON_SERVICES = tuple(sorted({*DEPLOYED_SERVICES, *RUNTIME_SERVICES}))

NEW_ORGANIZATION_ACCOUNTS = 10
"""Accounts a new organization may hold, the management account included, until raised."""


@dataclass(frozen=True)
class SecurityChoice:
    """The security services, with the accounts named by their names under ``accounts``."""

    account: str
    role_name: str
    log_archive: str | None
    log_archive_role_name: str
    switches: dict[str, bool]


@dataclass(frozen=True)
class OrganizationPlan:
    args: OrganizationArgs
    warnings: tuple[str, ...]
    security: SecurityChoice | None = None


def load_organization(
    path: Path,
    *,
    tags: dict[str, str],
    aws_settings: dict[str, str] | None = None,
    setting: str | None = None,
) -> OrganizationPlan:
    source = path.name
    data = parse_yaml(read_text(path, "organization file", setting), source)
    if data is None:
        raise DefinitionError([f"{source}: the file is empty; expected at least 'units:' or 'accounts:'"])
    spec = validate(OrganizationSpec, data, source)
    return plan_organization(spec, source=source, base=path.parent, tags=tags, aws_settings=aws_settings)


@dataclass
class _Review:
    """What checking an organization file finds: problems (they stop the run) and warnings."""

    spec: OrganizationSpec
    source: str
    documents: dict[str, dict[str, Any]]
    """Each SCP's document, read."""
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def target(self, loc: tuple[str | int, ...], policies: list[str], keeps_full_access: bool) -> None:
        """A root, OU or account's SCPs: defined, and no more than AWS attaches to one target."""
        for index, name in enumerate(policies):
            if name not in self.spec.policies:
                self.problems.append(
                    f"{self.source}: {format_path((*loc, 'policies', index))}: no such policy '{name}'; "
                    f"defined: {', '.join(sorted(self.spec.policies)) or '(none)'}"
                )
        count = len(policies) + (1 if keeps_full_access else 0)
        if count > MAX_POLICIES_PER_TARGET:
            counted = " (counting FullAWSAccess, still attached)" if keeps_full_access else ""
            self.problems.append(
                f"{self.source}: {format_path((*loc, 'policies'))}: {count} SCPs{counted}; AWS allows at "
                f"most {MAX_POLICIES_PER_TARGET} on one target"
            )

    def units(
        self,
        children: dict[str, UnitSpec],
        parent: str | None,
        depth: int,
        loc: tuple[str, ...],
        allowed: set[str] | None,
    ) -> list[UnitPlan]:
        """The OUs below ``parent``, parents first. ``allowed``: the services the ancestors' SCPs
        let through (None: no allow-list above)."""
        found: list[UnitPlan] = []
        for name, unit in children.items():
            here = (*loc, name)
            path = f"{parent}/{name}" if parent else name
            if depth > MAX_OU_DEPTH:
                self.problems.append(
                    f"{self.source}: {format_path(here)}: OUs nest at most {MAX_OU_DEPTH} levels below the "
                    f"root; '{path}' is level {depth}"
                )
                continue
            keep = (unit.full_aws_access or ("detach" if unit.policies else "keep")) == "keep"
            self.target(here, unit.policies, keep)
            if not unit.policies and not keep:
                self.problems.append(
                    f"{self.source}: {format_path((*here, 'fullAwsAccess'))}: detaching FullAWSAccess from "
                    "an OU with no other SCP denies everything in it"
                )
            effective = allowed if keep else self._allowed_below(allowed, unit.policies)
            if unit.hosts_muon and effective is not None and "*" not in effective:
                missing = [s for s in MUON_SERVICES if s not in effective]
                if missing:
                    self.warnings.append(
                        f"{self.source}: OU '{path}' hosts muon environments, but its service control "
                        f"policies do not allow: {', '.join(missing)}; muon's deploys there will be denied"
                    )
            found.append(
                UnitPlan(
                    path=path, name=name, parent=parent, policies=tuple(unit.policies), keep_full_access=keep
                )
            )
            found += self.units(unit.units, path, depth + 1, (*here, "units"), effective)
        return found

    def _allowed_below(self, allowed: set[str] | None, policies: list[str]) -> set[str]:
        level = set().union(*(allowed_services(self.documents[p]) for p in policies if p in self.documents))
        return level if allowed is None else _intersect(allowed, level)

    def accounts(self) -> list[AccountPlan]:
        accounts = []
        for name, account in self.spec.accounts.items():
            self.target(("accounts", name), account.policies, keeps_full_access=True)
            accounts.append(
                AccountPlan(
                    name=name,
                    unit=account.unit,
                    email=account.email,
                    account_id=account.id,
                    role_name=account.role_name,
                    policies=tuple(account.policies),
                )
            )
        return accounts

    def account_quota(self) -> None:
        members = len(self.spec.accounts) + 1  # and the management account
        if members > NEW_ORGANIZATION_ACCOUNTS:
            self.warnings.append(
                f"{self.source}: accounts: {members} accounts with the management account, but a new "
                f"organization may hold {NEW_ORGANIZATION_ACCOUNTS} (Service Quotas, AWS Organizations, "
                "'Default maximum number of accounts'); request an increase first, or the run stops at the "
                "account that exceeds it (accounts are created one at a time, in file order)"
            )


def _security_choice(spec: OrganizationSpec) -> SecurityChoice | None:
    if spec.security is None:
        return None
    chosen = spec.account_named(spec.security.account)
    archive = spec.account_named(spec.security.log_archive) if spec.security.log_archive else None
    assert chosen is not None
    return SecurityChoice(
        account=chosen,
        role_name=spec.accounts[chosen].role_name,
        log_archive=archive,
        log_archive_role_name=spec.accounts[archive].role_name
        if archive
        else "OrganizationAccountAccessRole",
        switches={
            "trail": spec.security.trail,
            "guard_duty": spec.security.guard_duty,
            "security_hub": spec.security.security_hub,
            "access_analyzer": spec.security.access_analyzer,
            "config": spec.security.config,
        },
    )


def plan_organization(
    spec: OrganizationSpec,
    *,
    source: str,
    base: Path,
    tags: dict[str, str],
    aws_settings: dict[str, str] | None = None,
) -> OrganizationPlan:
    problems: list[str] = []
    documents: dict[str, dict[str, Any]] = {}
    for name, policy in spec.policies.items():
        document = _read_policy(name, policy, base, source, problems)
        if document is not None:
            documents[name] = document
    review = _Review(spec, source, documents, problems)
    # The root keeps FullAWSAccess: AWS requires at least one SCP on it, and an allow-list there
    # would restrict every account at once (the management account is never restricted anyway).
    review.target(("root",), spec.root.policies, keeps_full_access=True)
    units = review.units(spec.units, None, 1, ("units",), None)
    accounts = review.accounts()
    if review.problems:
        raise DefinitionError(review.problems)
    review.account_quota()
    policies = tuple(
        PolicyPlan(name=name, description=spec.policies[name].description, content=minified(documents[name]))
        for name in spec.policies
    )
    security = _security_choice(spec)
    principals = service_principals(**security.switches) if security else ()
    return OrganizationPlan(
        OrganizationArgs(
            adopt_id=spec.adopt,
            service_principals=principals,
            policies=policies,
            root_policies=tuple(spec.root.policies),
            units=tuple(units),
            accounts=tuple(accounts),
            aws_settings=aws_settings or {"region": "us-east-1"},
            tags=tags,
        ),
        tuple(review.warnings),
        security,
    )


def _intersect(allowed: set[str], level: set[str]) -> set[str]:
    if "*" in level:
        return allowed
    if "*" in allowed:
        return level
    return allowed & level


def allowed_services(document: dict[str, Any]) -> set[str]:
    """Service prefixes an SCP's unconditional Allow statements on every resource grant (``*``: all)."""
    services: set[str] = set()
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow" or "Condition" in statement:
            continue
        if "*" not in _as_list(statement.get("Resource", "*")):
            continue
        for action in _as_list(statement.get("Action")):
            if action == "*":
                services.add("*")
            elif isinstance(action, str) and ":" in action:
                services.add(action.split(":", 1)[0].lower())
    return services


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []


def _read_policy(
    name: str, policy: PolicySpec, base: Path, source: str, problems: list[str]
) -> dict[str, Any] | None:
    where = f"{source}: policies.{name}"
    if policy.file is not None:
        path = base / policy.file
        try:
            document = json.loads(read_text(path, "policy file", f"{where}.file"))
        except DefinitionError as error:
            problems.extend(error.problems)
            return None
        except json.JSONDecodeError as error:
            problems.append(
                f"{where}.file: {policy.file} is not valid JSON: {error.msg} (line {error.lineno})"
            )
            return None
        where = f"{where}.file ({policy.file})"
    else:
        document = policy.document
        where = f"{where}.document"
    if not isinstance(document, dict) or "Version" not in document or "Statement" not in document:
        problems.append(f"{where}: a policy needs 'Version' and 'Statement'")
        return None
    if document["Version"] != "2012-10-17":
        problems.append(f'{where}: Version must be "2012-10-17"')
    statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
    if not statements:
        problems.append(f"{where}: Statement is empty; a policy needs at least one statement")
    for index, statement in enumerate(statements):
        if not isinstance(statement, dict):
            problems.append(f"{where}: Statement[{index}]: expected an object")
        elif statement.get("Effect") not in ("Allow", "Deny"):
            effect = repr(statement.get("Effect"))[:40]
            problems.append(f"{where}: Statement[{index}].Effect: expected Allow or Deny, got {effect}")
        elif "Action" not in statement and "NotAction" not in statement:
            problems.append(f"{where}: Statement[{index}]: needs Action or NotAction")
    size = len(minified(document))
    if size > MAX_SCP_CHARACTERS:
        problems.append(
            f"{where}: {size} characters with whitespace removed; an SCP holds at most {MAX_SCP_CHARACTERS}"
        )
    if name == FULL_AWS_ACCESS:
        problems.append(f"{where}: '{FULL_AWS_ACCESS}' is AWS's own policy; choose another name")
    return document
