"""A service's database in ``muon.yaml``: engine, capacity, passwords, backups, alarms."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    model_validator,
)
from pydantic.alias_generators import to_camel

from muon.components.aurora import (
    ENGINES,
    RESERVED_USERNAMES,
    SERVERLESS_CLASS,
    Engine,
    instance_class_problem,
    supports_pause,
    version_problem,
)
from muon.stacks.definition.fields import (
    Spec,
    _PathError,
    pattern,
)
from muon.stacks.definition.secrets import credential_kind
from muon.stacks.definition.types import BackupWindow, MaintenanceWindow, windows_overlap


class ServerlessSpec(Spec):
    """Aurora Serverless v2 capacity, in ACUs (1 ACU ~ 2 GiB of memory)."""

    min_capacity: float = Field(
        default=0.5, ge=0, le=256, multiple_of=0.5, description="0 lets the database pause when idle."
    )
    max_capacity: float = Field(default=4, ge=1, le=256, multiple_of=0.5)
    auto_pause_after: int = Field(
        default=600, ge=300, le=86400, description="Seconds idle before pausing (when minCapacity is 0)."
    )

    @model_validator(mode="after")
    def _check(self) -> ServerlessSpec:
        if self.min_capacity > self.max_capacity:
            raise ValueError(
                f"minCapacity ({self.min_capacity:g}) must not exceed maxCapacity ({self.max_capacity:g})"
            )
        return self


InstanceClass = Annotated[
    str, pattern(r"^db\.[a-z0-9]+\.[a-z0-9]+$", "an RDS instance class such as db.t4g.medium")
]


class DatabaseCapacitySpec(Spec):
    """How much database: provisioned instances, or Serverless v2 (``serverless``)."""

    instance_class: InstanceClass | None = Field(
        default=None, description="Provisioned class (default db.t4g.medium); excludes 'serverless'."
    )
    instances: int | None = Field(
        default=None, ge=1, le=16, description="Writer plus readers, spread over zones (dev 1, production 2)."
    )
    serverless: ServerlessSpec | None = None

    @model_validator(mode="after")
    def _check_capacity(self) -> DatabaseCapacitySpec:
        if self.instance_class is not None and self.serverless is not None:
            raise ValueError("set either instanceClass (provisioned) or serverless, not both")
        if self.instance_class == SERVERLESS_CLASS:
            raise _PathError(("instanceClass",), "write a 'serverless' block instead of db.serverless")
        return self


class DatabaseAlarmsSpec(Spec):
    cpu: float = Field(default=80, gt=0, le=100, description="CPU utilisation %, 3 of 5 minutes.")
    freeable_memory_mib: int = Field(default=256, ge=1, description="Alarm below this much free memory.")
    connections: int | None = Field(
        default=None, ge=1, description="Alarm above this many connections (default 80% of the engine's max)."
    )


def _no_credentials(value: dict[str, str]) -> dict[str, str]:
    """Parameters are configuration any reader of the cluster sees: no credential in them (their
    names are the engine's, so only the values are looked at)."""
    for name, item in value.items():
        kind = credential_kind(item)
        if kind is not None:
            raise _PathError(
                (name,), f"the value looks like {kind} (not shown); parameters are no place for it"
            )
    return value


class DatabaseSpec(DatabaseCapacitySpec):
    """The service's own Aurora cluster (Stelligent's post "Microservice databases with mu")."""

    name: Annotated[
        str,
        pattern(
            r"^[A-Za-z][A-Za-z0-9_]{0,63}$",
            "a database name: a letter, then up to 63 letters, digits or '_'",
        ),
    ]
    formerly: (
        Annotated[
            str,
            pattern(
                r"^[A-Za-z][A-Za-z0-9_]{0,63}$",
                "a database name: a letter, then up to 63 letters, digits or '_'",
            ),
        ]
        | None
    ) = Field(
        default=None,
        description="The name the database was created with, before 'name' changed: RDS creates it only "
        "with the cluster, which keeps it; the service gets 'name' (rename or create it inside the engine).",
    )
    engine: Engine = Field(
        default="aurora-mysql",
        description="aurora-mysql or aurora-postgresql (Aurora clusters); postgres, mysql or mariadb "
        "(an RDS DB instance: Multi-AZ in production, storage autoscaling).",
    )
    allocated_storage: int = Field(
        default=20, ge=20, le=65536, description="RDS instance engines: GiB of gp3 storage at creation."
    )
    max_allocated_storage: int | None = Field(
        default=None,
        ge=20,
        le=65536,
        description="RDS instance engines: storage autoscaling's ceiling in GiB (dev 100, production 1000).",
    )
    multi_az: bool | None = Field(
        default=None, description="RDS instance engines: a standby in another zone (production default)."
    )
    version: str | None = Field(
        default=None,
        description="Aurora: the version the cluster is created with (AWS applies minor upgrades "
        "afterwards); postgres, mysql, mariadb: the major version (17, 8.0, 11.4).",
    )
    master_username: Annotated[
        str, pattern(r"^[A-Za-z][A-Za-z0-9_]{0,62}$", "a letter, then letters, digits or '_'")
    ] = "muon"
    port: int | None = Field(default=None, ge=1150, le=65535, description="Default: the engine's port.")
    iam_authentication: bool = Field(
        default=False, description="Grant the task role rds-db:connect as iamUser; no password injected."
    )
    iam_user: Annotated[str, pattern(r"^[A-Za-z][A-Za-z0-9_]{0,31}$", "a database user name")] | None = None
    password_parameter: Annotated[
        str, pattern(r"^/[A-Za-z0-9_.\-/${}]+$", "a Parameter Store name starting with '/'")
    ] = Field(
        default="/${Namespace}/${Environment}/${ServiceName}/database/password",
        description="Where the master password lives; an existing SecureString here is used as is.",
    )
    password_version: int = Field(
        default=1, ge=1, description="Raise to generate a new password (muon-managed parameter only)."
    )
    backup_retention: int | None = Field(
        default=None, ge=1, le=35, description="Days (dev 1, production 14)."
    )
    backup_window: BackupWindow = "03:00-04:00"
    maintenance_window: MaintenanceWindow = "sun:04:30-sun:05:30"
    deletion_protection: bool | None = Field(default=None, description="Default: production only.")
    performance_insights: bool | None = Field(default=None, description="Default: production only.")
    monitoring_interval: Literal[0, 1, 5, 10, 15, 30, 60] | None = Field(
        default=None, description="Enhanced monitoring seconds (dev 0 = off, production 60)."
    )
    backtrack_hours: int | None = Field(
        default=None, ge=0, le=72, description="Aurora MySQL backtrack window (dev 0, production 24)."
    )
    parameters: Annotated[dict[str, str], AfterValidator(_no_credentials)] = Field(
        default_factory=dict, description="Extra cluster parameters."
    )
    alarms: DatabaseAlarmsSpec = Field(default_factory=DatabaseAlarmsSpec.model_construct)

    @model_validator(mode="after")
    def _check(self) -> DatabaseSpec:
        facts = ENGINES[self.engine]
        instance_problem = instance_engine_problem(self.engine, self)
        if instance_problem:
            raise _PathError(*instance_problem)
        if not facts.instance_engine:
            given = [
                to_camel(k) for k in ("max_allocated_storage", "multi_az") if getattr(self, k) is not None
            ]
            if given or "allocated_storage" in self.model_fields_set:
                raise _PathError(
                    ((given or ["allocatedStorage"])[0],),
                    f"{facts.label} storage grows by itself and its replicas are instances: this is for "
                    "the RDS instance engines (postgres, mysql, mariadb)",
                )
        if self.iam_authentication and not facts.iam_authentication:
            raise _PathError(("iamAuthentication",), f"{facts.label} has no IAM database authentication")
        if self.max_allocated_storage is not None and self.max_allocated_storage <= self.allocated_storage:
            raise _PathError(
                ("maxAllocatedStorage",),
                f"must exceed allocatedStorage ({self.allocated_storage}) for storage to grow",
            )
        if self.version is not None:
            problem = version_problem(self.engine, self.version)
            if problem:
                raise _PathError(("version",), problem)
        version = self.version or facts.default_version
        if self.instance_class is not None:
            problem = instance_class_problem(self.engine, self.instance_class)
            if problem:
                raise _PathError(("instanceClass",), problem)
        if self.serverless is not None:
            _check_pause(self.engine, version, self.serverless, ("serverless", "minCapacity"))
        if len(self.name) > facts.database_name_max:
            raise _PathError(
                ("name",), f"{facts.label} database names have at most {facts.database_name_max} characters"
            )
        if len(self.master_username) > facts.username_max:
            raise _PathError(
                ("masterUsername",), f"{facts.label} user names have at most {facts.username_max} characters"
            )
        if self.master_username.lower() in RESERVED_USERNAMES:
            raise _PathError(
                ("masterUsername",),
                f"'{self.master_username}' is reserved or easily guessed; choose another name",
            )
        if windows_overlap(self.backup_window, self.maintenance_window):
            # CreateDBCluster: the backup window "must not conflict with the preferred maintenance window".
            raise _PathError(
                ("backupWindow",),
                f"{self.backup_window} overlaps the maintenance window {self.maintenance_window}; RDS "
                "refuses windows that meet",
            )
        if self.backtrack_hours and self.engine != "aurora-mysql":
            raise _PathError(("backtrackHours",), "backtrack exists only for Aurora MySQL")
        blocked = {
            name
            for name, _ in facts.cluster_parameters
            if name in ("require_secure_transport", "rds.force_ssl")
        }
        for name in self.parameters:
            if name in blocked:
                raise _PathError(("parameters", name), "muon enforces TLS; this parameter cannot be changed")
        return self


def _check_pause(engine: Engine, version: str, serverless: ServerlessSpec, loc: tuple[str, ...]) -> None:
    if serverless.min_capacity == 0 and not supports_pause(engine, version):
        raise _PathError(
            loc, f"{ENGINES[engine].label} {version} cannot pause (minCapacity 0); use a newer version or 0.5"
        )


class DatabaseOverride(DatabaseCapacitySpec):
    """Per-environment database capacity (``services.<name>.environments.<env>.database``)."""


def instance_engine_problem(
    engine: Engine, capacity: DatabaseCapacitySpec
) -> tuple[tuple[str, ...], str] | None:
    """Where an RDS instance engine is given what only an Aurora cluster has, and why."""
    facts = ENGINES[engine]
    if not facts.instance_engine:
        return None
    aurora = engine.replace("postgres", "aurora-postgresql") if engine == "postgres" else "aurora-mysql"
    if capacity.serverless is not None:
        return (
            "serverless",
        ), f"{facts.label} runs as a DB instance: no Serverless v2 (engine: {aurora} has it)"
    if capacity.instances is not None and capacity.instances > 1:
        return (
            ("instances",),
            f"{facts.label} runs one DB instance (production adds a Multi-AZ standby); "
            f"readers need engine: {aurora}",
        )
    return None
