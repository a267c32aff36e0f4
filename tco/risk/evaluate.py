"""One sample: the nominal plan with its purchases fixed, and the re-optimised plan.

Fixed plan. What a plan buys stays as bought (chip, fabric, cooling, systems,
nodes, cards, NICs, switches, links per pool); under the sample's inputs its
throughput is re-evaluated (training: T(nodes) of the sampled chip and fabric;
inference: every replica the bought systems hold, at the sampled replica size
and rate), racks follow the sampled node power and rack limit, and it is
re-costed with the cost-line registry. It meets the targets when every pool
reaches its workload's target (shortfall = 1 - throughput / target otherwise)
and the limits when the Site checks of `tco.plan.extract` pass.

Re-optimised plan, exactly, on few options. Every cost line is non-negative and
nondecreasing in a pool's counts, and a plan's TCO is the sum of its pools'
costs plus migration (>= 0). A pool of chip c serving workload w needs at least

  training:  n_lb = ceil(target x s_card / cards_per_node) nodes (whole systems), with
             s_card = 6 N_active / linear + 12 L h seq / attention [card s per token],
             since the step time is at least its compute part B x s_card / cards used;
  inference: the smallest pool of whole systems holding ceil(target / tokens per replica)
             replicas (the replica rate does not depend on the fabric),

so its cost is at least LB(w, c) = capex + annuity x opex of (n_lb nodes, their cards
and systems, no NICs, switches, links or racks), the least over c's coolings. With
UB the TCO of any feasible plan (the fixed nominal plan when it meets everything,
else the lesser of that plan with its short pools grown until they meet their targets
and the best plan on the probe chips, `probe_chips`), a chip whose

  LB(w, c) + sum_{w' != w} min_c' LB(w', c') > UB

cannot serve w in an optimal plan. The MILP is solved over the other chips
only: its optimum is the full optimum (the domestic-share growth bound of
`tco.model.share`, computed over fewer options, still holds for the plans
among them, the optimum included). Of the chips kept, a training (chip, fabric)
pair whose least pool with its network and racks already breaks the same test is
not evaluated at all (`skipped_fabrics`, `Engine(skip=...)`). See docs/risk.md.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

import numpy as np

from tco.costs import coefficients, registry
from tco.costs.clos import size_clos
from tco.model.dominance import Profiles
from tco.model.options import compatible_coolings, nodes_per_rack
from tco.model.performance import InferencePerformance, PerformanceCache, TrainingPerformance
from tco.perf.disaggregated import serving_estimate
from tco.perf.hardware import (
    attention_flops_per_s,
    linear_flops_per_s,
    nic_cards_per_node,
    nics_per_node,
    nodes_per_system,
    replicas_per_system,
    system_cards,
    systems_per_replica,
    whole_system_nodes,
)
from tco.perf.power import node_power
from tco.perf.training import (
    attention_flops_per_token,
    linear_flops_per_token,
    training_curve,
    training_target_tokens_per_s,
)
from tco.plan.extract import Plan, _migration, _site_checks
from tco.scenario.budget import Budget
from tco.scenario.engine import Engine
from tco.scenario.result import OptimizeResult
from tco.scenario.scenario import Override, apply_overrides
from tco.schema.availability import allowed_chip_ids
from tco.schema.inputs import PlanningInputs, compatible_fabric_ids, supports_precision

#: Relative slack on the bound test, far below the MIP gap.
_BOUND_TOL = 1e-7
#: Extra relative margin of the fabric skip over the engine's bound, far above float noise.
_SKIP_MARGIN = 1e-9

Choice = tuple[tuple[str, str, str, str], ...]


@dataclass(frozen=True)
class PoolBuy:
    """One pool as bought: what a fixed plan keeps whatever the sample."""

    workload: str
    chip: str
    fabric: str
    cooling: str
    nodes: int
    systems: int
    cards: int
    nics: int
    switches: tuple[int, int, int]
    links: int


@dataclass(frozen=True)
class Purchase:
    """A plan as bought, pool by pool (workload order of the plan)."""

    pools: tuple[PoolBuy, ...]

    @classmethod
    def of(cls, plan: Plan) -> Purchase:
        return cls(
            tuple(
                PoolBuy(
                    p.workload,
                    p.chip,
                    p.fabric,
                    p.cooling,
                    p.nodes,
                    p.systems,
                    p.cards,
                    p.nics,
                    p.switches_bought,
                    p.links_bought,
                )
                for p in plan.pools
            )
        )

    @property
    def choice(self) -> Choice:
        """(workload, chip, fabric, cooling) per pool: the decision, without the sizes."""
        return tuple((p.workload, p.chip, p.fabric, p.cooling) for p in self.pools)


@dataclass(frozen=True)
class FixedOutcome:
    """A fixed plan under one sample."""

    tco: float
    #: Per workload: 1 - throughput / target when short, else 0.
    shortfall: dict[str, float]
    #: Site limits the plan breaks under the sample (power, racks, supply, share, budget).
    limits: tuple[str, ...] = ()

    @property
    def meets_targets(self) -> bool:
        return all(s <= 0.0 for s in self.shortfall.values())

    @property
    def feasible(self) -> bool:
        return self.meets_targets and not self.limits


@dataclass(frozen=True)
class Optimum:
    """The re-optimised plan of one sample (`tco` None without a plan)."""

    status: str
    tco: float | None
    purchase: Purchase | None
    #: (workload, chip) pairs the bound left to the MILP, of all that had options.
    kept: int = 0
    considered: int = 0

    @property
    def choice(self) -> Choice:
        return self.purchase.choice if self.purchase is not None else ()


@dataclass(frozen=True)
class SampleResult:
    """What one sample answers: the fixed nominal plan, the re-optimised plan, the regret."""

    index: int
    nominal: FixedOutcome
    optimum: Optimum
    seconds: float = 0.0

    @property
    def regret(self) -> float | None:
        """Nominal plan's TCO - the sample's optimum (>= 0 up to the MIP gap); None when
        the sample has no optimum or the nominal plan breaks a target or limit in it (a
        plan that falls short is not cheaper, it fails)."""
        if self.optimum.tco is None or not self.nominal.feasible:
            return None
        return self.nominal.tco - self.optimum.tco


#: Performance evaluations of one set of inputs, by (workload, chip[, fabric]).
Evaluations = dict[tuple[str, ...], Any]


def _evaluation(inputs: PlanningInputs, pool: PoolBuy, seen: Evaluations) -> Any:
    """The training curve or replica estimate of the pool's (workload, chip, fabric) under
    `inputs`: from `seen`, else from the process's performance cache when an engine (or
    `Evaluator.sample`) evaluated it for these inputs already (`PerformanceCache.peek`:
    the same function of the same fields), else evaluated here."""
    key: tuple[str, ...] = (pool.workload, pool.chip, pool.fabric)
    if key in seen:
        return seen[key]
    workload = inputs.workloads[pool.workload]
    model = inputs.models[workload.model_id]
    chip, fabric, site = inputs.chips[pool.chip], inputs.fabrics[pool.fabric], inputs.site
    shared = PerformanceCache(inputs).peek(pool.workload, pool.chip, pool.fabric)
    if workload.kind == "training":
        if isinstance(shared, TrainingPerformance):
            seen[key] = shared.curve
        else:
            seen[key] = training_curve(workload, model, chip, fabric, site)
    elif isinstance(shared, InferencePerformance):
        seen[key] = shared.result
    else:
        # The fabric matters to expert-parallel replicas across systems and to a
        # prefill/decode unit's hand-off (`tco.model.performance.PerformanceCache`).
        seen[key] = serving_estimate(workload, model, chip, site, fabric)
    return seen[key]


def _throughput(
    inputs: PlanningInputs, pool: PoolBuy, seen: Evaluations | None = None
) -> tuple[float, float]:
    """(tokens/s the bought pool delivers under `inputs`, the workload's target).

    `seen` keeps the curves and replica estimates of these inputs across calls (the
    candidate plans of one sample share chips)."""
    seen = {} if seen is None else seen
    workload = inputs.workloads[pool.workload]
    chip = inputs.chips[pool.chip]
    evaluation = _evaluation(inputs, pool, seen)
    if workload.kind == "training":
        target = training_target_tokens_per_s(workload)
        curve = evaluation
        return (curve.tokens_per_s(pool.nodes) if curve.feasible else 0.0), target
    target = float(workload.target_tokens_per_s or 0.0)
    result = evaluation
    if not result.feasible or not result.replica_cards or result.tokens_per_s <= 0:
        return 0.0, target
    g = result.replica_cards
    replicas = pool.systems * replicas_per_system(chip, g) // systems_per_replica(chip, g)
    return replicas * result.tokens_per_s, target


def fixed_outcome(
    inputs: PlanningInputs, purchase: Purchase, seen: Evaluations | None = None
) -> FixedOutcome:
    """The bought plan under `inputs`: re-evaluated throughput, re-costed TCO, limits
    (`seen`: evaluations of these inputs to share, see `_throughput`)."""
    site = inputs.site
    pools: list[dict[str, Any]] = []
    shortfall: dict[str, float] = {}
    problems: list[str] = []
    for p in purchase.pools:
        chip, fabric, cooling = (
            inputs.chips[p.chip],
            inputs.fabrics[p.fabric],
            inputs.coolings[p.cooling],
        )
        tokens, target = _throughput(inputs, p, seen)
        shortfall[p.workload] = max(0.0, 1.0 - tokens / target) if target > 0 else 0.0
        if tokens < target * (1 - 1e-9) and shortfall[p.workload] == 0.0:
            shortfall[p.workload] = 1e-12  # short by a rounding hair: still short
        node_kw = node_power(chip, site, fabric).peak_kw
        per_rack = nodes_per_rack(node_kw, cooling)
        if per_rack < 1:
            problems.append(f"{p.workload}: one node draws {node_kw:,.1f} kW, over the rack limit")
            per_rack = 1
        racks = math.ceil(p.nodes / per_rack)
        q = registry.PoolQuantities(
            p.cards, p.nodes, p.systems, p.nics, *p.switches, p.links, racks
        )
        cost = registry.price_pool(q, registry.row_lookup(chip, fabric, cooling, site))
        pools.append(
            dict(
                option=SimpleNamespace(chip=p.chip, fabric=p.fabric, cooling=p.cooling),
                cards=p.cards,
                nodes=p.nodes,
                systems=p.systems,
                racks=racks,
                it_kw=float(cost.it_kw),
                capex=float(cost.capex),
                energy=float(cost.energy_per_year),
                maintenance=float(cost.maintenance_per_year),
                # The share's network amount (when it counts): what this pool's NICs,
                # switches and optics cost at these prices.
                network_spend=float(cost.spend("network")),
            )
        )
    migration, _, _ = _migration(inputs, pools)
    capex = sum(p["capex"] for p in pools) + migration
    opex = registry.yearly_opex(
        sum(p["energy"] for p in pools), sum(p["maintenance"] for p in pools)
    )
    tco = float(
        registry.discounted_tco(
            capex, 0.0, registry.opex_present_value(opex, registry.annuity(site))
        )
    )
    problems += _site_checks(inputs, pools, capex)
    return FixedOutcome(tco, shortfall, tuple(problems))


#: A short pool is grown by at most this factor when the nominal plan is repaired.
_REPAIR_GROWTH = 4


def repaired(
    inputs: PlanningInputs, purchase: Purchase, seen: Evaluations | None = None
) -> Purchase | None:
    """The purchase with each short pool grown, a system at a time, until it meets its
    target under `inputs` (network re-sized for its ports); None when growing by up to
    `_REPAIR_GROWTH` x does not reach it. Any feasible plan's TCO bounds the optimum, so
    a repaired nominal plan saves the restricted solve `Evaluator.optimum` otherwise needs.
    """
    pools = []
    seen = {} if seen is None else seen
    for p in purchase.pools:
        tokens, target = _throughput(inputs, p, seen)
        if tokens >= target * (1 - 1e-9):
            pools.append(p)
            continue
        chip, fabric = inputs.chips[p.chip], inputs.fabrics[p.fabric]
        step = nodes_per_system(chip)
        grown = None
        for nodes in range(p.nodes + step, _REPAIR_GROWTH * p.nodes + step, step):
            systems = nodes // step
            trial = replace(p, nodes=nodes, systems=systems, cards=nodes * chip.cards_per_node)
            if _throughput(inputs, trial, seen)[0] >= target * (1 - 1e-9):
                grown = trial
                break
        if grown is None:
            return None
        ports = grown.nodes * nics_per_node(chip)
        try:
            clos = size_clos(ports, fabric.switch_radix, fabric.oversubscription)
        except ValueError:  # past a 3-tier fabric
            return None
        pools.append(
            replace(
                grown,
                nics=grown.nodes * nic_cards_per_node(chip),
                switches=(clos.leaf_switches, clos.spine_switches, clos.core_switches),
                links=clos.links,
            )
        )
    return Purchase(tuple(pools))


def least_nodes(
    inputs: PlanningInputs,
    workload_id: str,
    chip_id: str,
    performance: PerformanceCache | None = None,
) -> int | None:
    """Fewest nodes any pool of the chip meeting the workload's target has (a bound), or
    None when the chip cannot serve the workload at all (see the module docstring).

    `performance`: a cache of these inputs to look inference evaluations up in."""
    workload = inputs.workloads[workload_id]
    model = inputs.models[workload.model_id]
    chip = inputs.chips[chip_id]
    if workload.kind == "training":
        linear = linear_flops_per_s(chip, workload.precision)
        if linear is None or workload.precision == "int8":
            return None
        card_s = linear_flops_per_token(model) / linear + attention_flops_per_token(
            model, workload.seq_len
        ) / attention_flops_per_s(chip)
        cards = training_target_tokens_per_s(workload) * card_s
        nodes = max(1, math.ceil(cards / chip.cards_per_node * (1 - 1e-9)))
        return whole_system_nodes(chip, nodes)
    fabric_id = compatible_fabric_ids(inputs, chip_id)[0]
    performance = PerformanceCache(inputs) if performance is None else performance
    perf = performance.get(workload_id, chip_id, fabric_id)
    if not isinstance(perf, InferencePerformance) or perf.reason is not None:
        return None
    return perf.max_nodes_for_target


@dataclass(frozen=True)
class ChipBound:
    """What any pool of one chip serving one workload costs at least (module docstring)."""

    #: LB(w, c): the least pool meeting the target, without network or racks [currency].
    cost: float
    #: Its share amount on the Site's basis when the chip is imported (0 when domestic).
    import_amount: float


def _per_card(inputs: PlanningInputs, chip_id: str) -> tuple[float, float]:
    """(least cost per card of any pool of the chip [currency / card], its share amount
    per card): a pool of k cards has k / cards_per_node nodes and k / system_cards systems."""
    chip, site = inputs.chips[chip_id], inputs.site
    per_node, per_system = 1.0 / chip.cards_per_node, 1.0 / system_cards(chip)
    q = registry.PoolQuantities(1.0, per_node, per_system, 0, 0, 0, 0, 0, 0)
    fabric = inputs.fabrics[compatible_fabric_ids(inputs, chip_id)[0]]
    factor = registry.annuity(site)
    costs = []
    for kid in compatible_coolings(inputs, chip_id):
        cost = registry.price_pool(q, registry.row_lookup(chip, fabric, inputs.coolings[kid], site))
        costs.append(float(cost.capex) + factor * float(cost.opex_per_year))
    amount = float(
        registry.share_amount(site.domestic_share_basis, chip, 1.0, per_node, per_system)
    )
    return min(costs), amount


def lower_bounds(inputs: PlanningInputs) -> dict[str, dict[str, ChipBound]]:
    """LB(w, c) for every chip that may have options for w (module docstring)."""
    site = inputs.site
    factor = registry.annuity(site)
    out: dict[str, dict[str, ChipBound]] = {}
    performance = PerformanceCache(inputs)
    for wid, workload in inputs.workloads.items():
        bounds = out.setdefault(wid, {})
        for cid in allowed_chip_ids(inputs.chips, workload, site):
            chip = inputs.chips[cid]
            fabrics = compatible_fabric_ids(inputs, cid)
            coolings = compatible_coolings(inputs, cid)
            if not supports_precision(chip, workload.precision) or not fabrics or not coolings:
                continue
            nodes = least_nodes(inputs, wid, cid, performance)
            if nodes is None:
                continue
            systems = nodes // nodes_per_system(chip)
            cards = nodes * chip.cards_per_node
            q = registry.PoolQuantities(cards, nodes, systems, 0, 0, 0, 0, 0, 0)
            fabric = inputs.fabrics[fabrics[0]]  # no NICs or switches: no fabric price enters
            costs = []
            for kid in coolings:
                lookup = registry.row_lookup(chip, fabric, inputs.coolings[kid], site)
                cost = registry.price_pool(q, lookup)
                costs.append(float(cost.capex) + factor * float(cost.opex_per_year))
            amount = float(
                registry.share_amount(site.domestic_share_basis, chip, cards, nodes, systems)
            )
            imported = amount if chip.origin != "domestic" else 0.0
            bounds[cid] = ChipBound(min(costs), imported)
    return out


def _domestic_cost_per_amount(
    inputs: PlanningInputs, bounds: Mapping[str, Mapping[str, ChipBound]]
) -> float:
    """kappa: the least cost per unit of domestic share amount any domestic pool buys."""
    best = math.inf
    chips = {c for b in bounds.values() for c in b if inputs.chips[c].origin == "domestic"}
    for cid in chips:
        cost, amount = _per_card(inputs, cid)
        if amount > 0:
            best = min(best, cost / amount)
    return best


def surviving_chips(
    inputs: PlanningInputs, bounds: Mapping[str, Mapping[str, ChipBound]], upper: float
) -> dict[str, frozenset[str]]:
    """Per workload, the chips no plan dearer than `upper` can do without (docstring).

    The test of (w, c) is LB(w, c) + max(sum_{w' != w} min_c' LB(w', c'), kappa x D) >
    upper, where D = s / (1 - s) x the import amount of c's least pool is the domestic
    amount the other pools must then hold under a minimum domestic share s (0 without a
    share, or on the spend basis with the network counted). A chip dropped for a workload
    is in no optimal plan, so the minima are retaken over the chips kept until no more
    chip drops.
    """
    site = inputs.site
    share = site.min_domestic_share
    with_share = share > 0 and not (
        site.domestic_share_basis == "spend" and site.domestic_share_includes_network
    )
    ratio = math.inf if share >= 1 else share / (1 - share)
    kappa = _domestic_cost_per_amount(inputs, bounds) if with_share else 0.0
    limit = upper * (1 + _BOUND_TOL)
    kept = {w: dict(b) for w, b in bounds.items()}
    while True:
        least = {w: min((b.cost for b in k.values()), default=math.inf) for w, k in kept.items()}
        total = sum(least.values())
        dropped = False
        for w, chips in kept.items():
            for c in list(chips):
                bound = chips[c]
                others = total - least[w]
                if with_share and bound.import_amount > 0:
                    others = max(others, kappa * ratio * bound.import_amount)
                if bound.cost + others > limit:
                    del chips[c]
                    dropped = True
        if not dropped:
            return {w: frozenset(k) for w, k in kept.items()}


def skipped_fabrics(
    inputs: PlanningInputs,
    bounds: Mapping[str, Mapping[str, ChipBound]],
    kept: Mapping[str, frozenset[str]],
    upper: float,
) -> dict[str, dict[tuple[str, str], int]]:
    """Per training workload, the (chip, fabric) pairs of the kept chips no plan dearer
    than `upper` uses, each with its least nodes (the `skip` of `Engine`).

    An option's footprint (`tco.model.dominance`) prices its smallest pool meeting the
    target with its NICs, switches, links and racks; every count, so every cost, grows
    with the nodes, and the pool has at least n_lb = `least_nodes` of them. So with
    LB(w, c, f) = the least over c's coolings of that footprint at n_lb nodes [currency],
    an option of (w, c, f) is dropped by the engine's own bound (`Engine._bounded`:
    its cost + the other workloads' least option costs > upper, those at least
    sum_{w' != w} min_{c' kept} LB(w', c')) whenever

      LB(w, c, f) + sum_{w' != w} min_{c' kept} LB(w', c') > upper,

    and evaluating its training curve is saved. Inference is left alone: its
    evaluations were made for `lower_bounds` already, and so is a pair this process
    evaluated for these inputs before. Under a domestic share only domestic chips are
    skipped (the engine checks the share's growth bound stays put).
    """
    site = inputs.site
    factor = registry.annuity(site)
    # The engine's own test is at upper (1 + _BOUND_TOL); this one also clears the
    # rounding of the two sums, so it never skips what that test would keep.
    limit = upper * (1 + _BOUND_TOL) * (1 + _SKIP_MARGIN)
    least = {w: min((bounds[w][c].cost for c in kept[w]), default=math.inf) for w in kept}
    total = sum(least.values())
    if not math.isfinite(total):
        return {}
    share = 0.0 < site.min_domestic_share < 1.0
    performance = PerformanceCache(inputs)
    out: dict[str, dict[tuple[str, str], int]] = {}
    for w, chips in kept.items():
        if inputs.workloads[w].kind != "training":
            continue
        others = total - least[w]
        for c in sorted(chips):
            chip = inputs.chips[c]
            nodes = least_nodes(inputs, w, c)
            if nodes is None or (share and chip.origin != "domestic"):
                continue
            for f in compatible_fabric_ids(inputs, c):
                if performance.peek(w, c, f) is not None:
                    continue  # evaluated already (a tornado or switching re-solve): free
                if _least_footprint(inputs, c, f, nodes, factor) + others > limit:
                    out.setdefault(w, {})[(c, f)] = nodes
    return out


def _least_footprint(
    inputs: PlanningInputs, chip_id: str, fabric_id: str, nodes: int, factor: float
) -> float:
    """capex + annuity x opex [currency] of `nodes` nodes of the chip on the fabric with
    their NICs, Clos and racks, the least over its coolings (inf without one; -inf past
    a 3-tier fabric, where nothing is claimed), priced as `tco.model.dominance.footprint`."""
    chip, fabric, site = inputs.chips[chip_id], inputs.fabrics[fabric_id], inputs.site
    try:
        clos = size_clos(nodes * nics_per_node(chip), fabric.switch_radix, fabric.oversubscription)
    except ValueError:
        return -math.inf
    node_kw = node_power(chip, site, fabric).peak_kw
    best = math.inf
    for kid in compatible_coolings(inputs, chip_id):
        cooling = inputs.coolings[kid]
        per_rack = nodes_per_rack(node_kw, cooling)
        if per_rack < 1:
            continue  # no option: `tco.model.options._option` refuses it
        counts = np.array(
            [
                nodes * chip.cards_per_node,
                nodes,
                nodes // nodes_per_system(chip),
                nodes * nic_cards_per_node(chip),
                clos.leaf_switches,
                clos.spine_switches,
                clos.core_switches,
                clos.links,
                math.ceil(nodes / per_rack),
            ]
        )
        matrix = coefficients.of_rows(chip, fabric, cooling, site).matrix
        capex, opex, _ = (float(v) for v in matrix @ counts)
        best = min(best, capex + factor * opex)
    return best


#: Chips of least LB(w, c) per workload the probe solve adds to the nominal plan's.
_PROBE_CHIPS = 2


def probe_chips(
    nominal: Purchase, bounds: Mapping[str, Mapping[str, ChipBound]]
) -> dict[str, frozenset[str]]:
    """Per workload, the chips of a quick solve whose plan bounds the optimum from above
    when the nominal plan misses a target: the nominal plan's chip and the `_PROBE_CHIPS`
    chips of least LB(w, c) (an optimum usually sits among them, and a chip's evaluation
    is then shared with the full solve). Growing the nominal plan alone can be far dearer
    than the optimum: a CloudMatrix 384 pool a few percent short grows by a whole
    384-card supernode."""
    probe = {w: set[str]() for w in bounds}
    for p in nominal.pools:
        if p.chip in bounds.get(p.workload, {}):
            probe[p.workload].add(p.chip)
    for w, chips in bounds.items():
        probe[w].update(sorted(chips, key=lambda c: (chips[c].cost, c))[:_PROBE_CHIPS])
    return {w: frozenset(c) for w, c in probe.items()}


@dataclass
class Evaluator:
    """Re-solves scenarios of one base: fixed plans and exact re-optimisation (see above).

    Built once per worker process; the performance evaluations it makes are shared
    by every later sample of the process (`tco.model.performance`).
    """

    base: PlanningInputs
    nominal: Purchase
    mip_gap: float
    solve_limit_s: float
    timings: dict[str, float] = field(default_factory=dict)

    def inputs_of(self, overrides: tuple[Override, ...]) -> PlanningInputs:
        return apply_overrides(self.base, overrides)

    def _engine(
        self,
        inputs: PlanningInputs,
        only: Mapping[str, frozenset[str]] | None,
        upper: float | None,
        profiles: Profiles,
        skip: Mapping[str, Mapping[tuple[str, str], int]] | None = None,
    ) -> Engine:
        return Engine(
            inputs,
            Budget(self.solve_limit_s),
            self.mip_gap,
            only=only,
            upper=upper,
            profiles=profiles,
            skip=skip,
        )

    def optimum(
        self,
        inputs: PlanningInputs,
        upper: float | None = None,
        seen: Evaluations | None = None,
    ) -> Optimum:
        """The exact optimum of `inputs`, on the chips the cost bound keeps.

        `upper`: the TCO of a plan known feasible under `inputs`; without one the fixed
        nominal plan's provides it when it is feasible, else the lesser of the grown
        nominal plan's and the probe solve's (`probe_chips`; without either, every chip
        is kept).
        """
        seen = {} if seen is None else seen
        loose = False  # True when the fixed plan fails: the bound may be far from the optimum
        if upper is None:
            fixed = fixed_outcome(inputs, self.nominal, seen)
            upper = fixed.tco if fixed.feasible else None
            loose = not fixed.feasible
        if upper is None:
            fixed_up = repaired(inputs, self.nominal, seen)
            if fixed_up is not None:
                outcome = fixed_outcome(inputs, fixed_up, seen)
                upper = outcome.tco if outcome.feasible else None
        bounds = lower_bounds(inputs)
        profiles = Profiles(inputs)
        considered = sum(len(b) for b in bounds.values())
        first: OptimizeResult | None = None
        probe = probe_chips(self.nominal, bounds) if loose else None
        if probe is not None and all(probe.values()):
            first = self._engine(inputs, probe, upper, profiles).solve(explain=False)
            if first.plan is not None and first.status == "optimal":
                upper = first.plan.tco if upper is None else min(upper, first.plan.tco)
        kept = surviving_chips(inputs, bounds, math.inf if upper is None else upper)
        if first is not None and first.status == "optimal" and kept == probe:
            result = first
        else:
            skip = None if upper is None else skipped_fabrics(inputs, bounds, kept, upper)
            result = self._engine(inputs, kept, upper, profiles, skip).solve(explain=False)
        n_kept = sum(len(c) for c in kept.values())
        if result.plan is None:
            return Optimum(result.status, None, None, n_kept, considered)
        return Optimum(result.status, result.plan.tco, Purchase.of(result.plan), n_kept, considered)

    def sample(self, index: int, overrides: tuple[Override, ...]) -> SampleResult:
        started = time.perf_counter()
        inputs = self.inputs_of(overrides)
        # The nominal plan's (workload, chip, fabric) evaluations, as the engine makes
        # them: its chips are kept by the bound whenever it is feasible, so the engine
        # then finds them evaluated, and the fixed plan reads its curves from them.
        performance = PerformanceCache(inputs)
        for p in self.nominal.pools:
            performance.get(p.workload, p.chip, p.fabric)
        seen: Evaluations = {}
        fixed = fixed_outcome(inputs, self.nominal, seen)
        optimum = self.optimum(inputs, fixed.tco if fixed.feasible else None, seen)
        return SampleResult(index, fixed, optimum, time.perf_counter() - started)
