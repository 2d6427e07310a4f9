"""Components built on their own, from their arguments alone — no muon.yaml, no stacks/ — the way
CDK's tests build one construct: what a component's defaults give is secure by itself, and its key
children receive exactly these inputs."""

from __future__ import annotations

import re

import pytest

from muon.components.cluster import CapacityItem, ClusterArgs
from muon.components.context import AwsContext
from muon.components.database import Database, DatabaseAlarms, DatabaseArgs, GeneratedPassword
from muon.components.environment import Environment, EnvironmentArgs
from muon.components.load_balancer import LoadBalancerArgs
from muon.components.network import NetworkArgs
from muon.components.scaling import ScalingConfig, Step, StepPolicy, StepScaling, StepScalingArgs
from muon.components.service import Service
from muon.components.service_args import EnvironmentWiring, ServiceArgs
from muon.plan.offline import Rendering, render

CONTEXT = AwsContext(account_id="123456789012", region="us-east-1")
CONFIG = {"aws:region": "us-east-1"}
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/muon/shop@sha256:" + "a" * 64
PARAMETER = "arn:aws:ssm:us-east-1:123456789012:parameter/alone/shop/token"


def wiring() -> EnvironmentWiring:
    """An environment's values as plain strings: nothing but the Service is rendered."""
    return EnvironmentWiring(
        cluster_name="muon-alone",
        cluster_arn="arn:aws:ecs:us-east-1:123456789012:cluster/muon-alone",
        provider="fargate",
        capacity_strategy=(CapacityItem("FARGATE", weight=1, base=1),),
        vpc_id="vpc-0alone",
        private_subnet_ids=["subnet-private-a", "subnet-private-b"],
        listener_arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alone/1/2",
        load_balancer_security_group_id="sg-0loadbalancer",
        load_balancer_arn_suffix="app/alone/1",
        load_balancer_url="https://alone.example.com",
        load_balancer_dns_name="alone-1.us-east-1.elb.amazonaws.com",
        load_balancer_zone_id="Z35SXDOTRQ7X7K",
        domain=None,
        zone_id=None,
        key_arn="arn:aws:kms:us-east-1:123456789012:key/alone",
        alarm_topic_arn="arn:aws:sns:us-east-1:123456789012:alone-alarms",
        log_retention_days=365,
        production=True,
        task_metrics=True,
    )


@pytest.fixture(scope="module")
def service() -> Rendering:
    """A web Service from its required arguments only: every other field takes its default."""

    def program() -> None:
        Service(
            "shop",
            ServiceArgs(
                context=CONTEXT,
                environment="alone",
                service="shop",
                wiring=wiring(),
                image=IMAGE,
                port=8080,
                priority=10,
                path_patterns=("/shop*",),
                secrets={"API_TOKEN": PARAMETER},
                environment_variables={"PLAIN": "value"},
            ),
        )

    return render(program, config=CONFIG, stack="alone")


def test_service_children_keep_their_names_types_and_parent(service: Rendering) -> None:
    # Built from functions, not intermediate components: every child's parent is the Service
    # itself, so the URNs of stacks deployed before the split are the URNs now.
    parent = service.one("muon:ecs:Service", "shop").urn
    children = {(r.type, r.name) for r in service.resources if r.parent == parent}
    assert children == {
        ("aws:cloudwatch/logGroup:LogGroup", "shop-logs"),
        ("aws:iam/role:Role", "shop-execution-role"),
        ("aws:iam/rolePolicy:RolePolicy", "shop-execution-policy"),
        ("aws:iam/role:Role", "shop-task-role"),
        ("aws:ecs/taskDefinition:TaskDefinition", "shop-task"),
        ("aws:ec2/securityGroup:SecurityGroup", "shop-tasks-sg"),
        ("aws:lb/targetGroup:TargetGroup", "shop-tg"),
        ("aws:lb/listenerRule:ListenerRule", "shop-rule"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "shop-5xx"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "shop-unhealthy"),
        ("aws:ecs/service:Service", "shop-service"),
        ("muon:ecs:StepScaling", "shop-scaling"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "shop-no-tasks"),
        ("aws:cloudwatch/metricAlarm:MetricAlarm", "shop-no-healthy-targets"),
    }


def test_service_container_is_hardened_by_default(service: Rendering) -> None:
    task = service.one("aws:ecs/taskDefinition:TaskDefinition", "shop-task")
    # Fargate's smallest size (CDK's default too) when cpu and memory are not given.
    assert (task.inputs["cpu"], task.inputs["memory"]) == ("256", "512")
    assert task.inputs["networkMode"] == "awsvpc"
    assert task.inputs["requiresCompatibilities"] == ["FARGATE"]
    assert task.inputs["taskRoleArn"] != task.inputs["executionRoleArn"]
    assert task.inputs["volumes"] == []  # /tmp is a tmpfs on Fargate too
    (app,) = task.json("containerDefinitions")
    log_group = service.one("aws:cloudwatch/logGroup:LogGroup", "shop-logs").inputs
    assert app == {
        "name": "app",
        "essential": True,
        "image": IMAGE,
        "portMappings": [{"name": "app", "containerPort": 8080, "protocol": "tcp"}],
        "readonlyRootFilesystem": True,
        "privileged": False,
        "user": "1000",
        "stopTimeout": 30,
        "linuxParameters": {
            "initProcessEnabled": True,
            "tmpfs": [{"containerPath": "/tmp", "size": 512, "mountOptions": ["mode=1777"]}],
        },
        "environment": [{"name": "PLAIN", "value": "value"}],
        "secrets": [{"name": "API_TOKEN", "valueFrom": PARAMETER}],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group["name"],
                "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": "app",
            },
        },
    }
    assert log_group["name"] == "/muon/alone/shop"
    assert log_group["retentionInDays"] == 365
    assert log_group["kmsKeyId"] == "arn:aws:kms:us-east-1:123456789012:key/alone"


def test_service_rolls_out_safely_and_rolls_back_by_default(service: Rendering) -> None:
    ecs = service.one("aws:ecs/service:Service", "shop-service")
    inputs = ecs.inputs
    assert inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert inputs["alarms"] == {
        "alarmNames": ["muon-alone-shop-target-5xx", "muon-alone-shop-unhealthy-hosts"],
        "enable": True,
        "rollback": True,
    }
    assert (inputs["deploymentMinimumHealthyPercent"], inputs["deploymentMaximumPercent"]) == (100, 200)
    # No desired count given: the scaling minimum, two tasks, not one.
    assert inputs["desiredCount"] == 2
    assert inputs["healthCheckGracePeriodSeconds"] == 60
    assert inputs["waitForSteadyState"] is True
    assert inputs["enableExecuteCommand"] is False
    assert inputs["networkConfiguration"] == {
        "subnets": ["subnet-private-a", "subnet-private-b"],
        "securityGroups": [service.one("aws:ec2/securityGroup:SecurityGroup", "shop-tasks-sg").state["id"]],
        "assignPublicIp": False,
    }
    # ECS accepts the target group only once the listener rule forwards to it.
    assert service.one("aws:lb/listenerRule:ListenerRule", "shop-rule").urn in ecs.dependencies
    assert ecs.ignore_changes == ("desiredCount",)
    group = service.one("aws:ec2/securityGroup:SecurityGroup", "shop-tasks-sg").inputs
    assert [(rule["fromPort"], rule["securityGroups"]) for rule in group["ingress"]] == [
        (8080, ["sg-0loadbalancer"])
    ]


def test_service_scales_two_to_twenty_on_cpu_by_default(service: Rendering) -> None:
    target = service.one("aws:appautoscaling/target:Target", "shop-scaling-target").inputs
    assert (target["minCapacity"], target["maxCapacity"]) == (2, 20)
    assert target["resourceId"] == "service/muon-alone/muon-alone-shop"
    out = service.one("aws:appautoscaling/policy:Policy", "shop-scaling-scale-out").inputs
    assert out["stepScalingPolicyConfiguration"]["stepAdjustments"] == [
        {"metricIntervalLowerBound": "0", "scalingAdjustment": 2}
    ]
    high = service.one("aws:cloudwatch/metricAlarm:MetricAlarm", "shop-scaling-cpuutilization-high").inputs
    low = service.one("aws:cloudwatch/metricAlarm:MetricAlarm", "shop-scaling-cpuutilization-low").inputs
    assert (high["threshold"], high["period"], high["evaluationPeriods"]) == (80, 300, 1)
    assert (low["threshold"], low["period"], low["evaluationPeriods"]) == (30, 300, 3)


def test_step_scaling_alone_derives_contiguous_intervals_from_its_threshold() -> None:
    config = ScalingConfig(
        min_capacity=3,
        max_capacity=12,
        metric="memory",
        scale_out=StepPolicy(
            steps=(Step(at=70, change=1), Step(at=85, change=3)), cooldown=60, period=60, evaluation_periods=2
        ),
        scale_in=StepPolicy(
            steps=(Step(at=40, change=-1), Step(at=20, change=-2)),
            cooldown=300,
            period=60,
            evaluation_periods=5,
        ),
    )

    def program() -> None:
        StepScaling("jobs", StepScalingArgs(cluster_name="c", service_name="s", config=config))

    rendering = render(program, config=CONFIG, stack="alone")
    target = rendering.one("aws:appautoscaling/target:Target", "jobs-target").inputs
    assert (target["minCapacity"], target["maxCapacity"], target["resourceId"]) == (3, 12, "service/c/s")
    out = rendering.one("aws:appautoscaling/policy:Policy", "jobs-scale-out").inputs
    inward = rendering.one("aws:appautoscaling/policy:Policy", "jobs-scale-in").inputs
    # AWS measures each interval from the alarm's threshold (the first step) and refuses gaps
    # and overlaps: [0, 15) then [15, ∞) above 70; (-20, 0] then (-∞, -20] below 40.
    assert out["stepScalingPolicyConfiguration"]["stepAdjustments"] == [
        {"metricIntervalLowerBound": "0", "metricIntervalUpperBound": "15", "scalingAdjustment": 1},
        {"metricIntervalLowerBound": "15", "scalingAdjustment": 3},
    ]
    assert inward["stepScalingPolicyConfiguration"]["stepAdjustments"] == [
        {"metricIntervalLowerBound": "-20", "metricIntervalUpperBound": "0", "scalingAdjustment": -1},
        {"metricIntervalUpperBound": "-20", "scalingAdjustment": -2},
    ]
    assert (
        out["stepScalingPolicyConfiguration"]["cooldown"],
        inward["stepScalingPolicyConfiguration"]["cooldown"],
    ) == (
        60,
        300,
    )
    high = rendering.one("aws:cloudwatch/metricAlarm:MetricAlarm", "jobs-memoryutilization-high")
    low = rendering.one("aws:cloudwatch/metricAlarm:MetricAlarm", "jobs-memoryutilization-low")
    assert (high.inputs["threshold"], high.inputs["comparisonOperator"]) == (
        70,
        "GreaterThanOrEqualToThreshold",
    )
    assert (low.inputs["threshold"], low.inputs["comparisonOperator"]) == (40, "LessThanOrEqualToThreshold")
    assert (high.inputs["evaluationPeriods"], low.inputs["evaluationPeriods"]) == (2, 5)
    # Missing data (an idle service) must not scale by itself.
    assert (high.inputs["treatMissingData"], low.inputs["treatMissingData"]) == ("notBreaching", "missing")
    assert high.inputs["alarmActions"] == [
        rendering.one("aws:appautoscaling/policy:Policy", "jobs-scale-out").state["arn"]
    ]


@pytest.fixture(scope="module")
def database() -> Rendering:
    """An Aurora PostgreSQL database from its required arguments only."""

    def program() -> None:
        Database(
            "orders",
            DatabaseArgs(
                context=CONTEXT,
                environment="alone",
                service="orders",
                engine="aurora-postgresql",
                version="17.5",
                database_name="orders",
                port=5432,
                instance_class="db.r7g.large",
                zones=("us-east-1a", "us-east-1b"),
                vpc_id="vpc-0alone",
                subnet_ids=["subnet-isolated-a", "subnet-isolated-b"],
                alarm_topic_arn="arn:aws:sns:us-east-1:123456789012:alone-alarms",
                password=GeneratedPassword(
                    parameter_name="/muon/alone/orders/database/password", version=1, managed_by="muon/alone"
                ),
                alarms=DatabaseAlarms(connections=500),
                performance_insights=True,
            ),
        )

    return render(program, config=CONFIG, stack="alone")


def test_database_alone_is_kept_encrypted_and_backed_up(database: Rendering) -> None:
    cluster = database.one("aws:rds/cluster:Cluster", "orders-cluster")
    key_arn = database.one("aws:kms/key:Key").state["arn"]
    inputs = cluster.inputs
    assert (inputs["storageEncrypted"], inputs["kmsKeyId"]) == (True, key_arn)
    assert inputs["deletionProtection"] is True
    assert inputs["skipFinalSnapshot"] is False
    assert re.fullmatch(r"muon-alone-orders-final-[0-9a-f]{8}", inputs["finalSnapshotIdentifier"])
    assert cluster.protect is True
    assert (inputs["backupRetentionPeriod"], inputs["copyTagsToSnapshot"]) == (14, True)
    assert inputs["iamDatabaseAuthenticationEnabled"] is True
    assert inputs["masterUsername"] == "muon"
    assert (inputs["preferredBackupWindow"], inputs["preferredMaintenanceWindow"]) == (
        "03:00-04:00",
        "sun:04:30-sun:05:30",
    )
    assert inputs["applyImmediately"] is False  # changes wait for the maintenance window
    subnets = database.one("aws:rds/subnetGroup:SubnetGroup").inputs
    assert subnets["subnetIds"] == ["subnet-isolated-a", "subnet-isolated-b"]
    assert database.one("aws:ec2/securityGroup:SecurityGroup", "orders-sg").inputs.get("egress", []) == []
    parameter = database.one("aws:ssm/parameter:Parameter").inputs
    assert (parameter["type"], parameter["keyId"]) == ("SecureString", key_arn)
    assert database.one("aws:kms/key:Key").inputs["enableKeyRotation"] is True


def test_database_alone_runs_two_monitored_private_instances(database: Rendering) -> None:
    instances = database.of_type("aws:rds/clusterInstance:ClusterInstance")
    assert len(instances) == 2
    assert {i.inputs["availabilityZone"] for i in instances} == {"us-east-1a", "us-east-1b"}
    role_arn = database.one("aws:iam/role:Role", "orders-monitoring-role").state["arn"]
    key_arn = database.one("aws:kms/key:Key").state["arn"]
    for instance in instances:
        assert instance.inputs["publiclyAccessible"] is False
        assert (instance.inputs["monitoringInterval"], instance.inputs["monitoringRoleArn"]) == (60, role_arn)
        assert instance.inputs["performanceInsightsKmsKeyId"] == key_arn
        assert instance.inputs["autoMinorVersionUpgrade"] is True
    (logs,) = database.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert (logs.inputs["retentionInDays"], logs.inputs["kmsKeyId"]) == (365, key_arn)


@pytest.fixture(scope="module")
def environment() -> Rendering:
    """An Environment from its required arguments: two zones, everything else its defaults."""

    def program() -> None:
        Environment(
            "alone",
            EnvironmentArgs(
                context=CONTEXT,
                network=NetworkArgs(context=CONTEXT, availability_zones=("us-east-1a", "us-east-1b")),
                cluster=ClusterArgs(context=CONTEXT),
                load_balancer=LoadBalancerArgs(context=CONTEXT),
            ),
        )

    return render(program, config=CONFIG, stack="alone")


def test_environment_alone_keeps_its_load_balancer_private_and_protected(environment: Rendering) -> None:
    lb = environment.one("aws:lb/loadBalancer:LoadBalancer").inputs
    # As CDK's internetFacing: false: nothing is on the internet unless asked for.
    assert lb["internal"] is True
    assert lb["enableDeletionProtection"] is True
    private = {s.state["id"] for s in environment.of_type("aws:ec2/subnet:Subnet") if "private" in s.name}
    assert len(private) == 2
    assert set(lb["subnets"]) == private
    assert lb["accessLogs"]["enabled"] is True


def test_environment_alone_has_a_nat_per_zone_and_keeps_its_logs(environment: Rendering) -> None:
    assert len(environment.of_type("aws:ec2/natGateway:NatGateway")) == 2
    endpoints = environment.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert [e.inputs["vpcEndpointType"] for e in endpoints] == ["Gateway"]
    assert endpoints[0].inputs["serviceName"] == "com.amazonaws.us-east-1.s3"
    key_arn = environment.one("aws:kms/key:Key").state["arn"]
    groups = {
        g.name: (g.inputs["retentionInDays"], g.inputs["kmsKeyId"])
        for g in environment.of_type("aws:cloudwatch/logGroup:LogGroup")
    }
    assert groups == {"alone-flow-logs": (365, key_arn), "alone-incidents": (365, key_arn)}
    cluster = environment.one("aws:ecs/cluster:Cluster").inputs
    assert {"name": "containerInsights", "value": "enabled"} in cluster["settings"]


def test_components_refuse_arguments_without_a_safe_default() -> None:
    # What has no safe default stays required: the dataclass refuses to be built without it.
    with pytest.raises(TypeError, match="performance_insights"):
        DatabaseArgs(  # type: ignore[call-arg]
            context=CONTEXT,
            environment="alone",
            service="orders",
            engine="aurora-postgresql",
            version="17.5",
            database_name="orders",
            port=5432,
            instance_class="db.r7g.large",
            zones=("us-east-1a",),
            vpc_id="v",
            subnet_ids=[],
            alarm_topic_arn="t",
            password=GeneratedPassword(parameter_name="/p", version=1, managed_by="m"),
            alarms=DatabaseAlarms(connections=1),
        )
    with pytest.raises(TypeError, match="priority"):
        ServiceArgs(context=CONTEXT, environment="e", service="s", wiring=wiring(), image=None, port=80)  # type: ignore[call-arg]
