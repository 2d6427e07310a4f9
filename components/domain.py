"""An environment's domain: its Route 53 zone, a DNS-validated certificate, and alias records.

The certificate covers the name and ``*.name`` (services' hosts live one label below it); ACM asks
the same CNAME for both, so one validation record proves both. Whoever uses the certificate gets
its ARN from the validation, i.e. only once ACM has issued it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class DomainArgs:
    name: str
    """The environment's name (``app.example.com``); required. Its certificate is DNS-validated."""
    zone_name: str | None = None
    """The public hosted zone to look up by name…"""
    zone_id: str | None = None
    """…or by id; with neither (the default), a zone for ``name`` itself is created."""
    awaiting_delegation: bool = False
    """A created zone nobody has delegated yet: ACM could not validate in it (the certificate would
    wait until its timeout), so only the zone is made and its name servers told. Default False:
    the zone answers for the name (looked up, or delegated already)."""
    tags: dict[str, str] = field(default_factory=dict)
    """On the zone and certificate; default none (the stack's tags come by transformation)."""
    production: bool = True
    """A created zone is ``protect``ed: a replaced zone gets four new name servers and silently breaks
    the delegation in the parent zone. Default True; development lets ``pulumi destroy`` remove it."""


class Domain(pulumi.ComponentResource):
    name: str
    zone_id: pulumi.Output[str]
    certificate_arn: pulumi.Output[str]
    """Known once the certificate is issued."""
    name_servers: pulumi.Output[list[str]] | None
    """Of a created zone: delegate the name to them from its parent zone."""

    def __init__(self, name: str, args: DomainArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:network:Domain", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.name, self.name_servers = args.name, None
        if args.zone_id is not None:
            self.zone_id = pulumi.Output.from_input(args.zone_id)
        elif args.zone_name is not None:
            zone = aws.route53.get_zone_output(
                name=args.zone_name, private_zone=False, opts=pulumi.InvokeOutputOptions(parent=self)
            )
            self.zone_id = zone.zone_id
        else:
            created = aws.route53.Zone(
                f"{name}-zone",
                name=args.name,
                comment=f"muon: {args.name}",
                tags=args.tags,
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(protect=args.production)),
            )
            self.zone_id, self.name_servers = created.zone_id, created.name_servers
        if args.awaiting_delegation:
            assert self.name_servers is not None
            self.name_servers.apply(lambda servers: pulumi.log.warn(delegation_message(args.name, servers)))
            self.register_outputs({"zoneId": self.zone_id, "nameServers": self.name_servers})
            return
        self.certificate_arn = validated_certificate(
            name,
            domain_name=args.name,
            alternative_names=[f"*.{args.name}"],
            zone_id=self.zone_id,
            tags=args.tags,
            opts=child,
        )
        self.register_outputs(
            {"zoneId": self.zone_id, "certificateArn": self.certificate_arn, "nameServers": self.name_servers}
        )


def delegation_message(name: str, servers: list[str]) -> str:
    """What to put in the parent zone, once the created zone's name servers are known."""
    records = ", ".join(servers)
    return (
        f"the zone {name} is created but not delegated: in its parent zone, add the NS record {name} -> "
        f"{records}; then list the environment under muon:delegatedZones and run again (the certificate "
        "and the rest of the environment follow)"
    )


def validated_certificate(
    name: str,
    *,
    domain_name: str,
    zone_id: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
    alternative_names: list[str] | None = None,
    region: str | None = None,
    tags: dict[str, str] | None = None,
) -> pulumi.Output[str]:
    """A DNS-validated ACM certificate (in ``region``: CloudFront's live in us-east-1), its
    validation record in ``zone_id``; its ARN once issued. ACM asks one CNAME for a name and its
    wildcard, so one record proves both."""
    certificate = aws.acm.Certificate(
        f"{name}-certificate",
        domain_name=domain_name,
        subject_alternative_names=alternative_names,
        validation_method="DNS",
        options={"certificate_transparency_logging_preference": "ENABLED"},
        region=region,
        tags=tags,
        opts=opts,
    )
    option = certificate.domain_validation_options.apply(lambda options: options[0])
    record = aws.route53.Record(
        f"{name}-certificate-validation",
        zone_id=zone_id,
        name=option.apply(lambda o: o.resource_record_name),
        type=option.apply(lambda o: o.resource_record_type),
        records=[option.apply(lambda o: o.resource_record_value)],
        ttl=300,
        # ACM asks one record per name and account: a record already in the zone (a validation
        # made by hand before muon) is adopted. Within a stack each name has one certificate and so
        # one owner of this record (stacks/resolve/names.py): no other resource deletes it.
        allow_overwrite=True,
        opts=opts,
    )
    return aws.acm.CertificateValidation(
        f"{name}-certificate-issued",
        certificate_arn=certificate.arn,
        validation_record_fqdns=[record.fqdn],
        region=region,
        opts=opts,
    ).certificate_arn


def alias_record(
    resource_name: str,
    *,
    zone_id: pulumi.Input[str],
    fqdn: str,
    dns_name: pulumi.Input[str],
    dns_zone_id: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> aws.route53.Record:
    """``fqdn`` → the load balancer (an A alias: the load balancer is IPv4)."""
    return aws.route53.Record(
        resource_name,
        zone_id=zone_id,
        name=fqdn,
        type="A",
        aliases=[{"name": dns_name, "zone_id": dns_zone_id, "evaluate_target_health": True}],
        opts=opts,
    )
