"""The service deployer's policy: real actions, every type a service project creates, and a
render whose every resource falls inside the namespace's scope (by name or by tag)."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import pytest
from botocore.session import get_session

from muon.deploy.deployer_policy import COVERAGE, NOTHING_TO_ALLOW, deployer_policy
from muon.plan.offline import Rendering
from tests.conftest import render_definition_text, run_muon
from tests.test_attach import SERVICE

NAMESPACE, ACCOUNT, REGION = "banana", "123456789012", "us-east-1"
# The attach tests' project, with a scheduled scaling action and a second engine.
SERVICE_PROJECT = (
    SERVICE
    + "    scaling: {schedules: [{name: day, schedule: 'cron(0 8 ? * MON-FRI *)', min: 2, max: 4}]}\n"
    + "  apple: {port: 8080, pathPatterns: [/apples], database: {name: apple, engine: aurora-postgresql}}\n"
    + "  pear: {port: 8080, pathPatterns: [/pears], database: {name: pear, engine: postgres}}\n"
    + "  api: {kind: backend, port: 9000}\n"
    + "  mailer: {kind: worker, queue: {publishers: [api]}}\n"
    + "jobs:\n  nightly: {service: api, command: [report], schedule: rate(1 day)}\n"
    + "functions:\n  hello:\n    source: functions/hello\n    runtime: python3.12\n    handler: app.handler\n"
    + "    triggers: [{type: schedule, schedule: rate(5 minutes)}, {type: queue, worker: mailer}, {type: queue}]\n"
)
# The botocore service behind each IAM prefix.
SERVICES = {
    "ec2": "ec2",
    "elasticloadbalancing": "elbv2",
    "ecs": "ecs",
    "iam": "iam",
    "logs": "logs",
    "ssm": "ssm",
    "kms": "kms",
    "cloudwatch": "cloudwatch",
    "application-autoscaling": "application-autoscaling",
    "rds": "rds",
    "route53": "route53",
    "tag": "resourcegroupstaggingapi",
    "sqs": "sqs",
    "servicediscovery": "servicediscovery",
    "states": "stepfunctions",
    "scheduler": "scheduler",
    "events": "events",
    "lambda": "lambda",
    "codedeploy": "codedeploy",
    "servicequotas": "service-quotas",
}
NOT_AN_API_CALL = {"iam:PassRole"}  # a permission IAM checks, not an operation
# Statements whose resources carry no namespace, and why that is as narrow as AWS allows.
UNSCOPED = {
    "LookupsWithoutResourceLevelPermissions": "describe/list calls (the plan's read of the account's quota "
    "use too) and task definition registration: '*' only",
    "SecurityGroupsInThePlatformsVpc": "CreateSecurityGroup also names the VPC; the group itself is tag-scoped",
    "RulesOfThoseGroups": "a rule is changed only through its group, which is tag-scoped",
    "ScalableTargetsOfTheNamespacesServices": "scalable targets have opaque ids; registering needs UpdateService on the service",
    "ScalingServiceLinkedRole": "AWS's own role, by service name",
    "RecordsForTheServicesHosts": "the platform's zone (fill in its id)",
    "TagsOnCreation": "only while creating a group or rule, which the tag-scoped statements gate",
    "DefaultInstanceParameterGroups": "AWS's default parameter groups, which creating an instance reads",
    "ReadEventSourceMappings": "reading a mapping (opaque ids); what changes one is conditioned on its function",
    "PredefinedDeploymentConfigs": "AWS's own CodeDeployDefault.* configurations, which a release names",
}


@pytest.fixture(scope="module")
def policy() -> dict:
    return deployer_policy(NAMESPACE, ACCOUNT, REGION)


@pytest.fixture(scope="module")
def service_project(tmp_path_factory) -> Rendering:
    project = tmp_path_factory.mktemp("service")
    (project / "functions" / "hello").mkdir(parents=True)
    (project / "functions" / "hello" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    return render_definition_text(project, SERVICE_PROJECT, ["dev"], project=NAMESPACE)


def statements(policy: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in policy["Statement"]}


def listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value


def test_every_action_is_a_real_aws_operation(policy: dict) -> None:
    session = get_session()
    for statement in policy["Statement"]:
        for action in listed(statement["Action"]):
            if action in NOT_AN_API_CALL:
                continue
            prefix, name = action.split(":")
            assert "*" not in action, action
            operations = session.get_service_model(SERVICES[prefix]).operation_names
            assert name in operations, f"{statement['Sid']}: {action}"


def test_every_type_a_service_project_creates_is_covered(policy: dict, service_project: Rendering) -> None:
    rendered = {r.type for r in service_project.custom_resources}
    assert sorted(rendered - set(COVERAGE) - NOTHING_TO_ALLOW) == []
    sids = set(statements(policy))
    assert {sid for needed in COVERAGE.values() for sid in needed} <= sids


def test_every_statement_is_scoped_to_the_namespace_or_says_why_not(policy: dict) -> None:
    for sid, statement in statements(policy).items():
        resources = listed(statement["Resource"])
        conditions = str(statement.get("Condition", {}))
        named = all(NAMESPACE in resource for resource in resources)
        tagged = f"'muon:namespace': '{NAMESPACE}'" in conditions.replace("aws:RequestTag/", "").replace(
            "aws:ResourceTag/", ""
        )
        # Or conditioned on the namespace's own resources (an event source mapping's function).
        conditioned = NAMESPACE in conditions
        assert named or tagged or conditioned or sid in UNSCOPED, sid
        if resources == ["*"]:
            assert sid == "LookupsWithoutResourceLevelPermissions" or tagged or conditioned, sid


def allowed_by_name(policy: dict, sid: str, arn: str) -> bool:
    return any(fnmatch.fnmatchcase(arn, pattern) for pattern in listed(statements(policy)[sid]["Resource"]))


def test_the_service_projects_resources_fall_inside_the_policy(
    policy: dict, service_project: Rendering
) -> None:
    """Each resource is allowed either by a namespaced name pattern or by its muon:namespace tag."""
    arn = f"arn:aws:{{}}:{REGION}:{ACCOUNT}:{{}}"
    checked = 0
    for resource in service_project.custom_resources:
        inputs, tags = resource.inputs, resource.inputs.get("tags") or {}
        tagged = tags.get("muon:namespace") == NAMESPACE
        kind = resource.type
        if kind == "aws:iam/role:Role":
            role = f"arn:aws:iam::{ACCOUNT}:role{inputs.get('path', '/')}{inputs['name']}"
            assert allowed_by_name(policy, "Roles", role), role
        elif kind == "aws:cloudwatch/logGroup:LogGroup":
            assert allowed_by_name(policy, "LogGroups", arn.format("logs", f"log-group:{inputs['name']}")), (
                inputs["name"]
            )
        elif kind == "aws:ssm/parameter:Parameter":
            assert allowed_by_name(policy, "Parameters", arn.format("ssm", f"parameter{inputs['name']}"))
        elif kind == "aws:kms/alias:Alias":
            assert allowed_by_name(policy, "AliasesOfTheNamespace", arn.format("kms", inputs["name"]))
        elif kind == "aws:ecs/service:Service":
            assert allowed_by_name(
                policy, "EcsServices", arn.format("ecs", f"service/cluster/{inputs['name']}")
            )
        elif kind == "aws:rds/cluster:Cluster":
            assert allowed_by_name(
                policy,
                "DatabasesNamedInTheNamespace",
                arn.format("rds", f"cluster:{inputs['clusterIdentifier']}"),
            )
        elif kind in ("aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance"):
            assert allowed_by_name(
                policy, "DatabasesNamedInTheNamespace", arn.format("rds", f"db:{inputs['identifier']}")
            )
        elif kind == "aws:rds/eventSubscription:EventSubscription":
            assert allowed_by_name(
                policy, "DatabasesNamedInTheNamespace", arn.format("rds", f"es:{inputs['name']}")
            )
        elif kind == "aws:cloudwatch/metricAlarm:MetricAlarm":
            name = inputs.get("name")
            named = name is not None and allowed_by_name(
                policy, "AlarmsNamedInTheNamespace", arn.format("cloudwatch", f"alarm:{name}")
            )
            assert named or tagged, resource.name
        elif kind == "aws:cloudwatch/compositeAlarm:CompositeAlarm":
            alarm = arn.format("cloudwatch", f"alarm:{inputs['alarmName']}")
            assert allowed_by_name(policy, "AlarmsNamedInTheNamespace", alarm), alarm
        elif kind == "aws:cloudwatch/eventRule:EventRule":
            rule = arn.format("events", f"rule/{inputs['name']}")
            assert allowed_by_name(policy, "EventRulesOfTheNamespace", rule), rule
        elif kind == "aws:sqs/queue:Queue":
            assert allowed_by_name(policy, "QueuesOfTheNamespace", arn.format("sqs", inputs["name"]))
        elif kind == "aws:sfn/stateMachine:StateMachine":
            assert allowed_by_name(
                policy, "JobStateMachines", arn.format("states", f"stateMachine:{inputs['name']}")
            )
        elif kind == "aws:scheduler/schedule:Schedule":
            assert allowed_by_name(
                policy, "JobSchedules", arn.format("scheduler", f"schedule/default/{inputs['name']}")
            )
        elif kind == "aws:lambda/function:Function":
            function = arn.format("lambda", f"function:{inputs['name']}")
            assert allowed_by_name(policy, "FunctionsOfTheNamespace", function), function
        elif kind == "aws:lambda/alias:Alias":
            alias = arn.format("lambda", f"function:{inputs['functionName']}:{inputs['name']}")
            assert allowed_by_name(policy, "FunctionsOfTheNamespace", alias), alias
        elif kind == "aws:lambda/eventSourceMapping:EventSourceMapping":
            condition = statements(policy)["EventSourceMappingsOfTheNamespacesFunctions"]["Condition"]
            patterns = condition["ArnLike"]["lambda:FunctionArn"]
            assert any(fnmatch.fnmatchcase(inputs["functionName"], p) for p in patterns), inputs[
                "functionName"
            ]
        elif kind == "aws:codedeploy/application:Application":
            application = arn.format("codedeploy", f"application:{inputs['name']}")
            assert allowed_by_name(policy, "FunctionReleasesOfTheNamespace", application), application
        elif kind == "aws:codedeploy/deploymentGroup:DeploymentGroup":
            group = arn.format(
                "codedeploy", f"deploymentgroup:{inputs['appName']}/{inputs['deploymentGroupName']}"
            )
            assert allowed_by_name(policy, "FunctionReleasesOfTheNamespace", group), group
            config = arn.format("codedeploy", f"deploymentconfig:{inputs['deploymentConfigName']}")
            assert allowed_by_name(policy, "PredefinedDeploymentConfigs", config), config
        elif kind in (
            "aws:servicediscovery/httpNamespace:HttpNamespace",
            "aws:kms/key:Key",
            "aws:ec2/securityGroup:SecurityGroup",
            "aws:lb/targetGroup:TargetGroup",
            "aws:lb/listenerRule:ListenerRule",
            "aws:rds/subnetGroup:SubnetGroup",
            "aws:rds/clusterParameterGroup:ClusterParameterGroup",
            "aws:rds/parameterGroup:ParameterGroup",
        ):
            assert tagged, resource.name  # AWS names these (or Pulumi does): the tag scopes them
        else:
            continue
        checked += 1
    assert checked > 30


def test_the_policy_is_filled_in_for_one_namespace_account_and_region(policy: dict) -> None:
    text = str(policy)
    assert "${" not in text
    assert f"arn:aws:iam::{ACCOUNT}:role/{NAMESPACE}-*" in text
    with_zone = deployer_policy(NAMESPACE, ACCOUNT, REGION, zone_id="Z123")
    assert "arn:aws:route53:::hostedzone/Z123" in str(with_zone)


def test_the_command_fills_it_in_for_the_projects_namespace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: orders\nruntime: python\n", encoding="utf-8")
    (tmp_path / "muon.yaml").write_text("namespace: shop\nenvironments: {dev: {}}\n", encoding="utf-8")
    code, out, err = run_muon(
        tmp_path, monkeypatch, capsys, "deployer-policy", "--account", ACCOUNT, "--region", "eu-west-1"
    )
    assert code == 0, err
    assert json.loads(out) == deployer_policy("shop", ACCOUNT, "eu-west-1")


def test_the_command_says_what_the_policy_does_not_cover(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: orders\nruntime: python\n", encoding="utf-8")
    (tmp_path / "functions" / "hook").mkdir(parents=True)
    (tmp_path / "muon.yaml").write_text(
        "namespace: shop\nenvironments: {dev: {}}\nfunctions:\n  hook:\n    source: functions/hook\n"
        "    runtime: python3.12\n    handler: app.handler\n    triggers: [{type: http, path: /hook}]\n",
        encoding="utf-8",
    )
    code, out, err = run_muon(tmp_path, monkeypatch, capsys, "deployer-policy", "--account", ACCOUNT)
    assert code == 0, err
    assert "not in this policy: a function's http trigger" in err
    assert json.loads(out) == deployer_policy("shop", ACCOUNT, REGION)
