"""Inputs the provider will understand: no key the SDK did not recognise.

Pulumi's SDK turns the Python names of nested inputs (``visibility_config``) into the provider's
(``visibilityConfig``) from the input types it knows; a name it does not know — a typo, a key of
another resource — passes through untouched, and mocks accept it, while the real provider rejects
or ignores it. So a rendered key still in snake_case is a key the provider will not understand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from muon.plan.offline import Rendering
from tests.conftest import render_definition_text, render_repository_stack

# Maps whose keys are the user's or AWS's own names, not input names.
FREE_KEYED = ("tags", "dimensions", "buildArgs", "variables", "parameters")
EVERYTHING = """
environments:
  dev: {cost: minimal}
  staging:
    tier: production
    cluster: {provider: ec2}
    domain: {name: staging.example.com, zone: example.com}
services:
  banana:
    port: 8080
    pathPatterns: [/bananas]
    secrets: {API_KEY: /banana/api-key}
    scaling: {metric: requests, schedules: [{name: day, schedule: 'cron(0 8 ? * MON-FRI *)', min: 2, max: 4}]}
    containerHealthCheck: {command: [CMD-SHELL, 'true']}
    database: {name: banana, iamAuthentication: true}
  apple:
    port: 8080
    pathPatterns: [/apples]
    protocol: https
    build: {context: app, args: {BUILD_VERSION: '1'}}
    database: {name: apple, engine: aurora-postgresql, serverless: {minCapacity: 0}}
"""


def snake_keys(value: Any, path: str = "") -> list[str]:
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if "_" in str(key):
                found.append(f"{path}.{key}")
            if key not in FREE_KEYED:
                found += snake_keys(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            found += snake_keys(item, f"{path}[]")
    return found


@pytest.fixture(scope="module")
def renderings(tmp_path_factory) -> list[Rendering]:
    directory: Path = tmp_path_factory.mktemp("inputs")
    (directory / "app").mkdir()
    (directory / "app" / "Dockerfile").write_text("FROM scratch\n")
    stacks = [render_repository_stack(name) for name in ("dev", "prod", "pipeline", "org")]
    return [*stacks, render_definition_text(directory, EVERYTHING, ["dev", "staging"])]


@pytest.mark.slow
def test_every_nested_input_name_is_one_the_provider_knows(renderings: list[Rendering]) -> None:
    unknown = [
        f"{resource.type} {resource.name}: {key}"
        for rendering in renderings
        for resource in rendering.custom_resources
        if resource.type != "pulumi-python:dynamic:Resource"  # its inputs are its own, passed as they are
        for key in snake_keys(resource.inputs)
    ]
    assert unknown == []


def test_the_rule_sees_a_misspelled_key() -> None:
    from muon.plan.offline import render

    def program() -> None:
        import pulumi_aws as aws

        aws.cloudwatch.MetricAlarm(
            "typo",
            comparison_operator="GreaterThanThreshold",
            evaluation_periods=1,
            metric_queries=[
                {"id": "m", "metric": {"metric_name": "CPUUtilization", "nmae_space": "AWS/ECS"}}
            ],
        )

    (alarm,) = render(program, config={}, stack="typo").custom_resources
    assert snake_keys(alarm.inputs) == [".metricQueries[].metric.nmae_space"]
