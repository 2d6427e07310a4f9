"""The buildspecs muon writes itself: the image build and the Pulumi deploy.

The artifact, pre-deploy and test builds run the repository's own buildspec files; the image build,
the deploys and the pipeline's self-update are muon's, generated from the definition, so that they
always match the services and stacks.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

import yaml

from muon.components.scan_gate import GATE_VARIABLE, gate_command, gate_script

IMAGES_FILE = "images.tsv"
"""One line per built image: service, repository@digest (tab-separated)."""


@dataclass(frozen=True)
class ImageTarget:
    service: str
    dockerfile: str
    context: str
    repository: str
    """The delivery stack's repository: the image is pushed once, every environment runs it."""
    target: str | None = None
    build_args: dict[str, str] = field(default_factory=dict)
    test: str | None = None
    """Run against the built image before it is pushed (``$IMAGE`` names it)."""
    platform: str = "linux/amd64"
    """``docker build --platform``; default linux/amd64. linux/arm64 builds on an ARM CodeBuild host."""


@dataclass(frozen=True)
class PackageSource:
    """Where the Pulumi steps install the project's requirements from, muon among them.

    ``index_url``: pip's only index (``--index-url``, never ``--extra-index-url``: pip takes the
    highest version any index offers, so a public index beside a private one lets anyone who
    publishes a private name there win: pip install's warning on ``--extra-index-url``, CVE-2018-20225).
    ``credentials_parameter``: a SecureString ``user:password`` that CodeBuild reads from Parameter
    Store (``env.parameter-store``, never a plain variable) for ``credentials_host``; pip reads it
    from ``~/.netrc`` (pip's "Authentication: netrc support"), so it is in no URL, log or command.
    """

    requirements: str = "requirements.txt"
    index_url: str | None = None
    credentials_parameter: str | None = None
    credentials_host: str | None = None


PIP_CREDENTIALS_VARIABLE = "MUON_PIP_CREDENTIALS"


def image_test_variable(service: str) -> str:
    """The buildspec variable holding a service's image test (no quoting inside commands)."""
    return "MUON_IMAGE_TEST_" + service.upper().replace("-", "_")


def image_buildspec(targets: tuple[ImageTarget, ...], fail_on: str = "CRITICAL") -> str:
    """Build each service's image once, push it, record its digest for every stage to deploy.

    The tag is the source revision the pipeline resolved (``MUON_COMMIT``, from the source action's
    variables), never a build variable that may be empty. The repositories are immutable: a tag
    that already exists is the image of that revision, so a re-run reuses its digest.
    """
    commands = [
        ': "${MUON_COMMIT:?the pipeline passes the source revision as MUON_COMMIT}"',
        # Revisions become tags: ECR takes letters, digits, '_', '.' and '-'.
        "TAG=\"$(printf '%s' \"$MUON_COMMIT\" | tr -c 'A-Za-z0-9_.-' '-' | cut -c1-64)\"",
        'ACCOUNT="$(echo "$CODEBUILD_BUILD_ARN" | cut -d: -f5)"',
        'REGISTRY="$ACCOUNT.dkr.ecr.$AWS_REGION.amazonaws.com"',
        'aws ecr get-login-password | docker login --username AWS --password-stdin "$REGISTRY"',
        f": > {IMAGES_FILE}",
    ]
    variables = {image_test_variable(t.service): t.test for t in targets if t.test}
    if fail_on != "none":
        variables[GATE_VARIABLE] = gate_script(fail_on)
    for target in targets:
        repository = target.repository
        build = ["docker build", f"--platform {target.platform}", f'-t "$REGISTRY/{repository}:$TAG"']
        build += [f'-f "{target.dockerfile}"']
        if target.target:
            build.append(f'--target "{target.target}"')
        build += [f'--build-arg "{k}={v}"' for k, v in sorted(target.build_args.items())]
        build.append(f'"{target.context}"')
        # The service's own test of the image it built, before anything can run it.
        test = (
            f' && IMAGE="$REGISTRY/{repository}:$TAG" bash -c "${image_test_variable(target.service)}"'
            if target.test
            else ""
        )
        commands.append(
            f'if aws ecr describe-images --repository-name "{repository}" --image-ids "imageTag=$TAG" '
            f'>/dev/null 2>&1; then echo "{repository}:$TAG exists, reusing it"; '
            f'else {" ".join(build)}{test} && docker push "$REGISTRY/{repository}:$TAG"; fi'
        )
        if fail_on != "none":  # a reused image is held to the gate too
            commands.append(gate_command(repository))
        commands.append(
            f'DIGEST="$(aws ecr describe-images --repository-name "{repository}" --image-ids '
            f'"imageTag=$TAG" --query \'imageDetails[0].imageDigest\' --output text)" && '
            f'printf "%s\\t%s\\n" "{target.service}" "$REGISTRY/{repository}@$DIGEST" >> {IMAGES_FILE}'
        )
    spec = {
        "version": 0.2,
        "env": {
            "shell": "bash",
            **({"variables": variables} if variables else {}),
            "exported-variables": ["TAG"],
        },
        "phases": {"build": {"commands": commands}},
        "artifacts": {"files": [IMAGES_FILE]},
    }
    return yaml.dump(spec, Dumper=_ScriptDumper, sort_keys=False, width=1000)


class _ScriptDumper(yaml.SafeDumper):
    """Multi-line values (the scan gate's script) as literal blocks: readable in the console."""


_ScriptDumper.add_representer(
    str,
    lambda dumper, value: dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None
    ),
)


FALLBACK_TO_STATE = "PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER"
"""Pulumi reads a stack's secrets provider from ``Pulumi.<stack>.yaml`` and, when the file has none,
falls back to the passphrase provider (a DIY backend's default) — unless this is ``true``: then it
uses the provider recorded in the stack's state (Pulumi's CLI environment variables, since 3.134.0;
pkg/cmd/pulumi/stack/secrets.go, ``SecretsManagerLoader.GetSecretsManager``). The oldest CLI the
pipeline accepts: ``MIN_PULUMI_VERSION`` in stacks/definition/settings.py."""


def _pulumi_env(
    access_token_parameter: str | None, exported: list[str], packages: PackageSource
) -> dict[str, object]:
    env: dict[str, object] = {
        "shell": "bash",
        "variables": {
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_SKIP_CONFIRMATIONS": "true",
            # A stack file without `secretsprovider:` (one committed before `stack init`, or the
            # production stack the first approval created: its file never reaches the repository)
            # keeps the stack's own provider instead of asking for a passphrase.
            FALLBACK_TO_STATE: "true",
        },
    }
    if exported:
        env["exported-variables"] = exported
    secrets = {}
    if access_token_parameter:
        secrets["PULUMI_ACCESS_TOKEN"] = access_token_parameter
    if packages.credentials_parameter:
        secrets[PIP_CREDENTIALS_VARIABLE] = packages.credentials_parameter
    if secrets:
        env["parameter-store"] = secrets
    return env


def _pulumi_install(project_dir: str, packages: PackageSource) -> list[str]:
    """The Pulumi CLI of the SDK's version, and the project's own pinned requirements (muon among
    them) from the source the definition names (``pipeline.muonSource``)."""
    here = f'cd "$CODEBUILD_SRC_DIR/{project_dir}" && '
    index = f"--index-url {shlex.quote(packages.index_url)} " if packages.index_url else ""
    install = f"{here}.venv/bin/pip install -q {index}-r {shlex.quote(packages.requirements)}"
    commands = [
        'curl -fsSL https://get.pulumi.com | sh -s -- --version "$MUON_PULUMI_VERSION"',
        'export PATH="$HOME/.pulumi/bin:$PATH"',
        f"{here}python3 -m venv .venv",
    ]
    if packages.credentials_parameter and packages.credentials_host:
        # netrc: "machine HOST login USER password PASSWORD"; only this host gets them, and the
        # file is gone before the program runs.
        host = shlex.quote(packages.credentials_host)
        commands.append(
            f"(umask 077 && printf 'machine %s login %s password %s\\n' {host} "
            f'"${{{PIP_CREDENTIALS_VARIABLE}%%:*}}" "${{{PIP_CREDENTIALS_VARIABLE}#*:}}" > "$HOME/.netrc")'
        )
        return [*commands, install, f'rm -f "$HOME/.netrc" && unset {PIP_CREDENTIALS_VARIABLE}']
    return [*commands, install]


def _pulumi_select(project_dir: str) -> list[str]:
    """Log in to the backend, then select the stack, creating it with the project's secrets provider.

    ``--secrets-provider`` applies only when ``--create`` creates the stack (Pulumi's
    stack_select.go: an existing stack is only selected); an existing stack whose file carries no
    provider uses the one its state records (``FALLBACK_TO_STATE``). Pulumi runs with the pipeline
    account's own credentials: its state and secrets key live there.
    """
    return [
        f'cd "$CODEBUILD_SRC_DIR/{project_dir}"',
        'pulumi login "$MUON_BACKEND"',
        'pulumi stack select --create --stack "$MUON_STACK" '
        '${MUON_ENCRYPTION_PROVIDER:+--secrets-provider "$MUON_ENCRYPTION_PROVIDER"}',
    ]


def deploy_buildspec(
    *, project_dir: str, access_token_parameter: str | None, packages: PackageSource | None = None
) -> str:
    """Set the built images on the environment's stack, ``pulumi up``, check what ECS runs.

    Runs with MUON_STACK, MUON_ENVIRONMENT, MUON_MIGRATE and (cross-account) MUON_DEPLOY_ROLE_ARN
    set by the pipeline action, and MUON_BACKEND, MUON_ENCRYPTION_PROVIDER, MUON_PULUMI_VERSION and
    MUON_KEEP_DEPLOYED by the project; the images artifact is a secondary input.
    """
    images = f"$CODEBUILD_SRC_DIR_Images/{IMAGES_FILE}"
    deploy = ".venv/bin/python -m muon.stacks.deploy"
    spec = {
        "version": 0.2,
        "env": _pulumi_env(access_token_parameter, ["MUON_SERVICE_URL"], packages or PackageSource()),
        "phases": {
            "install": {"commands": _pulumi_install(project_dir, packages or PackageSource())},
            "build": {
                "commands": [
                    # Functions built and unit-tested by the Build stage: its artifact (paths as in
                    # the repository) goes over the checkout, so `source:` folders hold the build.
                    'if [ -n "${CODEBUILD_SRC_DIR_Artifact:-}" ]; then '
                    'cp -R "$CODEBUILD_SRC_DIR_Artifact"/. "$CODEBUILD_SRC_DIR"/; fi',
                    *_pulumi_select(project_dir),
                    f'{deploy} set-images --stack "$MUON_STACK" --images "{images}"',
                    # Before anything runs it: no lifecycle rule may expire an image an
                    # environment runs (the repositories are in this account).
                    f'{deploy} tag-deployed --environment "$MUON_ENVIRONMENT" --images "{images}" '
                    '--keep "$MUON_KEEP_DEPLOYED"',
                    # Cross-account: the AWS provider assumes the target role itself and renews the
                    # session as needed (a role assumed from a role lasts at most an hour); state
                    # and secrets stay with this account's credentials.
                    'if [ -n "$MUON_DEPLOY_ROLE_ARN" ]; then '
                    f'{deploy} assume-role --stack "$MUON_STACK" "$MUON_DEPLOY_ROLE_ARN" && '
                    "export MUON_VERIFY_PROFILE=muon-target; fi",
                    # The stage's migration, as a task of the new revision, before the service
                    # changes: a non-zero exit ends the stage here.
                    'if [ -n "$MUON_MIGRATE" ]; then '
                    f'{deploy} migrate --stack "$MUON_STACK" --environment "$MUON_ENVIRONMENT" '
                    '--migration "$MUON_MIGRATE" --profile "$MUON_VERIFY_PROFILE"; fi',
                    'pulumi up --yes --skip-preview --stack "$MUON_STACK"',
                    # Pulumi succeeds when ECS rolled back to the old revision: check what runs.
                    'pulumi stack output --json --stack "$MUON_STACK" > outputs.json',
                    # The profile as an option: AWS_PROFILE="" (a stage in this account) is a
                    # profile botocore cannot find.
                    f'{deploy} verify --outputs outputs.json --environment "$MUON_ENVIRONMENT" '
                    '--stack "$MUON_STACK" --profile "$MUON_VERIFY_PROFILE"',
                    f'export MUON_SERVICE_URL="$({deploy} url --outputs outputs.json '
                    '--environment "$MUON_ENVIRONMENT")"',
                    # Each function's new version goes live through CodeDeploy (canary, linear or
                    # all at once); its alarms roll it back and fail the stage.
                    f'{deploy} release-functions --outputs outputs.json --environment "$MUON_ENVIRONMENT" '
                    '--stack "$MUON_STACK" --profile "$MUON_VERIFY_PROFILE"',
                    # The definition's static sites: built here, published to the environment's
                    # buckets (changed files only), their changed paths invalidated.
                    f'{deploy} publish-sites --stack "$MUON_STACK" --outputs outputs.json '
                    '--environment "$MUON_ENVIRONMENT" --profile "$MUON_VERIFY_PROFILE"',
                ]
            },
        },
    }
    return yaml.safe_dump(spec, sort_keys=False, width=1000)


def update_buildspec(
    *, project_dir: str, access_token_parameter: str | None, packages: PackageSource | None = None
) -> str:
    """The pipeline updates its own stack first, and restarts the run when the pipeline changed.

    Runs with MUON_STACK (the pipeline stack), MUON_PIPELINE, MUON_EXECUTION_ID, MUON_COMMIT and
    MUON_REVISION_TYPE set by the pipeline action.
    """
    spec = {
        "version": 0.2,
        "env": _pulumi_env(access_token_parameter, [], packages or PackageSource()),
        "phases": {
            "install": {"commands": _pulumi_install(project_dir, packages or PackageSource())},
            "build": {
                "commands": [
                    *_pulumi_select(project_dir),
                    '.venv/bin/python -m muon.stacks.deploy self-update --stack "$MUON_STACK" '
                    '--pipeline "$MUON_PIPELINE" --execution "$MUON_EXECUTION_ID" '
                    '--revision "$MUON_COMMIT" --revision-type "$MUON_REVISION_TYPE"',
                ]
            },
        },
    }
    return yaml.safe_dump(spec, sort_keys=False, width=1000)
