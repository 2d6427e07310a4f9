"""Where a web service is routed: its listener rule's priority and its hosts on the domain."""

from __future__ import annotations

import hashlib

from muon.stacks.definition import ServiceSpec
from muon.stacks.errors import DefinitionError

CATCH_ALL = {"/*", "*", "/"}

TARGET_GROUPS_PER_LOAD_BALANCER = 100
"""'Target Groups per Application Load Balancer': 100, not adjustable (ELB user guide, "Quotas for
your Application Load Balancers"); each web service has one target group on its load balancer, so
the 101st on one load balancer would fail the deploy halfway (plan/quotas.py has the whole table)."""


def load_balancer_groups(services: dict[str, ServiceSpec]) -> dict[str | None, list[str]]:
    """The web services of each of the environment's load balancers, in the definition's order:
    None is the first (shared) one, every other key one ``loadBalancer`` name.

    Assignment is explicit (``services.<name>.loadBalancer``), never counted or hashed: a service
    moves to another load balancer only when its own key changes, so adding the 101st service
    moves no other service's load balancer, rule, priority or DNS name (its URL would change)."""
    groups: dict[str | None, list[str]] = {}
    for name, spec in services.items():
        if spec.kind == "web":
            groups.setdefault(spec.load_balancer, []).append(name)
    return groups


def refuse_over_full_load_balancer(group: str | None, web_services: list[str], source: str) -> None:
    """Before anything is declared: a deploy would create 100 target groups and fail on the next."""
    first_over = web_services[TARGET_GROUPS_PER_LOAD_BALANCER]
    which = "the environment's first load balancer" if group is None else f"load balancer '{group}'"
    raise DefinitionError(
        [
            f"{source}: services.{first_over}.loadBalancer: {len(web_services)} web services on {which}, "
            f"but a load balancer takes at most {TARGET_GROUPS_PER_LOAD_BALANCER} target groups (Elastic "
            "Load Balancing 'Target Groups per Application Load Balancer', which AWS cannot raise); set "
            f"'loadBalancer: <name>' on services beyond the {TARGET_GROUPS_PER_LOAD_BALANCER}th (each name "
            "is one more load balancer)"
        ]
    )


def listener_priorities(services: dict[str, ServiceSpec], source: str, salt: str = "") -> dict[str, int]:
    """Stable listener-rule priorities: explicit, or derived from the service's name alone.

    A name always maps to the same number, so adding a service never renumbers the others.
    Catch-all services (``/*``) sort after every specific rule. A clash on one listener (each load
    balancer has its own) is an error asking for an explicit ``priority`` rather than a silent
    reshuffle. ``salt`` (the namespace, on a listener other projects share) keeps two projects'
    services of the same name apart.
    """
    result: dict[str, int] = {}
    for group, names in load_balancer_groups(services).items():
        if len(names) > TARGET_GROUPS_PER_LOAD_BALANCER:
            refuse_over_full_load_balancer(group, names, source)
        result |= _group_priorities({name: services[name] for name in names}, source, salt)
    return result


def _group_priorities(routed: dict[str, ServiceSpec], source: str, salt: str) -> dict[str, int]:
    taken: dict[int, str] = {}
    result: dict[str, int] = {}
    for name in sorted(routed, key=lambda n: routed[n].priority is None):
        spec = routed[name]
        if spec.priority is not None:
            priority = spec.priority
        else:
            digest = int(hashlib.sha256(f"{salt}/{name}".encode() if salt else name.encode()).hexdigest(), 16)
            catch_all = bool(CATCH_ALL & set(spec.path_patterns))
            priority = 40000 + digest % 10000 if catch_all else 1 + digest % 39999
        if priority in taken:
            raise DefinitionError(
                [
                    f"{source}: services.{name}.priority: listener priority {priority} is already "
                    f"used by service '{taken[priority]}'; set a distinct 'priority' on one of them"
                ]
            )
        taken[priority] = name
        result[name] = priority
    return result


def service_hosts(service: str, spec: ServiceSpec, domain: str | None, source: str) -> tuple[str, ...]:
    """``hosts`` as full names: a label is ``<label>.<domain>``; a full name must be on the domain."""
    if not spec.hosts:
        return ()
    where = f"{source}: services.{service}.hosts"
    if domain is None:
        raise DefinitionError(
            [f"{where}: hosts live on the environment's domain; give the environment a domain"]
        )
    names = []
    for index, host in enumerate(spec.hosts):
        name = host if "." in host else f"{host}.{domain}"
        label = name[: -len(domain) - 1] if name.endswith(f".{domain}") else None
        if name != domain and (label is None or "." in label):
            raise DefinitionError(
                [
                    f"{where}[{index}]: {host} is not covered by the certificate of {domain} "
                    f"(it holds {domain} and *.{domain})"
                ]
            )
        names.append(name)
    return tuple(names)


def refuse_attached_load_balancers(env_name: str, services: dict[str, ServiceSpec], source: str) -> None:
    """An attached environment has its platform's one listener (the contract names no other); a
    load balancer's name on the domain is checked with every other name (``names.py``)."""
    named = [n for n, s in services.items() if s.kind == "web" and s.load_balancer is not None]
    if named:
        raise DefinitionError(
            [
                f"{source}: services.{named[0]}.loadBalancer: environment {env_name} attaches to a "
                "platform's load balancer; only the platform's own muon.yaml can add load balancers"
            ]
        )
