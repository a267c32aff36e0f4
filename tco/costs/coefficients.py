"""Cost coefficients of a pool's input rows: evaluated in batches, memoised on their values.

`registry.coefficients` evaluates the registry's equations on `Linear` unit forms for
one (chip, fabric, cooling, Site) combination at a time, about 0.3 ms each. The
presolve needs them for every option's combination (about 150 in a risk sample of
the example, all of whose prices differ from the last sample's), the objective for
every option of the model, and a tornado or switching re-solve for the same
combinations with one field changed. Here:

- batch: `registry.price_pool` runs once on arrays, decision d being the unit column
  e_d (decisions x 1) and each field the batch's row values (n), so entry (d, i) of
  every result is computed by the same sequence of IEEE operations as the `Linear`
  evaluation of combination i, plus additions of 0.0 to and products of 0.0 with the
  decisions a term lacks, which change no finite value: the coefficients are
  bit-identical to `registry.coefficients` (tests/test_coefficients.py checks). A
  batch holding a non-finite field value is evaluated one `Linear` at a time.
- memo: an entry's key is the values of exactly the fields `price_pool` reads
  (`FIELDS`, found by running it once on a recording lookup; the registry's equations
  read the same fields whatever their values), so an entry is a function of its key
  alone and is never stale. The oldest entries go first past `ENTRIES`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import numpy as np

from tco.costs import registry

#: Sheets of the rows a pool is priced by, in the order callers pass the rows.
SHEETS = ("Chips", "Fabrics", "Cooling", "Site")


def _fields_read() -> tuple[tuple[str, str], ...]:
    """(sheet, field) pairs the registry's pool equations read, sheet by sheet (`SHEETS`)."""
    read: dict[tuple[str, str], None] = {}

    def lookup(sheet: str, name: str) -> float:
        read.setdefault((sheet, name), None)
        return 1.0

    registry.coefficients(lookup)
    return tuple(f for sheet in SHEETS for f in read if f[0] == sheet)


#: Every input field `registry.price_pool` reads: what the coefficients depend on.
FIELDS: tuple[tuple[str, str], ...] = _fields_read()
#: Per sheet, in `FIELDS` order: (position of its row, getter of its fields' values).
_GETTERS = tuple(
    (i, attrgetter(*names))
    for i, sheet in enumerate(SHEETS)
    for names in [tuple(n for s, n in FIELDS if s == sheet)]
    if names
)

#: Memo entries kept per process (a risk sample of the example adds about 150).
ENTRIES = 4096

Rows = tuple[Any, Any, Any, Any]
Key = tuple[float, ...]


@dataclass(frozen=True)
class Coefficients:
    """A pool's cost equations as one coefficient per decision (`registry.DECISIONS`)."""

    #: (capex [currency], opex per year [currency / yr], facility kW) x decisions;
    #: read-only, shared by every caller.
    matrix: np.ndarray
    capex: tuple[float, ...]
    energy_per_year: tuple[float, ...]
    maintenance_per_year: tuple[float, ...]


_MEMO: OrderedDict[Key, Coefficients] = OrderedDict()


def key_of(rows: Rows) -> Key:
    """The values of `FIELDS` in (chip, fabric, cooling, Site) `rows`, as `row_lookup`
    reads them."""
    values: list[Any] = []
    for i, getter in _GETTERS:
        got = getter(rows[i])
        values.extend(got if isinstance(got, tuple) else (got,))
    return tuple(map(float, values))


def of_rows(chip: Any, fabric: Any, cooling: Any, site: Any) -> Coefficients:
    """The coefficients of one pool's rows."""
    return many([(chip, fabric, cooling, site)])[0]


def many(batch: Sequence[Rows]) -> list[Coefficients]:
    """The coefficients of each (chip, fabric, cooling, Site) in `batch`, in order; the
    combinations not memoised yet are evaluated together."""
    keys = [key_of(rows) for rows in batch]
    missing = list(dict.fromkeys(k for k in keys if k not in _MEMO))
    if missing:
        for k, found in zip(missing, _evaluate(missing), strict=True):
            _MEMO[k] = found
    out = []
    for k in keys:
        _MEMO.move_to_end(k)
        out.append(_MEMO[k])
    while len(_MEMO) > ENTRIES:
        _MEMO.popitem(last=False)
    return out


def _evaluate(keys: list[Key]) -> list[Coefficients]:
    values = np.array(keys, dtype=float)
    if not np.isfinite(values).all():
        return [_one(k) for k in keys]
    column = {field: values[:, i] for i, field in enumerate(FIELDS)}
    units = np.eye(len(registry.DECISIONS))[:, :, None]  # units[d] = e_d, a column
    cost = registry.price_pool(
        registry.PoolQuantities(*units), lambda sheet, name: column[(sheet, name)]
    )
    shape = (len(registry.DECISIONS), len(keys))
    capex, opex, facility, energy, maintenance = (
        np.broadcast_to(np.asarray(form, dtype=float), shape).T
        for form in (
            cost.capex,
            cost.opex_per_year,
            cost.facility_kw,
            cost.energy_per_year,
            cost.maintenance_per_year,
        )
    )
    matrices = np.stack([capex, opex, facility], axis=1)  # (n, 3, decisions), a copy
    matrices.flags.writeable = False
    rows = zip(capex.tolist(), energy.tolist(), maintenance.tolist(), strict=True)
    return [
        Coefficients(matrices[i], tuple(c), tuple(e), tuple(m)) for i, (c, e, m) in enumerate(rows)
    ]


def _one(key: Key) -> Coefficients:
    """One combination through `registry.coefficients` (the reference evaluation)."""
    values = dict(zip(FIELDS, key, strict=True))
    cost = registry.coefficients(lambda sheet, name: values[(sheet, name)])

    def row(form: Any) -> tuple[float, ...]:
        return tuple(form.coefficient(d) for d in registry.DECISIONS)

    matrix = np.array([row(cost.capex), row(cost.opex_per_year), row(cost.facility_kw)])
    matrix.flags.writeable = False
    return Coefficients(
        matrix, row(cost.capex), row(cost.energy_per_year), row(cost.maintenance_per_year)
    )
