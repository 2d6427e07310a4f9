"""What a service's own storage is given, and what the service gets back (``storage.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi

from muon.components.context import AwsContext

KeyType = Literal["S", "N", "B"]


@dataclass(frozen=True)
class TableKey:
    name: str
    type: KeyType = "S"
    """Default S (a string), DynamoDB's most common key."""


@dataclass(frozen=True)
class TableIndex:
    name: str
    """The index's name (unique per table); required."""
    partition_key: TableKey | None
    """A global index's own partition key; None: a local index (the table's)."""
    sort_key: TableKey | None = None
    """Default None: a global index keyed by its partition key alone."""
    projection: Literal["ALL", "KEYS_ONLY", "INCLUDE"] = "ALL"
    """Default ALL: every attribute is read from the index (no fetch from the table)."""
    attributes: tuple[str, ...] = ()
    """INCLUDE's non-key attributes; default none."""


@dataclass(frozen=True)
class TableCapacity:
    """Provisioned capacity and its target tracking (Application Auto Scaling)."""

    read_min: int
    read_max: int
    write_min: int
    write_max: int
    target_utilization: int = 70
    """Percent of provisioned capacity consumed; default 70, the DynamoDB console's default."""


@dataclass(frozen=True)
class StorageTable:
    key: str
    """The table's name in the definition (``<KEY>_TABLE``); required."""
    table_name: str
    """The AWS name (3 to 255 of [a-zA-Z0-9_.-]); required."""
    partition_key: TableKey
    sort_key: TableKey | None = None
    """Default None: items keyed by the partition key alone."""
    capacity: TableCapacity | None = None
    """Default None: on-demand (PAY_PER_REQUEST), nothing to size or scale."""
    ttl_attribute: str | None = None
    """Default None: items never expire."""
    stream_view: str | None = None
    """Default None: no stream."""
    global_indexes: tuple[TableIndex, ...] = ()
    local_indexes: tuple[TableIndex, ...] = ()


@dataclass(frozen=True)
class StorageBucket:
    key: str
    """The bucket's name in the definition (``<KEY>_BUCKET``); required."""
    bucket_name: str
    """The AWS name (globally unique, 3 to 63 lowercase); required."""
    expire_after_days: int | None = None
    """Default None: objects are kept."""


@dataclass(frozen=True)
class StorageVolume:
    key: str
    """The volume's name in the definition (the task definition's volume name); required."""
    creation_token: str
    """EFS's idempotency token (1 to 64 characters), also its Name tag; required."""
    path: str
    """The container's mount point (absolute); required."""
    uid: int = 1000
    """Default 1000, the user muon's containers run as (``ServiceArgs.user``)."""
    gid: int = 1000
    permissions: str = "750"
    """The access point's root directory mode; default 750: the owner writes, its group reads."""
    read_only: bool = False


@dataclass(frozen=True, kw_only=True)
class StorageArgs:
    context: AwsContext
    """Account, region and partition: ARNs and ``kms:ViaService``; required."""
    key_arn: pulumi.Input[str]
    """The environment's KMS key: every bucket, table and file system is encrypted with it."""
    production: bool
    """Required: production's data is ``protect``ed and retained, its tables deletion-protected
    and recoverable to a second (point-in-time recovery)."""
    vpc_id: pulumi.Input[str] | None = None
    """Where a volume's mount targets live; required with volumes."""
    subnet_ids: pulumi.Input[list[str]] | None = None
    """The private subnets (one a zone): a mount target in each; required with volumes."""
    zones: int = 0
    """How many private subnets there are; required with volumes."""
    buckets: tuple[StorageBucket, ...] = ()
    tables: tuple[StorageTable, ...] = ()
    volumes: tuple[StorageVolume, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    """Every resource's; the environment's backup tag puts tables and volumes in its backup plan."""


@dataclass(frozen=True)
class StorageAccess:
    """What the declaring service takes from its storage: nothing else may reach it."""

    variables: dict[str, pulumi.Input[str]]
    """``<NAME>_BUCKET``, ``<NAME>_TABLE``: the AWS names the application reads."""
    statements: list[dict[str, Any]]
    """The task role's statements, each on exactly the storage's ARNs."""
    volumes: list[dict[str, Any]]
    """The task definition's EFS volumes (transit encryption and IAM authorization on)."""
    mount_points: list[dict[str, Any]]
    """The container's mount points."""
    file_system_security_group_ids: tuple[pulumi.Input[str], ...] = ()
    """The volumes' security groups: the service admits its tasks on NFS (2049) only."""
