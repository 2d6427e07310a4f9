"""Who reaches a Service and how: its tasks' security group and the rules that admit callers, the
load balancer's target group and listener rule, Service Connect, DNS records and its URL.
Functions, not components: every resource stays a child of the Service."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from muon.components.domain import alias_record
from muon.components.naming import scoped, unique_name
from muon.components.policies import output_of
from muon.components.service_args import DatabaseAccess, ServiceArgs

ADMITTED = {
    "web": "only the load balancer reaches the container port",
    "backend": "only its callers reach the container port (Service Connect)",
    "worker": "no inbound traffic (it reads its queue)",
}


def tasks_security_group(
    name: str, service_id: str, args: ServiceArgs, child: pulumi.ResourceOptions
) -> aws.ec2.SecurityGroup:
    """A web service's tasks admit the load balancer on their port; the others admit nobody here."""
    wiring = args.wiring
    return aws.ec2.SecurityGroup(
        f"{name}-tasks-sg",
        vpc_id=wiring.vpc_id,
        description=f"Tasks of {service_id}: {ADMITTED[args.kind]}",
        # A backend's callers are separate rules (admit()); inline ingress would remove them.
        ingress=[
            {
                "description": "From the load balancer",
                "protocol": "tcp",
                "from_port": args.traffic_port,
                "to_port": args.traffic_port,
                "security_groups": [wiring.load_balancer_security_group_id],
            }
        ]
        if args.kind == "web"
        else None,
        egress=[
            {
                "description": "AWS APIs, databases and dependencies",
                "protocol": "-1",
                "from_port": 0,
                "to_port": 0,
                "cidr_blocks": ["0.0.0.0/0"],
            }
        ],
        tags={**args.tags, "Name": f"{service_id}-tasks"},
        opts=child,
    )


def database_ingress(
    name: str,
    service_id: str,
    database: DatabaseAccess,
    tasks: aws.ec2.SecurityGroup,
    tags: dict[str, str],
    child: pulumi.ResourceOptions,
) -> None:
    """Owned by the service: the database admits exactly the tasks of its service."""
    aws.vpc.SecurityGroupIngressRule(
        f"{name}-database-ingress",
        security_group_id=database.security_group_id,
        referenced_security_group_id=tasks.id,
        ip_protocol="tcp",
        from_port=database.port,
        to_port=database.port,
        description=f"Tasks of {service_id}",
        tags=tags,
        opts=child,
    )


def storage_ingress(
    name: str, service_id: str, args: ServiceArgs, tasks: aws.ec2.SecurityGroup, child: pulumi.ResourceOptions
) -> tuple[pulumi.Resource, ...]:
    """Owned by the service: each of its volumes admits exactly its tasks, on NFS (TCP 2049, Amazon
    EFS user guide, "Using VPC security groups")."""
    if args.storage is None:
        return ()
    return tuple(
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-volume-ingress-{index}",
            security_group_id=group,
            referenced_security_group_id=tasks.id,
            ip_protocol="tcp",
            from_port=2049,
            to_port=2049,
            description=f"NFS from the tasks of {service_id}",
            tags=args.tags,
            opts=child,
        )
        for index, group in enumerate(args.storage.file_system_security_group_ids)
    )


def admit_callers(
    name: str,
    args: ServiceArgs,
    tasks: aws.ec2.SecurityGroup,
    callers: dict[str, pulumi.Input[str]],
    child: pulumi.ResourceOptions,
) -> None:
    """A backend admits exactly these callers (service name → tasks security group) on its port."""
    for caller, group_id in sorted(callers.items()):
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-{caller}",
            security_group_id=tasks.id,
            referenced_security_group_id=group_id,
            ip_protocol="tcp",
            from_port=args.port,
            to_port=args.port,
            description=f"Service Connect from {caller}",
            tags=args.tags,
            opts=child,
        )


def route(
    name: str, args: ServiceArgs, child: pulumi.ResourceOptions
) -> tuple[aws.lb.TargetGroup, aws.lb.ListenerRule]:
    """A web service's target group and the listener rule that forwards to it."""
    wiring, namespace = args.wiring, args.context.namespace
    hc = args.health_check
    protocol = args.protocol.upper()
    target_group = aws.lb.TargetGroup(
        f"{name}-tg",
        # 32 characters; new exactly when a change replaces the target group. A target group serves
        # one load balancer (ELB refuses a rule of another: TargetGroupAssociationLimit): a service
        # moved to another load balancer gets a new one, created before the old one's rule goes.
        name=output_of(wiring.vpc_id).apply(
            lambda vpc: unique_name(
                scoped(namespace, name),
                32,
                args.traffic_port,
                protocol,
                "ip",
                vpc,
                *([wiring.load_balancer_group] if wiring.load_balancer_group else []),
            )
        ),
        port=args.traffic_port,
        protocol=protocol,
        target_type="ip",
        vpc_id=wiring.vpc_id,
        deregistration_delay=args.deregistration_delay,
        # ELB user guide, "Sticky sessions for your Application Load Balancer": duration-based (lb_cookie).
        # Without it, stickiness off said explicitly (AWS's defaults: a no-op on a target group that
        # never had it): the provider's block is Optional+Computed, so leaving it out would keep
        # stickiness on after `stickiness:` is removed (terraform-provider-aws elbv2/target_group.go).
        stickiness={"type": "lb_cookie", "enabled": True, "cookie_duration": args.stickiness_duration}
        if args.stickiness_duration is not None
        else {"type": "lb_cookie", "enabled": False},
        health_check={
            "enabled": True,
            "path": hc.path,
            "matcher": hc.matcher,
            "interval": hc.interval,
            "timeout": hc.timeout,
            "healthy_threshold": hc.healthy_threshold,
            "unhealthy_threshold": hc.unhealthy_threshold,
            "protocol": protocol,
        },
        tags=args.tags,
        opts=child,
    )
    conditions: list[dict[str, Any]] = []
    if args.path_patterns:
        conditions.append({"path_pattern": {"values": list(args.path_patterns)}})
    if args.host_patterns or args.hosts:
        conditions.append({"host_header": {"values": [*args.host_patterns, *args.hosts]}})
    if args.allowed_cidrs:
        # On the service's own rule, not the shared load balancer's security group (which admits the
        # other services' clients too); ELB user guide, "Listener rules": source-ip condition.
        conditions.append({"source_ip": {"values": list(args.allowed_cidrs)}})
    rule = aws.lb.ListenerRule(
        f"{name}-rule",
        listener_arn=wiring.listener_arn,
        priority=args.priority,
        conditions=conditions,
        actions=[{"type": "forward", "target_group_arn": target_group.arn}],
        tags=args.tags,
        opts=child,
    )
    return target_group, rule


def service_connect_configuration(
    args: ServiceArgs, log_group_name: pulumi.Output[str]
) -> dict[str, Any] | None:
    """A caller joins the namespace as a client; a backend also serves ``http://<name>:<port>``."""
    connect = args.service_connect
    if connect is None:
        return None
    configuration: dict[str, Any] = {
        "enabled": True,
        "namespace": connect.namespace_arn,
        "log_configuration": {
            "log_driver": "awslogs",
            "options": {
                "awslogs-group": log_group_name,
                "awslogs-region": args.context.region,
                "awslogs-stream-prefix": "service-connect",
            },
        },
    }
    if connect.serve:
        configuration["services"] = [
            {
                "port_name": "app",
                "discovery_name": args.service,
                "client_alias": [{"port": args.port, "dns_name": args.service}],
            }
        ]
    return configuration


def host_records(name: str, args: ServiceArgs, child: pulumi.ResourceOptions) -> None:
    """Each of the service's hosts points at the environment's load balancer (the apex already does)."""
    wiring = args.wiring
    for host in args.hosts:
        if wiring.zone_id is None:
            raise ValueError("hosts need the environment's domain (its hosted zone)")
        if host == wiring.domain:
            continue  # the apex: the environment's own alias already points at the load balancer
        alias_record(
            f"{name}-host-{host}",
            zone_id=wiring.zone_id,
            fqdn=host,
            dns_name=wiring.load_balancer_dns_name,
            dns_zone_id=wiring.load_balancer_zone_id,
            opts=child,
        )


def service_url(args: ServiceArgs) -> pulumi.Input[str]:
    """Where the service answers: its first host (or the environment's domain) over HTTPS, never the
    load balancer's AWS name once a domain exists; the path of its first pattern."""
    if args.kind == "backend":
        return f"http://{args.service}:{args.port}"  # Service Connect, inside the environment
    if args.kind == "worker":
        return ""
    path = next((p for p in args.path_patterns), "/").rstrip("*?") or "/"
    wiring = args.wiring
    # A service routed by host is reached on that host (the first one that is a plain name).
    host = (
        args.hosts[0]
        if args.hosts
        else next((h for h in args.host_patterns if not {"*", "?"} & set(h)), None)
    )
    if wiring.domain is not None:
        return f"https://{host or wiring.domain}{path}"
    if host is not None:
        return output_of(wiring.load_balancer_url).apply(lambda url: f"{url.split('://')[0]}://{host}{path}")
    return output_of(wiring.load_balancer_url).apply(lambda url: f"{url}{path}")
