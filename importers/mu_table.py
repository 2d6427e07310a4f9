# ruff: noqa: E501  (the table reads best one mu key a line)
"""Every mu key (stelligent/mu ``common/types.go``) and what ``muon import`` makes of it: a muon key,
or why there is none. The importer's stderr lines and docs/coming-from-mu.md's table both come
from here, so the two cannot drift."""

from __future__ import annotations

import re

NONE = ""
# mu key -> (muon key, or NONE; why / how)
MAPPING: dict[str, tuple[str, str]] = {
    "namespace": ("namespace", "lowercased"),
    "environments[].name": ("environments.<name>", ""),
    "environments[].provider": ("environments.<name>.cluster.provider", "ecs → ec2, ecs-fargate → fargate"),
    "environments[].cluster.instanceType": ("environments.<name>.cluster.instanceType", "absent: muon's t3.medium (mu's t3.micro)"),
    "environments[].cluster.minSize": ("environments.<name>.cluster.min", "1 when absent (env-ecs.yml MinSize)"),
    "environments[].cluster.maxSize": ("environments.<name>.cluster.max", "2 when absent (env-ecs.yml MaxSize)"),
    "environments[].cluster.imageId": ("environments.<name>.cluster.imageId", ""),
    "environments[].cluster.httpProxy": ("environments.<name>.cluster.httpProxy", ""),
    "environments[].cluster.extraUserData": ("environments.<name>.cluster.userData", ""),
    "environments[].cluster.osType": (NONE, "muon runs the current ECS-optimized Amazon Linux 2023 image"),
    "environments[].cluster.keyName": (NONE, "no SSH keys: muon's hosts are reached through SSM"),
    "environments[].cluster.sshAllow": (NONE, "no SSH: muon's hosts are reached through SSM"),
    "environments[].cluster.instanceTenancy": (NONE, "dedicated tenancy is not supported"),
    "environments[].cluster.desiredCapacity": (NONE, "the capacity provider sizes the group between min and max"),
    "environments[].cluster.targetCPUReservation": (NONE, "the capacity provider's managed scaling targets full use"),
    "environments[].cluster.targetMemoryReservation": (NONE, "the capacity provider's managed scaling targets full use"),
    "environments[].loadbalancer.hostedzone": ("environments.<name>.domain.zone", "the record <name or environment>.<zone> is domain.name; mu's wildcard alias: list hosts in services.<name>.hosts"),
    "environments[].loadbalancer.name": ("environments.<name>.domain.name", "<name>.<hostedzone>"),
    "environments[].loadbalancer.certificate": ("environments.<name>.loadBalancer.certificateArn", "a bare id needs your account and region"),
    "environments[].loadbalancer.internal": ("environments.<name>.loadBalancer.internal", ""),
    "environments[].vpcTarget.vpcId": ("environments.<name>.network.existing.vpcId", ""),
    "environments[].vpcTarget.elbSubnetIds": ("environments.<name>.network.existing.publicSubnetIds", ""),
    "environments[].vpcTarget.instanceSubnetIds": ("environments.<name>.network.existing.privateSubnetIds", ""),
    "environments[].vpcTarget.ecsSubnetIds": ("environments.<name>.network.existing.privateSubnetIds", "the name mu's vpc-target example uses for instanceSubnetIds"),
    "environments[].vpcTarget.environment": (NONE, "another mu environment's VPC: give its vpcId and subnets"),
    "environments[].vpcTarget.namespace": (NONE, "another mu environment's VPC: give its vpcId and subnets"),
    "environments[].discovery": (NONE, "muon's backends are reached through Service Connect (kind: backend)"),
    "environments[].roles": (NONE, "muon creates its own least-privilege roles"),
    "service.name": ("services.<name>", "absent: the git checkout's repository name, as mu (pipeline_common.go), else app"),
    "service.port": ("services.<name>.port", "8080 when absent (mu's ServicePort)"),
    "service.pathPatterns": ("services.<name>.pathPatterns", "none and no hostPatterns: kind: backend"),
    "service.hostPatterns": ("services.<name>.hostPatterns", ""),
    "service.priority": ("services.<name>.priority", ""),
    "service.cpu": ("services.<name>.cpu", ""),
    "service.memory": ("services.<name>.memory", ""),
    "service.desiredCount": ("services.<name>.desiredCount", "2 when absent"),
    "service.minSize": ("services.<name>.scaling.min", "1 when absent"),
    "service.maxSize": ("services.<name>.scaling.max", "2 when absent"),
    "service.healthEndpoint": ("services.<name>.healthCheck.path", "/health when absent, with mu's target group timings"),
    "service.protocol": ("services.<name>.protocol", "lowercased"),
    "service.imageRepository": ("services.<name>.image", ""),
    "service.dockerfile": ("services.<name>.build.dockerfile", ""),
    "service.environment": ("services.<name>.environment", "${X}/$(X) references muon knows; others are a line"),
    "service.schedules": ("jobs.<name>", "expression → schedule, command → command"),
    "service.roles.ecsTask": ("services.<name>.roles.task, services.<name>.roles.execution", ""),
    "service.roles": (NONE, "muon creates its own least-privilege roles"),
    "service.targetCPUUtilization": ("services.<name>.scaling.scaleOut", "muon scales in steps: review them"),
    "service.deploymentStrategy": (NONE, "muon rolls out with a circuit breaker and rollback alarms"),
    "service.networkMode": (NONE, "muon runs every task in awsvpc mode"),
    "service.links": (NONE, "container links do not exist in awsvpc mode"),
    "service.discoveryTTL": (NONE, "Service Connect has no DNS TTL"),
    "service.provider": (NONE, "mu's batch provider ran the service as an AWS Batch job: muon has no Batch — the service is written with no running tasks; run it as jobs.<name>"),
    "service.command": (NONE, "an AWS Batch job's command (provider: batch): give jobs.<name>.command"),
    "service.timeout": (NONE, "an AWS Batch job's timeout (provider: batch): give jobs.<name>.timeout"),
    "service.retryAttempts": (NONE, "AWS Batch retries (provider: batch): muon's jobs run once a schedule"),
    "service.parameters": (NONE, "AWS Batch parameter substitution (Ref::name, provider: batch): write the values into jobs.<name>.command"),
    "service.database.name": ("services.<name>.database.name", ""),
    "service.database.engine": ("services.<name>.database.engine", "aurora → aurora-mysql; mysql, postgres, mariadb: an RDS instance"),
    "service.database.engineMode": ("services.<name>.database.serverless", "serverless → Serverless v2"),
    "service.database.instanceClass": ("services.<name>.database.instanceClass", ""),
    "service.database.iamAuthentication": ("services.<name>.database.iamAuthentication", ""),
    "service.database.masterUsername": ("services.<name>.database.masterUsername", ""),
    "service.database.masterPasswordSSMParam": ("services.<name>.database.passwordParameter", ""),
    "service.database.minSize": ("services.<name>.database.serverless.minCapacity", "0 while auto-pause is on"),
    "service.database.maxSize": ("services.<name>.database.serverless.maxCapacity", "256 when absent"),
    "service.database.secondsUntilAutoPause": ("services.<name>.database.serverless.autoPauseAfter", "300 when absent"),
    "service.database.allocatedStorage": ("services.<name>.database.allocatedStorage", "RDS engines; 100 when absent"),
    "service.database.kmsKey": ("keys.data", "a key ARN"),
    "service.database.environmentConfig": ("services.<name>.environments.<env>.database", "capacity only"),
    "service.pipeline.source.provider": ("pipeline.source.provider", ""),
    "service.pipeline.source.repo": ("pipeline.source.repo", "absent: the git checkout's, as mu read it"),
    "service.pipeline.source.branch": ("pipeline.source.branch", "absent: the checkout's, else master (pipeline.yml SourceBranch)"),
    "service.pipeline.build.image": ("pipeline.build.image", ""),
    "service.pipeline.build.computeType": ("pipeline.build.computeType", ""),
    "service.pipeline.build.timeout": ("pipeline.build.timeoutMinutes", ""),
    "service.pipeline.build.disabled": ("pipeline.build.artifact", "false"),
    "service.pipeline.build.type": (NONE, "muon's builds run on Linux"),
    "service.pipeline.build.bucket": ("pipeline.artifactBucket", ""),
    "service.pipeline.bucket": ("pipeline.artifactBucket", ""),
    "service.pipeline.kmsKey": ("keys.pipeline", "a key ARN"),
    "service.pipeline.acceptance.environment": ("pipeline.stages[0].environment", "test: buildspec-test.yml"),
    "service.pipeline.production.environment": ("pipeline.stages[1].environment", "approval, test: buildspec-prod.yml"),
    "service.pipeline.acceptance.disabled": ("pipeline.stages", "the stage is left out"),
    "service.pipeline.production.disabled": ("pipeline.stages", "the stage is left out"),
    "service.pipeline.acceptance.roles.mu": ("pipeline.stages[].roleArn", ""),
    "service.pipeline.production.roles.mu": ("pipeline.stages[].roleArn", ""),
    "service.pipeline.notify": ("pipeline.notifications.emails", "onSuccess: true, as mu notified"),
    "service.pipeline.muBaseurl": (NONE, "mu's own release"),
    "service.pipeline.muVersion": (NONE, "mu's own release"),
    "service.pipeline.roles": (NONE, "muon creates the pipeline's roles"),
    "tags": ("tags", "every stack type's tags on every resource"),
    "parameters": (NONE, "CloudFormation parameters; ImageId → environments.<name>.cluster.imageId"),
    "templates": (NONE, "CloudFormation template patches: see extensions in docs/definition.md"),
    "extensions": (NONE, "mu extensions patch CloudFormation: see extensions in docs/definition.md"),
    "disableIAM": (NONE, "muon creates its own least-privilege roles"),
    "roles": (NONE, "muon deploys with Pulumi, not a CloudFormation role"),
    "rbac": (NONE, "Kubernetes RBAC for mu's EKS provider: muon runs ECS"),
    "catalog": (NONE, "AWS Service Catalog products of mu pipelines: muon has no catalog"),
    "region": (NONE, "the stacks' region is in their stack files: muon init --region"),
}  # fmt: skip


def generic(path: str) -> str:
    """``environments[2].cluster.keyName`` → ``environments[].cluster.keyName``."""
    path = re.sub(r"\[\d+\]", "[]", path)
    path = re.sub(r"^(service\.database\.environmentConfig)\.[^.]+", r"\1", path)
    return re.sub(r"^(parameters|tags)\..*", r"\1", path)


def reason(path: str) -> str:
    """Why a mu key has no muon equivalent (the stderr line's parenthesis)."""
    key = generic(path)
    while key:
        if key in MAPPING:
            target, why = MAPPING[key]
            return why or f"see {target}"
        key = key.rpartition(".")[0]
    return "no muon equivalent"


def markdown() -> str:
    """docs/coming-from-mu.md's table."""
    lines = ["| mu key | muon key | notes |", "| --- | --- | --- |"]
    for key, (target, why) in MAPPING.items():
        lines.append(f"| `{key}` | {f'`{target}`' if target else '—'} | {why} |")
    return "\n".join(lines) + "\n"
