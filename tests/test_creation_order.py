"""Creation order, read from the rendered dependency graph the way the engine will act on it.

Pulumi creates everything in parallel; only dependencies order it. Each test is a rule over every
rendered stack, so a resource added later is held to it too: whatever starts working at creation
waits for what it will use.
"""

from __future__ import annotations

from typing import Any

import pytest

from muon.plan.offline import RenderedResource, Rendering
from tests.conftest import render_shared

CONNECTION = (
    "arn:aws:codestar-connections:us-east-1:111111111111:connection/00000000-0000-0000-0000-000000000000"
)
EVERYTHING = """
environments:
  dev: {}
  staging:
    tier: production
    cluster: {provider: ec2}
    network: {nat: single}
    domain: {name: staging.example.com, zone: example.com}
services:
  banana:
    port: 8080
    pathPatterns: [/bananas]
    permissions: [{actions: [s3:GetObject], resources: ['arn:aws:s3:::bananas/*']}]
    secrets: {API_KEY: /banana/api-key}
    database: {name: banana, iamAuthentication: true}
  apple:
    port: 8080
    pathPatterns: [/apples]
    database: {name: apple, engine: aurora-postgresql, serverless: {minCapacity: 0.5}}
    storage:
      buckets: {uploads: {}}
      tables:
        orders:
          partitionKey: {name: id}
          billing: provisioned
          capacity: {read: {min: 1, max: 10}, write: {min: 1, max: 5}}
          globalIndexes: {by-customer: {partitionKey: {name: customer}}}
      volumes: {files: {path: /data}}
  api:
    kind: backend
    port: 9000
    database: {name: api, engine: postgres}
  mailer:
    kind: worker
    queue: {publishers: [banana]}
jobs:
  nightly: {service: api, command: [report], schedule: rate(1 day)}
sites:
  www: {spa: true}
functions:
  skill:
    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/muon/skill@sha256:0000000000000000000000000000000000000000000000000000000000000000
    triggers:
      - {type: http, path: /hello}
      - {type: schedule, schedule: rate(5 minutes)}
      - {type: queue, worker: mailer}
pipeline:
  source: {provider: codecommit, repo: banana}
  stages: [{environment: dev}]
"""
PIPELINE_CONFIG = {
    "muon:pipeline": True,
    "muon:backend": "s3://state",
    "muon:secretsProvider": "awskms://alias/state?region=us-east-1",
}
ROLE_POLICIES = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment")


@pytest.fixture(scope="module")
def renderings(dev: Rendering, prod: Rendering, delivery: Rendering) -> list[Rendering]:
    # Shared with tests/test_stateful_urns.py, which pins the same renders' stateful URNs.
    environments = render_shared(EVERYTHING, ["dev", "staging"])
    pipeline = render_shared(EVERYTHING, [], extra_config=PIPELINE_CONFIG)
    return [dev, prod, delivery, environments, pipeline]


def strings(value: Any) -> set[str]:
    """Every string an input holds, at any depth (not inside JSON documents: those name, not use)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*(strings(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(strings(v) for v in value)) if value else set()
    return set()


def role_policies(rendering: Rendering) -> dict[str, list[RenderedResource]]:
    """Role ARN → the policies attached to that role; instance profile ARNs → their role's."""
    by_arn: dict[str, list[RenderedResource]] = {}
    roles = rendering.of_type("aws:iam/role:Role")
    for role in roles:
        handles = {role.state["id"], role.state["name"]}
        by_arn[role.state["arn"]] = [
            p for t in ROLE_POLICIES for p in rendering.of_type(t) if p.inputs.get("role") in handles
        ]
    for profile in rendering.of_type("aws:iam/instanceProfile:InstanceProfile"):
        role = next(r for r in roles if profile.inputs["role"] in (r.state["id"], r.state["name"]))
        by_arn[profile.state["arn"]] = by_arn[role.state["arn"]]
    return by_arn


@pytest.mark.slow
def test_whatever_names_a_role_waits_for_the_role_policies(renderings: list[Rendering]) -> None:
    checked = 0
    for rendering in renderings:
        policies = role_policies(rendering)
        for resource in rendering.custom_resources:
            if resource.type in ROLE_POLICIES:
                continue
            for arn in strings(resource.inputs) & set(policies):
                needed = {p.urn for p in policies[arn]}
                missing = needed - rendering.requirements(resource.urn)
                assert not missing, f"{resource.name} uses {arn} before {sorted(missing)} exist"
                checked += bool(needed)
    # Task definitions (execution and task roles), flow logs, launch templates, database
    # instances (monitoring), CodeBuild projects, the pipeline and the CodeCommit trigger.
    assert checked >= 20


@pytest.mark.slow
def test_services_wait_for_their_database_instances(renderings: list[Rendering]) -> None:
    checked = 0
    for rendering in renderings:
        clusters = rendering.of_type("aws:rds/cluster:Cluster")
        for service in rendering.of_type("aws:ecs/service:Service"):
            task = rendering.by_urn()[
                next(d for d in service.dependencies if "aws:ecs/taskDefinition:TaskDefinition" in d)
            ]
            definition = task.inputs["containerDefinitions"]
            for cluster in clusters:
                if cluster.state["endpoint"] not in definition:
                    continue
                instances = {
                    i.urn
                    for i in rendering.of_type("aws:rds/clusterInstance:ClusterInstance")
                    if i.inputs["clusterIdentifier"] == cluster.state["id"]
                }
                assert instances and instances <= rendering.requirements(service.urn), service.name
                checked += 1
    assert checked >= 5  # dev, prod, and both services of both environments above


def test_services_wait_for_their_volumes(renderings: list[Rendering]) -> None:
    """A task mounts its volume the moment it starts: every zone's mount target, the file system
    policy and the rule admitting the tasks on NFS exist before the service does (Amazon EFS user
    guide, "Creating mount targets": a client mounts through its zone's target)."""
    checked = 0
    for rendering in renderings:
        for service in rendering.of_type("aws:ecs/service:Service"):
            needed = rendering.requirements(service.urn)
            owner = service.name.removesuffix("-service")
            for file_system in rendering.of_type("aws:efs/fileSystem:FileSystem"):
                if not file_system.name.startswith(f"{owner}-storage-"):
                    continue
                used = {
                    r.urn
                    for kind in (
                        "aws:efs/mountTarget:MountTarget",
                        "aws:efs/fileSystemPolicy:FileSystemPolicy",
                    )
                    for r in rendering.of_type(kind)
                    if r.inputs["fileSystemId"] == file_system.state["id"]
                }
                rules = {
                    r.urn
                    for r in rendering.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                    if r.inputs.get("fromPort") == 2049 and r.name.startswith(f"{owner}-volume-ingress")
                }
                assert len(used) >= 3 and rules and used | rules <= needed, service.name
                checked += 1
    assert checked == 2  # apple, in dev and staging


@pytest.mark.slow
def test_services_wait_for_their_rds_instances(renderings: list[Rendering]) -> None:
    """An RDS instance's address exists only once the instance does: the service waits for it."""
    checked = 0
    for rendering in renderings:
        for instance in rendering.of_type("aws:rds/instance:Instance"):
            for service in rendering.of_type("aws:ecs/service:Service"):
                task = rendering.by_urn()[
                    next(d for d in service.dependencies if "aws:ecs/taskDefinition:TaskDefinition" in d)
                ]
                if instance.state["address"] in task.inputs["containerDefinitions"]:
                    assert instance.urn in rendering.requirements(service.urn), service.name
                    checked += 1
    assert checked >= 2  # the backend of both environments


@pytest.mark.slow
def test_services_wait_for_the_cluster_capacity_providers(renderings: list[Rendering]) -> None:
    checked = 0
    for rendering in renderings:
        for service in rendering.of_type("aws:ecs/service:Service"):
            if not service.inputs.get("capacityProviderStrategies"):
                continue
            cluster = next(
                c
                for c in rendering.of_type("aws:ecs/cluster:Cluster")
                if c.state["arn"] == service.inputs["cluster"]
            )
            association = next(
                a
                for a in rendering.of_type("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
                if a.inputs["clusterName"] == cluster.state["name"]
            )
            assert association.urn in rendering.requirements(service.urn), service.name
            # Changing the strategy (spot, cost, Fargate or EC2) is refused without a new deployment.
            assert service.inputs["forceNewDeployment"] is True
            checked += 1
    assert checked >= 4


def test_an_auto_scaling_group_boots_instances_with_a_ready_profile(prod: Rendering) -> None:
    group = prod.one("aws:autoscaling/group:Group")
    attachments = {r.urn for r in prod.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    instance_role = {a for a in attachments if "instance" in a}
    assert instance_role and instance_role <= prod.requirements(group.urn)


EGRESS = ("aws:ec2/natGateway:NatGateway", "aws:ec2/instance:Instance", "aws:ec2/vpcEndpoint:VpcEndpoint")


@pytest.mark.slow
def test_tasks_and_hosts_start_only_once_their_subnets_have_a_way_out(renderings: list[Rendering]) -> None:
    """Tasks pull images and ship logs at once: whatever runs in the private subnets (ECS services,
    the EC2 hosts' group) waits for the subnets' route associations, the NAT gateway or instance
    behind them, and the VPC endpoints."""
    checked = 0
    for rendering in renderings:
        for environment in rendering.of_type("muon:network:Environment"):
            inside = rendering.descendants(environment.urn)
            egress = {
                r.urn
                for r in inside
                if r.type in EGRESS
                or (
                    r.type == "aws:ec2/routeTableAssociation:RouteTableAssociation"
                    and "-private-rta-" in r.name
                )
            }
            for runner in (
                r for r in inside if r.type in ("aws:ecs/service:Service", "aws:autoscaling/group:Group")
            ):
                assert egress <= rendering.requirements(runner.urn), runner.name
                checked += 1
    assert checked >= 5
