"""What a service's roles may do: the execution role (image, logs, secrets) and the task role."""

from __future__ import annotations

from typing import Any

import pulumi

from muon.components.policies import allow, document
from muon.components.registry import PULL_ACTIONS
from muon.components.service_args import DatabaseAccess, ManagedSecret, Permission, QueueAccess


def execution_policy(
    repository_arn: pulumi.Input[str] | None,
    log_group_arn: pulumi.Output[str],
    secrets: dict[str, str],
    key_arn: pulumi.Input[str],
    database: DatabaseAccess | None = None,
    secret_keys: dict[str, str] | None = None,
    sidecar_repositories: tuple[str, ...] = (),
    managed_secrets: dict[str, ManagedSecret] | None = None,
) -> dict[str, Any]:
    """What ECS needs to start the task: its own image, log group, parameters and key only.

    ``repository_arn``: the ECR repository the image comes from (None: another registry, or no
    image yet), possibly in the delivery account. ``secret_keys``: the declared secrets encrypted
    with another key than the environment's (variable → key ARN).
    """
    secret_keys = secret_keys or {}
    statements = []
    if repository_arn is not None or sidecar_repositories:
        # GetAuthorizationToken has no resource-level permissions: AWS offers nothing narrower.
        statements.append(allow("ecr:GetAuthorizationToken", "*", Sid="RegistryLogin"))
    if repository_arn is not None:
        statements.append(allow(list(PULL_ACTIONS), repository_arn, Sid="PullOwnImage"))
    if sidecar_repositories:
        repositories = sorted(set(sidecar_repositories))
        statements.append(
            allow(
                list(PULL_ACTIONS),
                repositories if len(repositories) > 1 else repositories[0],
                Sid="PullSidecarImages",
            )
        )
    statements.append(
        allow(
            ["logs:CreateLogStream", "logs:PutLogEvents"],
            log_group_arn.apply(lambda arn: f"{arn}:*"),
            Sid="WriteOwnLogs",
        )
    )
    if secrets:
        statements.append(allow("ssm:GetParameters", sorted(set(secrets.values())), Sid="ReadOwnParameters"))
        password_arn = database.password_parameter_arn if database is not None else None
        keys: list[pulumi.Input[str]] = []
        if any(arn != password_arn and name not in secret_keys for name, arn in secrets.items()):
            keys.append(key_arn)  # the service's declared parameters: the environment's key
        if database is not None and password_arn in secrets.values():
            if database.password_key_arn is not None:
                keys.append(database.password_key_arn)
            else:
                statements.append(customer_parameter_decrypt(database.password_parameter_arn))
        if keys:
            statements.append(
                allow("kms:Decrypt", keys if len(keys) > 1 else keys[0], Sid="DecryptOwnParameters")
            )
        if secret_keys:
            statements.append(secrets_keys_decrypt(sorted(set(secret_keys.values()))))
    statements += managed_secret_statements(list((managed_secrets or {}).values()))
    return document(*statements)


def managed_secret_statements(secrets: list[ManagedSecret]) -> list[dict[str, Any]]:
    """Read exactly the declared Secrets Manager secrets, and decrypt with their customer managed
    keys through Secrets Manager of each key's region only (ECS developer guide, "Amazon ECS task
    execution IAM role": secretsmanager:GetSecretValue, and kms:Decrypt for a customer managed key;
    AWS KMS developer guide, kms:ViaService)."""
    if not secrets:
        return []
    arns = sorted({s.arn for s in secrets})
    statements = [
        allow("secretsmanager:GetSecretValue", arns if len(arns) > 1 else arns[0], Sid="ReadOwnSecrets")
    ]
    by_region: dict[tuple[str, str], list[str]] = {}
    for key in sorted({s.key_arn for s in secrets if s.key_arn is not None}):
        _, partition, _, region, _ = key.split(":", 4)
        by_region.setdefault((partition, region), []).append(key)
    for index, ((partition, region), keys) in enumerate(sorted(by_region.items())):
        dns_suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
        statements.append(
            allow(
                "kms:Decrypt",
                keys if len(keys) > 1 else keys[0],
                Sid=f"DecryptOwnSecrets{index or ''}",
                Condition={"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.{dns_suffix}"}},
            )
        )
    return statements


def secrets_keys_decrypt(keys: list[str]) -> dict[str, Any]:
    """Decrypt with the keys the declared secrets name, through Parameter Store of their region
    only (the key may serve other purposes of its owner; AWS KMS developer guide, kms:ViaService)."""
    _, partition, _, region, _ = keys[0].split(":", 4)
    dns_suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return allow(
        "kms:Decrypt",
        keys if len(keys) > 1 else keys[0],
        Sid="DecryptSecretsWithTheirKeys",
        Condition={"StringEquals": {"kms:ViaService": f"ssm.{region}.{dns_suffix}"}},
    )


def customer_parameter_decrypt(parameter_arn: str) -> dict[str, Any]:
    """Decrypt one customer-created parameter, whichever key the customer chose.

    The key is not discoverable from Parameter Store's read API, so the statement names no key;
    SSM's encryption context pins it to that single parameter, through SSM only.
    """
    _, partition, _, region, account, _ = parameter_arn.split(":", 5)
    dns_suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return allow(
        "kms:Decrypt",
        f"arn:{partition}:kms:{region}:{account}:key/*",
        Sid="DecryptDatabasePassword",
        Condition={
            "StringEquals": {
                "kms:EncryptionContext:PARAMETER_ARN": parameter_arn,
                "kms:ViaService": f"ssm.{region}.{dns_suffix}",
            }
        },
    )


def task_policy_statements(
    permissions: tuple[Permission, ...], exec_command: bool, database: DatabaseAccess | None = None
) -> list[dict[str, Any]]:
    statements = [
        allow(
            list(p.actions), list(p.resources) if len(p.resources) > 1 else p.resources[0], Sid=f"Declared{i}"
        )
        for i, p in enumerate(permissions)
    ]
    if database is not None and database.iam_connect_arn is not None:
        statements.append(allow("rds-db:connect", database.iam_connect_arn, Sid="ConnectToOwnDatabase"))
    if exec_command:
        # ECS Exec's Session Manager channels have no resource-level permissions.
        statements.append(
            allow(
                [
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                ],
                "*",
                Sid="EcsExec",
            )
        )
    return statements


CONSUME_ACTIONS = (
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
)


def queue_statements(own: QueueAccess | None, publishes_to: tuple[QueueAccess, ...]) -> list[dict[str, Any]]:
    """A worker receives and deletes on its own queue only; a publisher sends to the named ones.
    The queues are encrypted with the environment's key: reading needs Decrypt, sending also
    GenerateDataKey (SQS server-side encryption with a customer managed key)."""
    statements = []
    if own is not None:
        statements += [
            allow(list(CONSUME_ACTIONS), own.arn, Sid="ConsumeOwnQueue"),
            allow("kms:Decrypt", own.key_arn, Sid="DecryptOwnQueue"),
        ]
    if publishes_to:
        arns = [q.arn for q in publishes_to]
        statements += [
            allow("sqs:SendMessage", arns if len(arns) > 1 else arns[0], Sid="PublishToWorkers"),
            allow(
                ["kms:GenerateDataKey", "kms:Decrypt"],
                publishes_to[0].key_arn,  # one environment, one key
                Sid="EncryptForWorkers",
            ),
        ]
    return statements
