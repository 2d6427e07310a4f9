# ruff: noqa: E501  (the table reads best one muon key a line)
"""Every key of muon's definition and the importer's decision for it: which mu key (or mu default)
it is written from, or why mu had nothing it could come from. ``tests/test_mu_table.py`` walks the
JSON Schema (``schema/muon.schema.json``) and fails on a key with no decision here, so a key added
to muon without one is caught where it is added; docs/coming-from-mu.md's second table is
generated from here.

Paths are the schema's: ``*`` a name of the file's own, ``[]`` a list's item. A mapping whose
children all have decisions needs none of its own."""

from __future__ import annotations

import re

from muon.importers.mu_table import MAPPING

FROM_MU: dict[str, str] = {
    # What the importer writes that is not a mu key's target in MAPPING: mu's implicit defaults.
    "services.*.kind": "`backend` when mu had no pathPatterns or hostPatterns (service-ecs.yml: no target group)",
    "services.*.build.context": "`.`, the folder of mu's `dockerfile`",
    "services.*.healthCheck.interval": "30, mu's target group (service-ecs.yml ElbTargetGroup)",
    "services.*.healthCheck.timeout": "3, mu's target group",
    "services.*.healthCheck.healthyThreshold": "2, mu's target group",
    "services.*.healthCheck.unhealthyThreshold": "5, mu's target group",
    "services.*.healthCheck.matcher": "200-299, mu's target group",
    "services.*.secrets": "`${DatabaseMasterPassword}` in `service.environment` is injected as a secret; any other secret is a line",
    "services.*.secrets.*.parameter": "— (mu had no Parameter Store references in `environment`)",
    "services.*.secrets.*.key": "— (mu had no Secrets Manager references)",
    "services.*.environments.*.environment": "`service.environment.<VAR>.<env>` (mu's per-environment values) stay in `environment`",
    "services.*.environments.*.database.instanceClass": "`service.database.environmentConfig.<env>.instanceClass`",
    "environments.*.attach.stack": "a file with only `service:`: each pipeline stage's environment, named as a stack to attach to",
    "environments.*.tier": "`--tier ENV=…` at import; otherwise by the environment's name",
    "environments.*.loadBalancer.allowPlainHttp": "`true` for a production-tier environment without a domain or certificate: mu served it over HTTP",
    "environments.*.tags": "— (mu's `tags` are per stack type; they become the top-level `tags`)",
    "jobs.*.service": "the mu service the schedule ran (schedule.yml)",
    "jobs.*.command": "`service.schedules[].command`",
    "jobs.*.schedule": "`service.schedules[].expression`",
    "pipeline.source.provider": "`service.pipeline.source.provider` (GitHub when absent, as mu)",
    "pipeline.source.repo": "`service.pipeline.source.repo`, else the git checkout's (pipeline_common.go)",
    "pipeline.source.branch": "`service.pipeline.source.branch`, else the checkout's, else `master` (pipeline.yml SourceBranch)",
    "pipeline.stages[].test": "`buildspec-test.yml` (acceptance) and `buildspec-prod.yml` (production), mu's test actions (pipeline.yml)",
    "pipeline.stages[].approval": "`true` for mu's production stage (its Approve action)",
    "pipeline.notifications.emails": "`service.pipeline.notify`",
    "pipeline.notifications.onSuccess": "`true`: mu's topic took SUCCEEDED and FAILED (pipeline.yml)",
    "pipeline.build.artifact": "`false` when `service.pipeline.build.disabled`",
    "keys.pipeline": "`service.pipeline.kmsKey`",
    "keys.data": "`service.database.kmsKey`",
}

_NONE: tuple[tuple[str, str, str], ...] = (
    # (reason, prefix, the keys under it) — muon keys mu had no key or default for.
    ("muon's own alarms; mu raised none", "environments.*", "alarmEmails alarmSlack.channelId alarmSlack.teamId"),
    ("muon's own alarms; mu raised none", "services.*", "alarms.errorRatePercent alarms.latencyP99Seconds"),
    ("muon's own alarms; mu raised none", "services.*.database", "alarms.connections alarms.cpu alarms.freeableMemoryMib"),
    ("another project's environment: mu files hold their own", "environments.*", "attach.environment"),
    ("mu left the cluster's settings to `templates`", "environments.*.cluster", "containerInsights rootVolumeSize spot"),
    ("backups (AWS Backup): mu had none", "environments.*.continuity", "copyRegion dailyRetentionDays enabled lock lockMinRetentionDays monthlyRetentionDays restoreTest.enabled restoreTest.schedule"),
    ("cost reports: mu had none", "environments.*", "cost"),
    ("mu's `loadbalancer.hostedzone` names an existing zone; muon's own choices", "environments.*.domain", "createZone zoneId"),
    ("renames in muon's state: mu had no state of muon's", "environments.*", "formerly"),
    ("renames in muon's state: mu had no state of muon's", "services.*", "formerly"),
    ("renames in muon's state: mu had no state of muon's", "services.*.database", "formerly"),
    ("mu's load balancer had fixed settings (elb.yml)", "environments.*.loadBalancer", "accessLogs deletionProtection idleTimeout ingressCidrs peerCidrs sslPolicy"),
    ("mu's log groups had fixed retention", "environments.*", "logRetentionDays"),
    ("mu's VPC took its CIDRs from `templates` parameters (vpc.yml)", "environments.*.network", "azs cidr endpoints nat zones existing.isolatedSubnetIds"),
    ("web application firewall: mu had none", "environments.*", "waf wafBlock wafRateLimit"),
    ("muon's extension hook (Pulumi transforms); mu's `templates`/`extensions` patch CloudFormation and are a line each", "", "extensions"),
    ("muon's job settings; mu's scheduled task ran the service's task definition", "jobs.*", "cpu memory timeout timezone"),
    ("muon's KMS keys; mu used AWS-managed keys for logs", "keys", "logs"),
    ("IAM boundaries: mu's `roles` were whole roles, not boundaries", "", "permissionsBoundary"),
    ("IAM boundaries: mu's `roles` were whole roles, not boundaries", "pipeline", "deployPermissionsBoundary deployRoleArn"),
    ("muon's delivery stack settings; mu's pipeline built one service's image", "pipeline", "build.buildspec imageScan.failOn images.*.context images.*.dockerfile images.*.target muonSource.credentialsParameter muonSource.indexUrl muonSource.requirements name projectDir registry.expireBuildsAfterDays registry.keepDeployed registry.organizationId registry.pullAccounts"),
    ("mu notified by email only", "pipeline.notifications", "slack.channelId slack.teamId"),
    ("GitHub through a CodeStar connection: mu used a token; a line says to set it", "pipeline.source", "connection objectKey"),
    ("a database migration step: mu had none", "pipeline.stages[]", "migrate.command migrate.service preDeploy"),
    ("the stack a stage deploys: mu's stages deployed environments by name", "pipeline.stages[]", "stack"),
    ("mu's services took network access from their environment", "services.*", "allowFrom"),
    ("mu's Dockerfile build had no arguments or target", "services.*.build", "args target"),
    ("mu's task definition ran the image's own command", "services.*", "command entryPoint containerHealthCheck.command containerHealthCheck.interval containerHealthCheck.retries containerHealthCheck.startPeriod containerHealthCheck.timeout execCommand readonlyRootFilesystem user imageTest"),
    ("mu's database.yml had fixed settings for these", "services.*.database", "backtrackHours backupRetention backupWindow deletionProtection iamUser instances maintenanceWindow maxAllocatedStorage monitoringInterval multiAz parameters passwordVersion performanceInsights port version"),
    ("mu's deployment settings were its `deploymentStrategy`, a line", "services.*", "deployment.maximumPercent deployment.minimumHealthyPercent deregistrationDelay"),
    ("per-environment service sizes: mu had one size for every environment", "services.*.environments.*", "cpu memory database.instances database.serverless.autoPauseAfter database.serverless.maxCapacity database.serverless.minCapacity scaling.max scaling.metric scaling.min scaling.scaleIn.cooldown scaling.scaleIn.evaluationPeriods scaling.scaleIn.period scaling.scaleIn.steps[].at scaling.scaleIn.steps[].change scaling.scaleOut.cooldown scaling.scaleOut.evaluationPeriods scaling.scaleOut.period scaling.scaleOut.steps[].at scaling.scaleOut.steps[].change scaling.schedules[].max scaling.schedules[].min scaling.schedules[].name scaling.schedules[].schedule scaling.schedules[].timezone"),
    ("muon's target group setting; mu's had none", "services.*.healthCheck", "gracePeriod"),
    ("names with DNS records on the environment's domain: mu aliased `*.<name>.<zone>` to the load balancer instead (the hostedzone line says to list them here)", "services.*", "hosts"),
    ("IAM statements: mu's task role was a whole role (`roles.ecsTask`)", "services.*", "permissions[].actions permissions[].resources"),
    ("queue workers: mu had none", "services.*.queue", "maxReceives publishers retention visibilityTimeout"),
    ("muon's step scaling; mu's `targetCPUUtilization` is a line naming these", "services.*.scaling", "metric scaleIn.cooldown scaleIn.evaluationPeriods scaleIn.period scaleIn.steps[].at scaleIn.steps[].change scaleOut.cooldown scaleOut.evaluationPeriods scaleOut.period scaleOut.steps[].at scaleOut.steps[].change schedules[].max schedules[].min schedules[].name schedules[].schedule schedules[].timezone"),
    ("Lambda functions: mu had none", "functions.*", "architecture deployment environment handler host image memory permissions[].actions permissions[].resources reservedConcurrency runtime secrets source timeout tracing triggers[].batchSize triggers[].batchWindow triggers[].method triggers[].path triggers[].schedule triggers[].skillId triggers[].timezone triggers[].type triggers[].worker"),
    ("muon's target tracking; mu's `targetCPUUtilization` is a line naming `scaling`", "services.*.scaling", "targetTracking.customMetric.dimensions targetTracking.customMetric.name targetTracking.customMetric.namespace targetTracking.customMetric.statistic targetTracking.customMetric.unit targetTracking.disableScaleIn targetTracking.scaleInCooldown targetTracking.scaleOutCooldown targetTracking.target"),
    ("per-environment service sizes: mu had one size for every environment", "services.*.environments.*.scaling", "targetTracking.customMetric.dimensions targetTracking.customMetric.name targetTracking.customMetric.namespace targetTracking.customMetric.statistic targetTracking.customMetric.unit targetTracking.disableScaleIn targetTracking.scaleInCooldown targetTracking.scaleOutCooldown targetTracking.target"),
    ("Secrets Manager secrets: mu's secrets were its database password only", "functions.*.secrets.*", "key secret"),
    ("Secrets Manager secrets: mu's secrets were its database password only", "services.*.secrets.*", "jsonKey secret versionId versionStage"),
    ("mu had one load balancer an environment (elb.yml), with fixed target group settings", "services.*", "allowedCidrs loadBalancer stickiness.duration"),
    ("mu built and ran x86_64 images only", "services.*", "platform"),
    ("storage a service owns (S3, DynamoDB, EFS): mu had none", "services.*.storage", "buckets.*.expireAfterDays tables.*.billing tables.*.capacity.read.max tables.*.capacity.read.min tables.*.capacity.targetUtilization tables.*.capacity.write.max tables.*.capacity.write.min tables.*.globalIndexes.*.attributes tables.*.globalIndexes.*.partitionKey.name tables.*.globalIndexes.*.partitionKey.type tables.*.globalIndexes.*.projection tables.*.globalIndexes.*.sortKey.name tables.*.globalIndexes.*.sortKey.type tables.*.localIndexes.*.attributes tables.*.localIndexes.*.projection tables.*.localIndexes.*.sortKey.name tables.*.localIndexes.*.sortKey.type tables.*.partitionKey.name tables.*.partitionKey.type tables.*.sortKey.name tables.*.sortKey.type tables.*.stream tables.*.ttl volumes.*.gid volumes.*.path volumes.*.permissions volumes.*.readOnly volumes.*.uid"),
    ("sidecars, FireLens log routing and X-Ray tracing: mu's task definition had one container", "services.*", "dependsOn logging.deliveryStream logging.destination logging.enableMetadata logging.logGroup sidecars.*.command sidecars.*.cpu sidecars.*.dependsOn sidecars.*.environment sidecars.*.essential sidecars.*.healthCheck.command sidecars.*.healthCheck.interval sidecars.*.healthCheck.retries sidecars.*.healthCheck.startPeriod sidecars.*.healthCheck.timeout sidecars.*.image sidecars.*.memory sidecars.*.port sidecars.*.readonlyRootFilesystem sidecars.*.secrets.*.jsonKey sidecars.*.secrets.*.key sidecars.*.secrets.*.parameter sidecars.*.secrets.*.secret sidecars.*.secrets.*.versionId sidecars.*.secrets.*.versionStage sidecars.*.user targetContainer tracing"),
    ("SNS topics and subscriptions: mu had none", "services.*", "publish[].contentBasedDeduplication publish[].fifo publish[].name subscribe[].filterPolicy subscribe[].filterPolicyScope subscribe[].service subscribe[].topic"),
    ("static sites: mu had none", "sites.*", "build headers.contentSecurityPolicy headers.frameOptions headers.hstsMaxAge headers.referrerPolicy host notFound output priceClass source spa waf"),
)  # fmt: skip


def _schema_path(target: str) -> str:
    path = re.sub(r"\[\d+\]", "[]", target.replace("<name>", "*").replace("<env>", "*"))
    return path.removesuffix(".*")  # ``services.<name>``: the name map itself


def mapped() -> dict[str, str]:
    """muon path → the mu keys MAPPING writes it from."""
    found: dict[str, str] = {}
    for mu_key, (target, _why) in MAPPING.items():
        for part in filter(None, (t.strip() for t in target.split(","))):
            path = _schema_path(part)
            found[path] = f"{found[path]}, `{mu_key}`" if path in found else f"`{mu_key}`"
    return found


def no_mu_equivalent() -> dict[str, str]:
    """muon path → why mu had nothing it could come from."""
    found: dict[str, str] = {}
    for why, prefix, keys in _NONE:
        for key in keys.split():
            found[f"{prefix}.{key}" if prefix else key] = why
    return found


def decisions() -> dict[str, str]:
    """Every muon path the importer has decided: from which mu key, or why none."""
    return {**no_mu_equivalent(), **{k: f"from {v}" for k, v in FROM_MU.items()}, **mapped()}


def undecided(paths: set[str]) -> list[str]:
    """The schema ``paths`` with no decision (a mapping is decided when a key under it is)."""
    decided = set(decisions())
    return sorted(
        path
        for path in paths
        if path not in decided and not any(d.startswith((f"{path}.", f"{path}[")) for d in decided)
    )


def markdown() -> str:
    """docs/coming-from-mu.md's second table: the muon keys mu had no equivalent for, by reason."""
    grouped: dict[str, list[str]] = {}
    for path, why in no_mu_equivalent().items():
        grouped.setdefault(why, []).append(path)
    lines = ["| muon keys | why mu had none |", "| --- | --- |"]
    for why, paths in grouped.items():
        lines.append(f"| {', '.join(f'`{p}`' for p in paths)} | {why} |")
    return "\n".join(lines) + "\n"
