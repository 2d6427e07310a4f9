"""A Copilot workload's manifest (``copilot/<name>/manifest.yml``) as a muon service, job or site.

Each type's defaults are Copilot's (``internal/pkg/manifest``: ``newDefaultLoadBalancedWebService``,
``newDefaultBackendService``, ``newDefaultWorkerService``, ``newDefaultRequestDrivenWebService``,
``newDefaultScheduledJob``); a key muon cannot express is one stderr line from
``importers/copilot_table.py``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from muon.importers.copilot import Conversion, interpolate, load
from muon.importers.copilot_containers import logging, observability, publish, sidecars
from muon.importers.copilot_kinds import job, routing, site, subscribe
from muon.importers.copilot_values import count_range, seconds, whole, words
from muon.stacks.definition.fields import SecretsManagerSpec
from muon.stacks.definition.secrets import secret_problem

W = "<workload>"
KINDS = {
    "Load Balanced Web Service": "web",
    "Backend Service": "backend",
    "Worker Service": "worker",
    "Request-Driven Web Service": "web",
    "Scheduled Job": "worker",
}
COMMON = {"name", "type", "image", "cpu", "memory", "count", "exec", "entrypoint", "command", "variables"}
COMMON |= {"secrets", "network", "storage", "deployment", "environments", "platform", "logging"}
COMMON |= {"sidecars", "observability", "publish"}
TAKES = {
    "web": COMMON | {"http"},
    "backend": COMMON | {"http"},
    "worker": COMMON | {"subscribe"},
    "Scheduled Job": COMMON | {"on", "timeout", "retries"},
    "Request-Driven Web Service": COMMON | {"http"},
}
OVERRIDABLE = ("cpu", "memory", "count", "variables")
"""What muon keeps per environment (``services.<name>.environments.<env>``)."""
# Copilot's defaults (newDefault…): 256/512 everywhere but App Runner (1024/2048).
SIZE = {"Request-Driven Web Service": (1024, 2048)}


def workload(name: str, data: dict[str, Any], source: str, out: Conversion) -> None:
    """``data``, checked by ``check_workload``, into ``out.definition``."""
    data = interpolate(data, out.app, "${Environment}", source, out)
    kind = str(data["type"])
    name = str(data.get("name") or name)
    if kind == "Static Site":
        site(name, data, source, out)
        return
    service = _service(name, data, kind, source, out)
    if kind == "Scheduled Job":
        job(name, data, service, source, out)
    out.definition.setdefault("services", {})[name] = service
    if not any("user 1000" in note for note in out.notes):
        out.notes.append(
            "copilot: Copilot ran containers as the image's user with a writable root; muon runs them as "
            "user 1000 on a read-only root: set user: null or readonlyRootFilesystem: false for an image "
            "that needs otherwise"
        )


def _service(name: str, data: dict[str, Any], kind: str, source: str, out: Conversion) -> dict[str, Any]:
    muon_kind = KINDS[kind]
    takes = TAKES.get(kind, TAKES[muon_kind])
    for key in data:
        if str(key) not in takes:
            out.drop(source, str(key), f"{W} {key}")
    if kind == "Request-Driven Web Service":
        out.drop(source, "type", f"{W} type: {kind}")
    http = data.get("http")
    if kind in ("Load Balanced Web Service", "Backend Service") and http is False:
        muon_kind = "backend"
        if kind != "Backend Service":
            out.drop(source, "http", f"{W} http: false")
    cpu, memory = SIZE.get(kind, (256, 512))
    result: dict[str, Any] = {"kind": muon_kind} if muon_kind != "web" else {}
    _image(data.get("image") or {}, result, muon_kind, kind, source, out)
    result["cpu"] = whole(data.get("cpu"), cpu) or cpu
    result["memory"] = whole(data.get("memory"), memory) or memory
    _platform(data.get("platform"), result, "platform", source, out)
    if kind == "Scheduled Job":
        result["scaling"] = {"min": 0, "max": 1}  # the job's service runs no task between runs
        if "count" in data:
            out.lose(source, "count", "a muon job starts one task per run; not converted")
    else:
        _count(data.get("count", 1), result, "count", source, out, top=True)
    _process(data, result, source, out)
    _variables(data.get("variables") or {}, result.setdefault("environment", {}), "variables", source, out)
    result["environment"] = {
        "COPILOT_APPLICATION_NAME": out.app,
        "COPILOT_ENVIRONMENT_NAME": "${Environment}",
        "COPILOT_SERVICE_NAME": "${ServiceName}",
        **result["environment"],
    }
    _secrets(data.get("secrets") or {}, result, source, out)
    _network(data.get("network") or {}, muon_kind, source, out)
    _storage(data.get("storage") or {}, result, source, out)
    if isinstance(data.get("logging"), dict):
        logging(data["logging"], result, source, out)
    if isinstance(data.get("observability"), dict):
        observability(data["observability"], result, source, out)
    if isinstance(data.get("publish"), dict):
        publish(data["publish"], name, result, source, out)
    _deployment(data.get("deployment") or {}, result, source, out)
    if data.get("exec"):
        result["execCommand"] = True
        result["readonlyRootFilesystem"] = False
    if muon_kind == "web" and isinstance(http, dict):
        routing(http, result, source, out)
    elif muon_kind == "web":
        result["pathPatterns"] = ["/*"]  # an App Runner service answers on its own name: every path here
    elif isinstance(http, dict) and http:
        out.drop(source, "http", f"{W} http.private")
    if muon_kind == "worker" and kind == "Worker Service":
        subscribe(data.get("subscribe") or {}, result, source, out)
    sidecars(data.get("sidecars"), name, data, result, source, out)
    _overrides(data.get("environments") or {}, data.get("count"), result, source, out)
    return result


def _image(
    image: dict[str, Any], result: dict[str, Any], muon_kind: str, kind: str, source: str, out: Conversion
) -> None:
    for key in image:
        if key not in ("location", "build", "port", "healthcheck", "depends_on"):
            out.drop(source, f"image.{key}", f"{W} image.{key}")
    if image.get("location"):
        result["image"] = str(image["location"])
    elif image.get("build"):
        build = image["build"]
        if isinstance(build, dict):
            spec = {k: build[k] for k in ("context", "dockerfile", "target", "args") if build.get(k)}
            if build.get("cache_from"):
                out.drop(source, "image.build.cache_from", f"{W} image.build.cache_from")
            if "dockerfile" in spec and "context" not in spec:
                spec["context"] = str(Path(str(spec["dockerfile"])).parent)
        else:
            spec = {"context": str(Path(str(build)).parent), "dockerfile": str(build)}
        result["build"] = {k: v if k == "args" else str(v) for k, v in spec.items()}
    port = image.get("port")
    if muon_kind != "worker" and port:
        result["port"] = whole(port, 8080)
    elif muon_kind == "backend":
        result["port"] = 8080
        out.lose(source, "image.port", "absent: a muon backend needs the port its callers reach; wrote 8080")
    elif muon_kind == "worker" and port and kind != "Scheduled Job":
        out.lose(source, "image.port", "a muon worker listens on no port; not converted")
    if isinstance(image.get("healthcheck"), dict):
        check = container_check(image["healthcheck"])
        if check is not None:
            result["containerHealthCheck"] = check


def container_check(check: dict[str, Any]) -> dict[str, Any] | None:
    """``image.healthcheck`` (a sidecar's ``healthcheck`` too) as muon's container health check;
    image-healthcheck.en.md: every 10 s, 5 s timeout, 2 retries, no start period. None without a
    command."""
    spec: dict[str, Any] = {
        "command": words(check.get("command")),
        "interval": 10,
        "timeout": 5,
        "retries": 2,
        "startPeriod": 0,
    }
    for key, muon_key in (
        ("interval", "interval"),
        ("timeout", "timeout"),
        ("start_period", "startPeriod"),
    ):
        if check.get(key) is not None and seconds(check[key]) is not None:
            spec[muon_key] = seconds(check[key])
    if check.get("retries") is not None:
        spec["retries"] = whole(check["retries"], 2)
    return spec if spec["command"] else None


def _platform(value: Any, result: dict[str, Any], path: str, source: str, out: Conversion) -> None:
    """``platform.en.md``: ``[os]/[arch]`` or ``{osfamily, architecture}``; linux/x86_64 (amd64) is
    Copilot's default and muon's, linux/arm64 (or linux/arm) runs on Graviton; Windows is a line."""
    if value is None:
        return
    text = (
        str(value.get("osfamily", "")) + "/" + str(value.get("architecture", ""))
        if isinstance(value, dict)
        else str(value)
    ).lower()
    if text in ("linux/x86_64", "linux/amd64"):
        return
    if text in ("linux/arm64", "linux/arm"):
        result["platform"] = "linux/arm64"
        return
    out.drop(source, path, f"{W} platform: windows" if text.startswith("windows") else f"{W} platform")


METRICS = {"cpu_percentage": "cpu", "memory_percentage": "memory", "requests": "requests"}
"""Copilot's target-tracking metrics muon tracks too (``autoscaling.yml``: ECSServiceAverageCPUUtilization,
ECSServiceAverageMemoryUtilization, the ALB's RequestCountPerTarget summed per target)."""
COOLDOWN = {"in": 120, "out": 60}
"""Copilot's cooldowns when ``count.cooldown`` is absent (``autoscaling.yml``; v1.20 release notes)."""


def _count(value: Any, result: dict[str, Any], path: str, source: str, out: Conversion, top: bool) -> None:
    """A number, or Copilot's autoscaling map (``count.range`` with its metrics)."""
    if isinstance(value, dict):
        bounds = count_range(value.get("range")) if value.get("range") is not None else None
        if value.get("range") is not None and bounds is None:
            out.lose(source, f"{path}.range", "expected 'MIN-MAX' or {min, max}; not converted")
        # ``count: {spot: N}``: N tasks (all on Fargate Spot, which muon chooses per tier).
        spot = whole(value.get("spot")) if bounds is None else None
        low, high = bounds or ((spot, spot) if spot is not None else (1, 1))
        scaling: dict[str, Any] = {"min": low, "max": max(high, low, 1)}
        tracked = _tracking(value, result.get("kind"), scaling, path, source, out)
        for key in value:
            if key == "range":
                if isinstance(value["range"], dict) and value["range"].get("spot_from") is not None:
                    out.drop(source, f"{path}.range.spot_from", f"{W} count.range.spot_from")
            elif key == "cooldown" and not tracked:
                out.lose(
                    source, f"{path}.cooldown", "beside no metric muon tracks: its steps keep their cooldowns"
                )
            elif key not in METRICS and key not in ("cooldown", "spot"):
                out.drop(source, f"{path}.{key}", f"{W} count.{key}")
            elif key == "spot":
                out.drop(source, f"{path}.spot", f"{W} count.spot")
        result["scaling"] = scaling
        if top:
            result["desiredCount"] = low
        return
    number = whole(value)
    if number is None:
        out.lose(source, path, f"'{str(value)[:40]}' is not a number of tasks; wrote 1")
        number = 1
    result["scaling"] = {"min": number, "max": max(number, 1)}
    if top:
        result["desiredCount"] = number


def _tracking(
    value: dict[str, Any], kind: Any, scaling: dict[str, Any], path: str, source: str, out: Conversion
) -> bool:
    """The first of Copilot's metrics (cpu, memory, requests) as ``scaling.targetTracking`` with its
    target and cooldowns (``count.cooldown`` or the metric's own ``{value, cooldown}``; Copilot's 120 s
    in and 60 s out when absent); each other metric is a line — muon tracks one per service."""
    kept: str | None = None
    for key, metric in METRICS.items():
        if key not in value:
            continue
        given = value[key]
        target = _number(given.get("value") if isinstance(given, dict) else given)
        why = _untrackable(metric, kind, target, value)
        if why is None and kept is not None:
            why = f"muon tracks one metric per service: kept {kept}"
        if why is not None:
            out.lose(source, f"{path}.{key}", f"not converted: {why}")
            continue
        assert target is not None
        cooldown = {**COOLDOWN, **_cooldown(value.get("cooldown"), f"{path}.cooldown", source, out)}
        if isinstance(given, dict):
            cooldown |= _cooldown(given.get("cooldown"), f"{path}.{key}.cooldown", source, out)
            for extra in set(given) - {"value", "cooldown"}:
                out.lose(source, f"{path}.{key}.{extra}", "not a key of Copilot's metric; not converted")
        scaling["metric"] = metric
        scaling["targetTracking"] = {
            "target": int(target) if target == int(target) else target,
            "scaleOutCooldown": cooldown["out"],
            "scaleInCooldown": cooldown["in"],
        }
        kept = key
    return kept is not None


def _untrackable(metric: str, kind: Any, target: float | None, count: dict[str, Any]) -> str | None:
    if target is None or target <= 0:
        return "expected a number above 0 (or {value, cooldown})"
    if metric in ("cpu", "memory") and target > 100:
        return f"{target:g} is no percentage"
    if metric == "requests" and kind is not None:
        return f"muon's {kind} is behind no load balancer: requests per target are a web service's"
    if kind == "worker" and count.get("queue_delay") is not None:
        return "a muon worker scales on its backlog (queue_delay) and tracks no other metric beside it"
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return number if number == number and abs(number) < 1e9 else None


def _cooldown(value: Any, path: str, source: str, out: Conversion) -> dict[str, int]:
    """``cooldown: {in, out}`` (durations) in muon's seconds (0 to 3600)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        out.lose(source, path, "expected {in, out} durations; kept Copilot's 120 s in, 60 s out")
        return {}
    found: dict[str, int] = {}
    for key, given in value.items():
        number = seconds(given) if key in ("in", "out") else None
        if number is None or not 0 <= number <= 3600:
            out.lose(source, f"{path}.{key}", "expected in or out, a duration of 0s to 1h; not converted")
            continue
        found[str(key)] = number
    return found


def _process(data: dict[str, Any], result: dict[str, Any], source: str, out: Conversion) -> None:
    for key, muon_key in (("entrypoint", "entryPoint"), ("command", "command")):
        if data.get(key) is None:
            continue
        argv = words(data[key])
        if argv is None:
            out.lose(source, key, "not a command a shell could split; not converted")
        else:
            result[muon_key] = argv


def _variables(
    variables: dict[str, Any], into: dict[str, Any], path: str, source: str, out: Conversion
) -> None:
    for name, value in variables.items():
        if isinstance(value, dict):
            out.drop(source, f"{path}.{name}", f"{W} variables.*.from_cfn")
            continue
        text = "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        if secret_problem(str(name), text, "environment"):
            out.lose(
                source,
                f"{path}.{name}",
                "looks like a secret in plain text: store it in Parameter Store and name it under "
                f"services.<name>.secrets ({name}: /<app>/{str(name).lower()}); not converted",
            )
            continue
        into[str(name)] = text


def _secrets(secrets: dict[str, Any], result: dict[str, Any], source: str, out: Conversion) -> None:
    converted: dict[str, Any] = {}
    for name, value in secrets.items():
        if isinstance(value, dict) and "secretsmanager" in value:
            for key in set(value) - {"secretsmanager"}:
                out.lose(source, f"secrets.{name}.{key}", "not a key of Copilot's secret; not converted")
            found = _secrets_manager(str(value["secretsmanager"]), f"secrets.{name}", source, out)
            if found is not None:
                converted[str(name)] = found
            continue
        if isinstance(value, dict):
            out.drop(source, f"secrets.{name}.from_cfn", f"{W} secrets.*.from_cfn")
            continue
        text = str(value)
        if text.startswith("arn:") and ":secretsmanager:" in text:
            found = _secrets_manager(text, f"secrets.{name}", source, out)
            if found is not None:
                converted[str(name)] = found
            continue
        if not text.startswith(("/", "arn:")):
            out.lose(
                source, f"secrets.{name}", f"the parameter '{text}' is not under '/': muon names parameters "
                f"by path — wrote /{text}; rename the parameter or give its ARN"
            )  # fmt: skip
            text = f"/{text}"
        converted[str(name)] = text
    if converted:
        result["secrets"] = converted
    for name in set(converted) & set(result.get("environment") or {}):
        del result["environment"][name]


def _secrets_manager(text: str, path: str, source: str, out: Conversion) -> dict[str, str] | None:
    """Copilot's ``secretsmanager: 'name:json-key:version-stage:version-id'`` (or the secret's ARN
    followed by the same fields; ``developing/secrets.en.md``) as muon's ``{secret, jsonKey,
    versionStage | versionId}``. A name Copilot had to give with Secrets Manager's six characters
    (``mysql-dbconf-Vi3nwL``) is written without them: muon matches them itself."""
    parts = text.split(":")
    if text.startswith("arn:"):
        secret, fields = ":".join(parts[:7]), parts[7:]
    else:
        secret, fields = parts[0], parts[1:]
    if len(fields) > 3:
        out.lose(
            source, path, f"'{text[:80]}': expected name:json-key:version-stage:version-id; not converted"
        )
        return None
    json_key, stage, version = [*fields, "", "", ""][:3]
    spec: dict[str, str] = {"secret": secret}
    # Secrets Manager's six random characters; a word (mysql-dbconf) has no capital and no digit.
    if not secret.startswith("arn:") and re.search(r"..-(?=[a-z]*[A-Z0-9])[A-Za-z0-9]{6}$", secret):
        spec["secret"] = secret[:-7]
        out.notes.append(
            f"{source}: {path}: '{secret}' ends with Secrets Manager's six characters: wrote the secret's "
            f"name {spec['secret']} (muon matches the suffix itself)"
        )
    if json_key:
        spec["jsonKey"] = json_key
    if version:
        spec["versionId"] = version
        if stage:
            out.lose(source, path, f"version stage {stage} beside version id {version}: kept the id")
    elif stage:
        spec["versionStage"] = stage
    try:
        SecretsManagerSpec.model_validate(spec)
    except ValidationError:
        out.lose(
            source,
            path,
            f"'{text[:80]}': not a secret muon can name (its name or ARN, a JSON key without "
            "':'); not converted",
        )
        return None
    return spec


def _network(network: dict[str, Any], kind: str, source: str, out: Conversion) -> None:
    vpc = network.get("vpc") or {}
    for key in network:
        if key not in ("vpc", "connect"):
            out.drop(source, f"network.{key}", f"{W} network.{key}")
    placement = vpc.get("placement")
    if placement is not None and placement != "private":
        out.drop(source, "network.vpc.placement", f"{W} network.vpc.placement")
    for key in vpc:
        if key != "placement":
            out.drop(source, f"network.vpc.{key}", f"{W} network.vpc.{key}")
    if network.get("connect") and kind != "backend":
        out.drop(source, "network.connect", f"{W} network.connect")


def _storage(storage: dict[str, Any], result: dict[str, Any], source: str, out: Conversion) -> None:
    from muon.importers.copilot_storage import volumes

    for key in storage:
        if key == "readonly_fs":
            if storage[key] is False and not result.get("execCommand"):
                result["readonlyRootFilesystem"] = False
            continue
        if key == "volumes":
            own: dict[str, Any] = {}
            volumes(storage[key], own, source, out)
            if own:
                result.setdefault("storage", {}).update(own)
            continue
        out.drop(source, f"storage.{key}", f"{W} storage.{key}")


def _deployment(deployment: dict[str, Any], result: dict[str, Any], source: str, out: Conversion) -> None:
    for key in deployment:
        if key == "rolling" and str(deployment[key]) == "recreate":
            result["deployment"] = {"minimumHealthyPercent": 0, "maximumPercent": 100}
        elif key != "rolling":
            out.drop(source, f"deployment.{key}", f"{W} deployment.{key}")


def _overrides(
    overrides: dict[str, Any], base: Any, result: dict[str, Any], source: str, out: Conversion
) -> None:
    """``environments.<env>``: muon keeps cpu, memory, count (as scaling) and variables per environment.
    A ``count`` map overrides the manifest's key by key, as Copilot merges an environment's override
    (``overrides-intro.md``): the metrics and cooldowns it leaves out are the manifest's."""
    converted: dict[str, Any] = {}
    for env, override in overrides.items():
        spec: dict[str, Any] = {}
        for key, value in (override or {}).items():
            path = f"environments.{env}.{key}"
            if key in ("cpu", "memory") and value is not None:
                spec[key] = whole(value)
            elif key == "count" and value is not None:
                holder: dict[str, Any] = {"kind": result.get("kind")}
                merged = _merged(base, value)
                heard = Conversion(app=out.app)
                _count(merged, holder, path, source, heard, top=False)
                # A loss the manifest's own count already named is not said again for the environment.
                given = set(value) if isinstance(value, dict) and merged is not value else None
                for line in heard.dropped:
                    key = line.split(": ", 2)[1].removeprefix(f"{path}.").split(".")[0]
                    if given is None or key in given or line.split(": ", 2)[1] == path:
                        out.dropped.append(line)
                spec["scaling"] = holder["scaling"]
            elif key == "variables":
                _variables(value or {}, spec.setdefault("environment", {}), path, source, out)
            else:
                out.lose(
                    source, path, f"muon keeps only {', '.join(OVERRIDABLE)} per environment; not converted"
                )
        if spec:
            converted[str(env)] = spec
    if converted:
        result["environments"] = converted


def addons(name: str, folder: Path, root: Path, out: Conversion) -> None:
    """``copilot/<name>/addons/*.yml``: an Aurora cluster becomes the service's database."""
    from muon.importers.copilot_addons import template

    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.y*ml")):
        from muon.stacks.definition.loader import read_text

        source = str(path.relative_to(root))
        data = load(read_text(path, "addon template"), source)
        template(name, data, source, out)


def _merged(base: Any, override: Any) -> Any:
    """Copilot's override of a ``count`` map: key by key (``cooldown`` too), a number replacing all."""
    if not (isinstance(base, dict) and isinstance(override, dict)):
        return override
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = {**base[key], **value}
        else:
            merged[key] = value
    return merged
