"""A static site of ``muon.yaml`` (``sites.<name>``): built from a folder, served by CloudFront."""

from __future__ import annotations

import posixpath
from typing import Annotated, Literal

from pydantic import Field, model_validator

from muon.stacks.definition.fields import Spec, _PathError, pattern
from muon.stacks.definition.types import Folder, FreeText, Host

RelativeFolder = Annotated[
    str, pattern(r"^[\w.-][\w./-]*/?$", "a folder relative to the site's source, such as dist/")
]


class SiteHeadersSpec(Spec):
    """Security headers CloudFront adds to every response (a response headers policy)."""

    content_security_policy: str = Field(
        default="default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
        "frame-ancestors 'none'",
        min_length=1,
        max_length=1783,  # CloudFront's limit for the header's value
        description="Content-Security-Policy.",
    )
    frame_options: Literal["DENY", "SAMEORIGIN"] = "DENY"
    referrer_policy: Literal[
        "no-referrer",
        "no-referrer-when-downgrade",
        "origin",
        "origin-when-cross-origin",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
        "unsafe-url",
    ] = "strict-origin-when-cross-origin"
    hsts_max_age: int = Field(
        default=63_072_000, ge=300, le=63_072_000, description="Strict-Transport-Security max-age, seconds."
    )


class SiteSpec(Spec):
    source: Folder = Field(default="site/", description="The site's folder (its build runs there).")
    build: FreeText | None = Field(
        default=None,
        max_length=2000,
        description="The build command, run in source (e.g. npm ci && npm run build).",
    )
    output: RelativeFolder = Field(default="dist/", description="What the build leaves, relative to source.")
    host: Host | None = Field(
        default=None, description="Its name on the environment's domain; without a domain, CloudFront's."
    )
    spa: bool = Field(default=False, description="A single-page app: unknown paths answer index.html.")
    not_found: Annotated[str, pattern(r"^[\w./-]+\.html$", "an HTML file such as 404.html")] = Field(
        default="404.html", description="The page for a missing path (when not spa)."
    )
    headers: SiteHeadersSpec = Field(default_factory=SiteHeadersSpec.model_construct)
    waf: bool | None = Field(default=None, description="A managed web ACL in front (production default).")
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = Field(
        default="PriceClass_100", description="CloudFront's edge locations: 100 is North America and Europe."
    )

    @model_validator(mode="after")
    def _check(self) -> SiteSpec:
        source = posixpath.normpath(self.source)
        inside = posixpath.normpath(posixpath.join(source, self.output))
        escapes = (
            inside == source
            or inside.startswith("..")
            or (source != "." and not inside.startswith(f"{source}/"))
        )
        if escapes:
            raise _PathError(("output",), f"{self.output} is not a folder inside source ({self.source})")
        return self

    def output_folder(self) -> str:
        """The published folder, relative to ``muon.yaml``."""
        return posixpath.normpath(posixpath.join(self.source, self.output))
