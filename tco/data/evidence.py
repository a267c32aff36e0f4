"""The public record behind the default catalog's prices (`price_evidence.csv`).

Most Chinese accelerator prices are not published, so the catalog's card, host,
network and cooling prices are placeholders with `Uncertainty` ranges. This
module reads the evidence file that says what each range rests on: one line per
figure found in the public record (news report, tender or order value,
distributor listing, analyst estimate, or a figure derived from published ones),
with its source, date, what exactly it prices and the US dollars per unit it
implies; or one `guess` line where the search found nothing. `tco/data/README.md`
documents the columns.

The checks here are the contract between the three files: every line points at
a real catalog row and price column and its dollar figure is its own arithmetic
(value / fx_per_usd / units); every price that is a placeholder or carries a
range has evidence or an explicit guess line; every `range` figure lies inside
its `Uncertainty` range. An `all_in` figure (a server, order or system value per
card) is compared with the catalog's own all-in span per card:

    card + node / cards_per_node + system / system_cards   [USD per card]

taking each term's `Uncertainty` low and high where it has one, else its nominal.
`readme_lines` turns the same data into the README sheet's account of which
prices rest on evidence and which remain guesses.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

from tco.data.catalog import DEFAULT_CATALOG, Catalog

FILE_NAME = "price_evidence.csv"

#: The price columns evidence may point at. `migration_cost` is money too, but a porting
#: effort, not a market price: no report or tender prices it.
PRICE_FIELDS: Mapping[str, tuple[str, ...]] = {
    "Chips": ("card_price", "node_price", "system_price"),
    "Fabrics": ("switch_price", "nic_price", "optic_price", "cable_price"),
    "Cooling": ("capex_per_kw", "rack_price"),
}
ID_KEYS = {"Chips": "chip_id", "Fabrics": "fabric_id", "Cooling": "cooling_id"}

COLUMNS = (
    "sheet",
    "row_id",
    "field",
    "kind",
    "use",
    "compare",
    "value",
    "value_high",
    "currency",
    "tax",
    "units",
    "fx_per_usd",
    "usd_per_unit",
    "usd_per_unit_high",
    "date",
    "source",
    "confidence",
    "note",
)
KINDS = ("quote", "report", "estimate", "derived", "guess")
USES = ("range", "context")
COMPARES = ("field", "all_in")
TAXES = ("incl", "excl", "unknown")
CONFIDENCES = ("high", "medium", "low")
_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
#: A recorded dollar figure may differ from value / fx / units by rounding only.
_USD_TOLERANCE = 0.005

#: (sheet, row id, price column) of one catalog price.
PriceKey = tuple[str, str, str]


class EvidenceError(ValueError):
    """The evidence file breaks its contract; each line of the message names file and line."""


@dataclass(frozen=True)
class Evidence:
    """One line of `price_evidence.csv`: a published figure, or a guess for want of one."""

    line: int
    sheet: str
    row_ids: tuple[str, ...]
    field: str
    kind: str
    use: str
    compare: str
    value: float | None
    value_high: float | None
    currency: str
    tax: str
    units: float | None
    fx_per_usd: float | None
    usd_per_unit: float | None
    usd_per_unit_high: float | None
    date: str
    source: str
    confidence: str
    note: str

    @property
    def is_guess(self) -> bool:
        return self.kind == "guess"

    @property
    def usd_span(self) -> tuple[float, float]:
        """USD per unit of the price column (per card for `all_in`), low and high."""
        assert self.usd_per_unit is not None, "a guess has no figure"
        high = self.usd_per_unit_high if self.usd_per_unit_high is not None else self.usd_per_unit
        return self.usd_per_unit, high

    def price_keys(self) -> list[PriceKey]:
        return [(self.sheet, row_id, self.field) for row_id in self.row_ids]


def load_evidence(
    catalog: Catalog = DEFAULT_CATALOG, folder: Traversable | None = None
) -> tuple[Evidence, ...]:
    """Read `price_evidence.csv` from `folder` (default: the one in `tco.data`) and check each line.

    Raises `EvidenceError` listing every malformed line: unknown sheet, row or price
    column, a value outside the enumerations, a guess carrying numbers, a figure
    missing one, or a dollar figure that is not value / fx_per_usd / units.
    """
    path = (folder if folder is not None else files("tco.data")) / FILE_NAME
    with (
        path.open("rb") as binary,
        io.TextIOWrapper(binary, encoding="utf-8-sig", newline="") as handle,
    ):
        reader = csv.reader(handle)
        header = next(reader, [])
        if tuple(header) != COLUMNS:
            raise EvidenceError(f"{path}, line 1: the header must be {', '.join(COLUMNS)}")
        problems: list[str] = []
        rows: list[Evidence] = []
        line = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                if len(cells) != len(COLUMNS):
                    problems.append(f"{path}, line {line}: {len(cells)} cells, not {len(COLUMNS)}")
                else:
                    cell = {k: v.strip() for k, v in zip(COLUMNS, cells, strict=True)}
                    found = _line_problems(cell, catalog)
                    problems += [f"{path}, line {line}: {text}" for text in found]
                    if not found:
                        rows.append(_evidence(line, cell))
            line = reader.line_num + 1
    if problems:
        raise EvidenceError("\n".join(problems))
    return tuple(rows)


def _number(text: str) -> float | None:
    return float(text) if text else None


def _evidence(line: int, cell: Mapping[str, str]) -> Evidence:
    return Evidence(
        line=line,
        sheet=cell["sheet"],
        row_ids=tuple(cell["row_id"].split("|")),
        field=cell["field"],
        kind=cell["kind"],
        use=cell["use"],
        compare=cell["compare"],
        value=_number(cell["value"]),
        value_high=_number(cell["value_high"]),
        currency=cell["currency"],
        tax=cell["tax"],
        units=_number(cell["units"]),
        fx_per_usd=_number(cell["fx_per_usd"]),
        usd_per_unit=_number(cell["usd_per_unit"]),
        usd_per_unit_high=_number(cell["usd_per_unit_high"]),
        date=cell["date"],
        source=cell["source"],
        confidence=cell["confidence"],
        note=cell["note"],
    )


def _line_problems(cell: Mapping[str, str], catalog: Catalog) -> list[str]:
    """What is wrong with one line on its own (references, enumerations, arithmetic)."""
    problems: list[str] = []
    sheet = cell["sheet"]
    if sheet not in PRICE_FIELDS:
        return [f"sheet {sheet!r} is not one of {', '.join(PRICE_FIELDS)}"]
    if cell["field"] not in PRICE_FIELDS[sheet]:
        problems.append(f"field {cell['field']!r} is not a price column of {sheet}")
    ids = {str(r[ID_KEYS[sheet]]) for r in catalog[sheet]}
    for row_id in cell["row_id"].split("|"):
        if row_id not in ids:
            problems.append(f"{sheet} has no row {row_id!r}")
        elif (
            cell["field"] in PRICE_FIELDS[sheet]
            and _nominal(catalog, sheet, row_id, cell["field"]) is None
        ):
            problems.append(f"{sheet} {row_id} has no {cell['field']}")
    if not cell["source"]:
        problems.append("source is blank")
    if cell["kind"] not in KINDS:
        return [*problems, f"kind {cell['kind']!r} is not one of {', '.join(KINDS)}"]
    numbers = ("value", "value_high", "units", "fx_per_usd", "usd_per_unit", "usd_per_unit_high")
    if cell["kind"] == "guess":
        filled = [k for k in (*numbers, "use", "compare", "currency", "tax", "date") if cell[k]]
        if filled:
            problems.append(f"a guess records no figure, but {', '.join(filled)} is filled")
        return problems
    for key, allowed in (
        ("use", USES),
        ("compare", COMPARES),
        ("tax", TAXES),
        ("confidence", CONFIDENCES),
    ):
        if cell[key] not in allowed:
            problems.append(f"{key} {cell[key]!r} is not one of {', '.join(allowed)}")
    if cell["compare"] == "all_in" and cell["field"] != "card_price":
        problems.append(
            "compare all_in (a value per card with its host) applies to card_price only"
        )
    if cell["use"] == "context" and not cell["note"]:
        problems.append("a context figure needs a note saying why the range need not cover it")
    if cell["date"] and not _DATE.fullmatch(cell["date"]):
        problems.append(f"date {cell['date']!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    if not cell["date"] and "date not stated" not in cell["note"]:
        problems.append("date is blank and the note does not say 'date not stated'")
    if not re.fullmatch(r"[A-Z]{3}", cell["currency"]):
        problems.append(f"currency {cell['currency']!r} is not an ISO 4217 code")
    try:
        value, high, units, fx, usd, usd_high = (_number(cell[k]) for k in numbers)
    except ValueError as error:
        return [*problems, f"not a number: {error}"]
    if value is None or units is None or fx is None or usd is None:
        return [*problems, "value, units, fx_per_usd and usd_per_unit are required"]
    if value <= 0 or units <= 0 or fx <= 0:
        problems.append("value, units and fx_per_usd must be positive")
        return problems
    if cell["currency"] == "USD" and fx != 1:
        problems.append("a USD figure has fx_per_usd 1")
    for given, raw, label in ((usd, value, "usd_per_unit"), (usd_high, high, "usd_per_unit_high")):
        if (given is None) != (raw is None):
            problems.append(f"{label} and its value column must be both filled or both blank")
        elif given is not None and raw is not None:
            expected = raw / fx / units
            if abs(given - expected) > max(1.0, _USD_TOLERANCE * expected):
                problems.append(
                    f"{label} {given:g} is not value / fx_per_usd / units = {expected:.0f}"
                )
    if high is not None and high < value:
        problems.append("value_high is below value")
    return problems


def _row(catalog: Catalog, sheet: str, row_id: str) -> Mapping[str, object]:
    return next(r for r in catalog[sheet] if r[ID_KEYS[sheet]] == row_id)


def _nominal(catalog: Catalog, sheet: str, row_id: str, field: str) -> float | None:
    value = _row(catalog, sheet, row_id).get(field)
    return float(value) if isinstance(value, int | float) else None


def uncertainty_ranges(catalog: Catalog) -> dict[PriceKey, tuple[float, float]]:
    """The catalog's `Uncertainty` range of every price column that has one."""
    return {
        (str(u["sheet"]), str(u["row_id"]), str(u["field"])): (float(u["low"]), float(u["high"]))  # type: ignore[arg-type]
        for u in catalog["Uncertainty"]
        if str(u["field"]) in PRICE_FIELDS.get(str(u["sheet"]), ())
    }


def accounted_prices(catalog: Catalog) -> list[PriceKey]:
    """Prices the evidence file must account for, in catalog order.

    A price needs an account when it is a placeholder (a Chips row of price_confidence
    low; a Fabrics or Cooling row of confidence low or whose source says placeholder)
    or when it carries an `Uncertainty` range. Zero prices (on-chip NIC ports) are
    structural, not prices.
    """
    ranged = uncertainty_ranges(catalog)
    keys: list[PriceKey] = []
    for sheet, fields in PRICE_FIELDS.items():
        for row in catalog[sheet]:
            row_id = str(row[ID_KEYS[sheet]])
            if sheet == "Chips":
                placeholder = row.get("price_confidence") == "low"
            else:
                placeholder = row.get("confidence") == "low" or "placeholder" in str(
                    row.get("source", "")
                )
            for field in fields:
                nominal = _nominal(catalog, sheet, row_id, field)
                if nominal and (placeholder or (sheet, row_id, field) in ranged):
                    keys.append((sheet, row_id, field))
    return keys


def all_in_span(
    catalog: Catalog, row_id: str, ranges: Mapping[PriceKey, tuple[float, float]]
) -> tuple[float, float]:
    """A chip's price per card with its share of host and system, low and high [USD/card]."""
    row = _row(catalog, "Chips", row_id)

    def span(field: str) -> tuple[float, float]:
        nominal = _nominal(catalog, "Chips", row_id, field) or 0.0
        return ranges.get(("Chips", row_id, field), (nominal, nominal))

    per_node = float(row["cards_per_node"])  # type: ignore[arg-type]
    per_system = float(row.get("system_cards") or 1)  # type: ignore[arg-type]
    card, node, system = span("card_price"), span("node_price"), span("system_price")
    systems = 1.0 if row.get("system_cards") else 0.0
    return tuple(  # type: ignore[return-value]
        card[i] + node[i] / per_node + systems * system[i] / per_system for i in (0, 1)
    )


def by_price(evidence: Iterable[Evidence]) -> dict[PriceKey, list[Evidence]]:
    """Evidence lines per price, each line under every row it names."""
    found: dict[PriceKey, list[Evidence]] = {}
    for item in evidence:
        for key in item.price_keys():
            found.setdefault(key, []).append(item)
    return found


def resting_on_evidence(catalog: Catalog, evidence: Sequence[Evidence]) -> set[PriceKey]:
    """Accounted prices with at least one `range` figure (the rest are guesses)."""
    found = by_price(evidence)
    return {
        key
        for key in accounted_prices(catalog)
        if any(not e.is_guess and e.use == "range" for e in found.get(key, ()))
    }


def coverage_problems(catalog: Catalog, evidence: Sequence[Evidence]) -> list[str]:
    """Every way the evidence and the catalog's prices and ranges disagree (empty when they agree).

    - an accounted price has no `range` figure and no guess line, or has both;
    - a `range` figure's price has no `Uncertainty` range, or the range misses it;
    - a price `Uncertainty` row's source does not name the evidence file (when it rests
      on evidence) or does not start with 'guess' (when it does not);
    - one vendor's card prices are not drawn as one `Uncertainty` group.
    """
    problems: list[str] = []
    found = by_price(evidence)
    ranges = uncertainty_ranges(catalog)
    based = resting_on_evidence(catalog, evidence)
    for key in accounted_prices(catalog):
        guesses = [e for e in found.get(key, ()) if e.is_guess]
        label = " ".join(key)
        if key in based and guesses:
            problems.append(
                f"{label}: has range evidence and a guess line (line {guesses[0].line})"
            )
        if key not in based and not guesses:
            problems.append(f"{label}: no range evidence and no guess line")
    for key, items in found.items():
        for item in items:
            if item.is_guess or item.use != "range":
                continue
            low, high = item.usd_span
            if item.compare == "all_in":
                span = all_in_span(catalog, key[1], ranges)
            elif key in ranges:
                span = ranges[key]
            else:
                problems.append(f"{' '.join(key)}: line {item.line} is range evidence, no range")
                continue
            if low < span[0] * (1 - 1e-9) or high > span[1] * (1 + 1e-9):
                what = "all-in span" if item.compare == "all_in" else "Uncertainty range"
                problems.append(
                    f"{' '.join(key)}: line {item.line} ({low:,.0f}-{high:,.0f} USD) lies outside "
                    f"the {what} {span[0]:,.0f}-{span[1]:,.0f}"
                )
    for u in catalog["Uncertainty"]:
        key = (str(u["sheet"]), str(u["row_id"]), str(u["field"]))
        if key[2] not in PRICE_FIELDS.get(key[0], ()):
            continue
        source = str(u.get("source", ""))
        if key in based and FILE_NAME not in source:
            problems.append(f"{' '.join(key)}: Uncertainty source does not cite {FILE_NAME}")
        if key not in based and not source.startswith("guess"):
            problems.append(f"{' '.join(key)}: Uncertainty source does not start with 'guess'")
    vendor_groups: dict[str, set[str]] = {}
    for u in catalog["Uncertainty"]:
        if (u["sheet"], u["field"]) == ("Chips", "card_price"):
            vendor = str(_row(catalog, "Chips", str(u["row_id"]))["vendor"])
            vendor_groups.setdefault(vendor, set()).add(str(u.get("group") or ""))
    for vendor, groups in vendor_groups.items():
        if len(groups) != 1 or "" in groups:
            problems.append(
                f"{vendor} card prices must share one Uncertainty group (one vendor's price "
                f"level moves as one), found {sorted(groups)}"
            )
    return problems


def _money(value: float) -> str:
    return f"{value:,.0f}"


def _span_text(low: float, high: float) -> str:
    return _money(low) if round(low) == round(high) else f"{_money(low)}-{_money(high)}"


#: What one unit of each price column is, for the README's USD-per-unit figures.
UNIT_OF = {
    "card_price": "per card",
    "node_price": "per host",
    "system_price": "per system",
    "switch_price": "per switch",
    "nic_price": "per NIC port",
    "optic_price": "per transceiver",
    "cable_price": "per cable",
    "capex_per_kw": "per kW",
    "rack_price": "per rack",
}


def _evidence_text(catalog: Catalog, key: PriceKey, figures: Sequence[Evidence]) -> str:
    """One price's evidence in a phrase: count, years, USD spans, best confidence, range."""
    parts = []
    for compare, label in (("field", UNIT_OF[key[2]]), ("all_in", "all-in per card")):
        spans = [e.usd_span for e in figures if e.compare == compare]
        if spans:
            low, high = min(s[0] for s in spans), max(s[1] for s in spans)
            parts.append(f"{_span_text(low, high)} USD {label}")
    years = sorted({e.date[:4] for e in figures if e.date})
    when = f" ({years[0]}-{years[-1]})" if len(years) > 1 else (f" ({years[0]})" if years else "")
    best = min((CONFIDENCES.index(e.confidence) for e in figures), default=len(CONFIDENCES) - 1)
    span = uncertainty_ranges(catalog).get(key)
    range_text = f"; Uncertainty {_span_text(*span)}" if span else ""
    count = f"{len(figures)} figure{'s' if len(figures) != 1 else ''}"
    return f"{count}{when}, best {CONFIDENCES[best]}: {', '.join(parts)}{range_text}"


def readme_lines(catalog: Catalog, evidence: Sequence[Evidence]) -> list[str]:
    """The README sheet's account of the catalog's prices: what rests on evidence, what is a guess.

    One line per price resting on evidence (prices with the same figures and
    range, such as the shared PCIe host, share a line), then one line per price
    column listing the rows that remain guesses.
    """
    found = by_price(evidence)
    accounted = accounted_prices(catalog)
    based = resting_on_evidence(catalog, evidence)
    lines = [
        f"{len(based)} of the {len(accounted)} default prices that are placeholders or carry a "
        f"range rest on published figures; {len(accounted) - len(based)} remain guesses. "
        f"Every figure, its source and date, what it prices (card, 8-card server, order, "
        f"system; currency, tax) and the USD per unit it implies is in tco/data/{FILE_NAME}; "
        "each price's Uncertainty range covers its figures (server, order and system values "
        "per card are compared with card + host share). News and listing prices are not "
        "quotes: replace them with yours.",
    ]
    merged: dict[tuple[str, str, str], list[str]] = {}
    for key in accounted:
        if key in based:
            figures = [e for e in found[key] if not e.is_guess and e.use == "range"]
            sheet, row_id, field = key
            nominal = _money(_nominal(catalog, sheet, row_id, field) or 0.0)
            text = f"{field} {nominal} USD: {_evidence_text(catalog, key, figures)}."
            merged.setdefault((sheet, field, text), []).append(row_id)
    for (sheet, _, text), row_ids in merged.items():
        lines.append(f"Evidence: {sheet} {', '.join(row_ids)} {text}")
    guesses: dict[tuple[str, str], list[str]] = {}
    for sheet, row_id, field in accounted:
        if (sheet, row_id, field) not in based:
            guesses.setdefault((sheet, field), []).append(row_id)
    for (sheet, field), row_ids in guesses.items():
        lines.append(f"Guess (no public figure found): {sheet} {field}: {', '.join(row_ids)}.")
    return lines
