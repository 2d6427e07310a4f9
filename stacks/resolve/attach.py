"""Attaching to a platform stack's environment: reading and checking its contract."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from muon.components.attached import CONTRACT_OUTPUT, CONTRACT_VERSION
from muon.components.context import AwsContext
from muon.stacks.definition import AttachSpec, ServiceSpec
from muon.stacks.errors import DefinitionError
from muon.stacks.facts import Facts, RuleClaim, StackReference

STAND_IN = "*"
"""The offline plan's stand-in contract answers for any environment under this key."""


@dataclass(frozen=True)
class Platform:
    reference: StackReference
    reference_name: str
    entry: dict[str, Any]
    """The platform stack's contract entry for this environment, values read."""


def read_platform(
    env_name: str, spec: AttachSpec, context: AwsContext, source: str, facts: Facts
) -> Platform:
    """The environment ``spec`` attaches to, or one DefinitionError saying what does not fit."""
    where = f"{source}: environments.{env_name}.attach.stack"
    contract = facts.platform_contract(env_name, spec.stack)
    document = contract.document
    if not isinstance(document, dict) or "environments" not in document:
        raise DefinitionError(
            [
                f"{where}: {spec.stack} exports no muon environments (output {CONTRACT_OUTPUT}); deploy its "
                "platform project with this muon first"
            ]
        )
    version = int(document.get("version", 0))
    if version < CONTRACT_VERSION:
        raise DefinitionError(
            [
                f"{where}: {spec.stack} exports environment contract {version}, this project needs "
                f"{CONTRACT_VERSION}; run `pulumi up` on the platform stack with this muon first"
            ]
        )
    environments: dict[str, Any] = document["environments"]
    wanted = spec.environment or env_name
    entry = environments.get(wanted) or environments.get(STAND_IN)
    if entry is None:
        raise DefinitionError(
            [
                f"{where}: {spec.stack} has no environment '{wanted}'; "
                f"it exports: {', '.join(sorted(environments))}"
            ]
        )
    if (entry.get("region"), entry.get("account")) != (context.region, context.account_id):
        raise DefinitionError(
            [
                f"{where}: environment '{wanted}' of {spec.stack} is in account {entry.get('account')}, "
                f"{entry.get('region')}; this stack deploys to {context.account_id}, {context.region}"
            ]
        )
    return Platform(contract.reference, spec.stack, entry)


def check_shared_priorities(
    env_name: str,
    platform: Platform,
    priorities: dict[str, int],
    claims: tuple[RuleClaim, ...],
    source: str,
    ours: str,
) -> None:
    """On a listener other projects share, each of this project's priorities must be free or
    this stack's own (``ours``: ``project/stack``): a rule another stack made there is one error
    naming that stack."""
    held = {claim.priority: claim for claim in claims}
    for service, priority in priorities.items():
        claim = held.get(priority)
        if claim is None or claim.owner == ours:
            continue
        raise DefinitionError(
            [
                f"{source}: services.{service}.priority: priority {priority} on the listener of environment "
                f"{env_name} ({platform.reference_name}) is taken by {_who(claim)}; set "
                f"services.{service}.priority to a free one"
            ]
        )


def listener_claims(env_name: str, platform: Platform, facts: Facts, source: str) -> tuple[RuleClaim, ...]:
    """The rules on the platform's shared listener; one error if the listener is gone (the
    rules this stack would add there could not be made)."""
    listener = platform.entry["listenerArn"]
    claims = facts.listener_rules(listener)
    if claims is None:
        raise DefinitionError(
            [
                f"{source}: environments.{env_name}.attach.stack: the listener of {platform.reference_name} "
                f"({listener}) does not exist; run `pulumi up` on the platform stack first"
            ]
        )
    return claims


def check_shared_patterns(
    env_name: str,
    platform: Platform,
    services: dict[str, ServiceSpec],
    claims: tuple[RuleClaim, ...],
    source: str,
    ours: str,
) -> None:
    """A path (for the same hosts) or a host (with no path) another stack's rule already routes on
    the shared listener is one error naming that stack (``ours``: ``project/stack``, whose rules
    are this stack's own): the lower priority would win silently."""
    for service, spec in services.items():
        if spec.kind != "web":
            continue
        paths = frozenset(spec.path_patterns)
        hosts = frozenset(spec.host_patterns) | frozenset(spec.hosts)
        for claim in claims:
            if claim.owner == ours:
                continue
            same_hosts = claim.hosts == hosts
            taken = sorted(paths & claim.paths) if same_hosts else []
            if not paths and not claim.paths and hosts & claim.hosts:
                taken = sorted(hosts & claim.hosts)
            if taken:
                key = "pathPatterns" if paths else "hostPatterns"
                raise DefinitionError(
                    [
                        f"{source}: services.{service}.{key}: {', '.join(taken)} on the listener of "
                        f"environment {env_name} ({platform.reference_name}) is already routed by "
                        f"{_who(claim)} (priority {claim.priority}); choose another path or host"
                    ]
                )


def _who(claim: RuleClaim) -> str:
    return f"stack {claim.owner}" if claim.owner else f"a rule muon did not make ({claim.arn})"
