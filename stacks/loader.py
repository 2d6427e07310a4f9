"""Reading ``muon.yaml`` into a :class:`Definition`, with errors a person can act on.

Every problem is reported as ``<file>: <path>: <what was expected>``, all problems of a file in
one message, and never as a traceback.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from muon.stacks.definition import PATTERN_HINTS, Definition, _PathError
from muon.stacks.errors import DefinitionError

Model = TypeVar("Model", bound=BaseModel)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys (PyYAML keeps the last one silently)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key '{key}'", key_node.start_mark)
        seen[key] = key_node
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML text; a syntax error becomes one line naming the file, line and column."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise DefinitionError([f"{where}: invalid YAML: {error.problem or error}"]) from None
    except yaml.YAMLError as error:
        raise DefinitionError([f"{source}: invalid YAML: {error}"]) from None


def load_definition(path: str | Path) -> Definition:
    """Read and validate a definition file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DefinitionError([f"{path}: no such definition file"]) from None
    except OSError as error:
        raise DefinitionError([f"{path}: cannot read: {error.strerror}"]) from None
    return parse_definition(text, str(path))


def parse_definition(text: str, source: str = "muon.yaml") -> Definition:
    data = parse_yaml(text, source)
    if data is None:
        raise DefinitionError([f"{source}: the file is empty; expected at least 'environments:'"])
    return validate(Definition, data, source)


def validate(model: type[Model], data: Any, source: str, prefix: tuple[str | int, ...] = ()) -> Model:
    """Validate ``data`` against ``model``; raise one DefinitionError listing every problem."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [_describe(model, prefix, detail, source) for detail in error.errors()]
        raise DefinitionError(list(dict.fromkeys(problems))) from None


def format_path(loc: tuple[str | int, ...]) -> str:
    """``("services", "banana", "pathPatterns", 0)`` → ``services.banana.pathPatterns[0]``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def _describe(model: type[BaseModel], prefix: tuple[str | int, ...], detail: Any, source: str) -> str:
    loc = tuple(detail["loc"])
    if loc and loc[-1] == "[key]":  # a dict key (an environment or service name) is invalid
        loc = loc[:-1]
    kind = detail["type"]
    original = (detail.get("ctx") or {}).get("error")
    if isinstance(original, _PathError):
        loc, message = loc + original.loc, str(original)
    elif kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        message = f"unknown key '{loc[-1]}'" + (f"; expected one of: {', '.join(allowed)}" if allowed else "")
    elif kind == "missing":
        message = "required key is missing"
    elif kind == "literal_error":
        message = f"expected {detail['ctx']['expected']}, got {_show(detail['input'])}"
    elif kind == "value_error":
        message = str(original) if original is not None else detail["msg"]
    elif kind == "string_pattern_mismatch":
        regex = detail["ctx"]["pattern"]
        message = (
            f"expected {PATTERN_HINTS.get(regex, 'text matching ' + regex)}, got {_show(detail['input'])}"
        )
    else:
        message = f"{_lower_first(detail['msg'])}, got {_show(detail['input'])}"
    return f"{source}: {format_path(prefix + loc)}: {message}"


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


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
