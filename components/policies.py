"""IAM and resource policy documents as plain data, serialised once, deterministically."""

from __future__ import annotations

import json
from typing import Any

import pulumi

Statement = dict[str, Any]


def document(*statements: Statement) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def to_json(doc: Any) -> pulumi.Output[str]:
    """Serialise a document whose leaves may be Outputs (ARNs not known until deploy)."""
    return pulumi.Output.from_input(doc).apply(lambda resolved: json.dumps(resolved, sort_keys=True))


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


def ready(value: pulumi.Input[str], *after: pulumi.Resource) -> pulumi.Output[str]:
    """``value``, handed over only once ``after`` exist.

    For what AWS uses the moment it is created: a role's ARN once its policies are attached (IAM
    is eventually consistent, and a service that starts at creation uses the role at once), an
    endpoint once the instances behind it exist. A data dependency, so only what uses ``value``
    waits: nothing else is serialised.
    """
    return pulumi.Output.all(value, *[resource.urn for resource in after]).apply(lambda values: values[0])
