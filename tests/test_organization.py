"""The organization stack: OU tree, SCPs, FullAWSAccess, accounts; limits; the dynamic resources on moto."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import boto3
import pytest

from muon.components.organization import AccountPlacementProvider, FullAwsAccessDetachmentProvider
from muon.plan.offline import Rendering
from muon.policy.rules import evaluate, split_excepted
from muon.stacks.errors import DefinitionError
from muon.stacks.resolve.organization import (
    MANAGED_POLICY_SERVICES,
    MUON_SERVICES,
    OrganizationSpec,
    allowed_services,
    plan_organization,
)
from tests.aws_models import assert_valid
from tests.conftest import PROJECT_DIR, render_repository_stack

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@pytest.fixture(scope="module")
def org() -> Rendering:
    return render_repository_stack("org")


def ids(rendering: Rendering, type_token: str) -> dict[str, str]:
    """Resource name → the id the (mock) provider gave it."""
    return {r.name: r.state["id"] for r in rendering.of_type(type_token)}


def plan(data: dict, tmp_path: Path = PROJECT_DIR):
    return plan_organization(
        OrganizationSpec.model_validate(data), source="organization.yaml", base=tmp_path, tags={}
    )


def test_the_seed_tree_with_pci_nested_under_hipaa(org: Rendering) -> None:
    root = org.one("aws:organizations/organization:Organization").state["roots"][0]["id"]
    units = {
        u.inputs["name"] + ("@" + u.name): u
        for u in org.of_type("aws:organizations/organizationalUnit:OrganizationalUnit")
    }
    by_name = {u.name: u for u in units.values()}
    assert {n: u.inputs["parentId"] for n, u in by_name.items()} == {
        "org-ou-hipaaou": root,
        "org-ou-pciou": root,
        "org-ou-generalou": root,
        "org-ou-hipaaou-pciou": by_name["org-ou-hipaaou"].state["id"],
    }


def test_policies_attach_as_the_seed_meant(org: Rendering) -> None:
    policy_names = {r.state["id"]: r.inputs["name"] for r in org.of_type("aws:organizations/policy:Policy")}
    unit_paths = {
        u.state["id"]: u.name.removeprefix("org-ou-")
        for u in org.of_type("aws:organizations/organizationalUnit:OrganizationalUnit")
    }
    attached = sorted(
        (unit_paths[a.inputs["targetId"]], policy_names[a.inputs["policyId"]])
        for a in org.of_type("aws:organizations/policyAttachment:PolicyAttachment")
    )
    # The seed attached all three to HipaaOU by a copy error; one allow-list per OU, PCI also nested.
    assert attached == [
        ("generalou", "AllowAllServices"),
        ("hipaaou", "AllowHipaaServices"),
        ("hipaaou-pciou", "AllowPCIServices"),
        ("pciou", "AllowPCIServices"),
    ]
    for policy in org.of_type("aws:organizations/policy:Policy"):
        content = policy.inputs["content"]
        assert " " not in content and "\n" not in content  # minified: the quota counts whitespace
        assert len(content) <= 5120
        assert policy.inputs["type"] == "SERVICE_CONTROL_POLICY"


def test_full_aws_access_is_detached_after_the_allow_list_where_one_is_attached(org: Rendering) -> None:
    detachments = {d.name: d for d in org.of_type("pulumi-python:dynamic:Resource")}
    units = {u.name: u for u in org.of_type("aws:organizations/organizationalUnit:OrganizationalUnit")}
    assert sorted(detachments) == sorted(f"{name}-without-full-access" for name in units)
    attachments = {
        a.inputs["targetId"]: a.urn
        for a in org.of_type("aws:organizations/policyAttachment:PolicyAttachment")
    }
    for name, unit in units.items():
        detachment = detachments[f"{name}-without-full-access"]
        assert detachment.inputs["target_id"] == unit.state["id"]
        assert attachments[unit.state["id"]] in detachment.dependencies  # never a moment with no SCP
    root = org.one("aws:organizations/organization:Organization").state["roots"][0]["id"]
    assert root not in {d.inputs["target_id"] for d in detachments.values()}  # the root keeps it


def test_organization_and_accounts_are_protected(org: Rendering) -> None:
    organization = org.one("aws:organizations/organization:Organization")
    assert organization.inputs["featureSet"] == "ALL"
    assert organization.inputs["enabledPolicyTypes"] == ["SERVICE_CONTROL_POLICY"]
    assert organization.protect is True
    accounts = org.of_type("aws:organizations/account:Account")
    assert len(accounts) == 18  # four teams of four, the security and the log-archive accounts
    units = ids(org, "aws:organizations/organizationalUnit:OrganizationalUnit")
    for account in accounts:
        assert account.protect is True
        assert account.inputs["closeOnDeletion"] is False
        assert account.inputs["roleName"] == "OrganizationAccountAccessRole"
        assert "roleName" in account.ignore_changes
    portal = org.one("aws:organizations/account:Account", "org-account-portal-prod")
    assert portal.inputs["parentId"] == units["org-ou-hipaaou-pciou"]
    assert portal.inputs["email"] == "aws+portal-prod@healthco.example"
    outputs = org.outputs["organization"]
    assert set(outputs["unitIds"]) == {"HipaaOU", "HipaaOU/PciOU", "PciOU", "GeneralOU"}
    assert set(outputs["policyIds"]) == {"AllowHipaaServices", "AllowPCIServices", "AllowAllServices"}
    assert outputs["accountIds"]["portal-prod"] == portal.state["id"]
    # Open findings: none; the trail's access-log bucket has the documented log-bucket exceptions.
    open_findings, excepted = split_excepted(evaluate(org.custom_resources))
    assert open_findings == []
    assert {(f.control, f.resource) for f, _ in excepted} == {
        ("S3.17", "org-security-trail-access-logs-bucket"),
        ("S3.9", "org-security-trail-access-logs-bucket"),
    }


def test_adopting_imports_the_existing_organization(tmp_path: Path) -> None:
    result = plan({"adopt": "o-a1b2c3d4e5", "units": {}})
    assert result.args.adopt_id == "o-a1b2c3d4e5"


def test_adopt_is_an_import_of_the_organization(render_definition, tmp_path: Path, monkeypatch) -> None:
    from muon.stacks.resolve import stack as preparation

    (tmp_path / "org.yaml").write_text("adopt: o-a1b2c3d4e5\nunits: {GeneralOU: {}}\n", encoding="utf-8")
    monkeypatch.setattr(preparation, "PROJECT_DIR", tmp_path)
    rendering = render_definition(
        "environments: {dev: {}}\n", [], extra_config={"muon:organization": "org.yaml"}
    )
    organization = rendering.one("aws:organizations/organization:Organization")
    assert organization.import_id == "o-a1b2c3d4e5"
    assert organization.protect is True


def test_existing_accounts_are_moved_not_created(org: Rendering) -> None:
    result = plan(
        {
            "policies": {"AllowAll": {"document": ALLOW_ALL}},
            "units": {"GeneralOU": {"policies": ["AllowAll"]}},
            "accounts": {"legacy": {"unit": "GeneralOU", "id": "210987654321"}},
        }
    )
    (account,) = result.args.accounts
    assert (account.account_id, account.email, account.unit) == ("210987654321", None, "GeneralOU")


def deep(levels: int) -> dict:
    tree: dict = {}
    for level in reversed(range(levels)):
        tree = {f"L{level}": {"units": tree}} if tree else {f"L{level}": {}}
    return tree


def test_five_levels_are_allowed_and_six_are_not() -> None:
    assert len(plan({"units": deep(5)}).args.units) == 5
    with pytest.raises(
        DefinitionError, match=r"units.L0.units.L1.units.L2.units.L3.units.L4.units.L5: OUs nest at most 5"
    ):
        plan({"units": deep(6)})


def test_scp_size_is_measured_minified() -> None:
    padded = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": [f"svc{i:04d}:*" for i in range(450)], "Resource": "*"}],
    }
    size = len(json.dumps(padded, separators=(",", ":")))
    assert size > 5120
    with pytest.raises(
        DefinitionError, match=rf"policies.Big.document: {size} characters with whitespace removed"
    ):
        plan({"policies": {"Big": {"document": padded}}})
    # Pretty-printed it would be far larger; minified under the quota it passes.
    small = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": [f"svc{i:03d}:*" for i in range(300)], "Resource": "*"}],
    }
    assert len(json.dumps(small, indent=4)) > 5120 >= len(json.dumps(small, separators=(",", ":")))
    assert plan({"policies": {"Small": {"document": small}}}).args.policies[0].content == json.dumps(
        small, separators=(",", ":")
    )


def test_at_most_five_scps_per_target_counting_full_aws_access() -> None:
    policies = {f"P{i}": {"document": ALLOW_ALL} for i in range(5)}
    assert plan({"policies": policies, "units": {"OU": {"policies": list(policies)}}})  # detached: 5
    with pytest.raises(
        DefinitionError, match=r"units.OU.policies: 6 SCPs \(counting FullAWSAccess, still attached\)"
    ):
        plan({"policies": policies, "units": {"OU": {"policies": list(policies), "fullAwsAccess": "keep"}}})
    with pytest.raises(DefinitionError, match=r"root.policies: 6 SCPs"):
        plan({"policies": policies, "root": {"policies": list(policies)}})


BAD = [
    (
        {"policies": {"P": {"document": {"Statement": []}}}},
        "policies.P.document: a policy needs 'Version' and 'Statement'",
    ),
    ({"policies": {"P": {}}}, "policies.P: give exactly one of 'file' or 'document'"),
    ({"units": {"OU": {"policies": ["Nope"]}}}, "units.OU.policies[0]: no such policy 'Nope'"),
    (
        {"units": {"OU": {"fullAwsAccess": "detach"}}},
        "units.OU.fullAwsAccess: detaching FullAWSAccess from an OU with no other SCP",
    ),
    (
        {"units": {"OU": {}}, "accounts": {"a": {"unit": "Other", "email": "a@x.example"}}},
        "accounts.a.unit: no such OU 'Other'",
    ),
    (
        {
            "units": {"OU": {}},
            "accounts": {
                "a": {"unit": "OU", "email": "a@x.example"},
                "b": {"unit": "OU", "email": "A@x.example"},
            },
        },
        "accounts.b.email: already used by account 'a'",
    ),
    (
        {"units": {"OU": {}}, "accounts": {"a": {"unit": "OU"}}},
        "accounts.a: give 'email' to create the account or 'id'",
    ),
]


@pytest.mark.parametrize(("data", "message"), BAD)
def test_bad_organizations_name_the_path(data: dict, message: str, tmp_path: Path) -> None:
    from muon.stacks.definition.problems import validate

    def check() -> None:
        spec = validate(OrganizationSpec, data, "organization.yaml")
        plan_organization(spec, source="organization.yaml", base=tmp_path, tags={})

    with pytest.raises(DefinitionError) as raised:
        check()
    assert f"organization.yaml: {message}" in str(raised.value)


def test_invalid_json_file_is_reported_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text('{"Version": "2012-10-17",\n "Statement": [}\n', encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"policies.P.file: p.json is not valid JSON: .* \(line 2\)"):
        plan({"policies": {"P": {"file": "p.json"}}}, tmp_path)


def test_an_allow_list_that_locks_muon_out_of_its_ou_warns() -> None:
    typical_hipaa = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["ec2:*", "rds:*", "dynamodb:*", "ecs:*"], "Resource": "*"}
        ],
    }
    result = plan(
        {
            "policies": {"Hipaa": {"document": typical_hipaa}},
            "units": {"HipaaOU": {"policies": ["Hipaa"], "hostsMuon": True}},
        }
    )
    (warning,) = result.warnings
    assert "OU 'HipaaOU' hosts muon environments" in warning
    assert (
        "application-autoscaling" in warning and "codestar-connections" in warning and "ecs," not in warning
    )
    # Nested OUs see the intersection of the allow-lists above them.
    everything = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": [f"{s}:*" for s in MUON_SERVICES], "Resource": "*"}],
    }
    result = plan(
        {
            "policies": {"Hipaa": {"document": typical_hipaa}, "Muon": {"document": everything}},
            "units": {
                "HipaaOU": {
                    "policies": ["Hipaa"],
                    "units": {"Team": {"policies": ["Muon"], "hostsMuon": True}},
                }
            },
        }
    )
    assert "OU 'HipaaOU/Team'" in result.warnings[0]
    assert (
        plan(
            {
                "policies": {"Muon": {"document": everything}},
                "units": {"OU": {"policies": ["Muon"], "hostsMuon": True}},
            }
        ).warnings
        == ()
    )


def test_the_shipped_allow_lists_cover_what_muon_deploys_and_runs(
    dev: Rendering, prod: Rendering, delivery: Rendering, render_definition
) -> None:
    # What muon creates (every resource type of the rendered stacks) and what it runs (every action
    # of every IAM policy it writes, and the AWS managed policies it attaches), with ECS Exec and
    # IAM database authentication turned on.
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/muon/f@sha256:" + "a" * 64
    extra = render_definition(
        "environments: {dev: {cluster: {provider: ec2, containerInsights: true}}}\nservices:\n  banana:\n"
        "    port: 80\n    pathPatterns: [/b]\n    execCommand: true\n    readonlyRootFilesystem: false\n"
        "    database: {name: banana, iamAuthentication: true}\n"
        "  api: {kind: backend, port: 9000}\n  mailer: {kind: worker}\n"
        "jobs:\n  nightly: {service: api, command: [report], schedule: rate(1 day)}\n"
        "sites:\n  www: {}\n"
        f"functions:\n  fn: {{image: '{image}', triggers: [{{type: http, path: /x}}, {{type: queue}}]}}\n",
        ["dev"],
    )
    module_prefix = {
        "lb": "elasticloadbalancing", "appautoscaling": "application-autoscaling", "cloudwatch": None,
        "vpc": "ec2", "codestarnotifications": "codestar-notifications", "random": None,
        "apigatewayv2": "apigateway", "sfn": "states", "lambda": "lambda",
    }  # fmt: skip
    cloudwatch = {
        "logGroup": "logs",
        "logResourcePolicy": "logs",
        "eventRule": "events",
        "eventTarget": "events",
    }
    needed = set()
    resources = [r for stack in (dev, prod, delivery, extra) for r in stack.custom_resources]
    for resource in resources:
        provider, _, rest = resource.type.partition(":")
        module, kind = rest.split("/")[0], rest.split("/")[1].split(":")[0]
        if provider != "aws":
            continue
        prefix = (
            cloudwatch.get(kind, "cloudwatch")
            if module == "cloudwatch"
            else module_prefix.get(module, module)
        )
        needed.add(prefix)
    runtime = set()
    for resource in resources:
        if resource.type in ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy"):
            for statement in resource.json("policy")["Statement"]:
                actions = (
                    statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                )
                runtime |= {a.split(":")[0] for a in actions if statement["Effect"] == "Allow"}
        if resource.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            name = resource.inputs["policyArn"].rsplit("/", 1)[-1]
            if name in MANAGED_POLICY_SERVICES:
                runtime |= set(MANAGED_POLICY_SERVICES[name])
            elif "::aws:policy/" in resource.inputs["policyArn"]:
                raise AssertionError(f"classify the managed policy {name} in MANAGED_POLICY_SERVICES")
    assert {"ssmmessages", "rds-db", "ec2messages", "ssm", "kms", "ecr", "logs"} <= runtime
    assert needed | runtime <= set(MUON_SERVICES), (needed | runtime) - set(MUON_SERVICES)
    for name in ("allow-hipaa-services", "allow-pci-services"):
        document = json.loads((PROJECT_DIR / "policies" / f"{name}.json").read_text())
        assert set(MUON_SERVICES) <= allowed_services(document), name


def test_rendered_organization_calls_are_valid_for_the_api(org: Rendering) -> None:
    for policy in org.of_type("aws:organizations/policy:Policy"):
        p = policy.inputs
        assert_valid(
            "organizations",
            "CreatePolicy",
            {"Content": p["content"], "Description": p["description"], "Name": p["name"], "Type": p["type"]},
        )
    for unit in org.of_type("aws:organizations/organizationalUnit:OrganizationalUnit"):
        assert_valid(
            "organizations",
            "CreateOrganizationalUnit",
            {"ParentId": unit.inputs["parentId"], "Name": unit.inputs["name"]},
        )
    for account in org.of_type("aws:organizations/account:Account"):
        a = account.inputs
        assert_valid(
            "organizations",
            "CreateAccount",
            {
                "Email": a["email"],
                "AccountName": a["name"],
                "RoleName": a["roleName"],
                "IamUserAccessToBilling": a["iamUserAccessToBilling"],
            },
        )
    for attachment in org.of_type("aws:organizations/policyAttachment:PolicyAttachment"):
        assert_valid(
            "organizations",
            "AttachPolicy",
            {"PolicyId": attachment.inputs["policyId"], "TargetId": attachment.inputs["targetId"]},
        )


@pytest.fixture
def organization(aws: str) -> tuple:
    client = boto3.client("organizations", region_name="us-east-1")
    client.create_organization(FeatureSet="ALL")
    root = client.list_roots()["Roots"][0]["Id"]
    client.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    return client, root


def scps(client, target: str) -> list[str]:
    return sorted(
        p["Name"]
        for p in client.list_policies_for_target(TargetId=target, Filter="SERVICE_CONTROL_POLICY")["Policies"]
    )


def test_detaching_full_aws_access_on_a_real_endpoint(organization) -> None:
    client, root = organization
    ou = client.create_organizational_unit(ParentId=root, Name="HipaaOU")["OrganizationalUnit"]["Id"]
    allow = client.create_policy(
        Content=json.dumps(ALLOW_ALL), Description="d", Name="AllowAll", Type="SERVICE_CONTROL_POLICY"
    )
    client.attach_policy(PolicyId=allow["Policy"]["PolicySummary"]["Id"], TargetId=ou)
    assert scps(client, ou) == ["AllowAll", "FullAWSAccess"]
    provider = FullAwsAccessDetachmentProvider()
    props = {"target_id": ou, "aws": {"region": "us-east-1"}}
    created = provider.create(props)
    assert created.id == f"{ou}/p-FullAWSAccess"
    assert scps(client, ou) == ["AllowAll"]
    provider.create(props)  # idempotent: already detached
    provider.delete(created.id, props)
    assert scps(client, ou) == ["AllowAll", "FullAWSAccess"]
    provider.delete(created.id, props)  # and back again without error


def test_moving_an_existing_account_on_a_real_endpoint(organization) -> None:
    client, root = organization
    ou = client.create_organizational_unit(ParentId=root, Name="GeneralOU")["OrganizationalUnit"]["Id"]
    account = client.create_account(AccountName="legacy", Email="legacy@healthco.example")[
        "CreateAccountStatus"
    ]["AccountId"]
    provider = AccountPlacementProvider()
    props = {"account_id": account, "parent_id": ou, "root_id": root, "aws": {"region": "us-east-1"}}
    provider.create(props)
    assert client.list_parents(ChildId=account)["Parents"][0]["Id"] == ou
    provider.delete(account, props)
    assert client.list_parents(ChildId=account)["Parents"][0]["Id"] == root


def test_the_plan_shows_the_lock_out_warning(render_definition, tmp_path: Path, monkeypatch) -> None:
    from muon.stacks.resolve import stack as preparation

    (tmp_path / "org.yaml").write_text(
        "policies: {Hipaa: {document: {Version: '2012-10-17', Statement: [{Effect: Allow, Action: ['ec2:*'], Resource: '*'}]}}}\n"
        "units: {HipaaOU: {policies: [Hipaa], hostsMuon: true}}\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(preparation, "PROJECT_DIR", tmp_path)
    rendering = render_definition(
        "environments: {dev: {}}\n", [], extra_config={"muon:organization": "org.yaml"}
    )
    (warning,) = rendering.warnings
    assert warning.startswith(
        "org.yaml: OU 'HipaaOU' hosts muon environments, but its service control policies do not allow: acm, apigateway, "
        "application-autoscaling"
    )


def test_the_dynamic_providers_use_the_stack_aws_settings(
    organization, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A profile that names a role (as the stack's aws:profile would) and no default credentials: the
    # provider must use the profile and the role it assumes, not whatever the shell has.
    client, root = organization
    ou = client.create_organizational_unit(ParentId=root, Name="TeamOU")["OrganizationalUnit"]["Id"]
    config = tmp_path / "config"
    config.write_text(
        "[profile org-admin]\naws_access_key_id = AKIAORGADMIN\naws_secret_access_key = x\nregion = us-east-1\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key)
    props = {
        "target_id": ou,
        "aws": {
            "region": "us-east-1",
            "profile": "org-admin",
            "role_arn": "arn:aws:iam::123456789012:role/org",
        },
    }
    FullAwsAccessDetachmentProvider().create(props)
    assert scps(client, ou) == []
    with pytest.raises(Exception, match="could not be found|ProfileNotFound"):
        FullAwsAccessDetachmentProvider().create(
            {**props, "aws": {"region": "us-east-1", "profile": "missing"}}
        )


def test_the_stack_aws_settings_reach_the_providers(render_definition, tmp_path: Path, monkeypatch) -> None:
    from muon.plan.offline import render
    from muon.stacks import compose as program
    from muon.stacks.definition.stack_config import read_stack_file

    config = {
        **read_stack_file(PROJECT_DIR, "org"),
        "aws:region": "eu-west-1",
        "aws:profile": "management",
        "aws:assumeRoles": json.dumps(
            [{"roleArn": "arn:aws:iam::123456789012:role/org", "sessionName": "muon"}]
        ),
    }
    rendering = render(program.run, config=config, stack="org")
    providers = [r for r in rendering.resources if r.type == "pulumi-python:dynamic:Resource"]
    assert providers
    for provider in providers:
        assert provider.inputs["aws"] == {
            "region": "eu-west-1",
            "profile": "management",
            "role_arn": "arn:aws:iam::123456789012:role/org",
            "session_name": "muon",
        }


@pytest.mark.slow
def test_the_providers_are_stored_by_value_and_load_anywhere(tmp_path: Path) -> None:
    # State written by one checkout must load where this repository's modules are not importable
    # (another folder, the pipeline, an installed package): the pickled provider names no module
    # of this project.
    import subprocess
    import sys

    from pulumi.dynamic.dynamic import serialize_provider

    for provider in (FullAwsAccessDetachmentProvider(), AccountPlacementProvider()):
        stored = serialize_provider(provider)
        script = (
            # This project's packages made unimportable, as in a checkout elsewhere.
            "import base64, sys, dill; sys.modules.update(dict.fromkeys(['components', 'stacks', 'muon'])); "
            "p = dill.loads(base64.b64decode(sys.argv[1])); "
            "assert callable(p.create) and callable(p.delete); print(type(p).__name__)"
        )
        loaded = subprocess.run(
            [sys.executable, "-I", "-c", script, stored],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert loaded.returncode == 0, loaded.stderr
        assert loaded.stdout.strip() == type(provider).__name__


def test_accounts_join_one_at_a_time_after_every_guardrail(org: Rendering) -> None:
    accounts = [a for a in org.of_type("aws:organizations/account:Account")]
    guardrails = {
        r.urn
        for r in org.resources
        if r.type in ("aws:organizations/policyAttachment:PolicyAttachment", "pulumi-python:dynamic:Resource")
        and "account-" not in r.name
    }
    assert len(accounts) == 18 and guardrails
    waits = {a.name: org.requirements(a.urn) for a in accounts}
    for account in accounts:
        assert guardrails <= waits[account.name], account.name
    # A chain: each account waits for every one before it, none for any after it.
    order = sorted(accounts, key=lambda a: len(waits[a.name]))
    for earlier, later in itertools.pairwise(order):
        assert earlier.urn in waits[later.name]


def test_more_accounts_than_a_new_organization_holds_is_a_warning(org: Rendering) -> None:
    (warning,) = [w for w in org.warnings if "new organization" in w]
    assert warning.startswith("organization.yaml: accounts: 19 accounts with the management account")
    assert "Default maximum number of accounts" in warning


def test_a_policy_file_that_is_missing_a_folder_or_not_text_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "folder.json").mkdir()
    (tmp_path / "latin1.json").write_bytes('{"Sid": "Caf\xe9"}'.encode("latin-1"))
    for name, expected in (
        ("missing.json", "no such policy file"),
        ("folder.json", "is a folder; expected a policy file"),
        ("latin1.json", "not UTF-8 text (byte 0xe9 at offset 12); save the policy file as UTF-8"),
    ):
        with pytest.raises(DefinitionError) as raised:
            plan({"policies": {"P": {"file": name}}}, tmp_path)
        assert str(raised.value) == f"organization.yaml: policies.P.file: {tmp_path / name}: {expected}"
