"""An environment of ``muon.yaml``: network, cluster, load balancer, domain, WAF."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import (
    Field,
    model_validator,
)
from pydantic.alias_generators import to_camel

from muon.components.tls_policies import TLS_POLICIES
from muon.stacks.definition.continuity import ContinuitySpec
from muon.stacks.definition.fields import (
    AcmCertificateArn,
    Cidr,
    ClusterProvider,
    CostProfile,
    Email,
    Name,
    NatStrategy,
    RetentionDays,
    SlackSpec,
    Spec,
    SubnetId,
    Tags,
    Tier,
    VpcId,
    _PathError,
    pattern,
)
from muon.stacks.definition.types import (
    ArnScope,
    FreeText,
    HostName,
    ProxyUrl,
)


class ExistingNetworkSpec(Spec):
    """Deploy into a VPC that already exists (mu's ``vpcTarget``) instead of creating one."""

    vpc_id: VpcId
    public_subnet_ids: list[SubnetId] = Field(min_length=2)
    private_subnet_ids: list[SubnetId] = Field(min_length=2)
    isolated_subnet_ids: list[SubnetId] = Field(default_factory=list)


class NetworkSpec(Spec):
    cidr: Cidr = Field(default="10.0.0.0/16", description="VPC CIDR block, /16 to /22.")
    azs: int | None = Field(default=None, ge=2, le=6, description="Availability zones (dev 2, production 3).")
    zones: (
        list[Annotated[str, pattern(r"^[a-z]{2}(-[a-z]+)+-\d[a-z]$", "a zone name such as us-east-1a")]]
        | None
    ) = Field(
        default=None,
        min_length=2,
        max_length=6,
        description="The zones, by name (default: the region's first ones, in name order).",
    )
    nat: NatStrategy | None = Field(
        default=None,
        description="Egress of private subnets: instance (one NAT instance), single (one NAT gateway), "
        "per-az (a gateway per zone) or none. Default: production per-az; development the cheapest "
        "by muon's price table.",
    )
    endpoints: bool | None = Field(
        default=None,
        description="VPC endpoints for S3, ECR, CloudWatch Logs and SSM (production on).",
    )
    existing: ExistingNetworkSpec | None = None

    @model_validator(mode="after")
    def _check(self) -> NetworkSpec:
        prefix = ipaddress.IPv4Network(self.cidr).prefixlen
        if not 16 <= prefix <= 22:
            raise ValueError(f"cidr {self.cidr}: the VPC prefix must be /16 to /22")
        if self.zones is not None:
            if len(set(self.zones)) != len(self.zones):
                raise _PathError(("zones",), "a zone is listed twice")
            if self.azs is not None and self.azs != len(self.zones):
                raise _PathError(("azs",), f"{self.azs} zones, but zones lists {len(self.zones)}; give one")
        if self.existing is not None:
            chosen = [k for k in ("azs", "zones", "nat", "endpoints") if getattr(self, k) is not None]
            if chosen:
                raise ValueError(
                    f"{', '.join(chosen)} cannot be combined with existing: an existing VPC "
                    "keeps its own zones, NAT and endpoints"
                )
        return self


MAX_EXTRA_USER_DATA = 12_000
"""EC2 takes 16 KB of user data; muon's own lines (cluster, proxy) need the rest."""


class ClusterSpec(Spec):
    provider: ClusterProvider | None = Field(
        default=None, description="fargate (default) or ec2 instances in an auto scaling group."
    )
    instance_type: Annotated[
        str, pattern(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$", "an EC2 instance type such as t3.large")
    ] = "t3.medium"
    min: int | None = Field(default=None, ge=0, le=1000, description="EC2: smallest group size.")
    max: int | None = Field(default=None, ge=1, le=1000, description="EC2: largest group size.")
    root_volume_size: int = Field(default=30, ge=30, le=16384, description="EC2: GiB, encrypted.")
    spot: bool | None = Field(
        default=None,
        description="Fargate: run tasks on FARGATE_SPOT (development: all of them; "
        "production: all but the first).",
    )
    container_insights: bool | None = Field(
        default=None,
        description="CloudWatch Container Insights (production default; development off: "
        "its metrics cost more than the rest of a small cluster's monitoring).",
    )
    image_id: (
        Annotated[
            str,
            pattern(
                r"^(ami-[0-9a-f]{8,17}|(resolve:ssm:)?/[A-Za-z0-9_./-]{1,1010})$",
                "an AMI id (ami-0123456789abcdef0) or a Parameter Store name holding one (/acme/ecs-ami, "
                "or EC2's resolve:ssm:/acme/ecs-ami)",
            ),
        ]
        | None
    ) = Field(default=None, description="EC2: a hardened AMI, or the SSM parameter naming the current one.")
    user_data: FreeText | None = Field(
        default=None,
        max_length=MAX_EXTRA_USER_DATA,
        description="EC2: shell lines run at boot after muon's own (which join the cluster).",
    )
    http_proxy: ProxyUrl | None = Field(
        default=None,
        description="Egress through a proxy: the ECS agent and Docker (EC2) and every task's HTTP(S)_PROXY, "
        "with the VPC, AWS endpoints and the metadata addresses in NO_PROXY.",
    )

    @model_validator(mode="after")
    def _check(self) -> ClusterSpec:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        if self.provider != "ec2":
            hosts = [to_camel(k) for k in ("image_id", "user_data") if getattr(self, k) is not None]
            if hosts:
                raise _PathError(
                    (hosts[0],), "configures EC2 hosts: it needs provider: ec2 (Fargate has none)"
                )
        if self.provider == "fargate":
            ec2_only = [k for k in ("min", "max") if getattr(self, k) is not None]
            if ec2_only:
                raise ValueError(
                    f"{', '.join(ec2_only)} only apply to provider: ec2 (Fargate has no instances)"
                )
        return self


TlsPolicy = Literal[TLS_POLICIES]  # type: ignore[valid-type]  # the tuple, as a Literal


MAX_PEER_CIDRS = 8
"""A network ACL takes 20 inbound rules (VPC quotas, adjustable): muon's private one uses 3, and each
peer network 2 (HTTP and HTTPS)."""


class LoadBalancerSpec(Spec):
    certificate_arn: AcmCertificateArn | None = Field(
        default=None, description="ACM certificate: HTTPS listener plus HTTP to HTTPS redirect."
    )
    ssl_policy: TlsPolicy = Field(
        default="ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
        description="TLS policy of the HTTPS listener: one of those Security Hub's ELB.17 accepts.",
    )
    ingress_cidrs: list[Cidr] = Field(default_factory=lambda: ["0.0.0.0/0"], min_length=1)
    internal: bool = False
    peer_cidrs: list[Cidr] = Field(
        default_factory=list,
        max_length=MAX_PEER_CIDRS,
        description="An internal load balancer: networks outside the VPC (VPN, Direct Connect, peering, "
        "Transit Gateway) that may reach it, admitted by the private subnets' network ACL and its "
        "security group on 80 and 443.",
    )
    idle_timeout: int = Field(default=60, ge=1, le=4000)
    access_logs: bool = True
    deletion_protection: bool | None = None
    allow_plain_http: bool = Field(
        default=False,
        description="Production: serve plain HTTP without a domain or certificate (warned every deploy).",
    )

    @model_validator(mode="after")
    def _check_peers(self) -> LoadBalancerSpec:
        if self.peer_cidrs and not self.internal:
            raise _PathError(
                ("peerCidrs",),
                "peer networks reach an internal load balancer (internal: true); an internet-facing one "
                "admits its clients through ingressCidrs",
            )
        for index, cidr in enumerate(self.peer_cidrs):
            if ipaddress.IPv4Network(cidr).prefixlen == 0:
                raise _PathError(
                    ("peerCidrs", index), "0.0.0.0/0 is every address, not a peer network: name its block"
                )
            if cidr in self.peer_cidrs[:index]:
                raise _PathError(("peerCidrs", index), f"{cidr} is listed twice")
        return self


ZoneId = Annotated[str, pattern(r"^Z[A-Z0-9]{1,31}$", "a Route 53 hosted zone id (Z...)")]


class DomainSpec(Spec):
    """The environment's own domain: HTTPS on it, and DNS records for it and its services."""

    name: HostName = Field(description="The environment's name, e.g. banana.example.com.")
    zone: HostName | None = Field(default=None, description="The Route 53 public hosted zone it is in.")
    zone_id: ZoneId | None = Field(default=None, description="…or that zone's id.")
    create_zone: bool = Field(
        default=False, description="Create a zone for the name itself (delegate it from its parent)."
    )

    @model_validator(mode="after")
    def _check(self) -> DomainSpec:
        given = [k for k, v in (("zone", self.zone), ("zoneId", self.zone_id)) if v is not None]
        if self.create_zone and given:
            raise ValueError(f"createZone makes a zone for the name: {given[0]} cannot be given too")
        if not self.create_zone and len(given) != 1:
            raise ValueError("give the hosted zone (zone or zoneId), or createZone: true")
        if self.zone is not None and not (self.name == self.zone or self.name.endswith(f".{self.zone}")):
            raise _PathError(("name",), f"{self.name} is not inside the zone {self.zone}")
        return self


WafMode = Annotated[
    str,
    pattern(
        r"^(managed|off|arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional/webacl/[\w-]+/[\w-]+)$",
        "managed, off, or a regional WAFv2 web ACL ARN (arn:aws:wafv2:REGION:ACCOUNT:regional/webacl/…)",
    ),
    # A regional web ACL protects resources of its own region only (WAF developer guide).
    ArnScope("a regional web ACL", "stack"),
]


class AttachSpec(Spec):
    """An environment another project's stack deployed (a platform project): this project's
    services, databases and routing go into it."""

    stack: Annotated[
        str,
        pattern(
            r"^([A-Za-z0-9_.-]+/){0,2}[A-Za-z0-9_.-]+$",
            "a stack name: stack, project/stack or organization/project/stack",
        ),
    ]
    environment: Name | None = Field(
        default=None, description="Its name in the platform project (default: the same name)."
    )


# What an attached environment takes from its platform stack, not from this definition.
PLATFORM_KEYS = (
    "tier",
    "cost",
    "network",
    "cluster",
    "load_balancer",
    "domain",
    "waf",
    "waf_block",
    "log_retention_days",
    "continuity",
)


class EnvironmentSpec(Spec):
    tier: Tier | None = Field(
        default=None,
        description="development or production; by default production when the name starts "
        "with 'prod'. Sets the defaults for every field left out.",
    )
    cost: CostProfile = Field(
        default="standard",
        description="minimal: in any tier, the cheapest egress by muon's price table and every "
        "task on Fargate Spot.",
    )
    network: NetworkSpec = Field(default_factory=NetworkSpec.model_construct)
    cluster: ClusterSpec = Field(default_factory=ClusterSpec.model_construct)
    load_balancer: LoadBalancerSpec = Field(default_factory=LoadBalancerSpec.model_construct)
    domain: DomainSpec | None = None
    waf: WafMode | None = Field(
        default=None, description="managed (production default), off (development default) or a web ACL ARN."
    )
    waf_rate_limit: int = Field(
        default=2000,
        ge=10,
        le=2_000_000_000,
        description="Requests per client IP per 5 minutes (managed WAF).",
    )
    waf_block: list[Literal["SizeRestrictions_BODY", "NoUserAgent_HEADER"]] = Field(
        default_factory=list,
        description="Rules of AWS's common rule set the managed WAF blocks; by default it only counts "
        "these two: bodies over 8 KB and requests without a User-Agent.",
    )
    log_retention_days: RetentionDays | None = None
    alarm_emails: list[Email] = Field(default_factory=list)
    alarm_slack: SlackSpec | None = Field(
        default=None, description="The environment's alarms and incidents in a Slack channel (AWS Chatbot)."
    )
    attach: AttachSpec | None = None
    formerly: Name | None = Field(
        default=None,
        description="The environment's name before a rename: it is deployed under that name still, so "
        "every resource keeps its name and identity (AWS cannot rename a cluster, a vault or a database). "
        "Keep it.",
    )
    continuity: ContinuitySpec = Field(default_factory=ContinuitySpec.model_construct)
    tags: Tags = Field(
        default_factory=dict,
        description="Tags on every taggable resource of this environment (over the top-level ones).",
    )

    @model_validator(mode="after")
    def _check(self) -> EnvironmentSpec:
        if self.attach is not None:
            given = [to_camel(k) for k in PLATFORM_KEYS if k in self.model_fields_set]
            if self.alarm_emails:
                given.append("alarmEmails")
            if self.alarm_slack:
                given.append("alarmSlack")
            if given:
                raise ValueError(
                    f"an attached environment is deployed by stack {self.attach.stack}: {', '.join(given)} "
                    "belong in that platform project's definition"
                )
        if self.cost == "minimal" and self.network.nat in ("single", "per-az"):
            raise ValueError(
                f"cost: minimal chooses the cheapest egress by price, but network.nat is {self.network.nat}; "
                "drop one of them"
            )
        if self.domain is not None and self.load_balancer.certificate_arn is not None:
            raise _PathError(
                ("loadBalancer", "certificateArn"),
                "a domain brings its own certificate; give either domain or loadBalancer.certificateArn",
            )
        return self
