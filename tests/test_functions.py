"""Functions: Lambda behind an alias that CodeDeploy shifts, with every trigger; the release step
against moto (CodeDeploy's deployment status through botocore's Stubber: moto never finishes one)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.stub import Stubber

from muon.deploy.function_release import ReleaseError, appspec, release_functions, wait_release
from muon.plan.offline import Rendering
from muon.stacks.errors import DefinitionError
from tests.aws_models import assert_valid
from tests.conftest import definition_error, render_definition_text

SKILL = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
DEFINITION = f"""
environments:
  dev: {{}}
  production: {{loadBalancer: {{allowPlainHttp: true}}}}
services:
  mailer: {{kind: worker}}
functions:
  skill:
    source: functions/skill
    runtime: python3.12
    handler: app.handler
    memory: 512
    timeout: 30
    tracing: true
    reservedConcurrency: 5
    secrets: {{TOKEN: /acme/token}}
    permissions: [{{actions: ["dynamodb:GetItem"], resources: ["arn:aws:dynamodb:us-east-1:123456789012:table/facts"]}}]
    triggers:
      - {{type: http, path: /hello, method: GET}}
      - {{type: schedule, schedule: rate(5 minutes)}}
      - {{type: queue, worker: mailer, batchSize: 5}}
      - {{type: queue}}
      - {{type: alexaSkill, skillId: {SKILL}}}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("functions")
    (directory / "functions" / "skill").mkdir(parents=True)
    (directory / "functions" / "skill" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    return directory


@pytest.fixture(scope="module")
def functions(project: Path) -> Rendering:
    return render_definition_text(project, DEFINITION, ["production"])


def one_named(rendering: Rendering, type_token: str, name: str) -> dict:
    return rendering.one(type_token, name).inputs


def test_the_function_runs_from_its_zipped_source_with_what_it_declares(functions: Rendering) -> None:
    f = one_named(functions, "aws:lambda/function:Function", "production-skill-function")
    assert (f["runtime"], f["handler"], f["memorySize"], f["timeout"]) == (
        "python3.12",
        "app.handler",
        512,
        30,
    )
    assert f["architectures"] == ["arm64"] and f["packageType"] == "Zip"
    assert f["tracingConfig"] == {"mode": "Active"}
    assert f["reservedConcurrentExecutions"] == 5
    assert f["publish"] is True
    key = functions.outputs["environments"]["production"]["keyArn"]
    assert f["kmsKeyArn"] == key
    assert f["environment"]["variables"] == {"TOKEN_PARAMETER": "/acme/token"}
    logs = functions.one("aws:cloudwatch/logGroup:LogGroup", "production-skill-logs")
    assert logs.inputs["name"] == "/aws/lambda/muon-production-skill" and logs.inputs["kmsKeyId"] == key
    assert f["loggingConfig"]["logGroup"] == logs.state["name"]
    # A scheduled (asynchronous) invocation that fails ends in a dead-letter queue.
    dead_letters = functions.one("aws:sqs/queue:Queue", "production-skill-dead-letters")
    assert f["deadLetterConfig"]["targetArn"] == dead_letters.state["arn"]
    statements = {
        s["Sid"]: s
        for s in functions.one("aws:iam/rolePolicy:RolePolicy", "production-skill-role-policy").json(
            "policy"
        )["Statement"]
    }
    assert statements["WriteOwnLogs"]["Resource"] == f"{logs.state['arn']}:*"
    assert statements["ReadOwnParameters"]["Resource"] == [
        "arn:aws:ssm:us-east-1:123456789012:parameter/acme/token"
    ]
    assert statements["Traces"]["Resource"] == "*"  # X-Ray offers no resource-level permission
    assert statements["Declared0"]["Action"] == ["dynamodb:GetItem"]
    worker_queue = functions.one("aws:sqs/queue:Queue", "production-mailer-queue").state["arn"]
    own_queue = functions.one("aws:sqs/queue:Queue", "production-skill-queue").state["arn"]
    assert set(statements["ConsumeQueues"]["Resource"]) == {worker_queue, own_queue}
    for sid, statement in statements.items():
        if sid != "Traces":  # every other grant names its resources
            assert "*" not in (
                [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
            )
            assert not any(
                a.endswith(":*") or a == "*"
                for a in (
                    [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
                )
            )


def test_releases_go_through_the_alias_with_codedeploy_and_its_alarms(
    functions: Rendering, project: Path
) -> None:
    alias = functions.one("aws:lambda/alias:Alias", "production-skill-alias")
    assert alias.inputs["name"] == "live"
    assert {"functionVersion", "routingConfig"} <= set(alias.ignore_changes)  # CodeDeploy moves it
    application = one_named(functions, "aws:codedeploy/application:Application", "production-skill-release")
    assert application["computePlatform"] == "Lambda"
    group = one_named(
        functions, "aws:codedeploy/deploymentGroup:DeploymentGroup", "production-skill-release-group"
    )
    assert group["deploymentConfigName"] == "CodeDeployDefault.LambdaCanary10Percent5Minutes"  # production
    assert group["deploymentStyle"] == {
        "deploymentOption": "WITH_TRAFFIC_CONTROL",
        "deploymentType": "BLUE_GREEN",
    }
    assert group["autoRollbackConfiguration"] == {
        "enabled": True,
        "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
    }
    assert group["alarmConfiguration"]["alarms"] == [
        "muon-production-skill-error-rate",
        "muon-production-skill-throttle-rate",
    ]
    for rate in ("error-rate", "throttle-rate"):
        alarm = one_named(functions, "aws:cloudwatch/metricAlarm:MetricAlarm", f"production-skill-{rate}")
        assert {q["id"]: q["metric"]["dimensions"] for q in alarm["metricQueries"] if "metric" in q} == {
            query: {"FunctionName": "muon-production-skill", "Resource": "muon-production-skill:live"}
            for query in ("errors", "invocations", "throttles")
        }
    role = functions.one("aws:iam/role:Role", "production-skill-release-role").inputs
    assert role["managedPolicyArns"] == ["arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda"]
    dev = render_definition_text(
        project, DEFINITION.replace("  production: {loadBalancer: {allowPlainHttp: true}}\n", ""), ["dev"]
    )
    dev_group = one_named(dev, "aws:codedeploy/deploymentGroup:DeploymentGroup", "dev-skill-release-group")
    assert dev_group["deploymentConfigName"] == "CodeDeployDefault.LambdaAllAtOnce"


def test_a_namespaced_projects_function_keeps_its_roles_and_logs_in_the_namespace(tmp_path: Path) -> None:
    (tmp_path / "functions" / "hook").mkdir(parents=True)
    (tmp_path / "functions" / "hook" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    rendering = render_definition_text(
        tmp_path,
        "environments: {dev: {}}\nfunctions:\n  hook: {source: functions/hook, runtime: python3.12,"
        " handler: app.handler, triggers: [{type: http, path: /hook}, {type: schedule, schedule: rate(1 hour)}]}\n",
        ["dev"],
        project="banana",
    )
    # The namespace's IAM path, as services' roles: what its deployer policy and repositories admit.
    paths = {
        r.inputs["name"]: r.inputs["path"] for r in rendering.of_type("aws:iam/role:Role") if "hook" in r.name
    }
    assert paths == {
        "banana-dev-hook-function": "/banana/",
        "banana-dev-hook-release": "/banana/",
        "banana-dev-hook-schedule-0": "/banana/",
    }
    groups = {
        r.inputs["name"] for r in rendering.of_type("aws:cloudwatch/logGroup:LogGroup") if "hook" in r.name
    }
    assert groups == {"/aws/lambda/banana-dev-hook", "/banana/http/banana-dev-hook"}


def test_every_trigger_invokes_the_alias_and_only_its_own_caller_may(functions: Rendering) -> None:
    alias_arn = functions.one("aws:lambda/alias:Alias", "production-skill-alias").state["arn"]
    api = functions.one("aws:apigatewayv2/api:Api", "production-skill-http")
    assert api.inputs["protocolType"] == "HTTP"
    integration = one_named(
        functions, "aws:apigatewayv2/integration:Integration", "production-skill-http-integration"
    )
    assert (integration["integrationType"], integration["integrationUri"]) == ("AWS_PROXY", alias_arn)
    assert (
        one_named(functions, "aws:apigatewayv2/route:Route", "production-skill-route-0")["routeKey"]
        == "GET /hello"
    )
    http = one_named(functions, "aws:lambda/permission:Permission", "production-skill-http-invoke")
    assert (http["principal"], http["qualifier"]) == ("apigateway.amazonaws.com", "live")
    assert http["sourceArn"] == f"{api.state['executionArn']}/*/*"
    stage = one_named(functions, "aws:apigatewayv2/stage:Stage", "production-skill-http-stage")
    assert (
        stage["accessLogSettings"]["destinationArn"]
        == functions.one("aws:cloudwatch/logGroup:LogGroup", "production-skill-http-logs").state["arn"]
    )
    schedule = one_named(functions, "aws:scheduler/schedule:Schedule", "production-skill-schedule-0")
    assert (schedule["scheduleExpression"], schedule["target"]["arn"]) == ("rate(5 minutes)", alias_arn)
    invoke = json.loads(
        functions.one("aws:iam/role:Role", "production-skill-schedule-0-role").inputs["inlinePolicies"][0][
            "policy"
        ]
    )["Statement"]
    assert invoke == [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": alias_arn}]
    mappings = {
        m.name: m.inputs for m in functions.of_type("aws:lambda/eventSourceMapping:EventSourceMapping")
    }
    worker_queue = functions.one("aws:sqs/queue:Queue", "production-mailer-queue").state["arn"]
    assert (
        mappings["production-skill-queue-0"]["eventSourceArn"],
        mappings["production-skill-queue-0"]["batchSize"],
    ) == (
        worker_queue,
        5,
    )
    for mapping in mappings.values():
        assert mapping["functionName"] == alias_arn
        assert mapping["functionResponseTypes"] == ["ReportBatchItemFailures"]
    alexa = one_named(functions, "aws:lambda/permission:Permission", "production-skill-alexa-0")
    assert (alexa["principal"], alexa["eventSourceToken"], alexa["qualifier"]) == (
        "alexa-appkit.amazon.com",
        SKILL,
        "live",
    )
    outputs = functions.outputs["functions"]["production"]["skill"]
    assert outputs["httpUrl"].startswith("https://") and outputs["aliasArn"] == alias_arn


def test_rendered_function_calls_are_valid_for_the_apis(functions: Rendering) -> None:
    f = one_named(functions, "aws:lambda/function:Function", "production-skill-function")
    assert_valid(
        "lambda",
        "CreateFunction",
        {
            "FunctionName": f["name"],
            "Role": "arn:aws:iam::123456789012:role/muon/r",
            "Runtime": f["runtime"],
            "Handler": f["handler"],
            "Code": {"ZipFile": b"zip"},
            "MemorySize": f["memorySize"],
            "Timeout": f["timeout"],
            "Architectures": f["architectures"],
            "TracingConfig": {"Mode": f["tracingConfig"]["mode"]},
            "KMSKeyArn": f["kmsKeyArn"],
            "DeadLetterConfig": {"TargetArn": f["deadLetterConfig"]["targetArn"]},
            "LoggingConfig": {
                "LogFormat": f["loggingConfig"]["logFormat"],
                "LogGroup": f["loggingConfig"]["logGroup"],
            },
            "Publish": True,
        },
    )
    group = one_named(
        functions, "aws:codedeploy/deploymentGroup:DeploymentGroup", "production-skill-release-group"
    )
    assert_valid(
        "codedeploy",
        "CreateDeploymentGroup",
        {
            "applicationName": group["appName"],
            "deploymentGroupName": group["deploymentGroupName"],
            "serviceRoleArn": group["serviceRoleArn"],
            "deploymentConfigName": group["deploymentConfigName"],
            "deploymentStyle": {"deploymentOption": "WITH_TRAFFIC_CONTROL", "deploymentType": "BLUE_GREEN"},
            "autoRollbackConfiguration": group["autoRollbackConfiguration"],
            "alarmConfiguration": {
                "enabled": True,
                "alarms": [{"name": a} for a in group["alarmConfiguration"]["alarms"]],
            },
        },
    )
    alexa = one_named(functions, "aws:lambda/permission:Permission", "production-skill-alexa-0")
    assert_valid(
        "lambda",
        "AddPermission",
        {
            "FunctionName": alexa["function"],
            "StatementId": "alexa",
            "Action": alexa["action"],
            "Principal": alexa["principal"],
            "EventSourceToken": alexa["eventSourceToken"],
            "Qualifier": alexa["qualifier"],
        },
    )
    for mapping in functions.of_type("aws:lambda/eventSourceMapping:EventSourceMapping"):
        m = mapping.inputs
        assert_valid(
            "lambda",
            "CreateEventSourceMapping",
            {
                "EventSourceArn": m["eventSourceArn"],
                "FunctionName": m["functionName"],
                "BatchSize": m["batchSize"],
                "FunctionResponseTypes": m["functionResponseTypes"],
            },
        )
    route = one_named(functions, "aws:apigatewayv2/route:Route", "production-skill-route-0")
    assert_valid(
        "apigatewayv2",
        "CreateRoute",
        {"ApiId": "a", "RouteKey": route["routeKey"], "Target": route["target"]},
    )
    integration = one_named(
        functions, "aws:apigatewayv2/integration:Integration", "production-skill-http-integration"
    )
    assert_valid(
        "apigatewayv2",
        "CreateIntegration",
        {
            "ApiId": "a",
            "IntegrationType": integration["integrationType"],
            "IntegrationUri": integration["integrationUri"],
            "PayloadFormatVersion": integration["payloadFormatVersion"],
        },
    )
    schedule = one_named(functions, "aws:scheduler/schedule:Schedule", "production-skill-schedule-0")
    assert_valid(
        "scheduler",
        "CreateSchedule",
        {
            "Name": schedule["name"],
            "ScheduleExpression": schedule["scheduleExpression"],
            "ScheduleExpressionTimezone": schedule["scheduleExpressionTimezone"],
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {"Arn": schedule["target"]["arn"], "RoleArn": schedule["target"]["roleArn"]},
        },
    )


FUNCTION = "environments: {{dev: {{}}}}\nfunctions:\n  skill: {}\n"
BASE = "source: fn, runtime: python3.12, handler: app.handler"


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        ("{source: fn, runtime: python3.8, handler: app.handler}", "functions.skill.runtime"),
        (f"{{{BASE}, memory: 64}}", "functions.skill.memory"),
        (f"{{{BASE}, memory: 20000}}", "functions.skill.memory"),
        (f"{{{BASE}, timeout: 901}}", "functions.skill.timeout"),
        # No validator internals in the path (the union's branch, alexaSkill or http, is not a key).
        (f"{{{BASE}, triggers: [{{type: alexaSkill}}]}}", "functions.skill.triggers[0].skillId: required"),
        (
            f"{{{BASE}, triggers: [{{type: http, path: hello}}]}}",
            "functions.skill.triggers[0].path: expected",
        ),
        ("{source: fn}", "functions.skill.runtime: a function from source needs its runtime"),
    ],
)
def test_bad_functions_are_refused_in_one_line(function: str, expected: str) -> None:
    assert expected in definition_error(FUNCTION.format(function))


def test_a_missing_folder_or_worker_is_refused(render_definition) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(FUNCTION.format(f"{{{BASE}}}"), ["dev"])
    assert caught.value.problems[0].endswith(
        "functions.skill.source: fn does not exist (relative to the definition's folder)"
    )


@pytest.fixture
def released(aws: str) -> dict:
    """A function at version 1 behind its alias, and its CodeDeploy application and group, in moto."""
    role = boto3.client("iam").create_role(
        RoleName="fn", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []})
    )["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("app.py", "def handler(e, c):\n    return 1\n")
    client = boto3.client("lambda")
    client.create_function(
        FunctionName="muon-dev-skill",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": archive.getvalue()},
    )
    version = client.publish_version(FunctionName="muon-dev-skill")["Version"]
    client.create_alias(FunctionName="muon-dev-skill", Name="live", FunctionVersion=version)
    deploy = boto3.client("codedeploy")
    deploy.create_application(applicationName="muon-dev-skill", computePlatform="Lambda")
    deploy.create_deployment_group(
        applicationName="muon-dev-skill", deploymentGroupName="muon-dev-skill", serviceRoleArn=role
    )
    return {
        "functionName": "muon-dev-skill",
        "application": "muon-dev-skill",
        "deploymentGroup": "muon-dev-skill",
        "live": version,
    }


def test_the_release_step_starts_a_codedeploy_deployment_from_the_live_version(released: dict) -> None:
    live = released["live"]
    outputs = {"functions": {"dev": {"skill": {**released, "version": str(int(live) + 1)}}}}
    lines = release_functions(
        outputs,
        "dev",
        lambda_client=boto3.client("lambda"),
        codedeploy=boto3.client("codedeploy"),
        wait=False,
    )
    (line,) = lines
    assert line.startswith(f"function skill: releasing version {int(live) + 1} (")
    deployment = line.rsplit("(", 1)[1].rstrip(")")
    info = boto3.client("codedeploy").get_deployment(deploymentId=deployment)["deploymentInfo"]
    content = json.loads(info["revision"]["appSpecContent"]["content"])
    assert content == json.loads(appspec("muon-dev-skill", live, str(int(live) + 1)))
    props = content["Resources"][0]["muon-dev-skill"]["Properties"]
    assert (props["Alias"], props["CurrentVersion"], props["TargetVersion"]) == (
        "live",
        live,
        str(int(live) + 1),
    )
    same = {"functions": {"dev": {"skill": {**released, "version": live}}}}
    assert release_functions(
        same, "dev", lambda_client=boto3.client("lambda"), codedeploy=boto3.client("codedeploy")
    ) == [f"function skill: version {live} is already live"]


def test_waiting_for_a_release_fails_when_codedeploy_rolls_it_back() -> None:
    codedeploy = boto3.client("codedeploy", region_name="us-east-1")
    with Stubber(codedeploy) as stub:
        stub.add_response(
            "get_deployment", {"deploymentInfo": {"status": "InProgress"}}, {"deploymentId": "d-1"}
        )
        stub.add_response(
            "get_deployment", {"deploymentInfo": {"status": "Succeeded"}}, {"deploymentId": "d-1"}
        )
        wait_release(codedeploy, "d-1", sleep=lambda _: None)
        stub.add_response(
            "get_deployment",
            {
                "deploymentInfo": {
                    "status": "Stopped",
                    "errorInformation": {
                        "code": "ALARM_ACTIVE",
                        "message": "alarm muon-dev-skill-errors fired",
                    },
                }
            },
            {"deploymentId": "d-2"},
        )
        with pytest.raises(ReleaseError, match="release d-2 stopped: alarm muon-dev-skill-errors fired"):
            wait_release(codedeploy, "d-2", sleep=lambda _: None)


def test_the_deploy_step_releases_functions_before_publishing_sites() -> None:
    from muon.components.buildspecs import deploy_buildspec

    commands = yaml.safe_load(deploy_buildspec(project_dir=".", access_token_parameter=None))["phases"][
        "build"
    ]["commands"]
    release = next(i for i, c in enumerate(commands) if " release-functions " in c)
    verify = next(i for i, c in enumerate(commands) if " verify --outputs" in c)
    publish = next(i for i, c in enumerate(commands) if " publish-sites " in c)
    assert verify < release < publish


def test_the_http_api_on_the_environments_domain(project: Path) -> None:
    rendering = render_definition_text(
        project,
        "environments:\n  production: {domain: {name: banana.example.com, zone: example.com}}\n"
        "functions:\n  skill:\n    source: functions/skill\n    runtime: python3.12\n    handler: app.handler\n"
        "    host: api\n    triggers: [{type: http, path: /hello}]\n",
        ["production"],
    )
    api = one_named(rendering, "aws:apigatewayv2/api:Api", "production-skill-http")
    assert api["disableExecuteApiEndpoint"] is True  # only on its own name
    domain = rendering.one("aws:apigatewayv2/domainName:DomainName", "production-skill-http-domain")
    configuration = domain.inputs["domainNameConfiguration"]
    assert domain.inputs["domainName"] == "api.banana.example.com"
    assert (configuration["endpointType"], configuration["securityPolicy"]) == ("REGIONAL", "TLS_1_2")
    issued = rendering.one(
        "aws:acm/certificateValidation:CertificateValidation", "production-skill-http-certificate-issued"
    )
    assert configuration["certificateArn"] == issued.state["certificateArn"]
    mapping = one_named(rendering, "aws:apigatewayv2/apiMapping:ApiMapping", "production-skill-http-mapping")
    assert mapping["domainName"] == domain.state["id"]
    record = one_named(rendering, "aws:route53/record:Record", "production-skill-http-record")
    assert record["name"] == "api.banana.example.com"
    assert record["aliases"][0]["name"] == domain.state["domainNameConfiguration"]["targetDomainName"]
    assert (
        rendering.outputs["functions"]["production"]["skill"]["httpUrl"] == "https://api.banana.example.com"
    )
    assert "functions.skill.host: a host names the function's HTTP API" in definition_error(
        "environments: {dev: {}}\nfunctions:\n  skill: {source: fn, runtime: python3.12, handler: a.b, host: api}\n"
    )


def test_the_deploy_action_deploys_what_the_build_stage_built(project: Path, tmp_path: Path) -> None:
    import subprocess

    from muon.components.buildspecs import deploy_buildspec

    rendering = render_definition_text(
        project,
        DEFINITION.replace("  production: {loadBalancer: {allowPlainHttp: true}}\n", "")
        + "pipeline:\n  source: {provider: codecommit, repo: banana}\n  stages: [{environment: dev}]\n",
        [],
        extra_config={
            "muon:pipeline": True,
            "muon:backend": "s3://state",
            "muon:secretsProvider": "awskms://alias/state?region=us-east-1",
        },
    )
    stages = rendering.one("aws:codepipeline/pipeline:Pipeline").inputs["stages"]
    (deploy,) = [a for s in stages for a in s["actions"] if a["name"] == "Deploy"]
    assert deploy["inputArtifacts"] == ["Source", "Images", "Artifact"]
    assert deploy["configuration"]["PrimarySource"] == "Source"
    # The overlay, run as CodeBuild would: the built folder replaces the checkout's.
    overlay = yaml.safe_load(deploy_buildspec(project_dir=".", access_token_parameter=None))["phases"][
        "build"
    ]["commands"][0]
    checkout, built = tmp_path / "src", tmp_path / "artifact"
    (checkout / "functions" / "skill").mkdir(parents=True)
    (checkout / "functions" / "skill" / "app.py").write_text("old")
    (built / "functions" / "skill" / "lib").mkdir(parents=True)
    (built / "functions" / "skill" / "app.py").write_text("built")
    (built / "functions" / "skill" / "lib" / "dep.py").write_text("dependency")
    env = {
        "PATH": "/usr/bin:/bin",
        "CODEBUILD_SRC_DIR": str(checkout),
        "CODEBUILD_SRC_DIR_Artifact": str(built),
    }
    subprocess.run(["bash", "-c", overlay], env=env, check=True)
    assert (checkout / "functions" / "skill" / "app.py").read_text() == "built"
    assert (checkout / "functions" / "skill" / "lib" / "dep.py").read_text() == "dependency"
    subprocess.run(
        ["bash", "-c", overlay], env={"PATH": "/usr/bin:/bin", "CODEBUILD_SRC_DIR": str(checkout)}, check=True
    )


def test_muon_up_releases_from_the_updates_own_outputs(
    released: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`muon up` reads the functions from the update's result (no second `stack output` call for
    them) and releases each; here the alias already serves the stack's version."""
    from typer.testing import CliRunner

    from muon.cli.main import app
    from tests import fake_pulumi

    log = fake_pulumi.activate(tmp_path, monkeypatch, on_path=True)[1]
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps({"functions": {"dev": {"skill": {**released, "version": released["live"]}}}})
    )
    monkeypatch.setenv("FAKE_PULUMI_OUTPUTS", str(outputs))
    result = CliRunner().invoke(app, ["--json", "up", "dev"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["releases"] == [
        f"function skill: version {released['live']} is already live"
    ]
    # Pulumi's own `up` ends with the history; muon asks nothing more of it.
    commands = fake_pulumi.commands(log)
    history = max(i for i, c in enumerate(commands) if c[:2] == ["stack", "history"])
    assert not [c for c in commands[history:] if c[:2] == ["stack", "output"]]


def test_the_deploy_steps_release_command(released: dict, tmp_path: Path) -> None:
    from muon.deploy.steps import main

    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps({"functions": {"dev": {"skill": {**released, "version": released["live"]}}}})
    )
    assert (
        main(["release-functions", "--outputs", str(outputs), "--environment", "dev", "--stack", "dev"]) == 0
    )
    # A function the outputs name but Lambda does not know: the step fails (exit 2, one line).
    outputs.write_text(
        json.dumps(
            {"functions": {"dev": {"gone": {**released, "functionName": "muon-dev-gone", "version": "2"}}}}
        )
    )
    assert (
        main(["release-functions", "--outputs", str(outputs), "--environment", "dev", "--stack", "dev"]) == 2
    )


def test_what_a_traced_function_calls_is_allowed_by_the_shipped_allow_lists(functions: Rendering) -> None:
    # A traced function's role writes segments to X-Ray, which is HIPAA eligible and PCI DSS in
    # scope (AWS's "HIPAA Eligible Services Reference", "Services in Scope by Compliance Program"):
    # the allow-list SCPs of a unit hosting muon must not deny it.
    import json as _json

    from muon.stacks.resolve.organization import MUON_SERVICES, allowed_services
    from tests.conftest import PROJECT_DIR

    called = set()
    for policy in functions.of_type("aws:iam/rolePolicy:RolePolicy"):
        for statement in policy.json("policy")["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            called |= {
                a.split(":")[0] for a in actions if not a.startswith("dynamodb:")
            }  # the declared table
    assert "xray" in called
    assert called <= set(MUON_SERVICES), called - set(MUON_SERVICES)
    for name in ("allow-hipaa-services", "allow-pci-services"):
        document = _json.loads((PROJECT_DIR / "policies" / f"{name}.json").read_text())
        assert called <= allowed_services(document), (name, called - allowed_services(document))
