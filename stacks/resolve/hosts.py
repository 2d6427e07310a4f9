"""The AMI an EC2 environment's hosts boot, read before anything is declared."""

from __future__ import annotations

import json
import re

from muon.components.cluster import AMI_PARAMETER, ARM64_AMI_PARAMETER
from muon.stacks.errors import DefinitionError
from muon.stacks.facts import Facts

AMI_ID = re.compile(r"^ami-[0-9a-f]{8,17}$")
RESOLVE_PREFIX = "resolve:ssm:"
"""EC2's own way of naming a parameter for an AMI (launch templates, RunInstances): taken as the name."""


def host_image(
    image_id: str | None, *, where: str, region: str, facts: Facts, arm64: bool = False
) -> tuple[str, str | None]:
    """(AMI id, warning): ``cluster.imageId`` as given when it is an AMI id, else the AMI the Parameter
    Store name holds (AWS's ECS-optimized Amazon Linux 2023 by default), read at each deploy so a new
    AMI makes a new launch template version and an instance refresh.

    The parameter may hold an AMI id (``…/recommended/image_id``) or AWS's AMI document, a JSON
    object with an ``image_id`` (``…/recommended``; ECS developer guide, "Retrieving Amazon
    ECS-optimized Linux AMI metadata"). Offline, the plan's mocks answer a company's own parameter
    with a stand-in AMI, and the warning says so.
    """
    if image_id is not None and AMI_ID.match(image_id):
        return image_id, None
    default = ARM64_AMI_PARAMETER if arm64 else AMI_PARAMETER  # Graviton hosts boot the arm64 AMI
    name = (image_id or default).removeprefix(RESOLVE_PREFIX)
    from muon.plan.offline import active_mocks

    mocks = active_mocks()
    warning = None
    if mocks is not None and mocks.stand_in_image(name):
        warning = f"{where}: offline, {name} cannot be read; the plan shows a stand-in AMI ({region})"
    value = facts.parameter_value(name)
    if value is None:
        missing = f"{where}: Parameter Store has no parameter {name} in {region}"
        raise DefinitionError([missing])
    return ami_in(value, name, where), warning


def ami_in(value: str, name: str, where: str) -> str:
    """The AMI id a parameter's value names: the value itself, or the ``image_id`` of AWS's document."""
    if AMI_ID.match(value):
        return value
    try:
        document = json.loads(value)
    except json.JSONDecodeError:
        document = None
    if isinstance(document, dict) and AMI_ID.match(str(document.get("image_id", ""))):
        return str(document["image_id"])
    shown = value if len(value) <= 40 else value[:37] + "..."
    raise DefinitionError(
        [
            f"{where}: {name} holds '{shown}', not an AMI id (ami-…) nor an AMI document with an "
            "image_id; name the parameter that holds the id (…/recommended/image_id)"
        ]
    )
