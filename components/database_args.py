"""What a Database is given: its typed arguments, with the defaults a database built on its own gets.

The defaults are the production tier's (``stacks/tiers.py``): a database is data, and data is kept
(deletion protection, a final snapshot, ``protect``), encrypted (always, with a customer-managed
key), backed up for two weeks, on two instances in two zones. A development stack relaxes them
explicitly, through the definition; nothing here is relaxed by leaving a field out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from muon.components.aurora import Engine
from muon.components.context import AwsContext


@dataclass(frozen=True)
class ServerlessCapacity:
    """Aurora Serverless v2 capacity in ACUs (1 ACU ~ 2 GiB); the definition's defaults."""

    min_capacity: float = 0.5
    """Default 0.5, Aurora's smallest running capacity; 0 lets the cluster pause when idle."""
    max_capacity: float = 4
    """Default 4: a ceiling on what a busy hour can cost."""
    auto_pause_after: int = 600
    """Seconds idle before pausing (only with ``min_capacity`` 0); default 600."""


@dataclass(frozen=True)
class GeneratedPassword:
    """muon generates the password once and keeps it in a SecureString it owns."""

    parameter_name: str
    version: int
    """Raising it generates a new password and rotates the cluster's master password."""
    managed_by: str
    """``<project>/<stack>``, tagged on the parameter so later runs recognise it as theirs."""


@dataclass(frozen=True)
class ExistingPassword:
    """A SecureString the customer created before muon ran: read, never written."""

    parameter_name: str
    value: pulumi.Output[str]
    version: int
    """The parameter's version: a new value in Parameter Store rotates the cluster on the next run."""


@dataclass(frozen=True, kw_only=True)
class DatabaseAlarms:
    cpu_percent: float = 80
    """CPU utilisation that alarms (3 of 5 minutes); default 80, the definition's."""
    freeable_memory_mib: int = 256
    """Free memory below which it alarms; default 256 MiB, the definition's."""
    connections: int
    """Connections above which it alarms; required: 80% of what the engine and class allow
    (``estimated_max_connections``), which only the caller knows."""


@dataclass(frozen=True, kw_only=True)
class DatabaseArgs:
    """A Database's arguments; keyword-only, so that a default never depends on the fields' order.
    Required where no value is right for every engine, class or account."""

    context: AwsContext
    environment: str
    """Names the database (``<namespace>-<environment>-<service>``); required."""
    service: str
    """The service that owns it (the only one its security group admits); required."""
    engine: Engine
    """Required: the application's choice (``aurora-postgresql``, ``aurora-mysql``, ``postgres``…)."""
    version: str
    """Required: pinned by the caller (``ENGINES[engine].default_version``), never AWS's latest
    behind the stack's back."""
    database_name: str
    """The database the service uses; required (only the application knows it)."""
    cluster_database_name: str | None = None
    """The database RDS created with the cluster or instance, when the service now uses another
    (``database.formerly``): RDS creates it only then, and the provider replaces the database when it
    changes. Default None: ``database_name``."""
    master_username: str = "muon"
    """Default ``muon``: not a name attackers try first (RDS.24/25 flag admin, postgres, root)."""
    port: int
    """Required: the engine's own (``ENGINES[engine].port``) unless the caller moves it (RDS.23)."""
    instance_class: str
    """Required: which classes exist depends on the engine and version (``aurora.py``)."""
    instances: int = 2
    """Aurora instances; default 2, a writer and a reader in distinct zones (RDS.15): a failover
    instead of an outage."""
    serverless: ServerlessCapacity | None = None
    """Aurora Serverless v2 capacity; default None: provisioned ``instance_class`` instances."""
    zones: tuple[str, ...]
    """Where the instances are spread; required (the environment's zones)."""
    vpc_id: pulumi.Input[str]
    """Required: the environment's VPC."""
    subnet_ids: pulumi.Input[list[str]]
    """Required: the environment's isolated subnets (no route to the internet)."""
    alarm_topic_arn: pulumi.Input[str]
    """Where its alarms and RDS events go; required."""
    password: GeneratedPassword | ExistingPassword
    """Required: where the master password lives (a SecureString, never in plain text)."""
    alarms: DatabaseAlarms
    """Required: the connections threshold depends on the class (``DatabaseAlarms``)."""
    production: bool = True
    """Default True: ``protect``, and changes held for the maintenance window. False is a development
    stack's explicit choice. Either way RDS takes a final snapshot when it deletes the database."""
    log_retention_days: int = 365
    """Days its log exports are kept; default 365 (CloudWatch.16)."""
    backup_retention_days: int = 14
    """Automated backups' retention; default 14, the production tier's (RDS.50 asks for 7 or more;
    Aurora's own default is 1 day)."""
    backup_window: str = "03:00-04:00"
    """Daily backup window (UTC); default 03:00-04:00, the definition's."""
    maintenance_window: str = "sun:04:30-sun:05:30"
    """Weekly maintenance window (UTC); default Sunday 04:30-05:30, after the backup window."""
    deletion_protection: bool = True
    """Default True (RDS.7): RDS refuses to delete it until someone turns this off."""
    performance_insights: bool
    """Required: whether Performance Insights exists depends on the engine, version and class
    (the caller checks the combination, ``insights_choice``); there is no default that is always
    accepted by AWS."""
    monitoring_interval: int = 60
    """Enhanced monitoring seconds (0 = off); default 60, the production tier's (RDS.6)."""
    backtrack_seconds: int = 0
    """Aurora MySQL backtrack window; default 0 (off): the other engines, and some regions, have
    none, and AWS refuses it there."""
    allocated_storage: int = 20
    """RDS instance engines: GiB of gp3 at creation; default 20, RDS's minimum for gp3."""
    max_allocated_storage: int = 100
    """RDS instance engines: storage autoscaling's ceiling; default 100 GiB, a bound on cost."""
    multi_az: bool = True
    """RDS instance engines: a synchronous standby in another zone; default True (RDS.5)."""
    parameters: dict[str, str] = field(default_factory=dict)
    """Engine parameters on top of muon's (TLS only, audit logs); default none."""
    key_arn: str | None = None
    """The company's key for databases (``keys.data``); default None: muon creates one per
    database. Storage is encrypted either way."""
    tags: dict[str, str] = field(default_factory=dict)
    """On every resource of the database; default none (the stack's tags come by transformation)."""
