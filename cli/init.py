"""``muon init``: a team's repository, adopted — ready for ``muon plan`` and ``pulumi up``.

It adds and never overwrites: files that exist are kept (an existing ``muon.yaml``, from ``muon
import`` say, is completed around), muon's requirement goes into the project's requirements file,
``.gitignore`` gains only the lines it lacks. Every answer is checked the way the program will.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from muon import __version__
from muon.cli.adopt import (
    INFRA_REQUIREMENTS,
    MuonSource,
    add_requirement,
    extend_gitignore,
    installs_requirements,
)
from muon.cli.environments import (
    PLAIN_HTTP_NOTE,
    environment_yaml,
    is_production,
    production_spec,
    stack_file,
    stack_for,
)
from muon.cli.errors import UsageError
from muon.cli.project import is_muon_program
from muon.stacks.definition.loader import parse_definition, parse_yaml
from muon.stacks.definition.types import NAME_PATTERN
from muon.stacks.errors import DefinitionError
from muon.stacks.requirements import DISTRIBUTION

DEFAULT_PORT = 8080
CONNECTION_ID = "00000000-0000-0000-0000-000000000000"
CONNECTION_PLACEHOLDER = (
    "arn:{partition}:codestar-connections:{region}:000000000000:connection/" + CONNECTION_ID
)
"""Until the team pastes theirs: in the stacks' region and partition, where the pipeline runs its
source action (a connection of another region is refused before anything is declared)."""


def connection_placeholder(region: str) -> str:
    from muon.stacks.definition.stack_config import region_partitions

    return CONNECTION_PLACEHOLDER.format(partition=region_partitions().get(region, "aws"), region=region)


MAIN = '"""Pulumi program: muon, on muon.yaml."""\nfrom muon.stacks.main import main\n\nmain()\n'


@dataclass(frozen=True)
class InitOptions:
    name: str | None
    port: int
    path: str | None
    directory: Path
    """The project folder (Pulumi.yaml, muon.yaml, the stack files)."""
    root: Path
    """The repository's root: the pipeline's projectDir is the project folder relative to it."""
    source: MuonSource
    requirements: str = "requirements.txt"
    database: bool = False
    pipeline: str | None = None
    """``github:owner/repo`` or ``codecommit:repo``."""
    region: str = "us-east-1"
    domain: str | None = None
    zone: str | None = None

    @property
    def project_dir(self) -> str:
        return self.directory.relative_to(self.root).as_posix() if self.directory != self.root else "."


@dataclass
class Adoption:
    written: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stacks: list[str] = field(default_factory=list)


def exposed_port(*directories: Path) -> int | None:
    """The first port a ``Dockerfile`` in one of ``directories`` EXPOSEs, if any."""
    for directory in directories:
        dockerfile = directory / "Dockerfile"
        if not dockerfile.is_file():
            continue
        for line in dockerfile.read_text(encoding="utf-8", errors="replace").splitlines():
            match = re.match(r"^\s*EXPOSE\s+(\d+)", line, re.IGNORECASE)
            if match:
                return int(match.group(1))
    return None


def check(options: InitOptions) -> None:
    """One line for the first answer muon would refuse, naming the flag."""
    if options.name is not None and not re.fullmatch(NAME_PATTERN, options.name):
        raise UsageError(
            f"--name: '{options.name}' is not a service name: 2-22 lowercase letters, digits and '-', "
            "starting with a letter, no '--'"
        )
    if not 1 <= options.port <= 65535:
        raise UsageError(f"--port: {options.port} is not a port (1-65535)")
    if options.path is not None and not options.path.startswith("/"):
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
        if options.source.index_url is None and "==" in options.source.requirement:
            raise UsageError(
                "--pipeline: the pipeline must know where muon comes from: give --muon-source (a wheel or "
                "git+https:// URL, or your package index's URL)"
            )


def _pipeline(options: InitOptions, name: str) -> dict[str, object]:
    provider, _, repo = (options.pipeline or "").partition(":")
    test = "buildspec-test.yml" if options.project_dir == "." else f"{options.project_dir}/buildspec-test.yml"
    pipeline: dict[str, object] = {
        "source": {"provider": provider, "repo": repo, "branch": "main"},
        "build": {"artifact": False},
        "stages": [
            {"environment": "dev", "test": test},
            {"environment": "production", "approval": True, "test": test},
        ],
        "notifications": {"emails": [f"{name}-team@example.com"]},
    }
    if options.project_dir != ".":
        pipeline["projectDir"] = options.project_dir
    source: dict[str, object] = {}
    if options.requirements != "requirements.txt":
        source["requirements"] = options.requirements
    if options.source.index_url:
        source["indexUrl"] = options.source.index_url
    if source:
        pipeline["muonSource"] = source
    return pipeline


def definition(options: InitOptions) -> str:
    """A new muon.yaml: dev at the tier's (cheapest) defaults, production on HTTPS or said plain."""
    name = options.name or "app"
    path = options.path or f"/{name}"
    service: dict[str, object] = {"port": options.port, "pathPatterns": [path], "healthCheck": {"path": path}}
    if options.database:
        service["database"] = {"name": name.replace("-", "_")}
    header = (
        f"# muon.yaml: the {name} service (muon {__version__}). Every key left out takes the default\n"
        "# of the environment's tier: dev the cheapest by muon's price table (`muon plan dev --cost`),\n"
        "# production the compliant one. muon's docs/definition.md describes every key.\n"
    )
    body = "environments:\n" + environment_yaml("dev", {}, "  ")
    body += environment_yaml("production", production_spec(options.domain, options.zone), "  ")
    rest: dict[str, object] = {"services": {name: service}}
    if options.pipeline:
        rest["pipeline"] = _pipeline(options, name)
    return header + body + yaml.safe_dump(rest, sort_keys=False)


def pipeline_stack(name: str, region: str, github: bool) -> str:
    connection = (
        "  # The CodeStar connection to GitHub (create it, authorise it, paste its ARN here).\n"
        f"  muon:connection: {connection_placeholder(region)}\n"
        if github
        else ""
    )
    return (
        "# The delivery stack: the pipeline and the image repositories. Deploy it after dev.\n"
        f"config:\n  aws:region: {region}\n  muon:pipeline: true\n"
        "  # Where Pulumi keeps the stacks' state, and the key for their secrets: yours.\n"
        f"  muon:backend: s3://{name}-pulumi-state\n"
        f"  muon:secretsProvider: awskms://alias/{name}-pulumi?region={region}\n" + connection
    )


def existing_definition(path: Path) -> dict[str, object] | None:
    """The project's muon.yaml (one `muon import` wrote, say), checked; None when there is none."""
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    try:
        parse_definition(text, path.name)
    except DefinitionError as error:
        raise UsageError(f"{path} exists and is not a valid definition: {error.problems[0]}") from None
    data = parse_yaml(text, path.name)
    return data if isinstance(data, dict) else {}


def project_name(options: InitOptions, data: dict[str, object]) -> str:
    services = data.get("services") or {}
    if options.name:
        return options.name
    if isinstance(services, dict) and len(services) == 1:
        return str(next(iter(services)))
    return re.sub(r"[^A-Za-z0-9_.-]", "-", options.root.name) or "muon-project"


def planned_files(options: InitOptions, data: dict[str, object] | None, adoption: Adoption) -> dict[str, str]:
    """Path (in the project) → content, for every file of the project; existing ones are kept later."""
    text = definition(options) if data is None else None
    if text is not None:
        try:
            parse_definition(text, "muon.yaml")
        except DefinitionError as error:  # an answer the definition refuses, said once
            raise UsageError(f"the answers give an invalid muon.yaml: {error.problems[0]}") from None
    parsed = data if data is not None else parse_yaml(text or "", "muon.yaml")
    name = project_name(options, parsed)
    files = {
        "Pulumi.yaml": (
            f"name: {name}\ndescription: The {name} service on muon\n"
            "runtime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: .venv\n"
        ),
        "__main__.py": MAIN,
    }
    if text is not None:
        files["muon.yaml"] = text
    environments = parsed.get("environments") or {}
    for environment, spec in environments.items() if isinstance(environments, dict) else []:
        stack = stack_for(str(environment))
        files[f"Pulumi.{stack}.yaml"] = stack_file(options.region, str(environment))
        adoption.stacks.append(stack)
        if data is not None and is_production(str(environment), spec if isinstance(spec, dict) else None):
            _https_note(str(environment), spec, stack, adoption)
    if parsed.get("pipeline"):
        github = (parsed["pipeline"] or {}).get("source", {}).get("provider", "github") == "github"  # type: ignore[union-attr]
        files["Pulumi.pipeline.yaml"] = pipeline_stack(name, options.region, github)
        adoption.stacks.append("pipeline")
        if text is not None:
            files["buildspec-test.yml"] = (
                "# The pipeline's smoke test after each deploy: the service answers on its URL.\n"
                "version: 0.2\nphases:\n  build:\n    commands:\n"
                "      - 'curl --fail --silent --show-error --retry 10 --retry-delay 6 --retry-all-errors "
                '"$MUON_SERVICE_URL"\'\n'
            )
    return files


def _https_note(environment: str, spec: object, stack: str, adoption: Adoption) -> None:
    spec = spec if isinstance(spec, dict) else {}
    balancer = spec.get("loadBalancer") or {}
    if (
        spec.get("domain")
        or spec.get("attach")
        or (isinstance(balancer, dict) and balancer.get("certificateArn"))
    ):
        return
    if isinstance(balancer, dict) and balancer.get("allowPlainHttp"):
        adoption.notes.append(f"environments.{environment}: plain HTTP (allowPlainHttp): give it a domain")
        return
    adoption.notes.append(
        f"environments.{environment}: production is HTTPS-only: give it a domain ({{name: app.example.com, "
        f"zone: example.com}}) in muon.yaml before `muon plan {stack}`"
    )


def _check_pipeline_source(options: InitOptions, data: dict[str, object] | None) -> None:
    """An existing definition's pipeline must be able to install muon as init writes it."""
    pipeline = (data or {}).get("pipeline")
    if not isinstance(pipeline, dict) or options.source.index_url or "==" not in options.source.requirement:
        return
    source = pipeline.get("muonSource")
    if not (isinstance(source, dict) and source.get("indexUrl")):
        raise UsageError(
            "--muon-source: muon.yaml's pipeline must know where muon comes from: give --muon-source (a "
            "wheel or git+https:// URL), or set pipeline.muonSource.indexUrl to your package index"
        )


def _check_existing(directory: Path) -> None:
    """Pulumi.yaml or __main__.py of something else: muon's project goes in its own folder."""
    pulumi_yaml, main = directory / "Pulumi.yaml", directory / "__main__.py"
    if main.is_file() and not is_muon_program(main):
        raise UsageError(
            f"{main} exists and is not muon's program: put muon's project in a folder (--dir infra)"
        )
    if pulumi_yaml.is_file() and not ((directory / "muon.yaml").is_file() or main.is_file()):
        raise UsageError(
            f"{pulumi_yaml} is another Pulumi project's: put muon's project in a folder (--dir infra)"
        )


def choose_requirements(directory: Path, root: Path, given: str | None) -> tuple[str, str | None]:
    """The project's requirements file, and why when it is not requirements.txt: the one given;
    else requirements.txt, unless the app's Dockerfile installs it (muon, Pulumi and the AWS SDK
    would go into the image)."""
    if given is not None:
        if not re.fullmatch(r"[\w.-]+\.txt", given):
            raise UsageError(
                f"--requirements: '{given}' is not a requirements file name (e.g. requirements-infra.txt)"
            )
        return given, None
    dockerfiles = {directory / "Dockerfile", root / "Dockerfile"}
    if (directory / "requirements.txt").is_file() and any(
        installs_requirements(d, "requirements.txt") for d in dockerfiles
    ):
        return INFRA_REQUIREMENTS, (
            "requirements.txt is the app's (its Dockerfile installs it): muon goes into "
            f"{INFRA_REQUIREMENTS}, which Pulumi does not install by itself: python3 -m venv .venv && "
            f".venv/bin/pip install -r {INFRA_REQUIREMENTS} (or run muon init --dir infra instead)"
        )
    return "requirements.txt", None


def adopt(options: InitOptions) -> Adoption:
    """Write what the project lacks; extend the requirements and .gitignore; keep everything else."""
    check(options)
    adoption = Adoption()
    directory = options.directory
    _check_existing(directory)
    data = existing_definition(directory / "muon.yaml")
    _check_pipeline_source(options, data)
    planned = planned_files(options, data, adoption)
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in planned.items():
        if (directory / name).exists():
            adoption.kept.append(name)
        else:
            (directory / name).write_text(content, encoding="utf-8")
            adoption.written.append(name)
    changed = add_requirement(directory / options.requirements, options.source)
    if changed == "wrote":
        adoption.written.append(options.requirements)
    elif changed == "added":
        adoption.added.append(f"{DISTRIBUTION} to {options.requirements}")
    else:
        adoption.kept.append(f"{options.requirements} (requires {DISTRIBUTION} already)")
    ignored = extend_gitignore(options.root / ".gitignore", options.directory == options.root)
    if ignored:
        adoption.added.append(f"{', '.join(ignored)} to .gitignore")
    if data is None and options.domain is None:
        adoption.notes.append(
            "environments.production serves plain HTTP (loadBalancer.allowPlainHttp, commented in "
            "muon.yaml): give it a domain before its first deploy"
        )
    if "==" in options.source.requirement and options.source.index_url is None:
        adoption.notes.append(
            f"{options.source.requirement} is on no public index: pip finds it only on your team's "
            "(pip.conf or PIP_INDEX_URL); or run muon init --muon-source with its URL"
        )
    if "Pulumi.pipeline.yaml" in adoption.written:
        adoption.notes.append("Pulumi.pipeline.yaml: fill in your state bucket, key alias and connection")
    return adoption


__all__ = ["DEFAULT_PORT", "PLAIN_HTTP_NOTE", "InitOptions", "adopt", "choose_requirements", "exposed_port"]
