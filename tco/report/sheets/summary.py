"""Summary: the decision in words, the key figures, runner-ups, solver status, warnings.

The sentences and runner-ups are the CLI's (`tco.report.explain`); every key
figure is a live reference to the sheet that computes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tco.costs import registry
from tco.costs.formula import Formula
from tco.plan.extract import Plan
from tco.report import explain
from tco.report.book import Sheet
from tco.report.cells import (
    COUNT,
    DELTA_MONEY,
    DELTA_PERCENT,
    MILLIONS,
    MONEY,
    MW,
    PER_MTOK,
    PERCENT,
    Column,
    Table,
    plus,
)
from tco.report.layout import Layout
from tco.text import plural

#: Label, value and unit columns; paragraphs span `_TEXT_COLUMNS` columns.
TABLE = Table(
    "Summary",
    (
        Column("label", "Key figure", width=46),
        Column("value", "Value", width=18),
        Column("unit", "Unit", width=16),
    ),
)
_EXTRA_WIDTHS = (12, 12, 12, 12, 12)
_TEXT_COLUMNS = len(TABLE.columns) + len(_EXTRA_WIDTHS)
KW_PER_MW = 1000.0


@dataclass(frozen=True)
class _Figure:
    label: str
    #: The cell it shows, or None when only the number is known.
    source: Formula | None
    value: float
    fmt: str
    unit: str


def write(sheet: Sheet, layout: Layout) -> None:
    sheet.landscape = False
    sheet.fixed_columns(TABLE, _EXTRA_WIDTHS)
    inputs, plan = layout.inputs, layout.plan
    sheet.put(0, "label", "AI cluster procurement plan (minimum TCO)", styles=("title",))
    sheet.put(1, "label", f"Input: {inputs.source_name}", styles=("italic",))
    r = 3
    sheet.put(r, "label", "Decision", styles=("section",))
    for p in plan.pools:
        r += 1
        sheet.paragraph(r, explain.pool_sentence(inputs, p), _TEXT_COLUMNS - 1)
    for line in explain.split_sentences(inputs, plan):
        r += 1
        sheet.paragraph(r, line, _TEXT_COLUMNS - 1)
    if layout.risk_lines:
        r += 2
        sheet.put(r, "label", "Risk (tco risk; details on the Risk sheet)", styles=("section",))
        for text in layout.risk_lines:
            r += 1
            sheet.paragraph(r, text, _TEXT_COLUMNS - 1)
    r += 2
    sheet.put(r, "label", "Key figures", styles=("section",))
    sheet.put(r, "value", "Value", styles=("bold",))
    sheet.put(r, "unit", "Unit", styles=("bold",))
    rows: dict[str, int] = {}
    for key, figure in _figures(layout).items():
        r += 1
        rows[key] = r
        bold = ("bold",) if key == "tco" else ()
        sheet.put(r, "label", figure.label, styles=bold)
        sheet.put(r, "unit", figure.unit)
        if key == "opex":
            continue  # energy + maintenance, both on the rows below
        if figure.source is None:
            sheet.put(r, "value", figure.value, figure.fmt, styles=bold)
        else:
            sheet.formula(r, "value", figure.source, figure.value, figure.fmt, styles=bold)
    opex = registry.yearly_opex(
        TABLE.local("value", rows["energy"]), TABLE.local("value", rows["maintenance"])
    )
    sheet.formula(rows["opex"], "value", opex, plan.opex_per_year, MONEY)
    r += 1
    share = plan.domestic_cards / plan.cards if plan.cards else 0.0
    sheet.put(r, "label", "Domestic cards")
    sheet.put(r, "value", plan.domestic_cards, COUNT)
    sheet.put(r, "unit", f"cards ({share:.0%})")
    basis = inputs.site.domestic_share_basis
    for name, achieved in plan.domestic_share.items():
        r += 1
        asked = f", at least {inputs.site.min_domestic_share:.0%} asked" if name == basis else ""
        label = SHARE_LABELS[name]
        if name == "spend" and layout.inputs.site.domestic_share_includes_network:
            label += " and network"
        sheet.put(r, "label", f"Domestic share of {label}")
        sheet.put(r, "value", achieved, PERCENT)
        sheet.put(r, "unit", f"fraction{asked}")
    r = _runners_up(sheet, layout, r + 2)
    r = _solver(sheet, layout, r + 2)
    r += 2
    sheet.put(r, "label", "Warnings", styles=("section",))
    for text in plan.warnings or ("none",):
        r += 1
        sheet.paragraph(r, text, _TEXT_COLUMNS - 1, ("warn",) if plan.warnings else ())
    r += 2
    sheet.paragraph(
        r,
        "Cost cells are live formulas over BOM, Power, CashFlow and Assumptions: change a "
        "unit price or an assumption and the totals recalculate. The counts are the "
        "optimiser's decisions and do not re-optimise; re-run tco optimize for that.",
        _TEXT_COLUMNS - 1,
        ("italic",),
    )
    _chart(sheet, layout, r + 2)


def _figures(layout: Layout) -> dict[str, _Figure]:
    plan, cur = layout.plan, layout.currency
    years = layout.inputs.site.horizon_years
    cash, bom = layout.tables["CashFlow"], layout.tables["BOM"]
    pools, power = layout.tables["Pools"], layout.tables["Power"]
    total, year_1 = layout.cash_total_row, layout.year_row(1)
    has_opex_year = len(plan.cash_flow) > 1
    migration = [bom.ref("extended", r) for r in layout.migration_rows()]
    t = layout.pool_total_row
    figures = {
        "tco": _Figure(
            f"TCO, discounted over {plural(years, 'year')}",
            cash.ref("discounted", total),
            plan.tco,
            MONEY,
            cur,
        ),
        "tco_nominal": _Figure(
            f"TCO, nominal (undiscounted) over {plural(years, 'year')}",
            cash.ref("total", total),
            plan.tco_nominal,
            MONEY,
            cur,
        ),
        "capex": _Figure(
            "Capex (year 0, incl. software migration)",
            bom.ref("extended", layout.bom_total_row) if layout.bom else None,
            plan.capex,
            MONEY,
            cur,
        ),
        "migration": _Figure(
            "of which software migration",
            plus(migration) if migration else None,
            plan.migration,
            MONEY,
            cur,
        ),
        "opex": _Figure("Opex per year", None, plan.opex_per_year, MONEY, f"{cur}/yr"),
        "energy": _Figure(
            "of which energy",
            cash.ref("energy", year_1) if has_opex_year else None,
            plan.energy_per_year,
            MONEY,
            f"{cur}/yr",
        ),
        "maintenance": _Figure(
            "of which maintenance",
            cash.ref("maintenance", year_1) if has_opex_year else None,
            plan.maintenance_per_year,
            MONEY,
            f"{cur}/yr",
        ),
    }
    for i, p in enumerate(plan.pools):
        figures[f"per_mtok:{p.name}"] = _Figure(
            f"Cost per million tokens, {p.name}",
            pools.ref("per_mtok", layout.pool_row(i)) if p.target_tokens_per_s > 0 else None,
            p.cost_per_million_tokens,
            PER_MTOK,
            f"{cur}/Mtok",
        )
    has_pools = bool(plan.pools)
    figures |= {
        "it_mw": _Figure(
            "IT power (peak)",
            power.ref("it_kw", t) / KW_PER_MW if has_pools else None,
            plan.it_kw / KW_PER_MW,
            MW,
            "MW",
        ),
        "facility_mw": _Figure(
            "Facility power (IT x PUE)",
            power.ref("facility_kw", t) / KW_PER_MW if has_pools else None,
            plan.facility_kw / KW_PER_MW,
            MW,
            "MW",
        ),
        "racks": _Figure(
            "Racks", power.ref("racks", t) if has_pools else None, plan.racks, COUNT, "racks"
        ),
        "cards": _Figure(
            "Accelerator cards",
            pools.ref("cards", t) if has_pools else None,
            plan.cards,
            COUNT,
            "cards",
        ),
    }
    return figures


#: How the Summary names each domestic-share basis.
SHARE_LABELS = {
    "cards": "cards",
    "compute": "BF16 compute",
    "spend": "card, host and system spend",
}


def _runners_up(sheet: Sheet, layout: Layout, r: int) -> int:
    """Per choice, what the cheapest plan without it everywhere costs more (live deltas)."""
    sheet.put(r, "label", "Runner-up per choice", styles=("section",))
    sheet.put(r, "value", f"Delta [{layout.currency}]", styles=("bold",))
    sheet.put(r, "unit", "Delta [%]", styles=("bold",))
    alternatives = layout.tables["Alternatives"]
    for dimension, a in explain.runners_up(layout.plan, layout.alternatives).items():
        r += 1
        if a is None:
            sheet.put(r, "label", explain.no_runner_up(layout.plan, layout.alternatives, dimension))
            continue
        sheet.put(r, "label", f"{dimension}: {a.forced_id} everywhere")
        row = layout.alternative_row(a)
        delta = a.delta or 0.0
        sheet.formula(r, "value", alternatives.ref("delta", row), delta, DELTA_MONEY)
        if layout.plan.tco:
            pct = alternatives.ref("delta_pct", row)
            sheet.formula(r, "unit", pct, delta / layout.plan.tco, DELTA_PERCENT)
    return r


def _solver(sheet: Sheet, layout: Layout, r: int) -> int:
    return solver_section(sheet, layout.plan, r)


def solver_section(sheet: Sheet, plan: Plan, r: int) -> int:
    """The Solver rows from row `r` (status, gap, solve time); returns the last row."""
    sheet.put(r, "label", "Solver", styles=("section",))
    shown: Sequence[tuple[str, object, str | None]] = (
        ("Status", plan.status, None),
        ("MIP gap (relative)", plan.mip_gap if plan.mip_gap is not None else "n/a", "0.00%"),
        ("Solve time [s]", plan.solve_seconds, "0.0"),
    )
    for label, value, fmt in shown:
        r += 1
        sheet.put(r, "label", label)
        warn = label == "Status" and value != "optimal"
        sheet.put(r, "value", value, fmt, styles=("warn",) if warn else ())
    return r


def _chart(sheet: Sheet, layout: Layout, row: int) -> None:
    """Capex, migration share and discounted opex per pool, stacked."""
    if not layout.pools:
        return
    pools = layout.tables["Pools"]
    first, last = layout.pool_row(0), layout.pool_total_row - 1
    workload = pools.col("workload")
    chart = sheet.book.chart(
        {"type": "column", "subtype": "stacked"}, "Capex vs opex (present value) per pool"
    )
    for key in ("capex", "migration", "opex_pv"):
        c = pools.col(key)
        chart.add_series(
            {
                "name": [pools.sheet, 0, c],
                "categories": [pools.sheet, first, workload, last, workload],
                "values": [pools.sheet, first, c, last, c],
            }
        )
    chart.set_y_axis({"name": layout.currency, "num_format": MILLIONS})
    chart.set_size({"width": 605, "height": 302})
    sheet.insert_chart(row, chart)
