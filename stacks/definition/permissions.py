"""``permissions:`` of a service or a function: IAM statements of its own role."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from muon.stacks.definition.fields import Spec, pattern


class PermissionSpec(Spec):
    actions: list[
        Annotated[str, pattern(r"^[a-z0-9-]+:[A-Za-z0-9*]+$", "an IAM action such as s3:GetObject")]
    ] = Field(min_length=1)
    resources: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> PermissionSpec:
        if "*" in self.resources and any(a.endswith(":*") or a == "*" for a in self.actions):
            raise ValueError(
                "a whole service on every resource is too broad; name the actions or the resources"
            )
        return self
