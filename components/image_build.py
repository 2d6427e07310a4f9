"""An image built and pushed during ``pulumi up``, for teams that deploy from a laptop.

Docker BuildKit through the ``pulumi-docker-build`` provider: the deploying machine needs a
running Docker engine with buildx. The image is built for ``linux/amd64`` (what the task
definition declares), tagged with a digest of its sources, pushed to an ECR repository, and
deployed by digest. The layer cache travels inside the pushed image (BuildKit's inline cache),
and the image the service runs now seeds the next build.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_docker_build as docker_build


@dataclass(frozen=True)
class ImageBuildArgs:
    repository_url: pulumi.Input[str]
    registry_id: pulumi.Input[str]
    context: str
    dockerfile: str
    tag: str
    target: str | None = None
    build_args: dict[str, str] = field(default_factory=dict)
    cache_from: str | None = None
    """An image to reuse layers from (the one the service runs), or None on the first build."""


class ImageBuild(pulumi.ComponentResource):
    image: pulumi.Output[str]
    """``<repository>@sha256:<digest>``: what the task definition runs."""

    def __init__(self, name: str, args: ImageBuildArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("muon:ecr:ImageBuild", name, None, opts)
        token = aws.ecr.get_authorization_token_output(registry_id=args.registry_id)
        address = pulumi.Output.from_input(args.repository_url).apply(lambda url: url.split("/")[0])
        built = docker_build.Image(
            f"{name}-image",
            context={"location": args.context},
            dockerfile={"location": args.dockerfile},
            target=args.target,
            build_args=args.build_args or None,
            platforms=[docker_build.Platform.LINUX_AMD64],
            push=True,
            tags=[pulumi.Output.concat(args.repository_url, ":", args.tag)],
            registries=[
                {
                    "address": address,
                    "username": token.user_name,
                    "password": pulumi.Output.secret(token.password),
                }
            ],
            cache_from=[{"registry": {"ref": args.cache_from}}] if args.cache_from else None,
            cache_to=[{"inline": {}}],
            # A preview must not need Docker: the build runs on `pulumi up` only.
            build_on_preview=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.image = pulumi.Output.all(args.repository_url, built.digest).apply(
            lambda values: f"{values[0]}@{values[1]}"
        )
        self.register_outputs({"image": self.image})
