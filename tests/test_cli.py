"""The `muon` day-2 commands, against a real AWS API endpoint (moto in server mode, started by the tests)."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from http.server import HTTPServer
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from muon.cli import operations as ops
from muon.cli.main import app
from tests import fake_pulumi
from tests.conftest import JsonEndpoint

runner = CliRunner()
PASSWORD_NAME = "/muon/dev/banana/database/password"


@pytest.fixture
def world(aws: str, tmp_path: Path) -> Path:
    """One dev environment with the banana service and its database, as muon would leave it; its outputs file."""
    ec2, elb, ecs = boto3.client("ec2"), boto3.client("elbv2"), boto3.client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = elb.create_target_group(Name="banana", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip")[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=group, Targets=[{"Id": "10.0.1.5", "Port": 8080}])
    ecs.create_cluster(clusterName="muon-dev")
    task = ecs.register_task_definition(
        family="muon-dev-banana", containerDefinitions=[{"name": "app", "image": "x", "memory": 512}]
    )
    ecs.create_service(
        cluster="muon-dev",
        serviceName="muon-dev-banana",
        taskDefinition=task["taskDefinition"]["taskDefinitionArn"],
        desiredCount=1,
        loadBalancers=[{"targetGroupArn": group, "containerName": "app", "containerPort": 8080}],
    )
    boto3.client("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/muon-dev/muon-dev-banana",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=4,
    )
    logs = boto3.client("logs")
    now = int(time.time() * 1000)
    for name, lines in (
        ("/muon/dev/banana", ["Started BananaApplication", "GET /bananas 200"]),
        ("/muon/pipeline/muon-muon/deploy", ["pulumi up: 3 changes"]),
    ):
        logs.create_log_group(logGroupName=name)
        logs.create_log_stream(logGroupName=name, logStreamName="app/1")
        logs.put_log_events(
            logGroupName=name,
            logStreamName="app/1",
            logEvents=[{"timestamp": now - 1000 + i, "message": m} for i, m in enumerate(lines)],
        )
    boto3.client("rds").create_db_cluster(
        DBClusterIdentifier="muon-dev-banana",
        Engine="aurora-mysql",
        MasterUsername="muon",
        MasterUserPassword="Generated-Pass-1",
        DatabaseName="banana",
    )
    boto3.client("ssm").put_parameter(
        Name=PASSWORD_NAME,
        Value="Generated-Pass-1",
        Type="SecureString",
        Tags=[{"Key": "muon:managed-by", "Value": "muon/dev"}],
    )
    outputs = {
        "environments": {
            "dev": {"vpcId": vpc, "clusterName": "muon-dev", "loadBalancerUrl": "http://dev-alb.example"}
        },
        "services": {
            "dev": {
                "banana": {
                    "clusterName": "muon-dev",
                    "serviceName": "muon-dev-banana",
                    "logGroupName": "/muon/dev/banana",
                    "url": "http://dev-alb.example/bananas",
                    "taskDefinitionArn": task["taskDefinition"]["taskDefinitionArn"],
                }
            }
        },
        "databases": {
            "dev": {
                "banana": {
                    "clusterIdentifier": "muon-dev-banana",
                    "passwordParameterArn": f"arn:aws:ssm:us-east-1:123456789012:parameter{PASSWORD_NAME}",
                }
            }
        },
        "pipeline": {"name": "muon-muon", "logGroups": {"deploy": "/muon/pipeline/muon-muon/deploy"}},
    }
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs), encoding="utf-8")
    return path


def muon(outputs: Path, *args: str) -> object:
    return runner.invoke(app, ["--outputs", str(outputs), *args])


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("plan", "env", "service", "db", "pipeline"):
        assert command in result.stdout


def test_env_list_and_show(world: Path) -> None:
    result = muon(world, "--json", "env", "list")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [
        {
            "environment": "dev",
            "vpcId": json.loads(world.read_text())["environments"]["dev"]["vpcId"],
            "cluster": "muon-dev",
            "url": "http://dev-alb.example",
        }
    ]
    shown = json.loads(muon(world, "--json", "env", "show", "dev").stdout)
    assert (shown["environment"], shown["cluster"], shown["clusterStatus"]) == ("dev", "muon-dev", "ACTIVE")
    assert shown["loadBalancerUrl"] == "http://dev-alb.example"
    human = muon(world, "env", "show", "dev")
    assert "clusterStatus: ACTIVE" in human.stdout


def test_service_show_reads_ecs_targets_and_scaling(world: Path) -> None:
    result = muon(world, "--json", "service", "show", "banana")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["desired"], data["scaling"]) == (1, {"min": 1, "max": 4})
    assert data["deployments"][0]["status"] == "PRIMARY"
    assert data["deployments"][0]["taskDefinition"] == "muon-dev-banana:1"
    assert data["targets"] == [{"target": "10.0.1.5", "port": 8080, "state": "healthy", "reason": ""}]
    # moto implements neither DescribeScalingActivities nor GetPipelineState: shown as unavailable.
    assert set(data["unavailable"]) == {"scalingActivity", "pipeline"}
    human = muon(world, "service", "show", "banana")
    assert "scaling: 1-4 tasks" in human.stdout and "Deployments" in human.stdout


def test_unknown_names_list_the_known_ones(world: Path) -> None:
    result = muon(world, "service", "show", "apple")
    assert result.exit_code == 2
    assert result.stderr.strip() == "muon: no service 'apple' in environment 'dev'; known: banana"
    result = muon(world, "service", "show", "banana", "--env", "qa")
    assert result.exit_code == 2
    assert "no services in environment 'qa' of stack 'dev'; environments: dev" in result.stderr
    result = muon(world, "env", "show", "qa")
    assert (result.exit_code, result.stderr.strip()) == (
        2,
        "muon: no environment 'qa' in stack 'dev'; known: dev",
    )


def test_logs_print_the_service_events(world: Path) -> None:
    result = muon(world, "service", "logs", "banana", "--since", "1h")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(" ", 3)[3] for line in lines] == ["Started BananaApplication", "GET /bananas 200"]
    assert all(line.split(" ")[2] == "banana" for line in lines)
    pipeline = muon(world, "--json", "pipeline", "logs", "--since", "1h")
    assert [json.loads(line)["message"] for line in pipeline.stdout.splitlines()] == ["pulumi up: 3 changes"]
    assert muon(world, "service", "logs", "banana", "--since", "soon").exit_code == 2


def test_following_logs_stops_cleanly_on_ctrl_c(world: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A real SIGINT, as Ctrl-C sends, while the command waits for new events: sent from its first
    # wait, after the first events are out, so a slow machine cannot send it before them.
    def wait_then_interrupt(seconds: float) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(seconds)

    assert ops.tail.__kwdefaults__ is not None
    monkeypatch.setattr(ops.tail, "__kwdefaults__", {**ops.tail.__kwdefaults__, "sleep": wait_then_interrupt})
    result = muon(world, "service", "logs", "banana", "-f", "--since", "1h")
    assert result.exit_code == 130
    assert "GET /bananas 200" in result.stdout
    assert result.stderr.strip() == "muon: interrupted"
    assert "Traceback" not in result.stdout + result.stderr


def test_restart_and_scale_within_bounds(world: Path) -> None:
    result = muon(world, "--json", "service", "restart", "banana")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["deployment"].startswith("ecs-svc/")
    result = muon(world, "service", "scale", "banana", "3")
    assert result.exit_code == 0, result.stderr
    assert (
        boto3.client("ecs").describe_services(cluster="muon-dev", services=["muon-dev-banana"])["services"][
            0
        ]["desiredCount"]
        == 3
    )
    refused = muon(world, "service", "scale", "banana", "9")
    assert refused.exit_code == 1
    assert "9 tasks is outside the scaling bounds 1-4" in refused.stderr


def test_db_show_and_snapshot(world: Path) -> None:
    data = json.loads(muon(world, "--json", "db", "show", "banana").stdout)
    assert (data["cluster"], data["status"], data["port"]) == ("muon-dev-banana", "available", 3306)
    result = muon(world, "--json", "db", "snapshot", "banana", "--wait")
    assert result.exit_code == 0, result.stderr
    snapshot = json.loads(result.stdout)
    assert snapshot["snapshot"].startswith("muon-dev-banana-manual-")
    assert snapshot["status"] == "available"
    assert json.loads(muon(world, "--json", "db", "show", "banana").stdout)["manualSnapshots"] == [
        snapshot["snapshot"]
    ]


def test_password_get_and_set(world: Path) -> None:
    assert muon(world, "db", "password", "get", "banana").stdout.strip() == "Generated-Pass-1"
    refused = muon(world, "db", "password", "set", "banana", "--value", "New-Pass-12345")
    assert refused.exit_code == 1
    assert (
        "generated and kept by muon (stack muon/dev): raise services.banana.database.passwordVersion"
        in refused.stderr
    )
    ssm = boto3.client("ssm")
    ssm.remove_tags_from_resource(
        ResourceType="Parameter", ResourceId=PASSWORD_NAME, TagKeys=["muon:managed-by"]
    )
    result = runner.invoke(
        app,
        ["--outputs", str(world), "db", "password", "set", "banana", "--value", "-"],
        input="Customer-Pass-9\n",
    )
    assert result.exit_code == 0, result.stderr
    assert "version 2" in result.stdout and "`muon service restart banana`" in result.stdout
    assert (
        ssm.get_parameter(Name=PASSWORD_NAME, WithDecryption=True)["Parameter"]["Value"] == "Customer-Pass-9"
    )
    bad = muon(world, "db", "password", "set", "banana", "--value", "has space 123")
    assert bad.exit_code == 2


def test_approvals(world: Path) -> None:
    # moto has no GetPipelineState: against the endpoint the command fails in one line...
    result = muon(world, "pipeline", "approve", "-m", "looks good")
    assert result.exit_code == 3
    assert result.stderr == "muon: GetPipelineState failed: 500: HTTP 500 with a non-AWS body\n"

    # ...and the choice of what to approve is shown with a scripted answer.
    class ScriptedPipeline:
        answered: dict = {}

        def get_pipeline_state(self, name: str) -> dict:
            return {
                "stageStates": [
                    {
                        "stageName": "Deploy-dev",
                        "actionStates": [
                            {"actionName": "Deploy", "latestExecution": {"status": "Succeeded"}}
                        ],
                    },
                    {
                        "stageName": "Approve-production",
                        "actionStates": [
                            {
                                "actionName": "Approval",
                                "latestExecution": {"status": "InProgress", "token": "tok-1"},
                            }
                        ],
                    },
                ]
            }

        def put_approval_result(self, **kwargs: object) -> None:
            self.answered = kwargs

    scripted = ScriptedPipeline()
    assert ops.answer_approval(lambda _: scripted, "muon-muon", False, "not today") == {
        "pipeline": "muon-muon",
        "stage": "Approve-production",
        "action": "Approval",
        "result": "Rejected",
    }
    assert scripted.answered["result"] == {"summary": "not today", "status": "Rejected"}
    assert scripted.answered["token"] == "tok-1"
    assert ops.pending_approval({"stageStates": []}) is None


def test_missing_credentials_are_one_line(
    world: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = muon(world, "env", "show", "dev")
    assert result.exit_code == 3
    assert result.stderr.strip().startswith("muon: no AWS credentials")


def test_access_denied_from_aws_is_one_line(world: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import settings

    iam = boto3.client("iam")
    iam.create_user(UserName="intern")
    key = iam.create_access_key(UserName="intern")["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    # moto enforces IAM once its no-auth allowance is used up (the server runs in this process).
    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    result = muon(world, "service", "show", "banana")
    assert result.exit_code == 3
    assert (
        result.stderr.startswith("muon: access denied to DescribeServices") and result.stderr.count("\n") == 1
    )


class _Throttling(JsonEndpoint):
    def do_POST(self) -> None:  # noqa: N802 - http.server calls it by this name
        self.answer(400, {"__type": "ThrottlingException", "message": "Rate exceeded"})


def test_throttling_from_aws_is_one_line(world: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An endpoint that answers every ECS call with AWS's throttling error.
    server = HTTPServer(("127.0.0.1", 0), _Throttling)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL_ECS", f"http://127.0.0.1:{server.server_port}")
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
        result = muon(world, "env", "show", "dev")
    finally:
        server.shutdown()
    assert result.exit_code == 3
    assert result.stderr.strip() == "muon: AWS is throttling DescribeClusters; wait a moment and try again"


def test_outputs_file_problems_are_usage_errors(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--outputs", str(tmp_path / "missing.json"), "env", "list"])
    assert (result.exit_code, result.stderr.strip()) == (
        2,
        f"muon: {tmp_path / 'missing.json'}: no such outputs file",
    )


def test_without_a_file_the_outputs_come_through_the_automation_api(
    stand_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = runner.invoke(app, ["--stack", "dev", "--json", "service", "show", "apple"])
    assert (result.exit_code, result.stderr.strip()) == (
        2,
        "muon: no service 'apple' in environment 'dev'; known: banana",
    )
    assert ["stack", "output", "--json", "--stack", "dev"] in fake_pulumi.commands(stand_in)
    monkeypatch.setenv("PATH", str(tmp_path))  # no pulumi anywhere
    result = runner.invoke(app, ["--stack", "dev", "env", "list"])
    assert result.exit_code == 4
    assert result.stderr.startswith("muon: the Pulumi CLI is not on PATH; install it")


def test_a_read_only_command_on_an_unknown_stack_creates_none(
    stand_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A typo in --stack used to create that stack and print an empty table."""
    stacks = tmp_path / "stacks.txt"
    stacks.write_text("dev\n")
    monkeypatch.setenv("FAKE_PULUMI_STACKS", str(stacks))
    typo = runner.invoke(app, ["--stack", "dve", "env", "list"])
    assert typo.exit_code == 2
    assert typo.stderr.startswith(
        f"muon: {Path.cwd() / 'Pulumi.dve.yaml'}: no such stack file; the stacks of"
    )
    missing = runner.invoke(app, ["--stack", "prod", "env", "list"])
    assert (missing.exit_code, missing.stderr) == (
        2,
        "muon: no stack 'prod' in this project's backend; its stacks: dev (`up` creates it; the offline "
        "plan needs none: muon plan prod)\n",
    )
    assert not [c for c in fake_pulumi.commands(stand_in) if c[:2] == ["stack", "init"]]
    assert stacks.read_text() == "dev\n"


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The recording stand-in `pulumi` on PATH; returns its call log."""
    return fake_pulumi.activate(tmp_path, monkeypatch, on_path=True)[1]


def test_up_with_an_image_streams_and_summarises(stand_in: Path) -> None:
    digest = "repo@sha256:" + "b" * 64
    result = runner.invoke(app, ["up", "dev", "--image", f"banana={digest}"])
    assert result.exit_code == 0, result.stderr
    first, last = result.stdout.splitlines()
    assert first == "up: 3 to create, 2 unchanged"
    # The seconds are the operation's wall time: any whole number, so a loaded machine cannot fail this.
    assert re.fullmatch(r"up dev: succeeded \(3 create, 2 same\) in \d+ s", last), last
    args = fake_pulumi.commands(stand_in)
    assert [
        "config",
        "set-all",
        "--stack",
        "dev",
        "--plaintext",
        f'muon:images={{"banana": "{digest}"}}',
    ] in args
    data = json.loads(runner.invoke(app, ["--json", "preview", "dev"]).stdout)
    assert (data["operation"], data["summary"], data["changes"]) == (
        "preview",
        "previewed",
        {"create": 3, "same": 2},
    )


def test_stack_operations_refuse_bad_input_and_report_locks(
    stand_in: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = runner.invoke(app, ["up", "dev", "--image", "apple=repo@sha256:" + "1" * 64 + ""])
    assert result.exit_code == 2
    assert "muon:images.apple: no such service in muon.yaml" in result.stderr
    assert runner.invoke(app, ["up", "dev", "--image", "banana"]).exit_code == 2
    refused = runner.invoke(app, ["destroy", "dev"])
    assert (refused.exit_code, "add --yes" in refused.stderr) == (1, True)
    monkeypatch.setenv("FAKE_PULUMI_SCENARIO", "locked")
    locked = runner.invoke(app, ["up", "dev"])
    assert locked.exit_code == 4
    assert locked.stderr.startswith("muon: stack 'dev' is locked by another update")


def test_commands_act_in_the_stack_region_and_refuse_a_different_shell_region(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The outputs' ARNs say us-east-1; a shell set to another region is refused, naming both.
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    result = muon(world, "env", "show", "dev")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "muon: the stack's region is us-east-1 (the ARNs in the outputs of stack 'dev') but this shell's "
        "AWS region is eu-west-1 (AWS_DEFAULT_REGION or the profile); unset it or make them agree"
    )
    # With no region in the shell, the stack's is used.
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    shown = muon(world, "--json", "env", "show", "dev")
    assert shown.exit_code == 0, shown.stderr
    assert json.loads(shown.stdout)["clusterStatus"] == "ACTIVE"


def test_the_stack_file_region_wins_over_the_shell(world: Path, tmp_path: Path, monkeypatch) -> None:
    from muon.cli.main import State, stack_region

    monkeypatch.chdir(tmp_path)
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-central-1\n")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    state = State(stack="dev", outputs_file=None, json=False, clients=lambda _: None)
    assert stack_region(state) == "eu-central-1"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    with pytest.raises(
        Exception,
        match=r"eu-central-1 \(Pulumi.dev.yaml aws:region\) but this shell's AWS region is us-west-2",
    ):
        stack_region(state)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[]", "expected the JSON of `pulumi stack output --json` for a muon stack (an object), got list"),
        ('{"vpc": "vpc-1"}', "with one of: environments, services"),
        ('{"environments": []}', "environments: expected an object, got list"),
        ('{"services": {"dev": {"banana": "x"}}}', "services.dev: expected an object of services by name"),
    ],
)
def test_an_outputs_file_of_the_wrong_shape_is_an_error(tmp_path: Path, content: str, expected: str) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(content)
    result = muon(outputs, "env", "list")
    assert result.exit_code == 2
    assert expected in result.stderr and result.stderr.count("\n") == 1


def test_env_show_of_a_missing_cluster_is_an_aws_error(world: Path) -> None:
    boto3.client("ecs").delete_cluster(cluster="muon-dev")
    result = muon(world, "env", "show", "dev")
    assert result.exit_code == 3
    assert result.stderr.strip() == (
        "muon: ECS cluster muon-dev of environment 'dev' does not exist in us-east-1 "
        "(destroyed, or another account or region?)"
    )


def test_json_may_follow_the_subcommand(world: Path, capsys) -> None:
    from muon.cli.main import entry

    with pytest.raises(SystemExit) as exited:
        entry(["--outputs", str(world), "env", "list", "--json"])
    assert exited.value.code == 0
    assert json.loads(capsys.readouterr().out)[0]["environment"] == "dev"


def test_db_show_and_snapshot_of_an_rds_instance(aws: str, tmp_path: Path) -> None:
    """engine: postgres (mysql, mariadb) is one DB instance: the same commands ask RDS for it."""
    boto3.client("rds").create_db_instance(
        DBInstanceIdentifier="muon-dev-shop",
        DBInstanceClass="db.t4g.micro",
        Engine="postgres",
        MasterUsername="muon",
        MasterUserPassword="Generated-Pass-1",
        AllocatedStorage=20,
        MultiAZ=False,
    )
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {"databases": {"dev": {"shop": {"clusterIdentifier": "muon-dev-shop", "kind": "instance"}}}}
        ),
        encoding="utf-8",
    )
    shown = muon(outputs, "--json", "db", "show", "shop")
    assert shown.exit_code == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert (data["cluster"], data["engine"].split()[0], data["instances"][0]["id"]) == (
        "muon-dev-shop",
        "postgres",
        "muon-dev-shop",
    )
    taken = muon(outputs, "--json", "db", "snapshot", "shop", "--wait")
    assert taken.exit_code == 0, taken.stderr
    snapshot = json.loads(taken.stdout)["snapshot"]
    assert snapshot.startswith("muon-dev-shop-manual-")
    assert json.loads(muon(outputs, "--json", "db", "show", "shop").stdout)["manualSnapshots"] == [snapshot]
