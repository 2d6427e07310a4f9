"""Compliance controls as checks over rendered resources (the list: docs/compliance.md).

Each rule reads resources the way the provider receives them (type token, logical name,
camelCase inputs) and returns findings. They run on the offline plan, so a default that breaks a
control fails a test here rather than an audit later. Control ids are FSBP's where one exists.
"""

from __future__ import annotations

from collections.abc import Sequence

from muon.policy import rules_compute, rules_data, rules_delivery, rules_network  # noqa: F401 - they register
from muon.policy.checks import RULES, Finding, Resource
from muon.policy.exceptions import EXCEPTIONS, ControlException

__all__ = ["Finding", "evaluate", "split_excepted"]


def evaluate(resources: Sequence[Resource]) -> list[Finding]:
    return [finding for check in RULES for finding in check(resources)]


def split_excepted(
    findings: list[Finding], exceptions: tuple[ControlException, ...] = EXCEPTIONS
) -> tuple[list[Finding], list[tuple[Finding, ControlException]]]:
    """Findings not covered by the exception list, and the covered ones with their reason."""
    open_findings, excepted = [], []
    for finding in findings:
        reason = next((e for e in exceptions if e.excuses(finding.control, finding.resource)), None)
        if reason is None:
            open_findings.append(finding)
        else:
            excepted.append((finding, reason))
    return open_findings, excepted
