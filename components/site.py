"""A static site: a private, KMS-encrypted S3 bucket behind CloudFront (origin access control).

Nothing reads the bucket but this distribution (the bucket policy names it by ``AWS:SourceArn``);
viewers get HTTPS only (TLS 1.2+ on the site's own name, HTTP/2 and HTTP/3), compressed responses,
the security headers of a response headers policy, a 404 page — or, for a single-page app,
``index.html`` for any path the bucket lacks. On the environment's domain the certificate is
ACM's in us-east-1 (CloudFront takes no other) with A and AAAA alias records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from muon.components.bucket import AccessLogBucket, PrivateBucket, PrivateBucketArgs
from muon.components.context import AwsContext
from muon.components.domain import validated_certificate
from muon.components.encryption import key_policy, rotating_key
from muon.components.firewall import FirewallArgs, WebFirewall
from muon.components.naming import fit
from muon.components.policies import document, to_json

CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
"""AWS's managed cache policy for S3 origins (CloudFront developer guide, managed cache policies)."""
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"
"""The hosted zone of every CloudFront distribution, for alias records."""
CERTIFICATE_REGION = "us-east-1"


@dataclass(frozen=True)
class SiteHeaders:
    """The security headers CloudFront adds to every response."""

    content_security_policy: str
    """Required: only the site knows what it loads."""
    frame_options: Literal["DENY", "SAMEORIGIN"] = "DENY"
    """Default DENY: no page frames the site (clickjacking)."""
    referrer_policy: str = "strict-origin-when-cross-origin"
    """Default: browsers' own default, stated (no path leaks to other origins)."""
    hsts_max_age: int = 63_072_000
    """Strict-Transport-Security seconds; default two years (the HSTS preload list's minimum is one)."""


@dataclass(frozen=True)
class SiteArgs:
    context: AwsContext
    """Account, region, partition and namespace; required."""
    name: str
    """``<namespace>-<env>-<site>``: the distribution's comment and the policies' names; required."""
    headers: SiteHeaders
    """Required for its content security policy (``SiteHeaders``)."""
    spa: bool = False
    """A single-page application: unknown paths answer ``index.html``; default False (404)."""
    not_found: str = "404.html"
    """The page that answers a missing path; default ``404.html``."""
    host: str | None = None
    """The full name on the environment's domain; None: CloudFront's own name."""
    zone_id: pulumi.Input[str] | None = None
    """The hosted zone of ``host``; needed with it."""
    waf_rate_limit: int | None = None
    """A managed web ACL (CLOUDFRONT scope) with this rate limit; None: none. Default None: the
    rate that suits a site is not knowable here (the production tier turns it on)."""
    log_retention_days: int = 365
    """The web ACL's logs; default 365 (CloudWatch.16)."""
    price_class: str = "PriceClass_100"
    """CloudFront's edge locations; default the cheapest class (North America, Europe, Israel)."""
    production: bool = True
    """Default True: access logs kept a year, and the bucket never force-deleted with its files.
    False is a development stack's explicit choice."""
    tags: dict[str, str] = field(default_factory=dict)
    """Default none (the stack's tags come by transformation)."""


class StaticSite(pulumi.ComponentResource):
    bucket: pulumi.Output[str]
    distribution_id: pulumi.Output[str]
    domain_name: pulumi.Output[str]
    url: pulumi.Output[str]

    def __init__(self, name: str, args: SiteArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:site:StaticSite", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        context = args.context
        distributions = f"arn:{context.partition}:cloudfront::{context.account_id}:distribution/*"
        key = rotating_key(
            f"{name}-key",
            description=f"muon {args.name}: the site's files",
            policy=site_key_policy(context, distributions),
            tags=args.tags,
            opts=child,
        )
        access_logs = (
            AccessLogBucket(
                f"{fit(name, 30)}-access-logs",
                account_id=context.account_id,
                expire_after_days=365,
                tags=args.tags,
                opts=child,
            )
            if args.production
            else None
        )
        bucket_args = PrivateBucketArgs(
            key_arn=key.arn,
            force_destroy=not args.production,
            policy=False,
            access_log_bucket=access_logs.target if access_logs else None,
            tags=args.tags,
        )
        # Pulumi names the bucket "<this>-bucket-<7 random>": 63 characters at most, S3's limit.
        bucket = PrivateBucket(fit(f"{name}-files", 48), bucket_args, opts=child)
        if access_logs is not None:
            access_logs.admit([bucket.arn])
        access = aws.cloudfront.OriginAccessControl(
            f"{name}-origin-access",
            name=fit(args.name, 64),
            description=f"muon {args.name}: CloudFront reads the site's bucket",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=child,
        )
        headers = aws.cloudfront.ResponseHeadersPolicy(
            f"{name}-headers",
            name=fit(args.name, 128),
            comment=f"muon {args.name}: security headers",
            security_headers_config={
                "strict_transport_security": {
                    "access_control_max_age_sec": args.headers.hsts_max_age,
                    "include_subdomains": True,
                    "preload": True,
                    "override": True,
                },
                "content_type_options": {"override": True},
                "frame_options": {"frame_option": args.headers.frame_options, "override": True},
                "referrer_policy": {"referrer_policy": args.headers.referrer_policy, "override": True},
                "content_security_policy": {
                    "content_security_policy": args.headers.content_security_policy,
                    "override": True,
                },
            },
            opts=child,
        )
        certificate_arn = self._certificate(name, args, child) if args.host else None
        firewall = (
            WebFirewall(
                f"{name}-waf",
                FirewallArgs(
                    name=fit(args.name, 128),
                    rate_limit=args.waf_rate_limit,
                    key_arn=self._logs_key(name, args, key, child),
                    log_retention_days=args.log_retention_days,
                    scope="CLOUDFRONT",
                    tags=args.tags,
                ),
                opts=child,
            )
            if args.waf_rate_limit is not None
            else None
        )
        distribution = aws.cloudfront.Distribution(
            f"{name}-distribution",
            enabled=True,
            comment=f"muon {args.name}",
            default_root_object="index.html",
            http_version="http2and3",
            is_ipv6_enabled=True,
            price_class=args.price_class,
            aliases=[args.host] if args.host else None,
            origins=[
                {
                    "origin_id": "site",
                    "domain_name": bucket.regional_domain_name,
                    "origin_access_control_id": access.id,
                }
            ],
            default_cache_behavior={
                "target_origin_id": "site",
                "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ["GET", "HEAD", "OPTIONS"],
                "cached_methods": ["GET", "HEAD"],
                "compress": True,
                "cache_policy_id": CACHING_OPTIMIZED,
                "response_headers_policy_id": headers.id,
            },
            custom_error_responses=error_responses(args.spa, args.not_found),
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate=(
                {
                    "acm_certificate_arn": certificate_arn,
                    "ssl_support_method": "sni-only",
                    "minimum_protocol_version": "TLSv1.2_2021",
                }
                if certificate_arn is not None
                else {"cloudfront_default_certificate": True}
            ),
            web_acl_id=firewall.arn if firewall else None,
            tags=args.tags,
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{fit(f'{name}-files', 48)}-policy",
            bucket=bucket.bucket_id,
            policy=to_json(
                document(
                    *PrivateBucket.policy_statements(bucket.arn, bucket_args),
                    {
                        "Sid": "ThisDistributionReads",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudfront.amazonaws.com"},
                        "Action": "s3:GetObject",
                        "Resource": bucket.arn.apply(lambda arn: f"{arn}/*"),
                        "Condition": {"StringEquals": {"AWS:SourceArn": distribution.arn}},
                    },
                )
            ),
            opts=pulumi.ResourceOptions(parent=bucket),  # the bucket's own policy, as PrivateBucket's
        )
        if args.host and args.zone_id is not None:
            for record_type in ("A", "AAAA"):
                aws.route53.Record(
                    f"{name}-{record_type.lower()}",
                    zone_id=args.zone_id,
                    name=args.host,
                    type=record_type,
                    aliases=[
                        {
                            "name": distribution.domain_name,
                            "zone_id": CLOUDFRONT_ZONE_ID,
                            "evaluate_target_health": False,
                        }
                    ],
                    opts=child,
                )
        self.bucket = bucket.bucket
        self.distribution_id = distribution.id
        self.domain_name = distribution.domain_name
        self.url = (
            pulumi.Output.concat("https://", args.host)
            if args.host
            else distribution.domain_name.apply(lambda domain: f"https://{domain}")
        )
        self.register_outputs(self.outputs())

    def _certificate(self, name: str, args: SiteArgs, child: pulumi.ResourceOptions) -> pulumi.Output[str]:
        """ACM in us-east-1, DNS-validated in the environment's zone; its ARN once issued."""
        assert args.host is not None
        assert args.zone_id is not None
        return validated_certificate(
            name,
            domain_name=args.host,
            zone_id=args.zone_id,
            region=CERTIFICATE_REGION,
            tags=args.tags,
            opts=child,
        )

    def _logs_key(
        self, name: str, args: SiteArgs, site_key: aws.kms.Key, child: pulumi.ResourceOptions
    ) -> pulumi.Output[str]:
        """The web ACL's logs live in us-east-1: the site's key when it is there too, else one there."""
        if args.context.region == CERTIFICATE_REGION:
            return site_key.arn
        there = AwsContext(args.context.account_id, CERTIFICATE_REGION, args.context.partition)
        return rotating_key(
            f"{name}-waf-logs-key",
            description=f"muon {args.name}: the web ACL's logs (us-east-1)",
            policy=key_policy(there, ()),
            region=CERTIFICATE_REGION,
            tags=args.tags,
            opts=child,
        ).arn

    def outputs(self) -> dict[str, pulumi.Input[object]]:
        return {
            "bucket": self.bucket,
            "distributionId": self.distribution_id,
            "domainName": self.domain_name,
            "url": self.url,
        }


def error_responses(spa: bool, not_found: str) -> list[dict[str, object]]:
    """S3 answers 403 for a missing key (CloudFront may not list the bucket): a single-page app
    answers ``index.html`` with 200 instead (its router shows the page); a site, its 404 page."""
    if spa:
        return [
            {
                "error_code": code,
                "response_code": 200,
                "response_page_path": "/index.html",
                "error_caching_min_ttl": 10,
            }
            for code in (403, 404)
        ]
    return [
        {
            "error_code": code,
            "response_code": 404,
            "response_page_path": f"/{not_found}",
            "error_caching_min_ttl": 10,
        }
        for code in (403, 404)
    ]


def site_key_policy(context: AwsContext, distributions: str) -> dict[str, object]:
    """The account administers the key; CloudFront decrypts for this account's distributions (the
    bucket policy narrows reading to this site's distribution)."""
    policy = key_policy(context, ())
    policy["Statement"].append(
        {
            "Sid": "CloudFrontDecrypts",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"StringLike": {"AWS:SourceArn": distributions}},
        }
    )
    return policy
