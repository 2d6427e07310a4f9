"""muon's table of replace-on-change inputs: which input, changed, makes the provider replace a
resource (delete and create it) instead of updating it — and, for the types that hold data, what
the replacement or a deletion loses.

Built from the provider's schema: the Terraform AWS provider's resource schemas, which pulumi-aws
bridges, mark these inputs ``ForceNew: true`` (the source file is named per type: hashicorp/
terraform-provider-aws, ``internal/service/...``); the random provider's resources replace on any
change of their inputs (hashicorp/terraform-provider-random, ``RequiresReplace`` on every
attribute). Input names are Pulumi's (camelCase), as the offline plan and ``pulumi preview --json``
record them. Only inputs muon sets or a definition can change are listed; a type missing here is
judged "updated" by the offline diff (``pulumi preview`` knows better, and ``muon preview``
classifies what it says).
"""

from __future__ import annotations

from dataclasses import dataclass

_TF = "terraform-provider-aws internal/service/"


@dataclass(frozen=True)
class ReplaceRule:
    forces: tuple[str, ...]
    """Inputs whose change replaces the resource."""
    source: str
    """Where the provider says so."""
    holds: str = ""
    """What a replacement or deletion loses ("" for a resource that holds no data)."""


STATEFUL: dict[str, ReplaceRule] = {
    "aws:rds/cluster:Cluster": ReplaceRule(
        (
            "clusterIdentifier",
            "engine",
            "engineMode",
            "databaseName",
            "masterUsername",
            "kmsKeyId",
            "storageEncrypted",
            "dbSubnetGroupName",
            "availabilityZones",
            "snapshotIdentifier",
            "clusterScalabilityType",
            "dbSystemId",
            "sourceRegion",
        ),
        _TF + "rds/cluster.go",
        "the database",
    ),
    "aws:rds/instance:Instance": ReplaceRule(
        # ``identifier`` changes in place since provider v5 (terraform-provider-aws PR #32687).
        (
            "engine",
            "dbName",
            "username",
            "kmsKeyId",
            "storageEncrypted",
            "availabilityZone",
            "characterSetName",
            "ncharCharacterSetName",
            "timezone",
            "snapshotIdentifier",
        ),
        _TF + "rds/instance.go",
        "the database",
    ),
    "aws:kms/key:Key": ReplaceRule(
        ("customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"),
        _TF + "kms/key.go",
        "everything it encrypted: logs, parameters, databases, their snapshots and backups",
    ),
    "aws:cloudwatch/logGroup:LogGroup": ReplaceRule(
        ("name", "namePrefix", "logGroupClass"), _TF + "logs/group.go", "its events"
    ),
    "aws:ssm/parameter:Parameter": ReplaceRule(
        ("name", "dataType"), _TF + "ssm/parameter.go", "its value (a database's password)"
    ),
    "aws:s3/bucket:Bucket": ReplaceRule(
        ("bucket", "bucketPrefix", "objectLockEnabled"), _TF + "s3/bucket.go", "its objects"
    ),
    "aws:ecr/repository:Repository": ReplaceRule(
        ("name", "encryptionConfigurations"), _TF + "ecr/repository.go", "its images"
    ),
    "aws:backup/vault:Vault": ReplaceRule(
        ("name", "kmsKeyArn"), _TF + "backup/vault.go", "its recovery points"
    ),
    "aws:sqs/queue:Queue": ReplaceRule(
        ("name", "namePrefix", "fifoQueue"), _TF + "sqs/queue.go", "the messages in it"
    ),
    "aws:dynamodb/table:Table": ReplaceRule(
        # An LSI exists only from the table's creation: changing one replaces the table.
        ("name", "hashKey", "rangeKey", "localSecondaryIndexes"),
        _TF + "dynamodb/table.go",
        "its items (a service's own table)",
    ),
    "aws:efs/fileSystem:FileSystem": ReplaceRule(
        ("creationToken", "encrypted", "kmsKeyId", "performanceMode", "availabilityZoneName"),
        _TF + "efs/file_system.go",
        "its files (a service's own volume)",
    ),
    "aws:route53/zone:Zone": ReplaceRule(
        ("name", "delegationSetId"), _TF + "route53/zone.go", "its records and its name servers (delegation)"
    ),
    "aws:organizations/account:Account": ReplaceRule(
        ("name", "email", "iamUserAccessToBilling", "roleName"),
        _TF + "organizations/account.go",
        "the account and everything in it",
    ),
}
"""The types that hold data: a replacement or a deletion loses what ``holds`` says."""

SNAPSHOTTED = ("aws:rds/cluster:Cluster", "aws:rds/instance:Instance")
"""Deleted after a final snapshot — when the state they are deleted from says so: the provider
reads ``skip_final_snapshot`` and ``final_snapshot_identifier`` from the state at deletion, and an
update changes them in the state only (terraform-provider-aws internal/service/rds/cluster.go,
``resourceClusterDelete``; instance.go, ``resourceInstanceDelete``; ``ModifyDBCluster`` does not
carry them)."""

STATELESS: dict[str, ReplaceRule] = {
    # What a replacement of these carries to the stateful resources that use them.
    "aws:rds/subnetGroup:SubnetGroup": ReplaceRule(("name", "namePrefix"), _TF + "rds/subnet_group.go"),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": ReplaceRule(
        ("family", "name", "namePrefix", "description"), _TF + "rds/cluster_parameter_group.go"
    ),
    "aws:rds/parameterGroup:ParameterGroup": ReplaceRule(
        ("family", "name", "namePrefix", "description"), _TF + "rds/parameter_group.go"
    ),
    "aws:rds/clusterInstance:ClusterInstance": ReplaceRule(
        (
            "identifier",
            "identifierPrefix",
            "clusterIdentifier",
            "engine",
            "availabilityZone",
            "dbSubnetGroupName",
        ),
        _TF + "rds/cluster_instance.go",
    ),
    "aws:ec2/vpc:Vpc": ReplaceRule(("cidrBlock", "instanceTenancy"), _TF + "ec2/vpc_.go"),
    "aws:ec2/subnet:Subnet": ReplaceRule(
        ("vpcId", "cidrBlock", "availabilityZone"), _TF + "ec2/vpc_subnet.go"
    ),
    "aws:ec2/securityGroup:SecurityGroup": ReplaceRule(
        ("name", "namePrefix", "description", "vpcId"), _TF + "ec2/vpc_security_group.go"
    ),
    "aws:ecs/cluster:Cluster": ReplaceRule(("name",), _TF + "ecs/cluster.go"),
    "aws:ecs/service:Service": ReplaceRule(("name", "cluster", "launchType"), _TF + "ecs/service.go"),
    "aws:lb/targetGroup:TargetGroup": ReplaceRule(
        ("name", "namePrefix", "port", "protocol", "vpcId", "targetType"), _TF + "elbv2/target_group.go"
    ),
    # A rule belongs to its listener: a service moved to another load balancer gets a new rule.
    "aws:lb/listenerRule:ListenerRule": ReplaceRule(("listenerArn",), _TF + "elbv2/listener_rule.go"),
    "aws:efs/accessPoint:AccessPoint": ReplaceRule(
        ("fileSystemId", "posixUser", "rootDirectory"), _TF + "efs/access_point.go"
    ),
    "aws:efs/mountTarget:MountTarget": ReplaceRule(
        ("fileSystemId", "subnetId", "ipAddress"), _TF + "efs/mount_target.go"
    ),
    "aws:kms/alias:Alias": ReplaceRule(("name", "namePrefix"), _TF + "kms/alias.go"),
    "aws:ecs/taskDefinition:TaskDefinition": ReplaceRule(
        # A task definition is immutable: any change is a new revision.
        (
            "family",
            "containerDefinitions",
            "cpu",
            "memory",
            "executionRoleArn",
            "taskRoleArn",
            "networkMode",
            "requiresCompatibilities",
            "volumes",
            "runtimePlatform",
            "ephemeralStorage",
        ),
        _TF + "ecs/task_definition.go",
    ),
    "aws:iam/role:Role": ReplaceRule(("name", "namePrefix", "path"), _TF + "iam/role.go"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ReplaceRule(("name",), _TF + "cloudwatch/metric_alarm.go"),
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": ReplaceRule(
        ("alarmName",), _TF + "cloudwatch/composite_alarm.go"
    ),
    "aws:cloudwatch/eventRule:EventRule": ReplaceRule(
        ("name", "namePrefix", "eventBusName"), _TF + "events/rule.go"
    ),
    "aws:cloudwatch/eventTarget:EventTarget": ReplaceRule(
        ("rule", "targetId", "eventBusName"), _TF + "events/target.go"
    ),
    # A new topic starts without subscriptions (muon makes them again; e-mail ones wait for their
    # confirmation again): messages published meanwhile reach nobody.
    "aws:sns/topic:Topic": ReplaceRule(("name", "namePrefix", "fifoTopic"), _TF + "sns/topic.go"),
    "aws:sns/topicSubscription:TopicSubscription": ReplaceRule(
        ("topic", "protocol", "endpoint"), _TF + "sns/topic_subscription.go"
    ),
    "aws:sns/topicPolicy:TopicPolicy": ReplaceRule(("arn",), _TF + "sns/topic_policy.go"),
    "aws:sqs/queuePolicy:QueuePolicy": ReplaceRule(("queueUrl",), _TF + "sqs/queue_policy.go"),
    "random:index/randomPassword:RandomPassword": ReplaceRule(
        (
            "length",
            "special",
            "upper",
            "lower",
            "numeric",
            "overrideSpecial",
            "keepers",
            "minLower",
            "minUpper",
            "minNumeric",
            "minSpecial",
        ),
        "terraform-provider-random internal/provider/resource_password.go",
    ),
    "random:index/randomId:RandomId": ReplaceRule(
        ("byteLength", "keepers", "prefix"), "terraform-provider-random internal/provider/resource_id.go"
    ),
}
"""Types that hold no data, whose replacement matters to those that do (a database follows its
subnet group into a new VPC) or is worth saying (an ECS service's new name replaces it)."""

MOVES_WITH_SUBNETS = {"aws:rds/subnetGroup:SubnetGroup": "subnetIds"}
"""An input AWS updates in place only within one VPC: a DB subnet group in use cannot take subnets
of another VPC (RDS ModifyDBSubnetGroup, "InvalidSubnet"), so new subnets (a replaced VPC) replace
the group — and the database in it (``dbSubnetGroupName``)."""


def rule(type_token: str) -> ReplaceRule | None:
    return STATEFUL.get(type_token) or STATELESS.get(type_token)


def forcing(type_token: str, changed: set[str]) -> list[str]:
    """The changed inputs that replace a resource of ``type_token``, in the table's order."""
    found = rule(type_token)
    return [key for key in found.forces if key in changed] if found else []
