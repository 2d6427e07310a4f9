"""The offline plan: what ``pulumi up`` would create for a stack, with no AWS account or CLI.

    python -m muon.plan dev                 # tree of components and resources, counts by type
    python -m muon.plan prod --json plan.json   # also the graph, inputs with secrets masked
    python -m muon.plan prod --timeline         # also the modeled first-deploy time
    python -m muon.plan dev --cost              # also the monthly cost estimate
    python -m muon.plan dev --quotas            # also what it uses of each AWS quota

It runs the real program (``stacks/compose.py``) under Pulumi mocks with the stack's own
``Pulumi.<stack>.yaml``; account, region and zones are stand-ins (see ``plan/offline.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, NoReturn, TextIO

from muon.plan.cost import estimate
from muon.plan.cost_items import Estimate, LineItem, money
from muon.plan.offline import RenderedResource, Rendering, close_event_loop, render
from muon.plan.prices import prices_for, usage_for
from muon.plan.quotas import Usage, assess, findings, fullest
from muon.plan.quotas import document as quotas_document
from muon.plan.timeline import Timeline, minutes, model
from muon.stacks.definition.settings import project_name, read_stack_file
from muon.stacks.errors import MuonError


def render_stack(
    stack: str, project_dir: Path | None = None, config: dict[str, str] | None = None
) -> Rendering:
    """Render ``Pulumi.<stack>.yaml`` of the project in ``project_dir`` (default: the working
    directory); ``config``: Pulumi's flat config map instead of the stack file's."""
    # imported late: they load pulumi_aws, ~1 s
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
) -> dict[str, Any]:
    """The plan as data: deterministic, secrets masked; with the modeled deploy time, the
    monthly cost and the quota use if given."""
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
        document["quotas"] = quotas_document(quotas)
    return document


def print_tree(rendering: Rendering, out: TextIO) -> None:
    children: dict[str, list[RenderedResource]] = {}
    for resource in rendering.resources:
        children.setdefault(resource.parent, []).append(resource)
    urns = {r.urn for r in rendering.resources}
    roots = [r for r in rendering.resources if r.parent not in urns]

    def walk(resource: RenderedResource, prefix: str, last: bool) -> None:
        branch = "└─ " if last else "├─ "
        flags = " [protected]" if resource.protect else ""
        out.write(f"{prefix}{branch}{resource.type}  {resource.name}{flags}\n")
        kids = sorted(children.get(resource.urn, []), key=lambda r: (r.custom, r.type, r.name))
        for index, kid in enumerate(kids):
            walk(kid, prefix + ("   " if last else "│  "), index == len(kids) - 1)

    for index, root in enumerate(roots):
        walk(root, "", index == len(roots) - 1)


def print_counts(rendering: Rendering, out: TextIO) -> None:
    counts = Counter(r.type for r in rendering.custom_resources)
    components = len(rendering.resources) - len(rendering.custom_resources)
    width = max((len(t) for t in counts), default=0)
    out.write(f"\n{len(rendering.custom_resources)} resources in {components} components:\n")
    for type_token, count in sorted(counts.items()):
        out.write(f"  {type_token:<{width}}  {count}\n")


def print_warnings(rendering: Rendering, out: TextIO) -> None:
    if rendering.warnings:
        out.write(f"\nWarnings ({len(rendering.warnings)}):\n")
        for warning in rendering.warnings:
            out.write(f"  {warning}\n")


def print_compliance(rendering: Rendering, out: TextIO) -> None:
    from muon.policy.levels import assess

    assessed, excepted = assess(rendering.custom_resources)
    mandatory = sum(1 for a in assessed if a.level == "mandatory")
    out.write(
        f"\nCompliance (FSBP/Checkov controls, docs/compliance.md): {len(assessed)} open "
        f"({mandatory} mandatory, {len(assessed) - mandatory} advisory: development), "
        f"{len(excepted)} documented exceptions (policy/exceptions.py); the same rules and levels "
        "as the CrossGuard pack policy/pack\n"
    )
    for item in assessed:
        out.write(f"  open  {item.level:<9} {item.finding}\n")
    for finding, _ in excepted:
        out.write(f"  except {finding}\n")


def print_quotas(usages: list[Usage], out: TextIO) -> None:
    out.write(
        "\nAWS quotas (default values, plan/quotas.py; per holder, the fullest one shown). Shared quotas"
        " count this stack's share only: the account's current use is not read (offline):\n"
    )
    for usage in fullest(usages):
        quota = usage.quota
        raise_ = "raisable" if quota.adjustable else "fixed"
        shared = ", shared by the account" if quota.shared else ""
        holder = quota.per if usage.holder == quota.per else f"{quota.per}: {usage.holder}"
        out.write(
            f"  {usage.used:>7,} / {quota.default:<9,} {usage.share:>4.0%}  {quota.name} "
            f"[{holder}; {raise_}{shared}]  ({quota.source})\n"
        )


def print_timeline(timeline: Timeline, out: TextIO) -> None:
    out.write(
        f"\nModeled first deploy: {minutes(timeline.total_seconds)} — the longest dependency chain,"
        " each resource at its type's typical creation time (plan/timeline.py):\n"
    )
    for step in timeline.critical_path:
        out.write(
            f"  +{minutes(step.starts_at):>12}  {step.seconds:>5.0f} s  {step.type}  {step.name}\n"
            f"  {'':>13}  {'':>7}  ({step.basis})\n"
        )


def print_cost(cost: Estimate, out: TextIO) -> None:
    out.write(
        f"\nEstimated monthly cost in {cost.region}: {money(cost.total())} — list prices compiled "
        f"{cost.compiled} (muon/data/prices.json), at the usage stated beside each line:\n"
    )
    for group in cost.groups:
        tier = cost.tiers.get(group, "delivery")
        out.write(f"\n  {group} ({tier}: {usage_for(tier)['about']}): {money(cost.total(group))}\n")
        for note in cost.notes.get(group, []):
            out.write(f"    {note}\n")
        # Identical lines (ten alarms at the same price) print once, with their count.
        alike: dict[tuple[str, str, str], list[LineItem]] = {}
        for line in (x for x in cost.lines if x.group == group):
            alike.setdefault((line.item, line.arithmetic, line.assumption), []).append(line)
        for (item, arithmetic, assumption), lines in sorted(
            alike.items(), key=lambda kv: -sum(x.monthly for x in kv[1])
        ):
            count = f"{len(lines)} x " if len(lines) > 1 else ""
            where = lines[0].resource + (f" and {len(lines) - 1} more" if len(lines) > 1 else "")
            out.write(f"    {money(sum(x.monthly for x in lines)):>10}  {count}{item}  [{where}]\n")
            out.write(f"    {'':>10}    {count}({arithmetic})" if count else f"    {'':>10}    {arithmetic}")
            out.write(f"; assumes {assumption}\n" if assumption else "\n")
    if not cost.lines:
        out.write("\n  Nothing in this stack is charged by AWS.\n")
    if cost.unpriced:
        out.write(f"\n  Not priced (no entry in muon's table): {', '.join(cost.unpriced)}\n")


class _UsageError(Exception):
    pass


class _OneLineParser(argparse.ArgumentParser):
    """A bad command line is one line on stderr and exit 2, like every other bad input."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def main(
    argv: list[str] | None = None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    *,
    standalone: bool = False,
    project_dir: Path | None = None,
) -> int:
    """``standalone``: this process exits afterwards (``python -m``, the ``muon plan`` command);
    ``project_dir``: the project (default: the working directory)."""
    parser = _OneLineParser(
        prog="python -m muon.plan",
        description="Show what `pulumi up` would create for a stack, offline (Pulumi mocks).",
    )
    parser.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml (dev, prod, ...)")
    parser.add_argument("--json", metavar="FILE", help="also write the resource graph as JSON")
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
        help="also print what the stack uses of each AWS quota (it always warns at 80%% and refuses at a "
        "full quota AWS cannot raise)",
    )
    try:
        args = parser.parse_args(argv)
    except _UsageError as error:
        err.write(f"error: {error} (see: python -m muon.plan --help)\n")
        return 2
    cost = None
    try:
        config = read_stack_file((project_dir or Path.cwd()).resolve(), args.stack)
        if args.cost:  # an unpriced region is refused before anything is rendered
            prices_for(config.get("aws:region", "us-east-1"))
        rendering = render_stack(args.stack, project_dir, config)
        if args.cost:
            cost = cost_estimate(args.stack, rendering, project_dir, config)
    except MuonError as error:
        err.write(f"error: {error}\n")
        return 2
    finally:
        if standalone:
            close_event_loop()
    out.write(f"Offline plan of stack '{args.stack}' (Pulumi mocks; nothing was deployed)\n\n")
    if not args.quiet:
        print_tree(rendering, out)
    print_counts(rendering, out)
    print_warnings(rendering, out)
    print_compliance(rendering, out)
    usages = assess(rendering)
    refusals, quota_warnings = findings(usages)
    if quota_warnings:
        out.write(f"\nQuota warnings ({len(quota_warnings)}):\n")
        for warning in quota_warnings:
            out.write(f"  {warning}\n")
    if args.quotas:
        print_quotas(usages, out)
    timeline = model(rendering) if args.timeline else None
    if timeline is not None:
        print_timeline(timeline, out)
    if cost is not None:
        print_cost(cost, out)
    if args.json:
        document = plan_document(args.stack, rendering, timeline, cost, usages if args.quotas else None)
        Path(args.json).write_text(
            json.dumps(document, indent=2, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        out.write(f"\nwrote {args.json}\n")
    for refusal in refusals[:1]:  # one line: the first full quota; --quotas shows the rest
        err.write(f"error: {refusal}\n")
    return 2 if refusals else 0


if __name__ == "__main__":
    sys.exit(main(standalone=True))
