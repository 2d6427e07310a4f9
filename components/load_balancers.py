"""An environment's load balancers beyond the first: one per ``loadBalancer`` name its web services
choose, each built like the first (its own security group, listeners, access-log bucket, 5xx alarm)
and sharing the environment's certificate and web ACL, with its own name on the domain.

Why more than one: an Application Load Balancer takes at most 100 target groups, a quota AWS
cannot raise (ELB user guide, "Quotas for your Application Load Balancers"), and each web service
has one. The first load balancer keeps its resource names; the others are named after their key,
so adding one never renames another."""

from __future__ import annotations

import dataclasses

import pulumi

from muon.components.alarms import topic_alarm
from muon.components.domain import alias_record
from muon.components.load_balancer import LoadBalancer, LoadBalancerArgs


def load_balancer_alarm(
    resource_name: str,
    alarm_name: str,
    description: str,
    balancer: LoadBalancer,
    topic_arn: pulumi.Input[str],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> None:
    """The load balancer's own errors (no healthy target at all, timeouts): a total outage that no
    target-group metric shows."""
    topic_alarm(
        resource_name,
        alarm_name=alarm_name,
        description=description,
        namespace="AWS/ApplicationELB",
        metric="HTTPCode_ELB_5XX_Count",
        dimensions={"LoadBalancer": balancer.arn_suffix},
        statistic="Sum",
        threshold=10,
        comparison="GreaterThanOrEqualToThreshold",
        topic_arn=topic_arn,
        tags=tags,
        opts=opts,
    )


def extra_load_balancer_alarm_name(namespace: str, environment: str, group: str) -> str:
    return f"{namespace}-{environment}-{group}-load-balancer-5xx"


def extra_load_balancers(
    environment: str,
    groups: tuple[str, ...],
    args: LoadBalancerArgs,
    *,
    domain: tuple[str, pulumi.Input[str]] | None,
    topic_arn: pulumi.Input[str],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
) -> dict[str, LoadBalancer]:
    """One load balancer per name in ``groups``, from the first one's complete ``args`` (network,
    certificate, web ACL, admitted groups); ``domain`` (name, zone id): ``<group>.<name>`` points at
    it (the domain's certificate holds ``*.<name>``)."""
    made: dict[str, LoadBalancer] = {}
    for group in groups:
        balancer = LoadBalancer(f"{environment}-{group}", dataclasses.replace(args), opts=opts)
        if domain is not None:
            alias_record(
                f"{environment}-{group}-domain",
                zone_id=domain[1],
                fqdn=f"{group}.{domain[0]}",
                dns_name=balancer.dns_name,
                dns_zone_id=balancer.zone_id,
                opts=opts,
            )
        load_balancer_alarm(
            f"{environment}-{group}-alb-5xx",
            extra_load_balancer_alarm_name(args.context.namespace, environment, group),
            f"muon {environment}: load balancer {group} itself answers 5xx",
            balancer,
            topic_arn,
            tags,
            opts,
        )
        made[group] = balancer
    return made
