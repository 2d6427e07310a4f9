"""Environments as `muon init` and `muon env add` write them: the stack file of each, the
production environment's HTTPS, and an environment added to a ``muon.yaml`` that keeps its comments.
"""

from __future__ import annotations

import difflib
import re

import yaml

from muon.cli.errors import UsageError

PLAIN_HTTP_NOTE = (
    "# No domain yet: plain HTTP, on purpose and warned by every plan. Before the first production\n"
    "# deploy give it one — domain: {name: app.example.com, zone: example.com} — and drop this.\n"
)
DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def stack_for(environment: str) -> str:
    """The stack deploying ``environment``: its name (``production``: ``prod``, as muon's own)."""
    return "prod" if environment == "production" else environment


def is_production(environment: str, spec: dict[str, object] | None = None) -> bool:
    """The tier the definition gives it: ``tier``, else production when the name starts with prod."""
    tier = (spec or {}).get("tier")
    return tier == "production" if tier else environment.startswith("prod")


def check_region(region: str, flag: str = "--region") -> None:
    """One line for a region no AWS partition has (botocore's partitions.json, read offline)."""
    from muon.stacks.definition.stack_config import known_regions

    known = known_regions()
    if region in known:
        return
    close = difflib.get_close_matches(region, sorted(known), n=1)
    hint = f"; did you mean {close[0]}?" if close else " (e.g. us-east-1, eu-west-1, ap-southeast-2)"
    raise UsageError(f"{flag}: '{region}' is not an AWS region{hint}")


def check_domain(domain: str | None, zone: str | None) -> None:
    if domain is None:
        if zone is not None:
            raise UsageError("--zone: only with --domain (the hosted zone the domain is in)")
        return
    if not DOMAIN.match(domain):
        raise UsageError(f"--domain: '{domain}' is not a lowercase DNS name such as banana.example.com")
    if zone is not None and not (domain == zone or domain.endswith(f".{zone}")):
        raise UsageError(f"--zone: {domain} is not inside the zone {zone}")
    if zone is None and domain.count(".") < 2:
        raise UsageError(f"--domain: {domain} is a zone's apex: give --zone {domain} to serve it there")


def production_spec(domain: str | None, zone: str | None) -> dict[str, object]:
    """HTTPS on the domain (in ``zone``, by default the domain's parent); without one, plain HTTP
    said out loud: ``allowPlainHttp`` with a comment, and every plan warns."""
    if domain is None:
        return {"loadBalancer": {"allowPlainHttp": True}}
    return {"domain": {"name": domain, "zone": zone or domain.split(".", 1)[1]}}


def environment_yaml(name: str, spec: dict[str, object], indent: str) -> str:
    """``name: spec`` as block YAML at ``indent``, the plain-HTTP comment above its key."""
    text = yaml.safe_dump({name: spec or {}}, sort_keys=False, default_flow_style=False)
    lines = []
    for line in text.splitlines():
        if line.strip() == "allowPlainHttp: true":
            pad = line[: len(line) - len(line.lstrip())]
            lines += [pad + comment for comment in PLAIN_HTTP_NOTE.splitlines()]
        lines.append(line)
    return "".join(f"{indent}{line}\n" for line in lines)


def stack_file(region: str, environment: str) -> str:
    return f"config:\n  aws:region: {region}\n  muon:environments: [{environment}]\n"


def add_environment(text: str, name: str, spec: dict[str, object]) -> str:
    """``text`` (a muon.yaml) with ``environments.<name>`` added, its comments and order kept."""
    root = yaml.compose(text)
    if not isinstance(root, yaml.MappingNode):
        raise UsageError("muon.yaml: expected a mapping with environments:")
    key, node = next(
        ((k, v) for k, v in root.value if getattr(k, "value", None) == "environments"), (None, None)
    )
    if key is None or node is None:
        return (
            text
            + ("" if text.endswith("\n") else "\n")
            + "environments:\n"
            + environment_yaml(name, spec, "  ")
        )
    if not isinstance(node, yaml.MappingNode):
        raise UsageError("muon.yaml: environments: expected a mapping of environments by name")
    if node.flow_style or not node.value:
        raise UsageError(
            f"muon.yaml: environments is written inline; add `{name}: {{}}` to it, then run this again"
        )
    first = node.value[0][0]
    lines = text.splitlines(keepends=True)
    at = key.start_mark.line + 1  # right under `environments:`: comments above the others stay theirs
    return (
        "".join(lines[:at])
        + environment_yaml(name, spec, " " * first.start_mark.column)
        + "".join(lines[at:])
    )
