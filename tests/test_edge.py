"""HTTPS, DNS and the edge: the environment's domain, certificate, records, WAF, and HTTPS-only production."""

from __future__ import annotations

import json

import pytest

from muon.plan.offline import Rendering
from muon.policy.rules import evaluate, split_excepted
from muon.stacks.errors import DefinitionError
from tests.aws_models import assert_valid

DOMAIN = "{name: banana.example.com, zone: example.com}"
SERVICE = "services:\n  banana:\n    port: 8080\n    pathPatterns: [/bananas]\n"


def test_production_serves_https_on_its_domain_with_a_validated_certificate(prod: Rendering) -> None:
    certificate = prod.one("aws:acm/certificate:Certificate").inputs
    assert (certificate["domainName"], certificate["subjectAlternativeNames"]) == (
        "banana.example.com",
        ["*.banana.example.com"],
    )
    assert certificate["validationMethod"] == "DNS"
    validation = prod.one("aws:acm/certificateValidation:CertificateValidation")
    https = prod.one("aws:lb/listener:Listener", "production-https")
    # The listener receives the certificate from its validation: only once ACM has issued it.
    assert https.inputs["certificateArn"] == validation.state["certificateArn"]
    assert validation.urn in prod.requirements(https.urn)
    assert https.inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    http = prod.one("aws:lb/listener:Listener", "production-http").inputs
    assert http["defaultActions"] == [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
    ]
    records = {r.name: r.inputs for r in prod.of_type("aws:route53/record:Record")}
    zone = records["production-domain"]["zoneId"]
    assert records["production-certificate-validation"]["zoneId"] == zone
    assert records["production-certificate-validation"]["type"] == "CNAME"
    alias = records["production-domain"]
    balancer = prod.one("aws:lb/loadBalancer:LoadBalancer").state
    assert (alias["name"], alias["type"]) == ("banana.example.com", "A")
    assert alias["aliases"] == [
        {"name": balancer["dnsName"], "zoneId": balancer["zoneId"], "evaluateTargetHealth": True}
    ]


def test_every_url_uses_the_domain(prod: Rendering) -> None:
    assert prod.outputs["environments"]["production"]["url"] == "https://banana.example.com"
    assert prod.outputs["services"]["production"]["banana"]["url"] == "https://banana.example.com/bananas"


def test_production_has_a_managed_waf_that_logs(prod: Rendering) -> None:
    acl = prod.one("aws:wafv2/webAcl:WebAcl")
    rules = acl.inputs["rules"]
    managed = [
        r["statement"]["managedRuleGroupStatement"]["name"]
        for r in rules
        if "managedRuleGroupStatement" in r["statement"]
    ]
    assert managed == [
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    ]
    rate = next(r for r in rules if "rateBasedStatement" in r["statement"])
    assert rate["statement"]["rateBasedStatement"] == {"limit": 2000, "aggregateKeyType": "IP"}
    assert rate["action"] == {"block": {}}
    assert all(r["visibilityConfig"]["sampledRequestsEnabled"] for r in rules)
    association = prod.one("aws:wafv2/webAclAssociation:WebAclAssociation").inputs
    assert association["webAclArn"] == acl.state["arn"]
    assert association["resourceArn"] == prod.one("aws:lb/loadBalancer:LoadBalancer").state["arn"]
    logging = prod.one("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration").inputs
    group = prod.one("aws:cloudwatch/logGroup:LogGroup", "production-logs")
    assert group.inputs["name"] == "aws-waf-logs-muon-production"  # the prefix WAF requires
    assert group.inputs["kmsKeyId"] == prod.outputs["environments"]["production"]["keyArn"]
    assert logging["logDestinationConfigs"] == [group.state["arn"]]


def test_no_exception_excuses_plain_http_or_a_missing_waf_in_production(
    prod: Rendering, dev: Rendering
) -> None:
    _, excepted = split_excepted(evaluate(prod.custom_resources))
    assert {f.control for f, _ in excepted}.isdisjoint({"ELB.1", "ELB.16"})
    # Development keeps both, documented: no domain and no WAF by default there.
    _, excepted = split_excepted(evaluate(dev.custom_resources))
    assert {"ELB.1", "ELB.16"} <= {f.control for f, _ in excepted}


def test_the_rules_catch_plain_http_and_a_missing_waf(render_definition) -> None:
    rendering = render_definition(
        "environments: {production: {loadBalancer: {allowPlainHttp: true}, waf: 'off'}}", ["production"]
    )
    controls = {f.control for f in evaluate(rendering.custom_resources)}
    assert {"ELB.1", "ELB.16"} <= controls


def test_production_without_a_domain_or_certificate_is_refused(render_definition) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition("environments: {production: {}}", ["production"])
    (problem,) = caught.value.problems
    assert problem.endswith(
        "muon.yaml: environments.production: production is HTTPS-only: give it a domain "
        "({name: app.example.com, zone: example.com}) or loadBalancer.certificateArn; "
        "loadBalancer.allowPlainHttp: true serves plain HTTP on purpose"
    )
    rendering = render_definition(
        "environments: {production: {loadBalancer: {allowPlainHttp: true}}}", ["production"]
    )
    (warning,) = rendering.warnings
    assert warning.endswith(
        "environments.production.loadBalancer.allowPlainHttp: production serves plain HTTP (no domain, no certificate)"
    )
    assert rendering.one("aws:lb/listener:Listener").inputs["protocol"] == "HTTP"


def test_service_hosts_get_records_rules_and_urls(render_definition) -> None:
    rendering = render_definition(
        f"environments: {{production: {{domain: {DOMAIN}}}}}\n"
        "services:\n  banana:\n    port: 8080\n    hosts: [api, www.banana.example.com]\n"
        "  apple:\n    port: 8080\n    pathPatterns: [/apples]\n",
        ["production"],
    )
    records = {
        r.inputs["name"] for r in rendering.of_type("aws:route53/record:Record") if r.inputs["type"] == "A"
    }
    assert records == {"banana.example.com", "api.banana.example.com", "www.banana.example.com"}
    rule = rendering.one("aws:lb/listenerRule:ListenerRule", "production-banana-rule").inputs
    assert rule["conditions"] == [
        {"hostHeader": {"values": ["api.banana.example.com", "www.banana.example.com"]}}
    ]
    urls = {name: s["url"] for name, s in rendering.outputs["services"]["production"].items()}
    # Routed by host alone, reached on that host.
    assert urls == {"banana": "https://api.banana.example.com/", "apple": "https://banana.example.com/apples"}


def test_a_service_routed_by_host_pattern_alone_gets_a_url_that_reaches_it(render_definition) -> None:
    rendering = render_definition(
        "environments: {dev: {}}\nservices:\n  banana:\n    port: 8080\n    hostPatterns: ['*.x.example', bananas.example.org]\n",
        ["dev"],
    )
    assert rendering.outputs["services"]["dev"]["banana"]["url"] == "http://bananas.example.org/"


def test_tls_to_the_targets_where_a_service_asks(render_definition) -> None:
    rendering = render_definition(
        f"environments: {{production: {{domain: {DOMAIN}}}}}\n" + SERVICE + "    protocol: https\n",
        ["production"],
    )
    group = rendering.one("aws:lb/targetGroup:TargetGroup").inputs
    assert (group["protocol"], group["healthCheck"]["protocol"]) == ("HTTPS", "HTTPS")


def test_a_created_zone_hands_over_its_name_servers(render_definition) -> None:
    rendering = render_definition(
        "environments: {dev: {domain: {name: dev.banana.example.com, createZone: true}}}",
        ["dev"],
        extra_config={"muon:delegatedZones": ["dev"]},
    )
    zone = rendering.one("aws:route53/zone:Zone")
    assert zone.inputs["name"] == "dev.banana.example.com"
    assert rendering.outputs["environments"]["dev"]["nameServers"] == zone.state["nameServers"]
    record = rendering.one("aws:route53/record:Record", "dev-domain").inputs
    assert record["zoneId"] == zone.state["zoneId"]


def test_a_certificate_brought_along_alarms_before_it_expires(render_definition) -> None:
    certificate = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0000-1111-2222-333344445555"
    rendering = render_definition(
        f"environments: {{production: {{loadBalancer: {{certificateArn: '{certificate}'}}}}}}", ["production"]
    )
    alarm = next(
        a.inputs
        for a in rendering.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs.get("name") == "muon-production-certificate-expiry"
    )
    assert (alarm["namespace"], alarm["metricName"], alarm["threshold"]) == (
        "AWS/CertificateManager",
        "DaysToExpiry",
        30,
    )
    assert alarm["dimensions"] == {"CertificateArn": certificate}
    assert rendering.of_type("aws:acm/certificate:Certificate") == []  # theirs, not requested


def test_the_rendered_edge_is_valid_for_the_apis(prod: Rendering) -> None:
    acl = prod.one("aws:wafv2/webAcl:WebAcl").inputs

    def visibility(config: dict) -> dict:
        return {
            "SampledRequestsEnabled": config["sampledRequestsEnabled"],
            "CloudWatchMetricsEnabled": config["cloudwatchMetricsEnabled"],
            "MetricName": config["metricName"],
        }

    def statement(value: dict) -> dict:
        if "managedRuleGroupStatement" in value:
            group = value["managedRuleGroupStatement"]
            return {"ManagedRuleGroupStatement": {"VendorName": group["vendorName"], "Name": group["name"]}}
        rate = value["rateBasedStatement"]
        return {"RateBasedStatement": {"Limit": rate["limit"], "AggregateKeyType": rate["aggregateKeyType"]}}

    rules = []
    for rule in acl["rules"]:
        item = {
            "Name": rule["name"],
            "Priority": rule["priority"],
            "Statement": statement(rule["statement"]),
            "VisibilityConfig": visibility(rule["visibilityConfig"]),
        }
        if "overrideAction" in rule:
            item["OverrideAction"] = {"None": {}}
        else:
            item["Action"] = {"Block": {}}
        rules.append(item)
    assert_valid(
        "wafv2",
        "CreateWebACL",
        {
            "Name": acl["name"],
            "Scope": acl["scope"],
            "DefaultAction": {"Allow": {}},
            "Rules": rules,
            "VisibilityConfig": visibility(acl["visibilityConfig"]),
        },
    )
    certificate = prod.one("aws:acm/certificate:Certificate").inputs
    assert_valid(
        "acm",
        "RequestCertificate",
        {
            "DomainName": certificate["domainName"],
            "SubjectAlternativeNames": certificate["subjectAlternativeNames"],
            "ValidationMethod": certificate["validationMethod"],
            "Options": {
                "CertificateTransparencyLoggingPreference": certificate["options"][
                    "certificateTransparencyLoggingPreference"
                ]
            },
        },
    )
    changes = []
    for record in prod.of_type("aws:route53/record:Record"):
        inputs = record.inputs
        change = {"Name": inputs["name"], "Type": inputs["type"]}
        if "aliases" in inputs:
            alias = inputs["aliases"][0]
            change["AliasTarget"] = {
                "HostedZoneId": alias["zoneId"],
                "DNSName": alias["name"],
                "EvaluateTargetHealth": alias["evaluateTargetHealth"],
            }
        else:
            change["TTL"] = inputs["ttl"]
            change["ResourceRecords"] = [{"Value": v} for v in inputs["records"]]
        changes.append({"Action": "UPSERT", "ResourceRecordSet": change})
    assert_valid(
        "route53", "ChangeResourceRecordSets", {"HostedZoneId": "Z123", "ChangeBatch": {"Changes": changes}}
    )
    assert json.dumps(changes)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        (
            "{domain: {name: banana.example.org, zone: example.com}}",
            "environments.dev.domain.name: banana.example.org is not inside the zone example.com",
        ),
        (
            "{domain: {name: Banana.Example.com, zone: example.com}}",
            "environments.dev.domain.name: expected a lowercase DNS name",
        ),
        (
            "{domain: {name: banana.example.com}}",
            "environments.dev.domain: give the hosted zone (zone or zoneId), or createZone: true",
        ),
        (
            "{domain: {name: b.example.com, zone: example.com, createZone: true}}",
            "createZone makes a zone for the name",
        ),
        (
            "{waf: 'arn:aws:s3:::bucket'}",
            "environments.dev.waf: expected managed, off, or a regional WAFv2 web ACL ARN",
        ),
        (
            "{waf: managed, wafRateLimit: 5}",
            "environments.dev.wafRateLimit: input should be greater than or equal to 10",
        ),
        (
            "{domain: {name: b.example.com, zone: example.com}, loadBalancer: {certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-1'}}",
            "environments.dev.loadBalancer.certificateArn: a domain brings its own certificate",
        ),
    ],
)
def test_bad_edge_input_is_one_line(render_definition, environment: str, expected: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(f"environments: {{dev: {environment}}}", ["dev"])
    (problem,) = caught.value.problems
    assert expected in problem


@pytest.mark.parametrize(
    ("hosts", "expected"),
    [
        ("[API]", "services.banana.hosts[0]: expected a host"),
        (
            "['api.example.net']",
            "services.banana.hosts[0]: api.example.net is not covered by the certificate of banana.example.com",
        ),
        ("['a.b.banana.example.com']", "is not covered by the certificate"),
        ("['https://api']", "services.banana.hosts[0]: expected a host"),
    ],
)
def test_bad_hosts_are_one_line(render_definition, hosts: str, expected: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(
            f"environments: {{dev: {{domain: {DOMAIN}}}}}\n" + SERVICE + f"    hosts: {hosts}\n", ["dev"]
        )
    (problem,) = caught.value.problems
    assert expected in problem


def test_hosts_need_a_domain(render_definition) -> None:
    with pytest.raises(
        DefinitionError, match="services.banana.hosts: hosts live on the environment's domain"
    ):
        render_definition("environments: {dev: {}}\n" + SERVICE + "    hosts: [api]\n", ["dev"])


def test_only_tls_policies_the_control_accepts(render_definition) -> None:
    from typing import get_args

    from muon.components.load_balancer import TLS_POLICIES
    from muon.stacks.definition import TlsPolicy

    assert set(get_args(TlsPolicy)) == set(TLS_POLICIES)
    with pytest.raises(
        DefinitionError, match="loadBalancer.sslPolicy: expected 'ELBSecurityPolicy-TLS13-1-2-Res-2021-06'"
    ):
        render_definition(
            f"environments: {{dev: {{domain: {DOMAIN}, loadBalancer: {{sslPolicy: ELBSecurityPolicy-2016-08}}}}}}",
            ["dev"],
        )
