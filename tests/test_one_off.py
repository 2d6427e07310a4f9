"""One-off tasks, jobs and migrations against a real AWS API endpoint (moto in server mode).

moto's ECS runs no container: a task steps from RUNNING to STOPPED as it is described, and
reports exit code 0. Where a test needs the container to say something, ``play_container`` plays
it: as moto creates the task (the moto server runs in this process), it writes the task's log lines
and sets the exit code moto will report — before the command learns of the task, so no race with
the command's polling, however slow the machine.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from muon.cli.main import app
from muon.components.buildspecs import deploy_buildspec
from muon.deploy import one_off
from muon.deploy import steps as deploy
from tests import fake_pulumi

runner = CliRunner()
CLUSTER = "muon-dev"
SERVICE = "muon-dev-banana"
LOG_GROUP = "/muon/dev/banana"


@pytest.fixture
def fast_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(one_off, "POLL_SECONDS", 0.05)


@pytest.fixture
def service(aws: str, fast_polls: None) -> Iterator[dict[str, Any]]:
    """A Fargate service in private subnets, as muon deploys it, with its log group."""
    # Each state (RUNNING, DEACTIVATING, ...) holds for 5 descriptions: the "container" has time to speak.
    urllib.request.urlopen(
        urllib.request.Request(
            f"{aws}/moto-api/state-manager/set-transition",
            data=json.dumps(
                {"model_name": "ecs::task", "transition": {"progression": "manual", "times": 5}}
            ).encode(),
            method="POST",
        )
    )
    ec2, ecs = boto3.client("ec2"), boto3.client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})  # as muon's VPCs
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)["GroupId"]
    ecs.create_cluster(clusterName=CLUSTER)
    boto3.client("logs").create_log_group(logGroupName=LOG_GROUP)
    task = ecs.register_task_definition(**task_definition("registry/banana:1"))["taskDefinition"]
    network = {
        "awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group], "assignPublicIp": "DISABLED"}
    }
    ecs.create_service(
        cluster=CLUSTER,
        serviceName=SERVICE,
        taskDefinition=task["taskDefinitionArn"],
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration=network,
    )
    yield {"taskDefinitionArn": task["taskDefinitionArn"], "subnet": subnet, "group": group}
    urllib.request.urlopen(
        urllib.request.Request(
            f"{aws}/moto-api/state-manager/unset-transition",
            data=json.dumps({"model_name": "ecs::task"}).encode(),
            method="POST",
        )
    )


def task_definition(image: str) -> dict[str, Any]:
    return {
        "family": SERVICE,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [
            {
                "name": "app",
                "image": image,
                "memory": 512,  # moto sizes tasks from the containers
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": LOG_GROUP,
                        "awslogs-region": "us-east-1",
                        "awslogs-stream-prefix": "app",
                    },
                },
            }
        ],
    }


def play_container(monkeypatch: pytest.MonkeyPatch, lines: list[str], exit_code: int) -> None:
    """The next tasks moto starts write ``lines`` to their log stream and exit with ``exit_code``."""
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.logs.models import logs_backends

    run_task = EC2ContainerServiceBackend.run_task

    def run_and_play(backend: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> list[Any]:
        tasks = run_task(backend, *args, **kwargs)
        logs = logs_backends[backend.account_id][backend.region_name]
        for task in tasks:
            stream = f"app/app/{task.task_arn.rsplit('/', 1)[-1]}"
            logs.create_log_stream(LOG_GROUP, stream)
            now = int(time.time() * 1000)
            logs.put_log_events(
                LOG_GROUP, stream, [{"timestamp": now + i, "message": line} for i, line in enumerate(lines)]
            )
            task.containers[0].exitCode = exit_code
        return tasks

    monkeypatch.setattr(EC2ContainerServiceBackend, "run_task", run_and_play)


@pytest.fixture
def outputs(tmp_path: Path, service: dict[str, Any]) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(
        json.dumps(
            {
                "environments": {"dev": {"clusterName": CLUSTER}},
                "services": {
                    "dev": {
                        "banana": {
                            "clusterName": CLUSTER,
                            "serviceName": SERVICE,
                            "logGroupName": LOG_GROUP,
                            "taskDefinitionArn": service["taskDefinitionArn"],
                        }
                    }
                },
            }
        ),
        encoding="utf-8",
    )
    return path


def muon(outputs: Path, *args: str) -> Any:
    return runner.invoke(app, ["--outputs", str(outputs), *args])


def only_task() -> dict[str, Any]:
    ecs = boto3.client("ecs")
    (arn,) = ecs.list_tasks(cluster=CLUSTER)["taskArns"]
    return ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0]


def test_service_run_overrides_the_command_streams_logs_and_exits_zero(
    outputs: Path, service: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    play_container(monkeypatch, ["migrating 3 tables", "done"], 0)
    result = muon(outputs, "service", "run", "banana", "--", "python", "-m", "app.check", "--all")
    assert result.exit_code == 0, result.stderr
    assert "migrating 3 tables\ndone\n" in result.stdout
    task = only_task()
    assert task["overrides"]["containerOverrides"] == [
        {"name": "app", "command": ["python", "-m", "app.check", "--all"]}
    ]
    assert task["taskDefinitionArn"] == service["taskDefinitionArn"]
    assert task["launchType"] == "FARGATE"
    # The service's own network: its private subnet and its tasks' security group.
    configuration = task.get("networkConfiguration") or {}
    assert configuration.get("awsvpcConfiguration", {}).get("securityGroups", [service["group"]]) == [
        service["group"]
    ]
    assert task["startedBy"] == "muon-service-run"


def test_service_run_exits_with_the_container_exit_code(
    outputs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    play_container(monkeypatch, ["Error: no such table"], 3)
    result = muon(outputs, "service", "run", "banana", "--", "false")
    assert result.exit_code == 3
    assert "Error: no such table" in result.stdout
    assert result.stderr.strip().startswith("muon: the task arn:aws:ecs:")
    assert result.stderr.strip().endswith("exited 3")


def test_service_run_detached_prints_the_task(outputs: Path) -> None:
    result = muon(outputs, "--json", "service", "run", "banana", "--detach", "--", "sleep", "60")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["task"] == only_task()["taskArn"]
    assert data["logStream"] == f"app/app/{data['task'].rsplit('/', 1)[-1]}"


def test_service_run_needs_the_service_to_exist(outputs: Path) -> None:
    boto3.client("ecs").delete_service(cluster=CLUSTER, service=SERVICE, force=True)
    result = muon(outputs, "service", "run", "banana", "--", "true")
    assert result.exit_code == 1
    assert "does not exist in cluster muon-dev yet" in result.stderr


def test_service_exec_needs_the_plugin_and_exec_turned_on(
    outputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    missing = muon(outputs, "service", "exec", "banana")
    assert missing.exit_code == 2
    assert "Session Manager plugin (session-manager-plugin)" in missing.stderr
    plugin = tmp_path / "bin" / "session-manager-plugin"
    plugin.parent.mkdir()
    plugin.write_text("#!/bin/sh\nexit 0\n")
    plugin.chmod(0o755)
    monkeypatch.setenv("PATH", str(plugin.parent))
    off = muon(outputs, "service", "exec", "banana", "--", "ls")
    assert off.exit_code == 1
    assert "ECS Exec is off for service banana: set execCommand: true" in off.stderr


@pytest.fixture
def job_outputs(aws: str, tmp_path: Path) -> Path:
    sfn = boto3.client("stepfunctions")
    role = "arn:aws:iam::123456789012:role/muon-dev-nightly-job-runner"
    machine = sfn.create_state_machine(
        name="muon-dev-nightly-job",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn=role,
    )["stateMachineArn"]
    path = tmp_path / "outputs.json"
    path.write_text(
        json.dumps(
            {
                "jobs": {
                    "dev": {"nightly": {"stateMachineArn": machine, "scheduleName": "muon-dev-nightly-job"}}
                }
            }
        ),
        encoding="utf-8",
    )
    return path


def test_job_run_starts_the_job_now_and_history_lists_it(job_outputs: Path) -> None:
    started = muon(job_outputs, "--json", "job", "run", "nightly")
    assert started.exit_code == 0, started.stderr
    execution = json.loads(started.stdout)["execution"]
    assert ":execution:muon-dev-nightly-job:manual-" in execution
    history = muon(job_outputs, "--json", "job", "history", "nightly")
    assert history.exit_code == 0, history.stderr
    runs = json.loads(history.stdout)
    assert [r["run"] for r in runs] == [execution.rsplit(":", 1)[-1]]
    unknown = muon(job_outputs, "job", "run", "weekly")
    assert unknown.exit_code == 2
    assert "no job 'weekly' in environment 'dev'; known: nightly" in unknown.stderr


# -- migrations -----------------------------------------------------------------------------------


def stack_state(service: dict[str, Any]) -> dict[str, Any]:
    """What `pulumi stack export` holds for the service (the parts the migration reads)."""
    prefix = "urn:pulumi:dev::muon::muon:network:Environment$muon:ecs:Service$"
    return {
        "deployment": {
            "resources": [
                {
                    "urn": f"{prefix}aws:ecs/taskDefinition:TaskDefinition::dev-banana-task",
                    "type": "aws:ecs/taskDefinition:TaskDefinition",
                    "outputs": {"arn": service["taskDefinitionArn"], "family": SERVICE},
                },
                {
                    "urn": f"{prefix}aws:ecs/service:Service::dev-banana-service",
                    "type": "aws:ecs/service:Service",
                    "outputs": {
                        "name": SERVICE,
                        "cluster": f"arn:aws:ecs:us-east-1:123456789012:cluster/{CLUSTER}",
                    },
                },
            ]
        }
    }


MIGRATE = ["migrate", "--stack", "dev", "--environment", "dev", "--migration"]
"""The deploy step's migrate command, as the deploy buildspec runs it (the migration follows)."""


def run_migrate(
    monkeypatch: pytest.MonkeyPatch, service: dict[str, Any], exit_code: int
) -> tuple[int, list[list[str]]]:
    """The deploy step's migrate command; the targeted `pulumi up` registers the new revision."""
    commands: list[list[str]] = []

    def runner(command: list[str]) -> None:
        commands.append(command)
        if "--target" in command:
            boto3.client("ecs").register_task_definition(**task_definition("registry/banana:2"))

    def capture(command: list[str]) -> str:
        commands.append(command)
        return json.dumps(stack_state(service))

    play_container(monkeypatch, ["applying migration 0042"], exit_code)
    code = deploy.main(
        [*MIGRATE, json.dumps({"service": "banana", "command": ["python", "manage.py", "migrate"]})],
        runner=runner,
        capture=capture,
    )
    return code, commands


def test_a_migration_runs_the_new_revision_before_the_service_is_updated(
    service: dict, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, commands = run_migrate(monkeypatch, service, 0)
    assert code == 0
    assert commands[0] == ["pulumi", "stack", "export", "--stack", "dev"]
    (targeted,) = [c for c in commands if c[:2] == ["pulumi", "up"]]
    assert targeted[targeted.index("--target") + 1].endswith("::dev-banana-task")
    task = only_task()
    assert task["taskDefinitionArn"].endswith(f"task-definition/{SERVICE}:2")  # the new revision
    assert task["overrides"]["containerOverrides"][0]["command"] == ["python", "manage.py", "migrate"]
    printed = capsys.readouterr().out
    assert "applying migration 0042" in printed
    # The service itself still runs revision 1: only the full `pulumi up` after this step moves it.
    described = boto3.client("ecs").describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
    assert described["taskDefinition"] == service["taskDefinitionArn"]


def test_a_failing_migration_fails_the_stage_before_the_service_is_updated(
    service: dict, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _ = run_migrate(monkeypatch, service, 2)
    assert code == 1
    error = capsys.readouterr().err
    assert "migration of banana exited 2; the service was not updated" in error
    described = boto3.client("ecs").describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
    assert described["taskDefinition"] == service["taskDefinitionArn"]
    # The deploy step runs the migration before the full `pulumi up`: a failure stops the build there.
    steps = json.dumps(deploy_buildspec(project_dir=".", access_token_parameter=None))
    assert steps.index("muon.stacks.deploy migrate") < steps.index("pulumi up --yes --skip-preview")


def test_a_migration_before_the_first_deploy_says_what_to_do(aws: str, capsys) -> None:
    code = deploy.main(
        [*MIGRATE, '{"service": "banana", "command": ["x"]}'],
        runner=lambda command: None,
        capture=lambda command: json.dumps({"deployment": {"resources": []}}),
    )
    assert code == 1
    assert "service banana of environment dev is not deployed yet" in capsys.readouterr().err


@pytest.fixture
def migrating_project(tmp_path: Path, service: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose dev stage migrates, the stand-in `pulumi` on PATH, its state the service's."""
    monkeypatch.chdir(tmp_path)  # `--cwd` moves this process: back where it was after the test
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: muon\nruntime: python\n", encoding="utf-8")
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  muon:environments: [dev]\n", encoding="utf-8"
    )
    (project / "muon.yaml").write_text(
        "environments: {dev: {}}\n"
        "services: {banana: {port: 8080, pathPatterns: [/bananas]}}\n"
        "pipeline:\n  source: {provider: s3, repo: acme-sources}\n"
        "  stages: [{environment: dev, migrate: {service: banana, command: [python, manage.py, migrate]}}]\n",
        encoding="utf-8",
    )
    state = tmp_path / "state.json"
    state.write_text(json.dumps(stack_state(service)), encoding="utf-8")
    monkeypatch.setenv("FAKE_PULUMI_STATE", str(state))
    return project


def test_muon_up_migrate_runs_the_migration_then_the_update(
    migrating_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fake_pulumi.activate(tmp_path, monkeypatch, on_path=True)[1]
    play_container(monkeypatch, ["0042 applied"], 0)
    result = runner.invoke(app, ["--cwd", str(migrating_project), "up", "dev", "--migrate"])
    assert result.exit_code == 0, result.stderr
    assert "0042 applied" in result.stdout
    ups = [c for c in fake_pulumi.commands(log) if c[:1] == ["up"]]
    assert len(ups) == 2
    assert ups[0][ups[0].index("--target") + 1].endswith("::dev-banana-task")
    assert "--target" not in ups[1]  # then the whole stack
    assert only_task()["overrides"]["containerOverrides"][0]["command"] == ["python", "manage.py", "migrate"]


def test_muon_up_migrate_stops_when_the_migration_fails(
    migrating_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fake_pulumi.activate(tmp_path, monkeypatch, on_path=True)[1]
    play_container(monkeypatch, ["duplicate column"], 1)
    result = runner.invoke(app, ["--cwd", str(migrating_project), "up", "dev", "--migrate"])
    assert result.exit_code == 1
    assert "migration of banana exited 1; the service was not updated" in result.stderr
    ups = [c for c in fake_pulumi.commands(log) if c[:1] == ["up"]]
    assert len(ups) == 1 and "--target" in ups[0]  # the full update never ran


def test_muon_up_migrate_without_a_migration_is_one_line(stand_in_project: None) -> None:
    result = runner.invoke(app, ["up", "dev", "--migrate"])
    assert result.exit_code == 2, result.stderr
    assert (
        "--migrate: no stage of pipeline.stages deploying stack 'dev's environments has a migrate: key"
        in (result.stderr)
    )


@pytest.fixture
def stand_in_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_pulumi.activate(tmp_path, monkeypatch, on_path=True)
