"""One owner per DNS name in an environment's zone, checked before anything is declared.

Route 53 holds one record set per name and type: a second resource creating the same name fails
("Tried to create resource record set … but it already exists"), and one that overwrites it
takes the other's record away with it when it is deleted. ACM asks the same validation CNAME for
every certificate of one name in one account, whatever the region (terraform-provider-aws issue
#13653): two certificates of one name would share one validation record, and removing either
would delete the record the other renews with. So every name muon writes in an environment's zone
has exactly one owner:

- the apex belongs to the environment: its alias to the load balancer (``domain``), and the
  environment's certificate (the apex and ``*.apex``) validates with the apex's record. A
  service whose ``hosts`` list the apex is routed there through that same record (no record of
  its own);
- every load balancer beside the first (services' ``loadBalancer``) owns ``<name>.<apex>``, its
  alias (the environment's certificate covers ``*.apex``); a service behind it may list that name
  in ``hosts`` (routed through that record), and none behind it may list the apex, which points at
  the first load balancer;
- every other service host, every site's and function's ``host`` is its own name, with its own
  records (a site's or function's certificate validates with that name's record).
"""

from __future__ import annotations

from muon.stacks.definition import Definition
from muon.stacks.errors import DefinitionError


def full_name(host: str, domain: str) -> str:
    """A label is ``<label>.<domain>``; a full name stays as written."""
    return host if "." in host else f"{host}.{domain}"


def name_claims(
    env_name: str, definition: Definition, domain: str, *, attached: bool
) -> list[tuple[str, str]]:
    """(full name, the definition key that claims it), the environment's apex first."""
    apex_key = f"environments.{env_name}.attach" if attached else f"environments.{env_name}.domain"
    claims = [(domain, apex_key)]
    balancers: dict[str, str] = {}  # a load balancer's name on the domain → its first service
    for service, spec in definition.services.items():
        if spec.kind == "web" and spec.load_balancer is not None:
            balancers.setdefault(f"{spec.load_balancer}.{domain}", service)
    claims += [(name, f"services.{service}.loadBalancer") for name, service in balancers.items()]
    for service, spec in definition.services.items():
        own = f"{spec.load_balancer}.{domain}" if spec.load_balancer else domain
        for index, host in enumerate(spec.hosts):
            name = full_name(host, domain)
            if name != own:  # its load balancer's own name: routed through that record
                claims.append((name, f"services.{service}.hosts[{index}]"))
    for site, site_spec in definition.sites.items():
        if site_spec.host is not None:
            claims.append((full_name(site_spec.host, domain), f"sites.{site}.host"))
    for function, function_spec in definition.functions.items():
        if function_spec.host is not None:
            claims.append((full_name(function_spec.host, domain), f"functions.{function}.host"))
    return claims


def name_problems(
    env_name: str, definition: Definition, domain: str | None, source: str, *, attached: bool
) -> list[str]:
    """One line per name two things of ``env_name`` claim, naming both keys."""
    if domain is None:
        return []  # no zone: hosts are refused by their own checks
    owners: dict[str, str] = {}
    problems = []
    for name, key in name_claims(env_name, definition, domain, attached=attached):
        if name in owners:
            first = owners[name]
            if name == domain:
                what = "the environment's apex (its load balancer's alias and its certificate's validation)"
            elif first.endswith(".loadBalancer"):
                what = "the name of a load balancer beside the first (its alias record); rename one"
            elif first.startswith("services.") and key.startswith("services."):
                # The load balancer may route one name to several services: by hostPatterns,
                # which make no record.
                what = "one name has one DNS record; route the second service there with hostPatterns"
            else:
                what = "one name has one set of DNS records and one certificate validation"
            problems.append(
                f"{source}: {first} and {key} both claim {name} in environment {env_name}: {what}"
            )
            continue
        owners[name] = key
    return problems


def check_names(
    env_name: str, definition: Definition, domain: str | None, source: str, *, attached: bool
) -> None:
    """Refuse, in one line naming both keys, two things of ``env_name`` claiming one name."""
    problems = name_problems(env_name, definition, domain, source, attached=attached)
    if problems:
        raise DefinitionError(problems[:1])
