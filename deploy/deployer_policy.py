"""The IAM policy a service team's deployer needs, scoped to its namespace.

A service project (``attach:``) creates only its own resources in a platform's environment. Every
name it chooses starts with its namespace, and everything AWS names for it (security groups,
target groups, listener rules, subnet and parameter groups, keys, scaling alarms) carries the
``muon:namespace`` tag; so one policy, filled in per namespace, lets a team deploy its services
and nothing of anyone else's. The template is ``muon/data/service-deployer-policy.json``;
``COVERAGE`` says which statements each resource type needs (a test holds every type a service
project renders to it).

Not covered (``NOT_COVERED``): a function's HTTP trigger (API Gateway's HTTP APIs have opaque ids,
and their routes and integrations carry no tags for a policy to match) and static sites (CloudFront,
us-east-1 certificates): the platform team deploys those, or grants them to the deployer itself;
``muon deployer-policy`` says so when the definition declares them.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from muon.stacks.definition import Definition

COVERAGE: dict[str, tuple[str, ...]] = {
    "aws:ecs/service:Service": ("EcsServices", "PassRolesToTasksAndRdsMonitoring"),
    "aws:ecs/taskDefinition:TaskDefinition": (
        "LookupsWithoutResourceLevelPermissions",
        "EcsServices",
        "PassRolesToTasksAndRdsMonitoring",
    ),
    "aws:iam/role:Role": ("Roles",),
    "aws:iam/rolePolicy:RolePolicy": ("Roles",),
    "aws:cloudwatch/logGroup:LogGroup": ("LogGroups",),
    "aws:ssm/parameter:Parameter": ("Parameters", "KeysOfTheNamespace"),
    "aws:kms/key:Key": ("CreateKeysTaggedWithTheNamespace", "KeysOfTheNamespace"),
    "aws:kms/alias:Alias": ("AliasesOfTheNamespace", "KeysOfTheNamespace"),
    "aws:ec2/securityGroup:SecurityGroup": (
        "SecurityGroupsInThePlatformsVpc",
        "SecurityGroupsTaggedWithTheNamespace",
        "TagsOnCreation",
        "SecurityGroupsOfTheNamespace",
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        "SecurityGroupsOfTheNamespace",
        "RulesOfThoseGroups",
        "TagsOnCreation",
    ),
    "aws:lb/targetGroup:TargetGroup": (
        "TargetGroupsAndRulesTaggedWithTheNamespace",
        "TargetGroupsAndRulesOfTheNamespace",
    ),
    "aws:lb/listenerRule:ListenerRule": (
        "TargetGroupsAndRulesTaggedWithTheNamespace",
        "TargetGroupsAndRulesOfTheNamespace",
    ),
    "aws:appautoscaling/target:Target": (
        "ScalableTargetsOfTheNamespacesServices",
        "ScalingServiceLinkedRole",
    ),
    "aws:appautoscaling/policy:Policy": ("ScalableTargetsOfTheNamespacesServices",),
    "aws:appautoscaling/scheduledAction:ScheduledAction": ("ScalableTargetsOfTheNamespacesServices",),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (
        "AlarmsNamedInTheNamespace",
        "AlarmsTaggedWithTheNamespace",
        "CreateAlarmsTaggedWithTheNamespace",
    ),
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": (
        "AlarmsNamedInTheNamespace",
        "CreateAlarmsTaggedWithTheNamespace",
    ),
    # A service's incident rules; their target is the platform's incident log (its policy admits them).
    "aws:cloudwatch/eventRule:EventRule": ("EventRulesOfTheNamespace",),
    "aws:cloudwatch/eventTarget:EventTarget": ("EventRulesOfTheNamespace",),
    "aws:rds/cluster:Cluster": ("DatabasesNamedInTheNamespace", "GrantsForRdsOnKeysOfTheNamespace"),
    "aws:rds/clusterInstance:ClusterInstance": (
        "DatabasesNamedInTheNamespace",
        "DefaultInstanceParameterGroups",
    ),
    "aws:rds/eventSubscription:EventSubscription": ("DatabasesNamedInTheNamespace",),
    "aws:rds/instance:Instance": (
        "DatabasesNamedInTheNamespace",
        "GrantsForRdsOnKeysOfTheNamespace",
        "DatabaseGroupsOfTheNamespace",
    ),
    "aws:rds/parameterGroup:ParameterGroup": (
        "DatabaseGroupsTaggedWithTheNamespace",
        "DatabaseGroupsOfTheNamespace",
    ),
    "aws:rds/subnetGroup:SubnetGroup": (
        "DatabaseGroupsTaggedWithTheNamespace",
        "DatabaseGroupsOfTheNamespace",
    ),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": (
        "DatabaseGroupsTaggedWithTheNamespace",
        "DatabaseGroupsOfTheNamespace",
    ),
    "aws:route53/record:Record": ("RecordsForTheServicesHosts",),
    "aws:sqs/queue:Queue": ("QueuesOfTheNamespace",),
    "aws:sqs/queuePolicy:QueuePolicy": ("QueuesOfTheNamespace",),
    "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy": ("QueuesOfTheNamespace",),
    "aws:servicediscovery/httpNamespace:HttpNamespace": (
        "CreateServiceConnectNamespacesTaggedWithTheNamespace",
        "ServiceConnectNamespacesOfTheNamespace",
        "LookupsWithoutResourceLevelPermissions",  # GetOperation: how Pulumi follows the creation
    ),
    "aws:sfn/stateMachine:StateMachine": ("JobStateMachines", "PassRolesToTasksAndRdsMonitoring"),
    "aws:scheduler/schedule:Schedule": ("JobSchedules", "PassRolesToTasksAndRdsMonitoring"),
    "aws:lambda/function:Function": ("FunctionsOfTheNamespace", "PassRolesToTasksAndRdsMonitoring"),
    "aws:lambda/alias:Alias": ("FunctionsOfTheNamespace",),
    "aws:lambda/permission:Permission": ("FunctionsOfTheNamespace",),
    "aws:lambda/eventSourceMapping:EventSourceMapping": (
        "EventSourceMappingsOfTheNamespacesFunctions",
        "ReadEventSourceMappings",
    ),
    "aws:codedeploy/application:Application": ("FunctionReleasesOfTheNamespace",),
    "aws:codedeploy/deploymentGroup:DeploymentGroup": (
        "FunctionReleasesOfTheNamespace",
        "PredefinedDeploymentConfigs",
        "PassRolesToTasksAndRdsMonitoring",
    ),
}
"""Statements each resource type a service project creates needs."""

NOTHING_TO_ALLOW = frozenset(
    {
        "pulumi:pulumi:StackReference",  # the platform's outputs, from the Pulumi backend
        "random:index/randomId:RandomId",  # a database's final-snapshot name, made the same way
        "random:index/randomPassword:RandomPassword",  # generated where `pulumi up` runs
    }
)


NOT_COVERED = {
    "http": "a function's http trigger (API Gateway HTTP APIs: opaque ids, untagged routes)",
    "sites": "static sites (CloudFront distributions and us-east-1 certificates)",
}
"""What a service project may declare that this policy does not let its deployer create."""


def uncovered(definition: Definition) -> list[str]:
    """What of ``definition`` the policy does not cover, in words."""
    found = []
    if any(t.type == "http" for f in definition.functions.values() for t in f.triggers):
        found.append(NOT_COVERED["http"])
    if definition.sites:
        found.append(NOT_COVERED["sites"])
    return found


def template() -> str:
    return (files("muon") / "data" / "service-deployer-policy.json").read_text(encoding="utf-8")


def deployer_policy(
    namespace: str, account: str, region: str, *, partition: str = "aws", zone_id: str = "*"
) -> dict[str, Any]:
    """The policy for ``namespace`` in one account and region; ``zone_id``: the platform's hosted
    zone, when the environment has a domain (records for the services' hosts)."""
    text = template()
    for placeholder, value in (
        ("${Namespace}", namespace),
        ("${Account}", account),
        ("${Region}", region),
        ("${Partition}", partition),
        ("${ZoneId}", zone_id),
    ):
        text = text.replace(placeholder, value)
    return json.loads(text)
