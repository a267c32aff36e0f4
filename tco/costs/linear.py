"""Linear forms over named decisions: the registry's equations evaluated to coefficients.

Every cost equation of the registry is linear in the decisions without a
constant, so evaluating it once on `Linear` unit forms (cards = 1 x cards, ...)
yields the coefficient of every decision in one pass: the flat objective the
model needs, without one pricing per decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Scalar = int | float


@dataclass(frozen=True)
class Linear:
    """sum_d coefficient_d x decision_d."""

    terms: Mapping[str, float] = field(default_factory=dict)

    def __add__(self, other: Linear | Scalar) -> Linear:
        if isinstance(other, Linear):
            merged = dict(self.terms)
            for name, coefficient in other.terms.items():
                merged[name] = merged.get(name, 0.0) + coefficient
            return Linear(merged)
        if other != 0:
            raise ValueError("a cost equation has a constant term; costs must be linear")
        return self

    def __radd__(self, other: Linear | Scalar) -> Linear:
        return self.__add__(other)

    def __mul__(self, other: Scalar) -> Linear:
        if isinstance(other, Linear):
            raise ValueError("a cost equation multiplies two decisions; costs must be linear")
        return Linear({name: c * other for name, c in self.terms.items()})

    def __rmul__(self, other: Scalar) -> Linear:
        return self.__mul__(other)

    def __truediv__(self, other: Scalar) -> Linear:
        return Linear({name: c / other for name, c in self.terms.items()})

    def coefficient(self, name: str) -> float:
        return float(self.terms.get(name, 0.0))
