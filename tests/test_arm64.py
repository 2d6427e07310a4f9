"""``platform: linux/arm64``: Fargate's Graviton, Graviton EC2 hosts with the arm64 ECS-optimized
AMI, arm64 local and pipeline builds, and the estimate at Fargate's ARM rates."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from muon.components.cluster import ARM64_AMI_PARAMETER
from muon.plan.cost import estimate
from muon.plan.mocks import aws_ami_value
from muon.plan.offline import Rendering
from muon.plan.prices import prices_for
from muon.stacks.errors import DefinitionError
from tests.aws_models import assert_valid
from tests.test_delivery import write_app
from tests.test_pipeline import CONNECTION, project, render_pipeline

ENVS = "environments: {dev: {}, production: {}}\n"
ARM_BANANA = "services:\n  banana:\n    port: 8080\n    pathPatterns: [/bananas]\n    platform: linux/arm64\n"
GRAVITON = "environments: {dev: {cluster: {provider: ec2, instanceType: t4g.medium}}}\n"


def _task(rendering: Rendering) -> dict:
    return rendering.one("aws:ecs/taskDefinition:TaskDefinition", "dev-banana-task").inputs


def test_an_arm64_service_runs_on_fargates_graviton(render_definition) -> None:
    rendering = render_definition(ENVS + ARM_BANANA, ["dev"])
    assert _task(rendering)["runtimePlatform"] == {
        "cpuArchitecture": "ARM64",
        "operatingSystemFamily": "LINUX",
    }
    assert_valid(
        "ecs",
        "RegisterTaskDefinition",
        {
            "family": "f",
            "containerDefinitions": [],
            **{"runtimePlatform": _task(rendering)["runtimePlatform"]},
        },
    )
    # The default stays x86_64.
    x86 = render_definition(ENVS + ARM_BANANA.replace("    platform: linux/arm64\n", ""), ["dev"])
    assert _task(x86)["runtimePlatform"] == {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}


def test_graviton_hosts_boot_the_arm64_ami_and_run_arm64_services(render_definition) -> None:
    rendering = render_definition(GRAVITON + ARM_BANANA, ["dev"])
    template = rendering.one("aws:ec2/launchTemplate:LaunchTemplate", "dev-launch-template")
    assert template.inputs["instanceType"] == "t4g.medium"
    # AWS's arm64 ECS-optimized Amazon Linux 2023 AMI, read from its public parameter.
    assert template.inputs["imageId"] == aws_ami_value(ARM64_AMI_PARAMETER)
    assert (
        ARM64_AMI_PARAMETER == "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
    )
    task = _task(rendering)
    assert task["requiresCompatibilities"] == ["EC2"]
    assert task["runtimePlatform"] == {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}


@pytest.mark.parametrize(
    ("environments", "service", "expected"),
    [
        (
            GRAVITON,
            ARM_BANANA.replace("    platform: linux/arm64\n", ""),
            "services.banana.platform: linux/x86_64, but environment dev's EC2 hosts (t4g.medium) are "
            "linux/arm64; give the service platform: linux/arm64 or the environment hosts of its architecture",
        ),
        (
            "environments: {dev: {cluster: {provider: ec2, instanceType: t3.large}}}\n",
            ARM_BANANA,
            "services.banana.platform: linux/arm64, but environment dev's EC2 hosts (t3.large) are "
            "linux/x86_64; give the service platform: linux/x86_64",
        ),
        (ENVS, ARM_BANANA.replace("linux/arm64", "linux/arm"), "services.banana.platform: "),
    ],
)
def test_a_service_of_another_architecture_than_its_hosts_is_refused(
    render_definition, environments, service, expected
) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(environments + service, ["dev"])
    (problem,) = caught.value.problems
    assert expected in problem, problem
    assert "\n" not in problem


def test_a_local_build_of_an_arm64_service_is_built_for_arm64(
    tmp_path: Path, render_definition, monkeypatch: pytest.MonkeyPatch
) -> None:
    from muon.stacks.resolve import stack as preparation

    monkeypatch.setattr(preparation, "PROJECT_DIR", tmp_path)
    write_app(tmp_path)
    arm = render_definition(ENVS + ARM_BANANA + "    build: {context: app}\n", ["dev"])
    built = arm.one("docker-build:index:Image").inputs
    assert built["platforms"] == ["linux/arm64"]
    x86 = render_definition(
        ENVS + ARM_BANANA.replace("linux/arm64", "linux/x86_64") + "    build: {context: app}\n", ["dev"]
    )
    # Another architecture is another image: another tag (the repository's tags are immutable).
    assert x86.one("docker-build:index:Image").inputs["tags"] != built["tags"]


PIPELINE = f"pipeline:\n  source: {{repo: acme/banana, connection: '{CONNECTION}'}}\n  stages: [{{environment: dev}}]\n"


def test_the_pipeline_builds_arm64_images_natively_on_an_arm_host(render_definition) -> None:
    rendering = render_pipeline(render_definition, ENVS + ARM_BANANA + PIPELINE)
    image = project(rendering, "image").inputs
    assert image["environment"]["type"] == "ARM_CONTAINER"
    assert image["environment"]["image"] == "aws/codebuild/amazonlinux-aarch64-standard:3.0"
    assert_valid(
        "codebuild",
        "CreateProject",
        {
            "name": image["name"],
            "source": {"type": "CODEPIPELINE"},
            "artifacts": {"type": "CODEPIPELINE"},
            "serviceRole": "arn:aws:iam::123456789012:role/r",
            "environment": {
                "type": image["environment"]["type"],
                "image": image["environment"]["image"],
                "computeType": image["environment"]["computeType"],
            },
        },
    )
    commands = yaml.safe_load(image["source"]["buildspec"])["phases"]["build"]["commands"]
    (build,) = [c for c in commands if "docker build" in c]
    assert 'docker build --platform linux/arm64 -t "$REGISTRY/muon/banana:$TAG"' in build
    # The other projects (artifact, deploy…) keep their x86 host.
    others = [
        p
        for p in rendering.of_type("aws:codebuild/project:Project")
        if not p.inputs["name"].endswith("-image")
    ]
    assert others and all(p.inputs["environment"]["type"] == "LINUX_CONTAINER" for p in others)


def test_a_pipeline_building_both_architectures_is_refused(render_definition) -> None:
    definition = (
        ENVS + ARM_BANANA + "  worker: {kind: worker, command: [python, -m, app.worker]}\n" + PIPELINE
    )
    with pytest.raises(DefinitionError) as caught:
        render_pipeline(render_definition, definition)
    (problem,) = caught.value.problems
    assert problem.endswith(
        "services.banana.platform: linux/arm64 beside linux/x86_64 services (worker); the pipeline builds "
        "every image on one CodeBuild host: give its services one platform"
    ), problem


def test_fargate_arm_tasks_are_priced_at_the_arm_rates(render_definition) -> None:
    arm = estimate(render_definition(ENVS + ARM_BANANA, ["dev"]), "us-east-1")
    x86 = estimate(
        render_definition(ENVS + ARM_BANANA.replace("linux/arm64", "linux/x86_64"), ["dev"]), "us-east-1"
    )
    (arm_line,) = [line for line in arm.lines if line.resource == "dev-banana-service"]
    (x86_line,) = [line for line in x86.lines if line.resource == "dev-banana-service"]
    prices = prices_for("us-east-1")
    # dev runs its task on Fargate Spot (ARM Spot too): 1 task of 0.25 vCPU and 0.5 GB (the defaults), 730 h, at the
    # Fargate pricing page's Linux/ARM rates, less the Spot discount.
    assert arm_line.item == "Fargate Spot ARM tasks" and x86_line.item == "Fargate Spot tasks"
    spot = 1 - prices.spot_discount
    assert arm_line.monthly == pytest.approx(730 * (0.25 * 0.03238 + 0.5 * 0.00356) * spot)
    assert prices["fargateArmVcpuHour"] == pytest.approx(prices["fargateVcpuHour"] * 0.8, rel=0.01)
    assert arm_line.monthly == pytest.approx(x86_line.monthly * 0.8, rel=0.01)
