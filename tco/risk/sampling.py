"""Quasi-random samples of the `Uncertainty` ranges, each a scenario of overrides.

Each independent dimension of the sample is one `group` (or one ungrouped
row): rows of a group share one quantile u in [0, 1), so all NVIDIA prices
move as one import-price shock. A row turns u into a value with the inverse
CDF of its distribution on [low, high], nominal value m (clipped into the
range, which validation already widened to hold it):

- uniform:    x = low + u (high - low)
- triangular: mode m; x = F^-1(u) of the triangular law on [low, m, high]
- pert:       x = low + (high - low) B^-1(u; a, b), a = 1 + 4 (m - low) / (high - low),
              b = 1 + 4 (high - m) / (high - low) (the beta-PERT law, mean (low + 4m + high) / 6)

The quantiles come from a scrambled Sobol sequence (or a Latin hypercube)
seeded with `--seed`: the i-th sample is the same whatever the sample count
rounds up to, so a run of 1,000 samples is a prefix of a run of 1,024.
Integer fields are rounded to the nearest whole number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import beta, qmc, triang

from tco.scenario.scenario import Override
from tco.schema.inputs import PlanningInputs
from tco.schema.rows import UncertaintyRow

#: Quasi-random sequences `draw` knows.
METHODS = ("sobol", "lhs")

_TABLES = {
    "Chips": "chips",
    "Fabrics": "fabrics",
    "Cooling": "coolings",
    "Models": "models",
    "Workloads": "workloads",
}


@dataclass(frozen=True)
class Uncertain:
    """One Uncertainty row with the nominal value it varies and its sample dimension."""

    sheet: str
    row_id: str
    field: str
    low: float
    high: float
    distribution: str
    nominal: float
    dimension: int
    integer: bool

    @property
    def label(self) -> str:
        return f"{self.sheet}[{self.row_id}].{self.field}"

    def values(self, quantile: np.ndarray) -> np.ndarray:
        """The row's values at quantiles u (see the module docstring)."""
        low, high = self.low, self.high
        if high <= low:
            return np.full(quantile.shape, low)
        mode = min(max(self.nominal, low), high)
        if self.distribution == "triangular":
            c = (mode - low) / (high - low)
            x = np.asarray(triang.ppf(quantile, c, loc=low, scale=high - low), dtype=float)
        elif self.distribution == "pert":
            a = 1.0 + 4.0 * (mode - low) / (high - low)
            b = 1.0 + 4.0 * (high - mode) / (high - low)
            x = low + (high - low) * np.asarray(beta.ppf(quantile, a, b), dtype=float)
        else:
            x = low + quantile * (high - low)
        return np.round(x) if self.integer else x

    def override(self, value: float) -> Override:
        return Override(self.sheet, self.row_id, self.field, int(value) if self.integer else value)


def nominal_value(inputs: PlanningInputs, sheet: str, row_id: str, field: str) -> float:
    """The value an Uncertainty row varies, as the input sheet holds it."""
    if sheet == "Site":
        return float(getattr(inputs.site, row_id))
    return float(getattr(getattr(inputs, _TABLES[sheet])[row_id], field))


def _is_integer(inputs: PlanningInputs, sheet: str, row_id: str, field: str) -> bool:
    if sheet == "Site":
        row, key = inputs.site, row_id
    else:
        row, key = getattr(inputs, _TABLES[sheet])[row_id], field
    annotation = type(row).model_fields[key].annotation
    return annotation is int or str(annotation).startswith("int")


def uncertain_rows(inputs: PlanningInputs) -> tuple[Uncertain, ...]:
    """Every Uncertainty row with its nominal value; one dimension per group or lone row."""
    dimensions: dict[str, int] = {}
    out = []
    for i, u in enumerate(inputs.uncertainty):
        key = f"group:{u.group}" if u.group else f"row:{i}"
        dim = dimensions.setdefault(key, len(dimensions))
        out.append(_uncertain(inputs, u, dim))
    return tuple(out)


def _uncertain(inputs: PlanningInputs, u: UncertaintyRow, dim: int) -> Uncertain:
    nominal = nominal_value(inputs, u.sheet, u.row_id, u.field)
    integer = _is_integer(inputs, u.sheet, u.row_id, u.field)
    return Uncertain(
        u.sheet, u.row_id, u.field, u.low, u.high, u.distribution, nominal, dim, integer
    )


def quantiles(dimensions: int, samples: int, seed: int, method: str = "sobol") -> np.ndarray:
    """(samples, dimensions) quantiles in [0, 1), reproducible from `seed`."""
    if dimensions == 0 or samples == 0:
        return np.zeros((samples, dimensions))
    if method == "lhs":
        return qmc.LatinHypercube(d=dimensions, seed=seed).random(samples)
    if method != "sobol":
        raise ValueError(f"unknown sampling method {method!r}; choose one of {METHODS}")
    sobol = qmc.Sobol(d=dimensions, scramble=True, seed=seed)
    # Sobol points balance in blocks of powers of two: draw the next one up, keep a prefix.
    return sobol.random_base2(max(0, math.ceil(math.log2(samples))))[:samples]


def draw(rows: tuple[Uncertain, ...], samples: int, seed: int, method: str = "sobol") -> np.ndarray:
    """(samples, rows) values: row j of sample i at its dimension's quantile."""
    dims = 1 + max((r.dimension for r in rows), default=-1)
    u = quantiles(dims, samples, seed, method)
    values = np.empty((samples, len(rows)))
    for j, r in enumerate(rows):
        values[:, j] = r.values(u[:, r.dimension])
    return values


def overrides_of(rows: tuple[Uncertain, ...], values: np.ndarray) -> tuple[Override, ...]:
    """One sample's overrides (its row of `draw`), in Uncertainty order."""
    return tuple(r.override(float(v)) for r, v in zip(rows, values, strict=True))
