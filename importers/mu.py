"""``muon import mu.yml``: Stelligent mu's definition file, as a ``muon.yaml``.

mu's format (its ``common/types.go``: ``environments``, ``service``, ``service.pipeline``,
``service.database`` …) maps key by key where muon has the same idea; everything else is reported,
one line per key with its mu path, never silently dropped. The result is validated by muon's own
loader before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from muon.stacks.definition.loader import parse_definition, parse_yaml
from muon.stacks.errors import DefinitionError

PROVIDERS = {"ecs": "ec2", "ecs-fargate": "fargate"}
ENGINES = {"aurora": "aurora-mysql", "aurora-mysql": "aurora-mysql", "aurora-postgresql": "aurora-postgresql"}
RDS_ENGINES = {"mysql": "aurora-mysql", "postgres": "aurora-postgresql", "mariadb": "aurora-mysql"}
SOURCES = {"github": "github", "codecommit": "codecommit", "s3": "s3"}
# mu's default stage environments (its pipeline template).
DEFAULT_STAGES = (("acceptance", False), ("production", True))

DATABASE_KEYS = {
    "name", "engine", "engineMode", "instanceClass", "iamAuthentication", "masterUsername",
    "masterPasswordSSMParam", "minSize", "maxSize", "secondsUntilAutoPause", "environmentConfig",
}  # fmt: skip
# Keys muon has no equivalent for, with why (shown on stderr).
WHY = {
    "templates": "CloudFormation template patches have no Pulumi equivalent here",
    "parameters": "CloudFormation parameters have no Pulumi equivalent here",
    "extensions": "mu extensions patch CloudFormation",
    "tags": "stack tags: muon tags every resource with its project, namespace, stack and environment",
    "disableIAM": "muon creates its own least-privilege roles",
    "roles": "pre-created roles are not supported",
    "discovery": "service discovery is not supported",
    "keyName": "no SSH keys: muon's hosts are reached through SSM",
    "sshAllow": "no SSH: muon's hosts are reached through SSM",
    "imageId": "muon runs the current ECS-optimized Amazon Linux 2023 image",
    "osType": "muon runs the current ECS-optimized Amazon Linux 2023 image",
    "instanceTenancy": "dedicated tenancy is not supported",
    "desiredCapacity": "the capacity provider sizes the group between min and max",
    "targetCPUReservation": "the capacity provider's managed scaling targets full use",
    "targetMemoryReservation": "the capacity provider's managed scaling targets full use",
    "httpProxy": "an HTTP proxy for the hosts is not supported",
    "extraUserData": "extra user data is not supported",
    "deploymentStrategy": "muon rolls out with a circuit breaker and rollback alarms",
    "networkMode": "muon runs every task in awsvpc mode",
    "links": "container links do not exist in awsvpc mode",
    "schedules": "scheduled tasks are not supported yet",
    "targetCPUUtilization": "muon scales in steps on CPU (services.<name>.scaling)",
    "discoveryTTL": "service discovery is not supported",
    "kmsKey": "muon creates a key per database and pipeline",
    "allocatedStorage": "Aurora storage grows by itself",
    "bucket": "muon creates its own artifact bucket",
    "muBaseurl": "mu's own release",
    "muVersion": "mu's own release",
    "type": "CodeBuild environment type: muon's builds run on Linux",
    "timeout": "CodeBuild timeouts are not configurable",
    "disabled": "a disabled step is left out instead",
}


@dataclass
class Conversion:
    definition: dict[str, Any] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    """One line per mu key muon cannot express: ``<file>: <mu path>: why``."""

    def drop(self, source: str, path: str, why: str | None = None) -> None:
        leaf = path.rsplit(".", 1)[-1].split("[")[0]
        self.dropped.append(f"{source}: {path}: not converted ({why or WHY.get(leaf, 'no muon equivalent')})")


def convert(text: str, source: str = "mu.yml") -> Conversion:
    """The ``muon.yaml`` for a mu file, and what could not be carried over (DefinitionError: not a
    mu file at all, or a result muon's loader refuses)."""
    data = parse_yaml(text, source)
    if not isinstance(data, dict):
        raise DefinitionError([f"{source}: expected a mu file (a mapping with environments: or service:)"])
    out = Conversion()
    known = {"namespace", "environments", "service"}
    for key in data:
        if key not in known:
            out.drop(source, str(key))
    if data.get("namespace"):
        out.definition["namespace"] = str(data["namespace"]).lower()
    service = data.get("service") or {}
    environments = data.get("environments") or []
    if environments:
        out.definition["environments"] = {
            str(env.get("name")): _environment(env, f"environments[{i}]", source, out)
            for i, env in enumerate(environments)
            if isinstance(env, dict)
        }
    if service:
        name = str(service.get("name") or "app")
        converted, pipeline = _service(service, source, out)
        if not environments:  # a service-only file: an attached service project
            stages = _stage_environments(service.get("pipeline") or {})
            out.definition["environments"] = {env: {"attach": {"stack": env}} for env, _ in stages}
            out.dropped.append(
                f"{source}: environments: none in this file; attached to stacks named "
                f"{', '.join(env for env, _ in stages)} — set attach.stack to your platform project's stacks"
            )
        known_envs = set(out.definition["environments"])
        for env in sorted(set(converted.get("environments", {})) - known_envs):
            out.drop(source, f"service.database.environmentConfig.{env}", "no such environment in this file")
            del converted["environments"][env]
        out.definition["services"] = {name: converted}
        if pipeline:
            stages = [s for s in pipeline["stages"] if s["environment"] in known_envs]
            for stage in pipeline["stages"]:
                if stage not in stages:
                    out.drop(
                        source,
                        "service.pipeline",
                        f"stage environment '{stage['environment']}' is not defined",
                    )
            pipeline["stages"] = stages
            if stages:
                out.definition["pipeline"] = pipeline
    text_out = yaml.safe_dump(out.definition, sort_keys=False)
    parse_definition(text_out, f"{source} (converted)")  # muon's own checks, before anything is written
    return out


def _environment(env: dict[str, Any], path: str, source: str, out: Conversion) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key in env:
        if key not in {"name", "provider", "loadbalancer", "cluster", "vpcTarget"}:
            out.drop(source, f"{path}.{key}")
    provider = env.get("provider") or "ecs"
    if provider in PROVIDERS:
        result["cluster"] = {"provider": PROVIDERS[provider]}
    else:
        out.drop(source, f"{path}.provider", f"{provider}: muon runs ECS on Fargate or EC2; Fargate chosen")
        result["cluster"] = {"provider": "fargate"}
    cluster = env.get("cluster") or {}
    for key, value in cluster.items():
        if key == "instanceType" and result["cluster"]["provider"] == "ec2":
            result["cluster"]["instanceType"] = value
        elif key in ("minSize", "maxSize") and result["cluster"]["provider"] == "ec2":
            result["cluster"]["min" if key == "minSize" else "max"] = int(value)
        else:
            out.drop(source, f"{path}.cluster.{key}")
    lb = env.get("loadbalancer") or {}
    zone, host = lb.get("hostedzone"), lb.get("name")
    if zone:
        result["domain"] = {"name": f"{host}.{zone}" if host else zone, "zone": zone}
        if lb.get("certificate"):
            out.drop(
                source, f"{path}.loadbalancer.certificate", "muon issues the domain's certificate itself"
            )
    elif lb.get("certificate"):
        result["loadBalancer"] = {"certificateArn": lb["certificate"]}
    elif host:
        out.drop(source, f"{path}.loadbalancer.name", "a load balancer name without hostedzone")
    if lb.get("internal"):
        result.setdefault("loadBalancer", {})["internal"] = True
    target = env.get("vpcTarget") or {}
    if target.get("vpcId"):
        result["network"] = {
            "existing": {
                "vpcId": target["vpcId"],
                "publicSubnetIds": list(target.get("elbSubnetIds") or []),
                "privateSubnetIds": list(target.get("instanceSubnetIds") or []),
            }
        }
    for key in ("environment", "namespace"):
        if target.get(key):
            out.drop(
                source, f"{path}.vpcTarget.{key}", "another mu environment's VPC: give its vpcId and subnets"
            )
    return result


def _service(service: dict[str, Any], source: str, out: Conversion) -> tuple[dict[str, Any], dict[str, Any]]:
    result: dict[str, Any] = {}
    simple = {
        "port": "port",
        "pathPatterns": "pathPatterns",
        "hostPatterns": "hostPatterns",
        "priority": "priority",
        "cpu": "cpu",
        "memory": "memory",
        "desiredCount": "desiredCount",
        "imageRepository": "image",
    }
    handled = {*simple, "name", "minSize", "maxSize", "healthEndpoint", "protocol", "environment"}
    handled |= {"dockerfile", "database", "pipeline"}
    for key, value in service.items():
        if key in simple:
            result[simple[key]] = value
        elif key not in handled:
            out.drop(source, f"service.{key}")
    if service.get("minSize") is not None or service.get("maxSize") is not None:
        result["scaling"] = {
            k: int(service[m])
            for k, m in (("min", "minSize"), ("max", "maxSize"))
            if service.get(m) is not None
        }
    if service.get("healthEndpoint"):
        result["healthCheck"] = {"path": service["healthEndpoint"]}
    if service.get("protocol"):
        result["protocol"] = str(service["protocol"]).lower()
    if service.get("dockerfile") and not service.get("imageRepository"):
        result["build"] = {"context": ".", "dockerfile": service["dockerfile"]}
    if service.get("environment"):
        # Values (and per-environment maps) carry over as they are: mu's ${DatabaseMasterPassword}
        # and friends are muon's placeholders too, and the password becomes an ECS secret.
        result["environment"] = {str(k): v for k, v in service["environment"].items()}
    if service.get("database"):
        result.update(_database(service["database"], source, out))
    return result, _pipeline(service.get("pipeline") or {}, source, out)


def _database(database: dict[str, Any], source: str, out: Conversion) -> dict[str, Any]:
    path = "service.database"
    result: dict[str, Any] = {"name": database.get("name") or "app"}
    overrides: dict[str, Any] = {}
    result.update(_database_config(database, path, source, out))
    for env, config in (database.get("environmentConfig") or {}).items():
        override = _database_config(config or {}, f"{path}.environmentConfig.{env}", source, out)
        capacity = {k: v for k, v in override.items() if k in ("instanceClass", "serverless")}
        for key in set(override) - set(capacity):
            out.drop(source, f"{path}.environmentConfig.{env}.{key}", "per-environment: only capacity")
        if capacity:
            overrides[str(env)] = {"database": capacity}
    converted: dict[str, Any] = {"database": result}
    if overrides:
        converted["environments"] = overrides
    return converted


def _database_config(config: dict[str, Any], path: str, source: str, out: Conversion) -> dict[str, Any]:
    result: dict[str, Any] = {}
    engine = config.get("engine")
    if engine in ENGINES:
        result["engine"] = ENGINES[engine]
    elif engine in RDS_ENGINES:
        result["engine"] = RDS_ENGINES[engine]
        out.drop(source, f"{path}.engine", f"{engine}: muon runs Aurora; converted to {RDS_ENGINES[engine]}")
    elif engine:
        out.drop(source, f"{path}.engine", f"{engine}: not an engine muon runs")
    if config.get("engineMode") == "serverless":
        serverless: dict[str, Any] = {}
        for key, target in (("minSize", "minCapacity"), ("maxSize", "maxCapacity")):
            if config.get(key) is not None:
                serverless[target] = float(config[key])
        if config.get("secondsUntilAutoPause") is not None:
            serverless["autoPauseAfter"] = int(config["secondsUntilAutoPause"])
        result["serverless"] = serverless
    elif config.get("engineMode"):
        out.drop(
            source, f"{path}.engineMode", f"{config['engineMode']}: muon runs provisioned or Serverless v2"
        )
    if config.get("instanceClass") and config.get("engineMode") != "serverless":
        result["instanceClass"] = config["instanceClass"]
    if str(config.get("iamAuthentication", "")).lower() == "true":
        result["iamAuthentication"] = True
    if config.get("masterUsername"):
        result["masterUsername"] = config["masterUsername"]
    if config.get("masterPasswordSSMParam"):
        result["passwordParameter"] = config["masterPasswordSSMParam"]
    for key in config:
        if key not in DATABASE_KEYS:
            out.drop(source, f"{path}.{key}")
    return result


def _stage_environments(pipeline: dict[str, Any]) -> list[tuple[str, bool]]:
    stages = []
    for (default, approval), key in zip(DEFAULT_STAGES, ("acceptance", "production"), strict=True):
        stage = pipeline.get(key) or {}
        if not stage.get("disabled"):
            stages.append((str(stage.get("environment") or default), approval))
    return stages


def _pipeline(pipeline: dict[str, Any], source: str, out: Conversion) -> dict[str, Any]:
    if not pipeline:
        return {}
    handled = {"source", "build", "acceptance", "production", "notify"}
    for key in pipeline:
        if key not in handled:
            out.drop(source, f"service.pipeline.{key}")
    result: dict[str, Any] = {}
    src = pipeline.get("source") or {}
    provider = SOURCES.get(str(src.get("provider", "github")).lower())
    if provider is None:
        out.drop(
            source, "service.pipeline.source.provider", f"{src.get('provider')}: not a source muon reads"
        )
        provider = "github"
    result["source"] = {"provider": provider, "repo": src.get("repo") or "owner/repo"}
    if src.get("branch"):
        result["source"]["branch"] = src["branch"]
    if provider == "github":
        out.dropped.append(
            f"{source}: service.pipeline.source: GitHub through a CodeStar connection — set "
            "pipeline.source.connection (or muon:connection in the pipeline stack's config)"
        )
    build = pipeline.get("build") or {}
    converted_build = {k: build[k] for k in ("image", "computeType") if build.get(k)}
    for key in set(build) - {"image", "computeType"}:
        out.drop(source, f"service.pipeline.build.{key}")
    if converted_build:
        result["build"] = converted_build
    for key in ("acceptance", "production"):
        for sub in set(pipeline.get(key) or {}) - {"environment", "disabled"}:
            out.drop(source, f"service.pipeline.{key}.{sub}")
    result["stages"] = [
        {"environment": env, **({"approval": True} if approval else {})}
        for env, approval in _stage_environments(pipeline)
    ]
    if pipeline.get("notify"):
        result["notifications"] = {"emails": list(pipeline["notify"])}
    elif any(approval for _, approval in _stage_environments(pipeline)):
        out.dropped.append(
            f"{source}: service.pipeline.notify: none; the production approval needs someone to notify — "
            "set pipeline.notifications.emails"
        )
        result["notifications"] = {"emails": ["change-me@example.com"]}
    return result
