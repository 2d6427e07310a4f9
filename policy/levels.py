"""How much a finding matters: mandatory in production (and in stacks with no tier, such as the
delivery stack), advisory in development, whose defaults trade some controls for cost on purpose
(docs/compliance.md). The offline plan and the CrossGuard pack use the same levels.

A finding names a resource by its logical name; muon's names start with the environment's
(``dev-…``), and every tagged resource carries ``muon:environment`` and ``muon:tier``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from muon.policy.checks import Finding, Resource
from muon.policy.exceptions import EXCEPTIONS, ControlException
from muon.policy.rules import evaluate, split_excepted

Level = Literal["mandatory", "advisory"]


@dataclass(frozen=True)
class Assessed:
    finding: Finding
    level: Level


def tiers(resources: Sequence[Resource]) -> dict[str, str]:
    """Environment name → tier, from the resources' tags."""
    found: dict[str, str] = {}
    for resource in resources:
        tags = resource.inputs.get("tags")
        if isinstance(tags, dict) and "muon:environment" in tags and "muon:tier" in tags:
            found[str(tags["muon:environment"])] = str(tags["muon:tier"])
    return found


def level_of(resource_name: str, environment_tiers: dict[str, str]) -> Level:
    owners = [env for env in environment_tiers if resource_name == env or resource_name.startswith(f"{env}-")]
    if not owners:
        return "mandatory"
    owner = max(owners, key=len)
    return "advisory" if environment_tiers[owner] == "development" else "mandatory"


def assess(
    resources: Sequence[Resource], exceptions: tuple[ControlException, ...] = EXCEPTIONS
) -> tuple[list[Assessed], list[tuple[Finding, ControlException]]]:
    """The open findings with their level, and the documented exceptions."""
    open_findings, excepted = split_excepted(evaluate(resources), exceptions)
    environment_tiers = tiers(resources)
    return [Assessed(f, level_of(f.resource, environment_tiers)) for f in open_findings], excepted
