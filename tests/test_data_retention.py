"""Nothing deletes data silently (issue 32, item 3), in the shipped stacks: keys retained with the
longest deletion window, a final snapshot of every database under a name no deletion reused,
production's logs, buckets, vaults and repositories retained."""

from __future__ import annotations

import re

import pytest

from muon.components.retention import RETAINED_TYPES
from muon.plan.offline import Rendering
from tests.conftest import render_repository_stack


@pytest.fixture(scope="module")
def org() -> Rendering:
    return render_repository_stack("org")


def test_every_key_outlives_what_it_encrypted(
    dev: Rendering, prod: Rendering, delivery: Rendering, org: Rendering
) -> None:
    for rendering in (dev, prod, delivery, org):
        keys = rendering.of_type("aws:kms/key:Key")
        assert keys
        for key in keys:
            assert key.retain_on_delete, key.name
            # The longest window KMS allows to cancel a deletion (ScheduleKeyDeletion: 7-30 days).
            assert key.inputs["deletionWindowInDays"] == 30, key.name


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_database_takes_a_final_snapshot_under_a_name_of_its_own(
    stack: str, dev: Rendering, prod: Rendering
) -> None:
    rendering = {"dev": dev, "prod": prod}[stack]
    cluster = rendering.one("aws:rds/cluster:Cluster")
    suffix = rendering.one("random:index/randomId:RandomId")
    assert cluster.inputs["skipFinalSnapshot"] is False
    identifier = cluster.inputs["clusterIdentifier"]
    assert cluster.inputs["finalSnapshotIdentifier"] == f"{identifier}-final-{suffix.state['hex']}"
    assert re.fullmatch(r"[a-z][a-z0-9-]*-final-[0-9a-f]{8}", cluster.inputs["finalSnapshotIdentifier"])
    # A new suffix whenever the provider would replace the cluster (terraform-provider-aws
    # rds/cluster.go, ForceNew): a replacement's deletion and the next one never share a name.
    key = rendering.one("aws:kms/key:Key", cluster.name.replace("-cluster", "-key-key"))
    subnets = rendering.one("aws:rds/subnetGroup:SubnetGroup", cluster.name.replace("-cluster", "-subnets"))
    assert suffix.inputs["keepers"] == {
        "identifier": identifier,
        "engine": cluster.inputs["engine"],
        "database": cluster.inputs["databaseName"],
        "username": cluster.inputs["masterUsername"],
        "key": key.state["arn"],
        "subnets": subnets.state["name"],
    }
    assert cluster.property_dependencies["finalSnapshotIdentifier"] == (suffix.urn,)


def test_production_keeps_its_logs_buckets_vault(prod: Rendering, dev: Rendering) -> None:
    kept = {r.type for r in prod.resources if r.retain_on_delete}
    # The shipped production stack has no storage of a service's own: tests/test_storage.py keeps it.
    absent = {"aws:ecr/repository:Repository", "aws:dynamodb/table:Table", "aws:efs/fileSystem:FileSystem"}
    assert kept >= {*RETAINED_TYPES} - absent | {"aws:kms/key:Key"}
    for type_token in RETAINED_TYPES:
        assert all(r.retain_on_delete for r in prod.of_type(type_token)), type_token
    assert prod.one("aws:backup/vault:Vault").protect  # and protected, as before
    # Development keeps its keys (what they encrypted may outlive it) but not its logs.
    assert {r.type for r in dev.resources if r.retain_on_delete} == {"aws:kms/key:Key"}


def test_the_delivery_stack_keeps_its_images_artifacts_and_build_logs(delivery: Rendering) -> None:
    repositories = delivery.of_type("aws:ecr/repository:Repository")
    assert repositories and all(r.retain_on_delete for r in repositories)
    assert all(r.retain_on_delete for r in delivery.of_type("aws:cloudwatch/logGroup:LogGroup"))
    assert all(r.retain_on_delete for r in delivery.of_type("aws:s3/bucket:Bucket"))


def test_the_organization_keeps_its_audit_trail(org: Rendering) -> None:
    buckets = {r.name: r.retain_on_delete for r in org.of_type("aws:s3/bucket:Bucket")}
    assert buckets == {"org-security-trail-access-logs-bucket": True, "org-security-trail-logs-bucket": True}
