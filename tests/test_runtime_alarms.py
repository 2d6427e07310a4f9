"""What runs after a deploy and goes wrong later: callers started before their backends, jobs run
against the placeholder image, planned zero tasks paged as outages, a dead letter that blinds a
worker's rollback for 14 days, a function paged for one error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from muon.plan.offline import Rendering
from tests.conftest import render_definition_text

# web is declared before the backends it calls, and api calls search: creation must reorder them.
CALLERS = """
environments:
  dev: {}
services:
  web: {port: 8080, pathPatterns: ["/*"]}
  api: {kind: backend, port: 9000, allowFrom: [web]}
  search: {kind: backend, port: 7000, allowFrom: [web, api]}
"""


def variables(rendering: Rendering, service: str) -> dict[str, str]:
    task = rendering.one("aws:ecs/taskDefinition:TaskDefinition", f"dev-{service}-task")
    (container,) = task.json("containerDefinitions")
    return {v["name"]: v["value"] for v in container["environment"]}


def ecs_service(rendering: Rendering, service: str) -> str:
    return rendering.one("aws:ecs/service:Service", f"dev-{service}-service").urn


# 3. Service Connect: callers after their backends -----------------------------------------------


def test_a_caller_starts_after_the_backends_it_calls(tmp_path: Path) -> None:
    """ECS: only tasks started after a backend's deployment resolve it (Service Connect components)."""
    rendering = render_definition_text(tmp_path, CALLERS, ["dev"])
    web_task = rendering.one("aws:ecs/taskDefinition:TaskDefinition", "dev-web-task").urn
    api_task = rendering.one("aws:ecs/taskDefinition:TaskDefinition", "dev-api-task").urn
    assert {ecs_service(rendering, "api"), ecs_service(rendering, "search")} <= rendering.requirements(
        web_task
    )
    assert ecs_service(rendering, "search") in rendering.requirements(api_task)
    # ... and only what calls waits: a backend nobody's tasks call first starts at once.
    search_task = rendering.one("aws:ecs/taskDefinition:TaskDefinition", "dev-search-task").urn
    assert not {ecs_service(rendering, n) for n in ("web", "api")} & rendering.requirements(search_task)
    assert (variables(rendering, "web")["MUON_BACKENDS"], variables(rendering, "api")["MUON_BACKENDS"]) == (
        "api,search",
        "search",
    )
    assert "MUON_BACKENDS" not in variables(rendering, "search")
    # The stack's outputs keep the definition's order.
    assert list(rendering.outputs["services"]["dev"]) == ["web", "api", "search"]


def test_a_caller_rolls_when_the_backends_it_calls_change(tmp_path: Path) -> None:
    before = variables(render_definition_text(tmp_path, CALLERS, ["dev"]), "web")
    added = CALLERS + "  auth: {kind: backend, port: 7100, allowFrom: [web]}\n"
    after = variables(render_definition_text(tmp_path, added, ["dev"]), "web")
    assert (before["MUON_BACKENDS"], after["MUON_BACKENDS"]) == ("api,search", "api,auth,search")


def test_backends_that_call_each_other_are_made_in_the_definitions_order(tmp_path: Path) -> None:
    cycle = "environments:\n  dev: {}\nservices:\n  bb: {kind: backend, port: 90}\n  aa: {kind: backend, port: 91}\n"
    rendering = render_definition_text(tmp_path, cycle, ["dev"])
    a_task = rendering.one("aws:ecs/taskDefinition:TaskDefinition", "dev-aa-task").urn
    b_task = rendering.one("aws:ecs/taskDefinition:TaskDefinition", "dev-bb-task").urn
    assert ecs_service(rendering, "bb") in rendering.requirements(a_task)
    assert ecs_service(rendering, "aa") not in rendering.requirements(b_task)  # no cycle in the graph
    assert (variables(rendering, "aa")["MUON_BACKENDS"], variables(rendering, "bb")["MUON_BACKENDS"]) == (
        "bb",
        "aa",
    )


# 6. Jobs before the first image -----------------------------------------------------------------

JOB = """
environments:
  dev: {}
services:
  api: {kind: backend, port: 9000}
jobs:
  nightly: {service: api, command: [python, -m, app.report], schedule: "cron(0 3 * * ? *)"}
"""


def test_a_job_waits_for_its_services_first_image(tmp_path: Path) -> None:
    bootstrap = render_definition_text(tmp_path, JOB, ["dev"], delivered=False)
    assert bootstrap.one("aws:scheduler/schedule:Schedule").inputs["state"] == "DISABLED"
    delivered = render_definition_text(tmp_path, JOB, ["dev"])
    assert delivered.one("aws:scheduler/schedule:Schedule").inputs["state"] == "ENABLED"


# 7. Planned zero tasks --------------------------------------------------------------------------

NIGHTS = """
environments:
  dev: {cluster: {containerInsights: %s}}
services:
  web:
    port: 8080
    pathPatterns: ["/*"]
    scaling:
      min: 1
      schedules:
        - {name: night, schedule: "cron(0 20 ? * MON-FRI *)", min: 0, max: 0}
        - {name: morning, schedule: "cron(0 7 ? * MON-FRI *)", min: 1, max: 4}
"""


def alarms_of(rendering: Rendering) -> dict[str, dict]:
    return {
        a.inputs.get("name", a.name): a.inputs
        for a in rendering.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    }


def test_a_service_scheduled_to_zero_is_no_outage_at_night(tmp_path: Path) -> None:
    alarms = alarms_of(render_definition_text(tmp_path, NIGHTS % "true", ["dev"]))
    for role in ("no-tasks", "no-healthy-targets", "tasks-below-minimum"):
        alarm = alarms[f"muon-dev-web-{role}"]
        assert "metricName" not in alarm, role  # judged against the desired count, not alone
        queries = {q["id"]: q for q in alarm["metricQueries"]}
        assert queries["desired"]["metric"]["metricName"] == "DesiredTaskCount"
        assert queries["desired"]["metric"]["namespace"] == "ECS/ContainerInsights"
    outage = {q["id"]: q for q in alarms["muon-dev-web-no-healthy-targets"]["metricQueries"]}
    assert outage["wanted"]["expression"] == "IF(FILL(desired, 0) > 0, FILL(level, 0), 1)"
    assert outage["level"]["metric"]["metricName"] == "HealthyHostCount"
    below = alarms["muon-dev-web-tasks-below-minimum"]
    (expression,) = [q["expression"] for q in below["metricQueries"] if "expression" in q]
    assert expression == "IF(FILL(desired, 0) < 1, FILL(desired, 0), 1) - FILL(running, 0)"
    assert (below["comparisonOperator"], below["threshold"]) == ("GreaterThanThreshold", 0)


def test_without_container_insights_a_planned_zero_has_no_outage_alarm(tmp_path: Path) -> None:
    """Nothing but Container Insights tells a planned zero from an outage."""
    alarms = alarms_of(render_definition_text(tmp_path, NIGHTS % "false", ["dev"]))
    assert not {"muon-dev-web-no-healthy-targets", "muon-dev-web-no-tasks"} & set(alarms)
    assert "muon-dev-web-5xx-rate" in alarms  # the rest of the incident stays


def test_the_bootstraps_zero_tasks_are_not_below_any_minimum(tmp_path: Path) -> None:
    production = "environments:\n  production: {loadBalancer: {allowPlainHttp: true}}\n"
    service = "services:\n  web: {port: 8080, pathPatterns: ['/*']}\n"
    bootstrap = alarms_of(
        render_definition_text(tmp_path, production + service, ["production"], delivered=False)
    )
    assert not any(name.endswith(("-tasks-below-minimum", "-no-tasks")) for name in bootstrap)
    running = alarms_of(render_definition_text(tmp_path, production + service, ["production"]))
    assert running["muon-production-web-tasks-below-minimum"]["threshold"] == 2  # the check is there


# 8. Poison messages -----------------------------------------------------------------------------

WORKER = "environments:\n  dev: {}\nservices:\n  mailer: {kind: worker, queue: {maxReceives: 3}}\n"


def test_a_dead_letter_alarms_when_it_arrives_not_while_it_waits(tmp_path: Path) -> None:
    """ECS ignores a rollback alarm already in ALARM when a deployment starts; SQS does not count
    what its redrive moves in NumberOfMessagesSent: the increase of the visible messages is it."""
    rendering = render_definition_text(tmp_path, WORKER, ["dev"])
    alarm = alarms_of(rendering)["muon-dev-mailer-dead-letters"]
    queries = {q["id"]: q for q in alarm["metricQueries"]}
    assert queries["waiting"]["metric"]["metricName"] == "ApproximateNumberOfMessagesVisible"
    assert queries["waiting"]["metric"]["dimensions"] == {"QueueName": "muon-dev-mailer-dlq"}
    # An idle, empty queue publishes nothing: the gap is 0, so the first letter after it counts.
    assert queries["arrived"]["expression"] == "DIFF(FILL(waiting, 0))"
    assert (alarm["comparisonOperator"], alarm["threshold"]) == ("GreaterThanOrEqualToThreshold", 1)
    assert "metricName" not in alarm  # not the level of the queue
    service = rendering.one("aws:ecs/service:Service", "dev-mailer-service").inputs
    assert service["alarms"]["alarmNames"] == ["muon-dev-mailer-dead-letters"]


# 9. Function alarms -----------------------------------------------------------------------------

FUNCTION = """
environments:
  production: {loadBalancer: {allowPlainHttp: true}}
functions:
  hook: {source: functions/hook, runtime: python3.12, handler: app.handler, triggers: [{type: http, path: /hook}]}
"""


@pytest.fixture
def function(tmp_path: Path) -> Rendering:
    (tmp_path / "functions" / "hook").mkdir(parents=True)
    (tmp_path / "functions" / "hook" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    return render_definition_text(tmp_path, FUNCTION, ["production"])


def test_a_function_pages_on_error_and_throttle_rates_through_one_incident(function: Rendering) -> None:
    alarms = alarms_of(function)
    topic = function.outputs["environments"]["production"]["alarmTopicArn"]
    for rate, numerator in (("error-rate", "errors"), ("throttle-rate", "throttles")):
        alarm = alarms[f"muon-production-hook-{rate}"]
        queries = {q["id"]: q for q in alarm["metricQueries"]}
        assert {queries[i]["metric"]["metricName"] for i in ("errors", "invocations", "throttles")} == {
            "Errors",
            "Invocations",
            "Throttles",
        }
        assert (
            ">= 10" in queries["rate"]["expression"]
            and f"100 * FILL({numerator}, 0)" in queries["rate"]["expression"]
        )
        assert (alarm["threshold"], alarm["datapointsToAlarm"], alarm["evaluationPeriods"]) == (5, 3, 5)
        assert alarm["alarmActions"] == []  # a child: the incident alarm pages
    incident = function.one("aws:cloudwatch/compositeAlarm:CompositeAlarm", "production-hook-incident").inputs
    assert incident["alarmRule"] == (
        'ALARM("muon-production-hook-error-rate") OR ALARM("muon-production-hook-throttle-rate")'
    )
    assert incident["alarmActions"] == [topic] and incident["okActions"] == [topic]
    group = function.one("aws:codedeploy/deploymentGroup:DeploymentGroup").inputs
    assert group["alarmConfiguration"]["alarms"] == [
        "muon-production-hook-error-rate",
        "muon-production-hook-throttle-rate",
    ]
    assert function.outputs["functions"]["production"]["hook"]["functionName"] == "muon-production-hook"
    dashboard = json.loads(function.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    widget = next(w for w in dashboard["widgets"] if w["type"] == "alarm")
    assert any(arn.endswith(":alarm:muon-production-hook-incident") for arn in widget["properties"]["alarms"])
