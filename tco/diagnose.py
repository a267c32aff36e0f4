"""Explain infeasibility in plain words with an elastic copy of the model.

Only the business limits get slack (throughput targets, power budget, racks,
supply caps, capex budget, domestic share), each penalised per 100% of its
limit, far above any cost. The cheapest way to violate them least is then
reported limit by limit: "power budget 10,000 kW is 3,200 kW short of the
cheapest plan that meets every target". Physical rules (memory fit, tiers,
rack density) never get slack: a workload with no workable option at all is
reported with the reasons of each combination instead.
"""

from __future__ import annotations

import pyomo.environ as pyo

from tco.inputs import PlanningInputs
from tco.model.build import build_model
from tco.model.options import build_options
from tco.solve import solve

#: Slack below this share of its limit is solver noise.
_NOISE = 1e-6


def _fmt(value: float) -> str:
    """Whole numbers and values of 10 or more without decimals; small fractions with two."""
    if abs(value) >= 10 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def diagnose(inputs: PlanningInputs, time_limit_s: float) -> list[str]:
    """Plain-words reasons why no plan meets every target and limit."""
    options = build_options(inputs, elastic=True)
    lines = []
    for wid in inputs.workloads:
        if not options.for_workload(wid):
            reasons = "; ".join(options.excluded.get(wid, [])) or "no allowed chip"
            lines.append(f"workload {wid} has no workable chip/fabric/cooling option: {reasons}")
    if lines:
        return lines
    m, ctx = build_model(inputs, options.options, elastic=True)
    outcome = solve(m, time_limit_s, 1e-6)
    if not outcome.has_solution:
        return [f"the elastic diagnosis model did not solve ({outcome.termination})"]
    site, currency = inputs.site, inputs.site.currency
    short = {name: pyo.value(var) for name, (var, _) in ctx.penalties.items()}
    for name, amount in short.items():
        kind, _, subject = name.partition(":")
        if amount is None or amount <= _NOISE * max(1.0, 1.0 / ctx.penalties[name][1]):
            continue
        if kind == "target":
            target = inputs.workloads[subject]
            best = [o for o in options.for_workload(subject) if o.short]
            goal = best[0].target_tokens_per_s if best else target.target_tokens_per_s or 0.0
            lines.append(
                f"throughput target of {subject} ({_fmt(goal)} tokens/s) is "
                f"{_fmt(amount)} tokens/s beyond what any allowed chip, fabric and "
                "node count can deliver within the limits"
            )
        elif kind == "power":
            lines.append(
                f"power budget {_fmt(site.power_budget_kw)} kW is {_fmt(amount)} kW "
                "short of the cheapest plan that meets every target"
            )
        elif kind == "racks":
            lines.append(
                f"rack limit of {site.max_racks} racks is {_fmt(amount)} racks short "
                "of the cheapest plan that meets every target"
            )
        elif kind == "supply":
            cap = inputs.chips[subject].max_cards
            lines.append(
                f"supply cap of {cap:,} {subject} cards is {_fmt(amount)} cards short "
                "of the cheapest plan that meets every target"
            )
        elif kind == "capex":
            lines.append(
                f"capex budget {_fmt(site.capex_budget)} {currency} is "
                f"{_fmt(amount)} {currency} short of the cheapest plan that meets "
                "every target"
            )
        elif kind == "domestic":
            lines.append(
                f"minimum domestic share {site.min_domestic_share:.0%} is "
                f"{_fmt(amount)} domestic cards short in the cheapest plan that "
                "meets every target"
            )
    return lines or ["no plan meets every target and limit, but no single limit explains it"]
