"""A Copilot workload's task beyond its main container, as muon's service keys: ``sidecars``
(``site/content/docs/developing/sidecars.en.md``), the main container's ``image.depends_on`` and
``http.target_container``, FireLens ``logging`` (``include/logging.en.md``),
``observability.tracing`` (``include/observability.en.md``) and SNS ``publish``
(``include/publish.en.md``, ``developing/publish-subscribe.en.md``).

Copilot names the main container after the service; muon names it ``app``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import ValidationError

from muon.importers.copilot import Conversion, first_problem
from muon.stacks.definition.containers import (
    COLLECTOR,
    LOG_ROUTER,
    MAIN_CONTAINER,
    RESERVED_CONTAINERS,
    LoggingSpec,
    SidecarSpec,
    TopicSpec,
)
from muon.stacks.definition.types import NAME_PATTERN

W = "<workload>"
NAME = re.compile(NAME_PATTERN)
CONDITIONS = ("START", "COMPLETE", "SUCCESS", "HEALTHY")
"""sidecars.en.md, depends_on: start, complete, success, healthy (ECS's ContainerDependency)."""
SIDECAR_KEYS = {"image", "port", "essential", "variables", "secrets", "command", "healthcheck", "depends_on"}
FLUENT_BIT = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
"""logging.en.md: Copilot's log router image when ``logging.image`` is absent (muon's too)."""
TRACED = {"OTEL_EXPORTER_OTLP_ENDPOINT", "AWS_XRAY_DAEMON_ADDRESS"}
"""The variables muon's ``tracing: xray`` sets on the app itself."""


def _child(out: Conversion) -> Conversion:
    return Conversion(app=out.app)


def _heard(heard: Conversion, out: Conversion, source: str, prefix: str) -> None:
    """Lines said under a sub-path (a sidecar's ``secrets.X``) as the manifest's own path."""
    for line in heard.dropped:
        out.dropped.append(line.replace(f"{source}: ", f"{source}: {prefix}", 1))
    out.notes.extend(heard.notes)


def _container(name: str, service: str, renamed: dict[str, str]) -> str:
    """A container as Copilot's manifest names it (the service's own name: the main one)."""
    return MAIN_CONTAINER if name == service else renamed.get(name, name)


def sidecars(
    given: Any, service: str, data: dict[str, Any], result: dict[str, Any], source: str, out: Conversion
) -> None:
    """``sidecars``, the main container's ``image.depends_on`` and ``http.target_container``."""
    from muon.importers.copilot_values import whole, words
    from muon.importers.copilot_workload import _secrets, _variables, container_check

    converted: dict[str, dict[str, Any]] = {}
    renamed: dict[str, str] = {}
    pending: dict[str, dict[str, Any]] = {}
    for raw, spec in (given or {}).items() if isinstance(given, dict) else []:
        path = f"sidecars.{raw}"
        name = str(raw).lower()
        if name in RESERVED_CONTAINERS or name == service or not NAME.fullmatch(name):
            reserved = ", ".join(RESERVED_CONTAINERS)
            out.lose(
                source,
                path,
                f"muon names a sidecar 2-22 a-z, 0-9, - (not {reserved}): rename it; not converted",
            )
            continue
        if not isinstance(spec, dict):
            out.lose(source, path, "expected a map (image, port, …); not converted")
            continue
        sidecar: dict[str, Any] = {}
        image = spec.get("image")
        if isinstance(image, dict):
            if image.get("location"):
                sidecar["image"] = str(image["location"])
            for key in set(image) - {"location"}:
                out.lose(
                    source,
                    f"{path}.image.{key}",
                    "muon runs a sidecar's pushed image: push it to ECR "
                    "and give image: its URI; not converted",
                )
        elif image:
            sidecar["image"] = str(image)
        if "image" not in sidecar:
            out.lose(source, path, "no image muon can run (a sidecar's image location); not converted")
            continue
        port = spec.get("port")
        if port is not None:
            number, _, protocol = str(port).partition("/")
            sidecar["port"] = whole(number.strip())
            if sidecar["port"] is None:
                del sidecar["port"]
                out.lose(source, f"{path}.port", f"'{str(port)[:20]}' is not a port; not converted")
            elif protocol and protocol.lower() != "tcp":
                out.lose(source, f"{path}.port", f"{protocol}: muon maps a sidecar's port over TCP")
        if spec.get("essential") is not None:
            if isinstance(spec["essential"], bool):
                sidecar["essential"] = spec["essential"]
            else:
                out.lose(source, f"{path}.essential", "expected true or false; kept true (Copilot's default)")
        heard = _child(out)
        environment: dict[str, Any] = {}
        if isinstance(spec.get("variables"), dict):
            _variables(spec["variables"], environment, "variables", source, heard)
        holder: dict[str, Any] = {"environment": environment}
        if isinstance(spec.get("secrets"), dict):
            _secrets(spec["secrets"], holder, source, heard)
        _heard(heard, out, source, f"{path}.")
        if holder["environment"]:
            sidecar["environment"] = holder["environment"]
        if holder.get("secrets"):
            sidecar["secrets"] = holder["secrets"]
        if spec.get("command") is not None:
            argv = words(spec["command"])
            if argv is None:
                out.lose(source, f"{path}.command", "not a command a shell could split; not converted")
            else:
                sidecar["command"] = argv
        if isinstance(spec.get("healthcheck"), dict):
            check = container_check(spec["healthcheck"])
            if check is None:
                out.lose(source, f"{path}.healthcheck", "no command; not converted")
            else:
                sidecar["healthCheck"] = check
        for key in spec:
            if str(key) in SIDECAR_KEYS:
                continue
            row = {
                "entrypoint": "muon's sidecar has no entrypoint (the image's own runs): build it into the "
                "image",
                "mount_points": "muon mounts no volume in a sidecar (its EFS volumes are the app's)",
                "credentialsParameter": "private registry credentials: push the image to ECR",
                "labels": "Docker labels of the container",
                "docker_labels": "Docker labels of the container",
            }.get(str(key), "not a key of Copilot's sidecar")
            out.lose(source, f"{path}.{key}", f"not converted: {row}")
        try:
            SidecarSpec.model_validate(sidecar)
        except ValidationError as error:
            out.lose(source, path, f"{first_problem(error, 120)}; not converted")
            continue
        converted[name] = sidecar
        renamed[str(raw)] = name
        waits = spec.get("depends_on")
        pending[name] = waits if isinstance(waits, dict) else {}
        if spec.get("depends_on") is not None and not isinstance(spec["depends_on"], dict):
            out.lose(source, f"{path}.depends_on", "expected a map of container: condition; not converted")
    ports = {MAIN_CONTAINER: result.get("port")}
    for name, sidecar in converted.items():
        port = sidecar.get("port")
        if port is not None and port in ports.values():
            owner = next(n for n, p in ports.items() if p == port)
            del sidecar["port"]
            why = f"{port} is also {owner}'s: the task's containers share one network; not converted"
            out.lose(source, f"sidecars.{name}.port", why)
        ports[name] = sidecar.get("port")
    if converted:
        result["sidecars"] = converted
    main: dict[str, Any] = data["image"] if isinstance(data.get("image"), dict) else {}
    found_waits = _dependencies(main.get("depends_on"), "image.depends_on", service, renamed, source, out)
    if found_waits:
        result["dependsOn"] = found_waits
    for name, given_waits in pending.items():
        found = _dependencies(given_waits, f"sidecars.{name}.depends_on", service, renamed, source, out)
        if found:
            converted[name]["dependsOn"] = found
    _check_dependencies(result, source, out)
    http: dict[str, Any] = data["http"] if isinstance(data.get("http"), dict) else {}
    target = http.get("target_container")
    if target is not None:
        name = _container(str(target), service, renamed)
        if name == MAIN_CONTAINER:
            return
        if result.get("kind") is not None:
            out.lose(
                source, "http.target_container", "only a muon web service has a load balancer; not converted"
            )
        elif name not in converted or converted[name].get("port") is None:
            why = f"'{target}' is no sidecar with a port; the load balancer sends to the app"
            out.lose(source, "http.target_container", why)
        else:
            result["targetContainer"] = name


def _dependencies(
    given: Any, path: str, service: str, renamed: dict[str, str], source: str, out: Conversion
) -> dict[str, str]:
    if given is None:
        return {}
    if not isinstance(given, dict):
        out.lose(source, path, "expected a map of container: condition; not converted")
        return {}
    found: dict[str, str] = {}
    for raw, condition in given.items():
        target = _container(str(raw), service, renamed)
        text = str(condition).upper()
        if text not in CONDITIONS:
            out.lose(
                source,
                f"{path}.{raw}",
                f"'{str(condition)[:20]}' is none of start, complete, success, healthy; not converted",
            )
            continue
        if target in (LOG_ROUTER, COLLECTOR) or str(raw) == "firelens_log_router":
            out.lose(
                source,
                f"{path}.{raw}",
                "muon starts its log router before the containers that log through it; not converted",
            )
            continue
        found[target] = text
    return found


def _check_dependencies(result: dict[str, Any], source: str, out: Conversion) -> None:
    """What ECS would refuse: an unknown container, HEALTHY without its health check, two containers
    waiting for each other — each dependency is one line and left out."""
    sidecars: dict[str, dict[str, Any]] = result.get("sidecars") or {}
    holders = {MAIN_CONTAINER: result} | sidecars
    for name, holder in holders.items():
        waits: dict[str, str] = holder.get("dependsOn") or {}
        path = "image.depends_on" if name == MAIN_CONTAINER else f"sidecars.{name}.depends_on"
        for target in list(waits):
            why = None
            if target == name:
                why = "a container cannot wait for itself"
            elif target not in holders:
                why = f"'{target}' is not a container of the task"
            elif waits[target] == "HEALTHY" and not holders[target].get(
                "containerHealthCheck" if target == MAIN_CONTAINER else "healthCheck"
            ):
                why = f"HEALTHY waits for {target}'s health check, which it has none of"
            elif name in (holders[target].get("dependsOn") or {}):
                why = f"{name} and {target} wait for each other: ECS would start neither"
            if why:
                del waits[target]
                out.lose(source, f"{path}.{target}", f"{why}; not converted")
        if "dependsOn" in holder and not waits:
            del holder["dependsOn"]


def logging(given: dict[str, Any], result: dict[str, Any], source: str, out: Conversion) -> None:
    """``logging`` (logging.en.md): FireLens's ``destination`` options to CloudWatch Logs or Firehose,
    ``enableMetadata`` (default true); ``retention`` is the environment's in muon."""
    if "retention" in given:
        out.drop(source, "logging.retention", f"{W} logging.retention")
    rest = {k: v for k, v in given.items() if k != "retention"}
    if not rest:
        return
    spec: dict[str, Any] = {}
    destination = rest.get("destination")
    if isinstance(destination, dict):
        kind = str(destination.get("Name") or destination.get("name") or "").lower()
        kept = {"Name", "name"}
        if kind in ("cloudwatch", "cloudwatch_logs"):
            spec["destination"] = "cloudwatch"
            if destination.get("log_group_name"):
                spec["logGroup"] = str(destination["log_group_name"])
                kept.add("log_group_name")
        elif kind in ("firehose", "kinesis_firehose"):
            spec["destination"] = "firehose"
            stream = destination.get("delivery_stream")
            if stream:
                spec["deliveryStream"] = str(stream)
                kept.add("delivery_stream")
        left = sorted(str(k) for k in set(destination) - kept)
        if spec and left:
            why = (
                f"not converted: {', '.join(left)} (muon's FireLens output is the log group or delivery "
                "stream, in the stack's region; a log group is not created)"
            )
            out.lose(source, "logging.destination", why)
    if "enableMetadata" in rest:
        value = str(rest["enableMetadata"]).lower()
        if value in ("true", "false"):
            spec["enableMetadata"] = value == "true"
        else:
            out.lose(source, "logging.enableMetadata", "expected true or false; kept true")
    image = rest.get("image")
    if image is not None and str(image) != FLUENT_BIT:
        out.lose(source, "logging.image", f"not converted: muon's log router is {FLUENT_BIT}")
    for key in ("secretOptions", "configFilePath", "variables", "secrets"):
        if key in rest:
            out.lose(
                source,
                f"logging.{key}",
                "not converted: muon's log router takes its output from "
                "logging.destination only (cloudwatch or firehose)",
            )
    for key in (
        set(rest)
        - {"destination", "enableMetadata", "image", "secretOptions", "configFilePath"}
        - {"variables", "secrets"}
    ):
        out.lose(source, f"logging.{key}", "not a key of Copilot's logging; not converted")
    try:
        if "destination" not in spec:
            raise ValueError
        LoggingSpec.model_validate(spec)
    except (ValidationError, ValueError):
        out.lose(
            source,
            "logging.destination",
            "no CloudWatch Logs or Firehose output muon can route to "
            "(Name: cloudwatch with log_group_name, or Name: firehose with delivery_stream): the task "
            "logs to the service's log group",
        )
        return
    result["logging"] = spec


def observability(given: dict[str, Any], result: dict[str, Any], source: str, out: Conversion) -> None:
    """``observability.tracing: awsxray``: an ADOT collector sends the app's traces to X-Ray."""
    for key in given:
        if key != "tracing":
            out.lose(source, f"observability.{key}", "not a key of a workload's observability; not converted")
    tracing = given.get("tracing")
    if tracing is None:
        return
    if str(tracing).lower() != "awsxray":
        out.lose(
            source, "observability.tracing", f"'{str(tracing)[:20]}': muon traces to X-Ray only (awsxray)"
        )
        return
    result["tracing"] = "xray"
    environment = result.get("environment") or {}
    for name in sorted(TRACED & set(environment)):
        del environment[name]
        out.lose(source, f"variables.{name}", "muon sets it for tracing: xray itself; not converted")


def publish(
    given: dict[str, Any], service: str, result: dict[str, Any], source: str, out: Conversion
) -> None:
    """``publish.topics[]``: ``{name, fifo: true | {content_based_deduplication}}`` → ``publish``; the
    app reads ``COPILOT_SNS_TOPIC_ARNS`` (a JSON map of name to ARN) as Copilot gave it, beside muon's
    ``<TOPIC>_TOPIC_ARN``."""
    for key in given:
        if key != "topics":
            out.lose(source, f"publish.{key}", "not a key of Copilot's publish; not converted")
    topics = given.get("topics")
    if topics is None:
        return
    if not isinstance(topics, list):
        out.lose(source, "publish.topics", "expected a list of {name, fifo}; not converted")
        return
    written: list[dict[str, Any]] = []
    arns: dict[str, str] = {}
    for index, topic in enumerate(topics):
        path = f"publish.topics[{index}]"
        if not isinstance(topic, dict) or not topic.get("name"):
            out.lose(source, path, "expected {name, fifo}; not converted")
            continue
        raw = str(topic["name"])
        spec: dict[str, Any] = {"name": raw.lower()}
        fifo = topic.get("fifo")
        if isinstance(fifo, dict):
            spec["fifo"] = True
            if fifo.get("content_based_deduplication") is True:
                spec["contentBasedDeduplication"] = True
            for key in set(fifo) - {"content_based_deduplication"}:
                out.lose(
                    source,
                    f"{path}.fifo.{key}",
                    "not converted: muon's FIFO topic takes content_based_deduplication only",
                )
        elif fifo is True:
            spec["fifo"] = True
        elif fifo not in (None, False):
            out.lose(
                source,
                f"{path}.fifo",
                "expected true, false or {content_based_deduplication}; a standard topic",
            )
        for key in set(topic) - {"name", "fifo", "allowed_workers"}:
            out.lose(source, f"{path}.{key}", "not a key of Copilot's topic; not converted")
        try:
            TopicSpec.model_validate(spec)
        except ValidationError:
            why = "muon names a topic 2-22 a-z, 0-9, - (a letter first): rename it here and where subscribed"
            out.lose(source, path, f"'{raw[:40]}': {why}; not converted")
            continue
        if spec["name"] in [t["name"] for t in written]:
            out.lose(source, path, f"'{raw}' is listed twice; not converted")
            continue
        if spec["name"] != raw:
            out.notes.append(
                f"{source}: {path}.name: '{raw}' is '{spec['name']}' in muon (its topic's name too)"
            )
        written.append(spec)
        suffix = ".fifo" if spec.get("fifo") else ""
        topic_name = f"{out.app}-${{Environment}}-{service}-{spec['name']}{suffix}"
        arns[raw] = f"arn:aws:sns:${{Region}}:${{AccountId}}:{topic_name}"
    if written:
        result["publish"] = written
        result.setdefault("environment", {})["COPILOT_SNS_TOPIC_ARNS"] = json.dumps(
            arns, separators=(",", ":")
        )
