"""Renames without loss (issue 32, item 2): ``formerly`` on a service, a database name and an
environment. Each is rendered before and after the edit and judged by the offline diff
(``plan/diff.py``): what moves by alias, what keeps its AWS name, what is replaced or deleted."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from muon.plan.diff import Change, compare, resources_of
from muon.plan.diff_report import tags_of, verdict
from muon.plan.mocks import MuonMocks
from muon.plan.offline import Rendering
from tests.conftest import definition_error, render_definition_text

BASE: dict[str, Any] = {
    "environments": {
        "dev": {},
        "production": {"network": {"azs": 2}, "loadBalancer": {"allowPlainHttp": True}},
    },
    "services": {
        "banana": {
            "port": 8080,
            "pathPatterns": ["/bananas"],
            "database": {"name": "banana"},
            "environment": {
                "PROFILE": {"dev": "development", "production": "live"},
                "DB_NAME": "${DatabaseName}",
            },
            "environments": {"dev": {"cpu": 512, "memory": 1024}},
        },
        "mailer": {"kind": "worker"},
    },
}
ENVIRONMENTS = ["dev", "production"]


def edited(change: Any) -> dict[str, Any]:
    definition = copy.deepcopy(BASE)
    change(definition)
    return definition


def renamed_services(definition: dict[str, Any], *, formerly: bool) -> None:
    services = definition["services"]
    services["fruit"] = services.pop("banana")
    services["post"] = services.pop("mailer")
    if formerly:
        services["fruit"]["formerly"] = "banana"
        services["post"]["formerly"] = "mailer"


def renamed_environment(definition: dict[str, Any], *, formerly: bool) -> None:
    environments = definition["environments"]
    environments["staging"] = {**environments.pop("dev"), **({"formerly": "dev"} if formerly else {})}
    banana = definition["services"]["banana"]
    banana["environments"] = {"staging": banana["environments"]["dev"]}
    banana["environment"]["PROFILE"] = {"staging": "development", "production": "live"}


SCENARIOS = {
    "base": (BASE, ENVIRONMENTS),
    "services renamed": (edited(lambda d: renamed_services(d, formerly=True)), ENVIRONMENTS),
    "services renamed, no formerly": (edited(lambda d: renamed_services(d, formerly=False)), ENVIRONMENTS),
    "database renamed": (
        edited(lambda d: d["services"]["banana"]["database"].update(name="fruit", formerly="banana")),
        ENVIRONMENTS,
    ),
    "environment renamed": (
        edited(lambda d: renamed_environment(d, formerly=True)),
        ["staging", "production"],
    ),
    "environment renamed, no formerly": (
        edited(lambda d: renamed_environment(d, formerly=False)),
        ["staging", "production"],
    ),
}


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendering]:
    found = {}
    for name, (definition, environments) in SCENARIOS.items():
        folder = tmp_path_factory.mktemp(name.replace(" ", "-").replace(",", ""))
        found[name] = render_definition_text(folder, yaml.safe_dump(definition), environments)
    return found


def diff(renders: dict[str, Rendering], after: str) -> list[Change]:
    return compare(resources_of(renders["base"]), resources_of(renders[after]))


def verdicts(changes: list[Change]) -> dict[str, tuple[str, str, str]]:
    """Resource name → (action, verdict level, line), for the changes worth a word."""
    parents = {c.resource.urn: c.resource for c in changes}
    found = {}
    for change in changes:
        judged = verdict(change, tags_of(change.resource, parents))
        if change.action != "same" or judged.level:
            found[change.resource.name] = (change.action, judged.level, judged.line)
    return found


def test_a_renamed_service_moves_every_resource_by_an_alias_naming_its_old_urn(
    renders: dict[str, Rendering],
) -> None:
    before, after = renders["base"], renders["services renamed"]
    old_urns = {r.urn for r in before.resources}
    for resource in after.resources:
        old_name = resource.name.replace("-fruit", "-banana").replace("-post", "-mailer")
        # Which earlier resource each alias finds (pulumi-aws adds aliases of its own for types it
        # renamed, e.g. aws:elasticloadbalancingv2 → aws:lb, which find none here).
        found = set(resource.moved_from) & old_urns
        if old_name == resource.name:
            assert found == set(), resource.name  # nothing else moves
            continue
        # Exactly the old URN: same parent types and type, the old name (components/moving.py).
        assert found == {resource.urn.replace(f"::{resource.name}", f"::{old_name}")}, resource.name
    moved = {u for r in after.resources for u in r.moved_from}
    gone = {r.urn for r in before.resources} - {r.urn for r in after.resources} - moved
    assert gone == set()  # every resource of banana and mailer moved: none is deleted
    assert {r.name for r in after.resources if r.moved_from and r.type == "muon:data:Database"} == {
        "dev-fruit-database",
        "production-fruit-database",
    }


def test_a_renamed_service_keeps_the_aws_names_of_its_data(renders: dict[str, Rendering]) -> None:
    before, after = renders["base"], renders["services renamed"]
    for environment in ("dev", "production"):
        cluster = after.one("aws:rds/cluster:Cluster", f"{environment}-fruit-database-cluster").inputs
        old = before.one("aws:rds/cluster:Cluster", f"{environment}-banana-database-cluster").inputs
        assert cluster["clusterIdentifier"] == old["clusterIdentifier"] == f"muon-{environment}-banana"
        assert cluster["databaseName"] == "banana"
        parameter = after.one(
            "aws:ssm/parameter:Parameter", f"{environment}-fruit-database-password-parameter"
        )
        assert parameter.inputs["name"] == f"/muon/{environment}/banana/database/password"
        alias = after.one("aws:kms/alias:Alias", f"{environment}-fruit-database-key-alias")
        assert alias.inputs["name"] == f"alias/muon/{environment}/banana/database"
        queue = after.one("aws:sqs/queue:Queue", f"{environment}-post-queue")
        assert queue.inputs["name"] == f"muon-{environment}-mailer"
        # What is the service's own takes the new name.
        service = after.one("aws:ecs/service:Service", f"{environment}-fruit-service")
        assert service.inputs["name"] == f"muon-{environment}-fruit"
    assert any("services.fruit.formerly" in note for note in after.notes)


def test_a_renamed_service_loses_no_data(renders: dict[str, Rendering]) -> None:
    judged = verdicts(diff(renders, "services renamed"))
    for environment in ("dev", "production"):
        for role in (
            "database-cluster",
            "database-key-key",
            "database-password-parameter",
            "database-log-audit",
        ):
            assert judged[f"{environment}-fruit-{role}"][:2] == ("same", "moved"), role
        # The queue keeps its name and messages; only its muon:service tag follows the new name.
        assert judged[f"{environment}-post-queue"][:2] == ("update", "moved")
        # The ECS service takes its new name: AWS replaces it (no data in it).
        assert judged[f"{environment}-fruit-service"][0] == "replace"
    # The service's own log group takes its new name too: production keeps the old one, development
    # says it goes.
    assert judged["production-fruit-logs"][:2] == ("replace", "kept")
    assert judged["dev-fruit-logs"][:2] == ("replace", "warning")
    assert not [name for name, (action, _, _) in judged.items() if action == "delete"]


def test_a_service_renamed_without_formerly_is_refused_in_production(renders: dict[str, Rendering]) -> None:
    judged = verdicts(diff(renders, "services renamed, no formerly"))
    action, level, line = judged["production-banana-database-cluster"]
    assert (action, level) == ("delete", "refused")
    assert line.startswith("services.banana: gone from the definition, but it is protected")
    assert "formerly" in line
    assert judged["dev-banana-database-cluster"][:2] == ("delete", "warning")  # a final snapshot is taken
    assert judged["dev-mailer-queue"][:2] == ("delete", "warning")
    # Keys are retained: what they encrypted (the final snapshot) stays readable.
    assert judged["dev-banana-database-key-key"][:2] == ("delete", "kept")
    assert judged["dev-fruit-database-cluster"][0] == "create"


def test_a_renamed_service_starts_with_the_image_the_old_one_runs(tmp_path: Path) -> None:
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/muon/banana@sha256:" + "c" * 64
    mocks = MuonMocks()
    mocks.deployed_images = {"muon-dev-banana": image}
    definition = edited(lambda d: renamed_services(d, formerly=True))
    rendering = render_definition_text(
        tmp_path, yaml.safe_dump(definition), ["dev"], mocks=mocks, delivered=False
    )
    containers = rendering.one("aws:ecs/taskDefinition:TaskDefinition", "dev-fruit-task").json(
        "containerDefinitions"
    )
    assert containers[0]["image"] == image
    assert rendering.one("aws:ecs/service:Service", "dev-fruit-service").inputs["desiredCount"] == 1


def test_database_formerly_keeps_the_cluster_and_gives_the_service_the_new_name(
    renders: dict[str, Rendering],
) -> None:
    after = renders["database renamed"]
    for environment in ("dev", "production"):
        cluster = after.one("aws:rds/cluster:Cluster", f"{environment}-banana-database-cluster")
        assert cluster.inputs["databaseName"] == "banana"  # what RDS created the cluster with
        task = after.one("aws:ecs/taskDefinition:TaskDefinition", f"{environment}-banana-task")
        variables = {v["name"]: v["value"] for v in task.json("containerDefinitions")[0]["environment"]}
        assert variables["DB_NAME"] == "fruit"  # the application's, created or renamed inside the engine
    judged = verdicts(diff(renders, "database renamed"))
    assert "dev-banana-database-cluster" not in judged and "production-banana-database-cluster" not in judged


def test_environment_formerly_deploys_it_under_its_former_name(renders: dict[str, Rendering]) -> None:
    changes = diff(renders, "environment renamed")
    assert {c.action for c in changes} == {"same"}  # every URN, input and option as before
    assert renders["environment renamed"].outputs["environments"].keys() == {"dev", "production"}
    assert renders["environment renamed"].notes == [
        "environments.staging.formerly: 'staging' is deployed as 'dev': every resource keeps its name and "
        "identity (keep formerly)"
    ]


def test_environment_renamed_without_formerly_loses_its_data(renders: dict[str, Rendering]) -> None:
    changes = diff(renders, "environment renamed, no formerly")
    judged = verdicts(changes)
    assert judged["dev-banana-database-cluster"][:2] == ("delete", "warning")
    assert judged["dev-mailer-queue"][:2] == ("delete", "warning")
    assert judged["dev-key"][:2] == ("delete", "kept")
    assert judged["staging-banana-database-cluster"][0] == "create"
    # The other environment is untouched.
    assert not [c for c in changes if c.action != "same" and c.resource.name.startswith("production-")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "services: {aa: {port: 80, pathPatterns: [/a], formerly: bb}, bb: {port: 80, pathPatterns: [/b]}}",
            "services.aa.formerly: 'bb' is still in services",
        ),
        (
            "services: {aa: {port: 80, pathPatterns: [/a], formerly: cc}, bb: {port: 80, pathPatterns: [/b], "
            "formerly: cc}}",
            "services.bb.formerly: 'cc' is already the former name of services.aa",
        ),
        (
            "services: {aa: {port: 80, pathPatterns: [/a], formerly: aa}}",
            "services.aa.formerly: 'aa' is this one's own name",
        ),
    ],
)
def test_a_rename_names_a_name_no_longer_in_use(text: str, expected: str) -> None:
    assert expected in definition_error(f"environments: {{dev: {{}}}}\n{text}\n")


def test_an_environment_cannot_have_been_one_that_still_exists() -> None:
    message = definition_error("environments: {dev: {formerly: test}, test: {}}\n")
    assert "environments.dev.formerly: 'test' is still in environments" in message
