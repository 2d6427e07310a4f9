"""`muon init` (adopt a repository) and `muon env add` (one more environment and its stack)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from muon.cli.app import State, app, console, env_app, run
from muon.cli.errors import UsageError


def _print_result(data: dict[str, Any]) -> None:
    where = "" if data["projectDir"] == "." else f" (in {data['projectDir']}/)"
    if data["written"]:
        console.print(f"wrote {', '.join(data['written'])}{where}", markup=False)
    for added in data["added"]:
        console.print(f"added {added}", markup=False)
    if data["kept"]:
        console.print(f"kept {', '.join(data['kept'])} (they exist; muon never overwrites)", markup=False)
    for note in data["notes"]:
        console.print(f"note: {note}", markup=False)
    console.print(f"next: {data['next']}", markup=False)


@app.command()
def init(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option("--name", help="The service's name (2-22 a-z, 0-9, -).")] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", help="Container port (default: the Dockerfile's EXPOSE, else 8080)."),
    ] = None,
    path: Annotated[
        str | None, typer.Option("--path", help="Path the load balancer routes (default /<name>).")
    ] = None,
    database: Annotated[
        bool, typer.Option("--database/--no-database", help="An Aurora database for it.")
    ] = False,
    pipeline: Annotated[
        str | None,
        typer.Option("--pipeline", help="github:OWNER/REPO or codecommit:REPO: a delivery stack too."),
    ] = None,
    region: Annotated[str, typer.Option("--region", help="AWS region of the stacks.")] = "us-east-1",
    domain: Annotated[
        str | None,
        typer.Option("--domain", help="Production's name (HTTPS); without it production serves plain HTTP."),
    ] = None,
    zone: Annotated[
        str | None, typer.Option("--zone", help="The Route 53 zone --domain is in (default: its parent).")
    ] = None,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir", help="Put the project in this folder of the repository (sets pipeline.projectDir)."
        ),
    ] = None,
    muon_source: Annotated[
        str | None,
        typer.Option(
            "--muon-source",
            help="Where muon-platform comes from: a wheel or git+https:// URL, your package index's URL, "
            "or a wheel in the repository (default: where this muon was installed from).",
        ),
    ] = None,
    requirements: Annotated[
        str | None,
        typer.Option(
            "--requirements",
            help="The requirements file muon goes into (default: requirements.txt, or "
            "requirements-infra.txt when the Dockerfile installs requirements.txt).",
        ),
    ] = None,
) -> None:
    """Adopt this repository: Pulumi.yaml, __main__.py, muon.yaml (or the one `muon import` wrote),
    a stack file per environment; muon added to the requirements, .gitignore extended. Never overwrites."""
    from muon import __version__
    from muon.cli.adopt import muon_source as resolve_source
    from muon.cli.adopt import repository_root
    from muon.cli.environments import check_domain, check_region
    from muon.cli.init import DEFAULT_PORT, InitOptions, adopt, choose_requirements, exposed_port

    def action(_state: State) -> dict[str, Any]:
        start = Path.cwd().resolve()
        project = (start / (directory or ".")).resolve()
        root = repository_root(project, start)
        if project != root and root not in project.parents:
            raise UsageError(f"--dir: {directory} is outside the repository ({root})")
        check_region(region)
        check_domain(domain, zone)
        existing = (project / "muon.yaml").is_file()
        given = {"--port": port, "--path": path, "--pipeline": pipeline, "--domain": domain}
        given["--database"] = database or None
        if existing and any(v is not None for v in given.values()):
            flag = next(k for k, v in given.items() if v is not None)
            raise UsageError(f"{flag}: {project / 'muon.yaml'} exists: init completes the project around it")
        interactive = sys.stdin.isatty()
        chosen_name = name or (typer.prompt("Service name") if interactive and not existing else None)
        if not chosen_name and not existing:
            raise UsageError("--name is required (or run muon init in a terminal to be asked)")
        detected = exposed_port(project, root) or DEFAULT_PORT
        chosen_port = port if port is not None or existing or not interactive else None
        if chosen_port is None and interactive and not existing:
            chosen_port = typer.prompt("Container port", default=detected, type=int)
        chosen_domain = domain
        if interactive and not existing and domain is None:
            chosen_domain = (
                typer.prompt(
                    "Production domain (empty: plain HTTP until you give one)", default="", show_default=False
                ).strip()
                or None
            )
            check_domain(chosen_domain, zone)
        chosen_requirements, note = choose_requirements(project, root, requirements)
        options = InitOptions(
            name=chosen_name,
            port=chosen_port if chosen_port is not None else detected,
            path=path,
            directory=project,
            root=root,
            source=resolve_source(muon_source, __version__, project),
            requirements=chosen_requirements,
            database=database,
            pipeline=pipeline,
            region=region,
            domain=chosen_domain,
            zone=zone,
        )
        adoption = adopt(options)
        stacks = adoption.stacks
        go = "" if options.project_dir == "." else f"cd {options.project_dir} && "
        then = f"   (then: {', '.join(f'muon plan {s}' for s in stacks[1:])})" if len(stacks) > 1 else ""
        return {
            "directory": str(project),
            "projectDir": options.project_dir,
            "muonRequirement": options.source.requirement,
            "written": adoption.written,
            "added": adoption.added,
            "kept": adoption.kept,
            "notes": ([note] if note else []) + adoption.notes,
            "stacks": stacks,
            "next": f"{go}muon plan {stacks[0] if stacks else 'dev'}{then}",
        }

    run(ctx, action, _print_result)


def _project_region(project: Path) -> str | None:
    """The region every stack file of the project names, if they agree; None when there are none."""
    import yaml

    regions = set()
    for stack_file in project.glob("Pulumi.*.yaml"):
        data = yaml.safe_load(stack_file.read_text(encoding="utf-8")) or {}
        region = (data.get("config") or {}).get("aws:region") if isinstance(data, dict) else None
        if isinstance(region, str):
            regions.add(region)
    if len(regions) > 1:
        raise UsageError(f"--region: the project's stacks are in {', '.join(sorted(regions))}: give one")
    return next(iter(regions), None)


@env_app.command("add")
def env_add(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help="The environment's name (a stack of the same name deploys it).")
    ],
    region: Annotated[
        str | None, typer.Option("--region", help="Its region (default: the project's stacks' region).")
    ] = None,
    domain: Annotated[
        str | None, typer.Option("--domain", help="Its name on HTTPS (a production environment needs one).")
    ] = None,
    zone: Annotated[
        str | None, typer.Option("--zone", help="The Route 53 zone --domain is in (default: its parent).")
    ] = None,
) -> None:
    """Write Pulumi.<NAME>.yaml (and environments.<NAME> in muon.yaml when it is not there)."""
    from muon.cli.environments import (
        add_environment,
        check_domain,
        check_region,
        is_production,
        production_spec,
        stack_file,
        stack_for,
    )
    from muon.stacks.definition.loader import parse_definition, parse_yaml
    from muon.stacks.definition.types import NAME_PATTERN
    from muon.stacks.errors import DefinitionError

    def action(state: State) -> dict[str, Any]:
        if not re.fullmatch(NAME_PATTERN, name):
            raise UsageError(
                f"'{name}' is not an environment name: 2-22 lowercase letters, digits and '-' (no '--')"
            )
        project = state.project_dir
        stack = stack_for(name)
        target = project / f"Pulumi.{stack}.yaml"
        if target.exists():
            raise UsageError(f"{target} exists; muon never overwrites a stack file")
        chosen = region or _project_region(project) or "us-east-1"
        check_region(chosen)
        check_domain(domain, zone)
        definition = project / "muon.yaml"
        if not definition.is_file():
            raise UsageError(f"no muon.yaml in {project}: `muon init` writes one")
        text = definition.read_text(encoding="utf-8")
        environments = (parse_yaml(text, "muon.yaml") or {}).get("environments") or {}
        added = name not in environments
        if added:
            spec = production_spec(domain, zone) if is_production(name) or domain else {}
            text = add_environment(text, name, spec)
            try:
                parse_definition(text, "muon.yaml")
            except DefinitionError as error:
                raise UsageError(f"muon.yaml with environments.{name}: {error.problems[0]}") from None
        elif domain is not None:
            raise UsageError(f"--domain: environments.{name} exists in muon.yaml; set its domain there")
        target.write_text(stack_file(chosen, name), encoding="utf-8")
        if added:
            definition.write_text(text, encoding="utf-8")
        notes = []
        if added and is_production(name) and domain is None:
            notes.append(
                f"environments.{name} serves plain HTTP (allowPlainHttp): give it a domain before deploying"
            )
        return {
            "stack": stack,
            "region": chosen,
            "written": [target.name],
            "addedEnvironment": added,
            "notes": notes,
            "next": f"muon plan {stack}",
        }

    def human(data: dict[str, Any]) -> None:
        console.print(f"wrote {data['written'][0]} ({data['region']})", markup=False)
        if data["addedEnvironment"]:
            console.print(f"added environments.{name} to muon.yaml", markup=False)
        for note in data["notes"]:
            console.print(f"note: {note}", markup=False)
        console.print(f"next: {data['next']}", markup=False)

    run(ctx, action, human)
