"""Extensions: a company's modules change any input of any resource, or add resources next to an
environment, without forking muon; the repository's two examples; their failures are one line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from muon.plan.offline import Rendering
from muon.stacks.errors import DefinitionError
from muon.stacks.resolve import stack as preparation
from tests.conftest import definition_error, render_definition_text

DEFINITION = """
extensions: [{modules}]
environments:
  dev: {{network: {{azs: 3}}}}
services:
  banana: {{port: 8080, pathPatterns: [/bananas]}}
  apple: {{port: 8080, pathPatterns: [/apples]}}
"""


def render_with(tmp_path: Path, *modules: str) -> Rendering:
    return render_definition_text(tmp_path, DEFINITION.format(modules=", ".join(modules)), ["dev"])


def test_the_stickiness_example_changes_every_target_group(tmp_path: Path) -> None:
    rendering = render_with(tmp_path, "examples.extensions.sticky_sessions")
    groups = rendering.of_type("aws:lb/targetGroup:TargetGroup")
    assert {g.name for g in groups} == {"dev-banana-tg", "dev-apple-tg"}
    for group in groups:
        assert group.inputs["stickiness"] == {"enabled": True, "type": "lb_cookie", "cookieDuration": 86400}
        assert group.inputs["healthCheck"]["path"] == "/"  # the rest as muon made it


def test_the_vpn_example_propagates_to_every_private_route_table(tmp_path: Path) -> None:
    rendering = render_with(tmp_path, "examples.extensions.vpn_gateway")
    gateway = rendering.one("aws:ec2/vpnGateway:VpnGateway")
    vpc = rendering.one("aws:ec2/vpc:Vpc")
    assert gateway.inputs["vpcId"] == vpc.state["id"]
    private_tables = {
        t.state["id"] for t in rendering.of_type("aws:ec2/routeTable:RouteTable") if "-private-rt-" in t.name
    }
    assert len(private_tables) == 3
    propagations = rendering.of_type("aws:ec2/vpnGatewayRoutePropagation:VpnGatewayRoutePropagation")
    assert {p.inputs["routeTableId"] for p in propagations} == private_tables
    assert all(p.inputs["vpnGatewayId"] == gateway.state["id"] for p in propagations)
    # Grouped under a component of its own, under the environment.
    parent = rendering.by_urn()[gateway.parent]
    assert (parent.type, parent.name) == ("muon:extension:Extension", "dev-examples-extensions-vpn_gateway")
    # The environment exports them too (its wiring carries them for extensions).
    assert set(rendering.outputs["environments"]["dev"]["privateRouteTableIds"]) == private_tables


@pytest.fixture
def own_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Modules written in a project folder of the test's own (names unique to the test)."""
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.setattr(preparation, "PROJECT_DIR", project)
    return project


def write(folder: Path, name: str, code: str) -> str:
    (folder / f"{name}.py").write_text(textwrap.dedent(code), encoding="utf-8")
    return name


def test_a_transform_sees_the_resource_and_its_component(own_modules: Path, tmp_path: Path) -> None:
    name = write(
        own_modules,
        "ext_seen_components",
        """
        def transform(resource):
            if resource.type == "aws:ecs/service:Service":
                resource.props["tags"] = {**resource.props["tags"], "seen-in": resource.component_type}
        """,
    )
    rendering = render_with(tmp_path, name)
    for service in rendering.of_type("aws:ecs/service:Service"):
        assert service.inputs["tags"]["seen-in"] == "muon:ecs:Service"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            "def transform(resource):\n    raise ValueError('no stickiness for ' + resource.name)\n",
            "extensions[0] (ext_raises_transform): transform on aws:",
        ),
        (
            "def extend(context):\n    raise RuntimeError('VPN quota reached')\n",
            "extensions[0] (ext_raises_extend): extend in environment dev raised RuntimeError: VPN quota reached",
        ),
        (
            "def transform(resource, extra):\n    pass\n",
            "extensions[0] (ext_two_arguments): transform must take one argument (the resource); it takes 2",
        ),
        (
            "VALUE = 1\n",
            "extensions[0] (ext_no_hooks): defines neither transform(resource) nor extend(context)",
        ),
        ("import not_installed_anywhere\n", "extensions[0] (ext_bad_import): importing it failed"),
    ],
    ids=["transform-raises", "extend-raises", "wrong-signature", "no-hook", "bad-import"],
)
def test_a_failing_extension_is_one_line_naming_module_and_hook(
    own_modules: Path, tmp_path: Path, code: str, expected: str
) -> None:
    name = expected.split("(")[1].split(")")[0]
    write(own_modules, name, code)
    with pytest.raises(DefinitionError) as caught:
        render_with(tmp_path, name)
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message and "Traceback" not in message


def test_a_module_that_does_not_exist_is_one_line(own_modules: Path, tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_with(tmp_path, "acme_missing_ext")
    assert f"extensions[0]: no module 'acme_missing_ext' on the project's path ({own_modules})" in str(
        caught.value
    )


def test_a_module_name_that_is_not_one_is_refused(tmp_path: Path) -> None:

    message = definition_error("extensions: [acme-ext]\nenvironments: {dev: {}}\n")
    assert message.startswith("muon.yaml: extensions[0]: expected a Python module name")
