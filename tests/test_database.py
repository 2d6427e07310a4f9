"""The Database component and its wiring into the service, asserted on rendered inputs."""

from __future__ import annotations

import json
import re

import pytest

from muon.components.database import PASSWORD_SPECIALS
from muon.plan.offline import SECRET_MASK, MuonMocks, RenderedResource, Rendering
from muon.stacks.errors import DefinitionError, MuonError
from tests.aws_models import assert_valid
from tests.conftest import render_definition_text

ENVS = "environments: {dev: {}, production: {domain: {name: banana.example.com, zone: example.com}}}\n"
SERVICE = ENVS + "services:\n  banana:\n    port: 8080\n    pathPatterns: [/bananas]\n"
PASSWORD_NAME = "/muon/dev/banana/database/password"
PASSWORD_ARN = f"arn:aws:ssm:us-east-1:123456789012:parameter{PASSWORD_NAME}"


def with_database(database: str, extra: str = "") -> str:
    return SERVICE + f"    database: {database}\n" + extra


def container(rendering: Rendering, env: str = "dev") -> dict:
    (definition,) = rendering.one("aws:ecs/taskDefinition:TaskDefinition", f"{env}-banana-task").json(
        "containerDefinitions"
    )
    return definition


def statements(rendering: Rendering, name: str) -> dict[str, dict]:
    return {
        s["Sid"]: s for s in rendering.one("aws:iam/rolePolicy:RolePolicy", name).json("policy")["Statement"]
    }


def database_key(rendering: Rendering, env: str = "dev") -> RenderedResource:
    return rendering.one("aws:kms/key:Key", f"{env}-banana-database-key-key")


@pytest.fixture(scope="module")
def mysql_dev(tmp_path_factory) -> Rendering:
    return render_definition_text(tmp_path_factory.mktemp("db"), with_database("{name: banana}"), ["dev"])


def test_default_engine_is_pinned_aurora_mysql_encrypted_with_its_own_key(mysql_dev: Rendering) -> None:
    cluster = mysql_dev.one("aws:rds/cluster:Cluster")
    assert cluster.inputs["engine"] == "aurora-mysql"
    assert cluster.inputs["engineVersion"] == "8.0.mysql_aurora.3.12.0"
    assert cluster.inputs["databaseName"] == "banana"
    assert cluster.inputs["storageEncrypted"] is True
    key = database_key(mysql_dev)
    assert cluster.inputs["kmsKeyId"] == key.state["arn"]
    assert key.inputs["enableKeyRotation"] is True
    assert cluster.inputs["kmsKeyId"] != mysql_dev.outputs["environments"]["dev"]["keyArn"]
    assert cluster.inputs["iamDatabaseAuthenticationEnabled"] is True
    assert cluster.inputs["enabledCloudwatchLogsExports"] == ["audit", "error", "slowquery"]
    parameters = mysql_dev.one("aws:rds/clusterParameterGroup:ClusterParameterGroup").inputs
    assert parameters["family"] == "aurora-mysql8.0"
    assert {"name": "require_secure_transport", "value": "ON", "applyMethod": "immediate"} in parameters[
        "parameters"
    ]
    assert (
        cluster.inputs["dbClusterParameterGroupName"]
        == mysql_dev.one("aws:rds/clusterParameterGroup:ClusterParameterGroup").state["name"]
    )


def test_exported_log_groups_exist_encrypted_before_the_cluster(mysql_dev: Rendering) -> None:
    cluster = mysql_dev.one("aws:rds/cluster:Cluster")
    groups = {g.inputs["name"]: g for g in mysql_dev.of_type("aws:cloudwatch/logGroup:LogGroup")}
    for log in ("audit", "error", "slowquery"):
        group = groups[f"/aws/rds/cluster/muon-dev-banana/{log}"]
        assert group.inputs["kmsKeyId"] == database_key(mysql_dev).state["arn"]
        assert group.urn in cluster.dependencies


def test_generated_password_is_16_safe_characters_in_a_secure_string(mysql_dev: Rendering) -> None:
    password = mysql_dev.one("random:index/randomPassword:RandomPassword")
    assert password.inputs["length"] == 16
    assert password.inputs["special"] is True
    special = password.inputs["overrideSpecial"]
    assert special == PASSWORD_SPECIALS
    assert not set('/@" ') & set(special)
    parameter = mysql_dev.one("aws:ssm/parameter:Parameter")
    assert parameter.inputs["name"] == PASSWORD_NAME
    assert parameter.inputs["type"] == "SecureString"
    assert parameter.inputs["keyId"] == database_key(mysql_dev).state["arn"]
    assert parameter.inputs["tags"]["muon:managed-by"] == "muon/test"
    value = password.state["result"]
    assert len(value) == 16
    assert parameter.inputs["valueWo"] == value
    assert parameter.masked_inputs["valueWo"] == SECRET_MASK
    cluster = mysql_dev.one("aws:rds/cluster:Cluster")
    assert cluster.inputs["masterPasswordWo"] == value
    assert cluster.masked_inputs["masterPasswordWo"] == SECRET_MASK
    assert "masterPassword" not in cluster.inputs  # write-only: never in the cluster's state
    assert set(cluster.additional_secret_outputs) >= {"masterPassword", "masterPasswordWo"}


def test_password_appears_nowhere_else_and_never_in_plain_form(mysql_dev: Rendering) -> None:
    value = mysql_dev.one("random:index/randomPassword:RandomPassword").state["result"]
    holders = {
        r.name
        for r in mysql_dev.custom_resources
        if value in json.dumps(r.inputs) and r.type != "random:index/randomPassword:RandomPassword"
    }
    assert holders == {"dev-banana-database-password-parameter", "dev-banana-database-cluster"}
    for resource in mysql_dev.custom_resources:
        assert value not in json.dumps(resource.masked_inputs)
    assert value not in json.dumps(mysql_dev.outputs)


def test_service_gets_mu_variables_and_the_password_only_as_a_secret(render_definition) -> None:
    rendering = render_definition(
        with_database(
            "{name: banana}",
            "    environment:\n"
            "      SPRING_DATASOURCE_URL: jdbc:mysql://${DatabaseEndpointAddress}:${DatabaseEndpointPort}/${DatabaseName}\n"
            "      SPRING_DATASOURCE_USERNAME: ${DatabaseMasterUsername}\n"
            "      SPRING_DATASOURCE_PASSWORD: ${DatabaseMasterPassword}\n",
        ),
        ["dev"],
    )
    app = container(rendering)
    endpoint = rendering.one("aws:rds/cluster:Cluster").state["endpoint"]
    variables = {v["name"]: v["value"] for v in app["environment"]}
    assert variables == {
        "DatabaseEndpointAddress": endpoint,
        "DatabaseEndpointPort": "3306",
        "DatabaseName": "banana",
        "DatabaseMasterUsername": "muon",
        "SPRING_DATASOURCE_URL": f"jdbc:mysql://{endpoint}:3306/banana",
        "SPRING_DATASOURCE_USERNAME": "muon",
    }
    assert app["secrets"] == [
        {"name": "DatabaseMasterPassword", "valueFrom": PASSWORD_ARN},
        {"name": "SPRING_DATASOURCE_PASSWORD", "valueFrom": PASSWORD_ARN},
    ]
    policy = statements(rendering, "dev-banana-execution-policy")
    assert policy["ReadOwnParameters"]["Resource"] == [PASSWORD_ARN]
    # Exactly the database's key: no declared secrets, so not even the environment's key.
    assert policy["DecryptOwnParameters"]["Resource"] == database_key(rendering).state["arn"]


def test_only_the_service_tasks_reach_the_database(mysql_dev: Rendering) -> None:
    group = mysql_dev.one("aws:ec2/securityGroup:SecurityGroup", "dev-banana-database-sg")
    assert group.inputs["egress"] == []
    assert not group.inputs.get("ingress")
    (rule,) = mysql_dev.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    tasks = mysql_dev.one("aws:ec2/securityGroup:SecurityGroup", "dev-banana-tasks-sg")
    assert rule.inputs["securityGroupId"] == group.state["id"]
    assert rule.inputs["referencedSecurityGroupId"] == tasks.state["id"]
    assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == ("tcp", 3306, 3306)
    assert "cidrIpv4" not in rule.inputs
    cluster = mysql_dev.one("aws:rds/cluster:Cluster")
    assert cluster.inputs["vpcSecurityGroupIds"] == [group.state["id"]]
    subnets = mysql_dev.one("aws:rds/subnetGroup:SubnetGroup", "dev-banana-database-subnets")
    assert subnets.inputs["subnetIds"] == mysql_dev.outputs["environments"]["dev"]["isolatedSubnetIds"]
    for instance in mysql_dev.of_type("aws:rds/clusterInstance:ClusterInstance"):
        assert instance.inputs["publiclyAccessible"] is False


def test_iam_authentication_grants_connect_on_the_cluster_resource_id(render_definition) -> None:
    rendering = render_definition(with_database("{name: banana, iamAuthentication: true}"), ["dev"])
    cluster = rendering.one("aws:rds/cluster:Cluster")
    resource_id = cluster.state["clusterResourceId"]
    policy = statements(rendering, "dev-banana-task-policy")
    assert policy["ConnectToOwnDatabase"] == {
        "Sid": "ConnectToOwnDatabase",
        "Effect": "Allow",
        "Action": "rds-db:connect",
        "Resource": f"arn:aws:rds-db:us-east-1:123456789012:dbuser:{resource_id}/banana",
    }
    app = container(rendering)
    assert app["secrets"] == []  # no password handed over at all
    assert {v["name"]: v["value"] for v in app["environment"]}["DatabaseIamUser"] == "banana"
    assert "ReadOwnParameters" not in statements(rendering, "dev-banana-execution-policy")


def test_development_is_cheap_and_deletable(mysql_dev: Rendering) -> None:
    cluster = mysql_dev.one("aws:rds/cluster:Cluster")
    assert cluster.inputs["backupRetentionPeriod"] == 1
    assert cluster.inputs["deletionProtection"] is False
    # Deletable, but never without a final snapshot (issue 32): a rename or a removal keeps the data.
    assert cluster.inputs["skipFinalSnapshot"] is False
    assert re.fullmatch(r"muon-dev-banana-final-[0-9a-f]{8}", cluster.inputs["finalSnapshotIdentifier"])
    assert cluster.inputs["deleteAutomatedBackups"] is True  # the provider's default: backups go with it
    assert cluster.protect is False
    assert "backtrackWindow" not in cluster.inputs
    # Nothing asked for: Serverless v2 that pauses when idle (cheapest by the price table).
    assert cluster.inputs["serverlessv2ScalingConfiguration"] == {
        "minCapacity": 0,
        "maxCapacity": 4,
        "secondsUntilAutoPause": 600,
    }
    (instance,) = mysql_dev.of_type("aws:rds/clusterInstance:ClusterInstance")
    assert instance.inputs["instanceClass"] == "db.serverless"
    assert instance.inputs["monitoringInterval"] == 0
    assert instance.inputs["performanceInsightsEnabled"] is False


def test_production_is_protected_monitored_and_spread_over_zones(prod: Rendering) -> None:
    cluster = prod.one("aws:rds/cluster:Cluster")
    inputs = cluster.inputs
    assert cluster.protect is True
    assert inputs["deletionProtection"] is True
    assert inputs["skipFinalSnapshot"] is False
    assert re.fullmatch(r"muon-production-banana-final-[0-9a-f]{8}", inputs["finalSnapshotIdentifier"])
    # Point-in-time backups outlive a deletion (until their retention ends).
    assert inputs["deleteAutomatedBackups"] is False
    # AWS Backup's point-in-time restore keeps 35 days in production and sets the cluster's
    # retention to match: the stack says the same, so neither sets it back.
    assert inputs["backupRetentionPeriod"] == 35
    assert inputs["copyTagsToSnapshot"] is True
    assert inputs["backtrackWindow"] == 24 * 3600
    assert inputs["preferredBackupWindow"] == "03:00-04:00"
    assert inputs["preferredMaintenanceWindow"] == "sun:04:30-sun:05:30"
    instances = prod.of_type("aws:rds/clusterInstance:ClusterInstance")
    assert len(instances) == 2
    assert len({i.inputs["availabilityZone"] for i in instances}) == 2
    key = database_key(prod, "production").state["arn"]
    role = prod.one("aws:iam/role:Role", "production-banana-database-monitoring-role")
    assert role.json("assumeRolePolicy")["Statement"][0]["Principal"] == {
        "Service": "monitoring.rds.amazonaws.com"
    }
    for instance in instances:
        assert instance.inputs["clusterIdentifier"] == "muon-production-banana"
        assert instance.inputs["autoMinorVersionUpgrade"] is True
        assert instance.inputs["performanceInsightsEnabled"] is True
        assert instance.inputs["performanceInsightsKmsKeyId"] == key
        assert instance.inputs["monitoringInterval"] == 60
        assert instance.inputs["monitoringRoleArn"] == role.state["arn"]


def test_events_and_alarms_go_to_the_environment_alarm_topic(prod: Rendering) -> None:
    topic = prod.outputs["environments"]["production"]["alarmTopicArn"]
    subscriptions = {
        s.inputs["sourceType"]: s.inputs for s in prod.of_type("aws:rds/eventSubscription:EventSubscription")
    }
    assert set(subscriptions) == {"db-cluster", "db-instance"}
    assert subscriptions["db-cluster"]["sourceIds"] == ["muon-production-banana"]
    assert subscriptions["db-instance"]["sourceIds"] == [
        "muon-production-banana-0",
        "muon-production-banana-1",
    ]
    assert "failure" in subscriptions["db-instance"]["eventCategories"]
    assert all(s["snsTopic"] == topic for s in subscriptions.values())
    alarms = {
        a.inputs["metricName"]: a.inputs
        for a in prod.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs.get("namespace") == "AWS/RDS"
    }
    assert set(alarms) == {"CPUUtilization", "FreeableMemory", "DatabaseConnections"}
    assert alarms["FreeableMemory"]["comparisonOperator"] == "LessThanThreshold"
    assert alarms["FreeableMemory"]["threshold"] == 256 * 1024 * 1024
    assert alarms["DatabaseConnections"]["threshold"] == 72  # 80% of db.t4g.medium's 90
    for alarm in alarms.values():
        assert alarm["alarmActions"] == [topic]
        assert alarm["dimensions"] == {"DBClusterIdentifier": "muon-production-banana"}
    # The topic's key and policy let RDS publish to it.
    policy = prod.one("aws:sns/topicPolicy:TopicPolicy", "production-alarms-policy").json("policy")
    principals = [s["Principal"] for s in policy["Statement"] if s.get("Sid") == "ServicesPublish"]
    assert "events.rds.amazonaws.com" in principals[0]["Service"]


def test_postgresql_takes_its_own_version_port_logs_and_tls_parameter(render_definition) -> None:
    rendering = render_definition(with_database("{name: bananas, engine: aurora-postgresql}"), ["dev"])
    cluster = rendering.one("aws:rds/cluster:Cluster").inputs
    assert (cluster["engine"], cluster["engineVersion"], cluster["port"]) == (
        "aurora-postgresql",
        "17.5",
        5432,
    )
    assert cluster["enabledCloudwatchLogsExports"] == ["postgresql"]
    parameters = rendering.one("aws:rds/clusterParameterGroup:ClusterParameterGroup").inputs
    assert parameters["family"] == "aurora-postgresql17"
    assert {"name": "rds.force_ssl", "value": "1", "applyMethod": "immediate"} in parameters["parameters"]
    rule = rendering.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").inputs
    assert rule["fromPort"] == rule["toPort"] == 5432


def test_serverless_can_pause_in_dev_while_production_is_provisioned(render_definition) -> None:
    rendering = render_definition(
        with_database(
            "{name: banana, serverless: {minCapacity: 0, maxCapacity: 8}}",
            "    environments:\n      production: {database: {instanceClass: db.r7g.large, instances: 3}}\n",
        ),
        ["dev", "production"],
    )
    dev_cluster = rendering.one("aws:rds/cluster:Cluster", "dev-banana-database-cluster").inputs
    assert dev_cluster["serverlessv2ScalingConfiguration"] == {
        "minCapacity": 0,
        "maxCapacity": 8,
        "secondsUntilAutoPause": 600,
    }
    dev_instances = [
        i for i in rendering.of_type("aws:rds/clusterInstance:ClusterInstance") if i.name.startswith("dev-")
    ]
    assert [i.inputs["instanceClass"] for i in dev_instances] == ["db.serverless"]
    prod_cluster = rendering.one("aws:rds/cluster:Cluster", "production-banana-database-cluster").inputs
    assert "serverlessv2ScalingConfiguration" not in prod_cluster
    prod_instances = [
        i
        for i in rendering.of_type("aws:rds/clusterInstance:ClusterInstance")
        if i.name.startswith("production-")
    ]
    assert [i.inputs["instanceClass"] for i in prod_instances] == ["db.r7g.large"] * 3
    assert len({i.inputs["availabilityZone"] for i in prod_instances}) == 3


def test_a_customer_parameter_is_used_as_is(render_definition) -> None:
    mocks = MuonMocks()
    mocks.existing_parameters[PASSWORD_NAME] = "Customer-Chosen-1"
    rendering = render_definition(with_database("{name: banana}"), ["dev"], mocks=mocks)
    assert rendering.of_type("aws:ssm/parameter:Parameter") == []
    assert rendering.of_type("random:index/randomPassword:RandomPassword") == []
    cluster = rendering.one("aws:rds/cluster:Cluster")
    assert cluster.inputs["masterPasswordWo"] == "Customer-Chosen-1"
    assert cluster.masked_inputs["masterPasswordWo"] == SECRET_MASK
    assert cluster.inputs["masterPasswordWoVersion"] == 3  # the parameter's version: edits rotate
    assert container(rendering)["secrets"] == [{"name": "DatabaseMasterPassword", "valueFrom": PASSWORD_ARN}]
    policy = statements(rendering, "dev-banana-execution-policy")
    # The customer's key is unknown: decryption is pinned to this one parameter through SSM.
    assert policy["DecryptDatabasePassword"] == {
        "Sid": "DecryptDatabasePassword",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": "arn:aws:kms:us-east-1:123456789012:key/*",
        "Condition": {
            "StringEquals": {
                "kms:EncryptionContext:PARAMETER_ARN": PASSWORD_ARN,
                "kms:ViaService": "ssm.us-east-1.amazonaws.com",
            }
        },
    }
    assert "DecryptOwnParameters" not in policy


def test_the_parameter_muon_generated_stays_managed_on_the_next_run(render_definition) -> None:
    mocks = MuonMocks()
    mocks.existing_parameters[PASSWORD_NAME] = "Generated-Before-1"
    mocks.parameter_tags[PASSWORD_NAME] = {"muon:managed-by": "muon/test"}
    rendering = render_definition(with_database("{name: banana}"), ["dev"], mocks=mocks)
    parameter = rendering.one("aws:ssm/parameter:Parameter")
    assert parameter.inputs["name"] == PASSWORD_NAME
    assert rendering.one("aws:rds/cluster:Cluster").inputs["masterPasswordWoVersion"] == 1


def test_a_parameter_of_another_stack_is_refused(render_definition) -> None:
    mocks = MuonMocks()
    mocks.existing_parameters[PASSWORD_NAME] = "Someone-Elses-1"
    mocks.parameter_tags[PASSWORD_NAME] = {"muon:managed-by": "muon/staging"}
    with pytest.raises(MuonError, match="belongs to stack muon/staging"):
        render_definition(with_database("{name: banana}"), ["dev"], mocks=mocks)


def test_raising_password_version_rotates_the_generated_password(render_definition) -> None:
    rendering = render_definition(with_database("{name: banana, passwordVersion: 2}"), ["dev"])
    assert rendering.one("random:index/randomPassword:RandomPassword").inputs["keepers"] == {"version": "2"}
    assert rendering.one("aws:ssm/parameter:Parameter").inputs["valueWoVersion"] == 2
    assert rendering.one("aws:rds/cluster:Cluster").inputs["masterPasswordWoVersion"] == 2


def test_services_without_a_database_read_no_parameter(render_definition) -> None:
    rendering = render_definition(SERVICE, ["dev"])
    assert rendering.of_type("aws:rds/cluster:Cluster") == []
    assert "ReadOwnParameters" not in statements(rendering, "dev-banana-execution-policy")
    assert rendering.outputs["databases"] == {}


def test_stack_outputs_name_the_database_but_carry_no_password(mysql_dev: Rendering) -> None:
    outputs = mysql_dev.outputs["databases"]["dev"]["banana"]
    assert outputs["clusterIdentifier"] == "muon-dev-banana"
    assert outputs["passwordParameterArn"] == PASSWORD_ARN
    assert outputs["port"] == 3306
    assert not any("password" in key.lower() and key != "passwordParameterArn" for key in outputs)


BAD_DATABASES = [
    (
        "{name: banana, engine: oracle}",
        "services.banana.database.engine",
        "'aurora-mysql', 'aurora-postgresql', 'postgres', 'mysql' or 'mariadb'",
    ),
    (
        "{name: banana, serverless: {minCapacity: 8, maxCapacity: 4}}",
        "services.banana.database.serverless",
        "minCapacity (8) must not exceed maxCapacity (4)",
    ),
    (
        "{name: banana, instanceClass: db.t2.small}",
        "services.banana.database.instanceClass",
        "does not run Aurora MySQL",
    ),
    ("{name: 9bananas}", "services.banana.database.name", "a letter, then up to 63"),
    ("{name: " + "b" * 64 + ", engine: aurora-postgresql}", "services.banana.database.name", "at most 63"),
    ("{name: banana, masterUsername: admin}", "services.banana.database.masterUsername", "reserved"),
    (
        "{name: banana, version: '5.7.mysql_aurora.2.12.1'}",
        "services.banana.database.version",
        "Aurora MySQL 3",
    ),
    (
        "{name: banana, engine: aurora-postgresql, version: '15.4', serverless: {minCapacity: 0}}",
        "services.banana.database.serverless.minCapacity",
        "cannot pause",
    ),
    (
        "{name: banana, instanceClass: db.r7g.large, serverless: {maxCapacity: 4}}",
        "services.banana.database",
        "either instanceClass",
    ),
    (
        "{name: banana, parameters: {require_secure_transport: 'OFF'}}",
        "services.banana.database.parameters",
        "TLS",
    ),
]


@pytest.mark.parametrize(("database", "path", "words"), BAD_DATABASES)
def test_bad_database_input_names_the_path(render_definition, database: str, path: str, words: str) -> None:
    with pytest.raises(DefinitionError) as raised:
        render_definition(with_database(database), ["dev"])
    message = str(raised.value)
    assert f"muon.yaml: {path}" in message
    assert words in message


def test_override_without_a_database_and_bad_override_class_are_errors(render_definition) -> None:
    with pytest.raises(
        DefinitionError, match=r"services.banana.environments.dev.database: the service declares no database"
    ):
        render_definition(SERVICE + "    environments: {dev: {database: {instances: 2}}}\n", ["dev"])
    with pytest.raises(
        DefinitionError, match=r"environments.production.database.instanceClass: db.m5.large does not run"
    ):
        render_definition(
            with_database(
                "{name: banana}", "    environments: {production: {database: {instanceClass: db.m5.large}}}\n"
            ),
            ["dev"],
        )


def test_password_placeholder_cannot_be_embedded_and_database_placeholders_need_a_database(
    render_definition,
) -> None:
    with pytest.raises(
        DefinitionError,
        match=r"environment.URL: unknown placeholder \$\{DatabaseMasterPassword\}; the password is a secret",
    ):
        render_definition(
            with_database(
                "{name: banana}", "    environment: {URL: 'mysql://u:${DatabaseMasterPassword}@h'}\n"
            ),
            ["dev"],
        )
    with pytest.raises(
        DefinitionError,
        match=r"environment.URL: unknown placeholder \$\{DatabaseEndpointAddress\}; it needs a 'database:'",
    ):
        render_definition(SERVICE + "    environment: {URL: 'mysql://${DatabaseEndpointAddress}'}\n", ["dev"])


def test_rendered_database_calls_are_valid_for_the_rds_and_ssm_apis(
    prod: Rendering, mysql_dev: Rendering
) -> None:
    for rendering in (prod, mysql_dev):
        cluster = rendering.one("aws:rds/cluster:Cluster").inputs
        params = {
            "DBClusterIdentifier": cluster["clusterIdentifier"],
            "Engine": cluster["engine"],
            "EngineVersion": cluster["engineVersion"],
            "EngineMode": cluster["engineMode"],
            "DatabaseName": cluster["databaseName"],
            "MasterUsername": cluster["masterUsername"],
            "MasterUserPassword": cluster["masterPasswordWo"],
            "Port": cluster["port"],
            "DBSubnetGroupName": cluster["dbSubnetGroupName"],
            "VpcSecurityGroupIds": cluster["vpcSecurityGroupIds"],
            "DBClusterParameterGroupName": cluster["dbClusterParameterGroupName"],
            "StorageEncrypted": cluster["storageEncrypted"],
            "KmsKeyId": cluster["kmsKeyId"],
            "EnableIAMDatabaseAuthentication": cluster["iamDatabaseAuthenticationEnabled"],
            "BackupRetentionPeriod": cluster["backupRetentionPeriod"],
            "PreferredBackupWindow": cluster["preferredBackupWindow"],
            "PreferredMaintenanceWindow": cluster["preferredMaintenanceWindow"],
            "CopyTagsToSnapshot": cluster["copyTagsToSnapshot"],
            "EnableCloudwatchLogsExports": cluster["enabledCloudwatchLogsExports"],
            "DeletionProtection": cluster["deletionProtection"],
        }
        if "backtrackWindow" in cluster:
            params["BacktrackWindow"] = cluster["backtrackWindow"]
        assert_valid("rds", "CreateDBCluster", params)
        for instance in rendering.of_type("aws:rds/clusterInstance:ClusterInstance"):
            i = instance.inputs
            params = {
                "DBInstanceIdentifier": i["identifier"],
                "DBClusterIdentifier": i["clusterIdentifier"],
                "DBInstanceClass": i["instanceClass"],
                "Engine": i["engine"],
                "AvailabilityZone": i["availabilityZone"],
                "DBSubnetGroupName": i["dbSubnetGroupName"],
                "PubliclyAccessible": i["publiclyAccessible"],
                "AutoMinorVersionUpgrade": i["autoMinorVersionUpgrade"],
                "MonitoringInterval": i["monitoringInterval"],
                "PromotionTier": i["promotionTier"],
                "CACertificateIdentifier": i["caCertIdentifier"],
                "EnablePerformanceInsights": i["performanceInsightsEnabled"],
            }
            if i.get("monitoringRoleArn"):
                params["MonitoringRoleArn"] = i["monitoringRoleArn"]
            if i["performanceInsightsEnabled"]:
                params["PerformanceInsightsKMSKeyId"] = i["performanceInsightsKmsKeyId"]
                params["PerformanceInsightsRetentionPeriod"] = i["performanceInsightsRetentionPeriod"]
            assert_valid("rds", "CreateDBInstance", params)
        group = rendering.one("aws:rds/clusterParameterGroup:ClusterParameterGroup").inputs
        assert_valid(
            "rds",
            "CreateDBClusterParameterGroup",
            {
                "DBClusterParameterGroupName": "p",
                "DBParameterGroupFamily": group["family"],
                "Description": group["description"],
            },
        )
        assert_valid(
            "rds",
            "ModifyDBClusterParameterGroup",
            {
                "DBClusterParameterGroupName": "p",
                "Parameters": [
                    {
                        "ParameterName": p["name"],
                        "ParameterValue": p["value"],
                        "ApplyMethod": p["applyMethod"],
                    }
                    for p in group["parameters"]
                ],
            },
        )
        for subscription in rendering.of_type("aws:rds/eventSubscription:EventSubscription"):
            s = subscription.inputs
            assert_valid(
                "rds",
                "CreateEventSubscription",
                {
                    "SubscriptionName": s["name"],
                    "SnsTopicArn": s["snsTopic"],
                    "SourceType": s["sourceType"],
                    "SourceIds": s["sourceIds"],
                    "EventCategories": s["eventCategories"],
                },
            )
        (subnets,) = [
            r.inputs
            for r in rendering.of_type("aws:rds/subnetGroup:SubnetGroup")
            if r.name.endswith("-database-subnets")
        ]
        assert_valid(
            "rds",
            "CreateDBSubnetGroup",
            {
                "DBSubnetGroupName": "g",
                "DBSubnetGroupDescription": subnets["description"],
                "SubnetIds": subnets["subnetIds"],
            },
        )
        parameter = rendering.one("aws:ssm/parameter:Parameter").inputs
        assert_valid(
            "ssm",
            "PutParameter",
            {
                "Name": parameter["name"],
                "Description": parameter["description"],
                "Value": parameter["valueWo"],
                "Type": parameter["type"],
                "KeyId": parameter["keyId"],
                "Tier": parameter["tier"],
            },
        )


class CountingMocks(MuonMocks):
    def __init__(self) -> None:
        super().__init__()
        self.declared: list[str] = []

    def new_resource(self, args):  # type: ignore[no-untyped-def]
        self.declared.append(args.name)
        return super().new_resource(args)


def test_a_problem_found_while_composing_the_last_environment_declares_nothing(render_definition) -> None:
    mocks = CountingMocks()
    definition = with_database(
        "{name: banana}",
        "    environments: {production: {cpu: 256, memory: 4096}}\n"
        "    environment: {URL: 'mysql://${DatabaseEndpointAddress}/${DatabaseName}'}\n",
    )
    with pytest.raises(DefinitionError, match="services.banana.memory: Fargate with cpu 256"):
        render_definition(definition, ["dev", "production"], mocks=mocks)
    assert mocks.declared == []


def test_an_unreadable_tag_is_a_clear_error(render_definition) -> None:
    class NoTagging(MuonMocks):
        def call(self, args):  # type: ignore[no-untyped-def]
            if args.token == "aws:resourcegroupstaggingapi/getResources:getResources":
                return {}, [
                    ("resourceArnLists", "AccessDeniedException: not authorized to perform tag:GetResources")
                ]
            return super().call(args)

    mocks = NoTagging()
    mocks.existing_parameters[PASSWORD_NAME] = "Whoever-Set-It-1"
    with pytest.raises(
        MuonError, match=r"cannot read the tags of .*password \(the deploying role needs tag:GetResources\)"
    ):
        render_definition(with_database("{name: banana}"), ["dev"], mocks=mocks)


def test_performance_insights_gives_way_on_classes_without_it(render_definition) -> None:
    # Aurora MySQL has no Performance Insights on db.t3 (and t2, t4g.micro/small): production's
    # default turns it off there, with a warning, instead of failing the instance's creation.
    rendering = render_definition(
        "environments: {production: {domain: {name: p.example.com, zone: example.com}}}\nservices:\n  banana:\n    port: 8080\n    pathPatterns: [/b]\n"
        "    database: {name: banana, instanceClass: db.t3.medium}\n",
        ["production"],
    )
    for instance in rendering.of_type("aws:rds/clusterInstance:ClusterInstance"):
        assert instance.inputs["performanceInsightsEnabled"] is False
    (warning,) = rendering.warnings
    assert warning.endswith(
        "muon.yaml: services.banana.database.instanceClass: Aurora MySQL has no Performance Insights "
        "on db.t3.medium (environment production); it is left off"
    )
    # Aurora PostgreSQL has it on every class it runs on; the default stays on.
    rendering = render_definition(
        "environments: {production: {domain: {name: p.example.com, zone: example.com}}}\nservices:\n  banana:\n    port: 8080\n    pathPatterns: [/b]\n"
        "    database: {name: banana, engine: aurora-postgresql, instanceClass: db.t3.medium}\n",
        ["production"],
    )
    assert {
        i.inputs["performanceInsightsEnabled"]
        for i in rendering.of_type("aws:rds/clusterInstance:ClusterInstance")
    } == {True}
    assert rendering.warnings == []


def test_performance_insights_asked_for_on_a_class_without_it_is_refused(render_definition) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(
            "environments: {dev: {}}\nservices:\n  banana:\n    port: 8080\n    pathPatterns: [/b]\n"
            "    database: {name: banana, performanceInsights: true}\n"
            "    environments: {dev: {database: {instanceClass: db.t3.large}}}\n",
            ["dev"],
        )
    (problem,) = caught.value.problems
    assert problem.endswith(
        "muon.yaml: services.banana.database.performanceInsights: Aurora MySQL has no Performance Insights "
        "on db.t3.large (services.banana.environments.dev.database.instanceClass, environment dev); "
        "choose db.t4g.medium or larger, or performanceInsights: false"
    )


@pytest.mark.parametrize("engine", ["postgres", "aurora-postgresql"])
def test_production_keeps_automated_backups_after_a_deletion_development_does_not(
    render_definition, engine: str
) -> None:
    """``delete_automated_backups`` false in production, on an RDS instance and an Aurora cluster;
    the provider updates it in place (not ForceNew; terraform-provider-aws rds/instance.go,
    rds/cluster.go), so a stack deployed before keeps its database."""
    from muon.plan.replacements import forcing

    rendering = render_definition(
        "environments: {dev: {}, production: {loadBalancer: {allowPlainHttp: true}}}\n"
        f"services:\n  banana: {{port: 8080, pathPatterns: [/b], database: {{name: banana, engine: {engine}}}}}\n",
        ["dev", "production"],
    )
    kind = "aws:rds/instance:Instance" if engine == "postgres" else "aws:rds/cluster:Cluster"
    found = {r.name.split("-")[0]: r.inputs["deleteAutomatedBackups"] for r in rendering.of_type(kind)}
    assert found == {"dev": True, "production": False}
    assert forcing(kind, {"deleteAutomatedBackups"}) == []
