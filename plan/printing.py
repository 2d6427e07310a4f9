"""The offline plan as text: tree, counts, warnings, compliance, modeled deploy time, cost."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, TextIO

from muon.plan.prices import usage_for

if TYPE_CHECKING:  # the modules themselves load Pulumi: imported by the plan once it renders
    from muon.plan.cost_items import Estimate, LineItem
    from muon.plan.gate import Gate
    from muon.plan.offline import RenderedResource, Rendering
    from muon.plan.quotas import Usage
    from muon.plan.timeline import Timeline


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


def print_compliance(found: Gate, out: TextIO) -> None:
    mandatory, advisory = found.count("mandatory"), found.count("advisory")
    out.write(
        f"\nCompliance (FSBP/Checkov controls, docs/compliance.md): {len(found.findings)} open "
        f"({mandatory} mandatory, {advisory} advisory: development), "
        f"{len(found.exceptions)} documented exceptions (policy/exceptions.py); the same rules and levels "
        "as the CrossGuard pack `muon policy-pack` writes\n"
    )
    for item in found.findings:
        out.write(f"  open  {item['level']:<9} {item['control']} {item['resource']}: {item['message']}\n")
    for item in found.exceptions:
        out.write(f"  except {item['control']} {item['resource']}: {item['message']}\n")


def print_quotas(usages: list[Usage], out: TextIO) -> None:
    from muon.plan.quotas import account_note, fullest

    out.write(
        "\nAWS quotas (default or applied values, plan/quotas.py; per holder, the fullest one shown). "
        f"Shared quotas: {account_note(usages)}\n"
    )
    for usage in fullest(usages):
        quota = usage.quota
        raise_ = "raisable" if quota.adjustable else "fixed"
        shared = ", shared by the account" if quota.shared else ""
        holder = quota.per if usage.holder == quota.per else f"{quota.per}: {usage.holder}"
        out.write(
            f"  {usage.combined:>7,} / {usage.allowed:<9,} {usage.share:>4.0%}  {quota.name} "
            f"[{holder}; {raise_}{shared}]  ({quota.source})\n"
        )
        if quota.shared and usage.existing is not None:
            mine = f", {usage.deployed:,} of them this stack's" if usage.deployed else ""
            out.write(
                f"  {'':>23}this stack {usage.used:,}; the account now {usage.existing:,}{mine}; "
                f"combined {usage.combined:,}\n"
            )
        elif quota.shared:
            out.write(f"  {'':>23}this stack {usage.used:,}; the account not read: {usage.not_read}\n")
        if usage.limit_note:
            out.write(f"  {'':>23}{usage.limit_note}\n")


def print_timeline(timeline: Timeline, out: TextIO) -> None:
    from muon.plan.timeline import minutes

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
    from muon.plan.cost_items import money

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
