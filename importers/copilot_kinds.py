"""The parts of a Copilot workload that are its type's own: a web service's routing (``http``), a
worker's subscriptions (``subscribe``), a scheduled job (``on``, ``timeout``, ``retries``) and a
static site (``files``).

Copilot's defaults: ``site/content/docs/include/http-healthcheck.en.md`` (path ``/``, success code
200, healthy 5, unhealthy 2, interval 30 s, timeout 5 s, grace period 60 s), ``http-config.en.md``
(deregistration delay 60 s), ``worker-service.en.md`` (``subscribe.queue``: retention 4 days,
timeout 30 s), ``scheduled-job.en.md`` (``on.schedule``; no timeout unless given).
"""

from __future__ import annotations

from typing import Any

from muon.importers.copilot import Conversion
from muon.importers.copilot_values import path_patterns, schedule, seconds, whole
from muon.stacks.definition.containers import filter_policy_problem
from muon.stacks.definition.types import schedule_problem

W = "<workload>"
HEALTH = {"path": "/", "matcher": "200", "healthyThreshold": 5, "unhealthyThreshold": 2, "interval": 30}
HEALTH |= {"timeout": 5, "gracePeriod": 60}
ROUTED = {"path", "healthcheck", "alias", "deregistration_delay", "redirect_to_https", "stickiness"}
ROUTED |= {"allowed_source_ips", "target_container"}  # target_container: copilot_containers


def routing(http: dict[str, Any], result: dict[str, Any], source: str, out: Conversion) -> None:
    for key in http:
        if key not in ROUTED:
            out.drop(source, f"http.{key}", f"{W} http.{key}")
    result["pathPatterns"] = path_patterns(str(http.get("path") or "/"))
    if http.get("stickiness") is True:
        # http-config.en.md: sticky sessions on; Copilot sets no duration, so the ALB's cookie lasts
        # its default day (muon's default too).
        result["stickiness"] = {"duration": 86_400}
    elif http.get("stickiness") not in (None, False):
        out.lose(source, "http.stickiness", "expected true or false; not converted")
    _sources(http.get("allowed_source_ips"), result, source, out)
    check = dict(HEALTH)
    given = http.get("healthcheck")
    if isinstance(given, dict):
        if given.get("path"):
            check["path"] = str(given["path"])
        if given.get("success_codes"):
            check["matcher"] = str(given["success_codes"])
        for key, muon_key in (
            ("healthy_threshold", "healthyThreshold"),
            ("unhealthy_threshold", "unhealthyThreshold"),
        ):
            if given.get(key) is not None:
                check[muon_key] = whole(given[key])
        for key, muon_key in (
            ("interval", "interval"),
            ("timeout", "timeout"),
            ("grace_period", "gracePeriod"),
        ):
            if given.get(key) is not None and seconds(given[key]) is not None:
                check[muon_key] = seconds(given[key])
        if given.get("port") is not None:
            out.drop(source, "http.healthcheck.port", f"{W} http.healthcheck.port")
    elif given:
        check["path"] = str(given)
    result["healthCheck"] = check
    delay = seconds(http.get("deregistration_delay") or "60s")
    result["deregistrationDelay"] = delay if delay is not None else 60
    alias = http.get("alias")
    if alias:
        names = [str(a) for a in (alias if isinstance(alias, list) else [alias])]
        room = 5 - len(result["pathPatterns"]) - len(result.get("allowedCidrs") or [])
        result["hostPatterns"] = names[:room]
        if len(names) > room:
            out.lose(
                source, "http.alias", f"a listener rule takes 5 paths, hosts and source CIDRs together: "
                f"kept {names[:room] or 'no alias'}"
            )  # fmt: skip
        if not result["hostPatterns"]:
            del result["hostPatterns"]
        out.drop(source, "http.alias", f"{W} http.alias")


def subscribe(subscribe: dict[str, Any], result: dict[str, Any], source: str, out: Conversion) -> None:
    queue: dict[str, Any] = {"visibilityTimeout": 30, "retention": 345_600}  # Copilot's: 30 s, 4 days
    given = subscribe.get("queue") or {}
    for key, muon_key in (("retention", "retention"), ("timeout", "visibilityTimeout")):
        if given.get(key) is not None:
            value = seconds(given[key])
            if value is None:
                out.lose(
                    source,
                    f"subscribe.queue.{key}",
                    f"'{given[key]}' is not a duration; kept {queue[muon_key]} s",
                )
            else:
                queue[muon_key] = value
    tries = (given.get("dead_letter") or {}).get("tries")
    if tries is not None:
        queue["maxReceives"] = whole(tries)
    for key in given:
        if key not in ("retention", "timeout", "dead_letter"):
            out.drop(source, f"subscribe.queue.{key}", f"{W} subscribe.queue.{key}")
    subscriptions: list[dict[str, Any]] = []
    for index, topic in enumerate(subscribe.get("topics") or []):
        path = f"subscribe.topics[{index}]"
        if not isinstance(topic, dict) or not topic.get("name") or not topic.get("service"):
            out.lose(
                source,
                path,
                "expected {name, service}: the topic and the service publishing it; not converted",
            )
            continue
        # worker-service.en.md: the topic <app>-<env>-<service>-<name>, named by its service and name.
        spec: dict[str, Any] = {"service": str(topic["service"]), "topic": str(topic["name"]).lower()}
        policy = topic.get("filter_policy")
        if policy is not None:
            problem = (
                filter_policy_problem(policy, "MessageAttributes")
                if isinstance(policy, dict)
                else "expected a map"
            )
            if problem:
                out.lose(
                    source,
                    f"{path}.filter_policy",
                    f"{problem}: SNS would refuse it; every message reaches the queue",
                )
            else:
                spec["filterPolicy"] = policy
        if topic.get("queue") is not None:
            out.drop(source, f"{path}.queue", f"{W} subscribe.topics.queue")
        for key in set(topic) - {"name", "service", "filter_policy", "queue"}:
            out.lose(source, f"{path}.{key}", "not a key of Copilot's subscription; not converted")
        subscriptions.append(spec)
    if subscriptions:
        result["subscribe"] = subscriptions
    result["queue"] = queue


def job(name: str, data: dict[str, Any], service: dict[str, Any], source: str, out: Conversion) -> None:
    out.drop(source, "type", f"{W} type: Scheduled Job")
    expression = schedule(str((data.get("on") or {}).get("schedule") or "none"))
    if expression is None or schedule_problem(expression, ("cron", "rate")):
        out.lose(source, "on.schedule", "no schedule muon can run (a muon job runs on one); no job written")
        return
    command = service.pop("command", None)
    job: dict[str, Any] = {"service": name, "command": command, "schedule": expression}
    if command is None:
        job["command"] = ["sh", "-c", f"echo 'set jobs.{name}.command to the image CMD' >&2; exit 1"]
        out.lose(
            source,
            "command",
            f"absent: a muon job names its command; set jobs.{name}.command (its run fails until then)",
        )
    timeout = seconds(data.get("timeout")) if data.get("timeout") is not None else 86_400
    job["timeout"] = min(max(timeout or 86_400, 60), 86_400)
    if data.get("retries"):
        out.drop(source, "retries", f"{W} retries")
    out.definition.setdefault("jobs", {})[name] = job


def site(name: str, data: dict[str, Any], source: str, out: Conversion) -> None:
    for key in data:
        if key not in ("name", "type", "files", "http"):
            out.drop(source, str(key), f"{W} {key}")
    site: dict[str, Any] = {"source": "."}
    files = [f for f in data.get("files") or [] if isinstance(f, dict)]
    if files and files[0].get("source"):
        site["output"] = str(files[0]["source"]).strip("/") + "/"
    if len(files) > 1 or any(set(f) - {"source", "destination", "recursive"} for f in files[:1]):
        out.lose(source, "files", "muon publishes one folder to the site's root: kept files[0].source")
    if files and str(files[0].get("destination") or "/").strip("/"):
        out.lose(source, "files[0].destination", "muon publishes to the site's root")
    http = data.get("http") if isinstance(data.get("http"), dict) else {}
    for key in http or {}:
        out.drop(source, f"http.{key}", f"{W} http.{key}" if key != "alias" else f"{W} http.hosted_zone")
    out.definition.setdefault("sites", {})[name] = site


def _sources(given: Any, result: dict[str, Any], source: str, out: Conversion) -> None:
    """``http.allowed_source_ips`` as ``allowedCidrs`` (the listener rule's source-ip condition, as
    Copilot's): IPv4 blocks, within the rule's 5 values beside the paths. Fewer blocks only narrow who
    reaches the service, so the first that fit are kept and the rest named."""
    from muon.stacks.definition.fields import _ipv4_cidr

    if given is None:
        return
    blocks: list[str] = []
    for value in given if isinstance(given, list) else [given]:
        try:
            blocks.append(_ipv4_cidr(str(value)))
        except ValueError:
            out.lose(source, "http.allowed_source_ips", f"'{str(value)[:45]}' is no IPv4 CIDR; left out")
    room = 5 - len(result["pathPatterns"])
    if len(blocks) > room:
        out.lose(
            source, "http.allowed_source_ips", f"a listener rule takes 5 paths and source CIDRs together: "
            f"left out {', '.join(blocks[room:])} (they no longer reach the service)"
        )  # fmt: skip
    if blocks:
        result["allowedCidrs"] = blocks[:room]
