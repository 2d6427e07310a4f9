"""The ECS cluster: Fargate capacity, or EC2 instances that scale with the tasks."""

from __future__ import annotations

import base64

import pytest

from muon.components.cluster import AMI_PARAMETER, ARM64_AMI_PARAMETER, is_arm64
from muon.plan.mocks import aws_ami_value
from muon.plan.offline import Rendering
from muon.stacks.errors import DefinitionError


def test_container_insights_on_in_production_off_in_development(dev: Rendering, prod: Rendering) -> None:
    setting = {
        r.name: r.inputs["settings"]
        for r in (dev.one("aws:ecs/cluster:Cluster"), prod.one("aws:ecs/cluster:Cluster"))
    }
    assert setting == {
        "production-cluster": [{"name": "containerInsights", "value": "enabled"}],
        "dev-cluster": [{"name": "containerInsights", "value": "disabled"}],
    }


def test_container_insights_follow_the_definition(render_definition) -> None:
    rendering = render_definition("environments: {dev: {cluster: {containerInsights: true}}}", ["dev"])
    assert rendering.one("aws:ecs/cluster:Cluster").inputs["settings"] == [
        {"name": "containerInsights", "value": "enabled"}
    ]


def test_dev_runs_every_task_on_fargate_spot(dev: Rendering) -> None:
    capacity = dev.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    assert capacity.inputs["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert capacity.inputs["defaultCapacityProviderStrategies"] == [
        {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0},
    ]
    assert dev.of_type("aws:autoscaling/group:Group") == []


def test_production_spot_keeps_the_first_task_on_regular_fargate(render_definition) -> None:
    rendering = render_definition(
        "environments: {production: {cluster: {spot: true}, loadBalancer: {allowPlainHttp: true}}}",
        ["production"],
    )
    capacity = rendering.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    assert capacity.inputs["defaultCapacityProviderStrategies"] == [
        {"capacityProvider": "FARGATE", "weight": 0, "base": 1},
        {"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0},
    ]


def test_ec2_launch_template_requires_imdsv2_and_encrypts_the_root_volume(prod: Rendering) -> None:
    template = prod.one("aws:ec2/launchTemplate:LaunchTemplate")
    assert template.inputs["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
    }
    assert template.inputs["instanceType"] == "t3.large"
    assert template.inputs["imageId"].startswith("ami-0")
    (device,) = template.inputs["blockDeviceMappings"]
    assert device["ebs"]["encrypted"] == "true"
    assert device["ebs"]["volumeType"] == "gp3"
    (interface,) = template.inputs["networkInterfaces"]
    assert interface["associatePublicIpAddress"] == "false"
    script = base64.b64decode(template.inputs["userData"]).decode()
    assert "ECS_CLUSTER=muon-production" in script
    assert "ECS_AWSVPC_BLOCK_IMDS=true" in script


def test_ec2_group_spreads_over_private_subnets_and_leaves_desired_to_ecs(prod: Rendering) -> None:
    group = prod.one("aws:autoscaling/group:Group")
    private = prod.outputs["environments"]["production"]["privateSubnetIds"]
    assert group.inputs["vpcZoneIdentifiers"] == private
    assert (group.inputs["minSize"], group.inputs["maxSize"]) == (2, 10)
    assert group.inputs["protectFromScaleIn"] is True
    assert "desiredCapacity" in group.ignore_changes
    assert {"key": "AmazonECSManaged", "value": "true", "propagateAtLaunch": True} in group.inputs["tags"]


def test_capacity_provider_scales_the_group_with_the_tasks(prod: Rendering) -> None:
    provider = prod.one("aws:ecs/capacityProvider:CapacityProvider")
    asg = provider.inputs["autoScalingGroupProvider"]
    assert asg["managedScaling"]["status"] == "ENABLED"
    assert asg["managedScaling"]["targetCapacity"] == 100
    assert asg["managedTerminationProtection"] == "ENABLED"
    assert asg["managedDraining"] == "ENABLED"
    capacity = prod.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
    assert capacity.inputs["capacityProviders"] == [provider.inputs["name"]]


def test_instances_are_managed_by_ssm_not_ssh(prod: Rendering) -> None:
    attached = {
        a.inputs["policyArn"] for a in prod.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" in attached
    group = prod.one("aws:ec2/securityGroup:SecurityGroup", "production-instances-sg")
    assert not group.inputs.get("ingress")


def test_graviton_types_are_recognised() -> None:
    assert is_arm64("t4g.small") and is_arm64("m7g.large") and is_arm64("c6gn.xlarge")
    assert not is_arm64("t3.large") and not is_arm64("g4dn.xlarge") and not is_arm64("m7i.large")


def test_graviton_hosts_boot_the_arm64_ami(render_definition) -> None:
    # Graviton hosts run linux/arm64 services (tests/test_arm64.py); an x86 AMI would not boot them.
    rendering = render_definition(
        "environments: {dev: {cluster: {provider: ec2, instanceType: t4g.medium}}}", ["dev"]
    )
    template = rendering.one("aws:ec2/launchTemplate:LaunchTemplate", "dev-launch-template")
    assert template.inputs["imageId"] == aws_ami_value(ARM64_AMI_PARAMETER)
    assert template.inputs["imageId"] != aws_ami_value(AMI_PARAMETER)


HARDENED = "/acme/ecs/hardened-ami"
EC2_ENVIRONMENT = "environments: {dev: {cluster: {provider: ec2, imageId: %s}}}\n"


def _plan_project(tmp_path, image_id: str) -> tuple[int, str, str]:
    """`python -m muon.plan dev` of a project whose EC2 hosts boot ``image_id``."""
    import io
    import shutil

    from muon.plan.command import main
    from tests.conftest import PROJECT_DIR

    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "muon.yaml").write_text(EC2_ENVIRONMENT % image_id, encoding="utf-8")
    (tmp_path / "Pulumi.dev.yaml").write_text(
        "config:\n  aws:region: us-east-1\n  muon:environments: [dev]\n", encoding="utf-8"
    )
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["dev", "--quiet", "--json", str(tmp_path / "plan.json")], out=out, err=err, project_dir=tmp_path
    )
    return code, out.getvalue(), err.getvalue()


def _launch_template_image(tmp_path) -> str:
    import json

    document = json.loads((tmp_path / "plan.json").read_text())
    (template,) = [
        r
        for r in document["resources"]
        if r["type"] == "aws:ec2/launchTemplate:LaunchTemplate" and r["name"] == "dev-launch-template"
    ]
    return template["inputs"]["imageId"]


@pytest.mark.parametrize("image_id", [HARDENED, f"resolve:ssm:{HARDENED}"])
def test_the_offline_plan_of_a_company_ami_parameter_shows_a_stand_in_and_says_so(tmp_path, image_id) -> None:
    # It crashed with a traceback: the mocks did not answer aws:ssm/getParameter for the name.
    code, out, err = _plan_project(tmp_path, image_id)
    assert (code, err) == (0, "")
    assert (
        f"muon.yaml: environments.dev.cluster.imageId: offline, {HARDENED} cannot be read; the plan "
        "shows a stand-in AMI (us-east-1)"
    ) in out
    assert _launch_template_image(tmp_path).startswith("ami-0")


def test_aws_public_ami_parameters_resolve_to_their_ami_id(tmp_path) -> None:
    # AWS's .../recommended holds a JSON document; .../recommended/image_id the id itself (ECS
    # developer guide, "Retrieving Amazon ECS-optimized Linux AMI metadata"): both mean one AMI.
    base = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended"
    images = []
    for image_id in (f"{base}/image_id", base, f"resolve:ssm:{base}/image_id"):
        code, out, err = _plan_project(tmp_path, image_id)
        assert (code, err) == (0, ""), err
        assert "stand-in AMI" not in out
        images.append(_launch_template_image(tmp_path))
    assert len(set(images)) == 1 and images[0].startswith("ami-0")


def test_a_company_ami_parameter_is_read_at_deploy_and_must_hold_an_ami(render_definition) -> None:
    from muon.plan.offline import MuonMocks

    mocks = MuonMocks()
    mocks.image_parameters[HARDENED] = '{"image_id": "ami-0123456789abcdef0", "image_name": "hardened"}'
    rendering = render_definition(EC2_ENVIRONMENT % HARDENED, ["dev"], mocks=mocks)
    template = rendering.one("aws:ec2/launchTemplate:LaunchTemplate", "dev-launch-template")
    assert template.inputs["imageId"] == "ami-0123456789abcdef0"
    assert ("aws:ssm/getParameter:getParameter", {"name": HARDENED}) in mocks.calls
    assert rendering.warnings == []  # the parameter was read, not stood in for
    mocks = MuonMocks()
    mocks.image_parameters[HARDENED] = "golden-2026-11"
    with pytest.raises(DefinitionError) as caught:
        render_definition(EC2_ENVIRONMENT % HARDENED, ["dev"], mocks=mocks)
    (problem,) = caught.value.problems
    assert problem.endswith(
        f"environments.dev.cluster.imageId: {HARDENED} holds 'golden-2026-11', not an AMI id (ami-…) nor "
        "an AMI document with an image_id; name the parameter that holds the id (…/recommended/image_id)"
    )
    mocks = MuonMocks()
    mocks.image_parameters[HARDENED] = None  # no such parameter
    with pytest.raises(DefinitionError) as caught:
        render_definition(EC2_ENVIRONMENT % HARDENED, ["dev"], mocks=mocks)
    (problem,) = caught.value.problems
    assert problem.endswith(
        f"environments.dev.cluster.imageId: Parameter Store has no parameter {HARDENED} in us-east-1"
    )  # a denied read is not "no parameter": it stops the run as a failed read (tests/test_facts.py)


def test_ec2_hosts_launch_with_eni_trunking_on(prod: Rendering, dev: Rendering) -> None:
    # Each awsvpc task takes a network interface: without trunking a host runs 2 (3 interfaces, one
    # its own), so a 200% rollout needed new hosts; with awsvpcTrunking a supported type runs many
    # more (ECS developer guide, "Increasing Amazon ECS Linux container instance network interfaces").
    (setting,) = prod.of_type("aws:ecs/accountSettingDefault:AccountSettingDefault")
    assert (setting.inputs["name"], setting.inputs["value"]) == ("awsvpcTrunking", "enabled")
    assert setting.retain_on_delete is True  # an account setting of the region other stacks share
    # It applies to hosts launched after it: the group launches none before.
    group = prod.one("aws:autoscaling/group:Group")
    assert setting.urn in prod.requirements(group.urn)
    assert dev.of_type("aws:ecs/accountSettingDefault:AccountSettingDefault") == []  # Fargate
