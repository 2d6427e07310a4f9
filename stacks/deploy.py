"""What the pipeline's deploy step runs around ``pulumi up``: ``python -m stacks.deploy COMMAND``.

- ``set-images``: put the digests the image build pushed into the stack's ``muon:images``.
- ``verify``: fail when ECS rolled a service back. ``pulumi up`` waits for a steady state, and a
  service whose circuit breaker rolled back to the old task definition *is* steady: Pulumi
  reports success while the new build never ran. This reads what ECS actually runs.
- ``url``: the environment's first service URL, for the Test action.
- ``assume-role``: shell exports for a cross-account deploy role.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

Runner = Callable[[list[str]], None]


def read_images(path: Path) -> dict[str, dict[str, str]]:
    """``images.tsv`` (environment, service, repository@digest per line) as a nested map."""
    images: dict[str, dict[str, str]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3 or "@sha256:" not in fields[2]:
            raise ValueError(f"{path}:{number}: expected 'environment<TAB>service<TAB>repo@sha256:...'")
        environment, service, reference = fields
        images.setdefault(environment, {})[service] = reference
    return images


def image_commands(stack: str, environment: str, images: dict[str, dict[str, str]]) -> list[list[str]]:
    if environment not in images:
        raise ValueError(f"the image build pushed nothing for environment '{environment}'")
    return [
        ["pulumi", "config", "set", "--path", f"muon:images.{service}", reference, "--stack", stack]
        for service, reference in sorted(images[environment].items())
    ]


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
            if primary is None or primary.get("rolloutState") != "IN_PROGRESS" or clock() >= deadline:
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
    return None


def service_url(outputs: dict[str, Any], environment: str) -> str:
    services = (outputs.get("services") or {}).get(environment) or {}
    return next((s["url"] for _, s in sorted(services.items())), "")


def assume_role_exports(role_arn: str, sts: Any) -> str:
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="muon-pipeline-deploy")["Credentials"]
    pairs = {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }
    return "\n".join(f"export {key}={shlex.quote(value)}" for key, value in pairs.items())


def _run(command: list[str]) -> None:
    subprocess.run(command, check=True)


def main(argv: Sequence[str] | None = None, runner: Runner = _run) -> int:
    parser = argparse.ArgumentParser(prog="python -m stacks.deploy", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    set_images = commands.add_parser("set-images", help="set muon:images on the stack from images.tsv")
    set_images.add_argument("--stack", required=True)
    set_images.add_argument("--environment", required=True)
    set_images.add_argument("--images", type=Path, required=True)
    for name, text in (("verify", "fail when ECS does not run what was deployed"), ("url", "print the URL")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--outputs", type=Path, required=True, help="`pulumi stack output --json`")
        command.add_argument("--environment", required=True)
        if name == "verify":
            command.add_argument("--timeout", type=float, default=1200, help="seconds to wait for rollouts")
    assume = commands.add_parser("assume-role", help="print exports for a cross-account deploy role")
    assume.add_argument("role_arn")
    args = parser.parse_args(argv)

    import boto3  # only the AWS-facing commands need it
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        if args.command == "set-images":
            for command in image_commands(args.stack, args.environment, read_images(args.images)):
                runner(command)
        elif args.command == "verify":
            outputs = json.loads(args.outputs.read_text(encoding="utf-8"))
            problems = rollout_problems(outputs, args.environment, boto3.client("ecs"), timeout=args.timeout)
            for problem in problems:
                print(f"muon deploy: {problem}", file=sys.stderr)
            if problems:
                return 1
            print(f"muon deploy: every service of {args.environment} runs the deployed revision")
        elif args.command == "url":
            print(service_url(json.loads(args.outputs.read_text(encoding="utf-8")), args.environment))
        else:
            print(assume_role_exports(args.role_arn, boto3.client("sts")))
    except (ValueError, OSError, subprocess.CalledProcessError, BotoCoreError, ClientError) as error:
        print(f"muon deploy: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
