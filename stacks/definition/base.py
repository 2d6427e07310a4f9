"""What every module of the definition builds on: string patterns with readable hints, and the
error that places a problem at a deeper path than the validator that found it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import StringConstraints

PATTERN_HINTS: dict[str, str] = {}
"""What each string pattern means, in words, for error messages (pattern → hint)."""


def pattern(regex: str, hint: str) -> StringConstraints:
    """A string constraint whose error message says ``hint`` rather than the regex."""
    from pydantic import StringConstraints  # pydantic's types: not for the wording of a problem (shape.py)

    # One hint a pattern: problems.py finds it by the pattern alone (pydantic's error names no field).
    if PATTERN_HINTS.setdefault(regex, hint) != hint:
        raise ValueError(f"pattern {regex} has two hints: {PATTERN_HINTS[regex]!r} and {hint!r}")
    return StringConstraints(pattern=regex)


class _PathError(ValueError):
    """A cross-reference error found at the top level but belonging to a deeper path."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        self.loc = loc
        super().__init__(message)
