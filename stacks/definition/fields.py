"""The building blocks of the definition's models: the base class, string patterns with readable
hints, and the value types every part shares."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)
from pydantic.alias_generators import to_camel

from muon.stacks.definition.base import PATTERN_HINTS as PATTERN_HINTS
from muon.stacks.definition.base import _PathError as _PathError
from muon.stacks.definition.base import pattern
from muon.stacks.definition.types import (
    ArnScope,
    SecretJsonKey,
    SecretsManagerSecret,
    SecretVersionId,
    SecretVersionStage,
    arn_pattern,
)
from muon.stacks.definition.types import Name as Name

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy); 0 is "never expire".
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
    2922, 3288, 3653,
)  # fmt: skip

NAMESPACE_PATTERN = r"^(?=.{2,16}$)[a-z](?:-?[a-z0-9])+$"
Namespace = Annotated[
    str,
    pattern(
        NAMESPACE_PATTERN,
        "a namespace of 2-16 lowercase letters, digits and '-', starting with a letter, with no '--' and "
        "no '-' at the end (RDS identifiers refuse both)",
    ),
]
"""The first part of every name muon creates: as short and DNS-safe as the names after it."""


def _registry_port(value: str) -> str:
    registry = value.split("/", 1)[0] if "/" in value else ""
    host, colon, port = registry.partition(":")
    if colon and "." in host + ":" and port.isdigit() and not 1 <= int(port) <= 65535:
        raise ValueError(f"the registry's port {port} is not 1 to 65535")
    return value


ImageReference = Annotated[
    str,
    pattern(
        r"^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::\d+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
        r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$",
        "an image reference: [registry/]repository[:tag][@sha256:<64 hex digits>]",
    ),
    AfterValidator(_registry_port),
]


PARAMETER_NAME = r"/[A-Za-z0-9_.\-/${}]{1,2047}"
PARAMETER_HINT = (
    "a Parameter Store name starting with '/' (e.g. /banana/api-key, ${Environment} and "
    "${ServiceName} allowed) or a parameter ARN; never the secret itself"
)
ParameterReference = Annotated[
    str,
    pattern(
        rf"^(?:{PARAMETER_NAME}|arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{{12}}:parameter/[A-Za-z0-9_.\-/]{{1,2047}})$",
        PARAMETER_HINT,
    ),
]
"""A service's secret: ECS reads a parameter of another region by its full ARN (ECS developer
guide, "Pass Systems Manager parameters as environment variables"), so any region of the partition
(its ARN is checked by the stack's partition in resolve)."""


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
    arn_pattern(
        "acm", r"certificate/[0-9a-f-]+", "an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)"
    ),
    ArnScope("an ACM certificate", "stack"),  # a load balancer takes a certificate of its own region
]
VpcId = Annotated[str, pattern(r"^vpc-[0-9a-f]{8,17}$", "a VPC id (vpc-0123abcd...)")]
SubnetId = Annotated[str, pattern(r"^subnet-[0-9a-f]{8,17}$", "a subnet id (subnet-0123abcd...)")]

Tier = Literal["development", "production"]
NatStrategy = Literal["none", "single", "per-az", "instance"]
CostProfile = Literal["standard", "minimal"]
ClusterProvider = Literal["fargate", "ec2"]


class Spec(BaseModel):
    """Base of every definition object: camelCase keys, unknown keys rejected, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        # Python's re compiles a bounded repeat (a parameter name's {1,2047}) as one opcode; the
        # default Rust engine builds an automaton state per repetition: ~0.3 s per process before a
        # definition is read (bench/feedback.py). The patterns are plain ASCII classes, alike in both.
        regex_engine="python-re",
        # One validator, built when the definition is first read, holds every nested model: ~50
        # validators built at import (each model's own) cost more than the one a process uses.
        # Hence a nested object's default is `Model.model_construct` (its fields' defaults, equal
        # to what validating {} gives: tests/test_feedback.py), not `Model`, which would build that
        # model's own validator for the default alone (~1 ms each, 17 of them).
        defer_build=True,
    )


TAG_VALUE_CHARACTERS = re.compile(r"^[\w\s.:/=+\-@]*$", re.UNICODE)
"""AWS's tag character set: letters, digits, spaces and _ . : / = + - @ (any language)."""
MAX_USER_TAGS = 40
"""AWS takes 50 tags a resource; muon's own (muon:*, Name) need the rest."""


def _tags(value: dict[str, str]) -> dict[str, str]:
    if len(value) > MAX_USER_TAGS:
        raise ValueError(
            f"at most {MAX_USER_TAGS} tags (AWS takes 50 a resource; muon sets up to 10), got {len(value)}"
        )
    for key, tag in value.items():
        if not 1 <= len(key) <= 128:
            raise ValueError(f"tag key '{key[:40]}…' has {len(key)} characters; AWS takes 1 to 128")
        if len(tag) > 256:
            raise ValueError(f"the value of tag '{key}' has {len(tag)} characters; AWS takes at most 256")
        if key.lower().startswith(("aws:", "muon:")):
            raise ValueError(f"tag key '{key}': the aws: and muon: prefixes are reserved")
        if tag.lower().startswith("aws:"):
            # "Tagging AWS resources": aws: is reserved "as a prefix for either keys or values".
            raise ValueError(f"the value of tag '{key}' starts with aws:, which AWS reserves")
        for what, text in (("key", key), ("value", tag)):
            if not TAG_VALUE_CHARACTERS.match(text):
                raise ValueError(
                    f"tag {what} '{text}' of '{key}': AWS takes letters, digits, spaces and _ . : / = + - @"
                )
    return value


Tags = Annotated[dict[str, str], AfterValidator(_tags)]
"""Tags the definition puts on every taggable resource (``tags:`` at the top or per environment)."""


PolicyArn = Annotated[
    str,
    arn_pattern("iam", r"policy/[\w+=,.@/-]+", "an IAM managed policy ARN", account=r"(\d{12}|aws)"),
    ArnScope("an IAM policy", "any"),  # IAM is global: the partition only
]
_KMS_KEY = r"key/(?:[0-9a-f-]{36}|mrk-[0-9a-f]{32})"
_KMS_HINT = "a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>; IAM policies need the key, not an alias)"
KmsKeyArn = Annotated[str, arn_pattern("kms", _KMS_KEY, _KMS_HINT), ArnScope("a KMS key", "stack")]
"""A key of the stack's region: KMS keys are regional, and a resource takes a key of its own region."""
PipelineKmsKeyArn = Annotated[
    str, arn_pattern("kms", _KMS_KEY, _KMS_HINT), ArnScope("a KMS key", "stack", used_by="pipeline")
]
_ROLE = r"role/[\w+=,.@/-]+"
IamRoleArn = Annotated[str, arn_pattern("iam", _ROLE, "an IAM role ARN"), ArnScope("an IAM role", "any")]
PipelineRoleArn = Annotated[
    str, arn_pattern("iam", _ROLE, "an IAM role ARN"), ArnScope("an IAM role", "any", used_by="pipeline")
]


class KeysSpec(Spec):
    """The company's own KMS keys, by purpose, instead of the keys muon creates."""

    logs: KmsKeyArn | None = Field(
        default=None,
        description="Each environment's logs, alarms topic and parameters (its key policy must admit "
        "CloudWatch Logs and SNS).",
    )
    data: KmsKeyArn | None = Field(
        default=None, description="Databases: storage, password, Performance Insights, logs."
    )
    pipeline: PipelineKmsKeyArn | None = Field(
        default=None,
        description="The delivery stack: artifacts, build logs, notifications, image repositories.",
    )


class SecretSpec(Spec):
    """A secret whose parameter is encrypted with a key other than the environment's."""

    parameter: ParameterReference
    key: KmsKeyArn = Field(
        description="The KMS key the SecureString is encrypted with, in the stack's region: the "
        "execution role may decrypt with it (through Parameter Store only)."
    )


SecretKeyArn = Annotated[
    str,
    arn_pattern("kms", _KMS_KEY, _KMS_HINT),
    # The secret's own region, which may not be the stack's: checked against it in resolve.
    ArnScope("a KMS key", "any"),
]


class SecretsManagerSpec(Spec):
    """A secret of AWS Secrets Manager, whole or one key of its JSON, at a version (ECS developer
    guide, "Pass Secrets Manager secrets through Amazon ECS environment variables")."""

    secret: SecretsManagerSecret = Field(
        description="The secret's name (in the stack's account and region; ${Environment} and "
        "${ServiceName} allowed) or its ARN (complete, with the six characters Secrets Manager adds)."
    )
    json_key: SecretJsonKey | None = Field(
        default=None, description="One key of the secret's JSON object instead of the whole secret."
    )
    version_stage: SecretVersionStage | None = Field(
        default=None, description="A staging label (default AWSCURRENT, the current version)."
    )
    version_id: SecretVersionId | None = Field(default=None, description="One version, by its id.")
    key: SecretKeyArn | None = Field(
        default=None,
        description="The customer managed KMS key the secret is encrypted with (none: AWS's own "
        "aws/secretsmanager key): the execution role may decrypt with it, through Secrets Manager only.",
    )

    @model_validator(mode="after")
    def _check(self) -> SecretsManagerSpec:
        if self.version_stage is not None and self.version_id is not None:
            # GetSecretValue: both must name the same version; ECS takes one (CDK: "at most one").
            raise _PathError(("versionId",), "give versionStage or versionId, not both")
        return self


SECRET_FORMS = ("secret:name", "secret:key", "secret:manager")
"""How the loader tells a secret's forms apart; never a key of the definition (no ':' there),
so the loader drops them from the paths it reports."""


def _secret_form(value: object) -> str:
    if isinstance(value, dict):
        return SECRET_FORMS[2] if "secret" in value else SECRET_FORMS[1]
    return SECRET_FORMS[0]


SecretReference = Annotated[
    Annotated[ParameterReference, Tag(SECRET_FORMS[0])]
    | Annotated[SecretSpec, Tag(SECRET_FORMS[1])]
    | Annotated[SecretsManagerSpec, Tag(SECRET_FORMS[2])],
    Discriminator(_secret_form),
]
"""A parameter name or ARN, ``{parameter, key}``, or ``{secret, jsonKey, versionStage|versionId,
key}`` (Secrets Manager): one form's errors only, under the secret's path."""


class SlackSpec(Spec):
    """A Slack channel, through AWS Chatbot (authorise the workspace once in its console)."""

    team_id: Annotated[str, pattern(r"^T[A-Z0-9]{8,}$", "a Slack workspace id such as T01234ABCDE")]
    channel_id: Annotated[str, pattern(r"^[CG][A-Z0-9]{8,}$", "a Slack channel id such as C01234ABCDE")]
