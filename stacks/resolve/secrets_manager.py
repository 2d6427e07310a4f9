"""A service's ``secrets:`` that name a Secrets Manager secret: the ``valueFrom`` ECS reads, the
ARN IAM matches, and the key it is decrypted with — decided before any resource exists.

ECS developer guide, "Pass Secrets Manager secrets through Amazon ECS environment variables":
``valueFrom`` is ``arn:…:secret:<name>:<json-key>:<version-stage>:<version-id>`` (empty fields
left empty), or the secret's ARN alone for its whole current value. Secrets Manager user guide,
"Resource: ARN with wildcards": a secret's ARN ends with ``-`` and six random characters, which a
policy written from its name matches with ``-??????`` (never ``*``, which would also match the
secrets whose names only start with it).
"""

from __future__ import annotations

from muon.components.context import AwsContext
from muon.components.service_args import ManagedSecret
from muon.stacks.definition.fields import SecretsManagerSpec
from muon.stacks.definition.types import SECRET_SUFFIX
from muon.stacks.errors import DefinitionError

SUFFIX_WILDCARD = "-??????"


def _resolved_name(declared: str, environment: str, service: str, where: str) -> str:
    resolved = declared.replace("${Environment}", environment).replace("${ServiceName}", service)
    if "${" in resolved or "}" in resolved:
        raise DefinitionError(
            [f"{where}.secret: only ${{Environment}} and ${{ServiceName}} may stand in a secret's name"]
        )
    return resolved


def managed_secret(
    declared: SecretsManagerSpec, context: AwsContext, *, environment: str, service: str, where: str
) -> ManagedSecret:
    """``declared`` in one environment: by name, a secret of the stack's account and region; by
    ARN, complete when it ends with the six characters Secrets Manager adds (else a partial ARN,
    matched like a name)."""
    reference = _resolved_name(declared.secret, environment, service, where)
    if reference.startswith("arn:"):
        base = reference
        complete = bool(SECRET_SUFFIX.search(reference.split(":secret:", 1)[1]))
    else:
        base = context.arn("secretsmanager", f"secret:{reference}")
        complete = False
    fields = (declared.json_key, declared.version_stage, declared.version_id)
    value_from = base if not any(fields) else ":".join([base, *(f or "" for f in fields)])
    secret_region = base.split(":")[3]
    if declared.key is not None:
        key_region = declared.key.split(":")[3]
        if key_region != secret_region:
            raise DefinitionError(
                [
                    f"{where}.key: the key is in {key_region}, the secret in {secret_region}; Secrets "
                    "Manager encrypts a secret with a key of the secret's own region (KMS keys are regional)"
                ]
            )
    return ManagedSecret(
        value_from=value_from,
        arn=base if complete else base + SUFFIX_WILDCARD,
        key_arn=declared.key,
    )


def managed_secrets(
    spec_secrets: dict[str, object], context: AwsContext, *, environment: str, service: str, source: str
) -> dict[str, ManagedSecret]:
    """Every ``secrets:`` entry of the Secrets Manager form, by variable name."""
    return {
        name: managed_secret(
            declared,
            context,
            environment=environment,
            service=service,
            where=f"{source}: services.{service}.secrets.{name}",
        )
        for name, declared in spec_secrets.items()
        if isinstance(declared, SecretsManagerSpec)
    }
