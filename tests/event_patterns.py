"""EventBridge's event-pattern matching, as its user guide ("Event patterns", "Content filtering")
defines it, for the operators muon writes: value lists, nested objects, arrays in the event (any
element matches), ``anything-but``, ``exists``, ``prefix`` and ``numeric``.

moto's matcher does not look into arrays of objects (ECS task events carry ``containers[]``), so
the tests hold muon's patterns to this one and to sample events written from AWS's documented shapes.
"""

from __future__ import annotations

import operator
from typing import Any

_MISSING = object()
_NUMERIC = {"<": operator.lt, "<=": operator.le, "=": operator.eq, ">": operator.gt, ">=": operator.ge}


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """Whether ``event`` (a dict, or an element of an array) matches ``pattern``."""
    if isinstance(event, list):
        return any(matches(pattern, element) for element in event)
    if not isinstance(event, dict):
        return False
    for key, expected in pattern.items():
        value = event.get(key, _MISSING)
        if isinstance(expected, dict):
            if value is _MISSING or not matches(expected, value):
                return False
        elif not _value_matches(expected, value):
            return False
    return True


def _value_matches(expected: list[Any], value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(_one(condition, v, value is _MISSING) for condition in expected for v in values)


def _one(condition: Any, value: Any, missing: bool) -> bool:
    if not isinstance(condition, dict):
        return not missing and condition == value
    ((operator_name, argument),) = condition.items()
    if operator_name == "exists":
        return argument is not missing
    if missing:
        return False
    if operator_name == "anything-but":
        excluded = argument if isinstance(argument, list) else [argument]
        return value not in excluded
    if operator_name == "prefix":
        return isinstance(value, str) and value.startswith(argument)
    if operator_name == "numeric":
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        pairs = zip(argument[::2], argument[1::2], strict=True)
        return all(_NUMERIC[op](value, bound) for op, bound in pairs)
    raise ValueError(f"operator {operator_name} is not modelled here")
