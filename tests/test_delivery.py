"""Delivery from a fresh account: the delivery stack, the zero-task bootstrap, image promotion and
protection, local builds, cross-account pulls, and the bad inputs that would break any of them."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from muon.components.registry import DEPLOYED_TAG_PREFIX
from muon.components.service_args import AWAITING_IMAGE
from muon.plan.command import main as plan_main
from muon.plan.offline import Rendering
from muon.stacks.errors import DefinitionError
from tests.conftest import PROJECT_DIR, render_repository_stack
from tests.test_pipeline import PIPELINE_CONFIG, pipeline_definition, policy_of, render_pipeline

BANANA = "environments: {dev: {}, production: {}}\nservices:\n  banana:\n    port: 8080\n    pathPatterns: [/bananas]\n"


@pytest.fixture(scope="module")
def bootstrap() -> dict[str, Rendering]:
    """dev and prod as a first `pulumi up` renders them: the stack files as they are, no image."""
    return {stack: render_repository_stack(stack, delivered=False) for stack in ("dev", "prod")}


def test_repositories_live_in_the_delivery_stack_only(
    delivery: Rendering, dev: Rendering, prod: Rendering
) -> None:
    (repository,) = delivery.of_type("aws:ecr/repository:Repository")
    assert repository.inputs["name"] == "muon/banana"
    assert delivery.outputs["repositories"] == {"banana": repository.state["repositoryUrl"]}
    assert dev.of_type("aws:ecr/repository:Repository") == prod.of_type("aws:ecr/repository:Repository") == []
    assert prod.of_type("aws:codepipeline/pipeline:Pipeline") == []
    assert delivery.of_type("aws:ecs/service:Service") == []  # the delivery stack deploys no environment


def test_first_up_without_an_image_starts_nothing_and_says_so(bootstrap: dict[str, Rendering]) -> None:
    for stack, environment in (("dev", "dev"), ("prod", "production")):
        rendering = bootstrap[stack]
        (service,) = rendering.of_type("aws:ecs/service:Service")
        assert service.inputs["desiredCount"] == 0
        target = rendering.one("aws:appautoscaling/target:Target")
        # Held at zero both ways: no alarm or schedule can start a task before an image exists.
        assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (0, 0)
        assert rendering.of_type("aws:appautoscaling/scheduledAction:ScheduledAction") == []
        (container,) = rendering.one("aws:ecs/taskDefinition:TaskDefinition").json("containerDefinitions")
        assert container["image"] == AWAITING_IMAGE
        assert AWAITING_IMAGE.split("/")[0].endswith(".invalid")  # a registry that never resolves
        assert rendering.warnings == [
            f"service 'banana' in {environment} has no image yet: it is created with 0 tasks; the pipeline's "
            "first run (or muon:images.banana in the stack config) will start it"
        ]


def test_with_an_image_the_counts_are_the_normal_ones(dev: Rendering, prod: Rendering) -> None:
    for rendering, minimum in ((dev, 1), (prod, 2)):
        assert rendering.one("aws:ecs/service:Service").inputs["desiredCount"] == minimum
        target = rendering.one("aws:appautoscaling/target:Target").inputs
        assert (target["minCapacity"], target["maxCapacity"]) == (minimum, 20)
        assert rendering.warnings == []


def test_the_plan_command_renders_the_delivery_stack() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert plan_main(["pipeline", "--quiet"], out, err, project_dir=PROJECT_DIR) == 0, err.getvalue()
    assert "aws:codepipeline/pipeline:Pipeline" in out.getvalue()
    assert "aws:ecr/repository:Repository" in out.getvalue()
    assert "0 open" in out.getvalue()


# -- repositories that never lose a running image ------------------------------------------------


@dataclass
class Image:
    tags: list[str]
    age_days: int


def expired(rules: list[dict], images: list[Image]) -> set[int]:
    """ECR's documented lifecycle evaluation (Amazon ECR user guide, "Lifecycle policy evaluation
    rules"): rules apply by priority; an image matched by a rule's tag selection cannot be expired
    by any rule of lower priority; count rules keep the newest images."""
    gone: set[int] = set()
    claimed: set[int] = set()
    for rule in sorted(rules, key=lambda r: r["rulePriority"]):
        selection = rule["selection"]
        status = selection["tagStatus"]
        matched = [
            i
            for i, image in enumerate(images)
            if i not in claimed
            and (
                status == "any"
                or (status == "untagged" and not image.tags)
                or (
                    status == "tagged"
                    and all(any(t.startswith(p) for t in image.tags) for p in selection["tagPrefixList"])
                )
            )
        ]
        if selection["countType"] == "imageCountMoreThan":
            newest_first = sorted(matched, key=lambda i: images[i].age_days)
            gone |= set(newest_first[selection["countNumber"] :])
        else:
            gone |= {i for i in matched if images[i].age_days > selection["countNumber"]}
        claimed |= set(matched)
    return gone


def test_no_lifecycle_rule_can_expire_an_image_an_environment_runs(delivery: Rendering) -> None:
    rules = json.loads(delivery.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])["rules"]
    protecting = min(rules, key=lambda r: r["rulePriority"])
    assert protecting["selection"]["tagPrefixList"] == [DEPLOYED_TAG_PREFIX]
    # The deploy step leaves at most keepDeployed (10) tagged per environment (2 here).
    assert protecting["selection"]["countNumber"] >= 10 * 2 * 10
    assert [r for r in rules if r is not protecting and r["rulePriority"] <= protecting["rulePriority"]] == []
    # Two years of daily deploys to dev, production running a year-old build, layers untagged.
    images = [Image([f"c{n}", f"{DEPLOYED_TAG_PREFIX}dev-{n}"], n) for n in range(10)]
    images += [Image([f"c{n}"], n) for n in range(10, 730)]
    images.append(Image(["old", f"{DEPLOYED_TAG_PREFIX}production-1"], 365))
    images.append(Image([], 3))
    gone = expired(rules, images)
    assert not any(any(t.startswith(DEPLOYED_TAG_PREFIX) for t in images[i].tags) for i in gone)
    assert len(images) - 1 in gone  # an untagged layer goes after a day
    assert {i for i in range(10, 730) if images[i].age_days > 30} <= gone  # builds nobody ran
    assert 20 not in gone  # a recent build still waits for its deploy


def test_repositories_are_immutable_scanned_and_encrypted_with_their_own_key(delivery: Rendering) -> None:
    repository = delivery.one("aws:ecr/repository:Repository").inputs
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["imageScanningConfiguration"] == {"scanOnPush": True}
    key = delivery.one("aws:kms/key:Key", "registry-key-key")
    assert repository["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": key.state["arn"]}]
    assert key.inputs["enableKeyRotation"] is True
    assert delivery.of_type("aws:ecr/repositoryPolicy:RepositoryPolicy") == []  # one account: no policy


# -- cross-account environments --------------------------------------------------------------------


def test_cross_account_stages_pull_from_the_delivery_repositories(render_definition) -> None:
    role = "arn:aws:iam::222222222222:role/muon-deploy"
    rendering = render_pipeline(
        render_definition,
        pipeline_definition(
            f"[{{environment: dev}}, {{environment: production, roleArn: '{role}'}}]",
            extra="  registry: {organizationId: o-abcdefghij}\n",
        ),
    )
    policy = rendering.one("aws:ecr/repositoryPolicy:RepositoryPolicy").json("policy")
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"AWS": ["arn:aws:iam::222222222222:root"]}
    assert statement["Action"] == [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    ]
    # Only muon's execution roles (their IAM path), only inside the organization.
    assert statement["Condition"] == {
        "ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::222222222222:role/muon/*"]},
        "StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"},
    }
    # The Pulumi CLI keeps its state and secrets key in this account, whatever role deploys.
    for project in ("deploy", "update"):
        statements = {s["Sid"]: s for s in policy_of(rendering, f"pipeline-{project}-policy").values()}
        assert statements["PulumiState"]["Resource"] == "arn:aws:s3:::acme-pulumi-state/*"
        assert statements["PulumiStateBucket"]["Resource"] == "arn:aws:s3:::acme-pulumi-state"
        assert statements["PulumiSecrets"]["Resource"] == "arn:aws:kms:us-east-1:123456789012:key/*"
        assert statements["PulumiSecrets"]["Condition"] == {
            "ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/muon-pulumi"}
        }


def test_a_stage_in_an_account_the_repositories_do_not_admit_is_refused(render_definition) -> None:
    role = "arn:aws:iam::333333333333:role/muon-deploy"
    with pytest.raises(DefinitionError) as caught:
        render_pipeline(
            render_definition,
            pipeline_definition(
                f"[{{environment: dev, roleArn: '{role}'}}]",
                extra="  registry: {pullAccounts: ['222222222222']}\n",
            ),
        )
    assert str(caught.value).endswith(
        "muon.yaml: pipeline.stages[0].roleArn: account 333333333333 cannot pull the pipeline's images: "
        "pipeline.registry.pullAccounts admits only 222222222222"
    )


def test_an_environment_in_another_account_pulls_by_the_image_reference(render_definition) -> None:
    image = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/muon/banana@sha256:" + "e" * 64
    rendering = render_definition(BANANA, ["dev"], extra_config={"muon:images": {"banana": image}})
    statements = {
        s["Sid"]: s
        for s in rendering.one("aws:iam/rolePolicy:RolePolicy", "dev-banana-execution-policy").json("policy")[
            "Statement"
        ]
    }
    assert (
        statements["PullOwnImage"]["Resource"] == "arn:aws:ecr:eu-west-1:111111111111:repository/muon/banana"
    )


# -- local builds ----------------------------------------------------------------------------------


def write_app(root: Path) -> None:
    (root / "app").mkdir()
    (root / "app" / "Dockerfile").write_text("FROM scratch\n")
    (root / "app" / "main.py").write_text("print('hi')\n")


def test_a_service_with_build_is_built_pushed_and_run_by_digest(
    tmp_path: Path, render_definition, monkeypatch: pytest.MonkeyPatch
) -> None:
    from muon.stacks.resolve import stack as preparation

    monkeypatch.setattr(preparation, "PROJECT_DIR", tmp_path)  # where Pulumi runs the program
    write_app(tmp_path)
    rendering = render_definition(
        BANANA + "    build: {context: app, target: runtime, args: {VERSION: '1.2'}}\n", ["dev"]
    )
    repository = rendering.one("aws:ecr/repository:Repository")
    assert repository.inputs["name"] == "muon/dev/banana"
    built = rendering.one("docker-build:index:Image").inputs
    # Relative to the project folder, where the provider runs: the same in every checkout.
    assert built["context"] == {"location": "app"}
    assert built["dockerfile"] == {"location": "app/Dockerfile"}
    assert (built["target"], built["buildArgs"]) == ("runtime", {"VERSION": "1.2"})
    assert built["platforms"] == ["linux/amd64"]  # what the task definition declares
    assert built["push"] is True and built["buildOnPreview"] is False
    (tag,) = built["tags"]
    assert tag.startswith(f"{repository.state['repositoryUrl']}:{DEPLOYED_TAG_PREFIX}dev-")
    assert built["registries"][0]["password"] == "offline-registry-token"
    (container,) = rendering.one("aws:ecs/taskDefinition:TaskDefinition").json("containerDefinitions")
    image = rendering.one("docker-build:index:Image").state
    assert container["image"] == f"{repository.state['repositoryUrl']}@{image['digest']}"
    policy = rendering.one("aws:iam/rolePolicy:RolePolicy", "dev-banana-execution-policy").json("policy")
    pulls = next(s for s in policy["Statement"] if s["Sid"] == "PullOwnImage")
    assert pulls["Resource"] == repository.state["arn"]
    assert rendering.warnings == []


def test_a_changed_source_gets_a_new_tag_an_unchanged_one_the_same(tmp_path: Path, render_definition) -> None:
    write_app(tmp_path)
    definition = BANANA + "    build: {context: app}\n"

    def tag() -> str:
        return render_definition(definition, ["dev"]).one("docker-build:index:Image").inputs["tags"][0]

    first = tag()
    assert tag() == first
    (tmp_path / "app" / "main.py").write_text("print('changed')\n")
    assert tag() != first
    (tmp_path / "app" / ".dockerignore").write_text("notes.txt\n")
    ignored = tag()
    (tmp_path / "app" / "notes.txt").write_text("ignored by docker\n")
    assert tag() == ignored


def _checkout(root: Path, definition: str) -> Path:
    """A checkout of a project with a local build: its stack file, definition and app."""
    root.mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: muon\nruntime: python\n", encoding="utf-8")
    (root / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  muon:environments: [dev]\n", encoding="utf-8"
    )
    (root / "muon.yaml").write_text(definition, encoding="utf-8")
    (root / "app").mkdir()
    (root / "app" / "Dockerfile").write_text("FROM scratch\nCOPY main.py /\n", encoding="utf-8")
    (root / "app" / "main.py").write_text("print('hi')\n", encoding="utf-8")
    return root


def _build_inputs(checkout: Path, monkeypatch: pytest.MonkeyPatch, deployed: str | None = None) -> dict:
    """The build resource's inputs as `pulumi up` in ``checkout`` sends them (``deployed``: the
    image the service runs, after an earlier deploy)."""
    from muon.plan.mocks import MuonMocks
    from muon.plan.offline import render
    from muon.stacks import compose as program
    from muon.stacks.definition.stack_config import read_stack_file

    monkeypatch.chdir(checkout)  # Pulumi runs the program (and the provider) in the project folder
    mocks = MuonMocks()
    if deployed:
        mocks.deployed_images["muon-dev-banana"] = deployed
    rendering = render(
        lambda: program.run(), config=read_stack_file(checkout, "dev"), stack="dev", mocks=mocks
    )
    (image,) = rendering.of_type("docker-build:index:Image")
    return image.inputs


def test_a_build_gets_the_same_inputs_from_any_checkout_and_after_any_deploy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The provider rebuilds on any changed input and pushes the same tag again, which the
    immutable repository refuses: a second `pulumi up` of an unchanged source must change nothing."""
    definition = BANANA + "    build: {context: app, args: {VERSION: '1'}}\n"
    first = _build_inputs(_checkout(tmp_path / "laptop" / "muon", definition), monkeypatch)
    elsewhere = _build_inputs(_checkout(tmp_path / "ci" / "build-4711" / "src", definition), monkeypatch)
    assert first == elsewhere
    assert (first["context"], first["dockerfile"]) == ({"location": "app"}, {"location": "app/Dockerfile"})
    # After the first deploy the service runs the built image: the next `up` sees the same inputs.
    repository = first["tags"][0].rsplit(":", 1)[0]
    again = _build_inputs(
        tmp_path / "laptop" / "muon", monkeypatch, deployed=f"{repository}@sha256:{'c' * 64}"
    )
    assert again == first
    assert "cacheFrom" not in first and "cacheTo" not in first
    # A changed source still changes the tag (and so rebuilds under a new, unused tag).
    (tmp_path / "laptop" / "muon" / "app" / "main.py").write_text("print('changed')\n", encoding="utf-8")
    assert _build_inputs(tmp_path / "laptop" / "muon", monkeypatch)["tags"] != first["tags"]


def test_the_pipeline_builds_a_service_where_its_build_says(tmp_path: Path, render_definition) -> None:
    write_app(tmp_path)
    definition = pipeline_definition("[{environment: dev}]").replace(
        "pathPatterns: [/bananas]}", "pathPatterns: [/bananas], build: {context: app}}"
    )
    rendering = render_pipeline(render_definition, definition)
    image = next(
        p for p in rendering.of_type("aws:codebuild/project:Project") if p.inputs["name"].endswith("-image")
    )
    script = "\n".join(yaml.safe_load(image.inputs["source"]["buildspec"])["phases"]["build"]["commands"])
    assert '-f "app/Dockerfile"' in script and script.endswith(">> images.tsv")
    assert rendering.of_type("docker-build:index:Image") == []  # the pipeline stack builds nothing itself


# -- bad input --------------------------------------------------------------------------------------


def one_line(error: DefinitionError) -> str:
    assert len(error.problems) == 1
    assert "Traceback" not in str(error)
    return error.problems[0]


def test_a_pipeline_stack_with_environments_is_refused(render_definition) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(
            pipeline_definition("[{environment: dev}]"),
            ["dev"],
            extra_config=PIPELINE_CONFIG,
            delivered=False,
        )
    line = one_line(caught.value)
    assert line.startswith("Pulumi.test.yaml: muon:pipeline: a pipeline stack deploys no environment")
    assert "Pulumi.pipeline.yaml" in line


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        ("{context: missing}", "services.banana.build.context: missing does not exist"),
        (
            "{context: app, dockerfile: Dockerfile.other}",
            "services.banana.build.dockerfile: Dockerfile.other is outside the build context app",
        ),
        ("{context: app, dockerfile: app/Nope}", "services.banana.build.dockerfile: app/Nope does not exist"),
        ("{context: /etc}", "services.banana.build.context: expected a relative path inside the project"),
    ],
)
def test_bad_builds_are_one_line(tmp_path: Path, render_definition, build: str, expected: str) -> None:
    write_app(tmp_path)
    (tmp_path / "Dockerfile.other").write_text("FROM scratch\n")
    with pytest.raises(DefinitionError) as caught:
        render_definition(BANANA + f"    build: {build}\n", ["dev"])
    assert expected in one_line(caught.value)


def test_image_and_build_together_are_refused(tmp_path: Path, render_definition) -> None:
    write_app(tmp_path)
    with pytest.raises(DefinitionError) as caught:
        render_definition(BANANA + "    image: nginx:1.27\n    build: {context: app}\n", ["dev"])
    assert one_line(caught.value).endswith(
        "services.banana.build: give either image (built elsewhere) or build (built here), not both"
    )


# -- the sample application ------------------------------------------------------------------------

EXAMPLE = PROJECT_DIR / "examples" / "banana"


@pytest.mark.slow
def test_the_sample_app_answers_on_its_path(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "PORT": str(port),
        "SPRING_PROFILES_ACTIVE": "dev",
        "SPRING_DATASOURCE_URL": "jdbc:mysql://db.internal:3306/banana",
    }
    app = subprocess.Popen(
        [sys.executable, str(EXAMPLE / "app.py")], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        # It says so once it listens: waited for, not polled against a clock a busy machine outlasts.
        assert app.stdout is not None and app.stdout.readline() == f"banana listening on {port}\n".encode()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/bananas", timeout=60) as response:
            body = json.loads(response.read())
        assert "Cavendish" in body["bananas"]
        assert (body["environment"], body["database"]) == ("dev", "db.internal")
    finally:
        app.terminate()  # SIGTERM, as ECS sends it: the app stops cleanly
        assert app.wait(timeout=60) == 0


def test_the_sample_app_is_what_the_definition_and_pipeline_use() -> None:
    definition = yaml.safe_load((PROJECT_DIR / "muon.yaml").read_text())
    banana = definition["services"]["banana"]
    dockerfile = (EXAMPLE / "Dockerfile").read_text()
    assert f"EXPOSE {banana['port']}" in dockerfile
    assert "USER 1000" in dockerfile  # muon's default non-root user
    pipeline = definition["pipeline"]
    assert pipeline["images"]["banana"] == {
        "context": "examples/banana",
        "dockerfile": "examples/banana/Dockerfile",
    }
    assert pipeline["build"]["buildspec"] == "examples/banana/buildspec.yml"
    assert {s["test"] for s in pipeline["stages"]} == {"examples/banana/buildspec-test.yml"}
    # The artifact build hands the image build the app's folder at the same path.
    artifact = yaml.safe_load((EXAMPLE / "buildspec.yml").read_text())
    assert artifact["artifacts"]["files"] == ["examples/banana/**/*"]
    architecture = (PROJECT_DIR / "docs" / "architecture.md").read_text()
    for name in ("buildspec.yml", "buildspec-test.yml"):
        assert (EXAMPLE / name).read_text().strip() in architecture, (
            f"docs/architecture.md does not show {name}"
        )
