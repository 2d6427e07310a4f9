"""IAM and resource policy documents as plain data, serialised once, deterministically."""

from __future__ import annotations

import json
from typing import Any, TypeVar, overload

import pulumi

Statement = dict[str, Any]
T = TypeVar("T")


def document(*statements: Statement) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


class _Slot(int):
    """Where the n-th Output leaf of a document goes."""


def to_json(doc: Any) -> pulumi.Output[str]:
    """Serialise a document whose leaves may be Outputs (ARNs not known until deploy).

    Only the Output leaves are awaited, together: ``Output.from_input`` on the whole document
    would wrap every dict, list and string of it in Outputs of its own (a render's largest
    avoidable cost, bench/render.py). Secrets and unknowns carry over as they would.
    """
    leaves: list[pulumi.Output[Any]] = []

    def hollow(node: Any) -> Any:
        if isinstance(node, pulumi.Output):
            leaves.append(node)
            return _Slot(len(leaves) - 1)
        if isinstance(node, dict):
            return {key: hollow(value) for key, value in node.items()}
        if isinstance(node, list | tuple):
            return [hollow(value) for value in node]
        return node

    template = hollow(doc)

    def fill(node: Any, values: list[Any]) -> Any:
        if type(node) is _Slot:
            return values[node]
        if isinstance(node, dict):
            return {key: fill(value, values) for key, value in node.items()}
        if isinstance(node, list):
            return [fill(value, values) for value in node]
        return node

    if len(leaves) == 1:  # the common case, without Output.all's extra apply per input
        return leaves[0].apply(lambda value: json.dumps(fill(template, [value]), sort_keys=True))
    return pulumi.Output.all(*leaves).apply(lambda values: json.dumps(fill(template, values), sort_keys=True))


def allow(actions: list[str] | str, resources: Any, **extra: Any) -> Statement:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def assume_role_policy(service: str, *, source_account: str | None = None) -> str:
    """Trust policy naming one service principal; ``source_account`` guards the confused deputy."""
    statement: Statement = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": "sts:AssumeRole",
    }
    if source_account is not None:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    return json.dumps(document(statement), sort_keys=True)


def deny_insecure_transport(actions: str | list[str], resources: Any) -> Statement:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": actions,
        "Resource": resources,
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


# The Output overloads, as Output.from_input has: given an Output[str], mypy cannot choose T in
# Input[T] (T itself, or Output[T]'s str) and infers Never.
@overload
def ready(value: pulumi.Output[T], *after: pulumi.Resource) -> pulumi.Output[T]: ...
@overload
def ready(value: pulumi.Input[T], *after: pulumi.Resource) -> pulumi.Output[T]: ...
def ready(value: pulumi.Input[T], *after: pulumi.Resource) -> pulumi.Output[T]:
    """``value``, handed over only once ``after`` exist.

    For what AWS uses the moment it is created: a role's ARN once its policies are attached (IAM
    is eventually consistent, and a service that starts at creation uses the role at once), an
    endpoint once the instances behind it exist. A data dependency, so only what uses ``value``
    waits: nothing else is serialised.
    """
    if not after:
        return output_of(value)
    # A URN is known from registration on, even in a preview: the apply always runs, and its
    # result carries ``value``'s own dependencies, secrecy and unknowns along with ``after``.
    # (Output.all would wrap each input in one more apply first.)
    gate = after[0].urn if len(after) == 1 else pulumi.Output.all(*[resource.urn for resource in after])
    return gate.apply(lambda _: value)


@overload
def output_of(value: pulumi.Output[T]) -> pulumi.Output[T]: ...
@overload
def output_of(value: pulumi.Input[T]) -> pulumi.Output[T]: ...
def output_of(value: pulumi.Input[T]) -> pulumi.Output[T]:
    """``value`` as an Output: an Output as it is. ``Output.from_input`` would wrap an Output in
    one more apply (a task and its futures) to unwrap values nested in it, which an ARN, a name or
    a URL never holds."""
    return value if isinstance(value, pulumi.Output) else pulumi.Output.from_input(value)
