"""PostgreSQL, MySQL and MariaDB as RDS DB instances beside Aurora: Multi-AZ in production, storage
autoscaling, gp3, KMS, TLS forced, IAM authentication where the engine has it, the same password,
placeholders, events and alarms."""

from __future__ import annotations

import re

import pytest

from muon.plan.offline import Rendering
from tests.aws_models import assert_valid
from tests.conftest import definition_error, render_shared

ENVIRONMENTS = (
    "environments:\n  dev: {}\n  production: {domain: {name: shop.example.com, zone: example.com}}\n"
)
TLS = {
    "postgres": ("rds.force_ssl", "1"),
    "mysql": ("require_secure_transport", "1"),
    "mariadb": ("require_secure_transport", "1"),
}
FAMILY = {"postgres": "postgres17", "mysql": "mysql8.0", "mariadb": "mariadb11.4"}


def render(engine: str, environments: list[str], extra: str = "") -> Rendering:
    """The shop service with a database of ``engine``; the same render serves every test that asks
    for it (``render_shared``: the definition needs no file beside it)."""
    definition = (
        ENVIRONMENTS
        + "services:\n  shop:\n    port: 8080\n    pathPatterns: [/shop]\n"
        + "    environment: {DATABASE_URL: 'postgresql://${DatabaseEndpointAddress}:${DatabaseEndpointPort}/${DatabaseName}'}\n"
        + f"    database: {{name: shop, engine: {engine}{extra}}}\n"
    )
    return render_shared(definition, environments)


@pytest.mark.parametrize("engine", ["postgres", "mysql", "mariadb"])
def test_production_instance(engine: str) -> None:
    rendering = render(engine, ["production"])
    assert rendering.of_type("aws:rds/cluster:Cluster") == []
    instance = rendering.one("aws:rds/instance:Instance").inputs
    assert instance["identifier"] == "muon-production-shop"
    assert (instance["engine"], instance["multiAz"], instance["storageType"]) == (engine, True, "gp3")
    assert (instance["allocatedStorage"], instance["maxAllocatedStorage"]) == (20, 1000)
    assert instance["storageEncrypted"] is True and instance["kmsKeyId"].startswith("arn:aws:kms:")
    assert instance["publiclyAccessible"] is False
    assert instance["deletionProtection"] is True
    assert instance["iamDatabaseAuthenticationEnabled"] is (engine != "mariadb")
    assert re.fullmatch(r"muon-production-shop-final-[0-9a-f]{8}", instance["finalSnapshotIdentifier"])
    assert "passwordWo" in instance and "password" not in instance  # write-only, never in state
    group = rendering.one("aws:rds/parameterGroup:ParameterGroup").inputs
    assert group["family"] == FAMILY[engine]
    name, value = TLS[engine]
    assert {"name": name, "value": value, "applyMethod": "immediate"} in group["parameters"]
    assert (
        instance["parameterGroupName"] == rendering.one("aws:rds/parameterGroup:ParameterGroup").state["name"]
    )
    # The service reaches it as it reaches Aurora: endpoint placeholders, the password from Parameter Store.
    task = rendering.one("aws:ecs/taskDefinition:TaskDefinition", "production-shop-task")
    (app,) = task.json("containerDefinitions")
    variables = {v["name"]: v["value"] for v in app["environment"]}
    state = rendering.one("aws:rds/instance:Instance").state
    assert variables["DatabaseEndpointAddress"] == state["address"]
    assert any(s["name"] == "DatabaseMasterPassword" for s in app["secrets"])
    alarms = [
        a.inputs
        for a in rendering.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs.get("namespace") == "AWS/RDS"
    ]
    assert alarms and all(a["dimensions"] == {"DBInstanceIdentifier": "muon-production-shop"} for a in alarms)
    (events,) = rendering.of_type("aws:rds/eventSubscription:EventSubscription")
    assert events.inputs["sourceType"] == "db-instance"
    assert_valid(
        "rds",
        "CreateDBInstance",
        {
            "DBInstanceIdentifier": instance["identifier"],
            "DBInstanceClass": instance["instanceClass"],
            "Engine": instance["engine"],
            "EngineVersion": instance["engineVersion"],
            "DBName": instance["dbName"],
            "MasterUsername": instance["username"],
            "MasterUserPassword": "Generated-Pass-1",
            "Port": instance["port"],
            "AllocatedStorage": instance["allocatedStorage"],
            "MaxAllocatedStorage": instance["maxAllocatedStorage"],
            "StorageType": instance["storageType"],
            "StorageEncrypted": instance["storageEncrypted"],
            "KmsKeyId": instance["kmsKeyId"],
            "MultiAZ": instance["multiAz"],
            "DBSubnetGroupName": instance["dbSubnetGroupName"],
            "VpcSecurityGroupIds": instance["vpcSecurityGroupIds"],
            "DBParameterGroupName": instance["parameterGroupName"],
            "EnableIAMDatabaseAuthentication": instance["iamDatabaseAuthenticationEnabled"],
            "PubliclyAccessible": instance["publiclyAccessible"],
            "AutoMinorVersionUpgrade": instance["autoMinorVersionUpgrade"],
            "BackupRetentionPeriod": instance["backupRetentionPeriod"],
            "PreferredBackupWindow": instance["backupWindow"],
            "PreferredMaintenanceWindow": instance["maintenanceWindow"],
            "CopyTagsToSnapshot": instance["copyTagsToSnapshot"],
            "EnableCloudwatchLogsExports": instance["enabledCloudwatchLogsExports"],
            "MonitoringInterval": instance["monitoringInterval"],
            "MonitoringRoleArn": instance["monitoringRoleArn"],
            "EnablePerformanceInsights": instance["performanceInsightsEnabled"],
            "PerformanceInsightsKMSKeyId": instance["performanceInsightsKmsKeyId"],
            "PerformanceInsightsRetentionPeriod": instance["performanceInsightsRetentionPeriod"],
            "DeletionProtection": instance["deletionProtection"],
            "CACertificateIdentifier": instance["caCertIdentifier"],
        },
    )


def test_development_instance_is_small_and_single_zone() -> None:
    instance = render("postgres", ["dev"]).one("aws:rds/instance:Instance").inputs
    assert (instance["instanceClass"], instance["multiAz"], instance["maxAllocatedStorage"]) == (
        "db.t4g.micro",
        False,
        100,
    )
    assert instance["deletionProtection"] is False
    # Development too keeps a final snapshot of what it deletes (issue 32).
    assert instance["skipFinalSnapshot"] is False
    assert re.fullmatch(r"muon-dev-shop-final-[0-9a-f]{8}", instance["finalSnapshotIdentifier"])


def test_log_groups_exist_before_the_instance_writes_to_them() -> None:
    rendering = render("postgres", ["dev"])
    groups = {g.inputs["name"] for g in rendering.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert {"/aws/rds/instance/muon-dev-shop/postgresql", "/aws/rds/instance/muon-dev-shop/upgrade"} <= groups


def test_production_instances_meet_the_controls() -> None:
    from muon.policy.levels import assess

    for engine in ("postgres", "mysql", "mariadb"):
        rendering = render(engine, ["production"])
        assessed, _ = assess(rendering.custom_resources)
        assert [str(a.finding) for a in assessed if "shop-database" in a.finding.resource] == [], engine


@pytest.mark.parametrize(
    ("database", "path", "expected"),
    [
        (
            "{name: shop, engine: postgres, serverless: {minCapacity: 0.5}}",
            "serverless",
            "no Serverless v2 (engine: aurora-postgresql has it)",
        ),
        ("{name: shop, engine: mysql, instances: 2}", "instances", "runs one DB instance"),
        (
            "{name: shop, engine: mariadb, iamAuthentication: true}",
            "iamAuthentication",
            "has no IAM database authentication",
        ),
        ("{name: shop, engine: postgres, version: '12.1'}", "version", "13 or later"),
        ("{name: shop, maxAllocatedStorage: 200}", "maxAllocatedStorage", "for the RDS instance engines"),
        (
            "{name: shop, engine: postgres, allocatedStorage: 100, maxAllocatedStorage: 50}",
            "maxAllocatedStorage",
            "must exceed allocatedStorage",
        ),
    ],
    ids=[
        "postgres-serverless",
        "mysql-instances",
        "mariadb-iam",
        "old-postgres",
        "aurora-storage",
        "storage-ceiling",
    ],
)
def test_bad_engine_input_is_one_line(database: str, path: str, expected: str) -> None:
    message = definition_error(
        "environments: {dev: {}}\nservices: {shop: {port: 80, pathPatterns: [/s], database: "
        + database
        + "}}\n"
    )
    assert message.startswith(f"muon.yaml: services.shop.database.{path}: ")
    assert expected in message


def test_development_trade_offs_are_advisory_findings() -> None:
    from muon.policy.levels import assess

    assessed, _ = assess(render("mysql", ["dev"]).custom_resources)
    found = {
        a.finding.control: a.level for a in assessed if a.finding.resource == "dev-shop-database-instance"
    }
    assert {"RDS.5", "RDS.8", "RDS.11"} <= set(found)  # single zone, no deletion protection, 1-day backups
    assert set(found.values()) == {"advisory"}


def test_the_modeled_first_deploy_waits_for_the_instance() -> None:
    from muon.plan.timeline import model

    timeline = model(render("postgres", ["production"]))
    assert timeline.total_seconds >= 900
