"""A stage deploying into another region: the deploy step's own AWS calls go to the stack's region.

The pipeline runs in region A (CodeBuild sets ``AWS_REGION``/``AWS_DEFAULT_REGION`` to it); the stack
file says ``aws:region: B``. The resources are created in B in moto (its server keeps regions apart),
and moto's request recorder shows the region each request was signed for (SigV4's credential
scope), so every step is held to B, not only to "found something somewhere".
"""

from __future__ import annotations

import io
import json
import re
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from muon.deploy import steps as deploy
from muon.deploy.regions import stack_region

PIPELINE_REGION = "us-east-1"
STACK_REGION = "eu-west-1"
SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


def _recorder(aws: str, action: str) -> str:
    method = "GET" if action == "download-recording" else "POST"
    with urllib.request.urlopen(
        urllib.request.Request(f"{aws}/moto-api/recorder/{action}", method=method)
    ) as got:
        return got.read().decode()


@pytest.fixture
def project(aws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The deploy step's working directory: the stack file names region B; the build runs in A.

    moto's recorder writes to its file in the working directory: this folder.
    """
    (tmp_path / "Pulumi.dev.yaml").write_text(
        f"config:\n  aws:region: {STACK_REGION}\n  muon:environments: [dev]\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_REGION", PIPELINE_REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", PIPELINE_REGION)
    yield tmp_path
    _recorder(aws, "stop-recording")
    _recorder(aws, "reset-recording")


def record(aws: str) -> None:
    """From here on, every request moto receives is recorded (the setup's are not)."""
    _recorder(aws, "reset-recording")
    _recorder(aws, "start-recording")


def signed(aws: str) -> set[tuple[str, str]]:
    """(service, region) of each request recorded since ``record``."""
    _recorder(aws, "stop-recording")
    scopes = set()
    for line in _recorder(aws, "download-recording").splitlines():
        found = SCOPE.search(json.loads(line)["headers"].get("Authorization", ""))
        if found:
            scopes.add((found.group(2), found.group(1)))
    assert scopes, "nothing recorded: the step made no AWS request"
    return scopes


def test_the_stack_region_is_read_from_its_stack_file(project: Path) -> None:
    assert stack_region("dev") == STACK_REGION
    assert stack_region("prod") is None  # no file: the environment's region, as for Pulumi's provider


def test_the_rollout_check_reads_the_services_in_the_stacks_region(aws: str, project: Path, capsys) -> None:
    ecs = boto3.client("ecs", region_name=STACK_REGION)
    ecs.create_cluster(clusterName="muon-dev")
    first, second = (
        ecs.register_task_definition(
            family="muon-dev-banana", containerDefinitions=[{"name": "app", "image": f"r:{n}", "memory": 512}]
        )["taskDefinition"]["taskDefinitionArn"]
        for n in range(2)
    )
    ecs.create_service(
        cluster="muon-dev", serviceName="muon-dev-banana", taskDefinition=first, desiredCount=1
    )
    outputs = project / "outputs.json"
    service = {"clusterName": "muon-dev", "serviceName": "muon-dev-banana", "taskDefinitionArn": second}
    outputs.write_text(json.dumps({"services": {"dev": {"banana": service}}}), encoding="utf-8")
    record(aws)
    command = [
        "verify",
        "--outputs",
        str(outputs),
        "--environment",
        "dev",
        "--stack",
        "dev",
        "--timeout",
        "0",
    ]
    assert deploy.main(command) == 1
    # Found in B and judged there: ECS runs the first revision, not the deployed second.
    assert f"ECS runs {first}, not the deployed {second}" in capsys.readouterr().err
    assert signed(aws) == {("ecs", STACK_REGION)}


@pytest.fixture
def function_in_stack_region(aws: str) -> dict:
    """A function at version 1 behind its alias, and its CodeDeploy group, in region B."""
    role = boto3.client("iam").create_role(
        RoleName="fn", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
    )["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("app.py", "def handler(e, c):\n    return 1\n")
    functions = boto3.client("lambda", region_name=STACK_REGION)
    functions.create_function(
        FunctionName="muon-dev-skill",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": archive.getvalue()},
    )
    version = functions.publish_version(FunctionName="muon-dev-skill")["Version"]
    functions.create_alias(FunctionName="muon-dev-skill", Name="live", FunctionVersion=version)
    codedeploy = boto3.client("codedeploy", region_name=STACK_REGION)
    codedeploy.create_application(applicationName="muon-dev-skill", computePlatform="Lambda")
    codedeploy.create_deployment_group(
        applicationName="muon-dev-skill", deploymentGroupName="muon-dev-skill", serviceRoleArn=role
    )
    return {
        "functionName": "muon-dev-skill",
        "application": "muon-dev-skill",
        "deploymentGroup": "muon-dev-skill",
        "version": str(int(version) + 1),
    }


def test_function_releases_go_to_the_stacks_region(
    aws: str, project: Path, function_in_stack_region: dict, capsys
) -> None:
    outputs = project / "outputs.json"
    outputs.write_text(
        json.dumps({"functions": {"dev": {"skill": function_in_stack_region}}}), encoding="utf-8"
    )
    record(aws)
    command = ["release-functions", "--outputs", str(outputs), "--environment", "dev", "--stack", "dev"]
    code = deploy.main([*command, "--timeout", "0"])
    # The alias was read and the deployment created in B (in A neither the function nor the
    # application exists): the release started there.
    (deployment,) = boto3.client("codedeploy", region_name=STACK_REGION).list_deployments()["deployments"]
    printed = capsys.readouterr()
    assert code in (0, 1) and deployment in printed.out + printed.err
    assert signed(aws) == {("lambda", STACK_REGION), ("codedeploy", STACK_REGION)}


def test_sites_are_published_in_the_stacks_region(aws: str, project: Path) -> None:
    s3 = boto3.client("s3", region_name=STACK_REGION)
    s3.create_bucket(Bucket="muon-dev-www", CreateBucketConfiguration={"LocationConstraint": STACK_REGION})
    (project / "web" / "out").mkdir(parents=True)
    (project / "web" / "out" / "index.html").write_text("hello\n", encoding="utf-8")
    (project / "muon.yaml").write_text(
        "environments: {dev: {}}\nsites:\n  www: {source: web/, output: out/}\n", encoding="utf-8"
    )
    outputs = project / "outputs.json"
    outputs.write_text(json.dumps({"sites": {"dev": {"www": {"bucket": "muon-dev-www"}}}}), encoding="utf-8")
    record(aws)
    assert (
        deploy.main(["publish-sites", "--stack", "dev", "--outputs", str(outputs), "--environment", "dev"])
        == 0
    )
    assert s3.get_object(Bucket="muon-dev-www", Key="index.html")["Body"].read() == b"hello\n"
    assert signed(aws) == {("s3", STACK_REGION)}


def test_a_migration_runs_its_task_in_the_stacks_region(
    aws: str, project: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from muon.deploy import one_off

    monkeypatch.setattr(one_off, "POLL_SECONDS", 0.05)
    ec2 = boto3.client("ec2", region_name=STACK_REGION)
    ecs = boto3.client("ecs", region_name=STACK_REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})  # as muon's VPCs
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)["GroupId"]
    ecs.create_cluster(clusterName="muon-dev")
    boto3.client("logs", region_name=STACK_REGION).create_log_group(logGroupName="/muon/dev/banana")
    definition = {
        "family": "muon-dev-banana",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": [{"name": "app", "image": "r:1", "memory": 512}],
    }
    first = ecs.register_task_definition(**definition)["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster="muon-dev",
        serviceName="muon-dev-banana",
        taskDefinition=first,
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": [subnet],
                "securityGroups": [group],
                "assignPublicIp": "DISABLED",
            }
        },
    )
    prefix = "urn:pulumi:dev::muon::muon:network:Environment$muon:ecs:Service$"
    state = {
        "deployment": {
            "resources": [
                {
                    "urn": f"{prefix}aws:ecs/taskDefinition:TaskDefinition::dev-banana-task",
                    "type": "aws:ecs/taskDefinition:TaskDefinition",
                },
                {
                    "urn": f"{prefix}aws:ecs/service:Service::dev-banana-service",
                    "type": "aws:ecs/service:Service",
                    "outputs": {"name": "muon-dev-banana", "cluster": "muon-dev"},
                },
            ]
        }
    }
    # The targeted `pulumi up` registers the new revision (in B, where the stack's provider is).
    record(aws)
    code = deploy.main(
        [
            "migrate",
            "--stack",
            "dev",
            "--environment",
            "dev",
            "--migration",
            '{"service": "banana", "command": ["m"]}',
        ],
        runner=lambda command: ecs.register_task_definition(**definition) and None,
        capture=lambda command: json.dumps(state),
    )
    assert code == 0, capsys.readouterr().err
    (task,) = ecs.describe_tasks(cluster="muon-dev", tasks=ecs.list_tasks(cluster="muon-dev")["taskArns"])[
        "tasks"
    ]
    assert task["taskDefinitionArn"].endswith("task-definition/muon-dev-banana:2")
    assert {region for _, region in signed(aws)} == {STACK_REGION}
