"""Compliance controls as checks over rendered resources (the list: docs/compliance.md).

Each rule reads resources the way the provider receives them (type token, logical name,
camelCase inputs) and returns findings. They run on the offline plan, so a default that breaks a
control fails a test here rather than an audit later. Control ids are FSBP's where one exists.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from muon.components.load_balancer import TLS_POLICIES
from muon.policy.exceptions import EXCEPTIONS, ControlException

ANYWHERE = {"0.0.0.0/0", "::/0"}
ACCEPTED_TLS_POLICIES = set(TLS_POLICIES)  # ELB.17's accepted list


class Resource(Protocol):
    type: str
    name: str
    parent: str
    """URN of the parent; a bucket's configuration resources are its siblings."""
    inputs: dict[str, Any]


@dataclass(frozen=True)
class Finding:
    control: str
    resource: str
    message: str

    def __str__(self) -> str:
        return f"{self.control} {self.resource}: {self.message}"


Rule = Callable[[list[Resource]], Iterable[Finding]]
RULES: list[Rule] = []


def rule(function: Rule) -> Rule:
    RULES.append(function)
    return function


def _of(resources: list[Resource], type_token: str) -> list[Resource]:
    return [r for r in resources if r.type == type_token]


def _doc(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else (value or {})


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@rule
def default_security_group_closed(resources: list[Resource]) -> Iterable[Finding]:
    vpcs = _of(resources, "aws:ec2/vpc:Vpc")
    closed = _of(resources, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    if len(closed) < len(vpcs):
        yield Finding("EC2.2", vpcs[0].name, "a VPC's default security group is not adopted and closed")
    for group in closed:
        if group.inputs.get("ingress") or group.inputs.get("egress"):
            yield Finding("EC2.2", group.name, "default security group has rules")


@rule
def flow_logs(resources: list[Resource]) -> Iterable[Finding]:
    flows = _of(resources, "aws:ec2/flowLog:FlowLog")
    for flow in flows:
        if flow.inputs.get("trafficType") not in {"ALL", "REJECT"}:
            yield Finding("EC2.6", flow.name, "flow log traffic type must be ALL or REJECT")
    vpcs = _of(resources, "aws:ec2/vpc:Vpc")
    if len(flows) < len(vpcs):
        yield Finding("EC2.6", vpcs[0].name, "a VPC has no flow log")


@rule
def subnets_no_public_ip(resources: list[Resource]) -> Iterable[Finding]:
    for subnet in _of(resources, "aws:ec2/subnet:Subnet"):
        if subnet.inputs.get("mapPublicIpOnLaunch"):
            yield Finding("EC2.15", subnet.name, "subnet assigns public IPs on launch")


def _is_load_balancer_group(group: Resource) -> bool:
    return group.name.endswith("-alb-sg")


@rule
def security_group_ingress(resources: list[Resource]) -> Iterable[Finding]:
    for group in _of(resources, "aws:ec2/securityGroup:SecurityGroup"):
        for direction in ("ingress", "egress"):
            for entry in group.inputs.get(direction) or []:
                if not entry.get("description"):
                    yield Finding("CKV_AWS_23", group.name, f"{direction} rule has no description")
        for entry in group.inputs.get("ingress") or []:
            open_to_all = ANYWHERE & set(entry.get("cidrBlocks") or []) | ANYWHERE & set(
                entry.get("ipv6CidrBlocks") or []
            )
            web = entry.get("protocol") == "tcp" and entry.get("fromPort") == entry.get("toPort") in (80, 443)
            if open_to_all and not (_is_load_balancer_group(group) and web):
                yield Finding("EC2.18", group.name, "ingress from anywhere beyond the load balancer's 80/443")


@rule
def network_acls(resources: list[Resource]) -> Iterable[Finding]:
    for acl in _of(resources, "aws:ec2/networkAcl:NetworkAcl"):
        if not acl.inputs.get("subnetIds"):
            yield Finding("EC2.16", acl.name, "network ACL is not associated with any subnet")
        for entry in acl.inputs.get("ingress") or []:
            if entry.get("action") != "allow" or entry.get("cidrBlock") not in ANYWHERE:
                continue
            low, high = entry.get("fromPort", 0), entry.get("toPort", 0)
            if entry.get("protocol") in ("-1", "all") or any(low <= p <= high for p in (22, 3389)):
                yield Finding(
                    "EC2.21", acl.name, f"rule {entry.get('ruleNo')} admits SSH/RDP/all from anywhere"
                )


@rule
def multi_az(resources: list[Resource]) -> Iterable[Finding]:
    for lb in _of(resources, "aws:lb/loadBalancer:LoadBalancer"):
        if len(lb.inputs.get("subnets") or []) < 2:
            yield Finding("ELB.13", lb.name, "load balancer spans fewer than two zones")
    for group in _of(resources, "aws:autoscaling/group:Group"):
        if len(group.inputs.get("vpcZoneIdentifiers") or []) < 2:
            yield Finding("AutoScaling.2", group.name, "auto scaling group spans fewer than two zones")


@rule
def container_insights(resources: list[Resource]) -> Iterable[Finding]:
    for cluster in _of(resources, "aws:ecs/cluster:Cluster"):
        settings = {s.get("name"): s.get("value") for s in cluster.inputs.get("settings") or []}
        if settings.get("containerInsights") not in {"enabled", "enhanced"}:
            yield Finding("ECS.12", cluster.name, "Container Insights is off")


@rule
def launch_templates(resources: list[Resource]) -> Iterable[Finding]:
    for template in _of(resources, "aws:ec2/launchTemplate:LaunchTemplate"):
        metadata = template.inputs.get("metadataOptions") or {}
        if metadata.get("httpTokens") != "required" or metadata.get("httpPutResponseHopLimit") != 1:
            yield Finding("EC2.8", template.name, "IMDSv2 not required with hop limit 1")
        for interface in template.inputs.get("networkInterfaces") or []:
            if str(interface.get("associatePublicIpAddress")).lower() == "true":
                yield Finding("EC2.25", template.name, "instances get public IPs")
        for device in template.inputs.get("blockDeviceMappings") or []:
            if str((device.get("ebs") or {}).get("encrypted")).lower() != "true":
                yield Finding("EC2.181", template.name, "EBS volume not encrypted")


@rule
def capacity_providers(resources: list[Resource]) -> Iterable[Finding]:
    for provider in _of(resources, "aws:ecs/capacityProvider:CapacityProvider"):
        asg = provider.inputs.get("autoScalingGroupProvider") or {}
        if asg.get("managedTerminationProtection") != "ENABLED":
            yield Finding("ECS.19", provider.name, "managed termination protection off")
        if (asg.get("managedScaling") or {}).get("status") != "ENABLED":
            yield Finding("ECS.19", provider.name, "managed scaling off")
    for group in _of(resources, "aws:autoscaling/group:Group"):
        if not group.inputs.get("protectFromScaleIn"):
            yield Finding("ECS.19", group.name, "instances not protected from scale-in")


@rule
def listeners(resources: list[Resource]) -> Iterable[Finding]:
    for listener in _of(resources, "aws:lb/listener:Listener"):
        protocol = listener.inputs.get("protocol")
        actions = listener.inputs.get("defaultActions") or []
        if protocol == "HTTP":
            yield Finding("ELB.18", listener.name, "listener uses HTTP")
            redirects = len(actions) == 1 and (actions[0].get("redirect") or {}).get("protocol") == "HTTPS"
            if not redirects:
                yield Finding("ELB.1", listener.name, "HTTP listener does not only redirect to HTTPS")
        if protocol == "HTTPS" and listener.inputs.get("sslPolicy") not in ACCEPTED_TLS_POLICIES:
            yield Finding(
                "ELB.17", listener.name, f"TLS policy {listener.inputs.get('sslPolicy')} not accepted"
            )


@rule
def load_balancers(resources: list[Resource]) -> Iterable[Finding]:
    associated = {
        a.inputs.get("resourceArn") for a in _of(resources, "aws:wafv2/webAclAssociation:WebAclAssociation")
    }
    for lb in _of(resources, "aws:lb/loadBalancer:LoadBalancer"):
        inputs = lb.inputs
        if not inputs.get("dropInvalidHeaderFields"):
            yield Finding("ELB.4", lb.name, "invalid header fields are not dropped")
        if inputs.get("desyncMitigationMode") not in {"defensive", "strictest"}:
            yield Finding("ELB.12", lb.name, "desync mitigation below defensive")
        if not (inputs.get("accessLogs") or {}).get("enabled"):
            yield Finding("ELB.5", lb.name, "access logs off")
        if not inputs.get("enableDeletionProtection"):
            yield Finding("ELB.6", lb.name, "deletion protection off")
        if not inputs.get("internal") and not associated:
            yield Finding("ELB.16", lb.name, "internet-facing load balancer without a WAF web ACL")


@rule
def kms_keys(resources: list[Resource]) -> Iterable[Finding]:
    for key in _of(resources, "aws:kms/key:Key"):
        inputs = key.inputs
        if not inputs.get("enableKeyRotation"):
            yield Finding("KMS.4", key.name, "key rotation off")
        if inputs.get("deletionWindowInDays") != 30:
            yield Finding("KMS.3", key.name, "deletion window is not 30 days")
        for statement in _doc(inputs.get("policy")).get("Statement", []):
            if statement.get("Principal") in ("*", {"AWS": "*"}) and not statement.get("Condition"):
                yield Finding("KMS.5", key.name, "key policy grants an unconditioned * principal")


@rule
def log_groups(resources: list[Resource]) -> Iterable[Finding]:
    for group in _of(resources, "aws:cloudwatch/logGroup:LogGroup"):
        if (group.inputs.get("retentionInDays") or 0) < 365:
            yield Finding("CloudWatch.16", group.name, "log retention under 365 days")
        if not group.inputs.get("kmsKeyId"):
            yield Finding("CKV_AWS_158", group.name, "log group not encrypted with a KMS key")


@rule
def sns_topics(resources: list[Resource]) -> Iterable[Finding]:
    policies = {
        p.inputs.get("arn"): _doc(p.inputs.get("policy"))
        for p in _of(resources, "aws:sns/topicPolicy:TopicPolicy")
    }
    for topic in _of(resources, "aws:sns/topic:Topic"):
        key = topic.inputs.get("kmsMasterKeyId") or ""
        if not key or key.startswith("alias/aws/"):
            yield Finding("SNS.1", topic.name, "topic not encrypted with a customer-managed key")
    for arn, policy in policies.items():
        statements = policy.get("Statement", [])
        if not any(_denies_insecure_transport(s) for s in statements):
            yield Finding("SNS.4", str(arn), "topic policy does not deny insecure transport")


def _denies_insecure_transport(statement: dict[str, Any]) -> bool:
    condition = statement.get("Condition") or {}
    return (
        statement.get("Effect") == "Deny"
        and (condition.get("Bool") or {}).get("aws:SecureTransport") == "false"
    )


@rule
def buckets(resources: list[Resource]) -> Iterable[Finding]:
    def by_bucket(type_token: str) -> dict[str, Resource]:
        # muon's PrivateBucket parents a bucket and its configuration to one component.
        return {r.parent: r for r in _of(resources, type_token)}

    blocks = by_bucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    policies = by_bucket("aws:s3/bucketPolicy:BucketPolicy")
    encryption = by_bucket(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    versioning = by_bucket("aws:s3/bucketVersioning:BucketVersioning")
    lifecycle = by_bucket("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    ownership = by_bucket("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    logging = by_bucket("aws:s3/bucketLogging:BucketLogging")
    for bucket in _of(resources, "aws:s3/bucket:Bucket"):
        stem = bucket.parent
        block = blocks.get(stem)
        flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        if block is None or not all(block.inputs.get(f) for f in flags):
            yield Finding("S3.8", bucket.name, "public access not fully blocked")
        policy = policies.get(stem)
        if policy is None or not any(
            _denies_insecure_transport(s) for s in _doc(policy.inputs.get("policy")).get("Statement", [])
        ):
            yield Finding("S3.5", bucket.name, "bucket policy does not deny insecure transport")
        sse = encryption.get(stem)
        rules = (sse.inputs.get("rules") or [{}]) if sse else [{}]
        default = rules[0].get("applyServerSideEncryptionByDefault") or {}
        if default.get("sseAlgorithm") != "aws:kms" or not default.get("kmsMasterKeyId"):
            yield Finding("S3.17", bucket.name, "not encrypted with a customer-managed KMS key")
        if (
            stem not in versioning
            or (versioning[stem].inputs.get("versioningConfiguration") or {}).get("status") != "Enabled"
        ):
            yield Finding("S3.14", bucket.name, "versioning off")
        if stem not in lifecycle:
            yield Finding("S3.13", bucket.name, "no lifecycle configuration")
        if (
            stem not in ownership
            or (ownership[stem].inputs.get("rule") or {}).get("objectOwnership") != "BucketOwnerEnforced"
        ):
            yield Finding("S3.12", bucket.name, "ACLs not disabled (BucketOwnerEnforced)")
        if stem not in logging:
            yield Finding("S3.9", bucket.name, "server access logging off")


@rule
def iam_policies(resources: list[Resource]) -> Iterable[Finding]:
    documents = [
        (r.name, _doc(r.inputs.get("policy")))
        for r in resources
        if r.type in ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy")
    ]
    for name, doc in documents:
        for statement in doc.get("Statement", []):
            if statement.get("Effect") != "Allow":
                continue
            actions = _as_list(statement.get("Action"))
            resources_ = _as_list(statement.get("Resource"))
            if "*" in actions:
                yield Finding("IAM.1", name, "allows every action")
            if any(a.endswith(":*") for a in actions if isinstance(a, str)):
                yield Finding("IAM.21", name, f"allows a whole service: {actions}")
            if "*" in resources_ and {"iam:PassRole", "kms:Decrypt", "kms:ReEncryptFrom"} & set(actions):
                yield Finding("KMS.1", name, "PassRole or decrypt on every resource")
    for role in _of(resources, "aws:iam/role:Role"):
        for statement in _doc(role.inputs.get("assumeRolePolicy")).get("Statement", []):
            principal = statement.get("Principal")
            if principal == "*" or principal == {"AWS": "*"}:
                yield Finding("CKV_AWS_60", role.name, "trust policy names every principal")
    for attachment in _of(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        if str(attachment.inputs.get("policyArn", "")).endswith("/AdministratorAccess"):
            yield Finding("CKV_AWS_274", attachment.name, "AdministratorAccess attached")


SECRET_NAME = (
    "PASSWORD",
    "SECRET",
    "TOKEN",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "ECS_ENGINE_AUTH_DATA",
)


@rule
def task_definitions(resources: list[Resource]) -> Iterable[Finding]:
    for task in _of(resources, "aws:ecs/taskDefinition:TaskDefinition"):
        inputs = task.inputs
        if inputs.get("networkMode") != "awsvpc":
            yield Finding("ECS.17", task.name, "network mode is not awsvpc")
        if "host" in (inputs.get("pidMode"), inputs.get("ipcMode")):
            yield Finding("ECS.3", task.name, "shares the host's process or IPC namespace")
        if inputs.get("taskRoleArn") and inputs.get("taskRoleArn") == inputs.get("executionRoleArn"):
            yield Finding("CKV_AWS_249", task.name, "task role is the execution role")
        for container in json.loads(inputs.get("containerDefinitions") or "[]"):
            label = f"{task.name}/{container.get('name')}"
            if container.get("privileged"):
                yield Finding("ECS.4", label, "privileged container")
            if container.get("readonlyRootFilesystem") is not True:
                yield Finding("ECS.5", label, "root filesystem is writable")
            if str(container.get("user", "root")).split(":")[0] in ("root", "0"):
                yield Finding("ECS.20", label, "runs as root")
            if not (container.get("logConfiguration") or {}).get("logDriver"):
                yield Finding("ECS.9", label, "no log configuration")
            for variable in container.get("environment") or []:
                if any(word in variable["name"].upper() for word in SECRET_NAME):
                    yield Finding("ECS.8", label, f"secret-like variable {variable['name']} in plain text")


@rule
def ecs_services(resources: list[Resource]) -> Iterable[Finding]:
    alarm_names = {a.inputs.get("name") for a in _of(resources, "aws:cloudwatch/metricAlarm:MetricAlarm")}
    for service in _of(resources, "aws:ecs/service:Service"):
        inputs = service.inputs
        if (inputs.get("networkConfiguration") or {}).get("assignPublicIp"):
            yield Finding("ECS.2", service.name, "tasks get public IPs")
        if inputs.get("platformVersion") not in (None, "LATEST", "1.4.0"):
            yield Finding("ECS.10", service.name, "old Fargate platform version")
        if inputs.get("deploymentCircuitBreaker") != {"enable": True, "rollback": True}:
            yield Finding("ECS-DEPLOY-1", service.name, "no circuit breaker with rollback")
        alarms = inputs.get("alarms") or {}
        if not (
            alarms.get("enable")
            and alarms.get("rollback")
            and set(alarms.get("alarmNames") or []) & alarm_names
        ):
            yield Finding("ECS-DEPLOY-2", service.name, "no alarm-based rollback on alarms in this stack")
        if (inputs.get("deploymentMinimumHealthyPercent") or 0) < 100 or (
            inputs.get("deploymentMaximumPercent") or 0
        ) < 200:
            yield Finding("ECS-DEPLOY-4", service.name, "rolling update may drop capacity")
        if inputs.get("loadBalancers") and not inputs.get("healthCheckGracePeriodSeconds"):
            yield Finding("ECS-DEPLOY-3", service.name, "no health-check grace period")
        if not inputs.get("waitForSteadyState"):
            yield Finding("ECS-DEPLOY-11", service.name, "pulumi up would not wait for the rollout")


@rule
def scaling(resources: list[Resource]) -> Iterable[Finding]:
    alarms = _of(resources, "aws:cloudwatch/metricAlarm:MetricAlarm")
    for target in _of(resources, "aws:appautoscaling/target:Target"):
        # A service awaiting its first image is held at zero (max 0): no capacity to keep yet.
        if target.inputs.get("maxCapacity") == 0:
            continue
        if (target.inputs.get("minCapacity") or 0) < 2:
            yield Finding("CloudWatch.15-capacity", target.name, "fewer than two tasks at minimum")
    policies = _of(resources, "aws:appautoscaling/policy:Policy")
    directions = {p.name.rsplit("-", 1)[-1] for p in policies}
    if policies and not {"out", "in"} <= directions:
        yield Finding("CloudWatch.15-steps", policies[0].name, "scaling does not go both ways")
    for alarm in alarms:
        if not alarm.inputs.get("actionsEnabled") or not alarm.inputs.get("alarmActions"):
            yield Finding("CloudWatch.15", alarm.name, "alarm has no enabled action")


@rule
def repositories(resources: list[Resource]) -> Iterable[Finding]:
    lifecycles = {p.parent for p in _of(resources, "aws:ecr/lifecyclePolicy:LifecyclePolicy")}
    for repository in _of(resources, "aws:ecr/repository:Repository"):
        inputs = repository.inputs
        if not (inputs.get("imageScanningConfiguration") or {}).get("scanOnPush"):
            yield Finding("ECR.1", repository.name, "images are not scanned on push")
        if inputs.get("imageTagMutability") != "IMMUTABLE":
            yield Finding("ECR.2", repository.name, "tags are mutable")
        encryption = (inputs.get("encryptionConfigurations") or [{}])[0]
        if encryption.get("encryptionType") != "KMS" or not encryption.get("kmsKey"):
            yield Finding("CKV_AWS_136", repository.name, "not encrypted with a customer-managed key")
        if repository.parent not in lifecycles:
            yield Finding("ECR.3", repository.name, "no lifecycle policy")


MONITORING_INTERVALS = {1, 5, 10, 15, 30, 60}
DEFAULT_PORTS = {3306, 5432}
GUESSABLE_USERNAMES = {"admin", "postgres", "root"}
ENGINE_LOG = {"aurora-mysql": "audit", "aurora-postgresql": "postgresql"}


def _is_secret(resource: Resource, key: str) -> bool:
    masked = getattr(resource, "masked_inputs", {})
    return key in resource.inputs and masked.get(key) == "[secret]"


@rule
def database_clusters(resources: list[Resource]) -> Iterable[Finding]:
    instances = _of(resources, "aws:rds/clusterInstance:ClusterInstance")
    for cluster in _of(resources, "aws:rds/cluster:Cluster"):
        inputs, name = cluster.inputs, cluster.name
        if inputs.get("storageEncrypted") is not True or not inputs.get("kmsKeyId"):
            yield Finding("RDS.27", name, "storage not encrypted with a customer-managed key")
        if inputs.get("deletionProtection") is not True:
            yield Finding("RDS.7", name, "deletion protection off")
        if inputs.get("skipFinalSnapshot") is not False:
            yield Finding("CKV_AWS_139", name, "no final snapshot on delete")
        if (inputs.get("backupRetentionPeriod") or 1) < 7:
            yield Finding("RDS.50", name, "backups kept under 7 days")
        if inputs.get("copyTagsToSnapshot") is not True:
            yield Finding("RDS.16", name, "tags not copied to snapshots")
        if inputs.get("iamDatabaseAuthenticationEnabled") is not True:
            yield Finding("RDS.12", name, "IAM database authentication off")
        if str(inputs.get("masterUsername", "")).lower() in GUESSABLE_USERNAMES:
            yield Finding("RDS.24", name, "guessable master user name")
        if inputs.get("port") in DEFAULT_PORTS:
            yield Finding("RDS.23", name, f"engine default port {inputs.get('port')}")
        engine = inputs.get("engine")
        if ENGINE_LOG.get(engine) not in (inputs.get("enabledCloudwatchLogsExports") or []):
            yield Finding("RDS.34", name, f"{ENGINE_LOG.get(engine)} log not exported")
        if engine == "aurora-mysql" and not inputs.get("backtrackWindow"):
            yield Finding("RDS.14", name, "backtracking off")
        if not inputs.get("manageMasterUserPassword") and not (
            _is_secret(cluster, "masterPassword") or _is_secret(cluster, "masterPasswordWo")
        ):
            yield Finding("CKV_AWS_337", name, "master password is not a secret")
        members = [
            i for i in instances if i.inputs.get("clusterIdentifier") == inputs.get("clusterIdentifier")
        ]
        zones = {i.inputs.get("availabilityZone") for i in members}
        if len(members) < 2 or len(zones) < 2:
            yield Finding("RDS.15", name, "instances not spread over two or more zones")
    for instance in instances:
        inputs, name = instance.inputs, instance.name
        if inputs.get("publiclyAccessible") is not False:
            yield Finding("RDS.2", name, "publicly accessible")
        if inputs.get("autoMinorVersionUpgrade") is not True:
            yield Finding("RDS.13", name, "automatic minor upgrades off")
        if inputs.get("monitoringInterval") not in MONITORING_INTERVALS or not inputs.get(
            "monitoringRoleArn"
        ):
            yield Finding("RDS.6", name, "enhanced monitoring off")
        if not inputs.get("performanceInsightsEnabled") or not inputs.get("performanceInsightsKmsKeyId"):
            yield Finding("CKV_AWS_353", name, "Performance Insights off or not encrypted with a CMK")
    for group in _of(resources, "aws:rds/subnetGroup:SubnetGroup"):
        if len(group.inputs.get("subnetIds") or []) < 2:
            yield Finding("RDS.15", group.name, "subnet group spans fewer than two subnets")


@rule
def database_events(resources: list[Resource]) -> Iterable[Finding]:
    if not _of(resources, "aws:rds/cluster:Cluster"):
        return
    subscribed = {
        s.inputs.get("sourceType")
        for s in _of(resources, "aws:rds/eventSubscription:EventSubscription")
        if s.inputs.get("snsTopic") and s.inputs.get("enabled", True)
    }
    for source, control in (("db-cluster", "RDS.19"), ("db-instance", "RDS.20")):
        if source not in subscribed:
            yield Finding(control, source, f"no event subscription for {source} events")


@rule
def parameters(resources: list[Resource]) -> Iterable[Finding]:
    for parameter in _of(resources, "aws:ssm/parameter:Parameter"):
        inputs = parameter.inputs
        secret_like = any(w in str(inputs.get("name", "")).upper() for w in SECRET_NAME)
        if secret_like and inputs.get("type") != "SecureString":
            yield Finding("CKV2_AWS_34", parameter.name, "a secret stored as a plain String")
        if inputs.get("type") == "SecureString" and not inputs.get("keyId"):
            yield Finding("CKV_AWS_337", parameter.name, "SecureString not encrypted with a customer key")


@rule
def build_projects(resources: list[Resource]) -> Iterable[Finding]:
    for project in _of(resources, "aws:codebuild/project:Project"):
        inputs, name = project.inputs, project.name
        environment = inputs.get("environment") or {}
        for variable in environment.get("environmentVariables") or []:
            plain = variable.get("type", "PLAINTEXT") == "PLAINTEXT"
            if plain and any(word in str(variable.get("name", "")).upper() for word in SECRET_NAME):
                yield Finding(
                    "CodeBuild.2", name, f"secret-like variable {variable.get('name')} in plain text"
                )
        if "@" in str((inputs.get("source") or {}).get("location", "")):
            yield Finding("CodeBuild.1", name, "source location carries credentials")
        logs = inputs.get("logsConfig") or {}
        if (logs.get("cloudwatchLogs") or {}).get("status") != "ENABLED":
            yield Finding("CodeBuild.4", name, "CloudWatch logging off")
        if (logs.get("s3Logs") or {}).get("encryptionDisabled"):
            yield Finding("CodeBuild.3", name, "S3 logs unencrypted")
        if not inputs.get("encryptionKey"):
            yield Finding("CKV_AWS_147", name, "not encrypted with a customer-managed key")
        if (inputs.get("artifacts") or {}).get("encryptionDisabled"):
            yield Finding("CKV_AWS_78", name, "artifacts unencrypted")
        if environment.get("privilegedMode"):
            yield Finding("CKV_AWS_316", name, "privileged mode")


@rule
def pipelines(resources: list[Resource]) -> Iterable[Finding]:
    pipelines_ = _of(resources, "aws:codepipeline/pipeline:Pipeline")
    for pipeline in pipelines_:
        for store in pipeline.inputs.get("artifactStores") or []:
            key = store.get("encryptionKey") or {}
            if key.get("type") != "KMS" or not key.get("id"):
                yield Finding(
                    "CKV_AWS_219", pipeline.name, "artifact store not encrypted with a customer key"
                )
    rules = _of(resources, "aws:codestarnotifications/notificationRule:NotificationRule")
    if pipelines_ and not any(t.get("type") == "SNS" for r in rules for t in r.inputs.get("targets") or []):
        yield Finding("CKV_AWS_NOTIFY", pipelines_[0].name, "no notification rule to an SNS topic")


SCP_MAX_CHARACTERS = 5120
SCP_MAX_PER_TARGET = 5
OU_MAX_DEPTH = 5


@rule
def service_control_policies(resources: list[Resource]) -> Iterable[Finding]:
    policies = {
        getattr(p, "state", {}).get("id", p.name): p
        for p in _of(resources, "aws:organizations/policy:Policy")
        if p.inputs.get("type", "SERVICE_CONTROL_POLICY") == "SERVICE_CONTROL_POLICY"
    }
    for policy in policies.values():
        content = str(policy.inputs.get("content", ""))
        compact = json.dumps(json.loads(content), separators=(",", ":")) if content else ""
        if len(content) > SCP_MAX_CHARACTERS or len(compact) > SCP_MAX_CHARACTERS:
            yield Finding(
                "SCP.size", policy.name, f"{len(content)} characters stored; at most {SCP_MAX_CHARACTERS}"
            )
    attached: dict[str, int] = {}
    for attachment in _of(resources, "aws:organizations/policyAttachment:PolicyAttachment"):
        if attachment.inputs.get("policyId") in policies:
            attached[attachment.inputs["targetId"]] = attached.get(attachment.inputs["targetId"], 0) + 1
    detached = {
        d.inputs.get("target_id")
        for d in _of(resources, "pulumi-python:dynamic:Resource")
        if "target_id" in d.inputs
    }
    for target, count in attached.items():
        total = count + (0 if target in detached else 1)  # FullAWSAccess stays unless detached
        if total > SCP_MAX_PER_TARGET:
            yield Finding("SCP.count", target, f"{total} SCPs on one target; at most {SCP_MAX_PER_TARGET}")
    for target in detached:
        if not attached.get(target):
            yield Finding(
                "SCP.count", str(target), "FullAWSAccess detached and no other SCP: everything denied"
            )
    units = _of(resources, "aws:organizations/organizationalUnit:OrganizationalUnit")
    parent_of = {getattr(u, "state", {}).get("id", u.name): u.inputs.get("parentId") for u in units}
    for unit in units:
        depth, current = 0, getattr(unit, "state", {}).get("id", unit.name)
        while current in parent_of and depth <= OU_MAX_DEPTH:
            depth, current = depth + 1, parent_of[current]
        if depth > OU_MAX_DEPTH:
            yield Finding("SCP.depth", unit.name, f"more than {OU_MAX_DEPTH} OU levels below the root")


def evaluate(resources: list[Resource]) -> list[Finding]:
    return [finding for check in RULES for finding in check(resources)]


def split_excepted(
    findings: list[Finding], exceptions: tuple[ControlException, ...] = EXCEPTIONS
) -> tuple[list[Finding], list[tuple[Finding, ControlException]]]:
    """Findings not covered by the exception list, and the covered ones with their reason."""
    open_findings, excepted = [], []
    for finding in findings:
        reason = next((e for e in exceptions if e.excuses(finding.control, finding.resource)), None)
        if reason is None:
            open_findings.append(finding)
        else:
            excepted.append((finding, reason))
    return open_findings, excepted
