"""Where a web service is routed: its listener rule's priority and its hosts on the domain."""

from __future__ import annotations

import hashlib

from muon.stacks.definition import ServiceSpec
from muon.stacks.errors import DefinitionError

CATCH_ALL = {"/*", "*", "/"}

TARGET_GROUPS_PER_LOAD_BALANCER = 100
"""'Target Groups per Application Load Balancer': 100, not adjustable (ELB user guide, "Quotas for
your Application Load Balancers"); each web service has one target group on its environment's load
balancer, so the 101st would fail the deploy halfway (plan/quotas.py has the whole table)."""


def refuse_over_full_load_balancer(web_services: list[str], source: str) -> None:
    """Before anything is declared: a deploy would create 100 target groups and fail on the next."""
    first_over = web_services[TARGET_GROUPS_PER_LOAD_BALANCER]
    raise DefinitionError(
        [
            f"{source}: services.{first_over}: {len(web_services)} web services, but an environment's load "
            f"balancer takes at most {TARGET_GROUPS_PER_LOAD_BALANCER} target groups (Elastic Load Balancing "
            "'Target Groups per Application Load Balancer', which AWS cannot raise); make the services only "
            "other services call 'kind: backend', or move some to a second muon.yaml with its own environment"
        ]
    )


def listener_priorities(services: dict[str, ServiceSpec], source: str, salt: str = "") -> dict[str, int]:
    """Stable listener-rule priorities: explicit, or derived from the service's name alone.

    A name always maps to the same number, so adding a service never renumbers the others.
    Catch-all services (``/*``) sort after every specific rule. A clash is an error asking for an
    explicit ``priority`` rather than a silent reshuffle. ``salt`` (the namespace, on a listener
    other projects share) keeps two projects' services of the same name apart.
    """
    taken: dict[int, str] = {}
    result: dict[str, int] = {}
    routed = {n: spec for n, spec in services.items() if spec.kind == "web"}
    if len(routed) > TARGET_GROUPS_PER_LOAD_BALANCER:
        refuse_over_full_load_balancer(list(routed), source)
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
