"""The JSON Schemas of muon.yaml and organization.yaml, for editors:
``python -m muon.stacks.definition.schema``.

Written into ``schema/`` of the working directory (the project), where muon.yaml's first line
points editors with the YAML language server.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from muon.stacks.definition import Definition
from muon.stacks.definition.organization import OrganizationSpec

SCHEMA_DIR = Path("schema")
SCHEMA_PATH = SCHEMA_DIR / "muon.schema.json"
ORGANIZATION_SCHEMA_PATH = SCHEMA_DIR / "organization.schema.json"
SCHEMAS: dict[Path, type[BaseModel]] = {SCHEMA_PATH: Definition, ORGANIZATION_SCHEMA_PATH: OrganizationSpec}
"""Paths relative to the project folder."""


def schema_text(model: type[BaseModel] = Definition) -> str:
    schema = model.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> int:
    SCHEMA_DIR.mkdir(exist_ok=True)
    for path, model in SCHEMAS.items():
        path.write_text(schema_text(model), encoding="utf-8")
        sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
