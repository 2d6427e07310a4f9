"""A workload's addons (``copilot/<name>/addons/*.yml``, CloudFormation): what muon can own itself.

An ``AWS::RDS::DBCluster`` of an Aurora engine — what ``copilot storage init -t Aurora`` writes
(``internal/pkg/addon/storage.go`` and its template ``templates/addons/aurora/serverlessv2.yml``:
``DatabaseName: !Ref <cluster>DBName`` with the parameter's default, ``ServerlessV2ScalingConfiguration``
from ``!FindInMap [<cluster>EnvScalingConfigurationMap, !Ref Env or All, DBMinCapacity]``) — becomes
the service's ``database``; the subnet group, security groups, secret, writer instance and parameter
group around it are muon's own parts of a database. A DynamoDB table or an S3 bucket becomes the
service's own ``storage`` (``importers/copilot_storage.py``); anything else is one stderr line
(CloudFormation reference: AWS::RDS::DBCluster, ``ServerlessV2ScalingConfiguration``,
``ScalingConfiguration`` for Serverless v1).
"""

from __future__ import annotations

import re
from typing import Any

from muon.importers.copilot import Conversion

ENGINES = {"aurora-postgresql": "aurora-postgresql", "aurora-mysql": "aurora-mysql", "aurora": "aurora-mysql"}
PARTS = {
    "AWS::RDS::DBSubnetGroup",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::SecretsManager::Secret",
    "AWS::SecretsManager::SecretTargetAttachment",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBClusterParameterGroup",
}
"""The resources Copilot's Aurora template makes around the cluster: muon makes its own."""
STORAGE = ("AWS::DynamoDB::Table", "AWS::S3::Bucket")


def template(name: str, data: Any, source: str, out: Conversion) -> None:
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        out.lose(source, "Resources", "not a CloudFormation template with Resources; not converted")
        return
    resources = {str(k): v for k, v in data["Resources"].items() if isinstance(v, dict)}
    clusters = [k for k, v in resources.items() if v.get("Type") == "AWS::RDS::DBCluster"]
    converted = False
    stored: dict[str, str] = {}
    """Each converted table's or bucket's logical id → the variable muon gives the app its name in."""
    # Tables and buckets first: a bucket policy is read knowing which buckets muon owns.
    for logical, resource in sorted(resources.items(), key=lambda item: item[1].get("Type") not in STORAGE):
        kind = str(resource.get("Type"))
        path = f"Resources.{logical}"
        if kind == "AWS::RDS::DBCluster":
            if converted:
                out.lose(source, path, "muon gives a service one database: not converted")
                continue
            converted = _cluster(name, resource, data, source, path, out)
        elif kind in PARTS and clusters:
            continue
        elif kind in STORAGE:
            variable = _storage(name, logical, resource, data, source, out)
            if variable is not None:
                stored[logical] = variable
        elif kind == "AWS::S3::BucketPolicy" and _tls_only(resource, stored):
            continue  # storage init's policy refusing plain HTTP: muon's bucket policy does the same
        elif kind == "AWS::IAM::ManagedPolicy":
            out.drop(source, f"{path} ({kind})", f"addons {kind}")
        else:
            out.drop(source, f"{path} ({kind})", "addons (any other resource)")
    if data.get("Outputs") and not converted:
        given = ", ".join(sorted(_variable(str(k)) for k in data["Outputs"]))[:200]
        muon = f" ({', '.join(sorted(stored.values()))}): read those instead" if stored else ""
        out.lose(
            source,
            "Outputs",
            f"Copilot injected each output as a variable ({given}); muon injects its own resources' "
            f"names{muon}",
        )


def _variable(output: str) -> str:
    """Copilot's variable for an addon output: ``ordersName`` → ``ORDERS_NAME``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", output).upper()


def _storage(
    name: str, logical: str, resource: dict[str, Any], data: dict[str, Any], source: str, out: Conversion
) -> str | None:
    """A table or bucket into the service's ``storage``; the variable holding its name, or None."""
    from muon.importers.copilot_storage import bucket, table
    from muon.stacks.definition.storage import variable_name

    kind = str(resource.get("Type"))
    service = (out.definition.get("services") or {}).get(name)
    path = f"Resources.{logical}"
    if service is None:
        out.lose(source, f"{path} ({kind})", "no service of this name owns it: not converted")
        return None
    given = resource.get("Properties")
    properties: dict[str, Any] = given if isinstance(given, dict) else {}
    for key in set(resource) - {"Type", "Properties", "Metadata", "DependsOn"}:
        out.lose(
            source, f"{path}.{key}", "muon keeps and protects production's storage itself; not converted"
        )
    storage = service.setdefault("storage", {})
    before = {group: set(storage.get(group) or {}) for group in ("tables", "buckets")}
    convert, group, suffix = (
        (table, "tables", "TABLE") if kind == STORAGE[0] else (bucket, "buckets", "BUCKET")
    )
    done = convert(logical, properties, lambda v: _value(v, data), storage, source, out)
    if not storage:
        del service["storage"]
    if not done:
        return None
    (added,) = set(storage[group]) - before[group]
    return variable_name(added, suffix)


def _tls_only(resource: dict[str, Any], stored: dict[str, str]) -> bool:
    """A bucket policy on a converted bucket whose every statement denies requests without TLS."""
    properties = resource.get("Properties")
    if not isinstance(properties, dict) or str(properties.get("Bucket")) not in stored:
        return False
    document = properties.get("PolicyDocument")
    statements = document.get("Statement") if isinstance(document, dict) else None
    return (
        isinstance(statements, list)
        and bool(statements)
        and all(
            isinstance(s, dict)
            and s.get("Effect") == "Deny"
            and "aws:SecureTransport" in str(s.get("Condition"))
            and "false" in str(s.get("Condition")).lower()
            for s in statements
        )
    )


def _cluster(
    name: str, resource: dict[str, Any], data: dict[str, Any], source: str, path: str, out: Conversion
) -> bool:
    given = resource.get("Properties")
    properties: dict[str, Any] = given if isinstance(given, dict) else {}
    engine = ENGINES.get(str(_value(properties.get("Engine"), data)))
    service = (out.definition.get("services") or {}).get(name)
    if engine is None or service is None:
        why = "no service of this name" if service is None else f"engine {properties.get('Engine')}"
        out.lose(
            source,
            path,
            f"{why}: muon's databases are Aurora MySQL or PostgreSQL of a service; not converted",
        )
        return False
    database: dict[str, Any] = {"engine": engine}
    db_name = _value(properties.get("DatabaseName"), data)
    database["name"] = str(db_name) if isinstance(db_name, str | int) else name.replace("-", "_")
    scaling = properties.get("ServerlessV2ScalingConfiguration") or properties.get("ScalingConfiguration")
    per_env: dict[str, dict[str, float]] = {}
    if isinstance(scaling, dict):
        serverless: dict[str, float] = {}
        for key, muon_key in (("MinCapacity", "minCapacity"), ("MaxCapacity", "maxCapacity")):
            base, envs = _capacity(scaling.get(key), data)
            if base is not None:
                serverless[muon_key] = base
            for env, value in envs.items():
                per_env.setdefault(env, {})[muon_key] = value
        database["serverless"] = serverless
    if properties.get("EngineVersion") is not None:
        out.lose(
            source, f"{path}.Properties.EngineVersion", f"'{_value(properties['EngineVersion'], data)}': "
            "muon starts from its own default version of the engine; set services.<name>.database.version"
        )  # fmt: skip
    service["database"] = database
    environments = out.definition.get("environments") or {}
    for env, capacity in per_env.items():
        if env in environments and "serverless" in database:
            override = service.setdefault("environments", {}).setdefault(env, {})
            override["database"] = {"serverless": {**database["serverless"], **capacity}}
    out.lose(
        source,
        path,
        f"Copilot injected the cluster's secret as a variable; muon gives {name} the endpoint and "
        "password as its own (${DatabaseEndpointAddress}, ${DatabaseMasterPassword}: docs/definition.md)",
    )
    return True


def _value(value: Any, data: dict[str, Any]) -> Any:
    """A literal, or ``!Ref Parameter`` read as the parameter's default (the tolerant loader leaves the
    parameter's name)."""
    given = data.get("Parameters")
    parameters: dict[str, Any] = given if isinstance(given, dict) else {}
    if isinstance(value, str) and isinstance(parameters.get(value), dict) and "Default" in parameters[value]:
        return parameters[value]["Default"]
    return value


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= 256 else None


def _capacity(value: Any, data: dict[str, Any]) -> tuple[float | None, dict[str, float]]:
    """A number, or ``!FindInMap [Map, All | Env, Key]``: the ``All`` row (else the first) for every
    environment, and each environment's own row where it differs."""
    direct = _number(_value(value, data))
    if direct is not None or not (isinstance(value, list) and len(value) == 3):
        return direct, {}
    given = data.get("Mappings")
    mappings: dict[str, Any] = given if isinstance(given, dict) else {}
    table = mappings.get(str(value[0]))
    if not isinstance(table, dict) or not table:
        return None, {}
    rows = {str(k): v for k, v in table.items() if isinstance(v, dict)}
    key = str(value[2])
    chosen = str(value[1])
    if chosen in rows:
        return _number(rows[chosen].get(key)), {}
    base = _number((rows.get("All") or next(iter(rows.values()), {})).get(key))
    envs = {env: n for env, row in rows.items() if env != "All" and (n := _number(row.get(key))) is not None}
    return base, {env: n for env, n in envs.items() if n != base}
