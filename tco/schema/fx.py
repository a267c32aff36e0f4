"""Money in one currency: rows priced in another are converted once, at load.

Chips, Fabrics and Cooling rows are quoted in the currency of their `currency`
column (blank = USD, the default catalog's); the Site money values
(electricity price, facility capex, capex budget) are in the Site currency,
which is the reporting currency. Validation rewrites every money field
(`Field.is_money`) of every priced row, and of every `Uncertainty` range on
one, into the Site currency S, so the performance model, the MILP, the plan
and the report see one currency and nothing downstream converts again. For a
row quoted in currency C:

    value [S] = value [C] / units_per_usd(C) [C/USD] x units_per_usd(S) [S/USD]

with `units_per_usd` from the FX sheet and USD = 1 by definition. A row
already in S needs no rate; any other needs the rates of both C and S, and a
missing one is an input error at the cell that asks for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeVar

from tco.errors import InputIssue, show_value
from tco.io.raw import RawTable
from tco.schema.fields import BASE_CURRENCY, FX, PRICED_SHEETS, SITE, Sheet
from tco.schema.rows import ChipRow, CoolingRow, FabricRow, FxRow, UncertaintyRow

PricedT = TypeVar("PricedT", ChipRow, FabricRow, CoolingRow)

_PRICED = {sheet.name: sheet for sheet in PRICED_SHEETS}


@dataclass(frozen=True)
class Rate:
    """One FX row: units of `currency` per US dollar, and where it came from."""

    currency: str
    units_per_usd: float
    source: str
    #: 1-based row of the FX sheet.
    input_row: int


@dataclass(frozen=True)
class Conversion:
    """What validation converted, for the report to show.

    `rates` holds the FX rows some conversion used, in FX sheet order (never
    USD, which is 1 by definition); `quoted` the currency each converted row
    was entered in, by (sheet, row id). Every money value of `PlanningInputs`
    is already in the Site currency.
    """

    rates: Mapping[str, Rate]
    quoted: Mapping[tuple[str, str], str]


class Converter:
    """Converts priced rows and their ranges to the Site currency, collecting issues.

    Rates come from the typed FX rows; `issues` holds a USD row that is not 1,
    each row whose currency has no rate (at its `currency` cell) and, once, a
    Site currency without a rate that a conversion needs (at the Site cell). A
    currency in `invalid` has an FX row that failed validation: its own issue
    is reported, so the rows needing it are not told to add one.
    """

    def __init__(
        self,
        fx_rows: Mapping[str, tuple[int, FxRow]],
        fx_table: RawTable,
        site_currency: str,
        site_row: int | None,
        invalid: frozenset[str] = frozenset(),
    ) -> None:
        self.currency = site_currency
        self.issues: list[InputIssue] = []
        self._site_row = site_row
        self._invalid = invalid
        self._rates: dict[str, Rate] = {}
        for code, (row, fx) in fx_rows.items():
            if code == BASE_CURRENCY and fx.units_per_usd != 1:
                self.issues.append(
                    InputIssue(
                        f"{BASE_CURRENCY} is the base of every rate: units_per_usd must be 1, "
                        f"got {show_value(fx.units_per_usd)} (or leave the {BASE_CURRENCY} row "
                        "out)",
                        FX.name,
                        row,
                        fx_table.column_of("units_per_usd"),
                        "units_per_usd",
                    )
                )
                continue
            self._rates[code] = Rate(code, fx.units_per_usd, fx.source or "", row)
        self._used: set[str] = set()
        self._quoted: dict[tuple[str, str], str] = {}
        #: Currencies of converted rows, when the Site currency has no rate.
        self._need_site_rate: set[str] = set()

    def units_per_usd(self, currency: str) -> float | None:
        """Units of `currency` per US dollar; None when the FX sheet does not list it."""
        if currency == BASE_CURRENCY:
            return 1.0
        rate = self._rates.get(currency)
        return rate.units_per_usd if rate is not None else None

    def convert_rows(
        self, sheet: Sheet, table: RawTable, rows: Mapping[str, tuple[int, PricedT]]
    ) -> dict[str, tuple[int, PricedT]]:
        """`rows` with every money field in the Site currency and `currency` set to it.

        A row whose conversion lacks a rate is returned unchanged; its issue is recorded.
        """
        out: dict[str, tuple[int, PricedT]] = {}
        for row_id, (row, model) in rows.items():
            quoted = model.currency
            if self._convertible(quoted, table, row):
                self._quoted[(sheet.name, row_id)] = quoted
                update: dict[str, object] = {
                    key: self.to_site(value, quoted)
                    for key in sheet.money_keys
                    if (value := getattr(model, key)) is not None
                }
                model = model.model_copy(update={**update, "currency": self.currency})
            out[row_id] = (row, model)
        return out

    def convert_range(self, u: UncertaintyRow, table: RawTable, row: int) -> UncertaintyRow:
        """A range on money in the Site currency (others as given): from its own `currency`
        when the Uncertainty row gives one, else from the currency of the row holding the
        value (a Site value is in the Site currency already).

        `low` and `high` go through the nominal value's arithmetic, so a range that held its
        nominal still does. A missing rate is an issue at the Uncertainty row's currency.
        """
        if u.sheet == SITE.name:
            money = u.row_id in SITE.keys and SITE.field(u.row_id).is_money
        else:
            sheet = _PRICED.get(u.sheet)
            money = sheet is not None and u.field in sheet.money_keys
        quoted = u.currency or self._quoted.get((u.sheet, u.row_id))
        if not money or quoted is None or not self._convertible(quoted, table, row, "this range"):
            return u
        return u.model_copy(
            update={
                "low": self.to_site(u.low, quoted),
                "high": self.to_site(u.high, quoted),
                "currency": self.currency,
            }
        )

    def to_site(self, value: float, quoted: str) -> float:
        """`value` [quoted] in the Site currency, by the module's equation."""
        from_rate, to_rate = self.units_per_usd(quoted), self.units_per_usd(self.currency)
        if from_rate is None or to_rate is None:
            raise KeyError(f"no FX rate to convert {quoted} to {self.currency}")
        return value / from_rate * to_rate

    def conversion(self) -> Conversion:
        """The rates used and the quoted currencies; records a missing Site rate once."""
        if self._need_site_rate:
            self.issues.append(
                InputIssue(
                    f"no FX rate for the Site currency {self.currency}: rows priced in "
                    f"{', '.join(sorted(self._need_site_rate))} need it to be converted; add a "
                    f"row to sheet FX (currency {self.currency}, units_per_usd = "
                    f"{self.currency} per US dollar)",
                    SITE.name,
                    self._site_row,
                    "B" if self._site_row is not None else None,
                    "currency",
                )
            )
        used = sorted(
            (r for c, r in self._rates.items() if c in self._used), key=lambda r: r.input_row
        )
        return Conversion(
            MappingProxyType({r.currency: r for r in used}),
            MappingProxyType(dict(self._quoted)),
        )

    def _convertible(
        self, quoted: str, table: RawTable, row: int, what: str = "this row's prices"
    ) -> bool:
        """A row quoted in `quoted` needs converting and both rates exist (else the issue,
        which says what needs the rate)."""
        if quoted == self.currency:
            return False
        from_rate, to_rate = self.units_per_usd(quoted), self.units_per_usd(self.currency)
        if from_rate is None and quoted not in self._invalid:
            self.issues.append(
                InputIssue(
                    f"no FX rate for {quoted}: add a row to sheet FX (currency {quoted}, "
                    f"units_per_usd = {quoted} per US dollar) to convert {what} to the Site "
                    f"currency {self.currency}",
                    table.name,
                    row,
                    table.column_of("currency"),
                    "currency",
                )
            )
        if to_rate is None and self.currency not in self._invalid:
            self._need_site_rate.add(quoted)
        if from_rate is None or to_rate is None:
            return False
        self._used.update(c for c in (quoted, self.currency) if c != BASE_CURRENCY)
        return True
