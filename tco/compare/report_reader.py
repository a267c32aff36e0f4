"""Read a tco report back into the optimize summary it was written from.

A report (`tco.report.workbook`) carries everything a comparison shows:
Summary holds the key figures, the domestic shares, the solver status and the
warnings; Pools, Power and Network one row per pool (chip, fabric, cooling,
counts, throughput, target, cost per million tokens, kW, racks, switches and
tiers); Assumptions the Site
values and every field of the chips used. Cost cells are formulas: their
values are the ones last calculated, the engine's as written, or a buyer's
after editing a price in Excel or LibreOffice (the comparison then shows the
edited costs; the counts stay the optimiser's).

Not in a report, so not in its summary: the stage timings ("timings"; the
Summary's solve time is "solve_seconds"). Columns are found by their headers (`tco.report.sheets`
tables), so a report of another layout is refused with the column it lacks.

A fleet plan's report (`tco.report.fleet`, with its Timeline) is read by
`read_fleet_report`: the same Summary figures, `years` from Timeline, `purchases` from
Tranches, and as `pools` the last operating year's rows of Pools, Power and Network.
Its pools' cost per million tokens, capex and TCO are the Summary's; their run costs,
which the report states only in the Summary's sentences, and the cards per replica are
None.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tco.compare.entry import ChipFacts, Entry, SiteFacts
from tco.errors import InputError
from tco.report import fleet
from tco.report.cells import Table
from tco.report.sheets import assumptions, network, pools, power
from tco.report.sheets import summary as summary_sheet

REPORT_SHEETS = tuple(t.TABLE.sheet for t in (summary_sheet, pools, power, network))

#: Summary labels (column A) of the key figures, by the summary key they give; a label
#: ending in "*" matches by prefix (the horizon is part of the text).
_FIGURES = {
    "tco": "TCO, discounted over*",
    "tco_nominal": "TCO, nominal (undiscounted) over*",
    "capex": "Capex (*",
    "migration": "of which software migration",
    "opex_per_year": "Opex per year",
    "it_power_mw": "IT power (peak)",
    "facility_power_mw": "Facility power (IT x PUE)",
    "racks": "Racks",
    "cards": "Accelerator cards",
    "domestic_cards": "Domestic cards",
    "share:cards": "Domestic share of cards",
    "share:compute": "Domestic share of BF16 compute",
    "share:spend": "Domestic share of card, host and system spend*",
}
_REQUIRED = ("tco", "tco_nominal", "capex", "opex_per_year", "it_power_mw", "racks", "cards")
KW_PER_MW = 1000.0


def _matches(label: str, pattern: str) -> bool:
    if pattern.endswith("*"):
        return label.startswith(pattern[:-1])
    return label == pattern


def read_report(path: Path, book: Any) -> Entry:
    """The entry of the report `book` (an openpyxl workbook read with its values)."""
    name = path.name
    figures, solver, warnings = _checked_summary(book, name)
    currency = str(figures["tco"][1] or "")
    site, chips, fx = _assumptions(book, name)
    pool_rows = _table_rows(book, pools.TABLE, currency, name)
    power_rows = _table_rows(book, power.TABLE, currency, name)
    network_rows = _table_rows(book, network.TABLE, currency, name)
    if not len(pool_rows) == len(power_rows) == len(network_rows):
        raise _fail(name, "Sheets 'Pools', 'Power' and 'Network' list different numbers of pools")
    summary = _summary_keys(name, figures, solver, warnings, currency, fx)
    summary["pools"] = [
        _pool(p, q, n) for p, q, n in zip(pool_rows, power_rows, network_rows, strict=True)
    ]
    code = 0 if summary["status"] == "optimal" else 4
    return Entry(name, "report", summary, chips, site, code)


def read_fleet_report(path: Path, book: Any) -> Entry:
    """The entry of a fleet plan's report (`tco.report.fleet`): its summary with `years`,
    `purchases` and the last operating year's pools (module docstring)."""
    name = path.name
    figures, solver, warnings = _checked_summary(book, name)
    currency = str(figures["tco"][1] or "")
    site, chips, fx = _assumptions(book, name)
    summary = _summary_keys(name, figures, solver, warnings, currency, fx)
    pool_rows = _table_rows(book, fleet.POOLS, currency, name, "year")
    power_rows = _table_rows(book, fleet.POWER, currency, name, "year")
    network_rows = _table_rows(book, fleet.NETWORK, currency, name, "year")
    keys = [
        [(_get(row, "year", _count), _get(row, "pool", str)) for row in rows]
        for rows in (pool_rows, power_rows, network_rows)
    ]
    if not keys[0] or keys[0] != keys[1] or keys[0] != keys[2]:
        raise _fail(name, "Sheets 'Pools', 'Power' and 'Network' list different pools")
    last = max(_get(p, "year", _count) for p in pool_rows)
    per_pool = {
        label: float(value)
        for label, (value, _) in figures.items()
        if label.startswith(POOL_FIGURES) and isinstance(value, int | float)
    }
    summary["pools"] = [
        _fleet_pool(p, q, n, per_pool)
        for p, q, n in zip(pool_rows, power_rows, network_rows, strict=True)
        if _get(p, "year", _count) == last
    ]
    summary["years"] = _years(book, currency, name)
    summary["purchases"] = [
        {
            "year": _get(t, "year", _count),
            "workload": _get(t, "workload", str),
            "chip": _get(t, "chip", str),
            "fabric": _get(t, "fabric", str),
            "cooling": _get(t, "cooling", str),
            "cards": _get(t, "cards", _count),
            "nodes": _get(t, "nodes", _count),
            "systems": _get(t, "systems", _count),
            "capex": _get(t, "capex", float),
        }
        for t in _table_rows(book, fleet.TRANCHES, currency, name, "year")
    ]
    code = 0 if summary["status"] == "optimal" else 4
    return Entry(name, "report", summary, chips, site, code)


#: Summary labels of a pool's figures, before the pool's name: its cost per million
#: tokens (both reports) and a fleet pool's capex and TCO (`tco.report.fleet`).
POOL_FIGURES = ("Cost per million tokens, ", "Pool capex, ", "Pool TCO, ")


def _fail(name: str, message: str) -> InputError:
    return InputError.single(f"{name}: {message}")


def _checked_summary(
    book: Any, name: str
) -> tuple[dict[str, tuple[Any, Any]], dict[str, Any], list[str]]:
    """The Summary's figures, Solver rows and warnings, refused without the key figures or
    without calculated values."""
    figures, solver, warnings = _summary(book[summary_sheet.TABLE.sheet])
    missing = [key for key in _REQUIRED if key not in figures]
    if missing:
        labels = ", ".join(repr(_FIGURES[k].rstrip("*")) for k in missing)
        raise _fail(name, f"Sheet 'Summary' lacks the key figures {labels}; is it a tco report?")
    if not isinstance(figures["tco"][0], int | float):
        raise _fail(
            name,
            "the report's formulas carry no calculated values (it was saved by a program "
            "that does not calculate); open and save it in Excel or LibreOffice, or compare "
            "its input workbook instead",
        )
    return figures, solver, warnings


def _summary_keys(
    name: str,
    figures: dict[str, tuple[Any, Any]],
    solver: dict[str, Any],
    warnings: list[str],
    currency: str,
    fx: dict[str, float],
) -> dict[str, Any]:
    """The summary's keys (`json_summary`'s) that the Summary sheet gives; no pools."""

    def number(key: str) -> float:
        value = figures[key][0] if key in figures else None
        if not isinstance(value, int | float):
            raise _fail(name, f"Sheet 'Summary': {_FIGURES[key].rstrip('*')!r} has no number")
        return float(value)

    status = str(solver.get("Status", ""))
    gap = solver.get("MIP gap (relative)")
    summary: dict[str, Any] = {
        # As `tco.report.summary.json_summary` maps it: an unproven plan is "feasible".
        "status": "optimal" if status == "optimal" else "feasible",
        "objective": number("tco"),
        "currency": currency,
        "fx": fx,
        "mip_gap": float(gap) if isinstance(gap, int | float) else None,
        "capex": number("capex"),
        "opex_per_year": number("opex_per_year"),
        "tco": number("tco"),
        "it_power_kw": number("it_power_mw") * KW_PER_MW,
        "facility_power_kw": number("facility_power_mw") * KW_PER_MW,
        "racks": int(number("racks")),
        "pools": [],
        "diagnosis": [],
        "plan_found": True,
        "interrupted": status == "interrupted",
        "tco_nominal": number("tco_nominal"),
        "migration": number("migration") if "migration" in figures else 0.0,
        "cards": int(number("cards")),
        "domestic_cards": int(number("domestic_cards")),
        "domestic_share": {
            key.split(":", 1)[1]: float(value)
            for key, (value, _) in figures.items()
            if key.startswith("share:") and isinstance(value, int | float)
        },
        "warnings": warnings,
        "solve_seconds": solver.get("Solve time [s]"),
    }
    return summary


def _summary(ws: Any) -> tuple[dict[str, tuple[Any, Any]], dict[str, Any], list[str]]:
    """Key figures (value, unit) by key, the Solver rows by label, the warnings."""
    figures: dict[str, tuple[Any, Any]] = {}
    solver: dict[str, Any] = {}
    warnings: list[str] = []
    section = None
    for label, value, unit in ws.iter_rows(min_col=1, max_col=3, values_only=True):
        text = label.strip() if isinstance(label, str) else ""
        if not text:
            section = None  # a blank row ends a section
            continue
        if section is None:
            if text in ("Key figures", "Solver", "Warnings"):
                section = text
            continue
        if section == "Key figures":
            key = next((k for k, pattern in _FIGURES.items() if _matches(text, pattern)), None)
            if key is None and text.startswith(POOL_FIGURES):
                key = text  # one per pool, by its name
            if key is not None and key not in figures:
                figures[key] = (value, unit)
        elif section == "Solver":
            solver[text] = value
        elif text != "none":
            warnings.append(text)
    return figures, solver, warnings


def _table_rows(
    book: Any, table: Table, currency: str, name: str, numbered: str | None = None
) -> list[dict[str, Any]]:
    """The pool rows of a report table (down to its Total row), by column key.

    Each column is found by its header, so a report whose layout differs from this
    version's is read right or refused with the column it lacks. With `numbered` (a
    fleet table's year column) the rows are those whose cell there is a number: the
    note under the table ends them.
    """
    ws = book[table.sheet]
    rows = ws.iter_rows(values_only=True)
    header = [str(h) if h is not None else "" for h in next(rows, ())]
    where: dict[str, int] = {}
    for column in table.columns:
        text = column.header.replace("{cur}", currency)
        if text in header:
            where[column.key] = header.index(text)
    out = []
    for values in rows:
        first = values[0] if values else None
        if first is None or first == "Total":
            break
        if numbered is not None:
            at = where.get(numbered)
            cell = values[at] if at is not None and at < len(values) else None
            if not isinstance(cell, int | float):
                break
        out.append(
            {key: values[c] if c < len(values) else None for key, c in where.items()}
            | {"_sheet": table.sheet, "_name": name}
        )
    return out


def _get(row: dict[str, Any], key: str, convert: Callable[[Any], Any] = lambda v: v) -> Any:
    """A cell of a pool row; None when blank or text such as "n/a (no deadline)"."""
    if key not in row:
        raise InputError.single(
            f"{row['_name']}: Sheet '{row['_sheet']}' has no column for {key!r}; was the "
            "report written by another version of tco?"
        )
    value = row[key]
    if value is None or (isinstance(value, str) and convert is not str):
        return None
    return convert(value)


def _count(value: Any) -> int:
    return round(float(value))


def _pool(p: dict[str, Any], q: dict[str, Any], n: dict[str, Any]) -> dict[str, Any]:
    """One summary pool, `json_summary`'s keys, from its Pools, Power and Network rows."""
    return {
        "workload": _get(p, "workload", str),
        "kind": _get(p, "kind", str),
        "chip": _get(p, "chip_id", str),
        "fabric": _get(p, "fabric", str),
        "cooling": _get(p, "cooling", str),
        "systems": _get(p, "systems", _count),
        "system_cards": _get(p, "system_cards", _count),
        "nodes": _get(p, "nodes", _count),
        "cards": _get(p, "cards", _count),
        "replicas": _get(p, "replicas", _count),
        "replica_cards": _get(p, "replica_cards", _count),
        "layout": _get(p, "layout", str),
        "throughput_tokens_per_s": _get(p, "capacity", float),
        "target_tokens_per_s": _get(p, "target", float),
        "cost_per_million_tokens": _get(p, "per_mtok", float),
        "run_cost": _get(p, "run_cost", float),
        "dedicated_run_cost": _get(p, "dedicated_run_cost", float),
        "switches": _get(n, "switches", _count),
        "tiers": _get(n, "tiers", _count),
        "racks": _get(q, "racks", _count),
        "it_kw": _get(q, "it_kw", float),
        "facility_kw": _get(q, "facility_kw", float),
        "capex": _get(p, "capex", float),
        "tco": _get(p, "tco", float),
    }


def _fleet_pool(
    p: dict[str, Any], q: dict[str, Any], n: dict[str, Any], per_pool: dict[str, float]
) -> dict[str, Any]:
    """One summary pool of a fleet's last operating year, from its Pools, Power and Network
    rows and its figures on Summary (`per_pool`, by label)."""
    cost, capex, tco = (f"{prefix}{_get(p, 'pool', str)}" for prefix in POOL_FIGURES)
    leaf, spine, core = (_get(n, k, _count) for k in _SWITCH_COLUMNS)
    systems, cards = _get(p, "systems", _count), _get(p, "cards", _count)
    return {
        "workload": _get(p, "workload", str),
        "kind": _get(p, "kind", str),
        "chip": _get(p, "chip", str),
        "fabric": _get(p, "fabric", str),
        "cooling": _get(p, "cooling", str),
        "systems": systems,
        "system_cards": cards // systems if systems else None,
        "nodes": _get(p, "nodes", _count),
        "cards": cards,
        "replicas": _get(p, "replicas", _count),
        "replica_cards": None,
        "layout": _get(p, "layout", str),
        "throughput_tokens_per_s": _get(p, "throughput", float),
        "target_tokens_per_s": _get(p, "target", float),
        "cost_per_million_tokens": per_pool.get(cost),
        "run_cost": None,
        "dedicated_run_cost": None,
        "switches": leaf + spine + core,
        "tiers": _get(n, "tiers", _count),
        "racks": _get(q, "racks", _count),
        "it_kw": _get(q, "it_kw", float),
        "facility_kw": _get(q, "facility_kw", float),
        "capex": per_pool.get(capex),
        "tco": per_pool.get(tco),
    }


_SWITCH_COLUMNS = ("leaf_switches", "spine_switches", "core_switches")


def _years(book: Any, currency: str, name: str) -> list[dict[str, Any]]:
    """The summary's `years` from the Timeline sheet (`tco.report.fleet`), its columns
    found by their headers."""
    residual = {
        _get(c, "year", _count): _get(c, "residual", float) or 0.0
        for c in _table_rows(book, fleet.CASH, currency, name, "year")
    }
    ws = book["Timeline"]
    rows = ws.iter_rows(values_only=True)
    header = [str(h) if h is not None else "" for h in next(rows, ())]
    out = []
    for values in rows:
        cells = dict(zip(header, values, strict=False))
        year = cells.get("Operating year")
        if not isinstance(year, int | float):
            break

        def by_chip(prefix: str, cells: dict[str, Any] = cells) -> dict[str, int]:
            """Cards per chip, the chips with none left out (as the JSON leaves them)."""
            counts = {
                h.removeprefix(prefix).removesuffix(" cards"): round(float(v or 0))
                for h, v in cells.items()
                if h.startswith(prefix) and h.endswith(" cards")
            }
            return {chip: n for chip, n in counts.items() if n}

        workloads = [h.removesuffix(" tokens/s") for h in header if h.endswith(" tokens/s")]

        try:
            installed = by_chip("Installed ")
            out.append(
                {
                    "year": int(year),
                    "installed_cards": sum(installed.values()),
                    "installed_cards_by_chip": installed,
                    "bought_cards_by_chip": by_chip("Bought "),
                    "retired_cards_by_chip": by_chip("Retired "),
                    "capex": float(cells[f"Capex of the year's tranche ({currency})"]),
                    "opex": float(cells[f"Opex ({currency})"]),
                    "it_power_kw": float(cells["IT kW (serving)"]),
                    "facility_power_kw": float(cells["Facility kW (serving)"]),
                    "racks": round(float(cells["Racks installed"])),
                    "residual_value": residual.get(int(year), 0.0),
                    "throughput": {w: float(cells[f"{w} tokens/s"]) for w in workloads},
                    "target": {w: float(cells[f"{w} target"]) for w in workloads},
                }
            )
        except (KeyError, TypeError, ValueError):
            raise _fail(
                name,
                "Sheet 'Timeline' lacks a column or a number the comparison needs; was the "
                "report written by another version of tco?",
            ) from None
    if not out:
        raise _fail(name, "Sheet 'Timeline' lists no operating year")
    return out


#: Chip fields the comparison uses, as Assumptions lists them.
_CHIP_FIELDS = ("name", "origin", "memory_gb", "memory_bw_gbs", "scaleup_bw_gbs")


def _assumptions(
    book: Any, name: str
) -> tuple[SiteFacts | None, dict[str, ChipFacts], dict[str, float]]:
    """Site facts, the chips used and the FX rates, from the Assumptions sheet."""
    table = assumptions.TABLE
    if table.sheet not in book.sheetnames:
        return None, {}, {}
    cols = [table.col(k) for k in ("sheet", "row_id", "field", "value")]
    site: dict[str, Any] = {}
    chips: dict[str, dict[str, Any]] = {}
    fx: dict[str, float] = {}
    for values in book[table.sheet].iter_rows(min_row=2, values_only=True):
        if len(values) <= max(cols):
            continue
        sheet, row_id, field, value = (values[c] for c in cols)
        if sheet == "Site":
            site[str(field)] = value
        elif sheet == "Chips" and field in _CHIP_FIELDS:
            chips.setdefault(str(row_id), {})[str(field)] = value
        elif sheet == "FX" and isinstance(value, int | float):
            fx[str(row_id)] = float(value)
    facts = {
        chip_id: ChipFacts(
            chip_id,
            str(f["name"]),
            str(f["origin"]),
            float(f["memory_gb"]),
            float(f["memory_bw_gbs"]),
            float(f["scaleup_bw_gbs"]),
        )
        for chip_id, f in chips.items()
        if all(k in f for k in _CHIP_FIELDS)
    }
    try:
        site_facts = SiteFacts(
            int(site["horizon_years"]),
            float(site["discount_rate"]),
            float(site["min_domestic_share"]),
            str(site["domestic_share_basis"]),
        )
    except (KeyError, TypeError, ValueError):
        raise InputError.single(
            f"{name}: Sheet 'Assumptions' lacks the Site horizon, discount rate or domestic "
            "share rule; was the report written by another version of tco?"
        ) from None
    return site_facts, facts, fx
