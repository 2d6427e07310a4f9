"""An environment's CloudWatch dashboard: the load balancer, every service (CPU, memory, tasks,
5xx, latency), every database (connections, CPU, freeable memory), every function (invocations,
errors, throttles, p99 duration), every site (CloudFront requests and error rates) and the state of
its alarms."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from muon.components.context import AwsContext

WIDTH, HEIGHT = 8, 6


@dataclass(frozen=True)
class ServicePanel:
    name: str
    service_name: str
    """The ECS service's name (``<namespace>-<env>-<service>``)."""
    target_group_arn_suffix: pulumi.Input[str] | None
    """Web services: their target group (5xx and latency); None for backends and workers."""
    alarm_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatabasePanel:
    identifier: str
    dimension: str
    """``DBClusterIdentifier`` (Aurora) or ``DBInstanceIdentifier`` (an RDS instance)."""
    alarm_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class FunctionPanel:
    name: str
    function_name: str
    """The Lambda function's name (``<namespace>-<env>-<function>``)."""
    alarm_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class SitePanel:
    name: str
    distribution_id: pulumi.Input[str]


CLOUDFRONT_METRICS_REGION = "us-east-1"
"""CloudFront publishes its metrics there, with the dimension ``Region: Global``."""


def environment_dashboard(
    name: str,
    *,
    context: AwsContext,
    cluster_name: str,
    load_balancer_arn_suffix: pulumi.Input[str] | None,
    services: list[ServicePanel],
    databases: list[DatabasePanel],
    environment_alarm_names: tuple[str, ...],
    opts: pulumi.ResourceOptions,
    functions: tuple[FunctionPanel, ...] = (),
    sites: tuple[SitePanel, ...] = (),
) -> aws.cloudwatch.Dashboard:
    """One dashboard, ``<namespace>-<env>``; every metric is one AWS publishes for what muon made."""
    region = context.region
    suffixes = [s.target_group_arn_suffix or "" for s in services]
    alarm_names: list[str] = [
        *environment_alarm_names,
        *(a for s in services for a in s.alarm_names),
        *(a for d in databases for a in d.alarm_names),
        *(a for f in functions for a in f.alarm_names),
    ]

    def body(resolved: list[Any]) -> str:
        balancer = resolved[0]
        groups = resolved[1 : 1 + len(services)]
        distributions = resolved[1 + len(services) :]
        widgets: list[dict[str, Any]] = []

        def add(
            title: str, metrics: list[list[Any]], *, stat: str = "Average", in_region: str = region
        ) -> None:
            index = len(widgets)
            widgets.append(
                {
                    "type": "metric",
                    "x": (index % 3) * WIDTH,
                    "y": (index // 3) * HEIGHT,
                    "width": WIDTH,
                    "height": HEIGHT,
                    "properties": {
                        "title": title,
                        "region": in_region,
                        "metrics": metrics,
                        "stat": stat,
                        "period": 60,
                        "view": "timeSeries",
                    },
                }
            )

        if balancer:
            lb = ["AWS/ApplicationELB"]
            add("Load balancer requests", [[*lb, "RequestCount", "LoadBalancer", balancer]], stat="Sum")
            add(
                "Load balancer 5xx",
                [
                    [*lb, "HTTPCode_ELB_5XX_Count", "LoadBalancer", balancer],
                    [*lb, "HTTPCode_Target_5XX_Count", "LoadBalancer", balancer],
                ],
                stat="Sum",
            )
        for service, group in zip(services, groups, strict=True):
            ecs = ["AWS/ECS"]
            dims = ["ClusterName", cluster_name, "ServiceName", service.service_name]
            add(
                f"{service.name}: CPU and memory %",
                [[*ecs, "CPUUtilization", *dims], [*ecs, "MemoryUtilization", *dims]],
            )
            add(f"{service.name}: running tasks", [["ECS/ContainerInsights", "RunningTaskCount", *dims]])
            if group and balancer:
                tg = ["AWS/ApplicationELB"]
                tg_dims = ["TargetGroup", group, "LoadBalancer", balancer]
                add(f"{service.name}: 5xx", [[*tg, "HTTPCode_Target_5XX_Count", *tg_dims]], stat="Sum")
                add(
                    f"{service.name}: response time p99 (s)",
                    [[*tg, "TargetResponseTime", *tg_dims]],
                    stat="p99",
                )
        for database in databases:
            rds = ["AWS/RDS"]
            dims = [database.dimension, database.identifier]
            add(
                f"{database.identifier}: connections",
                [[*rds, "DatabaseConnections", *dims]],
                stat="Maximum",
            )
            add(
                f"{database.identifier}: CPU % and freeable memory",
                [[*rds, "CPUUtilization", *dims], [*rds, "FreeableMemory", *dims, {"yAxis": "right"}]],
            )
        for function in functions:
            lam = ["AWS/Lambda"]
            dims = ["FunctionName", function.function_name]
            add(
                f"{function.name}: invocations, errors, throttles",
                [[*lam, metric, *dims] for metric in ("Invocations", "Errors", "Throttles")],
                stat="Sum",
            )
            add(f"{function.name}: duration p99 (ms)", [[*lam, "Duration", *dims]], stat="p99")
        for site, distribution in zip(sites, distributions, strict=True):
            cf = ["AWS/CloudFront"]
            dims = ["DistributionId", distribution, "Region", "Global"]
            add(
                f"{site.name}: requests",
                [[*cf, "Requests", *dims]],
                stat="Sum",
                in_region=CLOUDFRONT_METRICS_REGION,
            )
            add(
                f"{site.name}: 4xx and 5xx %",
                [[*cf, "4xxErrorRate", *dims], [*cf, "5xxErrorRate", *dims]],
                in_region=CLOUDFRONT_METRICS_REGION,
            )
        alarms = [context.arn("cloudwatch", f"alarm:{alarm}") for alarm in alarm_names]
        if alarms:
            widgets.append(
                {
                    "type": "alarm",
                    "x": 0,
                    "y": (len(widgets) // 3 + 1) * HEIGHT,
                    "width": 24,
                    "height": HEIGHT,
                    "properties": {
                        "title": "Alarms",
                        "alarms": alarms[:100],
                        "sortBy": "stateUpdatedTimestamp",
                    },
                }
            )
        return json.dumps({"widgets": widgets}, sort_keys=True)

    return aws.cloudwatch.Dashboard(
        f"{name}-dashboard",
        dashboard_name=f"{context.namespace}-{name}",
        dashboard_body=pulumi.Output.all(
            load_balancer_arn_suffix or "", *suffixes, *[site.distribution_id for site in sites]
        ).apply(body),
        opts=opts,
    )
