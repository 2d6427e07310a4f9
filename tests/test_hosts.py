"""EC2 host control: a hardened AMI (by id or Parameter Store name), extra boot lines, and an
egress proxy for the ECS agent, Docker and every task."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from muon.plan.offline import MuonMocks, Rendering
from tests.conftest import definition_error, render_definition_text

HARDENED = "ami-0123456789abcdef0"


def ec2_environment(
    cluster: str, services: str = "  banana: {port: 8080, pathPatterns: [/bananas]}\n"
) -> str:
    return (
        "environments:\n"
        f"  dev: {{network: {{cidr: 10.20.0.0/16}}, cluster: {{provider: ec2, {cluster}}}}}\n"
        f"services:\n{services}"
    )


def boot_script(rendering: Rendering) -> str:
    template = rendering.one("aws:ec2/launchTemplate:LaunchTemplate", "dev-launch-template").inputs
    return base64.b64decode(template["userData"]).decode()


def container_environment(rendering: Rendering, service: str) -> dict[str, str]:
    task = rendering.one("aws:ecs/taskDefinition:TaskDefinition", f"dev-{service}-task")
    (app,) = task.json("containerDefinitions")
    return {v["name"]: v["value"] for v in app["environment"]}


def test_a_hardened_ami_by_id(tmp_path: Path) -> None:
    rendering = render_definition_text(tmp_path, ec2_environment(f"imageId: {HARDENED}"), ["dev"])
    assert (
        rendering.one("aws:ec2/launchTemplate:LaunchTemplate", "dev-launch-template").inputs["imageId"]
        == HARDENED
    )


def test_a_hardened_ami_by_parameter_name(tmp_path: Path) -> None:
    mocks = MuonMocks()
    mocks.existing_parameters["/acme/ecs/hardened-ami"] = HARDENED
    rendering = render_definition_text(
        tmp_path, ec2_environment("imageId: /acme/ecs/hardened-ami"), ["dev"], mocks=mocks
    )
    assert (
        rendering.one("aws:ec2/launchTemplate:LaunchTemplate", "dev-launch-template").inputs["imageId"]
        == HARDENED
    )
    asked = [p["name"] for t, p in mocks.calls if t == "aws:ssm/getParameter:getParameter"]
    assert "/acme/ecs/hardened-ami" in asked
    assert not [name for name in asked if name.startswith("/aws/service/ecs/optimized-ami/")]


def test_user_data_runs_after_muons_own_lines(tmp_path: Path) -> None:
    rendering = render_definition_text(
        tmp_path, ec2_environment('userData: "yum install -y falcon-sensor\\n/opt/acme/enroll.sh"'), ["dev"]
    )
    script = boot_script(rendering)
    assert script.startswith("#!/bin/bash\necho ECS_CLUSTER=muon-dev >> /etc/ecs/ecs.config\n")
    assert script.index("ECS_AWSVPC_BLOCK_IMDS=true") < script.index("yum install -y falcon-sensor")
    assert script.endswith("yum install -y falcon-sensor\n/opt/acme/enroll.sh\n")


def test_an_egress_proxy_for_agent_docker_and_tasks(tmp_path: Path) -> None:
    services = (
        "  banana: {port: 8080, pathPatterns: [/bananas]}\n"
        "  apple: {port: 8080, pathPatterns: [/apples], environment: {NO_PROXY: apple.internal}}\n"
    )
    rendering = render_definition_text(
        tmp_path, ec2_environment("httpProxy: 'http://proxy.corp:3128'", services), ["dev"]
    )
    script = boot_script(rendering)
    assert "echo HTTP_PROXY=http://proxy.corp:3128 >> /etc/ecs/ecs.config" in script
    assert "echo NO_PROXY=169.254.169.254,169.254.170.2,/var/run/docker.sock >> /etc/ecs/ecs.config" in script
    assert "/etc/systemd/system/docker.service.d/http-proxy.conf" in script
    assert "/etc/systemd/system/ecs.service.d/http-proxy.conf" in script
    variables = container_environment(rendering, "banana")
    assert variables["HTTP_PROXY"] == variables["HTTPS_PROXY"] == "http://proxy.corp:3128"
    bypass = variables["NO_PROXY"].split(",")
    for needed in (
        "10.20.0.0/16",
        ".amazonaws.com",
        ".us-east-1.amazonaws.com",
        "169.254.170.2",
        "169.254.169.254",
    ):
        assert needed in bypass
    assert container_environment(rendering, "apple")["NO_PROXY"] == "apple.internal"  # the service's own wins


def test_a_proxy_on_fargate_reaches_the_tasks(tmp_path: Path) -> None:
    rendering = render_definition_text(
        tmp_path,
        "environments: {dev: {cluster: {httpProxy: 'http://proxy.corp:3128'}}}\n"
        "services: {banana: {port: 8080, pathPatterns: [/bananas]}}\n",
        ["dev"],
    )
    assert container_environment(rendering, "banana")["HTTPS_PROXY"] == "http://proxy.corp:3128"
    assert "dev-launch-template" not in {
        t.name for t in rendering.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    }


@pytest.mark.parametrize(
    ("cluster", "path", "expected"),
    [
        (f"{{imageId: {HARDENED}}}", "environments.dev.cluster.imageId", "needs provider: ec2"),
        ("{userData: 'echo hi'}", "environments.dev.cluster.userData", "needs provider: ec2"),
        ("{provider: ec2, imageId: ubuntu-22}", "environments.dev.cluster.imageId", "an AMI id"),
        ("{provider: ec2, httpProxy: 'proxy:3128'}", "environments.dev.cluster.httpProxy", "a proxy URL"),
        (
            f"{{provider: ec2, userData: '{'x' * 12_001}'}}",
            "environments.dev.cluster.userData",
            "at most 12000",
        ),
    ],
    ids=[
        "image-on-fargate",
        "user-data-on-fargate",
        "not-an-ami",
        "proxy-without-scheme",
        "user-data-too-long",
    ],
)
def test_bad_host_settings_are_one_line(cluster: str, path: str, expected: str) -> None:
    message = definition_error(f"environments: {{dev: {{cluster: {cluster}}}}}\n")
    assert message.startswith(f"muon.yaml: {path}: ")
    assert expected in message
