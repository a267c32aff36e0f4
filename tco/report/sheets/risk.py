"""Risk: what the Uncertainty ranges do to the plan, as live formulas over the samples.

The samples' figures (one row each, at the right of the sheet, from column
`DATA_COL`) are the engine's numbers; every derived figure on the left is a
formula over them: the TCO distributions (AVERAGE, PERCENTILE = PERCENTILE.INC,
CVaR90 as the mean of the values at or above the P90), the target-met
probabilities (AVERAGE of 1/0 columns), the win probabilities (COUNTIF of
the chosen ids over COUNTA), robust vs nominal side by side, the tornado's
swings and the switching prices' change. Three charts: the TCO histogram
(SUMPRODUCT bin counts), the tornado and the win probabilities.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from tco.costs.formula import Formula
from tco.report.book import Sheet
from tco.report.cells import COUNT, DELTA_MONEY, DELTA_PERCENT, MONEY, PERCENT, Column, Table
from tco.risk import statistics
from tco.risk.analysis import RiskResult
from tco.risk.answers import sentences
from tco.schema.inputs import PlanningInputs

TABLE = Table(
    "Risk",
    (
        Column("a", "", width=44),
        Column("b", "", width=18),
        Column("c", "", width=18),
        Column("d", "", width=18),
        Column("e", "", width=18),
        Column("f", "", width=14),
        Column("g", "", width=12),
        Column("h", "", width=14),
        Column("i", "", width=14),
    ),
)
#: First column of the per-sample data block.
DATA_COL = 12
#: Histogram bins and tornado rows charted.
BINS = 20
TORNADO_CHARTED = 15


def _cell(row: int, col: int, absolute: bool = False) -> str:
    return xl_rowcol_to_cell(row, col, absolute, absolute)


def _span(col: int, first: int, last: int) -> str:
    letter = xl_col_to_name(col)
    return f"${letter}${first + 1}:${letter}${last + 1}"


class _Data:
    """Where each per-sample column sits, and the engine's values in it."""

    def __init__(self, result: RiskResult) -> None:
        self.result = result
        self.workloads = [p.workload for p in result.nominal.pools]
        self.first = 1
        self.last = max(self.first, self.first + result.samples - 1)
        keys = ["sample", "nominal_tco", "nominal_targets", "nominal_feasible"]
        keys += [f"met:{w}" for w in self.workloads]
        keys += ["optimal_tco", "regret"]
        for dim in ("chip", "fabric", "cooling"):
            keys += [f"{dim}:{w}" for w in self.workloads]
        keys += ["robust_tco", "robust_feasible"]
        self.col = {k: DATA_COL + i for i, k in enumerate(keys)}
        self.keys = keys

    def span(self, key: str) -> str:
        return _span(self.col[key], self.first, self.last)


def write(sheet: Sheet, inputs: PlanningInputs, result: RiskResult) -> None:
    sheet.landscape = True
    sheet.fixed_columns(TABLE)
    data = _Data(result)
    _write_data(sheet, data)
    cur = inputs.site.currency
    sheet.put(0, "a", "Risk: the plan under the Uncertainty ranges", styles=("title",))
    status = "PARTIAL: " if result.partial else ""
    sheet.put(
        1,
        "a",
        f"{status}{result.samples:,} of {result.samples_requested:,} samples, seed "
        f"{result.seed}, {len(result.rows)} Uncertainty rows; ran on {result.backend}",
        styles=("warn",) if result.partial else ("italic",),
    )
    r = 3
    for text in sentences(inputs, result):
        sheet.paragraph(r, text, 8)
        r += 1
    r += 1
    nominal_cell = _cell(r, 1, True)
    sheet.put(r, "a", f"Nominal plan TCO ({cur})", styles=("bold",))
    sheet.put(r, "b", result.nominal_tco, MONEY)
    r += 2
    r = _distribution(sheet, data, r, cur)
    r = _targets(sheet, data, r + 1)
    r, win_rows = _wins(sheet, data, r + 1)
    r = _robust(sheet, data, r + 1, cur)
    r, tornado_rows = _tornado(sheet, result, r + 1, nominal_cell, cur)
    r = _switching(sheet, inputs, result, r + 1, cur)
    r, hist_rows = _histogram(sheet, data, r + 1, cur)
    r += 1
    _charts(sheet, r, hist_rows, tornado_rows, win_rows, cur)


def _header(sheet: Sheet, row: int, titles: list[str]) -> None:
    for c, title in enumerate(titles):
        sheet.put(row, c, title, styles=("header",))


def _write_data(sheet: Sheet, data: _Data) -> None:
    result = data.result
    for key, col in data.col.items():
        sheet.put(0, col, key, styles=("header",))
        sheet.ws.set_column(col, col, 14)
    robust = result.robust
    for k, s in enumerate(result.results):
        row = data.first + k
        sheet.put(row, data.col["sample"], s.index + 1, COUNT)
        sheet.put(row, data.col["nominal_tco"], s.nominal.tco, MONEY)
        sheet.put(row, data.col["nominal_targets"], int(s.nominal.meets_targets), COUNT)
        sheet.put(row, data.col["nominal_feasible"], int(s.nominal.feasible), COUNT)
        for w in data.workloads:
            met = s.nominal.shortfall.get(w, 0.0) <= 0.0
            sheet.put(row, data.col[f"met:{w}"], int(met), COUNT)
        if s.optimum.tco is not None:
            sheet.put(row, data.col["optimal_tco"], s.optimum.tco, MONEY)
        if s.regret is not None and s.optimum.tco is not None:
            regret = Formula(
                f"{_cell(row, data.col['nominal_tco'])}-{_cell(row, data.col['optimal_tco'])}"
            )
            sheet.formula(row, data.col["regret"], regret, s.nominal.tco - s.optimum.tco, MONEY)
        for w, chip, fabric, cooling in s.optimum.choice:
            if w in data.workloads:
                sheet.put(row, data.col[f"chip:{w}"], chip)
                sheet.put(row, data.col[f"fabric:{w}"], fabric)
                sheet.put(row, data.col[f"cooling:{w}"], cooling)
        if robust is not None:
            sheet.put(row, data.col["robust_tco"], robust.tcos[k], MONEY)
            sheet.put(row, data.col["robust_feasible"], int(robust.feasible[k]), COUNT)


def _stat_formula(stat: str, rng: str, p90_cell: str | None) -> str:
    if stat == "tco_mean":
        return f"AVERAGE({rng})"
    if stat == "cvar90":
        assert p90_cell is not None
        return f"SUMPRODUCT(({rng}>={p90_cell})*{rng})/SUMPRODUCT(({rng}>={p90_cell})*1)"
    q = statistics.PERCENTILES[stat] / 100.0
    return f"PERCENTILE({rng},{q:g})"


def _distribution(sheet: Sheet, data: _Data, r: int, cur: str) -> int:
    result = data.result
    sheet.put(r, "a", f"TCO distribution ({cur}, discounted)", styles=("section",))
    r += 1
    columns = [
        ("Nominal plan (decisions fixed)", "nominal_tco", [s.nominal.tco for s in result.results])
    ]
    columns.append(("Re-optimised per sample", "optimal_tco", result.optimal_tcos()))
    if result.robust is not None:
        columns.append(("Robust plan (decisions fixed)", "robust_tco", list(result.robust.tcos)))
    _header(sheet, r, ["Statistic", *[c[0] for c in columns]])
    stats = [("Mean", "tco_mean"), ("P5", "tco_p5"), ("P50", "tco_p50"), ("P90", "tco_p90")]
    stats += [("P95", "tco_p95"), ("CVaR90 (mean of the worst 10%)", "cvar90")]
    p90_row = r + 4
    for label, stat in stats:
        r += 1
        sheet.put(r, "a", label)
        for c, (_, key, values) in enumerate(columns, start=1):
            if not values:
                continue
            if stat == "cvar90":
                value = statistics.cvar(values)
            else:
                value = statistics.distribution(values)[stat]
            p90 = _cell(p90_row, c)
            text = _stat_formula(stat, data.span(key), p90)
            sheet.formula(r, c, Formula(text), value, MONEY)
    return r + 1


def _targets(sheet: Sheet, data: _Data, r: int) -> int:
    result = data.result
    outcomes = result.nominal_outcomes()
    sheet.put(r, "a", "Nominal plan meets its targets", styles=("section",))
    r += 1
    _header(sheet, r, ["Target", "Probability"])
    for w in data.workloads:
        r += 1
        sheet.put(r, "a", f"{w}: throughput target")
        value = statistics.p_target_met(outcomes, w)
        sheet.formula(r, "b", Formula(f"AVERAGE({data.span(f'met:{w}')})"), value, PERCENT)
    r += 1
    sheet.put(r, "a", "Every target")
    value = statistics.p_meets_targets(outcomes)
    sheet.formula(r, "b", Formula(f"AVERAGE({data.span('nominal_targets')})"), value, PERCENT)
    r += 1
    sheet.put(r, "a", "Every target and every site limit")
    value = statistics.p_feasible(outcomes)
    sheet.formula(r, "b", Formula(f"AVERAGE({data.span('nominal_feasible')})"), value, PERCENT)
    return r + 1


def _wins(sheet: Sheet, data: _Data, r: int) -> tuple[int, list[int]]:
    result = data.result
    sheet.put(r, "a", "Win probability: the best choice per workload", styles=("section",))
    r += 1
    _header(sheet, r, ["Workload", "Dimension", "Id", "Probability"])
    chip_rows = []
    for dim, index in (("chip", 1), ("fabric", 2), ("cooling", 3)):
        wins = statistics.win_probability(result.results, index)
        for w in data.workloads:
            for ident, p in wins.get(w, {}).items():
                r += 1
                sheet.put(r, "a", w)
                sheet.put(r, "b", dim)
                sheet.put(r, "c", ident)
                rng = data.span(f"{dim}:{w}")
                text = f"COUNTIF({rng},{_cell(r, 2)})/COUNTA({rng})"
                sheet.formula(r, "d", Formula(text), p, PERCENT)
                if dim == "chip":
                    chip_rows.append(r)
                    sheet.put(r, "e", f"{w}: {ident}")
    return r + 1, chip_rows


def _robust(sheet: Sheet, data: _Data, r: int, cur: str) -> int:
    result = data.result
    robust = result.robust
    if robust is None:
        return r
    nominal = result.scored[0]
    sheet.put(
        r,
        "a",
        f"Robust plan vs nominal plan (criterion {result.criterion}, reliability "
        f"{result.reliability:.0%}, {len(result.scored)} candidates)",
        styles=("section",),
    )
    r += 1
    _header(sheet, r, ["", "Nominal plan", "Robust plan"])
    for p_nom, p_rob in zip(nominal.purchase.pools, robust.purchase.pools, strict=True):
        r += 1
        sheet.put(r, "a", p_nom.workload)
        sheet.put(r, "b", f"{p_nom.cards:,} x {p_nom.chip}, {p_nom.fabric}, {p_nom.cooling}")
        sheet.put(r, "c", f"{p_rob.cards:,} x {p_rob.chip}, {p_rob.fabric}, {p_rob.cooling}")
    rows = [
        (f"Mean TCO ({cur})", "AVERAGE", nominal.tco_mean, robust.tco_mean, MONEY),
        (f"P90 TCO ({cur})", "PERCENTILE90", nominal.tco_p90, robust.tco_p90, MONEY),
    ]
    for label, function, nom, rob, fmt in rows:
        r += 1
        sheet.put(r, "a", label)
        for c, key, value in ((1, "nominal_tco", nom), (2, "robust_tco", rob)):
            rng = data.span(key)
            text = f"PERCENTILE({rng},0.9)" if function == "PERCENTILE90" else f"AVERAGE({rng})"
            sheet.formula(r, c, Formula(text), value, fmt)
    r += 1
    sheet.put(r, "a", "Meets every target and limit")
    for c, key, value in (
        (1, "nominal_feasible", nominal.p_feasible),
        (2, "robust_feasible", robust.p_feasible),
    ):
        sheet.formula(r, c, Formula(f"AVERAGE({data.span(key)})"), value, PERCENT)
    r += 1
    sheet.put(r, "a", f"Maximum regret where it meets every target and limit ({cur})")
    sheet.put(r, "b", nominal.max_regret, MONEY)
    sheet.put(r, "c", robust.max_regret, MONEY)
    return r + 1


def _tornado(
    sheet: Sheet, result: RiskResult, r: int, nominal_cell: str, cur: str
) -> tuple[int, list[int]]:
    if not result.tornado:
        return r, []
    sheet.put(
        r,
        "a",
        "Tornado: each range alone at its low and high end, re-optimised",
        styles=("section",),
    )
    r += 1
    _header(
        sheet,
        r,
        [
            "Range",
            "Low",
            "High",
            f"TCO at low ({cur})",
            f"TCO at high ({cur})",
            "Swing",
            "Changes decision",
            "vs nominal at low",
            "vs nominal at high",
        ],
    )
    rows = []
    for t in result.tornado:
        r += 1
        rows.append(r)
        sheet.put(r, "a", t.row.label)
        sheet.put(r, "b", t.row.low, "#,##0.###")
        sheet.put(r, "c", t.row.high, "#,##0.###")
        if t.tco_low is None or t.tco_high is None:
            sheet.put(r, "f", "no plan at one end")
            continue
        sheet.put(r, "d", t.tco_low, MONEY)
        sheet.put(r, "e", t.tco_high, MONEY)
        sheet.formula(r, "f", Formula(f"ABS({_cell(r, 4)}-{_cell(r, 3)})"), t.swing, MONEY)
        sheet.put(r, "g", t.changes_decision)
        sheet.formula(
            r,
            "h",
            Formula(f"{_cell(r, 3)}-{nominal_cell}"),
            t.tco_low - result.nominal_tco,
            DELTA_MONEY,
        )
        sheet.formula(
            r,
            "i",
            Formula(f"{_cell(r, 4)}-{nominal_cell}"),
            t.tco_high - result.nominal_tco,
            DELTA_MONEY,
        )
    return r + 1, rows


def _switching(sheet: Sheet, inputs: PlanningInputs, result: RiskResult, r: int, cur: str) -> int:
    if not result.switching:
        return r
    sheet.put(
        r, "a", "Switching prices: the card price at which the decision flips", styles=("section",)
    )
    r += 1
    _header(
        sheet,
        r,
        [
            "Workload",
            "Chip",
            f"Nominal card price ({cur})",
            f"Switching price ({cur})",
            "Change",
            "Runner-up",
        ],
    )
    for s in result.switching:
        r += 1
        price = float(inputs.chips[s.chip].card_price)
        sheet.put(r, "a", s.workload)
        sheet.put(r, "b", s.chip)
        sheet.put(r, "c", price, MONEY)
        if s.value is None:
            sheet.put(r, "d", f"none up to {s.high:,.0f}")
            continue
        sheet.put(r, "d", s.value, MONEY)
        sheet.formula(
            r, "e", Formula(f"{_cell(r, 3)}/{_cell(r, 2)}-1"), s.value / price - 1, DELTA_PERCENT
        )
        sheet.put(r, "f", s.runner_up or "")
    return r + 1


def _histogram(sheet: Sheet, data: _Data, r: int, cur: str) -> tuple[int, list[int]]:
    result = data.result
    nominal = np.array([s.nominal.tco for s in result.results])
    optimal = np.array(result.optimal_tcos())
    if nominal.size == 0:
        return r, []
    both = np.concatenate([nominal, optimal]) if optimal.size else nominal
    low, high = float(both.min()), float(both.max())
    if high <= low:
        high = low + 1.0
    edges = np.linspace(low, high, BINS + 1)
    sheet.put(r, "a", f"TCO histogram ({cur})", styles=("section",))
    r += 1
    _header(sheet, r, ["Bin", "From", "To", "Nominal plan", "Re-optimised"])
    rows = []
    for k in range(BINS):
        r += 1
        rows.append(r)
        lo, hi = float(edges[k]), float(edges[k + 1])
        sheet.put(r, "a", f"{lo / 1e6:,.2f}-{hi / 1e6:,.2f} M")
        sheet.put(r, "b", lo, MONEY)
        sheet.put(r, "c", hi, MONEY)
        upper_op = "<=" if k == BINS - 1 else "<"
        for c, key, values in ((3, "nominal_tco", nominal), (4, "optimal_tco", optimal)):
            rng = data.span(key)
            text = f"SUMPRODUCT(({rng}>={_cell(r, 1)})*({rng}{upper_op}{_cell(r, 2)})*1)"
            inside = (values >= lo) & ((values <= hi) if k == BINS - 1 else (values < hi))
            sheet.formula(r, c, Formula(text), float(inside.sum()), COUNT)
    return r + 1, rows


def _charts(
    sheet: Sheet,
    r: int,
    hist_rows: list[int],
    tornado_rows: list[int],
    win_rows: list[int],
    cur: str,
) -> None:
    book, name = sheet.book, sheet.name
    at = r
    if hist_rows:
        chart = book.chart({"type": "column"}, f"TCO over the samples ({cur})")
        first, last = hist_rows[0], hist_rows[-1]
        for col, label in ((3, "Nominal plan"), (4, "Re-optimised")):
            chart.add_series(
                {
                    "name": label,
                    "categories": [name, first, 0, last, 0],
                    "values": [name, first, col, last, col],
                    "gap": 20,
                }
            )
        chart.set_y_axis({"name": "samples"})
        chart.set_size({"width": 760, "height": 320})
        sheet.ws.insert_chart(at, 0, chart)
        at += 17
    if tornado_rows:
        chart = book.chart({"type": "bar"}, f"Tornado: TCO change vs nominal ({cur})")
        shown = tornado_rows[:TORNADO_CHARTED]
        first, last = shown[0], shown[-1]
        for col, label in ((7, "at low"), (8, "at high")):
            chart.add_series(
                {
                    "name": label,
                    "categories": [name, first, 0, last, 0],
                    "values": [name, first, col, last, col],
                }
            )
        chart.set_y_axis({"reverse": True})
        chart.set_size({"width": 760, "height": 40 + 24 * len(shown)})
        sheet.ws.insert_chart(at, 0, chart)
        at += 3 + (40 + 24 * len(shown)) // 20
    if win_rows:
        chart = book.chart({"type": "bar"}, "Win probability per workload and chip")
        categories: Any = [name, win_rows[0], 4, win_rows[-1], 4]
        chart.add_series(
            {
                "name": "P(best)",
                "categories": categories,
                "values": [name, win_rows[0], 3, win_rows[-1], 3],
                "data_labels": {"value": True, "num_format": "0%"},
            }
        )
        chart.set_x_axis({"num_format": "0%", "max": 1})
        chart.set_legend({"none": True})
        chart.set_size({"width": 760, "height": 60 + 24 * len(win_rows)})
        sheet.ws.insert_chart(at, 0, chart)
