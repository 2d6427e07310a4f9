"""The pipeline's deploy helper, against a real AWS API endpoint (moto in server mode)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from stacks import deploy

DIGEST = "sha256:" + "a" * 64


def test_images_file_becomes_config_commands_for_the_environment(tmp_path: Path) -> None:
    images = tmp_path / "images.tsv"
    registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    images.write_text(
        f"dev\tbanana\t{registry}/muon/dev/banana@{DIGEST}\n"
        f"production\tbanana\t{registry}/muon/production/banana@{DIGEST}\n"
        f"dev\tapple\t{registry}/muon/dev/apple@{DIGEST}\n",
        encoding="utf-8",
    )
    ran: list[list[str]] = []
    assert (
        deploy.main(
            ["set-images", "--stack", "dev", "--environment", "dev", "--images", str(images)], ran.append
        )
        == 0
    )
    assert ran == [
        [
            "pulumi",
            "config",
            "set",
            "--path",
            "muon:images.apple",
            f"{registry}/muon/dev/apple@{DIGEST}",
            "--stack",
            "dev",
        ],
        [
            "pulumi",
            "config",
            "set",
            "--path",
            "muon:images.banana",
            f"{registry}/muon/dev/banana@{DIGEST}",
            "--stack",
            "dev",
        ],
    ]


def test_a_malformed_images_file_or_missing_environment_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    images = tmp_path / "images.tsv"
    images.write_text("dev\tbanana\tlatest\n", encoding="utf-8")
    assert (
        deploy.main(["set-images", "--stack", "dev", "--environment", "dev", "--images", str(images)], print)
        == 2
    )
    assert "images.tsv:1: expected" in capsys.readouterr().err
    images.write_text(f"dev\tbanana\tr@{DIGEST}\n", encoding="utf-8")
    assert (
        deploy.main(["set-images", "--stack", "qa", "--environment", "qa", "--images", str(images)], print)
        == 2
    )
    assert "pushed nothing for environment 'qa'" in capsys.readouterr().err


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
    assert deploy.main(["verify", "--outputs", str(outputs), "--environment", "dev", "--timeout", "0"]) == 1
    assert "banana: still rolling out after 0 s" in capsys.readouterr().err


def test_verify_fails_when_ecs_rolled_back_to_the_old_revision(aws: str, tmp_path: Path, capsys) -> None:
    ecs = boto3.client("ecs")
    ecs.create_cluster(clusterName="muon-dev")
    first, second = _service(ecs, "muon-dev", "muon-dev-banana", 2)
    # Pulumi registered `second`, the circuit breaker put `first` back: steady, and wrong.
    outputs = _outputs(tmp_path, "muon-dev", "muon-dev-banana", second)
    assert deploy.main(["verify", "--outputs", str(outputs), "--environment", "dev", "--timeout", "0"]) == 1
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
    assert deploy.main(["verify", "--outputs", str(outputs), "--environment", "dev", "--timeout", "0"]) == 1
    assert "ECS service missing not found" in capsys.readouterr().err
    assert deploy.main(["verify", "--outputs", str(outputs), "--environment", "qa"]) == 1
    assert "no services for environment 'qa'" in capsys.readouterr().err


def test_url_is_the_environment_first_service_url(tmp_path: Path, capsys) -> None:
    outputs = _outputs(tmp_path, "c", "s", "td")
    assert deploy.main(["url", "--outputs", str(outputs), "--environment", "dev"]) == 0
    assert capsys.readouterr().out.strip() == "http://dev-alb.example/bananas"


def test_assume_role_prints_quoted_exports(aws: str, capsys) -> None:
    iam = boto3.client("iam")
    role = iam.create_role(
        RoleName="muon-deploy",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )
    assert deploy.main(["assume-role", role["Role"]["Arn"]]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("=")[0] for line in lines] == [
        "export AWS_ACCESS_KEY_ID",
        "export AWS_SECRET_ACCESS_KEY",
        "export AWS_SESSION_TOKEN",
    ]


def test_aws_errors_are_one_line(aws: str, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: a connection error
    outputs = _outputs(tmp_path, "muon-dev", "muon-dev-banana", "td")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert deploy.main(["verify", "--outputs", str(outputs), "--environment", "dev"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("muon deploy: ") and err.count("\n") == 1
