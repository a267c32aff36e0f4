"""Explain infeasibility in plain words with an elastic copy of the model.

Only the business limits get slack (throughput targets, power budget, racks,
supply caps, capex budget, domestic share). The diagnosis is lexicographic:
first the smallest total target shortfall with every limit free to stretch
(non-zero only where no allowed pool can physically reach a target); then,
with every target met, the cheapest plan that overshoots the limits least,
each slack penalised per 100% of its limit, far above any cost. Each slack
is reported in plain words: "power budget 10,000 kW is 3,200 kW short of the
cheapest plan that meets every target". Physical rules (memory fit, tiers,
rack density) never get slack: a workload with no workable option at all is
reported with the cause on each chip instead (once per chip, not per fabric and
cooling), as is a workload whose strict options are all gone when the elastic
model names nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping

import pyomo.environ as pyo

from tco.model.build import build_model
from tco.model.fleet import mixing, part_options
from tco.model.options import OptionSet, build_options
from tco.model.share import grown
from tco.schema.inputs import PlanningInputs
from tco.solve.highs import solve
from tco.text import capped, plural

#: Slack below this share of its limit is solver noise.
_NOISE = 1e-6

#: The diagnosis when the elastic model meets everything and no strict option is missing.
NO_SINGLE_LIMIT = "no plan meets every target and limit, but no single limit explains it"


def _fmt(value: float) -> str:
    """Whole numbers and values of 10 or more without decimals; small fractions with two."""
    if abs(value) >= 10 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def diagnose(
    inputs: PlanningInputs,
    time_limit_s: float,
    options: OptionSet | None = None,
    strict: OptionSet | None = None,
) -> list[str]:
    """Plain-words reasons why no plan meets every target and limit.

    `options` may be the elastic option set built already (`build_options(...,
    elastic=True)` with domestic pools grown for the share, `tco.model.share.grown`);
    the two stages share `time_limit_s`. `strict` is the option set the failed solve
    used: when the elastic model names no target or limit, a workload without a
    strict option is explained by its per-chip causes.

    A reason may span lines ("\\n"): a workload without any option is one line, then
    one line per chip.
    """
    deadline = time.perf_counter() + time_limit_s

    def left() -> float:
        return max(0.05, deadline - time.perf_counter())

    if options is None:
        options = elastic_options(inputs)
    lines = [
        no_option_line(options, wid) for wid in inputs.workloads if not options.for_workload(wid)
    ]
    if lines:
        return lines
    lines = _limit_lines(inputs, options, left)
    if lines:
        return lines
    # The elastic model meets everything: what fails is a rule only the strict options
    # apply (a target out of reach, a fabric too small, a supply cap below one pool).
    if strict is not None:
        lines = [no_option_line(strict, w) for w in inputs.workloads if not strict.for_workload(w)]
    return lines or [NO_SINGLE_LIMIT]


def elastic_options(
    inputs: PlanningInputs, only: Mapping[str, Collection[str]] | None = None
) -> OptionSet:
    """The elastic model's options: short pools allowed, parts ready when the Site mixes,
    domestic pools grown for the share (to their physical size when it mixes)."""
    built = part_options(inputs, build_options(inputs, elastic=True, only=only))
    return grown(inputs, built, bounded=not mixing(inputs))


def no_option_line(options: OptionSet, workload: str) -> str:
    """'workload w has no workable ... option:' then, one per line, the cause of each chip
    (`OptionSet.causes`), at most `MAX_LISTED` of them and "and N more"."""
    causes = options.causes(workload) or ["no chip, fabric and cooling combination is allowed"]
    return "\n".join(
        [f"workload {workload} has no workable chip/fabric/cooling option:", *capped(causes)]
    )


def _limit_lines(
    inputs: PlanningInputs, options: OptionSet, left: Callable[[], float]
) -> list[str]:
    """The two elastic stages: targets out of reach, else the limits the cheapest plan
    meeting every target overshoots (empty when it overshoots none)."""
    lines: list[str] = []
    m, ctx = build_model(inputs, options.options, elastic=True)
    targets = {n: p for n, p in ctx.penalties.items() if n.startswith("target:")}
    # Stage 1: can the targets be met at all if every limit may stretch?
    m.objective.deactivate()
    m.target_objective = pyo.Objective(
        expr=sum(var * weight for var, weight in targets.values()), sense=pyo.minimize
    )
    outcome = solve(m, left(), 1e-6)
    if not outcome.has_solution:
        return [f"the elastic diagnosis model did not solve ({outcome.termination})"]
    if (outcome.objective or 0.0) > _NOISE:
        return [
            _target_line(options, name.partition(":")[2], pyo.value(var))
            for name, (var, _) in targets.items()
            if pyo.value(var) > _NOISE * max(1.0, 1.0 / targets[name][1])
        ]
    # Stage 2: every target met; the cheapest plan with the smallest limit overshoot.
    for var, _ in targets.values():
        var.fix(0.0)
    m.target_objective.deactivate()
    m.objective.activate()
    outcome = solve(m, left(), 1e-6)
    if not outcome.has_solution:
        return [f"the elastic diagnosis model did not solve ({outcome.termination})"]
    site, currency = inputs.site, inputs.site.currency
    for name, (var, weight) in ctx.penalties.items():
        kind, _, subject = name.partition(":")
        amount = pyo.value(var)
        if kind == "target" or amount is None or amount <= _NOISE * max(1.0, 1.0 / weight):
            continue
        if kind == "power" and site.power_budget_kw is not None:
            lines.append(
                f"power budget {_fmt(site.power_budget_kw)} kW is {_fmt(amount)} kW "
                "short of the cheapest plan that meets every target"
            )
        elif kind == "racks":
            lines.append(
                f"rack limit of {plural(site.max_racks or 0, 'rack')} is "
                f"{plural(_fmt(amount), 'rack')} short "
                "of the cheapest plan that meets every target"
            )
        elif kind == "supply":
            cap = inputs.chips[subject].max_cards
            lines.append(
                f"supply cap of {plural(cap or 0, f'{subject} card')} is "
                f"{plural(_fmt(amount), 'card')} short "
                "of the cheapest plan that meets every target"
            )
        elif kind == "capex" and site.capex_budget is not None:
            lines.append(
                f"capex budget {_fmt(site.capex_budget)} {currency} is "
                f"{_fmt(amount)} {currency} short of the cheapest plan that meets "
                "every target"
            )
        elif kind == "domestic":
            unit = _SHARE_UNITS[site.domestic_share_basis].format(currency=currency)
            moved = "chips"
            if site.domestic_share_includes_network:
                unit = unit.replace(" and system spend", ", system and network spend")
                moved = "chips or fabrics"
            short = plural(_fmt(amount * ctx.share_scale), unit.removesuffix("s"), unit)
            lines.append(
                f"minimum domestic share {site.min_domestic_share:.0%} is {short} "
                "short in the cheapest plan that meets every target (that much would have "
                f"to move from import to domestic {moved})"
            )
    return lines


#: What the domestic-share slack counts, per `Site.domestic_share_basis`.
_SHARE_UNITS = {
    "cards": "domestic cards",
    "compute": "TFLOPS of domestic BF16 compute",
    "spend": "{currency} of domestic card, host and system spend",
}


def _target_line(options: OptionSet, workload: str, amount: float) -> str:
    """A target no allowed pool reaches even with every site limit lifted; `amount` is a
    share of the target."""
    goal = max((o.target_tokens_per_s for o in options.for_workload(workload)), default=0.0)
    return (
        f"throughput target of {workload} ({_fmt(goal)} tokens/s) is {_fmt(amount * goal)} "
        "tokens/s beyond what any allowed chip, fabric and node count can deliver, even with "
        "every site limit lifted"
    )
