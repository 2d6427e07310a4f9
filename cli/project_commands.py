"""Commands on the project: the offline plan, `muon init`, Pulumi operations (the Automation API)."""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from muon.cli.app import (
    State,
    app,
    console,
    errors,
    project_of,
    run,
)
from muon.cli.errors import RefusedError, UsageError

# -- plan -----------------------------------------------------------------------------------------

FailOnOption = Annotated[
    str | None,
    typer.Option(
        "--fail-on",
        help="data-loss: exit 1 when a resource that holds data would be replaced or deleted.",
    ),
]


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def plan(ctx: typer.Context) -> None:
    """The offline plan: what `pulumi up` would create, with compliance findings (no AWS, no Pulumi CLI).

    STACK [--json FILE|-] [--quiet] [--timeline] [--cost] [--quotas] [--diff REF]
    [--fail-on mandatory|warning|data-loss]:
    the flags of `python -m muon.plan` (one parser); `muon plan --help` lists them.
    """
    # `muon plan` from the command line does not come here (cli/main.py hands it to the plan
    # directly); this is the same plan for callers of the typer app.
    from muon.plan.command import main as plan_main

    argv = list(ctx.args)
    if ctx.obj.json and not {"--json", "--json-file"} & set(argv):
        argv += ["--json", "-"]  # `muon --json plan dev`: the plan's JSON on standard output
    project = None if {"-h", "--help"} & set(argv) else project_of(ctx)
    raise typer.Exit(plan_main(argv, standalone=True, prog="muon plan", project_dir=project))


# -- import ---------------------------------------------------------------------------------------


@app.command("import")
def import_mu(
    ctx: typer.Context,
    mu_file: Annotated[
        Path, typer.Argument(help="The mu file to convert (mu.yml), or `copilot` for a Copilot application.")
    ],
    directory: Annotated[
        Path | None,
        typer.Argument(help="copilot: the application's folder (holding copilot/; default: here)."),
    ] = None,
    output: Annotated[Path, typer.Option("--output", help="Where to write the definition.")] = Path(
        "muon.yaml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite the output if it exists.")] = False,
    tier: Annotated[
        list[str] | None,
        typer.Option("--tier", help="ENV=development|production: an environment's tier (default: by name)."),
    ] = None,
    region: Annotated[
        str, typer.Option("--region", help="copilot: the region of the stack files it writes.")
    ] = "us-east-1",
) -> None:
    """Convert a Stelligent mu file (or, `muon import copilot [DIR]`, an AWS Copilot application with
    its stack files) to muon.yaml. What muon cannot express is listed on stderr, one line per key
    (notes, such as which environments are production, on stdout); exit status 0: everything
    converted, 1: written with those lines, 2: nothing written."""
    import yaml

    from muon.importers.mu import convert
    from muon.stacks.definition.loader import read_text

    dropped: list[str] = []
    copilot = str(mu_file) == "copilot" and (directory is not None or not mu_file.is_file())

    def action(_state: State) -> dict[str, Any]:
        target = output
        if copilot and output == Path("muon.yaml"):
            from muon.importers.copilot import copilot_folder

            # Beside copilot/: Copilot's paths (image.build) are relative to the application's folder.
            target = copilot_folder(directory or Path(".")).parent / "muon.yaml"
        if target.exists() and not force:
            raise UsageError(f"{target} exists; add --force to overwrite it")
        tiers = dict(item.partition("=")[::2] for item in tier or [])
        for name, value in tiers.items():
            if value not in ("development", "production"):
                raise UsageError(f"--tier {name}={value}: expected development or production")
        if copilot:
            return _import_copilot(directory or Path("."), target, tiers, region, dropped)
        if directory is not None:
            raise UsageError(f"{directory}: a second argument only follows `copilot`")
        conversion = convert(read_text(mu_file, "mu file"), str(mu_file), mu_file.resolve().parent, tiers)
        header = f"# Converted from {mu_file.name} by `muon import`; muon's docs/definition.md: every key.\n"
        output.write_text(header + yaml.safe_dump(conversion.definition, sort_keys=False), encoding="utf-8")
        dropped.extend(conversion.dropped)
        return {"written": str(output), "dropped": conversion.dropped, "notes": conversion.notes}

    def human(data: dict[str, Any]) -> None:
        for line in data["dropped"]:  # losses on stderr: nothing there means nothing was lost
            errors.print(line, markup=False)
        console.print(f"wrote {', '.join([data['written'], *data.get('stacks', [])])}", markup=False)
        if data.get("kept"):
            console.print(f"kept {', '.join(data['kept'])} (they exist; muon never overwrites)", markup=False)
        for line in data.get("notes", []):  # what to read, not a loss: beside the result, as init's notes
            console.print(f"note: {line}", markup=False)

    run(ctx, action, human)
    if dropped:
        raise typer.Exit(1)


def _import_copilot(
    directory: Path, output: Path, tiers: dict[str, str], region: str, dropped: list[str]
) -> dict[str, Any]:
    """``muon import copilot``: muon.yaml and a stack file per environment (as `muon init` writes
    them, never overwriting one); `muon init` then completes the project around them."""
    import yaml

    from muon.cli.environments import check_region, stack_file, stack_for
    from muon.importers.copilot import convert_directory

    check_region(region)
    if not directory.is_dir():
        raise UsageError(f"{directory}: not a folder (expected a Copilot application's)")
    conversion = convert_directory(directory, tiers)
    header = "# Converted from copilot/ by `muon import copilot`; docs/coming-from-copilot.md: every key.\n"
    output.write_text(header + yaml.safe_dump(conversion.definition, sort_keys=False), encoding="utf-8")
    written, kept = [], []
    for environment in conversion.definition["environments"]:
        target = output.parent / f"Pulumi.{stack_for(environment)}.yaml"
        if target.exists():
            kept.append(target.name)
            continue
        target.write_text(stack_file(region, environment), encoding="utf-8")
        written.append(target.name)
    dropped.extend(conversion.dropped)
    return {
        "written": str(output),
        "stacks": written,
        "kept": kept,
        "dropped": conversion.dropped,
        "notes": conversion.notes,
    }


# -- deployer policy ------------------------------------------------------------------------------


@app.command("deployer-policy")
def deployer_policy_command(
    ctx: typer.Context,
    account: Annotated[str, typer.Option("--account", help="The AWS account the services deploy to.")],
    region: Annotated[str, typer.Option("--region", help="Their region.")] = "us-east-1",
    namespace: Annotated[
        str | None,
        typer.Option("--namespace", help="Default: the definition's namespace, else the project's name."),
    ] = None,
    zone_id: Annotated[
        str, typer.Option("--zone-id", help="The platform's hosted zone, when services have hosts.")
    ] = "*",
) -> None:
    """The IAM policy a service project's deployer needs: its namespace's resources, nothing else."""
    import json

    from muon.deploy.deployer_policy import deployer_policy, uncovered
    from muon.stacks.definition.loader import load_definition
    from muon.stacks.definition.stack_config import project_name

    def action(_state: State) -> dict[str, Any]:
        if not re.fullmatch(r"\d{12}", account):
            raise UsageError(f"--account: expected a 12-digit AWS account id, got '{account}'")
        from muon.cli.project import nearest_project

        project = nearest_project()
        path = project / "muon.yaml"
        definition = load_definition(path) if path.exists() else None
        chosen = namespace or (definition.namespace if definition else None) or project_name(project)
        for what in uncovered(definition) if definition else []:
            print(f"muon: not in this policy: {what}; the platform team deploys it", file=sys.stderr)
        return deployer_policy(chosen, account, region, zone_id=zone_id)

    run(ctx, action, lambda policy: print(json.dumps(policy, indent=2)))


# -- stack operations (the Automation API library) -------------------------------------------------


def _images(values: list[str]) -> dict[str, str]:
    images = {}
    for value in values:
        service, sep, reference = value.partition("=")
        if not sep or not service or not reference:
            raise UsageError(f"--image: expected SERVICE=REPOSITORY@sha256:DIGEST, got '{value}'")
        images[service] = reference
    return images


def _operate(
    ctx: typer.Context,
    operation: str,
    stack: str,
    images: list[str],
    *,
    migrate: bool = False,
    fail_on: str | None = None,
) -> None:
    judged: dict[str, Any] = {}  # the preview's judgement of the data, for the exit status

    def action(state: State) -> dict[str, Any]:
        from muon.automation import Muon
        from muon.deploy.migrate import MigrationError

        config = {"images": _images(images)} if images else None
        muon = Muon(state.project_dir)
        printer = (lambda line: errors.print(line, markup=False)) if ctx.obj.json else print
        if migrate:
            if not muon.migrations(stack):
                raise UsageError(
                    f"--migrate: no stage of pipeline.stages deploying stack '{stack}'s environments has a "
                    "migrate: key"
                )
            try:
                muon.migrate(
                    stack, config, ecs=state.clients("ecs"), logs=state.clients("logs"), on_output=printer
                )
            except MigrationError as error:
                raise RefusedError(str(error)) from None
        method = getattr(muon, operation)
        steps: list[dict[str, Any]] = []
        events = {"on_event": lambda event: _step(event, steps)} if operation == "preview" else {}
        result = method(stack, config=config, on_output=printer, **events)
        done = dataclasses.asdict(result)
        if operation == "preview":  # what the preview replaces or deletes, judged for the data
            judged.update(_judge_preview({"steps": steps}, f"the preview of {stack}", fail_on))
            done["dataChanges"] = judged
        if operation == "up":  # each function's new version goes live through CodeDeploy, as in the pipeline
            from muon.deploy.function_release import ReleaseError, release_functions

            outputs = result.outputs  # the update's own outputs: no second call to Pulumi
            try:
                done["releases"] = [
                    line
                    for environment in (outputs.get("functions") or {})
                    for line in release_functions(
                        outputs,
                        environment,
                        lambda_client=state.clients("lambda"),
                        codedeploy=state.clients("codedeploy"),
                    )
                ]
            except ReleaseError as error:
                raise RefusedError(str(error)) from None
            for line in done["releases"]:
                printer(f"muon: {line}")
        return done

    def human(data: dict[str, Any]) -> None:
        changes = (
            ", ".join(f"{count} {kind}" for kind, count in sorted(data["changes"].items())) or "no changes"
        )
        console.print(
            f"{data['operation']} {data['stack']}: {data['summary']} ({changes}) in {data['seconds']:.0f} s",
            markup=False,
        )
        for line in data.get("dataChanges", {}).get("report", []):
            console.print(line, markup=False, soft_wrap=True)

    run(ctx, action, human)
    _refuse(judged)


ImageOption = Annotated[
    list[str],
    typer.Option("--image", help="SERVICE=REPOSITORY@sha256:DIGEST, set in muon:images first (repeatable)."),
]


@app.command()
def preview(
    ctx: typer.Context,
    stack: str,
    image: ImageOption = [],  # noqa: B006 - typer's list default
    steps: Annotated[
        Path | None,
        typer.Option(
            "--steps",
            help="Judge a saved `pulumi preview --json` instead of running one (no Pulumi CLI needed).",
        ),
    ] = None,
    fail_on: FailOnOption = None,
) -> None:
    """What `pulumi up` would change on STACK (needs the Pulumi CLI and AWS credentials), and what
    it replaces or deletes of the resources that hold data (refused for production)."""
    if steps is None:
        _operate(ctx, "preview", stack, image, fail_on=fail_on)
        return
    import json

    try:
        document = json.loads(steps.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        errors.print(
            f"muon: --steps {steps}: not the output of `pulumi preview --json` ({error})", markup=False
        )
        raise typer.Exit(UsageError.exit_code) from None
    try:
        judged = _judge_preview(document, f"pulumi preview ({steps})", fail_on)
    except UsageError as error:
        errors.print(f"muon: {error}", markup=False)
        raise typer.Exit(error.exit_code) from None
    for line in judged["report"]:
        console.print(line, markup=False, soft_wrap=True)
    _refuse(judged)


def _step(event: Any, steps: list[dict[str, Any]]) -> None:
    from muon.plan.preview import step_of_event

    if getattr(event, "resource_pre_event", None) is not None:
        steps.append(step_of_event(event.resource_pre_event.metadata))


def _judge_preview(document: dict[str, Any], reference: str, fail_on: str | None) -> dict[str, Any]:
    """What ``document``'s steps do to the data: the report's lines, the refusals' and the exit
    status (``plan/diff_report.py``)."""
    import io

    from muon.plan.diff_report import report_changes
    from muon.plan.preview import changes_of_preview

    if fail_on not in (None, "data-loss"):
        raise UsageError(f"--fail-on: expected data-loss, got '{fail_on}'")
    out, err = io.StringIO(), io.StringIO()
    status = report_changes(changes_of_preview(document), reference, fail_on, out, err, offline=False)
    return {"status": status, "report": out.getvalue().splitlines(), "problems": err.getvalue().splitlines()}


def _refuse(judged: dict[str, Any]) -> None:
    """Exit with the refusal's status when the judgement refused (after its report was printed)."""
    if judged.get("status"):
        for line in judged["problems"]:
            errors.print(f"muon: {line}", markup=False)
        raise typer.Exit(RefusedError.exit_code)


@app.command()
def up(
    ctx: typer.Context,
    stack: str,
    image: ImageOption = [],  # noqa: B006
    migrate: Annotated[
        bool,
        typer.Option(
            "--migrate",
            help="First run the migrations of the stack's environments (pipeline.stages[].migrate) as "
            "tasks of the new task definitions; a non-zero exit stops before anything else changes.",
        ),
    ] = False,
) -> None:
    """Deploy STACK, streaming Pulumi's output; with --image, deploy those images."""
    _operate(ctx, "up", stack, image, migrate=migrate)


@app.command()
def refresh(ctx: typer.Context, stack: str) -> None:
    """Read the real state of STACK's resources into Pulumi's state."""
    _operate(ctx, "refresh", stack, [])


@app.command()
def destroy(
    ctx: typer.Context,
    stack: str,
    yes: Annotated[bool, typer.Option("--yes", help="Really delete every resource of the stack.")] = False,
) -> None:
    """Delete every resource of STACK (protected databases and accounts stop it; see docs/operations.md)."""
    if not yes:
        errors.print(
            f"muon: destroying stack '{stack}' deletes its resources; add --yes to do it", markup=False
        )
        raise typer.Exit(1)
    _operate(ctx, "destroy", stack, [])
