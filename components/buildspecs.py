"""The buildspecs muon writes itself: the image build and the Pulumi deploy.

The artifact, pre-deploy and test builds run the repository's own buildspec files; these two are
muon's, generated from the definition, so that they always match the services and stacks.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

IMAGES_FILE = "images.tsv"
"""One line per pushed image: environment, service, repository@digest (tab-separated)."""


@dataclass(frozen=True)
class ImageTarget:
    service: str
    dockerfile: str
    context: str
    repositories: tuple[tuple[str, str], ...]
    """(environment, repository name) pairs the image is pushed to."""


def image_buildspec(targets: tuple[ImageTarget, ...]) -> str:
    """Build each service's image once, push it to every environment's repository, record digests.

    Tags are the commit (immutable repositories): a tag that already exists is the image of that
    commit, so a re-run reuses its digest instead of failing on the push.
    """
    commands = [
        'TAG="${CODEBUILD_RESOLVED_SOURCE_VERSION:0:12}"',
        'ACCOUNT="$(echo "$CODEBUILD_BUILD_ARN" | cut -d: -f5)"',
        'REGISTRY="$ACCOUNT.dkr.ecr.$AWS_REGION.amazonaws.com"',
        'aws ecr get-login-password | docker login --username AWS --password-stdin "$REGISTRY"',
        f": > {IMAGES_FILE}",
    ]
    for target in targets:
        local = f"muon-build/{target.service}:$TAG"
        commands.append(f'docker build -t "{local}" -f "{target.dockerfile}" "{target.context}"')
        for environment, repository in target.repositories:
            commands.append(
                f'if aws ecr describe-images --repository-name "{repository}" --image-ids "imageTag=$TAG" '
                f'>/dev/null 2>&1; then echo "{repository}:$TAG exists, reusing it"; '
                f'else docker tag "{local}" "$REGISTRY/{repository}:$TAG" && '
                f'docker push "$REGISTRY/{repository}:$TAG"; fi'
            )
            commands.append(
                f'DIGEST="$(aws ecr describe-images --repository-name "{repository}" --image-ids '
                f'"imageTag=$TAG" --query \'imageDetails[0].imageDigest\' --output text)" && '
                f'printf "%s\\t%s\\t%s\\n" "{environment}" "{target.service}" '
                f'"$REGISTRY/{repository}@$DIGEST" >> {IMAGES_FILE}'
            )
    spec = {
        "version": 0.2,
        "env": {"shell": "bash", "exported-variables": ["TAG"]},
        "phases": {"build": {"commands": commands}},
        "artifacts": {"files": [IMAGES_FILE]},
    }
    return yaml.safe_dump(spec, sort_keys=False, width=1000)


def deploy_buildspec(*, project_dir: str, access_token_parameter: str | None) -> str:
    """Install Pulumi, set the built images on the environment's stack, ``pulumi up``, check the rollout.

    Runs with MUON_STACK, MUON_ENVIRONMENT, MUON_BACKEND, MUON_PULUMI_VERSION and (cross-account)
    MUON_DEPLOY_ROLE_ARN set by the pipeline action; the images artifact is a secondary input.
    """
    env: dict[str, object] = {
        "shell": "bash",
        "variables": {"PULUMI_SKIP_UPDATE_CHECK": "true", "PULUMI_SKIP_CONFIRMATIONS": "true"},
        "exported-variables": ["MUON_SERVICE_URL"],
    }
    if access_token_parameter:
        env["parameter-store"] = {"PULUMI_ACCESS_TOKEN": access_token_parameter}
    spec = {
        "version": 0.2,
        "env": env,
        "phases": {
            "install": {
                "commands": [
                    'curl -fsSL https://get.pulumi.com | sh -s -- --version "$MUON_PULUMI_VERSION"',
                    'export PATH="$HOME/.pulumi/bin:$PATH"',
                    f'cd "$CODEBUILD_SRC_DIR/{project_dir}" && python3 -m venv .venv',
                    f'cd "$CODEBUILD_SRC_DIR/{project_dir}" && .venv/bin/pip install -q -r requirements.txt',
                ]
            },
            "build": {
                "commands": [
                    f'cd "$CODEBUILD_SRC_DIR/{project_dir}"',
                    # Cross-account: the broad deploy role lives in the target account.
                    'if [ -n "$MUON_DEPLOY_ROLE_ARN" ]; then eval "$(.venv/bin/python -m stacks.deploy '
                    'assume-role "$MUON_DEPLOY_ROLE_ARN")"; fi',
                    'pulumi login "$MUON_BACKEND"',
                    'pulumi stack select "$MUON_STACK"',
                    '.venv/bin/python -m stacks.deploy set-images --stack "$MUON_STACK" '
                    f'--environment "$MUON_ENVIRONMENT" --images "$CODEBUILD_SRC_DIR_Images/{IMAGES_FILE}"',
                    'pulumi up --yes --skip-preview --stack "$MUON_STACK"',
                    # Pulumi succeeds when ECS rolled back to the old revision: check what runs.
                    'pulumi stack output --json --stack "$MUON_STACK" > outputs.json',
                    ".venv/bin/python -m stacks.deploy verify --outputs outputs.json "
                    '--environment "$MUON_ENVIRONMENT"',
                    'export MUON_SERVICE_URL="$(.venv/bin/python -m stacks.deploy url --outputs outputs.json '
                    '--environment "$MUON_ENVIRONMENT")"',
                ]
            },
        },
    }
    return yaml.safe_dump(spec, sort_keys=False, width=1000)
