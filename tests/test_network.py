"""The Network component, asserted on the inputs it hands the provider."""

from __future__ import annotations

import ipaddress

import pytest

from muon.plan.offline import MuonMocks, Rendering
from muon.stacks.errors import DefinitionError


@pytest.mark.parametrize(
    ("nat", "zones", "gateways"),
    [("none", 2, 0), ("single", 2, 1), ("single", 3, 1), ("per-az", 3, 3), ("per-az", 2, 2)],
)
def test_nat_gateway_count_follows_the_strategy(
    render_definition, nat: str, zones: int, gateways: int
) -> None:
    rendering = render_definition(
        f"environments: {{dev: {{network: {{azs: {zones}, nat: {nat}}}}}}}", ["dev"]
    )
    assert len(rendering.of_type("aws:ec2/natGateway:NatGateway")) == gateways
    assert len(rendering.of_type("aws:ec2/eip:Eip")) == gateways
    private_tables = [
        r for r in rendering.of_type("aws:ec2/routeTable:RouteTable") if "-private-rt-" in r.name
    ]
    assert len(private_tables) == zones
    for table in private_tables:
        nat_routes = [route for route in table.inputs.get("routes", []) if "natGatewayId" in route]
        assert len(nat_routes) == (1 if gateways else 0)


def test_per_az_nat_routes_each_zone_through_its_own_gateway(render_definition) -> None:
    rendering = render_definition("environments: {dev: {network: {azs: 3, nat: per-az}}}", ["dev"])
    tables = sorted(
        (r for r in rendering.of_type("aws:ec2/routeTable:RouteTable") if "-private-rt-" in r.name),
        key=lambda r: r.name,
    )
    targets = [t.inputs["routes"][0]["natGatewayId"] for t in tables]
    assert len(set(targets)) == 3


def test_subnets_are_disjoint_inside_the_vpc_and_spread_over_zones(dev: Rendering) -> None:
    vpc = dev.one("aws:ec2/vpc:Vpc")
    block = ipaddress.IPv4Network(vpc.inputs["cidrBlock"])
    subnets = dev.of_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 6  # dev: 2 zones x 3 tiers
    networks = [ipaddress.IPv4Network(s.inputs["cidrBlock"]) for s in subnets]
    assert all(n.subnet_of(block) for n in networks)
    assert not any(a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1 :])
    for tier in ("public", "private", "isolated"):
        zones = {s.inputs["availabilityZone"] for s in subnets if s.name.startswith(f"dev-{tier}-")}
        assert zones == {"us-east-1a", "us-east-1b"}
    assert all(s.inputs.get("mapPublicIpOnLaunch") is False for s in subnets)


def test_isolated_subnets_have_no_route_out(prod: Rendering) -> None:
    isolated_table = prod.one("aws:ec2/routeTable:RouteTable", "production-isolated-rt")
    assert isolated_table.inputs.get("routes", []) == []
    associations = [
        r
        for r in prod.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
        if "-isolated-rta-" in r.name
    ]
    assert len(associations) == 3
    # Nothing else routes the isolated tier: its NACL admits and sends only VPC-internal traffic.
    acl = prod.one("aws:ec2/networkAcl:NetworkAcl", "production-isolated-nacl")
    cidrs = {rule["cidrBlock"] for rule in acl.inputs["ingress"] + acl.inputs["egress"]}
    assert cidrs == {"10.0.0.0/16"}


def test_public_subnets_route_to_the_internet_gateway(dev: Rendering) -> None:
    table = dev.one("aws:ec2/routeTable:RouteTable", "dev-public-rt")
    assert [(r["cidrBlock"], "gatewayId" in r) for r in table.inputs["routes"]] == [("0.0.0.0/0", True)]


def test_flow_logs_capture_all_traffic_into_an_encrypted_group(prod: Rendering) -> None:
    flow = prod.one("aws:ec2/flowLog:FlowLog")
    group = prod.one("aws:cloudwatch/logGroup:LogGroup", "production-flow-logs")
    key = prod.one("aws:kms/key:Key", "production-key")
    assert flow.inputs["trafficType"] == "ALL"
    assert flow.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow.inputs["logDestination"].endswith(":log-group:/muon/production/vpc-flow-logs")
    assert group.inputs["retentionInDays"] == 365
    assert group.inputs["kmsKeyId"].startswith("arn:aws:kms:")
    trust = prod.one("aws:iam/role:Role", "production-flow-logs-role").json("assumeRolePolicy")
    assert trust["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert key.inputs["enableKeyRotation"] is True


def test_dev_keeps_logs_for_a_short_time(dev: Rendering) -> None:
    assert dev.one("aws:cloudwatch/logGroup:LogGroup", "dev-flow-logs").inputs["retentionInDays"] == 14


def test_default_security_group_and_nacl_are_closed(dev: Rendering) -> None:
    group = dev.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert not group.inputs.get("ingress") and not group.inputs.get("egress")
    acl = dev.one("aws:ec2/defaultNetworkAcl:DefaultNetworkAcl")
    assert not acl.inputs.get("ingress") and not acl.inputs.get("egress")


def test_no_nacl_admits_ssh_or_rdp_from_anywhere(prod: Rendering) -> None:
    for acl in prod.of_type("aws:ec2/networkAcl:NetworkAcl"):
        for rule in acl.inputs["ingress"]:
            if rule["cidrBlock"] == "0.0.0.0/0":
                assert rule["protocol"] == "tcp"
                assert not rule["fromPort"] <= 22 <= rule["toPort"]
                assert not rule["fromPort"] <= 3389 <= rule["toPort"]
        assert acl.inputs["subnetIds"], acl.name


def test_production_has_endpoints_and_dev_only_the_free_s3_gateway(prod: Rendering, dev: Rendering) -> None:
    services = {r.inputs["serviceName"] for r in prod.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert {
        "com.amazonaws.us-east-1.s3",
        "com.amazonaws.us-east-1.ecr.api",
        "com.amazonaws.us-east-1.ecr.dkr",
        "com.amazonaws.us-east-1.logs",
        "com.amazonaws.us-east-1.ssm",
        "com.amazonaws.us-east-1.ecs-agent",  # prod runs on EC2: the agent needs its endpoints
    } <= services
    for endpoint in prod.of_type("aws:ec2/vpcEndpoint:VpcEndpoint"):
        if endpoint.inputs["vpcEndpointType"] == "Interface":
            assert endpoint.inputs["privateDnsEnabled"] is True
    (gateway,) = dev.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert (gateway.inputs["serviceName"], gateway.inputs["vpcEndpointType"]) == (
        "com.amazonaws.us-east-1.s3",
        "Gateway",
    )
    # Every private and isolated route table uses it: image layers come from S3 without NAT.
    tables = [r for r in dev.of_type("aws:ec2/routeTable:RouteTable") if "public" not in r.name]
    assert sorted(gateway.inputs["routeTableIds"]) == sorted(t.state["id"] for t in tables)


def test_minimal_cost_takes_the_cheapest_egress_and_runs_on_spot(render_definition) -> None:
    rendering = render_definition(
        "environments: {staging: {tier: production, cost: minimal, loadBalancer: {allowPlainHttp: true}}}",
        ["staging"],
    )
    assert rendering.of_type("aws:ec2/natGateway:NatGateway") == []
    assert rendering.one("aws:ec2/instance:Instance").name == "staging-nat-instance"
    assert [r.inputs["vpcEndpointType"] for r in rendering.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")] == [
        "Gateway"
    ]
    strategy = rendering.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    assert strategy.inputs["defaultCapacityProviderStrategies"] == [
        {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}
    ]


def test_too_many_zones_for_the_region_is_a_clear_error(render_definition) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(
            "environments: {dev: {network: {azs: 4}}}", ["dev"], mocks=MuonMocks(region="us-east-1", zones=3)
        )
    assert (
        "environments.dev.network.azs: 4 availability zones requested, but us-east-1 has 3 available"
        in str(caught.value)
    )


def test_existing_vpc_is_used_not_created(render_definition) -> None:
    rendering = render_definition(
        """
        environments:
          dev:
            network:
              existing:
                vpcId: vpc-0123456789abcdef0
                publicSubnetIds: [subnet-00000001, subnet-00000002]
                privateSubnetIds: [subnet-00000003, subnet-00000004]
        """,
        ["dev"],
    )
    assert rendering.of_type("aws:ec2/vpc:Vpc") == []
    assert rendering.of_type("aws:ec2/subnet:Subnet") == []
    lb = rendering.one("aws:lb/loadBalancer:LoadBalancer")
    assert lb.inputs["subnets"] == ["subnet-00000001", "subnet-00000002"]
    assert rendering.outputs["environments"]["dev"]["vpcId"] == "vpc-0123456789abcdef0"


def test_zones_do_not_move_when_one_is_impaired(render_definition) -> None:
    from muon.plan.offline import MuonMocks

    mocks = MuonMocks()
    rendering = render_definition("environments: {dev: {}}", ["dev"], mocks=mocks)
    (call,) = [params for token, params in mocks.calls if token.endswith("getAvailabilityZones")]
    # Every zone the account may use, whatever its state: the region's first ones, in name order.
    assert "state" not in call
    assert call["filters"] == [{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
    zones = sorted({s.inputs["availabilityZone"] for s in rendering.of_type("aws:ec2/subnet:Subnet")})
    assert zones == ["us-east-1a", "us-east-1b"]


def test_the_definition_can_name_the_zones(render_definition) -> None:
    rendering = render_definition(
        "environments: {dev: {network: {zones: [us-east-1c, us-east-1f]}}}\n"
        "services:\n  banana:\n    port: 80\n    pathPatterns: [/b]\n    database: {name: banana, instances: 2}\n",
        ["dev"],
    )
    zones = {s.inputs["availabilityZone"] for s in rendering.of_type("aws:ec2/subnet:Subnet")}
    assert zones == {"us-east-1c", "us-east-1f"}
    instances = rendering.of_type("aws:rds/clusterInstance:ClusterInstance")
    assert sorted(i.inputs["availabilityZone"] for i in instances) == ["us-east-1c", "us-east-1f"]


@pytest.mark.parametrize(
    ("network", "expected"),
    [
        (
            "{zones: [us-east-1a, us-east-1q]}",
            "environments.dev.network.zones[1]: us-east-1 has no zone 'us-east-1q'",
        ),
        ("{zones: [us-east-1a, us-east-1a]}", "environments.dev.network.zones: a zone is listed twice"),
        (
            "{azs: 3, zones: [us-east-1a, us-east-1b]}",
            "environments.dev.network.azs: 3 zones, but zones lists 2",
        ),
        ("{zones: [useast1a, us-east-1b]}", "environments.dev.network.zones[0]: expected a zone name"),
    ],
)
def test_bad_zones_are_one_line(render_definition, network: str, expected: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(f"environments: {{dev: {{network: {network}}}}}", ["dev"])
    (problem,) = caught.value.problems
    assert expected in problem


def test_without_nat_the_endpoints_are_on_and_cannot_be_turned_off(render_definition) -> None:
    rendering = render_definition("environments: {dev: {network: {nat: none}}}", ["dev"])
    services = {
        r.inputs["serviceName"].rsplit(".", 1)[-1]
        for r in rendering.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    }
    assert {"s3", "api", "dkr", "logs", "ssm"} <= services
    with pytest.raises(DefinitionError) as caught:
        render_definition("environments: {dev: {network: {nat: none, endpoints: false}}}", ["dev"])
    assert (
        "environments.dev.network: with nat: none and endpoints: false, tasks in the private subnets"
        in str(caught.value)
    )


VPN, PEERED = "172.16.0.0/12", "192.168.10.0/24"
INTERNAL = (
    "environments:\n  dev:\n    loadBalancer:\n      internal: true\n"
    "      ingressCidrs: [10.0.0.0/16]\n      peerCidrs: [%s]\n"
)


def test_an_internal_load_balancer_is_reached_from_its_peer_networks(render_definition) -> None:
    # The private subnets' network ACL admitted the VPC only: a VPN or peered client's request to
    # an internal load balancer was dropped at the subnet (network ACLs stop at the first match).
    rendering = render_definition(INTERNAL % f"{VPN}, {PEERED}", ["dev"])
    private = rendering.one("aws:ec2/networkAcl:NetworkAcl", "dev-private-nacl").inputs["ingress"]
    assert [(r["ruleNo"], r["cidrBlock"], r["fromPort"], r["toPort"]) for r in private] == [
        (100, "10.0.0.0/16", 0, 0),
        (110, VPN, 443, 443),
        (111, VPN, 80, 80),
        (112, PEERED, 443, 443),
        (113, PEERED, 80, 80),
        (200, "0.0.0.0/0", 1024, 3388),
        (210, "0.0.0.0/0", 3390, 65535),
    ]
    assert all(r["action"] == "allow" and r["protocol"] == "tcp" for r in private[1:5])
    public = rendering.one("aws:ec2/networkAcl:NetworkAcl", "dev-public-nacl").inputs["ingress"]
    assert not {VPN, PEERED} & {r["cidrBlock"] for r in public}
    # The load balancer's security group admits them beside its own ingressCidrs.
    group = rendering.one("aws:ec2/securityGroup:SecurityGroup", "dev-alb-sg").inputs["ingress"]
    by_cidr = {(r["cidrBlocks"][0], r["fromPort"]) for r in group if r.get("cidrBlocks")}
    assert by_cidr == {("10.0.0.0/16", 80), (VPN, 80), (PEERED, 80)}  # plain HTTP in dev
    assert rendering.one("aws:lb/loadBalancer:LoadBalancer").inputs["internal"] is True
    # And the pipeline's tests, run in the VPC under a group of their own (see test_pipeline.py).
    tests = rendering.one("aws:ec2/securityGroup:SecurityGroup", "dev-tests-sg")
    assert [r["securityGroups"] for r in group if r.get("securityGroups")] == [[tests.state["id"]]]
    assert "ingress" not in tests.inputs or not tests.inputs["ingress"]
    assert rendering.outputs["environments"]["dev"]["testSecurityGroupId"] == tests.state["id"]


def test_peers_already_admitted_by_ingress_cidrs_add_no_rule_to_the_group(render_definition) -> None:
    definition = (INTERNAL % VPN).replace("ingressCidrs: [10.0.0.0/16]", "ingressCidrs: [0.0.0.0/0]")
    group = render_definition(definition, ["dev"]).one("aws:ec2/securityGroup:SecurityGroup", "dev-alb-sg")
    assert [r.get("cidrBlocks") for r in group.inputs["ingress"] if r.get("cidrBlocks")] == [["0.0.0.0/0"]]


@pytest.mark.parametrize(
    ("load_balancer", "expected"),
    [
        (
            f"{{peerCidrs: [{VPN}]}}",
            "environments.dev.loadBalancer.peerCidrs: peer networks reach an internal load balancer "
            "(internal: true); an internet-facing one admits its clients through ingressCidrs",
        ),
        (
            "{internal: true, peerCidrs: [0.0.0.0/0]}",
            "environments.dev.loadBalancer.peerCidrs[0]: 0.0.0.0/0 is every address, not a peer network: "
            "name its block",
        ),
        (
            f"{{internal: true, peerCidrs: [{VPN}, {VPN}]}}",
            f"environments.dev.loadBalancer.peerCidrs[1]: {VPN} is listed twice",
        ),
        (
            "{internal: true, peerCidrs: [172.16.0.1/12]}",
            "environments.dev.loadBalancer.peerCidrs[0]: expected an IPv4 CIDR block such as 10.0.0.0/16",
        ),
        (
            f"{{internal: true, peerCidrs: [{', '.join(f'10.{i}.0.0/16' for i in range(100, 109))}]}}",
            "environments.dev.loadBalancer.peerCidrs: expected at most 8 items, got 9",
        ),
        (
            "{internal: true, peerCidrs: [10.0.128.0/24]}",
            "environments.dev.loadBalancer.peerCidrs[0]: 10.0.128.0/24 overlaps the VPC's 10.0.0.0/16; a "
            "peer network cannot share its addresses (the VPC is admitted already)",
        ),
    ],
)
def test_bad_peer_networks_are_one_line(render_definition, load_balancer: str, expected: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(f"environments: {{dev: {{loadBalancer: {load_balancer}}}}}", ["dev"])
    (problem,) = caught.value.problems
    assert expected in problem, problem
