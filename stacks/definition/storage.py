"""Storage a service owns (``services.<name>.storage``): S3 buckets, DynamoDB tables, EFS volumes.

Each is created in every environment the service runs in, encrypted with the environment's key,
and reachable only by the service's task role (and, for a volume, its tasks' security group).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from muon.stacks.definition.base import _PathError
from muon.stacks.definition.fields import Name, Spec
from muon.stacks.definition.storage_types import (
    AttributeName,
    ContainerPath,
    IndexName,
    PosixId,
    PosixPermissions,
)

# DynamoDB quotas ("Service, account, and table quotas in Amazon DynamoDB"): 20 global secondary
# indexes per table (the default quota), 5 local secondary indexes; 100 projected non-key
# attributes over all of a table's indexes.
MAX_GLOBAL_INDEXES = 20
MAX_LOCAL_INDEXES = 5
MAX_PROJECTED = 100


class BucketSpec(Spec):
    """An S3 bucket: private, versioned, TLS only, encrypted with the environment's key."""

    expire_after_days: int | None = Field(
        default=None, ge=1, le=36500, description="Objects expire after this many days (default: kept)."
    )


class KeyAttribute(Spec):
    name: AttributeName
    type: Literal["S", "N", "B"] = Field(default="S", description="S (string), N (number) or B (binary).")


class CapacityRange(Spec):
    min: int = Field(ge=1, le=40000, description="Fewest capacity units.")
    max: int = Field(ge=1, le=40000, description="Most capacity units (scaling stops here).")

    @model_validator(mode="after")
    def _check(self) -> CapacityRange:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class CapacitySpec(Spec):
    """Provisioned capacity, scaled by Application Auto Scaling's target tracking."""

    read: CapacityRange
    write: CapacityRange
    target_utilization: int = Field(
        default=70,
        ge=20,
        le=90,
        description="Consumed share of provisioned capacity scaling keeps (DynamoDB: 20 to 90 percent).",
    )


class IndexSpec(Spec):
    """A local secondary index: the table's partition key, its own sort key."""

    sort_key: KeyAttribute | None = None
    projection: Literal["ALL", "KEYS_ONLY", "INCLUDE"] = "ALL"
    attributes: list[AttributeName] = Field(
        default_factory=list, max_length=MAX_PROJECTED, description="INCLUDE: the non-key attributes."
    )

    @model_validator(mode="after")
    def _check(self) -> IndexSpec:
        if (self.projection == "INCLUDE") != bool(self.attributes):
            raise _PathError(
                ("attributes",), "give attributes exactly when projection is INCLUDE (the non-key attributes)"
            )
        return self


class GlobalIndexSpec(IndexSpec):
    """A global secondary index: its own partition key, and optionally its own sort key."""

    partition_key: KeyAttribute


class TableSpec(Spec):
    """A DynamoDB table: encrypted with the environment's key; production's protected and
    recoverable to any second of the last 35 days."""

    partition_key: KeyAttribute
    sort_key: KeyAttribute | None = None
    billing: Literal["on-demand", "provisioned"] = Field(
        default="on-demand", description="on-demand (pay per request) or provisioned (with capacity)."
    )
    capacity: CapacitySpec | None = Field(default=None, description="provisioned: units and scaling.")
    ttl: AttributeName | None = Field(
        default=None, description="The attribute holding an item's expiry (epoch seconds, a Number)."
    )
    stream: Literal["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"] | None = Field(
        default=None, description="A DynamoDB stream of the table's changes, with this view."
    )
    global_indexes: dict[IndexName, GlobalIndexSpec] = Field(
        default_factory=dict, max_length=MAX_GLOBAL_INDEXES
    )
    local_indexes: dict[IndexName, IndexSpec] = Field(default_factory=dict, max_length=MAX_LOCAL_INDEXES)

    @model_validator(mode="after")
    def _check(self) -> TableSpec:
        if self.billing == "provisioned" and self.capacity is None:
            raise _PathError(("capacity",), "provisioned billing needs capacity: {read, write} ranges")
        if self.billing == "on-demand" and self.capacity is not None:
            raise _PathError(("capacity",), "capacity is for billing: provisioned (on-demand has none)")
        for name, index in self.local_indexes.items():
            where = ("localIndexes", name)
            if self.sort_key is None:
                raise _PathError(where, "a local index needs a table with a sortKey (DynamoDB)")
            if index.sort_key is None:
                raise _PathError((*where, "sortKey"), "a local index needs its own sort key")
        self._check_names()
        return self

    def _check_names(self) -> None:
        both = sorted(set(self.global_indexes) & set(self.local_indexes))
        if both:
            raise _PathError(("localIndexes", both[0]), "also a global index: index names are one per table")
        types: dict[str, str] = {}
        for where, key in self.key_attributes():
            if types.setdefault(key.name, key.type) != key.type:
                raise _PathError(
                    where, f"attribute {key.name} is {types[key.name]} elsewhere: one type per attribute"
                )
        table_keys = {k.name for k in (self.partition_key, self.sort_key) if k is not None}
        for group, indexes in (("globalIndexes", self.global_indexes), ("localIndexes", self.local_indexes)):
            for name, index in indexes.items():
                partition = index.partition_key if isinstance(index, GlobalIndexSpec) else None
                keys = table_keys | {k.name for k in (partition, index.sort_key) if k is not None}
                for position, attribute in enumerate(index.attributes):
                    if attribute in keys:
                        raise _PathError(
                            (group, name, "attributes", position),
                            f"{attribute} is a key: an index always projects the table's and its own keys",
                        )
        projected = sum(
            len(i.attributes) for i in [*self.global_indexes.values(), *self.local_indexes.values()]
        )
        if projected > MAX_PROJECTED:
            raise ValueError(
                f"{projected} projected attributes over the indexes; DynamoDB takes {MAX_PROJECTED}"
            )

    def key_attributes(self) -> list[tuple[tuple[str, ...], KeyAttribute]]:
        """Every key attribute, table's and indexes', with where it is declared."""
        found: list[tuple[tuple[str, ...], KeyAttribute]] = [(("partitionKey",), self.partition_key)]
        if self.sort_key is not None:
            found.append((("sortKey",), self.sort_key))
        for group, indexes in (("globalIndexes", self.global_indexes), ("localIndexes", self.local_indexes)):
            for name, index in indexes.items():
                partition = index.partition_key if isinstance(index, GlobalIndexSpec) else None
                for field, key in (("partitionKey", partition), ("sortKey", index.sort_key)):
                    if key is not None:
                        found.append(((group, name, field), key))
        return found


class VolumeSpec(Spec):
    """An EFS file system of the service's own, mounted through an access point."""

    path: ContainerPath = Field(description="Where the container sees it, e.g. /data.")
    uid: PosixId = Field(default=1000, description="The user every file operation runs as.")
    gid: PosixId = Field(default=1000, description="Its group.")
    permissions: PosixPermissions = Field(default="750", description="The root directory's mode.")
    read_only: bool = False

    @model_validator(mode="after")
    def _check(self) -> VolumeSpec:
        scratch = "/tmp"  # noqa: S108  (the task's tmpfs, not a file muon writes)
        if self.path == scratch or self.path.startswith(scratch + "/"):
            raise _PathError(("path",), f"{scratch} is the task's scratch space (a tmpfs): choose another")
        return self


class StorageSpec(Spec):
    buckets: dict[Name, BucketSpec] = Field(
        default_factory=dict, description="S3 buckets; the name reaches the app as <NAME>_BUCKET."
    )
    tables: dict[Name, TableSpec] = Field(
        default_factory=dict, description="DynamoDB tables; the name reaches the app as <NAME>_TABLE."
    )
    volumes: dict[Name, VolumeSpec] = Field(
        default_factory=dict, description="EFS volumes mounted in the container at their path."
    )

    @model_validator(mode="after")
    def _check(self) -> StorageSpec:
        seen: dict[str, str] = {}
        for name, volume in self.volumes.items():
            other = next((o for o, p in seen.items() if _nested(p, volume.path)), None)
            if other is not None:
                raise _PathError(("volumes", name, "path"), f"overlaps volume {other}'s path {seen[other]}")
            seen[name] = volume.path
        return self


def _nested(one: str, other: str) -> bool:
    return one == other or other.startswith(one + "/") or one.startswith(other + "/")


def variable_name(name: str, suffix: str) -> str:
    """``uploads`` → ``UPLOADS_BUCKET``: what the application reads the AWS name from."""
    return f"{name.upper().replace('-', '_')}_{suffix}"
