"""Assemble the MILP from its concern modules, in dependency order."""

from __future__ import annotations

from dataclasses import dataclass

import pyomo.environ as pyo

from tco.model import costs, facility, limits, network, pools
from tco.model.context import ModelContext
from tco.model.network import FabricDecision
from tco.model.options import Option, OptionKey
from tco.model.pools import PoolDecision
from tco.schema.inputs import PlanningInputs


def build_model(
    inputs: PlanningInputs, options: list[Option], elastic: bool = False
) -> tuple[pyo.ConcreteModel, ModelContext]:
    """pools -> network -> facility -> costs -> limits -> objective."""
    ctx = ModelContext(inputs=inputs, options=options, elastic=elastic)
    m = pyo.ConcreteModel(name="tco_elastic" if elastic else "tco")
    for module in (pools, network, facility, costs, limits):
        module.add_to(m, ctx)
    costs.add_objective(m, ctx)
    return m, ctx


@dataclass(frozen=True)
class Decisions:
    """What a solved model decided, as the model modules export it (never `m.v_*` names)."""

    pools: tuple[PoolDecision, ...]
    fabrics: dict[OptionKey, FabricDecision]
    racks: dict[OptionKey, int]
    stacks: tuple[str, ...]


def decisions(m: pyo.ConcreteModel, ctx: ModelContext) -> Decisions:
    """Read the incumbent loaded into `m` through each module's `decisions`."""
    chosen = pools.decisions(m, ctx)
    keys = tuple(p.option.key for p in chosen)
    return Decisions(
        chosen, network.decisions(m, keys), facility.decisions(m, keys), costs.decisions(m)
    )
