"""What the checks of ``checks.py`` see: the definition, and the stack that deploys it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from muon.stacks.definition import Definition, Tier, tier_of
from muon.stacks.definition.settings import StackSettings
from muon.stacks.definition.stack_config import region_partitions
from muon.stacks.tiers import TIER_DEFAULTS


@dataclass(frozen=True)
class EnvironmentScope:
    """One environment the stack deploys."""

    name: str
    tier: Tier
    domain: str | None
    """Its domain; None: none, or an attached environment's (its platform knows it)."""
    provider: str | None
    """fargate or ec2; None: an attached environment's (its platform knows it)."""
    attached: bool = False


@dataclass(frozen=True)
class Scope:
    definition: Definition
    source: str
    """The definition, as messages name it (relative to the project)."""
    settings_source: str
    """The stack file, as messages name it (``Pulumi.dev.yaml``)."""
    region: str
    partition: str
    definition_dir: Path
    project_dir: Path
    environments: tuple[EnvironmentScope, ...] = ()
    pipeline: bool = False
    """The stack deploys the pipeline."""
    connection: str | None = None
    """``muon:connection``: the pipeline's connection when the definition names none."""


def stack_scope(
    definition: Definition,
    settings: StackSettings,
    stack_source: str,
    region: str,
    folder: Path,
    project: Path,
) -> Scope:
    """What the checks of ``checks.py`` see of this stack: its region, files and environments
    (an attached environment's domain and cluster are its platform's: read later, in prepare)."""
    environments = []
    for name in settings.environments:
        spec = definition.environments[name]
        tier = tier_of(name, spec)
        attached = spec.attach is not None
        environments.append(
            EnvironmentScope(
                name=name,
                tier=tier,
                domain=spec.domain.name if spec.domain else None,
                provider=None if attached else spec.cluster.provider or TIER_DEFAULTS[tier].provider,
                attached=attached,
            )
        )
    return Scope(
        definition=definition,
        source=settings.definition,
        settings_source=stack_source,
        region=region,
        partition=region_partitions().get(region, "aws"),
        definition_dir=folder,
        project_dir=project,
        environments=tuple(environments),
        pipeline=settings.pipeline,
        connection=settings.connection,
    )
