"""Controls on the pipeline (CodeBuild, CodePipeline) and the organization (SCPs, OUs)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from muon.policy.checks import (
    SECRET_NAME,
    Finding,
    Resource,
    _of,
    rule,
)


@rule
def build_projects(resources: Sequence[Resource]) -> Iterable[Finding]:
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
def pipelines(resources: Sequence[Resource]) -> Iterable[Finding]:
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
def service_control_policies(resources: Sequence[Resource]) -> Iterable[Finding]:
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
        d.inputs["target_id"]
        for d in _of(resources, "pulumi-python:dynamic:Resource")
        if "target_id" in d.inputs
    }
    for target, count in attached.items():
        total = count + (0 if target in detached else 1)  # FullAWSAccess stays unless detached
        if total > SCP_MAX_PER_TARGET:
            yield Finding("SCP.count", target, f"{total} SCPs on one target; at most {SCP_MAX_PER_TARGET}")
    for target_id in detached:
        if not attached.get(target_id):
            yield Finding(
                "SCP.count", str(target_id), "FullAWSAccess detached and no other SCP: everything denied"
            )
    units = _of(resources, "aws:organizations/organizationalUnit:OrganizationalUnit")
    parent_of = {getattr(u, "state", {}).get("id", u.name): u.inputs.get("parentId") for u in units}
    for unit in units:
        depth, current = 0, getattr(unit, "state", {}).get("id", unit.name)
        while current in parent_of and depth <= OU_MAX_DEPTH:
            depth, current = depth + 1, parent_of[current]
        if depth > OU_MAX_DEPTH:
            yield Finding("SCP.depth", unit.name, f"more than {OU_MAX_DEPTH} OU levels below the root")
