"""The importer stays in step with muon's model: every key of the JSON Schema has a decision in the
importer's table (written from a mu key or default, or "no mu equivalent" with why), and
docs/coming-from-mu.md's muon-side table is generated from that table."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from muon.importers.mu_muon_keys import decisions, markdown, undecided
from tests.test_every_key import SCHEMA, schema_paths


def schema() -> dict:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def test_every_muon_key_has_a_decision_in_the_importers_table() -> None:
    assert undecided(schema_paths(schema())) == []


def test_a_key_added_to_the_model_without_a_decision_fails() -> None:
    grown = copy.deepcopy(schema())
    grown["$defs"]["ServiceSpec"]["properties"]["stickySessions"] = {"type": "boolean"}
    assert undecided(schema_paths(grown)) == ["services.*.stickySessions"]


def test_every_decision_names_a_key_muon_has() -> None:
    assert sorted(set(decisions()) - schema_paths(schema())) == []


def test_the_docs_muon_table_is_generated_from_the_decisions() -> None:
    doc = (Path(__file__).parents[1] / "docs" / "coming-from-mu.md").read_text(encoding="utf-8")
    begin, end = "<!-- muon-table:begin -->\n", "<!-- muon-table:end -->"
    assert doc.split(begin)[1].split(end)[0] == markdown()
