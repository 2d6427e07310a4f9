"""Target tracking beside step scaling, sticky sessions and allowed source addresses: rendered
inputs, AWS's models, and the forms that cannot go together refused in one line."""

from __future__ import annotations

import pytest

from muon.plan.offline import Rendering
from muon.stacks.errors import DefinitionError
from tests.aws_inputs import call_problems

ENVS = "environments: {dev: {}, production: {}}\n"
SERVICE = ENVS + "services:\n  banana:\n    port: 8080\n    pathPatterns: [/bananas]\n"


def _policies(rendering: Rendering) -> list:
    return [
        p for p in rendering.of_type("aws:appautoscaling/policy:Policy") if p.name.startswith("dev-banana-")
    ]


def _scaling_alarms(rendering: Rendering) -> list:
    return [
        a
        for a in rendering.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.name.startswith("dev-banana-scaling-")
    ]


def test_cpu_target_tracking_replaces_the_steps_and_their_alarms(render_definition) -> None:
    rendering = render_definition(
        SERVICE + "    scaling:\n      max: 8\n      targetTracking: {target: 60, scaleInCooldown: 600}\n",
        ["dev"],
    )
    (policy,) = _policies(rendering)
    assert policy.name == "dev-banana-scaling-track-cpu"
    assert policy.inputs["policyType"] == "TargetTrackingScaling"
    assert policy.inputs["targetTrackingScalingPolicyConfiguration"] == {
        "targetValue": 60,
        "scaleOutCooldown": 60,
        "scaleInCooldown": 600,
        "disableScaleIn": False,
        "predefinedMetricSpecification": {"predefinedMetricType": "ECSServiceAverageCPUUtilization"},
    }
    # Application Auto Scaling makes and owns the alarms of a target-tracking policy: none declared.
    assert _scaling_alarms(rendering) == []
    target = rendering.one("aws:appautoscaling/target:Target", "dev-banana-scaling-target")
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (1, 8)
    assert policy.inputs["resourceId"] == target.state["resourceId"]
    assert call_problems("aws:appautoscaling/policy:Policy", policy.inputs) == []


def test_step_scaling_keeps_its_derived_alarms(render_definition) -> None:
    rendering = render_definition(SERVICE, ["dev"])
    assert {p.inputs["policyType"] for p in _policies(rendering)} == {"StepScaling"}
    assert sorted(a.name for a in _scaling_alarms(rendering)) == [
        "dev-banana-scaling-cpuutilization-high",
        "dev-banana-scaling-cpuutilization-low",
    ]


def test_requests_per_target_are_labelled_with_the_load_balancer_and_target_group(render_definition) -> None:
    rendering = render_definition(
        SERVICE + "    scaling:\n      metric: requests\n      targetTracking: {target: 500}\n", ["dev"]
    )
    (policy,) = _policies(rendering)
    spec = policy.inputs["targetTrackingScalingPolicyConfiguration"]["predefinedMetricSpecification"]
    group = rendering.one("aws:lb/targetGroup:TargetGroup", "dev-banana-tg")
    balancer = rendering.one("aws:lb/loadBalancer:LoadBalancer")
    assert spec == {
        "predefinedMetricType": "ALBRequestCountPerTarget",
        "resourceLabel": f"{balancer.state['arnSuffix']}/{group.state['arnSuffix']}",
    }
    assert spec["resourceLabel"].startswith("app/") and "/targetgroup/" in spec["resourceLabel"]
    assert call_problems("aws:appautoscaling/policy:Policy", policy.inputs) == []


def test_a_custom_metric_is_tracked_with_its_dimensions(render_definition) -> None:
    rendering = render_definition(
        SERVICE
        + "    scaling:\n      metric: custom\n      targetTracking:\n        target: 100\n"
        + "        disableScaleIn: true\n"
        + "        customMetric: {namespace: Acme/Orders, name: PendingPerTask, statistic: Maximum,"
        + " dimensions: {Service: banana}, unit: Count}\n",
        ["dev"],
    )
    (policy,) = _policies(rendering)
    config = policy.inputs["targetTrackingScalingPolicyConfiguration"]
    assert config["disableScaleIn"] is True
    assert config["customizedMetricSpecification"] == {
        "namespace": "Acme/Orders",
        "metricName": "PendingPerTask",
        "statistic": "Maximum",
        "dimensions": [{"name": "Service", "value": "banana"}],
        "unit": "Count",
    }
    assert call_problems("aws:appautoscaling/policy:Policy", policy.inputs) == []


@pytest.mark.parametrize(
    ("scaling", "expected"),
    [
        (
            "{targetTracking: {target: 60}, scaleOut: {steps: [{at: 90, change: 3}]}}",
            "services.banana.scaling.scaleOut: give targetTracking or scaleOut/scaleIn (step scaling), not both",
        ),
        (
            "{targetTracking: {target: 160}}",
            "services.banana.scaling.targetTracking.target: cpu utilisation is a percentage: expected at most "
            "100, got 160",
        ),
        (
            "{metric: custom}",
            "services.banana.scaling.metric: a custom metric is tracked: give targetTracking",
        ),
        (
            "{metric: custom, targetTracking: {target: 5}}",
            "services.banana.scaling.targetTracking.customMetric: metric: custom tracks customMetric: give it",
        ),
        (
            "{targetTracking: {target: 5, customMetric: {namespace: A, name: B}}}",
            "services.banana.scaling.targetTracking.customMetric: give customMetric with metric: custom, and "
            "only then",
        ),
        ("{targetTracking: {target: 0}}", "services.banana.scaling.targetTracking.target: "),
    ],
)
def test_incompatible_scaling_forms_are_refused_in_one_line(render_definition, scaling, expected) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(SERVICE + f"    scaling: {scaling}\n", ["dev"])
    (problem,) = caught.value.problems
    assert expected in problem, problem
    assert "\n" not in problem


def test_a_worker_tracks_no_backlog_target(render_definition) -> None:
    with pytest.raises(DefinitionError) as caught:
        render_definition(
            ENVS + "services:\n  worker:\n    kind: worker\n    scaling: {targetTracking: {target: 10}}\n",
            ["dev"],
        )
    (problem,) = caught.value.problems
    assert problem.endswith(
        "services.worker.scaling.targetTracking: backlog (a worker's messages per task) scales in steps; "
        "track cpu, memory or custom"
    ), problem


def test_stickiness_and_allowed_cidrs_are_the_services_own(render_definition) -> None:
    rendering = render_definition(
        SERVICE + "    stickiness: {duration: 3600}\n    allowedCidrs: [203.0.113.0/24, 198.51.100.7/32]\n",
        ["dev"],
    )
    group = rendering.one("aws:lb/targetGroup:TargetGroup", "dev-banana-tg")
    assert group.inputs["stickiness"] == {"type": "lb_cookie", "enabled": True, "cookieDuration": 3600}
    rule = rendering.one("aws:lb/listenerRule:ListenerRule", "dev-banana-rule")
    assert rule.inputs["conditions"] == [
        {"pathPattern": {"values": ["/bananas"]}},
        {"sourceIp": {"values": ["203.0.113.0/24", "198.51.100.7/32"]}},
    ]
    assert call_problems("aws:lb/listenerRule:ListenerRule", rule.inputs) == []
    # The shared load balancer's security group is left as it was: other services keep their clients.
    balancer_groups = [
        g for g in rendering.of_type("aws:ec2/securityGroup:SecurityGroup") if g.name.startswith("dev-alb")
    ]
    assert all("203.0.113.0/24" not in str(g.inputs) for g in balancer_groups)
    # Without them: no stickiness, no source condition (as before).
    plain = render_definition(SERVICE, ["dev"])
    assert "stickiness" not in plain.one("aws:lb/targetGroup:TargetGroup", "dev-banana-tg").inputs
    assert plain.one("aws:lb/listenerRule:ListenerRule", "dev-banana-rule").inputs["conditions"] == [
        {"pathPattern": {"values": ["/bananas"]}}
    ]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "    allowedCidrs: [10.0.0.0/8, 10.1.0.0/16, 10.2.0.0/16, 10.3.0.0/16, 10.4.0.0/16]\n",
            "services.banana: a listener rule takes at most 5 path and host patterns and allowedCidrs together",
        ),
        ("    allowedCidrs: [10.0.0.1/8]\n", "services.banana.allowedCidrs[0]: expected an IPv4 CIDR block"),
        ("    stickiness: {duration: 604801}\n", "services.banana.stickiness.duration: "),
        (
            "    kind: backend\n    pathPatterns: []\n    allowedCidrs: [10.0.0.0/8]\n",
            "services.banana.allowedCidrs: ",
        ),
    ],
)
def test_bad_routing_options_are_refused_in_one_line(render_definition, extra, expected) -> None:
    definition = SERVICE + extra
    if "kind: backend" in extra:
        definition = (
            ENVS + "services:\n  banana:\n    port: 8080\n" + extra.replace("    pathPatterns: []\n", "")
        )
    with pytest.raises(DefinitionError) as caught:
        render_definition(definition, ["dev"])
    (problem,) = caught.value.problems
    assert expected in problem, problem
    assert "\n" not in problem


def test_the_estimate_prices_the_alarms_aws_makes_for_target_tracking(render_definition) -> None:
    from muon.plan.cost import estimate
    from muon.plan.prices import prices_for

    rendering = render_definition(SERVICE + "    scaling: {targetTracking: {target: 60}}\n", ["dev"])
    lines = [
        line
        for line in estimate(rendering, "us-east-1").lines
        if line.resource == "dev-banana-scaling-track-cpu"
    ]
    (line,) = lines
    assert line.item == "CloudWatch alarms of target tracking"
    assert line.monthly == pytest.approx(2 * prices_for("us-east-1")["alarmMonth"])
    # Step policies cost nothing themselves: their alarms are priced as alarms.
    steps = estimate(render_definition(SERVICE, ["dev"]), "us-east-1")
    assert not [line for line in steps.lines if "scaling-scale-" in line.resource]
    assert [
        line.item for line in steps.lines if line.resource == "dev-banana-scaling-cpuutilization-high"
    ] == ["CloudWatch alarm"]
