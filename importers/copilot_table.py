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
    "secretsmanager": "Secrets Manager secrets, issue 34 item 2",
    "arm64": "ARM64 platform, issue 34 item 6",
    "target-tracking": "target-tracking scaling, issue 34 item 7",
    "stickiness": "per-service stickiness, issue 34 item 7",
    "source-cidrs": "per-service allowed source CIDRs, issue 34 item 7",
    "sidecars": "sidecars, issue 34 item 3",
    "firelens": "FireLens log routing, issue 34 item 3",
    "tracing": "X-Ray tracing, issue 34 item 3",
    "pubsub": "SNS publish/subscribe, issue 34 item 5",
    "storage": "service-owned S3, DynamoDB and EFS storage, issue 34 item 4",
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
    f"{W} image.depends_on": Row(NONE, "container start order needs sidecars", "awaits sidecars"),
    f"{W} image.credentials": Row(NONE, "private registry credentials: push the image to ECR", "lost"),
    f"{W} image.labels": Row(NONE, "Docker labels of the container", "lost"),
    f"{W} image.docker_labels": Row(NONE, "Docker labels of the container", "lost"),
    f"{W} cpu": Row("services.<name>.cpu", "256 when absent"),
    f"{W} memory": Row("services.<name>.memory", "512 when absent"),
    f"{W} platform": Row(NONE, "linux/arm64 on Graviton (linux/x86_64, the default, converts; Windows is not supported)", "awaits arm64"),
    f"{W} count": Row("services.<name>.scaling / desiredCount", "a number N (or {spot: N}): min N, max N, desiredCount N (1 when absent)"),
    f"{W} count.range": Row("services.<name>.scaling.min / max", "'1-10' or {min, max}"),
    f"{W} count.range.spot_from": Row(NONE, "muon chooses Fargate Spot per tier (environments.<name>.cluster.spot)", "lost"),
    f"{W} count.spot": Row(NONE, "muon chooses Fargate Spot per tier (environments.<name>.cluster.spot)", "lost"),
    f"{W} count.cooldown": Row(NONE, "muon's step policies have their own cooldowns (scaling.scaleOut/scaleIn.cooldown)", "lost"),
    f"{W} count.cpu_percentage": Row("services.<name>.scaling.metric: cpu", "muon scales in steps (scale out at 80 %, in at 30 %) until target tracking lands: review scaling.scaleOut/scaleIn", "awaits target-tracking"),
    f"{W} count.memory_percentage": Row("services.<name>.scaling.metric: memory", "muon scales in steps until target tracking lands: review scaling.scaleOut/scaleIn", "awaits target-tracking"),
    f"{W} count.requests": Row("services.<name>.scaling.metric: requests", "muon scales in steps until target tracking lands: review scaling.scaleOut/scaleIn", "awaits target-tracking"),
    f"{W} count.response_time": Row(NONE, "scaling on response time", "awaits target-tracking"),
    f"{W} count.queue_delay": Row("services.<name>.scaling (worker: backlog)", "a muon worker scales on backlog per task (+1 from 10 messages, +3 from 50)", "partial"),
    f"{W} exec": Row("services.<name>.execCommand", "with readonlyRootFilesystem: false, which ECS Exec's agent needs"),
    f"{W} entrypoint": Row("services.<name>.entryPoint", "a string is split as a shell splits it"),
    f"{W} command": Row("services.<name>.command / jobs.<name>.command", "a string is split as a shell splits it"),
    f"{W} variables": Row("services.<name>.environment", "${COPILOT_APPLICATION_NAME} → the application, ${COPILOT_ENVIRONMENT_NAME} → ${Environment}; a value that looks like a secret is a line (name it under secrets:)"),
    f"{W} variables.*.from_cfn": Row(NONE, "a CloudFormation export: write the value", "lost"),
    f"{W} secrets": Row("services.<name>.secrets", "an SSM parameter name or ARN; ${COPILOT_ENVIRONMENT_NAME} → ${Environment}"),
    f"{W} secrets.*.secretsmanager": Row(NONE, "a Secrets Manager secret", "awaits secretsmanager"),
    f"{W} secrets.*.from_cfn": Row(NONE, "a CloudFormation export: name the parameter", "lost"),
    f"{W} env_file": Row(NONE, "an S3 env file: put its variables in environment:", "lost"),
    f"{W} network.vpc.placement": Row("(private subnets)", "private maps; public: muon runs every task in private subnets without a public IP", "partial"),
    f"{W} network.vpc.security_groups": Row(NONE, "muon makes each service's security group; callers of a backend: allowFrom", "lost"),
    f"{W} network.connect": Row("kind: backend", "a Backend Service is reached through Service Connect; another workload is not", "partial"),
    f"{W} storage.readonly_fs": Row("services.<name>.readonlyRootFilesystem", "muon's default is true (Copilot's false)"),
    f"{W} storage.ephemeral": Row(NONE, "Fargate's 20 GiB", "lost"),
    f"{W} storage.volumes": Row(NONE, "EFS volumes", "awaits storage"),
    f"{W} logging.retention": Row(NONE, "muon keeps logs per environment: environments.<env>.logRetentionDays (14 / 365 days)", "lost"),
    f"{W} logging": Row(NONE, "FireLens log routing", "awaits firelens"),
    f"{W} observability": Row(NONE, "observability.tracing: AWS X-Ray through the ADOT collector", "awaits tracing"),
    f"{W} sidecars": Row(NONE, "extra containers in the task", "awaits sidecars"),
    f"{W} publish": Row(NONE, "SNS topics; a worker's subscription is carried as its queue's publishers", "awaits pubsub"),
    f"{W} subscribe.topics": Row("services.<name>.queue.publishers", "each topic's service may send to the worker's queue (point to point; the topic's fan-out awaits SNS publish/subscribe)", "partial"),
    f"{W} subscribe.topics.filter_policy": Row(NONE, "SNS filter policies", "awaits pubsub"),
    f"{W} subscribe.topics.queue": Row(NONE, "a queue per topic: muon's worker has one queue", "lost"),
    f"{W} subscribe.queue.retention": Row("services.<name>.queue.retention", "4 days when absent"),
    f"{W} subscribe.queue.timeout": Row("services.<name>.queue.visibilityTimeout", "30 s when absent"),
    f"{W} subscribe.queue.dead_letter.tries": Row("services.<name>.queue.maxReceives", "muon always has a dead-letter queue (5 receives when absent)"),
    f"{W} subscribe.queue.delay": Row(NONE, "SQS delivery delay", "lost"),
    f"{W} subscribe.queue.fifo": Row(NONE, "FIFO queues", "awaits pubsub"),
    f"{W} taskdef_overrides": Row(NONE, "CloudFormation patches of the task definition: see extensions in docs/definition.md", "lost"),
    f"{W} deployment.rolling": Row("services.<name>.deployment", "recreate → minimumHealthyPercent 0, maximumPercent 100"),
    f"{W} deployment.rollback_alarms": Row(NONE, "muon's deployments roll back on its own alarms (5xx, unhealthy hosts)", "lost"),
    f"{W} http.path": Row("services.<name>.pathPatterns", "'/' → /*; 'api' → /api and /api/* (Copilot's listener rule)"),
    f"{W} http.healthcheck": Row("services.<name>.healthCheck", "a path, or path, success_codes, thresholds, interval, timeout, grace_period (Copilot's defaults: /, 200, 5, 2, 30s, 5s, 60s)"),
    f"{W} http.healthcheck.port": Row(NONE, "the target group checks the container port", "lost"),
    f"{W} http.deregistration_delay": Row("services.<name>.deregistrationDelay", "60 s when absent"),
    f"{W} http.alias": Row("services.<name>.hostPatterns", "routing only: give environments.<env>.domain and list the names in hosts for DNS records and a certificate", "partial"),
    f"{W} http.hosted_zone": Row(NONE, "give environments.<env>.domain", "lost"),
    f"{W} http.stickiness": Row(NONE, "sticky sessions", "awaits stickiness"),
    f"{W} http.allowed_source_ips": Row(NONE, "per-service source CIDRs (environments.<env>.loadBalancer.ingressCidrs admits per environment)", "awaits source-cidrs"),
    f"{W} http.target_container": Row(NONE, "routing to a sidecar", "awaits sidecars"),
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
    "addons AWS::DynamoDB::Table": Row(NONE, "a DynamoDB table the service owns", "awaits storage"),
    "addons AWS::S3::Bucket": Row(NONE, "an S3 bucket the service owns", "awaits storage"),
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
