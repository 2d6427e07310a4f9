"""Which image each service runs in an environment, read once before anything is declared."""

from __future__ import annotations

from dataclasses import dataclass

from muon.components.service_args import AWAITING_IMAGE
from muon.stacks.definition import ServiceSpec
from muon.stacks.facts import Facts


@dataclass(frozen=True)
class Cluster:
    """The ECS cluster an environment's services run in."""

    name: str
    namespace: str
    environment: str
    own: bool
    """False: a platform's cluster (it exists); True: this stack's, there after its first deploy."""

    def service(self, service: str) -> str:
        """The ECS service's name (its task family's too)."""
        return f"{self.namespace}-{self.environment}-{service}"


def choose_images(
    services: dict[str, ServiceSpec],
    configured: dict[str, str],
    builds: set[str],
    cluster: Cluster,
    facts: Facts,
) -> dict[str, str | None]:
    """The stack's ``muon:images`` (``configured``), else the definition's ``image``, else what
    runs now, else None.

    The pipeline sets ``muon:images`` only for its own run; a later ``pulumi up`` from a checkout
    keeps the running image instead of failing or rolling it back. None: no image exists yet, and
    the service waits at zero tasks for the pipeline's first run. What runs now is read only when
    the cluster exists (one lookup, not one per service, in an environment never deployed).
    """
    pending = [s for s in services if s not in builds and not (configured.get(s) or services[s].image)]
    deployed = bool(pending) and (not cluster.own or facts.cluster_active(cluster.name))
    images: dict[str, str | None] = {}
    for name, spec in services.items():
        if name in builds:
            images[name] = None
            continue
        image = configured.get(name) or spec.image
        if image is None and deployed:
            image = facts.running_image(cluster.name, cluster.service(name))
        if image is None and deployed and spec.formerly:  # renamed: the old service runs it until then
            image = facts.running_image(cluster.name, cluster.service(spec.formerly))
        images[name] = image if image and image != AWAITING_IMAGE else None
    return images


def awaiting_image_warning(service: str, environment: str) -> str:
    return (
        f"service '{service}' in {environment} has no image yet: it is created with 0 tasks; the "
        f"pipeline's first run (or muon:images.{service} in the stack config) will start it"
    )
