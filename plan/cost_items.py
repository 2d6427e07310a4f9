"""What a cost estimate is made of: line items, the estimate, and what a pricer sees."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from muon.plan.offline import RenderedResource
from muon.plan.prices import RegionPrices, usage_for

DELIVERY = "delivery"
"""The group of what belongs to no environment: the delivery stack's resources."""


@dataclass(frozen=True)
class LineItem:
    group: str
    """The environment it belongs to, or ``delivery`` for the delivery stack's resources."""
    item: str
    resource: str
    monthly: float
    """USD per month."""
    arithmetic: str
    assumption: str = ""

    def document(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "item": self.item,
            "resource": self.resource,
            "usdPerMonth": round(self.monthly, 2),
            "arithmetic": self.arithmetic,
            "assumption": self.assumption,
        }


@dataclass(frozen=True)
class Estimate:
    region: str
    compiled: str
    lines: tuple[LineItem, ...]
    tiers: dict[str, str]
    unpriced: tuple[str, ...] = ()
    notes: dict[str, list[str]] = field(default_factory=dict)

    def total(self, group: str | None = None) -> float:
        return sum(line.monthly for line in self.lines if group is None or line.group == group)

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(line.group for line in self.lines))

    def document(self) -> dict[str, Any]:
        return {
            "currency": "USD",
            "unit": "USD per month",
            "region": self.region,
            "pricesCompiled": self.compiled,
            "groups": {
                group: {
                    "tier": self.tiers.get(group, DELIVERY),
                    "usage": usage_for(self.tiers.get(group, DELIVERY)),
                    "usdPerMonth": round(self.total(group), 2),
                    "notes": self.notes.get(group, []),
                }
                for group in self.groups
            },
            "lines": [line.document() for line in self.lines],
            "usdPerMonth": round(self.total(), 2),
            "unpriced": list(self.unpriced),
        }


def money(value: float) -> str:
    return f"${value:,.2f}"


@dataclass
class PricingContext:
    prices: RegionPrices
    by_id: dict[str, RenderedResource]
    by_arn: dict[str, RenderedResource]
    group_of: dict[str, str]
    tiers: dict[str, str]
    members: dict[str, list[RenderedResource]]

    def usage(self, resource: RenderedResource) -> dict[str, Any]:
        return usage_for(self.tiers.get(self.group_of[resource.urn], DELIVERY))

    @property
    def hours(self) -> float:
        return self.prices.hours_per_month

    def hourly_line(
        self, resource: RenderedResource, item: str, rate: float, count: float = 1, unit: str = "h"
    ) -> LineItem:
        monthly = count * rate * self.hours
        times = f"{count:g} x " if count != 1 else ""
        return LineItem(
            self.group_of[resource.urn],
            item,
            resource.name,
            monthly,
            f"{times}{self.hours:g} h x ${rate:g}/{unit}",
        )


Pricer = Callable[[RenderedResource, PricingContext], Iterator[LineItem]]
