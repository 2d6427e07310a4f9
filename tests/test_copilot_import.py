"""`muon import copilot`: an AWS Copilot application becomes a muon definition and its stack files,
every loss one stderr line (issue 34 item 1)."""

from __future__ import annotations

import json
import shutil
import tempfile
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muon.importers.copilot import convert_directory
from muon.importers.copilot_shapes import SHAPES as WORKLOAD_SHAPES
from muon.importers.copilot_values import schedule
from muon.stacks.errors import DefinitionError
from tests.conftest import render_definition_text, run_muon

SAMPLE = Path(__file__).parent / "data" / "copilot" / "sample"
SAMPLE_LOSSES = [
    "copilot/environments/prod/manifest.yml: http.public.ssl_policy: ELBSecurityPolicy-TLS13-1-2-2021-06: not one "
    "Security Hub's ELB.17 accepts; kept muon's ELBSecurityPolicy-TLS13-1-2-Res-2021-06 (docs/definition.md lists "
    "the others)",
    "copilot/api/addons/ledger.yml: Resources.ledgerDBCluster.Properties.EngineVersion: '16.4': muon starts from "
    "its own default version of the engine; set services.<name>.database.version",
    "copilot/api/addons/ledger.yml: Resources.ledgerDBCluster: Copilot injected the cluster's secret as a variable; "
    "muon gives api the endpoint and password as its own (${DatabaseEndpointAddress}, ${DatabaseMasterPassword}: "
    "docs/definition.md)",
    "copilot/api/addons/receipts.yml: Resources.receiptsBucket.DeletionPolicy: muon keeps and protects production's "
    "storage itself; not converted",
    "copilot/api/addons/receipts.yml: Resources.receiptsBucket.Properties.BucketName: muon names it "
    "<namespace>-<env>-<service>-<b>-<account>: its name reaches the app as <B>_BUCKET",
    "copilot/api/addons/receipts.yml: Outputs: Copilot injected each output as a variable (RECEIPTS_NAME); muon "
    "injects its own resources' names (RECEIPTS_BUCKET): read those instead",
    "copilot/frontend/manifest.yml: count.requests: not converted: muon tracks one metric per service: kept "
    "cpu_percentage",
    "copilot/frontend/addons/orders.yml: Resources.ordersAccessPolicy (AWS::IAM::ManagedPolicy): not converted: "
    "muon grants a service what its own resources need; other statements: services.<name>.permissions",
    "copilot/frontend/addons/orders.yml: Outputs: Copilot injected each output as a variable (ORDERS_ACCESS_POLICY, "
    "ORDERS_NAME); muon injects its own resources' names (ORDERS_TABLE): read those instead",
    "copilot/report/manifest.yml: type: converted in part: a muon job runs a service's task definition: the job's image "
    "becomes a worker service nobody publishes to (it runs no task)",
    "copilot/report/manifest.yml: retries: not converted: muon runs a job once; a failed run alarms",
]
COPILOT_VARIABLES = {
    "COPILOT_APPLICATION_NAME": "shop",
    "COPILOT_ENVIRONMENT_NAME": "${Environment}",
    "COPILOT_SERVICE_NAME": "${ServiceName}",
}


def application(root: Path, workloads: dict[str, str], environments: tuple[str, ...] = ("test",)) -> Path:
    """A Copilot application in ``root``: ``.workspace``, the environments, the workloads' manifests."""
    (root / "copilot").mkdir(parents=True, exist_ok=True)
    (root / "copilot" / ".workspace").write_text("application: shop\n", encoding="utf-8")
    for env in environments:
        (root / "copilot" / "environments" / env).mkdir(parents=True, exist_ok=True)
        (root / "copilot" / "environments" / env / "manifest.yml").write_text(
            f"name: {env}\ntype: Environment\n", encoding="utf-8"
        )
    for name, text in workloads.items():
        (root / "copilot" / name).mkdir(parents=True, exist_ok=True)
        (root / "copilot" / name / "manifest.yml").write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def test_the_sample_application_imports_with_every_loss_named() -> None:
    result = convert_directory(SAMPLE)
    definition = result.definition
    assert list(definition) == ["namespace", "environments", "services", "jobs"]
    assert definition["namespace"] == "shop"
    assert definition["environments"] == {
        "prod": {
            "network": {"cidr": "10.20.0.0/16"},
            "loadBalancer": {
                "certificateArn": "arn:aws:acm:us-east-1:111111111111:certificate/0a1b2c3d-0000-4000-8000-00000000abcd"
            },
            "cluster": {"containerInsights": True},
        },
        "test": {"loadBalancer": {"ingressCidrs": ["10.0.0.0/8", "192.0.2.0/24"]}},
    }
    services = definition["services"]
    assert sorted(services) == ["api", "frontend", "orders-worker", "report"]
    frontend = services["frontend"]
    assert frontend["build"] == {"context": "frontend", "dockerfile": "frontend/Dockerfile"}
    assert (frontend["port"], frontend["cpu"], frontend["memory"]) == (8080, 512, 1024)
    assert frontend["pathPatterns"] == ["/*"]  # http.path '/'
    # http-healthcheck.en.md's defaults where the manifest gives none: healthy 5, unhealthy 2, timeout 5 s.
    assert frontend["healthCheck"] == {
        "path": "/healthz", "matcher": "200,204", "healthyThreshold": 5, "unhealthyThreshold": 2,
        "interval": 15, "timeout": 5, "gracePeriod": 60,
    }  # fmt: skip
    # count: {range: 1-10, cooldown: {in: 2m, out: 30s}, cpu_percentage: 70, requests: {value: 500, …}}: the
    # first metric with the manifest's cooldowns (Copilot's are 120 s in, 60 s out when absent).
    assert (frontend["scaling"], frontend["desiredCount"]) == (
        {"min": 1, "max": 10, "metric": "cpu",
         "targetTracking": {"target": 70, "scaleOutCooldown": 30, "scaleInCooldown": 120}},
        1,
    )  # fmt: skip
    assert frontend["platform"] == "linux/arm64"
    assert frontend["stickiness"] == {"duration": 86_400}
    assert frontend["allowedCidrs"] == ["10.0.0.0/8", "198.51.100.10/32"]
    assert frontend["environment"] == {
        **COPILOT_VARIABLES, "LOG_LEVEL": "info", "APP": "shop",
        # publish.en.md: Copilot's JSON map of the service's topics, as the app read it there.
        "COPILOT_SNS_TOPIC_ARNS": '{"orders":"arn:aws:sns:${Region}:${AccountId}:shop-${Environment}-frontend-orders"}',
    }  # fmt: skip
    assert frontend["publish"] == [{"name": "orders"}]
    # sidecars.en.md: image, port, variables, depends_on (the service's own name is muon's app; start → START).
    assert frontend["sidecars"] == {
        "nginx": {"image": "public.ecr.aws/nginx/nginx:1.27", "port": 80,
                  "environment": {"UPSTREAM": "http://localhost:8080"}, "dependsOn": {"app": "START"}}
    }  # fmt: skip
    assert frontend["secrets"] == {
        "SESSION_KEY": "/copilot/shop/${Environment}/secrets/session_key",
        "STRIPE_KEY": {"secret": "${Environment}/stripe", "jsonKey": "apiKey"},  # '…/stripe:apiKey::'
    }
    assert (frontend["execCommand"], frontend["readonlyRootFilesystem"]) == (True, False)
    # environments.prod.count overrides range and cpu_percentage; the cooldowns are the manifest's.
    assert frontend["environments"] == {
        "prod": {
            "scaling": {"min": 2, "max": 20, "metric": "cpu",
                        "targetTracking": {"target": 70, "scaleOutCooldown": 30, "scaleInCooldown": 120}},
            "environment": {"LOG_LEVEL": "warn"},
        }
    }  # fmt: skip
    assert frontend["storage"] == {
        "volumes": {"upload-cache": {"path": "/srv/cache", "readOnly": False, "uid": 1000, "gid": 1000}},
        "tables": {
            "orders": {
                "partitionKey": {"name": "id", "type": "S"}, "sortKey": {"name": "placedAt", "type": "N"},
                "globalIndexes": {"by-status": {"partitionKey": {"name": "status", "type": "S"}, "projection": "ALL"}},
                "ttl": "expiresAt", "stream": "NEW_AND_OLD_IMAGES",
            }
        },
    }  # fmt: skip
    api = services["api"]
    assert (api["kind"], api["port"], api["image"]) == ("backend", 9000, "public.ecr.aws/acme/api:1.4.2")
    assert api["tracing"] == "xray"  # observability.tracing: awsxray
    assert api["containerHealthCheck"] == {
        "command": ["CMD-SHELL", "curl -f http://localhost:9000/health || exit 1"], "interval": 10, "timeout": 5,
        "retries": 2, "startPeriod": 0,
    }  # fmt: skip
    assert api["database"] == {
        "engine": "aurora-postgresql", "name": "ledger", "serverless": {"minCapacity": 0.5, "maxCapacity": 8.0}
    }  # fmt: skip
    assert api["storage"] == {"buckets": {"receipts": {"expireAfterDays": 400}}}
    assert api["environments"]["prod"] == {
        "cpu": 1024, "memory": 2048, "scaling": {"min": 2, "max": 2},
        "database": {"serverless": {"minCapacity": 1.0, "maxCapacity": 16.0}},
    }  # fmt: skip
    worker = services["orders-worker"]
    assert worker["command"] == ["python", "-m", "app.worker", "--concurrency", "4"]
    assert worker["queue"] == {
        "visibilityTimeout": 120,
        "retention": 345_600,
        "maxReceives": 3,
    }
    # worker-service.en.md: the frontend's topic orders (shop-<env>-frontend-orders), its filter policy as given.
    assert worker["subscribe"] == [
        {"service": "frontend", "topic": "orders", "filterPolicy": {"store": ["example_corp"]}}
    ]
    assert services["report"] == {
        "kind": "worker", "image": "public.ecr.aws/acme/report:1.4.2", "cpu": 256, "memory": 512,
        "scaling": {"min": 0, "max": 1}, "environment": COPILOT_VARIABLES,
    }  # fmt: skip
    assert definition["jobs"] == {
        "report": {"service": "report", "command": ["python", "-m", "app.report"], "schedule": "cron(0 0 * * ? *)",
                   "timeout": 5400}
    }  # fmt: skip
    assert result.dropped == SAMPLE_LOSSES
    assert [note.split(":")[0] for note in result.notes] == [
        "copilot", "copilot/api", "copilot/frontend", "copilot/environments/prod",
    ]  # fmt: skip


@pytest.mark.slow  # renders two whole definitions
@pytest.mark.parametrize("env", ["test", "prod"])
def test_every_stack_the_sample_implies_renders(tmp_path: Path, env: str) -> None:
    shutil.copytree(SAMPLE, tmp_path, dirs_exist_ok=True)
    definition = convert_directory(tmp_path).definition
    rendering = render_definition_text(
        tmp_path, yaml.safe_dump(definition, sort_keys=False), [env], stack=env
    )
    groups = {
        g.inputs["healthCheck"]["path"]: g.inputs["healthCheck"]
        for g in rendering.of_type("aws:lb/targetGroup:TargetGroup")
    }
    assert groups["/healthz"]["matcher"] == "200,204"
    (schedule_resource,) = rendering.of_type("aws:scheduler/schedule:Schedule")
    assert schedule_resource.inputs["scheduleExpression"] == "cron(0 0 * * ? *)"
    queue = rendering.one("aws:sqs/queue:Queue", f"{env}-orders-worker-queue")
    assert queue.inputs["visibilityTimeoutSeconds"] == 120  # subscribe.queue.timeout: 2m
    (cluster,) = rendering.of_type("aws:rds/cluster:Cluster")
    capacity = cluster.inputs["serverlessv2ScalingConfiguration"]
    assert (capacity["minCapacity"], capacity["maxCapacity"]) == ((1, 16) if env == "prod" else (0.5, 8))
    api, collector = rendering.one("aws:ecs/taskDefinition:TaskDefinition", f"{env}-api-task").json(
        "containerDefinitions"
    )
    # observability.tracing: awsxray — the ADOT collector beside the app, which sends to it.
    assert (collector["name"], collector["essential"]) == ("otel-collector", False)
    assert {"name": "AWS_XRAY_DAEMON_ADDRESS", "value": "localhost:2000"} in api["environment"]
    assert api["healthCheck"] == {
        "command": ["CMD-SHELL", "curl -f http://localhost:9000/health || exit 1"],
        "interval": 10, "timeout": 5, "retries": 2, "startPeriod": 0,
    }  # fmt: skip
    frontend_task = rendering.one("aws:ecs/taskDefinition:TaskDefinition", f"{env}-frontend-task")
    assert frontend_task.inputs["runtimePlatform"]["cpuArchitecture"] == "ARM64"  # platform: linux/arm64
    frontend, nginx = frontend_task.json("containerDefinitions")
    # sidecars.nginx: its own container, after the app's, with its port and variable, started after it.
    assert (nginx["name"], nginx["image"], nginx["essential"]) == (
        "nginx",
        "public.ecr.aws/nginx/nginx:1.27",
        True,
    )
    assert [p["containerPort"] for p in nginx["portMappings"]] == [80]
    assert {"name": "UPSTREAM", "value": "http://localhost:8080"} in nginx["environment"]
    assert nginx["dependsOn"] == [{"containerName": "app", "condition": "START"}]
    # subscribe.topics[0]: the frontend's orders topic delivers to the worker's queue, filtered.
    (subscription,) = rendering.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert json.loads(subscription.inputs["filterPolicy"]) == {"store": ["example_corp"]}
    names = [t.inputs.get("name") for t in rendering.of_type("aws:sns/topic:Topic")]
    assert f"shop-{env}-frontend-orders" in names  # Copilot's <app>-<env>-<service>-<name>
    assert {s["name"]: s["valueFrom"] for s in frontend["secrets"]}["STRIPE_KEY"] == (
        f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{env}/stripe:apiKey::"
    )
    tracking = rendering.one("aws:appautoscaling/policy:Policy", f"{env}-frontend-scaling-track-cpu")
    configuration = tracking.inputs["targetTrackingScalingPolicyConfiguration"]
    assert (configuration["targetValue"], configuration["scaleInCooldown"], configuration["scaleOutCooldown"]) == (
        70, 120, 30,
    )  # fmt: skip
    (group,) = rendering.of_type("aws:lb/targetGroup:TargetGroup")
    assert group.inputs["stickiness"] == {"enabled": True, "type": "lb_cookie", "cookieDuration": 86_400}
    (rule,) = rendering.of_type("aws:lb/listenerRule:ListenerRule")
    assert {"sourceIp": {"values": ["10.0.0.0/8", "198.51.100.10/32"]}} in rule.inputs["conditions"]
    (table,) = rendering.of_type("aws:dynamodb/table:Table")
    assert (table.inputs["hashKey"], table.inputs["rangeKey"], table.inputs["ttl"]["attributeName"]) == (
        "id", "placedAt", "expiresAt",
    )  # fmt: skip
    (access_point,) = rendering.of_type("aws:efs/accessPoint:AccessPoint")
    assert access_point.inputs["posixUser"] == {"uid": 1000, "gid": 1000}
    for task in rendering.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        container = task.json("containerDefinitions")[0]
        variables = {v["name"]: v["value"] for v in container["environment"]}
        assert (variables["COPILOT_APPLICATION_NAME"], variables["COPILOT_ENVIRONMENT_NAME"]) == ("shop", env)


def test_copilots_defaults_apply_where_a_manifest_is_silent(tmp_path: Path) -> None:
    application(
        tmp_path,
        {
            "web": """
                name: web
                type: Load Balanced Web Service
                image: {location: public.ecr.aws/acme/web:1, port: 80}
                http: {path: api}
            """,
            "back": "name: back\ntype: Backend Service\nimage: {location: public.ecr.aws/acme/back:1}\n",
            "jobs": """
                type: Worker Service
                image: {location: public.ecr.aws/acme/jobs:1}
                count: {spot: 3}
                subscribe: {queue: {retention: 5d}}
            """,
        },
    )
    result = convert_directory(tmp_path)
    web = result.definition["services"]["web"]
    # newDefaultLoadBalancedWebService: cpu 256, memory 512, count 1; http-healthcheck.en.md's defaults.
    assert (web["cpu"], web["memory"], web["scaling"], web["desiredCount"]) == (
        256,
        512,
        {"min": 1, "max": 1},
        1,
    )
    assert web["pathPatterns"] == ["/api", "/api/*"]
    assert web["healthCheck"] == {
        "path": "/", "matcher": "200", "healthyThreshold": 5, "unhealthyThreshold": 2, "interval": 30,
        "timeout": 5, "gracePeriod": 60,
    }  # fmt: skip
    assert web["deregistrationDelay"] == 60
    assert result.definition["services"]["back"]["port"] == 8080
    jobs = result.definition["services"]["jobs"]
    # worker-service.en.md: `count: {spot: 3}` keeps 3 tasks; the queue's timeout is 30 s when absent.
    assert (jobs["scaling"], jobs["desiredCount"]) == ({"min": 3, "max": 3}, 3)
    assert jobs["queue"] == {"visibilityTimeout": 30, "retention": 432_000}
    assert result.dropped == [
        "copilot/back/manifest.yml: image.port: absent: a muon backend needs the port its callers reach; wrote 8080",
        "copilot/jobs/manifest.yml: count.spot: not converted: muon chooses Fargate Spot per tier "
        "(environments.<name>.cluster.spot)",
    ]


def test_durations_as_copilot_reads_them() -> None:
    from muon.importers.copilot_values import seconds

    assert [seconds(v) for v in ("30s", "1h30m", "4d", "96h", "250ms", 45, "0", "soon", "", True)] == [
        30, 5400, 345_600, 345_600, 0, 45, 0, None, None, None,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("@daily", "cron(0 0 * * ? *)"),
        ("@weekly", "cron(0 0 ? * 1 *)"),
        ("@hourly", "cron(0 * * * ? *)"),
        ("@every 1h30m", "rate(90 minutes)"),
        ("@every 1m", "rate(1 minute)"),
        ("0 9 * * 1-5", "cron(0 9 ? * 2-6 *)"),
        ("30 2 1 * *", "cron(30 2 1 * ? *)"),
        ("rate(5 minutes)", "rate(5 minutes)"),
        ("none", None),
        ("@every 30s", None),
        ("0 9 1 * 1", None),
    ],
)
def test_schedules_as_copilot_turned_them_into_eventbridge_expressions(
    given: str, expected: str | None
) -> None:
    assert schedule(given) == expected


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        ("name: web\ntype: Banana\n", "copilot/web/manifest.yml: type: expected one of Load Balanced Web Service"),
        ("- a\n- b\n", "copilot/web/manifest.yml: expected a Copilot manifest"),
        ("name: web\ntype: Backend Service\nimage: [a]\n", "copilot/web/manifest.yml: image: expected a mapping, got list"),
        ("name: web\ntype: Backend Service\ncpu: lots\n", "copilot/web/manifest.yml: cpu: expected a whole number, got 'lots'"),
        ("name: web\ntype: Worker Service\nsubscribe: {topics: {name: x}}\n",
         "copilot/web/manifest.yml: subscribe.topics: expected a list, got dict"),
        ("name: web\ntype: Backend Service\nenvironments: {test: {cpu: [1]}}\n",
         "copilot/web/manifest.yml: environments.test.cpu: expected a whole number, got list"),
        ("name: [unclosed\n", "copilot/web/manifest.yml (line "),
        ("a: &a [*a]\n", "copilot/web/manifest.yml: invalid YAML: an alias refers to a node that contains it"),
    ],
)  # fmt: skip
def test_a_manifest_of_another_shape_is_one_line(tmp_path: Path, manifest: str, expected: str) -> None:
    application(tmp_path, {"web": manifest})
    with pytest.raises(DefinitionError) as caught:
        convert_directory(tmp_path)
    assert len(caught.value.problems) == 1 and "\n" not in caught.value.problems[0]
    assert expected in caught.value.problems[0]


def test_an_application_name_muon_cannot_use_as_its_namespace_is_cut_down_and_said(tmp_path: Path) -> None:
    application(tmp_path, {})
    (tmp_path / "copilot" / ".workspace").write_text(
        "application: My_Shop.Front-End-Apps\n", encoding="utf-8"
    )
    result = convert_directory(tmp_path)
    assert result.definition["namespace"] == "my-shop-front-en"
    assert result.dropped == [
        "copilot/.workspace: application: 'My_Shop.Front-End-Apps' is no muon namespace (2-16 a-z, 0-9, -): "
        "wrote 'my-shop-front-en'"
    ]


def test_a_folder_without_an_application_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError, match="no copilot/.workspace"):
        convert_directory(tmp_path)


def test_the_command_writes_the_definition_and_stack_files_and_says_so_in_its_exit_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = tmp_path / "app"
    shutil.copytree(SAMPLE, app)
    code, out, err = run_muon(
        tmp_path, monkeypatch, capsys, "import", "copilot", "app", "--region", "eu-west-1"
    )
    assert code == 1
    assert err.splitlines()[: len(SAMPLE_LOSSES)] == SAMPLE_LOSSES
    wrote, *notes = out.splitlines()
    assert wrote == "wrote app/muon.yaml, Pulumi.prod.yaml, Pulumi.test.yaml"
    # notes are what to read, not losses: on stdout beside the result, as `muon import` (mu) prints them
    assert any(line.startswith("note: copilot/environments/prod: production tier") for line in notes), notes
    assert yaml.safe_load((app / "Pulumi.prod.yaml").read_text()) == {
        "config": {"aws:region": "eu-west-1", "muon:environments": ["prod"]}
    }
    code, _, err = run_muon(tmp_path, monkeypatch, capsys, "import", "copilot", "app")
    assert code == 2 and "muon.yaml exists; add --force" in err
    code, out, _ = run_muon(tmp_path, monkeypatch, capsys, "--json", "import", "copilot", "app", "--force")
    assert code == 1 and json.loads(out)["kept"] == ["Pulumi.prod.yaml", "Pulumi.test.yaml"]
    broken = application(tmp_path / "broken", {"web": "type: Backend Service\nimage: [a, b]\n"})
    code, _, err = run_muon(tmp_path, monkeypatch, capsys, "import", "copilot", "broken")
    assert code == 2 and "copilot/web/manifest.yml: image: expected a mapping, got list" in err
    assert "Traceback" not in err and not (broken / "muon.yaml").exists()


def test_an_application_muon_expresses_completely_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    application(
        tmp_path,
        {
            "web": "name: web\ntype: Load Balanced Web Service\nimage: {location: public.ecr.aws/acme/web:1, port: 80}\n"
        },
    )
    code, out, err = run_muon(tmp_path, monkeypatch, capsys, "import", "copilot")
    assert code == 0 and "wrote muon.yaml, Pulumi.test.yaml" in out
    assert err == ""  # no loss
    assert [line.split(":")[:2] for line in out.splitlines()[1:]] == [
        ["note", " copilot"]
    ]  # the note on users


def test_the_docs_table_is_generated_from_the_mapping_table() -> None:
    from muon.importers.copilot_table import markdown

    doc = (Path(__file__).parents[1] / "docs" / "coming-from-copilot.md").read_text(encoding="utf-8")
    begin, end = "<!-- copilot-table:begin -->\n", "<!-- copilot-table:end -->"
    assert doc.split(begin)[1].split(end)[0] == markdown()


def test_every_loss_line_comes_from_a_row_of_the_table(tmp_path: Path) -> None:
    """Keys the importer names by the table find their row (none says "no muon equivalent")."""
    application(
        tmp_path,
        {
            "web": """
                name: web
                type: Load Balanced Web Service
                image: {location: public.ecr.aws/acme/web:1, port: 80, credentials: arn:x, depends_on: {a: start}}
                platform: linux/arm64
                count: {range: {min: 1, max: 4, spot_from: 2}, memory_percentage: 60, requests: 100, response_time: 2s}
                env_file: env/web.env
                network: {vpc: {placement: public, security_groups: [sg-1]}, connect: true}
                storage: {ephemeral: 50, volumes: {v: {path: /data}}}
                logging: {retention: 30, destination: {Name: cloudwatch}}
                observability: {tracing: awsxray}
                taskdef_overrides: [{path: x, value: y}]
                deployment: {rolling: recreate, rollback_alarms: [a]}
                http: {path: /, allowed_source_ips: [10.0.0.0/8], target_container: nginx, alias: www.example.com,
                       additional_rules: [], version: grpc}
                secrets: {A: {secretsmanager: x}, B: "arn:aws:secretsmanager:us-east-1:111111111111:secret:b"}
                nlb: {port: 443}
            """
        },
    )
    result = convert_directory(tmp_path)
    assert not [line for line in result.dropped if "no muon equivalent" in line]
    assert result.definition["services"]["web"]["deployment"] == {
        "minimumHealthyPercent": 0,
        "maximumPercent": 100,
    }
    web = result.definition["services"]["web"]
    assert web["hostPatterns"] == ["www.example.com"]
    # Written now: platform, memory_percentage (the first metric; requests is a line), allowed_source_ips
    # and both Secrets Manager forms.
    assert web["platform"] == "linux/arm64"
    assert web["scaling"] == {
        "min": 1, "max": 4, "metric": "memory",
        "targetTracking": {"target": 60, "scaleOutCooldown": 60, "scaleInCooldown": 120},
    }  # fmt: skip
    assert web["allowedCidrs"] == ["10.0.0.0/8"]
    assert web["secrets"] == {
        "A": {"secret": "x"}, "B": {"secret": "arn:aws:secretsmanager:us-east-1:111111111111:secret:b"}
    }  # fmt: skip
    # Written now too: logging (FireLens to the service's log group), observability.tracing. image.depends_on
    # names no container and http.target_container no sidecar: a line each.
    assert (web["logging"], web["tracing"]) == ({"destination": "cloudwatch"}, "xray")
    assert "dependsOn" not in web and "targetContainer" not in web
    assert (
        "copilot/web/manifest.yml: image.depends_on.a: 'a' is not a container of the task; not converted"
        in result.dropped
    )
    assert len(result.dropped) == 19
    assert (
        "copilot/web/manifest.yml: logging.retention: not converted: muon keeps logs per environment: "
        "environments.<env>.logRetentionDays (14 / 365 days)" in result.dropped
    )
    assert (
        "copilot/web/manifest.yml: http.alias: converted in part: routing only: give environments.<env>.domain "
        "and list the names in hosts for DNS records and a certificate" in result.dropped
    )


# -- any YAML in a manifest's place, never a traceback ---------------------------------------------

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**6), st.text(max_size=8), st.floats(allow_nan=True)
)
KEYS = st.sampled_from(
    ["name", "type", "image", "location", "build", "port", "healthcheck", "cpu", "memory", "count", "range",
     "cpu_percentage", "http", "path", "alias", "variables", "secrets", "secretsmanager", "environments", "test",
     "subscribe", "topics", "service", "queue", "timeout", "dead_letter", "tries", "on", "schedule", "files",
     "source", "network", "vpc", "id", "subnets", "public", "private", "certificates", "Resources", "Type",
     "Properties", "Engine", "DatabaseName", "ServerlessV2ScalingConfiguration", "MinCapacity", "Mappings",
     "application", "command", "exec", "storage", "deployment", "rolling", "publish", "sidecars", "depends_on",
     "target_container", "filter_policy", "fifo", "logging", "destination", "observability", "tracing"]
)  # fmt: skip
TYPES = st.sampled_from(
    ["Load Balanced Web Service", "Backend Service", "Worker Service", "Request-Driven Web Service",
     "Static Site", "Scheduled Job", "AWS::RDS::DBCluster", "aurora-postgresql", "@daily", "1-3"]
)  # fmt: skip
VALUES = st.recursive(
    st.one_of(SCALARS, TYPES),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=14,
)
PLACES = st.sampled_from(
    ["copilot/web/manifest.yml", "copilot/environments/test/manifest.yml", "copilot/web/addons/db.yml",
     "copilot/.workspace"]
)  # fmt: skip
WORKLOAD_TYPES = st.sampled_from(
    ["Load Balanced Web Service", "Backend Service", "Worker Service", "Request-Driven Web Service",
     "Static Site", "Scheduled Job"]
)  # fmt: skip
FITTING = {
    "map": st.dictionaries(KEYS, VALUES, max_size=3),
    "list": st.lists(VALUES, max_size=3),
    "text": st.one_of(st.text(max_size=8), TYPES),
    "scalar": SCALARS,
    "whole": st.one_of(st.integers(-1, 70_000), st.from_regex(r"\A[0-9]{1,5}\Z"), st.text(max_size=4)),
    "text or list": st.one_of(st.text(max_size=8), st.lists(st.text(max_size=6), max_size=3)),
    "text or map": st.one_of(st.text(max_size=8), TYPES, st.dictionaries(KEYS, VALUES, max_size=3)),
}
"""A value of each shape the importer's table names (and, drawn as often, any value at all)."""
PATHS = sorted(
    p.replace("*", "test") for p in WORKLOAD_SHAPES if "[]" not in p and not p.endswith("*") and p != "type"
)


def nest(kind: str, pairs: list[tuple[str, object]]) -> dict[str, object]:
    """``[("image.port", 80)]`` → ``{"image": {"port": 80}}``; a child under a parent that is no
    mapping is left out."""
    manifest: dict[str, object] = {"type": kind}
    for path, value in pairs:
        *parents, last = path.split(".")
        here: object = manifest
        for key in parents:
            if not isinstance(here, dict):
                break
            here = here.setdefault(key, {})
        if isinstance(here, dict):
            here[last] = value
    return manifest


def _value(path: str) -> st.SearchStrategy[object]:
    """Four times in five a value of the shape Copilot takes there, else any value."""
    fitting = FITTING[WORKLOAD_SHAPES[path.replace("test", "*")]]
    return st.one_of(fitting, fitting, fitting, fitting, VALUES)


MANIFESTS = st.builds(
    nest,
    WORKLOAD_TYPES,
    st.lists(
        st.one_of(st.sampled_from([p for p in PATHS if "." not in p]), st.sampled_from(PATHS)).flatmap(
            lambda p: st.tuples(st.just(p), _value(p))
        ),
        max_size=10,
    ),
)
"""Manifests past the type check whose keys are Copilot's, so the values reach the conversion."""
DOCUMENTS = st.one_of(
    st.tuples(st.just("copilot/web/manifest.yml"), MANIFESTS),
    st.tuples(PLACES, st.dictionaries(KEYS, VALUES, max_size=5) | VALUES),
)


@pytest.mark.slow  # converts 200 applications
@settings(
    max_examples=200, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
@given(PLACES, st.dictionaries(KEYS, VALUES, max_size=5) | VALUES)
def test_any_yaml_in_a_manifests_place_imports_or_is_one_line_never_a_traceback(
    place: str, document: object
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = application(
            Path(folder),
            {"web": "name: web\ntype: Worker Service\nimage: {location: public.ecr.aws/acme/web:1}\n"},
        )
        target = root / place
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(document), encoding="utf-8")
        problems: list[str] = []
        try:
            convert_directory(root)
        except DefinitionError as error:  # any other exception fails the test, with its traceback
            problems = error.problems
        assert all("\n" not in problem for problem in problems)


ODD = ["abc", "²", -1, 0.5, True, ["x"], {"x": "y"}]
"""A value of each shape, and two that look like numbers to str.isdigit or to float() only."""


@pytest.mark.slow  # converts some 3,000 manifests
def test_an_odd_value_in_any_key_copilot_has_imports_or_is_one_line() -> None:
    """Every key of the shape table, alone, with values of every other shape: the conversion ends
    in a definition muon accepts or in one line ('²' passes str.isdigit and fails int(): the
    importer reads whole numbers through copilot_values.whole, ASCII digits only)."""
    from muon.importers.copilot import Conversion
    from muon.importers.copilot_shapes import check_workload
    from muon.importers.copilot_workload import workload
    from muon.stacks.definition.loader import parse_definition

    for kind in ("Load Balanced Web Service", "Worker Service", "Scheduled Job", "Static Site"):
        for path in PATHS:
            for value in ODD:
                manifest = nest(kind, [("image.location", "public.ecr.aws/acme/web:1"), (path, value)])
                out = Conversion(definition={"environments": {"test": {}}}, app="shop")
                problems: list[str] = []
                try:
                    check_workload(manifest, "m.yml")
                    workload("web", manifest, "m.yml", out)
                    parse_definition(yaml.safe_dump(out.definition), "converted")
                except DefinitionError as error:  # any other exception fails the test, with its traceback
                    problems = error.problems
                assert all("\n" not in problem for problem in problems), (path, value)


def test_app_runner_services_static_sites_and_jobs_without_a_command(tmp_path: Path) -> None:
    application(
        tmp_path,
        {
            "runner": "type: Request-Driven Web Service\nimage: {location: public.ecr.aws/acme/r:1, port: 8000}\n",
            "www": "type: Static Site\nfiles: [{source: public, destination: /, recursive: true}]\nhttp: {alias: w.example.com}\n",
            "nightly": "type: Scheduled Job\non: {schedule: '0 3 * * 1'}\nimage: {location: public.ecr.aws/acme/n:1}\n",
            "never": "type: Scheduled Job\non: {schedule: none}\nimage: {location: public.ecr.aws/acme/n:1}\n",
        },
    )
    result = convert_directory(tmp_path)
    runner = result.definition["services"]["runner"]
    # newDefaultRequestDrivenWebService: 1024/2048; every path of the environment's load balancer.
    assert (runner["cpu"], runner["memory"], runner["pathPatterns"], runner["port"]) == (
        1024,
        2048,
        ["/*"],
        8000,
    )
    assert result.definition["sites"] == {"www": {"source": ".", "output": "public/"}}
    nightly = result.definition["jobs"]["nightly"]
    assert (nightly["schedule"], nightly["timeout"]) == ("cron(0 3 ? * 2 *)", 86_400)
    assert nightly["command"][0:2] == ["sh", "-c"]  # fails loudly until the team names the command
    assert "never" not in result.definition["jobs"]
    assert [line.split(": ", 2)[:2] for line in result.dropped] == [
        ["copilot/never/manifest.yml", "type"],
        ["copilot/never/manifest.yml", "on.schedule"],
        ["copilot/nightly/manifest.yml", "type"],
        ["copilot/nightly/manifest.yml", "command"],
        ["copilot/runner/manifest.yml", "type"],
        ["copilot/www/manifest.yml", "http.alias"],
    ]


def test_an_environment_in_an_existing_vpc_and_the_tier_chosen_at_import(tmp_path: Path) -> None:
    application(tmp_path, {}, environments=("prod",))
    (tmp_path / "copilot" / "environments" / "prod" / "manifest.yml").write_text(
        textwrap.dedent(
            """
            name: prod
            type: Environment
            network:
              vpc:
                id: vpc-0123456789abcdef0
                subnets:
                  public: [{id: subnet-0aaaaaaaaaaaaaaa1}, {id: subnet-0aaaaaaaaaaaaaaa2}]
                  private: [{cidr: 10.0.2.0/24, az: us-east-1a}]
            http:
              public:
                access_logs: true
                ingress: {cdn: true}
              private: {}
            cdn: true
            """
        ),
        encoding="utf-8",
    )
    result = convert_directory(tmp_path)
    prod = result.definition["environments"]["prod"]
    assert prod["network"]["existing"] == {
        "vpcId": "vpc-0123456789abcdef0",
        "publicSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
        "privateSubnetIds": ["subnet-00000001", "subnet-00000002"],
    }
    assert prod["loadBalancer"] == {"accessLogs": True, "allowPlainHttp": True}
    assert [line.split(": ")[1] for line in result.dropped] == [
        "cdn", "network.vpc.subnets.private", "http.public.ingress.cdn",
    ]  # fmt: skip
    assert "production tier" in result.notes[0]
    chosen = convert_directory(tmp_path, {"prod": "development"})
    assert chosen.definition["environments"]["prod"]["tier"] == "development"
    assert chosen.definition["environments"]["prod"]["loadBalancer"] == {"accessLogs": True}
    with pytest.raises(DefinitionError, match="--tier staging: no environment 'staging'"):
        convert_directory(tmp_path, {"staging": "production"})


# -- keys muon gained: target tracking, Secrets Manager, platform, stickiness, source CIDRs, storage -----


def test_copilots_scaling_metrics_become_target_tracking_at_copilots_targets(tmp_path: Path) -> None:
    """common-svc-fields.en.md: cpu_percentage, memory_percentage (average %), requests (per task), each
    N or {value, cooldown}; count.cooldown {in, out}, Copilot's 120 s in and 60 s out when absent."""
    application(
        tmp_path,
        {
            "web": """
                type: Load Balanced Web Service
                image: {location: public.ecr.aws/acme/web:1, port: 80}
                count:
                  range: 2-8
                  requests: {value: 300, cooldown: {in: 90s}}
                  response_time: 2s
            """,
            "back": """
                type: Backend Service
                image: {location: public.ecr.aws/acme/back:1, port: 80}
                count: {range: 1-3, requests: 100, memory_percentage: 150, cooldown: {in: 1m}}
            """,
            "jobs": """
                type: Worker Service
                image: {location: public.ecr.aws/acme/jobs:1}
                count: {range: 1-5, cpu_percentage: 60, cooldown: {in: 5m, out: 2h}}
            """,
            "queue": """
                type: Worker Service
                image: {location: public.ecr.aws/acme/queue:1}
                count: {range: 1-5, cpu_percentage: 60, queue_delay: {acceptable_latency: 1m}}
            """,
        },
    )
    result = convert_directory(tmp_path)
    services = result.definition["services"]
    assert services["web"]["scaling"] == {
        "min": 2, "max": 8, "metric": "requests",
        "targetTracking": {"target": 300, "scaleOutCooldown": 60, "scaleInCooldown": 90},
    }  # fmt: skip
    assert services["back"]["scaling"] == {"min": 1, "max": 3}  # neither metric muon's backend can track
    assert services["jobs"]["scaling"]["targetTracking"] == {
        "target": 60, "scaleOutCooldown": 60, "scaleInCooldown": 300,  # out: 2h is past muon's hour
    }  # fmt: skip
    assert services["queue"]["scaling"] == {"min": 1, "max": 5}  # the worker's backlog steps
    assert [line.split(": ", 2)[1:] for line in result.dropped if "count" in line] == [
        ["count.memory_percentage", "not converted: 150 is no percentage"],
        ["count.requests", "not converted: muon's backend is behind no load balancer: requests per target are "
         "a web service's"],
        ["count.cooldown", "beside no metric muon tracks: its steps keep their cooldowns"],
        ["count.cooldown.out", "expected in or out, a duration of 0s to 1h; not converted"],
        ["count.cpu_percentage", "not converted: a muon worker scales on its backlog (queue_delay) and tracks no "
         "other metric beside it"],
        ["count.queue_delay", "converted in part: a muon worker scales on backlog per task (+1 from 10 messages, "
         "+3 from 50)"],
        ["count.response_time", "not converted: Copilot tracked the ALB's TargetResponseTime for the service's "
         "target group; muon's targetTracking.customMetric names its dimensions in advance, and the load "
         "balancer's and target group's (app/<name>/<id>) exist only once deployed: track cpu or requests"],
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("mysql", {"secret": "mysql"}),
        ("mysql:password::", {"secret": "mysql", "jsonKey": "password"}),
        ("mysql::AWSPREVIOUS:", {"secret": "mysql", "versionStage": "AWSPREVIOUS"}),
        ("mysql:::0f2c9a1e-7a3b-4c1d-9e8f-0123456789ab",
         {"secret": "mysql", "versionId": "0f2c9a1e-7a3b-4c1d-9e8f-0123456789ab"}),
        ("arn:aws:secretsmanager:us-west-2:111122223333:secret:demo/test/mysql-Yi6mvL:password::",
         {"secret": "arn:aws:secretsmanager:us-west-2:111122223333:secret:demo/test/mysql-Yi6mvL",
          "jsonKey": "password"}),
        ("demo/test/mysql-dbconf-Vi3nwL", {"secret": "demo/test/mysql-dbconf"}),
        ("demo/test/mysql-dbconf", {"secret": "demo/test/mysql-dbconf"}),
        ("a:b:c:d:e", None),
        ("bad name!", None),
    ],
)  # fmt: skip
def test_secrets_manager_references_as_copilot_wrote_them(
    tmp_path: Path, given: str, expected: dict[str, str] | None
) -> None:
    """developing/secrets.en.md: 'name:json-key:version-stage:version-id', an ARN followed by the same,
    and a name given with Secrets Manager's six characters (written without them, in a note)."""
    application(
        tmp_path,
        {
            "web": f"type: Backend Service\nimage: {{location: x:1, port: 80}}\nsecrets: {{DB: {{secretsmanager: '{given}'}}}}\n"
        },
    )
    result = convert_directory(tmp_path)
    assert result.definition["services"]["web"].get("secrets", {}).get("DB") == expected
    assert bool([line for line in result.dropped if "secrets.DB" in line]) == (expected is None)
    assert any("six characters" in note for note in result.notes) == given.endswith("Vi3nwL")


def test_a_version_stage_beside_a_version_id_keeps_the_id_and_says_so(tmp_path: Path) -> None:
    application(
        tmp_path,
        {"web": "type: Backend Service\nimage: {location: x:1, port: 80}\n"
                "secrets: {DB: {secretsmanager: 'db:pw:AWSCURRENT:0f2c9a1e-7a3b-4c1d-9e8f-0123456789ab'}}\n"},
    )  # fmt: skip
    result = convert_directory(tmp_path)
    assert result.definition["services"]["web"]["secrets"]["DB"] == {
        "secret": "db", "jsonKey": "pw", "versionId": "0f2c9a1e-7a3b-4c1d-9e8f-0123456789ab",
    }  # fmt: skip
    assert result.dropped == [
        "copilot/web/manifest.yml: secrets.DB: version stage AWSCURRENT beside version id "
        "0f2c9a1e-7a3b-4c1d-9e8f-0123456789ab: kept the id"
    ]


@pytest.mark.parametrize(
    ("platform", "expected", "lost"),
    [
        ("linux/arm64", "linux/arm64", False),
        ("linux/arm", "linux/arm64", False),
        ("{osfamily: linux, architecture: arm64}", "linux/arm64", False),
        ("linux/amd64", None, False),
        ("windows/x86_64", None, True),
    ],
)
def test_platform_arm64_is_written_and_windows_is_a_line(
    tmp_path: Path, platform: str, expected: str | None, lost: bool
) -> None:
    application(
        tmp_path,
        {"web": f"type: Backend Service\nimage: {{location: x:1, port: 80}}\nplatform: {platform}\n"},
    )
    result = convert_directory(tmp_path)
    assert result.definition["services"]["web"].get("platform") == expected
    assert result.dropped == (
        ["copilot/web/manifest.yml: platform: not converted: Windows containers: muon runs Linux tasks only"]
        if lost
        else []
    )


def test_stickiness_and_source_cidrs_within_the_listener_rules_five_values(tmp_path: Path) -> None:
    """http-config.en.md: stickiness (a boolean), allowed_source_ips (CIDRs). A rule takes 5 values: the
    CIDRs come before the aliases (fewer CIDRs only narrow who reaches the service)."""
    application(
        tmp_path,
        {
            "web": """
                type: Load Balanced Web Service
                image: {location: public.ecr.aws/acme/web:1, port: 80}
                http:
                  path: api
                  stickiness: true
                  alias: [a.example.com]
                  allowed_source_ips: [10.0.0.0/8, 10.1.0.0/16, 10.2.0.0/16, 10.3.0.0/16, 10.4.0.1/16]
            """,
            "plain": """
                type: Load Balanced Web Service
                image: {location: public.ecr.aws/acme/web:1, port: 80}
                http: {path: /, stickiness: false}
            """,
        },
    )
    result = convert_directory(tmp_path)
    web = result.definition["services"]["web"]
    assert web["stickiness"] == {"duration": 86_400}
    assert web["pathPatterns"] == ["/api", "/api/*"]
    assert web["allowedCidrs"] == ["10.0.0.0/8", "10.1.0.0/16", "10.2.0.0/16"]
    assert "hostPatterns" not in web
    assert "stickiness" not in result.definition["services"]["plain"]
    assert [line.split(": ", 2)[1:] for line in result.dropped if "web/" in line] == [
        ["http.allowed_source_ips", "'10.4.0.1/16' is no IPv4 CIDR; left out"],
        ["http.allowed_source_ips", "a listener rule takes 5 paths and source CIDRs together: left out "
         "10.3.0.0/16 (they no longer reach the service)"],
        ["http.alias", "a listener rule takes 5 paths, hosts and source CIDRs together: kept no alias"],
        ["http.alias", "converted in part: routing only: give environments.<env>.domain and list the names in "
         "hosts for DNS records and a certificate"],
    ]  # fmt: skip


def test_managed_efs_volumes_become_the_services_own(tmp_path: Path) -> None:
    """storage.en.md: efs: true or {uid, gid} is a managed file system of the workload's own; read_only
    is true when absent; efs: {id} names an existing one (a line)."""
    application(
        tmp_path,
        {
            "web": """
                type: Backend Service
                image: {location: x:1, port: 80}
                storage:
                  volumes:
                    Shared_Data: {path: /srv/data, efs: true}
                    media: {path: /srv/media, read_only: false, efs: {uid: 2000, gid: 3000}}
                    legacy: {path: /srv/legacy, efs: {id: fs-12345678, root_dir: /x}}
                    scratch: {path: /tmp/x, efs: true}
            """
        },
    )
    result = convert_directory(tmp_path)
    assert result.definition["services"]["web"]["storage"] == {
        "volumes": {
            "shared-data": {"path": "/srv/data", "readOnly": True},
            "media": {"path": "/srv/media", "readOnly": False, "uid": 2000, "gid": 3000},
        }
    }
    assert [line.split(": ", 2)[1] for line in result.dropped] == [
        "storage.volumes.legacy.efs", "storage.volumes.scratch",
    ]  # fmt: skip
    assert "muon's volumes are file systems of the service's own" in result.dropped[0]
    assert "/tmp is the task's scratch space" in result.dropped[1]
    assert any(
        note.startswith("copilot/web: storage: muon creates web's own volumes") for note in result.notes
    )


ADDON = """
Resources:
  counters:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions:
        - {AttributeName: name, AttributeType: S}
        - {AttributeName: day, AttributeType: N}
        - {AttributeName: total, AttributeType: N}
      KeySchema:
        - {AttributeName: name, KeyType: HASH}
        - {AttributeName: day, KeyType: RANGE}
      ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: 2}
      LocalSecondaryIndexes:
        - IndexName: by-total
          KeySchema: [{AttributeName: name, KeyType: HASH}, {AttributeName: total, KeyType: RANGE}]
          Projection: {ProjectionType: INCLUDE, NonKeyAttributes: [note]}
      SSESpecification: {SSEEnabled: true}
      Tags: [{Key: team, Value: data}]
  broken:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
  assets:
    Type: AWS::S3::Bucket
    Properties:
      CorsConfiguration: {CorsRules: [{AllowedMethods: [GET], AllowedOrigins: ['*']}]}
      LifecycleConfiguration:
        Rules: [{Status: Enabled, ExpirationInDays: 30, Prefix: tmp/}]
  assetsPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref assets
      PolicyDocument:
        Statement: [{Effect: Allow, Principal: '*', Action: 's3:GetObject', Resource: '*'}]
"""


def test_addon_tables_and_buckets_become_storage_and_each_property_muon_lacks_is_a_line(
    tmp_path: Path,
) -> None:
    application(tmp_path, {"web": "type: Backend Service\nimage: {location: x:1, port: 80}\n"})
    (tmp_path / "copilot" / "web" / "addons").mkdir()
    (tmp_path / "copilot" / "web" / "addons" / "data.yml").write_text(ADDON, encoding="utf-8")
    result = convert_directory(tmp_path)
    assert result.definition["services"]["web"]["storage"] == {
        "tables": {
            "counters": {
                "partitionKey": {"name": "name", "type": "S"}, "sortKey": {"name": "day", "type": "N"},
                "billing": "provisioned",
                "capacity": {"read": {"min": 5, "max": 5}, "write": {"min": 2, "max": 2}},
                "localIndexes": {
                    "by-total": {"sortKey": {"name": "total", "type": "N"}, "projection": "INCLUDE",
                                 "attributes": ["note"]}
                },
            }
        },
        "buckets": {"assets": {}},
    }  # fmt: skip
    assert [line.split(": ", 2)[1] for line in result.dropped] == [
        "Resources.counters.Properties.SSESpecification",
        "Resources.counters.Properties.Tags",
        "Resources.broken.Properties.KeySchema",
        "Resources.assets.Properties.CorsConfiguration",
        "Resources.assets.Properties.LifecycleConfiguration",
        "Resources.assetsPolicy (AWS::S3::BucketPolicy)",
    ]
    assert "muon encrypts every table with the environment's KMS key" in result.dropped[0]


def test_a_global_index_with_its_own_provisioned_units_is_a_line(tmp_path: Path) -> None:
    """muon gives each global index the table's capacity (docs/definition.md, tables.<t>.capacity)."""
    application(tmp_path, {"web": "type: Backend Service\nimage: {location: x:1, port: 80}\n"})
    (tmp_path / "copilot" / "web" / "addons").mkdir()
    (tmp_path / "copilot" / "web" / "addons" / "t.yml").write_text(
        textwrap.dedent(
            """
            Resources:
              events:
                Type: AWS::DynamoDB::Table
                Properties:
                  KeySchema: [{AttributeName: a, KeyType: HASH}]
                  AttributeDefinitions: [{AttributeName: a, AttributeType: S}, {AttributeName: b, AttributeType: S}]
                  ProvisionedThroughput: {ReadCapacityUnits: 5, WriteCapacityUnits: 5}
                  GlobalSecondaryIndexes:
                    - IndexName: by-b
                      KeySchema: [{AttributeName: b, KeyType: HASH}]
                      Projection: {ProjectionType: KEYS_ONLY}
                      ProvisionedThroughput: {ReadCapacityUnits: 1, WriteCapacityUnits: 1}
            """
        ),
        encoding="utf-8",
    )
    result = convert_directory(tmp_path)
    assert result.definition["services"]["web"]["storage"]["tables"]["events"]["globalIndexes"] == {
        "by-b": {"partitionKey": {"name": "b", "type": "S"}, "projection": "KEYS_ONLY"}
    }
    assert result.dropped == [
        "copilot/web/addons/t.yml: Resources.events.Properties.GlobalSecondaryIndexes[0].ProvisionedThroughput: "
        "muon gives each global index the table's capacity: not converted"
    ]


def test_sidecars_logging_topics_and_subscriptions_are_written_and_what_muon_lacks_is_named(
    tmp_path: Path,
) -> None:
    """sidecars.en.md, logging.en.md, publish.en.md, worker-service.en.md: what muon has is written;
    each part it cannot express is one line, and the definition loads."""
    from muon.stacks.definition.loader import parse_definition

    application(
        tmp_path,
        {
            "web": """
                type: Load Balanced Web Service
                image:
                  location: public.ecr.aws/acme/web:1
                  port: 8080
                  healthcheck: {command: [CMD-SHELL, "curl -f http://localhost:8080/ || exit 1"]}
                  depends_on: {proxy: start}
                http: {path: /, target_container: proxy}
                sidecars:
                  proxy:
                    image: public.ecr.aws/nginx/nginx:1.27
                    port: 9000/tcp
                    essential: false
                    variables: {UPSTREAM: "http://localhost:8080"}
                    secrets: {TLS_KEY: /web/proxy/tls-key}
                    depends_on: {web: healthy}
                    entrypoint: /docker-entrypoint.sh
                    mount_points: [{source_volume: v, path: /v}]
                  Builder:
                    image: {build: sidecar/Dockerfile}
                logging:
                  destination: {Name: firehose, region: us-east-1, delivery_stream: web-logs}
                  enableMetadata: false
                publish:
                  topics:
                    - name: events
                      fifo: {content_based_deduplication: true}
                    - name: orders
                      allowed_workers: [jobs]
            """,
            "jobs": """
                type: Worker Service
                image: {location: public.ecr.aws/acme/jobs:1}
                subscribe:
                  topics:
                    - {name: orders, service: web, filter_policy: {kind: [created, cancelled]}}
                    - {name: events, service: web}
                    - {name: missing, service: web}
                    - {name: x, service: ghost}
                  queue: {fifo: true}
            """,
        },
    )
    result = convert_directory(tmp_path)
    web = result.definition["services"]["web"]
    assert web["sidecars"] == {
        "proxy": {"image": "public.ecr.aws/nginx/nginx:1.27", "port": 9000, "essential": False,
                  "environment": {"UPSTREAM": "http://localhost:8080"}, "secrets": {"TLS_KEY": "/web/proxy/tls-key"},
                  "dependsOn": {"app": "HEALTHY"}}
    }  # fmt: skip
    assert web["targetContainer"] == "proxy"
    assert "dependsOn" not in web  # the app and the proxy waited for each other: ECS starts neither
    assert web["logging"] == {
        "destination": "firehose",
        "deliveryStream": "web-logs",
        "enableMetadata": False,
    }
    assert web["publish"] == [
        {"name": "events", "fifo": True, "contentBasedDeduplication": True},
        {"name": "orders"},
    ]
    assert json.loads(web["environment"]["COPILOT_SNS_TOPIC_ARNS"]) == {
        "events": "arn:aws:sns:${Region}:${AccountId}:shop-${Environment}-web-events.fifo",
        "orders": "arn:aws:sns:${Region}:${AccountId}:shop-${Environment}-web-orders",
    }
    jobs = result.definition["services"]["jobs"]
    assert jobs["subscribe"] == [
        {"service": "web", "topic": "orders", "filterPolicy": {"kind": ["created", "cancelled"]}},
        {"service": "web", "topic": "events"},
    ]
    assert "publishers" not in jobs["queue"]
    lines = [line.removeprefix("copilot/") for line in result.dropped]
    assert lines == [
        "jobs/manifest.yml: subscribe.queue.fifo: not converted: a FIFO queue: muon's worker queue is standard; "
        "subscribed to a FIFO topic it receives every message, without the order (docs/definition.md, Topics and "
        "subscriptions)",
        "web/manifest.yml: logging.destination: not converted: region (muon's FireLens output is the log group or "
        "delivery stream, in the stack's region; a log group is not created)",
        "web/manifest.yml: sidecars.proxy.entrypoint: not converted: muon's sidecar has no entrypoint (the image's "
        "own runs): build it into the image",
        "web/manifest.yml: sidecars.proxy.mount_points: not converted: muon mounts no volume in a sidecar (its EFS "
        "volumes are the app's)",
        "web/manifest.yml: sidecars.Builder.image.build: muon runs a sidecar's pushed image: push it to ECR and give "
        "image: its URI; not converted",
        "web/manifest.yml: sidecars.Builder: no image muon can run (a sidecar's image location); not converted",
        "web/manifest.yml: image.depends_on.proxy: app and proxy wait for each other: ECS would start neither; not "
        "converted",
        "jobs/manifest.yml: subscribe.topics: web publishes no topic 'missing' (its publish.topics: events, orders): "
        "not converted",
        "jobs/manifest.yml: subscribe.topics: 'ghost' is no service of this application: not converted",
    ]
    parse_definition(yaml.safe_dump(result.definition), "converted")  # loads: muon accepts every value
