"""The modeled first deploy: the critical path of the rendered graph, weighted by creation times."""

from __future__ import annotations

import io
import json

import pytest

from muon.plan.command import main
from muon.plan.offline import RenderedResource, Rendering
from muon.plan.timeline import (
    GATEWAY_ENDPOINT_SECONDS,
    IDLE_SERVICE_SECONDS,
    creation_seconds,
    model,
    weight,
)
from tests.conftest import muon_plan_dev, render_repository_stack

VPC, SUBNET, NAT = "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/natGateway:NatGateway"
SERVICE = "aws:ecs/service:Service"

# The chain no ordering can shorten: tasks need their database, the database its subnets.
UNAVOIDABLE_CHAIN = (
    VPC,
    SUBNET,
    "aws:rds/subnetGroup:SubnetGroup",
    "aws:rds/cluster:Cluster",
    "aws:rds/clusterInstance:ClusterInstance",
    SERVICE,
)


def resource(
    name: str,
    type_: str,
    *depends_on: str,
    parent: str = "",
    custom: bool = True,
    inputs: dict | None = None,
) -> RenderedResource:
    return RenderedResource(
        urn=f"urn:{name}",
        type=type_,
        name=name,
        parent=parent,
        custom=custom,
        inputs=inputs or {},
        masked_inputs={},
        protect=False,
        ignore_changes=(),
        dependencies=tuple(f"urn:{d}" for d in depends_on),
        additional_secret_outputs=(),
        retain_on_delete=False,
        delete_before_replace=False,
        aliases=0,
    )


def test_the_longest_chain_sets_the_total_and_is_reported_in_order() -> None:
    graph = Rendering(
        resources=[
            resource("vpc", VPC),
            resource("subnet", SUBNET, "vpc"),
            resource("nat", NAT, "vpc"),
            resource("service", SERVICE, "subnet", "nat"),
        ]
    )
    timeline = model(graph)
    expected = creation_seconds(VPC) + creation_seconds(NAT) + creation_seconds(SERVICE)
    assert timeline.total_seconds == expected
    assert [s.name for s in timeline.critical_path] == ["vpc", "nat", "service"]
    assert timeline.critical_path[-1].starts_at == creation_seconds(VPC) + creation_seconds(NAT)


def test_a_dependency_on_a_component_waits_for_everything_under_it() -> None:
    graph = Rendering(
        resources=[
            resource("network", "muon:network:Network", custom=False),
            resource("nat", NAT, parent="urn:network"),
            resource("service", SERVICE, "network"),
        ]
    )
    assert [s.name for s in model(graph).critical_path] == ["nat", "service"]
    assert model(graph).total_seconds == creation_seconds(NAT) + creation_seconds(SERVICE)


ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"


def test_an_s3_gateway_endpoint_weighs_seconds_and_an_interface_endpoint_minutes() -> None:
    # A gateway endpoint adds route table entries; an interface endpoint places network interfaces
    # in every zone and waits for them (VPC user guide, "Gateway endpoints" / "Interface endpoints").
    gateway = resource("s3", ENDPOINT, "vpc", inputs={"vpcEndpointType": "Gateway"})
    interface = resource("ecr", ENDPOINT, "vpc", inputs={"vpcEndpointType": "Interface"})
    assert weight(gateway) == GATEWAY_ENDPOINT_SECONDS
    assert weight(interface)[0] == creation_seconds(ENDPOINT) == 90.0
    graph = Rendering(resources=[resource("vpc", VPC), gateway, resource("service", SERVICE, "s3")])
    assert model(graph).total_seconds == creation_seconds(VPC) + 10.0 + creation_seconds(SERVICE)
    assert [s.basis for s in model(graph).critical_path][1] == GATEWAY_ENDPOINT_SECONDS[1]


def test_a_service_at_zero_tasks_weighs_no_rollout() -> None:
    idle = resource("idle", SERVICE, "vpc", inputs={"desiredCount": 0})
    running = resource("running", SERVICE, "vpc", inputs={"desiredCount": 2})
    assert weight(idle) == IDLE_SERVICE_SECONDS == (10.0, IDLE_SERVICE_SECONDS[1])
    assert weight(running)[0] == creation_seconds(SERVICE) == 180.0
    graph = Rendering(resources=[resource("vpc", VPC), idle])
    assert model(graph).total_seconds == creation_seconds(VPC) + 10.0


def test_the_rendered_bootstrap_weighs_its_gateway_endpoint_and_idle_services_by_their_inputs() -> None:
    bootstrap = render_repository_stack("dev", delivered=False)  # before any image: zero tasks
    gateway = bootstrap.one(ENDPOINT, "dev-s3-endpoint")
    assert weight(gateway) == GATEWAY_ENDPOINT_SECONDS
    (service,) = bootstrap.of_type(SERVICE)
    assert service.inputs["desiredCount"] == 0 and weight(service) == IDLE_SERVICE_SECONDS
    # The first deploy then ends with the database, not with a rollout that starts no task.
    assert [s.name for s in model(bootstrap).critical_path][-2:] == [
        "dev-banana-database-instance-0",
        "dev-banana-database-instance-events",
    ]


def test_a_cycle_is_an_error_not_a_hang() -> None:
    graph = Rendering(resources=[resource("a", VPC, "b"), resource("b", SUBNET, "a")])
    with pytest.raises(ValueError, match="dependency cycle"):
        model(graph)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_first_deploy_is_within_5_percent_of_its_unavoidable_chain(
    stack: str, request: pytest.FixtureRequest
) -> None:
    """A needless dependency (a service waiting for the load balancer's alarms, a database waiting
    for the NAT gateways) lengthens the critical path beyond the chain AWS itself imposes."""
    rendering: Rendering = request.getfixturevalue(stack)
    timeline = model(rendering)
    floor = sum(creation_seconds(t) for t in UNAVOIDABLE_CHAIN)
    path_types = [s.type for s in timeline.critical_path]
    positions = [path_types.index(t) for t in UNAVOIDABLE_CHAIN]
    assert positions == sorted(positions), path_types  # the modeled path is that chain
    assert floor <= timeline.total_seconds <= floor * 1.05


def test_plan_prints_the_timeline_and_carries_it_in_json(tmp_path) -> None:
    target = tmp_path / "plan.json"
    out, err = io.StringIO(), io.StringIO()
    assert main(["dev", "--quiet", "--timeline", "--json", str(target)], out=out, err=err) == 0
    document = json.loads(target.read_text())["timeline"]
    assert "Modeled first deploy: " in out.getvalue()
    assert document["criticalPath"][0]["type"] == VPC
    steps = document["criticalPath"]
    assert document["totalSeconds"] == steps[-1]["startsAtSeconds"] + steps[-1]["seconds"]
    assert all(step["basis"] for step in steps)


@pytest.mark.slow
def test_the_muon_command_passes_timeline_through() -> None:
    result = muon_plan_dev()  # with --timeline
    assert result.returncode == 0, result.stderr
    assert "Modeled first deploy: " in result.stdout
    assert "aws:rds/clusterInstance:ClusterInstance  dev-banana-database-instance-0" in result.stdout
