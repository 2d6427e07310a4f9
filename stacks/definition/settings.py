"""Per-stack settings: the ``muon:*`` keys of ``Pulumi.<stack>.yaml``.

Pulumi hands config to the program as strings (objects and lists JSON-encoded). This module turns
them into a typed :class:`StackSettings`, rejects unknown ``muon:`` keys (a typo must not silently
deploy nothing), and checks that the environments a stack selects exist in the definition.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from muon.stacks.definition import ConnectionArn, Definition, ImageReference, Name, Spec, pattern
from muon.stacks.definition.problems import validate
from muon.stacks.definition.stack_config import NAMESPACE, organization_stack, raw_settings
from muon.stacks.errors import DefinitionError


class StackSettings(Spec):
    definition: str = Field(default="muon.yaml", description="Definition file, project-relative.")
    environments: list[Name] = Field(
        default_factory=list, description="Environments of the definition this stack deploys."
    )
    pipeline: bool = Field(default=False, description="Whether this stack deploys the pipeline.")
    images: dict[Name, ImageReference] = Field(
        default_factory=dict, description="Image per service (set by the pipeline)."
    )
    connection: ConnectionArn | None = Field(
        default=None, description="The pipeline's CodeStar connection, when the definition names none."
    )
    backend: str | None = Field(
        default=None,
        description="Pulumi backend the pipeline deploys with: s3://bucket[/prefix] or https://api.pulumi.com.",
    )
    secrets_provider: str | None = Field(
        default=None, description="With an s3 backend: awskms://alias/<name>?region=<region>."
    )
    access_token_parameter: str | None = Field(
        default=None, description="With Pulumi Cloud: SecureString parameter holding the access token."
    )
    delegated_zones: list[Name] = Field(
        default_factory=list,
        description="Environments whose created zone (domain.createZone) is delegated from its parent: "
        "their certificate is requested from then on; until then a run creates only the zone.",
    )
    organization: str | None = Field(
        default=None, description="Organization file (project-relative) this stack deploys: the org stack."
    )
    pulumi_version: (
        Annotated[str, pattern(r"^\d+\.\d+\.\d+$", "a Pulumi CLI version such as 3.200.0")] | None
    ) = Field(default=None, description="Pulumi CLI the pipeline installs (default: the SDK's version).")

    @property
    def cli_version(self) -> str:
        """The CLI the pipeline installs: the one set, else the SDK version this program runs with
        (the one requirements.txt pins), so that CLI and SDK never disagree."""
        return self.pulumi_version or sdk_version()


MIN_PULUMI_VERSION = (3, 135, 1)
"""The oldest CLI the pipeline's deploy step works with (Pulumi's CHANGELOG): 3.134.0 falls back to
the secrets provider a stack's state records when its file has none
(``PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER``, pulumi#17236); 3.135.0 records the provider in the
state as soon as ``stack select --create`` creates the stack (pulumi#17387); 3.135.1 keeps the
provider a stack file already names when it creates the stack (pulumi#17465, 3.135.0's
regression)."""


def sdk_version() -> str:
    import importlib.metadata  # email, zipfile, csv...: not before a definition error

    return importlib.metadata.version("pulumi")


def organization_only(settings: StackSettings) -> bool:
    """The organization stack: it deploys organization.yaml and needs no definition."""
    return organization_stack(settings.organization, settings.environments, settings.pipeline)


def settings_from_config(config: dict[str, str], source: str) -> StackSettings:
    """Build settings from a flat Pulumi config map (``{"muon:environments": '["dev"]', ...}``)."""
    fields = StackSettings.model_fields
    raw = raw_settings(config, source, [field.alias or name for name, field in fields.items()])
    try:
        return validate(StackSettings, raw, source)
    except DefinitionError as error:
        # Name config keys the way the user wrote them: muon:environments, not environments.
        fixed = [p.replace(f"{source}: ", f"{source}: {NAMESPACE}:", 1) for p in error.problems]
        raise DefinitionError(fixed) from None


def check_selection(
    settings: StackSettings, definition: Definition, source: str, definition_source: str
) -> None:
    """Every selected environment must exist in the definition; a stack must deploy something."""
    known = ", ".join(sorted(definition.environments))
    problems = [
        f"{source}: {NAMESPACE}:environments[{index}]: unknown environment '{name}'; "
        f"{definition_source} defines: {known}"
        for index, name in enumerate(settings.environments)
        if name not in definition.environments
    ]
    for index, name in enumerate(settings.environments):
        if name in settings.environments[:index]:
            problems.append(f"{source}: {NAMESPACE}:environments[{index}]: '{name}' is listed twice")
    unknown_images = sorted(set(settings.images) - set(definition.services))
    for service in unknown_images:
        problems.append(
            f"{source}: {NAMESPACE}:images.{service}: no such service in {definition_source}; "
            f"defined: {', '.join(sorted(definition.services)) or '(none)'}"
        )
    if not settings.environments and not settings.pipeline and not settings.organization:
        problems.append(
            f"{source}: {NAMESPACE}:environments: the stack selects no environment; "
            f"set it to a list of: {known}"
        )
    for index, name in enumerate(settings.delegated_zones):
        domain = definition.environments[name].domain if name in definition.environments else None
        if name not in settings.environments or domain is None or not domain.create_zone:
            problems.append(
                f"{source}: {NAMESPACE}:delegatedZones[{index}]: '{name}' is not an environment of this "
                "stack whose domain has createZone: true"
            )
    if settings.pipeline and settings.environments:
        problems.append(
            f"{source}: {NAMESPACE}:pipeline: a pipeline stack deploys no environment "
            f"(it has muon:environments {', '.join(settings.environments)}): its deploy step would "
            "update the pipeline running it, which fails that run; move the pipeline to a stack of its "
            "own (Pulumi.pipeline.yaml) and deploy each environment from its own stack"
        )
    if settings.pipeline and definition.pipeline is None:
        problems.append(
            f"{source}: {NAMESPACE}:pipeline: true, but {definition_source} has no 'pipeline:' section"
        )
    elif settings.pipeline and definition.pipeline is not None:
        problems += _pipeline_problems(settings, definition, source, definition_source)
    if problems:
        raise DefinitionError(problems)


def _pipeline_problems(
    settings: StackSettings, definition: Definition, source: str, definition_source: str
) -> list[str]:
    """What the pipeline needs from the stack deploying it: where Pulumi keeps state, and how."""
    assert definition.pipeline is not None
    problems = []
    pipeline_source = definition.pipeline.source
    if pipeline_source.provider == "github" and not (pipeline_source.connection or settings.connection):
        problems.append(
            f"{definition_source}: pipeline.source.connection: a GitHub source needs a CodeStar connection "
            f"ARN, here or as {NAMESPACE}:connection in {source}"
        )
    version = settings.pulumi_version
    if version and tuple(int(n) for n in version.split(".")) < MIN_PULUMI_VERSION:
        oldest = ".".join(str(n) for n in MIN_PULUMI_VERSION)
        problems.append(
            f"{source}: {NAMESPACE}:pulumiVersion: {version} is older than {oldest}, the first Pulumi CLI "
            "that keeps a stack's secrets provider when its stack file has none"
        )
    backend = settings.backend
    if backend is None:
        problems.append(
            f"{source}: {NAMESPACE}:backend: the pipeline deploys with Pulumi and needs its backend: "
            "s3://<bucket> (with muon:secretsProvider) or https://api.pulumi.com "
            "(with muon:accessTokenParameter)"
        )
    elif backend.startswith("s3://"):
        if not (settings.secrets_provider or "").startswith("awskms://"):
            problems.append(
                f"{source}: {NAMESPACE}:secretsProvider: an s3 backend needs an awskms:// secrets provider"
            )
    elif backend.startswith("https://"):
        if not (settings.access_token_parameter or "").startswith("/"):
            problems.append(
                f"{source}: {NAMESPACE}:accessTokenParameter: Pulumi Cloud needs the Parameter Store name "
                "of a SecureString holding the access token (never a plain variable)"
            )
    else:
        problems.append(f"{source}: {NAMESPACE}:backend: expected s3://... or https://..., got '{backend}'")
    return problems
