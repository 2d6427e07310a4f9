"""The README's first deploy ("From an empty account to production"), run in a team's repository.

An application repository with its own Dockerfile, requirements.txt and .gitignore is adopted by
the README's `muon init` command; then the walkthrough's commands that need no AWS account run as
written — `git` for real (the repository with its own remote), `pulumi` as a stand-in that keeps
stacks and secrets providers the way the CLI does (tests/fake_pulumi_stacks.py) — and then the
pipeline's deploy step runs from what was pushed: the build commands of the rendered delivery
stack's deploy project, with the project's and the stage action's variables, in a fresh checkout on
a machine logged in to nothing, as CodeBuild runs them (buildspec version 0.2: one shell, a phase
stops at the first command that exits non-zero).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import yaml

from muon.plan.command import render_stack
from muon.plan.offline import Rendering
from muon.stacks.definition.stack_config import read_stack_file
from tests import fake_pulumi_stacks as stand_in
from tests.markdown_commands import README, application, commands, section

SECTION = "## From an empty account to production"
INIT = "## Your repository: `muon init`"
READ_ONLY = (["pulumi", "stack", "output"],)
"""Commands that read what the pipeline's deploys made: run after them (the deploy test)."""


def walkthrough() -> list[list[str]]:
    """The first deploy's shell commands in order (up to "Tearing down"), ``a && b`` as two."""
    first_deploy = section(README.read_text(encoding="utf-8"), SECTION).split("\n### ")[0]
    return [c.argv for c in commands(first_deploy, "README.md")]


def init_command() -> list[str]:
    (init,) = [
        c.argv
        for c in commands(section(README.read_text(encoding="utf-8"), INIT), "README.md")
        if c.argv[1] == "init"
    ]
    return init


def stack_of(command: list[str]) -> str | None:
    for flag in ("-s", "--stack"):
        if flag in command:
            return command[command.index(flag) + 1]
    if command[1:3] == ["stack", "init"]:
        return command[3]
    return None


def option(command: list[str], name: str) -> str | None:
    return command[command.index(name) + 1] if name in command else None


def _git(*args: str, cwd: Path, env: dict[str, str]) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@dataclass
class Walk:
    fork: Path
    """The team's repository (a clone whose remote is ``origin``)."""
    origin: Path
    backends: Path
    log: Path
    env: dict[str, str]


@pytest.fixture
def adopted(tmp_path: Path) -> Walk:
    """The team's application repository, pushed, then adopted by the README's `muon init`."""
    fork, origin = application(tmp_path / "banana"), tmp_path / "origin.git"
    env = {
        **os.environ,
        "PATH": f"{stand_in.install(tmp_path / 'bin')}:{Path(sys.executable).parent}:{os.environ['PATH']}",
        "FAKE_PULUMI_LOG": str(tmp_path / "pulumi.jsonl"),
        "FAKE_PULUMI_BACKENDS": str(tmp_path / "backends"),
        "PULUMI_HOME": str(tmp_path / "laptop"),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    _git("init", "-q", "--bare", "-b", "main", str(origin), cwd=tmp_path, env=env)
    _git("add", ".", cwd=fork, env=env)
    _git("commit", "-q", "-m", "the app", cwd=fork, env=env)
    _git("remote", "add", "origin", str(origin), cwd=fork, env=env)
    _git("push", "-q", "-u", "origin", "main", cwd=fork, env=env)
    init = subprocess.run(init_command(), cwd=fork, env=env, capture_output=True, text=True, check=False)
    assert init.returncode == 0, init.stderr
    return Walk(fork, origin, tmp_path / "backends", tmp_path / "pulumi.jsonl", env)


def test_the_walkthrough_orders_its_commands_as_pulumi_requires(adopted: Walk) -> None:
    commands = walkthrough()
    pulumi = [(i, c) for i, c in enumerate(commands) if c[0] == "pulumi"]
    delivery = read_stack_file(adopted.fork, "pipeline")  # as `muon init` wrote it
    # A DIY backend holds the stacks: log in to it before any stack command, the one the
    # pipeline's deploy step logs in to.
    first = pulumi[0][1]
    assert first[:2] == ["pulumi", "login"] and first[2] == delivery["muon:backend"]
    # Every stack created by hand gets the project's KMS provider, the one the deploy step creates
    # stacks with (`--secrets-provider` applies only at creation).
    inits = {stack_of(c): i for i, c in pulumi if c[1:3] == ["stack", "init"]}
    assert set(inits) == {"dev", "pipeline"}
    for _, command in pulumi:
        if command[1:3] == ["stack", "init"]:
            assert option(command, "--secrets-provider") == delivery["muon:secretsProvider"]
    # `config set` and `up` need the stack to exist (non-interactive Pulumi offers no creation).
    for i, command in pulumi:
        if command[1] in ("up", "config"):
            stack = stack_of(command)
            assert stack in inits and inits[stack] < i, " ".join(command)
    # The stack files are committed after `stack init` wrote their provider, and pushed before the
    # pipeline exists (its first run starts on creation, from the repository).
    commit = next(i for i, c in enumerate(commands) if c[:2] == ["git", "add"] and "Pulumi.*.yaml" in c)
    push = next(i for i, c in enumerate(commands) if c[:2] == ["git", "push"])
    assert max(inits.values()) < commit < push
    assert push < next(i for i, c in pulumi if c[1] == "up" and stack_of(c) == "pipeline")
    # The bucket and the key are made in the stacks' region, the bucket with its location outside
    # us-east-1 (S3 refuses a LocationConstraint of us-east-1 and needs one anywhere else).
    region = delivery["aws:region"]
    assert region != "us-east-1" and delivery["muon:secretsProvider"].endswith(f"?region={region}")
    bucket = delivery["muon:backend"].removeprefix("s3://")
    (create,) = [c for c in commands if c[:3] == ["aws", "s3api", "create-bucket"]]
    assert option(create, "--bucket") == bucket and option(create, "--region") == region
    assert option(create, "--create-bucket-configuration") == f"LocationConstraint={region}"
    alias = delivery["muon:secretsProvider"].removeprefix("awskms://").split("?")[0]
    (aliased,) = [c for c in commands if c[:3] == ["aws", "kms", "create-alias"]]
    assert option(aliased, "--alias-name") == alias and option(aliased, "--region") == region
    assert all(option(c, "--region") == region for c in commands if c[:2] == ["aws", "kms"])


@pytest.fixture
def walked(adopted: Walk) -> Walk:
    """The walkthrough's commands run in the adopted repository (those needing AWS skipped: the
    bucket, the key, the connection, the policy; the outputs are read after the deploys)."""
    for command in walkthrough():
        if command[0] in ("pulumi", "git") and not any(command[: len(r)] == r for r in READ_ONLY):
            done = subprocess.run(
                command, cwd=adopted.fork, env=adopted.env, capture_output=True, text=True, check=False
            )
            assert done.returncode == 0, f"{' '.join(command)}: {done.stderr}"
    return adopted


def pushed(walk: Walk, name: str) -> dict:
    """A file as the pipeline's checkout has it."""
    return yaml.safe_load(_git("show", f"main:{name}", cwd=walk.origin, env=walk.env)) or {}


def test_the_walkthrough_commits_stack_files_that_name_their_secrets_provider(walked: Walk) -> None:
    delivery = read_stack_file(walked.fork, "pipeline")
    for stack in ("dev", "pipeline"):
        committed = pushed(walked, f"Pulumi.{stack}.yaml")
        assert (
            committed["secretsprovider"] == delivery["muon:secretsProvider"] and committed["encryptedkey"]
        ), stack
        state = stand_in.stack_state(walked.backends, delivery["muon:backend"], stack)
        assert state is not None and state["updates"] == 1  # the README's own `pulumi up`
    # The production stack is the first approval's to create: its file in git names no provider.
    assert "secretsprovider" not in pushed(walked, "Pulumi.prod.yaml")
    # The connection set on the stack before the commit is the one the pipeline reads.
    assert pushed(walked, "Pulumi.pipeline.yaml")["config"]["muon:connection"].startswith(
        "arn:aws:codestar-connections:eu-west-1:"
    )


def test_the_walkthrough_commits_everything_the_pipeline_needs(walked: Walk) -> None:
    """Nothing `muon init` wrote or changed is left out of the commit the pipeline deploys from."""
    status = _git("status", "--porcelain", "--untracked-files=all", cwd=walked.fork, env=walked.env)
    assert status == ""
    tracked = set(_git("ls-tree", "-r", "--name-only", "main", cwd=walked.origin, env=walked.env).split())
    assert {"Pulumi.yaml", "__main__.py", "muon.yaml", "buildspec-test.yml", ".gitignore"} <= tracked
    assert {
        "Pulumi.dev.yaml",
        "Pulumi.prod.yaml",
        "Pulumi.pipeline.yaml",
        "requirements-infra.txt",
    } <= tracked


def _project(rendering: Rendering, suffix: str) -> dict:
    return next(
        p.inputs
        for p in rendering.of_type("aws:codebuild/project:Project")
        if p.inputs["name"].endswith(suffix)
    )


def _action_variables(rendering: Rendering, stage: str) -> dict[str, str]:
    (pipeline,) = rendering.of_type("aws:codepipeline/pipeline:Pipeline")
    (action,) = [
        a
        for s in pipeline.inputs["stages"]
        if s["name"] == stage
        for a in s["actions"]
        if a["name"] == "Deploy"
    ]
    return {v["name"]: v["value"] for v in json.loads(action["configuration"]["EnvironmentVariables"])}


def deploy_run(
    walk: Walk, delivery: Rendering, stage: str, run: Path, image: str
) -> subprocess.CompletedProcess:
    """One run of the stage's Deploy action: a fresh checkout of what was pushed, a fresh container."""
    checkout = run / "src"
    _git("clone", "-q", str(walk.origin), str(checkout), cwd=run.parent, env=walk.env)
    (checkout / ".venv" / "bin").mkdir(parents=True)  # what the install phase makes
    python = checkout / ".venv" / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
    python.chmod(0o755)
    (run / "images").mkdir()
    (run / "images" / "images.tsv").write_text(f"banana\t{image}\n", encoding="utf-8")
    outputs = run / "stack-outputs.json"
    outputs.write_text(json.dumps({"services": {"dev": {}, "production": {}}}), encoding="utf-8")
    project = _project(delivery, "-deploy")
    spec = yaml.safe_load(project["source"]["buildspec"])
    env = {
        **walk.env,
        **spec["env"]["variables"],
        **{v["name"]: v["value"] for v in project["environment"]["environmentVariables"]},
        **_action_variables(delivery, stage),
        "CODEBUILD_SRC_DIR": str(checkout),
        # CodeBuild's own: the region the build runs in, the pipeline's (CodeBuild user guide,
        # "Environment variables in build environments").
        "AWS_DEFAULT_REGION": read_stack_file(walk.fork, "pipeline")["aws:region"],
        "AWS_REGION": read_stack_file(walk.fork, "pipeline")["aws:region"],
        "CODEBUILD_SRC_DIR_Images": str(run / "images"),
        "PULUMI_HOME": str(run / "home"),  # a new container: logged in to nothing
        "FAKE_PULUMI_OUTPUTS": str(outputs),
    }
    script = "\n".join(
        f'{command}\nrc=$?; if [ "$rc" -ne 0 ]; then echo "command {n} exited $rc" >&2; exit "$rc"; fi'
        for n, command in enumerate(spec["phases"]["build"]["commands"])
    )
    return subprocess.run(
        ["bash", "-c", script], cwd=checkout, env=env, capture_output=True, text=True, check=False
    )


def _pushed_image(aws: str, region: str) -> str:
    ecr = boto3.client("ecr", region_name=region)
    ecr.create_repository(repositoryName="banana/banana", imageTagMutability="IMMUTABLE")
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"digest": "sha256:" + "1" * 64},
        "layers": [
            {
                "digest": "sha256:" + "2" * 64,
                "size": 1,
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            }
        ],
    }
    digest = ecr.put_image(
        repositoryName="banana/banana", imageManifest=json.dumps(manifest), imageTag="c0ffee"
    )["image"]["imageId"]["imageDigest"]
    return f"123456789012.dkr.ecr.{region}.amazonaws.com/banana/banana@{digest}"


def _order(walk: Walk, checkout: Path) -> list[list[str]]:
    """The run's pulumi commands (argv), in order."""
    return [c["args"] for c in stand_in.calls(walk.log) if c["cwd"] == str(checkout)]


def test_the_deploy_step_keeps_each_stacks_provider_whether_or_not_its_file_names_it(
    aws: str, walked: Walk, tmp_path: Path
) -> None:
    settings = read_stack_file(walked.fork, "pipeline")
    delivery = render_stack("pipeline", walked.fork)  # the team's delivery stack, as `pulumi up` makes it
    image = _pushed_image(aws, settings["aws:region"])
    provider, backend = settings["muon:secretsProvider"], settings["muon:backend"]
    # Dev: created by the walkthrough, its committed file names the provider.
    dev = deploy_run(walked, delivery, "Deploy-dev", tmp_path / "run-dev", image)
    assert dev.returncode == 0, dev.stderr
    # Production, first approval: the stack does not exist; the step creates it with the provider.
    first = deploy_run(walked, delivery, "Deploy-production", tmp_path / "run-prod-1", image)
    assert first.returncode == 0, first.stderr
    # Production again, from a checkout whose Pulumi.prod.yaml names no provider: an existing stack
    # is only selected (its --secrets-provider ignored), and must not fall back to a passphrase.
    assert "secretsprovider" not in pushed(walked, "Pulumi.prod.yaml")
    again = deploy_run(walked, delivery, "Deploy-production", tmp_path / "run-prod-2", image)
    assert again.returncode == 0, again.stderr
    state = stand_in.stack_state(walked.backends, backend, "prod")
    assert state is not None and (state["secretsProvider"], state["updates"]) == (provider, 2)
    assert state["config"]["muon:images"] == {"banana": image}
    for run in ("run-dev", "run-prod-1", "run-prod-2"):
        order = _order(walked, tmp_path / run / "src")
        words = [" ".join(a for a in c if not a.startswith("-"))[:12] for c in order]
        # Log in, select (creating with the provider), set the images, update, read the outputs.
        assert [w.split()[0] if w.startswith(("login", "up")) else w for w in words][:5] == [
            "login",
            "stack select",
            "config set m",
            "up",
            "stack output",
        ], order
        select = order[1]
        assert "--create" in select and option(select, "--secrets-provider") == provider
    # Back on the laptop, the README's last step reads where the services answer.
    for command in walkthrough():
        if any(command[: len(r)] == r for r in READ_ONLY):
            done = subprocess.run(
                command, cwd=walked.fork, env=walked.env, capture_output=True, text=True, check=False
            )
            assert done.returncode == 0, f"{' '.join(command)}: {done.stderr}"
