"""The Service component: image, task definition, routing, ECS service, asserted on rendered inputs."""

from __future__ import annotations

import pytest

from muon.plan.offline import Rendering
from muon.stacks.definition.loader import parse_definition
from muon.stacks.errors import DefinitionError
from muon.stacks.resolve.routing import listener_priorities
from tests.aws_models import assert_valid
from tests.conftest import PROJECT_DIR, pipeline_image

ENVS = "environments: {dev: {}, production: {}}\n"
BANANA = ENVS + "services:\n  banana:\n    port: 8080\n    pathPatterns: [/bananas]\n"


def container(rendering: Rendering, name: str) -> dict:
    (definition,) = rendering.one("aws:ecs/taskDefinition:TaskDefinition", f"{name}-task").json(
        "containerDefinitions"
    )
    return definition


def test_task_definition_is_hardened_and_logs_to_its_own_group(dev: Rendering, prod: Rendering) -> None:
    task = dev.one("aws:ecs/taskDefinition:TaskDefinition", "dev-banana-task")
    assert task.inputs["networkMode"] == "awsvpc"
    assert task.inputs["requiresCompatibilities"] == ["FARGATE"]
    assert (task.inputs["cpu"], task.inputs["memory"]) == ("512", "1024")
    assert task.inputs["taskRoleArn"] != task.inputs["executionRoleArn"]
    app = container(dev, "dev-banana")
    # Named: Service Connect refers to a port by name (only a backend also declares appProtocol).
    assert app["portMappings"] == [{"name": "app", "containerPort": 8080, "protocol": "tcp"}]
    assert app["readonlyRootFilesystem"] is True
    assert app["user"] == "1000"
    assert app["privileged"] is False
    assert app["logConfiguration"]["logDriver"] == "awslogs"
    assert app["logConfiguration"]["options"]["awslogs-group"] == "/muon/dev/banana"
    variables = {v["name"]: v["value"] for v in app["environment"]}
    assert variables["SPRING_PROFILES_ACTIVE"] == "dev"
    assert app["image"] == pipeline_image("banana")
    assert prod.one("aws:ecs/taskDefinition:TaskDefinition").inputs["requiresCompatibilities"] == ["EC2"]
    group = dev.one("aws:cloudwatch/logGroup:LogGroup", "dev-banana-logs")
    assert group.inputs["retentionInDays"] == 14
    assert group.inputs["kmsKeyId"] == dev.outputs["environments"]["dev"]["keyArn"]


def test_environment_stacks_own_no_repository(dev: Rendering, prod: Rendering) -> None:
    # Images are built once, in the delivery stack's repositories, and promoted by digest.
    assert dev.of_type("aws:ecr/repository:Repository") == []
    assert prod.of_type("aws:ecr/repository:Repository") == []


def test_secrets_arrive_as_value_from_never_as_environment(render_definition) -> None:
    rendering = render_definition(
        BANANA
        + "    secrets: {API_TOKEN: /banana/api-token, DB_PASSWORD: 'arn:aws:ssm:us-east-1:123456789012:parameter/x/y'}\n"
        + "    environment: {PLAIN: value}\n",
        ["dev"],
    )
    app = container(rendering, "dev-banana")
    assert app["secrets"] == [
        {"name": "API_TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/banana/api-token"},
        {"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/x/y"},
    ]
    assert [e["name"] for e in app["environment"]] == ["PLAIN"]
    for task in rendering.of_type("aws:ecs/taskDefinition:TaskDefinition"):
        for definition in task.json("containerDefinitions"):
            for variable in definition.get("environment", []):
                assert "arn:aws:ssm" not in variable["value"]
    policy = rendering.one("aws:iam/rolePolicy:RolePolicy", "dev-banana-execution-policy").json("policy")
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["ReadOwnParameters"]["Resource"] == [
        "arn:aws:ssm:us-east-1:123456789012:parameter/banana/api-token",
        "arn:aws:ssm:us-east-1:123456789012:parameter/x/y",
    ]
    assert statements["DecryptOwnParameters"]["Resource"].startswith(
        "arn:aws:kms:us-east-1:123456789012:key/"
    )


VENDOR_KEY = "arn:aws:kms:us-east-1:111111111111:key/44444444-4444-4444-4444-444444444444"


def test_a_secret_encrypted_with_another_key_is_decrypted_with_that_key_only(render_definition) -> None:
    # kms:Decrypt was granted on the environment's key only: a SecureString under another key (a
    # vendor's, a central team's) could not be read when the task started.
    rendering = render_definition(
        BANANA
        + "    secrets:\n"
        + "      API_TOKEN: /banana/api-token\n"
        + f"      VENDOR_TOKEN: {{parameter: /vendor/token, key: '{VENDOR_KEY}'}}\n",
        ["dev"],
    )
    app = container(rendering, "dev-banana")
    assert app["secrets"] == [
        {"name": "API_TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/banana/api-token"},
        {"name": "VENDOR_TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/vendor/token"},
    ]
    policy = rendering.one("aws:iam/rolePolicy:RolePolicy", "dev-banana-execution-policy").json("policy")
    statements = {s["Sid"]: s for s in policy["Statement"]}
    environment_key = rendering.outputs["environments"]["dev"]["keyArn"]
    assert statements["DecryptOwnParameters"]["Resource"] == environment_key
    # Through Parameter Store only: the key may serve its owner for other things (kms:ViaService).
    assert statements["DecryptSecretsWithTheirKeys"] == {
        "Sid": "DecryptSecretsWithTheirKeys",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": VENDOR_KEY,
        "Condition": {"StringEquals": {"kms:ViaService": "ssm.us-east-1.amazonaws.com"}},
    }
    # Only such secrets: the environment's key is no longer granted for nothing.
    rendering = render_definition(
        BANANA + f"    secrets: {{VENDOR_TOKEN: {{parameter: /vendor/token, key: '{VENDOR_KEY}'}}}}\n",
        ["dev"],
    )
    policy = rendering.one("aws:iam/rolePolicy:RolePolicy", "dev-banana-execution-policy").json("policy")
    assert [s["Sid"] for s in policy["Statement"] if "kms:Decrypt" in s["Action"]] == [
        "DecryptSecretsWithTheirKeys"
    ]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (
            "arn:aws:kms:eu-west-1:111111111111:key/44444444-4444-4444-4444-444444444444",
            "services.banana.secrets.VENDOR_TOKEN.key: a KMS key of eu-west-1, but it is used in us-east-1 "
            "(KMS keys are regional; a resource takes a key of its own region); give one of us-east-1",
        ),
        (
            "alias/vendor",
            "services.banana.secrets.VENDOR_TOKEN.key: expected a KMS key ARN (arn:aws:kms:<region>:<account>:"
            "key/<id>; IAM policies need the key, not an alias)",
        ),
    ],
)
def test_a_secrets_key_must_be_a_key_arn_of_the_stacks_region(render_definition, key, expected) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(
            BANANA + f"    secrets: {{VENDOR_TOKEN: {{parameter: /vendor/token, key: '{key}'}}}}\n", ["dev"]
        )
    (problem,) = caught.value.problems
    assert expected in problem, problem


def test_execution_role_is_scoped_to_its_own_repository_and_log_group(dev: Rendering) -> None:
    policy = dev.one("aws:iam/rolePolicy:RolePolicy", "dev-banana-execution-policy").json("policy")
    statements = {s["Sid"]: s for s in policy["Statement"]}
    # The image's own repository, read from its reference: the delivery stack's.
    assert (
        statements["PullOwnImage"]["Resource"] == "arn:aws:ecr:us-east-1:123456789012:repository/muon/banana"
    )
    assert (
        statements["WriteOwnLogs"]["Resource"]
        == "arn:aws:logs:us-east-1:123456789012:log-group:/muon/dev/banana:*"
    )
    # The registry login is the one action AWS cannot scope to a resource.
    assert [s["Sid"] for s in policy["Statement"] if s["Resource"] == "*"] == ["RegistryLogin"]
    assert statements["RegistryLogin"]["Action"] == "ecr:GetAuthorizationToken"
    # The seed's banana has a database: its password parameter is the one parameter readable.
    assert statements["ReadOwnParameters"]["Resource"] == [
        "arn:aws:ssm:us-east-1:123456789012:parameter/muon/dev/banana/database/password"
    ]
    role = dev.one("aws:iam/role:Role", "dev-banana-execution-role")
    assert role.inputs["path"] == "/muon/"  # what a cross-account repository policy admits
    trust = role.json("assumeRolePolicy")
    assert trust["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert trust["Statement"][0]["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}


def test_task_role_has_nothing_by_default_and_what_is_declared(dev: Rendering, render_definition) -> None:
    assert [p.name for p in dev.of_type("aws:iam/rolePolicy:RolePolicy") if "task-policy" in p.name] == []
    rendering = render_definition(
        BANANA
        + "    permissions: [{actions: [s3:GetObject], resources: ['arn:aws:s3:::bananas/*']}]\n"
        + "    execCommand: true\n    readonlyRootFilesystem: false\n",
        ["dev"],
    )
    statements = rendering.one("aws:iam/rolePolicy:RolePolicy", "dev-banana-task-policy").json("policy")[
        "Statement"
    ]
    assert statements[0] == {
        "Sid": "Declared0",
        "Effect": "Allow",
        "Action": ["s3:GetObject"],
        "Resource": "arn:aws:s3:::bananas/*",
    }
    assert statements[1]["Sid"] == "EcsExec"
    assert rendering.one("aws:ecs/service:Service").inputs["enableExecuteCommand"] is True


def test_only_the_load_balancer_reaches_the_tasks(dev: Rendering) -> None:
    group = dev.one("aws:ec2/securityGroup:SecurityGroup", "dev-banana-tasks-sg")
    (rule,) = group.inputs["ingress"]
    lb_group = dev.one("aws:ec2/securityGroup:SecurityGroup", "dev-alb-sg")
    assert rule["securityGroups"] == [lb_group.state["id"]]
    assert (rule["fromPort"], rule["toPort"], rule["protocol"]) == (8080, 8080, "tcp")
    assert "cidrBlocks" not in rule


def test_target_group_and_listener_rule(dev: Rendering, prod: Rendering) -> None:
    target_group = dev.one("aws:lb/targetGroup:TargetGroup")
    assert (target_group.inputs["targetType"], target_group.inputs["port"]) == ("ip", 8080)
    assert target_group.inputs["healthCheck"]["path"] == "/bananas"
    assert target_group.inputs["healthCheck"]["matcher"] == "200-399"
    assert target_group.inputs["deregistrationDelay"] == 10
    assert prod.one("aws:lb/targetGroup:TargetGroup").inputs["deregistrationDelay"] == 60
    rule = dev.one("aws:lb/listenerRule:ListenerRule")
    assert rule.inputs["listenerArn"] == dev.outputs["environments"]["dev"]["httpListenerArn"]
    assert rule.inputs["conditions"] == [{"pathPattern": {"values": ["/bananas"]}}]
    assert rule.inputs["actions"][0]["targetGroupArn"] == target_group.state["arn"]


def test_ecs_service_rolls_back_and_does_not_fight_the_autoscaler(dev: Rendering, prod: Rendering) -> None:
    service = prod.one("aws:ecs/service:Service")
    inputs = service.inputs
    assert inputs["name"] == "muon-production-banana"
    assert inputs["networkConfiguration"]["assignPublicIp"] is False
    assert (
        inputs["networkConfiguration"]["subnets"]
        == prod.outputs["environments"]["production"]["privateSubnetIds"]
    )
    assert inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert (inputs["deploymentMinimumHealthyPercent"], inputs["deploymentMaximumPercent"]) == (100, 200)
    assert inputs["healthCheckGracePeriodSeconds"] == 60
    assert inputs["waitForSteadyState"] is True
    assert inputs["propagateTags"] == "SERVICE"
    assert inputs["desiredCount"] == 2
    assert "desiredCount" in service.ignore_changes
    alarm_names = {
        a.inputs["name"] for a in prod.of_type("aws:cloudwatch/metricAlarm:MetricAlarm") if "name" in a.inputs
    }
    assert inputs["alarms"]["enable"] is True and inputs["alarms"]["rollback"] is True
    assert set(inputs["alarms"]["alarmNames"]) == {
        "muon-production-banana-target-5xx",
        "muon-production-banana-unhealthy-hosts",
    }
    assert set(inputs["alarms"]["alarmNames"]) <= alarm_names
    assert inputs["capacityProviderStrategies"] == [
        {"capacityProvider": "muon-production-ec2", "weight": 1, "base": 0}
    ]
    assert "platformVersion" not in inputs  # EC2
    assert dev.one("aws:ecs/service:Service").inputs["platformVersion"] == "LATEST"
    assert any("ListenerRule" in d for d in service.dependencies)


def test_outputs_per_service_and_environment(dev: Rendering) -> None:
    banana = dev.outputs["services"]["dev"]["banana"]
    assert banana["url"] == dev.outputs["environments"]["dev"]["loadBalancerUrl"] + "/bananas"
    assert banana["image"] == pipeline_image("banana")
    assert banana["logGroupName"] == "/muon/dev/banana"
    assert (banana["clusterName"], banana["serviceName"]) == ("muon-dev", "muon-dev-banana")


def test_image_from_stack_config_wins(render_definition) -> None:
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/muon/dev/banana@sha256:" + "a" * 64
    rendering = render_definition(
        BANANA + "    image: nginx:1.27\n", ["dev"], extra_config={"muon:images": {"banana": image}}
    )
    assert container(rendering, "dev-banana")["image"] == image


def test_environment_overrides_and_placeholders(render_definition) -> None:
    rendering = render_definition(
        BANANA
        + "    environment:\n      NAME: '${ServiceName}-${Environment}'\n      LEVEL: {dev: debug, production: info}\n"
        + "    environments: {dev: {cpu: 1024, memory: 2048, environment: {EXTRA: '${Region}'}}}\n",
        ["dev"],
    )
    app = container(rendering, "dev-banana")
    assert app["environment"] == [
        {"name": "EXTRA", "value": "us-east-1"},
        {"name": "LEVEL", "value": "debug"},
        {"name": "NAME", "value": "banana-dev"},
    ]
    assert rendering.one("aws:ecs/taskDefinition:TaskDefinition").inputs["cpu"] == "1024"


def test_per_environment_scaling_override(render_definition) -> None:
    rendering = render_definition(BANANA + "    environments: {dev: {scaling: {min: 0, max: 3}}}\n", ["dev"])
    target = rendering.one("aws:appautoscaling/target:Target")
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (0, 3)
    assert rendering.one("aws:ecs/service:Service").inputs["desiredCount"] == 0


def test_unknown_placeholder_is_named(render_definition) -> None:
    with pytest.raises(
        DefinitionError,
        match=r"services\.banana\.environment\.X: unknown placeholder \$\{Nope\}; known placeholders: AccountId",
    ):
        render_definition(BANANA + "    environment: {X: '${Nope}'}\n", ["dev"])


def test_fargate_sizes_are_validated(render_definition) -> None:
    with pytest.raises(
        DefinitionError,
        match=r"services\.banana\.memory: Fargate with cpu 256 takes memory 512, 1024, 2048 MiB, got 4096",
    ):
        render_definition(BANANA + "    cpu: 256\n    memory: 4096\n", ["dev"])


def test_duplicate_paths_are_rejected() -> None:
    with pytest.raises(
        DefinitionError,
        match=r"services\.apple\.pathPatterns: '/bananas' is already routed to service 'banana'",
    ):
        parse_definition(BANANA + "  apple:\n    port: 80\n    pathPatterns: [/bananas]\n")


def test_listener_priorities_are_stable_when_a_service_is_added() -> None:
    one = parse_definition(BANANA).services
    more = parse_definition(
        BANANA
        + "  apple:\n    port: 80\n    pathPatterns: [/apples]\n  web:\n    port: 80\n    pathPatterns: ['/*']\n"
    ).services
    before, after = listener_priorities(one, "muon.yaml"), listener_priorities(more, "muon.yaml")
    assert after["banana"] == before["banana"]
    assert len(set(after.values())) == 3
    assert after["web"] > 40000 > max(after["banana"], after["apple"])  # the catch-all is evaluated last


def test_priority_clash_is_an_error() -> None:
    services = parse_definition(
        BANANA + "    priority: 7\n  apple:\n    port: 80\n    pathPatterns: [/apples]\n    priority: 7\n"
    ).services
    with pytest.raises(DefinitionError, match="listener priority 7 is already used by service"):
        listener_priorities(services, "muon.yaml")


def test_task_definition_and_service_are_valid_api_calls(prod: Rendering, dev: Rendering) -> None:
    for rendering in (dev, prod):
        task = rendering.one("aws:ecs/taskDefinition:TaskDefinition")
        params = {
            "family": task.inputs["family"],
            "networkMode": task.inputs["networkMode"],
            "requiresCompatibilities": task.inputs["requiresCompatibilities"],
            "cpu": task.inputs["cpu"],
            "memory": task.inputs["memory"],
            "executionRoleArn": task.inputs["executionRoleArn"],
            "taskRoleArn": task.inputs["taskRoleArn"],
            "containerDefinitions": task.json("containerDefinitions"),
            "volumes": task.inputs["volumes"],
        }
        if "runtimePlatform" in task.inputs:
            params["runtimePlatform"] = task.inputs["runtimePlatform"]
        assert_valid("ecs", "RegisterTaskDefinition", params)
        service = rendering.one("aws:ecs/service:Service").inputs
        assert_valid(
            "ecs",
            "CreateService",
            {
                "serviceName": service["name"],
                "cluster": service["cluster"],
                "taskDefinition": service["taskDefinition"],
                "desiredCount": service["desiredCount"],
                "capacityProviderStrategy": service["capacityProviderStrategies"],
                "networkConfiguration": {
                    "awsvpcConfiguration": {
                        "subnets": service["networkConfiguration"]["subnets"],
                        "securityGroups": service["networkConfiguration"]["securityGroups"],
                        "assignPublicIp": "ENABLED"
                        if service["networkConfiguration"]["assignPublicIp"]
                        else "DISABLED",
                    }
                },
                "loadBalancers": service["loadBalancers"],
                "healthCheckGracePeriodSeconds": service["healthCheckGracePeriodSeconds"],
                "deploymentConfiguration": {
                    "deploymentCircuitBreaker": service["deploymentCircuitBreaker"],
                    "minimumHealthyPercent": service["deploymentMinimumHealthyPercent"],
                    "maximumPercent": service["deploymentMaximumPercent"],
                    "alarms": service["alarms"],
                },
                "enableExecuteCommand": service["enableExecuteCommand"],
                "propagateTags": service["propagateTags"],
                "enableECSManagedTags": service["enableEcsManagedTags"],
                "availabilityZoneRebalancing": service["availabilityZoneRebalancing"],
            },
        )


def test_without_configured_image_a_later_up_keeps_the_running_one(render_definition) -> None:
    from muon.plan.offline import MuonMocks

    running = "123456789012.dkr.ecr.us-east-1.amazonaws.com/muon/dev/banana@sha256:" + "c" * 64
    mocks = MuonMocks()
    mocks.deployed_images["muon-dev-banana"] = running
    rendering = render_definition(BANANA, ["dev"], mocks=mocks, delivered=False)
    assert container(rendering, "dev-banana")["image"] == running
    # The stack's muon:images (what the pipeline sets) and the definition's image come first.
    configured = "repo@sha256:" + "d" * 64
    rendering = render_definition(
        BANANA, ["dev"], mocks=mocks, extra_config={"muon:images": {"banana": configured}}
    )
    assert container(rendering, "dev-banana")["image"] == configured
    rendering = render_definition(
        BANANA + "    image: public.ecr.aws/acme/banana:1.2\n", ["dev"], mocks=mocks
    )
    assert container(rendering, "dev-banana")["image"] == "public.ecr.aws/acme/banana:1.2"
    # Not an ECR image: no registry login, no pull grant.
    policy = rendering.one("aws:iam/rolePolicy:RolePolicy", "dev-banana-execution-policy").json("policy")
    assert {"RegistryLogin", "PullOwnImage"}.isdisjoint(s["Sid"] for s in policy["Statement"])


def test_a_writable_tmp_the_task_user_can_use(dev: Rendering, prod: Rendering) -> None:
    # A tmpfs anyone may write to (sticky), on EC2 and on Fargate alike (Fargate takes tmpfs mounts
    # since January 2026: ECS API reference, LinuxParameters.tmpfs). No bind mount: ECS would create
    # it root-owned 0755 unless the image declared VOLUME /tmp, which no image has to any more.
    for rendering, name in ((prod, "production-banana"), (dev, "dev-banana")):
        app = container(rendering, name)
        assert app["linuxParameters"]["tmpfs"] == [
            {"containerPath": "/tmp", "size": 512, "mountOptions": ["mode=1777"]}
        ]
        assert app["readonlyRootFilesystem"] is True and app["user"] == "1000"
        assert "mountPoints" not in app
        assert rendering.one("aws:ecs/taskDefinition:TaskDefinition").inputs.get("volumes", []) == []
    assert dev.one("aws:ecs/taskDefinition:TaskDefinition").inputs["requiresCompatibilities"] == ["FARGATE"]
    assert "VOLUME" not in (PROJECT_DIR / "examples" / "banana" / "Dockerfile").read_text()


def test_ecs_exec_with_a_read_only_root_is_refused(render_definition) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(BANANA + "    execCommand: true\n", ["dev"])
    (problem,) = caught.value.problems
    assert problem.endswith(
        "services.banana.execCommand: ECS Exec's agent must write to the container's filesystem, which AWS "
        "does not support with a read-only root; set readonlyRootFilesystem: false for this service to use it"
    )


def test_a_new_database_password_rolls_the_tasks(render_definition) -> None:
    # ECS reads secrets only when a task starts: the password's version is in the task definition.
    definition = BANANA + "    database: {name: banana, passwordVersion: %d}\n"
    labels = [
        container(render_definition(definition % version, ["dev"]), "dev-banana")["dockerLabels"]
        for version in (1, 2)
    ]
    assert labels == [
        {"muon.database-password-version": "generated-1"},
        {"muon.database-password-version": "generated-2"},
    ]
    from muon.plan.offline import MuonMocks

    mocks = MuonMocks()  # a customer's parameter, changed with `muon db password set` (version 3)
    mocks.existing_parameters["/muon/dev/banana/database/password"] = "s3cret-of-the-customer"
    rendering = render_definition(BANANA + "    database: {name: banana}\n", ["dev"], mocks=mocks)
    assert container(rendering, "dev-banana")["dockerLabels"] == {
        "muon.database-password-version": "parameter-3"
    }


def test_a_total_outage_alarms_to_the_environment_topic(dev: Rendering, prod: Rendering) -> None:
    topic = prod.outputs["environments"]["production"]["alarmTopicArn"]
    alarms = {a.inputs.get("name"): a.inputs for a in prod.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    tasks = alarms["muon-production-banana-no-tasks"]
    assert (tasks["namespace"], tasks["metricName"]) == ("ECS/ContainerInsights", "RunningTaskCount")
    targets = alarms["muon-production-banana-no-healthy-targets"]
    assert (targets["namespace"], targets["metricName"]) == ("AWS/ApplicationELB", "HealthyHostCount")
    for alarm in (tasks, targets):
        assert (alarm["comparisonOperator"], alarm["threshold"]) == ("LessThanThreshold", 1)
        assert alarm["treatMissingData"] == "breaching"  # no data at all is an outage too
        # It pages through the service's incident (composite) alarm: one incident, one page.
        assert alarm["alarmActions"] == alarm["okActions"] == []
    incident = prod.one("aws:cloudwatch/compositeAlarm:CompositeAlarm").inputs
    assert incident["alarmActions"] == incident["okActions"] == [topic]
    for name in ("muon-production-banana-no-tasks", "muon-production-banana-no-healthy-targets"):
        assert f'ALARM("{name}")' in incident["alarmRule"]
    balancer = alarms["muon-production-load-balancer-5xx"]
    assert (balancer["metricName"], balancer["alarmActions"]) == ("HTTPCode_ELB_5XX_Count", [topic])


def test_no_task_alarm_only_where_container_insights_counts_tasks(dev: Rendering) -> None:
    """Development leaves Container Insights off: RunningTaskCount does not exist there, and an
    alarm on it with missing data breaching would page forever."""
    (cluster,) = dev.of_type("aws:ecs/cluster:Cluster")
    assert cluster.inputs["settings"] == [{"name": "containerInsights", "value": "disabled"}]
    names = {a.inputs.get("name") for a in dev.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert "muon-dev-banana-no-healthy-targets" in names
    assert "muon-dev-banana-no-tasks" not in names


def test_a_service_awaiting_its_first_image_has_no_outage_alarm(render_definition) -> None:
    rendering = render_definition(BANANA, ["dev"], delivered=False)
    names = {a.inputs.get("name") for a in rendering.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert not {"muon-dev-banana-no-tasks", "muon-dev-banana-no-healthy-targets"} & names


def test_a_fresh_environment_asks_once_for_its_cluster_not_once_per_service(render_definition) -> None:
    """Before the first deploy no cluster exists, so no service runs anything to look up."""
    from muon.plan.offline import MuonMocks

    three = (
        BANANA
        + "  apple: {port: 8080, pathPatterns: [/apples]}\n  cherry: {port: 8080, pathPatterns: [/c]}\n"
    )
    fresh = MuonMocks()
    render_definition(three, ["dev"], mocks=fresh, delivered=False)
    tokens = [token for token, _ in fresh.calls]
    assert tokens.count("aws:ecs/getCluster:getCluster") == 1
    assert {"aws:ecs/getService:getService", "aws:ecs/getTaskDefinition:getTaskDefinition"}.isdisjoint(tokens)
    deployed = MuonMocks()
    deployed.deployed_images["muon-dev-banana"] = "repo@sha256:" + "e" * 64
    render_definition(three, ["dev"], mocks=deployed, delivered=False)
    looked_up = [
        (p["clusterArn"], p["serviceName"]) for t, p in deployed.calls if t == "aws:ecs/getService:getService"
    ]
    assert sorted(looked_up) == [("muon-dev", f"muon-dev-{s}") for s in ("apple", "banana", "cherry")]
    # Only the service that runs has a task definition to describe: the revision it runs.
    described = [
        p["taskDefinition"] for t, p in deployed.calls if t == "aws:ecs/getTaskDefinition:getTaskDefinition"
    ]
    assert described == ["arn:aws:ecs:us-east-1:123456789012:task-definition/muon-dev-banana:1"]
