"""A rendered resource's inputs as the API call that creates it, checked against botocore's models.

``CREATES`` maps a Pulumi type token to the service and operation the provider calls to create
the resource, and to a function turning the rendered inputs (camelCase, Pulumi's shapes) into that
operation's parameters. ``problems`` then checks the parameters against the operation's input
shape: types, required members, lengths and ranges (min and max: botocore's own validator checks
only minimums), enums and patterns (Smithy patterns are not anchored: ``re.search``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from botocore.model import Shape

from tests.aws_models import _model

Inputs = dict[str, Any]
Mapper = Callable[[Inputs], dict[str, Any]]


def _present(**members: Any) -> dict[str, Any]:
    return {k: v for k, v in members.items() if v is not None and v != {} and v != []}


def _tags(inputs: Inputs, key: str = "Key", value: str = "Value") -> list[dict[str, str]] | None:
    tags = inputs.get("tags")
    return [{key: k, value: v} for k, v in tags.items()] if isinstance(tags, dict) else None


def _task_definition(i: Inputs) -> dict[str, Any]:
    return _present(
        family=i.get("family"),
        containerDefinitions=json.loads(i["containerDefinitions"]),
        taskRoleArn=i.get("taskRoleArn"),
        executionRoleArn=i.get("executionRoleArn"),
        networkMode=i.get("networkMode"),
        requiresCompatibilities=i.get("requiresCompatibilities"),
        cpu=i.get("cpu"),
        memory=i.get("memory"),
        runtimePlatform=i.get("runtimePlatform"),
        volumes=i.get("volumes"),
        tags=_tags(i, "key", "value"),
    )


def _service(i: Inputs) -> dict[str, Any]:
    network = i.get("networkConfiguration") or {}
    return _present(
        serviceName=i.get("name"),
        cluster=i.get("cluster"),
        taskDefinition=i.get("taskDefinition"),
        desiredCount=i.get("desiredCount"),
        capacityProviderStrategy=i.get("capacityProviderStrategies"),
        healthCheckGracePeriodSeconds=i.get("healthCheckGracePeriodSeconds"),
        loadBalancers=i.get("loadBalancers"),
        enableExecuteCommand=i.get("enableExecuteCommand"),
        propagateTags=i.get("propagateTags"),
        platformVersion=i.get("platformVersion"),
        networkConfiguration=_present(
            awsvpcConfiguration=_present(
                subnets=network.get("subnets"),
                securityGroups=network.get("securityGroups"),
                assignPublicIp={True: "ENABLED", False: "DISABLED"}.get(network.get("assignPublicIp")),
            )
        ),
        deploymentConfiguration=_present(
            maximumPercent=i.get("deploymentMaximumPercent"),
            minimumHealthyPercent=i.get("deploymentMinimumHealthyPercent"),
        ),
        tags=_tags(i, "key", "value"),
    )


def _target_group(i: Inputs) -> dict[str, Any]:
    check = i.get("healthCheck") or {}
    return _present(
        Name=i.get("name") or "placeholder",
        Protocol=i.get("protocol"),
        Port=i.get("port"),
        VpcId=i.get("vpcId"),
        TargetType=i.get("targetType"),
        HealthCheckPath=check.get("path"),
        HealthCheckProtocol=check.get("protocol"),
        HealthCheckIntervalSeconds=check.get("interval"),
        HealthCheckTimeoutSeconds=check.get("timeout"),
        HealthyThresholdCount=check.get("healthyThreshold"),
        UnhealthyThresholdCount=check.get("unhealthyThreshold"),
        Matcher=_present(HttpCode=check.get("matcher")),
    )


def _listener_rule(i: Inputs) -> dict[str, Any]:
    fields = {
        "pathPattern": ("path-pattern", "PathPatternConfig"),
        "hostHeader": ("host-header", "HostHeaderConfig"),
        "sourceIp": ("source-ip", "SourceIpConfig"),
    }
    conditions = []
    for condition in i.get("conditions") or []:
        for key, (field, config) in fields.items():
            if key in condition:
                conditions.append({"Field": field, config: {"Values": condition[key]["values"]}})
    actions = [
        _present(Type=a.get("type"), TargetGroupArn=a.get("targetGroupArn"), Order=a.get("order"))
        for a in i.get("actions") or []
    ]
    return _present(
        ListenerArn=i.get("listenerArn"), Priority=i.get("priority"), Conditions=conditions, Actions=actions
    )


def _scaling_policy(i: Inputs) -> dict[str, Any]:
    tracking = i.get("targetTrackingScalingPolicyConfiguration")
    call = _present(
        PolicyName=i.get("name") or "placeholder",
        ServiceNamespace=i.get("serviceNamespace"),
        ResourceId=i.get("resourceId"),
        ScalableDimension=i.get("scalableDimension"),
        PolicyType=i.get("policyType"),
    )
    if tracking:
        predefined = tracking.get("predefinedMetricSpecification") or {}
        custom = tracking.get("customizedMetricSpecification") or {}
        call["TargetTrackingScalingPolicyConfiguration"] = _present(
            TargetValue=tracking.get("targetValue"),
            ScaleOutCooldown=tracking.get("scaleOutCooldown"),
            ScaleInCooldown=tracking.get("scaleInCooldown"),
            DisableScaleIn=tracking.get("disableScaleIn"),
            PredefinedMetricSpecification=_present(
                PredefinedMetricType=predefined.get("predefinedMetricType"),
                ResourceLabel=predefined.get("resourceLabel"),
            )
            or None,
            CustomizedMetricSpecification=_present(
                Namespace=custom.get("namespace"),
                MetricName=custom.get("metricName"),
                Statistic=custom.get("statistic"),
                Unit=custom.get("unit"),
                Dimensions=[{"Name": d["name"], "Value": d["value"]} for d in custom.get("dimensions") or []]
                or None,
            )
            or None,
        )
    return call


def _queue(i: Inputs) -> dict[str, Any]:
    attributes = {
        "VisibilityTimeout": i.get("visibilityTimeoutSeconds"),
        "MessageRetentionPeriod": i.get("messageRetentionSeconds"),
        "KmsMasterKeyId": i.get("kmsMasterKeyId"),
        "RedrivePolicy": i.get("redrivePolicy"),
        "DelaySeconds": i.get("delaySeconds"),
        "ReceiveMessageWaitTimeSeconds": i.get("receiveWaitTimeSeconds"),
    }
    return _present(
        QueueName=i.get("name") or "placeholder",
        Attributes={k: str(v) for k, v in attributes.items() if v is not None},
    )


def _function(i: Inputs) -> dict[str, Any]:
    variables = (i.get("environment") or {}).get("variables")
    logging = i.get("loggingConfig") or {}
    return _present(
        FunctionName=i.get("name") or "placeholder",
        Runtime=i.get("runtime"),
        Role=i.get("role"),
        Handler=i.get("handler"),
        Code={"ImageUri": i["imageUri"]} if i.get("imageUri") else {"ZipFile": b"zip"},
        MemorySize=i.get("memorySize"),
        Timeout=i.get("timeout"),
        PackageType=i.get("packageType"),
        Environment=_present(Variables=variables),
        KMSKeyArn=i.get("kmsKeyArn"),
        Architectures=i.get("architectures"),
        TracingConfig=_present(Mode=(i.get("tracingConfig") or {}).get("mode")),
        LoggingConfig=_present(LogFormat=logging.get("logFormat"), LogGroup=logging.get("logGroup")),
    )


def _role(i: Inputs) -> dict[str, Any]:
    return _present(
        RoleName=i.get("name") or "placeholder",
        Path=i.get("path"),
        AssumeRolePolicyDocument=i.get("assumeRolePolicy"),
        PermissionsBoundary=i.get("permissionsBoundary"),
        Description=i.get("description"),
        MaxSessionDuration=i.get("maxSessionDuration"),
        Tags=_tags(i),
    )


def _alarm(i: Inputs) -> dict[str, Any]:
    dimensions = [{"Name": k, "Value": v} for k, v in (i.get("dimensions") or {}).items()]
    queries = [
        _present(
            Id=q.get("id"),
            Expression=q.get("expression"),
            Label=q.get("label"),
            ReturnData=q.get("returnData"),
            MetricStat=_present(
                Metric=_present(
                    MetricName=(q.get("metric") or {}).get("metricName"),
                    Namespace=(q.get("metric") or {}).get("namespace"),
                    Dimensions=[
                        {"Name": k, "Value": v}
                        for k, v in ((q.get("metric") or {}).get("dimensions") or {}).items()
                    ],
                ),
                Period=(q.get("metric") or {}).get("period"),
                Stat=(q.get("metric") or {}).get("stat"),
            ),
        )
        for q in i.get("metricQueries") or []
    ]
    return _present(
        AlarmName=i.get("name") or "placeholder",
        AlarmDescription=i.get("alarmDescription"),
        ComparisonOperator=i.get("comparisonOperator"),
        EvaluationPeriods=i.get("evaluationPeriods"),
        DatapointsToAlarm=i.get("datapointsToAlarm"),
        MetricName=i.get("metricName"),
        Namespace=i.get("namespace"),
        Period=i.get("period"),
        Statistic=i.get("statistic"),
        ExtendedStatistic=i.get("extendedStatistic"),
        Threshold=i.get("threshold"),
        Dimensions=dimensions,
        Metrics=queries,
        AlarmActions=i.get("alarmActions"),
        OKActions=i.get("okActions"),
        TreatMissingData=i.get("treatMissingData"),
    )


def _schedule(i: Inputs) -> dict[str, Any]:
    target = i.get("target") or {}
    window = i.get("flexibleTimeWindow") or {}
    return _present(
        Name=i.get("name") or "placeholder",
        GroupName=i.get("groupName"),
        ScheduleExpression=i.get("scheduleExpression"),
        ScheduleExpressionTimezone=i.get("scheduleExpressionTimezone"),
        FlexibleTimeWindow=_present(
            Mode=window.get("mode"), MaximumWindowInMinutes=window.get("maximumWindowInMinutes")
        ),
        Target=_present(Arn=target.get("arn"), RoleArn=target.get("roleArn"), Input=target.get("input")),
        State=i.get("state"),
        KmsKeyArn=i.get("kmsKeyArn"),
    )


def _cluster(i: Inputs) -> dict[str, Any]:
    scaling = i.get("serverlessv2ScalingConfiguration") or {}
    return _present(
        DBClusterIdentifier=i.get("clusterIdentifier") or "placeholder",
        Engine=i.get("engine"),
        EngineVersion=i.get("engineVersion"),
        DatabaseName=i.get("databaseName"),
        MasterUsername=i.get("masterUsername"),
        Port=i.get("port"),
        PreferredBackupWindow=i.get("preferredBackupWindow"),
        PreferredMaintenanceWindow=i.get("preferredMaintenanceWindow"),
        BackupRetentionPeriod=i.get("backupRetentionPeriod"),
        StorageEncrypted=i.get("storageEncrypted"),
        KmsKeyId=i.get("kmsKeyId"),
        BacktrackWindow=i.get("backtrackWindow"),
        DeletionProtection=i.get("deletionProtection"),
        EnableIAMDatabaseAuthentication=i.get("iamDatabaseAuthenticationEnabled"),
        DBClusterParameterGroupName=i.get("dbClusterParameterGroupName"),
        DBSubnetGroupName=i.get("dbSubnetGroupName"),
        VpcSecurityGroupIds=i.get("vpcSecurityGroupIds"),
        EnableCloudwatchLogsExports=i.get("enabledCloudwatchLogsExports"),
        ServerlessV2ScalingConfiguration=_present(
            MinCapacity=scaling.get("minCapacity"),
            MaxCapacity=scaling.get("maxCapacity"),
            SecondsUntilAutoPause=scaling.get("secondsUntilAutoPause"),
        ),
    )


def _parameter(i: Inputs) -> dict[str, Any]:
    return _present(
        Name=i.get("name"), Type=i.get("type"), Value="[secret]", KeyId=i.get("keyId"),
        Description=i.get("description"), Tier=i.get("tier"),
    )  # fmt: skip


def _role_policy(i: Inputs) -> dict[str, Any]:
    return _present(RoleName=i.get("role") or "placeholder", PolicyName=i.get("name") or "placeholder",
                    PolicyDocument=i.get("policy"))  # fmt: skip


def _log_group(i: Inputs) -> dict[str, Any]:
    return _present(logGroupName=i.get("name") or "placeholder", kmsKeyId=i.get("kmsKeyId"))


def _bucket(i: Inputs) -> dict[str, Any]:
    return _present(Bucket=i.get("bucket") or "placeholder")


def _topic(i: Inputs) -> dict[str, Any]:
    attributes = _present(
        KmsMasterKeyId=i.get("kmsMasterKeyId"),
        FifoTopic="true" if i.get("fifoTopic") else None,
        ContentBasedDeduplication="true" if i.get("contentBasedDeduplication") else None,
    )
    return _present(Name=i.get("name") or "placeholder", Attributes=attributes, Tags=_tags(i))


def _subscription(i: Inputs) -> dict[str, Any]:
    attributes = _present(
        RawMessageDelivery="true" if i.get("rawMessageDelivery") else None,
        FilterPolicy=i.get("filterPolicy"),
        FilterPolicyScope=i.get("filterPolicyScope"),
    )
    return _present(
        TopicArn=i.get("topic"), Protocol=i.get("protocol"), Endpoint=i.get("endpoint"), Attributes=attributes
    )


def _table(i: Inputs) -> dict[str, Any]:
    def keys(shape: Inputs) -> list[dict[str, str]]:
        found = [{"AttributeName": shape["hashKey"], "KeyType": "HASH"}] if shape.get("hashKey") else []
        return found + (
            [{"AttributeName": shape["rangeKey"], "KeyType": "RANGE"}] if shape.get("rangeKey") else []
        )

    def index(shape: Inputs, table: Inputs) -> dict[str, Any]:
        projection = _present(
            ProjectionType=shape.get("projectionType"), NonKeyAttributes=shape.get("nonKeyAttributes")
        )
        throughput = (
            {"ReadCapacityUnits": shape["readCapacity"], "WriteCapacityUnits": shape["writeCapacity"]}
            if shape.get("readCapacity") is not None
            else None
        )
        own = (
            keys(shape)
            if shape.get("hashKey")
            else keys({"hashKey": table["hashKey"], "rangeKey": shape["rangeKey"]})
        )
        return _present(
            IndexName=shape.get("name"),
            KeySchema=own,
            Projection=projection,
            ProvisionedThroughput=throughput,
        )

    sse = i.get("serverSideEncryption") or {}
    return _present(
        TableName=i.get("name") or "placeholder",
        AttributeDefinitions=[{"AttributeName": a["name"], "AttributeType": a["type"]} for a in i.get("attributes", [])],
        KeySchema=keys(i),
        BillingMode=i.get("billingMode"),
        ProvisionedThroughput={"ReadCapacityUnits": i["readCapacity"], "WriteCapacityUnits": i["writeCapacity"]}
        if i.get("readCapacity") is not None
        else None,
        GlobalSecondaryIndexes=[index(g, i) for g in i.get("globalSecondaryIndexes") or []],
        LocalSecondaryIndexes=[index(g, i) for g in i.get("localSecondaryIndexes") or []],
        StreamSpecification=_present(StreamEnabled=i.get("streamEnabled"), StreamViewType=i.get("streamViewType")),
        SSESpecification=_present(Enabled=sse.get("enabled"), SSEType="KMS", KMSMasterKeyId=sse.get("kmsKeyArn")),
        DeletionProtectionEnabled=i.get("deletionProtectionEnabled"),
        Tags=_tags(i),
    )  # fmt: skip


# What the provider sends where the mocks resolved another resource's id (theirs are not AWS-shaped):
# an EFS id, a KMS key ARN, and the idempotency token the provider generates itself.
_FILE_SYSTEM_ID = "fs-0123456789abcdef0"
_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"


def _file_system(i: Inputs) -> dict[str, Any]:
    return _present(CreationToken=i.get("creationToken") or "placeholder", PerformanceMode=i.get("performanceMode"),
                    Encrypted=i.get("encrypted"), KmsKeyId=_KEY_ARN if i.get("kmsKeyId") else None,
                    ThroughputMode=i.get("throughputMode"), Tags=_tags(i))  # fmt: skip


def _access_point(i: Inputs) -> dict[str, Any]:
    user, root = i.get("posixUser") or {}, i.get("rootDirectory") or {}
    info = root.get("creationInfo") or {}
    return _present(
        ClientToken="placeholder",
        FileSystemId=_FILE_SYSTEM_ID if i.get("fileSystemId") else None,
        PosixUser=_present(Uid=user.get("uid"), Gid=user.get("gid")),
        RootDirectory=_present(
            Path=root.get("path"),
            CreationInfo=_present(OwnerUid=info.get("ownerUid"), OwnerGid=info.get("ownerGid"), Permissions=info.get("permissions")),
        ),
    )  # fmt: skip


CREATES: dict[str, tuple[str, str, Mapper]] = {
    "aws:dynamodb/table:Table": ("dynamodb", "CreateTable", _table),
    "aws:efs/fileSystem:FileSystem": ("efs", "CreateFileSystem", _file_system),
    "aws:efs/accessPoint:AccessPoint": ("efs", "CreateAccessPoint", _access_point),
    "aws:ecs/taskDefinition:TaskDefinition": ("ecs", "RegisterTaskDefinition", _task_definition),
    "aws:ecs/service:Service": ("ecs", "CreateService", _service),
    "aws:lb/targetGroup:TargetGroup": ("elbv2", "CreateTargetGroup", _target_group),
    "aws:lb/listenerRule:ListenerRule": ("elbv2", "CreateRule", _listener_rule),
    "aws:appautoscaling/policy:Policy": ("application-autoscaling", "PutScalingPolicy", _scaling_policy),
    "aws:sqs/queue:Queue": ("sqs", "CreateQueue", _queue),
    "aws:lambda/function:Function": ("lambda", "CreateFunction", _function),
    "aws:iam/role:Role": ("iam", "CreateRole", _role),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("cloudwatch", "PutMetricAlarm", _alarm),
    "aws:scheduler/schedule:Schedule": ("scheduler", "CreateSchedule", _schedule),
    "aws:rds/cluster:Cluster": ("rds", "CreateDBCluster", _cluster),
    "aws:s3/bucket:Bucket": ("s3", "CreateBucket", _bucket),
    "aws:ssm/parameter:Parameter": ("ssm", "PutParameter", _parameter),
    "aws:cloudwatch/logGroup:LogGroup": ("logs", "CreateLogGroup", _log_group),
    "aws:iam/rolePolicy:RolePolicy": ("iam", "PutRolePolicy", _role_policy),
    "aws:sns/topic:Topic": ("sns", "CreateTopic", _topic),
    "aws:sns/topicSubscription:TopicSubscription": ("sns", "Subscribe", _subscription),
}
"""Pulumi type token → (botocore service, operation, inputs → parameters)."""

INLINE_POLICY_QUOTA = 10_240
S3_BUCKET = re.compile(r"^(?!xn--|sthree-)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
"""S3 user guide, "General purpose bucket naming rules" (the model has no pattern for Bucket)."""


@cache
def _pattern(expression: str) -> re.Pattern[str] | None:
    try:
        return re.compile(expression)
    except re.error:  # a Java-only construct: the model's pattern cannot be checked here
        return None


def _type_problem(shape: Shape, value: Any, path: str) -> str | None:
    expected = {
        "string": str, "integer": int, "long": int, "boolean": bool, "double": (int, float), "float": (int, float),
        "structure": dict, "list": list, "map": dict, "blob": (bytes, str), "timestamp": (str, int),
    }.get(shape.type_name)  # fmt: skip
    wrong = expected is not None and (
        not isinstance(value, expected) or (shape.type_name != "boolean" and isinstance(value, bool))
    )
    return f"{path}: {value!r:.60} is not a {shape.type_name}" if wrong else None


def _bounds(shape: Shape, value: Any, path: str) -> list[str]:
    meta, problems = shape.metadata, []
    size = (
        value
        if shape.type_name in ("integer", "long", "double", "float")
        else len(value)
        if hasattr(value, "__len__")
        else None
    )
    if size is None:
        return []
    what = "" if shape.type_name in ("integer", "long", "double", "float") else "length "
    if "min" in meta and size < meta["min"]:
        problems.append(f"{path}: {what}{size} is under {meta['min']}")
    if "max" in meta and size > meta["max"]:
        problems.append(f"{path}: {what}{size} is over {meta['max']}")
    if shape.type_name == "string":
        if shape.enum and value not in shape.enum:
            problems.append(f"{path}: {value!r:.60} is not one of {shape.enum[:8]}")
        expression = _pattern(meta["pattern"]) if "pattern" in meta else None
        if expression is not None and not expression.search(value):
            problems.append(f"{path}: {value!r:.60} does not match {meta['pattern']}")
    return problems


def problems(shape: Shape, value: Any, path: str) -> list[str]:
    """Why AWS would refuse ``value`` for ``shape`` (as far as its model says)."""
    if value is None:
        return []
    wrong = _type_problem(shape, value, path)
    if wrong:
        return [wrong]
    found = _bounds(shape, value, path)
    if shape.type_name == "structure":
        found += [f"{path}.{name}: required" for name in shape.required_members if value.get(name) is None]
        for key, item in value.items():
            found += (
                problems(shape.members[key], item, f"{path}.{key}")
                if key in shape.members
                else [f"{path}.{key}: unknown"]
            )
    elif shape.type_name == "list":
        for index, item in enumerate(value):
            found += problems(shape.member, item, f"{path}[{index}]")
    elif shape.type_name == "map":
        for key, item in value.items():
            found += problems(shape.key, key, f"{path} key") + problems(shape.value, item, f"{path}.{key}")
    return found


def call_problems(token: str, inputs: Inputs) -> list[str]:
    """What the create call of a ``token`` resource with ``inputs`` would be refused for."""
    service, operation, mapper = CREATES[token]
    params = mapper(inputs)
    found = problems(_model(service).operation_model(operation).input_shape, params, operation)
    if (
        token == "aws:s3/bucket:Bucket"
        and params["Bucket"] != "placeholder"
        and not S3_BUCKET.match(params["Bucket"])
    ):
        found.append(f"CreateBucket.Bucket: {params['Bucket']!r} breaks S3's bucket naming rules")
    if token == "aws:iam/rolePolicy:RolePolicy" and isinstance(params.get("PolicyDocument"), str):
        # IAM and AWS STS quotas: a role's inline policies, 10,240 characters without whitespace
        # (the model says 131,072: the document's own limit, not the role's quota).
        size = len(re.sub(r"\s", "", params["PolicyDocument"]))
        if size > INLINE_POLICY_QUOTA:
            found.append(
                f"PutRolePolicy.PolicyDocument: {size} characters; a role's inline policies take 10,240"
            )
    return found
