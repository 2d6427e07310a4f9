"""``muon import copilot [DIR]``: an AWS Copilot application (its ``copilot/`` folder) as a ``muon.yaml``.

Copilot's semantics come from its own source and documentation (github.com/aws/copilot-cli): the
manifest keys and their types from ``internal/pkg/manifest`` (``lb_web_svc.go``, ``backend_svc.go``,
``worker_svc.go``, ``rd_web_svc.go``, ``static_site.go``, ``job.go``, ``env.go``); the defaults a
manifest leaves out from ``newDefaultLoadBalancedWebService`` and its siblings (cpu 256, memory 512,
count 1, health check path ``/``, grace period 60 s, public placement) and from the manifest
reference ``site/content/docs/manifest/*.en.md`` with its includes (``http-healthcheck.en.md``:
success code 200, healthy 5, unhealthy 2, interval 30 s, timeout 5 s; ``worker-service.en.md``:
queue retention 4 days, visibility timeout 30 s); schedules as
``internal/pkg/deploy/cloudformation/stack/scheduled_job.go`` (``awsSchedule``) turns them into
EventBridge expressions. Every key maps to a muon key (``importers/copilot_table.py``) or to one
stderr line naming the Copilot file and key and what to do; the result is validated by muon's own
loader before anything is written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from muon.components.tls_policies import TLS_POLICIES
from muon.importers.copilot_shapes import check_environment, check_workload
from muon.importers.copilot_table import reason
from muon.importers.mu import _TolerantLoader
from muon.stacks.definition.fields import NAMESPACE_PATTERN
from muon.stacks.definition.loader import MAX_FILE_BYTES, parse_definition
from muon.stacks.definition.loader import _check_expansion as check_expansion
from muon.stacks.errors import DefinitionError

VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")


class _Yaml12Loader(_TolerantLoader):
    """Copilot reads manifests with yaml.v3 (YAML 1.2): ``on:`` (a Scheduled Job's trigger), ``yes``
    and ``off`` are words there, only ``true``/``false`` booleans — not YAML 1.1's."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _TolerantLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass
class Conversion:
    definition: dict[str, Any] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    """One line per loss: ``<file>: <Copilot key>: <what is lost and what the team must do>``."""
    notes: list[str] = field(default_factory=list)
    """Lines that lose nothing but need reading (which environments are production tier)."""
    app: str = "app"

    def lose(self, source: str, path: str, what: str) -> None:
        self.dropped.append(f"{source}: {path}: {what}")

    def drop(self, source: str, path: str, key: str) -> None:
        """``path`` (as written) is not converted; ``key`` its row in the table."""
        self.lose(source, path, reason(key))


def first_problem(error: ValidationError, limit: int | None = None) -> str:
    """The first problem pydantic found in a value the importer wrote, as ``<where>: <message>``
    (the message cut to ``limit`` characters): the loss line says why it is not converted."""
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"])
    return f"{where}: {problem['msg'][:limit]}"


def load(text: str, source: str) -> Any:
    """A Copilot manifest or addon template: CloudFormation tags (``!Ref``) load as their plain
    value; a file too large, recursive or unreadable is one line."""
    if len(text) > MAX_FILE_BYTES:
        raise DefinitionError(
            [f"{source}: {len(text):,} characters; a manifest is at most {MAX_FILE_BYTES:,}"]
        )
    loader = _Yaml12Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_expansion(node, source)
        return loader.construct_document(node)
    except RecursionError:
        raise DefinitionError([f"{source}: nested too deeply to read; refused"]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise DefinitionError([f"{source}{where}: not readable YAML: {problem}"]) from None
    finally:
        loader.dispose()


def interpolate(value: Any, app: str, environment: str, source: str, out: Conversion) -> Any:
    """Copilot's ``${VAR}`` (``internal/pkg/manifest/interpolate.go``): its two predefined names,
    else the shell's environment as Copilot read it; one unset is a line."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "COPILOT_APPLICATION_NAME":
            return app
        if name == "COPILOT_ENVIRONMENT_NAME":
            return environment
        if name in os.environ:
            return os.environ[name]
        out.lose(
            source,
            f"${{{name}}}",
            f"{name} is not set here; wrote '{name.lower()}' — set it and import again",
        )
        return name.lower().replace("_", "-")

    if isinstance(value, str):
        return VARIABLE.sub(replace, value)
    if isinstance(value, dict):
        return {k: interpolate(v, app, environment, source, out) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, app, environment, source, out) for v in value]
    return value


def _read(path: Path, root: Path) -> tuple[str, str]:
    from muon.stacks.definition.loader import read_text

    return read_text(path, "Copilot manifest"), str(path.relative_to(root))


def copilot_folder(directory: Path) -> Path:
    """The ``copilot/`` folder: DIR itself, or DIR/copilot."""
    for candidate in (directory, directory / "copilot"):
        if (candidate / ".workspace").is_file() or (candidate / "environments").is_dir():
            return candidate
    raise DefinitionError([f"{directory}: no copilot/.workspace: expected a Copilot application's folder"])


def convert_directory(directory: Path, tiers: dict[str, str] | None = None) -> Conversion:
    """The ``muon.yaml`` for the Copilot application in ``directory`` (or its ``copilot/``), and what
    could not be carried over (DefinitionError: not a Copilot application, or a result muon refuses)."""
    from muon.importers.copilot_workload import addons, workload

    folder = copilot_folder(directory)
    root = folder.parent
    out = Conversion()
    workspace = folder / ".workspace"
    if workspace.is_file():
        text, source = _read(workspace, root)
        data = load(text, source)
        if not isinstance(data, dict) or not isinstance(data.get("application"), str):
            raise DefinitionError([f"{source}: expected `application: <name>`"])
        out.app = data["application"]
        out.definition["namespace"] = _namespace(out.app, source, out)
    environments = sorted(p for p in (folder / "environments").glob("*/manifest.yml") if p.is_file())
    out.definition["environments"] = {}
    for path in environments:
        _environment(path, root, out)
    for name in sorted(d.name for d in folder.iterdir() if d.is_dir() and (d / "manifest.yml").is_file()):
        if name in ("environments", "pipelines"):
            continue
        text, source = _read(folder / name / "manifest.yml", root)
        data = load(text, source)
        if not isinstance(data, dict):
            raise DefinitionError([f"{source}: expected a Copilot manifest (a mapping with type:)"])
        check_workload(data, source)
        workload(name, data, source, out)
        addons(name, folder / name / "addons", root, out)
    if (folder / "pipelines").is_dir() or (folder / "pipeline.yml").is_file():
        out.drop("copilot/pipelines", "*", "pipelines")
    if not out.definition["environments"]:
        raise DefinitionError([f"{folder}: no environments/<env>/manifest.yml: nothing says where to deploy"])
    _publishers(out)
    for name, spec in (out.definition.get("services") or {}).items():
        if spec.get("storage"):
            kinds = ", ".join(k for k in ("tables", "buckets", "volumes") if spec["storage"].get(k))
            out.notes.append(
                f"copilot/{name}: storage: muon creates {name}'s own {kinds}, empty: copy the data from "
                "Copilot's before the service moves"
            )
    _tiers(out, tiers or {})
    parse_definition(yaml.safe_dump(out.definition, sort_keys=False), "copilot (converted)")
    return out


def _namespace(app: str, source: str, out: Conversion) -> str:
    """The application's name as muon's namespace (2-16 lowercase letters, digits and '-', from a
    letter: the first part of every name muon makes); one the pattern refuses is cut down, said."""
    wanted = app.lower()
    if re.fullmatch(NAMESPACE_PATTERN, wanted):
        return wanted
    cut = re.sub(r"[^a-z0-9]+", "-", wanted).lstrip("-0123456789")[:16].rstrip("-")
    cut = cut if re.fullmatch(NAMESPACE_PATTERN, cut) else "app"
    out.lose(source, "application", f"'{app[:40]}' is no muon namespace (2-16 a-z, 0-9, -): wrote '{cut}'")
    return cut


def _publishers(out: Conversion) -> None:
    """A subscription names its topic's service and name: keep only those muon has (a service's topic
    in its publish list), each once."""
    services = out.definition.get("services") or {}
    for name, spec in services.items():
        kept: list[dict[str, Any]] = []
        for subscription in spec.get("subscribe") or []:
            publisher, topic = subscription["service"], subscription["topic"]
            topics = [t["name"] for t in (services.get(publisher) or {}).get("publish") or []]
            why = None
            if publisher not in services:
                why = f"'{publisher}' is no service of this application"
            elif topic not in topics:
                listed = ", ".join(topics) or "none"
                why = f"{publisher} publishes no topic '{topic}' (its publish.topics: {listed})"
            elif any(k["service"] == publisher and k["topic"] == topic for k in kept):
                why = f"{publisher}'s topic {topic} is subscribed twice"
            if why:
                out.lose(f"copilot/{name}/manifest.yml", "subscribe.topics", f"{why}: not converted")
            else:
                kept.append(subscription)
        if kept:
            spec["subscribe"] = kept
        else:
            spec.pop("subscribe", None)


def _environment(path: Path, root: Path, out: Conversion) -> None:
    text, source = _read(path, root)
    name = path.parent.name
    data = load(text, source)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise DefinitionError([f"{source}: expected a Copilot environment manifest (a mapping)"])
    data = interpolate(data, out.app, name, source, out)
    check_environment(data, source)
    name = str(data.get("name") or name)
    env: dict[str, Any] = {}
    for key in data:
        if key not in ("name", "type", "network", "http", "observability", "cdn"):
            out.lose(source, str(key), "not a key of an environment manifest; not converted")
    if data.get("cdn"):
        out.drop(source, "cdn", "environments/<env> cdn")
    _network(data.get("network") or {}, env, source, out)
    _http(data.get("http") or {}, env, source, out)
    # Off (Copilot's default) leaves muon's tier default: a worker needs Container Insights on.
    if (data.get("observability") or {}).get("container_insights") is True:
        env["cluster"] = {"containerInsights": True}
    out.definition["environments"][name] = env


def _network(network: dict[str, Any], env: dict[str, Any], source: str, out: Conversion) -> None:
    vpc = network.get("vpc") or {}
    for key in vpc:
        if key not in ("id", "cidr", "subnets", "flow_logs"):
            out.drop(source, f"network.vpc.{key}", f"environments/<env> network.vpc.{key}")
    if vpc.get("cidr"):
        env["network"] = {"cidr": str(vpc["cidr"])}
    subnets = vpc.get("subnets") or {}
    if vpc.get("id"):
        vpc_id = str(vpc["id"])
        if not VPC_ID.match(vpc_id):
            out.lose(source, "network.vpc.id", f"'{vpc_id}' is not a VPC id: wrote vpc-00000000, put yours")
            vpc_id = "vpc-00000000"
        env["network"] = {
            "existing": {
                "vpcId": vpc_id,
                "publicSubnetIds": _subnet_ids(subnets.get("public"), "public", source, out),
                "privateSubnetIds": _subnet_ids(subnets.get("private"), "private", source, out),
            }
        }
    elif subnets:
        out.lose(
            source,
            "network.vpc.subnets",
            "CIDRs of a new VPC's subnets: muon computes them from network.cidr",
        )


def _subnet_ids(subnets: Any, kind: str, source: str, out: Conversion) -> list[str]:
    ids = [str(s.get("id")) for s in subnets or [] if isinstance(s, dict) and s.get("id")]
    if len(ids) >= 2 and all(SUBNET_ID.match(i) for i in ids):
        return ids
    out.lose(
        source,
        f"network.vpc.subnets.{kind}",
        f"{ids or 'none'}: muon needs two or more subnet ids; wrote placeholders — put yours",
    )
    return ["subnet-00000001", "subnet-00000002"]


def _http(http: dict[str, Any], env: dict[str, Any], source: str, out: Conversion) -> None:
    if http.get("private"):
        out.drop(source, "http.private", "environments/<env> http.private")
    public = http.get("public") or {}
    balancer: dict[str, Any] = {}
    certificates = [str(c) for c in public.get("certificates") or []]
    if certificates:
        balancer["certificateArn"] = certificates[0]
        if len(certificates) > 1:
            out.lose(
                source, "http.public.certificates", "muon's listener takes one certificate: kept the first"
            )
    policy = public.get("ssl_policy")
    if policy and str(policy) in TLS_POLICIES:
        balancer["sslPolicy"] = str(policy)
    elif policy:
        out.lose(
            source, "http.public.ssl_policy", f"{policy}: not one Security Hub's ELB.17 accepts; kept muon's "
            f"{TLS_POLICIES[0]} (docs/definition.md lists the others)"
        )  # fmt: skip
    ingress = public.get("ingress") or {}
    if ingress.get("source_ips"):
        balancer["ingressCidrs"] = [str(c) for c in ingress["source_ips"]]
    if ingress.get("cdn"):
        out.drop(source, "http.public.ingress.cdn", "environments/<env> http.public.ingress.cdn")
    logs = public.get("access_logs")
    if logs is not None:
        balancer["accessLogs"] = bool(logs)
        if isinstance(logs, dict):
            balancer["accessLogs"] = True
            if logs.get("bucket_name") or logs.get("prefix"):
                out.lose(source, "http.public.access_logs", "muon writes access logs to its own bucket")
    for key in public:
        if key not in ("certificates", "ssl_policy", "ingress", "access_logs"):
            out.lose(source, f"http.public.{key}", "not converted: no muon equivalent")
    if balancer:
        env["loadBalancer"] = balancer


def _tiers(out: Conversion, chosen: dict[str, str]) -> None:
    """Say which environments muon runs as production (by name: ``prod…``, or ``--tier``); one with
    neither a certificate nor a domain serves plain HTTP, as Copilot's did without an app domain."""
    environments = out.definition["environments"]
    for name in chosen:
        if name not in environments:
            raise DefinitionError([f"--tier {name}: no environment '{name}' in copilot/environments"])
    for name, env in environments.items():
        if name in chosen:
            env["tier"] = chosen[name]
        # muon's tier_of: explicit, else production when the name says so.
        if (env.get("tier") or ("production" if re.match(r"^pro?d", name) else "")) != "production":
            continue
        secured = "certificateArn" in (env.get("loadBalancer") or {})
        if not secured:
            env.setdefault("loadBalancer", {})["allowPlainHttp"] = True
        needs = (
            "it is served over HTTPS"
            if secured
            else "without a certificate it serves plain HTTP (loadBalancer.allowPlainHttp: true); give it a "
            "domain for HTTPS"
        )
        out.notes.append(
            f"copilot/environments/{name}: production tier (Multi-AZ, deletion protection, alarms); {needs}; "
            f"`muon import copilot --tier {name}=development` chooses otherwise"
        )
