"""A workload's own storage as muon's ``services.<name>.storage``: managed EFS volumes of its manifest
(``storage.volumes``), and the DynamoDB tables and S3 buckets of its addons.

Copilot's semantics: ``site/content/docs/include/storage.en.md`` (a volume's ``path``; ``read_only``
true when absent; ``efs: true`` or ``efs: {uid, gid}`` a managed file system with an access point of
the workload's own, ``efs: {id, root_dir, auth}`` an existing one); the addon templates
``copilot storage init`` writes (``internal/pkg/addon``: a table's ``KeySchema``,
``AttributeDefinitions``, ``BillingMode``, ``LocalSecondaryIndexes``; a bucket's encryption, public
access block and ownership controls) read as the CloudFormation reference describes them
(AWS::DynamoDB::Table, AWS::S3::Bucket). A property muon cannot express is one line naming it.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from muon.importers.copilot import Conversion, first_problem
from muon.importers.copilot_values import whole
from muon.stacks.definition.storage import BucketSpec, TableSpec, VolumeSpec

W = "<workload>"
PROJECTIONS = ("ALL", "KEYS_ONLY", "INCLUDE")
STREAMS = ("NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY")
TABLE_DONE = {"TableName", "KeySchema", "AttributeDefinitions", "BillingMode", "ProvisionedThroughput"}
TABLE_DONE |= {"GlobalSecondaryIndexes", "LocalSecondaryIndexes", "TimeToLiveSpecification"}
TABLE_DONE |= {"StreamSpecification"}
TABLE_OWN = {
    "SSESpecification": "muon encrypts every table with the environment's KMS key",
    "PointInTimeRecoverySpecification": "muon keeps point-in-time recovery in production (35 days)",
    "DeletionProtectionEnabled": "muon protects production's tables from deletion",
}
"""Properties muon decides itself: converted as muon's own behaviour, each a line saying which."""
BUCKET_OWN = {
    "BucketEncryption": "SSE-KMS with the environment's key",
    "PublicAccessBlockConfiguration": "every public access blocked",
    "OwnershipControls": "objects owned by the bucket owner",
    "AccessControl": "private",
    "VersioningConfiguration": "versioned (old versions expire after 30 days)",
}
"""What muon's bucket always is (docs/definition.md, ``services.<name>.storage``): Copilot's template
asks for the same (encrypted, private, public access blocked, owner enforced)."""


def name_of(text: str) -> str | None:
    """A Copilot storage name (``ordersTable``, ``my_volume``) as muon's: 2-22 lowercase letters, digits
    and '-', from a letter; None if nothing is left."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", text)
    cut = re.sub(r"[^a-z0-9]+", "-", spaced.lower()).lstrip("-0123456789")[:22].strip("-")
    return cut if re.fullmatch(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", cut) else None


def volumes(given: Any, storage: dict[str, Any], source: str, out: Conversion) -> None:
    """``storage.volumes``: a managed EFS volume becomes muon's ``storage.volumes.<v>``."""
    if not isinstance(given, dict):
        out.lose(source, "storage.volumes", "expected a map of volumes; not converted")
        return
    for key, volume in given.items():
        path = f"storage.volumes.{key}"
        if not isinstance(volume, dict):
            out.lose(source, path, "expected {path, read_only, efs}; not converted")
            continue
        efs = volume.get("efs")
        if efs is None or efs is False:
            out.drop(source, path, f"{W} storage.volumes (no efs)")
            continue
        managed = efs is True or (isinstance(efs, dict) and set(efs) <= {"uid", "gid"})
        if not managed:
            out.drop(source, f"{path}.efs", f"{W} storage.volumes.efs.id")
            continue
        name = name_of(str(key))
        spec: dict[str, Any] = {"path": str(volume.get("path") or "")}
        # storage.en.md: read_only defaults to true.
        spec["readOnly"] = volume.get("read_only") is not False
        if isinstance(efs, dict):
            for id_key in ("uid", "gid"):
                if efs.get(id_key) is not None:
                    spec[id_key] = whole(efs[id_key], -1)
        for extra in set(volume) - {"path", "read_only", "efs"}:
            out.lose(source, f"{path}.{extra}", "not a key of a Copilot volume; not converted")
        if name is None or name in storage.get("volumes", {}):
            out.lose(source, path, f"'{str(key)[:40]}' is no muon name (2-22 a-z, 0-9, -); not converted")
            continue
        try:
            VolumeSpec.model_validate(spec)
        except ValidationError as error:
            out.lose(source, path, f"{first_problem(error)}; not converted")
            continue
        storage.setdefault("volumes", {})[name] = spec


def table(
    logical: str,
    properties: dict[str, Any],
    value: Any,
    storage: dict[str, Any],
    source: str,
    out: Conversion,
) -> bool:
    """An ``AWS::DynamoDB::Table`` as ``storage.tables.<t>``; False (with its lines) when muon cannot
    hold it. ``value`` reads a property through the template's parameters."""
    path = f"Resources.{logical}.Properties"
    types: dict[str, str] = {}
    for attribute in _list(value(properties.get("AttributeDefinitions"))):
        if isinstance(attribute, dict):
            types[str(value(attribute.get("AttributeName")))] = str(value(attribute.get("AttributeType")))
    spec: dict[str, Any] = {}
    keys = _keys(value(properties.get("KeySchema")), types, value)
    if keys is None or "partitionKey" not in keys:
        out.lose(source, f"{path}.KeySchema", "no HASH key muon can read; the table is not converted")
        return False
    spec.update(keys)
    given = value(properties.get("BillingMode"))
    billing = "PROVISIONED" if given is None else str(given)  # CloudFormation's default
    if billing not in ("PROVISIONED", "PAY_PER_REQUEST"):
        out.lose(source, f"{path}.BillingMode", f"'{billing[:40]}': the table is not converted")
        return False
    if billing == "PROVISIONED":
        capacity = _capacity(value(properties.get("ProvisionedThroughput")), value)
        if capacity is None:
            out.lose(source, f"{path}.ProvisionedThroughput", "provisioned without read and write units; "
                     "the table is not converted")  # fmt: skip
            return False
        spec["billing"] = "provisioned"
        for position, index in enumerate(_list(value(properties.get("GlobalSecondaryIndexes")))):
            units = (
                _capacity(value(index.get("ProvisionedThroughput")), value)
                if isinstance(index, dict)
                else None
            )
            if units is not None and units != capacity:
                out.lose(
                    source, f"{path}.GlobalSecondaryIndexes[{position}].ProvisionedThroughput",
                    "muon gives each global index the table's capacity: not converted",
                )  # fmt: skip
        spec["capacity"] = {"read": {"min": capacity[0], "max": capacity[0]},
                            "write": {"min": capacity[1], "max": capacity[1]}}  # fmt: skip
    for group, key in (
        ("GlobalSecondaryIndexes", "globalIndexes"),
        ("LocalSecondaryIndexes", "localIndexes"),
    ):
        indexes = _indexes(value(properties.get(group)), key, types, value, f"{path}.{group}", source, out)
        if indexes:
            spec[key] = indexes
    ttl = value(properties.get("TimeToLiveSpecification"))
    if isinstance(ttl, dict) and value(ttl.get("Enabled")) in (True, "true") and ttl.get("AttributeName"):
        spec["ttl"] = str(value(ttl["AttributeName"]))
    stream = value(properties.get("StreamSpecification"))
    if isinstance(stream, dict) and str(value(stream.get("StreamViewType"))) in STREAMS:
        spec["stream"] = str(value(stream["StreamViewType"]))
    elif stream is not None:
        out.lose(source, f"{path}.StreamSpecification", "no StreamViewType muon has; not converted")
    name = _name(logical, properties.get("TableName"), "Table", path, source, out)
    try:
        TableSpec.model_validate(spec)
    except ValidationError as error:
        out.lose(source, path, f"{first_problem(error)}; the table is not converted")
        return False
    if name is None or name in storage.get("tables", {}):
        out.lose(source, f"Resources.{logical}", "no muon name to give it (2-22 a-z, 0-9, -); not converted")
        return False
    for key in properties:
        if key in TABLE_OWN:
            out.lose(source, f"{path}.{key}", f"{TABLE_OWN[key]}: not converted")
        elif key not in TABLE_DONE:
            out.lose(source, f"{path}.{key}", "no muon equivalent for a service's table; not converted")
    storage.setdefault("tables", {})[name] = spec
    return True


def bucket(
    logical: str,
    properties: dict[str, Any],
    value: Any,
    storage: dict[str, Any],
    source: str,
    out: Conversion,
) -> bool:
    """An ``AWS::S3::Bucket`` as ``storage.buckets.<b>``: muon's bucket is private, encrypted, versioned
    and TLS only; a lifecycle rule expiring every object becomes ``expireAfterDays``."""
    path = f"Resources.{logical}.Properties"
    spec: dict[str, Any] = {}
    for key, given in properties.items():
        if key in BUCKET_OWN:
            continue
        if key == "LifecycleConfiguration":
            days = _expiry(value(given), value)
            if days is not None:
                spec["expireAfterDays"] = days
                continue
            out.lose(source, f"{path}.{key}", "muon expires objects after a number of days (one rule for "
                     "every object, expireAfterDays): other rules are not converted")  # fmt: skip
        elif key != "BucketName":
            out.lose(source, f"{path}.{key}", "no muon equivalent for a service's bucket; not converted")
    name = _name(logical, properties.get("BucketName"), "Bucket", path, source, out, bucket=True)
    try:
        BucketSpec.model_validate(spec)
    except ValidationError:
        out.lose(source, f"{path}.LifecycleConfiguration", "expiry outside 1 to 36500 days; not converted")
        spec = {}
    if name is None or name in storage.get("buckets", {}):
        out.lose(source, f"Resources.{logical}", "no muon name to give it (2-22 a-z, 0-9, -); not converted")
        return False
    storage.setdefault("buckets", {})[name] = spec
    return True


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _keys(schema: Any, types: dict[str, str], value: Any) -> dict[str, Any] | None:
    found: dict[str, Any] = {}
    for element in _list(schema):
        if not isinstance(element, dict):
            return None
        name = value(element.get("AttributeName"))
        if not isinstance(name, str):
            return None
        role = {"HASH": "partitionKey", "RANGE": "sortKey"}.get(str(value(element.get("KeyType"))))
        if role is None or role in found:
            return None
        found[role] = {"name": name, "type": types.get(name, "S")}
    return found


def _capacity(throughput: Any, value: Any) -> tuple[int, int] | None:
    if not isinstance(throughput, dict):
        return None
    read = whole(value(throughput.get("ReadCapacityUnits")))
    write = whole(value(throughput.get("WriteCapacityUnits")))
    return (read, write) if read and write else None


def _indexes(
    given: Any, key: str, types: dict[str, str], value: Any, path: str, source: str, out: Conversion
) -> dict[str, Any]:
    indexes: dict[str, Any] = {}
    for position, index in enumerate(_list(given)):
        where = f"{path}[{position}]"
        if not isinstance(index, dict):
            continue
        keys = _keys(value(index.get("KeySchema")), types, value)
        projection = value(index.get("Projection"))
        projection = projection if isinstance(projection, dict) else {}
        kind = str(value(projection.get("ProjectionType")) or "KEYS_ONLY")
        # A global index has its own partition key; a local one the table's, and its own sort key.
        needed = "partitionKey" if key == "globalIndexes" else "sortKey"
        if keys is None or kind not in PROJECTIONS or needed not in keys:
            out.lose(source, where, "a key schema or projection muon cannot read; the index is not converted")
            continue
        spec: dict[str, Any] = {}
        if key == "globalIndexes":
            spec["partitionKey"] = keys["partitionKey"]
        if "sortKey" in keys:
            spec["sortKey"] = keys["sortKey"]
        spec["projection"] = kind
        attributes = [str(value(a)) for a in _list(value(projection.get("NonKeyAttributes")))]
        if attributes:
            spec["attributes"] = attributes
        for extra in set(index) - {"IndexName", "KeySchema", "Projection", "ProvisionedThroughput"}:
            out.lose(source, f"{where}.{extra}", "no muon equivalent for an index; not converted")
        indexes[str(value(index.get("IndexName")))] = spec
    return indexes


def _expiry(lifecycle: Any, value: Any) -> int | None:
    """One enabled rule expiring every object after N days (no prefix, no tag filter)."""
    rules = _list(lifecycle.get("Rules")) if isinstance(lifecycle, dict) else []
    if len(rules) != 1 or not isinstance(rules[0], dict):
        return None
    rule = rules[0]
    if set(rule) - {"Id", "Status", "ExpirationInDays"} or str(value(rule.get("Status"))) != "Enabled":
        return None
    return whole(value(rule.get("ExpirationInDays")))


def _name(
    logical: str, given: Any, suffix: str, path: str, source: str, out: Conversion, bucket: bool = False
) -> str | None:
    """``storage init``'s ``<App>-<Env>-<Name>-<storage>`` name gives the storage name (muon names it
    ``<namespace>-<env>-<service>-<storage>`` too); else the logical id without its suffix."""
    text = str(given) if isinstance(given, str) else ""
    copilot = re.fullmatch(r"\$\{App\}-\$\{Env\}-\$\{Name\}-([A-Za-z0-9-]+)", text)
    name = name_of(copilot.group(1) if copilot else logical.removesuffix(suffix) or logical)
    if given is not None and (copilot is None or bucket):
        naming = (
            "<namespace>-<env>-<service>-<b>-<account>: its name reaches the app as <B>_BUCKET"
            if bucket
            else "<namespace>-<env>-<service>-<t>: its name reaches the app as <T>_TABLE"
        )
        out.lose(source, f"{path}.{'BucketName' if bucket else 'TableName'}", f"muon names it {naming}")
    return name
