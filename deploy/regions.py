"""Where the deploy step's own AWS calls go: the target stack's region, never the pipeline's.

A stage may deploy a stack into another region than the pipeline's (``aws:region`` in its
``Pulumi.<stack>.yaml``). Pulumi's AWS provider reads that setting; boto3 would read the build's
``AWS_REGION`` (the pipeline's region, which CodeBuild sets), so every client of the rollout check,
the migration, the function releases and the site publishing is made for the stack's region here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from muon.stacks.definition.settings import read_stack_file


def stack_region(stack: str, project: Path | None = None) -> str | None:
    """The stack's ``aws:region``, from its stack file in ``project`` (the working directory: the
    deploy step runs in the Pulumi project). None when the file or the setting is not there: the
    AWS provider then uses the environment's region too, and so does boto3."""
    folder = project or Path.cwd()
    if not (folder / f"Pulumi.{stack}.yaml").is_file():
        return None
    return read_stack_file(folder, stack).get("aws:region") or None


def stack_session(stack: str, profile: str = "") -> Any:
    """A boto3 session for ``stack``'s region (and the cross-account ``profile``, when given)."""
    import boto3

    return boto3.Session(profile_name=profile or None, region_name=stack_region(stack))
