"""What CI gates on: the plan's compliance findings with their levels, the documented exceptions and
the plan's warnings, as data (the ``--json`` document) and as an exit code (``--fail-on``).

Levels, from least to most severe: ``advisory`` (a finding in a development environment, whose
defaults trade some controls for cost on purpose), ``warning`` (something the plan says before a
deploy: a service without an image yet, production serving plain HTTP...) and ``mandatory`` (a
finding in production or in a stack without environments). ``--fail-on mandatory`` fails on a
mandatory finding; ``--fail-on warning`` on a warning too. Advisory findings never fail a plan:
development's trade-offs are by design (docs/compliance.md). Without ``--fail-on`` the plan exits 0
whatever it found, as before: reporting is not gating.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from muon.plan.offline import Rendering

FailOn = Literal["mandatory", "warning"]
FAIL_ON: tuple[FailOn, ...] = ("mandatory", "warning")
EXIT_GATE = 1
"""The plan ran and found what ``--fail-on`` names (2 stays a bad command line or definition)."""


@dataclass(frozen=True)
class Gate:
    findings: list[dict[str, Any]] = field(default_factory=list)
    """Open findings: control, resource, urn, message, level (mandatory or advisory)."""
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    """Findings the documented exceptions (policy/exceptions.py) excuse, each with its reason."""
    warnings: list[dict[str, Any]] = field(default_factory=list)
    """The plan's warnings: level ``warning`` and the message."""

    def count(self, level: str) -> int:
        return sum(1 for finding in self.findings if finding["level"] == level)

    def failures(self, fail_on: FailOn | None) -> list[str]:
        """Why the plan fails under ``fail_on`` (empty: it passes)."""
        if fail_on is None:
            return []
        reasons = []
        mandatory = self.count("mandatory")
        if mandatory:
            reasons.append(f"{mandatory} mandatory finding{'s' if mandatory > 1 else ''}")
        if fail_on == "warning" and self.warnings:
            reasons.append(f"{len(self.warnings)} warning{'s' if len(self.warnings) > 1 else ''}")
        return reasons

    def document(self) -> dict[str, Any]:
        return {
            "findings": self.findings,
            "exceptions": self.exceptions,
            "warnings": self.warnings,
            "summary": {
                "mandatory": self.count("mandatory"),
                "advisory": self.count("advisory"),
                "excepted": len(self.exceptions),
                "warnings": len(self.warnings),
            },
        }


def gate(rendering: Rendering, quota_warnings: Sequence[str] = ()) -> Gate:
    """The findings of the same rules and levels as the CrossGuard pack (``muon policy-pack``); the
    warnings are the program's and the quota model's (plan/quotas.py: a quota 80% used)."""
    from muon.policy.levels import assess

    assessed, excepted = assess(rendering.custom_resources)
    urns = {r.name: r.urn for r in rendering.custom_resources}
    findings = [
        {
            "control": a.finding.control,
            "resource": a.finding.resource,
            "urn": urns.get(a.finding.resource),
            "message": a.finding.message,
            "level": a.level,
        }
        for a in assessed
    ]
    exceptions = [
        {
            "control": finding.control,
            "resource": finding.resource,
            "urn": urns.get(finding.resource),
            "message": finding.message,
            "reason": exception.reason,
        }
        for finding, exception in excepted
    ]
    warnings = [
        {"level": "warning", "message": message} for message in [*rendering.warnings, *quota_warnings]
    ]
    return Gate(findings, exceptions, warnings)
