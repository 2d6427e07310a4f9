"""The shape check (stacks/definition/shape.py) says only what the models say, in their words.

It answers a definition error before any model is built, so it must never refuse what the models
take, nor word a mistake otherwise: over the bad inputs other tests know and over thousands of
edits of complete definitions, every line it gives is a line the models give. And it is no empty
promise: for the usual mistakes (a typo in a key, a value of the wrong type, a missing key, a name
not among the choices) it gives exactly the models' lines.
"""

from __future__ import annotations

import copy
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from muon.stacks.definition import Definition
from muon.stacks.definition.loader import parse_yaml
from muon.stacks.definition.problems import validate
from muon.stacks.definition.shape import _scalar, _UnsureError, check_stack_shape, shape_problems
from muon.stacks.definition.shape_build import build
from muon.stacks.definition.shape_table import SHAPES
from muon.stacks.errors import DefinitionError
from tests.conftest import PROJECT_DIR
from tests.test_definition_errors import MALFORMED

EVERY_KEY = (PROJECT_DIR / "tests" / "data" / "every_key.yaml").read_text(encoding="utf-8")
SHIPPED = (PROJECT_DIR / "muon.yaml").read_text(encoding="utf-8")


def models_say(data: Any) -> list[str]:
    """The lines the models refuse ``data`` with (none: they take it)."""
    try:
        validate(Definition, data, "muon.yaml")
    except DefinitionError as error:
        return error.problems
    return []


def shape_says(data: Any) -> list[str]:
    return shape_problems(data, "Definition", "muon.yaml")


def test_the_table_is_the_models() -> None:
    """shape_table.py is what ``python -m muon.stacks.definition.shape_build`` reads from the models
    now: a model changed without rebuilding the table fails here."""
    assert build() == SHAPES


def test_a_model_whose_validator_rewrites_keys_leaves_them_to_the_models() -> None:
    fields = {key: kind for key, _, kind, *_ in SHAPES["ServiceSpec"]["fields"]}
    assert fields["scaling"] == fields["queue"] == "any"  # a worker's backlog defaults are merged in first
    assert "ScalingSpec" not in SHAPES  # reached only through those keys


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            "environments: {dev: {}}\nservices: {banana: {port: banana, pathPatterns: [/b]}}",
            "muon.yaml: services.banana.port: expected a whole number, got 'banana'",
        ),
        (
            "environments: {dev: {netwrk: {}}}",
            "muon.yaml: environments.dev.netwrk: unknown key 'netwrk'; expected one of: tier, cost, network, "
            "cluster, loadBalancer, domain, waf, wafRateLimit, wafBlock, logRetentionDays, alarmEmails, "
            "alarmSlack, attach, formerly, continuity, tags",
        ),
        (
            "environments: {dev: {cluster: {provider: lambda}}}",
            "muon.yaml: environments.dev.cluster.provider: expected 'fargate' or 'ec2', got 'lambda'",
        ),
        ("services: {}", "muon.yaml: environments: required key is missing"),
        (
            "environments: {dev: {}}\nservices: {web: {port: 80, pathPatterns: /web}}",
            "muon.yaml: services.web.pathPatterns: expected a list, got '/web'",
        ),
        (
            "environments: {dev: {}}\nservices: {web: {port: 80, cpu: [256]}}",
            "muon.yaml: services.web.cpu: expected a whole number, got [256]",
        ),
        (
            "environments: {dev: {tier: dev}}",
            "muon.yaml: environments.dev.tier: expected 'development' or 'production', got 'dev'",
        ),
        (
            "environments: {dev: {}}\nservices: {web: {port: 80, readonlyRootFilesystem: maybe}}",
            "muon.yaml: services.web.readonlyRootFilesystem: expected true or false, got 'maybe'",
        ),
        ("environments: []", "muon.yaml: environments: expected a mapping, got []"),
        ("[1, 2]", "muon.yaml: (top level): expected a mapping, got [1, 2]"),
    ],
)
def test_the_usual_mistakes_get_exactly_the_models_lines(text: str, line: str) -> None:
    data = yaml.safe_load(text)
    assert shape_says(data) == models_say(data) == [line]


@pytest.mark.parametrize(("text", "path", "expected"), MALFORMED)
def test_every_malformed_definition_the_tests_know(text: str, path: str, expected: str) -> None:
    """The other tests' bad definitions: what the shape check says, the models say."""
    data = parse_yaml(text, "muon.yaml")
    said, models = shape_says(data), models_say(data)
    assert models and set(said) <= set(models), (said, models)


def test_a_rule_between_keys_is_left_to_the_models() -> None:
    data = yaml.safe_load("environments: {dev: {cluster: {provider: ec2, min: 5, max: 2}}}")
    assert shape_says(data) == []
    assert models_say(data) == ["muon.yaml: environments.dev.cluster: min (5) must not exceed max (2)"]


@pytest.mark.parametrize(
    "data",
    [
        {"environments": {"dev": {"cluster": {"instanceType": b"t3.large"}}}},  # !!binary: decoded
        {"environments": {"dev": {"alarmEmails": {"ops@example.com"}}}},  # !!set: a list to pydantic
        {"environments": {"dev": {"alarmEmails": ("ops@example.com",)}}},
        {"environments": {"dev": {"cluster": {"instanceType": "t3.\ud800"}}}},  # refused as no text first
        {"environments": {"dev": {"tier": "\ud800"}}},
        {"environments": {"dev": {"\ud800": {}}}},
    ],
    ids=["bytes", "a set", "a tuple", "half a surrogate pair", "...for a choice", "...in a key"],
)
def test_values_pydantic_reads_its_own_way_are_left_to_the_models(data: Any) -> None:
    """pydantic decodes bytes for text, takes a set or tuple for a list, and refuses half a
    surrogate pair before any pattern, choice or key: the check says nothing of them."""
    assert shape_says(data) == []


def test_a_pattern_has_one_hint() -> None:
    """problems.py finds a pattern's words by the pattern alone: a second hint is refused at import."""
    from muon.stacks.definition.base import pattern

    with pytest.raises(ValueError, match="two hints"):
        pattern(r"^\d{12}$", "twelve digits")


def test_a_credential_in_the_wrong_place_is_never_echoed() -> None:
    data = yaml.safe_load("environments: {dev: {tier: AKIAIOSFODNN7EXAMPLE}}")
    assert shape_says(data) == models_say(data)
    assert shape_says(data) and "AKIA" not in shape_says(data)[0]


# Edits of complete definitions: any key's value replaced, keys added, removed and misspelt.

VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    7,
    -3,
    1.5,
    2.0,
    "",
    "x",
    "banana",
    "80",
    "yes",
    "1_000",
    "inf",
    "/path",
    "arn:aws:iam::123456789012:role/x",
    [],
    [1],
    ["a", "b"],
    {},
    {"a": 1},
    {"port": "x"},
]


def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*here, index))
    return found


def _edit(document: Any, rng: random.Random) -> Any:
    edited = copy.deepcopy(document)
    path = rng.choice(_paths(edited)[1:])
    parent = edited
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    action = rng.random()
    if action < 0.55:
        parent[last] = copy.deepcopy(rng.choice(VALUES))
    elif isinstance(parent, dict) and action < 0.7:
        del parent[last]
    elif isinstance(parent, dict) and action < 0.85:
        parent[f"{last}x"] = parent.pop(last)  # a typo in a key
    elif isinstance(parent[last], dict):
        parent[last]["unknownKey"] = 1
    else:
        parent[last] = copy.deepcopy(rng.choice(VALUES))
    return edited


@pytest.mark.parametrize("source", ["every_key", "shipped"])
def test_edits_of_whole_definitions_get_only_the_models_lines(source: str) -> None:
    """Deterministic (seeded) edits, several at a time: each line the shape check gives, the
    models give; and it answers most of them exactly as the models do (it is not silent)."""
    document = yaml.safe_load(EVERY_KEY if source == "every_key" else SHIPPED)
    assert models_say(document) == []
    rng = random.Random(f"shape-{source}")
    answered = exact = 0
    for _ in range(400):
        edited = document
        for _ in range(rng.choice((1, 1, 2, 3))):
            edited = _edit(edited, rng)
        said, models = shape_says(edited), models_say(edited)
        assert set(said) <= set(models), (said, models)
        answered += bool(models)
        exact += bool(said) and said == models
    assert answered > 300
    assert exact > answered * 0.4, (exact, answered)  # measured: 51% (every_key) and 65% (shipped)


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(["int", "float", "bool"]),
    value=st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=8),
        st.sampled_from(
            ["1", " 1 ", "1_000", "1.0", "1e3", "inf", "-Infinity", "nan", "yes", "Off", "T", ""]
        ),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    ),
)
def test_scalars_are_read_as_pydantic_reads_them(kind: str, value: Any) -> None:
    """Where the check is sure of a scalar, pydantic agrees: it takes what the check takes and
    refuses with the error the check names."""
    try:
        error = _scalar(kind, value)
    except _UnsureError:
        return
    adapter = TypeAdapter({"int": int, "float": float, "bool": bool}[kind])
    if error is None:
        adapter.validate_python(value)
    else:
        with pytest.raises(ValidationError) as refused:
            adapter.validate_python(value)
        assert refused.value.errors()[0]["type"] == error


# The stack: what the shape check reads before the models, and when it leaves them the answer.


def stack_project(folder: Path, definition: str, config: str = "") -> dict[str, str]:
    (folder / "muon.yaml").write_text(definition, encoding="utf-8")
    return {"aws:region": "us-east-1", "muon:environments": '["dev"]', **yaml.safe_load(config or "{}")}


def test_a_stack_s_definition_error_is_found_before_the_models(tmp_path: Path) -> None:
    config = stack_project(tmp_path, "environments: {dev: {netwrk: {}}}")
    with pytest.raises(DefinitionError) as caught:
        check_stack_shape(config, tmp_path, "Pulumi.dev.yaml")
    assert caught.value.problems == models_say(yaml.safe_load("environments: {dev: {netwrk: {}}}"))
    assert caught.value.problems[0].startswith("muon.yaml: environments.dev.netwrk: unknown key 'netwrk'")


@pytest.mark.parametrize(
    "config",
    [
        '{"muon:organization": "organization.yaml", "muon:environments": "[]"}',  # reads no definition
        '{"muon:environments": "not-a-list"}',  # the models word a setting's problem
        '{"muon:definition": "missing.yaml"}',  # the models say the file is missing
    ],
)
def test_the_models_answer_when_the_stack_is_not_plain(tmp_path: Path, config: str) -> None:
    check_stack_shape(
        stack_project(tmp_path, "environments: {dev: {netwrk: {}}}", config), tmp_path, "Pulumi.dev.yaml"
    )


@pytest.mark.parametrize(
    "setting",
    [
        '{"muon:connection": "not-an-arn"}',  # a kind the table does not hold
        '{"muon:images": "{\\"web\\": \\"registry.example.com:99999/web:1\\"}"}',  # a validator's rule
        '{"muon:images": "{\\"Web\\": \\"web:1\\"}"}',  # a name the models word
    ],
)
def test_a_setting_the_table_cannot_vouch_for_leaves_the_stack_to_the_models(
    tmp_path: Path, setting: str
) -> None:
    """The models report a setting's problem before the definition's: where the table cannot tell
    whether a setting is right, the check hands the whole stack over."""
    check_stack_shape(
        stack_project(tmp_path, "environments: {dev: {netwrk: {}}}", setting), tmp_path, "Pulumi.dev.yaml"
    )


PROBE = """
import sys
from pathlib import Path
from muon.stacks.definition.shape import check_stack_shape
from muon.stacks.errors import DefinitionError
try:
    check_stack_shape({"aws:region": "us-east-1", "muon:environments": '["dev"]'}, Path.cwd(), "Pulumi.dev.yaml")
except DefinitionError as error:
    print(error.problems[0])
print(sorted(m for m in ("pydantic.main", "muon.stacks.definition.document") if m in sys.modules))
"""


def test_in_a_process_with_no_model_a_pattern_is_worded_as_the_models_word_it(tmp_path: Path) -> None:
    """As in `muon plan`: no model is loaded when the check answers, so a pattern's words come from
    the table, not from the models' registry of hints."""
    text = "environments: {dev: {cluster: {instanceType: BAD}}}"
    (tmp_path / "muon.yaml").write_text(text, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True, check=True, timeout=120
    )
    line, loaded = result.stdout.splitlines()
    assert loaded == "[]"
    assert [line] == models_say(yaml.safe_load(text))
    assert "an EC2 instance type" in line


def test_an_unknown_setting_is_refused_with_the_models_words(tmp_path: Path) -> None:
    from muon.stacks.definition.settings import settings_from_config

    config = {**stack_project(tmp_path, "environments: {dev: {}}"), "muon:environmnets": '["dev"]'}
    with pytest.raises(DefinitionError) as first:
        check_stack_shape(config, tmp_path, "Pulumi.dev.yaml")
    with pytest.raises(DefinitionError) as models:
        settings_from_config(config, "Pulumi.dev.yaml")
    assert first.value.problems == models.value.problems


def test_the_plan_reads_a_good_definition_once_before_the_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shape check hands what it read to the models (parsing a large definition is ~40 ms)."""
    from muon.plan.command import check_definition
    from muon.stacks.definition import loader
    from muon.stacks.definition import shape as shape_module

    reads: list[Path] = []
    read_text = loader.read_text

    def counted(path: Path, *args: Any, **kwargs: Any) -> str:
        reads.append(path)
        return read_text(path, *args, **kwargs)

    monkeypatch.setattr(loader, "read_text", counted)
    monkeypatch.setattr(shape_module, "read_text", counted)
    config = stack_project(tmp_path, "environments: {dev: {}}")
    assert check_stack_shape(config, tmp_path, "Pulumi.dev.yaml") == {"environments": {"dev": {}}}
    reads.clear()
    check_definition("dev", tmp_path, config)
    assert reads == [tmp_path / "muon.yaml"]
