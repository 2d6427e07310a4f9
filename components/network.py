"""The Network: a VPC with public, private and isolated subnets in each zone, or an existing VPC."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from muon.components.addressing import plan_subnets
from muon.components.nat_instance import nat_instance
from muon.components.network_args import ExistingNetwork, NetworkArgs
from muon.components.policies import allow, assume_role_policy, document, ready, to_json

ANYWHERE = "0.0.0.0/0"

# Interface endpoints that let private tasks pull images, write logs and read parameters
# without a NAT gateway. The cluster may add its own (ECS agent endpoints on EC2).
BASE_INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "logs", "ssm", "ssmmessages")


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    vpc_cidr: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    isolated_subnet_ids: pulumi.Output[list[str]]
    private_route_table_ids: list[pulumi.Output[str]]
    """One per zone (empty for an existing VPC, whose routes are not muon's)."""
    nat_gateway_count: int

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:network:Network", name, None, opts)
        self._name = name
        self._args = args
        self._child = pulumi.ResourceOptions(parent=self)
        self.private_route_table_ids = []
        if args.existing is not None:
            self._adopt(args.existing)
        else:
            self._create()
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "vpcCidr": self.vpc_cidr,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
                "isolatedSubnetIds": self.isolated_subnet_ids,
            }
        )

    def _tags(self, role: str) -> dict[str, str]:
        return {**self._args.tags, "Name": f"{self._name}-{role}"}

    def _adopt(self, existing: ExistingNetwork) -> None:
        vpc = aws.ec2.get_vpc_output(id=existing.vpc_id, opts=pulumi.InvokeOutputOptions(parent=self))
        self.vpc_id = pulumi.Output.from_input(existing.vpc_id)
        self.vpc_cidr = vpc.cidr_block
        self.public_subnet_ids = pulumi.Output.from_input(list(existing.public_subnet_ids))
        self.private_subnet_ids = pulumi.Output.from_input(list(existing.private_subnet_ids))
        self.isolated_subnet_ids = pulumi.Output.from_input(
            list(existing.isolated_subnet_ids or existing.private_subnet_ids)
        )
        self.nat_gateway_count = 0

    def _create(self) -> None:
        args, name, child = self._args, self._name, self._child
        if not args.availability_zones:
            raise ValueError("NetworkArgs.availability_zones is empty")
        if args.key_arn is None:
            raise ValueError("NetworkArgs.key_arn is required to encrypt the flow logs")
        zones = args.availability_zones
        plan = plan_subnets(args.cidr, len(zones))

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=self._tags("vpc"),
            opts=child,
        )
        # Adopting the default security group and NACL with no rules closes them (EC2.2).
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=vpc.id, tags=self._tags("default-closed"), opts=child
        )
        aws.ec2.DefaultNetworkAcl(
            f"{name}-default-nacl",
            default_network_acl_id=vpc.default_network_acl_id,
            tags=self._tags("default-closed"),
            opts=child.merge(pulumi.ResourceOptions(ignore_changes=["subnetIds"])),
        )
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=self._tags("igw"), opts=child)

        def subnets(tier: str, cidrs: tuple[str, ...]) -> list[aws.ec2.Subnet]:
            return [
                aws.ec2.Subnet(
                    f"{name}-{tier}-{index}",
                    vpc_id=vpc.id,
                    cidr_block=cidr,
                    availability_zone=zone,
                    map_public_ip_on_launch=False,
                    tags={**self._tags(f"{tier}-{zone}"), "muon:tier": tier},
                    opts=child,
                )
                for index, (zone, cidr) in enumerate(zip(zones, cidrs, strict=True))
            ]

        public = subnets("public", plan.public)
        private = subnets("private", plan.private)
        isolated = subnets("isolated", plan.isolated)

        public_routes = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=vpc.id,
            routes=[{"cidr_block": ANYWHERE, "gateway_id": igw.id}],
            tags=self._tags("public"),
            opts=child,
        )
        public_associations = self._associate("public", public, [public_routes] * len(public))

        if args.nat == "instance":
            self.nat_gateway_count = 0
            interface_id = nat_instance(
                f"{name}-nat",
                vpc_id=vpc.id,
                cidr=args.cidr,
                subnet_id=public[0].id,
                routed=public_associations[0],
                tags=self._tags("nat"),
                opts=child,
            )
            routes = [{"cidr_block": ANYWHERE, "network_interface_id": interface_id}]
            default_routes = [routes] * len(zones)
        else:
            nat_ids = self._nat_gateways(public, igw)
            default_routes = [
                [{"cidr_block": ANYWHERE, "nat_gateway_id": nat_ids[index % len(nat_ids)]}] if nat_ids else []
                for index in range(len(zones))
            ]
        private_routes = [
            aws.ec2.RouteTable(
                f"{name}-private-rt-{index}",
                vpc_id=vpc.id,
                routes=default_routes[index],
                tags=self._tags(f"private-{zone}"),
                opts=child,
            )
            for index, zone in enumerate(zones)
        ]
        private_associations = self._associate("private", private, private_routes)

        # Isolated subnets keep only the implicit local route: no internet, no NAT.
        isolated_routes = aws.ec2.RouteTable(
            f"{name}-isolated-rt", vpc_id=vpc.id, routes=[], tags=self._tags("isolated"), opts=child
        )
        self._associate("isolated", isolated, [isolated_routes] * len(isolated))

        self._network_acls(vpc, public, private, isolated)
        self._flow_logs(vpc)
        endpoints = self._endpoints(vpc, private, [*private_routes, isolated_routes])

        self.vpc_id = vpc.id
        self.vpc_cidr = vpc.cidr_block
        self.private_route_table_ids = [t.id for t in private_routes]
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public])
        # Tasks pull images and ship logs the moment they start: hand the private subnets out once
        # their way out exists (routes through NAT, the endpoints). A data dependency, so only
        # what runs there waits.
        self.private_subnet_ids = ready(
            pulumi.Output.all(*[s.id for s in private]), *private_associations, *endpoints
        )
        self.isolated_subnet_ids = pulumi.Output.all(*[s.id for s in isolated])

    def _associate(
        self, tier: str, subnets: list[aws.ec2.Subnet], tables: list[aws.ec2.RouteTable]
    ) -> list[aws.ec2.RouteTableAssociation]:
        return [
            aws.ec2.RouteTableAssociation(
                f"{self._name}-{tier}-rta-{index}",
                subnet_id=subnet.id,
                route_table_id=table.id,
                opts=self._child,
            )
            for index, (subnet, table) in enumerate(zip(subnets, tables, strict=True))
        ]

    def _nat_gateways(
        self, public: list[aws.ec2.Subnet], igw: aws.ec2.InternetGateway
    ) -> list[pulumi.Output[str]]:
        count = {"none": 0, "single": 1, "per-az": len(public)}[self._args.nat]
        self.nat_gateway_count = count
        ids = []
        for index in range(count):
            eip = aws.ec2.Eip(
                f"{self._name}-nat-eip-{index}",
                domain="vpc",
                tags=self._tags(f"nat-{index}"),
                opts=self._child,
            )
            nat = aws.ec2.NatGateway(
                f"{self._name}-nat-{index}",
                allocation_id=eip.allocation_id,
                subnet_id=public[index].id,
                tags=self._tags(f"nat-{index}"),
                # The gateway needs the internet gateway attached before it can route.
                opts=self._child.merge(pulumi.ResourceOptions(depends_on=[igw])),
            )
            ids.append(nat.id)
        return ids

    def _network_acls(
        self,
        vpc: aws.ec2.Vpc,
        public: list[aws.ec2.Subnet],
        private: list[aws.ec2.Subnet],
        isolated: list[aws.ec2.Subnet],
    ) -> None:
        cidr = self._args.cidr
        from_vpc = _acl_rule(100, "-1", cidr, 0, 0)
        # Return traffic for connections out through NAT or the internet gateway. The range
        # skips 3389 so that no rule admits RDP (or SSH, 22) from anywhere (EC2.21).
        return_traffic = [
            _acl_rule(200, "tcp", ANYWHERE, 1024, 3388),
            _acl_rule(210, "tcp", ANYWHERE, 3390, 65535),
        ]
        to_anywhere = [_acl_rule(100, "-1", ANYWHERE, 0, 0)]
        acls = {
            "public": (
                public,
                [
                    from_vpc,
                    _acl_rule(110, "tcp", ANYWHERE, 443, 443),
                    _acl_rule(120, "tcp", ANYWHERE, 80, 80),
                    *return_traffic,
                ],
                to_anywhere,
            ),
            "private": (private, [from_vpc, *self._from_peers(), *return_traffic], to_anywhere),
            "isolated": (isolated, [from_vpc], [_acl_rule(100, "-1", cidr, 0, 0)]),
        }
        for tier, (subnets, ingress, egress) in acls.items():
            aws.ec2.NetworkAcl(
                f"{self._name}-{tier}-nacl",
                vpc_id=vpc.id,
                subnet_ids=[s.id for s in subnets],
                ingress=ingress,
                egress=egress,
                tags=self._tags(tier),
                opts=self._child,
            )

    def _from_peers(self) -> list[dict]:
        """An internal load balancer's listeners, for the peer networks: the rules stop at the first
        match and admit the VPC only, so a VPN or peered client's request was dropped at the subnet."""
        rules = []
        for index, cidr in enumerate(self._args.peer_cidrs):
            rules += [
                _acl_rule(110 + 2 * index, "tcp", cidr, 443, 443),
                _acl_rule(111 + 2 * index, "tcp", cidr, 80, 80),
            ]
        return rules

    def _flow_logs(self, vpc: aws.ec2.Vpc) -> None:
        args, name, child = self._args, self._name, self._child
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/{args.context.namespace}/{name}/vpc-flow-logs",
            retention_in_days=args.flow_log_retention_days,
            kms_key_id=args.key_arn,
            tags=args.tags,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=assume_role_policy(
                "vpc-flow-logs.amazonaws.com", source_account=args.context.account_id
            ),
            tags=args.tags,
            opts=child,
        )
        write = aws.iam.RolePolicy(
            f"{name}-flow-logs-write",
            role=role.id,
            policy=to_json(
                document(
                    allow(
                        [
                            "logs:CreateLogStream",
                            "logs:PutLogEvents",
                            "logs:DescribeLogStreams",
                        ],
                        [group.arn, group.arn.apply(lambda arn: f"{arn}:*")],
                    )
                )
            ),
            opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            # A flow log delivers at once: hand the role over with its policy attached.
            iam_role_arn=ready(role.arn, write),
            max_aggregation_interval=60,
            tags=args.tags,
            opts=child,
        )

    def _endpoints(
        self, vpc: aws.ec2.Vpc, private: list[aws.ec2.Subnet], route_tables: list[aws.ec2.RouteTable]
    ) -> list[aws.ec2.VpcEndpoint]:
        """The endpoints, gateway and interface, that private tasks reach AWS through."""
        args, name, child = self._args, self._name, self._child
        prefix = f"com.amazonaws.{args.context.region}"
        endpoints = []
        if args.gateway_endpoints:
            gateway = aws.ec2.VpcEndpoint(
                f"{name}-s3-endpoint",
                vpc_id=vpc.id,
                service_name=f"{prefix}.s3",
                vpc_endpoint_type="Gateway",
                route_table_ids=[t.id for t in route_tables],
                tags=self._tags("s3"),
                opts=child,
            )
            endpoints.append(gateway)
        if not args.interface_endpoints:
            return endpoints
        group = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=vpc.id,
            description=f"VPC interface endpoints of {name}: HTTPS from inside the VPC",
            ingress=[
                {
                    "description": "HTTPS from the VPC",
                    "protocol": "tcp",
                    "from_port": 443,
                    "to_port": 443,
                    "cidr_blocks": [args.cidr],
                }
            ],
            tags=self._tags("endpoints"),
            opts=child,
        )
        for service in args.interface_endpoints:
            interface = aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}-endpoint",
                vpc_id=vpc.id,
                service_name=f"{prefix}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in private],
                security_group_ids=[group.id],
                tags=self._tags(service),
                opts=child,
            )
            endpoints.append(interface)
        return endpoints


def _acl_rule(number: int, protocol: str, cidr: str, from_port: int, to_port: int) -> dict:
    return {
        "rule_no": number,
        "action": "allow",
        "protocol": protocol,
        "cidr_block": cidr,
        "from_port": from_port,
        "to_port": to_port,
    }
