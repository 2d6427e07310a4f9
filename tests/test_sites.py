"""Static sites: a private bucket only their distribution reads, CloudFront's TLS, headers and
errors, the certificate in us-east-1; publishing against moto."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from muon.cli.main import app
from muon.deploy.site_publish import IMMUTABLE, MANIFEST, REVALIDATE, SHORT, cache_control, publish
from muon.plan.offline import Rendering
from muon.stacks.errors import DefinitionError
from tests.aws_models import assert_valid
from tests.conftest import definition_error, render_definition_text

SITE = (
    "environments:\n"
    "  dev: {}\n"
    "  production: {domain: {name: banana.example.com, zone: example.com}}\n"
    "services:\n  api: {port: 8080, pathPatterns: [/api]}\n"
    "sites:\n"
    "  www: {source: site/, build: 'npm ci && npm run build', output: dist/, host: www, spa: true,\n"
    "        headers: {contentSecurityPolicy: \"default-src 'self'\"}}\n"
    "  docs: {source: docs/, output: public/}\n"
)


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Rendering:
    return render_definition_text(tmp_path_factory.mktemp("sites"), SITE, ["production"])


def test_only_the_sites_distribution_reads_its_private_bucket(sites: Rendering) -> None:
    distribution = sites.one("aws:cloudfront/distribution:Distribution", "production-www-distribution")
    bucket = sites.one("aws:s3/bucket:Bucket", "production-www-files-bucket")
    statements = {
        s["Sid"]: s
        for s in sites.one("aws:s3/bucketPolicy:BucketPolicy", "production-www-files-policy").json("policy")[
            "Statement"
        ]
    }
    reads = statements["ThisDistributionReads"]
    assert reads["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert reads["Action"] == "s3:GetObject"
    assert reads["Resource"] == f"{bucket.state['arn']}/*"
    assert reads["Condition"] == {"StringEquals": {"AWS:SourceArn": distribution.state["arn"]}}
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"
    block = sites.one(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "production-www-files-public-access"
    )
    assert all(
        block.inputs[k]
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    ownership = sites.one(
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "production-www-files-ownership"
    )
    assert ownership.inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"  # no ACLs at all
    key = sites.one("aws:kms/key:Key", "production-www-key")
    sse = sites.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "production-www-files-encryption",
    ).inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert sse == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.state["arn"]}
    decrypts = next(s for s in key.json("policy")["Statement"] if s["Sid"] == "CloudFrontDecrypts")
    assert (
        decrypts["Condition"]["StringLike"]["AWS:SourceArn"]
        == "arn:aws:cloudfront::123456789012:distribution/*"
    )
    access = sites.one(
        "aws:cloudfront/originAccessControl:OriginAccessControl", "production-www-origin-access"
    ).inputs
    assert (
        access["originAccessControlOriginType"],
        access["signingBehavior"],
        access["signingProtocol"],
    ) == (
        "s3",
        "always",
        "sigv4",
    )
    (origin,) = distribution.inputs["origins"]
    assert (
        origin["originAccessControlId"]
        == sites.one(
            "aws:cloudfront/originAccessControl:OriginAccessControl", "production-www-origin-access"
        ).state["id"]
    )
    assert origin["domainName"] == bucket.state["bucketRegionalDomainName"]


def test_viewers_get_https_with_security_headers_and_the_spa_fallback(sites: Rendering) -> None:
    d = sites.one("aws:cloudfront/distribution:Distribution", "production-www-distribution").inputs
    behavior = d["defaultCacheBehavior"]
    assert behavior["viewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["compress"] is True
    assert d["httpVersion"] == "http2and3" and d["isIpv6Enabled"] is True
    assert d["viewerCertificate"]["minimumProtocolVersion"] == "TLSv1.2_2021"
    assert d["viewerCertificate"]["sslSupportMethod"] == "sni-only"
    assert d["aliases"] == ["www.banana.example.com"]
    assert d["defaultRootObject"] == "index.html"
    assert {
        (e["errorCode"], e["responseCode"], e["responsePagePath"]) for e in d["customErrorResponses"]
    } == {
        (403, 200, "/index.html"),
        (404, 200, "/index.html"),
    }
    headers = sites.one(
        "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "production-www-headers"
    )
    assert behavior["responseHeadersPolicyId"] == headers.state["id"]
    config = headers.inputs["securityHeadersConfig"]
    assert config["strictTransportSecurity"]["accessControlMaxAgeSec"] == 63_072_000
    assert config["strictTransportSecurity"]["includeSubdomains"] is True
    assert config["contentTypeOptions"]["override"] is True
    assert config["frameOptions"]["frameOption"] == "DENY"
    assert config["referrerPolicy"]["referrerPolicy"] == "strict-origin-when-cross-origin"
    assert config["contentSecurityPolicy"]["contentSecurityPolicy"] == "default-src 'self'"
    # A site that is not an SPA answers its 404 page; without a host, CloudFront's own name.
    docs = sites.one("aws:cloudfront/distribution:Distribution", "production-docs-distribution").inputs
    assert {
        (e["errorCode"], e["responseCode"], e["responsePagePath"]) for e in docs["customErrorResponses"]
    } == {
        (403, 404, "/404.html"),
        (404, 404, "/404.html"),
    }
    assert docs["viewerCertificate"] == {"cloudfrontDefaultCertificate": True}
    assert "aliases" not in docs or not docs["aliases"]


def test_the_sites_name_has_a_us_east_1_certificate_and_alias_records(sites: Rendering) -> None:
    certificate = sites.one("aws:acm/certificate:Certificate", "production-www-certificate").inputs
    assert (certificate["domainName"], certificate["region"]) == ("www.banana.example.com", "us-east-1")
    issued = sites.one(
        "aws:acm/certificateValidation:CertificateValidation", "production-www-certificate-issued"
    )
    assert issued.inputs["region"] == "us-east-1"
    distribution = sites.one("aws:cloudfront/distribution:Distribution", "production-www-distribution")
    assert distribution.inputs["viewerCertificate"]["acmCertificateArn"] == issued.state["certificateArn"]
    for record_type in ("a", "aaaa"):
        record = sites.one("aws:route53/record:Record", f"production-www-{record_type}").inputs
        (alias,) = record["aliases"]
        assert record["name"] == "www.banana.example.com"
        assert (alias["name"], alias["zoneId"]) == (distribution.state["domainName"], "Z2FDTNDATAQYW2")
    outputs = sites.outputs["sites"]["production"]["www"]
    assert outputs["url"] == "https://www.banana.example.com"
    assert outputs["distributionId"] == distribution.state["id"]


def test_production_sites_sit_behind_a_cloudfront_web_acl(sites: Rendering, render_definition) -> None:
    acl = sites.one("aws:wafv2/webAcl:WebAcl", "production-www-waf-acl").inputs
    assert (acl["scope"], acl["region"]) == ("CLOUDFRONT", "us-east-1")
    distribution = sites.one("aws:cloudfront/distribution:Distribution", "production-www-distribution")
    assert (
        distribution.inputs["webAclId"]
        == sites.one("aws:wafv2/webAcl:WebAcl", "production-www-waf-acl").state["arn"]
    )
    dev = render_definition("environments: {dev: {}}\nsites:\n  www: {}\n", ["dev"])
    assert dev.of_type("aws:wafv2/webAcl:WebAcl") == []
    assert dev.one("aws:s3/bucket:Bucket", "dev-www-files-bucket").inputs["forceDestroy"] is True


def test_rendered_site_calls_are_valid_for_cloudfront(sites: Rendering) -> None:
    access = sites.one(
        "aws:cloudfront/originAccessControl:OriginAccessControl", "production-www-origin-access"
    ).inputs
    assert_valid(
        "cloudfront",
        "CreateOriginAccessControl",
        {
            "OriginAccessControlConfig": {
                "Name": access["name"],
                "OriginAccessControlOriginType": access["originAccessControlOriginType"],
                "SigningBehavior": access["signingBehavior"],
                "SigningProtocol": access["signingProtocol"],
            }
        },
    )
    headers = sites.one(
        "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy", "production-www-headers"
    ).inputs
    c = headers["securityHeadersConfig"]
    assert_valid(
        "cloudfront",
        "CreateResponseHeadersPolicy",
        {
            "ResponseHeadersPolicyConfig": {
                "Name": headers["name"],
                "SecurityHeadersConfig": {
                    "StrictTransportSecurity": {
                        "Override": True,
                        "IncludeSubdomains": True,
                        "Preload": True,
                        "AccessControlMaxAgeSec": c["strictTransportSecurity"]["accessControlMaxAgeSec"],
                    },
                    "ContentTypeOptions": {"Override": True},
                    "FrameOptions": {"Override": True, "FrameOption": c["frameOptions"]["frameOption"]},
                    "ReferrerPolicy": {
                        "Override": True,
                        "ReferrerPolicy": c["referrerPolicy"]["referrerPolicy"],
                    },
                    "ContentSecurityPolicy": {
                        "Override": True,
                        "ContentSecurityPolicy": c["contentSecurityPolicy"]["contentSecurityPolicy"],
                    },
                },
            }
        },
    )
    d = sites.one("aws:cloudfront/distribution:Distribution", "production-www-distribution").inputs
    behavior = d["defaultCacheBehavior"]
    assert_valid(
        "cloudfront",
        "CreateDistribution",
        {
            "DistributionConfig": {
                "CallerReference": "muon",
                "Comment": d["comment"],
                "Enabled": d["enabled"],
                "DefaultRootObject": d["defaultRootObject"],
                "HttpVersion": d["httpVersion"],
                "IsIPV6Enabled": d["isIpv6Enabled"],
                "PriceClass": d["priceClass"],
                "Aliases": {"Quantity": 1, "Items": d["aliases"]},
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": o["originId"],
                            "DomainName": o["domainName"],
                            "OriginAccessControlId": o["originAccessControlId"],
                            "S3OriginConfig": {"OriginAccessIdentity": ""},
                        }
                        for o in d["origins"]
                    ],
                },
                "DefaultCacheBehavior": {
                    "TargetOriginId": behavior["targetOriginId"],
                    "ViewerProtocolPolicy": behavior["viewerProtocolPolicy"],
                    "Compress": behavior["compress"],
                    "CachePolicyId": behavior["cachePolicyId"],
                    "ResponseHeadersPolicyId": behavior["responseHeadersPolicyId"],
                },
                "CustomErrorResponses": {
                    "Quantity": len(d["customErrorResponses"]),
                    "Items": [
                        {
                            "ErrorCode": e["errorCode"],
                            "ResponseCode": str(e["responseCode"]),
                            "ResponsePagePath": e["responsePagePath"],
                            "ErrorCachingMinTTL": e["errorCachingMinTtl"],
                        }
                        for e in d["customErrorResponses"]
                    ],
                },
                "ViewerCertificate": {
                    "ACMCertificateArn": d["viewerCertificate"]["acmCertificateArn"],
                    "SSLSupportMethod": d["viewerCertificate"]["sslSupportMethod"],
                    "MinimumProtocolVersion": d["viewerCertificate"]["minimumProtocolVersion"],
                },
                "WebACLId": d["webAclId"],
            }
        },
    )


@pytest.mark.parametrize(
    ("site", "expected"),
    [
        (
            "{source: site/, output: ../secrets/}",
            "sites.www.output: ../secrets/ is not a folder inside source (site/)",
        ),
        ("{source: site/, output: ./}", "sites.www.output: ./ is not a folder inside source"),
        ("{source: /etc/}", "sites.www.source"),
        ("{notFound: missing}", "sites.www.notFound"),
    ],
)
def test_bad_sites_are_refused_in_one_line(site: str, expected: str) -> None:
    assert expected in definition_error(f"environments: {{dev: {{}}}}\nsites:\n  www: {site}\n")


def test_a_host_needs_the_environments_domain(render_definition) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition("environments: {dev: {}}\nsites:\n  www: {host: www}\n", ["dev"])
    (problem,) = caught.value.problems
    assert problem.endswith(
        "sites.www.host: a host lives on the environment's domain; give the environment a domain"
    )


def test_cache_headers_by_kind_of_file() -> None:
    assert cache_control("index.html") == REVALIDATE
    assert cache_control("docs/page.html") == REVALIDATE
    assert cache_control("assets/index-BQZ4x8kd.js") == IMMUTABLE
    assert cache_control("static/js/main.3f2a9c1b.js") == IMMUTABLE
    assert cache_control("favicon.ico") == SHORT
    assert cache_control("assets/component-settings.js") == SHORT  # a word, not a hash


@pytest.fixture
def published_site(aws: str, tmp_path: Path) -> tuple[str, str, Path]:
    s3, cloudfront = boto3.client("s3"), boto3.client("cloudfront")
    s3.create_bucket(Bucket="muon-dev-www")
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "test",
            "Comment": "test",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "site",
                        "DomainName": "muon-dev-www.s3.us-east-1.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "site",
                "ViewerProtocolPolicy": "redirect-to-https",
                "MinTTL": 0,
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                "TrustedSigners": {"Enabled": False, "Quantity": 0},
            },
        }
    )["Distribution"]["Id"]
    folder = tmp_path / "dist"
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_text("<script src=/assets/index-BQZ4x8kd.js></script>")
    (folder / "assets" / "index-BQZ4x8kd.js").write_text("console.log(1)")
    (folder / "robots.txt").write_text("User-agent: *")
    (folder / "old.txt").write_text("soon gone")
    return "muon-dev-www", distribution, folder


def test_publish_uploads_with_cache_headers_deletes_stale_and_invalidates_what_changed(
    published_site,
) -> None:
    bucket, distribution, folder = published_site
    s3 = boto3.client("s3")
    clients = lambda service: boto3.client(service)  # noqa: E731
    first = publish(clients, folder, bucket=bucket, distribution_id=distribution)
    assert sorted(first.uploaded) == ["assets/index-BQZ4x8kd.js", "index.html", "old.txt", "robots.txt"]
    assert first.uploaded[-1] == "index.html"  # the HTML after the assets it names
    assert first.invalidated == [] and first.invalidation_id is None  # nothing was cached yet
    heads = {key: s3.head_object(Bucket=bucket, Key=key) for key in first.uploaded}
    assert heads["index.html"]["CacheControl"] == REVALIDATE
    assert heads["index.html"]["ContentType"] == "text/html"
    assert heads["assets/index-BQZ4x8kd.js"]["CacheControl"] == IMMUTABLE
    assert heads["robots.txt"]["CacheControl"] == SHORT
    assert json.loads(s3.get_object(Bucket=bucket, Key=MANIFEST)["Body"].read())["robots.txt"]
    # A new build: new assets, a changed page, a file gone, one untouched.
    (folder / "assets" / "index-BQZ4x8kd.js").unlink()
    (folder / "assets" / "index-C9d2Kx1a.js").write_text("console.log(2)")
    (folder / "index.html").write_text("<script src=/assets/index-C9d2Kx1a.js></script>")
    (folder / "old.txt").unlink()
    second = publish(clients, folder, bucket=bucket, distribution_id=distribution)
    assert second.uploaded == ["assets/index-C9d2Kx1a.js", "index.html"]
    assert second.deleted == ["assets/index-BQZ4x8kd.js", "old.txt"]
    assert second.unchanged == 1
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {"index.html", "assets/index-C9d2Kx1a.js", "robots.txt", MANIFEST}
    # Only what a visitor could hold stale: the page (at / too) and the deleted file; hashed names never.
    assert second.invalidated == ["/", "/index.html", "/old.txt"]
    invalidation = boto3.client("cloudfront").get_invalidation(
        DistributionId=distribution, Id=second.invalidation_id
    )
    assert sorted(invalidation["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]) == [
        "/",
        "/index.html",
        "/old.txt",
    ]
    third = publish(clients, folder, bucket=bucket, distribution_id=distribution)
    assert (third.uploaded, third.deleted, third.invalidated) == ([], [], [])


def test_muon_site_publish_from_a_laptop(published_site, tmp_path: Path) -> None:
    bucket, distribution, folder = published_site
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "environments": {"dev": {}},
                "sites": {
                    "dev": {
                        "www": {"bucket": bucket, "distributionId": distribution, "url": "https://d.example"}
                    }
                },
            }
        )
    )
    result = CliRunner().invoke(
        app, ["--outputs", str(outputs), "--json", "site", "publish", "www", "--dir", str(folder)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["site"], data["environment"], len(data["uploaded"])) == ("www", "dev", 4)
    missing = CliRunner().invoke(
        app, ["--outputs", str(outputs), "site", "publish", "blog", "--dir", str(folder)]
    )
    assert missing.exit_code != 0 and "no site 'blog' in stack 'dev'" in missing.output
    empty = CliRunner().invoke(
        app, ["--outputs", str(outputs), "site", "publish", "www", "--dir", str(tmp_path / "nope")]
    )
    assert empty.exit_code != 0 and "no such folder (build the site first)" in empty.output


def test_the_pipelines_deploy_step_builds_and_publishes_the_sites(
    published_site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from muon.deploy.steps import main

    bucket, distribution, _ = published_site
    project = tmp_path / "project"
    (project / "web").mkdir(parents=True)
    (project / "Pulumi.dev.yaml").write_text(
        "config:\n  muon:environments: [dev]\n  muon:definition: app.yaml\n"
    )
    (project / "app.yaml").write_text(
        "environments: {dev: {}}\n"
        "sites:\n  www: {source: web/, output: out/, build: 'mkdir -p out && echo hello > out/index.html'}\n"
    )
    outputs = project / "outputs.json"
    outputs.write_text(
        json.dumps({"sites": {"dev": {"www": {"bucket": bucket, "distributionId": distribution}}}})
    )
    monkeypatch.chdir(project)
    assert main(["publish-sites", "--stack", "dev", "--outputs", str(outputs), "--environment", "dev"]) == 0
    body = boto3.client("s3").get_object(Bucket=bucket, Key="index.html")
    assert body["Body"].read() == b"hello\n" and body["CacheControl"] == REVALIDATE
    # A build that fails fails the step (exit 2, one line).
    (project / "app.yaml").write_text(
        "environments: {dev: {}}\nsites:\n  www: {source: web/, build: 'exit 3'}\n"
    )
    assert main(["publish-sites", "--stack", "dev", "--outputs", str(outputs), "--environment", "dev"]) == 2


def test_the_deploy_buildspec_publishes_sites_after_the_rollout_is_verified() -> None:
    import yaml

    from muon.components.buildspecs import deploy_buildspec

    commands = yaml.safe_load(deploy_buildspec(project_dir=".", access_token_parameter=None))["phases"][
        "build"
    ]["commands"]
    publish_line = (
        '.venv/bin/python -m muon.stacks.deploy publish-sites --stack "$MUON_STACK" --outputs outputs.json '
        '--environment "$MUON_ENVIRONMENT" --profile "$MUON_VERIFY_PROFILE"'
    )
    verify = next(i for i, c in enumerate(commands) if " verify --outputs outputs.json" in c)
    assert commands[-1] == publish_line and commands.index(publish_line) > verify


def test_production_sites_meet_the_controls_with_access_logs(sites: Rendering) -> None:
    from muon.policy.rules import evaluate, split_excepted

    open_findings, excepted = split_excepted(evaluate(sites.custom_resources))
    assert [str(f) for f in open_findings] == []
    assert ("S3.9", "production-www-access-logs-bucket") in {(f.control, f.resource) for f, _ in excepted}
    logging = {
        r.inputs["bucket"]: r.inputs["targetBucket"]
        for r in sites.of_type("aws:s3/bucketLogging:BucketLogging")
    }
    files = sites.one("aws:s3/bucket:Bucket", "production-www-files-bucket")
    access = sites.one("aws:s3/bucket:Bucket", "production-www-access-logs-bucket")
    assert logging[files.state["id"]] == access.state["bucket"]
    # S3's logging service writes there for the site's bucket of this account only (S3 user guide,
    # "Enabling Amazon S3 server access logging": aws:SourceArn and aws:SourceAccount).
    admitted = sites.one("aws:s3/bucketPolicy:BucketPolicy", "production-www-access-logs-policy")
    (writes,) = [s for s in admitted.json("policy")["Statement"] if s.get("Sid") == "S3ServerAccessLogs"]
    assert writes["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert writes["Condition"] == {
        "ArnLike": {"aws:SourceArn": files.state["arn"]},
        "StringEquals": {"aws:SourceAccount": "123456789012"},
    }
    # The web ACL's logs: encrypted, in us-east-1 with the ACL (here the stack's region: the site's key).
    logs = sites.one("aws:cloudwatch/logGroup:LogGroup", "production-www-waf-logs").inputs
    assert logs["region"] == "us-east-1"
    assert logs["kmsKeyId"] == sites.one("aws:kms/key:Key", "production-www-key").state["arn"]
