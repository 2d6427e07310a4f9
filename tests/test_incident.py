"""Incidents: per service, the 5xx rate, p99, tasks below minimum and ECS's failure events, combined
in one composite alarm that pages once; the event patterns against ECS's documented event shapes."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from muon.plan.offline import Rendering
from muon.policy.rules import evaluate
from tests.aws_models import assert_valid
from tests.event_patterns import matches

KINDS = (
    "environments: {dev: {cluster: {containerInsights: true}}}\nservices:\n"
    "  web: {port: 8080, pathPatterns: [/web], alarms: {errorRatePercent: 1, latencyP99Seconds: 0.5}}\n"
    "  api: {kind: backend, port: 9000}\n"
    "  mailer: {kind: worker}\n"
)


@pytest.fixture(scope="module")
def kinds(tmp_path_factory: pytest.TempPathFactory) -> Rendering:
    from tests.conftest import render_definition_text

    return render_definition_text(tmp_path_factory.mktemp("kinds"), KINDS, ["dev"])


def alarms_by_name(rendering: Rendering) -> dict[str, dict]:
    return {
        a.inputs.get("name", a.name): a.inputs
        for a in rendering.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }


def composite(rendering: Rendering, service_id: str) -> dict:
    (found,) = [
        c.inputs
        for c in rendering.of_type("aws:cloudwatch/compositeAlarm:CompositeAlarm")
        if c.inputs["alarmName"] == f"{service_id}-incident"
    ]
    return found


def children(incident: dict) -> list[str]:
    return re.findall(r'ALARM\("([^"]+)"\)', incident["alarmRule"])


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        (
            "web",
            {"5xx-rate", "p99-latency", "tasks-below-minimum", "deployment-failed", "task-failed", "target-5xx",
             "unhealthy-hosts", "no-tasks", "no-healthy-targets"},
        ),
        ("api", {"5xx-rate", "p99-latency", "tasks-below-minimum", "deployment-failed", "task-failed", "target-5xx",
                 "no-tasks"}),
        # A worker may run no task (its queue holds the work): no minimum, no outage; its dead-letter
        # alarm is the queue's and pages on its own.
        ("mailer", {"deployment-failed", "task-failed"}),
    ],
)  # fmt: skip
def test_every_service_pages_once_through_its_composite_alarm(
    kinds: Rendering, service: str, expected: set[str]
) -> None:
    service_id = f"muon-dev-{service}"
    topic = kinds.outputs["environments"]["dev"]["alarmTopicArn"]
    incident = composite(kinds, service_id)
    assert incident["actionsEnabled"] is True
    assert incident["alarmActions"] == incident["okActions"] == [topic]
    names = children(incident)
    assert {n.removeprefix(f"{service_id}-") for n in names} == expected
    alarms = alarms_by_name(kinds)
    for name in names:
        # Every child exists, and none pages on its own.
        assert alarms[name]["alarmActions"] == alarms[name]["okActions"] == []
    # The stack's outputs name them, the incident first (what `muon report` reads).
    assert kinds.outputs["services"]["dev"][service]["alarms"] == [f"{service_id}-incident", *names]


def test_the_5xx_alarm_is_a_rate_of_requests_with_a_floor(kinds: Rendering) -> None:
    alarm = alarms_by_name(kinds)["muon-dev-web-5xx-rate"]
    queries = {q["id"]: q for q in alarm["metricQueries"]}
    assert queries["errors"]["metric"]["metricName"] == "HTTPCode_Target_5XX_Count"
    assert queries["requests"]["metric"]["metricName"] == "RequestCount"
    for query in ("errors", "requests"):
        metric = queries[query]["metric"]
        assert (metric["namespace"], metric["stat"], metric["period"]) == ("AWS/ApplicationELB", "Sum", 60)
        assert set(metric["dimensions"]) == {"TargetGroup", "LoadBalancer"}
    assert queries["rate"]["expression"] == "IF(requests >= 10, 100 * FILL(errors, 0) / requests, 0)"
    assert queries["rate"]["returnData"] is True
    assert [q["id"] for q in alarm["metricQueries"] if q.get("returnData")] == ["rate"]
    assert (alarm["threshold"], alarm["comparisonOperator"]) == (1, "GreaterThanThreshold")  # the override
    latency = alarms_by_name(kinds)["muon-dev-web-p99-latency"]
    assert (latency["extendedStatistic"], latency["threshold"]) == ("p99", 0.5)


def test_backend_incidents_read_service_connect_in_milliseconds(kinds: Rendering) -> None:
    alarms = alarms_by_name(kinds)
    latency = alarms["muon-dev-api-p99-latency"]
    assert latency["namespace"] == "AWS/ECS"
    assert latency["dimensions"]["DiscoveryName"] == "api"
    assert latency["threshold"] == 5000  # development's 5 s, in Service Connect's milliseconds
    rate = {q["id"]: q for q in alarms["muon-dev-api-5xx-rate"]["metricQueries"]}
    assert rate["errors"]["metric"]["dimensions"]["ServiceName"] == "muon-dev-api"


def test_thresholds_follow_the_tier(dev: Rendering, prod: Rendering) -> None:
    assert alarms_by_name(dev)["muon-dev-banana-5xx-rate"]["threshold"] == 10
    assert alarms_by_name(dev)["muon-dev-banana-p99-latency"]["threshold"] == 5
    assert alarms_by_name(prod)["muon-production-banana-5xx-rate"]["threshold"] == 5
    assert alarms_by_name(prod)["muon-production-banana-p99-latency"]["threshold"] == 2
    minimum = alarms_by_name(prod)["muon-production-banana-tasks-below-minimum"]
    assert (minimum["namespace"], minimum["metricName"]) == ("ECS/ContainerInsights", "RunningTaskCount")
    assert (minimum["threshold"], minimum["comparisonOperator"]) == (
        2,
        "LessThanThreshold",
    )  # production's min
    # Development leaves Container Insights off: no task count to compare.
    assert "muon-dev-banana-tasks-below-minimum" not in alarms_by_name(dev)


# ECS's events, in the shapes of the ECS developer guide ("Amazon ECS events"): a service
# deployment state change and a task state change.
def deployment_event(service_arn: str, name: str) -> dict:
    return {
        "version": "0",
        "detail-type": "ECS Deployment State Change",
        "source": "aws.ecs",
        "account": "123456789012",
        "region": "us-east-1",
        "resources": [service_arn],
        "detail": {
            "eventType": "ERROR" if name.endswith("FAILED") else "INFO",
            "eventName": name,
            "deploymentId": "ecs-svc/0123456789",
            "updatedAt": "2026-11-27T11:11:11.111Z",
            "reason": "ECS deployment circuit breaker: tasks failed to start.",
        },
    }


def task_event(cluster_arn: str, group: str, stop_code: str, exit_codes: list[int | None]) -> dict:
    containers = [
        {"name": f"c{i}", "lastStatus": "STOPPED", **({"exitCode": code} if code is not None else {})}
        for i, code in enumerate(exit_codes)
    ]
    return {
        "version": "0",
        "detail-type": "ECS Task State Change",
        "source": "aws.ecs",
        "account": "123456789012",
        "region": "us-east-1",
        "resources": ["arn:aws:ecs:us-east-1:123456789012:task/muon-dev/0123"],
        "detail": {
            "clusterArn": cluster_arn,
            "containers": containers,
            "desiredStatus": "STOPPED",
            "group": group,
            "lastStatus": "STOPPED",
            "launchType": "FARGATE",
            "stopCode": stop_code,
            "stoppedReason": "Essential container in task exited",
            "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/muon-dev/0123",
        },
    }


def test_event_patterns_match_real_ecs_failures_and_nothing_else(dev: Rendering) -> None:
    cluster_arn = dev.outputs["environments"]["dev"]["clusterArn"]
    service_arn = "arn:aws:ecs:us-east-1:123456789012:service/muon-dev/muon-dev-banana"
    rules = {
        r.inputs["name"]: json.loads(r.inputs["eventPattern"])
        for r in dev.of_type("aws:cloudwatch/eventRule:EventRule")
    }
    deployment = rules["muon-dev-banana-deployment-failed"]
    assert matches(deployment, deployment_event(service_arn, "SERVICE_DEPLOYMENT_FAILED"))
    assert not matches(deployment, deployment_event(service_arn, "SERVICE_DEPLOYMENT_COMPLETED"))
    assert not matches(
        deployment, deployment_event(service_arn.replace("banana", "apple"), "SERVICE_DEPLOYMENT_FAILED")
    )
    task = rules["muon-dev-banana-task-failed"]
    group = "service:muon-dev-banana"
    assert matches(task, task_event(cluster_arn, group, "EssentialContainerExited", [1]))
    assert matches(task, task_event(cluster_arn, group, "EssentialContainerExited", [0, 137]))
    # A clean exit, a task ECS stopped (deployment, scale-in), Spot, another service, a job: not incidents.
    assert not matches(task, task_event(cluster_arn, group, "EssentialContainerExited", [0]))
    assert not matches(task, task_event(cluster_arn, group, "ServiceSchedulerInitiated", [143]))
    assert not matches(task, task_event(cluster_arn, group, "SpotInterruption", [143]))
    assert not matches(
        task, task_event(cluster_arn, "service:muon-dev-apple", "EssentialContainerExited", [1])
    )
    assert not matches(task, task_event(cluster_arn, "job:nightly", "EssentialContainerExited", [1]))
    assert not matches(task, task_event(cluster_arn, group, "EssentialContainerExited", [None]))


def test_the_matcher_follows_eventbridge_semantics() -> None:
    pattern = {
        "detail": {"containers": {"exitCode": [{"anything-but": 0}]}, "group": [{"prefix": "service:"}]}
    }
    assert matches(
        pattern, {"detail": {"group": "service:a", "containers": [{"exitCode": 0}, {"exitCode": 1}]}}
    )
    assert not matches(pattern, {"detail": {"group": "service:a", "containers": [{"exitCode": 0}]}})
    assert not matches(pattern, {"detail": {"group": "job:a", "containers": [{"exitCode": 1}]}})
    assert matches({"a": [{"exists": False}]}, {"b": 1})
    assert matches({"a": [{"numeric": [">", 0, "<=", 5]}]}, {"a": 5})


def test_failure_events_are_kept_in_the_environments_incident_log(dev: Rendering) -> None:
    group = dev.one("aws:cloudwatch/logGroup:LogGroup", "dev-incidents")
    assert group.inputs["name"] == "/aws/events/muon-dev/incidents"
    assert group.inputs["kmsKeyId"] == dev.outputs["environments"]["dev"]["keyArn"]
    targets = dev.of_type("aws:cloudwatch/eventTarget:EventTarget")
    incident_targets = [t for t in targets if t.name.startswith("dev-banana-")]
    assert len(incident_targets) == 2
    assert all(t.inputs["arn"] == group.state["arn"] for t in incident_targets)
    (statement,) = dev.one("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "dev-incidents-policy").json(
        "policyDocument"
    )["Statement"]
    assert statement["Principal"] == {"Service": ["events.amazonaws.com"]}
    assert statement["Resource"] == f"{group.state['arn']}:*"
    for name in ("deployment-failed", "task-failed"):
        alarm = alarms_by_name(dev)[f"muon-dev-banana-{name}"]
        assert (alarm["namespace"], alarm["metricName"]) == ("AWS/Events", "TriggeredRules")
        assert alarm["dimensions"] == {"RuleName": f"muon-dev-banana-{name}"}


def test_a_child_alarm_without_a_composite_is_a_finding(prod: Rendering) -> None:
    assert [f for f in evaluate(prod.resources) if f.control == "CloudWatch.15"] == []
    without = [r for r in prod.resources if r.type != "aws:cloudwatch/compositeAlarm:CompositeAlarm"]
    orphans = {f.resource for f in evaluate(without) if f.control == "CloudWatch.15"}
    assert "production-banana-5xx-rate" in orphans and "production-banana-no-tasks" in orphans
    silent = [
        dataclasses.replace(r, inputs={**r.inputs, "actionsEnabled": False})
        if r.type == "aws:cloudwatch/compositeAlarm:CompositeAlarm"
        else r
        for r in prod.resources
    ]
    assert "production-banana-5xx-rate" in {
        f.resource for f in evaluate(silent) if f.control == "CloudWatch.15"
    }


def test_incident_calls_are_valid_for_the_apis(kinds: Rendering) -> None:
    for incident in kinds.of_type("aws:cloudwatch/compositeAlarm:CompositeAlarm"):
        i = incident.inputs
        assert_valid(
            "cloudwatch",
            "PutCompositeAlarm",
            {
                "AlarmName": i["alarmName"],
                "AlarmRule": i["alarmRule"],
                "AlarmDescription": i["alarmDescription"],
                "ActionsEnabled": i["actionsEnabled"],
                "AlarmActions": i["alarmActions"],
                "OKActions": i["okActions"],
            },
        )
    for alarm in kinds.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        a = alarm.inputs
        if "metricQueries" not in a and "extendedStatistic" not in a:
            continue
        params = {
            "AlarmName": a.get("name", alarm.name),
            "EvaluationPeriods": a["evaluationPeriods"],
            **({"DatapointsToAlarm": a["datapointsToAlarm"]} if "datapointsToAlarm" in a else {}),
            "Threshold": float(a["threshold"]),
            "ComparisonOperator": a["comparisonOperator"],
            "TreatMissingData": a.get("treatMissingData", "missing"),
        }
        if "metricQueries" in a:
            params["Metrics"] = [
                {
                    "Id": q["id"],
                    "ReturnData": q["returnData"],
                    **({"Expression": q["expression"], "Label": q["label"]} if "expression" in q else {}),
                    **(
                        {
                            "MetricStat": {
                                "Metric": {
                                    "Namespace": q["metric"]["namespace"],
                                    "MetricName": q["metric"]["metricName"],
                                    "Dimensions": [
                                        {"Name": k, "Value": v} for k, v in q["metric"]["dimensions"].items()
                                    ],
                                },
                                "Period": q["metric"]["period"],
                                "Stat": q["metric"]["stat"],
                            }
                        }
                        if "metric" in q
                        else {}
                    ),
                }
                for q in a["metricQueries"]
            ]
        else:
            params |= {
                "Namespace": a["namespace"],
                "MetricName": a["metricName"],
                "Dimensions": [{"Name": k, "Value": v} for k, v in a["dimensions"].items()],
                "ExtendedStatistic": a["extendedStatistic"],
                "Period": a["period"],
            }
        assert_valid("cloudwatch", "PutMetricAlarm", params)
    for rule in kinds.of_type("aws:cloudwatch/eventRule:EventRule"):
        assert_valid(
            "events", "PutRule", {"Name": rule.inputs["name"], "EventPattern": rule.inputs["eventPattern"]}
        )
    for target in kinds.of_type("aws:cloudwatch/eventTarget:EventTarget"):
        assert_valid(
            "events",
            "PutTargets",
            {"Rule": target.inputs["rule"], "Targets": [{"Id": "t", "Arn": target.inputs["arn"]}]},
        )


def test_the_environments_pages_reach_a_slack_channel(render_definition) -> None:
    rendering = render_definition(
        "environments:\n  dev:\n    alarmSlack: {teamId: T01234ABCDE, channelId: C01234ABCDE}\n"
        "services:\n  banana: {port: 8080, pathPatterns: [/bananas]}\n",
        ["dev"],
    )
    chat = rendering.one("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration").inputs
    assert chat["snsTopicArns"] == [rendering.outputs["environments"]["dev"]["alarmTopicArn"]]
    assert (chat["slackTeamId"], chat["slackChannelId"]) == ("T01234ABCDE", "C01234ABCDE")
    assert chat["configurationName"] == "muon-dev-alarms"
    assert chat["guardrailPolicyArns"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    role = rendering.one("aws:iam/role:Role", "dev-alarms-chatbot-role")
    assert chat["iamRoleArn"] == role.state["arn"]
