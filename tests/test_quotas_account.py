"""The account's current use of the quotas its stacks share (roles, event rules, security groups,
target groups, load balancers), read with the stack's credentials against moto in server mode, and
counted with what the stack renders: the account's count, minus what this stack already has there,
plus this stack's. Without credentials, offline, or on a denied read: "not read" and why, never zero."""

from __future__ import annotations

import io
import json
import socket
import threading
from http.server import HTTPServer
from pathlib import Path

import boto3
import pytest

from muon.plan import command
from muon.plan.offline import Rendering, render
from muon.plan.quotas import BY_KEY, Usage, account_note, assess, document, findings
from muon.plan.quotas_account import owned, with_account
from muon.stacks.account_use import OFFLINE, AccountUse, Owned
from muon.stacks.facts import PulumiFacts
from tests.conftest import JsonEndpoint, render_repository_stack

REGION = {"region": "us-east-1"}


@pytest.fixture(scope="module")
def dev() -> Rendering:
    return render_repository_stack("dev")


def _rendered_name(rendering: Rendering, type_token: str) -> str:
    return next(str(r.inputs["name"]) for r in rendering.of_type(type_token) if r.inputs.get("name"))


def _by_key(usages: list[Usage]) -> dict[str, Usage]:
    return {u.quota.key: u for u in usages if u.holder in ("account", "account and region", "default")}


def _read(rendering: Rendering) -> dict[str, Usage]:
    use = PulumiFacts(REGION).account_use(owned(rendering, "muon", "dev"))
    return _by_key(with_account(assess(rendering), use))


def _rules(count: int, prefix: str = "other") -> None:
    events = boto3.client("events")
    for index in range(count):
        events.put_rule(Name=f"{prefix}-{index:03d}", ScheduleExpression="rate(1 hour)")


def test_the_accounts_use_is_counted_with_this_stacks_and_its_own_counted_once(
    aws: str, dev: Rendering
) -> None:
    iam, ec2, elbv2 = boto3.client("iam"), boto3.client("ec2"), boto3.client("elbv2")
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    for index in range(5):
        iam.create_role(RoleName=f"other-team-{index}", AssumeRolePolicyDocument=trust)
    # What an earlier deploy of this stack left: a role it names, one Pulumi named, a rule, a group.
    iam.create_role(RoleName=_rendered_name(dev, "aws:iam/role:Role"), AssumeRolePolicyDocument=trust)
    unnamed = next(r.name for r in dev.of_type("aws:iam/role:Role") if not r.inputs.get("name"))
    iam.create_role(RoleName=f"{unnamed}-1a2b3c4", AssumeRolePolicyDocument=trust)
    _rules(3)
    boto3.client("events").put_rule(
        Name=_rendered_name(dev, "aws:cloudwatch/eventRule:EventRule"), ScheduleExpression="rate(1 hour)"
    )
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    for index in range(4):
        ec2.create_security_group(GroupName=f"other-{index}", Description="x", VpcId=vpc)
    ec2.create_security_group(
        GroupName="from-the-last-deploy",
        Description="x",
        VpcId=vpc,
        TagSpecifications=[
            {
                "ResourceType": "security-group",
                "Tags": [{"Key": "muon:project", "Value": "muon"}, {"Key": "muon:stack", "Value": "dev"}],
            }
        ],
    )
    elbv2.create_target_group(Name="other-tg", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")

    usages = _read(dev)
    rendered = {key: len(dev.of_type(token)) for key, token in (
        ("iam-roles", "aws:iam/role:Role"), ("event-rules", "aws:cloudwatch/eventRule:EventRule"),
        ("security-groups", "aws:ec2/securityGroup:SecurityGroup"),
        ("target-groups", "aws:lb/targetGroup:TargetGroup"), ("albs", "aws:lb/loadBalancer:LoadBalancer"),
    )}  # fmt: skip
    assert rendered == {"iam-roles": 4, "event-rules": 4, "security-groups": 5, "target-groups": 1, "albs": 1}
    roles, rules, groups = usages["iam-roles"], usages["event-rules"], usages["security-groups"]
    assert (roles.used, roles.existing, roles.deployed, roles.combined, roles.limit) == (4, 7, 2, 9, 1000)
    assert (rules.used, rules.existing, rules.deployed, rules.combined) == (4, 4, 1, 7)
    # moto's default VPC has its default group: 4 + 1 + 1 in the account, 1 of them this stack's.
    assert (groups.used, groups.existing, groups.deployed, groups.combined, groups.limit) == (
        5,
        6,
        1,
        10,
        2500,
    )
    assert (usages["target-groups"].existing, usages["target-groups"].combined) == (1, 2)
    assert (usages["albs"].existing, usages["albs"].combined) == (0, 1)
    assert rules.limit is None and rules.allowed == 300  # no applied value: AWS's default
    assert usages["ssm-parameters"].not_read.startswith("muon reads roles, event rules")
    assert rules.message().startswith(
        "Amazon EventBridge 'Number of rules (per event bus)': 7 of 300 on event bus default "
        "(this stack 4 + the account's others 3)"
    )


def test_the_levels_apply_to_the_account_and_this_stack_together(aws: str, dev: Rendering) -> None:
    _rules(236)  # with this stack's 4: 240 of 300
    rules = _read(dev)["event-rules"]
    assert (rules.existing, rules.combined, rules.share, rules.level) == (236, 240, 0.8, "warn")
    assert _by_key(assess(dev))["event-rules"].level == "ok"  # this stack alone: 4 of 300
    _rules(61, prefix="more")
    rules = _read(dev)["event-rules"]
    assert (rules.existing, rules.combined, rules.level) == (297, 301, "over")
    _, warnings = findings([rules])
    assert warnings == [
        "Amazon EventBridge 'Number of rules (per event bus)': 301 of 300 on event bus default (this stack 4 "
        "+ the account's others 297) — deploying would fail; request an increase of the EventBridge rules "
        "quota in Service Quotas before deploying"
    ]


class _Denied(JsonEndpoint):
    def do_POST(self) -> None:  # noqa: N802 - http.server calls it by this name
        self.answer(400, {"__type": "AccessDeniedException", "message": "not authorized to perform this"})


@pytest.fixture
def denied(aws: str, monkeypatch: pytest.MonkeyPatch):
    """EventBridge and Service Quotas answer every call with AWS's access denied; the rest is moto."""
    server = HTTPServer(("127.0.0.1", 0), _Denied)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_EVENTBRIDGE", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SERVICE_QUOTAS", f"http://127.0.0.1:{server.server_port}")
    yield
    server.shutdown()


def test_a_denied_read_is_not_read_with_awss_reason_never_zero(denied: None, dev: Rendering) -> None:
    usages = _read(dev)
    rules = usages["event-rules"]
    assert rules.existing is None and rules.combined == rules.used == 4
    assert rules.not_read == "AccessDeniedException on ListRules: not authorized to perform this"
    assert "(this stack's share only: the account's use not read)" in rules.message()
    roles, groups = usages["iam-roles"], usages["security-groups"]
    assert (roles.existing, roles.limit, roles.limit_note) == (0, 1000, "")  # IAM itself answered
    assert groups.existing == 1 and groups.limit is None and groups.allowed == 2500
    assert groups.limit_note == (
        "applied value not read (AccessDeniedException on GetServiceQuota: not authorized to perform "
        "this): AWS's default assumed"
    )


def test_an_unreachable_endpoint_is_not_read_naming_it(aws: str, dev: Rendering, monkeypatch) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    usages = _read(dev)
    for key in ("iam-roles", "event-rules", "security-groups", "target-groups", "albs"):
        assert usages[key].existing is None
        assert usages[key].not_read.startswith(
            f'Could not connect to the endpoint URL: "http://127.0.0.1:{port}/'
        )
    assert usages["iam-roles"].combined == 4


def test_without_credentials_the_account_is_not_read_and_the_plan_says_so(
    no_aws: None, dev: Rendering, tmp_path: Path
) -> None:
    use = PulumiFacts(REGION).account_use(owned(dev, "muon", "dev"))
    assert use.counts == {} and set(use.unread) == {
        "albs", "target-groups", "event-rules", "iam-roles", "security-groups"
    }  # fmt: skip
    reason = "no AWS credentials (the stack's profile or role, or the environment's): the account's current use is unknown"
    assert set(use.unread.values()) == {reason}
    usages = with_account(assess(dev), use)
    assert account_note(usages) == f"the account's current use was not read: {reason}"
    quotas = document(usages)
    assert quotas["accountUsageRead"] is False and quotas["note"] == account_note(usages)
    roles = next(q for q in quotas["quotas"] if q["key"] == "iam-roles")
    assert (roles["used"], roles["account"], roles["combined"], roles["notRead"]) == (4, None, 4, reason)

    target = tmp_path / "plan.json"
    out, err = io.StringIO(), io.StringIO()
    assert command.main(["dev", "--quiet", "--quotas", "--json", str(target)], out=out, err=err) == 0
    assert f"Shared quotas: the account's current use was not read: {reason}\n" in out.getvalue()
    assert f"this stack 4; the account not read: {reason}\n" in out.getvalue()
    assert (
        json.loads(target.read_text())["quotas"]["note"]
        == f"the account's current use was not read: {reason}"
    )


def test_the_plan_reads_the_account_with_credentials(aws: str, tmp_path: Path) -> None:
    _rules(250)
    target = tmp_path / "plan.json"
    out, err = io.StringIO(), io.StringIO()
    assert command.main(["dev", "--quiet", "--quotas", "--json", str(target)], out=out, err=err) == 0
    text = out.getvalue()
    assert "Shared quotas: the account's current use was read (albs, event-rules, iam-roles, " in text
    assert "this stack 4; the account now 250; combined 254\n" in text
    assert (
        "Amazon EventBridge 'Number of rules (per event bus)': 254 of 300 on event bus default (this stack 4 + "
        "the account's others 250) (85%)"
    ) in text  # the quota warning, on the combined figure
    quotas = json.loads(target.read_text())["quotas"]
    rules = next(q for q in quotas["quotas"] if q["key"] == "event-rules")
    assert quotas["accountUsageRead"] is True
    assert (rules["used"], rules["account"], rules["accountThisStack"], rules["combined"]) == (4, 250, 0, 254)
    assert (rules["limit"], rules["level"], rules["notRead"]) == (300, "warn", None)


def test_offline_under_the_mocks_the_account_is_not_read() -> None:
    found: list[AccountUse] = []
    render(lambda: found.append(PulumiFacts(REGION).account_use(Owned("muon", "dev"))), config={}, stack="t")
    assert found == [AccountUse.nothing(OFFLINE)]
    assert found[0].reason("iam-roles") == "offline render: Pulumi mocks stand in for AWS, no account is read"


def test_a_resource_pulumi_names_is_this_stacks_by_its_pattern() -> None:
    mine = Owned("muon", "dev", names={"iam-roles": frozenset({"muon-dev-api"})},
                 autonamed={"iam-roles": frozenset({"dev-backup-role"})})  # fmt: skip
    assert mine.owns("iam-roles", "muon-dev-api") and mine.owns("iam-roles", "dev-backup-role-0f1e2d3")
    assert not mine.owns("iam-roles", "dev-backup-role-other") and not mine.owns(
        "event-rules", "muon-dev-api"
    )


def test_a_shared_quota_counts_the_accounts_others_and_this_stack_once() -> None:
    rules = Usage(BY_KEY["event-rules"], "default", 10, existing=250, deployed=6)
    assert (rules.others, rules.combined, rules.level) == (244, 254, "warn")
    raised = Usage(BY_KEY["iam-roles"], "account", 100, existing=1900, deployed=0, limit=2000)
    assert (raised.combined, raised.allowed, raised.level) == (2000, 2000, "warn")
    assert raised.message().startswith(
        "AWS Identity and Access Management (IAM) 'Roles per account': 2000 of 2,000 applied on account "
        "(this stack 100 + the account's others 1,900) (full: one more fails the deploy)"
    )


def test_the_reads_permissions_are_in_the_deployer_policy_and_the_docs() -> None:
    from importlib.resources import files

    from muon.stacks.account_use import PERMISSIONS

    policy = json.loads(files("muon").joinpath("data/service-deployer-policy.json").read_text())
    lookups = next(s for s in policy["Statement"] if s["Sid"] == "LookupsWithoutResourceLevelPermissions")
    assert set(PERMISSIONS) <= set(lookups["Action"])
    docs = " ".join((Path(__file__).parent.parent / "docs" / "many-teams.md").read_text().split())
    assert all(f"`{permission}`" in docs for permission in PERMISSIONS)
