"""An environment another stack deployed, as this project's services see it.

A platform project's stacks export their environments under one versioned output (the
*contract*, ``muonEnvironments``); a service project attaches to one of them through a Pulumi
``StackReference`` and composes its services, databases and routing with that wiring. This
component holds the reference and offers what an Environment offers its services.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from muon.components.cluster import CapacityItem
from muon.components.context import AwsContext
from muon.components.service_args import EnvironmentWiring

CONTRACT_OUTPUT = "muonEnvironments"
CONTRACT_VERSION = 1
"""Raise it when a key is removed or changes meaning; adding keys keeps it."""


@dataclass(frozen=True)
class AttachedNetwork:
    vpc_id: str
    private_subnet_ids: list[str]
    isolated_subnet_ids: list[str]


class AttachedEnvironment(pulumi.ComponentResource):
    """``contract``: the platform stack's entry for this environment (plain values, already read)."""

    def __init__(
        self,
        name: str,
        contract: dict[str, Any],
        platform: pulumi.StackReference,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("muon:network:AttachedEnvironment", name, None, opts)
        self.contract = contract
        self.platform = platform
        self.network = AttachedNetwork(
            vpc_id=contract["vpcId"],
            private_subnet_ids=list(contract["privateSubnetIds"]),
            isolated_subnet_ids=list(contract["isolatedSubnetIds"]),
        )
        self.alarm_topic_arn = contract["alarmTopicArn"]
        self.log_retention_days = int(contract["logRetentionDays"])
        self.register_outputs({"platformStack": platform.name})

    def wiring(self) -> EnvironmentWiring:
        c = self.contract
        return EnvironmentWiring(
            cluster_name=c["clusterName"],
            cluster_arn=c["clusterArn"],
            provider=c["provider"],
            capacity_strategy=tuple(
                CapacityItem(i["provider"], weight=int(i["weight"]), base=int(i["base"]))
                for i in c["capacityStrategy"]
            ),
            vpc_id=c["vpcId"],
            private_subnet_ids=list(c["privateSubnetIds"]),
            listener_arn=c["listenerArn"],
            load_balancer_security_group_id=c["loadBalancerSecurityGroupId"],
            load_balancer_arn_suffix=c["loadBalancerArnSuffix"],
            load_balancer_url=c["loadBalancerUrl"],
            load_balancer_dns_name=c["loadBalancerDnsName"],
            load_balancer_zone_id=c["loadBalancerZoneId"],
            domain=c.get("domain"),
            zone_id=c.get("zoneId"),
            key_arn=c["keyArn"],
            alarm_topic_arn=c["alarmTopicArn"],
            log_retention_days=int(c["logRetentionDays"]),
            production=c["tier"] == "production",
            # Added in contract version 1 without a bump: absent from older platforms (no metrics).
            task_metrics=bool(c.get("taskMetrics", False)),
            # Added without a bump too: older platforms have no incident log (rules without target).
            incident_log_arn=c.get("incidentLogArn"),
        )

    def outputs(self) -> dict[str, pulumi.Input[object]]:
        """The same keys an Environment exports, so the day-2 commands read either alike."""
        c = self.contract
        return {
            "vpcId": c["vpcId"],
            "privateSubnetIds": c["privateSubnetIds"],
            "isolatedSubnetIds": c["isolatedSubnetIds"],
            "clusterName": c["clusterName"],
            "clusterArn": c["clusterArn"],
            "loadBalancerDnsName": c["loadBalancerDnsName"],
            "loadBalancerUrl": c["loadBalancerUrl"],
            "alarmTopicArn": c["alarmTopicArn"],
            "keyArn": c["keyArn"],
            "domain": c.get("domain"),
            "url": c["url"],
            "platformStack": self.platform.name,
        }


def contract_entry(environment: Any, *, tier: str, context: AwsContext, zones: list[str]) -> dict[str, Any]:
    """What a platform stack exports for ``environment`` (an Environment): everything a service
    project composes with, no more."""
    wiring: EnvironmentWiring = environment.wiring()
    outputs = environment.outputs()
    return {
        "tier": tier,
        "namespace": context.namespace,
        "account": context.account_id,
        "region": context.region,
        "zones": zones,
        "vpcId": wiring.vpc_id,
        "privateSubnetIds": wiring.private_subnet_ids,
        "isolatedSubnetIds": environment.network.isolated_subnet_ids,
        "clusterName": wiring.cluster_name,
        "clusterArn": wiring.cluster_arn,
        "provider": wiring.provider,
        "capacityStrategy": [
            {"provider": i.provider, "weight": i.weight, "base": i.base} for i in wiring.capacity_strategy
        ],
        "listenerArn": wiring.listener_arn,
        "loadBalancerSecurityGroupId": wiring.load_balancer_security_group_id,
        "loadBalancerArnSuffix": wiring.load_balancer_arn_suffix,
        "loadBalancerUrl": wiring.load_balancer_url,
        "loadBalancerDnsName": wiring.load_balancer_dns_name,
        "incidentLogArn": wiring.incident_log_arn,
        # What a service project tags its databases with to join this environment's backups.
        "backupTag": environment.continuity.selection_value if environment.continuity else None,
        "loadBalancerZoneId": wiring.load_balancer_zone_id,
        "url": outputs["url"],
        "domain": wiring.domain,
        "zoneId": wiring.zone_id,
        "keyArn": wiring.key_arn,
        "alarmTopicArn": wiring.alarm_topic_arn,
        "logRetentionDays": wiring.log_retention_days,
        "taskMetrics": wiring.task_metrics,
        # The pipeline's tests of an internal load balancer join the VPC under it (None: public).
        "testSecurityGroupId": outputs.get("testSecurityGroupId"),
    }
