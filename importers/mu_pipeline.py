"""mu's ``service.pipeline`` as muon's ``pipeline``: its source, build, the acceptance and production
stages with their test actions, and notifications (the mu sources: see ``importers/mu.py``)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from muon.importers.mu import Conversion

SOURCES = {"github": "github", "codecommit": "codecommit", "s3": "s3"}
# mu's default stage environments (AcptEnv, ProdEnv) and the buildspec each stage's test action ran
# (TestAcceptance, TestProduction: templates/assets/cloudformation/pipeline.yml).
STAGES = (
    ("acceptance", "acceptance", "buildspec-test.yml"),
    ("production", "production", "buildspec-prod.yml"),
)


def stage_environments(pipeline: dict[str, Any]) -> list[tuple[str, bool, str]]:
    stages = []
    for key, default, buildspec in STAGES:
        stage = pipeline.get(key) or {}
        if not stage.get("disabled"):
            stages.append((str(stage.get("environment") or default), key == "production", buildspec))
    return stages


def checkout(base: Path | None) -> tuple[str | None, str | None]:
    """The repository and branch of the mu file's git checkout: where mu took them from."""
    if base is None:
        return None, None

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(base), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None

    url = git("remote", "get-url", "origin")
    repo = None
    if url:
        match = re.search(r"[:/]([^/:]+/[^/]+?)(?:\.git)?$", url)
        repo = match.group(1) if match else None
    return repo, git("rev-parse", "--abbrev-ref", "HEAD")


def pipeline_of(pipeline: dict[str, Any], out: Conversion, base: Path | None) -> dict[str, Any]:
    if not pipeline:
        return {}
    for key in [
        k
        for k in pipeline
        if k not in {"source", "build", "acceptance", "production", "notify", "kmsKey", "bucket"}
    ]:  # the file's order: stable lines
        out.drop(f"service.pipeline.{key}")
    result: dict[str, Any] = {"source": _source(pipeline.get("source") or {}, out, base)}
    build = _build(pipeline.get("build") or {}, out)
    if build:
        result["build"] = build
    if pipeline.get("bucket"):
        result["artifactBucket"] = pipeline["bucket"]
    if pipeline.get("kmsKey"):
        from muon.importers.mu_database import key_arn

        key_arn(str(pipeline["kmsKey"]), "service.pipeline.kmsKey", "pipeline", out)
    result["stages"] = _stages(pipeline, out)
    if pipeline.get("notify"):
        # workflows/pipeline_upsert.go subscribes notify to pipeline.yml's notification topic, which
        # PipelineSucceededEventRule feeds as well as PipelineFailedEventRule: success included.
        result["notifications"] = {"emails": list(pipeline["notify"]), "onSuccess": True}
    elif any(approval for _, approval, _ in stage_environments(pipeline)):
        out.lose(
            "service.pipeline.notify",
            "none; the production approval needs someone to notify — wrote "
            "change-me@example.com: set pipeline.notifications.emails",
        )
        result["notifications"] = {"emails": ["change-me@example.com"]}
    return result


def _source(src: dict[str, Any], out: Conversion, base: Path | None) -> dict[str, Any]:
    provider = SOURCES.get(str(src.get("provider", "github")).lower())
    if provider is None:
        out.drop("service.pipeline.source.provider", f"{src.get('provider')}: not a source muon reads")
        provider = "github"
    out.unknown(src, {"provider", "repo", "branch"}, "service.pipeline.source")
    repo, branch = src.get("repo"), src.get("branch")
    if not repo or not branch:
        checkout_repo, checkout_branch = checkout(base)
        # pipeline.yml's SourceBranch defaults to master (muon's to main): said, not assumed.
        repo, branch = repo or checkout_repo, branch or checkout_branch or "master"
    result = {"provider": provider, "repo": repo or "owner/repo"}
    if not repo:
        out.lose(
            "service.pipeline.source.repo",
            "none here and no git checkout to read it from (mu used "
            "the checkout's): wrote owner/repo — set pipeline.source.repo",
        )
    if branch:
        result["branch"] = branch
    if provider == "github":
        # Not a loss: mu asked for a GitHub token at `mu pipeline up` (pipeline.yml GitHubToken), never
        # from the file; muon reads GitHub through a connection `muon init` leaves a placeholder for.
        out.notes.append(
            f"{out.source}: service.pipeline.source: GitHub through a CodeStar connection instead of "
            "mu's token — set muon:connection in Pulumi.pipeline.yaml (or pipeline.source.connection)"
        )
    return result


def _build(build: dict[str, Any], out: Conversion) -> dict[str, Any]:
    result = {k: build[k] for k in ("image", "computeType") if build.get(k)}
    if build.get("timeout"):
        result["timeoutMinutes"] = int(build["timeout"])
    if build.get("disabled"):
        result["artifact"] = False
    for key in [
        k for k in build if k not in {"image", "computeType", "timeout", "disabled", "type", "bucket"}
    ]:  # the file's order: stable lines
        out.drop(f"service.pipeline.build.{key}")
    if build.get("type") and str(build["type"]) != "LINUX_CONTAINER":
        out.drop("service.pipeline.build.type", f"{build['type']}: muon's builds run on Linux")
    if build.get("bucket"):
        out.drop("service.pipeline.build.bucket", "set pipeline.artifactBucket")
    return result


def _stages(pipeline: dict[str, Any], out: Conversion) -> list[dict[str, Any]]:
    stages = []
    for (env, approval, buildspec), key in zip(
        stage_environments(pipeline),
        [k for k, _, _ in STAGES if not (pipeline.get(k) or {}).get("disabled")],
        strict=True,
    ):
        stage: dict[str, Any] = {"environment": env, "test": buildspec}
        if approval:
            stage["approval"] = True
        settings = pipeline.get(key) or {}
        roles = settings.get("roles") or {}
        if roles.get("mu"):
            stage["roleArn"] = roles["mu"]
        if roles.get("codeBuild"):
            out.drop(f"service.pipeline.{key}.roles.codeBuild", "muon creates the test project's role")
        for sub in [
            k for k in settings if k not in {"environment", "disabled", "roles"}
        ]:  # the file's order: stable lines
            out.drop(f"service.pipeline.{key}.{sub}", "the test action's CodeBuild settings are muon's")
        stages.append(stage)
    return stages
