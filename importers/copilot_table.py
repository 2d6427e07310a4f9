# ruff: noqa: E501  (the table reads best one Copilot key a line)
"""Every Copilot manifest key (aws/copilot-cli ``internal/pkg/manifest``, documented in its
``site/content/docs/manifest/*.en.md``) and what ``muon import copilot`` makes of it. The importer's
stderr lines and docs/coming-from-copilot.md's table both come from here, so the two cannot drift.

A row's status: ``mapped`` (the importer writes the muon key), ``partial`` (it writes the muon key
and names what differs on stderr), ``lost`` (one stderr line: muon has no such key), or
``awaits <feature>``: a feature of issue 34 that is not in muon yet — until it is, the key is one
stderr line like a lost one. When the feature lands, its rows switch to ``mapped`` together with
the converter code that writes its keys (``importers/copilot_workload.py``).
"""

from __future__ import annotations

import re
from typing import NamedTuple

NONE = ""


class Row(NamedTuple):
    muon: str
    """The muon key it becomes, or NONE."""
    notes: str
    """How (mapped) or why not and what to do instead (the stderr line's text)."""
    status: str = "mapped"


AWAITS = {
    "sidecars": "sidecars, issue 34 item 3",
    "firelens": "FireLens log routing, issue 34 item 3",
    "tracing": "X-Ray tracing, issue 34 item 3",
    "pubsub": "SNS publish/subscribe, issue 34 item 5",
}
"""The features a row may await, and where the issue asks for them."""

W = "<workload>"
E = "environments/<env>"
# Copilot key (``<workload>`` a workload's manifest, ``environments/<env>`` an environment's, ``addons``
# a workload's CloudFormation addons) -> Row
MAPPING: dict[str, Row] = {
    ".workspace application": Row("namespace", "the application's name, lowercased; one of another form is cut to 2-16 a-z, 0-9, - (a line)"),
    f"{W} name": Row("services.<name> / sites.<name> / jobs.<name>", "the folder's name when absent"),
    f"{W} type: Load Balanced Web Service": Row("services.<name>", "kind: web"),
    f"{W} type: Backend Service": Row("services.<name>", "kind: backend (Service Connect at http://<name>:<port>)"),
    f"{W} type: Worker Service": Row("services.<name>", "kind: worker (its own SQS queue and dead-letter queue)"),
    f"{W} type: Request-Driven Web Service": Row("services.<name>", "kind: web on ECS behind the environment's load balancer, not App Runner; cpu 1024 / memory 2048 (App Runner's defaults) when absent", "partial"),
    f"{W} type: Scheduled Job": Row("jobs.<name> + services.<name>", "a muon job runs a service's task definition: the job's image becomes a worker service nobody publishes to (it runs no task)", "partial"),
    f"{W} type: Static Site": Row("sites.<name>", "files[0].source → output (source: .)"),
    f"{W} image.location": Row("services.<name>.image", ""),
    f"{W} image.build": Row("services.<name>.build", "a Dockerfile path → {context: its folder, dockerfile}; a map → context, dockerfile, target, args"),
    f"{W} image.build.cache_from": Row(NONE, "muon's builds use the builder's own cache", "lost"),
    f"{W} image.port": Row("services.<name>.port", "a Backend Service without one: port 8080, said on stderr"),
    f"{W} image.healthcheck": Row("services.<name>.containerHealthCheck", "command, interval, timeout, retries, start_period (Copilot's defaults: 10s, 5s, 2, 0s)"),
    f"{W} image.depends_on": Row("services.<name>.dependsOn", "container: start / complete / success / healthy → START / COMPLETE / SUCCESS / HEALTHY; the service's own name is muon's app; an unknown container, HEALTHY without the target's health check, two containers waiting for each other or the log router: a line (site/content/docs/developing/sidecars.en.md)"),
    f"{W} image.credentials": Row(NONE, "private registry credentials: push the image to ECR", "lost"),
    f"{W} image.labels": Row(NONE, "Docker labels of the container", "lost"),
    f"{W} image.docker_labels": Row(NONE, "Docker labels of the container", "lost"),
    f"{W} cpu": Row("services.<name>.cpu", "256 when absent"),
    f"{W} memory": Row("services.<name>.memory", "512 when absent"),
    f"{W} platform": Row("services.<name>.platform", "linux/arm64 (or linux/arm, or {osfamily: linux, architecture: arm64}) → linux/arm64, built for and run on Graviton; linux/x86_64 and linux/amd64 are both's default (site/content/docs/include/platform.en.md)"),
    f"{W} platform: windows": Row(NONE, "Windows containers: muon runs Linux tasks only", "lost"),
    f"{W} count": Row("services.<name>.scaling / desiredCount", "a number N (or {spot: N}): min N, max N, desiredCount N (1 when absent)"),
    f"{W} count.range": Row("services.<name>.scaling.min / max", "'1-10' or {min, max}"),
    f"{W} count.range.spot_from": Row(NONE, "muon chooses Fargate Spot per tier (environments.<name>.cluster.spot)", "lost"),
    f"{W} count.spot": Row(NONE, "muon chooses Fargate Spot per tier (environments.<name>.cluster.spot)", "lost"),
    f"{W} count.cooldown": Row("services.<name>.scaling.targetTracking.scaleInCooldown / scaleOutCooldown", "in / out (a metric's own {value, cooldown} wins); Copilot's 120 s in and 60 s out when absent (autoscaling.yml; v1.20 release notes). Beside no tracked metric: a line"),
    f"{W} count.cpu_percentage": Row("services.<name>.scaling.metric: cpu + targetTracking.target", "the average CPU % to hold (site/content/docs/include/common-svc-fields.en.md: count.cpu_percentage), N or {value: N, cooldown}; one metric per muon service: the first of cpu, memory, requests is kept, each other one a line"),
    f"{W} count.memory_percentage": Row("services.<name>.scaling.metric: memory + targetTracking.target", "the average memory % to hold; as cpu_percentage"),
    f"{W} count.requests": Row("services.<name>.scaling.metric: requests + targetTracking.target", "requests per task (Copilot's RequestCountPerTarget, summed per minute; muon's ALBRequestCountPerTarget): a web service only"),
    f"{W} count.response_time": Row(NONE, "Copilot tracked the ALB's TargetResponseTime for the service's target group; muon's targetTracking.customMetric names its dimensions in advance, and the load balancer's and target group's (app/<name>/<id>) exist only once deployed: track cpu or requests", "lost"),
    f"{W} count.queue_delay": Row("services.<name>.scaling (worker: backlog)", "a muon worker scales on backlog per task (+1 from 10 messages, +3 from 50)", "partial"),
    f"{W} exec": Row("services.<name>.execCommand", "with readonlyRootFilesystem: false, which ECS Exec's agent needs"),
    f"{W} entrypoint": Row("services.<name>.entryPoint", "a string is split as a shell splits it"),
    f"{W} command": Row("services.<name>.command / jobs.<name>.command", "a string is split as a shell splits it"),
    f"{W} variables": Row("services.<name>.environment", "${COPILOT_APPLICATION_NAME} → the application, ${COPILOT_ENVIRONMENT_NAME} → ${Environment}; a value that looks like a secret is a line (name it under secrets:)"),
    f"{W} variables.*.from_cfn": Row(NONE, "a CloudFormation export: write the value", "lost"),
    f"{W} secrets": Row("services.<name>.secrets", "an SSM parameter name or ARN; a Secrets Manager ARN → {secret: ARN}; ${COPILOT_ENVIRONMENT_NAME} → ${Environment}"),
    f"{W} secrets.*.secretsmanager": Row("services.<name>.secrets.<VAR>: {secret, jsonKey, versionStage / versionId}", "'name:json-key:version-stage:version-id' or an ARN followed by the same (site/content/docs/developing/secrets.en.md); a name given with Secrets Manager's six characters (mysql-Yi6mvL) is written without them (a note): muon matches them; stage and id both: the id is kept (a line)"),
    f"{W} secrets.*.from_cfn": Row(NONE, "a CloudFormation export: name the parameter", "lost"),
    f"{W} env_file": Row(NONE, "an S3 env file: put its variables in environment:", "lost"),
    f"{W} network.vpc.placement": Row("(private subnets)", "private maps; public: muon runs every task in private subnets without a public IP", "partial"),
    f"{W} network.vpc.security_groups": Row(NONE, "muon makes each service's security group; callers of a backend: allowFrom", "lost"),
    f"{W} network.connect": Row("kind: backend", "a Backend Service is reached through Service Connect; another workload is not", "partial"),
    f"{W} storage.readonly_fs": Row("services.<name>.readonlyRootFilesystem", "muon's default is true (Copilot's false)"),
    f"{W} storage.ephemeral": Row(NONE, "Fargate's 20 GiB", "lost"),
    f"{W} storage.volumes": Row("services.<name>.storage.volumes.<v>", "efs: true or {uid, gid} (a managed file system of the workload's own) → path, readOnly (Copilot's default true), uid, gid (muon's 1000 when absent); the name lowercased (site/content/docs/include/storage.en.md)"),
    f"{W} storage.volumes.efs.id": Row(NONE, "an existing EFS file system (id, root_dir, auth): muon's volumes are file systems of the service's own", "lost"),
    f"{W} storage.volumes (no efs)": Row(NONE, "an empty task volume (bind mount) shared with sidecars: muon's task has none; write to /tmp (each container's own) or use a managed EFS volume (efs: true)", "lost"),
    f"{W} logging.retention": Row(NONE, "muon keeps logs per environment: environments.<env>.logRetentionDays (14 / 365 days)", "lost"),
    f"{W} logging": Row("services.<name>.logging", "FireLens: destination {Name: cloudwatch | cloudwatch_logs, log_group_name} → {destination: cloudwatch, logGroup}, {Name: firehose | kinesis_firehose, delivery_stream} → {destination: firehose, deliveryStream}; enableMetadata (true when absent); muon routes the sidecars' logs too. Other destination options, image (but aws-for-fluent-bit:stable), secretOptions, configFilePath, variables, secrets: a line each; no such destination: a line (site/content/docs/include/logging.en.md)", "partial"),
    f"{W} observability": Row("services.<name>.tracing", "tracing: awsxray → xray (an ADOT collector beside the app); OTEL_EXPORTER_OTLP_ENDPOINT / AWS_XRAY_DAEMON_ADDRESS in variables are muon's to set: a line (site/content/docs/include/observability.en.md)"),
    f"{W} sidecars": Row("services.<name>.sidecars.<s>", "image (a location; build: a line), port (N or N/tcp), essential (true when absent), variables → environment, secrets, command, healthcheck → healthCheck, depends_on → dependsOn; the name lowercased; entrypoint, mount_points, credentialsParameter, labels: a line each; muon runs it as user 1000 on a read-only root (site/content/docs/developing/sidecars.en.md)", "partial"),
    f"{W} publish": Row("services.<name>.publish", "topics[] {name, fifo: true | {content_based_deduplication}} → {name (lowercased), fifo, contentBasedDeduplication}: the topic <app>-<env>-<service>-<name>[.fifo], as Copilot's; COPILOT_SNS_TOPIC_ARNS is written as Copilot gave it (beside muon's <TOPIC>_TOPIC_ARN); allowed_workers: the workers whose subscribe names it (site/content/docs/include/publish.en.md)"),
    f"{W} subscribe.topics": Row("services.<name>.subscribe", "{name, service} → {service, topic}: the topic of that service's publish list (worker-service.en.md); a topic no service of the application publishes: a line"),
    f"{W} subscribe.topics.filter_policy": Row("services.<name>.subscribe[].filterPolicy", "the SNS filter policy on message attributes, as Copilot's; one SNS would refuse (over 5 keys, 150 combinations, 256 KB): a line (site/content/docs/manifest/worker-service.en.md)"),
    f"{W} subscribe.topics.queue": Row(NONE, "a queue per topic: muon's worker has one queue", "lost"),
    f"{W} subscribe.queue.retention": Row("services.<name>.queue.retention", "4 days when absent"),
    f"{W} subscribe.queue.timeout": Row("services.<name>.queue.visibilityTimeout", "30 s when absent"),
    f"{W} subscribe.queue.dead_letter.tries": Row("services.<name>.queue.maxReceives", "muon always has a dead-letter queue (5 receives when absent)"),
    f"{W} subscribe.queue.delay": Row(NONE, "SQS delivery delay", "lost"),
    f"{W} subscribe.queue.fifo": Row(NONE, "a FIFO queue: muon's worker queue is standard; subscribed to a FIFO topic it receives every message, without the order (docs/definition.md, Topics and subscriptions)", "lost"),
    f"{W} taskdef_overrides": Row(NONE, "CloudFormation patches of the task definition: see extensions in docs/definition.md", "lost"),
    f"{W} deployment.rolling": Row("services.<name>.deployment", "recreate → minimumHealthyPercent 0, maximumPercent 100"),
    f"{W} deployment.rollback_alarms": Row(NONE, "muon's deployments roll back on its own alarms (5xx, unhealthy hosts)", "lost"),
    f"{W} http.path": Row("services.<name>.pathPatterns", "'/' → /*; 'api' → /api and /api/* (Copilot's listener rule)"),
    f"{W} http.healthcheck": Row("services.<name>.healthCheck", "a path, or path, success_codes, thresholds, interval, timeout, grace_period (Copilot's defaults: /, 200, 5, 2, 30s, 5s, 60s)"),
    f"{W} http.healthcheck.port": Row(NONE, "the target group checks the container port", "lost"),
    f"{W} http.deregistration_delay": Row("services.<name>.deregistrationDelay", "60 s when absent"),
    f"{W} http.alias": Row("services.<name>.hostPatterns", "routing only: give environments.<env>.domain and list the names in hosts for DNS records and a certificate", "partial"),
    f"{W} http.hosted_zone": Row(NONE, "give environments.<env>.domain", "lost"),
    f"{W} http.stickiness": Row("services.<name>.stickiness", "true → {duration: 86400}: the load balancer's cookie, for the ALB's default day (Copilot sets no duration; http-config.en.md)"),
    f"{W} http.allowed_source_ips": Row("services.<name>.allowedCidrs", "the listener rule's source-ip condition, as Copilot's; with the paths and aliases 5 values in all: CIDRs past that are left out (a line: they no longer reach the service), aliases past it too"),
    f"{W} http.target_container": Row("services.<name>.targetContainer", "a sidecar with a port (the service's own name: the app, muon's default); another container: a line (site/content/docs/include/http-config.en.md)"),
    f"{W} http.redirect_to_https": Row("(environment)", "muon redirects HTTP to HTTPS whenever the environment has a domain or certificate", "partial"),
    f"{W} http.additional_rules": Row(NONE, "one listener rule per service: list its paths in pathPatterns", "lost"),
    f"{W} http.version": Row(NONE, "HTTP/1.1 to the targets (gRPC and HTTP/2 target groups are not supported)", "lost"),
    f"{W} http.private": Row(NONE, "an internal load balancer per environment: environments.<env>.loadBalancer.internal", "lost"),
    f"{W} http.certificate": Row(NONE, "give environments.<env>.domain or loadBalancer.certificateArn", "lost"),
    f"{W} http: false": Row("kind: backend", "no load balancer: a backend (Service Connect)", "partial"),
    f"{W} nlb": Row(NONE, "Network Load Balancers", "lost"),
    f"{W} instance_role": Row(NONE, "App Runner's instance role: task role statements go in services.<name>.permissions", "lost"),
    f"{W} on.schedule": Row("jobs.<name>.schedule", "'@daily' → cron(0 0 * * ? *) and the other presets, '@every 1h' → rate(60 minutes), five-field cron → AWS's six fields (Copilot's awsSchedule); 'none' is a line"),
    f"{W} timeout": Row("jobs.<name>.timeout", "absent: 86400 (muon's longest; Copilot had no limit)"),
    f"{W} retries": Row(NONE, "muon runs a job once; a failed run alarms", "lost"),
    f"{W} files": Row("sites.<name>.output", "one entry to /; more, destination, exclude, reinclude: a line"),
    f"{W} environments.<env>": Row("services.<name>.environments.<env>", "cpu, memory, count (→ scaling) and variables per environment; any other key is a line"),
    f"{E} name": Row("environments.<name>", "the folder's name when absent"),
    f"{E} network.vpc.id": Row("environments.<name>.network.existing.vpcId", "with the subnets' ids"),
    f"{E} network.vpc.subnets": Row("environments.<name>.network.existing.public/privateSubnetIds", "ids of an imported VPC; CIDRs of a new one are muon's to compute"),
    f"{E} network.vpc.cidr": Row("environments.<name>.network.cidr", ""),
    f"{E} network.vpc.security_group": Row(NONE, "muon makes its own security groups", "lost"),
    f"{E} network.vpc.flow_logs": Row("(always)", "muon always keeps VPC flow logs"),
    f"{E} http.public.certificates": Row("environments.<name>.loadBalancer.certificateArn", "the first; more: a line"),
    f"{E} http.public.ssl_policy": Row("environments.<name>.loadBalancer.sslPolicy", ""),
    f"{E} http.public.ingress.source_ips": Row("environments.<name>.loadBalancer.ingressCidrs", ""),
    f"{E} http.public.ingress.cdn": Row(NONE, "CloudFront in front of the load balancer", "lost"),
    f"{E} http.public.access_logs": Row("environments.<name>.loadBalancer.accessLogs", "to muon's own bucket (bucket_name, prefix: a line)"),
    f"{E} http.private": Row(NONE, "a second, internal load balancer: muon has one per environment (loadBalancer.internal)", "lost"),
    f"{E} cdn": Row(NONE, "CloudFront in front of the load balancer", "lost"),
    f"{E} observability.container_insights": Row("environments.<name>.cluster.containerInsights", ""),
    "addons AWS::RDS::DBCluster": Row("services.<name>.database", "an Aurora MySQL or PostgreSQL cluster: engine, DatabaseName, Serverless v2 capacity (its subnet group, security group, secret and instances are muon's own)"),
    "addons AWS::DynamoDB::Table": Row("services.<name>.storage.tables.<t>", "KeySchema + AttributeDefinitions → partitionKey / sortKey; BillingMode (PAY_PER_REQUEST → on-demand; PROVISIONED → capacity min = max = its units, which muon gives each global index too: an index's own units are a line); GlobalSecondaryIndexes / LocalSecondaryIndexes; TimeToLiveSpecification → ttl; StreamSpecification → stream; storage init's TableName ${App}-${Env}-${Name}-<t> names it (muon's is the same); any other property, and a name of another form, is a line; its output variable becomes <T>_TABLE (a line)"),
    "addons AWS::S3::Bucket": Row("services.<name>.storage.buckets.<b>", "muon's bucket is what storage init's asks for (encrypted, private, public access blocked, owner enforced, TLS only: its AWS::S3::BucketPolicy too) and versioned; one rule expiring every object → expireAfterDays; BucketName and any other property is a line; its output variable becomes <B>_BUCKET (a line)"),
    "addons AWS::IAM::ManagedPolicy": Row(NONE, "muon grants a service what its own resources need; other statements: services.<name>.permissions", "lost"),
    "addons (any other resource)": Row(NONE, "a CloudFormation resource: declare it in your own stack or an extension (docs/definition.md)", "lost"),
    "pipelines": Row("pipeline", "copilot/pipelines/*/manifest.yml: write pipeline: (muon init --pipeline)", "lost"),
}  # fmt: skip


def awaits(status: str) -> str | None:
    """The feature a row awaits, or None."""
    return status.removeprefix("awaits ") if status.startswith("awaits ") else None


def row(key: str) -> Row | None:
    """The row of ``key`` or of its nearest parent (``<workload> http.path.x`` → ``http.path``)."""
    while key:
        if key in MAPPING:
            return MAPPING[key]
        parent = re.sub(r"\.[^.]*$", "", key)
        if parent == key:
            return None
        key = parent
    return None


def reason(key: str) -> str:
    """A lost or awaiting key's stderr text."""
    found = row(key)
    if found is None:
        return "no muon equivalent"
    feature = awaits(found.status)
    if feature:
        return f"not converted: {found.notes} (awaits muon's {AWAITS[feature]})"
    if found.status == "partial":
        return f"converted in part: {found.notes}"
    return f"not converted: {found.notes}"


def markdown() -> str:
    """docs/coming-from-copilot.md's table."""
    lines = ["| Copilot key | muon key | status | notes |", "| --- | --- | --- | --- |"]
    for key, (target, why, status) in MAPPING.items():
        feature = awaits(status)
        shown = f"awaits {AWAITS[feature]}" if feature else status
        lines.append(f"| `{key}` | {f'`{target}`' if target else '—'} | {shown} | {why} |")
    return "\n".join(lines) + "\n"
