"""``muon plan STACK --diff REF`` (issue 32, item 4): what an edit of the definition creates,
updates, replaces and deletes — stateful resources first, each with the input that replaces it —
refused in production when it loses data, warned about in development; from a git ref or a saved
plan; ``--fail-on data-loss`` for CI. And the same classification over ``pulumi preview --json``."""

from __future__ import annotations

import copy
import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from muon.plan.command import main as plan_main
from muon.plan.command import plan_document
from muon.plan.diff import Change, Resource, compare, resources_of, resources_of_document
from muon.plan.diff_report import report_changes, tags_of, verdict
from muon.plan.offline import Rendering
from muon.plan.preview import changes_of_preview, step_of_event
from tests.conftest import render_definition_text

KEY = "arn:aws:kms:us-east-1:111111111111:key/0a1b2c3d-0000-4000-8000-000000000000"
BASE: dict[str, Any] = {
    "environments": {
        "dev": {},
        "production": {"network": {"azs": 2}, "loadBalancer": {"allowPlainHttp": True}},
    },
    "services": {"banana": {"port": 8080, "pathPatterns": ["/bananas"], "database": {"name": "banana"}}},
}


def edited(change: Any) -> dict[str, Any]:
    definition = copy.deepcopy(BASE)
    change(definition)
    return definition


def database(**values: str) -> Any:
    return lambda d: d["services"]["banana"]["database"].update(values)


SCENARIOS = {
    "base": BASE,
    "database name": edited(database(name="fruit")),
    "engine": edited(database(engine="aurora-postgresql")),
    "key": edited(lambda d: d.update(keys={"data": KEY})),
    "service removed": edited(lambda d: d["services"].pop("banana")),
    "network": edited(lambda d: d["environments"]["production"]["network"].update(cidr="10.1.0.0/16")),
}


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendering]:
    return {
        name: render_definition_text(
            tmp_path_factory.mktemp(name.replace(" ", "-")), yaml.safe_dump(definition), ["dev", "production"]
        )
        for name, definition in SCENARIOS.items()
    }


def diff(renders: dict[str, Rendering], after: str) -> list[Change]:
    return compare(resources_of(renders["base"]), resources_of(renders[after]))


def judged(changes: list[Change]) -> dict[str, tuple[str, str, str]]:
    parents = {c.resource.urn: c.resource for c in changes}
    found = {}
    for change in changes:
        level = verdict(change, tags_of(change.resource, parents))
        found[change.resource.name] = (change.action, level.level, level.line)
    return found


def test_nothing_changed_is_nothing_to_do(renders: dict[str, Rendering]) -> None:
    assert {c.action for c in diff(renders, "base")} == {"same"}


def test_a_database_name_change_is_refused_in_production_and_warned_about_in_development(
    renders: dict[str, Rendering],
) -> None:
    changes = diff(renders, "database name")
    found = judged(changes)
    action, level, line = found["production-banana-database-cluster"]
    assert (action, level) == ("replace", "refused")
    assert line.startswith(
        "services.banana.database.name: databaseName 'banana' -> 'fruit' replaces it and loses the database"
    )
    assert "set services.banana.database.formerly: banana" in line
    assert found["dev-banana-database-cluster"][:2] == ("replace", "warning")
    # Whatever is made from the old cluster follows it: its instances (clusterIdentifier), a new
    # final-snapshot name (the keepers), the task definition (the endpoint in its variables).
    instance = next(c for c in changes if c.resource.name == "production-banana-database-instance-0")
    assert instance.forced_by == ("clusterIdentifier <- production-banana-database-cluster (databaseName)",)
    assert found["production-banana-database-final-snapshot"][0] == "replace"
    assert found["production-banana-task"][0] == "replace"
    # Nothing else of the database is replaced: its log groups, key and password stay.
    assert found["production-banana-database-log-audit"][0] == "same"
    assert found["production-banana-database-key-key"][0] == "same"
    out, err = io.StringIO(), io.StringIO()
    assert report_changes(changes, "main", None, out, err) == 1
    assert err.getvalue().splitlines()[0].startswith("refused: services.banana.database.name: databaseName")
    text = out.getvalue()
    assert text.index("Resources that hold data") < text.index("Other resources")
    assert "[forced by databaseName: terraform-provider-aws internal/service/rds/cluster.go]" in text


def test_an_engine_change_is_refused_in_production(renders: dict[str, Rendering]) -> None:
    found = judged(diff(renders, "engine"))
    action, level, line = found["production-banana-database-cluster"]
    assert (action, level) == ("replace", "refused")
    assert line.startswith("services.banana.database.engine: engine 'aurora-mysql' -> 'aurora-postgresql'")
    assert "migration" in line
    assert found["dev-banana-database-cluster"][:2] == ("replace", "warning")


def test_a_key_change_is_refused_in_production(renders: dict[str, Rendering]) -> None:
    found = judged(diff(renders, "key"))
    action, level, line = found["production-banana-database-cluster"]
    assert (action, level) == ("replace", "refused")
    assert line.startswith("keys.data: kmsKeyId ")
    assert f"-> '{KEY}'" in line
    # The key muon made leaves the stack but not AWS: the final snapshot stays readable.
    assert found["production-banana-database-key-key"][:2] == ("delete", "kept")
    # The backup vault is under the data key too: protected in production, so refused.
    vault = found["production-vault"]
    assert vault[:2] == ("replace", "refused") and "it is protected" in vault[2]


def test_removing_a_service_with_a_database(renders: dict[str, Rendering]) -> None:
    changes = diff(renders, "service removed")
    found = judged(changes)
    action, level, line = found["production-banana-database-cluster"]
    assert (action, level) == ("delete", "refused")  # protected: pulumi up would stop half-way
    assert "turn its deletion protection off" in line
    assert found["dev-banana-database-cluster"][:2] == ("delete", "warning")  # with a final snapshot
    assert found["dev-banana-database-key-key"][:2] == ("delete", "kept")
    assert found["production-banana-logs"][:2] == ("delete", "kept")
    assert found["dev-banana-logs"][:2] == ("delete", "warning")
    lost = sorted(c.resource.name for c in changes if c.loses_data)
    assert "production-banana-database-cluster" in lost and "dev-banana-database-password-parameter" in lost


def test_a_database_cannot_follow_its_network_into_another_vpc(renders: dict[str, Rendering]) -> None:
    changes = diff(renders, "network")
    found = judged(changes)
    assert found["production-vpc"][0] == "replace"
    subnets = next(c for c in changes if c.resource.name == "production-banana-database-subnets")
    assert subnets.action == "replace" and subnets.forced_by[0].startswith(
        "subnetIds <- production-isolated-"
    )
    action, level, line = found["production-banana-database-cluster"]
    assert (action, level) == ("replace", "refused")
    assert line.startswith(
        "environments.production.network: dbSubnetGroupName <- production-banana-database-subnets"
    )
    assert "cannot move to another VPC" in line
    # The other environment is untouched.
    assert not [c for c in changes if c.action != "same" and c.resource.name.startswith("dev-")]


def test_a_saved_plan_is_the_same_before_as_a_render(renders: dict[str, Rendering], tmp_path: Path) -> None:
    document = json.loads(json.dumps(plan_document("test", renders["base"])))
    password = renders["base"].one(
        "random:index/randomPassword:RandomPassword", "dev-banana-database-password"
    )
    assert "[secret]" in json.dumps(document) and password.state["result"] not in json.dumps(document)
    from_file = compare(resources_of_document(document), resources_of(renders["database name"]))
    in_memory = diff(renders, "database name")
    assert sorted((c.action, c.resource.urn, c.forced_by) for c in from_file) == sorted(
        (c.action, c.resource.urn, c.forced_by) for c in in_memory
    )


SMALL = """
environments:
  dev: {}
services:
  banana:
    port: 8080
    pathPatterns: [/bananas]
    database: {name: banana}
"""


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def test_diff_against_a_git_ref_from_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: muon\nruntime: python\n", encoding="utf-8")
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  muon:environments: [dev]\n  muon:images:\n"
        "    banana: 123456789012.dkr.ecr.us-east-1.amazonaws.com/muon/banana@sha256:" + "b" * 64 + "\n",
        encoding="utf-8",
    )
    (tmp_path / "muon.yaml").write_text(SMALL, encoding="utf-8")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    (tmp_path / "muon.yaml").write_text(SMALL.replace("{name: banana}", "{name: fruit}"), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    argv = ["dev", "--quiet", "--diff", "HEAD", "--fail-on", "data-loss"]
    assert plan_main(argv, out, err, project_dir=tmp_path) == 1
    text = out.getvalue()
    assert "Changes against HEAD (offline" in text
    assert "warning  replace  aws:rds/cluster:Cluster  dev-banana-database-cluster" in text
    assert err.getvalue().strip() == (
        "error: --fail-on data-loss: 1 resource(s) holding data would be replaced or deleted"
    )
    # Without --fail-on, development only warns; an unknown ref is one line.
    assert (
        plan_main(["dev", "--quiet", "--diff", "HEAD"], io.StringIO(), io.StringIO(), project_dir=tmp_path)
        == 0
    )
    err = io.StringIO()
    assert plan_main(["dev", "--diff", "no-such-ref"], io.StringIO(), err, project_dir=tmp_path) == 2
    assert err.getvalue().startswith("error: git rev-parse") and err.getvalue().count("\n") == 1


def test_fail_on_needs_a_diff() -> None:
    err = io.StringIO()
    assert plan_main(["dev", "--fail-on", "data-loss"], io.StringIO(), err) == 2
    assert err.getvalue() == "error: --fail-on data-loss needs --diff REF (see: python -m muon.plan --help)\n"


PREVIEW = Path(__file__).parent / "data" / "preview_steps.json"


def test_pulumi_preview_steps_are_judged_the_same_way() -> None:
    """A hand-written sample of ``pulumi preview --json`` (Pulumi's PreviewDigest: steps with op,
    urn, oldState/newState as apitype.ResourceV3, diffReasons, replaceReasons)."""
    document = json.loads(PREVIEW.read_text(encoding="utf-8"))
    changes = changes_of_preview(document)
    found = judged(changes)
    assert found["production-banana-database-cluster"][:2] == ("replace", "refused")
    assert found["production-banana-database-cluster"][2].startswith(
        "services.banana.database.name: databaseName 'banana' -> 'fruit'"
    )
    assert found["production-banana-logs"][:2] == ("delete", "kept")
    assert found["dev-banana-database-cluster"][:2] == ("delete", "warning")
    moved = next(c for c in changes if c.resource.name == "dev-fruit-database-key-key")
    assert (moved.action, moved.moved_from.rsplit("::", 1)[-1]) == ("same", "dev-banana-database-key-key")
    assert len(changes) == 5  # the replacement's three steps count once; the stack (a component) none
    out, err = io.StringIO(), io.StringIO()
    assert report_changes(changes, "pulumi preview", "data-loss", out, err, offline=False) == 1
    assert "Pulumi's own diff" in out.getvalue()


def test_automation_events_become_preview_steps() -> None:
    from pulumi.automation.events import OpType, StepEventMetadata, StepEventStateMetadata

    def state(urn: str) -> StepEventStateMetadata:
        return StepEventStateMetadata(
            type="aws:rds/cluster:Cluster",
            urn=urn,
            id="muon-dev-banana",
            parent="",
            provider="",
            custom=True,
            delete=False,
            protect=True,
            retain_on_delete=False,
            inputs={"databaseName": "banana", "tags": {"muon:tier": "production"}},
            outputs={},
        )

    urn = "urn:pulumi:prod::muon::muon:data:Database$aws:rds/cluster:Cluster::production-banana-database-cluster"
    step = step_of_event(
        StepEventMetadata(
            op=OpType.REPLACE,
            urn=urn,
            type="aws:rds/cluster:Cluster",
            provider="",
            old=state(urn),
            new=state(urn),
            keys=["databaseName"],
            diffs=["databaseName"],
        )
    )
    (change,) = changes_of_preview({"steps": [step]})
    assert (change.action, change.forced_by, change.before is not None and change.before.protect) == (
        "replace",
        ("databaseName",),
        True,
    )


def test_muon_preview_judges_a_saved_preview(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from muon.cli.main import app

    result = CliRunner().invoke(app, ["preview", "prod", "--steps", str(PREVIEW)])
    assert result.exit_code != 0
    assert "refused  replace  aws:rds/cluster:Cluster  production-banana-database-cluster" in result.stdout
    bad = tmp_path / "bad.json"
    bad.write_text("not json", encoding="utf-8")
    result = CliRunner().invoke(app, ["preview", "prod", "--steps", str(bad)])
    assert result.exit_code == 2 and "not the output of `pulumi preview --json`" in result.output


def test_the_documented_table_is_muons() -> None:
    """docs/change-safety.md lists every stateful type of plan/replacements.py with its inputs."""
    from muon.plan.replacements import STATEFUL

    text = (Path(__file__).parent.parent / "docs" / "change-safety.md").read_text(encoding="utf-8")
    for type_token, rule in STATEFUL.items():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{type_token}` |"))
        assert all(name in row for name in rule.forces), type_token
        assert rule.source.split(" ", 1)[1] in row, type_token


def _as_deployed_before(document: dict[str, Any], name: str, **inputs: Any) -> dict[str, Any]:
    """``document`` with the inputs of resource ``name`` as an earlier muon deployed them (None: absent)."""
    document = copy.deepcopy(document)
    entry = next(e for e in document["resources"] if e["name"] == name)
    for key, value in inputs.items():
        if value is None:
            entry["inputs"].pop(key, None)
        else:
            entry["inputs"][key] = value
    return document


@pytest.mark.parametrize(
    ("deployed", "why"),
    [
        ({"skipFinalSnapshot": True, "finalSnapshotIdentifier": None}, "skipFinalSnapshot: true"),
        ({"finalSnapshotIdentifier": None}, "names no finalSnapshotIdentifier"),
    ],
)
def test_a_database_deployed_without_a_final_snapshot_is_refused_in_every_tier(
    renders: dict[str, Rendering], deployed: dict[str, Any], why: str
) -> None:
    """The provider deletes with the skipFinalSnapshot/finalSnapshotIdentifier of the state
    (terraform-provider-aws rds/cluster.go resourceClusterDelete), so the new inputs' final
    snapshot does not count in the run that sets it: the before side decides."""
    document = json.loads(json.dumps(plan_document("test", renders["base"])))
    before = _as_deployed_before(document, "dev-banana-database-cluster", **deployed)
    after = resources_of(renders["database name"])
    assert (
        next(r for r in after if r.name == "dev-banana-database-cluster").inputs["skipFinalSnapshot"] is False
    )
    changes = compare(resources_of_document(before), after)
    action, level, line = judged(changes)["dev-banana-database-cluster"]
    assert (action, level) == ("replace", "refused")  # development too
    assert (
        f"loses the database (NO final snapshot: the deployed state {'has' if 'skip' in why else ''}" in line
    )
    assert why in line and "refused in every tier" in line and "docs/upgrading.md" in line
    out, err = io.StringIO(), io.StringIO()
    assert report_changes(changes, "before.json", None, out, err) == 1
    assert "refused  replace  aws:rds/cluster:Cluster  dev-banana-database-cluster" in out.getvalue()
    assert any(
        text.startswith("refused: services.banana.database.name:") and "NO final snapshot" in text
        for text in err.getvalue().splitlines()
    )
    assert "dev-banana-database-cluster" in {c.resource.name for c in changes if c.loses_data}
    # Removing the service deletes it the same way.
    removed = compare(resources_of_document(before), resources_of(renders["service removed"]))
    action, level, line = judged(removed)["dev-banana-database-cluster"]
    assert (action, level) == ("delete", "refused") and "NO final snapshot" in line
    # A deployed final snapshot name is what counts, whatever the new inputs say.
    named = compare(resources_of_document(document), resources_of(renders["database name"]))
    action, level, line = judged(named)["dev-banana-database-cluster"]
    assert (action, level) == ("replace", "warning") and "(RDS takes a final snapshot)" in line


def test_pulumi_preview_judges_the_final_snapshot_by_the_old_state() -> None:
    urn = "urn:pulumi:dev::muon::muon:data:Database$aws:rds/cluster:Cluster::dev-banana-database-cluster"
    tags = {"muon:tier": "development", "muon:service": "banana", "muon:environment": "dev"}
    old = {
        "urn": urn,
        "type": "aws:rds/cluster:Cluster",
        "custom": True,
        "inputs": {"databaseName": "banana", "skipFinalSnapshot": True, "tags": tags},
    }
    new = {**old, "inputs": {**old["inputs"], "databaseName": "fruit", "skipFinalSnapshot": False}}
    new["inputs"]["finalSnapshotIdentifier"] = "muon-dev-banana-final-0a1b2c3d"
    step = {"op": "replace", "urn": urn, "oldState": old, "newState": new, "replaceReasons": ["databaseName"]}
    found = judged(changes_of_preview({"steps": [step]}))["dev-banana-database-cluster"]
    assert found[:2] == ("replace", "refused")
    assert "NO final snapshot: the deployed state has skipFinalSnapshot: true" in found[2]


PIPELINE_KEY = "arn:aws:kms:us-east-1:111111111111:key/3456cdef-34cd-56ef-78ab-3456789012cd"


def test_replacing_a_retained_repository_under_its_own_name_is_refused(tmp_path: Path) -> None:
    """``keys.pipeline`` replaces the image repository (encryptionConfigurations) under the same name
    ``muon/banana``; the old one is retained, so it keeps that name in AWS and the new one cannot be
    created (RepositoryAlreadyExistsException): the plan refuses it, whatever --fail-on says."""
    from tests.test_pipeline import PIPELINE_CONFIG, pipeline_definition

    definition = pipeline_definition("[{environment: dev}]")
    (tmp_path / "base").mkdir()
    (tmp_path / "key").mkdir()
    base = render_definition_text(tmp_path / "base", definition, [], extra_config=PIPELINE_CONFIG)
    keyed = render_definition_text(
        tmp_path / "key",
        f"keys: {{pipeline: '{PIPELINE_KEY}'}}\n" + definition,
        [],
        extra_config=PIPELINE_CONFIG,
    )
    changes = compare(resources_of(base), resources_of(keyed))
    repository = next(c for c in changes if c.resource.type == "aws:ecr/repository:Repository")
    assert repository.action == "replace" and repository.forced_by == ("encryptionConfigurations",)
    assert repository.before is not None and repository.before.inputs["name"] == "muon/banana"
    assert repository.retained and not repository.loses_data
    action, level, line = judged(changes)[repository.resource.name]
    assert (action, level) == ("replace", "refused")
    assert line.startswith("keys.pipeline: encryptionConfigurations ")
    assert "keeps the name 'muon/banana' in AWS: creating the replacement fails (AlreadyExists)" in line
    assert "ECR cannot change a repository's key" in line
    out, err = io.StringIO(), io.StringIO()
    assert report_changes(changes, "HEAD", None, out, err) == 1
    assert "refused  replace  aws:ecr/repository:Repository" in out.getvalue()
    assert report_changes(changes, "HEAD", "data-loss", io.StringIO(), io.StringIO()) == 1


def test_a_replacement_under_a_new_name_leaves_the_retained_one_kept() -> None:
    """Retained and renamed (the name input changed, or Pulumi's automatic one): nothing collides."""
    old = Resource(
        urn="urn:pulumi:prod::muon::aws:cloudwatch/logGroup:LogGroup::production-banana-logs",
        type="aws:cloudwatch/logGroup:LogGroup",
        name="production-banana-logs",
        parent="",
        custom=True,
        inputs={"name": "/muon/production/banana", "tags": {"muon:tier": "production"}},
        retain=True,
    )
    renamed = Resource(**{**old.__dict__, "inputs": {**old.inputs, "name": "/muon/production/fruit"}})
    change = Change("replace", renamed, old, changed=("name",), forced_by=("name",))
    assert verdict(change, {"muon:tier": "production"}).level == "kept"
    same = Resource(**{**old.__dict__, "inputs": {**old.inputs, "logGroupClass": "INFREQUENT_ACCESS"}})
    change = Change("replace", same, old, changed=("logGroupClass",), forced_by=("logGroupClass",))
    found = verdict(change, {"muon:tier": "development"})
    assert found.level == "refused" and "keeps the name '/muon/production/banana' in AWS" in found.line


def test_parameter_groups_and_topics_replace_as_the_provider_says(renders: dict[str, Rendering]) -> None:
    """terraform-provider-aws rds/cluster_parameter_group.go, rds/parameter_group.go (family, name,
    namePrefix, description ForceNew; parameters updated in place) and sns/topic.go (name,
    namePrefix, fifoTopic ForceNew; the key and display name updated in place)."""
    from muon.plan.replacements import forcing

    groups = {
        c.resource.name: (c.action, c.forced_by)
        for c in diff(renders, "engine")
        if c.resource.type == "aws:rds/clusterParameterGroup:ClusterParameterGroup"
    }
    assert groups == {
        "dev-banana-database-parameters": ("replace", ("family",)),
        "production-banana-database-parameters": ("replace", ("family",)),
    }
    group = "aws:rds/parameterGroup:ParameterGroup"
    assert forcing(group, {"parameters", "tags"}) == []
    assert forcing(group, {"parameters", "description", "family"}) == ["family", "description"]
    topic = "aws:sns/topic:Topic"
    assert forcing(topic, {"kmsMasterKeyId", "displayName", "policy"}) == []
    assert forcing(topic, {"fifoTopic", "name"}) == ["name", "fifoTopic"]
    # sns/topic_policy.go: arn ForceNew, the policy updated in place.
    assert forcing("aws:sns/topicPolicy:TopicPolicy", {"policy"}) == []
    assert forcing("aws:sns/topicPolicy:TopicPolicy", {"arn", "policy"}) == ["arn"]


def test_an_rds_instance_keeps_its_identity_through_a_new_identifier_or_subnet_group() -> None:
    """terraform-provider-aws rds/instance.go: ``identifier`` (v5, PR #32687) and
    ``db_subnet_group_name`` update in place: the final-snapshot keepers change, the instance stays."""
    from muon.plan.replacements import forcing

    instance = "aws:rds/instance:Instance"
    assert forcing(instance, {"identifier", "dbSubnetGroupName", "finalSnapshotIdentifier"}) == []
    assert forcing("aws:rds/cluster:Cluster", {"clusterIdentifier", "dbSubnetGroupName"}) == [
        "clusterIdentifier",
        "dbSubnetGroupName",
    ]


def test_retention_counts_as_deployed_not_as_newly_declared(renders: dict[str, Rendering]) -> None:
    """Pulumi retains what the old state says is retained: a log group deployed before muon retained
    it is deleted in the run that first marks it, so the plan warns and counts the loss."""
    document = json.loads(json.dumps(plan_document("test", renders["base"])))
    entry = next(e for e in document["resources"] if e["name"] == "production-banana-logs")
    assert entry["retainOnDelete"] is True
    entry["retainOnDelete"] = False  # as an earlier muon deployed it
    changes = compare(resources_of_document(document), resources_of(renders["service removed"]))
    assert judged(changes)["production-banana-logs"][:2] == ("delete", "warning")
    assert "production-banana-logs" in {c.resource.name for c in changes if c.loses_data}
    del entry["retainOnDelete"]  # a plan file from before muon recorded it: not retained either
    changes = compare(resources_of_document(document), resources_of(renders["service removed"]))
    assert judged(changes)["production-banana-logs"][:2] == ("delete", "warning")
