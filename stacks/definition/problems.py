"""pydantic's validation errors as problems a person can act on: ``<file>: <path>: <what was
expected>``, union branches taken out of the path, the value shown only when it holds no secret."""

from __future__ import annotations

import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from muon.stacks.definition.base import _PathError
from muon.stacks.definition.fields import SECRET_FORMS
from muon.stacks.definition.wording import (
    EXPECTED,
    MISSING,
    expected,
    hides_value,
    literal,
    pattern_mismatch,
    problem,
    show,
    unknown_key,
)
from muon.stacks.errors import DefinitionError

Model = TypeVar("Model", bound=BaseModel)


def validate(model: type[Model], data: Any, source: str, prefix: tuple[str | int, ...] = ()) -> Model:
    """Validate ``data`` against ``model``; raise one DefinitionError listing every problem."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [_describe(model, prefix, detail, source) for detail in _without_branches(model, error)]
        raise DefinitionError(list(dict.fromkeys(problems))) from None


def _without_branches(model: type[BaseModel], error: ValidationError) -> list[dict[str, Any]]:
    """pydantic's errors with the union branches taken out of their paths (``environment.A.str``
    is ``environment.A``), one error per mistake: where a value matched one branch's shape, that
    branch's errors; where it matched none, one error saying what each branch expects."""
    details: list[tuple[int, dict[str, Any]]] = []
    unions: dict[tuple[str | int, ...], list[tuple[int, dict[str, Any], list[Any]]]] = {}
    for order, detail in enumerate(error.errors()):
        loc, union = _clean_loc(model, tuple(detail["loc"]))
        cleaned = {**detail, "loc": loc}
        if detail["type"] == "union_tag_not_found":
            tags = [
                typing.get_args(_strip(m).model_fields["type"].annotation) for m in _members_at(model, loc)
            ]
            cleaned["ctx"] = {**detail["ctx"], "expected_tags": ", ".join(t[0] for t in tags if t)}
        if union is None:
            details.append((order, cleaned))
            continue
        at, members = union
        unions.setdefault(loc[:at], []).append((order, cleaned, members))
    for point, branches in unions.items():
        # A branch that matched the value's shape failed deeper, or on a rule of its own (a
        # validator's): those errors are the mistake; otherwise no branch took the value at all.
        deeper = [
            (order, detail)
            for order, detail, _ in branches
            if len(detail["loc"]) > len(point) or detail["type"] not in EXPECTED
        ]
        if deeper:
            details += deeper
            continue
        order, first, members = branches[0]
        expected = " or ".join(dict.fromkeys(_kind_of(m) for m in members))
        mismatch = {"loc": point, "type": "union_mismatch", "msg": "", "input": first["input"]}
        details.append((order, {**mismatch, "expected": expected}))
    return [detail for _, detail in sorted(details, key=lambda item: item[0])]


def _members_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[Any]:
    """The members of the union at ``loc`` (a cleaned path), or none."""
    current: Any = model
    for part in loc:
        current = _child(_strip(current), part)
    return _members(_strip(current))


def _clean_loc(
    model: type[BaseModel], loc: tuple[str | int, ...]
) -> tuple[tuple[str | int, ...], tuple[int, list[Any]] | None]:
    """``loc`` without the names pydantic gives union branches, and where the first union was
    (its position in the cleaned path, and its members)."""
    current: Any = model
    cleaned: list[str | int] = []
    union: tuple[int, list[Any]] | None = None
    for part in loc:
        current = _strip(current)
        members = _members(current)
        if part == "[key]":  # a map's key is invalid: no branch of its value's type is involved
            cleaned.append(part)
            current = None
            continue
        if members:
            union = union or (len(cleaned), members)
            current = _branch(members, part)
            continue
        cleaned.append(part)
        current = _child(current, part)
    return tuple(cleaned), union


def _strip(annotation: Any) -> Any:
    """Without ``Annotated`` and ``| None``; a union of several types stays a union."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


def _members(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return []


def _branch(members: list[Any], tag: str | int) -> Any:
    """The member a union branch's name (``str``, ``dict[...]``, or a discriminator's tag) means."""
    for member in members:
        stripped = _strip(member)
        if isinstance(stripped, type) and issubclass(stripped, BaseModel):
            field = stripped.model_fields.get("type")
            if field is not None and tag in typing.get_args(field.annotation):
                return stripped
        origin = typing.get_origin(stripped) or stripped
        name = getattr(origin, "__name__", "")
        if isinstance(tag, str) and name and (tag == name or tag.startswith(f"{name}[")):
            return stripped
        if tag == "constrained-str" and stripped is str:
            return stripped
    return None


def _child(annotation: Any, part: str | int) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = next((f for n, f in annotation.model_fields.items() if part in (n, f.alias)), None)
        return field.annotation if field is not None else None
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (dict, list) and args:
        return args[-1]  # dict[K, V] → V, list[T] → T
    return None


def _kind_of(annotation: Any) -> str:
    """What a type takes, in words."""
    stripped = _strip(annotation)
    origin = typing.get_origin(stripped) or stripped
    args = typing.get_args(stripped)
    if origin is dict:
        value = _kind_of(args[-1]) if args else "values"
        return f"a map of names to {value.removeprefix('a ').removeprefix('an ')}"
    words = {str: "text", int: "a whole number", float: "a number", bool: "true or false", list: "a list"}
    if origin in words:
        return words[origin]
    if isinstance(origin, type) and issubclass(origin, BaseModel):
        return "a mapping"
    return "a value of another kind"


def _describe(model: type[BaseModel], prefix: tuple[str | int, ...], detail: Any, source: str) -> str:
    loc = tuple(part for part in detail["loc"] if part not in SECRET_FORMS)
    key = bool(loc) and loc[-1] == "[key]"
    if key:  # a dict key (an environment or service name) is invalid
        loc = loc[:-1]
    kind = detail["type"]
    original = (detail.get("ctx") or {}).get("error")
    if isinstance(original, _PathError):
        loc, message = loc + original.loc, str(original)
    elif kind == "extra_forbidden":
        message = unknown_key(loc[-1], _allowed_keys(model, loc[:-1]))
    elif kind == "missing":
        message = MISSING
    elif kind in EXPECTED:
        message = expected(kind, detail["input"])
    elif kind == "union_mismatch":
        message = f"expected {detail['expected']}, got {show(detail['input'])}"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        context = detail["ctx"]
        loc = (*loc, context["discriminator"].strip("'"))
        tags = str(context.get("expected_tags", "")).replace("'", "")
        got = f", got {show(context['tag'])}" if kind == "union_tag_invalid" else " (missing)"
        message = f"expected one of {tags}{got}"
    elif kind == "literal_error":
        message = literal(detail["ctx"]["expected"], detail["input"])
    elif kind in ("too_short", "too_long"):
        context = detail["ctx"]
        bound, word = (
            (context["min_length"], "least") if kind == "too_short" else (context["max_length"], "most")
        )
        items = "item" if bound == 1 else "items"
        message = f"expected at {word} {bound} {items}, got {context['actual_length']}"
    elif kind == "value_error":
        message = str(original) if original is not None else detail["msg"]
    elif kind == "string_pattern_mismatch":
        message = pattern_mismatch(detail["ctx"]["pattern"], detail["input"], hides_value(loc, key))
    else:
        message = f"{_lower_first(detail['msg'])}, got {show(detail['input'])}"
    return problem(source, prefix + loc, message, detail.get("input"))


def _allowed_keys(model: type[BaseModel], loc: tuple[str | int, ...]) -> list[str]:
    """The YAML keys accepted at ``loc`` inside ``model`` (for 'unknown key' messages)."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for n, f in current.model_fields.items() if part in (n, f.alias)), None)
            if field is None:
                return []
            current = field.annotation
        else:
            args = typing.get_args(current)
            if not args:
                return []
            current = args[-1]  # dict[K, V] → V, list[T] → T
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def _unwrap(annotation: Any) -> Any:
    """Strip ``X | None`` and ``Annotated[...]`` down to the type that matters."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = members[0]
        else:
            return annotation


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
