"""What a service's own storage costs: DynamoDB tables (on-demand requests or provisioned capacity,
storage, point-in-time recovery) and EFS file systems (storage). S3 buckets are priced with every
bucket (``cost_pricers.py``: S3 storage)."""

from __future__ import annotations

from collections.abc import Iterator

from muon.plan.cost_items import LineItem, Pricer, PricingContext
from muon.plan.offline import RenderedResource


def _dynamodb_table(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
    """Requests at the tier's stated volume (on-demand) or the minimum capacity all month
    (provisioned: scaling adds only when traffic does), the table's storage, and in production its
    point-in-time recovery (billed on the table's size)."""
    prices, usage, group = ctx.prices, ctx.usage(resource), ctx.group_of[resource.urn]
    inputs = resource.inputs
    if inputs.get("billingMode") == "PROVISIONED":
        indexes = inputs.get("globalSecondaryIndexes") or []
        reads = int(inputs.get("readCapacity") or 0) + sum(int(i.get("readCapacity") or 0) for i in indexes)
        writes = int(inputs.get("writeCapacity") or 0) + sum(
            int(i.get("writeCapacity") or 0) for i in indexes
        )
        read_rate, write_rate = prices["dynamodbRcuHour"], prices["dynamodbWcuHour"]
        yield LineItem(
            group,
            "DynamoDB provisioned capacity",
            resource.name,
            (reads * read_rate + writes * write_rate) * ctx.hours,
            f"({reads} RCU x ${read_rate:g} + {writes} WCU x ${write_rate:g}) x {ctx.hours:g} h",
            "the minimum capacity (table and global indexes) all month; scaling adds more only with traffic",
        )
    else:
        reads, writes = usage["dynamodbMillionReads"], usage["dynamodbMillionWrites"]
        read_rate, write_rate = prices["dynamodbMillionReads"], prices["dynamodbMillionWrites"]
        yield LineItem(
            group,
            "DynamoDB on-demand requests",
            resource.name,
            reads * read_rate + writes * write_rate,
            f"{reads:g}M reads x ${read_rate:g} + {writes:g}M writes x ${write_rate:g}",
            f"{reads:g} million read and {writes:g} million write request units a month",
        )
    gb, rate = usage["tableGb"], prices["dynamodbGbMonth"]
    recovery = bool((inputs.get("pointInTimeRecovery") or {}).get("enabled"))
    pitr = prices["dynamodbPitrGbMonth"] if recovery else 0.0
    yield LineItem(
        group,
        "DynamoDB storage" + (" and point-in-time recovery" if recovery else ""),
        resource.name,
        gb * (rate + pitr),
        f"{gb:g} GB x ${rate:g}" + (f" + {gb:g} GB x ${pitr:g} (PITR)" if recovery else ""),
        f"{gb:g} GB kept (the 25 GB free tier is not counted)",
    )


def _efs_file_system(resource: RenderedResource, ctx: PricingContext) -> Iterator[LineItem]:
    gb, rate = ctx.usage(resource)["volumeGb"], ctx.prices["efsStandardGbMonth"]
    yield LineItem(
        ctx.group_of[resource.urn],
        "EFS storage (Standard)",
        resource.name,
        gb * rate,
        f"{gb:g} GB x ${rate:g}",
        f"{gb:g} GB kept, all in Standard (files unread for 30 days move to Infrequent Access, which "
        "costs less; Elastic throughput's per-GB transfer is not counted)",
    )


STORAGE_PRICERS: dict[str, Pricer] = {
    "aws:dynamodb/table:Table": _dynamodb_table,
    "aws:efs/fileSystem:FileSystem": _efs_file_system,
}
