"""Storage a service owns (``services.<name>.storage``): what each bucket, table and volume renders
to, what the declaring service (and nothing else) may do with it, and the bad input refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from muon.plan.offline import RenderedResource, Rendering
from muon.policy.rules import evaluate, split_excepted
from tests.conftest import definition_error, render_shared
from tests.test_bad_input import project, refused

DEFINITION = """
environments:
  dev: {}
  production: {domain: {name: app.example.com, zone: example.com}, network: {azs: 3}}
services:
  api:
    port: 8080
    pathPatterns: [/api*]
    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1
    storage:
      buckets: {uploads: {expireAfterDays: 90}}
      tables:
        orders:
          partitionKey: {name: id}
          sortKey: {name: at, type: N}
          ttl: expiresAt
          stream: NEW_AND_OLD_IMAGES
          globalIndexes: {by-customer: {partitionKey: {name: customer}, projection: KEYS_ONLY}}
          localIndexes: {by-total: {sortKey: {name: total, type: N}, projection: INCLUDE, attributes: [note]}}
        counters:
          partitionKey: {name: name}
          billing: provisioned
          capacity: {read: {min: 5, max: 50}, write: {min: 2, max: 20}, targetUtilization: 60}
          globalIndexes: {by-kind: {partitionKey: {name: kind}}}
      volumes:
        files: {path: /srv/files, uid: 2000, gid: 3000, permissions: "0770"}
  other:
    port: 8080
    pathPatterns: [/other*]
    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/other:1
"""
ENV = "environments:\n  dev: {}\nservices:\n  api:\n    port: 8080\n    pathPatterns: [/api]\n"


@pytest.fixture(scope="module")
def production() -> Rendering:
    return render_shared(DEFINITION, ["production"])


@pytest.fixture(scope="module")
def dev() -> Rendering:
    return render_shared(DEFINITION, ["dev"])


def table(rendering: Rendering, key: str) -> RenderedResource:
    return next(t for t in rendering.of_type("aws:dynamodb/table:Table") if t.name.endswith(f"-table-{key}"))


def task_policy(rendering: Rendering, service: str) -> dict[str, Any]:
    found = rendering.one("aws:iam/rolePolicy:RolePolicy", f"production-{service}-task-policy")
    return json.loads(found.inputs["policy"])


def container(rendering: Rendering, service: str) -> dict[str, Any]:
    task = rendering.one("aws:ecs/taskDefinition:TaskDefinition", f"production-{service}-task")
    return json.loads(task.inputs["containerDefinitions"])[0]


# -- buckets ----------------------------------------------------------------------------------------


def test_a_bucket_is_private_encrypted_with_the_environments_key_and_protected_in_production(
    production: Rendering,
) -> None:
    key = production.one("aws:kms/key:Key", "production-key").state["arn"]
    bucket = production.one("aws:s3/bucket:Bucket", "production-api-storage-bucket-uploads-bucket")
    assert bucket.inputs["bucket"] == "muon-production-api-uploads-123456789012"
    assert bucket.protect and bucket.retain_on_delete
    prefix = "production-api-storage-bucket-uploads"
    encryption = production.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        f"{prefix}-encryption",
    )
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key,
    }
    block = production.one(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", f"{prefix}-public-access"
    )
    assert all(block.inputs[k] for k in ("blockPublicAcls", "blockPublicPolicy", "restrictPublicBuckets"))
    versioning = production.one("aws:s3/bucketVersioning:BucketVersioning", f"{prefix}-versioning")
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    policy = json.loads(
        production.one("aws:s3/bucketPolicy:BucketPolicy", f"{prefix}-policy").inputs["policy"]
    )
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    lifecycle = production.one(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", f"{prefix}-lifecycle"
    )
    assert lifecycle.inputs["rules"][0]["expiration"] == {"days": 90}


def test_production_buckets_log_their_access_and_meet_the_controls(production: Rendering) -> None:
    """Security Hub S3.9: server access logs, into a log bucket of the service's storage that admits
    exactly its buckets; and no open finding on anything the storage creates."""
    logging = production.one(
        "aws:s3/bucketLogging:BucketLogging", "production-api-storage-bucket-uploads-access-logging"
    )
    logs = production.one("aws:s3/bucket:Bucket", "production-api-storage-access-logs-bucket")
    assert logging.inputs["targetBucket"] == logs.state["bucket"]
    policy = json.loads(
        production.one(
            "aws:s3/bucketPolicy:BucketPolicy", "production-api-storage-access-logs-policy"
        ).inputs["policy"]
    )
    admitted = next(s for s in policy["Statement"] if s.get("Sid") == "S3ServerAccessLogs")
    uploads = production.one("aws:s3/bucket:Bucket", "production-api-storage-bucket-uploads-bucket")
    assert admitted["Condition"]["ArnLike"] == {"aws:SourceArn": uploads.state["arn"]}
    open_findings, _ = split_excepted(evaluate(production.custom_resources))
    assert [f for f in open_findings if "storage" in f.resource] == []


def test_a_development_bucket_is_not_protected(dev: Rendering) -> None:
    bucket = dev.one("aws:s3/bucket:Bucket", "dev-api-storage-bucket-uploads-bucket")
    assert not bucket.protect and not bucket.retain_on_delete


# -- tables -----------------------------------------------------------------------------------------


def test_an_on_demand_table_renders_its_keys_indexes_ttl_stream_and_encryption(production: Rendering) -> None:
    key = production.one("aws:kms/key:Key", "production-key").state["arn"]
    orders = table(production, "orders").inputs
    assert orders["name"] == "muon-production-api-orders"
    assert (orders["hashKey"], orders["rangeKey"], orders["billingMode"]) == ("id", "at", "PAY_PER_REQUEST")
    assert orders["attributes"] == [
        {"name": "id", "type": "S"},
        {"name": "at", "type": "N"},
        {"name": "customer", "type": "S"},
        {"name": "total", "type": "N"},
    ]
    assert orders["globalSecondaryIndexes"] == [
        {"name": "by-customer", "hashKey": "customer", "projectionType": "KEYS_ONLY"}
    ]
    assert orders["localSecondaryIndexes"] == [
        {"name": "by-total", "rangeKey": "total", "projectionType": "INCLUDE", "nonKeyAttributes": ["note"]}
    ]
    assert orders["ttl"] == {"attributeName": "expiresAt", "enabled": True}
    assert (orders["streamEnabled"], orders["streamViewType"]) == (True, "NEW_AND_OLD_IMAGES")
    assert orders["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": key}
    assert "readCapacity" not in orders


def test_production_tables_are_protected_recoverable_and_backed_up(
    production: Rendering, dev: Rendering
) -> None:
    orders = table(production, "orders")
    assert orders.inputs["pointInTimeRecovery"] == {"enabled": True, "recoveryPeriodInDays": 35}
    assert orders.inputs["deletionProtectionEnabled"] is True
    assert orders.protect and orders.retain_on_delete
    assert orders.inputs["tags"]["muon:backup"] == "muon-production"  # the environment's backup selection
    development = table(dev, "orders")
    assert development.inputs["deletionProtectionEnabled"] is False
    assert development.inputs["pointInTimeRecovery"] == {"enabled": False}
    assert not development.protect and not development.retain_on_delete


def test_a_provisioned_table_scales_by_target_tracking_table_and_global_index(production: Rendering) -> None:
    counters = table(production, "counters").inputs
    assert (counters["billingMode"], counters["readCapacity"], counters["writeCapacity"]) == (
        "PROVISIONED",
        5,
        2,
    )
    assert counters["globalSecondaryIndexes"][0] | {} == {
        "name": "by-kind",
        "hashKey": "kind",
        "projectionType": "ALL",
        "readCapacity": 5,
        "writeCapacity": 2,
    }
    assert set(table(production, "counters").ignore_changes) == {"readCapacity", "writeCapacity"}
    targets = {
        t.inputs["scalableDimension"]: (
            t.inputs["resourceId"],
            t.inputs["minCapacity"],
            t.inputs["maxCapacity"],
        )
        for t in production.of_type("aws:appautoscaling/target:Target")
        if t.inputs["serviceNamespace"] == "dynamodb" and "by-kind" not in t.name
    }
    assert targets == {
        "dynamodb:table:ReadCapacityUnits": ("table/muon-production-api-counters", 5, 50),
        "dynamodb:table:WriteCapacityUnits": ("table/muon-production-api-counters", 2, 20),
    }
    index = production.one(
        "aws:appautoscaling/target:Target", "production-api-storage-table-counters-by-kind-read-target"
    )
    assert index.inputs["resourceId"] == "table/muon-production-api-counters/index/by-kind"
    assert index.inputs["scalableDimension"] == "dynamodb:index:ReadCapacityUnits"
    policy = production.one(
        "aws:appautoscaling/policy:Policy", "production-api-storage-table-counters-write-policy"
    )
    assert policy.inputs["policyType"] == "TargetTrackingScaling"
    assert policy.inputs["targetTrackingScalingPolicyConfiguration"] == {
        "predefinedMetricSpecification": {"predefinedMetricType": "DynamoDBWriteCapacityUtilization"},
        "targetValue": 60,
    }


# -- volumes ----------------------------------------------------------------------------------------


def test_a_volume_is_encrypted_in_every_private_subnet_behind_nfs_from_the_service_only(
    production: Rendering,
) -> None:
    key = production.one("aws:kms/key:Key", "production-key").state["arn"]
    prefix = "production-api-storage-volume-files"
    file_system = production.one("aws:efs/fileSystem:FileSystem", prefix)
    assert (file_system.inputs["encrypted"], file_system.inputs["kmsKeyId"]) == (True, key)
    assert file_system.inputs["performanceMode"] == "generalPurpose"
    assert file_system.inputs["lifecyclePolicies"] == [
        {"transitionToIa": "AFTER_30_DAYS"},
        {"transitionToPrimaryStorageClass": "AFTER_1_ACCESS"},
    ]
    assert file_system.protect and file_system.retain_on_delete
    assert file_system.inputs["tags"]["muon:backup"] == "muon-production"
    private = {s.state["id"] for s in production.of_type("aws:ec2/subnet:Subnet") if "private" in s.name}
    targets = [m for m in production.of_type("aws:efs/mountTarget:MountTarget") if m.name.startswith(prefix)]
    assert len(private) == 3 and {m.inputs["subnetId"] for m in targets} == private
    group = production.one("aws:ec2/securityGroup:SecurityGroup", f"{prefix}-sg")
    assert group.inputs["egress"] == [] and "ingress" not in group.inputs
    assert all(m.inputs["securityGroups"] == [group.state["id"]] for m in targets)
    tasks = production.one("aws:ec2/securityGroup:SecurityGroup", "production-api-tasks-sg")
    rules = [
        r.inputs
        for r in production.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == group.state["id"]
    ]
    assert rules == [
        {
            "securityGroupId": group.state["id"],
            "referencedSecurityGroupId": tasks.state["id"],
            "ipProtocol": "tcp",
            "fromPort": 2049,
            "toPort": 2049,
            "description": "NFS from the tasks of muon-production-api",
            "tags": rules[0]["tags"],
        }
    ]


def test_a_volume_is_mounted_through_its_access_point_with_tls_and_iam(production: Rendering) -> None:
    prefix = "production-api-storage-volume-files"
    point = production.one("aws:efs/accessPoint:AccessPoint", f"{prefix}-access-point")
    assert point.inputs["posixUser"] == {"uid": 2000, "gid": 3000}
    assert point.inputs["rootDirectory"] == {
        "path": "/files",
        "creationInfo": {"ownerUid": 2000, "ownerGid": 3000, "permissions": "0770"},
    }
    task = production.one("aws:ecs/taskDefinition:TaskDefinition", "production-api-task")
    file_system = production.one("aws:efs/fileSystem:FileSystem", prefix)
    assert task.inputs["volumes"] == [
        {
            "name": "files",
            "efsVolumeConfiguration": {
                "fileSystemId": file_system.state["id"],
                "transitEncryption": "ENABLED",
                "authorizationConfig": {"accessPointId": point.state["id"], "iam": "ENABLED"},
            },
        }
    ]
    assert container(production, "api")["mountPoints"] == [
        {"sourceVolume": "files", "containerPath": "/srv/files", "readOnly": False}
    ]
    policy = json.loads(
        production.one("aws:efs/fileSystemPolicy:FileSystemPolicy", f"{prefix}-policy").inputs["policy"]
    )
    denied = {s["Sid"]: s["Condition"] for s in policy["Statement"] if s["Effect"] == "Deny"}
    assert denied == {
        "DenyInsecureTransport": {"Bool": {"aws:SecureTransport": "false"}},
        "OnlyThroughTheAccessPoint": {
            "StringNotEquals": {"elasticfilesystem:AccessPointArn": point.state["arn"]}
        },
    }


# -- the declaring service, and only it ---------------------------------------------------------------


def test_the_task_role_reaches_exactly_its_storage(production: Rendering) -> None:
    statements = {s["Sid"]: s for s in task_policy(production, "api")["Statement"]}
    bucket = "arn:aws:s3:::muon-production-api-uploads-123456789012"
    assert statements["ListBucketUploads"]["Resource"] == bucket
    assert statements["BucketUploads"]["Resource"] == f"{bucket}/*"
    assert "s3:*" not in statements["BucketUploads"]["Action"]
    orders = table(production, "orders").state["arn"]
    assert statements["TableOrders"]["Resource"] == [orders, f"{orders}/index/*"]
    assert all(
        a.startswith("dynamodb:") and "Table" not in a.replace("DescribeTable", "")
        for a in statements["TableOrders"]["Action"]
    )
    file_system = production.one("aws:efs/fileSystem:FileSystem", "production-api-storage-volume-files")
    point = production.one(
        "aws:efs/accessPoint:AccessPoint", "production-api-storage-volume-files-access-point"
    )
    assert statements["VolumeFiles"] == {
        "Effect": "Allow",
        "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
        "Resource": file_system.state["arn"],
        "Sid": "VolumeFiles",
        "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": point.state["arn"]}},
    }
    key = production.one("aws:kms/key:Key", "production-key").state["arn"]
    assert statements["StorageKey"]["Resource"] == key
    assert statements["StorageKey"]["Condition"] == {
        "StringEquals": {"kms:ViaService": ["s3.us-east-1.amazonaws.com", "dynamodb.us-east-1.amazonaws.com"]}
    }
    every = json.dumps(task_policy(production, "api"))
    assert '"Resource": "*"' not in every


def test_another_service_gets_no_grant_no_variable_and_no_nfs(production: Rendering) -> None:
    policies = [
        p
        for p in production.of_type("aws:iam/rolePolicy:RolePolicy")
        if p.name.startswith("production-other-")
    ]
    assert not any(
        "muon-production-api" in p.inputs["policy"] or "elasticfilesystem" in p.inputs["policy"]
        for p in policies
    )
    names = {e["name"] for e in container(production, "other")["environment"]}
    assert not names & {"UPLOADS_BUCKET", "ORDERS_TABLE", "COUNTERS_TABLE"}
    assert "mountPoints" not in container(production, "other")
    assert not [
        r
        for r in production.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.name.startswith("production-other-volume")
    ]


def test_names_reach_the_application_as_variables(production: Rendering) -> None:
    variables = {e["name"]: e["value"] for e in container(production, "api")["environment"]}
    assert variables["UPLOADS_BUCKET"] == "muon-production-api-uploads-123456789012"
    assert variables["ORDERS_TABLE"] == "muon-production-api-orders"
    assert variables["COUNTERS_TABLE"] == "muon-production-api-counters"


def test_a_renamed_service_keeps_its_storage(tmp_path: Path) -> None:
    renamed = DEFINITION.replace("  api:\n", "  gateway:\n    formerly: api\n", 1).replace(
        "  production: {domain: {name: app.example.com, zone: example.com}, network: {azs: 3}}\n", ""
    )
    rendering = render_shared(renamed, ["dev"])
    orders = table(rendering, "orders")
    assert orders.inputs["name"] == "muon-dev-api-orders"
    moved = rendering.one("muon:storage:ServiceStorage", "dev-gateway-storage").moved_from
    assert any(urn.endswith("::dev-api-storage") for urn in moved), moved


# -- bad input: one line, the key path, what is expected ---------------------------------------------


@pytest.mark.parametrize(
    ("storage", "expected"),
    [
        (
            "tables: {t1: {partitionKey: {name: id, type: X}}}",
            "services.api.storage.tables.t1.partitionKey.type",
        ),
        ("tables: {t1: {partitionKey: {name: 'a b'}}}", "an attribute name of letters, digits"),
        (
            "tables: {t1: {partitionKey: {name: id}, billing: provisioned}}",
            "provisioned billing needs capacity",
        ),
        (
            "tables: {t1: {partitionKey: {name: id}, capacity: {read: {min: 1, max: 2}, write: {min: 1, max: 2}}}}",
            "capacity is for billing: provisioned",
        ),
        (
            "tables: {t1: {partitionKey: {name: id}, billing: provisioned, capacity: {read: {min: 9, max: 2}, write: {min: 1, max: 2}}}}",
            "min (9) must not exceed max (2)",
        ),
        (
            "tables: {t1: {partitionKey: {name: id}, billing: provisioned, capacity: {read: {min: 1, max: 2}, write: {min: 1, max: 2}, targetUtilization: 95}}}",
            "targetUtilization",
        ),
        (
            "tables: {t1: {partitionKey: {name: id}, localIndexes: {by-x: {sortKey: {name: x}}}}}",
            "needs a table with a sortKey",
        ),
        (
            "tables: {t1: {partitionKey: {name: id}, globalIndexes: {by-x: {sortKey: {name: x}}}}}",
            "globalIndexes.by-x.partitionKey",
        ),
        (
            "tables: {t1: {partitionKey: {name: id}, globalIndexes: {by-x: {partitionKey: {name: id, type: N}}}}}",
            "attribute id is S elsewhere",
        ),
        (
            "tables: {t1: {partitionKey: {name: id}, globalIndexes: {ab: {partitionKey: {name: x}}}}}",
            "an index name of 3-255",
        ),
        (
            "tables: {t1: {partitionKey: {name: id}, globalIndexes: {by-x: {partitionKey: {name: x}, projection: INCLUDE}}}}",
            "give attributes exactly when projection is INCLUDE",
        ),
        (
            "tables: {t1: {partitionKey: {name: id}, globalIndexes: {by-x: {partitionKey: {name: x}, projection: INCLUDE, attributes: [id]}}}}",
            "id is a key",
        ),
        ("tables: {t1: {partitionKey: {name: id}, stream: ALL}}", "services.api.storage.tables.t1.stream"),
        ("volumes: {v1: {path: data}}", "an absolute path inside the container"),
        ("volumes: {v1: {path: /a/../etc}}", "no '.', '..' or '//'"),
        ("volumes: {v1: {path: /tmp/x}}", "/tmp is the task's scratch space"),
        ("volumes: {v1: {path: /data}, v2: {path: /data/x}}", "overlaps volume v1's path /data"),
        ("volumes: {v1: {path: /data, permissions: '999'}}", "octal permissions"),
        ("volumes: {v1: {path: /data, uid: -1}}", "services.api.storage.volumes.v1.uid"),
        ("buckets: {Uploads: {}}", "a name of 2-22 lowercase letters"),
        ("buckets: {uploads: {expireAfterDays: 0}}", "services.api.storage.buckets.uploads.expireAfterDays"),
        ("queues: {}", "services.api.storage.queues"),
    ],
)
def test_bad_storage_is_refused_in_one_line(storage: str, expected: str) -> None:
    message = definition_error(ENV + f"    storage: {{{storage}}}\n")
    assert "muon.yaml" in message and "services.api.storage" in message and expected in message, message


def test_storage_needs_muons_task_role() -> None:
    message = definition_error(
        ENV + "    roles: {task: 'arn:aws:iam::123456789012:role/t'}\n    storage: {buckets: {uploads: {}}}\n"
    )
    assert "services.api.storage: the task role is the company's (roles.task)" in message


def test_a_variable_muon_sets_for_storage_is_refused_in_the_environment(tmp_path: Path) -> None:
    project(
        tmp_path, ENV + "    environment: {UPLOADS_BUCKET: mine}\n    storage: {buckets: {uploads: {}}}\n"
    )
    refused(
        tmp_path,
        "muon.yaml: services.api.environment.UPLOADS_BUCKET: muon sets UPLOADS_BUCKET",
        "storage.buckets.uploads",
    )
