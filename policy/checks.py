"""What every compliance rule is made of: the resource it reads, the finding it returns, the registry."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from muon.components.tls_policies import TLS_POLICIES

ANYWHERE = {"0.0.0.0/0", "::/0"}
SECRET_NAME = (
    "PASSWORD",
    "SECRET",
    "TOKEN",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "ECS_ENGINE_AUTH_DATA",
)
ACCEPTED_TLS_POLICIES = set(TLS_POLICIES)  # ELB.17's accepted list


class Resource(Protocol):
    # Read-only members, so frozen dataclasses (a rendered resource, a CrossGuard one) match.
    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def parent(self) -> str:
        """URN of the parent; a bucket's configuration resources are its siblings."""

    @property
    def inputs(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Finding:
    control: str
    resource: str
    message: str

    def __str__(self) -> str:
        return f"{self.control} {self.resource}: {self.message}"


Rule = Callable[[Sequence[Resource]], Iterable[Finding]]
RULES: list[Rule] = []


def rule(function: Rule) -> Rule:
    RULES.append(function)
    return function


def _of(resources: Sequence[Resource], type_token: str) -> Sequence[Resource]:
    return [r for r in resources if r.type == type_token]


def _doc(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else (value or {})


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
