"""A function of ``muon.yaml`` (``functions.<name>``): Lambda, released through CodeDeploy."""

from __future__ import annotations

import json
import re
from typing import Annotated, Literal, TypeAlias

from pydantic import AfterValidator, Discriminator, Field, Tag, model_validator

from muon.stacks.definition.fields import (
    PARAMETER_HINT,
    PARAMETER_NAME,
    SECRET_FORMS,
    ImageReference,
    KmsKeyArn,
    Name,
    Spec,
    _PathError,
    pattern,
)
from muon.stacks.definition.permissions import PermissionSpec
from muon.stacks.definition.secrets import refuse_plain_secrets
from muon.stacks.definition.types import (
    ArnScope,
    Folder,
    FunctionSecretsManagerSecret,
    Host,
    Schedule,
    TimeZone,
)

# Lambda's supported runtimes (Lambda developer guide, "Lambda runtimes"): deprecated ones
# (python3.8, nodejs16.x, go1.x, …) cannot be created any more and are refused here.
RUNTIMES = (
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "nodejs18.x",
    "nodejs20.x",
    "nodejs22.x",
    "java17",
    "java21",
    "dotnet8",
    "ruby3.3",
    "ruby3.4",
    "provided.al2",
    "provided.al2023",
)
Runtime = Literal[RUNTIMES]  # type: ignore[valid-type]  # the tuple, as a Literal
DEPLOYMENTS = {
    "allAtOnce": "CodeDeployDefault.LambdaAllAtOnce",
    "canary10Percent5Minutes": "CodeDeployDefault.LambdaCanary10Percent5Minutes",
    "canary10Percent10Minutes": "CodeDeployDefault.LambdaCanary10Percent10Minutes",
    "canary10Percent15Minutes": "CodeDeployDefault.LambdaCanary10Percent15Minutes",
    "canary10Percent30Minutes": "CodeDeployDefault.LambdaCanary10Percent30Minutes",
    "linear10PercentEvery1Minute": "CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
    "linear10PercentEvery2Minutes": "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes",
    "linear10PercentEvery3Minutes": "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes",
    "linear10PercentEvery10Minutes": "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes",
}
Deployment: TypeAlias = Literal[tuple(DEPLOYMENTS)]  # type: ignore[valid-type]  # the keys, as a Literal


def _route_path(value: str) -> str:
    """API Gateway's HTTP API routes: a variable is a whole segment ({id}); a greedy one
    ({proxy+}) only the last (API Gateway developer guide, "Working with routes for HTTP APIs")."""
    segments = value.split("/")[1:]
    for index, segment in enumerate(segments):
        if ("{" in segment or "}" in segment) and not re.fullmatch(r"\{\w+\+?\}", segment):
            raise ValueError(f"'{segment}': a path variable is a whole segment, such as {{id}}")
        if segment.endswith("+}") and index != len(segments) - 1:
            raise ValueError(f"'{segment}': a greedy path variable can only be the last segment")
        if not segment and index != len(segments) - 1:
            raise ValueError("an empty segment (//) in the path")
    return value


class HttpTrigger(Spec):
    type: Literal["http"]
    path: Annotated[
        str,
        pattern(r"^/[\w./{}+-]*$", "a path starting with '/', such as /hello or /items/{id}"),
        Field(max_length=512),
        AfterValidator(_route_path),
    ]
    method: Literal["ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = "ANY"


class ScheduleTrigger(Spec):
    type: Literal["schedule"]
    schedule: Schedule
    timezone: TimeZone = "UTC"


SQS_UNBATCHED_SIZE = 10
"""The largest SQS batch Lambda takes without a batching window."""


class QueueTrigger(Spec):
    type: Literal["queue"]
    worker: Name | None = Field(
        default=None, description="A worker service's queue; default: the function's own."
    )
    batch_size: int = Field(default=10, ge=1, le=10_000)
    batch_window: int | None = Field(
        default=None,
        ge=0,
        le=300,
        description="Seconds Lambda gathers messages before invoking (0-300); default: 1 when batchSize "
        "is over 10 (AWS requires it), else 0.",
    )

    @model_validator(mode="after")
    def _check(self) -> QueueTrigger:
        # Lambda API reference, CreateEventSourceMapping (botocore's lambda model says the same):
        # for SQS, a BatchSize over 10 needs MaximumBatchingWindowInSeconds of at least 1.
        if self.batch_size > SQS_UNBATCHED_SIZE and self.batch_window == 0:
            raise _PathError(
                ("batchWindow",),
                f"a batchSize over {SQS_UNBATCHED_SIZE} ({self.batch_size}) needs a batchWindow of at "
                "least 1 second (Lambda refuses the queue trigger otherwise)",
            )
        return self

    @property
    def window(self) -> int | None:
        """The batching window sent to Lambda: the one given, else 1 where AWS requires one."""
        if self.batch_window is not None:
            return self.batch_window
        return 1 if self.batch_size > SQS_UNBATCHED_SIZE else None


class AlexaSkillTrigger(Spec):
    type: Literal["alexaSkill"]
    skill_id: Annotated[
        str, pattern(r"^amzn1\.ask\.skill\.[0-9a-f-]{36}$", "an Alexa skill id (amzn1.ask.skill.<uuid>)")
    ]


Trigger = Annotated[
    HttpTrigger | ScheduleTrigger | QueueTrigger | AlexaSkillTrigger, Field(discriminator="type")
]


# Lambda's CreateFunction: a variable's name is a letter then letters, digits or '_' (botocore's
# lambda model, EnvironmentVariableName), and these are set by Lambda itself (Lambda developer
# guide, "Defined runtime environment variables": "reserved and cannot be set").
LambdaEnvName = Annotated[
    str,
    pattern(
        r"^[A-Za-z][A-Za-z0-9_]{1,254}$",
        "a Lambda variable name: a letter, then at least one more letter, digit or '_'",
    ),
]
RESERVED_VARIABLES = frozenset(
    {
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
        "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ",
    }
)  # fmt: skip
SETTABLE_LAMBDA_VARIABLES = frozenset(
    {"AWS_LAMBDA_EXEC_WRAPPER", "AWS_LAMBDA_NODEJS_USE_ALTERNATIVE_CLIENT_1"}
)
"""AWS_LAMBDA_* names are Lambda's (function name, memory, log group…), except these documented ones."""
MAX_VARIABLES_BYTES = 4096
"""Lambda quotas: 4 KB for all of a function's variables, measured as their JSON."""
FunctionVariables = Annotated[dict[LambdaEnvName, str], AfterValidator(refuse_plain_secrets)]
FunctionParameterReference = Annotated[
    str,
    pattern(
        rf"^(?:{PARAMETER_NAME}|arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{{12}}:parameter/[A-Za-z0-9_.\-/]{{1,2047}})$",
        PARAMETER_HINT,
    ),
    # The function reads <NAME>_PARAMETER by name, in its own region: an ARN of another region
    # would be read from the wrong one.
    ArnScope("a parameter", "stack"),
]


class FunctionSecretSpec(Spec):
    """A Secrets Manager secret the function reads itself (GetSecretValue), named by
    ``<NAME>_SECRET``; its JSON keys and versions are the code's to choose."""

    secret: FunctionSecretsManagerSecret = Field(
        description="The secret's name (${Environment} and ${ServiceName}, the function's name, allowed) "
        "or its ARN, in the stack's region."
    )
    key: KmsKeyArn | None = Field(
        default=None,
        description="Its customer managed KMS key: the function may decrypt with it through Secrets "
        "Manager only (none: AWS's own key, no grant needed).",
    )


def _function_secret_form(value: object) -> str:
    return SECRET_FORMS[2] if isinstance(value, dict | FunctionSecretSpec) else SECRET_FORMS[0]


FunctionSecretReference = Annotated[
    Annotated[FunctionParameterReference, Tag(SECRET_FORMS[0])]
    | Annotated[FunctionSecretSpec, Tag(SECRET_FORMS[2])],
    Discriminator(_function_secret_form),
]
"""A parameter's name or ARN (``<NAME>_PARAMETER``), or ``{secret, key}`` (``<NAME>_SECRET``)."""


def secret_variable(name: str, reference: str | FunctionSecretSpec) -> tuple[str, str]:
    """The variable that names a function's secret, and its value (before placeholders)."""
    if isinstance(reference, FunctionSecretSpec):
        return f"{name}_SECRET", reference.secret
    return f"{name}_PARAMETER", reference.split(":parameter", 1)[-1]


def reserved_variable(name: str) -> bool:
    return name in RESERVED_VARIABLES or (
        name.startswith("AWS_LAMBDA_") and name not in SETTABLE_LAMBDA_VARIABLES
    )


def function_variables(
    environment: dict[str, str], secrets: dict[str, str | FunctionSecretSpec]
) -> dict[str, str]:
    """What Lambda receives: the variables, <NAME>_PARAMETER naming each secret's parameter and
    <NAME>_SECRET each Secrets Manager secret."""
    return {**environment, **dict(secret_variable(k, v) for k, v in secrets.items())}


class FunctionSpec(Spec):
    source: Folder | None = Field(
        default=None, description="The code's folder, zipped as it is (build it first)."
    )
    image: ImageReference | None = Field(default=None, description="A container image instead of source.")
    runtime: Runtime | None = Field(default=None, description="With source: a runtime Lambda supports.")
    handler: str | None = Field(default=None, max_length=128, description="With source: module.function.")
    memory: int = Field(default=256, ge=128, le=10_240, description="MB (128-10240).")
    timeout: int = Field(default=10, ge=1, le=900, description="Seconds (at most 900).")
    architecture: Literal["arm64", "x86_64"] = "arm64"
    environment: FunctionVariables = Field(default_factory=dict)
    secrets: dict[LambdaEnvName, FunctionSecretReference] = Field(
        default_factory=dict,
        description="Parameter Store names the function may read (<NAME>_PARAMETER holds each name), or "
        "{secret, key}: a Secrets Manager secret it may read (<NAME>_SECRET holds its ARN).",
    )
    permissions: list[PermissionSpec] = Field(default_factory=list)
    tracing: bool = Field(default=False, description="AWS X-Ray active tracing.")
    reserved_concurrency: int | None = Field(default=None, ge=0, le=10_000)
    deployment: Deployment | None = Field(
        default=None,
        description="How CodeDeploy shifts the alias to a new version (development allAtOnce, "
        "production canary10Percent5Minutes).",
    )
    triggers: list[Trigger] = Field(default_factory=list)
    host: Host | None = Field(default=None, description="The HTTP API's name on the environment's domain.")

    @model_validator(mode="after")
    def _check(self) -> FunctionSpec:
        if (self.source is None) == (self.image is None):
            raise ValueError("give exactly one of 'source' (a folder, zipped) or 'image'")
        for key in ("runtime", "handler"):
            if self.source is not None and getattr(self, key) is None:
                raise _PathError((key,), f"a function from source needs its {key}")
            if self.image is not None and getattr(self, key) is not None:
                # CreateFunction: "Runtime and Handler are not supported for an image package type".
                raise _PathError((key,), f"an image function takes its {key} from the image; drop {key}")
        self._check_variables()
        if self.host is not None and not any(isinstance(t, HttpTrigger) for t in self.triggers):
            raise _PathError(("host",), "a host names the function's HTTP API: add an http trigger")
        own_queues = sum(1 for t in self.triggers if isinstance(t, QueueTrigger) and t.worker is None)
        if own_queues > 1:
            raise _PathError(("triggers",), "one queue of its own at most")
        return self

    def _check_variables(self) -> None:
        variables = function_variables(self.environment, self.secrets)
        for name in variables:
            if reserved_variable(name):
                key = (
                    ("environment", name) if name in self.environment else ("secrets", name.rsplit("_", 1)[0])
                )
                raise _PathError(
                    key, f"{name} is set by Lambda itself (a reserved variable); choose another name"
                )
        for name, reference in self.secrets.items():
            if name in self.environment or secret_variable(name, reference)[0] in self.environment:
                raise _PathError(
                    ("secrets", name), "also a variable in environment: a variable is either plain or secret"
                )
        size = len(json.dumps(variables, separators=(",", ":")))
        if size > MAX_VARIABLES_BYTES:
            raise _PathError(
                ("environment",),
                f"{size:,} characters of variables (with the <NAME>_PARAMETER muon adds per secret, "
                f"<NAME>_SECRET per Secrets Manager secret); Lambda takes at most {MAX_VARIABLES_BYTES:,}: "
                "keep large values in Parameter Store",
            )
