"""A workload's addons (``copilot/<name>/addons/*.yml``, CloudFormation): what muon can own itself.

An ``AWS::RDS::DBCluster`` of an Aurora engine — what ``copilot storage init -t Aurora`` writes
(``internal/pkg/addon/storage.go`` and its template ``templates/addons/aurora/serverlessv2.yml``:
``DatabaseName: !Ref <cluster>DBName`` with the parameter's default, ``ServerlessV2ScalingConfiguration``
from ``!FindInMap [<cluster>EnvScalingConfigurationMap, !Ref Env or All, DBMinCapacity]``) — becomes
the service's ``database``; the subnet group, security groups, secret, writer instance and parameter
group around it are muon's own parts of a database. DynamoDB tables and S3 buckets await muon's
service-owned storage; anything else is one stderr line (CloudFormation reference: AWS::RDS::DBCluster,
``ServerlessV2ScalingConfiguration``, ``ScalingConfiguration`` for Serverless v1).
"""

from __future__ import annotations

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
AWAITING = {"AWS::DynamoDB::Table", "AWS::S3::Bucket"}


def template(name: str, data: Any, source: str, out: Conversion) -> None:
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        out.lose(source, "Resources", "not a CloudFormation template with Resources; not converted")
        return
    resources = {str(k): v for k, v in data["Resources"].items() if isinstance(v, dict)}
    clusters = [k for k, v in resources.items() if v.get("Type") == "AWS::RDS::DBCluster"]
    converted = False
    for logical, resource in resources.items():
        kind = str(resource.get("Type"))
        path = f"Resources.{logical}"
        if kind == "AWS::RDS::DBCluster":
            if converted:
                out.lose(source, path, "muon gives a service one database: not converted")
                continue
            converted = _cluster(name, resource, data, source, path, out)
        elif kind in PARTS and clusters:
            continue
        elif kind in AWAITING or kind == "AWS::IAM::ManagedPolicy":
            out.drop(source, f"{path} ({kind})", f"addons {kind}")
        else:
            out.drop(source, f"{path} ({kind})", "addons (any other resource)")
    if data.get("Outputs") and not converted:
        out.lose(
            source,
            "Outputs",
            "Copilot injected each output as a variable; muon injects its own resources' names",
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
