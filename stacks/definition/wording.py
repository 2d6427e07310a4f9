"""How a problem with the definition reads: ``<file>: <path>: <what was expected>``, the value shown
short and never when it may be a credential. Shared by the models' check (problems.py) and the shape
check before them (shape.py), so both word a mistake alike; no pydantic here."""

from __future__ import annotations

import reprlib
from typing import Any

from muon.stacks.definition.base import PATTERN_HINTS
from muon.stacks.definition.secrets import CREDENTIALS, credential_kind

EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "list_type": "a list",
}
"""pydantic's type errors, in the definition's words (never its class names: 'instance of ServiceSpec')."""

MISSING = "required key is missing"


def format_path(loc: tuple[str | int, ...]) -> str:
    """``("services", "banana", "pathPatterns", 0)`` → ``services.banana.pathPatterns[0]``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def problem(source: str, loc: tuple[str | int, ...], message: str, value: Any) -> str:
    """One problem's line, with any credential in it replaced (``value``: what was refused)."""
    return redacted(f"{source}: {format_path(loc)}: {message}", value)


def unknown_key(key: str | int, allowed: list[str]) -> str:
    return f"unknown key '{key}'" + (f"; expected one of: {', '.join(allowed)}" if allowed else "")


def expected(kind: str, value: Any) -> str:
    """A value of the wrong type (``kind``: one of :data:`EXPECTED`)."""
    return f"expected {EXPECTED[kind]}, got {show(value)}"


def literal(choices: str, value: Any) -> str:
    """``choices``: pydantic's words for a Literal's values (``'web' or 'worker'``)."""
    return f"expected {choices}, got {show(value)}"


def pattern_mismatch(regex: str, value: Any, hidden: bool, hint: str | None = None) -> str:
    """Text that does not match ``regex``; ``hidden``: the value may be a secret, never echoed;
    ``hint``: what the pattern means, when the models that registered it are not loaded."""
    got = "a value that is not shown (it may be a secret)" if hidden else show(value)
    return f"expected {hint or PATTERN_HINTS.get(regex, 'text matching ' + regex)}, got {got}"


def hides_value(loc: tuple[str | int, ...], key: bool) -> bool:
    """A rejected secret reference may be the secret itself (a variable's name is no secret)."""
    return "secrets" in loc and not key


_PREVIEW = reprlib.Repr()
_PREVIEW.maxlevel, _PREVIEW.maxdict, _PREVIEW.maxlist, _PREVIEW.maxstring, _PREVIEW.maxother = 2, 3, 3, 40, 40


def show(value: Any) -> str:
    """A short preview of a value, in bounded time however large it is (never a full repr), and
    never a credential: a value misplaced may still be a secret."""
    if _holds_credential(value):
        return "a value not shown (it looks like a credential)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads yes/no/on/off/true/false unquoted as a boolean: quote it)"
    text = _PREVIEW.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def redacted(problem: str, value: Any) -> str:
    """``problem`` with any credential in it (a misplaced value, a key) replaced: a rule's own
    message may quote the value it refuses."""
    for expression, _ in CREDENTIALS:
        problem = expression.sub("(a value not shown)", problem)
    if (
        isinstance(value, str)
        and len(value) >= 24
        and credential_kind(value) is not None
        and value in problem
    ):
        problem = problem.replace(value, "(a value not shown)")
    return problem


def _holds_credential(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` or a text inside it (a few levels down, a few items each) is a credential."""
    if isinstance(value, str):
        return credential_kind(value[:4096]) is not None
    if depth < 3 and isinstance(value, dict):
        return any(_holds_credential(item, depth + 1) for item in list(value.values())[:50])
    if depth < 3 and isinstance(value, list):
        return any(_holds_credential(item, depth + 1) for item in value[:50])
    return False
