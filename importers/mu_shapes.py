"""The shape of every value of a mu file the importer reads, checked before it reads any.

mu read its file into Go structs (``common/types.go``): a list where a struct is expected, or a
word where a number is, was an error there too. Here each such value is one line naming the mu
path and what mu takes — never a traceback from deep inside the conversion — and a top-level key
mu does not have is a typo (with the key it was probably meant to be), not a key to drop.
"""

from __future__ import annotations

import difflib
from typing import Any

from muon.stacks.errors import DefinitionError

MU_KEYS = (
    "namespace", "environments", "service", "parameters", "tags", "templates", "extensions", "disableIAM",
    "roles", "rbac", "catalog", "region",
)  # fmt: skip
"""mu's top-level keys (``Config`` in ``common/types.go``)."""

WHOLE = ("minSize", "maxSize", "desiredCount", "desiredCapacity", "port", "priority", "cpu", "memory")
SHAPES: dict[str, str] = {
    "namespace": "text",
    "environments": "list",
    "environments[]": "map",
    "environments[].name": "text",
    "environments[].provider": "text",
    "environments[].loadbalancer": "map",
    "environments[].loadbalancer.*": "scalar",
    "environments[].cluster": "map",
    "environments[].cluster.*": "scalar",
    **{f"environments[].cluster.{key}": "whole" for key in WHOLE},
    "environments[].discovery": "map",
    "environments[].roles": "map",
    "environments[].vpcTarget": "map",
    "environments[].vpcTarget.vpcId": "text",
    "environments[].vpcTarget.environment": "text",
    "environments[].vpcTarget.namespace": "text",
    "environments[].vpcTarget.elbSubnetIds": "list",
    "environments[].vpcTarget.elbSubnetIds[]": "text",
    "environments[].vpcTarget.instanceSubnetIds": "list",
    "environments[].vpcTarget.instanceSubnetIds[]": "text",
    "environments[].vpcTarget.ecsSubnetIds": "list",
    "environments[].vpcTarget.ecsSubnetIds[]": "text",
    "tags": "map",
    "tags.*": "map",
    "tags.*.*": "scalar",
    "parameters": "map",
    "parameters.*": "map",
    "parameters.*.*": "scalar",
    "service": "map",
    "service.name": "text",
    **{f"service.{key}": "whole" for key in WHOLE},
    "service.targetCPUUtilization": "number",
    "service.pathPatterns": "list",
    "service.pathPatterns[]": "text",
    "service.hostPatterns": "list",
    "service.hostPatterns[]": "text",
    "service.healthEndpoint": "text",
    "service.protocol": "text",
    "service.imageRepository": "text",
    "service.dockerfile": "text",
    "service.networkMode": "text",
    "service.environment": "map",
    "service.environment.*": "scalar or map",
    "service.environment.*.*": "scalar",
    "service.roles": "map",
    "service.roles.*": "text",
    "service.schedules": "list",
    "service.schedules[]": "map",
    "service.schedules[].name": "text",
    "service.schedules[].expression": "text",
    "service.schedules[].command": "list or text",
    "service.schedules[].command[]": "scalar",
    "service.database": "map",
    "service.database.*": "scalar",
    "service.database.minSize": "number",
    "service.database.maxSize": "number",
    "service.database.secondsUntilAutoPause": "whole",
    "service.database.environmentConfig": "map",
    "service.database.environmentConfig.*": "map",
    "service.database.environmentConfig.*.*": "scalar",
    "service.database.environmentConfig.*.minSize": "number",
    "service.database.environmentConfig.*.maxSize": "number",
    "service.database.environmentConfig.*.secondsUntilAutoPause": "whole",
    "service.pipeline": "map",
    "service.pipeline.source": "map",
    "service.pipeline.source.*": "scalar",
    "service.pipeline.build": "map",
    "service.pipeline.build.*": "scalar",
    "service.pipeline.build.timeout": "whole",
    "service.pipeline.acceptance": "map",
    "service.pipeline.acceptance.*": "scalar",
    "service.pipeline.acceptance.roles": "map",
    "service.pipeline.production": "map",
    "service.pipeline.production.*": "scalar",
    "service.pipeline.production.roles": "map",
    "service.pipeline.notify": "list",
    "service.pipeline.notify[]": "text",
    "service.pipeline.bucket": "text",
    "service.pipeline.kmsKey": "text",
}
"""mu path (``[]`` a list's item, ``*`` a name of the file's own) → what mu takes there."""

EXPECTED = {
    "map": "a mapping",
    "list": "a list",
    "list or text": "a list (or a command line)",
    "text": "a word or a number",
    "scalar": "a value (not a list or a mapping)",
    "scalar or map": "a value or a mapping of environment name to value",
    "whole": "a whole number",
    "number": "a number",
    "text or list": "a word or a list of words",
    "text or map": "a value or a mapping",
    "list or map": "a list or a mapping",
}


def _fits(shape: str, value: Any) -> bool:
    if value is None:
        return True  # mu's zero value: the importer's default
    if shape == "map":
        return isinstance(value, dict)
    if shape == "list":
        return isinstance(value, list)
    if shape == "list or text":
        return isinstance(value, list) or not isinstance(value, dict | bytes)
    if shape == "text or list":
        return not isinstance(value, dict | bytes) and (
            not isinstance(value, list) or all(not isinstance(v, dict | list) for v in value)
        )
    if shape == "text or map":
        return not isinstance(value, list | bytes)
    if shape == "list or map":
        return isinstance(value, list | dict)
    if shape == "scalar or map":
        return not isinstance(value, list | bytes) and (
            not isinstance(value, dict) or all(not isinstance(v, dict | list) for v in value.values())
        )
    if isinstance(value, dict | list | bytes):
        return False
    if shape == "whole":
        return not isinstance(value, bool) and (isinstance(value, int) or str(value).strip().isdigit())
    if shape == "number":
        try:
            number = float(value)
        except (TypeError, ValueError):
            return False
        return not isinstance(value, bool) and number == number and abs(number) != float("inf")
    return True


def _got(value: Any) -> str:
    return repr(value[:40]) if isinstance(value, str) else type(value).__name__


def _children(pattern: str, key: str, shapes: dict[str, str]) -> str | None:
    """The pattern of ``pattern``'s child ``key``: its own, else the name pattern, else none."""
    for child in (f"{pattern}.{key}", f"{pattern}.*"):
        if any(p == child or p.startswith((f"{child}.", f"{child}[")) for p in shapes):
            return child
    return None


def walk(value: Any, pattern: str, path: str, source: str, shapes: dict[str, str] = SHAPES) -> None:
    """Every value under ``value`` whose pattern ``shapes`` names has that shape (the Copilot
    importer checks its manifests with a table of its own)."""
    shape = shapes.get(pattern)
    if shape is not None and not _fits(shape, value):
        raise DefinitionError([f"{source}: {path}: expected {EXPECTED[shape]}, got {_got(value)}"])
    if isinstance(value, dict):
        for key, item in value.items():
            child = (
                _children(pattern, str(key), shapes)
                if pattern
                else (str(key) if str(key) in shapes else None)
            )
            if child is not None:
                walk(item, child, f"{path}.{key}" if path else str(key), source, shapes)
    elif isinstance(value, list) and f"{pattern}[]" in shapes:
        for index, item in enumerate(value):
            walk(item, f"{pattern}[]", f"{path}[{index}]", source, shapes)


def check_shapes(data: dict[Any, Any], source: str) -> None:
    """Every value the importer reads has the shape mu took; every top-level key is mu's."""
    for key in (str(k) for k in data):
        if key not in MU_KEYS:
            close = difflib.get_close_matches(key, MU_KEYS, n=1)
            hint = f"did you mean {close[0]}?" if close else f"mu's keys are {', '.join(MU_KEYS)}"
            raise DefinitionError([f"{source}: {key}: not a key of a mu file; {hint}"])
    walk(data, "", "", source)
    for index, env in enumerate(data.get("environments") or []):
        if not isinstance(env, dict) or env.get("name") in (None, ""):
            raise DefinitionError(
                [f"{source}: environments[{index}].name: required; every mu environment has a name"]
            )
