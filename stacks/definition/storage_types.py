"""The typed values of a service's storage: DynamoDB names, EFS mount paths and POSIX ids (AWS's own
limits, cited beside each)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from muon.stacks.definition.fields import pattern

# -- storage a service owns -------------------------------------------------------------------------
# DynamoDB API reference: TableName and IndexName are 3 to 255 of [a-zA-Z0-9_.-]; a key attribute's
# name (KeySchemaElement.AttributeName) 1 to 255 characters (muon takes the same safe characters,
# which every SDK and expression writes without escaping).
AttributeName = Annotated[
    str,
    pattern(r"^[A-Za-z0-9_.-]{1,255}$", "an attribute name of letters, digits, '_', '.', '-' (up to 255)"),
]
"""A DynamoDB key, TTL or projected attribute."""
IndexName = Annotated[
    str, pattern(r"^[A-Za-z0-9_.-]{3,255}$", "an index name of 3-255 letters, digits, '_', '.', '-'")
]
"""A DynamoDB secondary index."""


def absolute_container_path(value: str) -> str:
    """A mount point inside the container: absolute, no '.' or '..' step, not the root itself."""
    steps = value.split("/")[1:]
    if value == "/" or any(step in ("", ".", "..") for step in steps):
        raise ValueError(f"{value[:80]}: expected an absolute path such as /data (no '.', '..' or '//')")
    return value


ContainerPath = Annotated[
    str,
    pattern(r"^/[A-Za-z0-9_./-]*$", "an absolute path inside the container, such as /data"),
    Field(max_length=1024),
    AfterValidator(absolute_container_path),
]
"""Where a volume is mounted in the container (ECS MountPoint.containerPath)."""
PosixId = Annotated[int, Field(ge=0, le=4294967295)]
"""An EFS access point's user or group id (EFS API reference, PosixUser: 0 to 4294967295)."""
PosixPermissions = Annotated[str, pattern(r"^[0-7]{3,4}$", "octal permissions such as 750 or 0750")]
"""An EFS access point root directory's mode (EFS API reference, CreationInfo.Permissions)."""
