"""An environment's CloudWatch dashboard: the load balancer, every service (CPU, memory, tasks,
5xx, latency), every database (connections, CPU, freeable memory), every function (invocations,
errors, throttles, p99 duration), every site (CloudFront requests and error rates) and the state of
its alarms.

A dashboard holds at most 500 widgets (CloudWatch API reference, "Dashboard Body Structure and
Syntax": "an array of between 0 and 500 widget objects") and 2,500 metrics ("CloudWatch service
quotas"), neither raisable. An environment whose dashboard would hold more is split: the
environment's dashboard (the same resource and name) becomes an index — load balancers,
databases, functions, sites, the environment's alarms and a link to each services dashboard —
and its services go to ``<namespace>-<env>-services-<n>``, 100 services each, in the definition's
order. A smaller environment keeps its single dashboard exactly as before."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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
    load_balancer_arn_suffix: pulumi.Input[str] | None = None
    """The load balancer of its target group; None: the environment's first."""


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


MAX_WIDGETS = 500
"""Widgets per dashboard (CloudWatch API reference, "Dashboard Body Structure and Syntax"); fixed."""
MAX_METRICS = 2500
"""Metrics per dashboard across all widgets ("CloudWatch service quotas"); fixed."""
SERVICES_PER_DASHBOARD = 100
"""At most 4 widgets and 5 metrics a service: 401 widgets and 500 metrics with the alarm widget."""
CONSOLES = {"aws": "console.aws.amazon.com", "aws-cn": "console.amazonaws.cn"}


@dataclass
class _Board:
    """One dashboard body being laid out: three 8-wide widgets a row, alarms at the bottom."""

    region: str
    widgets: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self, title: str, metrics: list[list[Any]], *, stat: str = "Average", in_region: str = ""
    ) -> None:
        index = len(self.widgets)
        self.widgets.append(
            {
                "type": "metric",
                "x": (index % 3) * WIDTH,
                "y": (index // 3) * HEIGHT,
                "width": WIDTH,
                "height": HEIGHT,
                "properties": {
                    "title": title,
                    "region": in_region or self.region,
                    "metrics": metrics,
                    "stat": stat,
                    "period": 60,
                    "view": "timeSeries",
                },
            }
        )

    def wide(self, kind: str, properties: dict[str, Any]) -> None:
        """A full-width widget below the others (alarms, the index's links)."""
        y = (len(self.widgets) // 3 + 1) * HEIGHT
        self.widgets.append(
            {"type": kind, "x": 0, "y": y, "width": 24, "height": HEIGHT, "properties": properties}
        )

    def alarms(self, context: AwsContext, names: list[str]) -> None:
        arns = [context.arn("cloudwatch", f"alarm:{alarm}") for alarm in names]
        if arns:
            self.wide("alarm", {"title": "Alarms", "alarms": arns[:100], "sortBy": "stateUpdatedTimestamp"})

    def body(self) -> str:
        return json.dumps({"widgets": self.widgets}, sort_keys=True)


def _balancer_widgets(board: _Board, balancer: str, label: str = "") -> None:
    lb = ["AWS/ApplicationELB"]
    name = f"Load balancer {label}" if label else "Load balancer"
    board.add(f"{name} requests", [[*lb, "RequestCount", "LoadBalancer", balancer]], stat="Sum")
    board.add(
        f"{name} 5xx",
        [
            [*lb, "HTTPCode_ELB_5XX_Count", "LoadBalancer", balancer],
            [*lb, "HTTPCode_Target_5XX_Count", "LoadBalancer", balancer],
        ],
        stat="Sum",
    )


def _service_widgets(
    board: _Board, cluster_name: str, service: ServicePanel, group: str, balancer: str
) -> None:
    ecs = ["AWS/ECS"]
    dims = ["ClusterName", cluster_name, "ServiceName", service.service_name]
    board.add(
        f"{service.name}: CPU and memory %",
        [[*ecs, "CPUUtilization", *dims], [*ecs, "MemoryUtilization", *dims]],
    )
    board.add(f"{service.name}: running tasks", [["ECS/ContainerInsights", "RunningTaskCount", *dims]])
    if group and balancer:
        tg = ["AWS/ApplicationELB"]
        tg_dims = ["TargetGroup", group, "LoadBalancer", balancer]
        board.add(f"{service.name}: 5xx", [[*tg, "HTTPCode_Target_5XX_Count", *tg_dims]], stat="Sum")
        board.add(
            f"{service.name}: response time p99 (s)", [[*tg, "TargetResponseTime", *tg_dims]], stat="p99"
        )


def _database_widgets(board: _Board, database: DatabasePanel) -> None:
    rds = ["AWS/RDS"]
    dims = [database.dimension, database.identifier]
    board.add(f"{database.identifier}: connections", [[*rds, "DatabaseConnections", *dims]], stat="Maximum")
    board.add(
        f"{database.identifier}: CPU % and freeable memory",
        [[*rds, "CPUUtilization", *dims], [*rds, "FreeableMemory", *dims, {"yAxis": "right"}]],
    )


def _function_widgets(board: _Board, function: FunctionPanel) -> None:
    lam = ["AWS/Lambda"]
    dims = ["FunctionName", function.function_name]
    board.add(
        f"{function.name}: invocations, errors, throttles",
        [[*lam, metric, *dims] for metric in ("Invocations", "Errors", "Throttles")],
        stat="Sum",
    )
    board.add(f"{function.name}: duration p99 (ms)", [[*lam, "Duration", *dims]], stat="p99")


def _site_widgets(board: _Board, site: SitePanel, distribution: str) -> None:
    cf = ["AWS/CloudFront"]
    dims = ["DistributionId", distribution, "Region", "Global"]
    board.add(
        f"{site.name}: requests", [[*cf, "Requests", *dims]], stat="Sum", in_region=CLOUDFRONT_METRICS_REGION
    )
    board.add(
        f"{site.name}: 4xx and 5xx %",
        [[*cf, "4xxErrorRate", *dims], [*cf, "5xxErrorRate", *dims]],
        in_region=CLOUDFRONT_METRICS_REGION,
    )


def _size(
    services: list[ServicePanel], others: int, has_balancer: bool, extra_balancers: int
) -> tuple[int, int]:
    """(widgets, metrics) of the single dashboard, known before any output resolves."""
    routed = sum(1 for s in services if s.target_group_arn_suffix is not None and has_balancer)
    widgets = 2 * len(services) + 2 * routed + others + 2 * (extra_balancers + has_balancer) + 1
    metrics = 3 * len(services) + 2 * routed + 3 * others + 3 * (extra_balancers + has_balancer)
    return widgets, metrics


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
    load_balancers: dict[str, pulumi.Input[str]] | None = None,
) -> aws.cloudwatch.Dashboard:
    """``<namespace>-<env>``, and services dashboards when one would overflow (module docstring);
    every metric is one AWS publishes for what muon made. ``load_balancers``: the environment's
    others, by name → ARN suffix."""
    extra = load_balancers or {}
    others = 2 * (len(databases) + len(functions) + len(sites))
    widgets, metrics = _size(services, others, bool(load_balancer_arn_suffix), len(extra))
    split = widgets > MAX_WIDGETS or metrics > MAX_METRICS
    chunks = [
        services[i : i + SERVICES_PER_DASHBOARD] for i in range(0, len(services), SERVICES_PER_DASHBOARD)
    ]
    names = [f"{context.namespace}-{name}-services-{n}" for n in range(1, len(chunks) + 1)] if split else []
    kept_alarms = [
        *environment_alarm_names,
        *([] if split else [a for s in services for a in s.alarm_names]),
        *(a for d in databases for a in d.alarm_names),
        *(a for f in functions for a in f.alarm_names),
    ]

    def body(resolved: list[Any]) -> str:
        balancer, rest = resolved[0], resolved[1:]
        shown = 0 if split else len(services)
        groups, balancers, rest = rest[:shown], rest[shown : 2 * shown], rest[2 * shown :]
        extra_suffixes, distributions = rest[: len(extra)], rest[len(extra) :]
        board = _Board(context.region)
        if balancer:
            _balancer_widgets(board, balancer)
        for label, suffix in zip(extra, extra_suffixes, strict=True):
            _balancer_widgets(board, suffix, label)
        if not split:
            for service, group, own in zip(services, groups, balancers, strict=True):
                _service_widgets(board, cluster_name, service, group, own or balancer)
        for database in databases:
            _database_widgets(board, database)
        for function in functions:
            _function_widgets(board, function)
        for site, distribution in zip(sites, distributions, strict=True):
            _site_widgets(board, site, distribution)
        board.alarms(context, kept_alarms)
        if split:
            board.wide("text", {"markdown": _index(context, names)})
        return board.body()

    dashboard = aws.cloudwatch.Dashboard(
        f"{name}-dashboard",
        dashboard_name=f"{context.namespace}-{name}",
        dashboard_body=pulumi.Output.all(
            load_balancer_arn_suffix or "",
            # The index waits for no service: adding one leaves it as it is.
            *([] if split else [s.target_group_arn_suffix or "" for s in services]),
            *([] if split else [s.load_balancer_arn_suffix or "" for s in services]),
            *extra.values(),
            *[site.distribution_id for site in sites],
        ).apply(body),
        opts=opts,
    )
    for index, (chunk, board_name) in enumerate(zip(chunks if split else [], names, strict=True), start=1):
        _services_dashboard(
            f"{name}-dashboard-services-{index}", board_name, context, cluster_name, chunk,
            load_balancer_arn_suffix, opts,
        )  # fmt: skip
    return dashboard


def _index(context: AwsContext, names: list[str]) -> str:
    """The links from the index to each services dashboard (plain names where no console is known)."""
    console = CONSOLES.get(context.partition)
    region = context.region
    lines = ["## Services", "", "This environment's services are on their own dashboards:", ""]
    for board in names:
        url = (
            f"https://{console}/cloudwatch/home?region={region}#dashboards/dashboard/{board}"
            if console
            else ""
        )
        lines.append(f"- [{board}]({url})" if url else f"- {board}")
    return "\n".join(lines)


def _services_dashboard(
    resource_name: str,
    board_name: str,
    context: AwsContext,
    cluster_name: str,
    services: list[ServicePanel],
    load_balancer_arn_suffix: pulumi.Input[str] | None,
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.Dashboard:
    """Up to ``SERVICES_PER_DASHBOARD`` services, with the state of their alarms."""

    def body(resolved: list[Any]) -> str:
        balancer, rest = resolved[0], resolved[1:]
        board = _Board(context.region)
        for service, group, own in zip(services, rest[: len(services)], rest[len(services) :], strict=True):
            _service_widgets(board, cluster_name, service, group, own or balancer)
        board.alarms(context, [a for s in services for a in s.alarm_names])
        return board.body()

    return aws.cloudwatch.Dashboard(
        resource_name,
        dashboard_name=board_name,
        dashboard_body=pulumi.Output.all(
            load_balancer_arn_suffix or "",
            *[s.target_group_arn_suffix or "" for s in services],
            *[s.load_balancer_arn_suffix or "" for s in services],
        ).apply(body),
        opts=opts,
    )
