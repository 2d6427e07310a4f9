"""A scheduled job: EventBridge Scheduler starts a Step Functions run that runs one task of a
service's task definition with the job's command, stops it at the timeout, and fails unless the
container exits 0; a failed or timed-out run pages the environment's topic.

Why Step Functions between the schedule and ECS: ECS has no run-time limit for a task, and a
schedule that calls RunTask directly never learns how the task ended. ``ecs:runTask.sync``
waits for the task, stops it when the state's ``TimeoutSeconds`` passes, and returns its exit code;
its executions are the job's history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from muon.components.alarms import occurrence_alarm
from muon.components.cluster import CapacityItem
from muon.components.context import AwsContext
from muon.components.naming import fit
from muon.components.policies import allow, assume_role_policy, document, ready, to_json

CONTAINER = "app"


@dataclass(frozen=True)
class JobArgs:
    """A scheduled job of a service: it runs the service's task definition, with the service's roles,
    network and security group; those fields are the service's and have no default."""

    context: AwsContext
    """Account, region, partition and namespace; required."""
    environment: str
    job: str
    """Names the schedule, state machine and alarm (``<namespace>-<environment>-<job>``)."""
    service: str
    """The service whose task definition runs."""
    command: tuple[str, ...]
    """The container's command for this job; required."""
    schedule: str
    """``cron(...)`` or ``rate(...)``, as EventBridge Scheduler takes it; required."""
    timezone: str
    """The schedule's time zone (IANA name); required, so that a job never drifts by an hour
    without someone having said which clock it follows."""
    timeout: int
    """Seconds before the run is stopped and fails; required (ECS itself has no limit)."""
    cluster_arn: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    task_family: str
    task_definition_arn: pulumi.Input[str]
    execution_role_arn: pulumi.Input[str]
    task_role_arn: pulumi.Input[str]
    subnet_ids: pulumi.Input[list[str]]
    """The service's private subnets: the task gets no public IP."""
    security_group_id: pulumi.Input[str]
    capacity_strategy: tuple[CapacityItem, ...]
    fargate: bool
    alarm_topic_arn: pulumi.Input[str]
    """A failed or timed-out run pages it; required."""
    cpu: int | None = None
    """Overrides the task definition's CPU for this job; default None: the service's size."""
    memory: int | None = None
    """Overrides the task definition's memory (with ``cpu``); default None: the service's size."""
    enabled: bool = True
    """Default True. False while the service has no image yet: a run would start a task of the
    placeholder image, which never pulls, and fail (and page) on every schedule until the first
    deploy."""
    tags: dict[str, str] = field(default_factory=dict)
    """Default none (the stack's tags come by transformation)."""


def run_task_parameters(args: JobArgs, resolved: dict[str, Any]) -> dict[str, Any]:
    """RunTask's request (Step Functions spells the keys in PascalCase)."""
    overrides: dict[str, Any] = {"ContainerOverrides": [{"Name": CONTAINER, "Command": list(args.command)}]}
    if args.cpu is not None and args.memory is not None:
        overrides["Cpu"] = str(args.cpu)
        overrides["Memory"] = str(args.memory)
    parameters: dict[str, Any] = {
        "Cluster": resolved["cluster"],
        "TaskDefinition": resolved["task_definition"],
        "CapacityProviderStrategy": [
            {"CapacityProvider": c.provider, "Weight": c.weight, "Base": c.base}
            for c in args.capacity_strategy
        ],
        "NetworkConfiguration": {
            "AwsvpcConfiguration": {
                "Subnets": list(resolved["subnets"]),
                "SecurityGroups": [resolved["security_group"]],
                "AssignPublicIp": "DISABLED",
            }
        },
        "Overrides": overrides,
        "Group": job_group(args.job),
        "StartedBy": fit(f"muon-job-{args.job}", 36),
        "EnableECSManagedTags": True,
        "PropagateTags": "TASK_DEFINITION",
    }
    if args.fargate:
        parameters["PlatformVersion"] = "LATEST"
    return parameters


def job_group(job: str) -> str:
    """The task group every run of the job carries (how `muon job history` finds its tasks)."""
    return f"job:{job}"


def state_machine_definition(args: JobArgs, resolved: dict[str, Any]) -> dict[str, Any]:
    # RunTask's Containers come in no documented order (the log router and the collector run
    # beside app): a Pass state's Parameters take a JsonPath filter, a Choice's Variable (a reference
    # path) does not (Step Functions developer guide, "Using JSONPath paths").
    exit_code = "$.app[0].ExitCode"
    return {
        "Comment": f"muon job {args.job} of service {args.service} ({args.environment})",
        "StartAt": "RunTask",
        "States": {
            "RunTask": {
                "Type": "Task",
                "Resource": f"arn:{args.context.partition}:states:::ecs:runTask.sync",
                "Parameters": run_task_parameters(args, resolved),
                "TimeoutSeconds": args.timeout,
                "Next": "AppContainer",
            },
            "AppContainer": {
                "Type": "Pass",
                "Parameters": {"app.$": "$.Containers[?(@.Name == 'app')]"},
                "Next": "ExitCode",
            },
            "ExitCode": {
                "Type": "Choice",
                "Choices": [
                    {
                        "And": [
                            {"Variable": exit_code, "IsPresent": True},
                            {"Variable": exit_code, "NumericEquals": 0},
                        ],
                        "Next": "Succeeded",
                    }
                ],
                "Default": "NonZeroExit",
            },
            "Succeeded": {"Type": "Succeed"},
            "NonZeroExit": {
                "Type": "Fail",
                "Error": "NonZeroExit",
                "Cause": "the job's container stopped with a non-zero exit code (or none)",
            },
        },
    }


class ScheduledJob(pulumi.ComponentResource):
    state_machine_arn: pulumi.Output[str]
    schedule_name: pulumi.Output[str]

    def __init__(self, name: str, args: JobArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:ecs:ScheduledJob", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        context = args.context
        job_id = f"{context.namespace}-{args.environment}-{args.job}"
        runner_arn = _role_for(
            f"{name}-runner",
            fit(f"{job_id}-job-runner", 64),
            "states",
            runner_policy_document(args),
            args,
            child,
        )
        definition = pulumi.Output.all(
            cluster=args.cluster_arn,
            task_definition=args.task_definition_arn,
            subnets=args.subnet_ids,
            security_group=args.security_group_id,
        ).apply(lambda resolved: json.dumps(state_machine_definition(args, resolved), sort_keys=True))
        machine = aws.sfn.StateMachine(
            f"{name}-state-machine",
            name=fit(f"{job_id}-job", 80),
            type="STANDARD",
            role_arn=runner_arn,
            definition=definition,
            tags=args.tags,
            opts=child,
        )
        scheduler_arn = _role_for(
            f"{name}-scheduler",
            fit(f"{job_id}-job-schedule", 64),
            "scheduler",
            document(allow("states:StartExecution", machine.arn, Sid="StartOwnJob")),
            args,
            child,
        )
        schedule = aws.scheduler.Schedule(
            f"{name}-schedule",
            name=fit(f"{job_id}-job", 64),
            description=f"muon job {args.job}: {' '.join(args.command)}"[:512],
            schedule_expression=args.schedule,
            schedule_expression_timezone=args.timezone,
            flexible_time_window={"mode": "OFF"},
            state="ENABLED" if args.enabled else "DISABLED",
            target={
                "arn": machine.arn,
                "role_arn": scheduler_arn,
                # A run that could not start is not retried on top of the next scheduled one.
                "retry_policy": {"maximum_retry_attempts": 0, "maximum_event_age_in_seconds": 3600},
            },
            opts=child,
        )
        for outcome, metric in (("failed", "ExecutionsFailed"), ("timed-out", "ExecutionsTimedOut")):
            occurrence_alarm(
                f"{name}-{outcome}",
                alarm_name=f"{job_id}-job-{outcome}",
                description=f"job {args.job} ({args.environment}): a run {outcome.replace('-', ' ')}",
                namespace="AWS/States",
                metric=metric,
                dimensions={"StateMachineArn": machine.arn},
                topic_arn=args.alarm_topic_arn,
                tags=args.tags,
                opts=child,
            )
        self.state_machine_arn = machine.arn
        self.schedule_name = schedule.name
        self.register_outputs({"stateMachineArn": machine.arn, "scheduleName": schedule.name})

    def outputs(self) -> dict[str, pulumi.Input[object]]:
        return {"stateMachineArn": self.state_machine_arn, "scheduleName": self.schedule_name}


def _role_for(
    name: str,
    role_name: str,
    service: str,
    policy: dict[str, Any],
    args: JobArgs,
    child: pulumi.ResourceOptions,
) -> pulumi.Output[str]:
    """A role ``service`` assumes (for this account only), handed out once its policy is attached."""
    context = args.context
    role = aws.iam.Role(
        f"{name}-role",
        name=role_name,
        assume_role_policy=assume_role_policy(
            context.service_principal(service), source_account=context.account_id
        ),
        tags=args.tags,
        opts=child,
    )
    attached = aws.iam.RolePolicy(f"{name}-policy", role=role.id, policy=to_json(policy), opts=child)
    return ready(role.arn, attached)


def runner_policy_document(args: JobArgs) -> dict[str, Any]:
    """RunTask of the service's family in its cluster, and pass its two roles to ECS only; watch and
    stop the tasks of that cluster (``.sync``); the rule Step Functions keeps for ECS events."""
    context = args.context
    family_arn = context.arn("ecs", f"task-definition/{args.task_family}:*")
    tasks_arn = pulumi.Output.concat(context.arn("ecs", "task/"), args.cluster_name, "/*")
    return document(
        allow(
            "ecs:RunTask",
            family_arn,
            Sid="RunServiceTaskDefinition",
            Condition={"ArnEquals": {"ecs:cluster": args.cluster_arn}},
        ),
        allow(
            "iam:PassRole",
            [args.execution_role_arn, args.task_role_arn],
            Sid="PassServiceRoles",
            Condition={"StringEquals": {"iam:PassedToService": context.service_principal("ecs-tasks")}},
        ),
        allow(["ecs:StopTask", "ecs:DescribeTasks"], tasks_arn, Sid="WatchAndStopOwnTasks"),
        allow(
            ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            context.arn("events", "rule/StepFunctionsGetEventsForECSTaskRule"),
            Sid="StepFunctionsEcsEvents",
        ),
    )
