"""What the pipeline's deploy step runs around ``pulumi up``: ``python -m muon.deploy COMMAND``.

- ``set-images``: put the digests the image build pushed into the stack's ``muon:images``.
- ``tag-deployed``: tag each image ``deployed-<environment>-<time>`` before it runs, and untag that
  environment's older ones beyond the kept number, so no lifecycle rule expires what may run.
- ``self-update``: ``pulumi up`` of the pipeline's own stack; when that changed the pipeline,
  start a new run on the same revision and stop this one (CodePipeline fails a run whose
  pipeline changes under it).
- ``verify``: fail when ECS rolled a service back. ``pulumi up`` waits for a steady state, and a
  service whose circuit breaker rolled back to the old task definition *is* steady: Pulumi
  reports success while the new build never ran. This reads what ECS actually runs.
- ``migrate``: before ``pulumi up``, register the service's new task definition alone and run the
  stage's migration command as a one-off task of it; a non-zero exit fails the stage before the
  service is updated (deploy/migrate.py).
- ``url``: the environment's first service URL, for the Test action.
- ``assume-role``: deploy a stack into another account: the AWS provider assumes the role (and
  renews the session; a role assumed from a role lasts at most an hour) while Pulumi's state and
  secrets stay with the pipeline account's credentials; a profile for the rollout check.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

Runner = Callable[[list[str]], None]
Capture = Callable[[list[str]], str]


DEPLOYED_PREFIX = "deployed-"  # components/registry.py: the lifecycle rule protecting these
VERIFY_PROFILE = "muon-target"


def read_images(path: Path) -> dict[str, str]:
    """``images.tsv`` (service, repository@digest per line) as a map."""
    images: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 2 or "@sha256:" not in fields[1]:
            raise ValueError(f"{path}:{number}: expected 'service<TAB>repo@sha256:...'")
        images[fields[0]] = fields[1]
    if not images:
        raise ValueError(f"{path}: the image build pushed nothing")
    return images


def image_commands(stack: str, images: dict[str, str]) -> list[list[str]]:
    return [
        ["pulumi", "config", "set", "--path", f"muon:images.{service}", reference, "--stack", stack]
        for service, reference in sorted(images.items())
    ]


def tag_deployed(
    ecr: Any, images: dict[str, str], environment: str, keep: int, now: datetime | None = None
) -> list[str]:
    """Tag each image as deployed to ``environment``; keep that environment's last ``keep`` tags.

    Removing a tag never deletes an image here: every image also keeps its build tag.
    """
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    tag = f"{DEPLOYED_PREFIX}{environment}-{stamp}"
    done = []
    for service, reference in sorted(images.items()):
        repository = reference.split("/", 1)[1].split("@")[0]
        digest = reference.split("@", 1)[1]
        found = ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageDigest": digest}])
        if not found.get("images"):
            raise ValueError(f"{service}: no image {digest} in repository {repository}")
        manifest = found["images"][0]
        # An image that already carries the tag (a retried action) is fine as it is.
        with contextlib.suppress(ecr.exceptions.ImageAlreadyExistsException):
            ecr.put_image(
                repositoryName=repository,
                imageManifest=manifest["imageManifest"],
                imageManifestMediaType=manifest.get("imageManifestMediaType", ""),
                imageTag=tag,
                imageDigest=digest,
            )
        done.append(f"{repository}@{digest} tagged {tag}")
        prefix = f"{DEPLOYED_PREFIX}{environment}-"
        tags = sorted(
            t
            for page in ecr.get_paginator("describe_images").paginate(
                repositoryName=repository, filter={"tagStatus": "TAGGED"}
            )
            for detail in page["imageDetails"]
            for t in detail.get("imageTags", [])
            if t.startswith(prefix)
        )
        stale = tags[:-keep] if len(tags) > keep else []
        for start in range(0, len(stale), 100):  # BatchDeleteImage takes 100 ids at a time
            ecr.batch_delete_image(
                repositoryName=repository, imageIds=[{"imageTag": t} for t in stale[start : start + 100]]
            )
        if stale:
            done.append(f"{repository}: {len(stale)} older {prefix}* tags removed (kept {keep})")
    return done


def pipeline_version(codepipeline: Any, name: str) -> int:
    return int(codepipeline.get_pipeline(name=name)["pipeline"]["version"])


def self_update(
    codepipeline: Any,
    runner: Runner,
    *,
    stack: str,
    pipeline: str,
    execution: str,
    revision: str,
    revision_type: str,
) -> str:
    """Update the pipeline's own stack; restart the run on the same revision if the pipeline changed."""
    before = pipeline_version(codepipeline, pipeline)
    runner(["pulumi", "up", "--yes", "--skip-preview", "--stack", stack])
    after = pipeline_version(codepipeline, pipeline)
    if after == before:
        return f"pipeline {pipeline} unchanged (version {after}); this run goes on"
    started = codepipeline.start_pipeline_execution(
        name=pipeline,
        sourceRevisions=[{"actionName": "Source", "revisionType": revision_type, "revisionValue": revision}],
    )["pipelineExecutionId"]
    codepipeline.stop_pipeline_execution(
        pipelineName=pipeline,
        pipelineExecutionId=execution,
        abandon=True,
        reason=f"muon: the pipeline updated itself (version {before} -> {after}); restarted as {started}",
    )
    return f"pipeline {pipeline} updated to version {after}: restarted as {started}, this run stopped"


def assume_role_commands(stack: str, role_arn: str) -> list[list[str]]:
    """Let the stack's AWS provider assume ``role_arn`` for this run (the CodeBuild copy of the
    stack file only; nothing is committed)."""
    return [
        ["pulumi", "config", "set", "--path", "aws:assumeRoles[0].roleArn", role_arn, "--stack", stack],
        [
            "pulumi", "config", "set", "--path", "aws:assumeRoles[0].sessionName",
            "muon-pipeline-deploy", "--stack", stack,
        ],
    ]  # fmt: skip


def verify_profile(role_arn: str) -> str:
    """An AWS config profile for the rollout check: botocore assumes the role from the build's own
    container credentials and renews it, however long the check waits."""
    return (
        f"[profile {VERIFY_PROFILE}]\nrole_arn = {role_arn}\ncredential_source = EcsContainer\n"
        "role_session_name = muon-pipeline-verify\n"
    )


def rollout_problems(
    outputs: dict[str, Any],
    environment: str,
    ecs: Any,
    *,
    timeout: float = 0,
    interval: float = 15,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[str]:
    """Why the services of ``environment`` do not run what the stack just deployed (empty: fine).

    A rollout still IN_PROGRESS (ECS watches the rollback alarms for a while after the tasks are
    healthy) is waited for, up to ``timeout`` seconds, and then judged.
    """
    services = (outputs.get("services") or {}).get(environment)
    if services is None:
        return [f"the stack's outputs have no services for environment '{environment}'"]
    deadline = clock() + timeout
    problems = []
    for name, service in sorted(services.items()):
        while True:
            found = ecs.describe_services(cluster=service["clusterName"], services=[service["serviceName"]])
            deployments = found["services"][0].get("deployments", []) if found.get("services") else []
            primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
            if primary is None or clock() >= deadline or not _settling(primary):
                break
            sleep(interval)
        problem = _judge(name, service, found, primary, timeout)
        if problem:
            problems.append(problem)
    return problems


def _judge(
    name: str, service: dict[str, Any], found: dict[str, Any], primary: dict[str, Any] | None, timeout: float
) -> str | None:
    expected = service["taskDefinitionArn"]
    if not found.get("services"):
        return f"{name}: ECS service {service['serviceName']} not found"
    if primary is None:
        return f"{name}: no PRIMARY deployment"
    if primary.get("rolloutState") == "FAILED":
        return f"{name}: rollout failed: {primary.get('rolloutStateReason', 'no reason given')}"
    if primary.get("taskDefinition") != expected:
        return (
            f"{name}: ECS runs {primary.get('taskDefinition')}, not the deployed {expected} "
            "(the deployment circuit breaker or an alarm rolled it back)"
        )
    if primary.get("rolloutState") == "IN_PROGRESS":
        return f"{name}: still rolling out after {timeout:g} s"
    if _short(primary):
        return (
            f"{name}: {primary.get('runningCount', 0)} of {primary['desiredCount']} tasks running after "
            f"{timeout:g} s (see the service's stopped tasks)"
        )
    return None


def _short(primary: dict[str, Any]) -> bool:
    """Fewer tasks run than wanted: a service started from zero by raising its scaling minimum
    (its first image) is outside any deployment the circuit breaker watches."""
    return int(primary.get("runningCount", 0)) < int(primary.get("desiredCount", 0))


def _settling(primary: dict[str, Any]) -> bool:
    return primary.get("rolloutState") == "IN_PROGRESS" or _short(primary)


def service_url(outputs: dict[str, Any], environment: str) -> str:
    """The first web service's URL (a backend's answers only inside the VPC, a worker has none)."""
    services = (outputs.get("services") or {}).get(environment) or {}
    return next((s["url"] for _, s in sorted(services.items()) if s.get("kind", "web") == "web"), "")


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True)


def _capture(command: list[str]) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def migrate(
    stack: str,
    environment: str,
    migration: str,
    *,
    runner: Runner,
    capture: Capture,
    session: Any,
    timeout: float,
) -> None:
    """The stage's migration (``MUON_MIGRATE``'s JSON) before the stack's full ``pulumi up``."""
    from muon.deploy.migrate import Migration, run_migration

    try:
        spec = json.loads(migration)
        job = Migration(environment, str(spec["service"]), tuple(str(c) for c in spec["command"]))
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(f'--migration: expected {{"service": …, "command": […]}} ({error})') from None
    run_migration(
        job,
        export_state=lambda: json.loads(capture(["pulumi", "stack", "export", "--stack", stack])),
        up_target=lambda urn: runner(
            [
                "pulumi",
                "up",
                "--yes",
                "--skip-preview",
                "--stack",
                stack,
                "--target",
                urn,
            ]
        ),
        ecs=session.client("ecs"),
        logs=session.client("logs"),
        on_line=lambda line: print(line, flush=True),
        timeout=timeout,
    )


def main(argv: Sequence[str] | None = None, runner: Runner = _run, capture: Capture = _capture) -> int:
    parser = argparse.ArgumentParser(prog="python -m muon.deploy", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    set_images = commands.add_parser("set-images", help="set muon:images on the stack from images.tsv")
    set_images.add_argument("--stack", required=True)
    set_images.add_argument("--images", type=Path, required=True)
    tag = commands.add_parser("tag-deployed", help="tag the images as deployed to the environment")
    tag.add_argument("--environment", required=True)
    tag.add_argument("--images", type=Path, required=True)
    tag.add_argument("--keep", type=int, default=10, help="deployed images kept per environment")
    for name, text in (("verify", "fail when ECS does not run what was deployed"), ("url", "print the URL")):
        reader = commands.add_parser(name, help=text)
        reader.add_argument("--outputs", type=Path, required=True, help="`pulumi stack output --json`")
        reader.add_argument("--environment", required=True)
        if name == "verify":
            reader.add_argument("--stack", required=True, help="whose aws:region the services are in")
            reader.add_argument("--profile", default="", help="AWS profile for ECS (cross-account)")
            reader.add_argument("--timeout", type=float, default=1200, help="seconds to wait for rollouts")
    update = commands.add_parser("self-update", help="update the pipeline's stack; restart if it changed")
    for option in ("--stack", "--pipeline", "--execution", "--revision"):
        update.add_argument(option, required=True)
    update.add_argument("--revision-type", default="COMMIT_ID")
    migration = commands.add_parser("migrate", help="run the stage's migration before the service updates")
    migration.add_argument("--stack", required=True)
    migration.add_argument("--environment", required=True)
    migration.add_argument("--migration", required=True, help='{"service": …, "command": […]}')
    migration.add_argument("--profile", default="", help="AWS profile for ECS and logs (cross-account)")
    migration.add_argument("--timeout", type=float, default=3600, help="seconds before the task is stopped")
    release = commands.add_parser("release-functions", help="move each function's alias (CodeDeploy)")
    release.add_argument("--outputs", type=Path, required=True, help="`pulumi stack output --json`")
    release.add_argument("--environment", required=True)
    release.add_argument("--stack", required=True, help="whose aws:region the functions are in")
    release.add_argument(
        "--profile", default="", help="AWS profile for Lambda and CodeDeploy (cross-account)"
    )
    release.add_argument("--timeout", type=float, default=3600, help="seconds to wait for each release")
    sites = commands.add_parser("publish-sites", help="build and publish the definition's sites")
    sites.add_argument("--outputs", type=Path, required=True, help="`pulumi stack output --json`")
    sites.add_argument("--environment", required=True)
    sites.add_argument("--stack", required=True, help="whose muon:definition names the definition file")
    sites.add_argument("--profile", default="", help="AWS profile for S3 and CloudFront (cross-account)")
    assume = commands.add_parser("assume-role", help="deploy this run's stack through a role")
    assume.add_argument("--stack", required=True)
    assume.add_argument("--aws-config", type=Path, default=Path.home() / ".aws" / "config")
    assume.add_argument("role_arn")
    args = parser.parse_args(argv)

    import boto3  # only the AWS-facing commands need it
    from botocore.exceptions import BotoCoreError, ClientError

    from muon.deploy.function_release import ReleaseError
    from muon.deploy.migrate import MigrationError
    from muon.deploy.regions import stack_session
    from muon.stacks.errors import DefinitionError

    try:
        if args.command == "set-images":
            for command in image_commands(args.stack, read_images(args.images)):
                runner(command)
        elif args.command == "tag-deployed":
            images = read_images(args.images)
            # The repositories are the delivery stack's: this account, the pipeline's own region.
            for line in tag_deployed(boto3.client("ecr"), images, args.environment, args.keep):
                print(f"muon deploy: {line}")
        elif args.command == "verify":
            outputs = json.loads(args.outputs.read_text(encoding="utf-8"))
            ecs = stack_session(args.stack, args.profile).client("ecs")
            problems = rollout_problems(outputs, args.environment, ecs, timeout=args.timeout)
            for problem in problems:
                print(f"muon deploy: {problem}", file=sys.stderr)
            if problems:
                return 1
            print(f"muon deploy: every service of {args.environment} runs the deployed revision")
        elif args.command == "migrate":
            migrate(
                args.stack,
                args.environment,
                args.migration,
                runner=runner,
                capture=capture,
                session=stack_session(args.stack, args.profile),
                timeout=args.timeout,
            )
            print(f"muon deploy: the migration of {args.environment} exited 0; deploying")
        elif args.command == "release-functions":
            from muon.deploy.function_release import release_functions

            session = stack_session(args.stack, args.profile)
            for line in release_functions(
                json.loads(args.outputs.read_text(encoding="utf-8")),
                args.environment,
                lambda_client=session.client("lambda"),
                codedeploy=session.client("codedeploy"),
                timeout=args.timeout,
            ):
                print(f"muon deploy: {line}")
        elif args.command == "publish-sites":
            from muon.deploy.site_publish import publish_sites
            from muon.stacks.definition.stack_config import read_stack_file

            session = stack_session(args.stack, args.profile)
            definition = read_stack_file(Path.cwd(), args.stack).get("muon:definition", "muon.yaml")
            for line in publish_sites(
                json.loads(args.outputs.read_text(encoding="utf-8")),
                args.environment,
                Path(definition),
                clients=session.client,
                # The team's own build command, from its definition, in the site's folder.
                build=lambda command, folder: subprocess.run(["sh", "-c", command], cwd=folder, check=True),
            ):
                print(f"muon deploy: {line}")
        elif args.command == "url":
            print(service_url(json.loads(args.outputs.read_text(encoding="utf-8")), args.environment))
        elif args.command == "self-update":
            message = self_update(
                stack_session(args.stack).client("codepipeline"),  # the pipeline stack's region
                runner,
                stack=args.stack,
                pipeline=args.pipeline,
                execution=args.execution,
                revision=args.revision,
                revision_type=args.revision_type,
            )
            print(f"muon deploy: {message}")
        else:
            for command in assume_role_commands(args.stack, args.role_arn):
                runner(command)
            args.aws_config.parent.mkdir(parents=True, exist_ok=True)
            with args.aws_config.open("a", encoding="utf-8") as config:
                config.write(verify_profile(args.role_arn))
    except (MigrationError, ReleaseError) as error:
        print(f"muon deploy: {error}", file=sys.stderr)
        return 1
    except (
        ValueError,
        OSError,
        subprocess.CalledProcessError,
        BotoCoreError,
        ClientError,
        DefinitionError,
    ) as error:
        print(f"muon deploy: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
