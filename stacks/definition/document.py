"""The whole ``muon.yaml`` (:class:`Definition`): every part of it, and the rules between its parts
(references from one part to another, names two parts would both make)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import ConfigDict, Field, model_validator

from muon.stacks.definition.environment import (
    EnvironmentSpec,
)
from muon.stacks.definition.fields import (
    KeysSpec,
    Name,
    Namespace,
    PolicyArn,
    Spec,
    Tags,
    Tier,
    _PathError,
    pattern,
)
from muon.stacks.definition.function import FunctionSpec
from muon.stacks.definition.pipeline import (
    PipelineSpec,
)
from muon.stacks.definition.renames import check_renames
from muon.stacks.definition.service import (
    ServiceSpec,
)
from muon.stacks.definition.site import SiteSpec
from muon.stacks.definition.workload import (
    CATCH_ALL_PATHS,
    JobSpec,
)


class Definition(Spec):
    """A whole ``muon.yaml``."""

    model_config = ConfigDict(title="muon definition (muon.yaml)")

    namespace: Namespace | None = Field(
        default=None,
        description="Starts every name muon creates (clusters, roles, log groups, parameters, "
        "repositories, key aliases); default: the Pulumi project's name. Two projects with "
        "different namespaces share an account and region with no name in common.",
    )
    tags: Tags = Field(
        default_factory=dict,
        description="Tags on every taggable resource muon creates (AWS's limits: key 1-128, value up to 256 "
        "characters; aws: and muon: are reserved); an environment's tags win.",
    )
    keys: KeysSpec = Field(
        default_factory=KeysSpec.model_construct, description="Bring your own KMS keys: logs, data, pipeline."
    )
    permissions_boundary: PolicyArn | None = Field(
        default=None,
        description="A permissions boundary (managed policy ARN) set on every IAM role muon creates.",
    )
    extensions: list[
        Annotated[
            str,
            pattern(
                r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$",
                "a Python module name such as acme_ext or extensions.sticky",
            ),
        ]
    ] = Field(
        default_factory=list,
        description="Python modules on the project's path whose transform(resource) and extend(context) "
        "hooks change or add to what muon creates.",
    )
    environments: dict[Name, EnvironmentSpec] = Field(min_length=1)
    services: dict[Name, ServiceSpec] = Field(default_factory=dict)
    jobs: dict[Name, JobSpec] = Field(
        default_factory=dict, description="Commands run on a schedule as one-off tasks of a service."
    )
    functions: dict[Name, FunctionSpec] = Field(
        default_factory=dict,
        description="Lambda functions, released through CodeDeploy, with their triggers.",
    )
    sites: dict[Name, SiteSpec] = Field(
        default_factory=dict, description="Static sites: built from a folder, served by CloudFront."
    )
    pipeline: PipelineSpec | None = None

    @model_validator(mode="after")
    def _check_references(self) -> Definition:
        known = ", ".join(sorted(self.environments))
        claimed: dict[tuple[tuple[str | None, ...], tuple[str, ...]], str] = {}
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
            if service.kind != "web":
                continue
            hosts = tuple(sorted(h.lower() for h in [*service.host_patterns, *service.hosts]))
            paths: list[str | None] = [*service.path_patterns] or [None]
            for path in paths:
                # The catch-all paths all route everything: one per set of hosts.
                route = (("/*",) if path in CATCH_ALL_PATHS else (path,), hosts)
                if route in claimed:
                    what = f"'{path}'" if path else f"host {', '.join(hosts)} (with no path)"
                    if path in CATCH_ALL_PATHS:
                        what = f"the catch-all '{path}'"
                    raise _PathError(
                        ("services", name, "pathPatterns" if path else "hostPatterns"),
                        f"{what} is already routed to service '{claimed[route]}' (same hosts); "
                        "two services cannot claim one route",
                    )
                claimed[route] = name
        self._check_workloads()
        check_renames("services", self.services)
        check_renames("environments", self.environments)
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
        for imaged in self.pipeline.images if self.pipeline else {}:
            if imaged not in self.services:
                raise _PathError(
                    ("pipeline", "images", imaged),
                    f"no such service; defined: {', '.join(sorted(self.services)) or '(none)'}",
                )
            if self.services[imaged].image is not None:
                raise _PathError(
                    ("pipeline", "images", imaged),
                    f"services.{imaged}.image names a prebuilt image, which the pipeline never builds; "
                    "give one or the other",
                )
        for index, stage in enumerate(self.pipeline.stages if self.pipeline else []):
            if stage.environment not in self.environments:
                raise _PathError(
                    ("pipeline", "stages", index, "environment"),
                    f"unknown environment '{stage.environment}'; defined: {known}",
                )
        return self

    def _check_workloads(self) -> None:
        """Every service a backend, queue, job or migration names exists, and can play its part."""
        defined = ", ".join(sorted(self.services)) or "(none)"

        def known(name: str, where: tuple[str | int, ...], role: str) -> ServiceSpec:
            if name not in self.services:
                raise _PathError(where, f"{role} '{name}' is not a service; defined: {defined}")
            return self.services[name]

        for name, service in self.services.items():
            for index, caller in enumerate(service.allow_from or []):
                known(caller, ("services", name, "allowFrom", index), "caller")
                if caller == name:
                    raise _PathError(
                        ("services", name, "allowFrom", index), "a service need not admit itself"
                    )
            for index, publisher in enumerate(service.queue.publishers if service.queue else []):
                known(publisher, ("services", name, "queue", "publishers", index), "publisher")
            for index, subscription in enumerate(service.subscribe):
                where = ("services", name, "subscribe", index)
                publishing = known(subscription.service, (*where, "service"), "publisher")
                topics = [t.name for t in publishing.publish]
                if subscription.topic not in topics:
                    listed = ", ".join(topics) or "none"
                    raise _PathError(
                        (*where, "topic"),
                        f"service {subscription.service} publishes no topic '{subscription.topic}' "
                        f"(its publish: {listed})",
                    )
        for name, job in self.jobs.items():
            known(job.service, ("jobs", name, "service"), "service")
        for index, stage in enumerate(self.pipeline.stages if self.pipeline else []):
            if stage.migrate is not None:
                known(stage.migrate.service, ("pipeline", "stages", index, "migrate", "service"), "service")


def tier_of(name: str, spec: EnvironmentSpec) -> Tier:
    """An environment's tier: explicit, or production when its name says so."""
    if spec.tier is not None:
        return spec.tier
    return "production" if re.match(r"^pro?d", name) else "development"
