"""Excel formulas that compose with + - * / and ** like numbers and Pyomo expressions.

The cost-line registry writes each equation once, as Python arithmetic over
"quantities" and "fields". Given numbers it yields a number, given Pyomo
expressions a Pyomo expression, and given `Formula` cell references it
yields the Excel formula text of the same equation. Operator precedence is
tracked so the text has only the parentheses it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

#: Operand types a Formula combines with.
Operand = Union["Formula", int, float]

_ATOM, _POWER, _PRODUCT, _SUM = 4, 3, 2, 1


def _number(value: float) -> str:
    """Shortest exact text of a constant (8760, 0.001, 2)."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _lift(value: Operand) -> Formula:
    if isinstance(value, Formula):
        return value
    if value < 0:
        return Formula(f"({_number(value)})")
    return Formula(_number(value))


@dataclass(frozen=True)
class Formula:
    """Formula text without the leading '='; `precedence` of its outermost operator."""

    text: str
    precedence: int = _ATOM

    def _wrap(self, floor: int) -> str:
        return f"({self.text})" if self.precedence < floor else self.text

    def _binary(self, other: Operand, op: str, swap: bool = False) -> Formula:
        left, right = (_lift(other), self) if swap else (self, _lift(other))
        precedence = _SUM if op in "+-" else _PRODUCT
        # The right operand of - and / needs parentheses at equal precedence.
        right_floor = precedence + 1 if op in "-/" else precedence
        return Formula(f"{left._wrap(precedence)}{op}{right._wrap(right_floor)}", precedence)

    def __add__(self, other: Operand) -> Formula:
        return self._binary(other, "+")

    def __radd__(self, other: Operand) -> Formula:
        if isinstance(other, int | float) and other == 0:
            return self  # sum() starts at 0
        return self._binary(other, "+", swap=True)

    def __sub__(self, other: Operand) -> Formula:
        return self._binary(other, "-")

    def __rsub__(self, other: Operand) -> Formula:
        return self._binary(other, "-", swap=True)

    def __mul__(self, other: Operand) -> Formula:
        return self._binary(other, "*")

    def __rmul__(self, other: Operand) -> Formula:
        return self._binary(other, "*", swap=True)

    def __truediv__(self, other: Operand) -> Formula:
        return self._binary(other, "/")

    def __rtruediv__(self, other: Operand) -> Formula:
        return self._binary(other, "/", swap=True)

    def __pow__(self, other: Operand) -> Formula:
        # Excel's ^ binds tighter than * and groups left to right: a^b^c = (a^b)^c.
        return Formula(f"{self._wrap(_POWER)}^{_lift(other)._wrap(_ATOM)}", _POWER)

    def cell(self) -> str:
        """The text of a cell holding this formula."""
        return "=" + self.text
