"""The account's current use of the shared quotas, joined to what the rendered stack counts.

``muon plan STACK --quotas`` asks ``Facts.account_use`` (``stacks/account_use.py``) with the stack's
AWS settings; with credentials, it reads the account, else it says it could not (one line in the
table and in the JSON), never zero. A shared quota's figure is then the account's count now, minus
what this stack already has there (an earlier deploy: found by its names and tags), plus what this
stack renders; the plan's warnings and refusals apply to that figure.
"""

from __future__ import annotations

from dataclasses import replace

from muon.plan.offline import RenderedResource, Rendering
from muon.plan.quotas import Usage
from muon.stacks.account_use import AccountUse, Owned

NAMED = {
    "iam-roles": "aws:iam/role:Role",
    "event-rules": "aws:cloudwatch/eventRule:EventRule",
    "target-groups": "aws:lb/targetGroup:TargetGroup",
    "albs": "aws:lb/loadBalancer:LoadBalancer",
}
"""The shared quotas whose resources of this stack are found in the account by name."""
DEFAULT_BUS = ("default", "event bus")
"""An event-rules holder on the default bus: ``event bus`` when the stack renders no rule at all."""


def _counts(key: str, resource: RenderedResource) -> bool:
    if key == "event-rules":
        return str(resource.inputs.get("eventBusName") or "default") == "default"
    if key == "albs":
        return str(resource.inputs.get("loadBalancerType") or "application") == "application"
    return True


def owned(rendering: Rendering, project: str, stack: str) -> Owned:
    """This stack's names for its resources that count against the shared quotas read by name."""
    names: dict[str, set[str]] = {}
    autonamed: dict[str, set[str]] = {}
    for key, type_token in NAMED.items():
        for resource in rendering.of_type(type_token):
            if _counts(key, resource):
                name = resource.inputs.get("name")
                target = names if name else autonamed
                target.setdefault(key, set()).add(str(name or resource.name))
    return Owned(
        project=project,
        stack=stack,
        names={key: frozenset(found) for key, found in names.items()},
        autonamed={key: frozenset(found) for key, found in autonamed.items()},
    )


def with_account(usages: list[Usage], use: AccountUse) -> list[Usage]:
    """Every shared quota's usage with the account's figures, or the reason they were not read."""
    joined = []
    for usage in usages:
        key = usage.quota.key
        counted = use.counts.get(key)
        if not usage.quota.shared:
            joined.append(usage)
        elif key == "event-rules" and usage.holder not in DEFAULT_BUS:
            joined.append(replace(usage, not_read="the default event bus is read, not this one"))
        elif counted is None:
            joined.append(replace(usage, not_read=use.reason(key)))
        else:
            joined.append(
                replace(
                    usage,
                    holder="default" if key == "event-rules" else usage.holder,
                    existing=counted.existing,
                    deployed=counted.deployed,
                    limit=counted.limit,
                    limit_note=counted.limit_note,
                )
            )
    return joined


def account_use(rendering: Rendering, project: str, stack: str, config: dict[str, str]) -> AccountUse:
    """What the account of ``stack`` (its ``Pulumi.<stack>.yaml`` settings) uses now."""
    from muon.stacks.definition.stack_config import aws_settings
    from muon.stacks.facts import PulumiFacts

    return PulumiFacts(aws_settings(config)).account_use(owned(rendering, project, stack))
