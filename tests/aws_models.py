"""Validate rendered inputs against the AWS API models botocore ships (types, required, ranges, enums)."""

from __future__ import annotations

from functools import cache
from typing import Any

from botocore.model import ServiceModel, Shape
from botocore.session import get_session
from botocore.validate import ParamValidator


@cache
def _model(service: str) -> ServiceModel:
    return get_session().get_service_model(service)


def _enum_problems(shape: Shape, value: Any, path: str) -> list[str]:
    problems = []
    if shape.type_name == "string" and shape.enum and value not in shape.enum:
        problems.append(f"{path}: {value!r} is not one of {shape.enum}")
    elif shape.type_name == "structure" and isinstance(value, dict):
        for key, item in value.items():
            if key in shape.members:
                problems += _enum_problems(shape.members[key], item, f"{path}.{key}")
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            problems += _enum_problems(shape.member, item, f"{path}[{index}]")
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            problems += _enum_problems(shape.value, item, f"{path}.{key}")
    return problems


def assert_valid(service: str, operation: str, params: dict[str, Any]) -> None:
    shape = _model(service).operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    problems = _enum_problems(shape, params, operation)
    assert not report.has_errors(), report.generate_report()
    assert problems == []
