"""Publish a built site to its bucket: what changed, with the right cache headers, stale files
deleted, and only the changed paths invalidated in CloudFront.

The bucket is KMS-encrypted, so an object's ETag is not its MD5: what was published is recorded in
a manifest object (path → SHA-256) next to the files, and the bucket's listing says what is stale.
Order matters for visitors mid-publish: assets first, HTML (which names them) after, deletions
last. Used by `muon site publish` and by the pipeline's deploy step (the same code).
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST = ".muon/site-manifest.json"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
SHORT = "public, max-age=300"
HASHED = re.compile(r"[.-](?=[A-Za-z0-9_]*\d)[A-Za-z0-9_]{8,}\.[A-Za-z0-9]+$")
"""A file name carrying a content hash (``app.3f2a9c1b.js``, ``index-BQZ4x8kd.css``): its content
never changes under that name."""
WILDCARD_OVER = 100
"""More changed paths than this invalidate ``/*`` (one path, as CloudFront counts them)."""


def cache_control(path: str) -> str:
    if path.endswith(".html"):
        return REVALIDATE  # names the current assets: always asked again
    if HASHED.search(path.rsplit("/", 1)[-1]):
        return IMMUTABLE
    return SHORT


def content_type(path: str) -> str:
    guessed, _ = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"


@dataclass
class Published:
    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    invalidated: list[str] = field(default_factory=list)
    invalidation_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "uploaded": self.uploaded,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "invalidated": self.invalidated,
            "invalidationId": self.invalidation_id,
        }


def local_files(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative POSIX path → SHA-256)."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def invalidation_paths(changed: list[str]) -> list[str]:
    """What CloudFront may hold stale: changed files, not new hashed names (never fetched before);
    ``index.html`` is also served at ``/`` (and, for a folder, at ``folder/``)."""
    paths: set[str] = set()
    for path in changed:
        if cache_control(path) == IMMUTABLE:
            continue
        paths.add(f"/{path}")
        if path == "index.html" or path.endswith("/index.html"):
            paths.add("/" + path[: -len("index.html")])
    if len(paths) > WILDCARD_OVER:
        return ["/*"]
    return sorted(paths)


def publish(
    clients: Callable[[str], Any], folder: Path, *, bucket: str, distribution_id: str | None
) -> Published:
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder (build the site first)")
    s3 = clients("s3")
    files = local_files(folder)
    if not files:
        raise FileNotFoundError(f"{folder}: nothing to publish (the build left no file)")
    try:
        manifest = json.loads(s3.get_object(Bucket=bucket, Key=MANIFEST)["Body"].read())
    except s3.exceptions.NoSuchKey:
        manifest = {}
    listed = {
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
    }
    result = Published()
    changed = [p for p, digest in files.items() if manifest.get(p) != digest or p not in listed]
    result.unchanged = len(files) - len(changed)
    # Assets before the HTML that names them.
    for path in sorted(changed, key=lambda p: (p.endswith(".html"), p)):
        s3.put_object(
            Bucket=bucket,
            Key=path,
            Body=(folder / path).read_bytes(),
            ContentType=content_type(path),
            CacheControl=cache_control(path),
        )
        result.uploaded.append(path)
    stale = sorted(listed - set(files) - {MANIFEST})
    for start in range(0, len(stale), 1000):  # DeleteObjects takes 1,000 keys a call
        s3.delete_objects(
            Bucket=bucket,
            Delete={"Objects": [{"Key": k} for k in stale[start : start + 1000]], "Quiet": True},
        )
    result.deleted = stale
    s3.put_object(
        Bucket=bucket,
        Key=MANIFEST,
        Body=json.dumps(files, indent=0, sort_keys=True).encode(),
        ContentType="application/json",
        CacheControl=REVALIDATE,
    )
    paths = invalidation_paths([*result.uploaded, *stale]) if manifest or stale else []
    if paths and distribution_id:
        answer = clients("cloudfront").create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": paths},
                "CallerReference": f"muon-{time.time_ns()}",
            },
        )
        result.invalidated = paths
        result.invalidation_id = answer["Invalidation"]["Id"]
    return result


def publish_sites(
    outputs: dict[str, Any],
    environment: str,
    definition_file: Path,
    *,
    clients: Callable[[str], Any],
    build: Callable[[str, Path], object],  # what it returns is not used
) -> list[str]:
    """The pipeline's step: build and publish every site of the definition to ``environment``;
    one line per site (nothing to do without sites)."""
    from muon.stacks.definition.loader import load_definition

    definition = load_definition(definition_file)
    deployed = (outputs.get("sites") or {}).get(environment) or {}
    lines = []
    for name, spec in definition.sites.items():
        if name not in deployed:
            raise ValueError(f"site '{name}' is not in the outputs of environment '{environment}'")
        if spec.build:
            build(spec.build, definition_file.parent / spec.source)
        done = publish(
            clients,
            definition_file.parent / spec.output_folder(),
            bucket=deployed[name]["bucket"],
            distribution_id=deployed[name].get("distributionId"),
        )
        lines.append(
            f"site {name}: {len(done.uploaded)} uploaded, {len(done.deleted)} deleted, "
            f"{done.unchanged} unchanged"
            + (f"; invalidated {', '.join(done.invalidated)}" if done.invalidated else "")
        )
    return lines
