"""The typed shape of ``muon.yaml``.

Keys are camelCase in YAML (mu's style) and snake_case in Python. Unknown keys are errors, so a
typo never silently turns into a default. Fields left ``None`` take the environment tier's
default (see ``stacks/defaults.py``); the README's definition reference is written from here.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic.alias_generators import to_camel

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy); 0 is "never expire".
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip

PATTERN_HINTS: dict[str, str] = {}
"""What each string pattern means, in words, for error messages (pattern → hint)."""


def pattern(regex: str, hint: str) -> StringConstraints:
    """A string constraint whose error message says ``hint`` rather than the regex."""
    PATTERN_HINTS[regex] = hint
    return StringConstraints(pattern=regex)


Name = Annotated[
    str,
    pattern(
        r"^[a-z][a-z0-9-]{0,20}[a-z0-9]$",
        "a name of 2-22 lowercase letters, digits and '-', starting with a letter",
    ),
]
"""Environment and service names end up in AWS resource names: short, lowercase, DNS-safe."""


def _ipv4_cidr(value: str) -> str:
    try:
        return str(ipaddress.IPv4Network(value, strict=True))
    except ValueError as error:
        raise ValueError(f"expected an IPv4 CIDR block such as 10.0.0.0/16 ({error})") from None


def _log_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(v) for v in LOG_RETENTION_DAYS)
        raise ValueError(f"CloudWatch Logs accepts only these retention days: {allowed}")
    return value


Cidr = Annotated[str, AfterValidator(_ipv4_cidr)]
RetentionDays = Annotated[int, AfterValidator(_log_retention)]
Email = Annotated[str, pattern(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "an email address")]
AcmCertificateArn = Annotated[
    str,
    pattern(
        r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$",
        "an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)",
    ),
]
WafAclArn = Annotated[
    str,
    pattern(
        r"^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional/webacl/.+$",
        "a regional WAFv2 web ACL ARN",
    ),
]
VpcId = Annotated[str, pattern(r"^vpc-[0-9a-f]{8,17}$", "a VPC id (vpc-0123abcd...)")]
SubnetId = Annotated[str, pattern(r"^subnet-[0-9a-f]{8,17}$", "a subnet id (subnet-0123abcd...)")]

Tier = Literal["development", "production"]
NatStrategy = Literal["none", "single", "per-az"]
CostProfile = Literal["standard", "minimal"]
ClusterProvider = Literal["fargate", "ec2"]


class Spec(BaseModel):
    """Base of every definition object: camelCase keys, unknown keys rejected, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
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
    nat: NatStrategy | None = Field(
        default=None, description="NAT gateways: none, single, or per-az (one per zone)."
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
        if self.existing is not None:
            chosen = [k for k in ("azs", "nat", "endpoints") if getattr(self, k) is not None]
            if chosen:
                raise ValueError(
                    f"{', '.join(chosen)} cannot be combined with existing: an existing VPC "
                    "keeps its own zones, NAT and endpoints"
                )
        return self


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
        default=None, description="Fargate: run extra tasks on FARGATE_SPOT (dev default)."
    )

    @model_validator(mode="after")
    def _check(self) -> ClusterSpec:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        if self.provider == "fargate":
            ec2_only = [k for k in ("min", "max") if getattr(self, k) is not None]
            if ec2_only:
                raise ValueError(
                    f"{', '.join(ec2_only)} only apply to provider: ec2 (Fargate has no instances)"
                )
        return self


class LoadBalancerSpec(Spec):
    certificate_arn: AcmCertificateArn | None = Field(
        default=None, description="ACM certificate: HTTPS listener plus HTTP to HTTPS redirect."
    )
    ssl_policy: Annotated[
        str, pattern(r"^ELBSecurityPolicy-[A-Za-z0-9-]+$", "an ELB security policy name")
    ] = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    ingress_cidrs: list[Cidr] = Field(default_factory=lambda: ["0.0.0.0/0"], min_length=1)
    internal: bool = False
    idle_timeout: int = Field(default=60, ge=1, le=4000)
    access_logs: bool = True
    deletion_protection: bool | None = None
    web_acl_arn: WafAclArn | None = None


class EnvironmentSpec(Spec):
    tier: Tier | None = Field(
        default=None,
        description="development or production; by default production when the name starts "
        "with 'prod'. Sets the defaults for every field left out.",
    )
    cost: CostProfile = Field(
        default="standard",
        description="minimal: no NAT gateway, VPC endpoints instead, Fargate Spot.",
    )
    network: NetworkSpec = Field(default_factory=NetworkSpec)
    cluster: ClusterSpec = Field(default_factory=ClusterSpec)
    load_balancer: LoadBalancerSpec = Field(default_factory=LoadBalancerSpec)
    log_retention_days: RetentionDays | None = None
    alarm_emails: list[Email] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> EnvironmentSpec:
        if self.cost == "minimal" and self.network.nat not in (None, "none"):
            raise ValueError(f"cost: minimal means no NAT gateway, but network.nat is {self.network.nat}")
        return self


class ScalingSpec(Spec):
    min: int | None = Field(default=None, ge=0, le=1000)
    max: int = Field(default=20, ge=1, le=1000)

    @model_validator(mode="after")
    def _check(self) -> ScalingSpec:
        if self.min is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class DatabaseSpec(Spec):
    name: Annotated[
        str,
        pattern(
            r"^[A-Za-z][A-Za-z0-9_]{0,63}$",
            "a database name: a letter, then up to 63 letters, digits or '_'",
        ),
    ]


class ServiceSpec(Spec):
    port: int = Field(ge=1, le=65535)
    path_patterns: list[str] = Field(default_factory=list)
    host_patterns: list[str] = Field(default_factory=list)
    cpu: int = 256
    memory: int = 512
    image: str | None = None
    scaling: ScalingSpec = Field(default_factory=ScalingSpec)
    environment: dict[str, str] = Field(default_factory=dict)
    database: DatabaseSpec | None = None


PipelineSourceProvider = Literal["github", "codecommit", "s3"]


class PipelineSourceSpec(Spec):
    provider: PipelineSourceProvider = "github"
    repo: str
    branch: str = "main"
    connection: str | None = None


class PipelineStageSpec(Spec):
    environment: Name
    approval: bool = False
    test: str | None = None


class PipelineSpec(Spec):
    source: PipelineSourceSpec
    stages: list[PipelineStageSpec] = Field(min_length=1)


class Definition(Spec):
    """A whole ``muon.yaml``."""

    model_config = ConfigDict(title="muon definition (muon.yaml)")

    environments: dict[Name, EnvironmentSpec] = Field(min_length=1)
    services: dict[Name, ServiceSpec] = Field(default_factory=dict)
    pipeline: PipelineSpec | None = None

    @model_validator(mode="after")
    def _check_references(self) -> Definition:
        for index, stage in enumerate(self.pipeline.stages if self.pipeline else []):
            if stage.environment not in self.environments:
                known = ", ".join(sorted(self.environments))
                raise _PathError(
                    ("pipeline", "stages", index, "environment"),
                    f"unknown environment '{stage.environment}'; defined: {known}",
                )
        return self


class _PathError(ValueError):
    """A cross-reference error found at the top level but belonging to a deeper path."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        self.loc = loc
        super().__init__(message)


def tier_of(name: str, spec: EnvironmentSpec) -> Tier:
    """An environment's tier: explicit, or production when its name says so."""
    if spec.tier is not None:
        return spec.tier
    return "production" if re.match(r"^pro?d", name) else "development"
