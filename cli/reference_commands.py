"""What a team needs from the installed muon and cannot find in its own repository: the JSON Schemas
of its files (`muon schema`) and the policy of whoever runs `pulumi up` of its stacks (`muon
deploy-role-policy`). Both come from this muon, so they always match the muon that checks and deploys."""

from __future__ import annotations

import json
import re
import sys
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer

from muon.cli.app import State, app, run
from muon.cli.errors import UsageError


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


def project_region(project: Path) -> str:
    """The region the project's stack files name, when they agree on one."""
    from muon.stacks.definition.stack_config import read_stack_file

    stacks = [p.name[len("Pulumi.") : -len(".yaml")] for p in sorted(project.glob("Pulumi.*.yaml"))]
    regions = {r for r in (read_stack_file(project, s).get("aws:region") for s in stacks) if r}
    if len(regions) != 1:
        found = ", ".join(sorted(regions)) or "none"
        raise UsageError(f"--region: the project's stack files name {found}: give the stacks' region")
    return regions.pop()


def partition_of(region: str) -> str:
    return "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"


def role_policy(project: Path, account: str, region: str | None) -> dict[str, Any]:
    """The deploy roles' policy for the project in ``project``: the pipeline's ``deploy_policy`` with
    the project's namespace, boundaries and keys, and the statements for its Pulumi state."""
    from muon.components.context import AwsContext
    from muon.components.pipeline_access import deploy_policy, state_statements
    from muon.stacks.definition.fields import NAMESPACE_PATTERN
    from muon.stacks.definition.loader import load_definition
    from muon.stacks.definition.settings import settings_from_config
    from muon.stacks.definition.stack_config import project_name, read_stack_file
    from muon.stacks.resolve.pipelines import deploy_scope

    if not re.fullmatch(r"\d{12}", account):
        raise UsageError(f"--account: expected a 12-digit AWS account id, got '{account}'")
    definition = load_definition(project / "muon.yaml", shown="muon.yaml")
    namespace = definition.namespace or project_name(project)
    if not re.fullmatch(NAMESPACE_PATTERN, namespace):
        raise UsageError(
            f"muon.yaml: namespace: the project name '{namespace}' (Pulumi.yaml) cannot start AWS names; "
            "set namespace: in the definition"
        )
    chosen = region or project_region(project)
    context = AwsContext(account, chosen, partition_of(chosen), namespace)
    boundaries, keys = deploy_scope(definition)
    policy = deploy_policy(context, boundaries=boundaries, company_keys=keys)
    if (project / "Pulumi.pipeline.yaml").is_file():
        delivery = settings_from_config(read_stack_file(project, "pipeline"), "Pulumi.pipeline.yaml")
        if delivery.backend:
            policy["Statement"] += state_statements(context, delivery.backend, delivery.secrets_provider)
    return policy


@app.command("deploy-role-policy")
def deploy_role_policy(
    ctx: typer.Context,
    account: Annotated[str, typer.Option("--account", help="The AWS account the stacks deploy to.")],
    region: Annotated[
        str | None, typer.Option("--region", help="Their region (default: the project's stack files').")
    ] = None,
) -> None:
    """Print the IAM policy of whoever runs `pulumi up` of this project's stacks.

    The pipeline's deploy roles hold it: IAM and KMS on what carries the project's namespace,
    `<service>:*` for the other services muon deploys, the Pulumi state and its secrets key (the
    delivery stack's). Give it to a role in another account (pipeline.stages[].roleArn) or to the
    people who deploy by hand."""

    def action(state: State) -> dict[str, Any]:
        return role_policy(state.project_dir, account, region)

    def human(policy: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(policy, indent=2) + "\n")

    run(ctx, action, human)
