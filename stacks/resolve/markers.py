"""Every value of a definition whose type carries a marker (an ARN's scope, a path's rule), with
its path: how a check that needs the stack (its region, its files) finds every value of a kind,
on every surface present and future, without a list of keys to keep up to date."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any, TypeVar

from pydantic import BaseModel

Marker = TypeVar("Marker")
Path = tuple[str | int, ...]


def marked(
    value: Any, kind: type[Marker], annotation: Any = None, path: Path = (), metadata: tuple[Any, ...] = ()
) -> Iterator[tuple[Path, Any, Marker]]:
    """(path, value, marker) for every value under ``value`` whose declared type carries a
    ``kind`` marker; paths use the YAML's keys (camelCase aliases)."""
    marker, inner = _unwrap(annotation, kind, value)
    # pydantic keeps a field's own Annotated[...] metadata apart from its annotation.
    marker = marker or next((m for m in metadata if isinstance(m, kind)), None)
    if marker is not None and value is not None:
        yield path, value, marker
    if isinstance(value, BaseModel):
        for name, field in type(value).model_fields.items():
            where = (*path, field.alias or name)
            yield from marked(getattr(value, name), kind, field.annotation, where, tuple(field.metadata))
    elif isinstance(value, dict):
        item_type = typing.get_args(inner)[-1] if typing.get_origin(inner) is dict else None
        for key, item in value.items():
            yield from marked(item, kind, item_type, (*path, key))
    elif isinstance(value, list | tuple):
        item_type = typing.get_args(inner)[0] if typing.get_origin(inner) in (list, tuple) else None
        for index, item in enumerate(value):
            yield from marked(item, kind, item_type, (*path, index))


def _accepts(member: Any, value: Any) -> bool:
    while typing.get_origin(member) is typing.Annotated:
        member = typing.get_args(member)[0]
    base = typing.get_origin(member) or member
    return isinstance(base, type) and isinstance(value, base)


def _unwrap(annotation: Any, kind: type[Marker], value: Any = None) -> tuple[Marker | None, Any]:
    """The ``kind`` marker of ``annotation`` (through ``Annotated``, ``X | None``, and the one member
    of a union ``value`` is an instance of: a secret's name or its ``{…}`` form), and the type under it."""
    found: Marker | None = None
    while annotation is not None:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            found = found or next((m for m in annotation.__metadata__ if isinstance(m, kind)), None)
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                members = [m for m in members if _accepts(m, value)]
            if len(members) != 1:
                return found, annotation
            annotation = members[0]
        else:
            break
    return found, annotation


def shown(path: Path) -> str:
    """``("services", "banana", "hosts", 0)`` → ``services.banana.hosts[0]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
