"""``muon policy-pack``: the CrossGuard pack, written where Pulumi can run it from a team's repository.

    pulumi preview --stack prod --policy-pack "$(muon policy-pack)"

The pack ships inside the package (``muon/data/policy-pack``); the command copies it to a folder
(``--path``, default a per-user cache) and names in its ``PulumiPolicy.yaml`` the virtualenv muon
runs in, which holds muon's rules and pulumi-policy. Pulumi's Python analyzer runs a pack's
``__main__.py`` with the ``virtualenv`` its ``PulumiPolicy.yaml`` names, an absolute path as is
(pulumi/pulumi, sdk/python/cmd/pulumi-analyzer-policy-python): nothing is installed from an index,
and the pack runs the rules of the muon that wrote it. Its only output is the folder, so it can
stand inside ``$(...)``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from importlib.resources import files
from pathlib import Path
from typing import Annotated

import typer
import yaml

from muon.cli.app import app, errors
from muon.cli.errors import EXIT_USAGE

PACK_FILES = ("PulumiPolicy.yaml", "__main__.py", "requirements.txt")


def default_folder() -> Path:
    """A per-user cache (``$XDG_CACHE_HOME``, else ``~/.cache``): nothing lands in the repository."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "muon" / "policy-pack"


def environment() -> Path | None:
    """The virtualenv this muon runs in (None: a system interpreter, whose ``python`` is on PATH)."""
    return Path(sys.prefix) if sys.prefix != sys.base_prefix else None


def write_pack(folder: Path) -> Path:
    """Write the pack into ``folder`` (created; its files replaced); return its absolute path."""
    if importlib.util.find_spec("pulumi_policy") is None:
        raise RuntimeError(
            f"pulumi-policy is not installed in {sys.prefix} (muon depends on it): "
            "pip install 'pulumi-policy>=1.21,<2'"
        )
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    shipped = files("muon") / "data" / "policy-pack"
    for name in PACK_FILES:
        (folder / name).write_text(shipped.joinpath(name).read_text(encoding="utf-8"), encoding="utf-8")
    settings = yaml.safe_load((folder / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    venv = environment()
    if venv is not None:
        settings["runtime"]["options"]["virtualenv"] = str(venv)
    (folder / "PulumiPolicy.yaml").write_text(
        "# Written by `muon policy-pack`: the pack runs in the environment muon runs in.\n"
        + yaml.safe_dump(settings, sort_keys=False, width=1000),
        encoding="utf-8",
    )
    return folder


@app.command("policy-pack")
def policy_pack(
    path: Annotated[
        Path | None,
        typer.Option("--path", help="Folder to write the pack to (default: ~/.cache/muon/policy-pack)."),
    ] = None,
) -> None:
    """Write the CrossGuard policy pack and print its folder, for
    pulumi preview --policy-pack "$(muon policy-pack)"."""
    folder = path if path is not None else default_folder()
    try:
        written = write_pack(folder)
    except (OSError, RuntimeError) as error:
        errors.print(f"muon: policy-pack: {error}", markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    print(written)
