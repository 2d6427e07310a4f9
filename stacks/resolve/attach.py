"""Attaching to a platform stack's environment: reading and checking its contract."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime.sync_await import _sync_await

from muon.components.attached import CONTRACT_OUTPUT, CONTRACT_VERSION
from muon.components.context import AwsContext
from muon.stacks.definition import AttachSpec, ServiceSpec
from muon.stacks.errors import DefinitionError

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
    claims: list[RuleClaim],
    source: str,
) -> None:
    """On a listener other projects share, each of this project's priorities must be free or
    this stack's own: a rule another stack made there is one error naming that stack."""
    ours = f"{pulumi.get_project()}/{pulumi.get_stack()}"
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


@dataclass(frozen=True)
class RuleClaim:
    """What one rule on a shared listener routes, and which stack made it."""

    arn: str
    priority: int
    paths: frozenset[str]
    hosts: frozenset[str]
    owner: str | None
    """``project/stack`` from muon's tags; None: a rule muon did not make."""


def listener_claims(listener_arn: str, aws: dict[str, str]) -> list[RuleClaim]:
    """Every rule on the listener, read with the stack's AWS settings (``aws_settings``): no
    Pulumi data source lists a listener's rules. Offline, the render's mocks answer."""
    from muon.plan.offline import active_mocks

    mocks = active_mocks()
    if mocks is not None:
        return [
            _claim(rule["arn"], priority, rule.get("conditions", []), rule.get("tags", {}))
            for (listener, priority), rule in mocks.listener_rules.items()
            if listener == listener_arn
        ]
    client = aws_session(aws).client("elbv2")
    rules = [
        rule
        for page in client.get_paginator("describe_rules").paginate(ListenerArn=listener_arn)
        for rule in page["Rules"]
        if not rule.get("IsDefault")
    ]
    tags: dict[str, dict[str, str]] = {}
    for start in range(0, len(rules), 20):  # DescribeTags takes 20 ARNs at a time
        arns = [rule["RuleArn"] for rule in rules[start : start + 20]]
        for described in client.describe_tags(ResourceArns=arns)["TagDescriptions"]:
            tags[described["ResourceArn"]] = {t["Key"]: t["Value"] for t in described.get("Tags", [])}
    return [
        _claim(
            rule["RuleArn"], int(rule["Priority"]), rule.get("Conditions", []), tags.get(rule["RuleArn"], {})
        )
        for rule in rules
    ]


def _claim(arn: str, priority: int, conditions: list[dict[str, Any]], tags: dict[str, str]) -> RuleClaim:
    def values(field: str, config: str) -> frozenset[str]:
        found: set[str] = set()
        for condition in conditions:
            if condition.get("Field") == field:
                found.update(condition.get(config, {}).get("Values") or condition.get("Values") or [])
        return frozenset(found)

    project, stack = tags.get("muon:project"), tags.get("muon:stack")
    return RuleClaim(
        arn=arn,
        priority=priority,
        paths=values("path-pattern", "PathPatternConfig"),
        hosts=values("host-header", "HostHeaderConfig"),
        owner=f"{project}/{stack}" if project and stack else None,
    )


def check_shared_patterns(
    env_name: str, platform: Platform, services: dict[str, ServiceSpec], claims: list[RuleClaim], source: str
) -> None:
    """A path (for the same hosts) or a host (with no path) another stack's rule already routes on
    the shared listener is one error naming that stack: the lower priority would win silently."""
    ours = f"{pulumi.get_project()}/{pulumi.get_stack()}"
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


def aws_session(aws: dict[str, str]) -> Any:
    """A boto3 session as the stack's AWS provider has it: its region, profile and assumed role.
    (The organization's dynamic providers build their own alike: Pulumi stores them by value, so
    they cannot import this.)"""
    import boto3

    session = boto3.Session(profile_name=aws.get("profile") or None, region_name=aws["region"])
    if not aws.get("role_arn"):
        return session
    request = {"RoleArn": aws["role_arn"], "RoleSessionName": aws.get("session_name") or "muon-attach"}
    if aws.get("external_id"):
        request["ExternalId"] = aws["external_id"]
    credentials = session.client("sts").assume_role(**request)["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=aws["region"],
    )
