"""``muon import mu.yml``: Stelligent mu's definition file, as a ``muon.yaml``.

mu's semantics come from mu's own source (github.com/stelligent/mu): the keys and their types from
``common/types.go``; the implicit defaults from the CloudFormation templates it rendered —
``templates/assets/cloudformation/service-ecs.yml`` (``ServicePort`` 8080, ``ServiceHealthEndpoint``
/health, ``ServiceDesiredCount`` 2, ``ServiceMinSize`` 1, ``ServiceMaxSize`` 2, the target group's
30 s interval, 3 s timeout, 2/5 thresholds, 200-299; no target group at all without path or host
patterns) and ``templates/assets/cloudformation/database.yml`` (engine ``aurora``, Serverless
``SecondsUntilAutoPause`` 300, capacity 2 to 256, 100 GiB for an RDS instance). The pipeline:
``templates/assets/cloudformation/pipeline.yml`` (the test actions' ``buildspec-test.yml`` and
``buildspec-prod.yml``, ``SourceBranch`` master, the notification topic fed by both
``PipelineSucceededEventRule`` and ``PipelineFailedEventRule``) with ``workflows/pipeline_upsert.go``
(``notify`` subscribed to that topic) and ``workflows/pipeline_common.go`` (repository and service
name from the checkout). The environment's DNS: ``workflows/environment_upsert.go`` (``ElbHostName``
is ``loadbalancer.name``, else the environment's name) with ``templates/assets/cloudformation/
elb.yml`` (``ElbDns``: ``<host>.<zone>`` and ``*.<host>.<zone>``, both aliases of the load
balancer). The namespace ``mu`` when the file has none: ``cli/app.go``. Every key maps to a
muon key (``importers/mu_table.py``) or to one stderr line naming the mu key and what to do; the
result is validated by muon's own loader before anything is written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from muon.importers.mu_shapes import check_shapes
from muon.stacks.definition import tier_of
from muon.stacks.definition.environment import EnvironmentSpec
from muon.stacks.definition.loader import MAX_FILE_BYTES, parse_definition
from muon.stacks.definition.loader import _check_expansion as check_expansion
from muon.stacks.errors import DefinitionError

PROVIDERS = {"ecs": "ec2", "ecs-fargate": "fargate"}
ENV_VARIABLE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
CERTIFICATE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
VPC_ID = re.compile(r"^vpc-[0-9a-f]{8,17}$")
SUBNET_ID = re.compile(r"^subnet-[0-9a-f]{8,17}$")
AMI_ID = re.compile(r"^ami-[0-9a-f]{8,17}$")
ENVIRONMENT_KEYS = {"name", "provider", "loadbalancer", "cluster", "vpcTarget", "discovery", "roles"}
LOAD_BALANCER_KEYS = {"hostedzone", "name", "certificate", "internal"}
# ``ecsSubnetIds``: the name mu's own examples/vpc-target/mu.yml gives the instances' subnets.
VPC_TARGET_KEYS = {"vpcId", "elbSubnetIds", "instanceSubnetIds", "ecsSubnetIds", "environment", "namespace"}


@dataclass
class Conversion:
    definition: dict[str, Any] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    """One line per loss: ``<file>: <mu path>: <what is lost and what the team must do>``."""
    notes: list[str] = field(default_factory=list)
    """Lines that lose nothing but need reading (which environments are production tier)."""
    source: str = "mu.yml"

    def drop(self, path: str, why: str | None = None) -> None:
        from muon.importers.mu_table import reason

        self.dropped.append(f"{self.source}: {path}: not converted ({why or reason(path)})")

    def lose(self, path: str, what: str) -> None:
        self.dropped.append(f"{self.source}: {path}: {what}")

    def unknown(self, given: dict[str, Any], known: set[str], path: str) -> None:
        """A key mu's struct there does not have (mu ignored it too): one line, never silence."""
        for key in given:
            if str(key) not in known:
                self.drop(f"{path}.{key}", f"not a key mu read here ({', '.join(sorted(known))})")


class _TolerantLoader(yaml.SafeLoader):
    """mu read its file into Go structs: CloudFormation tags (``!Sub``, ``!Ref``) inside ``templates``
    were carried as they were. Here a tagged node loads as its plain value."""


def _untagged(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_TolerantLoader.add_multi_constructor("!", _untagged)


def _load(text: str, out: Conversion) -> Any:
    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in os.environ:
            return os.environ[name]
        out.lose(
            f"${{env:{name}}}",
            f"{name} is not set here; wrote '{name.lower()}' — set {name} and import again",
        )
        return name.lower().replace("_", "-")

    if len(text) > MAX_FILE_BYTES:
        raise DefinitionError(
            [f"{out.source}: {len(text):,} characters; a mu file is at most {MAX_FILE_BYTES:,}"]
        )
    loader = _TolerantLoader(ENV_VARIABLE.sub(expand, text))
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        # As muon's own files: aliases that would expand past a bound, or refer to themselves,
        # are refused before anything is built (a recursive document is no mu file).
        check_expansion(node, out.source)
        return loader.construct_document(node)
    except RecursionError:
        raise DefinitionError([f"{out.source}: nested too deeply to read; refused"]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise DefinitionError([f"{out.source}{where}: not readable YAML: {problem}"]) from None
    finally:
        loader.dispose()


def convert(
    text: str, source: str = "mu.yml", base: Path | None = None, tiers: dict[str, str] | None = None
) -> Conversion:
    """The ``muon.yaml`` for a mu file, and what could not be carried over (DefinitionError: not a
    mu file at all, or a result muon's loader refuses). ``base``: the mu file's folder (its git
    checkout names the pipeline's repository and branch, as mu read them); ``tiers``: an environment's
    tier chosen at import (``--tier``)."""
    from muon.importers.mu_service import service_and_pipeline

    out = Conversion(source=source)
    data = _load(text, out)
    if isinstance(data, dict):
        check_shapes(data, source)  # before anything is read: a value of another shape is one line
    if not isinstance(data, dict) or not ({"environments", "service", "namespace"} & set(data)):
        raise DefinitionError([f"{source}: expected a mu file (a mapping with environments: or service:)"])
    for key in data:
        if key == "region":  # mu's earlier files named the region; muon's stack files do
            out.lose(
                "region", f"the stacks' region is in their stack files: `muon init --region {data[key]}`"
            )
        elif key not in {"namespace", "environments", "service", "tags", "parameters"}:
            out.drop(str(key))
    # mu's cli/app.go: the namespace is the file's, else MU_NAMESPACE, else "mu" (its stacks' prefix).
    out.definition["namespace"] = str(data.get("namespace") or os.environ.get("MU_NAMESPACE") or "mu").lower()
    environments = [e for e in (data.get("environments") or []) if isinstance(e, dict)]
    if environments:
        out.definition["environments"] = {
            str(env.get("name")): _environment(env, f"environments[{i}]", out)
            for i, env in enumerate(environments)
        }
    _tags(data.get("tags"), out)
    _parameters(data.get("parameters"), out)
    if isinstance(data.get("service"), dict) and data["service"]:
        service_and_pipeline(data["service"], out, bool(environments), base)
    _tiers(out, tiers or {})
    text_out = yaml.safe_dump(out.definition, sort_keys=False)
    parse_definition(text_out, f"{source} (converted)")  # muon's own checks, before anything is written
    return out


def _tiers(out: Conversion, chosen: dict[str, str]) -> None:
    """Say which environments muon runs as production; one with neither a domain nor a certificate
    serves plain HTTP on purpose, as mu served it (``loadBalancer.allowPlainHttp``)."""
    environments = out.definition.get("environments") or {}
    for name in chosen:
        if name not in environments:
            raise DefinitionError([f"--tier {name}: no environment '{name}' in {out.source}"])
    for name, env in environments.items():
        if "attach" in env:
            continue
        if name in chosen:
            env["tier"] = chosen[name]
        if tier_of(name, EnvironmentSpec.model_validate(env)) != "production":
            continue
        secured = "domain" in env or "certificateArn" in (env.get("loadBalancer") or {})
        if not secured:
            env.setdefault("loadBalancer", {})["allowPlainHttp"] = True
        needs = (
            "it is served over HTTPS"
            if secured
            else "without a domain it serves plain HTTP as mu did (loadBalancer.allowPlainHttp: true); "
            "give it a domain for HTTPS"
        )
        out.notes.append(
            f"{out.source}: environments.{name}: production tier (Multi-AZ, deletion protection, "
            f"alarms); {needs}; `muon import --tier {name}=development` chooses otherwise"
        )


def _tags(tags: Any, out: Conversion) -> None:
    """mu's ``tags`` are per stack type (``environment``, ``service``, ...); muon tags every resource
    with the definition's ``tags``. Types that disagree on a key lose to the first."""
    if not isinstance(tags, dict):
        return
    merged: dict[str, str] = {}
    for kind, values in tags.items():
        for key, value in (values or {}).items():
            if key in merged and merged[key] != str(value):
                out.lose(
                    f"tags.{kind}.{key}",
                    f"also '{merged[key]}' for another stack type; muon tags "
                    "every resource alike — kept the first, set environments.<name>.tags to differ",
                )
                continue
            merged[str(key)] = str(value)
    if merged:
        out.definition["tags"] = merged


def _parameters(parameters: Any, out: Conversion) -> None:
    """mu's ``parameters`` override CloudFormation parameters per stack; ``ImageId`` is the hosts'
    AMI (muon's ``cluster.imageId``); any other is a line."""
    if not isinstance(parameters, dict):
        return
    environments = out.definition.get("environments") or {}
    for stack, values in parameters.items():
        for key, value in (values or {}).items():
            path = f"parameters.{stack}.{key}"
            targets = [n for n in environments if n in str(stack)] or list(environments)
            ec2 = [n for n in targets if environments[n].get("cluster", {}).get("provider") == "ec2"]
            if key == "ImageId" and ec2:
                for name in ec2:
                    _image_id(environments[name]["cluster"], str(value), path, out)
            else:
                out.drop(path, "a CloudFormation parameter: set the muon key for it (docs/coming-from-mu.md)")


def _image_id(cluster: dict[str, Any], value: str, path: str, out: Conversion) -> None:
    if AMI_ID.match(value):
        cluster["imageId"] = value
    else:
        out.lose(path, f"'{value}' is not an AMI id: set environments.<name>.cluster.imageId to yours")


def _environment(env: dict[str, Any], path: str, out: Conversion) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key in env:
        if key not in ENVIRONMENT_KEYS:
            out.drop(f"{path}.{key}")
    for key in ("discovery", "roles"):
        if env.get(key):
            out.drop(f"{path}.{key}")
    provider = env.get("provider") or "ecs"
    if provider in PROVIDERS:
        result["cluster"] = {"provider": PROVIDERS[provider]}
    else:
        out.drop(f"{path}.provider", f"{provider}: muon runs ECS on Fargate or EC2; Fargate chosen")
        result["cluster"] = {"provider": "fargate"}
    _cluster(env.get("cluster") or {}, result["cluster"], path, out)
    _load_balancer(env.get("loadbalancer") or {}, str(env.get("name")), result, path, out)
    _vpc_target(env.get("vpcTarget") or {}, result, path, out)
    return result


def _cluster(cluster: dict[str, Any], result: dict[str, Any], path: str, out: Conversion) -> None:
    ec2 = result["provider"] == "ec2"
    for key, value in cluster.items():
        where = f"{path}.cluster.{key}"
        if not ec2 and key != "httpProxy":
            out.drop(where, "configures EC2 hosts; this environment runs on Fargate")
        elif key == "instanceType":
            result["instanceType"] = value
        elif key in ("minSize", "maxSize"):
            result["min" if key == "minSize" else "max"] = int(value)
        elif key == "imageId":
            _image_id(result, str(value), where, out)
        elif key == "httpProxy":
            proxy = str(value) if "://" in str(value) else f"http://{value}"
            result["httpProxy"] = proxy
        elif key == "extraUserData":
            result["userData"] = str(value)
        elif key == "osType" and str(value).lower() == "amazon":
            continue  # mu's default: Amazon Linux, what muon runs
        else:
            out.drop(where)
    if ec2:  # mu's env-ecs.yml MinSize 1, MaxSize 2 (muon's production tier would start at 2 hosts)
        result.setdefault("min", 1)
        result.setdefault("max", max(2, result["min"]))


def _load_balancer(lb: dict[str, Any], env: str, result: dict[str, Any], path: str, out: Conversion) -> None:
    out.unknown(lb, LOAD_BALANCER_KEYS, f"{path}.loadbalancer")
    zone, host = lb.get("hostedzone"), lb.get("name")
    if zone:
        # mu's workflows/environment_upsert.go passes ElbHostName = loadbalancer.name, else the
        # environment's name; templates/assets/cloudformation/elb.yml's ElbDns then aliases both
        # <host>.<zone> and *.<host>.<zone> to the load balancer.
        name = f"{host or env}.{zone}"
        result["domain"] = {"name": name, "zone": zone}
        out.lose(
            f"{path}.loadbalancer.hostedzone",
            f"mu also aliased *.{name} to the load balancer; muon makes a record per host: "
            "list each name in services.<name>.hosts",
        )
        if lb.get("certificate"):
            out.drop(f"{path}.loadbalancer.certificate", "muon issues the domain's certificate itself")
    elif lb.get("certificate"):
        certificate = str(lb["certificate"])
        if CERTIFICATE_ID.match(certificate):
            region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
            certificate = f"arn:aws:acm:{region}:000000000000:certificate/{certificate}"
            out.lose(
                f"{path}.loadbalancer.certificate",
                f"a bare certificate id (mu added region and account): wrote {certificate} — "
                "put your account (and region) in environments.<name>.loadBalancer.certificateArn",
            )
        result["loadBalancer"] = {"certificateArn": certificate}
        region = certificate.split(":")[3] if certificate.count(":") >= 5 else ""
        if region and not CERTIFICATE_ID.match(
            str(lb["certificate"])
        ):  # a load balancer takes a certificate of its own region: the stacks' region
            out.notes.append(
                f"{out.source}: {path}.loadbalancer.certificate: a certificate of {region}; "
                f"its stacks are in {region}: `muon init --region {region}`"
            )
    elif host:
        out.drop(f"{path}.loadbalancer.name", "a load balancer name without hostedzone")
    if lb.get("internal"):
        result.setdefault("loadBalancer", {})["internal"] = True


def _vpc_target(target: dict[str, Any], result: dict[str, Any], path: str, out: Conversion) -> None:
    out.unknown(target, VPC_TARGET_KEYS, f"{path}.vpcTarget")
    instances = (
        "instanceSubnetIds"
        if target.get("instanceSubnetIds") or not target.get("ecsSubnetIds")
        else ("ecsSubnetIds")
    )
    if target.get("vpcId"):
        vpc = str(target["vpcId"])
        if not VPC_ID.match(vpc):
            out.lose(
                f"{path}.vpcTarget.vpcId", f"'{vpc}' is a placeholder: wrote vpc-00000000, put your VPC's id"
            )
            vpc = "vpc-00000000"
        result["network"] = {
            "existing": {
                "vpcId": vpc,
                "publicSubnetIds": _subnets(
                    target.get("elbSubnetIds"), f"{path}.vpcTarget.elbSubnetIds", out
                ),
                "privateSubnetIds": _subnets(target.get(instances), f"{path}.vpcTarget.{instances}", out),
            }
        }
    for key in ("environment", "namespace"):
        if target.get(key):
            out.drop(f"{path}.vpcTarget.{key}", "another mu environment's VPC: give its vpcId and subnets")


def _subnets(values: Any, path: str, out: Conversion) -> list[str]:
    given = [str(v) for v in (values or [])]
    if len(given) >= 2 and all(SUBNET_ID.match(v) for v in given):
        return given
    out.lose(path, f"{given or 'none'}: muon needs two or more subnet ids; wrote placeholders — put yours")
    return ["subnet-00000001", "subnet-00000002"]
