"""Assemble the MILP from its concern modules, in dependency order."""

from __future__ import annotations

import pyomo.environ as pyo

from tco.model import costs, facility, limits, network, pools
from tco.model.context import ModelContext
from tco.model.options import Option
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
