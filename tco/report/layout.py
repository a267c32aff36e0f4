"""Where everything in the report is, fixed before any sheet is written.

Sheets refer to each other both ways (a BOM quantity refers to the Pools
cards, the Pools capex sums the BOM lines), so every row is placed first:
one row per pool on Pools, Network and Power, the BOM grouped by pool, one
row per year on CashFlow, the alternatives in the order they are listed.
Each cell then carries the engine's number from the `Plan` as its cached
value, whatever order the sheets are written in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tco.costs import registry
from tco.costs.formula import Formula
from tco.plan.extract import BomLine, Plan, PoolPlan
from tco.report.cells import FIRST_ROW, Table
from tco.report.names import Key, Names
from tco.scenario.alternatives import DIMENSIONS, Alternative
from tco.schema.inputs import PlanningInputs

#: The quantities the report must show per pool: the decisions and what a line is counted in.
QUANTITIES = tuple(dict.fromkeys((*registry.DECISIONS, *(ln.quantity for ln in registry.LINES))))


@dataclass(frozen=True)
class BomRow:
    line: BomLine
    #: Index of the pool the line belongs to; None for a site line (migration).
    pool: int | None


class Layout:
    """Rows of every sheet, the workbook names and the tables, by sheet name."""

    def __init__(
        self,
        inputs: PlanningInputs,
        plan: Plan,
        alternatives: Sequence[Alternative],
        tables: Mapping[str, Table],
        assumption_keys: Sequence[Key],
    ) -> None:
        self.inputs = inputs
        self.plan = plan
        self.currency = str(inputs.site.currency)
        self.tables = tables
        self.pools: tuple[PoolPlan, ...] = plan.pools
        self.names = Names(assumption_keys)
        self.bom, self.pool_spans = _group_bom(plan)
        self.alternatives = _ordered(alternatives)
        self._alternative_rows = {
            (a.dimension, a.forced_id): self.optimum_row + 1 + k
            for k, a in enumerate(self.alternatives)
        }
        self._quantity_columns = _quantity_columns(tables)
        #: Sentences of a `tco risk` run for the Summary sheet (none for `tco optimize`).
        self.risk_lines: tuple[str, ...] = ()

    # ------------------------------------------------------------ rows
    def pool_row(self, index: int) -> int:
        """Row of pool `index` on Pools, Network and Power."""
        return FIRST_ROW + index

    @property
    def pool_total_row(self) -> int:
        return FIRST_ROW + len(self.pools)

    def bom_row(self, index: int) -> int:
        return FIRST_ROW + index

    @property
    def bom_total_row(self) -> int:
        return FIRST_ROW + len(self.bom)

    def year_row(self, index: int) -> int:
        return FIRST_ROW + index

    @property
    def cash_total_row(self) -> int:
        return FIRST_ROW + len(self.plan.cash_flow)

    @property
    def annuity_row(self) -> int:
        return self.cash_total_row + 2

    @property
    def optimum_row(self) -> int:
        return FIRST_ROW

    def alternative_row(self, a: Alternative) -> int:
        return self._alternative_rows[(a.dimension, a.forced_id)]

    def migration_rows(self) -> list[int]:
        """BOM rows of the one-off migration lines."""
        return [
            self.bom_row(k)
            for k, row in enumerate(self.bom)
            if row.line.key == registry.MIGRATION_KEY
        ]

    # ------------------------------------------------------------ pools
    def prices(self, pool: PoolPlan) -> registry.FieldLookup:
        """(sheet, field) -> the workbook name of the pool's input value."""
        ids = {"Chips": pool.chip, "Fabrics": pool.fabric, "Cooling": pool.cooling, "Site": ""}

        def lookup(sheet: str, field: str) -> Formula:
            return self.names.formula(sheet, ids[sheet], field)

        return lookup

    def numbers(self, pool: PoolPlan) -> registry.FieldLookup:
        """(sheet, field) -> the pool's input value as a number."""
        inputs = self.inputs
        return registry.row_lookup(
            inputs.chips[pool.chip],
            inputs.fabrics[pool.fabric],
            inputs.coolings[pool.cooling],
            inputs.site,
        )

    def quantities(self, index: int, here: Table | None = None) -> dict[str, Formula]:
        """Quantity name -> the cell showing that count for pool `index` (same-sheet
        references for the quantities shown on `here`)."""
        row = self.pool_row(index)
        return {
            name: table.local(name, row) if table is here else table.ref(name, row)
            for name, table in self._quantity_columns.items()
        }

    def decisions(
        self, index: int, here: Table | None = None, copies: Mapping[str, Formula] | None = None
    ) -> registry.PoolQuantities:
        """The pool's decisions as cell references, for the registry's equations; `copies`
        names cells on the calling sheet that repeat a count, to refer to instead."""
        q = self.quantities(index, here) | dict(copies or {})
        return registry.PoolQuantities(**{name: q[name] for name in registry.DECISIONS})


def _group_bom(plan: Plan) -> tuple[tuple[BomRow, ...], tuple[tuple[int, int], ...]]:
    """BOM lines grouped by pool (contiguous, so a pool's capex is one SUM), site lines last;
    and the first and last BOM row of each pool."""
    rows: list[BomRow] = []
    spans: list[tuple[int, int]] = []
    taken: set[int] = set()
    for i, pool in enumerate(plan.pools):
        start = len(rows)
        for k, line in enumerate(plan.bom):
            if line.pool == pool.name and line.key in registry.LINES_BY_KEY and k not in taken:
                rows.append(BomRow(line, i))
                taken.add(k)
        if len(rows) == start:
            raise ValueError(f"pool {pool.name} has no BOM lines")
        spans.append((FIRST_ROW + start, FIRST_ROW + len(rows) - 1))
    rows += [BomRow(line, None) for k, line in enumerate(plan.bom) if k not in taken]
    return tuple(rows), tuple(spans)


def _ordered(alternatives: Sequence[Alternative]) -> tuple[Alternative, ...]:
    """Per dimension, cheapest first, those without a plan last."""
    out: list[Alternative] = []
    for dimension in DIMENSIONS:
        alts = [a for a in alternatives if a.dimension == dimension]
        out += sorted(alts, key=lambda a: (a.tco is None, a.tco or 0.0))
    return tuple(out)


def _quantity_columns(tables: Mapping[str, Table]) -> dict[str, Table]:
    """Quantity name -> the one table with a column showing it; every quantity has one."""
    found: dict[str, Table] = {}
    for table in tables.values():
        for column in table.columns:
            if column.quantity:
                if column.key in found or column.key not in QUANTITIES:
                    raise ValueError(f"{table.sheet}: quantity column {column.key!r} is ambiguous")
                found[column.key] = table
    missing = set(QUANTITIES) - set(found)
    if missing:
        raise ValueError(f"no sheet shows the quantities {sorted(missing)}")
    return found
