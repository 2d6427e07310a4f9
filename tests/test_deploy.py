"""The pipeline's deploy helper, against a real AWS API endpoint (moto in server mode)."""

from __future__ import annotations

import json
import subprocess
import threading
from http.server import HTTPServer
from pathlib import Path

import boto3
import pytest

from muon.deploy import steps as deploy
from tests.conftest import JsonEndpoint

DIGEST = "sha256:" + "a" * 64


REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


def test_images_file_becomes_config_commands(tmp_path: Path) -> None:
    images = tmp_path / "images.tsv"
    images.write_text(
        f"banana\t{REGISTRY}/muon/banana@{DIGEST}\napple\t{REGISTRY}/muon/apple@{DIGEST}\n", encoding="utf-8"
    )
    ran: list[list[str]] = []
    assert deploy.main(["set-images", "--stack", "dev", "--images", str(images)], ran.append) == 0
    # The same digests for every stage: built once, promoted.
    assert ran == [
        [
            "pulumi",
            "config",
            "set",
            "--path",
            "muon:images.apple",
            f"{REGISTRY}/muon/apple@{DIGEST}",
            "--stack",
            "dev",
        ],
        [
            "pulumi",
            "config",
            "set",
            "--path",
            "muon:images.banana",
            f"{REGISTRY}/muon/banana@{DIGEST}",
            "--stack",
            "dev",
        ],
    ]


def test_a_malformed_or_empty_images_file_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    images = tmp_path / "images.tsv"
    images.write_text("banana\tlatest\n", encoding="utf-8")
    assert deploy.main(["set-images", "--stack", "dev", "--images", str(images)], print) == 2
    assert "images.tsv:1: expected 'service<TAB>repo@sha256:...'" in capsys.readouterr().err
    images.write_text("\n", encoding="utf-8")
    assert deploy.main(["set-images", "--stack", "dev", "--images", str(images)], print) == 2
    assert "the image build pushed nothing" in capsys.readouterr().err


def _push(ecr, repository: str, tag: str, n: int) -> str:
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"digest": f"sha256:{n:064x}"},
            "layers": [
                {
                    "digest": f"sha256:{n:064x}",
                    "size": n + 1,
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                }
            ],
        }
    )
    return ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag=tag)["image"]["imageId"][
        "imageDigest"
    ]


def _tags(ecr, repository: str) -> dict[str, list[str]]:
    details = ecr.describe_images(repositoryName=repository)["imageDetails"]
    return {d["imageDigest"]: sorted(d.get("imageTags", [])) for d in details}


def test_deployed_images_are_tagged_and_only_the_last_ones_per_environment_kept(
    aws: str, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    ecr = boto3.client("ecr")
    ecr.create_repository(repositoryName="muon/banana", imageTagMutability="IMMUTABLE")
    digests = [_push(ecr, "muon/banana", f"commit{n}", n) for n in range(4)]
    for n, digest in enumerate(digests):
        images = {"banana": f"{REGISTRY}/muon/banana@{digest}"}
        deploy.tag_deployed(ecr, images, "dev", keep=2, now=datetime(2026, 1, 1, 0, n, tzinfo=UTC))
    deploy.tag_deployed(
        ecr,
        {"banana": f"{REGISTRY}/muon/banana@{digests[0]}"},
        "production",
        2,
        datetime(2026, 1, 2, tzinfo=UTC),
    )
    tags = _tags(ecr, "muon/banana")
    # dev keeps its last two; production's image keeps its tag although dev moved on; every
    # image keeps its build tag, so untagging never deletes one.
    assert tags[digests[0]] == ["commit0", "deployed-production-20260102T000000Z"]
    assert tags[digests[1]] == ["commit1"]
    assert tags[digests[2]] == ["commit2", "deployed-dev-20260101T000200Z"]
    assert tags[digests[3]] == ["commit3", "deployed-dev-20260101T000300Z"]
    # A retried action tags the same image with the same tag: fine.
    deploy.tag_deployed(
        ecr,
        {"banana": f"{REGISTRY}/muon/banana@{digests[3]}"},
        "dev",
        2,
        datetime(2026, 1, 1, 0, 3, tzinfo=UTC),
    )
    assert _tags(ecr, "muon/banana")[digests[3]] == ["commit3", "deployed-dev-20260101T000300Z"]


def test_tagging_an_image_that_is_not_there_is_a_one_line_error(aws: str, tmp_path: Path, capsys) -> None:
    boto3.client("ecr").create_repository(repositoryName="muon/banana")
    images = tmp_path / "images.tsv"
    images.write_text(f"banana\t{REGISTRY}/muon/banana@{DIGEST}\n", encoding="utf-8")
    assert deploy.main(["tag-deployed", "--environment", "dev", "--images", str(images)]) == 2
    err = capsys.readouterr().err
    assert err == f"muon deploy: banana: no image {DIGEST} in repository muon/banana\n"


class _CodePipeline(JsonEndpoint):
    """CodePipeline's JSON API for the calls the self-update makes (moto models none of the
    execution calls): GetPipeline answers ``version``; the others are recorded."""

    version = 1
    calls: list[tuple[str, dict]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server calls it by this name
        operation = self.headers["X-Amz-Target"].split(".")[-1]
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        type(self).calls.append((operation, request))
        answers = {
            "GetPipeline": {"pipeline": {"name": request.get("name"), "version": type(self).version}},
            "StartPipelineExecution": {"pipelineExecutionId": "run-2"},
            "StopPipelineExecution": {"pipelineExecutionId": request.get("pipelineExecutionId")},
        }
        self.answer(200, answers[operation])


@pytest.fixture
def codepipeline(aws: str, monkeypatch: pytest.MonkeyPatch):
    server = HTTPServer(("127.0.0.1", 0), _CodePipeline)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_CODEPIPELINE", f"http://127.0.0.1:{server.server_port}")
    _CodePipeline.version, _CodePipeline.calls = 1, []
    yield _CodePipeline
    server.shutdown()


SELF_UPDATE = [
    "self-update", "--stack", "pipeline", "--pipeline", "muon-muon", "--execution", "run-1",
    "--revision", "abc123", "--revision-type", "COMMIT_ID",
]  # fmt: skip


def test_self_update_restarts_the_run_when_the_pipeline_changed(codepipeline, capsys) -> None:
    def pulumi_up(command: list[str]) -> None:
        assert command == ["pulumi", "up", "--yes", "--skip-preview", "--stack", "pipeline"]
        codepipeline.version = 2  # the update changed the pipeline

    assert deploy.main(SELF_UPDATE, pulumi_up) == 0
    operations = [op for op, _ in codepipeline.calls]
    assert operations == ["GetPipeline", "GetPipeline", "StartPipelineExecution", "StopPipelineExecution"]
    start, stop = codepipeline.calls[2][1], codepipeline.calls[3][1]
    assert start["sourceRevisions"] == [
        {"actionName": "Source", "revisionType": "COMMIT_ID", "revisionValue": "abc123"}
    ]
    assert (stop["pipelineExecutionId"], stop["abandon"]) == ("run-1", True)
    assert "restarted as run-2" in capsys.readouterr().out


def test_self_update_goes_on_when_the_pipeline_is_unchanged(codepipeline, capsys) -> None:
    ran: list[list[str]] = []
    assert deploy.main(SELF_UPDATE, ran.append) == 0
    assert len(ran) == 1
    assert [op for op, _ in codepipeline.calls] == ["GetPipeline", "GetPipeline"]
    assert "unchanged (version 1); this run goes on" in capsys.readouterr().out


def test_a_failed_self_update_fails_the_run_and_restarts_nothing(codepipeline, capsys) -> None:
    def failing(command: list[str]) -> None:
        raise subprocess.CalledProcessError(255, command)

    assert deploy.main(SELF_UPDATE, failing) == 2
    assert [op for op, _ in codepipeline.calls] == ["GetPipeline"]
    assert capsys.readouterr().err.startswith("muon deploy: Command '['pulumi', 'up'")


def _service(ecs, cluster: str, family: str, revisions: int) -> list[str]:
    arns = [
        ecs.register_task_definition(
            family=family,
            containerDefinitions=[{"name": "app", "image": f"repo:{n}", "memory": 512}],
        )["taskDefinition"]["taskDefinitionArn"]
        for n in range(revisions)
    ]
    ecs.create_service(cluster=cluster, serviceName=family, taskDefinition=arns[0], desiredCount=1)
    return arns


def _outputs(tmp_path: Path, cluster: str, service: str, expected: str) -> Path:
    outputs = {
        "services": {
            "dev": {
                "banana": {
                    "clusterName": cluster,
                    "serviceName": service,
                    "taskDefinitionArn": expected,
                    "url": "http://dev-alb.example/bananas",
                }
            }
        }
    }
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs), encoding="utf-8")
    return path


def test_verify_waits_for_the_rollout_and_passes_when_it_completes() -> None:
    # moto leaves every deployment IN_PROGRESS and never moves update_service's new revision to
    # PRIMARY, so the waiting and the passing verdict are shown with a scripted ECS answer.
    states = iter(["IN_PROGRESS", "IN_PROGRESS", "COMPLETED"])
    naps: list[float] = []

    class ScriptedEcs:
        def describe_services(self, cluster: str, services: list[str]) -> dict:
            return {
                "services": [
                    {
                        "deployments": [
                            {"status": "PRIMARY", "taskDefinition": "td:2", "rolloutState": next(states)}
                        ]
                    }
                ]
            }

    outputs = {
        "services": {"dev": {"banana": {"clusterName": "c", "serviceName": "s", "taskDefinitionArn": "td:2"}}}
    }
    assert (
        deploy.rollout_problems(outputs, "dev", ScriptedEcs(), timeout=600, interval=15, sleep=naps.append)
        == []
    )
    assert naps == [15, 15]


def test_verify_gives_up_on_a_rollout_that_never_finishes(aws: str, tmp_path: Path, capsys) -> None:
    ecs = boto3.client("ecs")
    ecs.create_cluster(clusterName="muon-dev")
    first, _ = _service(ecs, "muon-dev", "muon-dev-banana", 2)
    outputs = _outputs(tmp_path, "muon-dev", "muon-dev-banana", first)
    assert (
        deploy.main(
            ["verify", "--outputs", str(outputs), "--environment", "dev", "--stack", "dev", "--timeout", "0"]
        )
        == 1
    )
    assert "banana: still rolling out after 0 s" in capsys.readouterr().err


def test_verify_fails_when_ecs_rolled_back_to_the_old_revision(aws: str, tmp_path: Path, capsys) -> None:
    ecs = boto3.client("ecs")
    ecs.create_cluster(clusterName="muon-dev")
    first, second = _service(ecs, "muon-dev", "muon-dev-banana", 2)
    # Pulumi registered `second`, the circuit breaker put `first` back: steady, and wrong.
    outputs = _outputs(tmp_path, "muon-dev", "muon-dev-banana", second)
    assert (
        deploy.main(
            ["verify", "--outputs", str(outputs), "--environment", "dev", "--stack", "dev", "--timeout", "0"]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert f"ECS runs {first}, not the deployed {second}" in err


def test_verify_reports_a_failed_rollout_reason() -> None:
    class FakeEcs:  # moto does not model rolloutState; the decision itself is what is tested here
        def describe_services(self, cluster: str, services: list[str]) -> dict:
            return {
                "services": [
                    {
                        "deployments": [
                            {
                                "status": "PRIMARY",
                                "taskDefinition": "td:2",
                                "rolloutState": "FAILED",
                                "rolloutStateReason": "ECS deployment circuit breaker: tasks failed to start.",
                            }
                        ]
                    }
                ]
            }

    outputs = {
        "services": {"dev": {"banana": {"clusterName": "c", "serviceName": "s", "taskDefinitionArn": "td:2"}}}
    }
    assert deploy.rollout_problems(outputs, "dev", FakeEcs()) == [
        "banana: rollout failed: ECS deployment circuit breaker: tasks failed to start."
    ]


def test_verify_of_an_unknown_service_or_environment(aws: str, tmp_path: Path, capsys) -> None:
    boto3.client("ecs").create_cluster(clusterName="muon-dev")
    outputs = _outputs(tmp_path, "muon-dev", "missing", "td:1")
    assert (
        deploy.main(
            ["verify", "--outputs", str(outputs), "--environment", "dev", "--stack", "dev", "--timeout", "0"]
        )
        == 1
    )
    assert "ECS service missing not found" in capsys.readouterr().err
    assert deploy.main(["verify", "--outputs", str(outputs), "--environment", "qa", "--stack", "dev"]) == 1
    assert "no services for environment 'qa'" in capsys.readouterr().err


def test_url_is_the_environment_first_service_url(tmp_path: Path, capsys) -> None:
    outputs = _outputs(tmp_path, "c", "s", "td")
    assert deploy.main(["url", "--outputs", str(outputs), "--environment", "dev"]) == 0
    assert capsys.readouterr().out.strip() == "http://dev-alb.example/bananas"


def test_cross_account_deploys_let_the_provider_assume_the_role(tmp_path: Path) -> None:
    role = "arn:aws:iam::222222222222:role/muon-deploy"
    config = tmp_path / "aws" / "config"
    ran: list[list[str]] = []
    assert deploy.main(["assume-role", "--stack", "dev", "--aws-config", str(config), role], ran.append) == 0
    # Pulumi's own state and secrets stay with the pipeline account's credentials; the provider
    # assumes the role (and renews it) for the resources.
    assert ran == [
        ["pulumi", "config", "set", "--path", "aws:assumeRoles[0].roleArn", role, "--stack", "dev"],
        [
            "pulumi",
            "config",
            "set",
            "--path",
            "aws:assumeRoles[0].sessionName",
            "muon-pipeline-deploy",
            "--stack",
            "dev",
        ],
    ]
    # The rollout check's profile: botocore renews the role from the build's own credentials.
    import configparser

    parsed = configparser.ConfigParser()
    parsed.read(config)
    assert dict(parsed["profile muon-target"]) == {
        "role_arn": role,
        "credential_source": "EcsContainer",
        "role_session_name": "muon-pipeline-verify",
    }


def test_aws_errors_are_one_line(aws: str, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: a connection error
    outputs = _outputs(tmp_path, "muon-dev", "muon-dev-banana", "td")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert deploy.main(["verify", "--outputs", str(outputs), "--environment", "dev", "--stack", "dev"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("muon deploy: ") and err.count("\n") == 1


def test_verify_waits_for_the_tasks_a_first_image_starts() -> None:
    # A service created at zero tasks starts when its scaling minimum rises: outside any
    # deployment the circuit breaker watches, so the check counts running tasks itself.
    answers = iter([(0, 2), (1, 2), (2, 2)])

    class StartingEcs:
        def describe_services(self, cluster: str, services: list[str]) -> dict:
            running, desired = next(answers)
            primary = {
                "status": "PRIMARY",
                "taskDefinition": "td:2",
                "rolloutState": "COMPLETED",
                "runningCount": running,
                "desiredCount": desired,
            }
            return {"services": [{"deployments": [primary]}]}

    outputs = {
        "services": {"dev": {"banana": {"clusterName": "c", "serviceName": "s", "taskDefinitionArn": "td:2"}}}
    }
    waits: list[float] = []
    assert deploy.rollout_problems(outputs, "dev", StartingEcs(), timeout=60, sleep=waits.append) == []
    assert waits == [15, 15]

    class CrashingEcs:
        def describe_services(self, cluster: str, services: list[str]) -> dict:
            primary = {"status": "PRIMARY", "taskDefinition": "td:2", "rolloutState": "COMPLETED"}
            return {"services": [{"deployments": [{**primary, "runningCount": 0, "desiredCount": 2}]}]}

    now = iter(range(0, 1000, 30))
    problems = deploy.rollout_problems(
        outputs, "dev", CrashingEcs(), timeout=60, sleep=lambda _: None, clock=lambda: next(now)
    )
    assert problems == ["banana: 0 of 2 tasks running after 60 s (see the service's stopped tasks)"]


def test_url_skips_backends_and_workers(tmp_path: Path, capsys) -> None:
    """The Test action runs outside the VPC: only a web service's URL answers it."""
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "services": {
                    "dev": {
                        "api": {"url": "http://api:9000", "kind": "backend"},
                        "mailer": {"url": "", "kind": "worker"},
                        "web": {"url": "https://shop.example.com/", "kind": "web"},
                    }
                }
            }
        ),
        encoding="utf-8",
    )
    assert deploy.main(["url", "--outputs", str(outputs), "--environment", "dev"]) == 0
    assert capsys.readouterr().out.strip() == "https://shop.example.com/"
