"""Bad input never gets through, whatever it is: a property over generated definitions.

For every definition generated — a surface (service, function, job, site, environment) drawn from
muon's own JSON Schema (``hypothesis-jsonschema``) put into the shipped definition, or the shipped
definition with targeted mutations (a value of the wrong kind, a credential, a schedule, a region,
a path, a key removed or unknown) — either the plan refuses it, each problem one line naming the
file and a key path (no traceback, no validator internals), or it renders and every resource's
inputs pass botocore's model of the API call that creates it (``tests/aws_inputs.py``) and no
credential is in them in plain text.

Bounded per run (``MUON_FUZZ_EXAMPLES``, default 25 per property: about 40 s of CPU), and
derandomized: CI sees the same definitions each run. ``MUON_FUZZ_SEED=<n>`` explores others; the
seed in use is printed. What the fuzzer found is kept as regular tests (test_types.py's "found by
the fuzzer" section, test_checks.py's test_iam_policies_within_size).
"""

from __future__ import annotations

import copy
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from muon.stacks.definition.secrets import credential_kind
from muon.stacks.errors import DefinitionError
from tests.aws_inputs import CREATES, call_problems
from tests.conftest import PROJECT_DIR, render_definition_text

pytestmark = pytest.mark.slow

SCHEMA = json.loads((PROJECT_DIR / "schema" / "muon.schema.json").read_text(encoding="utf-8"))
EXAMPLES = int(os.environ.get("MUON_FUZZ_EXAMPLES", "25"))
SEED = os.environ.get("MUON_FUZZ_SEED")
RUNS: Counter[str] = Counter()

BASE = yaml.safe_load((PROJECT_DIR / "muon.yaml").read_text(encoding="utf-8"))
BASE["services"]["worker"] = {"kind": "worker", "image": "public.ecr.aws/docker/library/python:3.12"}
BASE["jobs"] = {
    "nightly": {
        "service": "banana",
        "command": ["python", "-m", "app.report"],
        "schedule": "cron(0 2 * * ? *)",
    }
}
BASE["functions"] = {
    "hello": {
        "source": "fn", "runtime": "python3.12", "handler": "app.handler",
        "triggers": [{"type": "http", "path": "/hello"}, {"type": "queue", "worker": "worker"}],
    }
}  # fmt: skip
BASE["sites"] = {"www": {"source": "site/", "build": "npm ci && npm run build"}}

PLANTED = [
    "AKIA" + "Z" * 16,
    "ghp_" + "k9Lm" * 9,
    "xoxb-2222222222-abcdefghijkl",
    "sk_live_" + "Aa1" * 8,
    "postgres://admin:hunter2@db.example.com/app",
    "-----BEGIN OPENSSH PRIVATE KEY-----",
]
"""Credentials the mutations plant: if a definition with one renders, it must not be in the plan."""
NASTY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-./*{}$", max_size=300),
    st.sampled_from(PLANTED),
    st.sampled_from(
        [
            "cron(60 8 ? * MON *)",
            "cron(0 8 * * MON *)",
            "rate(1 minutes)",
            "at(2026-02-30T00:00:00)",
            "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000",
            "arn:aws-cn:iam::123456789012:role/x",
            "../outside",
            "/etc/passwd",
            "UPPER",
            "a",
            "x" * 300,
            "AWS_REGION",
            "_HANDLER",
            "0.0.0.0/0",
            "10.0.0.0/8",
            "http://proxy:99999",
            "Europe/Nowhere",
        ]
    ),
    st.lists(st.text(max_size=8), max_size=3),
    st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3),
)


def paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a document: each mapping key and list item, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from paths(item, (*path, index))


PLACES = sorted(paths(BASE), key=str)


NAME = st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True)
GOOD_SCHEDULES = st.sampled_from(
    [
        "cron(0 8 ? * MON-FRI *)",
        "cron(0/15 * * * ? *)",
        "cron(30 2 L * ? *)",
        "rate(1 minute)",
        "rate(7 days)",
    ]
)
EDGES: list[tuple[tuple[Any, ...], st.SearchStrategy[Any]]] = [
    # Values the models accept, at their edges: what slips past the models is what AWS refuses.
    (("namespace",), st.from_regex(r"[a-z][a-z0-9-]{0,14}[a-z0-9]", fullmatch=True)),
    (("tags",), st.dictionaries(st.from_regex(r"[A-Za-z][\w .:/=+@-]{0,127}", fullmatch=True),
                                st.from_regex(r"[\w .:/=+@-]{0,256}", fullmatch=True), max_size=45)),
    (("services", "banana", "cpu"), st.sampled_from([256, 512, 1024, 2048, 4096])),
    (("services", "banana", "memory"), st.sampled_from([512, 1024, 2048, 3072, 8192, 30720])),
    (("services", "banana", "pathPatterns"),
     st.lists(st.from_regex(r"/[a-z0-9*?/-]{0,60}", fullmatch=True), min_size=1, max_size=5, unique=True)),
    (("services", "banana", "environment", "EXTRA"), st.text(max_size=3000)),
    (("services", "banana", "scaling", "schedules"),
     st.lists(st.fixed_dictionaries({"name": NAME, "schedule": GOOD_SCHEDULES, "min": st.integers(0, 5),
                                     "max": st.integers(5, 10)}), max_size=3)),
    (("services", "worker", "queue"),
     st.fixed_dictionaries({"visibilityTimeout": st.integers(0, 43200), "maxReceives": st.integers(1, 1000),
                            "retention": st.integers(60, 1209600)})),
    (("jobs", "nightly", "schedule"), GOOD_SCHEDULES),
    (("jobs", "nightly", "command"), st.lists(st.text(min_size=1, max_size=300), min_size=1, max_size=30)),
    (("functions", "hello", "timeout"), st.integers(1, 900)),
    (("functions", "hello", "memory"), st.integers(128, 10240)),
    (("functions", "hello", "environment"),
     st.dictionaries(st.from_regex(r"[A-Za-z][A-Za-z0-9_]{1,40}", fullmatch=True), st.text(max_size=300), max_size=12)),
    (("environments", "dev", "network", "cidr"), st.sampled_from(["10.0.0.0/16", "10.0.0.0/22", "172.16.0.0/20"])),
    (("services", "COPY"), st.just("worker")),
    (("services", "banana", "healthCheck", "path"), st.from_regex(r"/[a-z0-9/]{0,1500}", fullmatch=True)),
    (("services", "banana", "permissions"),
     st.lists(st.fixed_dictionaries({"actions": st.just(["s3:GetObject"]),
                                     "resources": st.lists(st.from_regex(r"arn:aws:s3:::[a-z0-9-]{3,40}/[a-z0-9/]{0,200}", fullmatch=True), min_size=1, max_size=60)}),
              min_size=1, max_size=3)),
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """The base definition with one or two changes: a value at the edge of what the models accept,
    or a targeted bad one (a value of the wrong kind, a credential, a region, a path, a key
    removed or unknown)."""
    document = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 2))):
        if draw(st.booleans()):
            place, values = draw(st.sampled_from(EDGES))
            parent = document
            try:
                for part in place[:-1]:
                    parent = parent.setdefault(part, {})
                if place[-1] == "COPY":  # a second worker, under a name of any length the schema takes
                    parent[draw(NAME)] = copy.deepcopy(parent[draw(values)])
                else:
                    parent[place[-1]] = draw(values)
            except (AttributeError, KeyError, TypeError):
                pass  # an earlier change replaced a parent with a value of another kind
            continue
        place = draw(st.sampled_from(PLACES))
        parent = document
        try:
            for part in place[:-1]:
                parent = parent[part]
            operation = draw(st.sampled_from(["set", "set", "set", "delete", "unknown"]))
            if operation == "set":
                parent[place[-1]] = draw(NASTY)
            elif operation == "delete" and isinstance(parent, dict):
                del parent[place[-1]]
            elif operation == "unknown" and isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=12))] = draw(NASTY)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed or replaced the place
    return document


SURFACES: dict[tuple[str, ...], str] = {
    ("services", "fuzzed"): "ServiceSpec",
    ("functions", "fuzzed"): "FunctionSpec",
    ("jobs", "fuzzed"): "JobSpec",
    ("sites", "fuzzed"): "SiteSpec",
    ("environments", "dev"): "EnvironmentSpec",
    # Parts of the base's surfaces: more of what is generated gets past the models and renders.
    ("services", "banana", "scaling"): "ScalingSpec",
    ("services", "banana", "healthCheck"): "HealthCheckSpec",
    ("services", "banana", "database"): "DatabaseSpec",
    ("services", "worker", "queue"): "QueueSpec",
    ("jobs", "nightly"): "JobSpec",
    ("functions", "hello", "triggers"): "FunctionSpec.triggers",
    ("environments", "dev", "network"): "NetworkSpec",
    ("environments", "dev", "cluster"): "ClusterSpec",
    ("environments", "dev", "continuity"): "ContinuitySpec",
    ("environments", "dev", "loadBalancer"): "LoadBalancerSpec",
}
"""Where a generated object goes (the place in the base definition) and the schema it is drawn from."""


def sub_schema(name: str) -> dict[str, Any]:
    model, _, field = name.partition(".")
    schema = SCHEMA["$defs"][model]
    return {"$defs": SCHEMA["$defs"], **(schema["properties"][field] if field else schema)}


@st.composite
def from_schema(draw: st.DrawFn) -> dict[str, Any]:
    """An object generated from one of muon's schemas, put into the base definition."""
    from hypothesis_jsonschema import from_schema as schema_strategy

    place = draw(st.sampled_from(sorted(SURFACES)))
    generated = draw(schema_strategy(sub_schema(SURFACES[place])))
    document = copy.deepcopy(BASE)
    parent = document
    for part in place[:-1]:
        parent = parent.setdefault(part, {})
    parent[place[-1]] = generated
    return document


def write_project(directory: Path) -> None:
    (directory / "fn").mkdir()
    (directory / "fn" / "app.py").write_text("def handler(event, context):\n    return 1\n", encoding="utf-8")
    (directory / "site").mkdir()


PROBLEM = re.compile(r"(?:muon\.yaml|Pulumi\.dev\.yaml)(?::\d+:\d+)?: \S.*?: \S")
INTERNALS = (".str:", ".dict[", "constrained-str", "function-after", "instance of", "Traceback")


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def judge(document: dict[str, Any]) -> str:
    """``refused`` or ``rendered``, asserting what each must be."""
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    with tempfile.TemporaryDirectory() as folder:
        write_project(Path(folder))
        try:
            rendering = render_definition_text(Path(folder), text, ["dev"], stack="dev")
        except DefinitionError as error:
            for problem in error.problems:
                assert "\n" not in problem and PROBLEM.search(problem), problem
                assert not any(internal in problem for internal in INTERNALS), problem
                assert not any(planted in problem for planted in PLANTED), problem
            return "refused"
    refused = {
        f"{r.type} {r.name}": p
        for r in rendering.custom_resources
        if r.type in CREATES and (p := call_problems(r.type, r.inputs))
    }
    assert refused == {}, refused
    for resource in rendering.custom_resources:
        for value in strings(resource.masked_inputs):
            assert not any(planted in value for planted in PLANTED), f"{resource.type} {resource.name}"
            assert credential_kind(value, entropy=False) is None, f"{resource.type} {resource.name}"
    return "rendered"


def fuzz_settings(test: Any) -> Any:
    configured = settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=SEED is None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )(test)
    return seed(int(SEED))(configured) if SEED is not None else configured


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    yield
    how = f"seed {SEED}" if SEED is not None else "derandomized (MUON_FUZZ_SEED=<n> explores others)"
    print(f"\nfuzzer: {sum(RUNS.values())} definitions ({dict(RUNS)}), {how}")


@fuzz_settings
@given(mutated())
def test_a_mutated_definition_is_refused_in_one_line_or_renders_what_aws_accepts(
    document: dict[str, Any],
) -> None:
    RUNS[f"mutated, {judge(document)}"] += 1


@fuzz_settings
@given(from_schema())
def test_a_surface_from_the_schema_is_refused_in_one_line_or_renders_what_aws_accepts(
    document: dict[str, Any],
) -> None:
    RUNS[f"schema, {judge(document)}"] += 1


def test_the_base_definition_renders_and_passes_the_models() -> None:
    """The property is not vacuous: the unmutated base renders (and is judged as rendered)."""
    assert judge(copy.deepcopy(BASE)) == "rendered"
