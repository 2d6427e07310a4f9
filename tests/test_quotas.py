"""AWS quotas: what a rendered stack uses of each, the plan's warnings and refusals, and the
definition refusing the 101st web service of one load balancer before anything is deployed."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from muon.plan import command
from muon.plan.offline import RenderedResource, Rendering
from muon.plan.quotas import BY_KEY, QUOTAS, Usage, assess, findings, fullest
from muon.stacks.errors import DefinitionError
from tests.conftest import Renderer


def web_services(count: int, start: int = 0) -> str:
    return "".join(
        f"  s{index:03d}:\n    port: 8080\n    pathPatterns: ['/s{index:03d}/*']\n"
        for index in range(start, start + count)
    )


def definition(services: str) -> str:
    return f"environments:\n  dev: {{}}\nservices:\n{services}"


def resource(type_token: str, name: str, inputs: dict[str, Any], state: dict[str, Any]) -> RenderedResource:
    return RenderedResource(
        urn=f"urn:pulumi:test::muon::{type_token}::{name}", type=type_token, name=name, parent="",
        custom=True, inputs=inputs, masked_inputs=inputs, protect=False, ignore_changes=(), dependencies=(),
        additional_secret_outputs=(), retain_on_delete=False, delete_before_replace=False, aliases=0,
        state=state,
    )  # fmt: skip


def dashboard(widgets: int) -> Rendering:
    body = {"widgets": [{"type": "metric", "properties": {"metrics": [["AWS/ECS", "CPU"]]}}] * widgets}
    board = resource(
        "aws:cloudwatch/dashboard:Dashboard",
        "dev-dashboard",
        {"dashboardName": "muon-dev", "dashboardBody": json.dumps(body)},
        {"arn": "arn:dashboard"},
    )
    return Rendering(resources=[board])


def test_every_quota_names_its_source_default_and_remedy() -> None:
    assert len({q.key for q in QUOTAS}) == len(QUOTAS)
    for quota in QUOTAS:
        assert quota.default > 0 and quota.source and quota.remedy and quota.service
    assert (BY_KEY["alb-target-groups"].default, BY_KEY["alb-target-groups"].adjustable) == (100, False)
    assert (BY_KEY["alb-rules"].default, BY_KEY["alb-rules"].adjustable) == (100, True)
    assert (BY_KEY["event-rules"].default, BY_KEY["event-rules"].shared) == (300, True)
    assert (BY_KEY["iam-roles"].default, BY_KEY["dashboard-widgets"].default) == (1000, 500)


def test_levels_warn_at_80_percent_and_refuse_only_a_full_fixed_quota() -> None:
    fixed, raisable = BY_KEY["dashboard-widgets"], BY_KEY["alb-rules"]
    assert Usage(fixed, "d", 399).level == "ok"
    assert Usage(fixed, "d", 400).level == "warn"
    assert Usage(fixed, "d", 500).level == "warn"  # full, yet it deploys
    assert "full: one more fails the deploy" in Usage(fixed, "d", 500).message()
    assert Usage(fixed, "d", 501).level == "refuse"
    assert Usage(raisable, "lb", 101).level == "over"
    over = Usage(raisable, "lb", 101).message()
    assert "request an increase of 'Rules per Application Load Balancer' in Service Quotas" in over
    shared = Usage(BY_KEY["iam-roles"], "account", 900).message()
    assert "this stack's share only" in shared and "(90%)" in shared


def test_a_dashboard_past_500_widgets_is_refused_in_one_line() -> None:
    refusals, _ = findings(assess(dashboard(501)))
    assert refusals == [
        "Amazon CloudWatch 'Widgets per dashboard': 501 of 500 on dashboard muon-dev — the default "
        "cannot be raised; split the environment's services over several dashboards"
    ]
    assert findings(assess(dashboard(499)))[0] == []


def test_the_plan_exits_2_with_one_line_naming_a_full_fixed_quota(monkeypatch) -> None:
    monkeypatch.setattr(command, "render_stack", lambda *args, **kwargs: dashboard(501))
    out, err = io.StringIO(), io.StringIO()
    assert command.main(["dev", "--quiet"], out=out, err=err) == 2
    assert err.getvalue().count("\n") == 1
    assert err.getvalue().startswith("error: Amazon CloudWatch 'Widgets per dashboard': 501 of 500")


def test_web_services_count_against_their_load_balancer(render_definition: Renderer, tmp_path: Path) -> None:
    rendering = render_definition(definition(web_services(3)), ["dev"])
    usages = {(u.quota.key, u.holder): u.used for u in assess(rendering)}
    balancer = rendering.of_type("aws:lb/loadBalancer:LoadBalancer")[0].name
    assert usages[("alb-rules", balancer)] == 3
    assert usages[("alb-target-groups", balancer)] == 3
    assert usages[("iam-roles", "account")] == len(rendering.of_type("aws:iam/role:Role"))
    widgets = len(
        json.loads(rendering.of_type("aws:cloudwatch/dashboard:Dashboard")[0].inputs["dashboardBody"])[
            "widgets"
        ]
    )
    assert usages[("dashboard-widgets", "muon-dev")] == widgets
    event_rules = len(rendering.of_type("aws:cloudwatch/eventRule:EventRule"))
    assert usages[("event-rules", "default")] == event_rules > 0
    assert {u.quota.key for u in fullest(assess(rendering))} >= {"alb-rules", "iam-roles", "event-rules"}


def test_plan_quotas_prints_the_table_and_writes_it_to_json(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    out, err = io.StringIO(), io.StringIO()
    assert command.main(["dev", "--quiet", "--quotas", "--json", str(target)], out=out, err=err) == 0
    text = out.getvalue()
    assert "AWS quotas (default values" in text
    assert "Target Groups per Application Load Balancer [load balancer: dev-alb; fixed]" in text
    assert "Roles per account [account; raisable, shared by the account]" in text
    quotas = json.loads(target.read_text())["quotas"]
    assert quotas["accountUsageRead"] is False
    rules = next(q for q in quotas["quotas"] if q["key"] == "alb-rules")
    assert (rules["default"], rules["adjustable"], rules["used"], rules["holder"]) == (
        100,
        True,
        1,
        "dev-alb",
    )


def test_the_101st_web_service_on_one_load_balancer_is_refused_before_anything_is_declared(
    render_definition: Renderer,
) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(definition(web_services(101)), ["dev"])
    message = str(caught.value)
    assert "\n" not in message.strip()
    assert "services.s100.loadBalancer: 101 web services on the environment's first load balancer" in message
    assert "'Target Groups per Application Load Balancer', which AWS cannot raise" in message


@pytest.mark.slow
def test_backends_do_not_count_against_the_load_balancer(render_definition: Renderer) -> None:
    backends = "".join(f"  b{index:03d}:\n    kind: backend\n    port: 9000\n" for index in range(5))
    rendering = render_definition(definition(web_services(100) + backends), ["dev"])
    balancer = rendering.of_type("aws:lb/loadBalancer:LoadBalancer")[0].name
    usages = {(u.quota.key, u.holder): u for u in assess(rendering)}
    assert usages[("alb-target-groups", balancer)].used == 100
    assert usages[("alb-target-groups", balancer)].level == "warn"  # full: it deploys, one more would not
    assert findings(assess(rendering))[0] == []  # 100 web services fit every fixed quota


def _routing(rendering: Rendering) -> dict[str, tuple[str, Any]]:
    return {
        rule.name: (str(rule.inputs["listenerArn"]), rule.inputs["priority"])
        for rule in rendering.of_type("aws:lb/listenerRule:ListenerRule")
    }


def test_adding_one_service_moves_no_other_services_load_balancer_priority_or_urn(
    render_definition: Renderer,
) -> None:
    before = render_definition(definition(web_services(6)), ["dev"])
    after = render_definition(definition(web_services(7)), ["dev"])
    assert {k: v for k, v in _routing(after).items() if k != "dev-s006-rule"} == _routing(before)
    assert {r.urn for r in before.resources} < {r.urn for r in after.resources}
    added = {r.urn for r in after.resources} - {r.urn for r in before.resources}
    assert all("s006" in urn for urn in added if "dashboard" not in urn)
