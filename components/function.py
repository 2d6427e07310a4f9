"""A Lambda function released through an alias that CodeDeploy shifts, and its triggers.

Every `pulumi up` publishes a version; the alias ``live`` — what every trigger invokes — moves to it
only through a CodeDeploy deployment (canary, linear or all at once), which the pipeline's deploy
step and `muon up` start (deploy/function_release.py) and which rolls back on the function's
error or throttle rate alarm. Pulumi sets the alias once, at creation, and then leaves it to CodeDeploy.
"""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from muon.components.domain import validated_certificate
from muon.components.function_alarms import function_alarms
from muon.components.function_args import FunctionArgs, HttpRoute
from muon.components.function_policy import ACCESS_LOG_FORMAT, function_policy, own_queue_visibility
from muon.components.naming import fit
from muon.components.policies import allow, assume_role_policy, document, ready, to_json
from muon.components.queue import tls_only_queue
from muon.components.registry import execution_role_path

ALIAS = "live"

# The arguments live in function_args.py; callers import them from here too.
__all__ = ["ALIAS", "Function", "FunctionArgs", "HttpRoute"]


class Function(pulumi.ComponentResource):
    def __init__(self, name: str, args: FunctionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:lambda:Function", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        context = args.context
        function_name = fit(args.name, 64)
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{function_name}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.key_arn,
            tags=args.tags,
            opts=child,
        )
        asynchronous = bool(args.schedules)
        dead_letters = (
            aws.sqs.Queue(
                f"{name}-dead-letters",
                name=fit(f"{args.name}-dead-letters", 80),
                kms_master_key_id=args.key_arn,
                message_retention_seconds=14 * 86400,
                tags=args.tags,
                opts=child,
            )
            if asynchronous
            else None
        )
        if dead_letters is not None:
            tls_only_queue(f"{name}-dead-letters-policy", dead_letters, child)
        own_queue = (
            aws.sqs.Queue(
                f"{name}-queue",
                name=fit(f"{args.name}-queue", 80),
                kms_master_key_id=args.key_arn,
                visibility_timeout_seconds=own_queue_visibility(args.timeout, args.own_queue_window),
                tags=args.tags,
                opts=child,
            )
            if args.own_queue_batch is not None
            else None
        )
        if own_queue is not None:
            tls_only_queue(f"{name}-queue-policy", own_queue, child)
        role = aws.iam.Role(
            f"{name}-role",
            name=fit(f"{args.name}-function", 64),
            path=execution_role_path(context.namespace),  # the namespace's roles, as for services
            assume_role_policy=assume_role_policy("lambda.amazonaws.com", source_account=context.account_id),
            tags=args.tags,
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            role=role.id,
            policy=to_json(function_policy(args, logs.arn, dead_letters, own_queue)),
            opts=child,
        )
        variables = {
            **args.environment,
            **{f"{k}_PARAMETER": arn.split(":parameter", 1)[-1] for k, arn in args.parameters.items()},
            **{f"{k}_SECRET": secret.value_from for k, secret in args.managed_secrets.items()},
        }
        function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            role=ready(role.arn, policy),  # IAM is eventually consistent: the policy before the function
            package_type="Image" if args.image else "Zip",
            image_uri=args.image,
            code=args.code,
            runtime=args.runtime,
            handler=args.handler,
            memory_size=args.memory,
            timeout=args.timeout,
            architectures=[args.architecture],
            environment={"variables": variables} if variables else None,
            kms_key_arn=args.key_arn,
            tracing_config={"mode": "Active" if args.tracing else "PassThrough"},
            reserved_concurrent_executions=args.reserved_concurrency,
            dead_letter_config={"target_arn": dead_letters.arn} if dead_letters else None,
            logging_config={"log_format": "JSON", "log_group": logs.name},
            publish=True,
            tags=args.tags,
            opts=child,
        )
        alias = aws.lambda_.Alias(
            f"{name}-alias",
            name=ALIAS,
            function_name=function.name,
            function_version=function.version,
            description="What every trigger invokes; CodeDeploy moves it (stacks/function_release.py)",
            opts=child.merge(pulumi.ResourceOptions(ignore_changes=["functionVersion", "routingConfig"])),
        )
        alarms = function_alarms(
            name,
            alarm_prefix=args.name,
            function_name=function.name,
            alias=ALIAS,
            rate_percent=args.error_rate_percent,
            topic_arn=args.alarm_topic_arn,
            tags=args.tags,
            opts=child,
        )
        # By name (muon names them): the environment's dashboard needs no Output for them.
        self.alarm_names: list[str] = alarms.names
        release_role = aws.iam.Role(
            f"{name}-release-role",
            name=fit(f"{args.name}-release", 64),
            path=execution_role_path(context.namespace),
            assume_role_policy=assume_role_policy("codedeploy.amazonaws.com"),
            managed_policy_arns=[context.managed_policy("service-role/AWSCodeDeployRoleForLambda")],
            tags=args.tags,
            opts=child,
        )
        application = aws.codedeploy.Application(
            f"{name}-release", name=args.name, compute_platform="Lambda", tags=args.tags, opts=child
        )
        group = aws.codedeploy.DeploymentGroup(
            f"{name}-release-group",
            app_name=application.name,
            deployment_group_name=args.name,
            service_role_arn=release_role.arn,
            deployment_config_name=args.deployment_config,
            deployment_style={"deployment_option": "WITH_TRAFFIC_CONTROL", "deployment_type": "BLUE_GREEN"},
            auto_rollback_configuration={
                "enabled": True,
                "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"],
            },
            # The rates, not the incident alarm: CodeDeploy stops on them, whoever is paged.
            alarm_configuration={"enabled": True, "alarms": alarms.rollback},
            tags=args.tags,
            opts=child,
        )
        self._triggers(name, args, function, alias, own_queue, child)
        self.function_name = function.name
        self.version = function.version
        self.alias_arn = alias.arn
        self.application = application.name
        self.deployment_group = group.deployment_group_name
        self.log_group_name = logs.name
        self.name_in_aws: str = function_name  # by name too: the dashboard's metrics
        self.register_outputs(self.outputs())

    def _triggers(
        self,
        name: str,
        args: FunctionArgs,
        function: aws.lambda_.Function,
        alias: aws.lambda_.Alias,
        own_queue: aws.sqs.Queue | None,
        child: pulumi.ResourceOptions,
    ) -> None:
        self.http_url: pulumi.Output[str] | None = None
        if args.http_routes:
            api = aws.apigatewayv2.Api(
                f"{name}-http",
                name=args.name,
                protocol_type="HTTP",
                # On its own name, the API answers there only.
                disable_execute_api_endpoint=args.host is not None,
                tags=args.tags,
                opts=child,
            )
            access = aws.cloudwatch.LogGroup(
                f"{name}-http-logs",
                name=f"/{args.context.namespace}/http/{args.name}",  # the namespace's log groups
                retention_in_days=args.log_retention_days,
                kms_key_id=args.key_arn,
                tags=args.tags,
                opts=child,
            )
            integration = aws.apigatewayv2.Integration(
                f"{name}-http-integration",
                api_id=api.id,
                integration_type="AWS_PROXY",
                integration_uri=alias.arn,
                payload_format_version="2.0",
                opts=child,
            )
            for index, route in enumerate(args.http_routes):
                aws.apigatewayv2.Route(
                    f"{name}-route-{index}",
                    api_id=api.id,
                    route_key=f"{route.method} {route.path}",
                    target=integration.id.apply(lambda i: f"integrations/{i}"),
                    opts=child,
                )
            stage = aws.apigatewayv2.Stage(
                f"{name}-http-stage",
                api_id=api.id,
                name="$default",
                auto_deploy=True,
                access_log_settings={
                    "destination_arn": access.arn,
                    "format": json.dumps(ACCESS_LOG_FORMAT, sort_keys=True),
                },
                opts=child,
            )
            aws.lambda_.Permission(
                f"{name}-http-invoke",
                action="lambda:InvokeFunction",
                function=function.name,
                qualifier=ALIAS,
                principal="apigateway.amazonaws.com",
                source_arn=api.execution_arn.apply(lambda arn: f"{arn}/*/*"),
                opts=child,
            )
            self.http_url = stage.invoke_url
            if args.host is not None and args.zone_id is not None:
                self.http_url = self._custom_domain(name, args, api, stage, child)
        for index, (expression, timezone) in enumerate(args.schedules):
            scheduler_role = aws.iam.Role(
                f"{name}-schedule-{index}-role",
                name=fit(f"{args.name}-schedule-{index}", 64),
                path=execution_role_path(args.context.namespace),
                assume_role_policy=assume_role_policy(
                    "scheduler.amazonaws.com", source_account=args.context.account_id
                ),
                inline_policies=[
                    {"name": "invoke", "policy": to_json(document(allow("lambda:InvokeFunction", alias.arn)))}
                ],
                tags=args.tags,
                opts=child,
            )
            aws.scheduler.Schedule(
                f"{name}-schedule-{index}",
                name=fit(f"{args.name}-{index}", 64),
                schedule_expression=expression,
                schedule_expression_timezone=timezone,
                flexible_time_window={"mode": "OFF"},
                target={
                    "arn": alias.arn,
                    "role_arn": scheduler_role.arn,
                    "retry_policy": {"maximum_retry_attempts": 2},
                },
                opts=child,
            )
        sources = [(q.arn, batch, window) for q, batch, window in args.queues]
        if own_queue is not None and args.own_queue_batch is not None:  # one exists with the other
            sources.append((own_queue.arn, args.own_queue_batch, args.own_queue_window))
        for index, (queue_arn, batch, window) in enumerate(sources):
            aws.lambda_.EventSourceMapping(
                f"{name}-queue-{index}",
                event_source_arn=queue_arn,
                function_name=alias.arn,
                batch_size=batch,
                # Over 10 messages AWS requires a window of at least 1 s (resolve sets or refuses it).
                maximum_batching_window_in_seconds=window,
                # A failed message goes back alone; its batch's others are not retried.
                function_response_types=["ReportBatchItemFailures"],
                opts=child,
            )
        for index, skill in enumerate(args.alexa_skill_ids):
            aws.lambda_.Permission(
                f"{name}-alexa-{index}",
                action="lambda:InvokeFunction",
                function=function.name,
                qualifier=ALIAS,
                principal="alexa-appkit.amazon.com",
                event_source_token=skill,  # only this skill may invoke it (the seed's skill post)
                opts=child,
            )
        self.own_queue_url = own_queue.url if own_queue is not None else None

    def _custom_domain(
        self,
        name: str,
        args: FunctionArgs,
        api: aws.apigatewayv2.Api,
        stage: aws.apigatewayv2.Stage,
        child: pulumi.ResourceOptions,
    ) -> pulumi.Output[str]:
        """The API on ``host``: a regional certificate, TLS 1.2, a mapping and an alias record."""
        assert args.host is not None
        assert args.zone_id is not None
        certificate = validated_certificate(
            f"{name}-http", domain_name=args.host, zone_id=args.zone_id, tags=args.tags, opts=child
        )
        domain = aws.apigatewayv2.DomainName(
            f"{name}-http-domain",
            domain_name=args.host,
            domain_name_configuration={
                "certificate_arn": certificate,
                "endpoint_type": "REGIONAL",
                "security_policy": "TLS_1_2",
            },
            tags=args.tags,
            opts=child,
        )
        aws.apigatewayv2.ApiMapping(
            f"{name}-http-mapping", api_id=api.id, domain_name=domain.id, stage=stage.id, opts=child
        )
        aws.route53.Record(
            f"{name}-http-record",
            zone_id=args.zone_id,
            name=args.host,
            type="A",
            aliases=[
                {
                    "name": domain.domain_name_configuration.target_domain_name,
                    "zone_id": domain.domain_name_configuration.hosted_zone_id,
                    "evaluate_target_health": False,
                }
            ],
            opts=child,
        )
        return pulumi.Output.from_input(f"https://{args.host}")

    def outputs(self) -> dict[str, pulumi.Input[object]]:
        return {
            "functionName": self.function_name,
            "version": self.version,
            "aliasArn": self.alias_arn,
            "application": self.application,
            "deploymentGroup": self.deployment_group,
            "logGroupName": self.log_group_name,
            "httpUrl": self.http_url,
            "queueUrl": self.own_queue_url,
        }
