"""The JSON Schema of muon.yaml, for editors: ``python -m stacks.schema`` rewrites it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from stacks.definition import Definition

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "muon.schema.json"


def schema_text() -> str:
    schema = Definition.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> int:
    SCHEMA_PATH.parent.mkdir(exist_ok=True)
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    sys.stdout.write(f"wrote {SCHEMA_PATH}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
