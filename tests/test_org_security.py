"""Organization-wide security from the org stack: trail, GuardDuty, Security Hub, Access Analyzer,
Config, each from the account where it belongs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from muon.plan.offline import Rendering
from muon.stacks.errors import DefinitionError
from muon.stacks.resolve.organization import load_organization
from tests.aws_models import assert_valid
from tests.conftest import PROJECT_DIR, render_repository_stack

SECURITY_PROVIDER = "pulumi:providers:aws::org-security-security-account::"
ARCHIVE_PROVIDER = "pulumi:providers:aws::org-security-log-archive-account::"


@pytest.fixture(scope="module")
def org() -> Rendering:
    return render_repository_stack("org")


def account_id(org: Rendering, name: str) -> str:
    return org.one("aws:organizations/account:Account", f"org-account-{name}").state["id"]


def test_the_organization_trusts_each_security_service(org: Rendering) -> None:
    principals = set(
        org.one("aws:organizations/organization:Organization").inputs["awsServiceAccessPrincipals"]
    )
    assert {
        "cloudtrail.amazonaws.com",
        "guardduty.amazonaws.com",
        "securityhub.amazonaws.com",
        "access-analyzer.amazonaws.com",
        "config.amazonaws.com",
        "config-multiaccountsetup.amazonaws.com",
        "member.org.stacksets.cloudformation.amazonaws.com",
    } <= principals


def test_an_organization_trail_to_a_locked_down_bucket_in_the_log_archive(org: Rendering) -> None:
    trail = org.one("aws:cloudtrail/trail:Trail").inputs
    assert trail["isOrganizationTrail"] is True
    assert trail["isMultiRegionTrail"] is True
    assert trail["enableLogFileValidation"] is True
    assert trail["includeGlobalServiceEvents"] is True
    key = org.one("aws:kms/key:Key", "org-security-trail-key")
    assert trail["kmsKeyId"] == key.state["arn"]
    assert key.inputs["enableKeyRotation"] is True
    bucket = org.one("aws:s3/bucket:Bucket", "org-security-trail-logs-bucket")
    assert trail["s3BucketName"] == bucket.state["bucket"]
    # The bucket, its key and its access-log bucket live in the log-archive account.
    for name in ("org-security-trail-logs-bucket", "org-security-trail-access-logs-bucket"):
        assert ARCHIVE_PROVIDER in org.one("aws:s3/bucket:Bucket", name).provider
    assert ARCHIVE_PROVIDER in key.provider
    archive = account_id(org, "log-archive")
    policy = json.loads(key.inputs["policy"])
    admin = next(s for s in policy["Statement"] if s["Sid"] == "AccountAdministersKey")
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{archive}:root"}
    encrypts = next(s for s in policy["Statement"] if s["Sid"] == "CloudTrailEncrypts")
    assert encrypts["Condition"]["StringEquals"]["aws:SourceArn"].endswith(":trail/muon-organization-trail")
    sse = org.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "org-security-trail-logs-encryption",
    ).inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert sse == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.state["arn"]}
    versioning = org.one("aws:s3/bucketVersioning:BucketVersioning", "org-security-trail-logs-versioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    logging = org.one("aws:s3/bucketLogging:BucketLogging").inputs
    assert logging["bucket"] == bucket.state["id"]
    assert (
        logging["targetBucket"]
        == org.one("aws:s3/bucket:Bucket", "org-security-trail-access-logs-bucket").state["bucket"]
    )
    # The access-log bucket admits S3's logging service for the trail's bucket, in the log archive
    # account, only (S3 user guide, "Enabling Amazon S3 server access logging").
    admitted = org.one("aws:s3/bucketPolicy:BucketPolicy", "org-security-trail-access-logs-policy")
    assert ARCHIVE_PROVIDER in admitted.provider
    (logs_from,) = [s for s in admitted.json("policy")["Statement"] if s.get("Sid") == "S3ServerAccessLogs"]
    assert logs_from["Condition"] == {
        "ArnLike": {"aws:SourceArn": bucket.state["arn"]},
        "StringEquals": {"aws:SourceAccount": archive},
    }
    statements = {
        s.get("Sid"): s
        for s in org.one("aws:s3/bucketPolicy:BucketPolicy", "org-security-trail-logs-policy").json("policy")[
            "Statement"
        ]
    }
    writes = statements["CloudTrailWrites"]
    organization_id = org.one("aws:organizations/organization:Organization").state["id"]
    assert any(f"/AWSLogs/{organization_id}/*" in r for r in writes["Resource"])
    assert writes["Condition"]["StringEquals"]["aws:SourceArn"].endswith(":trail/muon-organization-trail")
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"


def test_guardduty_and_security_hub_are_run_by_the_security_account_for_every_member(org: Rendering) -> None:
    security = account_id(org, "security")
    for kind in ("guardduty", "securityhub"):
        admin = org.one(f"aws:{kind}/organizationAdminAccount:OrganizationAdminAccount")
        assert admin.inputs["adminAccountId"] == security
        assert admin.provider == ""  # enabled from the management account
    guardduty = org.one("aws:guardduty/organizationConfiguration:OrganizationConfiguration")
    assert guardduty.inputs["autoEnableOrganizationMembers"] == "ALL"
    assert guardduty.inputs["detectorId"] == org.one("aws:guardduty/detector:Detector").state["id"]
    hub = org.one("aws:securityhub/organizationConfiguration:OrganizationConfiguration").inputs
    assert hub["organizationConfiguration"] == {"configurationType": "CENTRAL"}
    policy = org.one("aws:securityhub/configurationPolicy:ConfigurationPolicy").inputs["configurationPolicy"]
    assert policy["enabledStandardArns"] == [
        "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0"
    ]
    for type_token in (
        "aws:guardduty/detector:Detector",
        "aws:guardduty/organizationConfiguration:OrganizationConfiguration",
        "aws:securityhub/account:Account",
        "aws:securityhub/organizationConfiguration:OrganizationConfiguration",
        "aws:securityhub/findingAggregator:FindingAggregator",
        "aws:securityhub/configurationPolicy:ConfigurationPolicy",
        "aws:securityhub/configurationPolicyAssociation:ConfigurationPolicyAssociation",
        "aws:accessanalyzer/analyzer:Analyzer",
        "aws:cfg/configurationAggregator:ConfigurationAggregator",
    ):
        assert SECURITY_PROVIDER in org.one(type_token).provider, type_token
    provider = next(r for r in org.resources if r.name == "org-security-security-account")
    (role,) = json.loads(provider.inputs["assumeRoles"])  # provider inputs travel as strings
    assert role["roleArn"] == f"arn:aws:iam::{security}:role/OrganizationAccountAccessRole"


def test_access_analyzer_and_config_have_the_security_account_as_delegated_administrator(
    org: Rendering,
) -> None:
    security = account_id(org, "security")
    delegated = {
        d.inputs["servicePrincipal"]: d.inputs["accountId"]
        for d in org.of_type("aws:organizations/delegatedAdministrator:DelegatedAdministrator")
    }
    assert delegated == {
        "access-analyzer.amazonaws.com": security,
        "config.amazonaws.com": security,
        "config-multiaccountsetup.amazonaws.com": security,
    }
    analyzer = org.one("aws:accessanalyzer/analyzer:Analyzer").inputs
    assert (analyzer["type"], analyzer["analyzerName"]) == ("ORGANIZATION", "muon-organization")
    aggregator = org.one("aws:cfg/configurationAggregator:ConfigurationAggregator").inputs
    assert aggregator["organizationAggregationSource"]["allRegions"] is True
    stack_set = org.one("aws:cloudformation/stackSet:StackSet").inputs
    assert stack_set["permissionModel"] == "SERVICE_MANAGED"
    assert stack_set["autoDeployment"]["enabled"] is True
    template = json.loads(stack_set["templateBody"])
    recorder = template["Resources"]["Recorder"]["Properties"]
    assert recorder["RecordingGroup"] == {"AllSupported": True, "IncludeGlobalResourceTypes": True}
    assert template["Resources"]["DeliveryChannel"]["DependsOn"] == ["DeliveryBucketPolicy", "Recorder"]
    instance = org.one("aws:cloudformation/stackSetInstance:StackSetInstance").inputs
    root = org.outputs["organization"]["rootId"]
    assert instance["deploymentTargets"]["organizationalUnitIds"] == [root]


def test_rendered_security_calls_are_valid_for_the_apis(org: Rendering) -> None:
    trail = org.one("aws:cloudtrail/trail:Trail").inputs
    assert_valid(
        "cloudtrail",
        "CreateTrail",
        {
            "Name": trail["name"],
            "S3BucketName": trail["s3BucketName"],
            "KmsKeyId": trail["kmsKeyId"],
            "IsOrganizationTrail": trail["isOrganizationTrail"],
            "IsMultiRegionTrail": trail["isMultiRegionTrail"],
            "EnableLogFileValidation": trail["enableLogFileValidation"],
            "IncludeGlobalServiceEvents": trail["includeGlobalServiceEvents"],
        },
    )
    security = account_id(org, "security")
    assert_valid("guardduty", "EnableOrganizationAdminAccount", {"AdminAccountId": security})
    configuration = org.one("aws:guardduty/organizationConfiguration:OrganizationConfiguration").inputs
    assert_valid(
        "guardduty",
        "UpdateOrganizationConfiguration",
        {
            "DetectorId": configuration["detectorId"],
            "AutoEnableOrganizationMembers": configuration["autoEnableOrganizationMembers"],
        },
    )
    assert_valid("securityhub", "EnableOrganizationAdminAccount", {"AdminAccountId": security})
    hub = org.one("aws:securityhub/organizationConfiguration:OrganizationConfiguration").inputs
    assert_valid(
        "securityhub",
        "UpdateOrganizationConfiguration",
        {
            "AutoEnable": hub["autoEnable"],
            "AutoEnableStandards": hub["autoEnableStandards"],
            "OrganizationConfiguration": {
                "ConfigurationType": hub["organizationConfiguration"]["configurationType"]
            },
        },
    )
    aggregator = org.one("aws:securityhub/findingAggregator:FindingAggregator").inputs
    assert_valid("securityhub", "CreateFindingAggregator", {"RegionLinkingMode": aggregator["linkingMode"]})
    policy = org.one("aws:securityhub/configurationPolicy:ConfigurationPolicy").inputs
    configuration = policy["configurationPolicy"]
    assert_valid(
        "securityhub",
        "CreateConfigurationPolicy",
        {
            "Name": policy["name"],
            "Description": policy["description"],
            "ConfigurationPolicy": {
                "SecurityHub": {
                    "ServiceEnabled": configuration["serviceEnabled"],
                    "EnabledStandardIdentifiers": configuration["enabledStandardArns"],
                    "SecurityControlsConfiguration": {
                        "DisabledSecurityControlIdentifiers": configuration["securityControlsConfiguration"][
                            "disabledControlIdentifiers"
                        ]
                    },
                }
            },
        },
    )
    analyzer = org.one("aws:accessanalyzer/analyzer:Analyzer").inputs
    assert_valid(
        "accessanalyzer",
        "CreateAnalyzer",
        {"analyzerName": analyzer["analyzerName"], "type": analyzer["type"]},
    )
    for delegated in org.of_type("aws:organizations/delegatedAdministrator:DelegatedAdministrator"):
        assert_valid(
            "organizations",
            "RegisterDelegatedAdministrator",
            {
                "AccountId": delegated.inputs["accountId"],
                "ServicePrincipal": delegated.inputs["servicePrincipal"],
            },
        )
    aggregator = org.one("aws:cfg/configurationAggregator:ConfigurationAggregator").inputs
    source = aggregator["organizationAggregationSource"]
    assert_valid(
        "config",
        "PutConfigurationAggregator",
        {
            "ConfigurationAggregatorName": aggregator["name"],
            "OrganizationAggregationSource": {
                "RoleArn": source["roleArn"],
                "AllAwsRegions": source["allRegions"],
            },
        },
    )
    stack_set = org.one("aws:cloudformation/stackSet:StackSet").inputs
    assert_valid(
        "cloudformation",
        "CreateStackSet",
        {
            "StackSetName": stack_set["name"],
            "TemplateBody": stack_set["templateBody"],
            "PermissionModel": stack_set["permissionModel"],
            "Capabilities": stack_set["capabilities"],
            "AutoDeployment": {
                "Enabled": stack_set["autoDeployment"]["enabled"],
                "RetainStacksOnAccountRemoval": stack_set["autoDeployment"]["retainStacksOnAccountRemoval"],
            },
        },
    )
    principals = org.one("aws:organizations/organization:Organization").inputs["awsServiceAccessPrincipals"]
    for principal in principals:
        assert_valid("organizations", "EnableAWSServiceAccess", {"ServicePrincipal": principal})


def write(tmp_path: Path, security: str, accounts: str = "") -> Path:
    path = tmp_path / "organization.yaml"
    path.write_text(
        "units:\n  Workloads: {}\naccounts:\n"
        "  sec: {unit: Workloads, id: '111111111111'}\n"
        "  logs: {unit: Workloads, email: logs@example.com}\n"
        f"{accounts}security: {security}\n",
        encoding="utf-8",
    )
    return path


def test_each_service_is_a_switch(tmp_path: Path) -> None:
    plan = load_organization(
        write(tmp_path, "{account: '111111111111', guardDuty: false, config: false}"), tags={}
    )
    assert plan.security is not None and plan.security.account == "sec"
    assert plan.security.switches == {
        "trail": True,
        "guard_duty": False,
        "security_hub": True,
        "access_analyzer": True,
        "config": False,
    }
    assert "guardduty.amazonaws.com" not in plan.args.service_principals
    assert "config-multiaccountsetup.amazonaws.com" not in plan.args.service_principals
    assert "config.amazonaws.com" in plan.args.service_principals  # Security Hub's controls use Config
    assert load_organization(write(tmp_path, "null"), tags={}).args.service_principals == ()


@pytest.mark.parametrize(
    ("security", "expected"),
    [
        ("{account: '222222222222'}", "security.account: '222222222222' is not an account of this file"),
        (
            "{account: sec, logArchive: archive}",
            "security.logArchive: 'archive' is not an account of this file",
        ),
        ("{}", "security.account"),
    ],
)
def test_a_security_account_not_in_the_file_is_refused_in_one_line(
    tmp_path: Path, security: str, expected: str
) -> None:
    with pytest.raises(DefinitionError) as caught:
        load_organization(write(tmp_path, security), tags={})
    (problem,) = caught.value.problems
    assert expected in problem and "\n" not in problem


def test_the_guardduty_designation_waits_for_the_security_accounts_own_detector(org: Rendering) -> None:
    """Designating the delegated administrator creates a detector in it unless one exists: ours
    exists first, so AWS adopts it and nothing is created twice."""
    (detector,) = org.of_type("aws:guardduty/detector:Detector")
    assert SECURITY_PROVIDER in detector.provider
    admin = org.one("aws:guardduty/organizationAdminAccount:OrganizationAdminAccount")
    assert detector.urn in org.requirements(admin.urn)
    configuration = org.one("aws:guardduty/organizationConfiguration:OrganizationConfiguration")
    assert {detector.urn, admin.urn} <= org.requirements(configuration.urn)
    hub = org.one("aws:securityhub/account:Account")
    assert hub.urn in org.requirements(
        org.one("aws:securityhub/organizationAdminAccount:OrganizationAdminAccount").urn
    )


def test_security_hub_enrols_every_account_of_the_file_through_a_policy_on_the_root(org: Rendering) -> None:
    """Local auto-enable reaches only accounts that join later: central configuration instead,
    a policy on the root that every account of organization.yaml lies under."""
    configuration = org.one("aws:securityhub/organizationConfiguration:OrganizationConfiguration")
    assert (configuration.inputs["autoEnable"], configuration.inputs["autoEnableStandards"]) == (
        False,
        "NONE",
    )
    assert configuration.inputs["organizationConfiguration"] == {"configurationType": "CENTRAL"}
    aggregator = org.one("aws:securityhub/findingAggregator:FindingAggregator")
    assert aggregator.inputs["linkingMode"] == "NO_REGIONS"
    assert aggregator.urn in org.requirements(configuration.urn)
    assert org.one(
        "aws:securityhub/organizationAdminAccount:OrganizationAdminAccount"
    ).urn in org.requirements(aggregator.urn)
    policy = org.one("aws:securityhub/configurationPolicy:ConfigurationPolicy")
    assert policy.inputs["configurationPolicy"]["serviceEnabled"] is True
    assert configuration.urn in org.requirements(policy.urn)
    association = org.one("aws:securityhub/configurationPolicyAssociation:ConfigurationPolicyAssociation")
    assert association.inputs["policyId"] == policy.state["id"]
    root = org.outputs["organization"]["rootId"]
    assert association.inputs["targetId"] == root
    # Every account of the shipped file sits under that root (through its OUs).
    parents = {
        ou.state["id"]: ou.inputs["parentId"]
        for ou in org.of_type("aws:organizations/organizationalUnit:OrganizationalUnit")
    }
    accounts = org.of_type("aws:organizations/account:Account")
    names = {a.inputs["name"] for a in accounts}
    assert names == set(yaml.safe_load((PROJECT_DIR / "organization.yaml").read_text())["accounts"])
    for account in accounts:
        parent = account.inputs["parentId"]
        while parent in parents:
            parent = parents[parent]
        assert parent == root, account.name
    assert not org.of_type("aws:securityhub/standardsSubscription:StandardsSubscription")
