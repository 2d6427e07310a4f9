"""Plain-text secrets, recognised the same way wherever a value becomes an environment variable, a
build argument, configuration or a command line.

A variable of a task definition or a function is readable by anyone allowed to describe it, and
it is kept in Pulumi's state and in the plan; a build argument stays in the image's history. So a
name that says it holds a secret, or a value that looks like a credential, is refused with the
form to use instead (``secrets:``: a Parameter Store name, injected when the task or function
starts), and the value itself is never repeated in the message.
"""

from __future__ import annotations

import collections
import itertools
import math
import re
from typing import Any

from muon.stacks.definition.base import _PathError

SECRET_WORDS = frozenset(
    {"SECRET", "TOKEN", "PASSWORD", "PASSWD", "PWD", "PASSPHRASE", "CREDENTIAL", "CREDENTIALS", "APIKEY"}
)
"""A name whose last word is one of these says it holds a secret (``GITHUB_TOKEN``, ``DB_PASSWORD``)."""
SECRET_PAIRS = ("SECRET_KEY", "PRIVATE_KEY", "ACCESS_KEY", "API_KEY", "CLIENT_SECRET", "AUTH_TOKEN")
"""…and so does one of these anywhere in it (``AWS_SECRET_ACCESS_KEY``, ``SECRET_KEY_BASE``)."""
NOT_SECRET_KEYS = frozenset(
    {
        "PUBLIC", "SORT", "PARTITION", "PRIMARY", "CACHE", "OBJECT", "S3", "HASH", "RANGE", "KMS",
        "FOREIGN", "IDEMPOTENCY", "ROUTING", "LOOKUP", "BUCKET", "GROUP", "QUEUE", "STREAM", "SHARD",
    }
)  # fmt: skip
"""``<WORD>_KEY`` names a key that is no credential (a sort key, a public key, a KMS key's id)."""

CREDENTIALS = (
    (re.compile(r"(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"), "an AWS access key id"),
    (re.compile(r"gh[pousr]_[A-Za-z0-9]{30,}"), "a GitHub token"),
    (re.compile(r"github_pat_[A-Za-z0-9_]{20,}"), "a GitHub token"),
    (re.compile(r"xox[abposr]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"[sr]k_live_[A-Za-z0-9]{8,}"), "a Stripe live key"),
    (re.compile(r"-----BEGIN (?!CERTIFICATE|PUBLIC KEY|X509 CRL)[A-Z0-9 ]+-----"), "a private key"),
    (re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), "a JSON Web Token"),
    # A scheme of at most 64 characters: unbounded, every start in a long run of letters scanned the
    # rest of it (7 s for a 70,000-character value); the user may be empty (redis://:password@).
    (re.compile(r"[a-z][a-z0-9+.-]{0,63}://[^/\s:@]*:(?!\$\{)[^/\s@]+@"), "a URL with a password in it"),
)
"""Credentials with a recognisable shape (the prefixes their issuers document)."""

PLACEHOLDER = re.compile(r"^\$\{[A-Za-z]+\}$")
HARMLESS = frozenset({"", "true", "false", "yes", "no", "on", "off", "0", "1", "none", "disabled", "enabled"})


def _words(name: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return [w for w in re.split(r"[_\-.]+", spaced.upper()) if w]


def name_says_secret(name: str) -> bool:
    words = _words(name)
    if not words:
        return False
    joined = "_".join(words)
    if any(pair in joined for pair in SECRET_PAIRS):
        return True
    if words[-1] in SECRET_WORDS:
        return True
    return words[-1] == "KEY" and (len(words) == 1 or words[-2] not in NOT_SECRET_KEYS)


def _entropy(text: str) -> float:
    counts = collections.Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _class_changes(text: str) -> float:
    kinds = ["l" if c.islower() else "u" if c.isupper() else "d" for c in text if c.isalnum()]
    return sum(a != b for a, b in itertools.pairwise(kinds)) / max(1, len(kinds) - 1)


def _random_looking(value: str) -> bool:
    """A token of 24 characters or more that reads like random bytes, not words: lower, upper
    and digits mixed, changing class at most characters, with close to maximal entropy for its
    length. (Words, versions, class names and hex digests fall short of one of these.)"""
    if len(value) < 24 or not re.fullmatch(r"[A-Za-z0-9+/=_\-.~]+", value):
        return False
    if not all(re.search(p, value) for p in ("[a-z]", "[A-Z]", "[0-9]")):
        return False
    return _class_changes(value) >= 0.4 and _entropy(value) >= math.log2(len(value)) - 1.0


def credential_kind(value: str, *, entropy: bool = True) -> str | None:
    """What ``value`` looks like, if a credential: a known shape, or (``entropy``) a random token."""
    for expression, kind in CREDENTIALS:
        if expression.search(value):
            return kind
    if entropy and _random_looking(value.strip()):
        return "a random token (a generated secret)"
    return None


def secret_problem(name: str, value: str, what: str) -> str | None:
    """Why ``name: value`` of a map of ``what`` must not be there, without repeating the value."""
    if what == "build argument":
        instead = (
            "build arguments stay in the image's history (docker history); give the running service "
            "the value through its secrets: instead"
        )
    else:
        instead = (
            "plain variables are readable by anyone who can describe the task or function and are kept "
            f"in the Pulumi state; store it in Parameter Store and name it under secrets: "
            f"(secrets: {{{name}: /<app>/{name.lower().replace('_', '-')}}})"
        )
    kind = credential_kind(value)
    if kind is not None:
        return f"the value looks like {kind} (not shown); {instead}"
    exempt = value.strip().lower() in HARMLESS or PLACEHOLDER.match(value) or value.startswith("arn:")
    if name_says_secret(name) and not exempt:
        return f"the name says it holds a secret (value not shown); {instead}"
    return None


def refuse_plain_secrets(value: dict[str, Any], what: str = "environment") -> dict[str, Any]:
    """Every entry of an environment map; a value may be a map per environment."""
    for name, item in value.items():
        for env, text in item.items() if isinstance(item, dict) else [(None, item)]:
            problem = secret_problem(str(name), str(text), what)
            if problem:
                raise _PathError((name,) if env is None else (name, env), problem)
    return value


def refuse_plain_build_arguments(value: dict[str, str]) -> dict[str, str]:
    return refuse_plain_secrets(value, "build argument")


def refuse_secret_values(value: Any) -> Any:
    """A command or free text: no credential of a known shape in it (random-looking arguments are
    common in commands and are let through)."""
    items = value if isinstance(value, list) else [value]
    for index, item in enumerate(items):
        kind = credential_kind(str(item), entropy=False) if item is not None else None
        if kind is not None:
            loc: tuple[str | int, ...] = (index,) if isinstance(value, list) else ()
            raise _PathError(
                loc,
                f"contains what looks like {kind} (not shown); read it at run time from Parameter Store "
                "(secrets:) instead of writing it here",
            )
    return value
