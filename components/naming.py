"""Physical names that AWS accepts: every type muon creates, its name's limit, and names composed to fit.

Pulumi names a resource with no explicit name ``<logical name>-<7 random characters>``; AWS then
checks length and characters at creation, halfway through an update. ``NAME_RULES`` lists, for every
resource type muon creates, where its physical name is and what AWS accepts (the API references and
botocore's models: ``max``/``pattern`` of the Create call's name parameter). The tests render the
longest names the definition accepts and hold every resource to this table, and a type missing from
it fails them: the next resource type has to be classified too.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

AUTONAME_SUFFIX = 8
"""``-`` plus the 7 random characters Pulumi appends to an automatic name."""


@dataclass(frozen=True)
class NameRule:
    key: str | None
    """The input holding the physical name; None: the type has no name of its own."""
    limit: int = 0
    pattern: str = ""
    """What AWS accepts, as a full-match regular expression ("" = any printable text)."""
    autonamed: bool = False
    """Pulumi names it ``<logical>-<random>`` when ``key`` is not set."""
    lowercase: bool = False


_IAM = r"[\w+=,.@-]+"
_ALNUM_DASH = r"[A-Za-z0-9-]+"
_TARGET_GROUP = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"  # no leading or trailing '-'
_LOAD_BALANCER = r"(?!internal-)" + _TARGET_GROUP  # AWS reserves the prefix of internal load balancers
_RDS = r"[a-z](?:-?[a-z0-9])*"  # a letter first, no '--', no trailing '-'
_NONE = NameRule(None)

NAME_RULES: dict[str, NameRule] = {
    "aws:accessanalyzer/analyzer:Analyzer": NameRule("analyzerName", 255, r"[A-Za-z][A-Za-z0-9_.-]*"),
    "aws:acm/certificate:Certificate": _NONE,
    "aws:acm/certificateValidation:CertificateValidation": _NONE,
    "aws:apigatewayv2/api:Api": NameRule("name", 128),
    "aws:apigatewayv2/apiMapping:ApiMapping": _NONE,
    "aws:apigatewayv2/domainName:DomainName": NameRule("domainName", 253, r"[a-z0-9.-]+"),
    "aws:apigatewayv2/integration:Integration": _NONE,
    "aws:apigatewayv2/route:Route": _NONE,
    "aws:apigatewayv2/stage:Stage": NameRule("name", 128, r"\$default|[A-Za-z0-9_-]+"),
    "aws:appautoscaling/policy:Policy": NameRule("name", 255, autonamed=True),
    "aws:appautoscaling/scheduledAction:ScheduledAction": NameRule("name", 255, r"[^:/|]+", autonamed=True),
    "aws:appautoscaling/target:Target": _NONE,
    "aws:autoscaling/group:Group": NameRule("name", 255, autonamed=True),
    "aws:backup/plan:Plan": NameRule("name", 50, r"[A-Za-z0-9_.-]+"),
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": NameRule("name", 50, r"[A-Za-z][A-Za-z0-9_]*"),
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": NameRule(
        "name", 50, r"[A-Za-z][A-Za-z0-9_]*"
    ),
    "aws:backup/selection:Selection": NameRule("name", 50, r"[A-Za-z0-9_.-]+"),
    "aws:backup/vault:Vault": NameRule("name", 50, r"[A-Za-z0-9_-]+"),
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": _NONE,
    "aws:cfg/configurationAggregator:ConfigurationAggregator": NameRule("name", 256, r"[\w-]+"),
    "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": NameRule(
        "configurationName", 128, r"[A-Za-z0-9_-]+"
    ),
    "aws:cloudformation/stackSet:StackSet": NameRule("name", 128, r"[A-Za-z][A-Za-z0-9-]*"),
    "aws:cloudformation/stackSetInstance:StackSetInstance": _NONE,
    "aws:cloudfront/distribution:Distribution": _NONE,  # CloudFront names it (E…); the comment is free text
    "aws:cloudfront/originAccessControl:OriginAccessControl": NameRule("name", 64),
    "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy": NameRule("name", 128, r"[A-Za-z0-9_-]+"),
    "aws:cloudtrail/trail:Trail": NameRule("name", 128, r"[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]"),
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": NameRule("alarmName", 255),
    "aws:cloudwatch/dashboard:Dashboard": NameRule("dashboardName", 255, r"[A-Za-z0-9_-]+"),
    "aws:cloudwatch/eventRule:EventRule": NameRule("name", 64, r"[.\-_A-Za-z0-9]+", autonamed=True),
    "aws:cloudwatch/eventTarget:EventTarget": _NONE,
    "aws:cloudwatch/logGroup:LogGroup": NameRule("name", 512, r"[.\-_/#A-Za-z0-9]+", autonamed=True),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": NameRule("policyName", 255),
    "aws:cloudwatch/metricAlarm:MetricAlarm": NameRule("name", 255, autonamed=True),
    "aws:codebuild/project:Project": NameRule("name", 150, r"[A-Za-z0-9][A-Za-z0-9_-]{1,149}"),
    "aws:codepipeline/pipeline:Pipeline": NameRule("name", 100, r"[A-Za-z0-9.@_-]+"),
    "aws:codedeploy/application:Application": NameRule("name", 100, r"[A-Za-z0-9+=,.@_-]+"),
    "aws:codedeploy/deploymentGroup:DeploymentGroup": NameRule(
        "deploymentGroupName", 100, r"[A-Za-z0-9+=,.@_-]+"
    ),
    "aws:codestarnotifications/notificationRule:NotificationRule": NameRule("name", 64, r"[A-Za-z0-9_ -]+"),
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": _NONE,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _NONE,
    "aws:ec2/eip:Eip": _NONE,
    "aws:ec2/flowLog:FlowLog": _NONE,
    "aws:ec2/internetGateway:InternetGateway": _NONE,
    "aws:ec2/instance:Instance": _NONE,
    "pulumi:pulumi:StackReference": _NONE,  # a read of another stack's outputs  # named by its Name tag only
    "aws:ec2/launchTemplate:LaunchTemplate": NameRule("name", 128, r"[a-zA-Z0-9().\-/_]+", autonamed=True),
    "aws:ec2/natGateway:NatGateway": _NONE,
    "aws:ec2/networkAcl:NetworkAcl": _NONE,
    "aws:ec2/route:Route": _NONE,
    "aws:ec2/routeTable:RouteTable": _NONE,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _NONE,
    "aws:ec2/securityGroup:SecurityGroup": NameRule("name", 255, autonamed=True),
    "aws:ec2/subnet:Subnet": _NONE,
    # DynamoDB API reference, CreateTable: TableName 3 to 255 of [a-zA-Z0-9_.-].
    "aws:dynamodb/table:Table": NameRule("name", 255, r"[a-zA-Z0-9_.-]{3,255}"),
    "aws:efs/accessPoint:AccessPoint": _NONE,
    # EFS API reference, CreateFileSystem: CreationToken 1 to 64 characters (idempotency, and the
    # Name tag muon gives it).
    "aws:efs/fileSystem:FileSystem": NameRule("creationToken", 64, r".{1,64}"),
    "aws:efs/fileSystemPolicy:FileSystemPolicy": _NONE,
    "aws:efs/mountTarget:MountTarget": _NONE,
    "aws:ec2/vpc:Vpc": _NONE,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _NONE,
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": _NONE,
    "aws:ecr/repository:Repository": NameRule(
        "name", 256, r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*"
    ),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": _NONE,
    "aws:ecs/accountSettingDefault:AccountSettingDefault": _NONE,  # an account setting: AWS names it
    "aws:ecs/capacityProvider:CapacityProvider": NameRule("name", 255, r"(?!aws|ecs|fargate)[A-Za-z0-9_-]+"),
    "aws:ecs/cluster:Cluster": NameRule("name", 255, r"[A-Za-z0-9_-]+"),
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": _NONE,
    "aws:ecs/service:Service": NameRule("name", 255, r"[A-Za-z0-9_-]+"),
    "aws:ecs/taskDefinition:TaskDefinition": NameRule("family", 255, r"[A-Za-z0-9_-]+"),
    "aws:guardduty/detector:Detector": _NONE,
    "aws:guardduty/organizationAdminAccount:OrganizationAdminAccount": _NONE,
    "aws:guardduty/organizationConfiguration:OrganizationConfiguration": _NONE,
    "aws:iam/instanceProfile:InstanceProfile": NameRule("name", 128, _IAM, autonamed=True),
    "aws:iam/policy:Policy": NameRule("name", 128, _IAM, autonamed=True),
    "aws:iam/role:Role": NameRule("name", 64, _IAM, autonamed=True),
    "aws:iam/rolePolicy:RolePolicy": NameRule("name", 128, _IAM, autonamed=True),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _NONE,
    "aws:kms/alias:Alias": NameRule("name", 256, r"alias/[A-Za-z0-9:/_-]+"),
    "aws:kms/key:Key": _NONE,
    # Lambda: a function name is 64 characters at most (Lambda quotas; the API's 140 counts an ARN).
    "aws:lambda/alias:Alias": NameRule("name", 128, r"[A-Za-z0-9_-]+"),
    "aws:lambda/eventSourceMapping:EventSourceMapping": _NONE,
    "aws:lambda/function:Function": NameRule("name", 64, r"[A-Za-z0-9_-]+"),
    "aws:lambda/permission:Permission": _NONE,
    "aws:lb/listener:Listener": _NONE,
    "aws:lb/listenerRule:ListenerRule": _NONE,
    "aws:lb/loadBalancer:LoadBalancer": NameRule("name", 32, _LOAD_BALANCER, autonamed=True),
    "aws:lb/targetGroup:TargetGroup": NameRule("name", 32, _TARGET_GROUP, autonamed=True),
    "aws:organizations/account:Account": NameRule("name", 50, r"[\x20-\x7e]+"),
    "aws:organizations/delegatedAdministrator:DelegatedAdministrator": _NONE,
    "aws:organizations/organization:Organization": _NONE,
    "aws:organizations/organizationalUnit:OrganizationalUnit": NameRule("name", 128),
    "aws:organizations/policy:Policy": NameRule("name", 128),
    "aws:organizations/policyAttachment:PolicyAttachment": _NONE,
    "aws:rds/cluster:Cluster": NameRule("clusterIdentifier", 63, _RDS),
    "aws:rds/clusterInstance:ClusterInstance": NameRule("identifier", 63, _RDS),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": NameRule(
        "name", 255, r"[a-z](?:-?[a-z0-9])*", autonamed=True, lowercase=True
    ),
    "aws:rds/eventSubscription:EventSubscription": NameRule("name", 255, _ALNUM_DASH),
    "aws:rds/instance:Instance": NameRule("identifier", 63, _RDS),
    "aws:rds/parameterGroup:ParameterGroup": NameRule(
        "name", 255, r"[a-z](?:-?[a-z0-9])*", autonamed=True, lowercase=True
    ),
    "aws:rds/subnetGroup:SubnetGroup": NameRule(
        "name", 255, r"[a-z0-9 ._-]+", autonamed=True, lowercase=True
    ),
    "aws:route53/record:Record": NameRule("name", 253, r"[A-Za-z0-9_*.-]+\.?"),
    "aws:route53/zone:Zone": NameRule("name", 253, r"[a-z0-9.-]+"),
    "aws:s3/bucket:Bucket": NameRule(
        "bucket", 63, r"[a-z0-9][a-z0-9.-]*[a-z0-9]", autonamed=True, lowercase=True
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _NONE,
    "aws:s3/bucketLogging:BucketLogging": _NONE,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _NONE,
    "aws:s3/bucketPolicy:BucketPolicy": _NONE,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _NONE,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _NONE,
    "aws:s3/bucketVersioning:BucketVersioning": _NONE,
    "aws:securityhub/account:Account": _NONE,
    # Security Hub API: "Alphanumeric characters and -, ., !, *, /"; the model states no length, muon
    # keeps its names within 128.
    "aws:securityhub/configurationPolicy:ConfigurationPolicy": NameRule("name", 128, r"[A-Za-z0-9.!*/-]+"),
    "aws:securityhub/configurationPolicyAssociation:ConfigurationPolicyAssociation": _NONE,
    "aws:securityhub/findingAggregator:FindingAggregator": _NONE,
    "aws:securityhub/organizationAdminAccount:OrganizationAdminAccount": _NONE,
    "aws:securityhub/organizationConfiguration:OrganizationConfiguration": _NONE,
    "aws:securityhub/standardsSubscription:StandardsSubscription": _NONE,
    # SNS CreateTopic: a FIFO topic's name ends ".fifo" (within the 256 characters).
    "aws:sns/topic:Topic": NameRule("name", 256, r"[A-Za-z0-9_-]+(?:\.fifo)?", autonamed=True),
    "aws:sns/topicPolicy:TopicPolicy": _NONE,
    "aws:sns/topicSubscription:TopicSubscription": _NONE,
    "aws:ssm/parameter:Parameter": NameRule("name", 2048, r"[A-Za-z0-9_.\-/]+"),
    "aws:ssm/association:Association": NameRule("associationName", 128, r"[a-zA-Z0-9_.-]{3,128}"),
    "aws:sqs/queue:Queue": NameRule("name", 80, r"[A-Za-z0-9_-]+", autonamed=True),
    "aws:sqs/queuePolicy:QueuePolicy": _NONE,
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": _NONE,
    "aws:sfn/stateMachine:StateMachine": NameRule("name", 80, r"[A-Za-z0-9_-]+", autonamed=True),
    "aws:scheduler/schedule:Schedule": NameRule("name", 64, r"[0-9a-zA-Z_.-]+", autonamed=True),
    "aws:servicediscovery/httpNamespace:HttpNamespace": NameRule("name", 1024, r"[!-~]+"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _NONE,
    # Explicit providers (the org stack's, into the security and log-archive accounts): no AWS name.
    "pulumi:providers:aws": _NONE,
    "aws:wafv2/webAcl:WebAcl": NameRule("name", 128, r"[\w-]+"),
    "aws:wafv2/webAclAssociation:WebAclAssociation": _NONE,
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": _NONE,
    "docker-build:index:Image": _NONE,
    "pulumi-python:dynamic:Resource": _NONE,
    "random:index/randomId:RandomId": _NONE,
    "random:index/randomPassword:RandomPassword": _NONE,
}


LEGACY_NAMESPACE = "muon"


def scoped(namespace: str, readable: str) -> str:
    """``readable`` led by the namespace, for names AWS keeps unique per account and region that
    muon shortens with a hash (load balancers, target groups) — except in ``muon``, the namespace
    of every project before namespaces existed, whose resources keep the names they have."""
    return readable if namespace == LEGACY_NAMESPACE else f"{namespace}-{readable}"


def fit(name: str, limit: int) -> str:
    """``name`` if it fits, else its readable start and a hash of the whole: stable and unique."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[: limit - 7].rstrip('-')}-{digest}"


def unique_name(readable: str, limit: int, *identity: object) -> str:
    """A name that changes exactly when ``identity`` does (what forces AWS to replace the
    resource), so the replacement never collides with the resource it replaces."""
    digest = hashlib.sha256("/".join(map(str, (readable, *identity))).encode()).hexdigest()[:6]
    return f"{readable[: limit - 7].rstrip('-')}-{digest}"


def physical_name(type_token: str, logical_name: str, inputs: dict[str, object]) -> str | None:
    """The name AWS will see: the explicit input, or Pulumi's automatic name at its longest."""
    rule = NAME_RULES[type_token]
    if rule.key is None:
        return None
    explicit = inputs.get(rule.key)
    if isinstance(explicit, str):
        return explicit
    if not rule.autonamed:
        return None
    automatic = f"{logical_name}-{'x' * (AUTONAME_SUFFIX - 1)}"
    return automatic.lower() if rule.lowercase else automatic


def name_problem(type_token: str, name: str) -> str | None:
    rule = NAME_RULES[type_token]
    if len(name) > rule.limit:
        return f"{len(name)} characters, over AWS's {rule.limit}"
    if rule.pattern and not re.fullmatch(rule.pattern, name):
        return f"not accepted by AWS (expected {rule.pattern})"
    return None
