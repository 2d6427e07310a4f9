"""Sidecars, FireLens log routing and X-Ray tracing (issue 34, item 3): the task's containers as
ECS gets them, the roles' grants scoped to what they name, and bad input refused in one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from muon.plan.offline import Rendering
from muon.policy.levels import assess
from tests.conftest import Renderer
from tests.test_bad_input import project, refused

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/banana:1"
PROXY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/proxy:2"
WEB = f"""\
environments:
  dev: {{}}
services:
  banana:
    port: 8080
    pathPatterns: [/bananas]
    image: {IMAGE}
"""
SIDECARS = (
    WEB
    + f"""\
    cpu: 512
    memory: 1024
    containerHealthCheck: {{command: [CMD-SHELL, "curl -f http://localhost:8080/ || exit 1"]}}
    dependsOn: {{agent: START}}
    targetContainer: proxy
    sidecars:
      proxy:
        image: {PROXY}
        port: 9000
        dependsOn: {{app: HEALTHY}}
        command: [proxy, --upstream, "http://localhost:8080"]
        environment: {{UPSTREAM_REGION: "${{Region}}", MODE: {{dev: debug}}}}
        secrets: {{PROXY_TOKEN: /banana/proxy-token}}
        cpu: 128
        memory: 256
        healthCheck: {{command: [CMD, /bin/check], interval: 10}}
      agent:
        image: public.ecr.aws/docker/library/busybox:1.36
        essential: false
        user: null
        readonlyRootFilesystem: false
"""
)


def containers(rendering: Rendering, service: str = "banana") -> dict[str, dict[str, Any]]:
    task = rendering.one("aws:ecs/taskDefinition:TaskDefinition", f"dev-{service}-task")
    return {c["name"]: c for c in json.loads(task.inputs["containerDefinitions"])}


def statements(rendering: Rendering, name: str) -> dict[str, dict[str, Any]]:
    policy = rendering.one("aws:iam/rolePolicy:RolePolicy", name).json("policy")
    return {s["Sid"]: s for s in policy["Statement"]}


def test_sidecars_run_beside_the_app_with_their_own_settings(render_definition: Renderer) -> None:
    defined = containers(render_definition(SIDECARS, ["dev"]))
    assert list(defined) == ["app", "proxy", "agent"]
    proxy, agent = defined["proxy"], defined["agent"]
    assert proxy["image"] == PROXY and proxy["essential"] is True
    assert proxy["portMappings"] == [{"name": "proxy", "containerPort": 9000, "protocol": "tcp"}]
    assert proxy["dependsOn"] == [{"containerName": "app", "condition": "HEALTHY"}]
    assert proxy["command"] == ["proxy", "--upstream", "http://localhost:8080"]
    # Its own variables, placeholders replaced and the environment's value picked; none of the app's.
    assert proxy["environment"] == [
        {"name": "MODE", "value": "debug"},
        {"name": "UPSTREAM_REGION", "value": "us-east-1"},
    ]
    assert proxy["secrets"] == [
        {
            "name": "PROXY_TOKEN",
            "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/banana/proxy-token",
        }
    ]
    assert (proxy["cpu"], proxy["memory"]) == (128, 256)
    assert proxy["healthCheck"] == {
        "command": ["CMD", "/bin/check"], "interval": 10, "timeout": 5, "retries": 3, "startPeriod": 0
    }  # fmt: skip
    assert proxy["user"] == "1000" and proxy["readonlyRootFilesystem"] is True
    assert proxy["logConfiguration"]["options"]["awslogs-stream-prefix"] == "proxy"
    assert agent["essential"] is False and "user" not in agent and agent["readonlyRootFilesystem"] is False
    # app -> agent -> proxy -> app would be a cycle: agent waits for nothing.
    assert agent.get("dependsOn", []) == []
    assert agent["portMappings"] == [] and "cpu" not in agent
    assert {v["name"] for v in defined["app"]["environment"]}.isdisjoint({"MODE", "UPSTREAM_REGION"})
    assert defined["app"]["dependsOn"] == [{"containerName": "agent", "condition": "START"}]


def test_the_execution_role_reads_the_sidecars_secrets_and_pulls_their_ecr_images_only(
    render_definition: Renderer,
) -> None:
    granted = statements(render_definition(SIDECARS, ["dev"]), "dev-banana-execution-policy")
    assert granted["ReadOwnParameters"]["Resource"] == [
        "arn:aws:ssm:us-east-1:123456789012:parameter/banana/proxy-token"
    ]
    assert granted["PullOwnImage"]["Resource"] == "arn:aws:ecr:us-east-1:123456789012:repository/banana"
    # The ECR sidecar's repository; the public image (busybox) needs and gets nothing.
    assert granted["PullSidecarImages"]["Resource"] == "arn:aws:ecr:us-east-1:123456789012:repository/proxy"


def test_a_sidecar_reads_a_secrets_manager_secret_through_the_execution_role(
    render_definition: Renderer,
) -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/77777777-7777-7777-7777-777777777777"
    definition = SIDECARS.replace(
        "secrets: {PROXY_TOKEN: /banana/proxy-token}",
        f'secrets: {{PROXY_TOKEN: /banana/proxy-token, TLS: {{secret: "proxy/${{Environment}}/tls", '
        f'jsonKey: cert, key: "{key}"}}}}',
    )
    rendering = render_definition(definition, ["dev"])
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:proxy/dev/tls"
    assert containers(rendering)["proxy"]["secrets"] == [
        {
            "name": "PROXY_TOKEN",
            "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/banana/proxy-token",
        },
        {"name": "TLS", "valueFrom": f"{secret}:cert::"},
    ]
    granted = statements(rendering, "dev-banana-execution-policy")
    assert granted["ReadOwnSecrets"]["Resource"] == f"{secret}-??????"
    assert granted["DecryptOwnSecrets"]["Resource"] == key
    assert granted["DecryptOwnSecrets"]["Condition"] == {
        "StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
    }


def test_the_load_balancer_sends_to_the_target_container(render_definition: Renderer) -> None:
    rendering = render_definition(SIDECARS, ["dev"])
    service = rendering.one("aws:ecs/service:Service", "dev-banana-service")
    (balancer,) = service.inputs["loadBalancers"]
    assert (balancer["containerName"], balancer["containerPort"]) == ("proxy", 9000)
    assert rendering.one("aws:lb/targetGroup:TargetGroup", "dev-banana-tg").inputs["port"] == 9000
    (ingress,) = rendering.one("aws:ec2/securityGroup:SecurityGroup", "dev-banana-tasks-sg").inputs["ingress"]
    assert (ingress["fromPort"], ingress["toPort"]) == (9000, 9000)


LOGGING = WEB + "    logging: {destination: cloudwatch}\n    sidecars: {proxy: {image: " + PROXY + "}}\n"


def test_logging_routes_every_container_through_fluent_bit_to_cloudwatch(render_definition: Renderer) -> None:
    rendering = render_definition(LOGGING, ["dev"])
    defined = containers(rendering)
    assert list(defined) == ["app", "proxy", "log-router"]
    router = defined["log-router"]
    assert router["image"] == "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
    assert router["firelensConfiguration"] == {
        "type": "fluentbit",
        "options": {"enable-ecs-log-metadata": "true"},
    }
    assert router["essential"] is True and router["memoryReservation"] == 50
    # The router's own logs: awslogs, into the service's group.
    assert router["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {"awslogs-group": "/muon/dev/banana", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "firelens"},
    }  # fmt: skip
    for name, prefix in (("app", "app/"), ("proxy", "proxy/")):
        assert defined[name]["logConfiguration"] == {
            "logDriver": "awsfirelens",
            "options": {
                "Name": "cloudwatch_logs", "region": "us-east-1", "log_group_name": "/muon/dev/banana",
                "log_stream_prefix": prefix, "auto_create_group": "false",
            },
        }  # fmt: skip
    granted = statements(rendering, "dev-banana-task-policy")["RouteLogsToCloudWatch"]
    assert granted["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert granted["Resource"] == "arn:aws:logs:us-east-1:123456789012:log-group:/muon/dev/banana:*"


def test_logging_to_firehose_grants_put_record_batch_on_that_stream_only(render_definition: Renderer) -> None:
    definition = (
        WEB + "    logging: {destination: firehose, deliveryStream: banana-logs, enableMetadata: false}\n"
    )
    rendering = render_definition(definition, ["dev"])
    defined = containers(rendering)
    assert defined["app"]["logConfiguration"] == {
        "logDriver": "awsfirelens",
        "options": {"Name": "kinesis_firehose", "region": "us-east-1", "delivery_stream": "banana-logs"},
    }
    assert defined["log-router"]["firelensConfiguration"]["options"] == {"enable-ecs-log-metadata": "false"}
    task = statements(rendering, "dev-banana-task-policy")
    assert list(task) == ["RouteLogsToFirehose"]
    assert task["RouteLogsToFirehose"] == {
        "Sid": "RouteLogsToFirehose",
        "Effect": "Allow",
        "Action": "firehose:PutRecordBatch",
        "Resource": "arn:aws:firehose:us-east-1:123456789012:deliverystream/banana-logs",
    }


def test_an_existing_log_group_is_granted_by_its_arn(render_definition: Renderer) -> None:
    rendering = render_definition(
        WEB + "    logging: {destination: cloudwatch, logGroup: /shared/apps}\n", ["dev"]
    )
    assert containers(rendering)["app"]["logConfiguration"]["options"]["log_group_name"] == "/shared/apps"
    granted = statements(rendering, "dev-banana-task-policy")["RouteLogsToCloudWatch"]
    assert granted["Resource"] == "arn:aws:logs:us-east-1:123456789012:log-group:/shared/apps:*"


def test_the_log_router_is_the_one_documented_root_container(render_definition: Renderer) -> None:
    open_findings, excepted = assess(render_definition(LOGGING, ["dev"]).custom_resources)
    containers_controls = ("ECS.4", "ECS.5", "ECS.8", "ECS.9", "ECS.20")
    assert [f.finding for f in open_findings if f.finding.control in containers_controls] == []
    assert [(f.control, f.resource) for f, _ in excepted if f.control == "ECS.20"] == [
        ("ECS.20", "dev-banana-task/log-router")
    ]


def test_tracing_adds_the_collector_its_endpoint_and_the_x_ray_grants(render_definition: Renderer) -> None:
    rendering = render_definition(WEB + "    tracing: xray\n", ["dev"])
    defined = containers(rendering)
    collector = defined["otel-collector"]
    assert collector["image"].startswith("public.ecr.aws/aws-observability/aws-otel-collector:v")
    assert collector["command"] == ["--config=/etc/ecs/ecs-default-config.yaml"]
    assert collector["essential"] is False and collector["user"] == "4317"
    assert {v["name"]: v["value"] for v in defined["app"]["environment"]} == {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4317",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        "AWS_XRAY_DAEMON_ADDRESS": "localhost:2000",
    }
    # X-Ray's four actions take no resource: "*" with nothing else in the statement.
    assert statements(rendering, "dev-banana-task-policy") == {
        "SendTraces": {
            "Sid": "SendTraces",
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
            ],
            "Resource": "*",
        }
    }  # fmt: skip


@pytest.mark.parametrize(
    ("added", "expected"),
    [
        ("    sidecars: {proxy: {image: x, dependsOn: {nginx: START}}}\n",
         "services.banana.sidecars.proxy.dependsOn.nginx: 'nginx' is not a container of the task; known: app, proxy"),
        ("    sidecars: {proxy: {image: x, dependsOn: {app: HEALTHY}}}\n",
         "dependsOn.app: HEALTHY waits for app's health check: give it one (containerHealthCheck)"),
        ("    sidecars: {proxy: {image: x, dependsOn: {app: READY}}}\n",
         "services.banana.sidecars.proxy.dependsOn.app"),
        ("    sidecars: {aa: {image: x, dependsOn: {bb: START}}, bb: {image: x, dependsOn: {aa: START}}}\n",
         "aa and bb wait for each other"),
        ("    sidecars: {log-router: {image: x}}\n", "'log-router' is muon's own container name"),
        ("    dependsOn: {proxy: START}\n    sidecars: {proxy: {image: x, dependsOn: {app: START}}}\n",
         "services.banana.dependsOn.proxy: app and proxy wait for each other"),
        ("    dependsOn: {app: START}\n", "services.banana.dependsOn.app: a container cannot wait for itself"),
        ("    sidecars: {proxy: {image: x, dependsOn: {app: SUCCESS}}}\n",
         "services.banana.sidecars.proxy.dependsOn.app: SUCCESS waits for app to exit, but ECS refuses it "
         "for an essential container (app is always essential)"),
        ("    dependsOn: {init: COMPLETE}\n    sidecars: {init: {image: x}}\n",
         "services.banana.dependsOn.init: COMPLETE waits for init to exit, but ECS refuses it for an "
         "essential container (sidecars.init.essential)"),
        ("    dependsOn: {one: START}\n    sidecars: {one: {image: x, dependsOn: {two: START}}, "
         "two: {image: x, dependsOn: {app: START}}}\n",
         "services.banana.dependsOn.one: the containers wait in a cycle (app -> one -> two -> app)"),
        ("    sidecars: {aa: {image: x}, bb: {image: x, dependsOn: {cc: START}}, "
         "cc: {image: x, dependsOn: {dd: START}}, dd: {image: x, dependsOn: {bb: START}}}\n",
         "services.banana.sidecars.bb.dependsOn.cc: the containers wait in a cycle (bb -> cc -> dd -> bb)"),
        ("    sidecars: {proxy: {image: x, port: 8080}}\n", "sidecars.proxy.port: port 8080 is also app's"),
        ("    tracing: xray\n    sidecars: {proxy: {image: x, port: 4318}}\n",
         "services.banana.sidecars.proxy.port: port 4318 is bound by muon's otel-collector (4318, tracing: xray)"),
        ("    logging: {destination: cloudwatch}\n    sidecars: {proxy: {image: x, port: 24224}}\n",
         "services.banana.sidecars.proxy.port: port 24224 is bound by muon's log-router (24224, logging)"),
        ("    targetContainer: proxy\n", "targetContainer: 'proxy' is not a container of the task; known: app"),
        ("    targetContainer: proxy\n    sidecars: {proxy: {image: x}}\n",
         "targetContainer: sidecar proxy has no port for the load balancer to send to"),
        ("    sidecars: {proxy: {image: x, user: root}}\n", "sidecars.proxy.user: running as root is refused"),
        (f"    sidecars: {{proxy: {{image: x, environment: {{TOKEN: {'ghp_' + 'a1B2' * 9}}}}}}}\n",
         "services.banana.sidecars.proxy.environment.TOKEN: the value looks like a GitHub token (not shown)"),
        ("    sidecars: {proxy: {image: x, environment: {A: b}, secrets: {A: /p}}}\n",
         "sidecars.proxy.secrets.A: also set in environment"),
        ("    sidecars: {proxy: {image: x, cpu: 256}}\n",
         "services.banana.sidecars: the sidecars reserve 256 CPU units of the task's 256 (environment dev), "
         "leaving none for app"),
        ("    logging: {destination: cloudwatch}\n    sidecars: {proxy: {image: x, memory: 462}}\n",
         "the sidecars reserve 512 MiB (the log router's 50 MiB included) of the task's 512"),
        ("    logging: {destination: firehose}\n", "logging.deliveryStream: firehose needs the delivery stream"),
        ("    logging: {destination: cloudwatch, deliveryStream: s}\n", "only a firehose destination takes"),
        ("    logging: {destination: splunk}\n", "services.banana.logging.destination"),
        ("    tracing: zipkin\n", "services.banana.tracing"),
        ("    tracing: xray\n    roles: {task: 'arn:aws:iam::123456789012:role/t'}\n",
         "services.banana.tracing: the task role is the company's (roles.task): muon cannot grant it X-Ray"),
        ("    tracing: xray\n    environment: {AWS_XRAY_DAEMON_ADDRESS: 'collector:2000'}\n",
         "environment.AWS_XRAY_DAEMON_ADDRESS: muon sets AWS_XRAY_DAEMON_ADDRESS"),
        ("    tracing: xray\n    environment: {OTEL_EXPORTER_OTLP_PROTOCOL: http/protobuf}\n",
         "environment.OTEL_EXPORTER_OTLP_PROTOCOL: muon sets OTEL_EXPORTER_OTLP_PROTOCOL"),
        ("    sidecars: {proxy: {image: x, secrets: {T: '/a/${Nope}'}}}\n",
         "services.banana.sidecars.proxy.secrets.T: only ${Environment} and ${ServiceName}"),
        ("    sidecars: {proxy: {image: x, environment: {T: '${DatabaseName}'}}}\n",
         "services.banana.sidecars.proxy.environment.T: unknown placeholder ${DatabaseName}"),
    ],
)  # fmt: skip
def test_bad_sidecars_logging_and_tracing_are_one_line(tmp_path: Path, added: str, expected: str) -> None:
    refused(project(tmp_path, WEB + added), "muon.yaml", expected)


def test_the_app_waits_for_a_non_essential_sidecar_to_complete(render_definition: Renderer) -> None:
    added = "    dependsOn: {init: SUCCESS}\n    sidecars: {init: {image: x, essential: false}}\n"
    defined = containers(render_definition(WEB + added, ["dev"]))
    assert defined["init"]["essential"] is False
    assert defined["app"]["dependsOn"] == [{"containerName": "init", "condition": "SUCCESS"}]


def test_the_app_port_of_a_muon_container_is_refused_only_with_its_feature(
    tmp_path: Path, render_definition: Renderer
) -> None:
    mine = WEB.replace("port: 8080", "port: 13133")
    assert containers(render_definition(mine, ["dev"]))["app"]["portMappings"][0]["containerPort"] == 13133
    refused(
        project(tmp_path, mine + "    tracing: xray\n"),
        "muon.yaml",
        "services.banana.port: port 13133 is bound by muon's otel-collector (13133, tracing: xray)",
    )


def test_a_worker_has_no_target_container(tmp_path: Path) -> None:
    definition = WEB + "  jobs-worker:\n    kind: worker\n    targetContainer: app\n"
    # targetContainer: app is the default everywhere; only a sidecar needs a web service.
    project(
        tmp_path,
        definition.replace(
            "targetContainer: app", "targetContainer: proxy\n    sidecars: {proxy: {image: x, port: 9}}"
        ),
    )
    refused(tmp_path, "services.jobs-worker.targetContainer: only a web service has load-balancer traffic")
