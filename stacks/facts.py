"""What the program reads of the world before it declares anything: the AWS account it deploys
to, whether an environment's cluster exists and what each service runs there, a database
password's parameter, a shared listener's rules, an attached platform's contract.

``Facts`` is the one interface the resolve stage reads them through (a value it is handed: a
fake in tests); ``PulumiFacts`` answers with the stack's own AWS provider (Pulumi invokes, the
stack's credentials) and, where no data source exists (a listener's rules), with AWS itself under
the same settings.

Only an answer the provider or AWS documents as "no such thing" means nothing is there. Any other
failure (access denied, throttling, expired credentials, the network) stops the run with one line
naming what was being read: every read happens before the first resource is declared, so nothing
was changed. Reading a denied answer as "nothing there" would, for the running image, scale a
running service to zero tasks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import pulumi
import pulumi_aws as aws

from muon.stacks.errors import MuonError

T = TypeVar("T")

# What the AWS provider (terraform-provider-aws, which pulumi-aws bridges) answers when a data
# source finds nothing. Its "not found" is a retry.NotFoundError, printed as its Message, else
# "couldn't find resource"; an empty answer is tfresource's "empty result".
CLUSTER_ABSENT = ("empty result", "couldn't find resource", "INACTIVE")
"""internal/service/ecs/cluster_data_source.go: "reading ECS Cluster (<name>): <reason>". DescribeClusters
answers a name it does not know with a MISSING failure and no cluster ("empty result", through
tfresource.AssertSingleValueResult); ClusterNotFoundException becomes "couldn't find resource"; a
deleted cluster is "INACTIVE" (findClusterByNameOrARN)."""
SERVICE_ABSENT = "no matching ECS Service found"
"""internal/service/ecs/service_data_source.go: tfresource.SingularDataSourceFindError("ECS Service")
for ClusterNotFoundException, ServiceNotFoundException and a MISSING failure (findServices); any
other DescribeServices error keeps AWS's code in the text."""
PARAMETER_ABSENT = "couldn't find resource"
"""internal/service/ssm/parameter_data_source.go: "reading SSM Parameter (<name>): ..." with
findParameterByName's NotFoundError for ParameterNotFound only."""
LISTENER_ABSENT = "ListenerNotFound"
RULE_ABSENT = "RuleNotFound"
"""Elastic Load Balancing v2 error codes (botocore's elbv2 model: ListenerNotFoundException,
RuleNotFoundException, both HTTP 400)."""
_INVOKE_PREFIX = re.compile(r"^invoke of \S+ failed: ")


@dataclass(frozen=True)
class AwsAccount:
    account_id: str
    region: str
    partition: str
    zones: tuple[str, ...]
    """Zones without opt-in, sorted: a zone added later sorts after the ones in use."""


@dataclass(frozen=True)
class StoredParameter:
    """A Parameter Store parameter that exists (its value not read)."""

    name: str
    arn: str
    type: str
    tags: dict[str, str]


@dataclass(frozen=True)
class SecretValue:
    value: pulumi.Output[str]
    version: int


@dataclass(frozen=True)
class RuleClaim:
    """What one rule on a shared listener routes, and which stack made it."""

    arn: str
    priority: int
    paths: frozenset[str]
    hosts: frozenset[str]
    owner: str | None
    """``project/stack`` from muon's tags; None: a rule muon did not make."""


StackReference = pulumi.StackReference
"""The reference a stack's outputs are read through (a resource of the program): the resolve stage
names its type through this module, which alone imports Pulumi's."""


@dataclass(frozen=True)
class PlatformContract:
    """What a platform stack exports for the environments other projects attach to."""

    reference: pulumi.StackReference
    document: object
    """The contract output, values read; None when the stack exports none."""


class Facts(Protocol):
    """Everything the resolve stage reads of the world. A method answers, answers "nothing
    there" (None or False), or raises MuonError: the read failed and the run stops."""

    def aws_account(self) -> AwsAccount: ...

    def cluster_active(self, name: str) -> bool:
        """Whether ECS cluster ``name`` exists and is ACTIVE."""
        ...

    def running_image(self, cluster: str, service: str) -> str | None:
        """The image of the ``app`` container ECS service ``service`` runs; None: no such service."""
        ...

    def password_parameter(self, name: str) -> StoredParameter | None: ...

    def password_value(self, name: str) -> SecretValue:
        """The decrypted value of a SecureString that exists (a secret Output)."""
        ...

    def listener_rules(self, listener_arn: str) -> tuple[RuleClaim, ...] | None:
        """Every rule but the default on the listener; None: no such listener."""
        ...

    def platform_contract(self, env_name: str, stack: str) -> PlatformContract: ...

    def stack_output(self, name: str, stack: str, output: str) -> object | None:
        """Output ``output`` of stack ``stack`` (``organization/project/stack``), values read,
        through a StackReference named ``name``; None: no such stack."""
        ...

    def parameter_value(self, name: str) -> str | None:
        """A plain parameter's value (a host AMI's, ``cluster.imageId``); None: no such parameter."""
        ...


def unreadable(what: str, error: object) -> MuonError:
    """One line: what could not be read, that nothing changed, and what the provider said."""
    detail = _INVOKE_PREFIX.sub("", " ".join(str(error).split()))
    return MuonError(f"cannot read {what}; nothing was changed: {detail}")


def read(what: str, reading: Callable[[], T], absent: tuple[str, ...] = ()) -> T | None:
    """``reading()``; None when it failed with one of the ``absent`` answers; otherwise its
    failure as one line. A failed invoke arrives as a plain Exception holding the provider's text."""
    try:
        return reading()
    except Exception as error:
        if any(marker in str(error) for marker in absent):
            return None
        raise unreadable(what, error) from None


def fetch(what: str, reading: Callable[[], T]) -> T:
    """``reading()`` of something that is there (no answer means "nothing"): any failure is one line."""
    try:
        return reading()
    except Exception as error:
        raise unreadable(what, error) from None


def aws_error_code(error: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError (None for anything else: no answer at all)."""
    response = getattr(error, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


class PulumiFacts:
    """The facts as the stack's AWS provider reads them; ``aws``: the provider's settings
    (``aws_settings``), for the reads no data source offers."""

    def __init__(self, aws: dict[str, str]) -> None:
        self.aws = aws
        self._clusters: dict[str, bool] = {}

    def aws_account(self) -> AwsAccount:
        what = "the AWS account and region this stack deploys to"
        identity = fetch(what, aws.get_caller_identity)
        region = fetch(what, aws.get_region)
        partition = fetch(what, aws.get_partition)
        zones = fetch(
            f"the availability zones of {self.aws.get('region')}",
            # Local and Wavelength zones are opt-in and cannot host every service. No filter on
            # the zones' state: an impaired zone must not shift the list (and move subnets and
            # database instances) in the middle of an incident.
            lambda: aws.get_availability_zones(
                filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
            ),
        )
        return AwsAccount(
            account_id=identity.account_id,
            region=region.region,
            partition=partition.partition,
            zones=tuple(sorted(zones.names)),
        )

    def cluster_active(self, name: str) -> bool:
        if name not in self._clusters:  # asked for a created zone's delegation and for the images
            absent = tuple(f"reading ECS Cluster ({name}): {reason}" for reason in CLUSTER_ABSENT)
            found = read(
                f"whether ECS cluster {name} exists (ecs:DescribeClusters)",
                lambda: aws.ecs.get_cluster(cluster_name=name),
                absent,
            )
            self._clusters[name] = found is not None and found.status == "ACTIVE"
        return self._clusters[name]

    def running_image(self, cluster: str, service: str) -> str | None:
        # Through the service, not the task definition family: the provider's task definition
        # data source turns every HTTP 400 of DescribeTaskDefinition into "couldn't find resource"
        # (internal/service/ecs/task_definition.go, findTaskDefinition), and ECS answers
        # AccessDeniedException, ThrottlingException and an expired token with 400 too: a denied
        # read would look like a family with no revision. The revision a service runs exists, so
        # any failure to describe it is a failure.
        found = read(
            f"the image ECS service {service} runs (ecs:DescribeServices on cluster {cluster})",
            lambda: aws.ecs.get_service(cluster_arn=cluster, service_name=service),
            (SERVICE_ABSENT,),
        )
        if found is None:
            return None
        revision = found.task_definition
        definition = fetch(
            f"the image ECS service {service} runs (ecs:DescribeTaskDefinition {revision})",
            lambda: aws.ecs.get_task_definition(task_definition=revision),
        )
        containers = json.loads(definition.container_definitions or "[]")
        return next((c.get("image") for c in containers if c.get("name") == "app"), None)

    def password_parameter(self, name: str) -> StoredParameter | None:
        found = read(
            f"Parameter Store parameter {name} (ssm:GetParameter)",
            lambda: aws.ssm.get_parameter(name=name, with_decryption=False),
            (f"reading SSM Parameter ({name}): {PARAMETER_ABSENT}", "ParameterNotFound"),
        )
        if found is None:
            return None
        return StoredParameter(name=name, arn=found.arn, type=found.type, tags=self._tags_of(found.arn))

    def _tags_of(self, arn: str) -> dict[str, str]:
        # Parameter Store's GetParameter returns no tags; the tagging API does, for any ARN.
        found = fetch(
            f"the tags of {arn} (the deploying role needs tag:GetResources) to tell a muon-generated "
            "password from your own",
            lambda: aws.resourcegroupstaggingapi.get_resources(resource_arn_lists=[arn]),
        )
        for mapping in found.resource_tag_mapping_lists:
            if mapping.resource_arn == arn:
                return dict(mapping.tags or {})
        return {}

    def parameter_value(self, name: str) -> str | None:
        found = read(
            f"Parameter Store parameter {name} (ssm:GetParameter)",
            lambda: aws.ssm.get_parameter(name=name),
            (f"reading SSM Parameter ({name}): {PARAMETER_ABSENT}", "ParameterNotFound"),
        )
        return None if found is None else found.value

    def password_value(self, name: str) -> SecretValue:
        secret = fetch(
            f"the value of SecureString {name} (ssm:GetParameter, kms:Decrypt)",
            lambda: aws.ssm.get_parameter(name=name, with_decryption=True),
        )
        return SecretValue(value=pulumi.Output.secret(secret.value), version=int(secret.version or 1))

    def listener_rules(self, listener_arn: str) -> tuple[RuleClaim, ...] | None:
        # No Pulumi data source lists a listener's rules: AWS itself, with the provider's settings.
        # Offline, the render's mocks stand in for Elastic Load Balancing.
        from muon.plan.offline import active_mocks

        mocks = active_mocks()
        what = f"the rules of listener {listener_arn} (elasticloadbalancing:DescribeRules, DescribeTags)"
        try:
            client = mocks.elbv2() if mocks is not None else aws_session(self.aws).client("elbv2")
            return read_listener_rules(client, listener_arn)
        except Exception as error:
            if aws_error_code(error) == LISTENER_ABSENT:
                return None
            raise unreadable(what, error) from None

    def platform_contract(self, env_name: str, stack: str) -> PlatformContract:
        from pulumi.runtime.sync_await import _sync_await

        from muon.components.attached import CONTRACT_OUTPUT

        reference = pulumi.StackReference(f"{env_name}-platform", stack_name=stack)
        # Read now, as the SDK's own blocking invokes wait (the same private helper): the contract
        # decides what is composed (tier, capacity, zones), which no Output can.
        details = fetch(
            f"the outputs of stack {stack}",
            lambda: _sync_await(reference.get_output_details(CONTRACT_OUTPUT)),
        )
        document = details.value if details.value is not None else details.secret_value
        return PlatformContract(reference=reference, document=document)

    def stack_output(self, name: str, stack: str, output: str) -> object | None:
        from pulumi.runtime.sync_await import _sync_await

        reference = pulumi.StackReference(name, stack_name=stack)
        try:
            # Read now, as attaching to a platform does (the SDK's blocking read): a project's
            # settings come from what the environment stack exports, which no Output can decide.
            details = _sync_await(reference.get_output_details(output))
        except Exception:  # an unknown stack arrives as the engine's plain error
            return None
        return details.value if details.value is not None else details.secret_value


def read_listener_rules(client: Any, listener_arn: str) -> tuple[RuleClaim, ...]:
    """Every rule but the default, with muon's ownership tags (an elbv2 client, or the mocks')."""
    rules: list[dict[str, Any]] = []
    marker: str | None = None
    while True:
        page = client.describe_rules(ListenerArn=listener_arn, **({"Marker": marker} if marker else {}))
        rules += [rule for rule in page["Rules"] if not rule.get("IsDefault")]
        marker = page.get("NextMarker")
        if not marker:
            break
    tags: dict[str, dict[str, str] | None] = {}
    for start in range(0, len(rules), 20):  # DescribeTags takes 20 ARNs at a time
        tags |= _rule_tags(client, [rule["RuleArn"] for rule in rules[start : start + 20]])
    claims = []
    for rule in rules:
        arn = rule["RuleArn"]
        if arn in tags and tags[arn] is None:
            continue  # deleted since it was listed: it routes nothing
        claims.append(_claim(arn, int(rule["Priority"]), rule.get("Conditions", []), tags.get(arn) or {}))
    return tuple(claims)


def _rule_tags(client: Any, arns: list[str]) -> dict[str, dict[str, str] | None]:
    """Tags by rule ARN; None for a rule deleted since it was listed (asked one at a time then:
    DescribeTags fails the whole batch for one missing ARN)."""
    try:
        described = client.describe_tags(ResourceArns=arns)["TagDescriptions"]
    except Exception as error:
        if aws_error_code(error) != RULE_ABSENT:
            raise
        if len(arns) == 1:
            return {arns[0]: None}
        found: dict[str, dict[str, str] | None] = {}
        for arn in arns:
            found |= _rule_tags(client, [arn])
        return found
    return {d["ResourceArn"]: {t["Key"]: t["Value"] for t in d.get("Tags", [])} for d in described}


def _claim(arn: str, priority: int, conditions: list[dict[str, Any]], tags: dict[str, str]) -> RuleClaim:
    def values(field: str, config: str) -> frozenset[str]:
        found: set[str] = set()
        for condition in conditions:
            if condition.get("Field") == field:
                found.update(condition.get(config, {}).get("Values") or condition.get("Values") or [])
        return frozenset(found)

    project, stack = tags.get("muon:project"), tags.get("muon:stack")
    return RuleClaim(
        arn=arn,
        priority=priority,
        paths=values("path-pattern", "PathPatternConfig"),
        hosts=values("host-header", "HostHeaderConfig"),
        owner=f"{project}/{stack}" if project and stack else None,
    )


def aws_session(aws: dict[str, str]) -> Any:
    """A boto3 session as the stack's AWS provider has it: its region, profile and assumed role.
    (The organization's dynamic providers build their own alike: Pulumi stores them by value, so
    they cannot import this.)"""
    import boto3

    session = boto3.Session(profile_name=aws.get("profile") or None, region_name=aws["region"])
    if not aws.get("role_arn"):
        return session
    request = {"RoleArn": aws["role_arn"], "RoleSessionName": aws.get("session_name") or "muon-attach"}
    if aws.get("external_id"):
        request["ExternalId"] = aws["external_id"]
    credentials = session.client("sts").assume_role(**request)["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=aws["region"],
    )
