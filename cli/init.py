"""``muon init``: a team's repository, ready for ``muon plan`` and ``pulumi up``.

The files are written from the answers (flags, or prompts), checked by the same validation the
program runs, and never over an existing file without ``--force``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from muon import __version__
from muon.cli.errors import UsageError
from muon.stacks.definition.loader import parse_definition
from muon.stacks.errors import DefinitionError

DEFAULT_PORT = 8080
CONNECTION_PLACEHOLDER = (
    "arn:aws:codestar-connections:us-east-1:000000000000:connection/00000000-0000-0000-0000-000000000000"
)


@dataclass(frozen=True)
class InitOptions:
    name: str
    port: int
    path: str
    database: bool = False
    pipeline: str | None = None
    """``github:owner/repo`` or ``codecommit:repo``."""
    region: str = "us-east-1"


def exposed_port(directory: Path) -> int | None:
    """The first port a ``Dockerfile`` in ``directory`` EXPOSEs, if any."""
    dockerfile = directory / "Dockerfile"
    if not dockerfile.is_file():
        return None
    for line in dockerfile.read_text(encoding="utf-8", errors="replace").splitlines():
        match = re.match(r"^\s*EXPOSE\s+(\d+)", line, re.IGNORECASE)
        if match:
            return int(match.group(1))
    return None


def check(options: InitOptions) -> None:
    """One line for the first answer muon would refuse, naming the flag."""
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", options.name):
        raise UsageError(
            f"--name: '{options.name}' is not a service name: 2-22 lowercase letters, digits and '-', "
            "starting with a letter"
        )
    if not 1 <= options.port <= 65535:
        raise UsageError(f"--port: {options.port} is not a port (1-65535)")
    if not options.path.startswith("/"):
        raise UsageError(f"--path: '{options.path}' must start with '/'")
    if options.pipeline is not None:
        provider, _, repo = options.pipeline.partition(":")
        valid = (provider == "github" and re.fullmatch(r"[\w.-]+/[\w.-]+", repo)) or (
            provider == "codecommit" and re.fullmatch(r"[\w.-]{1,100}", repo)
        )
        if not valid:
            raise UsageError(
                f"--pipeline: expected github:OWNER/REPO or codecommit:REPO, got '{options.pipeline}'"
            )


def definition(options: InitOptions) -> str:
    service: dict[str, object] = {
        "port": options.port,
        "pathPatterns": [options.path],
        "healthCheck": {"path": options.path},
    }
    if options.database:
        service["database"] = {"name": options.name.replace("-", "_")}
    data: dict[str, object] = {
        "environments": {
            "dev": {"network": {"azs": 2, "nat": "single"}},
            "production": {"network": {"azs": 3, "nat": "per-az"}},
        },
        "services": {options.name: service},
    }
    if options.pipeline:
        provider, _, repo = options.pipeline.partition(":")
        data["pipeline"] = {
            "source": {"provider": provider, "repo": repo, "branch": "main"},
            "build": {"artifact": False},
            "stages": [
                {"environment": "dev", "test": "buildspec-test.yml"},
                {"environment": "production", "approval": True, "test": "buildspec-test.yml"},
            ],
            "notifications": {"emails": [f"{options.name}-team@example.com"]},
        }
    header = (
        f"# muon.yaml: the {options.name} service (muon {__version__}). Every key left out takes the\n"
        "# default of the environment's tier; the README of muon describes them all.\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False)


def files(options: InitOptions, directory: Path) -> dict[str, str]:
    """Path (relative to ``directory``) → content."""
    check(options)
    muon_yaml = definition(options)
    try:
        parse_definition(muon_yaml, "muon.yaml")
    except DefinitionError as error:  # an answer the definition refuses, said once, as the flag
        raise UsageError(f"the answers give an invalid muon.yaml: {error.problems[0]}") from None
    stack = "config:\n  aws:region: {region}\n  muon:environments: [{environment}]\n"
    written = {
        "Pulumi.yaml": (
            f"name: {options.name}\n"
            f"description: The {options.name} service on muon\n"
            "runtime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: .venv\n"
        ),
        "requirements.txt": (
            "# The Pulumi program's dependencies (installed by `pulumi up` and by the pipeline).\n"
            "# muon brings pulumi, pulumi-aws and the rest; install it from where your team keeps\n"
            "# the wheel (a package index, or a URL: muon @ https://.../muon-"
            f"{__version__}-py3-none-any.whl).\n"
            f"muon=={__version__}\n"
        ),
        "__main__.py": (
            '"""Pulumi program: muon, on muon.yaml."""\nfrom muon.stacks.main import main\n\nmain()\n'
        ),
        "muon.yaml": muon_yaml,
        "Pulumi.dev.yaml": stack.format(region=options.region, environment="dev"),
        "Pulumi.prod.yaml": stack.format(region=options.region, environment="production"),
    }
    if options.pipeline:
        connection = (
            f"  # The CodeStar connection to GitHub (create it, authorise it, paste its ARN here).\n"
            f"  muon:connection: {CONNECTION_PLACEHOLDER}\n"
            if options.pipeline.startswith("github:")
            else ""
        )
        written["Pulumi.pipeline.yaml"] = (
            "# The delivery stack: the pipeline and the image repositories. Deploy it after dev.\n"
            f"config:\n  aws:region: {options.region}\n  muon:pipeline: true\n"
            "  # Where Pulumi keeps the stacks' state, and the key for their secrets: yours.\n"
            f"  muon:backend: s3://{options.name}-pulumi-state\n"
            f"  muon:secretsProvider: awskms://alias/{options.name}-pulumi?region={options.region}\n"
            + connection
        )
    if not (directory / "buildspec-test.yml").exists():
        written["buildspec-test.yml"] = (
            "# The pipeline's smoke test after each deploy: the service answers on its URL.\n"
            "version: 0.2\nphases:\n  build:\n    commands:\n"
            "      - 'curl --fail --silent --show-error --retry 10 --retry-delay 6 --retry-all-errors "
            '"$MUON_SERVICE_URL"\'\n'
        )
    return written


def write(options: InitOptions, directory: Path, *, force: bool) -> list[str]:
    """Write the files; refuse, naming the first, when one exists and ``force`` is not given."""
    planned = files(options, directory)
    if not force:
        existing = [name for name in planned if (directory / name).exists()]
        if existing:
            raise UsageError(
                f"{directory / existing[0]} exists; muon init never overwrites a file (use --force)"
            )
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in planned.items():
        (directory / name).write_text(content, encoding="utf-8")
    return list(planned)
