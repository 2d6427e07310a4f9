"""The price of an environment's network and compute: NAT gateways, public addresses, EC2 hosts,
interface endpoints, load balancers, ECS services and clusters (``COMPUTE_PRICERS``, part of
``cost_pricers.PRICERS``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from muon.plan.cost_items import LineItem, Pricer, PricingContext
from muon.plan.offline import RenderedResource


def _public_ipv4(resource: RenderedResource, ctx: PricingContext, count: int) -> LineItem:
    return ctx.hourly_line(resource, "public IPv4 addresses", ctx.prices["publicIpv4Hour"], count)


def _nat_gateway(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
    prices, group = ctx.prices, ctx.group_of[resource.urn]
    yield ctx.hourly_line(resource, "NAT gateway", prices["natGatewayHour"])
    gateways = sum(1 for r in ctx.members[group] if r.type == resource.type)
    gb = ctx.usage(resource)["natGbMonth"] / gateways
    yield LineItem(
        group,
        "NAT gateway data processed",
        resource.name,
        gb * prices["natGatewayGb"],
        f"{gb:.4g} GB x ${prices['natGatewayGb']:g}/GB",
        f"{ctx.usage(resource)['natGbMonth']:g} GB a month leave the environment's private subnets",
    )


def _eip(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
    yield _public_ipv4(resource, ctx, 1)


def _instance(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
    template = ctx.by_id.get(str((resource.inputs.get("launchTemplate") or {}).get("id")))
    inputs = template.inputs if template is not None else resource.inputs
    yield from _ec2_hosts(resource, ctx, inputs, 1, "EC2 instance")
    if resource.inputs.get("associatePublicIpAddress"):
        yield _public_ipv4(resource, ctx, 1)


def _ec2_hosts(
    resource: RenderedResource, ctx: PricingContext, template: dict[str, Any], count: int, item: str
) -> Iterator[LineItem]:
    instance_type = str(template.get("instanceType"))
    rate = ctx.prices.rate("ec2Hour", instance_type)
    group = ctx.group_of[resource.urn]
    if rate is None:
        yield LineItem(
            group, f"{item} {instance_type}: no price in the table", resource.name, 0.0, "not priced"
        )
        return
    yield ctx.hourly_line(resource, f"{item} {instance_type}", rate, count)
    volume = sum(int(d.get("ebs", {}).get("volumeSize", 0)) for d in template.get("blockDeviceMappings", []))
    if volume:
        gb_rate = ctx.prices["ebsGp3GbMonth"]
        yield LineItem(
            group,
            f"EBS gp3 root volumes ({item})",
            resource.name,
            count * volume * gb_rate,
            f"{count} x {volume} GB x ${gb_rate:g}/GB-month",
        )


def _auto_scaling_group(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
    template = ctx.by_id.get(str(resource.inputs.get("launchTemplate", {}).get("id")))
    count = int(resource.inputs.get("minSize", 0))
    yield from _ec2_hosts(
        resource, ctx, template.inputs if template else {}, count, "EC2 hosts at the group's minimum"
    )


def _vpc_endpoint(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
    group = ctx.group_of[resource.urn]
    service = str(resource.inputs.get("serviceName", "")).rsplit(".", 1)[-1]
    if resource.inputs.get("vpcEndpointType") != "Interface":
        yield LineItem(group, f"gateway endpoint ({service})", resource.name, 0.0, "no charge")
        return
    zones = len(resource.inputs.get("subnetIds") or [])
    yield ctx.hourly_line(
        resource, f"interface endpoint ({service}), per zone", ctx.prices["interfaceEndpointHour"], zones
    )


def _load_balancer(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
    prices, group, usage = ctx.prices, ctx.group_of[resource.urn], ctx.usage(resource)
    yield ctx.hourly_line(resource, "application load balancer", prices["albHour"])
    lcu = usage["albLcu"]
    yield LineItem(
        group,
        "load balancer capacity units",
        resource.name,
        lcu * prices["albLcuHour"] * ctx.hours,
        f"{lcu:g} LCU x {ctx.hours:g} h x ${prices['albLcuHour']:g}/LCU-h",
        f"{lcu:g} LCU on average (1 LCU: 25 new connections/s, 3,000 active, or 1 GB/h)",
    )
    if not resource.inputs.get("internal"):
        yield _public_ipv4(resource, ctx, len(resource.inputs.get("subnets") or []))


def _ecs_service(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
    inputs, group, prices = resource.inputs, ctx.group_of[resource.urn], ctx.prices
    task = ctx.by_arn.get(str(inputs.get("taskDefinition")))
    strategy = inputs.get("capacityProviderStrategies") or [{"capacityProvider": "FARGATE", "weight": 1}]
    on_fargate = {s["capacityProvider"] for s in strategy} <= {"FARGATE", "FARGATE_SPOT"}
    count = _minimum_tasks(resource, ctx)
    if not on_fargate or task is None:
        yield LineItem(
            group, "ECS tasks on the cluster's EC2 hosts", resource.name, 0.0, "priced with the hosts"
        )
        return
    vcpu, gb = int(task.inputs["cpu"]) / 1024, int(task.inputs["memory"]) / 1024
    on_demand, spot = _split(strategy, count)
    # Fargate pricing page: Linux/ARM (Graviton) has its own per-vCPU and per-GB rates.
    arm = (task.inputs.get("runtimePlatform") or {}).get("cpuArchitecture") == "ARM64"
    cpu_rate, gb_rate = (
        ("fargateArmVcpuHour", "fargateArmGbHour") if arm else ("fargateVcpuHour", "fargateGbHour")
    )
    per_task = vcpu * prices[cpu_rate] + gb * prices[gb_rate]
    size = f"{vcpu:g} vCPU x ${prices[cpu_rate]:g} + {gb:g} GB x ${prices[gb_rate]:g}"
    if on_demand:
        yield LineItem(
            group,
            "Fargate ARM tasks" if arm else "Fargate tasks",
            resource.name,
            on_demand * per_task * ctx.hours,
            f"{on_demand:g} x {ctx.hours:g} h x ({size})",
            f"the service's minimum of {count} task(s) running all month",
        )
    if spot:
        discount = ctx.prices.spot_discount
        yield LineItem(
            group,
            "Fargate Spot ARM tasks" if arm else "Fargate Spot tasks",
            resource.name,
            spot * per_task * (1 - discount) * ctx.hours,
            f"{spot:g} x {ctx.hours:g} h x ({size}) x {1 - discount:g}",
            f"the service's minimum of {count} task(s); Spot at {discount:.0%} below on-demand",
        )


def _minimum_tasks(service: RenderedResource, ctx: PricingContext) -> int:
    name = service.inputs.get("name")
    for target in ctx.members[ctx.group_of[service.urn]]:
        if target.type == "aws:appautoscaling/target:Target" and str(
            target.inputs.get("resourceId", "")
        ).endswith(f"/{name}"):
            return int(target.inputs.get("minCapacity", 0))
    return int(service.inputs.get("desiredCount", 0))


def _split(strategy: list[dict[str, Any]], count: int) -> tuple[float, float]:
    """Tasks on regular Fargate and on Spot: each provider's base first, the rest by weight."""
    base = {s["capacityProvider"]: int(s.get("base", 0)) for s in strategy}
    weight = {s["capacityProvider"]: int(s.get("weight", 0)) for s in strategy}
    regular: float = min(base.get("FARGATE", 0), count)
    spot: float = min(base.get("FARGATE_SPOT", 0), count - regular)
    rest = count - regular - spot
    total = sum(weight.values()) or 1
    regular += rest * weight.get("FARGATE", 0) / total
    spot += rest * weight.get("FARGATE_SPOT", 0) / total
    return regular, spot


def _cluster(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
    group = ctx.group_of[resource.urn]
    insights = any(
        s.get("name") == "containerInsights" and s.get("value") in ("enabled", "enhanced")
        for s in resource.inputs.get("settings") or []
    )
    if not insights:
        yield LineItem(group, "ECS cluster (Container Insights off)", resource.name, 0.0, "no charge")
        return
    usage = ctx.usage(resource)
    services = sum(1 for r in ctx.members[group] if r.type == "aws:ecs/service:Service")
    metrics = usage["insightsMetricsPerCluster"] + services * usage["insightsMetricsPerService"]
    rate = ctx.prices["metricMonth"]
    yield LineItem(
        group,
        "Container Insights metrics",
        resource.name,
        metrics * rate,
        f"{metrics:g} metrics x ${rate:g}/metric-month",
        f"about {usage['insightsMetricsPerCluster']} metrics per cluster and "
        f"{usage['insightsMetricsPerService']} per service",
    )


COMPUTE_PRICERS: dict[str, Pricer] = {
    "aws:ec2/natGateway:NatGateway": _nat_gateway,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/instance:Instance": _instance,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:autoscaling/group:Group": _auto_scaling_group,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:ecs/service:Service": _ecs_service,
    "aws:ecs/cluster:Cluster": _cluster,
}
