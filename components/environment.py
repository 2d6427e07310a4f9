"""An Environment: key, network, ECS cluster, load balancer and alarm topic, wired together."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from muon.components.alarms import topic_alarm
from muon.components.backup import Continuity, ContinuityArgs
from muon.components.cluster import Cluster, ClusterArgs
from muon.components.cluster_hosts import no_proxy
from muon.components.context import AwsContext
from muon.components.domain import Domain, DomainArgs, alias_record
from muon.components.encryption import ExistingKey, Key, KeyArgs, key_or_existing
from muon.components.firewall import FirewallArgs, WebFirewall
from muon.components.incident import incident_log
from muon.components.load_balancer import LoadBalancer, LoadBalancerArgs
from muon.components.load_balancers import extra_load_balancers, load_balancer_alarm
from muon.components.network import Network, NetworkArgs
from muon.components.service_args import EnvironmentWiring
from muon.components.topic import notification_topic, slack_channel


@dataclass(frozen=True, kw_only=True)
class EnvironmentArgs:
    """An Environment's arguments; keyword-only, so that a default never depends on the fields'
    order. The network, cluster and load balancer carry their own safe defaults."""

    context: AwsContext
    """Account, region, partition and namespace; required."""
    production: bool = True
    """Default True: the services it hosts are told they run in production (``EnvironmentWiring``).
    False is a development stack's explicit choice."""
    network: NetworkArgs
    """Required: its zones (``NetworkArgs``)."""
    cluster: ClusterArgs
    """Required only for its context; ``ClusterArgs(context=…)`` is Fargate with Container Insights."""
    load_balancer: LoadBalancerArgs
    """Required only for its context; ``LoadBalancerArgs(context=…)`` is internal and protected."""
    load_balancers: tuple[str, ...] = ()
    """Load balancers beside the first, by name (its web services' ``loadBalancer`` keys), each like
    ``load_balancer``; default none: one load balancer (100 web services at most)."""
    log_retention_days: int = 365
    """Its log groups' and its services' retention; default 365 (CloudWatch.16)."""
    alarm_emails: tuple[str, ...] = ()
    """Subscribed to the alarm topic (each confirms by mail); default none."""
    alarm_slack: tuple[str, str] | None = None
    """(Slack workspace id, channel id): the alarm topic in a channel, through AWS Chatbot; default
    None."""
    domain: DomainArgs | None = None
    """HTTPS on the environment's own name, with its certificate and DNS records; default None:
    the load balancer's own name (and HTTPS only with ``load_balancer.certificate_arn``)."""
    firewall_rate_limit: int | None = None
    """A managed web ACL in front of the load balancer, with this rate limit; None: none (or the
    load balancer's own ``web_acl_arn``). Default None: the rate that suits an application is
    not knowable here (the production tier turns it on)."""
    firewall_count_rules: tuple[str, ...] = ()
    """Rules of the managed web ACL's common rule set that count instead of block; default none
    (the tiers count ``COUNTABLE_RULES`` unless the definition blocks them)."""
    key_arn: str | None = None
    """The company's key for logs, alarms and parameters (``keys.logs``); None: muon creates one.
    Encrypted either way."""
    continuity: ContinuityArgs | None = None
    """AWS Backup for the environment's stateful resources (tagged for it); default None: RDS's own
    automated backups only."""
    delivering_topic_arns: tuple[str, ...] = ()
    """SNS topics delivering to the environment's (encrypted) worker queues: the key lets SNS use it
    for them. Default none."""
    tags: dict[str, str] = field(default_factory=dict)
    """On every resource of the environment; default none (the stack's tags come by transformation)."""


class Environment(pulumi.ComponentResource):
    key: Key | ExistingKey
    network: Network
    cluster: Cluster
    load_balancer: LoadBalancer
    load_balancers: dict[str, LoadBalancer]
    """The others, by name (``EnvironmentArgs.load_balancers``)."""
    alarm_topic_arn: pulumi.Output[str]
    log_retention_days: int
    production: bool
    continuity: Continuity | None
    domain: Domain | None

    def __init__(self, name: str, args: EnvironmentArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:network:Environment", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self._namespace = args.context.namespace
        self.production = args.production
        self.log_retention_days = args.log_retention_days
        self.awaiting_delegation = args.domain is not None and args.domain.awaiting_delegation
        if self.awaiting_delegation:
            # Its zone alone (the same URN as later): nothing else can finish before the
            # delegation (the load balancer's listener waits for the certificate).
            assert args.domain is not None
            self.domain = Domain(name, dataclasses.replace(args.domain, tags=args.tags), opts=child)
            self.register_outputs(self.outputs())
            return
        self.key = key_or_existing(
            f"{name}",
            args.key_arn,
            KeyArgs(
                context=args.context,
                description=f"muon environment {name}: logs, alarms, parameters",
                alias=f"{args.context.namespace}/{name}",
                tags=args.tags,
                delivering_topic_arns=args.delivering_topic_arns,
            ),
            opts=child,
        )
        self.network = Network(
            name,
            dataclasses.replace(args.network, key_arn=self.key.arn, tags=args.tags),
            opts=child,
        )
        self._cluster_args = args.cluster
        self.cluster = Cluster(
            name,
            dataclasses.replace(
                args.cluster,
                vpc_id=self.network.vpc_id,
                private_subnet_ids=self.network.private_subnet_ids,
                vpc_cidr=self.network.vpc_cidr,
                tags=args.tags,
            ),
            opts=child,
        )
        lb_args = args.load_balancer
        self.domain = (
            Domain(name, dataclasses.replace(args.domain, tags=args.tags), opts=child)
            if args.domain
            else None
        )
        if self.domain is not None:
            lb_args = dataclasses.replace(lb_args, certificate_arn=self.domain.certificate_arn)
        if args.firewall_rate_limit is not None:
            firewall = WebFirewall(
                name,
                FirewallArgs(
                    name=f"{args.context.namespace}-{name}",
                    rate_limit=args.firewall_rate_limit,
                    count_rules=args.firewall_count_rules,
                    key_arn=self.key.arn,
                    log_retention_days=args.log_retention_days,
                    tags=args.tags,
                ),
                opts=child,
            )
            lb_args = dataclasses.replace(lb_args, web_acl_arn=firewall.arn)
        self.tests_security_group_id = self._tests_group(name, args, child) if lb_args.internal else None
        if self.tests_security_group_id is not None:
            lb_args = dataclasses.replace(lb_args, admitted_security_groups=(self.tests_security_group_id,))
        self.load_balancer_args = dataclasses.replace(
            lb_args,
            vpc_id=self.network.vpc_id,
            vpc_cidr=self.network.vpc_cidr,
            subnet_ids=(
                self.network.private_subnet_ids if lb_args.internal else self.network.public_subnet_ids
            ),
            tags=args.tags,
        )
        self.load_balancer = LoadBalancer(name, self.load_balancer_args, opts=child)
        self.alarm_topic_arn = self._alarm_topic(name, args, child)
        # ECS's events that page (a failed deployment, a crashed task), kept for whoever is on call;
        # service projects attached to this environment write theirs here too.
        self.incident_log_arn = incident_log(
            name,
            context=args.context,
            log_group_name=f"/aws/events/{self._namespace}-{name}/incidents",
            policy_name=f"{self._namespace}-{name}-incidents",
            key_arn=self.key.arn,
            retention_days=args.log_retention_days,
            tags=args.tags,
            opts=child,
        )
        self.continuity = (
            Continuity(
                name,
                dataclasses.replace(
                    args.continuity,
                    vpc_id=self.network.vpc_id,
                    isolated_subnet_ids=self.network.isolated_subnet_ids,
                    alarm_topic_arn=self.alarm_topic_arn,
                ),
                opts=child,
            )
            if args.continuity is not None
            else None
        )
        if self.domain is not None:
            alias_record(
                f"{name}-domain",
                zone_id=self.domain.zone_id,
                fqdn=self.domain.name,
                dns_name=self.load_balancer.dns_name,
                dns_zone_id=self.load_balancer.zone_id,
                opts=child,
            )
        elif lb_args.certificate_arn is not None:
            # A certificate brought along is renewed by whoever imported it: warn a month ahead.
            topic_alarm(
                f"{name}-certificate-expiry",
                alarm_name=f"{self._namespace}-{name}-certificate-expiry",
                description=f"muon {name}: the load balancer's certificate expires within 30 days",
                namespace="AWS/CertificateManager",
                metric="DaysToExpiry",
                dimensions={"CertificateArn": lb_args.certificate_arn},
                statistic="Minimum",
                threshold=30,
                comparison="LessThanThreshold",
                period=86400,
                datapoints=1,
                evaluation_periods=1,
                topic_arn=self.alarm_topic_arn,
                tags=args.tags,
                opts=child,
            )
        load_balancer_alarm(
            f"{name}-alb-5xx",
            f"{self._namespace}-{name}-load-balancer-5xx",
            f"muon {name}: the load balancer itself answers 5xx",
            self.load_balancer,
            self.alarm_topic_arn,
            args.tags,
            child,
        )
        self.load_balancers = extra_load_balancers(
            name,
            args.load_balancers,
            dataclasses.replace(self.load_balancer_args, tags=args.tags),
            domain=(self.domain.name, self.domain.zone_id) if self.domain else None,
            topic_arn=self.alarm_topic_arn,
            tags=args.tags,
            opts=child,
        )
        self.register_outputs(self.outputs())

    def _tests_group(
        self, name: str, args: EnvironmentArgs, child: pulumi.ResourceOptions
    ) -> pulumi.Output[str]:
        """The pipeline's tests of an internal load balancer run in the VPC (a CodeBuild project in the
        private subnets) under this group, which the load balancer admits: whatever its ingressCidrs."""
        group = aws.ec2.SecurityGroup(
            f"{name}-tests-sg",
            vpc_id=self.network.vpc_id,
            description=f"Pipeline tests of {self._namespace}-{name}: no inbound, out to the load balancer",
            egress=[
                {
                    "description": "The load balancer, AWS APIs and what the tests fetch",
                    "protocol": "-1",
                    "from_port": 0,
                    "to_port": 0,
                    "cidr_blocks": ["0.0.0.0/0"],
                }
            ],
            tags={**args.tags, "Name": f"{self._namespace}-{name}-tests"},
            opts=child,
        )
        return group.id

    def _alarm_topic(
        self, name: str, args: EnvironmentArgs, child: pulumi.ResourceOptions
    ) -> pulumi.Output[str]:
        topic = notification_topic(
            f"{name}-alarms",
            topic_name=f"{self._namespace}-{name}-alarms",
            context=args.context,
            key_arn=self.key.arn,
            # Alarms, EventBridge rules and RDS event subscriptions of this account.
            publishers=("cloudwatch", "events", "events.rds"),
            emails=args.alarm_emails,
            tags=args.tags,
            opts=child,
        )
        if args.alarm_slack is not None:
            slack_channel(
                f"{name}-alarms",
                configuration_name=f"{self._namespace}-{name}-alarms",
                topic_arn=topic.arn,
                team_id=args.alarm_slack[0],
                channel_id=args.alarm_slack[1],
                context=args.context,
                tags=args.tags,
                opts=child,
            )
        return topic.arn

    def wiring(self) -> EnvironmentWiring:
        """What services deployed into this environment need from it (behind its first load balancer)."""
        return EnvironmentWiring(
            cluster_name=self.cluster.name,
            cluster_arn=self.cluster.arn,
            provider=self.cluster.provider,
            capacity_strategy=self.cluster.capacity_strategy,
            vpc_id=self.network.vpc_id,
            private_subnet_ids=self.network.private_subnet_ids,
            listener_arn=self.load_balancer.listener_arn,
            load_balancer_security_group_id=self.load_balancer.security_group_id,
            load_balancer_arn_suffix=self.load_balancer.arn_suffix,
            load_balancer_url=self.load_balancer.url,
            load_balancer_dns_name=self.load_balancer.dns_name,
            load_balancer_zone_id=self.load_balancer.zone_id,
            domain=self.domain.name if self.domain else None,
            zone_id=self.domain.zone_id if self.domain else None,
            key_arn=self.key.arn,
            alarm_topic_arn=self.alarm_topic_arn,
            log_retention_days=self.log_retention_days,
            production=self.production,
            task_metrics=self.cluster.container_insights,
            private_route_table_ids=tuple(self.network.private_route_table_ids),
            incident_log_arn=self.incident_log_arn,
            proxy_variables=self._proxy_variables(),
        )

    def load_balancer_wiring(self, wiring: EnvironmentWiring, group: str | None) -> EnvironmentWiring:
        """``wiring`` for a service behind load balancer ``group`` (None: the first): its listener,
        its security group, its name; on a domain, ``<group>.<domain>`` (its own DNS record)."""
        if group is None:
            return wiring
        lb = self.load_balancers[group]
        return dataclasses.replace(
            wiring,
            listener_arn=lb.listener_arn,
            load_balancer_security_group_id=lb.security_group_id,
            load_balancer_arn_suffix=lb.arn_suffix,
            load_balancer_url=lb.url,
            load_balancer_dns_name=lb.dns_name,
            load_balancer_zone_id=lb.zone_id,
            domain=f"{group}.{self.domain.name}" if self.domain else None,
            load_balancer_group=group,
        )

    def _proxy_variables(self) -> dict[str, pulumi.Input[str]]:
        """With cluster.httpProxy, every task's HTTP(S)_PROXY and what bypasses it."""
        proxy = self._cluster_args.http_proxy
        if proxy is None:
            return {}
        region = self._cluster_args.context.region
        return {
            "HTTP_PROXY": proxy,
            "HTTPS_PROXY": proxy,
            "NO_PROXY": self.network.vpc_cidr.apply(lambda cidr: no_proxy(cidr, region)),
        }

    def _load_balancer_outputs(self) -> dict[str, dict[str, pulumi.Input[object]]]:
        """The load balancers beside the first (whose outputs keep their top-level keys)."""
        return {
            group: {
                "loadBalancerDnsName": lb.dns_name,
                "loadBalancerUrl": lb.url,
                "httpListenerArn": lb.http_listener_arn,
                "httpsListenerArn": lb.https_listener_arn,
                **({"url": f"https://{group}.{self.domain.name}"} if self.domain else {}),
            }
            for group, lb in self.load_balancers.items()
        }

    def outputs(self) -> dict[str, pulumi.Input[object]]:
        """What the stack exports for this environment (read later by the day-2 commands)."""
        if self.awaiting_delegation:
            assert self.domain is not None
            return {
                "domain": self.domain.name,
                "nameServers": self.domain.name_servers,
                "awaitingDelegation": True,
            }
        lb = self.load_balancer
        return {
            "vpcId": self.network.vpc_id,
            "publicSubnetIds": self.network.public_subnet_ids,
            "privateSubnetIds": self.network.private_subnet_ids,
            "isolatedSubnetIds": self.network.isolated_subnet_ids,
            "privateRouteTableIds": self.network.private_route_table_ids,
            "clusterName": self.cluster.name,
            "clusterArn": self.cluster.arn,
            "loadBalancerDnsName": lb.dns_name,
            "loadBalancerUrl": lb.url,
            "httpListenerArn": lb.http_listener_arn,
            "httpsListenerArn": lb.https_listener_arn,
            "alarmTopicArn": self.alarm_topic_arn,
            "incidentLogArn": self.incident_log_arn,
            "keyArn": self.key.arn,
            "domain": self.domain.name if self.domain else None,
            "url": pulumi.Output.concat("https://", self.domain.name)
            if self.domain
            else self.load_balancer.url,
            "nameServers": self.domain.name_servers if self.domain else None,
            **({"testSecurityGroupId": self.tests_security_group_id} if self.tests_security_group_id else {}),
            **({"loadBalancers": self._load_balancer_outputs()} if self.load_balancers else {}),
            **(self.continuity.outputs() if self.continuity else {}),
        }
