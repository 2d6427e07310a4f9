"""What the library reads from a project's stack files before it asks Pulumi anything: that the
stack's file exists, which secrets provider a new stack gets, and which images are mutable tags."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from muon.automation.errors import InvalidConfigError, StackFileNotFoundError
from muon.stacks.definition.loader import parse_yaml, read_text
from muon.stacks.definition.stack_config import NAMESPACE, read_stack_file
from muon.stacks.errors import MuonError

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def stack_file(project_dir: Path, stack: str) -> Path:
    """``Pulumi.<stack>.yaml`` of the project; StackFileNotFoundError naming it when it is missing."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))
        raise StackFileNotFoundError(
            f"{path}: no such stack file; the stacks of {project_dir}: {', '.join(stacks) or '(none)'}"
        )
    return path


def _pulumi_keys(path: Path) -> dict[str, Any]:
    """The stack file's own top-level keys (``secretsprovider:``, ``encryptedkey:``...)."""
    data = parse_yaml(read_text(path, "stack file"), path.name) or {}
    return data if isinstance(data, dict) else {}


def secrets_provider(project_dir: Path, stack: str) -> str | None:
    """The secrets provider a new ``stack`` is created with: the one its file already names
    (``secretsprovider:``), else its ``muon:secretsProvider``, else the project's — the delivery
    stack's ``muon:secretsProvider``, the one the pipeline creates every stack with
    (components/buildspecs.py). None only for a Pulumi Cloud project (``muon:backend: https://...``),
    whose default encrypts with the service's keys.

    MuonError when none is configured: Pulumi's default for a self-managed backend is the passphrase
    provider, which the pipeline cannot open (and a lost passphrase loses every secret).
    """
    path = stack_file(project_dir, stack)
    own = _pulumi_keys(path).get("secretsprovider")
    if isinstance(own, str) and own and own != "default":
        return own
    config = read_stack_file(project_dir, stack)
    provider = config.get(f"{NAMESPACE}:secretsProvider")
    backend = config.get(f"{NAMESPACE}:backend")
    for other in sorted(project_dir.glob("Pulumi.*.yaml")):
        other_config = read_stack_file(project_dir, other.name[len("Pulumi.") : -len(".yaml")])
        if other_config.get(f"{NAMESPACE}:pipeline") in ("true", "True"):
            provider = provider or other_config.get(f"{NAMESPACE}:secretsProvider")
            backend = backend or other_config.get(f"{NAMESPACE}:backend")
    if provider:
        return provider
    if backend and backend.startswith("https://"):
        return None
    raise MuonError(
        f"stack '{stack}' does not exist yet and no secrets provider is configured for it: set "
        f"{NAMESPACE}:secretsProvider (awskms://alias/<key>?region=<region>) in {path.name} or in the "
        "delivery stack's file (muon:pipeline: true); muon never creates a stack with Pulumi's default "
        "passphrase provider"
    )


def mutable_images(config: dict[str, Any], stack: str) -> None:
    """Refuse images given by tag: promotion is by digest. A tag may point at another image between
    the preview and the update, between environments, and between two task starts of one service
    (ECS resolves it at each start); the digest is what was built, scanned and tested."""
    images = config.get("images") or config.get(f"{NAMESPACE}:images") or {}
    if not isinstance(images, dict):
        return
    for service, reference in sorted(images.items()):
        if isinstance(reference, str) and not DIGEST.search(reference):
            raise InvalidConfigError(
                f"config of stack '{stack}': {NAMESPACE}:images.{service}: '{reference}' names a mutable "
                "tag; give the image by digest (repository@sha256:<64 hex digits>), which is what was "
                "tested and what every environment runs — or create Muon(allow_mutable_images=True)"
            )
