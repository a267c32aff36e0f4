"""One compared plan: its optimize summary, the facts about its chips and Site, its KPIs.

An entry is built the same way whether its plan was just solved from an input
workbook or read back from a report (`tco.compare.load`,
`tco.compare.report_reader`): the summary holds the stable JSON keys (DESIGN
3.3), `chips` the per-card figures of the chips its pools use, `site` the
horizon and domestic-share rule. `kpis` derives every compared figure from
these alone, so a report and its input compare equal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tco.costs import registry
from tco.schema.fields import SHARE_BASES

#: Pool kinds whose levelized cost per million tokens the comparison aggregates.
KINDS = ("inference", "training")


@dataclass(frozen=True)
class ChipFacts:
    """What the comparison says about a chip: per card, from the Chips row."""

    chip_id: str
    name: str
    origin: str
    memory_gb: float
    memory_bw_gbs: float
    #: One direction, per card (DESIGN 3.4).
    scaleup_bw_gbs: float


@dataclass(frozen=True)
class SiteFacts:
    horizon_years: int
    discount_rate: float
    min_domestic_share: float
    domestic_share_basis: str


@dataclass
class Entry:
    """One input of `tco compare`: a file name, where the plan came from, its summary."""

    #: The file name as given to compare (the JSON's "input").
    input: str
    #: "input" (solved now) or "report" (read from a tco report).
    source: str
    #: The optimize summary (DESIGN 3.3), "input" and "source" included.
    summary: dict[str, Any]
    chips: dict[str, ChipFacts] = field(default_factory=dict)
    site: SiteFacts | None = None
    #: The exit code `tco optimize` would give this input (DESIGN 3.2).
    exit_code: int = 0
    #: The column title when `short_name` is taken by another entry.
    title: str | None = None

    @property
    def stem(self) -> str:
        return self.input.rsplit(".", 1)[0] if "." in self.input else self.input

    @property
    def short_name(self) -> str:
        """The file name without extension, and without "-report" for a report."""
        return self.stem.removesuffix("-report") if self.source == "report" else self.stem

    @property
    def name(self) -> str:
        """The column title and the plan's name in sentences."""
        return self.title or self.short_name

    @property
    def is_fleet(self) -> bool:
        """A plan bought in tranches over years (its summary has the "years" key)."""
        return bool(self.summary.get("years"))

    @property
    def has_plan(self) -> bool:
        return bool(self.summary.get("plan_found")) and self.summary.get("tco") is not None

    @property
    def pools(self) -> list[dict[str, Any]]:
        return list(self.summary.get("pools") or [])

    @property
    def currency(self) -> str:
        return str(self.summary.get("currency") or "")

    def pools_of(self, workload: str) -> list[dict[str, Any]]:
        return [p for p in self.pools if p["workload"] == workload]


def levelized_per_mtok(pools: Iterable[dict[str, Any]]) -> float | None:
    """Cost per million tokens of several pools together [currency/Mtok].

    Each pool's levelized cost is c_i = TCO_i / M_i, M_i its discounted tokens [Mtok]
    (its target x seconds a year x the annuity for a single purchase; the sum over the
    years of each year's target x seconds x discount factor for a fleet pool,
    `tco.plan.fleet`). Together C = sum TCO_i / sum M_i with M_i = TCO_i / c_i, which for
    a single purchase (one annuity for every pool) is the target-weighted mean
    sum c_i T_i / sum T_i, used when a pool's TCO is not known. None without a target.
    """
    pools = [
        p
        for p in pools
        if p.get("cost_per_million_tokens") is not None and p.get("target_tokens_per_s")
    ]
    costs = [(float(p["tco"]), float(p["cost_per_million_tokens"])) for p in pools if p.get("tco")]
    if pools and len(costs) == len(pools) and all(c > 0 for _, c in costs):
        return math.fsum(t for t, _ in costs) / math.fsum(t / c for t, c in costs)
    weighted = [
        (float(p["cost_per_million_tokens"]), float(p["target_tokens_per_s"])) for p in pools
    ]
    total = math.fsum(t for _, t in weighted)
    if total <= 0:
        return None
    return math.fsum(c * t for c, t in weighted) / total


def per_card(entry: Entry, attribute: str) -> float | None:
    """A chip figure averaged over the plan's cards (card-weighted) [its unit per card]."""
    pairs = [
        (float(getattr(entry.chips[p["chip"]], attribute)), int(p["cards"]))
        for p in entry.pools
        if p["chip"] in entry.chips
    ]
    cards = sum(n for _, n in pairs)
    if cards == 0:
        return None
    return math.fsum(v * n for v, n in pairs) / cards


def opex_present_value(entry: Entry) -> float | None:
    """Discounted opex [currency]: TCO - capex for a single purchase (capex in year 0);
    for a fleet plan sum_y (1 + r)^-y x opex[y] over its operating years (its capex is
    paid in tranches and discounted per year inside the TCO, `tco.model.years`), None
    when its discount rate is unknown."""
    s = entry.summary
    if not entry.is_fleet:
        return float(s["tco"]) - float(s["capex"])
    if entry.site is None:
        return None
    rate = entry.site.discount_rate
    return math.fsum(
        float(y["opex"]) * registry.discount_factor_at(rate, int(y["year"])) for y in s["years"]
    )


def kpis(entry: Entry) -> dict[str, Any]:
    """The figures the comparison puts side by side (the JSON's "compare" key)."""
    if not entry.has_plan:
        return {}
    s = entry.summary
    out: dict[str, Any] = {
        "opex_present_value": opex_present_value(entry),
        "cost_per_million_tokens": {
            kind: levelized_per_mtok(p for p in entry.pools if p.get("kind") == kind)
            for kind in KINDS
        },
        "memory_gb_per_card": per_card(entry, "memory_gb"),
        "memory_bw_gbs_per_card": per_card(entry, "memory_bw_gbs"),
        "scaleup_bw_gbs_per_card": per_card(entry, "scaleup_bw_gbs"),
        "domestic_share": {basis: s.get("domestic_share", {}).get(basis) for basis in SHARE_BASES},
    }
    if entry.site is not None:
        out |= {
            "horizon_years": entry.site.horizon_years,
            "discount_rate": entry.site.discount_rate,
            "min_domestic_share": entry.site.min_domestic_share,
            "domestic_share_basis": entry.site.domestic_share_basis,
        }
    return out


def json_entry(entry: Entry) -> dict[str, Any]:
    """The summary with "input", "source" and the comparison's figures ("compare")."""
    return entry.summary | {
        "input": entry.input,
        "source": entry.source,
        "compare": kpis(entry),
    }
