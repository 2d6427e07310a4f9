"""Controls on the network and the edge: VPC, subnets, security groups, ACLs, ECS hosts, load balancers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from muon.policy.checks import (
    ACCEPTED_TLS_POLICIES,
    ANYWHERE,
    Finding,
    Resource,
    _of,
    rule,
)


@rule
def default_security_group_closed(resources: Sequence[Resource]) -> Iterable[Finding]:
    vpcs = _of(resources, "aws:ec2/vpc:Vpc")
    closed = _of(resources, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    if len(closed) < len(vpcs):
        yield Finding("EC2.2", vpcs[0].name, "a VPC's default security group is not adopted and closed")
    for group in closed:
        if group.inputs.get("ingress") or group.inputs.get("egress"):
            yield Finding("EC2.2", group.name, "default security group has rules")


@rule
def flow_logs(resources: Sequence[Resource]) -> Iterable[Finding]:
    flows = _of(resources, "aws:ec2/flowLog:FlowLog")
    for flow in flows:
        if flow.inputs.get("trafficType") not in {"ALL", "REJECT"}:
            yield Finding("EC2.6", flow.name, "flow log traffic type must be ALL or REJECT")
    vpcs = _of(resources, "aws:ec2/vpc:Vpc")
    if len(flows) < len(vpcs):
        yield Finding("EC2.6", vpcs[0].name, "a VPC has no flow log")


@rule
def subnets_no_public_ip(resources: Sequence[Resource]) -> Iterable[Finding]:
    for subnet in _of(resources, "aws:ec2/subnet:Subnet"):
        if subnet.inputs.get("mapPublicIpOnLaunch"):
            yield Finding("EC2.15", subnet.name, "subnet assigns public IPs on launch")


def _is_load_balancer_group(group: Resource) -> bool:
    return group.name.endswith("-alb-sg")


@rule
def security_group_ingress(resources: Sequence[Resource]) -> Iterable[Finding]:
    for group in _of(resources, "aws:ec2/securityGroup:SecurityGroup"):
        for direction in ("ingress", "egress"):
            for entry in group.inputs.get(direction) or []:
                if not entry.get("description"):
                    yield Finding("CKV_AWS_23", group.name, f"{direction} rule has no description")
        for entry in group.inputs.get("ingress") or []:
            open_to_all = ANYWHERE & set(entry.get("cidrBlocks") or []) | ANYWHERE & set(
                entry.get("ipv6CidrBlocks") or []
            )
            web = entry.get("protocol") == "tcp" and entry.get("fromPort") == entry.get("toPort") in (80, 443)
            if open_to_all and not (_is_load_balancer_group(group) and web):
                yield Finding("EC2.18", group.name, "ingress from anywhere beyond the load balancer's 80/443")


@rule
def network_acls(resources: Sequence[Resource]) -> Iterable[Finding]:
    for acl in _of(resources, "aws:ec2/networkAcl:NetworkAcl"):
        if not acl.inputs.get("subnetIds"):
            yield Finding("EC2.16", acl.name, "network ACL is not associated with any subnet")
        for entry in acl.inputs.get("ingress") or []:
            if entry.get("action") != "allow" or entry.get("cidrBlock") not in ANYWHERE:
                continue
            low, high = entry.get("fromPort", 0), entry.get("toPort", 0)
            if entry.get("protocol") in ("-1", "all") or any(low <= p <= high for p in (22, 3389)):
                yield Finding(
                    "EC2.21", acl.name, f"rule {entry.get('ruleNo')} admits SSH/RDP/all from anywhere"
                )


@rule
def multi_az(resources: Sequence[Resource]) -> Iterable[Finding]:
    for lb in _of(resources, "aws:lb/loadBalancer:LoadBalancer"):
        if len(lb.inputs.get("subnets") or []) < 2:
            yield Finding("ELB.13", lb.name, "load balancer spans fewer than two zones")
    for group in _of(resources, "aws:autoscaling/group:Group"):
        if len(group.inputs.get("vpcZoneIdentifiers") or []) < 2:
            yield Finding("AutoScaling.2", group.name, "auto scaling group spans fewer than two zones")


@rule
def container_insights(resources: Sequence[Resource]) -> Iterable[Finding]:
    for cluster in _of(resources, "aws:ecs/cluster:Cluster"):
        settings = {s.get("name"): s.get("value") for s in cluster.inputs.get("settings") or []}
        if settings.get("containerInsights") not in {"enabled", "enhanced"}:
            yield Finding("ECS.12", cluster.name, "Container Insights is off")


@rule
def launch_templates(resources: Sequence[Resource]) -> Iterable[Finding]:
    for template in _of(resources, "aws:ec2/launchTemplate:LaunchTemplate"):
        metadata = template.inputs.get("metadataOptions") or {}
        if metadata.get("httpTokens") != "required" or metadata.get("httpPutResponseHopLimit") != 1:
            yield Finding("EC2.8", template.name, "IMDSv2 not required with hop limit 1")
        for interface in template.inputs.get("networkInterfaces") or []:
            if str(interface.get("associatePublicIpAddress")).lower() == "true":
                yield Finding("EC2.25", template.name, "instances get public IPs")
        for device in template.inputs.get("blockDeviceMappings") or []:
            if str((device.get("ebs") or {}).get("encrypted")).lower() != "true":
                yield Finding("EC2.181", template.name, "EBS volume not encrypted")


@rule
def instances(resources: Sequence[Resource]) -> Iterable[Finding]:
    for instance in _of(resources, "aws:ec2/instance:Instance"):
        if instance.inputs.get("associatePublicIpAddress"):
            yield Finding("EC2.9", instance.name, "instance has a public IPv4 address")
        # Launched from a template: the template's own findings (EC2.8, EC2.181) cover it.
        if not instance.inputs.get("launchTemplate"):
            metadata = instance.inputs.get("metadataOptions") or {}
            if metadata.get("httpTokens") != "required":
                yield Finding("EC2.8", instance.name, "IMDSv2 not required")
            if not (instance.inputs.get("rootBlockDevice") or {}).get("encrypted"):
                yield Finding("EC2.181", instance.name, "root volume not encrypted")


@rule
def capacity_providers(resources: Sequence[Resource]) -> Iterable[Finding]:
    for provider in _of(resources, "aws:ecs/capacityProvider:CapacityProvider"):
        asg = provider.inputs.get("autoScalingGroupProvider") or {}
        if asg.get("managedTerminationProtection") != "ENABLED":
            yield Finding("ECS.19", provider.name, "managed termination protection off")
        if (asg.get("managedScaling") or {}).get("status") != "ENABLED":
            yield Finding("ECS.19", provider.name, "managed scaling off")
    for group in _of(resources, "aws:autoscaling/group:Group"):
        if not group.inputs.get("protectFromScaleIn"):
            yield Finding("ECS.19", group.name, "instances not protected from scale-in")


@rule
def listeners(resources: Sequence[Resource]) -> Iterable[Finding]:
    for listener in _of(resources, "aws:lb/listener:Listener"):
        protocol = listener.inputs.get("protocol")
        actions = listener.inputs.get("defaultActions") or []
        if protocol == "HTTP":
            yield Finding("ELB.18", listener.name, "listener uses HTTP")
            redirects = len(actions) == 1 and (actions[0].get("redirect") or {}).get("protocol") == "HTTPS"
            if not redirects:
                yield Finding("ELB.1", listener.name, "HTTP listener does not only redirect to HTTPS")
        if protocol == "HTTPS" and listener.inputs.get("sslPolicy") not in ACCEPTED_TLS_POLICIES:
            yield Finding(
                "ELB.17", listener.name, f"TLS policy {listener.inputs.get('sslPolicy')} not accepted"
            )


@rule
def load_balancers(resources: Sequence[Resource]) -> Iterable[Finding]:
    associated = {
        a.inputs.get("resourceArn") for a in _of(resources, "aws:wafv2/webAclAssociation:WebAclAssociation")
    }
    for lb in _of(resources, "aws:lb/loadBalancer:LoadBalancer"):
        inputs = lb.inputs
        if not inputs.get("dropInvalidHeaderFields"):
            yield Finding("ELB.4", lb.name, "invalid header fields are not dropped")
        if inputs.get("desyncMitigationMode") not in {"defensive", "strictest"}:
            yield Finding("ELB.12", lb.name, "desync mitigation below defensive")
        if not (inputs.get("accessLogs") or {}).get("enabled"):
            yield Finding("ELB.5", lb.name, "access logs off")
        if not inputs.get("enableDeletionProtection"):
            yield Finding("ELB.6", lb.name, "deletion protection off")
        if not inputs.get("internal") and not associated:
            yield Finding("ELB.16", lb.name, "internet-facing load balancer without a WAF web ACL")
