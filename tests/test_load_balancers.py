"""Several load balancers per environment (issue 35): a web service names its load balancer
(``loadBalancer``), each one is built like the first (listeners, certificate, security group, DNS
record, access logs, 5xx alarm), the first keeps every resource and input, and adding a service
moves no other."""

from __future__ import annotations

import json
from typing import Any

import pytest

from muon.plan.offline import RenderedResource, Rendering
from muon.plan.quotas import assess, findings
from muon.stacks.errors import DefinitionError
from tests.conftest import Renderer, render_definition_text

DOMAIN_ENV = "environments:\n  dev: {domain: {name: dev.example.com, zone: example.com}}\n"


def web(name: str, balancer: str | None = None, extra: str = "") -> str:
    key = f"    loadBalancer: {balancer}\n" if balancer else ""
    return f"  {name}:\n    port: 8080\n    pathPatterns: ['/{name}/*']\n{key}{extra}"


def many(count: int, start: int = 0, per_balancer: int = 100) -> str:
    """``count`` web services, the first ``per_balancer`` on the first load balancer, then ``more``."""
    return "".join(
        web(f"s{index:03d}", None if index < per_balancer else "more")
        for index in range(start, start + count)
    )


def _by_name(rendering: Rendering, token: str) -> dict[str, RenderedResource]:
    return {r.name: r for r in rendering.of_type(token)}


def test_a_service_behind_a_second_load_balancer_gets_its_own_listener_name_and_logs(
    render_definition: Renderer,
) -> None:
    rendering = render_definition(
        DOMAIN_ENV + "services:\n" + web("apple") + web("cherry", "orchard", "    hosts: [cherries]\n"),
        ["dev"],
    )
    balancers = _by_name(rendering, "aws:lb/loadBalancer:LoadBalancer")
    assert set(balancers) == {"dev-alb", "dev-orchard-alb"}
    first, second = balancers["dev-alb"], balancers["dev-orchard-alb"]
    # Built like the first: same scheme, protections and settings; its own name, group and logs.
    same = ("internal", "dropInvalidHeaderFields", "desyncMitigationMode", "enableDeletionProtection")
    assert {k: second.inputs[k] for k in same} == {k: first.inputs[k] for k in same}
    assert second.inputs["name"] != first.inputs["name"] and len(second.inputs["name"]) <= 32
    groups = _by_name(rendering, "aws:ec2/securityGroup:SecurityGroup")
    assert second.inputs["securityGroups"] == [groups["dev-orchard-alb-sg"].state["id"]]
    assert groups["dev-orchard-alb-sg"].inputs["ingress"] == groups["dev-alb-sg"].inputs["ingress"]
    buckets = _by_name(rendering, "aws:s3/bucket:Bucket")
    assert second.inputs["accessLogs"]["bucket"] == buckets["dev-orchard-alb-logs-bucket"].state["bucket"]
    assert second.inputs["accessLogs"]["enabled"] is True
    listeners = _by_name(rendering, "aws:lb/listener:Listener")
    https, first_https = listeners["dev-orchard-https"], listeners["dev-https"]
    assert https.inputs["loadBalancerArn"] == second.state["arn"]
    assert https.inputs["certificateArn"] == first_https.inputs["certificateArn"]  # *.dev.example.com
    assert https.inputs["sslPolicy"] == first_https.inputs["sslPolicy"]
    assert listeners["dev-orchard-http"].inputs["defaultActions"][0]["type"] == "redirect"
    # The service: its rule on that listener, its tasks admit that load balancer, its names point there.
    rules = _by_name(rendering, "aws:lb/listenerRule:ListenerRule")
    assert rules["dev-cherry-rule"].inputs["listenerArn"] == https.state["arn"]
    assert rules["dev-apple-rule"].inputs["listenerArn"] == first_https.state["arn"]
    tasks = groups["dev-cherry-tasks-sg"].inputs["ingress"]
    assert [rule["securityGroups"] for rule in tasks] == [[groups["dev-orchard-alb-sg"].state["id"]]]
    records = {r.inputs["name"]: r for r in rendering.of_type("aws:route53/record:Record")}
    for name in ("orchard.dev.example.com", "cherries.dev.example.com"):
        assert records[name].inputs["aliases"][0]["name"] == second.state["dnsName"], name
    assert records["dev.example.com"].inputs["aliases"][0]["name"] == first.state["dnsName"]
    alarms = _by_name(rendering, "aws:cloudwatch/metricAlarm:MetricAlarm")
    assert alarms["dev-orchard-alb-5xx"].inputs["dimensions"] == {"LoadBalancer": second.state["arnSuffix"]}
    services = rendering.outputs["services"]["dev"]
    assert services["cherry"]["url"] == "https://cherries.dev.example.com/cherry/"
    assert services["apple"]["url"] == "https://dev.example.com/apple/"
    extra = rendering.outputs["environments"]["dev"]["loadBalancers"]["orchard"]
    assert extra["url"] == "https://orchard.dev.example.com"


def test_without_a_domain_a_service_is_reached_on_its_load_balancers_own_name(
    render_definition: Renderer,
) -> None:
    rendering = render_definition(
        "environments:\n  dev: {}\nservices:\n" + web("apple") + web("cherry", "orchard"), ["dev"]
    )
    second = rendering.one("aws:lb/loadBalancer:LoadBalancer", "dev-orchard-alb")
    assert (
        rendering.outputs["services"]["dev"]["cherry"]["url"] == f"http://{second.state['dnsName']}/cherry/"
    )
    assert not rendering.of_type("aws:route53/record:Record")


def test_the_101st_web_service_on_one_load_balancer_is_refused_naming_the_key(
    render_definition: Renderer,
) -> None:
    text = "environments:\n  dev: {}\nservices:\n" + many(101, per_balancer=101)
    with pytest.raises(DefinitionError) as caught:
        render_definition(text, ["dev"])
    message = str(caught.value).strip()
    assert "\n" not in message
    assert "services.s100.loadBalancer: 101 web services on the environment's first load balancer" in message
    assert "set 'loadBalancer: <name>'" in message


@pytest.mark.parametrize(
    ("services", "expected"),
    [
        (
            web("apple", "orchard", "    hosts: [dev.example.com]\n"),
            "environments.dev.domain and services.apple.hosts[0] both claim dev.example.com",
        ),
        (
            web("apple", extra="    hosts: [orchard]\n") + web("cherry", "orchard"),
            "services.cherry.loadBalancer and services.apple.hosts[0] both claim orchard.dev.example.com in "
            "environment dev: the name of a load balancer beside the first (its alias record); rename one",
        ),
    ],
)
def test_a_load_balancers_name_on_the_domain_is_its_own(
    render_definition: Renderer, services: str, expected: str
) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(DOMAIN_ENV + "services:\n" + services, ["dev"])
    assert expected in str(caught.value)


def test_a_service_behind_a_load_balancer_may_list_its_name(render_definition: Renderer) -> None:
    rendering = render_definition(
        DOMAIN_ENV + "services:\n" + web("apple") + web("cherry", "orchard", "    hosts: [orchard]\n"),
        ["dev"],
    )
    names = [r.inputs["name"] for r in rendering.of_type("aws:route53/record:Record")]
    assert names.count("orchard.dev.example.com") == 1  # the load balancer's record routes it
    rule = rendering.one("aws:lb/listenerRule:ListenerRule", "dev-cherry-rule")
    assert rule.inputs["conditions"][1] == {"hostHeader": {"values": ["orchard.dev.example.com"]}}


def test_an_attached_environment_adds_no_load_balancer(render_definition: Renderer) -> None:
    text = "environments:\n  dev: {attach: {stack: acme/platform/dev}}\nservices:\n" + web("apple", "more")
    with pytest.raises(DefinitionError) as caught:
        render_definition(text, ["dev"])
    assert str(caught.value).endswith(
        "services.apple.loadBalancer: environment dev attaches to a platform's load balancer; only the "
        "platform's own muon.yaml can add load balancers"
    )


def test_only_a_web_service_names_a_load_balancer(render_definition: Renderer) -> None:
    text = "environments:\n  dev: {}\nservices:\n  bb:\n    kind: backend\n    port: 9000\n    loadBalancer: more\n"
    with pytest.raises(DefinitionError, match=r"services\.bb\.loadBalancer: a backend service is behind no"):
        render_definition(text, ["dev"])


def _comparable(rendering: Rendering) -> dict[str, tuple[Any, ...]]:
    return {
        r.urn: (json.dumps(r.inputs, sort_keys=True, default=str), r.protect, r.dependencies, r.aliases)
        for r in rendering.resources
    }


@pytest.fixture(scope="module")
def hundred_fifty(tmp_path_factory: pytest.TempPathFactory) -> Rendering:
    text = "environments:\n  dev: {}\nservices:\n" + many(150)
    return render_definition_text(tmp_path_factory.mktemp("many"), text, ["dev"])


@pytest.mark.slow
def test_150_web_services_fit_every_load_balancer(hundred_fifty: Rendering) -> None:
    balancers = hundred_fifty.of_type("aws:lb/loadBalancer:LoadBalancer")
    assert sorted(b.name for b in balancers) == ["dev-alb", "dev-more-alb"]
    usages = {(u.quota.key, u.holder): u.used for u in assess(hundred_fifty)}
    assert usages[("alb-target-groups", "dev-alb")] == 100 and usages[("alb-rules", "dev-alb")] == 100
    assert usages[("alb-target-groups", "dev-more-alb")] == 50 and usages[("alb-rules", "dev-more-alb")] == 50
    assert findings(assess(hundred_fifty))[0] == []  # every fixed quota fits, the dashboards' too


@pytest.mark.slow
def test_a_dashboard_that_would_overflow_is_an_index_of_services_dashboards(hundred_fifty: Rendering) -> None:
    boards = {
        r.inputs["dashboardName"]: json.loads(r.inputs["dashboardBody"])["widgets"]
        for r in hundred_fifty.of_type("aws:cloudwatch/dashboard:Dashboard")
    }
    assert set(boards) == {"muon-dev", "muon-dev-services-1", "muon-dev-services-2"}
    assert all(len(widgets) <= 500 for widgets in boards.values())
    index = boards["muon-dev"]
    titles = [w["properties"].get("title") for w in index]
    assert titles[:4] == [
        "Load balancer requests", "Load balancer 5xx", "Load balancer more requests", "Load balancer more 5xx"
    ]  # fmt: skip
    assert not any(": CPU and memory %" in str(title) for title in titles)
    links = next(w for w in index if w["type"] == "text")["properties"]["markdown"]
    for board in ("muon-dev-services-1", "muon-dev-services-2"):
        assert (
            f"[{board}](https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/{board})"
            in links
        )
    first = [w["properties"]["title"] for w in boards["muon-dev-services-1"] if w["type"] == "metric"]
    assert first[0] == "s000: CPU and memory %" and first[-1] == "s099: response time p99 (s)"
    second = boards["muon-dev-services-2"]
    more = next(
        b for b in hundred_fifty.of_type("aws:lb/loadBalancer:LoadBalancer") if b.name == "dev-more-alb"
    )
    five_xx = next(w for w in second if w["properties"].get("title") == "s120: 5xx")
    assert five_xx["properties"]["metrics"][0][-1] == more.state["arnSuffix"]  # its own load balancer
    alarms = next(w for w in second if w["type"] == "alarm")["properties"]["alarms"]
    assert alarms and all("s1" in alarm for alarm in alarms)


@pytest.mark.slow
def test_the_151st_web_service_moves_no_other(hundred_fifty: Rendering, render_definition: Renderer) -> None:
    after = render_definition("environments:\n  dev: {}\nservices:\n" + many(151), ["dev"])
    old, new = _comparable(hundred_fifty), _comparable(after)
    changed = {urn for urn in old if old[urn] != new.get(urn)}
    # The services dashboard of the new one shows it; nothing else that existed changes or goes.
    assert {urn.rsplit("::", 1)[1] for urn in changed} == {"dev-dashboard-services-2"}
    added = set(new) - set(old)
    assert added and all("s150" in urn for urn in added)


@pytest.mark.slow
def test_the_first_load_balancer_is_the_same_with_or_without_a_second(render_definition: Renderer) -> None:
    text = "environments:\n  dev: {}\nservices:\n"
    alone = _comparable(render_definition(text + many(3), ["dev"]))
    with_second = _comparable(render_definition(text + many(3) + web("zz", "more"), ["dev"]))
    first = {urn: alone[urn] for urn in alone if "muon:network:LoadBalancer" in urn and "dev-more" not in urn}
    assert first and all(with_second[urn] == value for urn, value in first.items())


def test_a_service_moved_to_another_load_balancer_gets_a_new_target_group(
    render_definition: Renderer,
) -> None:
    text = "environments:\n  dev: {}\nservices:\n"
    before = render_definition(text + web("apple") + web("cherry") + web("zz", "more"), ["dev"])
    after = render_definition(text + web("apple") + web("cherry", "more") + web("zz", "more"), ["dev"])

    def groups(rendering: Rendering) -> dict[str, str]:
        return {r.name: r.inputs["name"] for r in rendering.of_type("aws:lb/targetGroup:TargetGroup")}

    # A target group serves one load balancer: the moved service's is replaced (a new name), the
    # others keep theirs.
    assert groups(after)["dev-apple-tg"] == groups(before)["dev-apple-tg"]
    assert groups(after)["dev-zz-tg"] == groups(before)["dev-zz-tg"]
    assert groups(after)["dev-cherry-tg"] != groups(before)["dev-cherry-tg"]
    listener = after.one("aws:lb/listener:Listener", "dev-more-http").state["arn"]
    assert after.one("aws:lb/listenerRule:ListenerRule", "dev-cherry-rule").inputs["listenerArn"] == listener
