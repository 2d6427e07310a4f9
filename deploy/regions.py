"""Where the deploy step's own AWS calls go: the target stack's region, never the pipeline's.

A stage may deploy a stack into another region than the pipeline's (``aws:region`` in its
``Pulumi.<stack>.yaml``). Pulumi's AWS provider reads that setting; boto3 would read the build's
``AWS_REGION`` (the pipeline's region, which CodeBuild sets), so every client of the rollout check,
the migration, the function releases and the site publishing is made for the stack's region here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def stack_region(stack: str, project: Path | None = None) -> str | None:
    """The stack's ``aws:region``, from its stack file in ``project`` (the working directory: the
    deploy step runs in the Pulumi project). None when the file or the setting is not there: the
    AWS provider then uses the environment's region too, and so does boto3.

    A plain YAML read: each deploy command is a process of its own, and the definition's models
    (with the Pulumi SDK behind them) would cost every one of them seconds to import."""
    path = (project or Path.cwd()) / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ValueError(f"{path.name}: not YAML ({str(error).splitlines()[0]})") from None
    config = data.get("config") if isinstance(data, dict) else None
    region = config.get("aws:region") if isinstance(config, dict) else None
    if region is not None and not isinstance(region, str):
        raise ValueError(f"{path.name}: config.aws:region: expected a region name such as us-east-1")
    return region or None


def stack_session(stack: str, profile: str = "") -> Any:
    """A boto3 session for ``stack``'s region (and the cross-account ``profile``, when given)."""
    import boto3

    return boto3.Session(profile_name=profile or None, region_name=stack_region(stack))
