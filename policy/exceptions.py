"""The one list of controls muon deliberately does not meet by default, and why.

A finding is excepted when its control id matches and the resource's name matches the pattern.
``tests/test_compliance.py`` renders the production stack and fails on any finding not listed
here, and on any entry here that no longer excuses a finding (so the list stays true).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ControlException:
    control: str
    resource: str
    """Regular expression over the resource's logical name."""
    reason: str
    conditional: bool = False
    """True when the finding only appears for some definitions (so it may excuse nothing)."""

    def excuses(self, control: str, resource_name: str) -> bool:
        return control == self.control and re.fullmatch(self.resource, resource_name) is not None


EXCEPTIONS: tuple[ControlException, ...] = (
    ControlException(
        control="S3.17",
        resource=r".*-alb-logs-bucket|.*-alb-logs-encryption",
        reason="Load balancer access logs can only be delivered to buckets encrypted with SSE-S3 "
        "(ELB user guide); the bucket is private, TLS-only and versioned.",
    ),
    ControlException(
        control="S3.9",
        resource=r".*-alb-logs-bucket",
        reason="The access-log bucket is itself a log bucket; logging it would loop.",
    ),
    ControlException(
        control="S3.17",
        resource=r".*-access-logs-bucket|.*-access-logs-encryption",
        reason="S3 server access logs can only be delivered to buckets encrypted with SSE-S3 (S3 user "
        "guide, 'Enabling Amazon S3 server access logging'); the bucket is private, TLS-only and versioned.",
    ),
    ControlException(
        control="S3.9",
        resource=r".*-access-logs-bucket",
        reason="The access-log bucket of a trail's, a site's or the pipeline's artifacts' bucket is itself "
        "a log bucket; logging it "
        "would loop.",
    ),
    ControlException(
        control="ELB.16",
        resource=r".*-alb",
        reason="Development environments have no WAF by default (its managed rules cost money and can "
        "block a test's traffic); production has one (waf: managed), and `waf:` sets either.",
        conditional=True,
    ),
    ControlException(
        control="ELB.1",
        resource=r".*-http",
        reason="HTTPS needs the customer's domain, which muon cannot invent: a development environment "
        "without domain or certificate serves plain HTTP. Production refuses to (unless "
        "loadBalancer.allowPlainHttp says so); with either, HTTP only redirects to HTTPS.",
        conditional=True,
    ),
    ControlException(
        control="ECS.20",
        resource=r".*-task/log-router",
        reason="FireLens's Fluent Bit router must run as root: the socket the task's containers log "
        "through lives in a directory only root may write (containers-roadmap#2122, open). Only a "
        "service with logging: has it; its other containers stay non-root.",
        conditional=True,
    ),
    ControlException(
        control="ELB.18",
        resource=r".*-http",
        reason="The HTTP listener exists to redirect to HTTPS (ELB.1); Checkov CKV_AWS_2 accepts it.",
    ),
    ControlException(
        control="RDS.23",
        resource=r".*-database-cluster|.*-database-instance",
        reason="A non-default port hides nothing from a scanner inside the VPC; the database's "
        "security group admits only its service's tasks, and drivers and tools assume the "
        "engine's port. Set database.port to meet the control.",
    ),
    ControlException(
        control="IAM.21",
        resource=r".*-deploy-broad",
        reason="The pipeline's deploy step runs `pulumi up`, which creates, changes and deletes every "
        "kind of resource muon manages: IAM and KMS are scoped to the namespace's tag, the other "
        "services stay whole (docs/definition.md, 'The deploy roles, exactly'). Attached to the "
        "self-update and deploy projects only; stages with roleArn assume a role in the target account "
        "instead.",
    ),
    ControlException(
        control="CKV_AWS_316",
        resource=r".*-image",
        reason="Building a Docker image needs the Docker daemon: privileged mode on the image "
        "project only, which runs muon's generated buildspec, never the repository's.",
    ),
)
