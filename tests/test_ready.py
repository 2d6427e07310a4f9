"""``ready()`` hands a value over once other resources exist: what uses it depends on them all."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from muon.components.policies import output_of, ready
from muon.plan.offline import SECRET_MASK, Rendering, render


def rendered(after_count: int, *, secret: bool = False) -> Rendering:
    """A role, ``after_count`` policies attached to it, and a consumer of ``ready(role.arn, *policies)``."""

    def program() -> None:
        role = aws.iam.Role("role", assume_role_policy="{}")
        policies = [
            aws.iam.RolePolicy(f"policy-{index}", role=role.id, policy="{}") for index in range(after_count)
        ]
        arn = pulumi.Output.secret(role.arn) if secret else role.arn
        aws.ssm.Parameter("consumer", type="String", value=ready(arn, *policies))

    return render(program, config={"aws:region": "us-east-1"}, stack="ready")


def test_the_consumer_waits_for_the_value_and_for_every_resource_after() -> None:
    for count in (1, 3):
        rendering = rendered(count)
        by_name = {r.name: r.urn for r in rendering.resources}
        consumer = rendering.one("aws:ssm/parameter:Parameter")
        expected = {by_name["role"], *(by_name[f"policy-{i}"] for i in range(count))}
        assert set(consumer.dependencies) == expected
        role = rendering.one("aws:iam/role:Role")
        assert consumer.inputs["value"] == role.state["arn"]


def test_without_resources_after_the_value_is_handed_over_as_it_is() -> None:
    rendering = rendered(0)
    consumer = rendering.one("aws:ssm/parameter:Parameter")
    assert consumer.dependencies == (rendering.one("aws:iam/role:Role").urn,)


def test_a_secret_value_stays_secret() -> None:
    consumer = rendered(1, secret=True).one("aws:ssm/parameter:Parameter")
    assert consumer.masked_inputs["value"] == SECRET_MASK
    assert consumer.inputs["value"].startswith("arn:aws:iam::")


def test_output_of_keeps_an_output_and_lifts_a_plain_value() -> None:
    def program() -> None:
        existing = pulumi.Output.from_input("x")
        assert output_of(existing) is existing
        aws.ssm.Parameter("plain", type="String", value=output_of("plain-value"))

    parameter = render(program, config={"aws:region": "us-east-1"}, stack="lift").one(
        "aws:ssm/parameter:Parameter"
    )
    assert parameter.inputs["value"] == "plain-value"
