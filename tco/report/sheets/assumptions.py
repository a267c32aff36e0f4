"""Assumptions: every input value the plan used, with its source; each one a workbook name.

Cost formulas elsewhere read these values through their names
(`Chips_h100_card_price`), so changing a value here moves every total.
Money is in the reporting currency (Site currency): a price quoted in another
currency shows its converted value, its source says so, and the FX rates the
conversion used are listed after the Site values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tco.costs import registry
from tco.plan.extract import Plan, PoolPlan
from tco.report.book import Sheet
from tco.report.cells import FIRST_ROW, INPUT_NUMBER, Column, Table
from tco.report.names import Key, Names
from tco.schema.fields import CHIPS, COOLING, FABRICS, SITE
from tco.schema.inputs import PlanningInputs
from tco.schema.rows import UncertaintyRow

TABLE = Table(
    "Assumptions",
    (
        Column("sheet", "Input sheet", width=12),
        Column("row_id", "Row id", width=22),
        Column("field", "Field", width=26),
        Column("value", "Value", INPUT_NUMBER, 16),
        Column("unit", "Unit", width=14),
        Column("input_row", "Input row", width=9),
        Column("low", "Range low", INPUT_NUMBER, 12),
        Column("high", "Range high", INPUT_NUMBER, 12),
        Column("source", "Source", width=60),
        Column("confidence", "Confidence", width=11),
        Column("name", "Name in formulas", width=34),
    ),
)

#: Price fields whose confidence is the chip's price confidence, not its spec confidence.
_PRICE_FIELDS = ("card_price", "node_price", registry.MIGRATION_PRICE_FIELD)


@dataclass(frozen=True)
class Assumption:
    sheet: str
    row_id: str
    field: str
    value: Any
    unit: str
    input_row: int | None
    source: str
    confidence: str

    @property
    def key(self) -> Key:
        return (self.sheet, self.row_id, self.field)


def assumptions(
    inputs: PlanningInputs, plan: Plan, pools: Sequence[PoolPlan] | None = None
) -> tuple[Assumption, ...]:
    """Site values, the FX rates used, the constants, then every field of the chip, fabric and
    cooling rows used (their `currency` left out: every value shown is in the Site's).

    The rows used are those of `pools` (default the plan's; a fleet plan passes every
    year's serving pools) and of the chips the BOM prices.
    """
    pools = plan.pools if pools is None else pools
    site, cur = inputs.site, str(inputs.site.currency)

    def unit(text: str) -> str:
        return text.replace("currency", cur)

    out = [
        Assumption(
            "Site",
            "",
            f.key,
            "none" if getattr(site, f.key) is None else getattr(site, f.key),
            unit(f.unit),
            None,
            "Site sheet",
            "-",
        )
        for f in SITE.fields
    ]
    out += [
        Assumption(
            "FX",
            rate.currency,
            "units_per_usd",
            rate.units_per_usd,
            f"{rate.currency}/USD",
            rate.input_row,
            rate.source or "FX sheet",
            "-",
        )
        for rate in inputs.fx.rates.values()
    ]
    out += [
        Assumption(
            "Constant", "", "hours_per_year", registry.HOURS_PER_YEAR, "h/yr", None, "8,760 h", "-"
        ),
        Assumption(
            "Constant",
            "",
            "seconds_per_year",
            registry.SECONDS_PER_YEAR,
            "s/yr",
            None,
            "8,760 h x 3,600 s",
            "-",
        ),
    ]
    chips = [p.chip for p in pools]
    chips += [line.source_id for line in plan.bom if line.source_sheet == "Chips"]
    used = (
        (CHIPS, inputs.chips, chips),
        (FABRICS, inputs.fabrics, [p.fabric for p in pools]),
        (COOLING, inputs.coolings, [p.cooling for p in pools]),
    )
    for sheet, rows, ids in used:
        for row_id in dict.fromkeys(ids):
            row = rows[row_id]
            source = str(getattr(row, "source", None) or "")
            quoted = inputs.fx.quoted.get((sheet.name, row_id))
            for f in sheet.fields:
                value = getattr(row, f.key)
                if f.key in (sheet.id_key, "source", "confidence", "currency") or value is None:
                    continue
                confidence = getattr(row, "confidence", None) or "-"
                where = source
                if quoted is not None and f.is_money:
                    converted = f"quoted in {quoted}, converted to {cur} at the FX rates"
                    where = f"{source}; {converted}" if source else converted
                if f.key in _PRICE_FIELDS:
                    confidence = getattr(row, "price_confidence", None) or "low"
                out.append(
                    Assumption(
                        sheet.name,
                        row_id,
                        f.key,
                        value,
                        unit(f.unit),
                        inputs.source_rows.get((sheet.name, row_id)),
                        where,
                        confidence,
                    )
                )
    return tuple(out)


#: Which sheets' cost formulas read the values, for the note under the table.
SINGLE_PURCHASE_READERS = "Cost formulas on BOM, Power, CashFlow and Pools"


def write(
    sheet: Sheet,
    inputs: PlanningInputs,
    names: Names,
    rows: tuple[Assumption, ...],
    readers: str = SINGLE_PURCHASE_READERS,
) -> None:
    """The rows, each value defined as its workbook name (`names`); `readers` says which
    formulas read them (the note under the table)."""
    sheet.header(TABLE, str(inputs.site.currency))
    ranges: dict[tuple[str, str, str], UncertaintyRow] = {
        (u.sheet, u.row_id, u.field): u for u in inputs.uncertainty
    }
    for i, a in enumerate(rows):
        r = FIRST_ROW + i
        name = names[a.key]
        sheet.put(r, "sheet", a.sheet)
        sheet.put(r, "row_id", a.row_id)
        sheet.put(r, "field", a.field)
        numeric = isinstance(a.value, int | float) and not isinstance(a.value, bool)
        sheet.put(r, "value", a.value, styles=("right",) if numeric else ())
        sheet.put(r, "unit", a.unit)
        sheet.put(r, "input_row", a.input_row)
        # Uncertainty rows name Site values by key, other rows by id and field.
        site = a.sheet == "Site"
        rng = ranges.get((a.sheet, a.field if site else a.row_id, "value" if site else a.field))
        source = a.source
        if rng is not None:
            sheet.put(r, "low", rng.low)
            sheet.put(r, "high", rng.high)
            if getattr(rng, "source", None):
                source = f"{source}; range: {rng.source}" if source else f"range: {rng.source}"
        sheet.put(r, "source", source)
        sheet.put(r, "confidence", a.confidence, styles=("warn",) if a.confidence == "low" else ())
        sheet.put(r, "name", name)
        sheet.book.define_name(name, TABLE.ref("value", r))
    sheet.note(
        FIRST_ROW + len(rows) + 1,
        f"{readers} read the Value column through the "
        "names in the last column: change a value here and they recalculate. Counts (nodes, "
        "cards, switches, racks) are the optimiser's decisions and do not re-optimise; "
        "horizon_years fixes the CashFlow rows. Input row = row of the input workbook sheet. "
        "Money is in the Site currency: prices quoted in another currency were converted once, "
        "when the input was read, at the FX rates listed (units per US dollar), so changing a "
        "rate here does not move the totals; change the converted price instead.",
    )
