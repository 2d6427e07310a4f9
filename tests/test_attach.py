"""Platform and service projects: a service project attaches to an environment another stack deployed."""

from __future__ import annotations

from pathlib import Path

import pytest

from muon.components.attached import CONTRACT_OUTPUT, CONTRACT_VERSION
from muon.plan.mocks import MuonMocks
from muon.plan.offline import Rendering
from muon.stacks.errors import DefinitionError
from tests.conftest import render_definition_text

PLATFORM = "environments:\n  dev: {}\n"
SERVICE = """
environments:
  dev: {attach: {stack: acme/platform/dev}}
services:
  banana:
    port: 8080
    pathPatterns: [/bananas]
    database: {name: banana}
"""


@pytest.fixture(scope="module")
def platform(tmp_path_factory) -> Rendering:
    return render_definition_text(tmp_path_factory.mktemp("platform"), PLATFORM, ["dev"], project="platform")


def attach(directory: Path, platform_outputs: dict, definition: str = SERVICE) -> Rendering:
    mocks = MuonMocks()
    mocks.stack_outputs["acme/platform/dev"] = platform_outputs
    return render_definition_text(directory, definition, ["dev"], project="banana", mocks=mocks)


def test_a_platform_stack_exports_its_environments_under_a_versioned_contract(platform: Rendering) -> None:
    contract = platform.outputs[CONTRACT_OUTPUT]
    assert contract["version"] == CONTRACT_VERSION
    entry = contract["environments"]["dev"]
    assert entry["vpcId"] == platform.one("aws:ec2/vpc:Vpc").state["id"]
    assert entry["clusterName"] == "platform-dev"
    assert (entry["tier"], entry["namespace"], entry["region"]) == ("development", "platform", "us-east-1")
    assert entry["listenerArn"] == platform.one("aws:lb/listener:Listener").state["arn"]


def test_a_service_project_composes_inside_the_platforms_environment(
    platform: Rendering, tmp_path: Path
) -> None:
    rendering = attach(tmp_path, {CONTRACT_OUTPUT: platform.outputs[CONTRACT_OUTPUT]})
    entry = platform.outputs[CONTRACT_OUTPUT]["environments"]["dev"]
    # Nothing of the environment is created again.
    for kind in (
        "aws:ec2/vpc:Vpc",
        "aws:ecs/cluster:Cluster",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:kms/key:Key",
    ):
        assert [r.name for r in rendering.of_type(kind) if "database" not in r.name] == [], kind
    target_group = rendering.one("aws:lb/targetGroup:TargetGroup")
    assert target_group.inputs["vpcId"] == entry["vpcId"]
    rule = rendering.one("aws:lb/listenerRule:ListenerRule")
    assert rule.inputs["listenerArn"] == entry["listenerArn"]
    service = rendering.one("aws:ecs/service:Service")
    assert service.inputs["cluster"] == entry["clusterArn"]
    assert service.inputs["networkConfiguration"]["subnets"] == entry["privateSubnetIds"]
    # The service admits the load balancer by a rule on its own group, never the platform's.
    tasks = rendering.one("aws:ec2/securityGroup:SecurityGroup", "dev-banana-tasks-sg")
    assert tasks.inputs["vpcId"] == entry["vpcId"]
    assert tasks.inputs["ingress"][0]["securityGroups"] == [entry["loadBalancerSecurityGroupId"]]
    assert (
        rendering.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")[0].inputs[
            "securityGroupId"
        ]
        != entry["loadBalancerSecurityGroupId"]
    )
    subnets = rendering.one("aws:rds/subnetGroup:SubnetGroup")
    assert subnets.inputs["subnetIds"] == entry["isolatedSubnetIds"]
    # Its own names, in its own namespace.
    assert service.inputs["name"] == "banana-dev-banana"
    assert rendering.outputs["environments"]["dev"]["platformStack"] == "acme/platform/dev"


def test_the_offline_plan_of_a_service_project_attaches_to_a_stand_in(tmp_path: Path) -> None:
    rendering = render_definition_text(tmp_path, SERVICE, ["dev"], project="banana")
    assert rendering.one("aws:ecs/service:Service").inputs["cluster"].endswith(":cluster/platform-dev")


@pytest.mark.parametrize(
    ("outputs", "expected"),
    [
        ({}, "acme/platform/dev exports no muon environments (output muonEnvironments)"),
        (
            {CONTRACT_OUTPUT: {"version": 0, "environments": {}}},
            f"acme/platform/dev exports environment contract 0, this project needs {CONTRACT_VERSION}",
        ),
        (
            {CONTRACT_OUTPUT: {"version": CONTRACT_VERSION, "environments": {"staging": {}}}},
            "acme/platform/dev has no environment 'dev'; it exports: staging",
        ),
    ],
)
def test_a_platform_that_does_not_fit_is_one_clear_error(
    tmp_path: Path, outputs: dict, expected: str
) -> None:
    with pytest.raises(DefinitionError) as caught:
        attach(tmp_path, outputs or {"other": 1})
    assert str(caught.value) == f"{tmp_path / 'muon.yaml'}: environments.dev.attach.stack: {expected}" + (
        "; deploy its platform project with this muon first"
        if not outputs
        else "; run `pulumi up` on the platform stack with this muon first"
        if "contract 0" in expected
        else ""
    )


def test_an_environment_in_another_region_cannot_be_attached(platform: Rendering, tmp_path: Path) -> None:
    contract = platform.outputs[CONTRACT_OUTPUT]
    moved = {**contract, "environments": {"dev": {**contract["environments"]["dev"], "region": "eu-west-1"}}}
    with pytest.raises(DefinitionError) as caught:
        attach(tmp_path, {CONTRACT_OUTPUT: moved})
    assert "environment 'dev' of acme/platform/dev is in account 123456789012, eu-west-1" in str(caught.value)


def test_an_attached_environment_takes_no_platform_settings(tmp_path: Path) -> None:
    definition = (
        "environments:\n  dev: {attach: {stack: acme/platform/dev}, network: {azs: 3}, tier: production}\n"
    )
    with pytest.raises(DefinitionError) as caught:
        render_definition_text(tmp_path, definition, ["dev"])
    assert (
        "environments.dev: an attached environment is deployed by stack acme/platform/dev: tier, network "
        "belong in that platform project's definition"
    ) in str(caught.value)


def test_priorities_on_a_shared_listener_are_salted_by_namespace(platform: Rendering, tmp_path: Path) -> None:
    """Two projects with a service of the same name attach to one listener: different priorities."""
    contract = {CONTRACT_OUTPUT: platform.outputs[CONTRACT_OUTPUT]}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    banana = attach(tmp_path / "a", contract)
    other = render_definition_text(
        tmp_path / "b",
        "namespace: cherry\n" + SERVICE,
        ["dev"],
        project="cherry",
        mocks=stack_mocks(contract),
    )
    ours = banana.one("aws:lb/listenerRule:ListenerRule").inputs["priority"]
    theirs = other.one("aws:lb/listenerRule:ListenerRule").inputs["priority"]
    assert ours != theirs


def stack_mocks(outputs: dict, rules: dict | None = None) -> MuonMocks:
    mocks = MuonMocks()
    mocks.stack_outputs["acme/platform/dev"] = outputs
    mocks.listener_rules.update(rules or {})
    return mocks


def test_a_priority_another_stack_holds_stops_the_preview(platform: Rendering, tmp_path: Path) -> None:
    contract = {CONTRACT_OUTPUT: platform.outputs[CONTRACT_OUTPUT]}
    (tmp_path / "probe").mkdir()
    ours = attach(tmp_path / "probe", contract).one("aws:lb/listenerRule:ListenerRule")
    listener, priority = ours.inputs["listenerArn"], ours.inputs["priority"]
    foreign = {
        "arn": "arn:aws:elasticloadbalancing:rule/x",
        "tags": {"muon:project": "cherry", "muon:stack": "dev"},
    }
    (tmp_path / "clash").mkdir()
    with pytest.raises(DefinitionError) as caught:
        render_definition_text(
            tmp_path / "clash",
            SERVICE,
            ["dev"],
            project="banana",
            mocks=stack_mocks(contract, {(listener, priority): foreign}),
        )
    assert str(caught.value) == (
        f"{tmp_path / 'clash' / 'muon.yaml'}: services.banana.priority: priority {priority} on the listener of "
        "environment dev (acme/platform/dev) is taken by stack cherry/dev; set services.banana.priority to a free one"
    )
    # A rule this very stack made (an update) is no clash.
    mine = {
        "arn": "arn:aws:elasticloadbalancing:rule/y",
        "tags": {"muon:project": "banana", "muon:stack": "test"},
    }
    (tmp_path / "update").mkdir()
    render_definition_text(
        tmp_path / "update",
        SERVICE,
        ["dev"],
        project="banana",
        mocks=stack_mocks(contract, {(listener, priority): mine}),
    )


def path_rule(
    arn: str, paths: list[str], owner: tuple[str, str] | None, hosts: list[str] | None = None
) -> dict:
    conditions = [{"Field": "path-pattern", "PathPatternConfig": {"Values": paths}}]
    if hosts:
        conditions.append({"Field": "host-header", "HostHeaderConfig": {"Values": hosts}})
    tags = {"muon:project": owner[0], "muon:stack": owner[1]} if owner else {}
    return {"arn": arn, "tags": tags, "conditions": conditions}


def test_a_path_another_stack_routes_on_the_shared_listener_stops_the_preview(
    platform: Rendering, tmp_path: Path
) -> None:
    contract = {CONTRACT_OUTPUT: platform.outputs[CONTRACT_OUTPUT]}
    listener = platform.outputs[CONTRACT_OUTPUT]["environments"]["dev"]["listenerArn"]
    cases = {
        "foreign": (
            {(listener, 7): path_rule("rule/a", ["/bananas"], ("cherry", "dev"))},
            "stack cherry/dev",
        ),
        "unknown": (
            {(listener, 8): path_rule("rule/b", ["/bananas", "/x"], None)},
            "a rule muon did not make (rule/b)",
        ),
    }
    for case, (rules, who) in cases.items():
        (tmp_path / case).mkdir()
        with pytest.raises(DefinitionError) as caught:
            render_definition_text(
                tmp_path / case, SERVICE, ["dev"], project="banana", mocks=stack_mocks(contract, rules)
            )
        priority = next(iter(rules))[1]
        assert str(caught.value) == (
            f"{tmp_path / case / 'muon.yaml'}: services.banana.pathPatterns: /bananas on the listener of environment "
            f"dev (acme/platform/dev) is already routed by {who} (priority {priority}); choose another path or host"
        )
    # The same path for other hosts, or this stack's own rule, is no clash.
    fine = {
        (listener, 9): path_rule("rule/c", ["/bananas"], ("cherry", "dev"), hosts=["cherry.example.com"]),
        (listener, 10): path_rule("rule/d", ["/bananas"], ("banana", "test")),
    }
    (tmp_path / "fine").mkdir()
    render_definition_text(
        tmp_path / "fine", SERVICE, ["dev"], project="banana", mocks=stack_mocks(contract, fine)
    )


def test_the_listener_rules_are_read_from_aws_with_their_owners(aws: str) -> None:
    """What a real preview reads (moto in server mode): every rule, its patterns and muon's tags."""
    import boto3

    from muon.stacks.facts import PulumiFacts, RuleClaim

    ec2, elb = boto3.client("ec2"), boto3.client("elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"][
            "SubnetId"
        ]
        for i, z in enumerate("ab")
    ]
    lb = elb.create_load_balancer(Name="platform-dev", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    group = elb.create_target_group(Name="tg", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
    forward = [{"Type": "forward", "TargetGroupArn": group["TargetGroups"][0]["TargetGroupArn"]}]
    listener = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=forward)
    listener_arn = listener["Listeners"][0]["ListenerArn"]
    rule = elb.create_rule(
        ListenerArn=listener_arn,
        Priority=42,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/cherries"]}}],
        Actions=forward,
        Tags=[{"Key": "muon:project", "Value": "cherry"}, {"Key": "muon:stack", "Value": "dev"}],
    )["Rules"][0]["RuleArn"]
    assert PulumiFacts({"region": "us-east-1"}).listener_rules(listener_arn) == (
        RuleClaim(
            arn=rule, priority=42, paths=frozenset({"/cherries"}), hosts=frozenset(), owner="cherry/dev"
        ),
    )
