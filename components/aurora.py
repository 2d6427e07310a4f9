"""What muon knows about its database engines — Aurora MySQL and PostgreSQL clusters, and the RDS
instance engines PostgreSQL, MySQL and MariaDB: versions, ports, parameters, instance classes.

Pure data and checks, shared by the definition's validation and the Database component.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Engine = Literal["aurora-mysql", "aurora-postgresql", "postgres", "mysql", "mariadb"]

# Sizes AWS sells the memory-optimised and Graviton classes in.
_SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge")


@dataclass(frozen=True)
class EngineFacts:
    label: str
    default_version: str
    """What a database is created with; afterwards its version is AWS's to move (automatic minor
    upgrades; ``ignore_changes`` in ``aurora_cluster`` and ``rds_instance``). Aurora: a full version
    (the pause check needs it, and a prefix would be sent again on every change of the cluster). An
    RDS instance engine: its major version, so that RDS picks the major's current default minor."""
    family: str
    """Parameter group family of the default major version."""
    port: int
    log_exports: tuple[str, ...]
    cluster_parameters: tuple[tuple[str, str], ...]
    """TLS only, and what the log exports need to have anything to export."""
    instance_classes: tuple[str, ...]
    """Supported classes; ``family.*`` stands for every size in ``_SIZES``."""
    username_max: int
    database_name_max: int
    pause_minimum: tuple[tuple[int, ...], ...]
    """Lowest version per major that supports a Serverless v2 minimum of 0 ACU (auto-pause)."""
    instance_engine: bool = False
    """An RDS DB instance (Multi-AZ standby, storage autoscaling) rather than an Aurora cluster."""
    iam_authentication: bool = True
    """Whether the engine supports IAM database authentication."""


_COMMON_CLASSES = ("db.t3.medium", "db.t3.large", "db.t4g.medium", "db.t4g.large")

ENGINES: dict[Engine, EngineFacts] = {
    "aurora-mysql": EngineFacts(
        label="Aurora MySQL",
        default_version="8.0.mysql_aurora.3.12.0",
        family="aurora-mysql8.0",
        port=3306,
        log_exports=("audit", "error", "slowquery"),
        cluster_parameters=(
            ("require_secure_transport", "ON"),
            ("server_audit_logging", "1"),
            ("server_audit_events", "CONNECT,QUERY_DCL,QUERY_DDL"),
            ("slow_query_log", "1"),
            ("long_query_time", "2"),
        ),
        instance_classes=(
            *_COMMON_CLASSES,
            "db.r5.*",
            "db.r6g.*",
            "db.r6i.*",
            "db.r7g.*",
            "db.r7i.*",
            "db.r8g.*",
            "db.x2g.*",
        ),
        username_max=16,
        database_name_max=64,
        pause_minimum=((3, 8, 0),),
    ),
    "aurora-postgresql": EngineFacts(
        label="Aurora PostgreSQL",
        default_version="17.5",
        family="aurora-postgresql17",
        port=5432,
        log_exports=("postgresql",),
        cluster_parameters=(
            ("rds.force_ssl", "1"),
            ("log_min_duration_statement", "2000"),
        ),
        instance_classes=(
            *_COMMON_CLASSES,
            "db.r5.*",
            "db.r6g.*",
            "db.r6gd.*",
            "db.r6i.*",
            "db.r6id.*",
            "db.r7g.*",
            "db.r7i.*",
            "db.r8g.*",
            "db.x2g.*",
        ),
        username_max=63,
        database_name_max=63,
        pause_minimum=((13, 15), (14, 12), (15, 7), (16, 3), (17, 0)),
    ),
}

_INSTANCE_CLASSES = (
    "db.t3.micro", "db.t3.small", "db.t3.medium", "db.t3.large",
    "db.t4g.micro", "db.t4g.small", "db.t4g.medium", "db.t4g.large",
    "db.m5.*", "db.m6g.*", "db.m6i.*", "db.m7g.*", "db.m7i.*", "db.r5.*", "db.r6g.*", "db.r6i.*", "db.r7g.*",
)  # fmt: skip


def _mysql_family(
    label: str, version: str, family: str, *, username_max: int, iam: bool = True
) -> EngineFacts:
    """MySQL and MariaDB as RDS instances: TLS forced, slow queries logged."""
    return EngineFacts(
        label=label,
        default_version=version,
        family=family,
        port=3306,
        log_exports=("error", "slowquery"),
        cluster_parameters=(
            ("require_secure_transport", "1"),
            ("slow_query_log", "1"),
            ("long_query_time", "2"),
        ),
        instance_classes=_INSTANCE_CLASSES,
        username_max=username_max,
        database_name_max=64,
        pause_minimum=(),
        instance_engine=True,
        iam_authentication=iam,
    )


ENGINES.update(
    {
        "postgres": EngineFacts(
            label="RDS for PostgreSQL",
            default_version="17",
            family="postgres17",
            port=5432,
            log_exports=("postgresql", "upgrade"),
            cluster_parameters=(("rds.force_ssl", "1"), ("log_min_duration_statement", "2000")),
            instance_classes=_INSTANCE_CLASSES,
            username_max=63,
            database_name_max=63,
            pause_minimum=(),
            instance_engine=True,
        ),
        "mysql": _mysql_family("RDS for MySQL", "8.0", "mysql8.0", username_max=32),
        # RDS offers IAM database authentication for MySQL and PostgreSQL only.
        "mariadb": _mysql_family("RDS for MariaDB", "11.4", "mariadb11.4", username_max=16, iam=False),
    }
)

SERVERLESS_CLASS = "db.serverless"
DEFAULT_INSTANCE_CLASS = "db.t4g.medium"
# Regions without Aurora MySQL backtrack (AWS Config rule aurora-mysql-backtracking-enabled).
BACKTRACK_UNAVAILABLE = frozenset(
    {
        "af-south-1", "ap-east-1", "ap-south-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-6",
        "ca-west-1", "cn-north-1", "cn-northwest-1", "eu-north-1", "eu-south-1", "eu-south-2",
        "il-central-1", "me-central-1", "me-south-1", "sa-east-1", "us-gov-east-1", "us-gov-west-1",
    }
)  # fmt: skip
# Names the engines reserve, or that auditors flag as guessable (RDS.24/25).
RESERVED_USERNAMES = frozenset({"admin", "administrator", "root", "postgres", "rdsadmin", "mysql", "master"})


def instance_class_problem(engine: Engine, instance_class: str) -> str | None:
    """Why ``instance_class`` cannot run current ``engine``, or None when it can."""
    facts = ENGINES[engine]
    supported: set[str] = set()
    for pattern in facts.instance_classes:
        if pattern.endswith(".*"):
            supported.update(f"{pattern[:-2]}.{size}" for size in _SIZES)
        else:
            supported.add(pattern)
    if instance_class in supported:
        return None
    alternatives = (
        "db.t4g.micro (small), db.m7g.large (production)"
        if facts.instance_engine
        else "db.t4g.medium (small), db.r7g.large (production) or a 'serverless' block"
    )
    return (
        f"{instance_class} does not run {facts.label} (current versions); use a supported class "
        f"such as {alternatives}"
    )


# Aurora MySQL classes without Performance Insights / Database Insights (Aurora user guide, "DB
# engine, Region, and instance class support for Database Insights"); Aurora PostgreSQL has none.
INSIGHTS_UNSUPPORTED = {"aurora-mysql": ("db.t2.", "db.t3.", "db.t4g.micro", "db.t4g.small")}


def insights_problem(engine: Engine, instance_class: str) -> str | None:
    """Why Performance Insights cannot run on ``instance_class``, or None when it can."""
    if instance_class.startswith(INSIGHTS_UNSUPPORTED.get(engine, ())):
        return f"{ENGINES[engine].label} has no Performance Insights on {instance_class}"
    return None


def version_family(engine: Engine, version: str) -> str:
    """The parameter group family a version belongs to (``aurora-postgresql16`` for ``16.4``)."""
    major = version.split(".")[0]
    if engine == "aurora-mysql":
        return "aurora-mysql8.0" if version.startswith("8.0.") else "aurora-mysql5.7"
    if engine in ("mysql", "mariadb"):
        return f"{engine}{'.'.join(version.split('.')[:2])}"
    return f"{engine}{major}"


# An RDS instance engine's version: its major version (a prefix: RDS creates the instance at that
# major's default minor, which is never one AWS has since deprecated — pulumi-aws rds.Instance,
# engineVersion: "you can provide a prefix of the version such as 8.0 (for 8.0.36)"), or a full one.
INSTANCE_VERSIONS = {
    "postgres": r"1[3-9](\.\d+)?",
    "mysql": r"8\.[04](\.\d+)?",
    "mariadb": r"1[01]\.\d+(\.\d+)?",
}


def version_problem(engine: Engine, version: str) -> str | None:
    facts = ENGINES[engine]
    if engine == "aurora-mysql":
        if not re.fullmatch(r"8\.0\.mysql_aurora\.3\.\d{2}\.\d+", version):
            return (
                f"expected an Aurora MySQL 3 version such as {facts.default_version} "
                "(version 2, MySQL 5.7, has reached end of standard support)"
            )
    elif engine == "aurora-postgresql":
        if not re.fullmatch(r"1[3-9]\.\d+", version):
            return f"expected an Aurora PostgreSQL version such as {facts.default_version} (13 or later)"
    elif not re.fullmatch(INSTANCE_VERSIONS[engine], version):
        return {
            "postgres": f"expected an RDS for PostgreSQL version such as {facts.default_version} or 17.5 "
            "(13 or later)",
            "mysql": f"expected an RDS for MySQL version such as {facts.default_version} or 8.0.42 "
            "(8.0 or 8.4)",
            "mariadb": f"expected an RDS for MariaDB version such as {facts.default_version} or 11.4.5 "
            "(10.x or 11.x)",
        }[engine]
    return None


def _version_tuple(engine: Engine, version: str) -> tuple[int, ...]:
    if engine == "aurora-mysql":
        return tuple(int(p) for p in version.split("mysql_aurora.")[1].split("."))
    return tuple(int(p) for p in version.split("."))


def supports_pause(engine: Engine, version: str) -> bool:
    """Whether Serverless v2 may scale this version to 0 ACU (auto-pause)."""
    if not ENGINES[engine].pause_minimum:
        return False  # an RDS instance engine: no Serverless v2
    current = _version_tuple(engine, version)
    for minimum in ENGINES[engine].pause_minimum:
        if current[0] == minimum[0]:
            return current >= minimum
    return current > ENGINES[engine].pause_minimum[-1]


# Aurora MySQL's default max_connections by provisioned class (Aurora user guide, "Maximum
# connections to an Aurora MySQL DB instance"); PostgreSQL derives it from memory (below).
_MYSQL_MAX_CONNECTIONS = {
    "medium": 90,
    "t.large": 135,
    "large": 1000,
    "xlarge": 2000,
    "2xlarge": 3000,
    "4xlarge": 4000,
    "8xlarge": 5000,
    "12xlarge": 6000,
    "16xlarge": 6000,
    "24xlarge": 7000,
    "32xlarge": 7000,
}
_MEMORY_GIB = {"micro": 1, "small": 2, "medium": 4, "t.large": 8}


def memory_gib(instance_class: str, max_acu: float | None = None) -> float:
    """An instance's memory (Serverless v2: 2 GiB per ACU at its maximum)."""
    if instance_class == SERVERLESS_CLASS:
        return 2 * (max_acu or 1)
    size = instance_class.rsplit(".", 1)[1]
    burstable = instance_class.startswith("db.t")
    if burstable:
        return _MEMORY_GIB["t.large" if size == "large" else size if size in _MEMORY_GIB else "medium"]
    per_xlarge = 64 if instance_class.startswith("db.x2g") else 32  # memory-optimised: 8 GiB per vCPU
    if size == "large":
        return per_xlarge / 2
    return per_xlarge * (1 if size == "xlarge" else int(size.removesuffix("xlarge")))


def estimated_max_connections(engine: Engine, instance_class: str, max_acu: float | None = None) -> int:
    """The engine's default max_connections, to size the connections alarm (an estimate)."""
    memory = memory_gib(instance_class, max_acu)
    if engine == "aurora-mysql" and instance_class != SERVERLESS_CLASS:
        size = instance_class.rsplit(".", 1)[1]
        if instance_class.startswith("db.t"):
            return _MYSQL_MAX_CONNECTIONS["t.large" if size == "large" else "medium"]
        return _MYSQL_MAX_CONNECTIONS.get(size, 1000)
    if engine in ("mysql", "mariadb"):  # RDS: DBInstanceClassMemory/12582880
        return max(10, int(memory * 0.9 * 1024**3 / 12582880))
    # LEAST(DBInstanceClassMemory/9531392, 5000); DBInstanceClassMemory is a little under the
    # nominal memory, hence the 0.9.
    return max(10, min(5000, int(memory * 0.9 * 1024**3 / 9531392)))
