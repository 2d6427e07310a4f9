"""Changes the replace-on-change table does not see, each said in one line by ``--diff``:

- a global index added or changed on an autoscaled DynamoDB table: ``pulumi up`` ignores the
  table's ``globalSecondaryIndexes`` (Application Auto Scaling owns their capacity), so the change
  is not deployed unless done knowingly (a warning);
- a web service moved to another load balancer: its tasks' security group stops admitting the old
  load balancer as soon as the new one's group exists, so traffic is interrupted while the move
  deploys (a warning);
- a load balancer deleted while it has deletion protection: the provider calls DeleteLoadBalancer
  after its listeners are gone, ELB answers OperationNotPermitted and every later ``pulumi up``
  fails (refused in production, a warning in development).
"""

from __future__ import annotations

from collections.abc import Sequence

from muon.plan.diff import Change, Resource
from muon.plan.diff_report import Verdict, tags_of

TABLE = "aws:dynamodb/table:Table"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"


def cautions(changes: Sequence[Change], parents: dict[str, Resource]) -> list[tuple[Change, Verdict]]:
    found: list[tuple[Change, Verdict]] = []
    for change in changes:
        tags = tags_of(change.resource, parents)
        production = tags.get("muon:tier", "production") == "production"
        env = tags.get("muon:environment", "<environment>")
        service = tags.get("muon:service", "<service>")
        before, after = change.before, change.resource
        if (
            change.action == "delete"
            and after.type == LOAD_BALANCER
            and after.inputs.get("enableDeletionProtection")
        ):
            line = (
                f"environments.{env}: load balancer {after.name} goes, but it has deletion protection: "
                "ELB refuses the deletion (OperationNotPermitted) after its listeners are gone, and "
                "every later `pulumi up` fails; two steps: set "
                f"environments.{env}.loadBalancer.deletionProtection: false (every load balancer of "
                "the environment), deploy, then remove it (and set it back)"
            )
            found.append((change, Verdict("refused" if production else "warning", line)))
        if before is None or change.action == "create":
            continue
        if (
            after.type == TABLE
            and "globalSecondaryIndexes" in after.ignore_changes
            and before.inputs.get("globalSecondaryIndexes") != after.inputs.get("globalSecondaryIndexes")
        ):
            line = (
                f"services.{service}.storage: the global indexes of table {after.inputs.get('name')} change, "
                "but `pulumi up` ignores an autoscaled table's indexes (Application Auto Scaling owns "
                "their capacity): make the change knowingly with `aws dynamodb update-table "
                "--global-secondary-index-updates` (then `pulumi refresh`), or on-demand billing first"
            )
            found.append((change, Verdict("warning", line)))
        if after.type == SECURITY_GROUP and after.name.endswith("-tasks-sg"):
            old, new = _load_balancer_groups(before), _load_balancer_groups(after)
            if old and new and old != new:
                line = (
                    f"services.{service}.loadBalancer: the service moves to another load balancer; traffic "
                    "is interrupted while the move deploys (its tasks stop admitting the old one first); "
                    "two steps: add the new group, deploy, then move the service (docs/many-teams.md)"
                )
                found.append((change, Verdict("warning", line)))
    return found


def _load_balancer_groups(group: Resource) -> set[str]:
    rules = group.inputs.get("ingress") or []
    return {
        str(source)
        for rule in rules
        if isinstance(rule, dict) and rule.get("description") == "From the load balancer"
        for source in rule.get("securityGroups") or []
    }
