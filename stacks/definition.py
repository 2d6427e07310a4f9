"""The typed shape of ``muon.yaml``.

Keys are camelCase in YAML (mu's style) and snake_case in Python. Unknown keys are errors, so a
typo never silently turns into a default. Fields left ``None`` take the environment tier's
default (see ``stacks/defaults.py``); the README's definition reference is written from here.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import zoneinfo
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

from muon.components.aurora import (
    ENGINES,
    RESERVED_USERNAMES,
    SERVERLESS_CLASS,
    Engine,
    instance_class_problem,
    supports_pause,
    version_problem,
)

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


ImageReference = Annotated[
    str,
    pattern(
        r"^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::\d+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
        r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$",
        "an image reference: [registry/]repository[:tag][@sha256:<64 hex digits>]",
    ),
]


ParameterReference = Annotated[
    str,
    pattern(
        r"^(?:/[A-Za-z0-9_.\-/${}]{1,2047}|arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/[A-Za-z0-9_.\-/]{1,2047})$",
        "a Parameter Store name starting with '/' (e.g. /banana/api-key, ${Environment} and "
        "${ServiceName} allowed) or a parameter ARN; never the secret itself",
    ),
]


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


TlsPolicy = Literal[
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
]


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
    idle_timeout: int = Field(default=60, ge=1, le=4000)
    access_logs: bool = True
    deletion_protection: bool | None = None
    allow_plain_http: bool = Field(
        default=False,
        description="Production: serve plain HTTP without a domain or certificate (warned every deploy).",
    )


HostName = Annotated[
    str,
    pattern(
        r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
        "a lowercase DNS name such as banana.example.com",
    ),
    Field(max_length=253),
]
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
]


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
    log_retention_days: RetentionDays | None = None
    alarm_emails: list[Email] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> EnvironmentSpec:
        if self.cost == "minimal" and self.network.nat not in (None, "none"):
            raise ValueError(f"cost: minimal means no NAT gateway, but network.nat is {self.network.nat}")
        if self.domain is not None and self.load_balancer.certificate_arn is not None:
            raise _PathError(
                ("loadBalancer", "certificateArn"),
                "a domain brings its own certificate; give either domain or loadBalancer.certificateArn",
            )
        return self


ScalingMetric = Literal["cpu", "memory", "requests"]


class StepSpec(Spec):
    at: float = Field(description="Metric value at which this step starts.")
    change: int = Field(
        ge=-1000, le=1000, description="Tasks to add (scale-out, > 0) or remove (scale-in, < 0)."
    )


class StepPolicySpec(Spec):
    steps: list[StepSpec] = Field(min_length=1)
    cooldown: int = Field(ge=0, le=3600, description="Seconds before another adjustment.")
    period: int = Field(default=300, description="Alarm period in seconds: 10, 30 or a multiple of 60.")
    evaluation_periods: int = Field(ge=1, le=100)

    @model_validator(mode="after")
    def _check(self) -> StepPolicySpec:
        if self.period not in (10, 30) and self.period % 60 != 0:
            raise ValueError(f"period {self.period}: CloudWatch accepts 10, 30 or a multiple of 60 seconds")
        return self


def _default_scale_out() -> StepPolicySpec:
    # mu's policy ("Application Auto Scaling with Amazon ECS"): CPU >= 80 over one 5-minute
    # period adds 2 tasks, cooldown 60 s.
    return StepPolicySpec(steps=[StepSpec(at=80, change=2)], cooldown=60, period=300, evaluation_periods=1)


def _default_scale_in() -> StepPolicySpec:
    # mu's -1 step, given its own low alarm (mu's single alarm could never fire it)
    # and a longer window (3 x 5 minutes) so the service does not flap.
    return StepPolicySpec(steps=[StepSpec(at=30, change=-1)], cooldown=300, period=300, evaluation_periods=3)


class ScheduleSpec(Spec):
    name: Annotated[
        str, pattern(r"^[a-z][a-z0-9-]{0,40}$", "a schedule name of lowercase letters, digits, '-'")
    ]
    schedule: Annotated[
        str,
        pattern(
            r"^(cron|rate|at)\(.+\)$", "an Application Auto Scaling schedule: cron(...), rate(...) or at(...)"
        ),
    ]
    min: int = Field(ge=0, le=1000)
    max: int = Field(ge=0, le=1000)
    timezone: str = "UTC"

    @model_validator(mode="after")
    def _check(self) -> ScheduleSpec:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        problem = schedule_problem(self.schedule)
        if problem:
            raise _PathError(("schedule",), problem)
        if self.timezone not in _time_zones():
            raise _PathError(
                ("timezone",), f"'{self.timezone}' is not an IANA time zone name (e.g. UTC, Europe/Paris)"
            )
        return self


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


_RATE_UNITS = {"minute", "minutes", "hour", "hours", "day", "days"}


def schedule_problem(schedule: str) -> str | None:
    """Why Application Auto Scaling would refuse ``schedule`` (PutScheduledAction), or None.

    cron has six fields (minutes hours day-of-month month day-of-week year) and exactly one of the
    two day fields is '?'; rate is a positive whole number and a unit (singular for 1); at is
    yyyy-mm-ddThh:mm:ss.
    """
    kind, _, rest = schedule.partition("(")
    body = rest[:-1].strip()
    if kind == "cron":
        fields = body.split()
        if len(fields) != 6:
            return (
                f"cron takes 6 fields (minutes hours day-of-month month day-of-week year), got {len(fields)}"
            )
        if (fields[2] == "?") == (fields[4] == "?"):
            return "cron needs '?' in exactly one of day-of-month and day-of-week"
        return None
    if kind == "rate":
        parts = body.split()
        if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) < 1 or parts[1] not in _RATE_UNITS:
            return "rate takes a positive whole number and minute(s), hour(s) or day(s), e.g. rate(5 minutes)"
        if (int(parts[0]) == 1) != (not parts[1].endswith("s")):
            return f"rate({body}): AWS wants the singular unit for 1 and the plural otherwise"
        return None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", body):
        return "at takes yyyy-mm-ddThh:mm:ss, e.g. at(2026-12-24T18:00:00)"
    return None


def _with_defaults(value: object, defaults: StepPolicySpec) -> object:
    """A step policy given in part keeps the default of every key it leaves out."""
    if not isinstance(value, dict):
        return value
    given = {to_camel(k) if "_" in str(k) else k: v for k, v in value.items()}
    return {**defaults.model_dump(by_alias=True), **given}


class ScalingSpec(Spec):
    min: int | None = Field(default=None, ge=0, le=1000, description="Fewest tasks (dev 1, production 2).")
    max: int = Field(default=20, ge=1, le=1000, description="Most tasks.")
    metric: ScalingMetric = Field(
        default="cpu", description="cpu, memory (utilisation %) or requests (ALB requests per target)."
    )
    scale_out: StepPolicySpec = Field(default_factory=_default_scale_out)
    scale_in: StepPolicySpec = Field(default_factory=_default_scale_in)
    schedules: list[ScheduleSpec] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _deep_defaults(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for key, default in (("scaleOut", _default_scale_out()), ("scaleIn", _default_scale_in())):
            snake = "scale_out" if key == "scaleOut" else "scale_in"
            for name in (key, snake):
                if name in data:
                    data[name] = _with_defaults(data[name], default)
        return data

    @model_validator(mode="after")
    def _check(self) -> ScalingSpec:
        if self.min is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        _check_steps(self.scale_out.steps, ascending=True, sign=1, where="scaleOut")
        _check_steps(self.scale_in.steps, ascending=False, sign=-1, where="scaleIn")
        if self.metric in ("cpu", "memory"):
            for where, policy in (("scaleOut", self.scale_out), ("scaleIn", self.scale_in)):
                for index, step in enumerate(policy.steps):
                    if not 0 <= step.at <= 100:
                        raise _PathError(
                            (where, "steps", index, "at"),
                            f"{self.metric} utilisation is a percentage: expected 0 to 100, got {step.at:g}",
                        )
        lowest_out = self.scale_out.steps[0].at
        highest_in = self.scale_in.steps[0].at
        if highest_in >= lowest_out:
            raise ValueError(
                f"scaleIn starts at {highest_in:g}, which is not below scaleOut's {lowest_out:g}: "
                "the two alarms would overlap and the service would flap"
            )
        return self


def _check_steps(steps: list[StepSpec], *, ascending: bool, sign: int, where: str) -> None:
    for index, step in enumerate(steps):
        if step.change * sign <= 0:
            expected = (
                "a positive number of tasks to add" if sign > 0 else "a negative number of tasks to remove"
            )
            raise _PathError((where, "steps", index, "change"), f"expected {expected}, got {step.change}")
        if index:
            previous = steps[index - 1].at
            ordered = step.at > previous if ascending else step.at < previous
            if not ordered:
                order = "increasing" if ascending else "decreasing"
                raise _PathError(
                    (where, "steps", index, "at"),
                    f"steps must be in strictly {order} order of 'at' (no overlap): "
                    f"{step.at:g} follows {previous:g}",
                )


class HealthCheckSpec(Spec):
    path: Annotated[str, pattern(r"^/[\x21-\x7e]*$", "a URL path starting with '/'")] = "/"
    matcher: Annotated[
        str, pattern(r"^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$", "HTTP codes such as 200 or 200-399")
    ] = "200-399"
    interval: int = Field(default=15, ge=5, le=300)
    timeout: int = Field(default=5, ge=2, le=120)
    healthy_threshold: int = Field(default=2, ge=2, le=10)
    unhealthy_threshold: int = Field(default=3, ge=2, le=10)
    grace_period: int = Field(
        default=60, ge=0, le=2147483647, description="Seconds ECS ignores failures after start."
    )

    @model_validator(mode="after")
    def _check(self) -> HealthCheckSpec:
        if self.timeout >= self.interval:
            raise ValueError(f"timeout ({self.timeout}) must be shorter than interval ({self.interval})")
        return self


class ContainerHealthCheckSpec(Spec):
    command: list[str] = Field(
        min_length=1, description='e.g. ["CMD-SHELL", "curl -f http://localhost/ || exit 1"]'
    )
    interval: int = Field(default=30, ge=5, le=300)
    timeout: int = Field(default=5, ge=2, le=60)
    retries: int = Field(default=3, ge=1, le=10)
    start_period: int = Field(default=0, ge=0, le=300)


class PermissionSpec(Spec):
    actions: list[
        Annotated[str, pattern(r"^[a-z0-9-]+:[A-Za-z0-9*]+$", "an IAM action such as s3:GetObject")]
    ] = Field(min_length=1)
    resources: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> PermissionSpec:
        if "*" in self.resources and any(a.endswith(":*") or a == "*" for a in self.actions):
            raise ValueError(
                "a whole service on every resource is too broad; name the actions or the resources"
            )
        return self


class DeploymentSpec(Spec):
    minimum_healthy_percent: int = Field(default=100, ge=0, le=100)
    maximum_percent: int = Field(default=200, ge=100, le=200)


EnvironmentValue = str | dict[Name, str]


class ServerlessSpec(Spec):
    """Aurora Serverless v2 capacity, in ACUs (1 ACU ~ 2 GiB of memory)."""

    min_capacity: float = Field(
        default=0.5, ge=0, le=256, multiple_of=0.5, description="0 lets the database pause when idle."
    )
    max_capacity: float = Field(default=4, ge=1, le=256, multiple_of=0.5)
    auto_pause_after: int = Field(
        default=600, ge=300, le=86400, description="Seconds idle before pausing (when minCapacity is 0)."
    )

    @model_validator(mode="after")
    def _check(self) -> ServerlessSpec:
        if self.min_capacity > self.max_capacity:
            raise ValueError(
                f"minCapacity ({self.min_capacity:g}) must not exceed maxCapacity ({self.max_capacity:g})"
            )
        return self


InstanceClass = Annotated[
    str, pattern(r"^db\.[a-z0-9]+\.[a-z0-9]+$", "an RDS instance class such as db.t4g.medium")
]


class DatabaseCapacitySpec(Spec):
    """How much database: provisioned instances, or Serverless v2 (``serverless``)."""

    instance_class: InstanceClass | None = Field(
        default=None, description="Provisioned class (default db.t4g.medium); excludes 'serverless'."
    )
    instances: int | None = Field(
        default=None, ge=1, le=16, description="Writer plus readers, spread over zones (dev 1, production 2)."
    )
    serverless: ServerlessSpec | None = None

    @model_validator(mode="after")
    def _check_capacity(self) -> DatabaseCapacitySpec:
        if self.instance_class is not None and self.serverless is not None:
            raise ValueError("set either instanceClass (provisioned) or serverless, not both")
        if self.instance_class == SERVERLESS_CLASS:
            raise _PathError(("instanceClass",), "write a 'serverless' block instead of db.serverless")
        return self


class DatabaseAlarmsSpec(Spec):
    cpu: float = Field(default=80, gt=0, le=100, description="CPU utilisation %, 3 of 5 minutes.")
    freeable_memory_mib: int = Field(default=256, ge=1, description="Alarm below this much free memory.")
    connections: int | None = Field(
        default=None, ge=1, description="Alarm above this many connections (default 80% of the engine's max)."
    )


def _window(regex: str, hint: str) -> StringConstraints:
    return pattern(regex, hint)


_HHMM = r"([01]\d|2[0-3]):[0-5]\d"
_DAY = r"(mon|tue|wed|thu|fri|sat|sun)"


class DatabaseSpec(DatabaseCapacitySpec):
    """The service's own Aurora cluster (Stelligent's post "Microservice databases with mu")."""

    name: Annotated[
        str,
        pattern(
            r"^[A-Za-z][A-Za-z0-9_]{0,63}$",
            "a database name: a letter, then up to 63 letters, digits or '_'",
        ),
    ]
    engine: Engine = Field(default="aurora-mysql", description="aurora-mysql or aurora-postgresql.")
    version: str | None = Field(default=None, description="Engine version; muon pins a current one.")
    master_username: Annotated[
        str, pattern(r"^[A-Za-z][A-Za-z0-9_]{0,62}$", "a letter, then letters, digits or '_'")
    ] = "muon"
    port: int | None = Field(default=None, ge=1150, le=65535, description="Default: the engine's port.")
    iam_authentication: bool = Field(
        default=False, description="Grant the task role rds-db:connect as iamUser; no password injected."
    )
    iam_user: Annotated[str, pattern(r"^[A-Za-z][A-Za-z0-9_]{0,31}$", "a database user name")] | None = None
    password_parameter: Annotated[
        str, pattern(r"^/[A-Za-z0-9_.\-/${}]+$", "a Parameter Store name starting with '/'")
    ] = Field(
        default="/muon/${Environment}/${ServiceName}/database/password",
        description="Where the master password lives; an existing SecureString here is used as is.",
    )
    password_version: int = Field(
        default=1, ge=1, description="Raise to generate a new password (muon-managed parameter only)."
    )
    backup_retention: int | None = Field(
        default=None, ge=1, le=35, description="Days (dev 1, production 14)."
    )
    backup_window: Annotated[str, _window(f"^{_HHMM}-{_HHMM}$", "hh:mm-hh:mm in UTC")] = "03:00-04:00"
    maintenance_window: Annotated[
        str,
        _window(f"^{_DAY}:{_HHMM}-{_DAY}:{_HHMM}$", "ddd:hh:mm-ddd:hh:mm in UTC, e.g. sun:04:30-sun:05:30"),
    ] = "sun:04:30-sun:05:30"
    deletion_protection: bool | None = Field(default=None, description="Default: production only.")
    performance_insights: bool | None = Field(default=None, description="Default: production only.")
    monitoring_interval: Literal[0, 1, 5, 10, 15, 30, 60] | None = Field(
        default=None, description="Enhanced monitoring seconds (dev 0 = off, production 60)."
    )
    backtrack_hours: int | None = Field(
        default=None, ge=0, le=72, description="Aurora MySQL backtrack window (dev 0, production 24)."
    )
    parameters: dict[str, str] = Field(default_factory=dict, description="Extra cluster parameters.")
    alarms: DatabaseAlarmsSpec = Field(default_factory=DatabaseAlarmsSpec)

    @model_validator(mode="after")
    def _check(self) -> DatabaseSpec:
        facts = ENGINES[self.engine]
        if self.version is not None:
            problem = version_problem(self.engine, self.version)
            if problem:
                raise _PathError(("version",), problem)
        version = self.version or facts.default_version
        if self.instance_class is not None:
            problem = instance_class_problem(self.engine, self.instance_class)
            if problem:
                raise _PathError(("instanceClass",), problem)
        if self.serverless is not None:
            _check_pause(self.engine, version, self.serverless, ("serverless", "minCapacity"))
        if len(self.name) > facts.database_name_max:
            raise _PathError(
                ("name",), f"{facts.label} database names have at most {facts.database_name_max} characters"
            )
        if len(self.master_username) > facts.username_max:
            raise _PathError(
                ("masterUsername",), f"{facts.label} user names have at most {facts.username_max} characters"
            )
        if self.master_username.lower() in RESERVED_USERNAMES:
            raise _PathError(
                ("masterUsername",),
                f"'{self.master_username}' is reserved or easily guessed; choose another name",
            )
        if self.backtrack_hours and self.engine != "aurora-mysql":
            raise _PathError(("backtrackHours",), "backtrack exists only for Aurora MySQL")
        blocked = {
            name
            for name, _ in facts.cluster_parameters
            if name in ("require_secure_transport", "rds.force_ssl")
        }
        for name in self.parameters:
            if name in blocked:
                raise _PathError(("parameters", name), "muon enforces TLS; this parameter cannot be changed")
        return self


def _check_pause(engine: Engine, version: str, serverless: ServerlessSpec, loc: tuple[str, ...]) -> None:
    if serverless.min_capacity == 0 and not supports_pause(engine, version):
        raise _PathError(
            loc, f"{ENGINES[engine].label} {version} cannot pause (minCapacity 0); use a newer version or 0.5"
        )


class DatabaseOverride(DatabaseCapacitySpec):
    """Per-environment database capacity (``services.<name>.environments.<env>.database``)."""


class ServiceEnvironmentOverride(Spec):
    """Per-environment settings of a service (``services.<name>.environments.<env>``)."""

    cpu: int | None = None
    memory: int | None = None
    scaling: ScalingSpec | None = None
    environment: dict[str, str] = Field(default_factory=dict)
    database: DatabaseOverride | None = None


EnvName = Annotated[
    str, pattern(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$", "an environment variable name (letters, digits, '_')")
]


RelativePath = Annotated[
    str,
    pattern(r"^[\w.-][\w./-]*$", "a relative path inside the project, e.g. examples/banana"),
]


class BuildSpec(Spec):
    """Build the image during ``pulumi up`` (Docker BuildKit on the deploying machine)."""

    context: RelativePath = Field(default=".", description="Build context, relative to the definition file.")
    dockerfile: RelativePath | None = Field(
        default=None, description="Dockerfile, relative to the definition (default <context>/Dockerfile)."
    )
    target: Annotated[str, pattern(r"^[A-Za-z0-9][\w.-]*$", "a build stage name")] | None = Field(
        default=None, description="Multi-stage build target."
    )
    args: dict[Annotated[str, pattern(r"^[A-Za-z_][A-Za-z0-9_]*$", "a build argument name")], str] = Field(
        default_factory=dict, description="Build arguments (--build-arg); never secrets."
    )


class ServiceSpec(Spec):
    port: int = Field(ge=1, le=65535, description="Container port the load balancer sends traffic to.")
    path_patterns: list[
        Annotated[
            str,
            pattern(
                r"^/[\x21-\x7e]{0,127}$",
                "a path pattern starting with '/' (up to 128 characters), e.g. /bananas*",
            ),
        ]
    ] = Field(default_factory=list, max_length=5)
    host_patterns: list[
        Annotated[
            str,
            pattern(
                r"^[A-Za-z0-9*?](?:[A-Za-z0-9*?.-]{0,126}[A-Za-z0-9*?])?$",
                "a host name such as api.example.com or *.example.com (no scheme, no path)",
            ),
        ]
    ] = Field(default_factory=list, max_length=5)
    hosts: list[
        Annotated[
            str,
            pattern(
                r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$",
                "a host: a label such as api (api.<the environment's domain>) or a full name",
            ),
            Field(max_length=253),
        ]
    ] = Field(
        default_factory=list,
        max_length=5,
        description="Names on the environment's domain, with DNS records: api means api.<domain>.",
    )
    protocol: Literal["http", "https"] = Field(
        default="http",
        description="https: TLS from the load balancer to the tasks too (the image serves it).",
    )
    priority: int | None = Field(
        default=None, ge=1, le=50000, description="Listener rule priority; derived from the name by default."
    )
    cpu: int = Field(default=256, description="CPU units (1024 = one vCPU).")
    memory: int = Field(default=512, description="MiB.")
    image: ImageReference | None = Field(
        default=None, description="Default image; the stack's muon:images wins."
    )
    build: BuildSpec | None = Field(
        default=None, description="Build and push the image during `pulumi up` instead of naming one."
    )
    desired_count: int | None = Field(default=None, ge=0, le=1000)
    environment: dict[EnvName, EnvironmentValue] = Field(
        default_factory=dict, description="Variables; a value may be a map of environment name to value."
    )
    secrets: dict[EnvName, ParameterReference] = Field(
        default_factory=dict, description="Variables from Parameter Store: name to parameter name or ARN."
    )
    environments: dict[Name, ServiceEnvironmentOverride] = Field(default_factory=dict)
    scaling: ScalingSpec = Field(default_factory=ScalingSpec)
    health_check: HealthCheckSpec = Field(default_factory=HealthCheckSpec)
    container_health_check: ContainerHealthCheckSpec | None = None
    readonly_root_filesystem: bool = Field(
        default=True, description="Opt out for images that write outside /tmp."
    )
    user: str | None = Field(
        default="1000", description="Non-root by default; null runs as the image's user."
    )
    exec_command: bool = Field(default=False, description="Allow ECS Exec into running tasks.")
    deregistration_delay: int | None = Field(default=None, ge=0, le=3600)
    deployment: DeploymentSpec = Field(default_factory=DeploymentSpec)
    permissions: list[PermissionSpec] = Field(default_factory=list, description="Task role statements.")
    database: DatabaseSpec | None = None

    @model_validator(mode="after")
    def _check(self) -> ServiceSpec:
        if not self.path_patterns and not self.host_patterns and not self.hosts:
            raise ValueError(
                "give pathPatterns, hostPatterns or hosts: the load balancer needs a rule to route by"
            )
        if self.hosts and self.host_patterns:
            raise _PathError(("hosts",), "give hosts (on the domain) or hostPatterns (any name), not both")
        if len(self.path_patterns) + len(self.host_patterns) + len(self.hosts) > 5:
            raise ValueError("a listener rule takes at most 5 path and host patterns together")
        if self.image is not None and self.build is not None:
            raise _PathError(
                ("build",), "give either image (built elsewhere) or build (built here), not both"
            )
        if self.exec_command and self.readonly_root_filesystem:
            raise _PathError(
                ("execCommand",),
                "ECS Exec's agent must write to the container's filesystem, which AWS does not support "
                "with a read-only root; set readonlyRootFilesystem: false for this service to use it",
            )
        if self.user in ("root", "0", "0:0"):
            raise _PathError(("user",), "running as root is refused; use a numeric non-root user or null")
        overlap = sorted(set(self.environment) & set(self.secrets))
        if overlap:
            raise _PathError(
                ("secrets", overlap[0]), "also set in environment: a variable is either plain or secret"
            )
        for env, override in self.environments.items():
            if override.database is None:
                continue
            where = ("environments", env, "database")
            if self.database is None:
                raise _PathError(where, "the service declares no database to size")
            engine = self.database.engine
            if override.database.instance_class is not None:
                problem = instance_class_problem(engine, override.database.instance_class)
                if problem:
                    raise _PathError((*where, "instanceClass"), problem)
            if override.database.serverless is not None:
                version = self.database.version or ENGINES[engine].default_version
                _check_pause(
                    engine, version, override.database.serverless, (*where, "serverless", "minCapacity")
                )
        return self


PipelineSourceProvider = Literal["github", "codecommit", "s3"]
ComputeType = Literal[
    "BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE",
    "BUILD_GENERAL1_XLARGE", "BUILD_GENERAL1_2XLARGE",
]  # fmt: skip
ConnectionArn = Annotated[
    str,
    pattern(
        r"^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection/[0-9a-f-]{36}$",
        "a CodeStar connection ARN (arn:aws:codestar-connections:<region>:<account>:connection/<uuid>)",
    ),
]
RoleArn = Annotated[str, pattern(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$", "an IAM role ARN")]
BuildspecPath = Annotated[
    str, pattern(r"^[\w./-]+\.ya?ml$", "a buildspec file in the repository, e.g. buildspec-test.yml")
]


class PipelineSourceSpec(Spec):
    provider: PipelineSourceProvider = Field(default="github", description="github, codecommit or s3.")
    repo: str = Field(description="github: owner/name; codecommit: repository name; s3: bucket name.")
    branch: str = "main"
    connection: ConnectionArn | None = Field(
        default=None, description="github: the CodeStar connection (or the stack's muon:connection)."
    )
    object_key: str = Field(default="source.zip", description="s3: the zipped source object.")

    @model_validator(mode="after")
    def _check(self) -> PipelineSourceSpec:
        if self.provider == "github" and not re.fullmatch(r"[\w.-]+/[\w.-]+", self.repo):
            raise _PathError(("repo",), "expected owner/name for a GitHub repository")
        if self.provider != "github" and self.connection is not None:
            raise _PathError(("connection",), f"a connection is only for github sources, not {self.provider}")
        return self


class PipelineBuildSpec(Spec):
    image: str = Field(
        default="aws/codebuild/amazonlinux-x86_64-standard:5.0",
        description="CodeBuild image (a managed image, or an ECR image URI).",
    )
    compute_type: ComputeType = "BUILD_GENERAL1_SMALL"
    buildspec: BuildspecPath = "buildspec.yml"
    artifact: bool = Field(
        default=True, description="Run the artifact build; its output is the Docker build's context."
    )
    timeout_minutes: int = Field(default=30, ge=5, le=480)


class PipelineImageSpec(Spec):
    dockerfile: str = "Dockerfile"
    context: str = "."


class SlackSpec(Spec):
    team_id: Annotated[str, pattern(r"^T[A-Z0-9]{8,}$", "a Slack workspace id such as T01234ABCDE")]
    channel_id: Annotated[str, pattern(r"^[CG][A-Z0-9]{8,}$", "a Slack channel id such as C01234ABCDE")]


class PipelineNotificationsSpec(Spec):
    emails: list[Email] = Field(default_factory=list)
    slack: SlackSpec | None = Field(default=None, description="Through AWS Chatbot (authorise it once).")
    on_success: bool = Field(default=False, description="Also announce successful runs.")


class PipelineStageSpec(Spec):
    environment: Name
    stack: Annotated[str, pattern(r"^[\w.-]+$", "a stack name")] | None = Field(
        default=None, description="The stack deploying the environment (found from Pulumi.*.yaml)."
    )
    approval: bool = False
    pre_deploy: BuildspecPath | None = Field(default=None, description="Buildspec run before the deploy.")
    test: BuildspecPath | None = Field(default=None, description="Buildspec run after the deploy.")
    role_arn: RoleArn | None = Field(default=None, description="Deploy role to assume (another account).")


AccountId = Annotated[str, pattern(r"^\d{12}$", "a 12-digit AWS account id")]


class RegistrySpec(Spec):
    """The delivery stack's image repositories, one per service, shared by every environment."""

    keep_deployed: int = Field(
        default=10, ge=1, le=100, description="Deployed images kept per environment, for rollback."
    )
    expire_builds_after_days: int = Field(
        default=30, ge=1, le=3650, description="Images no environment ever ran expire after this many days."
    )
    pull_accounts: list[AccountId] | None = Field(
        default=None,
        description="Accounts whose muon execution roles may pull (default: the stages' roleArn accounts).",
    )
    organization_id: Annotated[str, pattern(r"^o-[a-z0-9]{10,32}$", "an organization id (o-...)")] | None = (
        Field(default=None, description="Also require the pulling role to be in this AWS Organization.")
    )


class PipelineSpec(Spec):
    name: (
        Annotated[
            str,
            pattern(
                r"^[A-Za-z0-9][A-Za-z0-9_-]{0,53}$",
                "a pipeline name of up to 54 letters, digits, '-' or '_' (it prefixes rule names AWS "
                "limits to 64 characters, and dashboards take no other characters)",
            ),
        ]
        | None
    ) = None
    source: PipelineSourceSpec
    build: PipelineBuildSpec = Field(default_factory=PipelineBuildSpec)
    images: dict[Name, PipelineImageSpec] = Field(
        default_factory=dict, description="Docker build per service (default: Dockerfile in the root)."
    )
    stages: list[PipelineStageSpec] = Field(min_length=1)
    notifications: PipelineNotificationsSpec = Field(default_factory=PipelineNotificationsSpec)
    registry: RegistrySpec = Field(default_factory=RegistrySpec)
    deploy_permissions_boundary: (
        Annotated[
            str,
            pattern(r"^arn:aws[a-z-]*:iam::(\d{12}|aws):policy/[\w+=,.@/-]+$", "an IAM managed policy ARN"),
        ]
        | None
    ) = Field(default=None, description="Permissions boundary for the roles that run `pulumi up`.")
    project_dir: str = Field(default=".", description="Where Pulumi.yaml is, in the repository.")

    @model_validator(mode="after")
    def _check(self) -> PipelineSpec:
        seen: set[str] = set()
        for index, stage in enumerate(self.stages):
            if stage.environment in seen:
                raise _PathError(
                    ("stages", index, "environment"), f"'{stage.environment}' already has a stage"
                )
            seen.add(stage.environment)
            admitted = self.registry.pull_accounts
            if stage.role_arn and admitted is not None and stage.role_arn.split(":")[4] not in admitted:
                raise _PathError(
                    ("stages", index, "roleArn"),
                    f"account {stage.role_arn.split(':')[4]} cannot pull the pipeline's images: "
                    f"pipeline.registry.pullAccounts admits only {', '.join(admitted) or '(none)'}",
                )
            if stage.approval and not (self.notifications.emails or self.notifications.slack):
                raise _PathError(
                    ("stages", index, "approval"),
                    "an approval needs someone to notify: set pipeline.notifications.emails or slack",
                )
        return self


class Definition(Spec):
    """A whole ``muon.yaml``."""

    model_config = ConfigDict(title="muon definition (muon.yaml)")

    environments: dict[Name, EnvironmentSpec] = Field(min_length=1)
    services: dict[Name, ServiceSpec] = Field(default_factory=dict)
    pipeline: PipelineSpec | None = None

    @model_validator(mode="after")
    def _check_references(self) -> Definition:
        known = ", ".join(sorted(self.environments))
        claimed: dict[tuple[tuple[str, ...], tuple[str, ...]], str] = {}
        for name, service in self.services.items():
            for env in service.environments:
                if env not in self.environments:
                    raise _PathError(
                        ("services", name, "environments", env), f"unknown environment; defined: {known}"
                    )
            for variable, value in service.environment.items():
                for env in value if isinstance(value, dict) else {}:
                    if env not in self.environments:
                        raise _PathError(
                            ("services", name, "environment", variable, env),
                            f"unknown environment; defined: {known}",
                        )
            hosts = tuple(sorted(h.lower() for h in service.host_patterns))
            for path in service.path_patterns or [None]:
                key = ((path,), hosts)
                if key in claimed:
                    what = f"'{path}'" if path else f"host {', '.join(hosts)} (with no path)"
                    raise _PathError(
                        ("services", name, "pathPatterns" if path else "hostPatterns"),
                        f"{what} is already routed to service '{claimed[key]}' (same hosts); "
                        "two services cannot claim one route",
                    )
                claimed[key] = name
        composed: dict[str, tuple[str, str]] = {}
        for env in self.environments:
            for name in self.services:
                key = f"{env}-{name}"
                if key in composed:
                    other_env, other = composed[key]
                    raise _PathError(
                        ("services", name),
                        f"environment '{env}' with service '{name}' and environment '{other_env}' with "
                        f"service '{other}' both make the names muon-{key} (ECS service, roles, database); "
                        "rename one",
                    )
                composed[key] = (env, name)
        for service in self.pipeline.images if self.pipeline else {}:
            if service not in self.services:
                raise _PathError(
                    ("pipeline", "images", service),
                    f"no such service; defined: {', '.join(sorted(self.services)) or '(none)'}",
                )
        for index, stage in enumerate(self.pipeline.stages if self.pipeline else []):
            if stage.environment not in self.environments:
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
