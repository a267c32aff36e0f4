"""The fleet model's cover rows (`tco.model.fleet_cuts`): present, met by the optimum
that `tests/test_fleets.py` checks by brute force, and tight enough there that a
coefficient twice too small would cut it off."""

from __future__ import annotations

import pyomo.environ as pyo
from test_fleets import _ramp_inputs

from tco.model.years import build_fleet_model, schedule
from tco.scenario.fleet import fleet_options
from tco.scenario.optimize import make_engine, optimize


def test_cover_rows_hold_at_the_optimum_and_are_near_tight() -> None:
    inputs = _ramp_inputs()
    result = optimize(inputs, mip_gap=0.0, explain=False)
    assert result.status == "optimal" and result.plan is not None
    fleet = result.plan.fleet
    assert fleet is not None

    options = fleet_options(make_engine(inputs)).options
    m, fc = build_fleet_model(inputs, options, schedule(inputs))
    horizon = schedule(inputs).horizon
    assert sorted(m.serving_cover_constraint) == [("chat", y) for y in range(1, horizon + 1)]
    assert sorted(m.installed_cover_constraint) == sorted(m.serving_cover_constraint)
    # The optimum's serving systems per year, put into the serving rows.
    slack = []
    for fy in fleet.years:
        b, ctx = fc.years[fy.year]
        nodes = {(p.workload, p.chip, p.fabric, p.cooling): p.nodes for p in fy.serving.pools}
        for o in ctx.options:
            n = nodes.get(o.key, 0)
            if o.key in b.SYSTEM_OPTIONS:
                b.v_systems[o.key].set_value(n // o.nodes_per_system)
            b.v_nodes[o.key].set_value(n)
        row = m.serving_cover_constraint["chat", fy.year]
        lhs = pyo.value(row.body)
        assert lhs >= 1.0 - 1e-9
        slack.append(lhs)
    # A cover twice as strong (coefficients halved) would cut the optimum off.
    assert min(slack) < 2.0
