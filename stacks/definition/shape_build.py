"""Writes ``shape_table.py``: the definition's shape as plain data, read from the models, for the
shape check that answers a definition error before any model is built (shape.py).

    python -m muon.stacks.definition.shape_build      # rewrite shape_table.py from the models

``tests/test_shape.py`` fails when the table and the models differ, so a model changed without
running this is caught. A field whose value a validator may change before it is checked (a
``BeforeValidator``, a ``mode="before"`` validator) is left to the models: the table marks it
``ANY``, and the check says nothing about it.
"""

from __future__ import annotations

import pprint
import shutil
import subprocess
import types
import typing
from pathlib import Path
from typing import Any

import annotated_types
from pydantic import BaseModel, StringConstraints, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from pydantic.functional_validators import AfterValidator

from muon.stacks.definition.base import PATTERN_HINTS
from muon.stacks.definition.document import Definition
from muon.stacks.definition.settings import StackSettings

ROOTS: tuple[type[BaseModel], ...] = (Definition, StackSettings)

REWRITTEN = {
    "ScalingSpec": ("scaleOut", "scaleIn"),  # _deep_defaults merges the default step policies in
    "ServiceSpec": ("scaling", "queue", "environments"),  # _worker_scaling: a worker's backlog defaults
}
"""The keys each model's ``mode="before"`` validator may rewrite: the check leaves them to the
models. A model with such a validator and no entry here stops the build (the check cannot know
what the validator changes)."""

TABLE = Path(__file__).with_name("shape_table.py")
ANY = "any"


def build() -> dict[str, Any]:
    """Model name → its fields and rules, for every model reachable from the roots."""
    models: dict[str, Any] = {}
    pending = list(ROOTS)
    while pending:
        model = pending.pop()
        if model.__name__ in models:
            continue
        models[model.__name__] = _model_entry(model, pending)
    return dict(sorted(models.items()))


def _model_entry(model: type[BaseModel], pending: list[type[BaseModel]]) -> dict[str, Any]:
    config = model.model_config
    decorators = model.__pydantic_decorators__
    before = [d for d in decorators.model_validators.values() if d.info.mode in ("before", "wrap")]
    if before and model.__name__ not in REWRITTEN:
        raise SystemExit(
            f"{model.__name__} has a mode='before' validator: name the keys it rewrites in REWRITTEN"
        )
    rewritten = set(REWRITTEN.get(model.__name__, ()))
    changed_first = {
        name
        for d in decorators.field_validators.values()
        if d.info.mode in ("before", "wrap", "plain")
        for name in d.info.fields
    }
    checked_after = {
        name for d in decorators.field_validators.values() if d.info.mode == "after" for name in d.info.fields
    }
    fields = []
    for name, field in model.model_fields.items():
        key = field.validation_alias or field.alias or name
        if not isinstance(key, str):
            raise SystemExit(f"{model.__name__}.{name}: an AliasPath or AliasChoices the check cannot follow")
        opaque = key in rewritten or name in rewritten or name in changed_first
        kind = ANY if opaque else _kind(field.annotation, list(field.metadata), pending, field)
        ruled = name in checked_after or _has_rule(field.annotation) or _has_rule(field.metadata)
        fields.append((key, name, kind, field.is_required() and not opaque, ruled))
    return {
        "fields": tuple(fields),
        "by_name": bool(config.get("populate_by_name")),
        "forbid": config.get("extra") == "forbid",
        # A rule of the whole model, checked once its fields are right: the table does not hold it.
        "ruled": any(d.info.mode == "after" for d in decorators.model_validators.values()),
    }


def _has_rule(annotation: Any) -> bool:
    """Whether a validator of muon's runs on the value once its type is right (AfterValidator):
    a rule the table does not hold, so a value passing the check may still be refused."""
    if isinstance(annotation, AfterValidator):
        return True
    if isinstance(annotation, (list, tuple)):
        return any(_has_rule(item) for item in annotation)
    if isinstance(annotation, FieldInfo):
        return _has_rule(annotation.metadata)
    return any(_has_rule(arg) for arg in typing.get_args(annotation))


def _kind(
    annotation: Any, metadata: list[Any], pending: list[type[BaseModel]], field: FieldInfo | None = None
) -> Any:
    """What the check asks of a value of this type: a tuple, or ANY (left to the models)."""
    if field is not None and field.discriminator is not None:
        return ANY
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner, *more = typing.get_args(annotation)
        return _kind(inner, [*more, *metadata], pending)
    nested = [m for m in metadata if isinstance(m, FieldInfo)]
    if any(f.discriminator is not None for f in nested):
        return ANY
    metadata = [m for m in metadata if not isinstance(m, FieldInfo)] + [x for f in nested for x in f.metadata]
    if any(
        not isinstance(m, (annotated_types.BaseMetadata, StringConstraints, AfterValidator)) for m in metadata
    ):
        return ANY  # a validator that runs before the type's own check, Strict, a pattern given as Field(...)
    low = next((m.min_length for m in metadata if isinstance(m, annotated_types.MinLen)), None)
    high = next((m.max_length for m in metadata if isinstance(m, annotated_types.MaxLen)), None)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1 and len(members) < len(typing.get_args(annotation)):
            inner = _kind(members[0], metadata, pending)
            return ANY if inner == ANY else ("optional", inner)
        return ANY  # a union of several types: which branch a value meant is the models' to say
    if origin is typing.Literal:
        values = typing.get_args(annotation)
        if not values or not all(isinstance(v, str) for v in values):
            return ANY
        return ("literal", tuple(values), _literal_words(annotation))
    if annotation is str:
        constraints = [m for m in metadata if isinstance(m, StringConstraints)]
        if any(c.strip_whitespace or c.to_lower or c.to_upper or c.strict for c in constraints):
            return ANY
        regexes = [c.pattern for c in constraints if c.pattern is not None]
        lengths = any(c.min_length is not None or c.max_length is not None for c in constraints)
        bounded = lengths or low is not None or high is not None
        if len(regexes) > 1 or (regexes and not isinstance(regexes[0], str)):
            return ANY
        if bounded or not regexes:  # a length rule may be checked first: the pattern is the models'
            return ("str", None, None)
        regex = str(regexes[0])
        return ("str", regex, PATTERN_HINTS.get(regex))  # the hint as the models word it
    if annotation in (int, float, bool):
        return (annotation.__name__,)
    if origin is list:
        (item,) = typing.get_args(annotation) or (Any,)
        return ("list", _kind(item, [], pending), low, high)
    if origin is dict:
        key, value = typing.get_args(annotation) or (Any, Any)
        key_kind = _kind(key, [], pending)
        if key_kind == ANY or key_kind[0] != "str":
            return ANY
        return ("dict", key_kind[1], _kind(value, [], pending), low, high)  # a key's pattern, no hint
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if metadata:
            return ANY
        pending.append(annotation)
        return ("model", annotation.__name__)
    return ANY


def _literal_words(annotation: Any) -> str:
    """pydantic's own words for a Literal's values (``'web', 'worker' or 'job'``), as its error has them."""
    try:
        TypeAdapter(annotation).validate_python(object())
    except ValidationError as error:
        return str(error.errors()[0]["ctx"]["expected"])
    raise AssertionError("a Literal took an object()")


def render() -> str:
    header = (
        '"""The definition\'s shape, read from the models by\n'
        "``python -m muon.stacks.definition.shape_build``: do not edit (tests/test_shape.py compares it\n"
        "with the models). Each model: its fields as\n"
        "(YAML key, Python name, kind, required, ruled: a validator checks it further), whether the\n"
        "Python name is taken too, whether unknown keys are refused, whether a rule checks the whole\n"
        'model. A kind is "any" (left to the models) or a tuple: (str, pattern, hint),\n'
        "(int,), (float,), (bool,), (literal, values, words), (list, item, min, max),\n"
        '(dict, key pattern, value, min, max), (model, name), (optional, kind)."""\n\n'
        "from typing import Any\n\n"
    )
    return header + "SHAPES: dict[str, Any] = " + pprint.pformat(build(), width=100, sort_dicts=False) + "\n"


if __name__ == "__main__":
    TABLE.write_text(render(), encoding="utf-8")
    formatter = shutil.which("ruff")
    if formatter:  # the repository's style (the test compares the data, not the text)
        subprocess.run([formatter, "format", "--quiet", str(TABLE)], check=True)
    print(f"wrote {TABLE}")
