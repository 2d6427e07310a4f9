"""The price of each resource type muon creates: one pricer per type, each line with its arithmetic
and the usage it assumes (``PRICERS``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from muon.plan.cost_items import LineItem, Pricer, PricingContext
from muon.plan.cost_storage import STORAGE_PRICERS
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
    per_task = vcpu * prices["fargateVcpuHour"] + gb * prices["fargateGbHour"]
    size = f"{vcpu:g} vCPU x ${prices['fargateVcpuHour']:g} + {gb:g} GB x ${prices['fargateGbHour']:g}"
    if on_demand:
        yield LineItem(
            group,
            "Fargate tasks",
            resource.name,
            on_demand * per_task * ctx.hours,
            f"{on_demand:g} x {ctx.hours:g} h x ({size})",
            f"the service's minimum of {count} task(s) running all month",
        )
    if spot:
        discount = ctx.prices.spot_discount
        yield LineItem(
            group,
            "Fargate Spot tasks",
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


def _aurora_instance(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
    group, prices = ctx.group_of[resource.urn], ctx.prices
    instance_class = str(resource.inputs.get("instanceClass"))
    if instance_class != "db.serverless":
        rate = prices.rate("auroraHour", instance_class)
        if rate is None:
            yield LineItem(
                group, f"Aurora {instance_class}: no price in the table", resource.name, 0.0, "not priced"
            )
            return
        yield ctx.hourly_line(resource, f"Aurora instance {instance_class}", rate)
        return
    cluster = next(
        (
            r
            for r in ctx.members[group]
            if r.type == "aws:rds/cluster:Cluster"
            and r.inputs.get("clusterIdentifier") == resource.inputs.get("clusterIdentifier")
        ),
        None,
    )
    scaling = (cluster.inputs if cluster else {}).get("serverlessv2ScalingConfiguration") or {}
    minimum = float(scaling.get("minCapacity", 0.5))
    rate = prices["auroraAcuHour"]
    if minimum == 0:
        hours = ctx.usage(resource)["serverlessActiveHours"]
        yield LineItem(
            group,
            "Aurora Serverless v2, pauses when idle",
            resource.name,
            hours * 0.5 * rate,
            f"{hours:g} h x 0.5 ACU x ${rate:g}/ACU-h",
            f"active {hours:g} h a month at its smallest size, paused (no compute charge) otherwise; "
            "a client holding connections open keeps it from pausing",
        )
        return
    yield LineItem(
        group,
        "Aurora Serverless v2 at its minimum",
        resource.name,
        minimum * rate * ctx.hours,
        f"{minimum:g} ACU x {ctx.hours:g} h x ${rate:g}/ACU-h",
        "at its minimum capacity all month; scaling up costs more",
    )


def _aurora_cluster(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
    group, prices, usage = ctx.group_of[resource.urn], ctx.prices, ctx.usage(resource)
    gb, io = usage["auroraStorageGb"], usage["auroraIoMillion"]
    yield LineItem(
        group,
        "Aurora storage and I/O",
        resource.name,
        gb * prices["auroraStorageGbMonth"] + io * prices["auroraIoMillion"],
        f"{gb:g} GB x ${prices['auroraStorageGbMonth']:g} + {io:g}M I/O x ${prices['auroraIoMillion']:g}",
        f"{gb:g} GB stored, {io:g} million I/O requests a month",
    )
    yield LineItem(
        group,
        "Aurora backups",
        resource.name,
        0.0,
        "no charge",
        f"backups kept {resource.inputs.get('backupRetentionPeriod', 1)} day(s), within the cluster's size, "
        "which Aurora stores free",
    )


BACKUP_PERIOD_DAYS = {"daily": 1, "monthly": 30}


def _backup_plan(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
    """Snapshots kept by each rule, for every database of the environment (the plan selects them by tag)."""
    group, usage = ctx.group_of[resource.urn], ctx.usage(resource)
    databases = sum(
        1 for r in ctx.members[group] if r.type in ("aws:rds/cluster:Cluster", "aws:rds/instance:Instance")
    )
    if not databases:
        return
    rate, gb = ctx.prices["auroraBackupGbMonth"], usage["backupGbPerSnapshot"]
    for rule in resource.inputs.get("rules") or []:
        kept = int(rule["lifecycle"]["deleteAfter"]) // BACKUP_PERIOD_DAYS.get(rule["ruleName"], 1)
        copies = 1 + len(rule.get("copyActions") or [])
        stored = databases * kept * gb * copies
        yield LineItem(
            group,
            f"AWS Backup {rule['ruleName']} snapshots",
            resource.name,
            stored * rate,
            f"{databases} database(s) x {kept} kept x {gb:g} GB"
            + (f" x {copies} (copies)" if copies > 1 else "")
            + f" x ${rate:g}/GB-month",
            f"each snapshot adds {gb:g} GB (incremental: the data changed since the one before)",
        )


def _fixed(item: str, price_key: str) -> Pricer:
    def price(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
        rate = ctx.prices[price_key]
        yield LineItem(ctx.group_of[resource.urn], item, resource.name, rate, f"${rate:g}/month")

    return price


def _alarm(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
    """CloudWatch charges an alarm by the metrics it reads: metric math over two metrics is two."""
    queries = resource.inputs.get("metricQueries") or []
    metrics = max(1, sum(1 for query in queries if query.get("metric")))
    rate = ctx.prices["alarmMonth"]
    yield LineItem(
        ctx.group_of[resource.urn],
        "CloudWatch alarm" if metrics == 1 else f"CloudWatch alarm on {metrics} metrics",
        resource.name,
        metrics * rate,
        f"${rate:g}/month" if metrics == 1 else f"{metrics} x ${rate:g}/month",
    )


def _parameter(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
    if resource.inputs.get("tier") in ("Advanced", "Intelligent-Tiering"):
        yield from _fixed("advanced parameter", "advancedParameterMonth")(resource, ctx)


def _log_group(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
    usage, prices = ctx.usage(resource), ctx.prices
    gb = usage["logGbPerGroup"]
    retention_months = min(int(resource.inputs.get("retentionInDays") or 365), 365) / 30
    stored = gb * retention_months
    yield LineItem(
        ctx.group_of[resource.urn],
        "CloudWatch Logs ingestion and storage",
        resource.name,
        gb * prices["logsIngestGb"] + stored * prices["logsStoreGbMonth"],
        f"{gb:g} GB x ${prices['logsIngestGb']:g} + {stored:.1f} GB kept x ${prices['logsStoreGbMonth']:g}",
        f"{gb:g} GB a month per log group",
    )


def _web_acl(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
    prices, usage = ctx.prices, ctx.usage(resource)
    rules = len(resource.inputs.get("rules") or [])
    requests = usage["wafMillionRequests"]
    yield LineItem(
        ctx.group_of[resource.urn],
        "WAF web ACL, rules and requests",
        resource.name,
        prices["wafAclMonth"] + rules * prices["wafRuleMonth"] + requests * prices["wafMillionRequests"],
        f"${prices['wafAclMonth']:g} + {rules} rules x ${prices['wafRuleMonth']:g} + "
        f"{requests:g}M requests x ${prices['wafMillionRequests']:g}",
        f"{requests:g} million requests a month",
    )


def _stored(item: str, usage_key: str, price_key: str) -> Pricer:
    """Storage priced per GB-month at the stated volume kept."""

    def price(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
        gb, rate = ctx.usage(resource)[usage_key], ctx.prices[price_key]
        yield LineItem(
            ctx.group_of[resource.urn],
            item,
            resource.name,
            gb * rate,
            f"{gb:g} GB x ${rate:g}",
            f"{gb:g} GB kept",
        )

    return price


def _pipeline(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
    usage, rate = ctx.usage(resource), ctx.prices["codepipelineActionMinute"]
    minutes = usage["runsMonth"] * usage["actionMinutesPerRun"]
    yield LineItem(
        ctx.group_of[resource.urn],
        "CodePipeline V2 action minutes",
        resource.name,
        minutes * rate,
        f"{minutes:g} min x ${rate:g}/min",
        f"{usage['runsMonth']} runs a month, {usage['actionMinutesPerRun']} action minutes each",
    )


def _build_project(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
    usage = ctx.usage(resource)
    compute = str((resource.inputs.get("environment") or {}).get("computeType"))
    rate = ctx.prices.rate("codebuildMinute", compute)
    group = ctx.group_of[resource.urn]
    if rate is None:
        yield LineItem(group, f"CodeBuild {compute}: no price in the table", resource.name, 0.0, "not priced")
        return
    minutes = usage["runsMonth"] * usage["buildMinutesPerRun"]
    yield LineItem(
        group,
        f"CodeBuild {compute}",
        resource.name,
        minutes * rate,
        f"{minutes:g} min x ${rate:g}/min",
        f"runs once per pipeline run, {usage['buildMinutesPerRun']} minutes each",
    )


PRICERS: dict[str, Pricer] = {
    "aws:ec2/natGateway:NatGateway": _nat_gateway,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/instance:Instance": _instance,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:autoscaling/group:Group": _auto_scaling_group,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:ecs/service:Service": _ecs_service,
    "aws:ecs/cluster:Cluster": _cluster,
    "aws:rds/clusterInstance:ClusterInstance": _aurora_instance,
    "aws:rds/cluster:Cluster": _aurora_cluster,
    "aws:backup/plan:Plan": _backup_plan,
    "aws:kms/key:Key": _fixed("KMS key", "kmsKeyMonth"),
    "aws:ssm/parameter:Parameter": _parameter,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": _fixed(
        "CloudWatch composite alarm", "compositeAlarmMonth"
    ),
    "aws:cloudwatch/dashboard:Dashboard": _fixed("CloudWatch dashboard", "dashboardMonth"),
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:route53/zone:Zone": _fixed("Route 53 hosted zone", "route53ZoneMonth"),
    "aws:s3/bucket:Bucket": _stored("S3 storage", "bucketGb", "s3GbMonth"),
    "aws:ecr/repository:Repository": _stored("ECR image storage", "imageGbPerRepository", "ecrGbMonth"),
    "aws:codepipeline/pipeline:Pipeline": _pipeline,
    "aws:codebuild/project:Project": _build_project,
    **STORAGE_PRICERS,
}
