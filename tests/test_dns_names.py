"""One owner per DNS name in an environment's zone: the apex (the environment's), a service's
hosts, a site's or a function's host, written as a label or in full; and one validation record
per certificate name (ACM asks the same CNAME for every certificate of a name in an account)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pulumi
import pytest

from muon.plan.mocks import MuonMocks
from muon.plan.offline import Rendering
from muon.stacks.errors import DefinitionError
from tests.conftest import render_definition_text

DOMAIN = "banana.example.com"
HEAD = f"""
environments:
  dev: {{domain: {{name: {DOMAIN}, zone: example.com}}}}
"""
FUNCTION = (
    "    source: fn\n    runtime: python3.12\n    handler: app.handler\n"
    "    triggers: [{{type: http, path: /hello}}]\n    host: {host}\n"
)


def render(tmp_path: Path, body: str) -> Rendering:
    (tmp_path / "fn").mkdir(exist_ok=True)
    (tmp_path / "fn" / "app.py").write_text("def handler(event, context):\n    return {}\n")
    return render_definition_text(tmp_path, HEAD + body, ["dev"])


def assert_one_owner_per_record(rendering: Rendering) -> None:
    """The rule over the rendered graph: no two Route 53 records of one zone share a name and type
    (Route 53 refuses the second create; an overwrite would be deleted with its other owner)."""
    records = rendering.of_type("aws:route53/record:Record")
    assert records
    counts = Counter((r.inputs["zoneId"], r.inputs["name"].rstrip("."), r.inputs["type"]) for r in records)
    assert [key for key, count in counts.items() if count > 1] == []


def test_every_name_has_one_owner_and_every_certificate_its_own_validation(tmp_path: Path) -> None:
    rendering = render(
        tmp_path,
        "services:\n"
        f"  banana: {{port: 8080, hosts: [{DOMAIN}, api]}}\n"
        "  apple: {port: 8080, pathPatterns: [/apples]}\n"
        "sites:\n  www: {host: www}\n"
        "functions:\n  hello:\n" + FUNCTION.format(host=f"hello.{DOMAIN}"),
    )
    assert_one_owner_per_record(rendering)
    alias_names = {
        r.inputs["name"]: r.name
        for r in rendering.of_type("aws:route53/record:Record")
        if r.inputs["type"] == "A"
    }
    # The apex is the environment's record; the service on the apex is routed through it.
    assert alias_names[DOMAIN] == "dev-domain"
    assert alias_names[f"api.{DOMAIN}"] == f"dev-banana-host-api.{DOMAIN}"
    rule = rendering.one("aws:lb/listenerRule:ListenerRule", "dev-banana-rule").inputs
    assert rule["conditions"] == [{"hostHeader": {"values": [DOMAIN, f"api.{DOMAIN}"]}}]
    # Each certificate validates with the record of its own name, made by itself alone.
    certificates = {
        c.name: c.inputs["domainName"] for c in rendering.of_type("aws:acm/certificate:Certificate")
    }
    assert sorted(certificates.values()) == sorted([DOMAIN, f"www.{DOMAIN}", f"hello.{DOMAIN}"])
    validations = {
        r.name: r.inputs["name"]
        for r in rendering.of_type("aws:route53/record:Record")
        if r.inputs["type"] == "CNAME"
    }
    assert len(validations) == len(certificates)
    for certificate, domain in certificates.items():
        assert validations[f"{certificate.removesuffix('-certificate')}-certificate-validation"].endswith(
            f".{domain}."
        )


@pytest.mark.parametrize(
    ("body", "first", "second", "name"),
    [
        ("sites:\n  www: {host: banana.example.com}\n", "environments.dev.domain", "sites.www.host", DOMAIN),
        (
            "functions:\n  hello:\n" + FUNCTION.format(host=DOMAIN),
            "environments.dev.domain",
            "functions.hello.host",
            DOMAIN,
        ),
        (
            "services:\n  banana: {port: 8080, hosts: [api]}\nfunctions:\n  hello:\n"
            + FUNCTION.format(host=f"api.{DOMAIN}"),
            "services.banana.hosts[0]",
            "functions.hello.host",
            f"api.{DOMAIN}",
        ),
        (
            "sites:\n  www: {host: www}\nfunctions:\n  hello:\n" + FUNCTION.format(host="www"),
            "sites.www.host",
            "functions.hello.host",
            f"www.{DOMAIN}",
        ),
        (
            "services:\n  banana: {port: 8080, hosts: [api]}\n"
            f"  apple: {{port: 8080, hosts: [api.{DOMAIN}], pathPatterns: [/apples]}}\n",
            "services.banana.hosts[0]",
            "services.apple.hosts[0]",
            f"api.{DOMAIN}",
        ),
    ],
    ids=[
        "site on the apex",
        "function on the apex",
        "service and function",
        "site and function",
        "two services",
    ],
)
def test_two_owners_of_one_name_are_refused_in_one_line(
    tmp_path: Path, body: str, first: str, second: str, name: str
) -> None:
    with pytest.raises(DefinitionError) as caught:
        render(tmp_path, body)
    (problem,) = caught.value.problems
    assert f"muon.yaml: {first} and {second} both claim {name} in environment dev" in problem
    assert "\n" not in problem


def test_the_offline_acm_asks_one_validation_record_per_name_as_acm_does() -> None:
    """Two certificates of one name (any region, any resource) get one validation record, and a
    wildcard its base name's: the sharing the refusals above keep from ever reaching the zone."""
    mocks = MuonMocks()

    def record_names(name: str, domain: str, *alternatives: str) -> set[str]:
        inputs = {"domainName": domain, "subjectAlternativeNames": list(alternatives)}
        args = pulumi.runtime.MockResourceArgs("aws:acm/certificate:Certificate", name, inputs, "", "", True)
        _, state = mocks.new_resource(args)
        return {o["resourceRecordName"] for o in state["domainValidationOptions"]}

    environment = record_names("dev-certificate", DOMAIN, f"*.{DOMAIN}")
    assert len(environment) == 1
    assert record_names("dev-www-certificate", DOMAIN) == environment
    assert record_names("dev-api-certificate", f"api.{DOMAIN}").isdisjoint(environment)
