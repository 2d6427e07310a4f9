"""Each environment's dashboard (issue 18, reporting): load balancer, every service, every
database, and the state of the environment's alarms — only metrics and alarms that exist."""

from __future__ import annotations

import json
from pathlib import Path

from muon.plan.offline import Rendering
from tests.conftest import render_definition_text


def body(rendering: Rendering, name: str) -> dict:
    return json.loads(
        rendering.one("aws:cloudwatch/dashboard:Dashboard", f"{name}-dashboard").inputs["dashboardBody"]
    )


def test_the_production_dashboard_shows_every_part(prod: Rendering) -> None:
    dashboard = body(prod, "production")
    titles = [w["properties"]["title"] for w in dashboard["widgets"]]
    assert titles[:2] == ["Load balancer requests", "Load balancer 5xx"]
    assert "banana: response time p99 (s)" in titles
    assert "muon-production-banana: connections" in titles
    alarm_widget = next(w for w in dashboard["widgets"] if w["type"] == "alarm")
    rendered = {a.inputs.get("name") for a in prod.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")} | {
        a.inputs["alarmName"] for a in prod.of_type("aws:cloudwatch/compositeAlarm:CompositeAlarm")
    }
    shown = {arn.split(":alarm:")[1] for arn in alarm_widget["properties"]["alarms"]}
    assert shown <= rendered  # no alarm the stack does not have
    assert {
        "muon-production-load-balancer-5xx",
        "muon-production-banana-target-5xx",
        "muon-production-banana-no-tasks",
        "muon-production-banana-db-cpu",
    } <= shown
    balancer = prod.one("aws:lb/loadBalancer:LoadBalancer").state["arnSuffix"]
    metrics = [m for w in dashboard["widgets"] if w["type"] == "metric" for m in w["properties"]["metrics"]]
    assert ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", balancer] in metrics
    assert all(len(w["properties"]["metrics"]) > 0 for w in dashboard["widgets"] if w["type"] == "metric")


def test_backends_workers_and_rds_instances_have_their_panels(tmp_path: Path) -> None:
    rendering = render_definition_text(
        tmp_path,
        """
        environments: {dev: {}}
        services:
          web: {port: 8080, pathPatterns: ['/*']}
          api: {kind: backend, port: 9000, database: {name: api, engine: postgres}}
          mailer: {kind: worker}
        """,
        ["dev"],
    )
    dashboard = body(rendering, "dev")
    titles = [w["properties"]["title"] for w in dashboard["widgets"]]
    for service in ("web", "api", "mailer"):
        assert f"{service}: CPU and memory %" in titles
    assert "web: 5xx" in titles and "api: 5xx" not in titles  # target group metrics: web only
    connections = next(
        w for w in dashboard["widgets"] if w["properties"]["title"] == "muon-dev-api: connections"
    )
    assert connections["properties"]["metrics"][0][2:4] == ["DBInstanceIdentifier", "muon-dev-api"]


def test_functions_and_sites_have_their_panels(tmp_path: Path) -> None:
    (tmp_path / "functions" / "hook").mkdir(parents=True)
    (tmp_path / "functions" / "hook" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    (tmp_path / "docs").mkdir()
    rendering = render_definition_text(
        tmp_path,
        """
        environments: {dev: {}}
        functions:
          hook: {source: functions/hook, runtime: python3.12, handler: app.handler,
                 triggers: [{type: schedule, schedule: rate(1 hour)}]}
        sites:
          docs: {source: docs/}
        """,
        ["dev"],
    )
    dashboard = body(rendering, "dev")
    widgets = {w["properties"]["title"]: w for w in dashboard["widgets"] if w["type"] == "metric"}
    function = rendering.one("aws:lambda/function:Function").inputs["name"]
    invocations = widgets["hook: invocations, errors, throttles"]["properties"]
    assert invocations["metrics"] == [
        ["AWS/Lambda", metric, "FunctionName", function] for metric in ("Invocations", "Errors", "Throttles")
    ]
    assert widgets["hook: duration p99 (ms)"]["properties"]["stat"] == "p99"
    distribution = rendering.one("aws:cloudfront/distribution:Distribution").state["id"]
    requests = widgets["docs: requests"]["properties"]
    assert requests["metrics"] == [
        ["AWS/CloudFront", "Requests", "DistributionId", distribution, "Region", "Global"]
    ]
    assert requests["region"] == "us-east-1"  # where CloudFront publishes, whatever the stack's region
    # The function's alarms are in the alarm widget, and they are alarms the stack has.
    alarm_widget = next(w for w in dashboard["widgets"] if w["type"] == "alarm")
    shown = {arn.split(":alarm:")[1] for arn in alarm_widget["properties"]["alarms"]}
    function_alarms = {
        a.inputs["name"]
        for a in rendering.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if "hook" in a.name
    }
    assert function_alarms and function_alarms <= shown


def _render_dashboard(services: int, databases: int, alarms_per_service: int) -> Rendering:
    """The environment's dashboard alone, under mocks: ``services`` without a load balancer
    (2 widgets each), ``databases`` (2 each), every service with ``alarms_per_service`` alarms."""
    from muon.components.context import AwsContext
    from muon.components.dashboard import DatabasePanel, ServicePanel, environment_dashboard
    from muon.plan.offline import render

    def program() -> None:
        environment_dashboard(
            "dev",
            context=AwsContext(account_id="123456789012", region="us-east-1"),
            cluster_name="muon-dev",
            load_balancer_arn_suffix=None,
            services=[
                ServicePanel(
                    f"s{i:03d}",
                    f"muon-dev-s{i:03d}",
                    None,
                    tuple(f"muon-dev-s{i:03d}-alarm-{a}" for a in range(alarms_per_service)),
                )
                for i in range(services)
            ],
            databases=[DatabasePanel(f"muon-dev-db{i:03d}", "DBClusterIdentifier") for i in range(databases)],
            environment_alarm_names=("muon-dev-load-balancer-5xx",),
            opts=None,  # type: ignore[arg-type]
        )

    return render(program, config={}, stack="t")


def _boards(rendering: Rendering) -> dict[str, list[dict]]:
    return {
        r.inputs["dashboardName"]: json.loads(r.inputs["dashboardBody"])["widgets"]
        for r in rendering.of_type("aws:cloudwatch/dashboard:Dashboard")
    }


def test_more_than_100_alarms_take_several_alarm_widgets_and_count_in_the_split() -> None:
    # 3 services with 60 alarms each, and the environment's: 181 alarms, two widgets, none cut.
    (widgets,) = _boards(_render_dashboard(3, 0, 60)).values()
    alarm_widgets = [w for w in widgets if w["type"] == "alarm"]
    assert [w["properties"]["title"] for w in alarm_widgets] == ["Alarms", "Alarms (2)"]
    assert [len(w["properties"]["alarms"]) for w in alarm_widgets] == [100, 81]
    assert alarm_widgets[1]["y"] >= alarm_widgets[0]["y"] + alarm_widgets[0]["height"]  # one below the other
    # 249 services (498 widgets) and 250 alarms: three alarm widgets make 501, so the services move out.
    boards = _boards(_render_dashboard(249, 0, 1))
    assert set(boards) == {"muon-dev", "muon-dev-services-1", "muon-dev-services-2", "muon-dev-services-3"}
    assert all(len(widgets) <= 500 for widgets in boards.values())
    shown = {
        a
        for widgets in boards.values()
        for w in widgets
        if w["type"] == "alarm"
        for a in w["properties"]["alarms"]
    }
    assert len(shown) == 250


def test_an_index_that_cannot_hold_the_databases_is_refused_by_the_plan() -> None:
    from muon.plan.quotas import assess, findings

    refusals, _ = findings(assess(_render_dashboard(0, 260, 0)))
    assert len(refusals) == 1
    assert refusals[0].startswith(
        "Amazon CloudWatch 'Widgets per dashboard': 521 of 500 on dashboard muon-dev"
    )
    assert refusals[0].endswith("does not fit: split the environment in two")
