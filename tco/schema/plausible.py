"""Values that pass validation but look wrong: warned about, never refused.

A node's power typed into `tdp_w`, a price in thousands, or a CNY quote in a
row left at the default USD all validate and all give a plan that is wrong.
These checks compare a few values with what shipping hardware spans and, only
when a value falls outside, return a warning located at its sheet, row and
column that says what looks wrong. The plan is still made; the warnings go
with the plan (report Summary, JSON `warnings`) and to `tco validate`.

Prices are judged in USD, whatever the row's currency: value [USD] =
value [C] / units_per_usd(C) [C/USD].
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from tco.errors import InputIssue, show_value
from tco.io.raw import RawTable
from tco.schema.fields import BASE_CURRENCY, CHIPS, COOLING
from tco.schema.rows import ChipRow, CoolingRow

#: Board power of one card [W]: the default catalog spans 75 W (MLU370-S4) to 1,200 W
#: (GB200); far outside that the value is more likely a node's or a rack's power, or a
#: figure in kW.
TDP_W_PLAUSIBLE = (50.0, 5_000.0)

#: Price of one card [USD]: the default catalog spans 1,500 USD (MLU370-S4) to 40,000 USD
#: (H800, B200); far outside that the value is more likely in thousands, a system's price,
#: or a quote in another currency under the wrong `currency`.
CARD_PRICE_USD_PLAUSIBLE = (500.0, 500_000.0)

#: Power usage effectiveness above which a hall is implausibly poor [ratio]: the industry
#: average is 1.56 (Uptime 2024, reference/published_figures.csv), liquid halls 1.1-1.2.
PUE_PLAUSIBLE_MAX = 2.0


def plausibility_warnings(
    chips: Mapping[str, tuple[int, ChipRow]],
    coolings: Mapping[str, tuple[int, CoolingRow]],
    tables: Mapping[str, RawTable],
    units_per_usd: Callable[[str], float | None],
) -> list[InputIssue]:
    """Warnings for implausible chip power and card price and cooling PUE, rows as entered.

    `units_per_usd(currency)` is None for a currency without a rate; that row's
    price is then not judged (its conversion reports the missing rate).
    """
    out: list[InputIssue] = []

    def warn(message: str, table: RawTable, row: int, key: str) -> None:
        out.append(InputIssue(message, table.name, row, table.column_of(key), key))

    chip_table = tables.get(CHIPS.name) or RawTable(CHIPS.name)
    low_w, high_w = TDP_W_PLAUSIBLE
    low_usd, high_usd = CARD_PRICE_USD_PLAUSIBLE
    for row, chip in chips.values():
        if not low_w <= chip.tdp_w <= high_w:
            warn(
                f"tdp_w {chip.tdp_w:,.0f} W per card lies outside the plausible "
                f"{low_w:,.0f} to {high_w:,.0f} W; check it is one card's board power in W "
                "(not kW, not a node's or a rack's)",
                chip_table,
                row,
                "tdp_w",
            )
        rate = units_per_usd(chip.currency)
        if rate is None:
            continue
        usd = chip.card_price / rate
        if not low_usd <= usd <= high_usd:
            quoted = f"{chip.card_price:,.0f} {chip.currency}"
            if chip.currency != BASE_CURRENCY:
                quoted += f" is {usd:,.0f} {BASE_CURRENCY}"
            warn(
                f"card_price {quoted} per card, outside the plausible {low_usd:,.0f} to "
                f"{high_usd:,.0f} {BASE_CURRENCY}; check the price is for one card and the "
                "row's currency is the quote's",
                chip_table,
                row,
                "card_price",
            )
    cooling_table = tables.get(COOLING.name) or RawTable(COOLING.name)
    for row, cooling in coolings.values():
        if cooling.pue > PUE_PLAUSIBLE_MAX:
            warn(
                f"pue {show_value(cooling.pue)} is above {show_value(PUE_PLAUSIBLE_MAX)}: "
                "the industry average is about 1.6; check it is facility kW / IT kW",
                cooling_table,
                row,
                "pue",
            )
    return out
