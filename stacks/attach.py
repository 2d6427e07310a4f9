"""Attaching to a platform stack's environment: reading and checking its contract."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi.runtime.sync_await import _sync_await

from muon.components.attached import CONTRACT_OUTPUT, CONTRACT_VERSION
from muon.components.context import AwsContext
from muon.stacks.definition import AttachSpec, ServiceSpec
from muon.stacks.errors import DefinitionError, MuonError

FREE_PRIORITY_HINTS = ("couldn't find", "not found", "empty result", "no matching")
"""How the provider says no rule holds a priority (the priority is free)."""
STAND_IN = "*"
"""The offline plan's stand-in contract answers for any environment under this key."""


@dataclass(frozen=True)
class Platform:
    reference: pulumi.StackReference
    reference_name: str
    entry: dict[str, Any]
    """The platform stack's contract entry for this environment, values read."""


def read_platform(env_name: str, spec: AttachSpec, context: AwsContext, source: str) -> Platform:
    """The environment ``spec`` attaches to, or one DefinitionError saying what does not fit."""
    where = f"{source}: environments.{env_name}.attach.stack"
    reference = pulumi.StackReference(f"{env_name}-platform", stack_name=spec.stack)
    # Read now, as the SDK's own blocking invokes wait (the same private helper): the contract
    # decides what is composed (tier, capacity, zones), which no Output can.
    details = _sync_await(reference.get_output_details(CONTRACT_OUTPUT))
    document = details.value if details.value is not None else details.secret_value
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
    return Platform(reference, spec.stack, entry)


def check_shared_priorities(
    env_name: str,
    platform: Platform,
    priorities: dict[str, int],
    services: dict[str, ServiceSpec],
    source: str,
) -> None:
    """On a listener other projects share, each of this project's priorities must be free or
    this stack's own: a rule another stack made there is one error naming that stack."""
    listener = platform.entry["listenerArn"]
    ours = (pulumi.get_project(), pulumi.get_stack())
    for service in services:
        priority = priorities[service]
        try:
            rule = aws.lb.get_listener_rule(listener_arn=listener, priority=priority)
        except Exception as error:  # "no rule at that priority" arrives as a plain invoke error
            if any(hint in str(error).lower() for hint in FREE_PRIORITY_HINTS):
                continue
            raise MuonError(f"cannot read the rules of listener {listener}: {error}") from error
        tags = rule.tags or {}
        owner = (tags.get("muon:project"), tags.get("muon:stack"))
        if owner == ours:
            continue
        who = f"stack {owner[0]}/{owner[1]}" if all(owner) else f"a rule muon did not make ({rule.arn})"
        raise DefinitionError(
            [
                f"{source}: services.{service}.priority: priority {priority} on the listener of environment "
                f"{env_name} ({platform.reference_name}) is taken by {who}; set services.{service}.priority "
                "to a free one"
            ]
        )
