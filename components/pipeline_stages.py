"""The pipeline's stages and actions, as CodePipeline takes them: a pure function of the arguments."""

from __future__ import annotations

import json
from typing import Any

import pulumi

from muon.components.pipeline_args import PipelineArgs
from muon.components.pipeline_sources import revision_type, revision_variable, source_action


def pipeline_stages(
    args: PipelineArgs, projects: dict[str, pulumi.Input[str]], topic_arn: pulumi.Output[str]
) -> list[dict[str, Any]]:
    """The stages, in order: Source, UpdatePipeline, Build, then per environment an approval
    (when asked) and the deploy with its pre-deploy and test builds. ``projects``: CodeBuild
    project names by key, as Outputs (an action naming one waits for it)."""
    stages: list[dict[str, Any]] = [{"name": "Source", "actions": [source_action(args.source)]}]
    revision = {"name": "MUON_COMMIT", "value": revision_variable(args.source), "type": "PLAINTEXT"}
    # Self-mutation first (as CDK Pipelines does): a changed pipeline restarts the run, so no
    # later stage ever updates the pipeline that runs it.
    stages.append(
        {
            "name": "UpdatePipeline",
            "actions": [
                _codebuild_action(
                    "SelfUpdate",
                    projects["update"],
                    ["Source"],
                    [],
                    1,
                    variables=[
                        {"name": "MUON_STACK", "value": args.deploy.pipeline_stack, "type": "PLAINTEXT"},
                        {"name": "MUON_PIPELINE", "value": args.name, "type": "PLAINTEXT"},
                        {
                            "name": "MUON_EXECUTION_ID",
                            "value": "#{codepipeline.PipelineExecutionId}",
                            "type": "PLAINTEXT",
                        },
                        revision,
                        {
                            "name": "MUON_REVISION_TYPE",
                            "value": revision_type(args.source),
                            "type": "PLAINTEXT",
                        },
                    ],
                )
            ],
        }
    )
    build_actions = []
    image_input = "Source"
    if "artifact" in projects:
        build_actions.append(_codebuild_action("Artifact", projects["artifact"], ["Source"], ["Artifact"], 1))
        image_input = "Artifact"
    build_actions.append(
        _codebuild_action("Image", projects["image"], [image_input], ["Images"], 2, variables=[revision])
    )
    stages.append({"name": "Build", "actions": build_actions})
    for stage in args.stages:
        env = stage.environment
        if stage.approval:
            stages.append(
                {
                    "name": f"Approve-{env}",
                    "actions": [
                        {
                            "name": "Approval",
                            "category": "Approval",
                            "owner": "AWS",
                            "provider": "Manual",
                            "version": "1",
                            "run_order": 1,
                            "configuration": {
                                "NotificationArn": topic_arn,
                                "CustomData": f"Deploy to {env} (stack {stage.stack})?",
                            },
                        }
                    ],
                }
            )
        namespace = f"Deploy-{env}"
        actions = []
        if stage.pre_deploy:
            actions.append(
                _codebuild_action(
                    "PreDeploy",
                    projects[f"pre-deploy-{env}"],
                    ["Source"],
                    [],
                    1,
                    variables=[
                        {"name": "MUON_ENVIRONMENT", "value": env, "type": "PLAINTEXT"},
                        {"name": "MUON_STACK", "value": stage.stack, "type": "PLAINTEXT"},
                    ],
                )
            )
        actions.append(
            _codebuild_action(
                "Deploy",
                projects["deploy"],
                # Functions deploy what the Build stage built and tested (its Artifact).
                [
                    "Source",
                    "Images",
                    *(["Artifact"] if args.functions_built and "artifact" in projects else []),
                ],
                [],
                2,
                namespace=namespace,
                variables=[
                    {"name": "MUON_ENVIRONMENT", "value": env, "type": "PLAINTEXT"},
                    {"name": "MUON_STACK", "value": stage.stack, "type": "PLAINTEXT"},
                    {"name": "MUON_DEPLOY_ROLE_ARN", "value": stage.role_arn or "", "type": "PLAINTEXT"},
                    {"name": "MUON_MIGRATE", "value": stage.migrate or "", "type": "PLAINTEXT"},
                ],
            )
        )
        if stage.test:
            actions.append(
                _codebuild_action(
                    "Test",
                    projects[f"test-{env}"],
                    ["Source"],
                    [],
                    3,
                    category="Test",
                    variables=[
                        {"name": "MUON_ENVIRONMENT", "value": env, "type": "PLAINTEXT"},
                        {
                            "name": "MUON_SERVICE_URL",
                            "value": f"#{{{namespace}.MUON_SERVICE_URL}}",
                            "type": "PLAINTEXT",
                        },
                    ],
                )
            )
        # A failed deploy or test redeploys the stage's last good run (its image digests).
        stages.append({"name": namespace, "actions": actions, "on_failure": {"result": "ROLLBACK"}})
    return stages


def _codebuild_action(
    name: str,
    project: pulumi.Input[str],
    inputs: list[str],
    outputs: list[str],
    run_order: int,
    *,
    category: str = "Build",
    namespace: str | None = None,
    variables: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    configuration: dict[str, pulumi.Input[str]] = {"ProjectName": project}
    if len(inputs) > 1:
        configuration["PrimarySource"] = inputs[0]
    if variables:
        configuration["EnvironmentVariables"] = json.dumps(variables, sort_keys=True)
    action: dict[str, Any] = {
        "name": name,
        "category": category,
        "owner": "AWS",
        "provider": "CodeBuild",
        "version": "1",
        "run_order": run_order,
        "input_artifacts": inputs,
        "output_artifacts": outputs,
        "configuration": configuration,
    }
    if namespace:
        action["namespace"] = namespace
    return action
