"""What a team needs from the installed muon and cannot find in its own repository: the JSON Schemas
of its files (`muon schema`) and the policy of the roles that deploy muon's stacks (`muon
deploy-role-policy`). Both print what this muon ships, so they always match the muon that checks."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from importlib import resources
from typing import Annotated

import typer

from muon.cli.app import app


class SchemaName(StrEnum):
    muon = "muon"
    organization = "organization"


SCHEMA_FILES = {SchemaName.muon: "muon.schema.json", SchemaName.organization: "organization.schema.json"}
"""In the package's ``schema/`` folder (package data; the same files as the repository's ``schema/``)."""


def packaged_schema(name: SchemaName) -> str:
    return resources.files("muon").joinpath("schema", SCHEMA_FILES[name]).read_text(encoding="utf-8")


@app.command()
def schema(
    name: Annotated[
        SchemaName,
        typer.Argument(help="muon: the schema of muon.yaml; organization: of organization.yaml."),
    ] = SchemaName.muon,
) -> None:
    """Print the JSON Schema of muon.yaml (or organization.yaml), for editors.

    `muon schema > muon.schema.json`, then `# yaml-language-server: $schema=muon.schema.json` as the
    first line of muon.yaml."""
    sys.stdout.write(packaged_schema(name))


@app.command("deploy-role-policy")
def deploy_role_policy() -> None:
    """Print the IAM policy of whoever runs `pulumi up` of muon's stacks.

    The pipeline's deploy roles hold it; give it to a role in another account
    (pipeline.stages[].roleArn) or to the people who deploy by hand."""
    from muon.components.pipeline_access import deploy_policy

    sys.stdout.write(json.dumps(deploy_policy(), indent=2) + "\n")
