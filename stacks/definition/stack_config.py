"""A stack's config as Pulumi hands it to the program (``Pulumi.<stack>.yaml``: a flat map of
strings), read and checked before any model: the ``muon:*`` keys decoded, unknown ones and the
region refused. settings.py builds the typed StackSettings from what this returns; the shape check
(shape.py) reads it without building a model."""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from muon.stacks.definition.loader import parse_yaml, read_text
from muon.stacks.errors import DefinitionError

NAMESPACE = "muon"


def raw_settings(config: dict[str, str], source: str, keys: Iterable[str]) -> dict[str, Any]:
    """The ``muon:`` settings of ``config``, decoded; ``keys``: the settings muon knows (an unknown
    one is a typo that must not silently deploy nothing); the region must be set and be AWS's."""
    known = set(keys)
    raw: dict[str, Any] = {}
    problems: list[str] = []
    for full_key, value in sorted(config.items()):
        namespace, _, key = full_key.partition(":")
        if namespace != NAMESPACE:
            continue
        if key not in known:
            problems.append(
                f"{source}: {full_key}: unknown setting; expected one of: "
                + ", ".join(f"{NAMESPACE}:{k}" for k in sorted(known))
            )
            continue
        raw[key] = decode(value, key)
    region = config.get("aws:region")
    if not region:
        # Never a silent default: a stack deployed to a region nobody chose creates everything twice.
        problems.append(
            f"{source}: aws:region: not set; every muon stack names its region "
            "(pulumi config set aws:region <region>, e.g. us-east-1)"
        )
    elif region not in known_regions():
        problems.append(
            f"{source}: aws:region: '{region}' is not an AWS region "
            "(e.g. us-east-1, eu-west-1, ap-southeast-2)"
        )
    if problems:
        raise DefinitionError(problems)
    return raw


def organization_stack(organization: str | None, environments: list[str], pipeline: bool) -> bool:
    """The organization stack: it deploys organization.yaml and needs no definition."""
    return bool(organization) and not environments and not pipeline


@functools.cache
def region_partitions() -> dict[str, str]:
    """Every region of every partition botocore knows (its partitions.json), with its partition
    (aws, aws-cn, aws-us-gov…): checked offline.

    The file is found without importing botocore, so that `muon init` answers fast."""
    spec = importlib.util.find_spec("botocore")
    origin = spec.origin if spec is not None else None
    assert origin is not None, "botocore is a dependency of muon"
    path = Path(origin).parent / "data" / "partitions.json"
    partitions = json.loads(path.read_text(encoding="utf-8"))["partitions"]
    return {
        region: partition["id"]
        for partition in partitions
        for region in partition["regions"]
        if not region.endswith("-global")
    }


def known_regions() -> frozenset[str]:
    return frozenset(region_partitions())


def decode(value: Any, key: str) -> Any:
    """Config values are strings; lists, maps and booleans arrive JSON-encoded."""
    if not isinstance(value, str) or key in ("definition", "organization"):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def aws_settings(config: dict[str, str]) -> dict[str, str]:
    """The stack's AWS provider settings, for code that calls AWS itself (dynamic providers):
    ``region``, ``profile``, and the first of ``aws:assumeRoles`` (or ``aws:assumeRole``)."""
    settings = {"region": config.get("aws:region") or "us-east-1"}
    if config.get("aws:profile"):
        settings["profile"] = config["aws:profile"]
    role: Any = None
    for key in ("aws:assumeRoles", "aws:assumeRole"):
        if config.get(key):
            try:
                role = json.loads(config[key])
            except json.JSONDecodeError:
                continue
            role = role[0] if isinstance(role, list) and role else role
            break
    if isinstance(role, dict):
        for source, target in (
            ("roleArn", "role_arn"),
            ("sessionName", "session_name"),
            ("externalId", "external_id"),
        ):
            if role.get(source):
                settings[target] = str(role[source])
    return settings


def project_name(project_dir: Path) -> str:
    """The ``name`` of the project's ``Pulumi.yaml`` (what Pulumi would pass the program)."""
    path = project_dir / "Pulumi.yaml"
    if not path.is_file():
        raise DefinitionError([f"{path}: no Pulumi.yaml here; run muon in a project folder (or `muon init`)"])
    data = parse_yaml(path.read_text(encoding="utf-8"), "Pulumi.yaml")
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name:
        raise DefinitionError(["Pulumi.yaml: name: expected the project's name"])
    return name


def read_stack_file(project_dir: Path, stack: str) -> dict[str, str]:
    """The config of ``Pulumi.<stack>.yaml`` as Pulumi would pass it: a flat map of strings.

    Used by the offline plan and the tests, where no Pulumi CLI hands the config over.
    Secure values cannot be decrypted offline; they are passed as a placeholder.
    """
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.exists():
        stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))
        raise DefinitionError([f"{path.name}: no such stack file; stacks here: {', '.join(stacks)}"])
    data = parse_yaml(read_text(path, "stack file"), path.name) or {}
    if not isinstance(data, dict):
        raise DefinitionError([f"{path.name}: expected a mapping with 'config:', got {type(data).__name__}"])
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise DefinitionError([f"{path.name}: config: expected a mapping of settings"])
    flat: dict[str, str] = {}
    for key, value in config.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            flat[key] = "[secret]"
        elif isinstance(value, str):
            flat[key] = value
        else:
            flat[key] = json.dumps(value)
    return flat
