"""A service's storage (``services.<name>.storage``) in one environment: AWS names and the
ServiceStorage component's arguments (the environment's key and network are Outputs)."""

from __future__ import annotations

from typing import Any

import pulumi

from muon.components.context import AwsContext
from muon.components.naming import fit
from muon.components.storage_args import (
    StorageArgs,
    StorageBucket,
    StorageTable,
    StorageVolume,
    TableCapacity,
    TableIndex,
    TableKey,
)
from muon.stacks.definition.storage import (
    GlobalIndexSpec,
    IndexSpec,
    KeyAttribute,
    StorageSpec,
    TableSpec,
)


def bucket_name(context: AwsContext, environment: str, service: str, bucket: str) -> str:
    """Globally unique (S3 bucket names are one namespace across accounts: the account id makes it
    the company's) and within S3's 63 lowercase characters (``fit`` shortens with a hash)."""
    return fit(f"{context.namespace}-{environment}-{service}-{bucket}-{context.account_id}", 63)


def table_name(context: AwsContext, environment: str, service: str, table: str) -> str:
    """Unique per account and region; at most 4 + 3 x 22 characters, within DynamoDB's 255."""
    return f"{context.namespace}-{environment}-{service}-{table}"


def creation_token(context: AwsContext, environment: str, service: str, volume: str) -> str:
    """EFS's CreationToken: 1 to 64 characters (EFS API reference, CreateFileSystem)."""
    return fit(f"{context.namespace}-{environment}-{service}-{volume}", 64)


def _key(key: KeyAttribute | None) -> TableKey | None:
    return TableKey(key.name, key.type) if key is not None else None


def _index(name: str, index: IndexSpec) -> TableIndex:
    return TableIndex(
        name=name,
        partition_key=_key(index.partition_key) if isinstance(index, GlobalIndexSpec) else None,
        sort_key=_key(index.sort_key),
        projection=index.projection,
        attributes=tuple(index.attributes),
    )


def _table(key: str, spec: TableSpec, name: str) -> StorageTable:
    capacity = spec.capacity
    partition = _key(spec.partition_key)
    assert partition is not None
    return StorageTable(
        key=key,
        table_name=name,
        partition_key=partition,
        sort_key=_key(spec.sort_key),
        capacity=TableCapacity(
            read_min=capacity.read.min,
            read_max=capacity.read.max,
            write_min=capacity.write.min,
            write_max=capacity.write.max,
            target_utilization=capacity.target_utilization,
        )
        if capacity is not None
        else None,
        ttl_attribute=spec.ttl,
        stream_view=spec.stream,
        global_indexes=tuple(_index(n, i) for n, i in spec.global_indexes.items()),
        local_indexes=tuple(_index(n, i) for n, i in spec.local_indexes.items()),
    )


def storage_args(
    storage: StorageSpec,
    *,
    kept: str,
    environment: str,
    context: AwsContext,
    key_arn: pulumi.Input[str],
    production: bool,
    network: dict[str, Any],
    tags: dict[str, str],
) -> StorageArgs:
    """``kept``: the name the service's data lives under in AWS (its former name while it has one:
    a renamed service keeps its buckets, tables and file systems). ``network``: ``vpc_id``,
    ``subnet_ids`` (the private subnets) and ``zones`` (how many)."""
    return StorageArgs(
        context=context,
        key_arn=key_arn,
        production=production,
        vpc_id=network["vpc_id"],
        subnet_ids=network["subnet_ids"],
        zones=network["zones"],
        buckets=tuple(
            StorageBucket(b, bucket_name(context, environment, kept, b), spec.expire_after_days)
            for b, spec in storage.buckets.items()
        ),
        tables=tuple(
            _table(t, spec, table_name(context, environment, kept, t)) for t, spec in storage.tables.items()
        ),
        volumes=tuple(
            StorageVolume(
                key=v,
                creation_token=creation_token(context, environment, kept, v),
                path=spec.path,
                uid=spec.uid,
                gid=spec.gid,
                permissions=spec.permissions,
                read_only=spec.read_only,
            )
            for v, spec in storage.volumes.items()
        ),
        tags=tags,
    )
