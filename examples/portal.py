"""A self-service portal's backend, in a few lines: deploy a service's new image to an environment.

    python examples/portal.py PROJECT_DIR dev banana REGISTRY/muon/banana@sha256:DIGEST

Needs muon installed (the distribution muon-platform: the README, "Install"), the Pulumi CLI, AWS
credentials and a Pulumi backend (`pulumi login`), like `pulumi up` does. PROJECT_DIR is the team's
repository (its Pulumi.yaml). Copy it: every error a user can act on arrives as its own exception
with a one-line message.
"""

from __future__ import annotations

import sys

from muon.automation import (
    InvalidConfigError,
    Muon,
    OperationFailedError,
    PulumiNotInstalledError,
    StackLockedError,
    UnknownStackError,
)


def deploy(project_dir: str, stack: str, service: str, image: str) -> int:
    muon = Muon(project_dir)  # a str or a Path
    config = {"environments": [stack if stack != "prod" else "production"], "images": {service: image}}
    try:
        preview = muon.preview(stack, config=config)
        print(f"{stack}: {preview.changes}")
        result = muon.up(stack, config=config, on_output=lambda line: print(f"  {line}"))
    except InvalidConfigError as error:
        print(f"refused: {error}")  # e.g. an unknown service or environment: show it to the user
        return 2
    except UnknownStackError as error:
        print(f"refused: {error}")  # a preview never creates a stack: deploy it once with `muon up`
        return 2
    except StackLockedError as error:
        print(f"busy: {error}")  # someone else is deploying: retry later
        return 3
    except PulumiNotInstalledError as error:
        print(f"setup: {error}")
        return 4
    except OperationFailedError as error:
        print(f"failed: {error}")  # error.output has everything Pulumi printed
        return 1
    url = result.outputs.get("services", {}).get(config["environments"][0], {}).get(service, {}).get("url")
    print(f"{result.summary} in {result.seconds:.0f} s: {result.changes}; {service} at {url}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(__doc__)
        sys.exit(2)
    sys.exit(deploy(*sys.argv[1:]))
