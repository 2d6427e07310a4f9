"""``--diff`` says what the replace-on-change table cannot: an index change an autoscaled table's
ignore_changes hides, a service moving to another load balancer, a protected load balancer going."""

from __future__ import annotations

import io

import pytest

from muon.plan.diff import compare, resources_of
from muon.plan.diff_report import report_changes
from muon.plan.offline import Rendering
from tests.conftest import render_definition_text

CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0000-1111-2222-333344445555"
ENVS = f"environments:\n  dev: {{}}\n  production: {{loadBalancer: {{certificateArn: '{CERTIFICATE}'}}}}\n"


def web(name: str, balancer: str | None = None, extra: str = "") -> str:
    key = f"    loadBalancer: {balancer}\n" if balancer else ""
    return f"  {name}:\n    port: 8080\n    pathPatterns: ['/{name}/*']\n{key}{extra}"


def table(indexes: str) -> str:
    return (
        "    storage:\n      tables:\n        counters:\n          partitionKey: {name: name}\n"
        "          billing: provisioned\n"
        "          capacity: {read: {min: 5, max: 50}, write: {min: 2, max: 20}}\n"
        f"          globalIndexes: {indexes}\n"
    )


SCENARIOS = {
    "base": ENVS
    + "services:\n"
    + web("apple", extra=table("{by-kind: {partitionKey: {name: kind}}}"))
    + web("cherry")
    + web("zz", "more"),
    "index added": ENVS
    + "services:\n"
    + web(
        "apple", extra=table("{by-kind: {partitionKey: {name: kind}}, by-day: {partitionKey: {name: day}}}")
    )
    + web("cherry")
    + web("zz", "more"),
    "moved": ENVS
    + "services:\n"
    + web("apple", extra=table("{by-kind: {partitionKey: {name: kind}}}"))
    + web("cherry", "more")
    + web("zz", "more"),
    "group gone": ENVS
    + "services:\n"
    + web("apple", extra=table("{by-kind: {partitionKey: {name: kind}}}"))
    + web("cherry")
    + web("zz"),
}


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendering]:
    return {
        name: render_definition_text(
            tmp_path_factory.mktemp(name.replace(" ", "-")), text, ["dev", "production"]
        )
        for name, text in SCENARIOS.items()
    }


def run(renders: dict[str, Rendering], after: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = report_changes(
        compare(resources_of(renders["base"]), resources_of(renders[after])), "HEAD", None, out, err
    )
    return code, out.getvalue(), err.getvalue()


def test_nothing_changed_says_nothing(renders: dict[str, Rendering]) -> None:
    code, out, _ = run(renders, "base")
    assert code == 0 and "Cautions" not in out


def test_an_index_added_to_an_autoscaled_table_is_not_deployed_silently(
    renders: dict[str, Rendering],
) -> None:
    table_resource = renders["base"].one(
        "aws:dynamodb/table:Table", "production-apple-storage-table-counters"
    )
    assert set(table_resource.ignore_changes) == {"readCapacity", "writeCapacity", "globalSecondaryIndexes"}
    code, out, _ = run(renders, "index added")
    assert code == 0
    lines = [line.strip() for line in out.splitlines() if "global indexes of table" in line]
    assert len(lines) == 2  # dev and production
    assert lines[0].startswith("services.apple.storage: the global indexes of table ")
    assert "`pulumi up` ignores an autoscaled table's indexes" in lines[0]


def test_a_service_moved_to_another_load_balancer_is_warned_with_the_two_steps(
    renders: dict[str, Rendering],
) -> None:
    code, out, _ = run(renders, "moved")
    assert code == 0
    lines = [
        line.strip() for line in out.splitlines() if line.strip().startswith("services.cherry.loadBalancer:")
    ]
    assert len(lines) == 2
    assert "traffic is interrupted while the move deploys" in lines[0]
    assert "add the new group, deploy, then move the service" in lines[0]
    assert not any(
        "services.apple.loadBalancer" in line or "services.zz.loadBalancer" in line
        for line in out.splitlines()
    )


def test_a_protected_load_balancer_going_is_refused_in_production_warned_in_development(
    renders: dict[str, Rendering],
) -> None:
    production = renders["base"].one("aws:lb/loadBalancer:LoadBalancer", "production-more-alb")
    assert production.inputs["enableDeletionProtection"] is True
    code, out, err = run(renders, "group gone")
    assert code == 1
    (refused,) = err.splitlines()
    assert refused.startswith("refused: environments.production: load balancer production-more-alb goes")
    assert "environments.production.loadBalancer.deletionProtection: false" in refused
    development = renders["base"].one("aws:lb/loadBalancer:LoadBalancer", "dev-more-alb")
    assert not development.inputs.get("enableDeletionProtection")  # development: nothing to say
    assert "load balancer dev-more-alb goes" not in out


def test_a_listener_rule_moved_to_another_listener_is_replaced(renders: dict[str, Rendering]) -> None:
    changes = {
        c.resource.name: c for c in compare(resources_of(renders["base"]), resources_of(renders["moved"]))
    }
    rule = changes["dev-cherry-rule"]
    assert rule.action == "replace"
    assert any(reason.startswith("listenerArn") for reason in rule.forced_by)
    assert changes["dev-apple-rule"].action == "same"
