"""The environment's application load balancer: listeners, a fixed 404 by default, access logs."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from muon.components.bucket import PrivateBucket, PrivateBucketArgs
from muon.components.context import AwsContext
from muon.components.naming import LEGACY_NAMESPACE, scoped, unique_name
from muon.components.tls_policies import TLS_POLICIES  # noqa: F401 - callers import it from here too

# Regions opened before August 2022 deliver ALB access logs from a regional ELB account;
# newer ones from the log-delivery service principal (ELB user guide, "access logs").
ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887",
    "ap-northeast-3": "383597477331",
    "ap-south-1": "718504428378",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-southeast-3": "589379963580",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-north-1": "897822967062",
    "eu-south-1": "635631232127",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
}
LOG_PREFIX = "alb"
# Regions opened since (every region botocore knows is in one list or the other; a test says so).
ELB_LOG_PRINCIPAL_ONLY = frozenset(
    {
        "ap-east-2", "ap-south-2", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
        "ca-west-1", "eu-central-2", "eu-south-2", "il-central-1", "me-central-1", "me-west-1",
        "mx-central-1", "sa-west-1", "eusc-de-east-1",
    }
)  # fmt: skip


def uncovered(peers: tuple[str, ...], ingress: tuple[str, ...]) -> list[str]:
    """The peer networks no ingress block already admits (0.0.0.0/0 admits every one)."""
    return [
        peer
        for peer in peers
        if not any(ipaddress.IPv4Network(peer).subnet_of(ipaddress.IPv4Network(block)) for block in ingress)
    ]


def load_balancer_name(environment: str, internal: bool, namespace: str = LEGACY_NAMESPACE) -> str:
    """At most 32 characters, never ``internal-…`` (AWS reserves it), and new exactly when the
    load balancer is replaced (``internal`` cannot change in place)."""
    readable = scoped(namespace, environment)
    readable = f"lb-{readable}" if readable.startswith("internal") else readable
    return unique_name(readable, 32, "internal" if internal else "internet-facing")


@dataclass(frozen=True)
class LoadBalancerArgs:
    context: AwsContext
    """Account, region, partition and namespace; required."""
    vpc_id: pulumi.Input[str] | None = None
    """Required at creation (None raises); the Environment passes its own."""
    vpc_cidr: pulumi.Input[str] | None = None
    """Required at creation: the only destination its security group lets it reach."""
    subnet_ids: pulumi.Input[list[str]] | None = None
    """Required at creation: public subnets when internet-facing, private when internal."""
    internal: bool = True
    """Default True, as CDK's ``internetFacing: false``: nothing is on the internet unless asked."""
    ingress_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    """Who may connect (ports 443 and 80, 80 only redirecting with a certificate); default
    everyone who can route to it: the VPC and its peers when internal."""
    peer_cidrs: tuple[str, ...] = ()
    """An internal one: networks outside the VPC that may reach it beside ``ingress_cidrs`` (a VPN,
    a peering); default none."""
    admitted_security_groups: tuple[pulumi.Input[str], ...] = ()
    """Security groups whose members may reach the listeners (the pipeline's tests in the VPC);
    default none."""
    certificate_arn: pulumi.Input[str] | None = None
    """HTTPS on it, HTTP only redirecting; None: plain HTTP (no certificate can be guessed; the
    definition refuses plain HTTP in production unless asked)."""
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    """Default: TLS 1.3 and 1.2 with forward secrecy only (ELB.17's list)."""
    idle_timeout: int = 60
    """Seconds; default 60 (ELB's)."""
    deletion_protection: bool = True
    """Default True (ELB.6); its access log bucket then survives it too."""
    access_logs: bool = True
    """Default True (ELB.5): to a private bucket of its own."""
    access_log_days: int = 90
    """Days the access logs are kept; default 90 (no control asks for more of request logs)."""
    web_acl_arn: pulumi.Input[str] | None = None
    """A web ACL to associate; default None (the Environment's ``firewall_rate_limit`` makes one)."""
    tags: dict[str, str] = field(default_factory=dict)
    """On every resource of the load balancer; default none (the stack's tags come by transformation)."""


class LoadBalancer(pulumi.ComponentResource):
    arn: pulumi.Output[str]
    arn_suffix: pulumi.Output[str]
    dns_name: pulumi.Output[str]
    zone_id: pulumi.Output[str]
    url: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    listener_arn: pulumi.Output[str]
    """The listener services attach their rules to: HTTPS with a certificate, else HTTP."""
    http_listener_arn: pulumi.Output[str]
    https_listener_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:network:LoadBalancer", name, None, opts)
        if args.vpc_id is None or args.subnet_ids is None or args.vpc_cidr is None:
            raise ValueError("LoadBalancerArgs needs vpc_id, vpc_cidr and subnet_ids")
        child = pulumi.ResourceOptions(parent=self)
        https = args.certificate_arn is not None
        ports = [443, 80] if https else [80]
        group = aws.ec2.SecurityGroup(
            f"{name}-alb-sg",
            vpc_id=args.vpc_id,
            description=f"Load balancer of {name}",
            ingress=[
                *[
                    {
                        "description": f"{'HTTPS' if port == 443 else 'HTTP'} from {cidr}",
                        "protocol": "tcp",
                        "from_port": port,
                        "to_port": port,
                        "cidr_blocks": [cidr],
                    }
                    for port in ports
                    for cidr in (*args.ingress_cidrs, *uncovered(args.peer_cidrs, args.ingress_cidrs))
                ],
                *[
                    {
                        "description": f"{'HTTPS' if port == 443 else 'HTTP'} from the pipeline's tests",
                        "protocol": "tcp",
                        "from_port": port,
                        "to_port": port,
                        "security_groups": [group_id],
                    }
                    for port in ports
                    for group_id in args.admitted_security_groups
                ],
            ],
            egress=[
                {
                    "description": "To targets inside the VPC",
                    "protocol": "tcp",
                    "from_port": 0,
                    "to_port": 65535,
                    "cidr_blocks": [args.vpc_cidr],
                }
            ],
            tags={**args.tags, "Name": f"{name}-alb"},
            opts=child,
        )
        lb_opts = child
        access_logs = None
        if args.access_logs:
            logs = self._log_bucket(name, args)
            access_logs = {"bucket": logs.bucket, "prefix": LOG_PREFIX, "enabled": True}
            # The load balancer checks that it may write to the bucket when logging is turned on.
            assert logs.policy is not None  # the log bucket keeps PrivateBucketArgs' policy=True
            lb_opts = child.merge(pulumi.ResourceOptions(depends_on=[logs.policy]))
        lb = aws.lb.LoadBalancer(
            f"{name}-alb",
            name=load_balancer_name(name, args.internal, args.context.namespace),
            load_balancer_type="application",
            internal=args.internal,
            security_groups=[group.id],
            subnets=args.subnet_ids,
            drop_invalid_header_fields=True,
            desync_mitigation_mode="defensive",
            enable_deletion_protection=args.deletion_protection,
            idle_timeout=args.idle_timeout,
            access_logs=access_logs,
            tags=args.tags,
            opts=lb_opts,
        )
        not_found = {
            "type": "fixed-response",
            "fixed_response": {
                "content_type": "text/plain",
                "message_body": "Not found",
                "status_code": "404",
            },
        }
        self.https_listener_arn = None
        if https:
            secure = aws.lb.Listener(
                f"{name}-https",
                load_balancer_arn=lb.arn,
                port=443,
                protocol="HTTPS",
                ssl_policy=args.ssl_policy,  # always explicit: the API default is the 2016 policy
                certificate_arn=args.certificate_arn,
                default_actions=[not_found],
                tags=args.tags,
                opts=child,
            )
            http = aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=lb.arn,
                port=80,
                protocol="HTTP",
                default_actions=[
                    {
                        "type": "redirect",
                        "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"},
                    }
                ],
                tags=args.tags,
                opts=child,
            )
            self.https_listener_arn = secure.arn
            self.listener_arn = secure.arn
            scheme = "https"
        else:
            http = aws.lb.Listener(
                f"{name}-http",
                load_balancer_arn=lb.arn,
                port=80,
                protocol="HTTP",
                default_actions=[not_found],
                tags=args.tags,
                opts=child,
            )
            self.listener_arn = http.arn
            scheme = "http"
        if args.web_acl_arn is not None:
            aws.wafv2.WebAclAssociation(
                f"{name}-waf", resource_arn=lb.arn, web_acl_arn=args.web_acl_arn, opts=child
            )
        self.arn = lb.arn
        self.arn_suffix = lb.arn_suffix
        self.dns_name = lb.dns_name
        self.zone_id = lb.zone_id
        self.url = lb.dns_name.apply(lambda dns: f"{scheme}://{dns}")
        self.security_group_id = group.id
        self.http_listener_arn = http.arn
        self.register_outputs(
            {
                "arn": self.arn,
                "dnsName": self.dns_name,
                "url": self.url,
                "listenerArn": self.listener_arn,
            }
        )

    def _log_bucket(self, name: str, args: LoadBalancerArgs) -> PrivateBucket:
        context = args.context

        def delivery(bucket_arn: pulumi.Output[str]) -> list[dict]:
            objects = bucket_arn.apply(lambda arn: f"{arn}/{LOG_PREFIX}/AWSLogs/{context.account_id}/*")
            principals: list[dict] = [{"Service": f"logdelivery.elasticloadbalancing.{context.dns_suffix}"}]
            if context.region in ELB_LOG_ACCOUNTS:
                account = ELB_LOG_ACCOUNTS[context.region]
                principals.append({"AWS": f"arn:{context.partition}:iam::{account}:root"})
            return [
                {
                    "Sid": f"LoadBalancerLogDelivery{index}",
                    "Effect": "Allow",
                    "Principal": principal,
                    "Action": "s3:PutObject",
                    "Resource": objects,
                }
                for index, principal in enumerate(principals)
            ]

        # ALB access logs support only SSE-S3 (an exception in components/compliance.py).
        return PrivateBucket(
            f"{name}-alb-logs",
            PrivateBucketArgs(
                key_arn=None,
                expire_after_days=args.access_log_days,
                extra_statements=delivery,
                force_destroy=not args.deletion_protection,
                tags=args.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
