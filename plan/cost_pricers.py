"""The price of each resource type muon creates: one pricer per type, each line with its arithmetic
and the usage it assumes (``PRICERS``)."""

from __future__ import annotations

from collections.abc import Iterator

from muon.plan.cost_compute import COMPUTE_PRICERS
from muon.plan.cost_items import LineItem, Pricer, PricingContext
from muon.plan.cost_storage import STORAGE_PRICERS
from muon.plan.offline import RenderedResource


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


TARGET_TRACKING_ALARMS = 2
"""Application Auto Scaling makes a high and a low alarm for each target-tracking policy (its user guide,
"Target tracking scaling policies"); CloudWatch bills them like any alarm. Step policies are free:
their alarms are declared, and priced, on their own."""


def _scaling_policy(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
    if resource.inputs.get("policyType") != "TargetTrackingScaling":
        return
    rate = ctx.prices["alarmMonth"]
    yield LineItem(
        ctx.group_of[resource.urn],
        "CloudWatch alarms of target tracking",
        resource.name,
        TARGET_TRACKING_ALARMS * rate,
        f"{TARGET_TRACKING_ALARMS} x ${rate:g}/month",
        "the high and low alarms Application Auto Scaling makes for the policy",
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
    **COMPUTE_PRICERS,
    "aws:rds/clusterInstance:ClusterInstance": _aurora_instance,
    "aws:rds/cluster:Cluster": _aurora_cluster,
    "aws:backup/plan:Plan": _backup_plan,
    "aws:kms/key:Key": _fixed("KMS key", "kmsKeyMonth"),
    "aws:ssm/parameter:Parameter": _parameter,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:appautoscaling/policy:Policy": _scaling_policy,
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
