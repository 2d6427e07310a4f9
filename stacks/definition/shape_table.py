"""The definition's shape, read from the models by
``python -m muon.stacks.definition.shape_build``: do not edit (tests/test_shape.py compares it
with the models). Each model: its fields as
(YAML key, Python name, kind, required, ruled: a validator checks it further), whether the
Python name is taken too, whether unknown keys are refused, whether a rule checks the whole
model. A kind is "any" (left to the models) or a tuple: (str, pattern, hint),
(int,), (float,), (bool,), (literal, values, words), (list, item, min, max),
(dict, key pattern, value, min, max), (model, name), (optional, kind)."""

from typing import Any

SHAPES: dict[str, Any] = {
    "AttachSpec": {
        "fields": (
            (
                "stack",
                "stack",
                (
                    "str",
                    "^([A-Za-z0-9_.-]+/){0,2}[A-Za-z0-9_.-]+$",
                    "a stack name: stack, project/stack or organization/project/stack",
                ),
                True,
                False,
            ),
            (
                "environment",
                "environment",
                (
                    "optional",
                    (
                        "str",
                        "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$",
                        "a name of 2-22 lowercase letters, digits and '-', starting with a "
                        "letter, with no '--' and no '-' at the end (RDS identifiers refuse "
                        "both)",
                    ),
                ),
                False,
                False,
            ),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "BucketSpec": {
        "fields": (("expireAfterDays", "expire_after_days", ("optional", ("int",)), False, False),),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "BuildSpec": {
        "fields": (
            ("context", "context", "any", False, True),
            ("dockerfile", "dockerfile", "any", False, True),
            (
                "target",
                "target",
                ("optional", ("str", "^[A-Za-z0-9][\\w.-]*$", "a build stage name")),
                False,
                False,
            ),
            (
                "args",
                "args",
                ("dict", "^[A-Za-z_][A-Za-z0-9_]*$", ("str", None, None), None, None),
                False,
                True,
            ),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "CapacityRange": {
        "fields": (("min", "min", ("int",), True, False), ("max", "max", ("int",), True, False)),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "CapacitySpec": {
        "fields": (
            ("read", "read", ("model", "CapacityRange"), True, False),
            ("write", "write", ("model", "CapacityRange"), True, False),
            ("targetUtilization", "target_utilization", ("int",), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "ClusterSpec": {
        "fields": (
            (
                "provider",
                "provider",
                ("optional", ("literal", ("fargate", "ec2"), "'fargate' or 'ec2'")),
                False,
                False,
            ),
            (
                "instanceType",
                "instance_type",
                ("str", "^[a-z][a-z0-9-]*\\.[a-z0-9]+$", "an EC2 instance type such as t3.large"),
                False,
                False,
            ),
            ("min", "min", ("optional", ("int",)), False, False),
            ("max", "max", ("optional", ("int",)), False, False),
            ("rootVolumeSize", "root_volume_size", ("int",), False, False),
            ("spot", "spot", ("optional", ("bool",)), False, False),
            ("containerInsights", "container_insights", ("optional", ("bool",)), False, False),
            (
                "imageId",
                "image_id",
                (
                    "optional",
                    (
                        "str",
                        "^(ami-[0-9a-f]{8,17}|(resolve:ssm:)?/[A-Za-z0-9_./-]{1,1010})$",
                        "an AMI id (ami-0123456789abcdef0) or a Parameter Store name "
                        "holding one (/acme/ecs-ami, or EC2's resolve:ssm:/acme/ecs-ami)",
                    ),
                ),
                False,
                False,
            ),
            ("userData", "user_data", ("optional", ("str", None, None)), False, True),
            (
                "httpProxy",
                "http_proxy",
                (
                    "optional",
                    (
                        "str",
                        "^https?://[A-Za-z0-9.-]+(:\\d{1,5})?/?$",
                        "a proxy URL such as http://proxy.corp:3128",
                    ),
                ),
                False,
                True,
            ),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "ContainerHealthCheckSpec": {
        "fields": (
            ("command", "command", ("list", ("str", None, None), 1, None), True, True),
            ("interval", "interval", ("int",), False, False),
            ("timeout", "timeout", ("int",), False, False),
            ("retries", "retries", ("int",), False, False),
            ("startPeriod", "start_period", ("int",), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "ContinuitySpec": {
        "fields": (
            ("enabled", "enabled", ("bool",), False, False),
            ("dailyRetentionDays", "daily_retention_days", ("optional", ("int",)), False, False),
            ("monthlyRetentionDays", "monthly_retention_days", ("optional", ("int",)), False, False),
            ("lock", "lock", ("optional", ("bool",)), False, False),
            ("lockMinRetentionDays", "lock_min_retention_days", ("optional", ("int",)), False, False),
            (
                "copyRegion",
                "copy_region",
                ("optional", ("str", "^[a-z]{2}(-[a-z]+)+-\\d$", "an AWS region such as us-west-2")),
                False,
                False,
            ),
            ("restoreTest", "restore_test", ("model", "RestoreTestSpec"), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "DatabaseAlarmsSpec": {
        "fields": (
            ("cpu", "cpu", ("float",), False, False),
            ("freeableMemoryMib", "freeable_memory_mib", ("int",), False, False),
            ("connections", "connections", ("optional", ("int",)), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "DatabaseSpec": {
        "fields": (
            (
                "instanceClass",
                "instance_class",
                (
                    "optional",
                    ("str", "^db\\.[a-z0-9]+\\.[a-z0-9]+$", "an RDS instance class such as db.t4g.medium"),
                ),
                False,
                False,
            ),
            ("instances", "instances", ("optional", ("int",)), False, False),
            ("serverless", "serverless", ("optional", ("model", "ServerlessSpec")), False, False),
            (
                "name",
                "name",
                (
                    "str",
                    "^[A-Za-z][A-Za-z0-9_]{0,63}$",
                    "a database name: a letter, then up to 63 letters, digits or '_'",
                ),
                True,
                False,
            ),
            (
                "formerly",
                "formerly",
                (
                    "optional",
                    (
                        "str",
                        "^[A-Za-z][A-Za-z0-9_]{0,63}$",
                        "a database name: a letter, then up to 63 letters, digits or '_'",
                    ),
                ),
                False,
                False,
            ),
            (
                "engine",
                "engine",
                (
                    "literal",
                    ("aurora-mysql", "aurora-postgresql", "postgres", "mysql", "mariadb"),
                    "'aurora-mysql', 'aurora-postgresql', 'postgres', 'mysql' or 'mariadb'",
                ),
                False,
                False,
            ),
            ("allocatedStorage", "allocated_storage", ("int",), False, False),
            ("maxAllocatedStorage", "max_allocated_storage", ("optional", ("int",)), False, False),
            ("multiAz", "multi_az", ("optional", ("bool",)), False, False),
            ("version", "version", ("optional", ("str", None, None)), False, False),
            (
                "masterUsername",
                "master_username",
                ("str", "^[A-Za-z][A-Za-z0-9_]{0,62}$", "a letter, then letters, digits or '_'"),
                False,
                False,
            ),
            ("port", "port", ("optional", ("int",)), False, False),
            ("iamAuthentication", "iam_authentication", ("bool",), False, False),
            (
                "iamUser",
                "iam_user",
                ("optional", ("str", "^[A-Za-z][A-Za-z0-9_]{0,31}$", "a database user name")),
                False,
                False,
            ),
            (
                "passwordParameter",
                "password_parameter",
                ("str", "^/[A-Za-z0-9_.\\-/${}]+$", "a Parameter Store name starting with '/'"),
                False,
                False,
            ),
            ("passwordVersion", "password_version", ("int",), False, False),
            ("backupRetention", "backup_retention", ("optional", ("int",)), False, False),
            (
                "backupWindow",
                "backup_window",
                ("str", "^([01]\\d|2[0-3]):[0-5]\\d-([01]\\d|2[0-3]):[0-5]\\d$", "hh:mm-hh:mm in UTC"),
                False,
                True,
            ),
            (
                "maintenanceWindow",
                "maintenance_window",
                (
                    "str",
                    "^(mon|tue|wed|thu|fri|sat|sun):([01]\\d|2[0-3]):[0-5]\\d-(mon|tue|wed|thu|fri|sat|sun):([01]\\d|2[0-3]):[0-5]\\d$",
                    "ddd:hh:mm-ddd:hh:mm in UTC, e.g. sun:04:30-sun:05:30",
                ),
                False,
                True,
            ),
            ("deletionProtection", "deletion_protection", ("optional", ("bool",)), False, False),
            ("performanceInsights", "performance_insights", ("optional", ("bool",)), False, False),
            ("monitoringInterval", "monitoring_interval", "any", False, False),
            ("backtrackHours", "backtrack_hours", ("optional", ("int",)), False, False),
            ("parameters", "parameters", ("dict", None, ("str", None, None), None, None), False, True),
            ("alarms", "alarms", ("model", "DatabaseAlarmsSpec"), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "Definition": {
        "fields": (
            (
                "namespace",
                "namespace",
                (
                    "optional",
                    (
                        "str",
                        "^(?=.{2,16}$)[a-z](?:-?[a-z0-9])+$",
                        "a namespace of 2-16 lowercase letters, digits and '-', starting "
                        "with a letter, with no '--' and no '-' at the end (RDS identifiers "
                        "refuse both)",
                    ),
                ),
                False,
                False,
            ),
            ("tags", "tags", ("dict", None, ("str", None, None), None, None), False, True),
            ("keys", "keys", ("model", "KeysSpec"), False, False),
            ("permissionsBoundary", "permissions_boundary", "any", False, False),
            (
                "extensions",
                "extensions",
                (
                    "list",
                    (
                        "str",
                        "^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$",
                        "a Python module name such as acme_ext or extensions.sticky",
                    ),
                    None,
                    None,
                ),
                False,
                False,
            ),
            (
                "environments",
                "environments",
                ("dict", "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$", ("model", "EnvironmentSpec"), 1, None),
                True,
                False,
            ),
            (
                "services",
                "services",
                ("dict", "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$", ("model", "ServiceSpec"), None, None),
                False,
                False,
            ),
            (
                "jobs",
                "jobs",
                ("dict", "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$", ("model", "JobSpec"), None, None),
                False,
                False,
            ),
            (
                "functions",
                "functions",
                ("dict", "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$", ("model", "FunctionSpec"), None, None),
                False,
                False,
            ),
            (
                "sites",
                "sites",
                ("dict", "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$", ("model", "SiteSpec"), None, None),
                False,
                False,
            ),
            ("pipeline", "pipeline", ("optional", ("model", "PipelineSpec")), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "DeploymentSpec": {
        "fields": (
            ("minimumHealthyPercent", "minimum_healthy_percent", ("int",), False, False),
            ("maximumPercent", "maximum_percent", ("int",), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "DomainSpec": {
        "fields": (
            ("name", "name", ("str", None, None), True, False),
            ("zone", "zone", ("optional", ("str", None, None)), False, False),
            (
                "zoneId",
                "zone_id",
                ("optional", ("str", "^Z[A-Z0-9]{1,31}$", "a Route 53 hosted zone id (Z...)")),
                False,
                False,
            ),
            ("createZone", "create_zone", ("bool",), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "EnvironmentSpec": {
        "fields": (
            (
                "tier",
                "tier",
                ("optional", ("literal", ("development", "production"), "'development' or 'production'")),
                False,
                False,
            ),
            ("cost", "cost", ("literal", ("standard", "minimal"), "'standard' or 'minimal'"), False, False),
            ("network", "network", ("model", "NetworkSpec"), False, False),
            ("cluster", "cluster", ("model", "ClusterSpec"), False, False),
            ("loadBalancer", "load_balancer", ("model", "LoadBalancerSpec"), False, False),
            ("domain", "domain", ("optional", ("model", "DomainSpec")), False, False),
            ("waf", "waf", "any", False, False),
            ("wafRateLimit", "waf_rate_limit", ("int",), False, False),
            (
                "wafBlock",
                "waf_block",
                (
                    "list",
                    (
                        "literal",
                        ("SizeRestrictions_BODY", "NoUserAgent_HEADER"),
                        "'SizeRestrictions_BODY' or 'NoUserAgent_HEADER'",
                    ),
                    None,
                    None,
                ),
                False,
                False,
            ),
            ("logRetentionDays", "log_retention_days", ("optional", ("int",)), False, True),
            (
                "alarmEmails",
                "alarm_emails",
                ("list", ("str", "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", "an email address"), None, None),
                False,
                False,
            ),
            ("alarmSlack", "alarm_slack", ("optional", ("model", "SlackSpec")), False, False),
            ("attach", "attach", ("optional", ("model", "AttachSpec")), False, False),
            (
                "formerly",
                "formerly",
                (
                    "optional",
                    (
                        "str",
                        "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$",
                        "a name of 2-22 lowercase letters, digits and '-', starting "
                        "with a letter, with no '--' and no '-' at the end (RDS "
                        "identifiers refuse both)",
                    ),
                ),
                False,
                False,
            ),
            ("continuity", "continuity", ("model", "ContinuitySpec"), False, False),
            ("tags", "tags", ("dict", None, ("str", None, None), None, None), False, True),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "ExistingNetworkSpec": {
        "fields": (
            ("vpcId", "vpc_id", ("str", "^vpc-[0-9a-f]{8,17}$", "a VPC id (vpc-0123abcd...)"), True, False),
            (
                "publicSubnetIds",
                "public_subnet_ids",
                ("list", ("str", "^subnet-[0-9a-f]{8,17}$", "a subnet id (subnet-0123abcd...)"), 2, None),
                True,
                False,
            ),
            (
                "privateSubnetIds",
                "private_subnet_ids",
                ("list", ("str", "^subnet-[0-9a-f]{8,17}$", "a subnet id (subnet-0123abcd...)"), 2, None),
                True,
                False,
            ),
            (
                "isolatedSubnetIds",
                "isolated_subnet_ids",
                ("list", ("str", "^subnet-[0-9a-f]{8,17}$", "a subnet id (subnet-0123abcd...)"), None, None),
                False,
                False,
            ),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "FunctionSpec": {
        "fields": (
            ("source", "source", "any", False, True),
            (
                "image",
                "image",
                (
                    "optional",
                    (
                        "str",
                        "^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::\\d+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$",
                        "an image reference: [registry/]repository[:tag][@sha256:<64 hex digits>]",
                    ),
                ),
                False,
                True,
            ),
            (
                "runtime",
                "runtime",
                (
                    "optional",
                    (
                        "literal",
                        (
                            "python3.9",
                            "python3.10",
                            "python3.11",
                            "python3.12",
                            "python3.13",
                            "nodejs18.x",
                            "nodejs20.x",
                            "nodejs22.x",
                            "java17",
                            "java21",
                            "dotnet8",
                            "ruby3.3",
                            "ruby3.4",
                            "provided.al2",
                            "provided.al2023",
                        ),
                        "'python3.9', 'python3.10', 'python3.11', 'python3.12', "
                        "'python3.13', 'nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'java17', "
                        "'java21', 'dotnet8', 'ruby3.3', 'ruby3.4', 'provided.al2' or "
                        "'provided.al2023'",
                    ),
                ),
                False,
                False,
            ),
            ("handler", "handler", ("optional", ("str", None, None)), False, False),
            ("memory", "memory", ("int",), False, False),
            ("timeout", "timeout", ("int",), False, False),
            (
                "architecture",
                "architecture",
                ("literal", ("arm64", "x86_64"), "'arm64' or 'x86_64'"),
                False,
                False,
            ),
            (
                "environment",
                "environment",
                ("dict", "^[A-Za-z][A-Za-z0-9_]{1,254}$", ("str", None, None), None, None),
                False,
                True,
            ),
            (
                "secrets",
                "secrets",
                ("dict", "^[A-Za-z][A-Za-z0-9_]{1,254}$", "any", None, None),
                False,
                False,
            ),
            ("permissions", "permissions", ("list", ("model", "PermissionSpec"), None, None), False, False),
            ("tracing", "tracing", ("bool",), False, False),
            ("reservedConcurrency", "reserved_concurrency", ("optional", ("int",)), False, False),
            (
                "deployment",
                "deployment",
                (
                    "optional",
                    (
                        "literal",
                        (
                            "allAtOnce",
                            "canary10Percent5Minutes",
                            "canary10Percent10Minutes",
                            "canary10Percent15Minutes",
                            "canary10Percent30Minutes",
                            "linear10PercentEvery1Minute",
                            "linear10PercentEvery2Minutes",
                            "linear10PercentEvery3Minutes",
                            "linear10PercentEvery10Minutes",
                        ),
                        "'allAtOnce', 'canary10Percent5Minutes', "
                        "'canary10Percent10Minutes', 'canary10Percent15Minutes', "
                        "'canary10Percent30Minutes', 'linear10PercentEvery1Minute', "
                        "'linear10PercentEvery2Minutes', 'linear10PercentEvery3Minutes' or "
                        "'linear10PercentEvery10Minutes'",
                    ),
                ),
                False,
                False,
            ),
            ("triggers", "triggers", ("list", "any", None, None), False, False),
            ("host", "host", ("optional", ("str", None, None)), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "GlobalIndexSpec": {
        "fields": (
            ("sortKey", "sort_key", ("optional", ("model", "KeyAttribute")), False, False),
            (
                "projection",
                "projection",
                ("literal", ("ALL", "KEYS_ONLY", "INCLUDE"), "'ALL', 'KEYS_ONLY' or 'INCLUDE'"),
                False,
                False,
            ),
            (
                "attributes",
                "attributes",
                (
                    "list",
                    (
                        "str",
                        "^[A-Za-z0-9_.-]{1,255}$",
                        "an attribute name of letters, digits, '_', '.', '-' (up to 255)",
                    ),
                    None,
                    100,
                ),
                False,
                False,
            ),
            ("partitionKey", "partition_key", ("model", "KeyAttribute"), True, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "HealthCheckSpec": {
        "fields": (
            ("path", "path", ("str", None, None), False, False),
            (
                "matcher",
                "matcher",
                ("str", "^\\d{3}(-\\d{3})?(,\\d{3}(-\\d{3})?)*$", "HTTP codes such as 200 or 200-399"),
                False,
                True,
            ),
            ("interval", "interval", ("int",), False, False),
            ("timeout", "timeout", ("int",), False, False),
            ("healthyThreshold", "healthy_threshold", ("int",), False, False),
            ("unhealthyThreshold", "unhealthy_threshold", ("int",), False, False),
            ("gracePeriod", "grace_period", ("int",), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "ImageScanSpec": {
        "fields": (
            (
                "failOn",
                "fail_on",
                (
                    "literal",
                    ("CRITICAL", "HIGH", "MEDIUM", "LOW", "none"),
                    "'CRITICAL', 'HIGH', 'MEDIUM', 'LOW' or 'none'",
                ),
                False,
                False,
            ),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "IncidentSpec": {
        "fields": (
            ("errorRatePercent", "error_rate_percent", ("optional", ("float",)), False, False),
            ("latencyP99Seconds", "latency_p99_seconds", ("optional", ("float",)), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "IndexSpec": {
        "fields": (
            ("sortKey", "sort_key", ("optional", ("model", "KeyAttribute")), False, False),
            (
                "projection",
                "projection",
                ("literal", ("ALL", "KEYS_ONLY", "INCLUDE"), "'ALL', 'KEYS_ONLY' or 'INCLUDE'"),
                False,
                False,
            ),
            (
                "attributes",
                "attributes",
                (
                    "list",
                    (
                        "str",
                        "^[A-Za-z0-9_.-]{1,255}$",
                        "an attribute name of letters, digits, '_', '.', '-' (up to 255)",
                    ),
                    None,
                    100,
                ),
                False,
                False,
            ),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "JobSpec": {
        "fields": (
            (
                "service",
                "service",
                (
                    "str",
                    "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$",
                    "a name of 2-22 lowercase letters, digits and '-', starting with a "
                    "letter, with no '--' and no '-' at the end (RDS identifiers refuse "
                    "both)",
                ),
                True,
                False,
            ),
            ("command", "command", ("list", ("str", None, None), 1, 64), True, True),
            ("schedule", "schedule", ("str", None, None), True, True),
            ("timezone", "timezone", ("str", None, None), False, True),
            ("timeout", "timeout", ("int",), False, False),
            ("cpu", "cpu", ("optional", ("int",)), False, False),
            ("memory", "memory", ("optional", ("int",)), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "KeyAttribute": {
        "fields": (
            (
                "name",
                "name",
                (
                    "str",
                    "^[A-Za-z0-9_.-]{1,255}$",
                    "an attribute name of letters, digits, '_', '.', '-' (up to 255)",
                ),
                True,
                False,
            ),
            ("type", "type", ("literal", ("S", "N", "B"), "'S', 'N' or 'B'"), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "KeysSpec": {
        "fields": (
            ("logs", "logs", "any", False, False),
            ("data", "data", "any", False, False),
            ("pipeline", "pipeline", "any", False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "LoadBalancerSpec": {
        "fields": (
            ("certificateArn", "certificate_arn", "any", False, False),
            (
                "sslPolicy",
                "ssl_policy",
                (
                    "literal",
                    (
                        "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
                        "ELBSecurityPolicy-TLS13-1-3-2021-06",
                        "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
                        "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
                        "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
                        "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
                    ),
                    "'ELBSecurityPolicy-TLS13-1-2-Res-2021-06', "
                    "'ELBSecurityPolicy-TLS13-1-3-2021-06', "
                    "'ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04', "
                    "'ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04', "
                    "'ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09' or "
                    "'ELBSecurityPolicy-TLS13-1-3-PQ-2025-09'",
                ),
                False,
                False,
            ),
            ("ingressCidrs", "ingress_cidrs", ("list", ("str", None, None), 1, None), False, True),
            ("internal", "internal", ("bool",), False, False),
            ("peerCidrs", "peer_cidrs", ("list", ("str", None, None), None, 8), False, True),
            ("idleTimeout", "idle_timeout", ("int",), False, False),
            ("accessLogs", "access_logs", ("bool",), False, False),
            ("deletionProtection", "deletion_protection", ("optional", ("bool",)), False, False),
            ("allowPlainHttp", "allow_plain_http", ("bool",), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "LoggingSpec": {
        "fields": (
            (
                "destination",
                "destination",
                ("literal", ("cloudwatch", "firehose"), "'cloudwatch' or 'firehose'"),
                True,
                False,
            ),
            (
                "logGroup",
                "log_group",
                (
                    "optional",
                    (
                        "str",
                        "^[\\.\\-_/#A-Za-z0-9]{1,512}$",
                        "a log group name (letters, digits, '.', '-', '_', '/', '#')",
                    ),
                ),
                False,
                False,
            ),
            (
                "deliveryStream",
                "delivery_stream",
                (
                    "optional",
                    (
                        "str",
                        "^[a-zA-Z0-9_.-]{1,64}$",
                        "a Firehose delivery stream name (1-64 letters, digits, '_', '.', '-')",
                    ),
                ),
                False,
                False,
            ),
            ("enableMetadata", "enable_metadata", ("bool",), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "MigrateSpec": {
        "fields": (
            (
                "service",
                "service",
                (
                    "str",
                    "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$",
                    "a name of 2-22 lowercase letters, digits and '-', starting with a "
                    "letter, with no '--' and no '-' at the end (RDS identifiers refuse "
                    "both)",
                ),
                True,
                False,
            ),
            ("command", "command", ("list", ("str", None, None), 1, 64), True, True),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "MuonSourceSpec": {
        "fields": (
            (
                "requirements",
                "requirements",
                (
                    "str",
                    "^[\\w-][\\w.-]*(/[\\w-][\\w.-]*)*\\.(txt|in)$",
                    "a requirements file in the project, e.g. requirements.txt",
                ),
                False,
                False,
            ),
            (
                "indexUrl",
                "index_url",
                (
                    "optional",
                    (
                        "str",
                        "^https://[A-Za-z0-9.-]+(:\\d{1,5})?(/[A-Za-z0-9._~%/+-]*)?$",
                        "an https:// package index URL with no credentials in it, e.g. "
                        "https://pypi.acme.example/simple/ (credentials go in "
                        "credentialsParameter)",
                    ),
                ),
                False,
                True,
            ),
            (
                "credentialsParameter",
                "credentials_parameter",
                (
                    "optional",
                    (
                        "str",
                        "^/[A-Za-z0-9_./-]{1,1010}$",
                        "a Parameter Store name such as /acme/ci/pip-index",
                    ),
                ),
                False,
                False,
            ),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "NetworkSpec": {
        "fields": (
            ("cidr", "cidr", ("str", None, None), False, True),
            ("azs", "azs", ("optional", ("int",)), False, False),
            (
                "zones",
                "zones",
                (
                    "optional",
                    (
                        "list",
                        ("str", "^[a-z]{2}(-[a-z]+)+-\\d[a-z]$", "a zone name such as us-east-1a"),
                        2,
                        6,
                    ),
                ),
                False,
                False,
            ),
            (
                "nat",
                "nat",
                (
                    "optional",
                    (
                        "literal",
                        ("none", "single", "per-az", "instance"),
                        "'none', 'single', 'per-az' or 'instance'",
                    ),
                ),
                False,
                False,
            ),
            ("endpoints", "endpoints", ("optional", ("bool",)), False, False),
            ("existing", "existing", ("optional", ("model", "ExistingNetworkSpec")), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "PermissionSpec": {
        "fields": (
            (
                "actions",
                "actions",
                (
                    "list",
                    ("str", "^[a-z0-9-]+:[A-Za-z0-9*]+$", "an IAM action such as s3:GetObject"),
                    1,
                    None,
                ),
                True,
                False,
            ),
            ("resources", "resources", ("list", ("str", None, None), 1, None), True, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "PipelineBuildSpec": {
        "fields": (
            ("image", "image", ("str", None, None), False, False),
            (
                "computeType",
                "compute_type",
                (
                    "literal",
                    (
                        "BUILD_GENERAL1_SMALL",
                        "BUILD_GENERAL1_MEDIUM",
                        "BUILD_GENERAL1_LARGE",
                        "BUILD_GENERAL1_XLARGE",
                        "BUILD_GENERAL1_2XLARGE",
                    ),
                    "'BUILD_GENERAL1_SMALL', 'BUILD_GENERAL1_MEDIUM', "
                    "'BUILD_GENERAL1_LARGE', 'BUILD_GENERAL1_XLARGE' or "
                    "'BUILD_GENERAL1_2XLARGE'",
                ),
                False,
                False,
            ),
            ("buildspec", "buildspec", "any", False, True),
            ("artifact", "artifact", ("bool",), False, False),
            ("timeoutMinutes", "timeout_minutes", ("int",), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "PipelineImageSpec": {
        "fields": (
            ("dockerfile", "dockerfile", "any", False, True),
            ("context", "context", "any", False, True),
            (
                "target",
                "target",
                ("optional", ("str", "^[A-Za-z0-9][\\w.-]*$", "a build stage name")),
                False,
                False,
            ),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "PipelineNotificationsSpec": {
        "fields": (
            (
                "emails",
                "emails",
                ("list", ("str", "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", "an email address"), None, None),
                False,
                False,
            ),
            ("slack", "slack", ("optional", ("model", "SlackSpec")), False, False),
            ("onSuccess", "on_success", ("bool",), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "PipelineSourceSpec": {
        "fields": (
            (
                "provider",
                "provider",
                ("literal", ("github", "codecommit", "s3"), "'github', 'codecommit' or 's3'"),
                False,
                False,
            ),
            ("repo", "repo", ("str", None, None), True, False),
            ("branch", "branch", ("str", None, None), False, False),
            ("connection", "connection", "any", False, False),
            ("objectKey", "object_key", ("str", None, None), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "PipelineSpec": {
        "fields": (
            (
                "name",
                "name",
                (
                    "optional",
                    (
                        "str",
                        "^[A-Za-z0-9][A-Za-z0-9_-]{0,53}$",
                        "a pipeline name of up to 54 letters, digits, '-' or '_' (it "
                        "prefixes rule names AWS limits to 64 characters, and dashboards "
                        "take no other characters)",
                    ),
                ),
                False,
                False,
            ),
            ("source", "source", ("model", "PipelineSourceSpec"), True, False),
            ("build", "build", ("model", "PipelineBuildSpec"), False, False),
            (
                "images",
                "images",
                ("dict", "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$", ("model", "PipelineImageSpec"), None, None),
                False,
                False,
            ),
            ("stages", "stages", ("list", ("model", "PipelineStageSpec"), 1, None), True, False),
            ("notifications", "notifications", ("model", "PipelineNotificationsSpec"), False, False),
            ("registry", "registry", ("model", "RegistrySpec"), False, False),
            ("imageScan", "image_scan", ("model", "ImageScanSpec"), False, False),
            ("deployPermissionsBoundary", "deploy_permissions_boundary", "any", False, False),
            ("projectDir", "project_dir", ("str", None, None), False, False),
            ("muonSource", "muon_source", ("model", "MuonSourceSpec"), False, False),
            (
                "artifactBucket",
                "artifact_bucket",
                ("optional", ("str", "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", "an S3 bucket name")),
                False,
                False,
            ),
            ("deployRoleArn", "deploy_role_arn", "any", False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "PipelineStageSpec": {
        "fields": (
            (
                "environment",
                "environment",
                (
                    "str",
                    "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$",
                    "a name of 2-22 lowercase letters, digits and '-', starting "
                    "with a letter, with no '--' and no '-' at the end (RDS "
                    "identifiers refuse both)",
                ),
                True,
                False,
            ),
            ("stack", "stack", ("optional", ("str", "^[\\w.-]+$", "a stack name")), False, False),
            ("approval", "approval", ("bool",), False, False),
            ("preDeploy", "pre_deploy", "any", False, True),
            ("test", "test", "any", False, True),
            ("migrate", "migrate", ("optional", ("model", "MigrateSpec")), False, False),
            ("roleArn", "role_arn", "any", False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "RegistrySpec": {
        "fields": (
            ("keepDeployed", "keep_deployed", ("int",), False, False),
            ("expireBuildsAfterDays", "expire_builds_after_days", ("int",), False, False),
            (
                "pullAccounts",
                "pull_accounts",
                ("optional", ("list", ("str", "^\\d{12}$", "a 12-digit AWS account id"), None, None)),
                False,
                False,
            ),
            (
                "organizationId",
                "organization_id",
                ("optional", ("str", "^o-[a-z0-9]{10,32}$", "an organization id such as o-a1b2c3d4e5")),
                False,
                False,
            ),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "RestoreTestSpec": {
        "fields": (
            ("enabled", "enabled", ("bool",), False, False),
            ("schedule", "schedule", ("str", None, None), False, True),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "ServerlessSpec": {
        "fields": (
            ("minCapacity", "min_capacity", ("float",), False, False),
            ("maxCapacity", "max_capacity", ("float",), False, False),
            ("autoPauseAfter", "auto_pause_after", ("int",), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "ServiceRolesSpec": {
        "fields": (("execution", "execution", "any", False, False), ("task", "task", "any", False, False)),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "ServiceSpec": {
        "fields": (
            (
                "sidecars",
                "sidecars",
                ("dict", "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$", ("model", "SidecarSpec"), None, None),
                False,
                False,
            ),
            (
                "dependsOn",
                "depends_on",
                (
                    "dict",
                    None,
                    (
                        "literal",
                        ("START", "COMPLETE", "SUCCESS", "HEALTHY"),
                        "'START', 'COMPLETE', 'SUCCESS' or 'HEALTHY'",
                    ),
                    None,
                    None,
                ),
                False,
                False,
            ),
            (
                "targetContainer",
                "target_container",
                (
                    "optional",
                    (
                        "str",
                        "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$",
                        "a name of 2-22 lowercase letters, digits and '-', starting with a "
                        "letter, with no '--' and no '-' at the end (RDS identifiers refuse "
                        "both)",
                    ),
                ),
                False,
                False,
            ),
            ("logging", "logging", ("optional", ("model", "LoggingSpec")), False, False),
            ("tracing", "tracing", ("optional", ("literal", ("xray",), "'xray'")), False, False),
            ("publish", "publish", ("list", "any", None, 20), False, True),
            ("subscribe", "subscribe", ("list", ("model", "SubscriptionSpec"), None, 20), False, False),
            (
                "kind",
                "kind",
                ("literal", ("web", "backend", "worker"), "'web', 'backend' or 'worker'"),
                False,
                False,
            ),
            ("port", "port", ("optional", ("int",)), False, False),
            (
                "allowFrom",
                "allow_from",
                (
                    "optional",
                    (
                        "list",
                        (
                            "str",
                            "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$",
                            "a name of 2-22 lowercase letters, digits and '-', starting with a "
                            "letter, with no '--' and no '-' at the end (RDS identifiers "
                            "refuse both)",
                        ),
                        None,
                        None,
                    ),
                ),
                False,
                False,
            ),
            ("queue", "queue", "any", False, False),
            (
                "pathPatterns",
                "path_patterns",
                (
                    "list",
                    (
                        "str",
                        "^/[\\x21-\\x7e]{0,127}$",
                        "a path pattern starting with '/' (up to 128 characters), e.g. /bananas*",
                    ),
                    None,
                    5,
                ),
                False,
                False,
            ),
            (
                "hostPatterns",
                "host_patterns",
                (
                    "list",
                    (
                        "str",
                        "^[A-Za-z0-9*?](?:[A-Za-z0-9*?.-]{0,126}[A-Za-z0-9*?])?$",
                        "a host name such as api.example.com or *.example.com (no scheme, no path)",
                    ),
                    None,
                    5,
                ),
                False,
                False,
            ),
            ("hosts", "hosts", ("list", ("str", None, None), None, 5), False, False),
            ("protocol", "protocol", ("literal", ("http", "https"), "'http' or 'https'"), False, False),
            ("priority", "priority", ("optional", ("int",)), False, False),
            (
                "loadBalancer",
                "load_balancer",
                (
                    "optional",
                    (
                        "str",
                        "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$",
                        "a name of 2-22 lowercase letters, digits and '-', starting with a "
                        "letter, with no '--' and no '-' at the end (RDS identifiers refuse "
                        "both)",
                    ),
                ),
                False,
                False,
            ),
            ("allowedCidrs", "allowed_cidrs", ("list", ("str", None, None), None, 5), False, True),
            ("stickiness", "stickiness", ("optional", ("model", "StickinessSpec")), False, False),
            ("cpu", "cpu", ("int",), False, False),
            ("memory", "memory", ("int",), False, False),
            (
                "image",
                "image",
                (
                    "optional",
                    (
                        "str",
                        "^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::\\d+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$",
                        "an image reference: [registry/]repository[:tag][@sha256:<64 hex digits>]",
                    ),
                ),
                False,
                True,
            ),
            (
                "platform",
                "platform",
                ("literal", ("linux/x86_64", "linux/arm64"), "'linux/x86_64' or 'linux/arm64'"),
                False,
                False,
            ),
            ("build", "build", ("optional", ("model", "BuildSpec")), False, False),
            ("command", "command", "any", False, True),
            ("entryPoint", "entry_point", "any", False, True),
            ("imageTest", "image_test", ("optional", ("str", None, None)), False, True),
            ("desiredCount", "desired_count", ("optional", ("int",)), False, False),
            (
                "environment",
                "environment",
                ("dict", "^[A-Za-z_][A-Za-z0-9_]{0,254}$", "any", None, None),
                False,
                True,
            ),
            (
                "secrets",
                "secrets",
                ("dict", "^[A-Za-z_][A-Za-z0-9_]{0,254}$", "any", None, None),
                False,
                False,
            ),
            ("environments", "environments", "any", False, False),
            ("scaling", "scaling", "any", False, False),
            ("alarms", "alarms", ("model", "IncidentSpec"), False, False),
            ("healthCheck", "health_check", ("model", "HealthCheckSpec"), False, False),
            (
                "containerHealthCheck",
                "container_health_check",
                ("optional", ("model", "ContainerHealthCheckSpec")),
                False,
                False,
            ),
            ("readonlyRootFilesystem", "readonly_root_filesystem", ("bool",), False, False),
            ("user", "user", ("optional", ("str", None, None)), False, False),
            ("execCommand", "exec_command", ("bool",), False, False),
            ("deregistrationDelay", "deregistration_delay", ("optional", ("int",)), False, False),
            ("deployment", "deployment", ("model", "DeploymentSpec"), False, False),
            ("permissions", "permissions", ("list", ("model", "PermissionSpec"), None, None), False, False),
            ("database", "database", ("optional", ("model", "DatabaseSpec")), False, False),
            ("storage", "storage", ("optional", ("model", "StorageSpec")), False, False),
            (
                "formerly",
                "formerly",
                (
                    "optional",
                    (
                        "str",
                        "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$",
                        "a name of 2-22 lowercase letters, digits and '-', starting with a "
                        "letter, with no '--' and no '-' at the end (RDS identifiers refuse "
                        "both)",
                    ),
                ),
                False,
                False,
            ),
            ("roles", "roles", ("model", "ServiceRolesSpec"), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "SidecarSpec": {
        "fields": (
            (
                "image",
                "image",
                (
                    "str",
                    "^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::\\d+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$",
                    "an image reference: [registry/]repository[:tag][@sha256:<64 hex digits>]",
                ),
                True,
                True,
            ),
            ("port", "port", ("optional", ("int",)), False, False),
            ("essential", "essential", ("bool",), False, False),
            (
                "dependsOn",
                "depends_on",
                (
                    "dict",
                    None,
                    (
                        "literal",
                        ("START", "COMPLETE", "SUCCESS", "HEALTHY"),
                        "'START', 'COMPLETE', 'SUCCESS' or 'HEALTHY'",
                    ),
                    None,
                    None,
                ),
                False,
                False,
            ),
            ("command", "command", "any", False, True),
            (
                "environment",
                "environment",
                ("dict", "^[A-Za-z_][A-Za-z0-9_]{0,254}$", "any", None, None),
                False,
                True,
            ),
            (
                "secrets",
                "secrets",
                ("dict", "^[A-Za-z_][A-Za-z0-9_]{0,254}$", "any", None, None),
                False,
                False,
            ),
            ("cpu", "cpu", ("optional", ("int",)), False, False),
            ("memory", "memory", ("optional", ("int",)), False, False),
            (
                "healthCheck",
                "health_check",
                ("optional", ("model", "ContainerHealthCheckSpec")),
                False,
                False,
            ),
            ("readonlyRootFilesystem", "readonly_root_filesystem", ("bool",), False, False),
            ("user", "user", ("optional", ("str", None, None)), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "SiteHeadersSpec": {
        "fields": (
            ("contentSecurityPolicy", "content_security_policy", ("str", None, None), False, False),
            (
                "frameOptions",
                "frame_options",
                ("literal", ("DENY", "SAMEORIGIN"), "'DENY' or 'SAMEORIGIN'"),
                False,
                False,
            ),
            (
                "referrerPolicy",
                "referrer_policy",
                (
                    "literal",
                    (
                        "no-referrer",
                        "no-referrer-when-downgrade",
                        "origin",
                        "origin-when-cross-origin",
                        "same-origin",
                        "strict-origin",
                        "strict-origin-when-cross-origin",
                        "unsafe-url",
                    ),
                    "'no-referrer', 'no-referrer-when-downgrade', 'origin', "
                    "'origin-when-cross-origin', 'same-origin', 'strict-origin', "
                    "'strict-origin-when-cross-origin' or 'unsafe-url'",
                ),
                False,
                False,
            ),
            ("hstsMaxAge", "hsts_max_age", ("int",), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "SiteSpec": {
        "fields": (
            ("source", "source", "any", False, True),
            ("build", "build", ("optional", ("str", None, None)), False, True),
            (
                "output",
                "output",
                ("str", "^[\\w.-][\\w./-]*/?$", "a folder relative to the site's source, such as dist/"),
                False,
                False,
            ),
            ("host", "host", ("optional", ("str", None, None)), False, False),
            ("spa", "spa", ("bool",), False, False),
            (
                "notFound",
                "not_found",
                ("str", "^[\\w./-]+\\.html$", "an HTML file such as 404.html"),
                False,
                False,
            ),
            ("headers", "headers", ("model", "SiteHeadersSpec"), False, False),
            ("waf", "waf", ("optional", ("bool",)), False, False),
            (
                "priceClass",
                "price_class",
                (
                    "literal",
                    ("PriceClass_100", "PriceClass_200", "PriceClass_All"),
                    "'PriceClass_100', 'PriceClass_200' or 'PriceClass_All'",
                ),
                False,
                False,
            ),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "SlackSpec": {
        "fields": (
            (
                "teamId",
                "team_id",
                ("str", "^T[A-Z0-9]{8,}$", "a Slack workspace id such as T01234ABCDE"),
                True,
                False,
            ),
            (
                "channelId",
                "channel_id",
                ("str", "^[CG][A-Z0-9]{8,}$", "a Slack channel id such as C01234ABCDE"),
                True,
                False,
            ),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "StackSettings": {
        "fields": (
            ("definition", "definition", ("str", None, None), False, False),
            (
                "environments",
                "environments",
                (
                    "list",
                    (
                        "str",
                        "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$",
                        "a name of 2-22 lowercase letters, digits and '-', starting with "
                        "a letter, with no '--' and no '-' at the end (RDS identifiers "
                        "refuse both)",
                    ),
                    None,
                    None,
                ),
                False,
                False,
            ),
            ("pipeline", "pipeline", ("bool",), False, False),
            (
                "images",
                "images",
                (
                    "dict",
                    "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$",
                    (
                        "str",
                        "^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::\\d+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$",
                        "an image reference: [registry/]repository[:tag][@sha256:<64 hex digits>]",
                    ),
                    None,
                    None,
                ),
                False,
                True,
            ),
            ("connection", "connection", "any", False, False),
            ("backend", "backend", ("optional", ("str", None, None)), False, False),
            ("secretsProvider", "secrets_provider", ("optional", ("str", None, None)), False, False),
            (
                "accessTokenParameter",
                "access_token_parameter",
                ("optional", ("str", None, None)),
                False,
                False,
            ),
            (
                "delegatedZones",
                "delegated_zones",
                (
                    "list",
                    (
                        "str",
                        "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$",
                        "a name of 2-22 lowercase letters, digits and '-', starting with "
                        "a letter, with no '--' and no '-' at the end (RDS identifiers "
                        "refuse both)",
                    ),
                    None,
                    None,
                ),
                False,
                False,
            ),
            ("organization", "organization", ("optional", ("str", None, None)), False, False),
            (
                "pulumiVersion",
                "pulumi_version",
                ("optional", ("str", "^\\d+\\.\\d+\\.\\d+$", "a Pulumi CLI version such as 3.200.0")),
                False,
                False,
            ),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "StickinessSpec": {
        "fields": (("duration", "duration", ("int",), False, False),),
        "by_name": True,
        "forbid": True,
        "ruled": False,
    },
    "StorageSpec": {
        "fields": (
            (
                "buckets",
                "buckets",
                ("dict", "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$", ("model", "BucketSpec"), None, None),
                False,
                False,
            ),
            (
                "tables",
                "tables",
                ("dict", "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$", ("model", "TableSpec"), None, None),
                False,
                False,
            ),
            (
                "volumes",
                "volumes",
                ("dict", "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$", ("model", "VolumeSpec"), None, None),
                False,
                False,
            ),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "SubscriptionSpec": {
        "fields": (
            (
                "service",
                "service",
                (
                    "str",
                    "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$",
                    "a name of 2-22 lowercase letters, digits and '-', starting "
                    "with a letter, with no '--' and no '-' at the end (RDS "
                    "identifiers refuse both)",
                ),
                True,
                False,
            ),
            (
                "topic",
                "topic",
                (
                    "str",
                    "^(?=.{2,22}$)[a-z](?:-?[a-z0-9])+$",
                    "a name of 2-22 lowercase letters, digits and '-', starting "
                    "with a letter, with no '--' and no '-' at the end (RDS "
                    "identifiers refuse both)",
                ),
                True,
                False,
            ),
            ("filterPolicy", "filter_policy", ("optional", ("dict", None, "any", None, None)), False, False),
            (
                "filterPolicyScope",
                "filter_policy_scope",
                ("literal", ("MessageAttributes", "MessageBody"), "'MessageAttributes' or 'MessageBody'"),
                False,
                False,
            ),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "TableSpec": {
        "fields": (
            ("partitionKey", "partition_key", ("model", "KeyAttribute"), True, False),
            ("sortKey", "sort_key", ("optional", ("model", "KeyAttribute")), False, False),
            (
                "billing",
                "billing",
                ("literal", ("on-demand", "provisioned"), "'on-demand' or 'provisioned'"),
                False,
                False,
            ),
            ("capacity", "capacity", ("optional", ("model", "CapacitySpec")), False, False),
            (
                "ttl",
                "ttl",
                (
                    "optional",
                    (
                        "str",
                        "^[A-Za-z0-9_.-]{1,255}$",
                        "an attribute name of letters, digits, '_', '.', '-' (up to 255)",
                    ),
                ),
                False,
                False,
            ),
            (
                "stream",
                "stream",
                (
                    "optional",
                    (
                        "literal",
                        ("NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"),
                        "'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES' or 'KEYS_ONLY'",
                    ),
                ),
                False,
                False,
            ),
            (
                "globalIndexes",
                "global_indexes",
                ("dict", "^[A-Za-z0-9_.-]{3,255}$", ("model", "GlobalIndexSpec"), None, 20),
                False,
                False,
            ),
            (
                "localIndexes",
                "local_indexes",
                ("dict", "^[A-Za-z0-9_.-]{3,255}$", ("model", "IndexSpec"), None, 5),
                False,
                False,
            ),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
    "VolumeSpec": {
        "fields": (
            ("path", "path", ("str", None, None), True, True),
            ("uid", "uid", ("int",), False, False),
            ("gid", "gid", ("int",), False, False),
            (
                "permissions",
                "permissions",
                ("str", "^[0-7]{3,4}$", "octal permissions such as 750 or 0750"),
                False,
                False,
            ),
            ("readOnly", "read_only", ("bool",), False, False),
        ),
        "by_name": True,
        "forbid": True,
        "ruled": True,
    },
}
