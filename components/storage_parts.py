"""The resources of a service's storage: a DynamoDB table (and its scaling), an EFS volume.
Functions, not components: every resource is the ServiceStorage's own child (``storage.py``)."""

from __future__ import annotations

import functools
from typing import Any

import pulumi
import pulumi_aws as aws

from muon.components.naming import fit
from muon.components.policies import deny_insecure_transport, document, ready, to_json
from muon.components.storage_args import StorageArgs, StorageTable, StorageVolume, TableIndex, TableKey

PITR_DAYS = 35
"""DynamoDB point-in-time recovery's longest window (UpdateContinuousBackups,
RecoveryPeriodInDays 1 to 35): production restores any second of the last five weeks."""


def _attributes(table: StorageTable) -> list[dict[str, str]]:
    """Every key attribute once (AttributeDefinitions takes key attributes only, each once)."""
    keys: dict[str, str] = {}
    indexes = (*table.global_indexes, *table.local_indexes)
    for key in (
        table.partition_key,
        table.sort_key,
        *[k for i in indexes for k in (i.partition_key, i.sort_key)],
    ):
        if key is not None:
            keys.setdefault(key.name, key.type)
    return [{"name": name, "type": kind} for name, kind in keys.items()]


def _index(index: TableIndex, table: StorageTable) -> dict[str, Any]:
    shape: dict[str, Any] = {"name": index.name, "projection_type": index.projection}
    if index.partition_key is not None:
        shape["hash_key"] = index.partition_key.name
    if index.sort_key is not None:
        shape["range_key"] = index.sort_key.name
    if index.attributes:
        shape["non_key_attributes"] = list(index.attributes)
    if table.capacity is not None and index.partition_key is not None:
        # A global index of a provisioned table has its own capacity, scaled as the table's.
        shape["read_capacity"] = table.capacity.read_min
        shape["write_capacity"] = table.capacity.write_min
    return shape


def dynamodb_table(
    name: str, table: StorageTable, args: StorageArgs, child: pulumi.ResourceOptions
) -> aws.dynamodb.Table:
    """Encrypted with the environment's key (SSE-KMS); production's deletion-protected, with
    point-in-time recovery, ``protect``ed (no replacement, no `pulumi destroy`) and retained."""
    capacity = table.capacity
    key: TableKey | None = table.sort_key
    resource = aws.dynamodb.Table(
        f"{name}-table-{table.key}",
        name=table.table_name,
        hash_key=table.partition_key.name,
        range_key=key.name if key is not None else None,
        attributes=_attributes(table),
        billing_mode="PROVISIONED" if capacity is not None else "PAY_PER_REQUEST",
        read_capacity=capacity.read_min if capacity is not None else None,
        write_capacity=capacity.write_min if capacity is not None else None,
        global_secondary_indexes=[_index(i, table) for i in table.global_indexes] or None,
        local_secondary_indexes=[_index(i, table) for i in table.local_indexes] or None,
        ttl={"attribute_name": table.ttl_attribute, "enabled": True} if table.ttl_attribute else None,
        stream_enabled=table.stream_view is not None,
        stream_view_type=table.stream_view,
        server_side_encryption={"enabled": True, "kms_key_arn": args.key_arn},
        point_in_time_recovery={"enabled": True, "recovery_period_in_days": PITR_DAYS}
        if args.production
        else {"enabled": False},
        deletion_protection_enabled=args.production,
        tags={**args.tags, "Name": table.table_name},
        opts=child.merge(
            pulumi.ResourceOptions(
                protect=args.production,
                # Application Auto Scaling owns a provisioned table's capacity once it runs.
                ignore_changes=["readCapacity", "writeCapacity"] if capacity is not None else None,
            )
        ),
    )
    if capacity is not None:
        table_scaling(name, table, resource, child)
    return resource


def table_scaling(
    name: str, table: StorageTable, resource: aws.dynamodb.Table, child: pulumi.ResourceOptions
) -> None:
    """Target tracking on consumed capacity, for the table and each global index (Application
    Auto Scaling user guide, "Amazon DynamoDB and Application Auto Scaling": dimensions
    ``dynamodb:table|index:Read|WriteCapacityUnits``, metrics DynamoDBRead|WriteCapacityUtilization)."""
    capacity = table.capacity
    assert capacity is not None
    scaled: list[tuple[str, str, pulumi.Input[str]]] = [
        ("", "table", resource.name.apply(lambda t: f"table/{t}"))
    ]
    for index in table.global_indexes:
        scaled.append(
            (f"-{index.name}", "index", resource.name.apply(lambda t, i=index.name: f"table/{t}/index/{i}"))
        )
    for suffix, level, resource_id in scaled:
        for what, low, high in (
            ("Read", capacity.read_min, capacity.read_max),
            ("Write", capacity.write_min, capacity.write_max),
        ):
            logical = f"{name}-table-{table.key}{suffix}-{what.lower()}"
            target = aws.appautoscaling.Target(
                f"{logical}-target",
                service_namespace="dynamodb",
                resource_id=resource_id,
                scalable_dimension=f"dynamodb:{level}:{what}CapacityUnits",
                min_capacity=low,
                max_capacity=high,
                opts=child,
            )
            aws.appautoscaling.Policy(
                f"{logical}-policy",
                name=fit(f"{table.table_name}{suffix}-{what.lower()}", 255),
                policy_type="TargetTrackingScaling",
                service_namespace="dynamodb",
                resource_id=target.resource_id,
                scalable_dimension=target.scalable_dimension,
                target_tracking_scaling_policy_configuration={
                    "predefined_metric_specification": {
                        "predefined_metric_type": f"DynamoDB{what}CapacityUtilization"
                    },
                    "target_value": capacity.target_utilization,
                },
                opts=child,
            )


def _nth(index: int, ids: list[str]) -> str:
    return ids[index]


class Volume:
    """An EFS file system of one service: encrypted with the environment's key, a mount target in
    each private subnet behind a security group the service admits its own tasks to (NFS only),
    one access point that pins the user and the root directory, and a policy that refuses any
    client without TLS or without the access point."""

    def __init__(
        self, name: str, volume: StorageVolume, args: StorageArgs, child: pulumi.ResourceOptions
    ) -> None:
        logical = f"{name}-volume-{volume.key}"
        tags = {**args.tags, "Name": volume.creation_token}
        self.file_system = aws.efs.FileSystem(
            logical,
            creation_token=volume.creation_token,
            encrypted=True,
            kms_key_id=args.key_arn,
            performance_mode="generalPurpose",
            throughput_mode="elastic",
            # EFS's own default lifecycle (the console's): to Infrequent Access after 30 days
            # unread, back to Standard on the first access.
            lifecycle_policies=[
                {"transition_to_ia": "AFTER_30_DAYS"},
                {"transition_to_primary_storage_class": "AFTER_1_ACCESS"},
            ],
            tags=tags,
            opts=child.merge(pulumi.ResourceOptions(protect=args.production)),
        )
        self.security_group = aws.ec2.SecurityGroup(
            f"{logical}-sg",
            vpc_id=args.vpc_id,
            description=f"{volume.creation_token}: NFS from the service's tasks; nothing else",
            egress=[],  # a file system starts no connections
            tags=tags,
            opts=child,
        )
        assert args.subnet_ids is not None
        subnets: pulumi.Output[list[str]] = pulumi.Output.from_input(args.subnet_ids)
        mount_targets = [
            aws.efs.MountTarget(
                f"{logical}-mount-{zone}",
                file_system_id=self.file_system.id,
                subnet_id=subnets.apply(functools.partial(_nth, zone)),
                security_groups=[self.security_group.id],
                opts=child,
            )
            for zone in range(args.zones)
        ]
        self.access_point = aws.efs.AccessPoint(
            f"{logical}-access-point",
            file_system_id=self.file_system.id,
            posix_user={"uid": volume.uid, "gid": volume.gid},
            root_directory={
                "path": f"/{volume.key}",
                "creation_info": {
                    "owner_uid": volume.uid,
                    "owner_gid": volume.gid,
                    "permissions": volume.permissions,
                },
            },
            tags=tags,
            opts=child,
        )
        policy = aws.efs.FileSystemPolicy(
            f"{logical}-policy",
            file_system_id=self.file_system.id,
            policy=to_json(document(*self._statements())),
            opts=child,
        )
        self.file_system_id = ready(self.file_system.id, *mount_targets, policy)
        """Handed out once a task can mount it: every zone's mount target, the policy in place."""

    def _statements(self) -> list[dict[str, Any]]:
        fs = self.file_system.arn
        return [
            deny_insecure_transport("elasticfilesystem:*", fs),
            {
                "Sid": "OnlyThroughTheAccessPoint",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                "Resource": fs,
                "Condition": {"StringNotEquals": {"elasticfilesystem:AccessPointArn": self.access_point.arn}},
            },
        ]
