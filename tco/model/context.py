"""What every model module needs: inputs, options, and the cost registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tco.model.options import Option, OptionKey
from tco.schema.inputs import PlanningInputs

#: Money enters the MILP in millions so coefficients stay within ~6 orders of
#: magnitude (cards ~1e4, sites ~1e9 -> 1e-2 .. 1e3).
MONEY_SCALE = 1e-6


@dataclass
class CostRegistry:
    """Cost terms registered by the modules; the objective is their sum.

    `capex` and `opex_per_year` hold unscaled Pyomo expressions in currency;
    the objective applies MONEY_SCALE and the annuity factor.
    """

    capex: dict[str, Any] = field(default_factory=dict)
    opex_per_year: dict[str, Any] = field(default_factory=dict)

    def add_capex(self, name: str, expr: Any) -> None:
        if name in self.capex:
            raise ValueError(f"capex term {name!r} registered twice")
        self.capex[name] = expr

    def add_opex(self, name: str, expr: Any) -> None:
        if name in self.opex_per_year:
            raise ValueError(f"opex term {name!r} registered twice")
        self.opex_per_year[name] = expr


@dataclass
class ModelContext:
    """Shared state while building one model."""

    inputs: PlanningInputs
    options: list[Option]
    elastic: bool = False
    costs: CostRegistry = field(default_factory=CostRegistry)
    #: Penalised slack terms of the elastic model: name -> (expression, weight).
    penalties: dict[str, tuple[Any, float]] = field(default_factory=dict)

    def option(self, key: OptionKey) -> Option:
        return self.by_key[key]

    def __post_init__(self) -> None:
        self.by_key = {o.key: o for o in self.options}
