"""The rows of the comparison, declared once for the workbook and the terminal.

Each row names a figure of an entry (`tco.compare.entry`): its label, unit,
Excel number format, how the terminal prints it, and whether a relative
difference against the first plan means something (money, power, counts; not
shares or text). Rows with `formula` are computed in the workbook from the
rows they name, so the sheet stays live.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tco.compare.entry import Entry, kpis, levelized_per_mtok
from tco.report.cells import COUNT, MONEY, MW, PER_MTOK, PERCENT
from tco.schema.fields import SHARE_BASES

KW_PER_MW = 1000.0


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    #: "{cur}" stands for the currency.
    unit: str
    value: Callable[[Entry], Any]
    #: Excel number format; None for text.
    fmt: str | None = None
    #: Python format spec for the terminal.
    text: str = ",.0f"
    #: A "vs first" column shows value / first - 1.
    relative: bool = True
    #: (minuend key, subtrahend key): the workbook writes minuend - subtrahend.
    formula: tuple[str, str] | None = None
    #: The label on the terminal's one-screen table; None leaves the row out of it.
    short: str | None = None


def _summary(key: str, scale: float = 1.0) -> Callable[[Entry], Any]:
    def get(entry: Entry) -> Any:
        value = entry.summary.get(key)
        return None if value is None or not entry.has_plan else float(value) * scale

    return get


def _kpi(*path: str) -> Callable[[Entry], Any]:
    def get(entry: Entry) -> Any:
        value: Any = kpis(entry)
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    return get


def _status(entry: Entry) -> str:
    status = str(entry.summary.get("status"))
    gap = entry.summary.get("mip_gap")
    if status == "feasible" and entry.has_plan and gap is not None:
        return f"feasible, gap {float(gap):.2%}"
    if entry.summary.get("interrupted"):
        return "interrupted"
    return status


def _source(entry: Entry) -> str:
    return "solved" if entry.source == "input" else "read from report"


def _capex_hardware(entry: Entry) -> Any:
    capex, migration = _summary("capex")(entry), _summary("migration")(entry)
    return None if capex is None else capex - (migration or 0.0)


def _shares(entry: Entry, basis: str) -> Any:
    return _kpi("domestic_share", basis)(entry)


def _asked(entry: Entry) -> Any:
    site = entry.site
    if site is None or not entry.has_plan:
        return None
    return f"{site.min_domestic_share:.0%} of {site.domestic_share_basis}"


_SHARE_LABELS = {"cards": "cards", "compute": "BF16 compute", "spend": "spend"}

FIGURES: tuple[Figure, ...] = (
    Figure("input", "Input file", "", lambda e: e.input, relative=False),
    Figure("source", "Plan", "", _source, relative=False),
    Figure("status", "Solver status", "", _status, relative=False, short="status"),
    Figure("tco", "TCO, discounted", "{cur}", _summary("tco"), MONEY, short="TCO [{cur}]"),
    Figure("tco_nominal", "TCO, nominal", "{cur}", _summary("tco_nominal"), MONEY),
    Figure(
        "capex",
        "Capex (incl. software migration)",
        "{cur}",
        _summary("capex"),
        MONEY,
        short="capex [{cur}]",
    ),
    Figure(
        "migration",
        "of which software migration",
        "{cur}",
        _summary("migration"),
        MONEY,
        short="  of which migration",
    ),
    Figure(
        "capex_hardware",
        "Capex without migration",
        "{cur}",
        _capex_hardware,
        MONEY,
        formula=("capex", "migration"),
    ),
    Figure(
        "opex_per_year",
        "Opex per year",
        "{cur}/yr",
        _summary("opex_per_year"),
        MONEY,
        short="opex [{cur}/yr]",
    ),
    Figure(
        "opex_pv",
        "Opex, present value",
        "{cur}",
        _kpi("opex_present_value"),
        MONEY,
        formula=("tco", "capex"),
    ),
    Figure(
        "per_mtok_inference",
        "Cost per million tokens, inference pools",
        "{cur}/Mtok",
        _kpi("cost_per_million_tokens", "inference"),
        PER_MTOK,
        ",.3f",
        short="inference [{cur}/Mtok]",
    ),
    Figure(
        "per_mtok_training",
        "Cost per million tokens, training pools",
        "{cur}/Mtok",
        _kpi("cost_per_million_tokens", "training"),
        PER_MTOK,
        ",.3f",
        short="training [{cur}/Mtok]",
    ),
    Figure("it_mw", "IT power (peak)", "MW", _summary("it_power_kw", 1 / KW_PER_MW), MW, ",.2f"),
    Figure(
        "facility_mw",
        "Facility power (IT x PUE)",
        "MW",
        _summary("facility_power_kw", 1 / KW_PER_MW),
        MW,
        ",.2f",
        short="facility [MW]",
    ),
    Figure("racks", "Racks", "racks", _summary("racks"), COUNT, short="racks"),
    Figure("cards", "Accelerator cards", "cards", _summary("cards"), COUNT, short="cards"),
    Figure(
        "domestic_cards",
        "Domestic cards",
        "cards",
        _summary("domestic_cards"),
        COUNT,
        short="  of which domestic",
    ),
    *(
        Figure(
            f"share_{basis}",
            f"Domestic share of {_SHARE_LABELS[basis]}",
            "fraction",
            functools.partial(_shares, basis=basis),
            PERCENT,
            ".1%",
            relative=False,
        )
        for basis in SHARE_BASES
    ),
    Figure(
        "share_asked",
        "Domestic share asked (Site)",
        "",
        _asked,
        relative=False,
        short="domestic share asked",
    ),
    Figure(
        "scaleup",
        "Scale-up bandwidth per card (card-weighted)",
        "GB/s",
        _kpi("scaleup_bw_gbs_per_card"),
        COUNT,
        short="scale-up [GB/s per card]",
    ),
    Figure(
        "hbm",
        "Memory per card (card-weighted)",
        "GB",
        _kpi("memory_gb_per_card"),
        COUNT,
        short="memory [GB per card]",
    ),
    Figure(
        "hbm_bw",
        "Memory bandwidth per card (card-weighted)",
        "GB/s",
        _kpi("memory_bw_gbs_per_card"),
        COUNT,
    ),
)
FIGURES_BY_KEY = {f.key: f for f in FIGURES}


def workloads(entries: Sequence[Entry]) -> list[str]:
    """Every workload of the plans, in first-seen order."""
    seen: dict[str, None] = {}
    for entry in entries:
        for pool in entry.pools:
            seen.setdefault(pool["workload"], None)
    return list(seen)


def decision(entry: Entry, workload: str, full: bool = True) -> str | None:
    """'ascend-910c x 1,152, roce-200g, immersion' per pool of the workload (`full`), or
    'ascend-910c x 1,152'."""
    parts = [
        f"{p['chip']} x {int(p['cards']):,}" + (f", {p['fabric']}, {p['cooling']}" if full else "")
        for p in entry.pools_of(workload)
    ]
    return "; ".join(parts) or None


def workload_per_mtok(entry: Entry, workload: str) -> float | None:
    pools = entry.pools_of(workload)
    return levelized_per_mtok(pools) if pools else None


def workload_figures(names: Sequence[str]) -> tuple[Figure, ...]:
    """Per workload: the chips chosen, and its levelized cost per million tokens."""
    out: list[Figure] = []
    for w in names:
        out.append(
            Figure(
                f"chips:{w}",
                f"{w}: chip x cards, fabric, cooling",
                "",
                functools.partial(decision, workload=w),
                relative=False,
                short=w,
            )
        )
        out.append(
            Figure(
                f"per_mtok:{w}",
                f"{w}: cost per million tokens",
                "{cur}/Mtok",
                functools.partial(workload_per_mtok, workload=w),
                PER_MTOK,
                ",.3f",
            )
        )
    return tuple(out)
