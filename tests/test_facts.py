"""What the program reads before declaring anything: "nothing there" only when AWS says so.

A read that fails for any other reason (access denied, throttling, an expired token) stops the run
with one line naming what was being read, before any resource is registered. Read as "nothing
there", a denied lookup of the running image scaled a running service to zero tasks.
The error texts are the AWS provider's (terraform-provider-aws, which pulumi-aws bridges): see
stacks/facts.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest

from muon.components.database import ExistingPassword, GeneratedPassword
from muon.components.service_args import AWAITING_IMAGE
from muon.plan.mocks import MuonMocks
from muon.plan.offline import Rendering, render
from muon.stacks import main as entry
from muon.stacks.definition import ServiceSpec
from muon.stacks.errors import DefinitionError, MuonError
from muon.stacks.facts import AwsAccount, PlatformContract, RuleClaim, SecretValue, StoredParameter
from muon.stacks.resolve.databases import choose_password
from muon.stacks.resolve.images import Cluster, choose_images
from tests.conftest import render_definition_text

BANANA = """
environments:
  dev: {}
services:
  banana:
    port: 8080
    pathPatterns: [/bananas]
"""
RUNNING = "123456789012.dkr.ecr.us-east-1.amazonaws.com/muon/dev/banana@sha256:" + "c" * 64
PASSWORD = "/muon/dev/banana/database/password"
DENIED = (
    "operation error {service}: {operation}, https response error StatusCode: 400, RequestID: "
    "6f0c1d2e-0000-4000-8000-000000000000, api error AccessDeniedException: User: "
    "arn:aws:sts::123456789012:assumed-role/deployer/muon is not authorized to perform: {action}"
)
THROTTLED = (
    "operation error {service}: {operation}, exceeded maximum number of attempts, 3, https response "
    "error StatusCode: 400, RequestID: 7a1b2c3d-0000-4000-8000-000000000000, api error "
    "ThrottlingException: Rate exceeded"
)
EXPIRED = (
    "operation error {service}: {operation}, https response error StatusCode: 400, RequestID: "
    "8b2c3d4e-0000-4000-8000-000000000000, api error ExpiredTokenException: The security token "
    "included in the request is expired"
)


class RecordingMocks(MuonMocks):
    """Mocks that remember every resource registered (a StackReference is a read, not a change)."""

    def __init__(self) -> None:
        super().__init__()
        self.declared: list[str] = []

    def new_resource(self, args: Any) -> Any:
        if args.typ != "pulumi:pulumi:StackReference":
            self.declared.append(f"{args.typ}::{args.name}")
        return super().new_resource(args)


def deployed() -> RecordingMocks:
    """An account where environment dev runs banana."""
    mocks = RecordingMocks()
    mocks.deployed_images["muon-dev-banana"] = RUNNING
    return mocks


def bootstrap(rendering: Rendering) -> bool:
    """Whether banana waits at zero tasks for its first image."""
    service = rendering.one("aws:ecs/service:Service").inputs
    definition = rendering.one("aws:ecs/taskDefinition:TaskDefinition").json("containerDefinitions")
    return service["desiredCount"] == 0 and definition[0]["image"] == AWAITING_IMAGE


def stopped(tmp_path: Path, mocks: RecordingMocks, definition: str = BANANA, **options: Any) -> str:
    """The run stops with one line and nothing registered; returns the line."""
    with pytest.raises(MuonError) as caught:
        render_definition_text(tmp_path, definition, ["dev"], mocks=mocks, **options)
    message = str(caught.value)
    assert "\n" not in message and "nothing was changed" in message, message
    assert mocks.declared == []
    return message


# -- the image a service runs ------------------------------------------------------------------------


def test_a_service_that_is_not_there_yet_still_waits_for_its_first_image(tmp_path: Path) -> None:
    # The cluster runs another service; banana's does not exist: DescribeServices says MISSING.
    mocks = RecordingMocks()
    mocks.deployed_images["muon-dev-apple"] = RUNNING
    rendering = render_definition_text(tmp_path, BANANA, ["dev"], mocks=mocks, delivered=False)
    assert bootstrap(rendering)
    # ...and a running one keeps its image.
    rendering = render_definition_text(tmp_path, BANANA, ["dev"], mocks=deployed(), delivered=False)
    assert not bootstrap(rendering)
    assert rendering.one("aws:ecs/taskDefinition:TaskDefinition").json("containerDefinitions")[0][
        "image"
    ] == (RUNNING)


@pytest.mark.parametrize("error", [DENIED, THROTTLED, EXPIRED], ids=["denied", "throttled", "expired"])
def test_a_failed_read_of_the_running_image_stops_the_run_instead_of_scaling_to_zero(
    tmp_path: Path, error: str
) -> None:
    for token, operation, action in (
        ("aws:ecs/getService:getService", "DescribeServices", "ecs:DescribeServices"),
        (
            "aws:ecs/getTaskDefinition:getTaskDefinition",
            "DescribeTaskDefinition",
            "ecs:DescribeTaskDefinition",
        ),
    ):
        mocks = deployed()
        # Both refused: whichever way the image is read, the refusal must not read as "no image".
        mocks.errors[token] = error.format(service="ECS", operation=operation, action=action)
        mocks.errors["aws:ecs/getTaskDefinition:getTaskDefinition"] = error.format(
            service="ECS", operation="DescribeTaskDefinition", action="ecs:DescribeTaskDefinition"
        )
        message = stopped(tmp_path, mocks, delivered=False)
        assert message.startswith("cannot read the image ECS service muon-dev-banana runs (ecs:Describe"), (
            message
        )
        assert error.split("api error ")[1].split(":")[0] in message


def test_the_pulumi_entry_point_reports_a_failed_read_as_its_message_alone(tmp_path: Path) -> None:
    """What `pulumi up` prints: a RunError is shown as its message, with no traceback."""
    mocks = deployed()
    mocks.errors["aws:ecs/getService:getService"] = DENIED.format(
        service="ECS", operation="DescribeServices", action="ecs:DescribeServices"
    )
    (tmp_path / "muon.yaml").write_text(BANANA)
    config = {
        "aws:region": "us-east-1",
        "muon:definition": str(tmp_path / "muon.yaml"),
        "muon:environments": json.dumps(["dev"]),
    }
    with pytest.raises(pulumi.RunError) as caught:
        render(entry.main, config=config, stack="test", mocks=mocks)
    assert str(caught.value).startswith("cannot read the image ECS service muon-dev-banana runs")
    assert "\n" not in str(caught.value)
    assert mocks.declared == []


# -- the environment's cluster ---------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["empty result", "couldn't find resource", "INACTIVE"])
def test_a_cluster_that_is_not_there_is_the_bootstrap(tmp_path: Path, reason: str) -> None:
    # MISSING (no cluster in the answer), ClusterNotFoundException, a deleted cluster.
    mocks = deployed()  # its services would answer: the cluster's answer alone must decide
    mocks.errors["aws:ecs/getCluster:getCluster"] = f"reading ECS Cluster (muon-dev): {reason}"
    rendering = render_definition_text(tmp_path, BANANA, ["dev"], mocks=mocks, delivered=False)
    assert bootstrap(rendering)
    assert "aws:ecs/getService:getService" not in [token for token, _ in mocks.calls]


@pytest.mark.parametrize("error", [DENIED, THROTTLED, EXPIRED], ids=["denied", "throttled", "expired"])
def test_a_failed_read_of_the_cluster_stops_the_run(tmp_path: Path, error: str) -> None:
    mocks = deployed()
    detail = error.format(service="ECS", operation="DescribeClusters", action="ecs:DescribeClusters")
    mocks.errors["aws:ecs/getCluster:getCluster"] = f"reading ECS Cluster (muon-dev): {detail}"
    message = stopped(tmp_path, mocks, delivered=False)
    assert message.startswith("cannot read whether ECS cluster muon-dev exists (ecs:DescribeClusters)")


def test_a_failed_read_of_the_cluster_never_cuts_a_deployed_environment_back_to_its_zone(
    tmp_path: Path,
) -> None:
    """A created zone waits for its delegation only in an environment never deployed: read as
    "no cluster", a refused read would compose the zone alone and delete everything else."""
    created = (
        "environments:\n  dev: {domain: {name: dev.banana.example.com, createZone: true}}\n"
        "services:\n  banana: {port: 8080, pathPatterns: [/bananas]}\n"
    )
    mocks = deployed()
    detail = DENIED.format(service="ECS", operation="DescribeClusters", action="ecs:DescribeClusters")
    mocks.errors["aws:ecs/getCluster:getCluster"] = f"reading ECS Cluster (muon-dev): {detail}"
    message = stopped(tmp_path, mocks, created)
    assert message.startswith("cannot read whether ECS cluster muon-dev exists (ecs:DescribeClusters)")


# -- a database's password parameter --------------------------------------------------------------------


def test_a_password_parameter_that_is_not_there_is_generated(tmp_path: Path) -> None:
    mocks = RecordingMocks()
    mocks.errors["aws:ssm/getParameter:getParameter"] = (
        f"reading SSM Parameter ({PASSWORD}): couldn't find resource"
    )
    rendering = render_definition_text(
        tmp_path, BANANA + "    database: {name: banana}\n", ["dev"], mocks=mocks
    )
    assert rendering.one("aws:ssm/parameter:Parameter").inputs["name"] == PASSWORD
    assert rendering.one("random:index/randomPassword:RandomPassword").inputs["keepers"] == {"version": "1"}


@pytest.mark.parametrize("error", [DENIED, THROTTLED, EXPIRED], ids=["denied", "throttled", "expired"])
def test_a_failed_read_of_the_password_parameter_stops_the_run(tmp_path: Path, error: str) -> None:
    mocks = RecordingMocks()
    detail = error.format(service="SSM", operation="GetParameter", action="ssm:GetParameter")
    mocks.errors["aws:ssm/getParameter:getParameter"] = f"reading SSM Parameter ({PASSWORD}): {detail}"
    message = stopped(tmp_path, mocks, BANANA + "    database: {name: banana}\n")
    assert message.startswith(f"cannot read Parameter Store parameter {PASSWORD} (ssm:GetParameter)")


# -- a shared listener's rules ------------------------------------------------------------------------


ATTACHED = BANANA.replace("dev: {}", "dev: {attach: {stack: acme/platform/dev}}")


@pytest.mark.parametrize("code", ["AccessDenied", "Throttling", "ExpiredToken"])
def test_a_failed_read_of_the_shared_listener_stops_the_run(tmp_path: Path, code: str) -> None:
    for operation in ("DescribeRules", "DescribeTags"):
        mocks = RecordingMocks()
        mocks.listener_rules[
            (
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/platform/0123456789abcdef/01",
                9,
            )
        ] = {
            "arn": "rule/a",
            "tags": {},
            "conditions": [],
        }
        mocks.elb_errors[operation] = code
        message = stopped(tmp_path, mocks, ATTACHED, project="banana")
        assert message.startswith("cannot read the rules of listener arn:aws:elasticloadbalancing:"), message
        assert f"({code}) when calling the {operation} operation" in message


def test_a_shared_listener_that_is_gone_is_one_line_naming_the_platform(tmp_path: Path) -> None:
    mocks = RecordingMocks()
    mocks.elb_errors["DescribeRules"] = "ListenerNotFound"
    with pytest.raises(DefinitionError) as caught:
        render_definition_text(tmp_path, ATTACHED, ["dev"], mocks=mocks, project="banana")
    (problem,) = caught.value.problems
    assert problem.endswith(
        "muon.yaml: environments.dev.attach.stack: the listener of acme/platform/dev "
        "(arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/platform/0123456789abcdef/01) "
        "does not exist; run `pulumi up` on the platform stack first"
    )
    assert mocks.declared == []


# -- resolve code takes the facts as a value ---------------------------------------------------------


class Facts:
    """Facts for resolve code tested without Pulumi: answers from dicts, every read recorded."""

    def __init__(
        self,
        clusters: dict[str, bool] | None = None,
        running: dict[str, str] | None = None,
        parameters: dict[str, StoredParameter] | None = None,
        failing: MuonError | None = None,
    ) -> None:
        self.clusters, self.running, self.parameters = clusters or {}, running or {}, parameters or {}
        self.failing = failing
        self.reads: list[str] = []

    def _read(self, what: str) -> None:
        self.reads.append(what)
        if self.failing is not None:
            raise self.failing

    def aws_account(self) -> AwsAccount:
        return AwsAccount("123456789012", "us-east-1", "aws", ("us-east-1a",))

    def cluster_active(self, name: str) -> bool:
        self._read(f"cluster {name}")
        return self.clusters.get(name, False)

    def running_image(self, cluster: str, service: str) -> str | None:
        self._read(f"service {service}")
        return self.running.get(service)

    def password_parameter(self, name: str) -> StoredParameter | None:
        self._read(f"parameter {name}")
        return self.parameters.get(name)

    def password_value(self, name: str) -> SecretValue:
        self._read(f"value {name}")
        return SecretValue(value=f"value of {name}", version=4)  # type: ignore[arg-type]

    def listener_rules(self, listener_arn: str) -> tuple[RuleClaim, ...] | None:
        return ()

    def parameter_value(self, name: str) -> str | None:
        self._read(f"parameter {name}")
        return None

    def platform_contract(self, env_name: str, stack: str) -> PlatformContract:
        raise AssertionError("not attached")

    def stack_output(self, name: str, stack: str, output: str) -> object | None:
        raise AssertionError("no pipeline")


SERVICES = {
    name: ServiceSpec.model_validate({"port": 8080, "pathPatterns": [f"/{name}"], **extra})
    for name, extra in {
        "apple": {},
        "banana": {"image": "public.ecr.aws/acme/banana:1"},
        "cherry": {},
    }.items()
}
DEV = Cluster("muon-dev", "muon", "dev", own=True)


def test_images_are_chosen_from_the_facts_read_once_per_cluster() -> None:
    fresh = Facts()
    choice = choose_images(SERVICES, {"cherry": "repo@sha256:" + "d" * 64}, set(), DEV, fresh)
    assert choice == {
        "apple": None,
        "banana": "public.ecr.aws/acme/banana:1",
        "cherry": "repo@sha256:" + "d" * 64,
    }
    assert fresh.reads == ["cluster muon-dev"]  # no cluster: nothing runs, nothing more to read
    running = Facts(
        clusters={"muon-dev": True}, running={"muon-dev-apple": RUNNING, "muon-dev-cherry": RUNNING}
    )
    choice = choose_images(SERVICES, {}, {"cherry"}, DEV, running)
    assert choice == {"apple": RUNNING, "banana": "public.ecr.aws/acme/banana:1", "cherry": None}
    assert running.reads == ["cluster muon-dev", "service muon-dev-apple"]  # cherry: built here
    # Every image given: not even the cluster is read.
    given = Facts()
    choose_images(SERVICES, {"apple": RUNNING, "cherry": RUNNING}, set(), DEV, given)
    assert given.reads == []


def test_a_failed_read_is_never_taken_for_no_image() -> None:
    failing = Facts(
        clusters={"muon-dev": True}, failing=MuonError("cannot read it; nothing was changed: denied")
    )
    with pytest.raises(MuonError, match="nothing was changed: denied"):
        choose_images(SERVICES, {}, set(), DEV, failing)


def test_a_password_is_chosen_from_the_facts() -> None:
    assert choose_password(PASSWORD, "muon/dev", 2, Facts()) == GeneratedPassword(PASSWORD, 2, "muon/dev")
    ours = StoredParameter(PASSWORD, "arn:p", "SecureString", {"muon:managed-by": "muon/dev"})
    facts = Facts(parameters={PASSWORD: ours})
    assert choose_password(PASSWORD, "muon/dev", 2, facts) == GeneratedPassword(PASSWORD, 2, "muon/dev")
    assert facts.reads == [f"parameter {PASSWORD}"]  # muon's own: its value is never read
    customers = Facts(parameters={PASSWORD: StoredParameter(PASSWORD, "arn:p", "SecureString", {})})
    assert choose_password(PASSWORD, "muon/dev", 2, customers) == ExistingPassword(
        PASSWORD,
        f"value of {PASSWORD}",  # type: ignore[arg-type]
        4,
    )
    plain = Facts(parameters={PASSWORD: StoredParameter(PASSWORD, "arn:p", "String", {})})
    with pytest.raises(MuonError, match="must be a SecureString"):
        choose_password(PASSWORD, "muon/dev", 2, plain)
