"""Every kind of workload: backend services (Service Connect), queue workers, scheduled jobs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from muon.plan.offline import Rendering
from muon.stacks.definition.loader import parse_definition
from muon.stacks.errors import DefinitionError
from tests.aws_models import assert_valid
from tests.conftest import definition_error, render_definition_text

WORKLOADS = """
environments:
  dev: {network: {azs: 2}, cluster: {provider: fargate}}
services:
  web:
    port: 8080
    pathPatterns: ["/*"]
  shop:
    port: 8080
    pathPatterns: [/shop*]
  api:
    kind: backend
    port: 9000
    allowFrom: [web]
  search:
    kind: backend
    port: 7000
  mailer:
    kind: worker
    queue: {maxReceives: 3, visibilityTimeout: 120, publishers: [web, api]}
    scaling: {max: 8}
    # The web image, another process.
    entryPoint: [/usr/bin/tini, --]
    command: [python, -m, app.mailer]
jobs:
  nightly:
    service: api
    command: [python, -m, app.report]
    schedule: cron(0 3 * * ? *)
    timezone: Europe/Paris
    timeout: 900
    cpu: 512
    memory: 1024
"""


@pytest.fixture(scope="module")
def workloads(tmp_path_factory: pytest.TempPathFactory) -> Rendering:
    return render_definition_text(tmp_path_factory.mktemp("workloads"), WORKLOADS, ["dev"])


def services_of(rendering: Rendering) -> dict[str, dict]:
    return {
        r.inputs["name"].removeprefix("muon-dev-"): r.inputs
        for r in rendering.of_type("aws:ecs/service:Service")
    }


def container(rendering: Rendering, service: str) -> dict:
    task = rendering.one("aws:ecs/taskDefinition:TaskDefinition", f"dev-{service}-task")
    (app,) = task.json("containerDefinitions")
    return app


def policy_of(rendering: Rendering, name: str) -> list[dict]:
    return rendering.one("aws:iam/rolePolicy:RolePolicy", name).json("policy")["Statement"]


def test_only_web_services_have_a_route(workloads: Rendering) -> None:
    groups = {r.name for r in workloads.of_type("aws:lb/targetGroup:TargetGroup")}
    rules = {r.name for r in workloads.of_type("aws:lb/listenerRule:ListenerRule")}
    assert groups == {"dev-web-tg", "dev-shop-tg"}
    assert rules == {"dev-web-rule", "dev-shop-rule"}
    services = services_of(workloads)
    for name in ("api", "search", "mailer"):
        assert services[name].get("loadBalancers") in (None, [])
        assert services[name].get("healthCheckGracePeriodSeconds") is None
    assert container(workloads, "mailer")["portMappings"] == []
    assert container(workloads, "api")["portMappings"] == [
        {"name": "app", "containerPort": 9000, "protocol": "tcp", "appProtocol": "http"}
    ]


def test_service_connect_on_every_service_that_calls_or_is_called(workloads: Rendering) -> None:
    namespace = workloads.one("aws:servicediscovery/httpNamespace:HttpNamespace")
    assert namespace.inputs["name"] == "muon-dev"
    arn = namespace.state["arn"]
    services = services_of(workloads)
    for backend, port in (("api", 9000), ("search", 7000)):
        connect = services[backend]["serviceConnectConfiguration"]
        assert (connect["enabled"], connect["namespace"]) == (True, arn)
        assert connect["services"] == [
            {"portName": "app", "discoveryName": backend, "clientAlias": [{"port": port, "dnsName": backend}]}
        ]
        assert connect["logConfiguration"]["options"]["awslogs-group"] == f"/muon/dev/{backend}"
    # search admits everyone, so every service is a client; web calls api too.
    for client in ("web", "shop", "mailer"):
        connect = services[client]["serviceConnectConfiguration"]
        assert (connect["enabled"], connect["namespace"]) == (True, arn)
        assert "services" not in connect
    assert workloads.outputs["services"]["dev"]["api"]["url"] == "http://api:9000"


def test_a_backend_admits_only_its_callers(workloads: Rendering) -> None:
    groups = {
        r.inputs["tags"]["Name"]: r
        for r in workloads.of_type("aws:ec2/securityGroup:SecurityGroup")
        if "Name" in r.inputs.get("tags", {})
    }
    ids = {name.removeprefix("muon-dev-").removesuffix("-tasks"): g.state["id"] for name, g in groups.items()}
    for backend in ("api", "search", "mailer"):
        assert not groups[f"muon-dev-{backend}-tasks"].inputs.get("ingress")  # no inline rule, no LB
    admitted: dict[str, set[str]] = {}
    for rule in workloads.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        r = rule.inputs
        target = next((n for n, i in ids.items() if i == r["securityGroupId"]), None)
        if target in ("api", "search"):
            caller = next(n for n, i in ids.items() if i == r["referencedSecurityGroupId"])
            assert (r["ipProtocol"], r["fromPort"], r["toPort"]) == (
                "tcp",
                *(2 * [9000 if target == "api" else 7000]),
            )
            admitted.setdefault(target, set()).add(caller)
    assert admitted == {"api": {"web"}, "search": {"web", "shop", "api", "mailer"}}


def test_the_worker_queue_dead_letters_and_encryption(workloads: Rendering) -> None:
    queue = workloads.one("aws:sqs/queue:Queue", "dev-mailer-queue").inputs
    dead = workloads.one("aws:sqs/queue:Queue", "dev-mailer-dlq")
    key = workloads.outputs["environments"]["dev"]["keyArn"]
    assert queue["name"] == "muon-dev-mailer"
    assert (queue["kmsMasterKeyId"], dead.inputs["kmsMasterKeyId"]) == (key, key)
    assert queue["visibilityTimeoutSeconds"] == 120
    assert queue["messageRetentionSeconds"] == 345600
    assert json.loads(queue["redrivePolicy"]) == {
        "deadLetterTargetArn": dead.state["arn"],
        "maxReceiveCount": 3,
    }
    allow = workloads.one("aws:sqs/redriveAllowPolicy:RedriveAllowPolicy").inputs
    assert json.loads(allow["redriveAllowPolicy"])["redrivePermission"] == "byQueue"
    for policy in workloads.of_type("aws:sqs/queuePolicy:QueuePolicy"):
        (statement,) = policy.json("policy")["Statement"]
        assert statement["Effect"] == "Deny"
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    alarm = workloads.one("aws:cloudwatch/metricAlarm:MetricAlarm", "dev-mailer-dead-letters").inputs
    waiting = alarm["metricQueries"][0]["metric"]
    assert (waiting["metricName"], waiting["dimensions"]) == (
        "ApproximateNumberOfMessagesVisible",
        {"QueueName": "muon-dev-mailer-dlq"},
    )
    assert alarm["alarmActions"] == [workloads.outputs["environments"]["dev"]["alarmTopicArn"]]
    outputs = workloads.outputs["services"]["dev"]["mailer"]
    assert outputs["queueUrl"] == queue_url(workloads, "dev-mailer-queue")


def queue_url(rendering: Rendering, name: str) -> str:
    return rendering.one("aws:sqs/queue:Queue", name).state["url"]


def test_queue_urls_and_least_privilege(workloads: Rendering) -> None:
    url = queue_url(workloads, "dev-mailer-queue")
    queue_arn = workloads.one("aws:sqs/queue:Queue", "dev-mailer-queue").state["arn"]
    key = workloads.outputs["environments"]["dev"]["keyArn"]
    variables = {v["name"]: v["value"] for v in container(workloads, "mailer")["environment"]}
    assert variables["QUEUE_URL"] == url
    consume = {s["Sid"]: s for s in policy_of(workloads, "dev-mailer-task-policy")}
    assert consume["ConsumeOwnQueue"]["Resource"] == queue_arn
    assert set(consume["ConsumeOwnQueue"]["Action"]) == {
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
    }
    assert consume["DecryptOwnQueue"]["Resource"] == key
    for publisher in ("web", "api"):
        variables = {v["name"]: v["value"] for v in container(workloads, publisher)["environment"]}
        assert variables["MAILER_QUEUE_URL"] == url
        statements = {s["Sid"]: s for s in policy_of(workloads, f"dev-{publisher}-task-policy")}
        assert (statements["PublishToWorkers"]["Action"], statements["PublishToWorkers"]["Resource"]) == (
            "sqs:SendMessage",
            queue_arn,
        )
    shop = {v["name"] for v in container(workloads, "shop")["environment"]}
    assert "MAILER_QUEUE_URL" not in shop  # not a publisher
    assert not [
        r for r in workloads.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "dev-shop-task-policy"
    ]


def test_the_worker_scales_on_backlog_per_task_from_and_to_zero(workloads: Rendering) -> None:
    target = workloads.one("aws:appautoscaling/target:Target", "dev-mailer-scaling-target").inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (0, 8)
    (cluster,) = workloads.of_type("aws:ecs/cluster:Cluster")
    # Development leaves Container Insights off, but the worker's backlog needs RunningTaskCount.
    assert cluster.inputs["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    high = workloads.one("aws:cloudwatch/metricAlarm:MetricAlarm", "dev-mailer-scaling-backlogpertask-high")
    low = workloads.one("aws:cloudwatch/metricAlarm:MetricAlarm", "dev-mailer-scaling-backlogpertask-low")
    for alarm, comparison, threshold in (
        (high, "GreaterThanOrEqualToThreshold", 10),
        (low, "LessThanOrEqualToThreshold", 2),
    ):
        a = alarm.inputs
        assert (a["comparisonOperator"], a["threshold"]) == (comparison, threshold)
        queries = {q["id"]: q for q in a["metricQueries"]}
        assert queries["visible"]["metric"]["metricName"] == "ApproximateNumberOfMessagesVisible"
        assert queries["visible"]["metric"]["dimensions"] == {"QueueName": "muon-dev-mailer"}
        assert queries["inflight"]["metric"]["metricName"] == "ApproximateNumberOfMessagesNotVisible"
        assert queries["tasks"]["metric"]["metricName"] == "RunningTaskCount"
        assert queries["tasks"]["metric"]["dimensions"] == {
            "ClusterName": "muon-dev",
            "ServiceName": "muon-dev-mailer",
        }
        expression = queries["backlog"]["expression"]
        # Divided by the running tasks; with none running, a visible message reads as the first step.
        assert "/ FILL(tasks, 0)" in expression and "IF(FILL(visible, 0) > 0, 10, 0)" in expression
        assert [q["id"] for q in a["metricQueries"] if q.get("returnData")] == ["backlog"]
        assert "namespace" not in a and "metricName" not in a
    policies = {p.name: p.inputs for p in workloads.of_type("aws:appautoscaling/policy:Policy")}
    out = policies["dev-mailer-scaling-scale-out"]["stepScalingPolicyConfiguration"]["stepAdjustments"]
    into = policies["dev-mailer-scaling-scale-in"]["stepScalingPolicyConfiguration"]["stepAdjustments"]
    assert [s["scalingAdjustment"] for s in out] == [1, 3]
    # Fewer than 2 messages a task: one task less; nothing left at all: straight to the minimum (0).
    assert [s["scalingAdjustment"] for s in into] == [-1, -1000]


def test_the_job_schedule_runs_the_service_task_with_its_command(workloads: Rendering) -> None:
    schedule = workloads.one("aws:scheduler/schedule:Schedule").inputs
    machine = workloads.one("aws:sfn/stateMachine:StateMachine")
    assert (schedule["scheduleExpression"], schedule["scheduleExpressionTimezone"]) == (
        "cron(0 3 * * ? *)",
        "Europe/Paris",
    )
    assert schedule["target"]["arn"] == machine.state["arn"]
    definition = machine.json("definition")
    run = definition["States"]["RunTask"]
    assert run["Resource"] == "arn:aws:states:::ecs:runTask.sync"
    assert run["TimeoutSeconds"] == 900
    parameters = run["Parameters"]
    api_task = workloads.one("aws:ecs/taskDefinition:TaskDefinition", "dev-api-task").state["arn"]
    assert parameters["TaskDefinition"] == api_task
    assert parameters["Overrides"] == {
        "ContainerOverrides": [{"Name": "app", "Command": ["python", "-m", "app.report"]}],
        "Cpu": "512",
        "Memory": "1024",
    }
    network = parameters["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["AssignPublicIp"] == "DISABLED"
    assert network["Subnets"] == workloads.outputs["environments"]["dev"]["privateSubnetIds"]
    api_group = next(
        g.state["id"]
        for g in workloads.of_type("aws:ec2/securityGroup:SecurityGroup")
        if g.inputs.get("tags", {}).get("Name") == "muon-dev-api-tasks"
    )
    assert network["SecurityGroups"] == [api_group]
    assert parameters["Group"] == "job:nightly"
    # A non-zero exit code fails the run (and so does a task that never reported one).
    # The exit code is app's, found by name: RunTask lists the task's containers in no set order.
    assert run["Next"] == "AppContainer"
    assert definition["States"]["AppContainer"] == {
        "Type": "Pass",
        "Parameters": {"app.$": "$.Containers[?(@.Name == 'app')]"},
        "Next": "ExitCode",
    }
    choice = definition["States"]["ExitCode"]
    assert choice["Choices"] == [
        {
            "And": [
                {"Variable": "$.app[0].ExitCode", "IsPresent": True},
                {"Variable": "$.app[0].ExitCode", "NumericEquals": 0},
            ],
            "Next": "Succeeded",
        }
    ]
    assert choice["Default"] == "NonZeroExit"
    assert definition["States"]["NonZeroExit"]["Type"] == "Fail"


def test_the_job_roles_are_scoped(workloads: Rendering) -> None:
    machine_arn = workloads.one("aws:sfn/stateMachine:StateMachine").state["arn"]
    (start,) = policy_of(workloads, "dev-job-nightly-scheduler-policy")
    assert (start["Action"], start["Resource"]) == ("states:StartExecution", machine_arn)
    statements = {s["Sid"]: s for s in policy_of(workloads, "dev-job-nightly-runner-policy")}
    run = statements["RunServiceTaskDefinition"]
    assert (run["Action"], run["Resource"]) == (
        "ecs:RunTask",
        "arn:aws:ecs:us-east-1:123456789012:task-definition/muon-dev-api:*",
    )
    roles = {
        r.name: r.state["arn"]
        for r in workloads.of_type("aws:iam/role:Role")
        if r.name.startswith("dev-api-")
    }
    passed = statements["PassServiceRoles"]
    assert passed["Action"] == "iam:PassRole"
    assert sorted(passed["Resource"]) == sorted([roles["dev-api-execution-role"], roles["dev-api-task-role"]])
    assert passed["Condition"] == {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    # What .sync needs to watch the task and stop it at the timeout: this cluster's tasks only.
    watch = statements["WatchAndStopOwnTasks"]
    assert watch["Resource"] == "arn:aws:ecs:us-east-1:123456789012:task/muon-dev/*"
    for statement in statements.values():
        assert statement["Resource"] != "*"


def test_a_failed_or_timed_out_run_pages(workloads: Rendering) -> None:
    topic = workloads.outputs["environments"]["dev"]["alarmTopicArn"]
    machine_arn = workloads.one("aws:sfn/stateMachine:StateMachine").state["arn"]
    alarms = {
        a.inputs["metricName"]: a.inputs
        for a in workloads.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs.get("namespace") == "AWS/States"
    }
    assert set(alarms) == {"ExecutionsFailed", "ExecutionsTimedOut"}
    for alarm in alarms.values():
        assert alarm["dimensions"] == {"StateMachineArn": machine_arn}
        assert alarm["alarmActions"] == [topic]


def test_a_worker_runs_its_own_process_of_an_image(workloads: Rendering) -> None:
    """command and entryPoint reach the container definition as ECS takes them (lists of strings);
    a service without them runs the image's own ENTRYPOINT and CMD (no key at all)."""
    mailer = container(workloads, "mailer")
    assert (mailer["entryPoint"], mailer["command"]) == (
        ["/usr/bin/tini", "--"],
        ["python", "-m", "app.mailer"],
    )
    assert not {"entryPoint", "command"} & set(container(workloads, "web"))
    assert_valid(
        "ecs",
        "RegisterTaskDefinition",
        {
            "family": "f",
            "containerDefinitions": [
                {
                    "name": "app",
                    "image": "i",
                    "entryPoint": mailer["entryPoint"],
                    "command": mailer["command"],
                }
            ],
        },
    )


def test_botocore_accepts_what_is_sent(workloads: Rendering) -> None:
    services = services_of(workloads)
    for name, service in services.items():
        connect = service.get("serviceConnectConfiguration")
        if not connect:
            continue
        params: dict = {"enabled": connect["enabled"], "namespace": connect["namespace"]}
        log = connect["logConfiguration"]
        params["logConfiguration"] = {"logDriver": log["logDriver"], "options": log["options"]}
        if "services" in connect:
            params["services"] = [
                {
                    "portName": s["portName"],
                    "discoveryName": s["discoveryName"],
                    "clientAliases": s["clientAlias"],
                }
                for s in connect["services"]
            ]
        assert_valid(
            "ecs",
            "CreateService",
            {"serviceName": f"muon-dev-{name}", "taskDefinition": "t", "serviceConnectConfiguration": params},
        )
    for name in ("api", "mailer"):
        assert_valid(
            "ecs",
            "RegisterTaskDefinition",
            {
                "family": "f",
                "containerDefinitions": [
                    {"name": "app", "portMappings": container(workloads, name)["portMappings"]}
                ],
            },
        )
    for queue in workloads.of_type("aws:sqs/queue:Queue"):
        q = queue.inputs
        attributes = {
            "KmsMasterKeyId": q["kmsMasterKeyId"],
            "KmsDataKeyReusePeriodSeconds": str(q["kmsDataKeyReusePeriodSeconds"]),
            "MessageRetentionPeriod": str(q["messageRetentionSeconds"]),
        }
        if "redrivePolicy" in q:
            attributes["RedrivePolicy"] = q["redrivePolicy"]
        assert_valid("sqs", "CreateQueue", {"QueueName": q["name"], "Attributes": attributes})
    schedule = workloads.one("aws:scheduler/schedule:Schedule").inputs
    target = schedule["target"]
    assert_valid(
        "scheduler",
        "CreateSchedule",
        {
            "Name": schedule["name"],
            "ScheduleExpression": schedule["scheduleExpression"],
            "ScheduleExpressionTimezone": schedule["scheduleExpressionTimezone"],
            "FlexibleTimeWindow": {"Mode": schedule["flexibleTimeWindow"]["mode"]},
            "State": schedule["state"],
            "Description": schedule["description"],
            "Target": {
                "Arn": target["arn"],
                "RoleArn": target["roleArn"],
                "RetryPolicy": {
                    "MaximumRetryAttempts": target["retryPolicy"]["maximumRetryAttempts"],
                    "MaximumEventAgeInSeconds": target["retryPolicy"]["maximumEventAgeInSeconds"],
                },
            },
        },
    )
    # The state machine's RunTask parameters, in RunTask's own (camelCase) spelling.
    run = workloads.one("aws:sfn/stateMachine:StateMachine").json("definition")["States"]["RunTask"][
        "Parameters"
    ]
    assert_valid("ecs", "RunTask", camel(run))


def camel(value: object) -> object:
    """Step Functions' PascalCase service parameters, as the API's own names."""
    if isinstance(value, dict):
        return {_camel_key(k): camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


def _camel_key(key: str) -> str:
    special = {"EnableECSManagedTags": "enableECSManagedTags", "AssignPublicIp": "assignPublicIp"}
    return special.get(key, key[:1].lower() + key[1:])


def test_a_backend_or_worker_outside_a_definition_checks(tmp_path: Path) -> None:
    """The shipped dev stack has no backend: no namespace, no Service Connect anywhere."""
    rendering = render_definition_text(
        tmp_path,
        """
        environments: {dev: {}}
        services:
          banana: {port: 8080, pathPatterns: [/bananas]}
        """,
        ["dev"],
    )
    assert not rendering.of_type("aws:servicediscovery/httpNamespace:HttpNamespace")
    (service,) = rendering.of_type("aws:ecs/service:Service")
    assert service.inputs.get("serviceConnectConfiguration") is None


ENVS = "environments: {dev: {}}\n"
BAD_WORKLOADS = [
    (
        "services: {mailer: {kind: worker, pathPatterns: [/mail]}}",
        "services.mailer.pathPatterns",
        "a worker service has no load-balancer route",
    ),
    ("services: {mailer: {kind: worker, port: 8080}}", "services.mailer.port", "listens on no port"),
    ("services: {api: {kind: backend}}", "services.api.port", "needs the port its callers reach it on"),
    (
        "services: {api: {kind: backend, port: 90, allowFrom: [nobody]}}",
        "services.api.allowFrom[0]",
        "caller 'nobody' is not a service; defined: api",
    ),
    (
        "services: {web: {port: 80, pathPatterns: [/x], allowFrom: [web]}}",
        "services.web.allowFrom",
        "only a backend service admits callers",
    ),
    (
        "services: {mailer: {kind: worker, queue: {publishers: [ghost]}}}",
        "services.mailer.queue.publishers[0]",
        "publisher 'ghost' is not a service",
    ),
    (
        "services: {api: {kind: backend, port: 90}}\njobs: {nightly: {service: ghost, command: [x], schedule: rate(1 day)}}",
        "jobs.nightly.service",
        "service 'ghost' is not a service; defined: api",
    ),
    (
        "services: {api: {kind: backend, port: 90}}\njobs: {nightly: {service: api, command: [x], schedule: cron(0 3 * * *)}}",
        "jobs.nightly.schedule",
        "cron takes 6 fields",
    ),
    (
        "services: {api: {kind: backend, port: 90}}\njobs: {nightly: {service: api, command: [x], schedule: rate(2 day)}}",
        "jobs.nightly.schedule",
        "singular unit for 1 and the plural otherwise",
    ),
    (
        "services: {api: {kind: backend, port: 90}}\njobs: {nightly: {service: api, command: [x], schedule: 'every day'}}",
        "jobs.nightly.schedule",
        "cron(...) or rate(...)",
    ),
    (
        "services: {api: {kind: backend, port: 90}}\njobs: {nightly: {service: api, command: [], schedule: rate(1 day)}}",
        "jobs.nightly.command",
        "at least 1",
    ),
    (
        "services: {mailer: {kind: worker, command: []}}",
        "services.mailer.command",
        "expected at least 1 item, got 0",
    ),
    (
        "services: {mailer: {kind: worker, command: python -m app.mailer}}",
        "services.mailer.command",
        'expected a list of strings such as ["python", "-m", "app.worker"]; ECS takes no shell string',
    ),
    (
        "services: {mailer: {kind: worker, entryPoint: ['']}}",
        "services.mailer.entryPoint[0]",
        "string should have at least 1 character",
    ),
    (
        "services: {mailer: {kind: worker, command: [python, 3]}}",
        "services.mailer.command[1]",
        "expected text, got 3",
    ),
    (
        "services: {aa: {port: 80, pathPatterns: ['/*']}, bb: {port: 80, pathPatterns: [/bb, '/*']}}",
        "services.bb.pathPatterns",
        "the catch-all '/*' is already routed to service 'aa'",
    ),
    (
        "services: {api: {kind: backend, port: 90, scaling: {metric: backlog}}}",
        "services.api.scaling.metric",
        "only a worker scales on it",
    ),
    (
        "services: {web: {port: 80, pathPatterns: [/x]}}\npipeline: {source: {repo: a/b}, stages: "
        "[{environment: dev, migrate: {service: ghost, command: [migrate]}}]}",
        "pipeline.stages[0].migrate.service",
        "service 'ghost' is not a service",
    ),
]


@pytest.mark.parametrize(("text", "path", "expected"), BAD_WORKLOADS, ids=[b[1] for b in BAD_WORKLOADS])
def test_bad_workload_input_is_one_line(text: str, path: str, expected: str) -> None:
    message = definition_error(ENVS + text)
    assert f"muon.yaml: {path}: " in message
    assert expected in message
    assert "\n" not in message.strip()


def test_web_services_share_hosts_with_distinct_paths_and_one_catch_all() -> None:
    definition = parse_definition(
        ENVS + "services: {aa: {port: 80, pathPatterns: ['/*']}, bb: {port: 80, pathPatterns: [/b*]}, "
        "cc: {port: 80, pathPatterns: ['/*'], hostPatterns: [c.example.com]}}",
        "muon.yaml",
    )
    assert set(definition.services) == {"aa", "bb", "cc"}


def test_a_worker_turned_away_from_container_insights_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition_text(
            tmp_path,
            """
            environments: {dev: {cluster: {containerInsights: false}}}
            services: {mailer: {kind: worker}}
            """,
            ["dev"],
        )
    assert "environments.dev.cluster.containerInsights: off, but worker 'mailer'" in str(caught.value)


def test_backends_and_workers_roll_back_on_their_own_alarms(workloads: Rendering) -> None:
    services = services_of(workloads)
    alarms = {a.name: a for a in workloads.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    backend = alarms["dev-api-5xx"].inputs
    assert (backend["namespace"], backend["metricName"]) == ("AWS/ECS", "HTTPCode_Target_5XX_Count")
    assert backend["dimensions"] == {
        "ClusterName": "muon-dev",
        "ServiceName": "muon-dev-api",
        "DiscoveryName": "api",
    }
    assert services["api"]["alarms"] == {
        "alarmNames": ["muon-dev-api-target-5xx"],
        "enable": True,
        "rollback": True,
    }
    # A worker revision that fails its messages fills the dead-letter queue: that rolls it back.
    assert services["mailer"]["alarms"]["alarmNames"] == ["muon-dev-mailer-dead-letters"]


def test_a_production_worker_may_scale_to_zero_and_nothing_else_may(tmp_path: Path) -> None:
    from muon.policy.rules import evaluate

    rendering = render_definition_text(
        tmp_path,
        """
        environments: {live: {tier: production, domain: {name: live.example.com, zone: example.com}}}
        services:
          mailer: {kind: worker}
          api: {kind: backend, port: 9000, scaling: {min: 1}}
        """,
        ["live"],
    )
    capacity = {
        f.resource for f in evaluate(rendering.custom_resources) if f.control == "CloudWatch.15-capacity"
    }
    assert capacity == {"live-api-scaling-target"}
