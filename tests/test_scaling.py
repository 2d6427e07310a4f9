"""Step scaling: the seed's values, made to scale in as well, and derived from lists of steps."""

from __future__ import annotations

import pytest

from muon.components.scaling import Step, StepAdjustment, scale_in_adjustments, scale_out_adjustments
from muon.plan.offline import Rendering
from muon.stacks.definition.loader import parse_definition
from muon.stacks.errors import DefinitionError
from tests.aws_models import assert_valid

SERVICE = "environments: {dev: {}, production: {}}\nservices:\n  banana:\n    port: 8080\n    pathPatterns: [/bananas]\n"


def scaling_of(rendering: Rendering, prefix: str):
    target = rendering.one("aws:appautoscaling/target:Target", f"{prefix}-scaling-target")
    policies = {
        p.name.rsplit("-", 1)[-1]: p
        for p in rendering.of_type("aws:appautoscaling/policy:Policy")
        if p.name.startswith(prefix)
    }
    alarms = {
        a.name.rsplit("-", 1)[-1]: a
        for a in rendering.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.name.startswith(f"{prefix}-scaling-")
    }
    return target, policies, alarms


def test_seed_values_with_a_working_scale_in(dev: Rendering) -> None:
    target, policies, alarms = scaling_of(dev, "dev-banana")
    assert target.inputs["scalableDimension"] == "ecs:service:DesiredCount"
    assert target.inputs["serviceNamespace"] == "ecs"
    assert target.inputs["resourceId"] == "service/muon-dev/muon-dev-banana"
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (1, 20)

    high, low = alarms["high"], alarms["low"]
    for alarm in (high, low):
        assert alarm.inputs["namespace"] == "AWS/ECS"
        assert alarm.inputs["metricName"] == "CPUUtilization"
        assert alarm.inputs["statistic"] == "Average"
        assert alarm.inputs["period"] == 300
        assert alarm.inputs["dimensions"] == {"ClusterName": "muon-dev", "ServiceName": "muon-dev-banana"}
        assert alarm.inputs["actionsEnabled"] is True
    assert (
        high.inputs["comparisonOperator"],
        high.inputs["threshold"],
        high.inputs["evaluationPeriods"],
    ) == (
        "GreaterThanOrEqualToThreshold",
        80,
        1,
    )
    assert (low.inputs["comparisonOperator"], low.inputs["threshold"], low.inputs["evaluationPeriods"]) == (
        "LessThanOrEqualToThreshold",
        30,
        3,
    )
    out, in_ = policies["out"], policies["in"]
    assert high.inputs["alarmActions"] == [out.state["arn"]]
    assert low.inputs["alarmActions"] == [in_.state["arn"]]
    assert out.state["arn"] != in_.state["arn"]
    out_config = out.inputs["stepScalingPolicyConfiguration"]
    assert out.inputs["policyType"] == "StepScaling"
    assert (out_config["adjustmentType"], out_config["cooldown"], out_config["metricAggregationType"]) == (
        "ChangeInCapacity",
        60,
        "Average",
    )
    assert out_config["stepAdjustments"] == [{"scalingAdjustment": 2, "metricIntervalLowerBound": "0"}]
    assert in_.inputs["stepScalingPolicyConfiguration"]["stepAdjustments"] == [
        {"scalingAdjustment": -1, "metricIntervalUpperBound": "0"}
    ]


def test_production_keeps_at_least_two_tasks(prod: Rendering) -> None:
    target, _, _ = scaling_of(prod, "production-banana")
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (2, 20)


def test_several_steps_derive_contiguous_bounds_from_the_threshold() -> None:
    threshold, adjustments = scale_out_adjustments((Step(80, 2), Step(90, 4)))
    assert threshold == 80
    assert adjustments == [StepAdjustment(0, 10, 2), StepAdjustment(10, None, 4)]
    threshold, adjustments = scale_in_adjustments((Step(30, -1), Step(10, -2)))
    assert threshold == 30
    assert adjustments == [StepAdjustment(-20, 0, -1), StepAdjustment(None, -20, -2)]


def test_multi_step_configuration_renders(render_definition) -> None:
    rendering = render_definition(
        SERVICE
        + "    scaling:\n      min: 2\n      max: 30\n      metric: memory\n"
        + "      scaleOut: {steps: [{at: 75, change: 2}, {at: 90, change: 5}], cooldown: 120, evaluationPeriods: 2}\n"
        + "      scaleIn: {steps: [{at: 40, change: -1}, {at: 20, change: -3}], cooldown: 600, evaluationPeriods: 5}\n",
        ["dev"],
    )
    target, policies, alarms = scaling_of(rendering, "dev-banana")
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (2, 30)
    assert alarms["high"].inputs["metricName"] == "MemoryUtilization"
    assert alarms["high"].inputs["threshold"] == 75
    assert alarms["low"].inputs["threshold"] == 40
    assert policies["out"].inputs["stepScalingPolicyConfiguration"]["stepAdjustments"] == [
        {"scalingAdjustment": 2, "metricIntervalLowerBound": "0", "metricIntervalUpperBound": "15"},
        {"scalingAdjustment": 5, "metricIntervalLowerBound": "15"},
    ]
    assert policies["in"].inputs["stepScalingPolicyConfiguration"]["stepAdjustments"] == [
        {"scalingAdjustment": -1, "metricIntervalLowerBound": "-20", "metricIntervalUpperBound": "0"},
        {"scalingAdjustment": -3, "metricIntervalUpperBound": "-20"},
    ]
    assert policies["in"].inputs["stepScalingPolicyConfiguration"]["cooldown"] == 600


def test_request_count_scaling_uses_the_target_group(render_definition) -> None:
    rendering = render_definition(
        SERVICE + "    scaling:\n      metric: requests\n"
        "      scaleOut: {steps: [{at: 1000, change: 2}], cooldown: 60, evaluationPeriods: 1}\n"
        "      scaleIn: {steps: [{at: 100, change: -1}], cooldown: 300, evaluationPeriods: 3}\n",
        ["dev"],
    )
    _, _, alarms = scaling_of(rendering, "dev-banana")
    high = alarms["high"]
    assert (high.inputs["namespace"], high.inputs["metricName"], high.inputs["statistic"]) == (
        "AWS/ApplicationELB",
        "RequestCountPerTarget",
        "Sum",
    )
    assert high.inputs["dimensions"]["TargetGroup"].startswith("targetgroup/")
    assert high.inputs["threshold"] == 1000


def test_scheduled_scaling_to_zero_at_night(render_definition) -> None:
    rendering = render_definition(
        SERVICE + "    scaling:\n      min: 1\n      schedules:\n"
        "        - {name: night, schedule: 'cron(0 20 ? * MON-FRI *)', min: 0, max: 0, timezone: Europe/Berlin}\n"
        "        - {name: morning, schedule: 'cron(0 7 ? * MON-FRI *)', min: 1, max: 20, timezone: Europe/Berlin}\n",
        ["dev"],
    )
    actions = {a.name: a for a in rendering.of_type("aws:appautoscaling/scheduledAction:ScheduledAction")}
    night = actions["dev-banana-scaling-schedule-night"]
    assert night.inputs["schedule"] == "cron(0 20 ? * MON-FRI *)"
    assert night.inputs["timezone"] == "Europe/Berlin"
    assert night.inputs["scalableTargetAction"] == {"minCapacity": 0, "maxCapacity": 0}
    assert actions["dev-banana-scaling-schedule-morning"].inputs["scalableTargetAction"] == {
        "minCapacity": 1,
        "maxCapacity": 20,
    }


INVALID_STEPS = [
    ("scaling: {min: 5, max: 2}", "services.banana.scaling", "min (5) must not exceed max (2)"),
    (
        "scaling: {scaleOut: {steps: [{at: 90, change: 2}, {at: 80, change: 4}], cooldown: 60, evaluationPeriods: 1}}",
        "services.banana.scaling.scaleOut.steps[1].at",
        "strictly increasing",
    ),
    (
        "scaling: {scaleOut: {steps: [{at: 80, change: 2}, {at: 80, change: 4}], cooldown: 60, evaluationPeriods: 1}}",
        "services.banana.scaling.scaleOut.steps[1].at",
        "no overlap",
    ),
    (
        "scaling: {scaleIn: {steps: [{at: 30, change: 1}], cooldown: 60, evaluationPeriods: 1}}",
        "services.banana.scaling.scaleIn.steps[0].change",
        "negative number of tasks",
    ),
    (
        "scaling: {scaleOut: {steps: [{at: 120, change: 2}], cooldown: 60, evaluationPeriods: 1}}",
        "services.banana.scaling.scaleOut.steps[0].at",
        "expected 0 to 100, got 120",
    ),
    (
        "scaling: {scaleIn: {steps: [{at: 85, change: -1}], cooldown: 60, evaluationPeriods: 1}}",
        "services.banana.scaling",
        "not below scaleOut's 80",
    ),
    (
        "scaling: {scaleOut: {steps: [{at: 80, change: 2}], cooldown: 60, evaluationPeriods: 1, period: 45}}",
        "services.banana.scaling.scaleOut",
        "10, 30 or a multiple of 60",
    ),
    (
        "scaling: {scaleOut: {steps: [], cooldown: 60, evaluationPeriods: 1}}",
        "services.banana.scaling.scaleOut.steps",
        "at least 1",
    ),
    (
        "scaling: {schedules: [{name: night, schedule: tonight, min: 0, max: 0}]}",
        "services.banana.scaling.schedules[0].schedule",
        "cron(...)",
    ),
]


@pytest.mark.parametrize(("yaml", "path", "expected"), INVALID_STEPS)
def test_invalid_step_configurations_name_the_path(yaml: str, path: str, expected: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(SERVICE + "    " + yaml + "\n", "muon.yaml")
    assert f"muon.yaml: {path}: " in str(caught.value)
    assert expected in str(caught.value)


def test_policies_and_alarms_are_valid_api_calls(prod: Rendering) -> None:
    target, policies, _ = scaling_of(prod, "production-banana")
    assert_valid(
        "application-autoscaling",
        "RegisterScalableTarget",
        {
            "ServiceNamespace": target.inputs["serviceNamespace"],
            "ResourceId": target.inputs["resourceId"],
            "ScalableDimension": target.inputs["scalableDimension"],
            "MinCapacity": target.inputs["minCapacity"],
            "MaxCapacity": target.inputs["maxCapacity"],
        },
    )
    for policy in policies.values():
        config = policy.inputs["stepScalingPolicyConfiguration"]
        steps = []
        for step in config["stepAdjustments"]:
            item = {"ScalingAdjustment": step["scalingAdjustment"]}
            if "metricIntervalLowerBound" in step:
                item["MetricIntervalLowerBound"] = float(step["metricIntervalLowerBound"])
            if "metricIntervalUpperBound" in step:
                item["MetricIntervalUpperBound"] = float(step["metricIntervalUpperBound"])
            steps.append(item)
        assert_valid(
            "application-autoscaling",
            "PutScalingPolicy",
            {
                "PolicyName": policy.name,
                "ServiceNamespace": policy.inputs["serviceNamespace"],
                "ResourceId": policy.inputs["resourceId"],
                "ScalableDimension": policy.inputs["scalableDimension"],
                "PolicyType": policy.inputs["policyType"],
                "StepScalingPolicyConfiguration": {
                    "AdjustmentType": config["adjustmentType"],
                    "Cooldown": config["cooldown"],
                    "MetricAggregationType": config["metricAggregationType"],
                    "StepAdjustments": steps,
                },
            },
        )
    service = prod.one("muon:ecs:Service", "production-banana")
    every_alarm = [
        a for a in prod.descendants(service.urn) if a.type == "aws:cloudwatch/metricAlarm:MetricAlarm"
    ]
    # Scale out, scale in, two deployment-rollback alarms, two outage alarms and the incident's
    # own five (5xx rate, p99, tasks below minimum, failed deployment, crashed task).
    assert len(every_alarm) == 11
    for alarm in every_alarm:
        if "metricQueries" in alarm.inputs or "extendedStatistic" in alarm.inputs:
            continue  # metric math and percentiles: tests/test_incident.py
        params = {
            "AlarmName": alarm.inputs.get("name", alarm.name),
            "Namespace": alarm.inputs["namespace"],
            "MetricName": alarm.inputs["metricName"],
            "Dimensions": [{"Name": k, "Value": v} for k, v in alarm.inputs["dimensions"].items()],
            "Statistic": alarm.inputs["statistic"],
            "Period": alarm.inputs["period"],
            "EvaluationPeriods": alarm.inputs["evaluationPeriods"],
            "Threshold": float(alarm.inputs["threshold"]),
            "ComparisonOperator": alarm.inputs["comparisonOperator"],
            "TreatMissingData": alarm.inputs["treatMissingData"],
            "ActionsEnabled": alarm.inputs["actionsEnabled"],
            "AlarmActions": alarm.inputs["alarmActions"],
        }
        if "datapointsToAlarm" in alarm.inputs:
            params["DatapointsToAlarm"] = alarm.inputs["datapointsToAlarm"]
        assert_valid("cloudwatch", "PutMetricAlarm", params)
