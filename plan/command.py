"""The offline plan: what ``pulumi up`` would create for a stack, with no AWS account or CLI.

    python -m muon.plan dev                 # tree of components and resources, counts by type
    python -m muon.plan prod --json plan.json   # also the graph, inputs with secrets masked
    python -m muon.plan prod --timeline         # also the modeled first-deploy time
    python -m muon.plan dev --cost              # also the monthly cost estimate
    python -m muon.plan dev --quotas            # also what it uses of each AWS quota (and, with
                                                # credentials, what the account uses of the shared ones)
    python -m muon.plan prod --diff main        # also what the change since main creates, replaces, deletes
    python -m muon.plan prod --json - --fail-on mandatory   # CI: the JSON on stdout, exit 1 on a
                                                            # mandatory compliance finding

``muon plan`` is this command (the same parser, the same flags). The stack file and the definition
are checked before Pulumi is imported, so a definition error answers at once.

It runs the real program (``stacks/compose.py``) under Pulumi mocks with the stack's own
``Pulumi.<stack>.yaml``; account, region and zones are stand-ins (see ``plan/offline.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from muon.plan.gate import EXIT_GATE, FAIL_ON, Gate
from muon.stacks.definition.stack_config import project_name, read_stack_file
from muon.stacks.errors import MuonError

if TYPE_CHECKING:  # they load Pulumi (~1 s): imported once the definition is known to be valid
    from muon.plan.cost_items import Estimate
    from muon.plan.diff import Resource
    from muon.plan.offline import Rendering
    from muon.plan.quotas import Usage
    from muon.plan.timeline import Timeline
    from muon.stacks.account_use import AccountUse


def render_stack(
    stack: str, project_dir: Path | None = None, config: dict[str, str] | None = None
) -> Rendering:
    """Render ``Pulumi.<stack>.yaml`` of the project in ``project_dir`` (default: the working
    directory); ``config``: Pulumi's flat config map instead of the stack file's."""
    # imported late: they load pulumi_aws, ~1 s
    from muon.plan.offline import render
    from muon.stacks import compose as program
    from muon.stacks.resolve import stack as preparation

    project_dir = (project_dir or Path.cwd()).resolve()
    config = read_stack_file(project_dir, stack) if config is None else config
    previous, preparation.PROJECT_DIR = preparation.PROJECT_DIR, project_dir
    try:
        return render(program.run, config=config, stack=stack, project=project_name(project_dir))
    finally:
        preparation.PROJECT_DIR = previous


STAND_IN_IMAGE = "123456789012.dkr.ecr.{region}.amazonaws.com/muon/{service}:cost-estimate"


def priced_rendering(
    stack: str, rendering: Rendering, project_dir: Path | None, config: dict[str, str]
) -> Rendering:
    """The rendering to price: services still waiting for their first image are rendered again
    with a stand-in image, so that they are priced at their minimum task count, as they will run."""
    waiting = {
        service
        for services in (rendering.outputs.get("services") or {}).values()
        for service, outputs in services.items()
        if str(outputs.get("image", "")).startswith("muon.invalid/")
    }
    if not waiting:
        return rendering
    region = config.get("aws:region", "us-east-1")
    images = json.loads(config.get("muon:images", "{}"))
    images.update({s: STAND_IN_IMAGE.format(region=region, service=s) for s in sorted(waiting)})
    return render_stack(stack, project_dir, {**config, "muon:images": json.dumps(images)})


def cost_estimate(
    stack: str, rendering: Rendering, project_dir: Path | None = None, config: dict[str, str] | None = None
) -> Estimate:
    """The monthly cost of ``stack`` at its region's list prices (MuonError: no prices there);
    ``config``: the flat config ``rendering`` was made with (default: the stack file's)."""
    from muon.plan.cost import estimate
    from muon.plan.prices import prices_for  # its data file: not before a definition error

    if config is None:
        config = read_stack_file((project_dir or Path.cwd()).resolve(), stack)
    region = config.get("aws:region", "us-east-1")
    prices_for(region)  # refuse an unpriced region before rendering again
    return estimate(priced_rendering(stack, rendering, project_dir, config), region)


def plan_document(
    stack: str,
    rendering: Rendering,
    timeline: Timeline | None = None,
    cost: Estimate | None = None,
    quotas: list[Usage] | None = None,
    gate: Gate | None = None,
) -> dict[str, Any]:
    """The plan as data: deterministic, secrets masked; with the modeled deploy time, the monthly
    cost and the quota use if given, and what CI gates on (findings with their levels, exceptions,
    warnings)."""
    from muon.plan.diff import computed_outputs

    document: dict[str, Any] = {
        "stack": stack,
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent,
                "custom": r.custom,
                "protect": r.protect,
                "retainOnDelete": r.retain_on_delete,
                "deleteBeforeReplace": r.delete_before_replace,
                "movedFrom": list(r.moved_from),
                "computed": computed_outputs(r.state, r.inputs),
                "propertyDependencies": {k: list(v) for k, v in r.property_dependencies.items()},
                "ignoreChanges": list(r.ignore_changes),
                "dependsOn": list(r.dependencies),
                "inputs": r.masked_inputs,
            }
            for r in rendering.resources
        ],
        "counts": dict(sorted(Counter(r.type for r in rendering.custom_resources).items())),
        "outputs": rendering.outputs,
    }
    if timeline is not None:
        document["timeline"] = timeline.document()
    if cost is not None:
        document["cost"] = cost.document()
    if quotas is not None:
        from muon.plan.quotas import document as quotas_document

        document["quotas"] = quotas_document(quotas)
    if gate is not None:
        document.update(gate.document())
    return document


class _UsageError(Exception):
    pass


class _OneLineParser(argparse.ArgumentParser):
    """A bad command line is one line on stderr and exit 2, like every other bad input."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def parser(prog: str = "python -m muon.plan") -> argparse.ArgumentParser:
    """The plan's command line: the same for ``python -m muon.plan`` and ``muon plan``."""
    parser = _OneLineParser(
        prog=prog,
        description="Show what `pulumi up` would create for a stack, offline (Pulumi mocks). Exit status: "
        "0 planned (whatever it found, unless --fail-on), 1 --fail-on's findings, 2 bad input.",
    )
    parser.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml (dev, prod, ...)")
    parser.add_argument(
        "--json",
        metavar="FILE",
        help="also write the plan as JSON (the graph, findings with their levels, exceptions, warnings); "
        "'-': to standard output, the text report going to standard error",
    )
    parser.add_argument("--json-file", dest="json", help=argparse.SUPPRESS)  # muon plan's former name
    parser.add_argument("--quiet", action="store_true", help="counts only, no tree")
    parser.add_argument(
        "--timeline",
        action="store_true",
        help="also model the first deploy's duration: the critical path of the dependency graph",
    )
    parser.add_argument(
        "--cost",
        action="store_true",
        help="also estimate the monthly cost per environment, at the region's list prices",
    )
    parser.add_argument(
        "--quotas",
        action="store_true",
        help="also print what the stack uses of each AWS quota, and of those the account shares, what "
        "the account uses now when AWS credentials for it are at hand (it always warns at 80%% and refuses "
        "at a full quota AWS cannot raise)",
    )
    parser.add_argument(
        "--diff",
        metavar="REF",
        help="also compare with the stack at a git ref (or a plan file written by --json): what the "
        "change creates, updates, replaces and deletes; a change that loses production data is refused "
        "(exit 1)",
    )
    parser.add_argument(
        "--fail-on",
        choices=(*FAIL_ON, "data-loss"),
        help="exit 1 on a mandatory compliance finding (production, delivery), or with 'warning' on a "
        "plan warning too; advisory (development) findings never fail; with --diff, 'data-loss': when a "
        "resource that holds data would be replaced or deleted; default: exit 0",
    )
    return parser


def check_definition(stack: str, project_dir: Path | None, config: dict[str, str]) -> None:
    """The stack's settings and its definition, read and checked before Pulumi is imported: a
    definition error answers in the time it takes to read YAML (the render repeats these checks,
    with the same messages)."""
    from muon.stacks.definition.shape import check_stack_shape

    stack_source = f"Pulumi.{stack}.yaml"
    directory = (project_dir or Path.cwd()).resolve()
    data = check_stack_shape(config, directory, stack_source)  # the common mistakes, before any model

    from muon.plan.quick import without_plugin_scan
    from muon.stacks.definition.loader import definition_from_data, load_definition
    from muon.stacks.definition.settings import check_selection, organization_only, settings_from_config

    with without_plugin_scan():
        settings = settings_from_config(config, stack_source)
        if organization_only(settings):
            return
        if data is not None:  # read by the shape check: the same file, the same path
            definition = definition_from_data(data, settings.definition)
        else:
            definition = load_definition(
                directory / settings.definition, f"{stack_source}: muon:definition", settings.definition
            )
        check_selection(settings, definition, stack_source, settings.definition)


def main(
    argv: list[str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    *,
    standalone: bool = False,
    project_dir: Path | None = None,
    prog: str = "python -m muon.plan",
) -> int:
    """``standalone``: this process exits afterwards (``python -m``, the ``muon plan`` command);
    ``project_dir``: the project (default: the working directory); ``prog``: the name in messages;
    ``out``/``err``: default the standard streams of the moment (not of the import)."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        args = parser(prog).parse_args(argv)
    except _UsageError as error:
        err.write(f"error: {error} (see: {prog} --help)\n")
        return 2
    if args.fail_on == "data-loss" and not args.diff:
        err.write(f"error: --fail-on data-loss needs --diff REF (see: {prog} --help)\n")
        return 2
    to_stdout = args.json == "-"
    text = err if to_stdout else out  # standard output holds the JSON alone
    earlier = None
    try:
        config = read_stack_file((project_dir or Path.cwd()).resolve(), args.stack)
        check_definition(args.stack, project_dir, config)
        if args.diff:  # the earlier side first: a bad reference stops before the long render
            from muon.plan import diff_source

            earlier = diff_source.before(args.diff, args.stack, (project_dir or Path.cwd()).resolve())
        if args.cost:  # an unpriced region is refused before anything is rendered
            from muon.plan.prices import prices_for

            prices_for(config.get("aws:region", "us-east-1"))
        rendering, cost = _render(args.stack, project_dir, config, args.cost, standalone)
    except MuonError as error:
        err.write(f"error: {error}\n")
        return 2
    account = None
    if args.quotas:  # the account's current use of the shared quotas, with the stack's credentials
        from muon.plan.quotas_account import account_use

        project = project_name((project_dir or Path.cwd()).resolve())
        account = account_use(rendering, project, args.stack, config)
    return _report(args, rendering, cost, text, out if to_stdout else None, err, earlier, account)


def _render(
    stack: str, project_dir: Path | None, config: dict[str, str], cost: bool, standalone: bool
) -> tuple[Rendering, Estimate | None]:
    from muon.plan.offline import close_event_loop

    try:
        rendering = render_stack(stack, project_dir, config)
        return rendering, cost_estimate(stack, rendering, project_dir, config) if cost else None
    finally:
        if standalone:
            close_event_loop()


def _report(
    args: argparse.Namespace,
    rendering: Rendering,
    cost: Estimate | None,
    text: TextIO,
    json_out: TextIO | None,
    err: TextIO,
    earlier: tuple[list[Resource], str] | None = None,
    account: AccountUse | None = None,
) -> int:
    from muon.plan.diff import compare, resources_of
    from muon.plan.diff_report import print_moves, report_changes
    from muon.plan.gate import gate
    from muon.plan.printing import (
        print_compliance,
        print_cost,
        print_counts,
        print_quotas,
        print_timeline,
        print_tree,
        print_warnings,
    )
    from muon.plan.quotas import assess, findings
    from muon.plan.timeline import model

    usages = assess(rendering)
    if account is not None:
        from muon.plan.quotas_account import with_account

        usages = with_account(usages, account)
    refusals, quota_warnings = findings(usages)
    found = gate(rendering, quota_warnings)
    text.write(f"Offline plan of stack '{args.stack}' (Pulumi mocks; nothing was deployed)\n\n")
    if not args.quiet:
        print_tree(rendering, text)
    print_counts(rendering, text)
    print_warnings(rendering, text)
    print_moves(rendering, text)
    print_compliance(found, text)
    if quota_warnings:
        text.write(f"\nQuota warnings ({len(quota_warnings)}):\n")
        for warning in quota_warnings:
            text.write(f"  {warning}\n")
    if args.quotas:
        print_quotas(usages, text)
    timeline = model(rendering) if args.timeline else None
    if timeline is not None:
        print_timeline(timeline, text)
    if cost is not None:
        print_cost(cost, text)
    diff_status = 0
    if earlier is not None:  # what the change does to the data (plan/diff_report.py)
        changes = compare(earlier[0], resources_of(rendering))
        diff_status = report_changes(changes, earlier[1], args.fail_on, text, err)
    if args.json:
        quotas = usages if args.quotas else None
        document = json.dumps(
            plan_document(args.stack, rendering, timeline, cost, quotas, found), indent=2, sort_keys=True
        )
        if json_out is not None:
            json_out.write(document + "\n")
        else:
            try:
                Path(args.json).write_text(document + "\n", encoding="utf-8")
            except OSError as error:
                err.write(f"error: --json: cannot write {args.json}: {error.strerror}\n")
                return 2
            text.write(f"\nwrote {args.json}\n")
    for refusal in refusals[:1]:  # one line: the first full quota; --quotas shows the rest
        err.write(f"error: {refusal}\n")
        return 2
    if diff_status:
        return diff_status
    failures = found.failures(None if args.fail_on == "data-loss" else args.fail_on)
    if failures:
        err.write(f"error: --fail-on {args.fail_on}: {', '.join(failures)} (listed above)\n")
        return EXIT_GATE
    return 0


if __name__ == "__main__":
    sys.exit(main(standalone=True))
