"""Presolve for fleet plans over years: drop options another beats in every plan.

The single-period presolve (`tco.model.dominance`) compares footprints, which says
nothing about tranches that grow and retire with different lifetimes. A fleet's cost
is separable by stock (`tco.model.years`): for each stock s of an option X serving
n_y nodes in year y, the cheapest purchases solve

    G_s(X) = min sum_y price_s^X(y) x buy_s(y)   s.t.  sum over the lifetime window of
             buy_s >= need_s^X(n_y) for every year y

(maintenance and the residual are proportional to the same prices), plus the energy
of the serving pools. Take A and B of the same workload and chip (so the same cards,
share amounts, supply cap and stack at every node count; training also on the same
fabric, so the same throughput curve). If for every stock the lifetimes agree, A's
unit prices are no higher in every year (the Chips-priced part and the rest compared
apart, since only the first changes with the years), and A's need is no larger at
every node count B may take (A may take each of them), then any purchases serving
B's sizes also serve A's, at no higher cost; with facility kW (so energy, power and
the data hall) and racks no larger too, every plan using B is matched by the same
plan using A. Inference throughput depends on the chip alone, so equal replicas give
equal tokens/s on either. Ties keep the first option.

Where the stocks' lifetimes or prices differ, the weighted-total rule may still hold
(`_purchase_weights`, `_beats_in_total`): when no tranche retires within the horizon
and no yearly capex budget binds, purchases cost sum_y w[y,s] x installed[s,y] and the
cheapest install the running maximum of the needs, so A beats B when A's weighted
purchases and energy at every size B may take are no more than B's in every year.

Mixed fleets hold at most one part per (workload, chip) (`tco.model.fleet`), so A
is never already in a plan B is replaced in.

A training job (one pool, `tco.model.fleet.one_pool`) on another fabric has another
curve, so it is compared at the sizes it serves: serving fewer nodes never costs more
(less energy, smaller needs, looser limits), so without spare capacity for a share a
serving pool holds n_t(year's target) nodes, and A beats B when at every year A's needs
at its n_t are no larger than B's at B's. Under a share a domestic job may grow (to
what it may physically be); then A beats B when A meets every year's target on no
more nodes than B, may grow as far, and is no worse at every node count from B's
smallest serving size up: B at m nodes is replaced by A at m nodes, which meets the
target (T_A is nondecreasing), holds the same share amount (same chip) and needs no more.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tco.costs import registry
from tco.costs.clos import clos_counts, tier_capacity
from tco.model.fleet import one_pool
from tco.model.options import Option, OptionKey
from tco.model.years import (
    STOCKS,
    CurveCache,
    Schedule,
    lifetime,
    stock_lines,
    tranche_factor,
    year_options,
)
from tco.schema.inputs import PlanningInputs

_TOL = 1e-9


def _prices(inputs: PlanningInputs, o: Option) -> np.ndarray:
    """(stock, [chip-priced, other, chip-priced hardware, other hardware]) unit prices."""
    lines = stock_lines(inputs, o)
    out = np.zeros((len(STOCKS), 4))
    for i, s in enumerate(STOCKS):
        for sl in lines[s]:
            column = 0 if sl.line.price_sheet == "Chips" else 1
            out[i, column] += sl.units * sl.unit_price
            if sl.line.category in registry.HARDWARE_CATEGORIES:
                out[i, column + 2] += sl.units * sl.unit_price
    return out


def _needs(inputs: PlanningInputs, o: Option, nodes: np.ndarray) -> np.ndarray:
    """Need of each stock and the facility kW at each node count: (sizes, stocks + 1).

    A node count the option's 3-tier fabric cannot connect needs +inf of everything (no
    option beats another there, and none is beaten by one that cannot take it).
    """
    fabric = inputs.fabrics[o.fabric]
    lookup = registry.row_lookup(
        inputs.chips[o.chip], fabric, inputs.coolings[o.cooling], inputs.site
    )
    capacity = tier_capacity(3, fabric.switch_radix, fabric.oversubscription)
    fits = nodes * o.nics_per_node <= capacity
    ports = np.where(fits, nodes * o.nics_per_node, 0)
    clos = clos_counts(ports, fabric.switch_radix, fabric.oversubscription)
    racks = -(-nodes // o.nodes_per_rack)
    systems = nodes // o.nodes_per_system
    q = registry.PoolQuantities(
        nodes * o.cards_per_node,
        nodes,
        systems,
        nodes * o.nic_cards_per_node,
        clos[:, 0],
        clos[:, 1],
        clos[:, 2],
        clos[:, 3],
        racks,
    )
    it = np.asarray(registry.it_kw(q, lookup), dtype=float)
    facility = np.asarray(registry.facility_kw(it, lookup), dtype=float)
    out = np.column_stack([systems, clos, racks, it, facility, facility]).astype(float)
    out[~fits] = np.inf
    return out


def _purchase_weights(inputs: PlanningInputs, o: Option) -> np.ndarray | None:
    """w[y, s]: what one more unit of stock s installed through year y adds to the TCO,
    or None when the installed stock is not the running maximum of the needs.

    A tranche of stock s bought for year y costs, discounted to today,

        C[s,y] = sum over s's lines of units x price(y) x ((1 + r)^-(y - 1)
                 + maintenance_rate x sum_{y' = y .. H} (1 + r)^-y' [hardware lines]
                 - (1 + r)^-H x tranche_factor(y, L_s))

    When every lifetime reaches the horizon nothing retires, installed I[s,y] is the
    running sum of purchases, and sum_y C[s,y] x buy[s,y] = sum_y w[y,s] x I[s,y] with
    w[y,s] = C[s,y] - C[s,y+1] (C[s,H+1] = 0). If every w >= 0 the cheapest purchases
    serving nodes n_1..n_H install exactly the running maximum of the needs. None when a
    lifetime is shorter than the horizon (tranches retire), a capex budget bounds each
    year's purchases (their timing matters beyond their total) or some w < 0.
    """
    site = inputs.site
    horizon = int(site.horizon_years)
    if site.capex_budget is not None:
        return None
    rate = site.discount_rate
    discount = [(1.0 + rate) ** -y for y in range(horizon + 1)]
    lines = stock_lines(inputs, o)
    cost = np.zeros((horizon + 1, len(STOCKS)))
    for i, s in enumerate(STOCKS):
        life = lifetime(inputs, o, s)
        if life < horizon:
            return None
        for y in range(1, horizon + 1):
            upkeep = site.maintenance_rate * sum(discount[y : horizon + 1])
            left = discount[horizon] * tranche_factor(inputs, y, life)
            cost[y - 1, i] = sum(
                sl.units
                * sl.price(y)
                * (
                    discount[y - 1]
                    + (upkeep if sl.line.category in registry.HARDWARE_CATEGORIES else 0.0)
                    - left
                )
                for sl in lines[s]
            )
    weights = cost[:-1] - cost[1:]
    if np.any(weights < -_TOL * np.maximum(1.0, np.abs(cost[:-1]))):
        return None
    return np.maximum(weights, 0.0)


def _energy_weights(inputs: PlanningInputs) -> np.ndarray:
    """k[y]: discounted energy cost of one facility kW serving in year y [currency/kW]:
    (1 + r)^-y x utilization x 8760 h x price per kWh (energy = IT kW x PUE x ...)."""
    site = inputs.site
    horizon = int(site.horizon_years)
    per_kw = site.utilization * registry.HOURS_PER_YEAR * site.electricity_price_per_kwh
    return np.array([per_kw * (1.0 + site.discount_rate) ** -y for y in range(1, horizon + 1)])


def _beats_in_total(
    weights_a: np.ndarray,
    needs_a: np.ndarray,
    weights_b: np.ndarray,
    needs_b: np.ndarray,
    energy: np.ndarray,
    limits: list[int],
) -> bool:
    """Whether A at every size B may take costs no more than B, year by year, in
    purchases (`_purchase_weights`) and energy, and needs no more of the `limits` columns.

    `needs_*` are (sizes, stocks + 1) on a common node axis restricted to B's sizes
    (+inf where an option cannot take a size; the last column is facility kW). A plan
    serving n_y nodes of B installs at least B's needs at N_y = max_{y' <= y} n_y'; the
    same plan on A installs at most the running maximum along the axis of A's needs up
    to N_y, and A's energy exceeds B's by at most the largest excess of A's facility kW
    at a size up to N_y (0 if none: not serving). So for every year y and size N

        sum_s w_A[y,s] x runmax(need_A)[N,s] + k[y] x max(0, max_{n <= N}(kW_A - kW_B)[n])
            <= sum_s w_B[y,s] x need_B[N,s]

    with k = `_energy_weights`, summed over the years, bounds A's TCO by B's.
    """
    finite_b = np.all(np.isfinite(needs_b), axis=1)
    if not np.any(finite_b):
        return True
    a, b = needs_a[finite_b], needs_b[finite_b]
    if not np.all(np.isfinite(a)):
        return False
    if not np.all(a[:, limits] <= b[:, limits] + _TOL * np.maximum(1.0, b[:, limits])):
        return False
    stocks = len(STOCKS)
    ceiling_a = np.maximum.accumulate(needs_a[:, :stocks], axis=0)[finite_b]
    excess_kw = np.maximum(0.0, np.maximum.accumulate(a[:, stocks] - b[:, stocks]))
    total_a = ceiling_a @ weights_a.T + np.outer(excess_kw, energy)
    total_b = b[:, :stocks] @ weights_b.T
    return bool(np.all(total_a <= total_b + _TOL * np.maximum(1.0, np.abs(total_b))))


def _job_sizes(o: Option, targets: Sequence[float], cache: CurveCache) -> np.ndarray | None:
    """Nodes a training job serves each year: whole systems at n_t of the year's target."""
    assert o.curve is not None, "training options carry their curve"
    sizes = []
    for target in targets:
        need = cache.nodes_for(o.curve, target)
        if need is None:
            return None
        step = o.nodes_per_system
        sizes.append(max(o.min_nodes, -(-need // step) * step))
    return np.array(sizes)


def _prune_jobs(
    inputs: PlanningInputs,
    group: list[Option],
    targets: Sequence[float],
    cache: CurveCache,
    largest: dict[OptionKey, int],
) -> set[OptionKey]:
    """Keys of training jobs another of the group beats at the sizes they serve.

    A job that may grow (`largest` above its year's n_t) is compared at every size from
    its smallest serving size up: A beats B if A meets every year's target on no more
    nodes than B and is no worse at every node count B may serve.
    """
    sizes = [_job_sizes(o, targets, cache) for o in group]
    prices = [_prices(inputs, o) for o in group]
    lives = [tuple(lifetime(inputs, o, s) for s in STOCKS) for o in group]
    grows = any(
        n is not None and largest[o.key] > n.min() for o, n in zip(group, sizes, strict=True)
    )
    needs: list[np.ndarray | None]
    axis = np.zeros(0, dtype=int)
    if grows:
        low = min(int(n.min()) for n in sizes if n is not None)
        step = group[0].nodes_per_system
        axis = np.arange(max(step, low), max(largest[o.key] for o in group) + 1, step)
        needs = [_needs(inputs, o, axis) for o in group]
    else:
        needs = [
            None if n is None else _needs(inputs, o, n) for o, n in zip(group, sizes, strict=True)
        ]
    beaten: set[OptionKey] = set()
    for j, b in enumerate(group):
        size_b = sizes[j]
        if size_b is None:
            continue
        for i, a in enumerate(group):
            size_a = sizes[i]
            if i == j or size_a is None or a.key in beaten or lives[i] != lives[j]:
                continue
            if not np.all(prices[i] <= prices[j] + _TOL * np.maximum(1.0, prices[j])):
                continue
            need_a, need_b = needs[i], needs[j]
            assert need_a is not None and need_b is not None
            if grows:
                if np.any(size_a > size_b) or largest[a.key] < largest[b.key]:
                    continue
                takes = (axis >= size_b.min()) & (axis <= largest[b.key])
                need_a, need_b = need_a[takes], need_b[takes]
            if not np.all(need_a <= need_b + _TOL * np.maximum(1.0, need_b)):
                continue
            same = np.allclose(prices[i], prices[j]) and np.allclose(need_a, need_b)
            if same and np.array_equal(size_a, size_b) and i > j:
                continue  # ties keep the first
            beaten.add(b.key)
            break
    return beaten


def _beats_by_stock(
    prices_a: np.ndarray,
    needs_a: np.ndarray,
    prices_b: np.ndarray,
    needs_b: np.ndarray,
    lives: bool,
) -> bool:
    """Same lifetimes, unit prices and needs (and facility kW) no larger stock by stock."""
    if not lives or not np.all(prices_a <= prices_b + _TOL * np.maximum(1.0, prices_b)):
        return False
    return bool(np.all(needs_a <= needs_b + _TOL * np.maximum(1.0, needs_b)))


def prune_for_years(
    inputs: PlanningInputs,
    options: Sequence[Option],
    plan: Schedule,
    cache: CurveCache | None = None,
) -> list[Option]:
    """The options no other of the same workload and chip beats stock by stock (module
    docstring), in order. `inputs` are the peak inputs the options were built from."""
    groups: dict[tuple[str, ...], list[Option]] = {}
    jobs: dict[tuple[str, str], list[Option]] = {}
    with_network = inputs.site.domestic_share_includes_network
    for o in options:
        if one_pool(inputs, o.workload) and not with_network:
            jobs.setdefault((o.workload, o.chip), []).append(o)
            continue
        same_fabric = o.kind == "training" or with_network
        key = (o.workload, o.chip, o.fabric if same_fabric else "")
        groups.setdefault(key, []).append(o)
    # Under a domestic share a year's pools may grow (`tco.model.years.year_options`):
    # compare over the largest size any year allows.
    cache = cache if cache is not None else CurveCache()
    largest = {o.key: o.max_nodes for o in options}
    for year in range(1, plan.horizon + 1):
        sized, _ = year_options(inputs, list(options), plan, year, cache)
        for o in sized:
            largest[o.key] = max(largest[o.key], o.max_nodes)
    # Compared point by point in the weighted-total rule: facility kW under a power
    # budget, racks when the Site caps them.
    limits: list[int] = []
    if inputs.site.power_budget_kw is not None:
        limits.append(len(STOCKS))
    if inputs.site.max_racks is not None:
        limits.append(STOCKS.index("racks"))
    energy = _energy_weights(inputs)
    beaten: set[OptionKey] = set()
    for (wid, _), group in jobs.items():
        if len(group) > 1:
            beaten |= _prune_jobs(inputs, group, plan.targets[wid], cache, largest)
    for group in groups.values():
        if len(group) < 2:
            continue
        low = min(o.min_nodes for o in group)
        high = max(largest[o.key] for o in group)
        step = group[0].nodes_per_system
        nodes = np.arange(max(step, low - low % step), high + 1, step)
        needs = [_needs(inputs, o, nodes) for o in group]
        prices = [_prices(inputs, o) for o in group]
        lives = [tuple(lifetime(inputs, o, s) for s in STOCKS) for o in group]
        weights = [_purchase_weights(inputs, o) for o in group]
        for j, b in enumerate(group):
            takes = nodes <= largest[b.key]
            for i, a in enumerate(group):
                if i == j or a.key in beaten or largest[a.key] < largest[b.key]:
                    continue
                need_a, need_b = needs[i][takes], needs[j][takes]
                equal = (
                    lives[i] == lives[j]
                    and np.allclose(prices[i], prices[j])
                    and np.allclose(need_a, need_b)
                )
                if equal and i > j:
                    continue  # ties keep the first
                if _beats_by_stock(prices[i], need_a, prices[j], need_b, lives[i] == lives[j]):
                    beaten.add(b.key)
                    break
                weights_a, weights_b = weights[i], weights[j]
                if (
                    weights_a is not None
                    and weights_b is not None
                    and _beats_in_total(weights_a, need_a, weights_b, need_b, energy, limits)
                ):
                    beaten.add(b.key)
                    break
    return [o for o in options if o.key not in beaten]
