"""A function of ``muon.yaml`` (``functions.<name>``): Lambda, released through CodeDeploy."""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import Field, model_validator

from muon.stacks.definition.fields import ImageReference, Name, ParameterReference, Spec, _PathError, pattern
from muon.stacks.definition.service import EnvName, PermissionSpec, RelativePath
from muon.stacks.definition.workload import check_schedule

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


class HttpTrigger(Spec):
    type: Literal["http"]
    path: Annotated[
        str, pattern(r"^/[\w./{}+-]*$", "a path starting with '/', such as /hello or /items/{id}")
    ]
    method: Literal["ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = "ANY"


class ScheduleTrigger(Spec):
    type: Literal["schedule"]
    schedule: Annotated[
        str, pattern(r"^(cron|rate)\(.+\)$", "an EventBridge Scheduler expression: cron(...) or rate(...)")
    ]
    timezone: str = "UTC"

    @model_validator(mode="after")
    def _check(self) -> ScheduleTrigger:
        check_schedule(self.schedule, self.timezone)
        return self


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


class FunctionSpec(Spec):
    source: RelativePath | None = Field(
        default=None, description="The code's folder, zipped as it is (build it first)."
    )
    image: ImageReference | None = Field(default=None, description="A container image instead of source.")
    runtime: Runtime | None = Field(default=None, description="With source: a runtime Lambda supports.")
    handler: str | None = Field(default=None, max_length=128, description="With source: module.function.")
    memory: int = Field(default=256, ge=128, le=10_240, description="MB (128-10240).")
    timeout: int = Field(default=10, ge=1, le=900, description="Seconds (at most 900).")
    architecture: Literal["arm64", "x86_64"] = "arm64"
    environment: dict[EnvName, str] = Field(default_factory=dict)
    secrets: dict[EnvName, ParameterReference] = Field(
        default_factory=dict,
        description="Parameter Store names the function may read: <NAME>_PARAMETER holds each name.",
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
    host: (
        Annotated[
            str,
            pattern(
                r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$",
                "a host: a label such as api (api.<the environment's domain>) or a full name",
            ),
        ]
        | None
    ) = Field(default=None, description="The HTTP API's name on the environment's domain.")

    @model_validator(mode="after")
    def _check(self) -> FunctionSpec:
        if (self.source is None) == (self.image is None):
            raise ValueError("give exactly one of 'source' (a folder, zipped) or 'image'")
        if self.source is not None:
            for key in ("runtime", "handler"):
                if getattr(self, key) is None:
                    raise _PathError((key,), f"a function from source needs its {key}")
        if self.host is not None and not any(isinstance(t, HttpTrigger) for t in self.triggers):
            raise _PathError(("host",), "a host names the function's HTTP API: add an http trigger")
        own_queues = sum(1 for t in self.triggers if isinstance(t, QueueTrigger) and t.worker is None)
        if own_queues > 1:
            raise _PathError(("triggers",), "one queue of its own at most")
        return self
