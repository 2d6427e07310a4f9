"""The monthly cost of a rendered stack: line items priced from muon's price table.

Every line is computed from what the stack would create (the rendered resources and their
inputs), at the region's list prices (``plan/prices.py``) and a stated usage per tier: traffic,
log volume, database storage cannot be read off a definition, so each line prints the assumption
it rests on. Resources AWS does not charge for (VPCs, subnets, IAM, security groups …) are listed
in ``FREE``; a rendered type in neither table is reported as unpriced, never silently skipped.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from muon.plan.cost_items import DELIVERY, Estimate, LineItem, PricingContext
from muon.plan.cost_pricers import PRICERS
from muon.plan.offline import RenderedResource, Rendering
from muon.plan.prices import RegionPrices, prices_for

if TYPE_CHECKING:
    from muon.stacks.definition.fields import NatStrategy

ENVIRONMENT_COMPONENT = "muon:network:Environment"
ATTACHED_COMPONENT = "muon:network:AttachedEnvironment"

# AWS charges nothing for these (or only through the resources priced elsewhere).
FREE = frozenset(
    {
        "aws:acm/certificate:Certificate",  # public certificates are free
        # The plan's snapshots are priced with it; vaults, selections and locks cost nothing. A
        # restore test's cluster lives an hour without an instance: under a cent of storage.
        "aws:backup/restoreTestingPlan:RestoreTestingPlan",
        "aws:backup/restoreTestingSelection:RestoreTestingSelection",
        "aws:backup/selection:Selection",
        "aws:backup/vault:Vault",
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
        "aws:acm/certificateValidation:CertificateValidation",
        "aws:appautoscaling/scheduledAction:ScheduledAction",
        "aws:appautoscaling/target:Target",
        "aws:cloudwatch/eventRule:EventRule",  # events from AWS services are free
        "aws:cloudwatch/eventTarget:EventTarget",
        "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
        "aws:codestarnotifications/notificationRule:NotificationRule",
        "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "aws:ec2/flowLog:FlowLog",  # the log group it writes to is priced
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/launchTemplate:LaunchTemplate",  # its instances are priced
        "aws:ec2/networkAcl:NetworkAcl",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:ec2/securityGroup:SecurityGroup",
        # A service's volume: its mount targets, access point and policy cost nothing of their own
        # (EFS pricing: storage and throughput, priced on the file system).
        "aws:efs/accessPoint:AccessPoint",
        "aws:efs/fileSystemPolicy:FileSystemPolicy",
        "aws:efs/mountTarget:MountTarget",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/vpc:Vpc",
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        "aws:ecs/accountSettingDefault:AccountSettingDefault",
        "aws:ecs/capacityProvider:CapacityProvider",
        "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
        "aws:ecs/taskDefinition:TaskDefinition",  # its tasks are priced with the service
        # Request-priced, with monthly free tiers far above a team's queues and schedules: SQS 1
        # million requests, Step Functions 4,000 state transitions (a job run takes 4),
        # EventBridge Scheduler 14 million invocations. Busy queues cost more: not estimated.
        "aws:sqs/queue:Queue",
        "aws:sqs/queuePolicy:QueuePolicy",
        "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
        "aws:sfn/stateMachine:StateMachine",
        "aws:scheduler/schedule:Schedule",
        # The namespace itself has no charge (Service Connect's proxies run inside the tasks).
        "aws:servicediscovery/httpNamespace:HttpNamespace",
        "aws:rds/parameterGroup:ParameterGroup",
        "aws:ssm/association:Association",  # State Manager and Patch Manager scans: no charge on EC2
        "aws:iam/instanceProfile:InstanceProfile",
        "aws:iam/policy:Policy",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:kms/alias:Alias",
        "aws:lb/listener:Listener",
        "aws:lb/listenerRule:ListenerRule",
        "aws:lb/targetGroup:TargetGroup",
        "aws:organizations/account:Account",
        "aws:organizations/organization:Organization",
        "aws:organizations/organizationalUnit:OrganizationalUnit",
        "aws:organizations/policy:Policy",
        "aws:organizations/policyAttachment:PolicyAttachment",
        "aws:rds/clusterParameterGroup:ClusterParameterGroup",
        "aws:rds/eventSubscription:EventSubscription",  # SNS deliveries, within the free tier
        "aws:rds/subnetGroup:SubnetGroup",
        "aws:route53/record:Record",  # alias queries to AWS resources are free
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketLogging:BucketLogging",  # S3 charges nothing to deliver, the log bucket is priced
        "aws:s3/bucketNotification:BucketNotification",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning",
        # Alarm e-mails, and services' topics and their SQS deliveries, stay within SNS's monthly free
        # tier (a million publishes; deliveries to SQS are free): request-priced, not estimated.
        "aws:sns/topic:Topic",
        "aws:sns/topicPolicy:TopicPolicy",
        "aws:sns/topicSubscription:TopicSubscription",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:wafv2/webAclAssociation:WebAclAssociation",
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",  # its log group is priced
        "docker-build:index:Image",  # runs where `pulumi up` runs
        "pulumi-python:dynamic:Resource",  # Organizations calls muon makes itself (free)
        "pulumi:pulumi:StackReference",  # a read of another stack's outputs
        "random:index/randomId:RandomId",
        "random:index/randomPassword:RandomPassword",
    }
)


def _groups(rendering: Rendering) -> dict[str, str]:
    """Each resource's environment (the Environment component above it), else ``delivery``."""
    parent = {r.urn: r.parent for r in rendering.resources}
    environment = {
        r.urn: r.name for r in rendering.resources if r.type in (ENVIRONMENT_COMPONENT, ATTACHED_COMPONENT)
    }
    groups: dict[str, str] = {}
    for resource in rendering.resources:
        urn, group = resource.urn, DELIVERY
        while urn in parent:
            if urn in environment:
                group = environment[urn]
                break
            urn = parent[urn]
        groups[resource.urn] = group
    return groups


def estimate(rendering: Rendering, region: str) -> Estimate:
    """Price every rendered resource at ``region``'s list prices (MuonError: region not in the table)."""
    prices = prices_for(region)
    environments = rendering.outputs.get("environments") or {}
    tiers = {name: str(env.get("tier") or "development") for name, env in environments.items()}
    group_of = _groups(rendering)
    members: dict[str, list[RenderedResource]] = defaultdict(list)
    for resource in rendering.custom_resources:
        members[group_of[resource.urn]].append(resource)
    ctx = PricingContext(
        prices=prices,
        by_id={str(r.state.get("id")): r for r in rendering.custom_resources},
        by_arn={str(r.state.get("arn")): r for r in rendering.custom_resources},
        group_of=group_of,
        tiers=tiers,
        members=members,
    )
    lines: list[LineItem] = []
    unpriced: set[str] = set()
    for resource in rendering.custom_resources:
        pricer = PRICERS.get(resource.type)
        if pricer is not None:
            lines.extend(pricer(resource, ctx))
        elif resource.type not in FREE:
            unpriced.add(resource.type)
    attached = {r.name for r in rendering.resources if r.type == ATTACHED_COMPONENT}
    notes = {
        group: [
            "the environment is another stack's (a platform project): its network, load balancer and "
            "cluster are priced with that stack; here only this project's resources"
            if group in attached
            else _egress_note(members[group], prices, tiers[group])
        ]
        for group in tiers
        if members[group]
    }
    return Estimate(region, prices.compiled, tuple(lines), tiers, tuple(sorted(unpriced)), notes)


def _egress_note(resources: list[RenderedResource], prices: RegionPrices, tier: str) -> str:
    """Why this environment's private subnets leave the VPC the way they do, in dollars."""
    from muon.stacks.resolve.egress import explain  # imports the network component: only when pricing

    zones = sum(
        1
        for r in resources
        if r.type == "aws:ec2/subnet:Subnet" and r.inputs.get("tags", {}).get("muon:tier") == "private"
    )
    if not zones:
        return "egress: the network is not muon's (an existing VPC); not compared"
    gateways = sum(1 for r in resources if r.type == "aws:ec2/natGateway:NatGateway")
    chosen: NatStrategy
    if any(r.type == "aws:ec2/instance:Instance" for r in resources):
        chosen = "instance"
    else:
        by_gateways: dict[int, NatStrategy] = {0: "none", 1: "single"}
        chosen = by_gateways.get(gateways, "per-az")
    return explain(prices, zones, chosen, tier)
