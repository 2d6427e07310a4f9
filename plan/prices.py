"""muon's price table: AWS list prices per region, and the usage each estimate assumes.

The table ships in the package (``muon/data/prices.json``) with the date it was compiled and the
AWS pricing page behind each figure. A region it does not cover is refused with the regions it
does, never guessed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from muon.stacks.errors import MuonError


@dataclass(frozen=True)
class RegionPrices:
    region: str
    values: dict[str, Any]
    hours_per_month: float
    spot_discount: float
    compiled: str

    def __getitem__(self, key: str) -> float:
        return float(self.values[key])

    def rate(self, table: str, kind: str) -> float | None:
        """The price of ``kind`` (an instance type or class, a build compute type) in ``table`` —
        per hour or per minute, as the table's name says — if listed."""
        price = self.values[table].get(kind)
        return None if price is None else float(price)


@cache
def table() -> dict[str, Any]:
    return json.loads((files("muon") / "data" / "prices.json").read_text(encoding="utf-8"))


def priced_regions() -> tuple[str, ...]:
    return tuple(sorted(table()["regions"]))


def prices_for(region: str) -> RegionPrices:
    data = table()
    if region not in data["regions"]:
        raise MuonError(
            f"no prices for region '{region}' in muon's price table; it has: {', '.join(priced_regions())}"
        )
    return RegionPrices(
        region=region,
        values=data["regions"][region],
        hours_per_month=float(data["hoursPerMonth"]),
        spot_discount=float(data["fargateSpotDiscount"]),
        compiled=data["compiled"],
    )


def usage_for(profile: str) -> dict[str, Any]:
    """The stated usage of a tier (development, production) or of the delivery stack."""
    return table()["usage"][profile]
