"""A zone muon creates cannot validate a certificate before its parent delegates to it (ACM waits
for the CNAME to resolve publicly; the certificate validation would wait until its timeout). The
first `pulumi up` therefore creates the zone alone and prints the NS record to add; the stack
config (``muon:delegatedZones``) says when it is done, and the next run makes the rest."""

from __future__ import annotations

import pytest

from muon.plan.mocks import MuonMocks
from muon.stacks.errors import DefinitionError

DEFINITION = (
    "environments:\n  dev: {domain: {name: dev.banana.example.com, createZone: true}}\n"
    "services:\n  banana: {port: 8080, pathPatterns: [/bananas]}\n"
)
ZONE_URN = "urn:pulumi:test::muon::muon:network:Domain$aws:route53/zone:Zone::dev-zone"


def test_the_first_run_creates_the_zone_alone_and_says_what_to_delegate(render_definition) -> None:
    rendering = render_definition(DEFINITION, ["dev"])
    custom = [r for r in rendering.resources if r.custom]
    (zone,) = custom  # nothing else: no certificate to wait for, no load balancer to hang on it
    assert zone.type == "aws:route53/zone:Zone" and zone.urn == ZONE_URN
    servers = zone.state["nameServers"]
    output = rendering.outputs["environments"]["dev"]
    assert output["nameServers"] == servers and output["awaitingDelegation"] is True
    (warning,) = [w for w in rendering.warnings if "not delegated" in w]
    assert f"add the NS record dev.banana.example.com -> {', '.join(servers)}" in warning
    assert "muon:delegatedZones" in warning
    assert rendering.outputs["services"] == {}


def test_once_delegated_the_certificate_validates_in_the_same_zone(render_definition) -> None:
    rendering = render_definition(DEFINITION, ["dev"], extra_config={"muon:delegatedZones": ["dev"]})
    zone = rendering.one("aws:route53/zone:Zone")
    assert zone.urn == ZONE_URN  # the zone of the first run, kept
    validation = rendering.one("aws:route53/record:Record", "dev-certificate-validation")
    assert validation.inputs["zoneId"] == zone.state["zoneId"]
    issued = rendering.one("aws:acm/certificateValidation:CertificateValidation", "dev-certificate-issued")
    assert validation.urn in rendering.requirements(issued.urn)
    listener = rendering.one("aws:lb/listener:Listener", "dev-https")
    assert listener.inputs["certificateArn"] == issued.state["certificateArn"]
    assert not [w for w in rendering.warnings if "not delegated" in w]


def test_a_delegation_for_an_environment_without_a_created_zone_is_refused(render_definition) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(
            "environments: {dev: {domain: {name: b.example.com, zone: example.com}}}",
            ["dev"],
            extra_config={"muon:delegatedZones": ["dev"]},
        )
    (problem,) = caught.value.problems
    assert problem.endswith(
        "muon:delegatedZones[0]: 'dev' is not an environment of this stack whose domain has createZone: true"
    )


def test_an_environment_deployed_before_the_setting_existed_is_never_cut_back_to_its_zone(
    render_definition,
) -> None:
    """Its cluster exists, so its zone was delegated already: the whole environment stays."""
    mocks = MuonMocks()
    mocks.deployed_images["muon-dev-banana"] = "123456789012.dkr.ecr.us-east-1.amazonaws.com/banana:1"
    rendering = render_definition(DEFINITION, ["dev"], mocks=mocks)
    assert rendering.one("aws:acm/certificateValidation:CertificateValidation", "dev-certificate-issued")
    assert "banana" in rendering.outputs["services"]["dev"]


def test_a_created_production_zone_is_protected_a_development_one_is_not(render_definition) -> None:
    """A replaced zone gets four new name servers: the parent's delegation would silently break."""
    definition = (
        "environments:\n"
        "  dev: {domain: {name: dev.banana.example.com, createZone: true}}\n"
        "  production: {domain: {name: banana.example.com, createZone: true}}\n"
        "services:\n  banana: {port: 8080, pathPatterns: [/bananas]}\n"
    )
    dev = render_definition(definition, ["dev"]).one("aws:route53/zone:Zone")
    production = render_definition(definition, ["production"]).one("aws:route53/zone:Zone")
    assert (dev.protect, production.protect) == (False, True)
