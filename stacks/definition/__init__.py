"""The typed shape of ``muon.yaml``: the models, one module per concept, and the whole document
(``document.Definition``).

Keys are camelCase in YAML (mu's style) and snake_case in Python. Unknown keys are errors, so a
typo never silently turns into a default. Fields left ``None`` take the environment tier's
default (see ``stacks/tiers.py``); muon's definition reference (docs/definition.md) is written from here.

The names below load on first use (PEP 562): a module of this package that needs no model (the
shape check that answers a definition error before any model is built, ``shape.py``) is imported
without building the ~50 models, which cost more than reading the YAML (bench/feedback.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from muon.stacks.definition.cron import (
        schedule_problem as schedule_problem,
    )
    from muon.stacks.definition.database import (
        DatabaseAlarmsSpec as DatabaseAlarmsSpec,
    )
    from muon.stacks.definition.database import (
        DatabaseCapacitySpec as DatabaseCapacitySpec,
    )
    from muon.stacks.definition.database import (
        DatabaseOverride as DatabaseOverride,
    )
    from muon.stacks.definition.database import (
        DatabaseSpec as DatabaseSpec,
    )
    from muon.stacks.definition.database import (
        InstanceClass as InstanceClass,
    )
    from muon.stacks.definition.database import (
        ServerlessSpec as ServerlessSpec,
    )
    from muon.stacks.definition.document import (
        Definition as Definition,
    )
    from muon.stacks.definition.document import (
        tier_of as tier_of,
    )
    from muon.stacks.definition.environment import (
        AttachSpec as AttachSpec,
    )
    from muon.stacks.definition.environment import (
        ClusterSpec as ClusterSpec,
    )
    from muon.stacks.definition.environment import (
        DomainSpec as DomainSpec,
    )
    from muon.stacks.definition.environment import (
        EnvironmentSpec as EnvironmentSpec,
    )
    from muon.stacks.definition.environment import (
        ExistingNetworkSpec as ExistingNetworkSpec,
    )
    from muon.stacks.definition.environment import (
        HostName as HostName,
    )
    from muon.stacks.definition.environment import (
        LoadBalancerSpec as LoadBalancerSpec,
    )
    from muon.stacks.definition.environment import (
        NetworkSpec as NetworkSpec,
    )
    from muon.stacks.definition.environment import (
        TlsPolicy as TlsPolicy,
    )
    from muon.stacks.definition.environment import (
        WafMode as WafMode,
    )
    from muon.stacks.definition.environment import (
        ZoneId as ZoneId,
    )
    from muon.stacks.definition.fields import (
        LOG_RETENTION_DAYS as LOG_RETENTION_DAYS,
    )
    from muon.stacks.definition.fields import (
        PATTERN_HINTS as PATTERN_HINTS,
    )
    from muon.stacks.definition.fields import (
        AcmCertificateArn as AcmCertificateArn,
    )
    from muon.stacks.definition.fields import (
        Cidr as Cidr,
    )
    from muon.stacks.definition.fields import (
        ClusterProvider as ClusterProvider,
    )
    from muon.stacks.definition.fields import (
        CostProfile as CostProfile,
    )
    from muon.stacks.definition.fields import (
        Email as Email,
    )
    from muon.stacks.definition.fields import (
        ImageReference as ImageReference,
    )
    from muon.stacks.definition.fields import (
        Name as Name,
    )
    from muon.stacks.definition.fields import (
        NatStrategy as NatStrategy,
    )
    from muon.stacks.definition.fields import (
        ParameterReference as ParameterReference,
    )
    from muon.stacks.definition.fields import (
        RetentionDays as RetentionDays,
    )
    from muon.stacks.definition.fields import (
        Spec as Spec,
    )
    from muon.stacks.definition.fields import (
        SubnetId as SubnetId,
    )
    from muon.stacks.definition.fields import (
        Tier as Tier,
    )
    from muon.stacks.definition.fields import (
        VpcId as VpcId,
    )
    from muon.stacks.definition.fields import (
        _PathError as _PathError,
    )
    from muon.stacks.definition.fields import (
        pattern as pattern,
    )
    from muon.stacks.definition.function import (
        FunctionSpec as FunctionSpec,
    )
    from muon.stacks.definition.health import (
        ContainerHealthCheckSpec as ContainerHealthCheckSpec,
    )
    from muon.stacks.definition.health import (
        HealthCheckSpec as HealthCheckSpec,
    )
    from muon.stacks.definition.permissions import (
        PermissionSpec as PermissionSpec,
    )
    from muon.stacks.definition.pipeline import (
        AccountId as AccountId,
    )
    from muon.stacks.definition.pipeline import (
        BuildspecPath as BuildspecPath,
    )
    from muon.stacks.definition.pipeline import (
        ComputeType as ComputeType,
    )
    from muon.stacks.definition.pipeline import (
        ConnectionArn as ConnectionArn,
    )
    from muon.stacks.definition.pipeline import (
        PipelineBuildSpec as PipelineBuildSpec,
    )
    from muon.stacks.definition.pipeline import (
        PipelineImageSpec as PipelineImageSpec,
    )
    from muon.stacks.definition.pipeline import (
        PipelineNotificationsSpec as PipelineNotificationsSpec,
    )
    from muon.stacks.definition.pipeline import (
        PipelineSourceProvider as PipelineSourceProvider,
    )
    from muon.stacks.definition.pipeline import (
        PipelineSourceSpec as PipelineSourceSpec,
    )
    from muon.stacks.definition.pipeline import (
        PipelineSpec as PipelineSpec,
    )
    from muon.stacks.definition.pipeline import (
        PipelineStageSpec as PipelineStageSpec,
    )
    from muon.stacks.definition.pipeline import (
        RegistrySpec as RegistrySpec,
    )
    from muon.stacks.definition.pipeline import (
        RoleArn as RoleArn,
    )
    from muon.stacks.definition.pipeline import (
        SlackSpec as SlackSpec,
    )
    from muon.stacks.definition.scaling import (
        ScalingMetric as ScalingMetric,
    )
    from muon.stacks.definition.scaling import (
        ScalingSpec as ScalingSpec,
    )
    from muon.stacks.definition.scaling import (
        ScheduleSpec as ScheduleSpec,
    )
    from muon.stacks.definition.scaling import (
        StepPolicySpec as StepPolicySpec,
    )
    from muon.stacks.definition.scaling import (
        StepSpec as StepSpec,
    )
    from muon.stacks.definition.service import (
        BuildSpec as BuildSpec,
    )
    from muon.stacks.definition.service import (
        DeploymentSpec as DeploymentSpec,
    )
    from muon.stacks.definition.service import (
        EnvironmentValue as EnvironmentValue,
    )
    from muon.stacks.definition.service import (
        EnvName as EnvName,
    )
    from muon.stacks.definition.service import (
        RelativePath as RelativePath,
    )
    from muon.stacks.definition.service import (
        ServiceEnvironmentOverride as ServiceEnvironmentOverride,
    )
    from muon.stacks.definition.service import (
        ServiceSpec as ServiceSpec,
    )
    from muon.stacks.definition.site import (
        SiteHeadersSpec as SiteHeadersSpec,
    )
    from muon.stacks.definition.site import (
        SiteSpec as SiteSpec,
    )
    from muon.stacks.definition.workload import (
        CATCH_ALL_PATHS as CATCH_ALL_PATHS,
    )
    from muon.stacks.definition.workload import (
        JobSpec as JobSpec,
    )
    from muon.stacks.definition.workload import (
        MigrateSpec as MigrateSpec,
    )
    from muon.stacks.definition.workload import (
        QueueSpec as QueueSpec,
    )
    from muon.stacks.definition.workload import (
        ServiceKind as ServiceKind,
    )

HOMES: dict[str, str] = {
    "_PathError": "fields",
    "AccountId": "pipeline",
    "AcmCertificateArn": "fields",
    "AttachSpec": "environment",
    "BuildSpec": "service",
    "BuildspecPath": "pipeline",
    "CATCH_ALL_PATHS": "workload",
    "Cidr": "fields",
    "ClusterProvider": "fields",
    "ClusterSpec": "environment",
    "ComputeType": "pipeline",
    "ConnectionArn": "pipeline",
    "ContainerHealthCheckSpec": "health",
    "CostProfile": "fields",
    "DatabaseAlarmsSpec": "database",
    "DatabaseCapacitySpec": "database",
    "DatabaseOverride": "database",
    "DatabaseSpec": "database",
    "Definition": "document",
    "DeploymentSpec": "service",
    "DomainSpec": "environment",
    "Email": "fields",
    "EnvironmentSpec": "environment",
    "EnvironmentValue": "service",
    "EnvName": "service",
    "ExistingNetworkSpec": "environment",
    "FunctionSpec": "function",
    "HealthCheckSpec": "health",
    "HostName": "environment",
    "ImageReference": "fields",
    "InstanceClass": "database",
    "JobSpec": "workload",
    "LoadBalancerSpec": "environment",
    "LOG_RETENTION_DAYS": "fields",
    "MigrateSpec": "workload",
    "Name": "fields",
    "NatStrategy": "fields",
    "NetworkSpec": "environment",
    "ParameterReference": "fields",
    "pattern": "fields",
    "PATTERN_HINTS": "fields",
    "PermissionSpec": "permissions",
    "PipelineBuildSpec": "pipeline",
    "PipelineImageSpec": "pipeline",
    "PipelineNotificationsSpec": "pipeline",
    "PipelineSourceProvider": "pipeline",
    "PipelineSourceSpec": "pipeline",
    "PipelineSpec": "pipeline",
    "PipelineStageSpec": "pipeline",
    "QueueSpec": "workload",
    "RegistrySpec": "pipeline",
    "RelativePath": "service",
    "RetentionDays": "fields",
    "RoleArn": "pipeline",
    "ScalingMetric": "scaling",
    "ScalingSpec": "scaling",
    "schedule_problem": "cron",
    "ScheduleSpec": "scaling",
    "ServerlessSpec": "database",
    "ServiceEnvironmentOverride": "service",
    "ServiceKind": "workload",
    "ServiceSpec": "service",
    "SiteHeadersSpec": "site",
    "SiteSpec": "site",
    "SlackSpec": "pipeline",
    "Spec": "fields",
    "StepPolicySpec": "scaling",
    "StepSpec": "scaling",
    "SubnetId": "fields",
    "Tier": "fields",
    "tier_of": "document",
    "TlsPolicy": "environment",
    "VpcId": "fields",
    "WafMode": "environment",
    "ZoneId": "environment",
}
"""Each name this package exports → the module that defines it (tests/test_rooms.py checks it
against the imports above, which are what a type checker reads)."""

__all__ = sorted(HOMES)


def __getattr__(name: str) -> Any:
    home = HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value
