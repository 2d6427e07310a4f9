"""The monthly cost of a rendered stack: line items priced from muon's price table.

Every line is computed from what the stack would create (the rendered resources and their
inputs), at the region's list prices (``stacks/prices.py``) and a stated usage per tier: traffic,
log volume, database storage cannot be read off a definition, so each line prints the assumption
it rests on. Resources AWS does not charge for (VPCs, subnets, IAM, security groups …) are listed
in ``FREE``; a rendered type in neither table is reported as unpriced, never silently skipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from muon.stacks.offline import RenderedResource, Rendering
from muon.stacks.prices import RegionPrices, prices_for, usage_for

ENVIRONMENT_COMPONENT = "muon:network:Environment"
ATTACHED_COMPONENT = "muon:network:AttachedEnvironment"
DELIVERY = "delivery"

# AWS charges nothing for these (or only through the resources priced elsewhere).
FREE = frozenset(
    {
        "aws:acm/certificate:Certificate",  # public certificates are free
        # The plan's snapshots are priced with it; vaults, selections and locks cost nothing. A
        # restore test's cluster lives an hour without an instance: under a cent of storage.
        "aws:backup/restoreTestingPlan:RestoreTestingPlan",
        "aws:backup/restoreTestingSelection:RestoreTestingSelection",
        "aws:backup/selection:Selection",
        "aws:backup/vault:Vault",
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
        "aws:acm/certificateValidation:CertificateValidation",
        "aws:appautoscaling/policy:Policy",
        "aws:appautoscaling/scheduledAction:ScheduledAction",
        "aws:appautoscaling/target:Target",
        "aws:cloudwatch/eventRule:EventRule",  # events from AWS services are free
        "aws:cloudwatch/eventTarget:EventTarget",
        "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
        "aws:codestarnotifications/notificationRule:NotificationRule",
        "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "aws:ec2/flowLog:FlowLog",  # the log group it writes to is priced
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/launchTemplate:LaunchTemplate",  # its instances are priced
        "aws:ec2/networkAcl:NetworkAcl",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/vpc:Vpc",
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        "aws:ecs/capacityProvider:CapacityProvider",
        "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
        "aws:ecs/taskDefinition:TaskDefinition",  # its tasks are priced with the service
        # Request-priced, with monthly free tiers far above a team's queues and schedules: SQS 1
        # million requests, Step Functions 4,000 state transitions (a job run takes 4),
        # EventBridge Scheduler 14 million invocations. Busy queues cost more: not estimated.
        "aws:sqs/queue:Queue",
        "aws:sqs/queuePolicy:QueuePolicy",
        "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
        "aws:sfn/stateMachine:StateMachine",
        "aws:scheduler/schedule:Schedule",
        # The namespace itself has no charge (Service Connect's proxies run inside the tasks).
        "aws:servicediscovery/httpNamespace:HttpNamespace",
        "aws:rds/parameterGroup:ParameterGroup",
        "aws:ssm/association:Association",  # State Manager and Patch Manager scans: no charge on EC2
        "aws:iam/instanceProfile:InstanceProfile",
        "aws:iam/policy:Policy",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:kms/alias:Alias",
        "aws:lb/listener:Listener",
        "aws:lb/listenerRule:ListenerRule",
        "aws:lb/targetGroup:TargetGroup",
        "aws:organizations/account:Account",
        "aws:organizations/organization:Organization",
        "aws:organizations/organizationalUnit:OrganizationalUnit",
        "aws:organizations/policy:Policy",
        "aws:organizations/policyAttachment:PolicyAttachment",
        "aws:rds/clusterParameterGroup:ClusterParameterGroup",
        "aws:rds/eventSubscription:EventSubscription",  # SNS deliveries, within the free tier
        "aws:rds/subnetGroup:SubnetGroup",
        "aws:route53/record:Record",  # alias queries to AWS resources are free
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketNotification:BucketNotification",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:sns/topic:Topic",  # alarm e-mails stay within SNS's free deliveries
        "aws:sns/topicPolicy:TopicPolicy",
        "aws:sns/topicSubscription:TopicSubscription",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:wafv2/webAclAssociation:WebAclAssociation",
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",  # its log group is priced
        "docker-build:index:Image",  # runs where `pulumi up` runs
        "pulumi-python:dynamic:Resource",  # Organizations calls muon makes itself (free)
        "pulumi:pulumi:StackReference",  # a read of another stack's outputs
        "random:index/randomPassword:RandomPassword",
    }
)


@dataclass(frozen=True)
class LineItem:
    group: str
    """The environment it belongs to, or ``delivery`` for the delivery stack's resources."""
    item: str
    resource: str
    monthly: float
    """USD per month."""
    arithmetic: str
    assumption: str = ""

    def document(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "item": self.item,
            "resource": self.resource,
            "usdPerMonth": round(self.monthly, 2),
            "arithmetic": self.arithmetic,
            "assumption": self.assumption,
        }


@dataclass(frozen=True)
class Estimate:
    region: str
    compiled: str
    lines: tuple[LineItem, ...]
    tiers: dict[str, str]
    unpriced: tuple[str, ...] = ()
    notes: dict[str, list[str]] = field(default_factory=dict)

    def total(self, group: str | None = None) -> float:
        return sum(line.monthly for line in self.lines if group is None or line.group == group)

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(line.group for line in self.lines))

    def document(self) -> dict[str, Any]:
        return {
            "currency": "USD",
            "unit": "USD per month",
            "region": self.region,
            "pricesCompiled": self.compiled,
            "groups": {
                group: {
                    "tier": self.tiers.get(group, DELIVERY),
                    "usage": usage_for(self.tiers.get(group, DELIVERY)),
                    "usdPerMonth": round(self.total(group), 2),
                    "notes": self.notes.get(group, []),
                }
                for group in self.groups
            },
            "lines": [line.document() for line in self.lines],
            "usdPerMonth": round(self.total(), 2),
            "unpriced": list(self.unpriced),
        }


def money(value: float) -> str:
    return f"${value:,.2f}"


@dataclass
class _Context:
    prices: RegionPrices
    by_id: dict[str, RenderedResource]
    by_arn: dict[str, RenderedResource]
    group_of: dict[str, str]
    tiers: dict[str, str]
    members: dict[str, list[RenderedResource]]

    def usage(self, resource: RenderedResource) -> dict[str, Any]:
        return usage_for(self.tiers.get(self.group_of[resource.urn], DELIVERY))

    @property
    def hours(self) -> float:
        return self.prices.hours_per_month

    def hourly_line(
        self, resource: RenderedResource, item: str, rate: float, count: float = 1, unit: str = "h"
    ) -> LineItem:
        monthly = count * rate * self.hours
        times = f"{count:g} x " if count != 1 else ""
        return LineItem(
            self.group_of[resource.urn],
            item,
            resource.name,
            monthly,
            f"{times}{self.hours:g} h x ${rate:g}/{unit}",
        )


Pricer = Callable[[RenderedResource, _Context], Iterator[LineItem]]


def _public_ipv4(resource: RenderedResource, ctx: _Context, count: int) -> LineItem:
    return ctx.hourly_line(resource, "public IPv4 addresses", ctx.prices["publicIpv4Hour"], count)


def _nat_gateway(resource: RenderedResource, ctx: _Context) -> Iterator[LineItem]:
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


def _eip(resource: RenderedResource, ctx: _Context) -> Iterator[LineItem]:
    yield _public_ipv4(resource, ctx, 1)


def _instance(resource: RenderedResource, ctx: _Context) -> Iterator[LineItem]:
    template = ctx.by_id.get(str((resource.inputs.get("launchTemplate") or {}).get("id")))
    inputs = template.inputs if template is not None else resource.inputs
    yield from _ec2_hosts(resource, ctx, inputs, 1, "EC2 instance")
    if resource.inputs.get("associatePublicIpAddress"):
        yield _public_ipv4(resource, ctx, 1)


def _ec2_hosts(
    resource: RenderedResource, ctx: _Context, template: dict[str, Any], count: int, item: str
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


def _auto_scaling_group(resource: RenderedResource, ctx: _Context) -> Iterator[LineItem]:
    template = ctx.by_id.get(str(resource.inputs.get("launchTemplate", {}).get("id")))
    count = int(resource.inputs.get("minSize", 0))
    yield from _ec2_hosts(
        resource, ctx, template.inputs if template else {}, count, "EC2 hosts at the group's minimum"
    )


def _vpc_endpoint(resource: RenderedResource, ctx: _Context) -> Iterator[LineItem]:
    group = ctx.group_of[resource.urn]
    service = str(resource.inputs.get("serviceName", "")).rsplit(".", 1)[-1]
    if resource.inputs.get("vpcEndpointType") != "Interface":
        yield LineItem(group, f"gateway endpoint ({service})", resource.name, 0.0, "no charge")
        return
    zones = len(resource.inputs.get("subnetIds") or [])
    yield ctx.hourly_line(
        resource, f"interface endpoint ({service}), per zone", ctx.prices["interfaceEndpointHour"], zones
    )


def _load_balancer(resource: RenderedResource, ctx: _Context) -> Iterator[LineItem]:
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


def _ecs_service(resource: RenderedResource, ctx: _Context) -> Iterator[LineItem]:
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


def _minimum_tasks(service: RenderedResource, ctx: _Context) -> int:
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
    regular = min(base.get("FARGATE", 0), count)
    spot = min(base.get("FARGATE_SPOT", 0), count - regular)
    rest = count - regular - spot
    total = sum(weight.values()) or 1
    regular += rest * weight.get("FARGATE", 0) / total
    spot += rest * weight.get("FARGATE_SPOT", 0) / total
    return regular, spot


def _cluster(resource: RenderedResource, ctx: _Context) -> Iterator[LineItem]:
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


def _aurora_instance(resource: RenderedResource, ctx: _Context) -> Iterator[LineItem]:
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


def _aurora_cluster(resource: RenderedResource, ctx: _Context) -> Iterator[LineItem]:
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


def _backup_plan(resource: RenderedResource, ctx: _Context) -> Iterator[LineItem]:
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
    def price(resource: RenderedResource, ctx: _Context) -> Iterator[LineItem]:
        rate = ctx.prices[price_key]
        yield LineItem(ctx.group_of[resource.urn], item, resource.name, rate, f"${rate:g}/month")

    return price


def _alarm(resource: RenderedResource, ctx: _Context) -> Iterator[LineItem]:
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


def _parameter(resource: RenderedResource, ctx: _Context) -> Iterator[LineItem]:
    if resource.inputs.get("tier") in ("Advanced", "Intelligent-Tiering"):
        yield from _fixed("advanced parameter", "advancedParameterMonth")(resource, ctx)


def _log_group(resource: RenderedResource, ctx: _Context) -> Iterator[LineItem]:
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


def _web_acl(resource: RenderedResource, ctx: _Context) -> Iterator[LineItem]:
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

    def price(resource: RenderedResource, ctx: _Context) -> Iterator[LineItem]:
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


def _pipeline(resource: RenderedResource, ctx: _Context) -> Iterator[LineItem]:
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


def _build_project(resource: RenderedResource, ctx: _Context) -> Iterator[LineItem]:
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
}


def _groups(rendering: Rendering) -> dict[str, str]:
    """Each resource's environment (the Environment component above it), else ``delivery``."""
    parent = {r.urn: r.parent for r in rendering.resources}
    environment = {
        r.urn: r.name for r in rendering.resources if r.type in (ENVIRONMENT_COMPONENT, ATTACHED_COMPONENT)
    }
    groups: dict[str, str] = {}
    for resource in rendering.resources:
        urn, group = resource.urn, DELIVERY
        while urn in parent:
            if urn in environment:
                group = environment[urn]
                break
            urn = parent[urn]
        groups[resource.urn] = group
    return groups


def estimate(rendering: Rendering, region: str) -> Estimate:
    """Price every rendered resource at ``region``'s list prices (MuonError: region not in the table)."""
    prices = prices_for(region)
    environments = rendering.outputs.get("environments") or {}
    tiers = {name: str(env.get("tier") or "development") for name, env in environments.items()}
    group_of = _groups(rendering)
    members: dict[str, list[RenderedResource]] = defaultdict(list)
    for resource in rendering.custom_resources:
        members[group_of[resource.urn]].append(resource)
    ctx = _Context(
        prices=prices,
        by_id={str(r.state.get("id")): r for r in rendering.custom_resources},
        by_arn={str(r.state.get("arn")): r for r in rendering.custom_resources},
        group_of=group_of,
        tiers=tiers,
        members=members,
    )
    lines: list[LineItem] = []
    unpriced: set[str] = set()
    for resource in rendering.custom_resources:
        pricer = PRICERS.get(resource.type)
        if pricer is not None:
            lines.extend(pricer(resource, ctx))
        elif resource.type not in FREE:
            unpriced.add(resource.type)
    attached = {r.name for r in rendering.resources if r.type == ATTACHED_COMPONENT}
    notes = {
        group: [
            "the environment is another stack's (a platform project): its network, load balancer and "
            "cluster are priced with that stack; here only this project's resources"
            if group in attached
            else _egress_note(members[group], prices, tiers[group])
        ]
        for group in tiers
        if members[group]
    }
    return Estimate(region, prices.compiled, tuple(lines), tiers, tuple(sorted(unpriced)), notes)


def _egress_note(resources: list[RenderedResource], prices: RegionPrices, tier: str) -> str:
    """Why this environment's private subnets leave the VPC the way they do, in dollars."""
    from muon.stacks.egress import explain  # imports the network component: only when pricing

    zones = sum(
        1
        for r in resources
        if r.type == "aws:ec2/subnet:Subnet" and r.inputs.get("tags", {}).get("muon:tier") == "private"
    )
    if not zones:
        return "egress: the network is not muon's (an existing VPC); not compared"
    gateways = sum(1 for r in resources if r.type == "aws:ec2/natGateway:NatGateway")
    if any(r.type == "aws:ec2/instance:Instance" for r in resources):
        chosen = "instance"
    else:
        chosen = {0: "none", 1: "single"}.get(gateways, "per-az")
    return explain(prices, zones, chosen, tier)
