"""Every ARN the definition accepts, checked against the region and partition where it is used.

The ARN types (``stacks/definition/types.py``: ``ArnScope``) say where their resource must be:
the stack's region (KMS keys, certificates of a load balancer, regional web ACLs, a pipeline's
connection), us-east-1 (CloudFront's certificates and web ACLs), or any region of the partition
(IAM is global; ECS reads a parameter of another region by its ARN). A resource in the wrong
place is refused by AWS only when the resource using it is created, halfway through a deploy.
"""

from __future__ import annotations

from muon.stacks.definition.types import ArnScope, arn_parts
from muon.stacks.resolve.markers import marked, shown
from muon.stacks.resolve.scope import Scope

WHY = {
    "kms": "KMS keys are regional; a resource takes a key of its own region",
    "acm": "a load balancer takes a certificate of its own region",
    "wafv2": "a regional web ACL protects resources of its own region only",
    "codestar-connections": "a pipeline's source action runs in the pipeline's region",
    "codeconnections": "a pipeline's source action runs in the pipeline's region",
    "ssm": "the function reads its parameters by name, in its own region",
    "secretsmanager": "the function reads its secrets in its own region",
}


def arns_in_stack_region(scope: Scope) -> list[str]:
    """Each ARN of a part this stack deploys: in the stack's partition, and in the region its
    scope asks for."""
    selected = {env.name for env in scope.environments}
    problems = []
    found = list(marked(scope.definition, ArnScope))
    if scope.pipeline and scope.connection:
        found.append(
            (("muon:connection",), scope.connection, ArnScope("a CodeStar connection", "stack", "pipeline"))
        )
    for path, value, arn_scope in found:
        if not isinstance(value, str) or not value.startswith("arn:"):
            continue  # WafMode: managed, off
        if path[0] == "environments" and path[1] not in selected:
            continue  # another stack's environment, maybe in another region
        if not (scope.pipeline if arn_scope.used_by == "pipeline" else selected):
            continue  # used by another stack (the pipeline's, or the environments')
        problem = _placement_problem(value, arn_scope, scope)
        if problem:
            where = (
                f"{scope.settings_source}: {path[0]}"
                if str(path[0]).startswith("muon:")
                else f"{scope.source}: {shown(path)}"
            )
            problems.append(f"{where}: {problem}")
    return problems


def _placement_problem(value: str, arn_scope: ArnScope, scope: Scope) -> str | None:
    partition, service, region = arn_parts(value)
    if partition != scope.partition:
        return (
            f"{arn_scope.what} of partition {partition}, but this stack deploys to {scope.region} "
            f"(partition {scope.partition}); an ARN of another partition is never found there"
        )
    wanted = {"stack": scope.region, "us-east-1": "us-east-1", "any": None}[arn_scope.region]
    if wanted is None or region == wanted:
        return None
    why = WHY.get(service, "it must be in the region where it is used")
    return f"{arn_scope.what} of {region}, but it is used in {wanted} ({why}); give one of {wanted}"
