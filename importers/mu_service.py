"""mu's ``service`` (its service, database, schedules and pipeline) as muon's ``services``, ``jobs``
and ``pipeline``; see ``importers/mu.py`` for the mu sources each default comes from."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from muon.importers.mu_pipeline import checkout, pipeline_of, stage_environments

if TYPE_CHECKING:
    from muon.importers.mu import Conversion

ENGINES = {
    "aurora": "aurora-mysql",  # mu's default engine (database.yml DatabaseEngine: aurora)
    "aurora-mysql": "aurora-mysql",
    "aurora-postgresql": "aurora-postgresql",
    "mysql": "mysql",  # an RDS instance, as mu's IsStandalone condition made it
    "postgres": "postgres",
    "mariadb": "mariadb",
}
REFERENCE = re.compile(r"\$\{([^}]*)\}|\$\(([^)]*)\)")
KNOWN_REFERENCES = {
    "Environment", "ServiceName", "Region", "AccountId", "LoadBalancerUrl", "DatabaseEndpointAddress",
    "DatabaseReaderEndpointAddress", "DatabaseEndpointPort", "DatabaseName", "DatabaseMasterUsername",
    "DatabaseMasterPassword", "DatabaseIamUser",
}  # fmt: skip
RENAMED = {"AWS::Region": "Region", "AWS::AccountId": "AccountId", "EnvironmentName": "Environment"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY$", re.IGNORECASE)
SERVICE_KEYS = {
    "name", "port", "pathPatterns", "hostPatterns", "priority", "cpu", "memory", "desiredCount",
    "imageRepository", "minSize", "maxSize", "healthEndpoint", "protocol", "environment", "dockerfile",
    "database", "pipeline", "schedules", "roles", "targetCPUUtilization", "networkMode",
}  # fmt: skip


def service_name(service: dict[str, Any], out: Conversion, base: Path | None) -> str:
    """mu's ``service.name``, else the git checkout's repository name (workflows/pipeline_common.go
    serviceFinder: ``Repo.Name``), else ``app``; in muon's name form (types.py ``Name``), a line
    when that changes it."""
    given = service.get("name") or (checkout(base)[0] or "").rpartition("/")[2]
    if not given:
        return "app"
    name = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", str(given).lower()))
    name = (name if name[:1].isalpha() else f"s-{name}")[:22].strip("-")
    name = name if len(name) >= 2 else "app"
    if name != str(given):
        out.lose(
            "service.name" if service.get("name") else "service",
            f"'{given}' is not a muon name (2-22 of a-z, 0-9, '-'): wrote '{name}' — "
            "its resources' names change",
        )
    return name


def service_and_pipeline(
    service: dict[str, Any], out: Conversion, has_environments: bool, base: Path | None
) -> None:
    name = service_name(service, out, base)
    definition = out.definition
    if not has_environments:  # a service-only file: an attached service project
        # mu deployed such a service to environments of another file: the pipeline's stages and
        # every environment its per-environment values name.
        names = [env for env, _, _ in stage_environments(service.get("pipeline") or {})]
        names += [e for e in _named_environments(service) if e not in names]
        definition["environments"] = {env: {"attach": {"stack": env}} for env in names}
        out.lose(
            "environments",
            f"none in this file; attached to stacks named {', '.join(names)} — set "
            "attach.stack to your platform project's stacks",
        )
    converted = _service(service, name, out)
    known = set(definition["environments"])
    for variable, values in list((converted.get("environment") or {}).items()):
        for env in sorted(set(values) - known if isinstance(values, dict) else ()):
            out.drop(f"service.environment.{variable}.{env}", "no such environment in this file")
            del values[env]
        if isinstance(values, dict) and not values:
            del converted["environment"][variable]
    for env in sorted(set(converted.get("environments", {})) - known):
        out.drop(f"service.database.environmentConfig.{env}", "no such environment in this file")
        del converted["environments"][env]
    definition["services"] = {name: converted}
    jobs = _schedules(service.get("schedules") or [], name, out)
    if jobs:
        definition["jobs"] = jobs
    pipeline = pipeline_of(service.get("pipeline") or {}, out, base)
    if pipeline:
        stages = [s for s in pipeline["stages"] if s["environment"] in known]
        for stage in pipeline["stages"]:
            if stage not in stages:
                # mu's deploy action ran `mu env up <environment>`, which fails for an environment
                # the file lacks (workflows/environment_upsert.go environmentFinder).
                key = "production" if stage.get("approval") else "acceptance"
                out.lose(
                    f"service.pipeline.{key}.environment",
                    f"'{stage['environment']}' is no environment of this file (mu's stage failed "
                    "there): the stage is left out — name one of the file's environments",
                )
        pipeline["stages"] = stages
        if stages:
            definition["pipeline"] = pipeline


def _named_environments(service: dict[str, Any]) -> list[str]:
    """The environments a service's per-environment values name, in the file's order."""
    names: list[str] = []
    for values in (service.get("environment") or {}).values():
        names += [str(e) for e in values if str(e) not in names] if isinstance(values, dict) else []
    config = (service.get("database") or {}).get("environmentConfig") or {}
    return names + [str(e) for e in config if str(e) not in names]


def _service(service: dict[str, Any], name: str, out: Conversion) -> dict[str, Any]:
    for key in service:
        if key not in SERVICE_KEYS:
            out.drop(f"service.{key}")
    # service-ecs.yml: no path and no host pattern, no target group (HasTargetGroup): not routed.
    routed = bool(service.get("pathPatterns") or service.get("hostPatterns"))
    result: dict[str, Any] = {} if routed else {"kind": "backend"}
    result["port"] = int(service.get("port") or 8080)  # ServicePort's default
    for key in ("pathPatterns", "hostPatterns", "priority"):
        if service.get(key) and routed:
            result[key] = service[key]
    batch = str(service.get("provider") or "") == "batch"  # mu's service-batch.yml: an AWS Batch job
    for key in ("cpu", "memory"):
        if service.get(key) and batch:  # vCPUs and MiB of a Batch job, not a task's CPU units
            out.lose(
                f"service.{key}",
                f"{service[key]} for an AWS Batch job: set services.{name}.{key} for its task",
            )
        elif service.get(key):
            result[key] = int(service[key])
    if service.get("imageRepository"):
        result["image"] = service["imageRepository"]
    elif service.get("dockerfile"):
        result["build"] = {"context": ".", "dockerfile": service["dockerfile"]}
    if routed:
        result["healthCheck"] = {  # mu's ElbTargetGroup
            "path": service.get("healthEndpoint") or "/health",
            "interval": 30,
            "timeout": 3,
            "healthyThreshold": 2,
            "unhealthyThreshold": 5,
            "matcher": "200-299",
        }
    if service.get("protocol"):
        result["protocol"] = str(service["protocol"]).lower()
    result["desiredCount"] = int(service.get("desiredCount") or 2)
    result["scaling"] = {"min": int(service.get("minSize") or 1), "max": int(service.get("maxSize") or 2)}
    result["scaling"]["max"] = max(result["scaling"]["max"], result["scaling"]["min"])
    if batch:  # a job runs when started, never as a standing service: its task, no running copies
        result["desiredCount"], result["scaling"] = 0, {"min": 0, "max": 1}
    if service.get("targetCPUUtilization"):
        out.lose(
            "service.targetCPUUtilization",
            f"mu tracked {service['targetCPUUtilization']}% CPU; muon scales in steps on CPU — set "
            f"services.{name}.scaling.scaleOut.steps / scaleIn.steps to match",
        )
    if str(service.get("networkMode") or "awsvpc") != "awsvpc":
        out.drop("service.networkMode")
    roles = service.get("roles") or {}
    if roles.get("ecsTask"):  # mu's task definition used it as both roles
        result["roles"] = {"task": roles["ecsTask"], "execution": roles["ecsTask"]}
    for key in [k for k in roles if k not in {"ecsTask"}]:  # the file's order: stable lines
        out.drop(f"service.roles.{key}", "muon creates this role itself")
    environment, secrets = _variables(service.get("environment") or {}, out)
    if environment:
        result["environment"] = environment
    if secrets:
        result["secrets"] = secrets
    if service.get("database"):
        from muon.importers.mu_database import database

        result.update(database(service["database"], out))
    return result


def _reference(value: str, path: str, out: Conversion) -> str | None:
    """A value's ``${X}``/``$(X)`` references in muon's form, or None (a line says why)."""
    unknown: list[str] = []

    def rewrite(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or ""
        name = RENAMED.get(name, name)
        if name not in KNOWN_REFERENCES:
            unknown.append(name)
        return "${" + name + "}"

    result = REFERENCE.sub(rewrite, value)
    if unknown:
        out.lose(
            path,
            f"refers to {', '.join(unknown)}, which muon does not know: set it in "
            "environment (a value) or secrets (a Parameter Store name)",
        )
        return None
    return result


def _variables(variables: dict[str, Any], out: Conversion) -> tuple[dict[str, Any], dict[str, str]]:
    environment: dict[str, Any] = {}
    for key, value in variables.items():
        path = f"service.environment.{key}"
        if isinstance(value, dict):  # per-environment values
            values = {str(e): _reference(str(v), f"{path}.{e}", out) for e, v in value.items()}
            kept = {e: v for e, v in values.items() if v is not None}
            if len(kept) == len(values):
                environment[str(key)] = kept
            continue
        text = _reference(str(value), path, out)
        if text is None:
            continue
        if SECRET_NAME.search(str(key)) and "${DatabaseMasterPassword}" not in text and "$" in str(value):
            out.lose(path, "a secret in plain environment: write it under secrets as a Parameter Store name")
            continue
        environment[str(key)] = text
    return environment, {}


def _schedules(schedules: list[Any], service: str, out: Conversion) -> dict[str, Any]:
    """mu's schedules (schedule.yml: an Events rule running the service's task) are muon jobs."""
    jobs: dict[str, Any] = {}
    for index, schedule in enumerate(schedules):
        path = f"service.schedules[{index}]"
        if not isinstance(schedule, dict):
            out.drop(path, "expected a mapping with name, expression, command")
            continue
        expression = str(schedule.get("expression") or "")
        if not re.match(r"^(cron|rate)\(.+\)$", expression):
            out.lose(
                f"{path}.expression", f"'{expression}': write jobs.<name>.schedule as cron(...) or rate(...)"
            )
            continue
        out.unknown(schedule, {"name", "expression", "command"}, path)
        name = re.sub(r"[^a-z0-9-]", "-", str(schedule.get("name") or f"schedule-{index}").lower())
        command = schedule.get("command") or []
        if not isinstance(command, list):
            # mu's Schedule.Command is a []string: its YAML reader warned on a command line and ran
            # the task without it (cli/app.go only warns). Its words are what the team meant.
            try:
                command = shlex.split(str(command))
            except ValueError:  # an unclosed quote: its words as they are
                command = str(command).split()
            out.lose(
                f"{path}.command",
                f"a command line, which mu did not read (it ran the image's own command): wrote "
                f"{command} — check jobs.{name}.command",
            )
        jobs[name] = {
            "service": service,
            "command": [str(c) for c in command] or ["true"],
            "schedule": expression,
        }
    return jobs
