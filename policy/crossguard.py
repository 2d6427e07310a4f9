"""The compliance rules as a Pulumi CrossGuard policy pack: one source of rules for the offline
plan and for ``pulumi preview --policy-pack "$(muon policy-pack)"`` against a real preview (the pack's
folder ships in the package, muon/data/policy-pack; cli/policy_pack.py writes it out).

Two stack validations with the offline plan's levels: ``muon-compliance-mandatory`` (production
and delivery findings, enforcement mandatory: the preview fails) and ``muon-compliance-advisory``
(development findings, reported). The documented exceptions (policy/exceptions.py) report nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    StackValidation,
    StackValidationArgs,
    StackValidationPolicy,
)

from muon.policy.levels import Level, assess


@dataclass(frozen=True)
class PackResource:
    """A CrossGuard resource as the rules read a rendered one."""

    type: str
    name: str
    parent: str
    urn: str
    inputs: dict[str, Any] = field(default_factory=dict)


def adapt(resources: list[Any]) -> list[PackResource]:
    return [
        PackResource(
            type=r.resource_type,
            name=r.name,
            parent=r.parent.urn if r.parent is not None else "",
            urn=r.urn,
            inputs=dict(r.props),
        )
        for r in resources
    ]


def _validation(level: Level) -> StackValidation:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = adapt(args.resources)
        urns = {r.name: r.urn for r in resources}
        assessed, _ = assess(resources)
        for item in assessed:
            if item.level == level:
                report_violation(str(item.finding), urns.get(item.finding.resource))

    return validate


def policies() -> list[Policy]:  # what PolicyPack takes
    return [
        StackValidationPolicy(
            name="muon-compliance-mandatory",
            description="AWS FSBP / Checkov / cdk-nag controls muon's production and delivery defaults meet "
            "(docs/compliance.md); documented exceptions excepted.",
            enforcement_level=EnforcementLevel.MANDATORY,
            validate=_validation("mandatory"),
        ),
        StackValidationPolicy(
            name="muon-compliance-advisory",
            description="The same controls on development environments, whose defaults trade some for cost.",
            enforcement_level=EnforcementLevel.ADVISORY,
            validate=_validation("advisory"),
        ),
    ]
