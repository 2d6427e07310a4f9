"""No rule stricter than AWS: a definition using every key of the schema renders for dev and prod,
and the fixture does use every key (a key added to the schema without a value here fails)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from muon.plan.offline import Rendering
from tests.aws_inputs import CREATES, call_problems
from tests.conftest import PROJECT_DIR, render_definition_text

FIXTURE = PROJECT_DIR / "tests" / "data" / "every_key.yaml"
SCHEMA = PROJECT_DIR / "schema" / "muon.schema.json"


def schema_paths(schema: dict[str, Any]) -> set[str]:
    """Every property of the schema, as a path: ``services.*.scaling.schedules[].min``."""
    definitions, found = schema["$defs"], set()

    def walk(node: dict[str, Any], path: str, seen: tuple[str, ...]) -> None:
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                walk(definitions[name], path, (*seen, name))
            return
        for member in node.get("anyOf", []) + node.get("oneOf", []) + node.get("allOf", []):
            walk(member, path, seen)
        for key, child in node.get("properties", {}).items():
            found.add(f"{path}.{key}" if path else key)
            walk(child, f"{path}.{key}" if path else key, seen)
        for child in [*node.get("patternProperties", {}).values(), node.get("additionalProperties")]:
            if isinstance(child, dict):
                walk(child, f"{path}.*", seen)
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{path}[]", seen)

    walk(schema, "", ())
    return found


def used_paths(schema: dict[str, Any], data: Any) -> set[str]:
    """The schema's paths ``data`` gives a value for (a name map's keys are ``*``)."""
    definitions, found = schema["$defs"], set()

    def walk(node: dict[str, Any], value: Any, path: str) -> None:
        if "$ref" in node:
            walk(definitions[node["$ref"].rsplit("/", 1)[-1]], value, path)
            return
        for member in node.get("anyOf", []) + node.get("oneOf", []) + node.get("allOf", []):
            walk(member, value, path)
        if isinstance(value, dict):
            properties = node.get("properties", {})
            patterns = [*node.get("patternProperties", {}).values(), node.get("additionalProperties")]
            for key, item in value.items():
                if key in properties:
                    found.add(f"{path}.{key}" if path else key)
                    walk(properties[key], item, f"{path}.{key}" if path else key)
                else:
                    for child in patterns:
                        if isinstance(child, dict):
                            walk(child, item, f"{path}.*")
        elif isinstance(value, list) and isinstance(node.get("items"), dict):
            for item in value:
                walk(node["items"], item, f"{path}[]")

    walk(schema, data, "")
    return found


def test_the_fixture_uses_every_key_of_the_schema() -> None:
    import yaml

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    missing = schema_paths(schema) - used_paths(schema, yaml.safe_load(FIXTURE.read_text(encoding="utf-8")))
    assert sorted(missing) == []


def write_project(directory: Path) -> str:
    """The files the fixture names, next to it."""
    (directory / "app").mkdir()
    (directory / "app" / "Dockerfile").write_text("FROM scratch AS runtime\n", encoding="utf-8")
    (directory / "fn").mkdir()
    (directory / "fn" / "app.py").write_text("def handler(event, context):\n    return 'hello'\n")
    (directory / "site").mkdir()
    (directory / "every_key_ext.py").write_text("def transform(resource):\n    pass\n", encoding="utf-8")
    return FIXTURE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def renderings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendering]:
    directory = tmp_path_factory.mktemp("every-key")
    text = write_project(directory)
    import sys

    sys.path.insert(0, str(directory))
    try:
        return {
            stack: render_definition_text(directory, text, [stack], stack=stack) for stack in ("dev", "prod")
        }
    finally:
        sys.path.remove(str(directory))


@pytest.mark.slow
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_definition_with_every_key_renders(renderings: dict[str, Rendering], stack: str) -> None:
    rendering = renderings[stack]
    types = {r.type for r in rendering.custom_resources}
    # Every surface made something: services, a job, functions, a site, a worker's queue, a database.
    for token in (
        "aws:ecs/service:Service", "aws:sfn/stateMachine:StateMachine", "aws:lambda/function:Function",
        "aws:cloudfront/distribution:Distribution", "aws:sqs/queue:Queue", "aws:rds/cluster:Cluster",
        "aws:rds/instance:Instance", "aws:scheduler/schedule:Schedule",
    ):  # fmt: skip
        assert token in types, token
    refused = {
        f"{r.type} {r.name}": problems
        for r in rendering.custom_resources
        if r.type in CREATES and (problems := call_problems(r.type, r.inputs))
    }
    assert refused == {}
