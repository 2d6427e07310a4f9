"""The modeled first-deploy time of a stack: the critical path of its rendered dependency graph.

The Pulumi engine creates every resource whose dependencies are done, all at once; so a first
deploy takes as long as the longest chain of dependencies, each link weighted by how long AWS takes
to create that kind of resource. The weights are typical creation times, not guarantees: they are
stated with their basis below, and the plan prints them beside the chain so a reader can judge.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from muon.plan.offline import RenderedResource, Rendering

# Seconds a create call takes until the provider reports the resource ready, and why we think so.
# "Waits" means the Pulumi AWS provider polls until AWS reports the resource available.
CREATION_SECONDS: dict[str, tuple[float, str]] = {
    "aws:rds/clusterInstance:ClusterInstance": (
        540.0,
        "Aurora instance: waits for 'available'; 'several minutes' (RDS User Guide), 8-10 typical",
    ),
    "aws:rds/instance:Instance": (
        900.0,
        "RDS DB instance: waits for 'available'; a Multi-AZ instance creates and syncs its standby "
        "first, 10-20 minutes typical",
    ),
    "aws:rds/cluster:Cluster": (
        120.0,
        "Aurora cluster (storage volume, no compute): waits for 'available', about 2 minutes",
    ),
    "aws:cloudfront/distribution:Distribution": (
        360.0,
        "CloudFront: waits for 'Deployed' to every edge location, usually 3-10 minutes",
    ),
    "aws:ecs/service:Service": (
        180.0,
        "ECS service with wait_for_steady_state: image pull, container start, two passing health checks",
    ),
    "aws:lb/loadBalancer:LoadBalancer": (
        180.0,
        "Application Load Balancer: waits for 'active', about 3 minutes",
    ),
    "aws:acm/certificateValidation:CertificateValidation": (
        180.0,
        "ACM DNS validation: waits for 'ISSUED' after the record propagates, usually minutes",
    ),
    "aws:ec2/natGateway:NatGateway": (
        120.0,
        "NAT gateway: waits for 'available', 1-3 minutes",
    ),
    "aws:ec2/vpcEndpoint:VpcEndpoint": (
        90.0,
        "interface endpoint: waits for 'available' (network interfaces in each zone)",
    ),
    "aws:autoscaling/group:Group": (
        150.0,
        "Auto Scaling group: waits for its minimum instances to be InService (launch and boot)",
    ),
    "aws:ec2/instance:Instance": (
        40.0,
        "EC2 instance: waits for 'running', usually well under a minute",
    ),
    "aws:route53/record:Record": (
        60.0,
        "Route 53 record: waits for the change to be INSYNC on every authoritative server",
    ),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": (5.0, "API call"),
    "aws:rds/parameterGroup:ParameterGroup": (5.0, "API call"),
    "aws:rds/subnetGroup:SubnetGroup": (5.0, "API call"),
    "aws:rds/eventSubscription:EventSubscription": (30.0, "waits for 'active'"),
    "random:index/randomId:RandomId": (0.0, "made by the provider itself, no AWS call"),
    "aws:ec2/vpc:Vpc": (10.0, "waits for 'available', seconds"),
    "aws:ec2/subnet:Subnet": (10.0, "waits for 'available', seconds"),
    "aws:ec2/internetGateway:InternetGateway": (10.0, "create and attach"),
    "aws:ecs/cluster:Cluster": (10.0, "waits for 'ACTIVE'"),
    "aws:kms/key:Key": (10.0, "API call, then the provider waits for the key to be readable"),
    "aws:iam/role:Role": (10.0, "API call, then the provider waits for IAM to propagate"),
    "aws:wafv2/webAcl:WebAcl": (10.0, "API call"),
    "aws:backup/vault:Vault": (10.0, "API call"),
    "aws:codepipeline/pipeline:Pipeline": (10.0, "API call"),
    "aws:codebuild/project:Project": (10.0, "API call, retried while IAM propagates"),
}
DEFAULT_SECONDS = (3.0, "a single API call with no wait")
GATEWAY_ENDPOINT_SECONDS = (
    10.0,
    "gateway endpoint: route table entries, no network interface to place; available within seconds "
    "(VPC user guide, 'Gateway endpoints')",
)
IDLE_SERVICE_SECONDS = (
    10.0,
    "ECS service at zero tasks: steady as soon as it exists, nothing to pull, start or health-check",
)


def creation_seconds(type_token: str) -> float:
    return CREATION_SECONDS.get(type_token, DEFAULT_SECONDS)[0]


def weight(resource: RenderedResource) -> tuple[float, str]:
    """How long ``resource`` takes to create, and why: by type, except where its inputs change what
    AWS waits for (an S3 gateway endpoint places no interfaces; a service of no task starts none)."""
    inputs = resource.inputs
    if resource.type == "aws:ec2/vpcEndpoint:VpcEndpoint" and inputs.get("vpcEndpointType") == "Gateway":
        return GATEWAY_ENDPOINT_SECONDS
    if resource.type == "aws:ecs/service:Service" and inputs.get("desiredCount") == 0:
        return IDLE_SERVICE_SECONDS
    return CREATION_SECONDS.get(resource.type, DEFAULT_SECONDS)


@dataclass(frozen=True)
class Step:
    type: str
    name: str
    seconds: float
    starts_at: float
    basis: str


@dataclass(frozen=True)
class Timeline:
    total_seconds: float
    critical_path: tuple[Step, ...]
    """The chain that sets the total, first created first."""

    def document(self) -> dict[str, Any]:
        return {
            "totalSeconds": self.total_seconds,
            "criticalPath": [
                {
                    "type": s.type,
                    "name": s.name,
                    "seconds": s.seconds,
                    "startsAtSeconds": s.starts_at,
                    "basis": s.basis,
                }
                for s in self.critical_path
            ],
        }


def direct_requirements(
    rendering: Rendering, by_urn: dict[str, RenderedResource]
) -> dict[str, tuple[str, ...]]:
    """For each custom resource, the custom resources it waits for directly, sorted: a dependency
    on a component stands for every custom resource under it (as the Pulumi SDK expands it)."""

    @cache
    def expand(urn: str) -> tuple[str, ...]:
        resource = by_urn.get(urn)
        if resource is None:
            return ()
        if resource.custom:
            return (urn,)
        return tuple(child.urn for child in rendering.descendants(urn) if child.custom)

    return {
        r.urn: tuple(sorted({u for d in r.dependencies for u in expand(d)}))
        for r in rendering.custom_resources
    }


def model(rendering: Rendering) -> Timeline:
    """The modeled first deploy: each resource starts when the last thing it waits for is done."""
    by_urn = rendering.by_urn()
    requirements = direct_requirements(rendering, by_urn)
    finish: dict[str, float] = {}
    via: dict[str, str | None] = {}

    def finish_of(urn: str, visiting: frozenset[str] = frozenset()) -> float:
        if urn in finish:
            return finish[urn]
        if urn in visiting:  # the engine refuses cycles; the graph tests catch them
            raise ValueError(f"dependency cycle through {urn}")
        latest, latest_urn = 0.0, None
        for dependency in requirements[urn]:  # sorted: of equal finishes, the first is kept
            done = finish_of(dependency, visiting | {urn})
            if done > latest:
                latest, latest_urn = done, dependency
        via[urn] = latest_urn
        finish[urn] = latest + weight(by_urn[urn])[0]
        return finish[urn]

    for urn in requirements:
        finish_of(urn)
    if not finish:
        return Timeline(0.0, ())
    last = max(sorted(finish), key=lambda u: finish[u])
    chain: list[Step] = []
    current: str | None = last
    while current is not None:
        resource: RenderedResource = by_urn[current]
        seconds, basis = weight(resource)
        chain.append(Step(resource.type, resource.name, seconds, finish[current] - seconds, basis))
        current = via[current]
    return Timeline(finish[last], tuple(reversed(chain)))


def minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
