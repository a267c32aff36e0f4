"""What every model module needs: inputs, options, and the cost terms of the objective."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyomo.environ as pyo

from tco.costs import registry
from tco.model.options import Option, OptionKey, smallest_size
from tco.schema.inputs import PlanningInputs

#: Money enters the MILP in millions so coefficients stay within ~6 orders of
#: magnitude (cards ~1e4, sites ~1e9 -> 1e-2 .. 1e3).
MONEY_SCALE = 1e-6


def value_of(var: Any) -> float:
    """A solved variable's value (0 when the solver left it without one)."""
    value = pyo.value(var, exception=False)
    return float(value) if value is not None else 0.0


def count_of(var: Any) -> int:
    """A solved integer variable as an int (solver values carry float noise)."""
    return round(value_of(var))


@dataclass
class CostTerms:
    """Cost terms the modules add (Switch-style); the objective is their sum.

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
    costs: CostTerms = field(default_factory=CostTerms)
    #: Penalised slack terms of the elastic model: name -> (expression, weight).
    penalties: dict[str, tuple[Any, float]] = field(default_factory=dict)
    #: Per-card share amount the domestic-share row is divided by (`limits.share_rule`).
    share_scale: float = 1.0

    @property
    def max_options(self) -> int:
        """Pools that may serve one workload at once (`Site.max_options_per_workload`)."""
        return int(self.inputs.site.max_options_per_workload)

    @property
    def mixed(self) -> bool:
        """Whether a workload may have several pools at once (`tco.model.fleet`)."""
        return self.max_options > 1

    def is_part(self, workload_id: str) -> bool:
        """Whether a pool of this workload may serve only part of its target: a mixed
        Site, and not a training job (a training workload without `allow_mixed`)."""
        workload = self.inputs.workloads[workload_id]
        return self.mixed and (workload.kind == "inference" or bool(workload.allow_mixed))

    def option(self, key: OptionKey) -> Option:
        return self.by_key[key]

    def least_nodes(self, key: OptionKey) -> int:
        """Fewest nodes a used pool of option `key` has: its smallest size meeting the target.

        The elastic model may fall short of a target, so there only the memory
        floor holds; a part of a mixed workload serves only some of it, so there
        a training part needs its memory floor and an inference part one system.
        """
        o = self.by_key[key]
        if self.is_part(o.workload) and not self.elastic:
            return o.min_nodes if o.kind == "training" else o.nodes_per_system
        return o.min_nodes if self.elastic else smallest_size(o)[0]

    def lookup(self, key: OptionKey) -> registry.FieldLookup:
        """The input fields that price option `key`'s pool, for the cost-line registry."""
        o, inputs = self.by_key[key], self.inputs
        return registry.row_lookup(
            inputs.chips[o.chip], inputs.fabrics[o.fabric], inputs.coolings[o.cooling], inputs.site
        )

    def rows(self, key: OptionKey) -> tuple[Any, Any, Any, Any]:
        """The (chip, fabric, cooling, Site) rows that price option `key`'s pool."""
        o, inputs = self.by_key[key], self.inputs
        chip, fabric = inputs.chips[o.chip], inputs.fabrics[o.fabric]
        return chip, fabric, inputs.coolings[o.cooling], inputs.site

    def __post_init__(self) -> None:
        self.by_key = {o.key: o for o in self.options}
