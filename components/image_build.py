"""An image built and pushed during ``pulumi up``, for teams that deploy from a laptop.

Docker BuildKit through the ``pulumi-docker-build`` provider: the deploying machine needs a
running Docker engine with buildx. The image is built for the service's platform (``linux/amd64``
or ``linux/arm64``, what the task definition declares), tagged with a digest of its sources,
pushed to an ECR repository, and deployed by digest.

Every input is the same for the same source, from any checkout and after any deploy: the provider
rebuilds and pushes on a changed input (its ``Diff`` compares the context and Dockerfile locations
and the cache sources; a registry password, which changes every time, it ignores), and the
repository refuses a tag it already holds. So the locations are relative to the project, and no
cache source names the image deployed last (that would change with every deploy); the builder's
own cache on the deploying machine serves the next build.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_docker_build as docker_build


@dataclass(frozen=True)
class ImageBuildArgs:
    """A local build (``muon up`` without a pipeline): built, pushed by digest."""

    repository_url: pulumi.Input[str]
    """Where the image is pushed; required."""
    registry_id: pulumi.Input[str]
    """The registry's account (for its authorization token); required."""
    context: str
    """The build context folder; required. Relative to the project folder (where Pulumi runs the
    provider), never absolute."""
    dockerfile: str
    """The Dockerfile's path; required."""
    tag: str
    """The pushed tag (tags are immutable: unique per build); required."""
    target: str | None = None
    """A multi-stage build's target; default None: the last stage."""
    build_args: dict[str, str] = field(default_factory=dict)
    """``--build-arg``s; default none."""
    platform: str = "linux/amd64"
    """``--platform``: what the task definition declares; default linux/amd64 (linux/arm64 for a
    Graviton service)."""


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
            platforms=[docker_build.Platform(args.platform)],
            push=True,
            tags=[pulumi.Output.concat(args.repository_url, ":", args.tag)],
            registries=[
                {
                    "address": address,
                    "username": token.user_name,
                    "password": pulumi.Output.secret(token.password),
                }
            ],
            # A preview must not need Docker: the build runs on `pulumi up` only.
            build_on_preview=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.image = pulumi.Output.all(args.repository_url, built.digest).apply(
            lambda values: f"{values[0]}@{values[1]}"
        )
        self.register_outputs({"image": self.image})
