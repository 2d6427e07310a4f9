"""The shape check: a definition's mistakes of shape — an unknown key, a missing one, a value of the
wrong type, a name not among a key's choices, text not matching its pattern — found from plain data
(``shape_table.py``) before any model is built, in the words the models would use.

A definition error is the most common answer muon gives, and building the ~50 models it is checked
against costs more than reading the YAML (bench/feedback.py). This check says only what the models
would say too (tests/test_shape.py holds it to that over every bad input the tests know and over
generated ones): where it cannot be sure — a union, a value a validator rewrites first, a rule
between keys — it says nothing and the models decide. So a definition it passes is still checked
by the models, and one it refuses would have been refused by them, with the same lines; the models
may find more (a rule between keys is checked once the shapes are right).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from muon.stacks.definition.loader import parse_yaml, read_text, whole_characters
from muon.stacks.definition.shape_table import SHAPES
from muon.stacks.definition.stack_config import organization_stack, raw_settings
from muon.stacks.definition.wording import (
    MISSING,
    expected,
    hides_value,
    literal,
    pattern_mismatch,
    problem,
    unknown_key,
)
from muon.stacks.errors import DefinitionError

Loc = tuple[str | int, ...]

TRUE_OR_FALSE = frozenset({"0", "off", "f", "false", "n", "no", "1", "on", "t", "true", "y", "yes"})
"""The strings pydantic reads as a boolean (any case)."""


class _UnsureError(Exception):
    """The check cannot tell what the models would say about this value: it says nothing of it."""


def shape_problems(data: Any, model: str, source: str) -> list[str]:
    """The problems of shape in ``data`` read as ``model`` (a name in SHAPES), one line each,
    worded as the models word them; empty when it found none (the models may still find some)."""
    return _Walk(source).problems(data, model)


class _Walk:
    """One reading of a document: the problems found, and whether anything was left to the models
    (a value of a kind the table does not hold, a rule of a validator's, a doubt)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.found: list[tuple[Loc, str, Any]] = []
        self.certain = True

    def problems(self, data: Any, model: str) -> list[str]:
        self.check(("model", model), data, ())
        return list(
            dict.fromkeys(problem(self.source, loc, message, value) for loc, message, value in self.found)
        )

    def check(self, kind: Any, value: Any, loc: Loc) -> None:
        """Add what is wrong with ``value`` (of ``kind``, at ``loc``); nothing when unsure."""
        if kind == "any":
            self.certain = False
            return
        try:
            self.dispatch(kind, value, loc)
        except _UnsureError:
            self.certain = False  # the models say what is wrong here, if anything; the rest stands

    def add(self, loc: Loc, message: str, value: Any) -> None:
        self.found.append((loc, message, value))

    def dispatch(self, kind: Any, value: Any, loc: Loc) -> None:
        name = kind[0]
        if name == "optional":
            if value is not None:
                self.check(kind[1], value, loc)
        elif name == "model":
            self.model(SHAPES[kind[1]], value, loc)
        elif name == "list":
            self.sequence(kind, value, loc)
        elif name == "dict":
            self.mapping(kind, value, loc)
        elif name == "literal":
            if not _text(value):
                raise _UnsureError
            if value not in kind[1]:
                self.add(loc, literal(kind[2], value), value)
        elif name == "str":
            if isinstance(value, (bytes, bytearray)) or (isinstance(value, str) and not _text(value)):
                raise _UnsureError  # pydantic decodes bytes, and refuses half a surrogate pair its way
            if not isinstance(value, str):
                self.add(loc, expected("string_type", value), value)
            elif kind[1] is not None and re.search(kind[1], value) is None:
                self.add(loc, pattern_mismatch(kind[1], value, hides_value(loc, key=False), kind[2]), value)
        else:
            error = _scalar(name, value)
            if error is not None:
                self.add(loc, expected(error, value), value)

    def sequence(self, kind: Any, value: Any, loc: Loc) -> None:
        _, item, low, high = kind
        if isinstance(value, (tuple, set, frozenset)):
            raise _UnsureError  # pydantic takes these for a list (YAML's !!set)
        if not isinstance(value, list):
            self.add(loc, expected("list_type", value), value)
            return
        if (low is not None and len(value) < low) or (high is not None and len(value) > high):
            raise _UnsureError  # a length and its items: which the models report first is theirs to say
        for index, element in enumerate(value):
            self.check(item, element, (*loc, index))

    def mapping(self, kind: Any, value: Any, loc: Loc) -> None:
        _, key_pattern, item, low, high = kind
        if not isinstance(value, dict):
            self.add(loc, expected("dict_type", value), value)
            return
        if (low is not None and len(value) < low) or (high is not None and len(value) > high):
            raise _UnsureError
        for key in value:
            if not _text(key) or (key_pattern is not None and re.search(key_pattern, key) is None):
                raise _UnsureError  # a bad name: its message names the key, the models word it
        for key, element in value.items():
            self.check(item, element, (*loc, key))

    def model(self, shape: dict[str, Any], value: Any, loc: Loc) -> None:
        """Fields in the model's order, then unknown keys in the document's: pydantic's order."""
        if not isinstance(value, dict):
            self.add(loc, expected("model_type", value), value)
            return
        if not all(_text(key) for key in value):
            raise _UnsureError
        self.certain = self.certain and not shape["ruled"]
        taken: set[str] = set()
        for key, name, kind, required, ruled in shape["fields"]:
            given = key if key in value else name if shape["by_name"] and name in value else None
            if given is None:
                if required:
                    self.add((*loc, key), MISSING, None)
                continue
            taken.add(given)
            self.certain = self.certain and not ruled
            self.check(kind, value[given], (*loc, given))
        if shape["forbid"]:
            allowed = [key for key, *_ in shape["fields"]]
            for key in value:
                if key not in taken:
                    self.add((*loc, key), unknown_key(key, allowed), value[key])


def _text(value: Any) -> bool:
    """A str pydantic reads as text (not half of a UTF-16 surrogate pair)."""
    return isinstance(value, str) and whole_characters(value)


def _scalar(name: str, value: Any) -> str | None:
    """pydantic's error for ``value`` as an int, float or bool (lax, as YAML gives it), or None
    when it takes the value; unsure of anything but the plain cases."""
    if isinstance(value, (list, dict)) or value is None:
        return f"{name}_type"
    if isinstance(value, bool):
        return None
    if name == "bool":
        if isinstance(value, int) and abs(value) < 2**63:  # past 64 bits pydantic errs otherwise
            return None if value in (0, 1) else "bool_parsing"
        if _text(value):
            return None if value.lower() in TRUE_OR_FALSE else "bool_parsing"
        raise _UnsureError
    if isinstance(value, int):
        return None
    if isinstance(value, float):
        if name == "float":
            return None
        if not math.isfinite(value) or abs(value) >= 2**53:
            raise _UnsureError  # past a float's whole numbers pydantic has errors of its own
        return None if value.is_integer() else "int_from_float"
    if _text(value) and not any(c.isdigit() for c in value):
        # No digit: no number, whatever pydantic strips or allows (1_000, 1e3); but inf and nan
        # are floats.
        if name == "float" and ("inf" in value.lower() or "nan" in value.lower()):
            raise _UnsureError
        return f"{name}_parsing"
    raise _UnsureError


def check_stack_shape(config: dict[str, str], project_dir: Path, stack_source: str) -> Any:
    """Before the models: a stack's settings and its definition read from ``project_dir``, and
    DefinitionError with the definition's problems of shape if it has any. Says nothing (returns
    None) whenever the models' own check would answer otherwise: settings they would refuse, an
    organization stack, a definition that is missing, empty or not YAML (their messages, their
    order). Returns the definition's data when it read it, so the models need not read it again."""

    keys = [key for key, *_ in SHAPES["StackSettings"]["fields"]]
    raw = raw_settings(config, stack_source, keys)  # the models' first check too, same messages
    settings = _Walk(stack_source)
    if settings.problems(raw, "StackSettings") or not settings.certain:
        # A setting's problem comes first, worded with its muon: prefix; and a setting the table
        # cannot vouch for (an ARN, an image's registry port) may be one: the models answer.
        return None
    environments, pipeline = raw.get("environments", []), raw.get("pipeline", False)
    definition = raw.get("definition", "muon.yaml")
    if not (isinstance(environments, list) and isinstance(pipeline, bool) and isinstance(definition, str)):
        return None
    if organization_stack(raw.get("organization"), environments, pipeline):
        return None  # it reads no definition
    try:
        text = read_text(
            project_dir / definition, "definition file", f"{stack_source}: muon:definition", definition
        )
        data = parse_yaml(text, definition)
    except DefinitionError:
        return None  # the models' check reads the file again and says the same
    problems = shape_problems(data, "Definition", definition) if data is not None else []
    if problems:
        raise DefinitionError(problems)
    return data
