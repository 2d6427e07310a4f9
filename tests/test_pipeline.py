"""The Pipeline component, asserted on the rendered pipeline, projects, roles and rules."""

from __future__ import annotations

import json

import pytest
import yaml

from muon.components.pipeline_feedback import failure_pattern
from muon.plan.offline import Rendering
from muon.stacks.errors import DefinitionError
from tests.aws_models import assert_valid
from tests.conftest import PROJECT_DIR

CONNECTION = (
    "arn:aws:codestar-connections:us-east-1:111111111111:connection/00000000-0000-0000-0000-000000000000"
)
ENVS = "environments: {dev: {}, production: {}}\n"
SERVICES = "services:\n  banana: {port: 8080, pathPatterns: [/bananas]}\n"
PIPELINE_CONFIG = {
    "muon:pipeline": True,
    "muon:backend": "s3://acme-pulumi-state",
    "muon:secretsProvider": "awskms://alias/muon-pulumi?region=us-east-1",
}


def pipeline_definition(
    stages: str, extra: str = "", source: str = f"{{repo: acme/banana, connection: '{CONNECTION}'}}"
) -> str:
    return ENVS + SERVICES + f"pipeline:\n  source: {source}\n  stages: {stages}\n" + extra


def render_pipeline(render_definition, definition: str, **config: object) -> Rendering:
    return render_definition(definition, [], extra_config={**PIPELINE_CONFIG, **config})


def stages_of(rendering: Rendering) -> list[dict]:
    return rendering.one("aws:codepipeline/pipeline:Pipeline").inputs["stages"]


def project(rendering: Rendering, key: str):
    return next(
        p for p in rendering.of_type("aws:codebuild/project:Project") if p.inputs["name"].endswith(f"-{key}")
    )


def policy_of(rendering: Rendering, name: str) -> dict[str, dict]:
    return {
        s["Sid"]: s for s in rendering.one("aws:iam/rolePolicy:RolePolicy", name).json("policy")["Statement"]
    }


def test_the_screencast_shape_in_the_delivery_stack(delivery: Rendering) -> None:
    stages = stages_of(delivery)
    assert [s["name"] for s in stages] == [
        "Source",
        "UpdatePipeline",
        "Build",
        "Deploy-dev",
        "Approve-production",
        "Deploy-production",
    ]
    layout = {s["name"]: [(a["name"], a["runOrder"]) for a in s["actions"]] for s in stages}
    assert layout == {
        "Source": [("Source", 1)],
        "UpdatePipeline": [("SelfUpdate", 1)],
        "Build": [("Artifact", 1), ("Image", 2)],
        "Deploy-dev": [("Deploy", 2), ("Test", 3)],
        "Approve-production": [("Approval", 1)],
        "Deploy-production": [("Deploy", 2), ("Test", 3)],
    }
    source = stages[0]["actions"][0]
    assert (
        source["provider"],
        source["configuration"]["FullRepositoryId"],
        source["configuration"]["BranchName"],
    ) == (
        "CodeStarSourceConnection",
        "acme/banana",
        "main",
    )
    pipeline = delivery.one("aws:codepipeline/pipeline:Pipeline").inputs
    assert pipeline["pipelineType"] == "V2"
    assert pipeline["name"] == "muon-muon"


def test_every_input_artifact_is_an_earlier_output(delivery: Rendering) -> None:
    produced: set[str] = set()
    for stage in stages_of(delivery):
        by_order: dict[int, list[dict]] = {}
        for action in stage["actions"]:
            by_order.setdefault(action["runOrder"], []).append(action)
        for order in sorted(by_order):
            for action in by_order[order]:
                assert set(action.get("inputArtifacts", [])) <= produced, (stage["name"], action["name"])
            for action in by_order[order]:
                produced |= set(action.get("outputArtifacts", []))
    assert produced == {"Source", "Artifact", "Images"}


def test_deploys_go_through_pulumi_on_each_environment_stack(delivery: Rendering) -> None:
    for stage_name, environment, stack in (
        ("Deploy-dev", "dev", "dev"),
        ("Deploy-production", "production", "prod"),
    ):
        stage = next(s for s in stages_of(delivery) if s["name"] == stage_name)
        assert stage["onFailure"] == {
            "result": "ROLLBACK"
        }  # a failed deploy or test redeploys the last good run
        deploy, test = stage["actions"]
        variables = {
            v["name"]: v["value"] for v in json.loads(deploy["configuration"]["EnvironmentVariables"])
        }
        assert variables == {
            "MUON_ENVIRONMENT": environment,
            "MUON_STACK": stack,
            "MUON_DEPLOY_ROLE_ARN": "",
            "MUON_MIGRATE": "",  # the shipped stages migrate nothing
        }
        assert deploy["inputArtifacts"] == ["Source", "Images"]
        assert deploy["configuration"]["PrimarySource"] == "Source"
        assert deploy["namespace"] == stage_name
        test_variables = {
            v["name"]: v["value"] for v in json.loads(test["configuration"]["EnvironmentVariables"])
        }
        assert test_variables["MUON_SERVICE_URL"] == f"#{{{stage_name}.MUON_SERVICE_URL}}"
        assert test["category"] == "Test"
    spec = yaml.safe_load(project(delivery, "deploy").inputs["source"]["buildspec"])
    commands = spec["phases"]["build"]["commands"]
    assert 'pulumi up --yes --skip-preview --stack "$MUON_STACK"' in commands
    up = commands.index('pulumi up --yes --skip-preview --stack "$MUON_STACK"')
    assert any("stacks.deploy set-images" in c for c in commands[:up])
    assert any("stacks.deploy tag-deployed" in c for c in commands[:up])  # protected before it runs
    assert any("stacks.deploy verify" in c for c in commands[up:])
    # The stack's own secrets provider, for a stack the pipeline creates too.
    assert (
        'pulumi stack select --create --stack "$MUON_STACK" '
        '${MUON_ENCRYPTION_PROVIDER:+--secrets-provider "$MUON_ENCRYPTION_PROVIDER"}'
    ) in commands
    assert spec["env"]["exported-variables"] == ["MUON_SERVICE_URL"]
    variables = {
        v["name"]: v["value"]
        for v in project(delivery, "deploy").inputs["environment"]["environmentVariables"]
    }
    assert variables["MUON_BACKEND"] == "s3://acme-pulumi-state"
    assert variables["MUON_ENCRYPTION_PROVIDER"] == "awskms://alias/muon-pulumi?region=us-east-1"
    # The CLI the SDK pinned in requirements.txt was built with, unless the stack says otherwise.
    pinned = next(
        line.split("==")[1].split()[0]
        for line in (PROJECT_DIR / "requirements.txt").read_text().splitlines()
        if line.startswith("pulumi==")
    )
    assert variables["MUON_PULUMI_VERSION"] == pinned
    assert variables["MUON_KEEP_DEPLOYED"] == "10"


def test_no_stage_but_the_self_update_deploys_the_pipeline_stack(delivery: Rendering) -> None:
    targets = []
    for stage in stages_of(delivery):
        for action in stage["actions"]:
            variables = json.loads(action.get("configuration", {}).get("EnvironmentVariables", "[]"))
            stack = next((v["value"] for v in variables if v["name"] == "MUON_STACK"), None)
            if stack is not None:
                targets.append((stage["name"], action["name"], stack))
    assert ("UpdatePipeline", "SelfUpdate", "pipeline") in targets
    assert [t for t in targets if t[2] == "pipeline"] == [("UpdatePipeline", "SelfUpdate", "pipeline")]
    update = stages_of(delivery)[1]["actions"][0]
    variables = {v["name"]: v["value"] for v in json.loads(update["configuration"]["EnvironmentVariables"])}
    assert variables["MUON_EXECUTION_ID"] == "#{codepipeline.PipelineExecutionId}"
    assert variables["MUON_COMMIT"] == "#{SourceVariables.CommitId}"
    assert variables["MUON_REVISION_TYPE"] == "COMMIT_ID"
    assert stages_of(delivery)[0]["actions"][0]["namespace"] == "SourceVariables"
    commands = yaml.safe_load(project(delivery, "update").inputs["source"]["buildspec"])["phases"]["build"][
        "commands"
    ]
    assert any("stacks.deploy self-update" in c for c in commands)


def test_the_image_build_pushes_once_by_commit_to_the_shared_repository(delivery: Rendering) -> None:
    image = project(delivery, "image").inputs
    assert image["environment"]["privilegedMode"] is True
    others = [
        p
        for p in delivery.of_type("aws:codebuild/project:Project")
        if not p.inputs["name"].endswith("-image")
    ]
    assert others and all(p.inputs["environment"]["privilegedMode"] is False for p in others)
    commands = yaml.safe_load(image["source"]["buildspec"])["phases"]["build"]["commands"]
    script = "\n".join(commands)
    # The tag is the source action's commit variable; an empty one stops the build.
    assert commands[0].startswith(': "${MUON_COMMIT:?')
    assert "CODEBUILD_RESOLVED_SOURCE_VERSION" not in script
    assert script.count("docker push") == 1
    assert 'docker push "$REGISTRY/muon/banana:$TAG"' in script
    assert '-f "examples/banana/Dockerfile"' in script and script.count('"examples/banana"') == 1
    assert '"banana" "$REGISTRY/muon/banana@$DIGEST" >> images.tsv' in script
    build = next(s for s in stages_of(delivery) if s["name"] == "Build")
    action = next(a for a in build["actions"] if a["name"] == "Image")
    assert json.loads(action["configuration"]["EnvironmentVariables"]) == [
        {"name": "MUON_COMMIT", "type": "PLAINTEXT", "value": "#{SourceVariables.CommitId}"}
    ]
    statements = policy_of(delivery, "pipeline-image-policy")
    repository = delivery.one("aws:ecr/repository:Repository")
    assert repository.inputs["name"] == "muon/banana"
    assert statements["PushServiceImages"]["Resource"] == [repository.state["arn"]]
    # "*" only for actions without resource-level permissions: the registry login, and Inspector's
    # findings of enhanced scanning that the scan gate reads.
    assert [s for s in statements.values() if s["Resource"] == "*"] == [
        statements["RegistryLogin"],
        statements["ReadEnhancedScanFindings"],
    ]


def test_artifact_bucket_is_private_encrypted_versioned_and_expiring(delivery: Rendering) -> None:
    pipeline = delivery.one("aws:codepipeline/pipeline:Pipeline").inputs
    key = delivery.one("aws:kms/key:Key", "pipeline-key-key").state["arn"]
    (store,) = pipeline["artifactStores"]
    assert store["encryptionKey"] == {"id": key, "type": "KMS"}
    bucket = delivery.one("aws:s3/bucket:Bucket", "pipeline-artifacts-bucket")
    assert store["location"] == bucket.state["bucket"]
    sse = delivery.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "pipeline-artifacts-encryption",
    ).inputs
    assert sse["rules"][0]["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key,
    }
    assert delivery.one("aws:s3/bucketVersioning:BucketVersioning", "pipeline-artifacts-versioning").inputs[
        "versioningConfiguration"
    ] == {"status": "Enabled"}
    block = delivery.one(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "pipeline-artifacts-public-access"
    ).inputs
    assert all(
        block[k] is True
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    policy = delivery.one("aws:s3/bucketPolicy:BucketPolicy", "pipeline-artifacts-policy").json("policy")
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    lifecycle = delivery.one(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "pipeline-artifacts-lifecycle"
    ).inputs
    # A stage's rollback re-runs its last good execution with that execution's artifacts
    # (CodePipeline user guide, "Configuring stage rollback"): a year, not the thirty days that
    # broke the rollback of a stage released less than monthly.
    assert lifecycle["rules"][0]["expiration"] == {"days": 365}
    for project_ in delivery.of_type("aws:codebuild/project:Project"):
        assert project_.inputs["encryptionKey"] == key
        assert project_.inputs["logsConfig"]["cloudwatchLogs"]["status"] == "ENABLED"


def test_artifact_access_is_logged_to_a_bucket_only_its_own_account_s_artifacts_write(
    delivery: Rendering,
) -> None:
    # S3.9: server access logging, to an SSE-S3 bucket (the only encryption S3 logging writes to),
    # whose policy admits S3's logging service for this account's artifact bucket only (S3 user
    # guide, "Enabling Amazon S3 server access logging": aws:SourceArn, aws:SourceAccount).
    artifacts = delivery.one("aws:s3/bucket:Bucket", "pipeline-artifacts-bucket").state
    logs = delivery.one("aws:s3/bucket:Bucket", "pipeline-access-logs-bucket").state
    logging = delivery.one("aws:s3/bucketLogging:BucketLogging", "pipeline-artifacts-access-logging")
    assert logging.inputs["targetBucket"] == logs["bucket"]
    assert logging.inputs["targetPrefix"] == f"{artifacts['bucket']}/"
    policy = delivery.one("aws:s3/bucketPolicy:BucketPolicy", "pipeline-access-logs-policy")
    statements = {s.get("Sid"): s for s in policy.json("policy")["Statement"]}
    assert statements["S3ServerAccessLogs"] == {
        "Sid": "S3ServerAccessLogs",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{logs['arn']}/*",
        "Condition": {
            "ArnLike": {"aws:SourceArn": artifacts["arn"]},
            "StringEquals": {"aws:SourceAccount": "123456789012"},
        },
    }
    # The source logs only once its logs are admitted.
    assert policy.urn in delivery.requirements(logging.urn)
    encryption = delivery.one(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "pipeline-access-logs-encryption",
    ).inputs
    assert encryption["rules"][0]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    lifecycle = delivery.one(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "pipeline-access-logs-lifecycle"
    ).inputs
    assert lifecycle["rules"][0]["expiration"] == {"days": 365}
    from muon.policy.rules import evaluate

    assert not [
        f for f in evaluate(delivery.custom_resources) if f.control == "S3.9" and "artifacts" in f.resource
    ]


def test_roles_are_scoped_to_their_own_projects_bucket_and_connection(delivery: Rendering) -> None:
    statements = policy_of(delivery, "pipeline-policy")
    projects = sorted(p.state["arn"] for p in delivery.of_type("aws:codebuild/project:Project"))
    assert sorted(statements["RunOwnBuilds"]["Resource"]) == projects
    assert statements["UseConnection"]["Resource"] == CONNECTION
    bucket = delivery.one("aws:s3/bucket:Bucket", "pipeline-artifacts-bucket").state["arn"]
    assert statements["ReadWriteArtifacts"]["Resource"] == f"{bucket}/*"
    for name in ("update", "artifact", "image", "deploy", "test-dev", "test-production"):
        own = policy_of(delivery, f"pipeline-{name}-policy")
        group = delivery.one("aws:cloudwatch/logGroup:LogGroup", f"pipeline-{name}-logs").state["arn"]
        assert own["WriteOwnLogs"]["Resource"] == f"{group}:*"
    attachments = delivery.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    broad = delivery.one("aws:iam/policy:Policy", "pipeline-deploy-broad")
    holders = [a.name for a in attachments if a.inputs["policyArn"] == broad.state["arn"]]
    # The roles that run `pulumi up`: the self-update and the deploys, no other.
    assert sorted(holders) == ["pipeline-deploy-broad", "pipeline-update-broad"]


def test_failure_events_reach_the_encrypted_topic(delivery: Rendering) -> None:
    rule = delivery.one("aws:cloudwatch/eventRule:EventRule", "pipeline-failures")
    pattern = json.loads(rule.inputs["eventPattern"])
    assert pattern == failure_pattern("muon-muon", ["FAILED"])
    # A CodePipeline action failure event, as EventBridge delivers it (CodePipeline user guide).
    event = {
        "source": "aws.codepipeline",
        "detail-type": "CodePipeline Action Execution State Change",
        "detail": {"pipeline": "muon-muon", "stage": "Deploy-dev", "action": "Deploy", "state": "FAILED"},
    }
    assert matches(pattern, event)
    assert not matches(pattern, {**event, "detail": {**event["detail"], "state": "SUCCEEDED"}})
    assert not matches(pattern, {**event, "detail": {**event["detail"], "pipeline": "other"}})
    target = delivery.one("aws:cloudwatch/eventTarget:EventTarget", "pipeline-failures-to-topic").inputs
    topic = delivery.one("aws:sns/topic:Topic", "pipeline-notifications")
    assert target["arn"] == topic.state["arn"]
    assert topic.inputs["kmsMasterKeyId"] == delivery.one("aws:kms/key:Key", "pipeline-key-key").state["arn"]
    assert (
        delivery.one("aws:sns/topicSubscription:TopicSubscription").inputs["endpoint"]
        == "banana-team@example.com"
    )
    approval = next(s for s in stages_of(delivery) if s["name"] == "Approve-production")["actions"][0]
    assert approval["configuration"]["NotificationArn"] == topic.state["arn"]


def matches(pattern: dict, event: dict) -> bool:
    """EventBridge's exact-value matching, for the subset of patterns muon writes."""
    for key, expected in pattern.items():
        value = event.get(key)
        if isinstance(expected, dict):
            if not isinstance(value, dict) or not matches(expected, value):
                return False
        elif value not in expected:
            return False
    return True


def test_rendered_pipeline_and_projects_are_valid_api_calls(delivery: Rendering) -> None:
    pipeline = delivery.one("aws:codepipeline/pipeline:Pipeline").inputs
    stages = [
        {
            "name": stage["name"],
            "actions": [
                {
                    "name": a["name"],
                    "actionTypeId": {
                        "category": a["category"],
                        "owner": a["owner"],
                        "provider": a["provider"],
                        "version": a["version"],
                    },
                    "runOrder": a["runOrder"],
                    "configuration": a.get("configuration", {}),
                    "inputArtifacts": [{"name": n} for n in a.get("inputArtifacts", [])],
                    "outputArtifacts": [{"name": n} for n in a.get("outputArtifacts", [])],
                    **({"namespace": a["namespace"]} if "namespace" in a else {}),
                }
                for a in stage["actions"]
            ],
            **({"onFailure": {"result": stage["onFailure"]["result"]}} if "onFailure" in stage else {}),
        }
        for stage in pipeline["stages"]
    ]
    store = pipeline["artifactStores"][0]
    assert_valid(
        "codepipeline",
        "CreatePipeline",
        {
            "pipeline": {
                "name": pipeline["name"],
                "roleArn": pipeline["roleArn"],
                "artifactStore": {
                    "type": store["type"],
                    "location": store["location"],
                    "encryptionKey": store["encryptionKey"],
                },
                "stages": stages,
                "pipelineType": pipeline["pipelineType"],
                "executionMode": pipeline["executionMode"],
            }
        },
    )
    for project_ in delivery.of_type("aws:codebuild/project:Project"):
        p = project_.inputs
        env = p["environment"]
        assert_valid(
            "codebuild",
            "CreateProject",
            {
                "name": p["name"],
                "source": {"type": p["source"]["type"], "buildspec": p["source"]["buildspec"]},
                "artifacts": {"type": p["artifacts"]["type"]},
                "environment": {
                    "type": env["type"],
                    "image": env["image"],
                    "computeType": env["computeType"],
                    "privilegedMode": env["privilegedMode"],
                    "imagePullCredentialsType": env["imagePullCredentialsType"],
                    "environmentVariables": env.get("environmentVariables", []),
                },
                "serviceRole": p["serviceRole"],
                "timeoutInMinutes": p["buildTimeout"],
                "encryptionKey": p["encryptionKey"],
                "logsConfig": {
                    "cloudWatchLogs": {
                        "status": p["logsConfig"]["cloudwatchLogs"]["status"],
                        "groupName": p["logsConfig"]["cloudwatchLogs"]["groupName"],
                    },
                    "s3Logs": {"status": p["logsConfig"]["s3Logs"]["status"]},
                },
            },
        )


def test_pulumi_cloud_token_comes_from_parameter_store(render_definition) -> None:
    rendering = render_pipeline(
        render_definition,
        pipeline_definition("[{environment: dev}]"),
        **{"muon:backend": "https://api.pulumi.com", "muon:accessTokenParameter": "/muon/pulumi/token"},
    )
    deploy = project(rendering, "deploy").inputs
    spec = yaml.safe_load(deploy["source"]["buildspec"])
    assert spec["env"]["parameter-store"] == {"PULUMI_ACCESS_TOKEN": "/muon/pulumi/token"}
    assert "PULUMI_ACCESS_TOKEN" not in {v["name"] for v in deploy["environment"]["environmentVariables"]}
    statements = policy_of(rendering, "pipeline-deploy-policy")
    assert (
        statements["ReadPulumiToken"]["Resource"]
        == "arn:aws:ssm:us-east-1:123456789012:parameter/muon/pulumi/token"
    )


def test_cross_account_stages_assume_their_role_instead_of_the_broad_policy(render_definition) -> None:
    role = "arn:aws:iam::222222222222:role/muon-deploy"
    rendering = render_pipeline(
        render_definition, pipeline_definition(f"[{{environment: dev, roleArn: '{role}'}}]")
    )
    # The broad policy is the self-update's alone: every deploy assumes the target's role.
    broad = rendering.one("aws:iam/policy:Policy", "pipeline-deploy-broad").state["arn"]
    attachments = rendering.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert [a.name for a in attachments if a.inputs["policyArn"] == broad] == ["pipeline-update-broad"]
    assert policy_of(rendering, "pipeline-deploy-policy")["AssumeDeployRoles"]["Resource"] == [role]
    deploy = stages_of(rendering)[3]["actions"][0]
    variables = {v["name"]: v["value"] for v in json.loads(deploy["configuration"]["EnvironmentVariables"])}
    assert variables["MUON_DEPLOY_ROLE_ARN"] == role


def test_codecommit_source_starts_on_push_and_s3_source_polls(render_definition) -> None:
    rendering = render_pipeline(
        render_definition,
        pipeline_definition(
            "[{environment: dev}]", source="{provider: codecommit, repo: banana, branch: trunk}"
        ),
    )
    source = stages_of(rendering)[0]["actions"][0]
    assert (source["provider"], source["configuration"]["PollForSourceChanges"]) == ("CodeCommit", "false")
    trigger = json.loads(
        rendering.one("aws:cloudwatch/eventRule:EventRule", "pipeline-trigger").inputs["eventPattern"]
    )
    assert trigger["resources"] == ["arn:aws:codecommit:us-east-1:123456789012:banana"]
    assert trigger["detail"]["referenceName"] == ["trunk"]
    assert (
        policy_of(rendering, "pipeline-policy")["ReadRepository"]["Resource"]
        == "arn:aws:codecommit:us-east-1:123456789012:banana"
    )
    rendering = render_pipeline(
        render_definition,
        pipeline_definition(
            "[{environment: dev}]", source="{provider: s3, repo: acme-sources, objectKey: banana.zip}"
        ),
    )
    source = stages_of(rendering)[0]["actions"][0]
    assert source["configuration"] == {
        "S3Bucket": "acme-sources",
        "S3ObjectKey": "banana.zip",
        "PollForSourceChanges": "true",
    }


def test_slack_goes_through_chatbot_with_a_read_only_guardrail(render_definition) -> None:
    rendering = render_pipeline(
        render_definition,
        pipeline_definition(
            "[{environment: dev}]", "  notifications: {slack: {teamId: T0123ABCDE, channelId: C0123ABCDE}}\n"
        ),
    )
    slack = rendering.one("aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration").inputs
    assert slack["guardrailPolicyArns"] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert slack["snsTopicArns"] == [rendering.one("aws:sns/topic:Topic").state["arn"]]


BAD_PIPELINES = [
    (
        pipeline_definition("[{environment: qa}]"),
        "pipeline.stages[0].environment",
        "unknown environment 'qa'",
    ),
    (pipeline_definition("[]"), "pipeline.stages", "at least 1"),
    (
        pipeline_definition(
            "[{environment: dev}]", source="{repo: acme/banana, connection: 'arn:aws:codestar:x'}"
        ),
        "pipeline.source.connection",
        "a CodeStar connection ARN",
    ),
    (
        pipeline_definition("[{environment: production, approval: true}]"),
        "pipeline.stages[0].approval",
        "needs someone to notify",
    ),
    (
        pipeline_definition("[{environment: dev}, {environment: dev}]"),
        "pipeline.stages[1].environment",
        "already has a stage",
    ),
    (
        pipeline_definition("[{environment: dev, stack: prod}]"),
        "pipeline.stages[0].stack",
        "does not deploy environment 'dev'",
    ),
    (
        ENVS
        + f"services:\n  proxy: {{port: 80, pathPatterns: [/p], image: 'nginx@sha256:{'a' * 64}'}}\n"
        + f"pipeline:\n  source: {{repo: acme/banana, connection: '{CONNECTION}'}}\n  stages: [{{environment: dev}}]\n"
        + "  images: {proxy: {dockerfile: Dockerfile}}\n",
        "pipeline.images.proxy",
        "services.proxy.image names a prebuilt image, which the pipeline never builds; give one or the other",
    ),
    (
        pipeline_definition("[{environment: dev}]", "  images: {banana: {target: 'two words'}}\n"),
        "pipeline.images.banana.target",
        "a build stage name",
    ),
]


@pytest.mark.parametrize(("definition", "path", "words"), BAD_PIPELINES)
def test_bad_pipelines_name_the_path(render_definition, definition: str, path: str, words: str) -> None:
    with pytest.raises(DefinitionError) as raised:
        render_pipeline(render_definition, definition)
    assert f"muon.yaml: {path}" in str(raised.value)
    assert words in str(raised.value)


def test_a_stage_whose_environment_no_stack_deploys_is_an_error(render_definition) -> None:
    definition = (
        "environments: {dev: {}, qa: {}}\n"
        + SERVICES
        + f"pipeline:\n  source: {{repo: acme/banana, connection: '{CONNECTION}'}}\n  stages: [{{environment: qa}}]\n"
    )
    with pytest.raises(DefinitionError, match=r"pipeline.stages\[0\]: no stack deploys environment 'qa'"):
        render_pipeline(render_definition, definition)


def test_the_pipeline_refuses_a_pulumi_cli_that_would_lose_a_stacks_secrets_provider(
    render_definition,
) -> None:
    """Before 3.134 Pulumi cannot fall back to the provider a stack's state records, before 3.135
    `stack select --create` does not record it (and 3.135.0 overwrote a file's own provider): a
    stack file without `secretsprovider:` would then ask the deploy step for a passphrase (Pulumi's
    CHANGELOG, pulumi#17236, pulumi#17387, pulumi#17465)."""
    with pytest.raises(DefinitionError) as caught:
        render_pipeline(
            render_definition,
            pipeline_definition("[{environment: dev}]"),
            **{"muon:pulumiVersion": "3.135.0"},
        )
    assert caught.value.problems == [
        "Pulumi.test.yaml: muon:pulumiVersion: 3.135.0 is older than 3.135.1, the first Pulumi CLI that "
        "keeps a stack's secrets provider when its stack file has none"
    ]
    rendering = render_pipeline(
        render_definition, pipeline_definition("[{environment: dev}]"), **{"muon:pulumiVersion": "3.135.1"}
    )
    variables = {
        v["name"]: v["value"]
        for v in project(rendering, "deploy").inputs["environment"]["environmentVariables"]
    }
    assert variables["MUON_PULUMI_VERSION"] == "3.135.1"
    for key in ("deploy", "update"):
        spec = yaml.safe_load(project(rendering, key).inputs["source"]["buildspec"])
        assert spec["env"]["variables"]["PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER"] == "true"


def test_the_pipeline_stack_needs_a_backend(render_definition) -> None:
    with pytest.raises(DefinitionError, match="muon:backend: the pipeline deploys with Pulumi"):
        render_definition(
            pipeline_definition("[{environment: dev}]"), [], extra_config={"muon:pipeline": True}
        )
    with pytest.raises(DefinitionError, match="muon:secretsProvider: an s3 backend needs an awskms"):
        render_definition(
            pipeline_definition("[{environment: dev}]"),
            [],
            extra_config={"muon:pipeline": True, "muon:backend": "s3://b"},
        )


def test_the_dashboard_shows_build_health_and_approval_waits(delivery: Rendering) -> None:
    dashboard = delivery.one("aws:cloudwatch/dashboard:Dashboard")
    widgets = json.loads(dashboard.inputs["dashboardBody"])["widgets"]
    titles = [w["properties"]["title"] for w in widgets]
    assert titles == [
        "Builds",
        "Failed builds",
        "Build duration (s)",
        "Approval wait (seconds from request to answer)",
        "Runs by outcome",
    ]
    projects = sorted(p.inputs["name"] for p in delivery.of_type("aws:codebuild/project:Project"))
    failed = widgets[1]["properties"]["metrics"]
    assert sorted(m[3] for m in failed) == projects
    assert all(m[:3] == ["AWS/CodeBuild", "FailedBuilds", "ProjectName"] for m in failed)
    approvals = widgets[3]["properties"]["query"]
    assert approvals.startswith(
        "SOURCE '/aws/events/muon/muon-muon' | filter detail.type.category = 'Approval'"
    )
    history = delivery.one("aws:cloudwatch/eventRule:EventRule", "pipeline-history-rule")
    assert json.loads(history.inputs["eventPattern"]) == {
        "source": ["aws.codepipeline"],
        "detail": {"pipeline": ["muon-muon"]},
    }
    target = delivery.one("aws:cloudwatch/eventTarget:EventTarget", "pipeline-history-target").inputs
    assert target["arn"] == delivery.one("aws:cloudwatch/logGroup:LogGroup", "pipeline-history").state["arn"]


def test_a_permissions_boundary_caps_the_roles_that_run_pulumi(render_definition) -> None:
    boundary = "arn:aws:iam::123456789012:policy/muon-deploy-boundary"
    rendering = render_pipeline(
        render_definition,
        pipeline_definition("[{environment: dev}]", extra=f"  deployPermissionsBoundary: '{boundary}'\n"),
    )
    bounded = sorted(
        r.name for r in rendering.of_type("aws:iam/role:Role") if r.inputs.get("permissionsBoundary")
    )
    assert bounded == ["pipeline-deploy-role", "pipeline-update-role"]
    assert {
        r.inputs["permissionsBoundary"] for r in rendering.of_type("aws:iam/role:Role") if r.name in bounded
    } == {boundary}
    with pytest.raises(
        DefinitionError, match="deployPermissionsBoundary: expected an IAM managed policy ARN"
    ):
        render_pipeline(
            render_definition,
            pipeline_definition("[{environment: dev}]", extra="  deployPermissionsBoundary: admin\n"),
        )


def test_destroy_never_waits_on_artifacts_or_protected_instances(
    delivery: Rendering, prod: Rendering
) -> None:
    assert delivery.one("aws:s3/bucket:Bucket", "pipeline-artifacts-bucket").inputs["forceDestroy"] is True
    assert prod.one("aws:autoscaling/group:Group").inputs["forceDelete"] is True
    # Images and production data are not thrown away by a destroy.
    assert delivery.one("aws:ecr/repository:Repository").inputs["forceDelete"] is False


def test_a_stage_migration_reaches_its_deploy_action(render_definition) -> None:
    rendering = render_pipeline(
        render_definition,
        pipeline_definition(
            "[{environment: dev, migrate: {service: banana, command: [python, manage.py, migrate]}}, "
            "{environment: production}]"
        ),
    )
    variables = {}
    for stage in stages_of(rendering):
        for action in stage["actions"]:
            if action["name"] == "Deploy":
                found = json.loads(action["configuration"]["EnvironmentVariables"])
                variables[stage["name"]] = {v["name"]: v["value"] for v in found}
    assert json.loads(variables["Deploy-dev"]["MUON_MIGRATE"]) == {
        "service": "banana",
        "command": ["python", "manage.py", "migrate"],
    }
    assert variables["Deploy-production"]["MUON_MIGRATE"] == ""  # no migration: the step is skipped
    # CodePipeline's limit on an action's variables: the configuration stays within it.
    for stage in stages_of(rendering):
        for action in stage["actions"]:
            assert len(action["configuration"].get("EnvironmentVariables", "")) <= 1000


def test_a_migration_too_long_for_codepipeline_is_one_line(render_definition) -> None:
    long_argument = "x" * 900
    with pytest.raises(DefinitionError) as caught:
        render_pipeline(
            render_definition,
            pipeline_definition(
                f"[{{environment: dev, migrate: {{service: banana, command: [run, {long_argument}]}}}}]"
            ),
        )
    message = str(caught.value)
    assert "pipeline.stages[0].migrate.command:" in message
    assert "CodePipeline takes at most 800 here" in message


INTERNAL_DEV = (
    "environments: {dev: {loadBalancer: {internal: true}}, production: {}}\n"
    + SERVICES
    + f"pipeline:\n  source: {{repo: acme/banana, connection: '{CONNECTION}'}}\n"
)
DEV_STACK = "organization/muon/dev"
DEV_NETWORK = {
    "vpcId": "vpc-0123456789abcdef0",
    "privateSubnetIds": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
    "testSecurityGroupId": "sg-0testsfromdev0001",
}


def test_the_test_of_an_internal_load_balancer_runs_in_its_vpc(render_definition) -> None:
    # CodeBuild ran outside every VPC: an internal load balancer (private subnets, a network ACL
    # admitting the VPC) was out of its reach. It runs in the environment's private subnets under the
    # group that load balancer admits, read from the environment stack's contract.
    from muon.components.attached import CONTRACT_OUTPUT
    from muon.plan.offline import MuonMocks

    mocks = MuonMocks()
    mocks.stack_outputs[DEV_STACK] = {CONTRACT_OUTPUT: {"version": 1, "environments": {"dev": DEV_NETWORK}}}
    definition = (
        INTERNAL_DEV
        + "  stages: [{environment: dev, test: buildspec-test.yml}, {environment: production, test: buildspec-test.yml}]\n"
    )
    rendering = render_definition(definition, [], extra_config=PIPELINE_CONFIG, mocks=mocks)
    assert project(rendering, "test-dev").inputs["vpcConfig"] == {
        "vpcId": DEV_NETWORK["vpcId"],
        "subnets": DEV_NETWORK["privateSubnetIds"],
        "securityGroupIds": [DEV_NETWORK["testSecurityGroupId"]],
    }
    # Production's load balancer is internet-facing: its test stays outside, as every other build.
    for key in ("test-production", "deploy", "image", "update", "artifact"):
        assert "vpcConfig" not in project(rendering, key).inputs, key
    statements = policy_of(rendering, "pipeline-test-dev-policy")
    subnets = [f"arn:aws:ec2:us-east-1:123456789012:subnet/{s}" for s in DEV_NETWORK["privateSubnetIds"]]
    interfaces = "arn:aws:ec2:us-east-1:123456789012:network-interface/*"
    # CodeBuild user guide, "Allow CodeBuild access to AWS services required to create a VPC network
    # interface": its interfaces in these subnets under this group, handed to CodeBuild only.
    assert statements["JoinTheVpc"]["Resource"] == [
        interfaces,
        *subnets,
        f"arn:aws:ec2:us-east-1:123456789012:security-group/{DEV_NETWORK['testSecurityGroupId']}",
    ]
    assert statements["HandTheInterfaceToCodeBuild"]["Condition"] == {
        "StringEquals": {"ec2:Subnet": subnets, "ec2:AuthorizedService": "codebuild.amazonaws.com"}
    }
    assert statements["LeaveTheVpc"]["Resource"] == interfaces
    assert statements["DescribeTheVpc"]["Resource"] == "*"
    assert "JoinTheVpc" not in policy_of(rendering, "pipeline-test-production-policy")
    assert_valid(
        "codebuild",
        "CreateProject",
        {
            "name": "muon-muon-test-dev",
            "source": {"type": "CODEPIPELINE"},
            "artifacts": {"type": "CODEPIPELINE"},
            "environment": {"type": "LINUX_CONTAINER", "image": "i", "computeType": "BUILD_GENERAL1_SMALL"},
            "serviceRole": "arn:aws:iam::123456789012:role/r",
            "vpcConfig": project(rendering, "test-dev").inputs["vpcConfig"],
        },
    )


@pytest.mark.parametrize(
    ("stage", "outputs", "expected"),
    [
        (
            "{environment: dev, test: buildspec-test.yml, roleArn: 'arn:aws:iam::222222222222:role/deploy'}",
            None,
            "pipeline.stages[0].test: environment dev's load balancer is internal, so its test runs in its "
            "VPC, in account 222222222222; CodeBuild joins a VPC of the pipeline's own account only: test "
            "from inside that account (preDeploy, a migration) or drop test",
        ),
        (
            "{environment: dev, test: buildspec-test.yml}",
            {"dev": {"vpcId": "vpc-0123456789abcdef0", "privateSubnetIds": []}},  # deployed by an older muon
            "pipeline.stages[0].test: environment dev's load balancer is internal, so its test runs in its "
            f"VPC, which stack {DEV_STACK} does not export yet: `pulumi up -s dev` with this muon before the "
            "delivery stack",
        ),
    ],
)
def test_a_test_that_cannot_reach_an_internal_load_balancer_is_refused(
    render_definition, stage: str, outputs: dict | None, expected: str
) -> None:
    from muon.components.attached import CONTRACT_OUTPUT
    from muon.plan.offline import MuonMocks

    mocks = MuonMocks()
    if outputs is not None:
        mocks.stack_outputs[DEV_STACK] = {CONTRACT_OUTPUT: {"version": 1, "environments": outputs}}
    with pytest.raises(DefinitionError) as caught:
        render_definition(
            INTERNAL_DEV + f"  stages: [{stage}]\n", [], extra_config=PIPELINE_CONFIG, mocks=mocks
        )
    (problem,) = caught.value.problems
    assert problem.endswith(expected), problem


PREBUILT = f"public.ecr.aws/nginx/nginx@sha256:{'a' * 64}"


def image_commands(rendering: Rendering) -> list[str]:
    return yaml.safe_load(project(rendering, "image").inputs["source"]["buildspec"])["phases"]["build"][
        "commands"
    ]


def test_the_pipeline_builds_the_services_without_a_prebuilt_image(render_definition) -> None:
    """Which services the pipeline builds is explicit: every service without image: (a worker
    reusing the web image's Dockerfile with its own command included), each from pipeline.images
    (Dockerfile, context, target) or the root Dockerfile; a prebuilt image: is never rebuilt (its
    build would win over it in muon:images)."""
    definition = (
        ENVS
        + "services:\n"
        + "  banana: {port: 8080, pathPatterns: [/bananas]}\n"
        + "  worker: {kind: worker, command: [python, -m, app.worker]}\n"
        + f"  proxy: {{port: 80, pathPatterns: [/proxy], image: '{PREBUILT}'}}\n"
        + "  admin: {port: 8080, pathPatterns: [/admin]}\n"
        + f"pipeline:\n  source: {{repo: acme/banana, connection: '{CONNECTION}'}}\n  stages: [{{environment: dev}}]\n"
        + "  images: {admin: {dockerfile: admin/Dockerfile, context: admin, target: runtime}}\n"
    )
    rendering = render_pipeline(render_definition, definition)
    script = "\n".join(image_commands(rendering))
    builds = [line for line in image_commands(rendering) if "docker build" in line]
    assert [line.split('-t "$REGISTRY/muon/')[1].split(":")[0] for line in builds] == [
        "banana",
        "worker",
        "admin",
    ]
    assert (
        'docker build --platform linux/amd64 -t "$REGISTRY/muon/banana:$TAG" -f "Dockerfile" "."' in builds[0]
    )
    assert (
        'docker build --platform linux/amd64 -t "$REGISTRY/muon/worker:$TAG" -f "Dockerfile" "."' in builds[1]
    )
    assert '-f "admin/Dockerfile" --target "runtime" "admin"' in builds[2]
    assert "muon/proxy" not in script
    repositories = {
        r.inputs["name"]: r.state["arn"] for r in rendering.of_type("aws:ecr/repository:Repository")
    }
    pushed = policy_of(rendering, "pipeline-image-policy")["PushServiceImages"]["Resource"]
    assert pushed == sorted(repositories[f"muon/{s}"] for s in ("admin", "banana", "worker"))


def test_a_pipeline_of_prebuilt_images_builds_nothing_and_grants_nothing_on_them(render_definition) -> None:
    definition = (
        ENVS
        + f"services:\n  proxy: {{port: 80, pathPatterns: [/proxy], image: '{PREBUILT}'}}\n"
        + f"pipeline:\n  source: {{repo: acme/banana, connection: '{CONNECTION}'}}\n  stages: [{{environment: dev}}]\n"
    )
    rendering = render_pipeline(render_definition, definition)
    assert not [line for line in image_commands(rendering) if "docker build" in line]
    image = policy_of(rendering, "pipeline-image-policy")
    assert "PushServiceImages" not in image and "RegistryLogin" in image
    assert "TagDeployedImages" not in policy_of(rendering, "pipeline-deploy-policy")
    for statements in (image, policy_of(rendering, "pipeline-deploy-policy")):
        assert all(statement["Resource"] for statement in statements.values())  # IAM refuses an empty list
