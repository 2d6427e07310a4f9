"""The environment's load balancer: listeners, TLS policy, access logs, protection."""

from __future__ import annotations

from muon.plan.offline import Rendering

CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0000-1111-2222-333344445555"


def test_with_a_certificate_https_serves_and_http_redirects(render_definition) -> None:
    rendering = render_definition(
        f"environments: {{dev: {{loadBalancer: {{certificateArn: '{CERTIFICATE}'}}}}}}", ["dev"]
    )
    https = rendering.one("aws:lb/listener:Listener", "dev-https")
    http = rendering.one("aws:lb/listener:Listener", "dev-http")
    assert (https.inputs["port"], https.inputs["protocol"]) == (443, "HTTPS")
    assert https.inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    assert https.inputs["certificateArn"] == CERTIFICATE
    assert https.inputs["defaultActions"][0]["fixedResponse"]["statusCode"] == "404"
    assert http.inputs["defaultActions"] == [
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}
    ]
    group = rendering.one("aws:ec2/securityGroup:SecurityGroup", "dev-alb-sg")
    assert sorted(rule["fromPort"] for rule in group.inputs["ingress"]) == [80, 443]
    outputs = rendering.outputs["environments"]["dev"]
    assert outputs["loadBalancerUrl"].startswith("https://")
    assert outputs["httpsListenerArn"] is not None


def test_without_a_certificate_there_is_only_http(dev: Rendering) -> None:
    (listener,) = dev.of_type("aws:lb/listener:Listener")
    assert (listener.inputs["port"], listener.inputs["protocol"]) == (80, "HTTP")
    assert listener.inputs["defaultActions"][0]["type"] == "fixed-response"
    assert listener.inputs["defaultActions"][0]["fixedResponse"]["statusCode"] == "404"
    group = dev.one("aws:ec2/securityGroup:SecurityGroup", "dev-alb-sg")
    assert [rule["fromPort"] for rule in group.inputs["ingress"]] == [80]
    assert dev.outputs["environments"]["dev"]["loadBalancerUrl"].startswith("http://")


def test_load_balancer_hardening(prod: Rendering, dev: Rendering) -> None:
    lb = prod.one("aws:lb/loadBalancer:LoadBalancer")
    assert lb.inputs["loadBalancerType"] == "application"
    assert lb.inputs["dropInvalidHeaderFields"] is True
    assert lb.inputs["desyncMitigationMode"] == "defensive"
    assert lb.inputs["accessLogs"]["enabled"] is True
    assert lb.inputs["subnets"] == prod.outputs["environments"]["production"]["publicSubnetIds"]
    assert lb.inputs["enableDeletionProtection"] is True
    assert dev.one("aws:lb/loadBalancer:LoadBalancer").inputs["enableDeletionProtection"] is False


def test_ingress_cidrs_are_configurable_and_described(render_definition) -> None:
    rendering = render_definition(
        "environments: {dev: {loadBalancer: {ingressCidrs: [203.0.113.0/24, 198.51.100.0/24]}}}", ["dev"]
    )
    group = rendering.one("aws:ec2/securityGroup:SecurityGroup", "dev-alb-sg")
    assert sorted(r["cidrBlocks"][0] for r in group.inputs["ingress"]) == [
        "198.51.100.0/24",
        "203.0.113.0/24",
    ]
    assert all(r["description"] for r in group.inputs["ingress"] + group.inputs["egress"])
    assert group.inputs["egress"][0]["cidrBlocks"] == ["10.0.0.0/16"]


def test_access_log_bucket_is_private_and_writable_by_elb_only(prod: Rendering) -> None:
    policy = prod.one("aws:s3/bucketPolicy:BucketPolicy", "production-alb-logs-policy").json("policy")
    statements = {s.get("Sid"): s for s in policy["Statement"]}
    deny = statements["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    principals = [
        s["Principal"] for sid, s in statements.items() if sid.startswith("LoadBalancerLogDelivery")
    ]
    assert {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"} in principals
    assert {"AWS": "arn:aws:iam::127311923021:root"} in principals  # us-east-1's ELB account
    for sid, statement in statements.items():
        if sid.startswith("LoadBalancerLogDelivery"):
            assert statement["Action"] == "s3:PutObject"
            assert statement["Resource"].endswith("/alb/AWSLogs/123456789012/*")
    block = prod.one(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "production-alb-logs-public-access"
    )
    assert all(
        block.inputs[k] is True
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    assert prod.one(
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "production-alb-logs-ownership"
    ).inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    lb = prod.one("aws:lb/loadBalancer:LoadBalancer")
    assert any("BucketPolicy" in dependency for dependency in lb.dependencies)


def test_web_acl_is_attached_when_configured(render_definition) -> None:
    acl = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/muon/0000"
    rendering = render_definition(f"environments: {{dev: {{waf: '{acl}'}}}}", ["dev"])
    assert rendering.one("aws:wafv2/webAclAssociation:WebAclAssociation").inputs["webAclArn"] == acl


def test_internal_load_balancer_sits_in_private_subnets(render_definition) -> None:
    rendering = render_definition("environments: {dev: {loadBalancer: {internal: true}}}", ["dev"])
    lb = rendering.one("aws:lb/loadBalancer:LoadBalancer")
    assert lb.inputs["internal"] is True
    assert lb.inputs["subnets"] == rendering.outputs["environments"]["dev"]["privateSubnetIds"]


def test_every_region_botocore_knows_has_an_access_log_writer() -> None:
    # Older regions write ALB logs from a regional ELB account, newer ones from the service
    # principal: a region in neither list (a new one botocore learns of) fails until classified.
    import json
    import os

    import botocore

    from muon.components.load_balancer import ELB_LOG_ACCOUNTS, ELB_LOG_PRINCIPAL_ONLY

    with open(os.path.join(os.path.dirname(botocore.__file__), "data", "partitions.json")) as file:
        partitions = json.load(file)["partitions"]
    regions = {
        region
        for partition in partitions
        if partition["id"] in ("aws", "aws-cn", "aws-us-gov", "aws-eusc")
        for region in partition["regions"]
        if not region.endswith("-global")
    }
    assert sorted(regions - set(ELB_LOG_ACCOUNTS) - ELB_LOG_PRINCIPAL_ONLY) == []
    assert set(ELB_LOG_ACCOUNTS).isdisjoint(ELB_LOG_PRINCIPAL_ONLY)
    assert ELB_LOG_ACCOUNTS["ap-southeast-3"] == "589379963580"  # Jakarta, opened before August 2022
