"""An independent pricing oracle for tests, written from docs/inputs.md and DESIGN 4.2.

Nothing here imports the code under test (`tco.costs`, `tco.model`, `tco.plan`,
`tco.scenario`): it reads the validated input rows and takes only throughput
from the performance model (`training_curve`, `inference_estimate`), because
performance is not what these tests check. Everything else is re-derived from
the documented meaning of each column:

- compatibility: a chip is usable by a workload when the site can buy it
  (`available` not no; at a Site in region cn a restricted-cn chip only with
  `available` = yes and `allow_restricted` = yes), named in
  `allowed_chips` (blank = any) and, for fp8/int8, its peak column is filled; a
  fabric when `compatible_chips` is blank or names the chip and it is not InfiniBand
  for a chip with its ports on the package (`integrated_nic`); a cooling unless
  the chip's `cooling_required` is liquid and the cooling's technology is air.
- systems: a pool is bought in whole systems of `system_cards` cards (blank =
  `cards_per_node`, one server); cards = nodes x `cards_per_node`, systems =
  nodes x `cards_per_node` / `system_cards`; an inference replica stays inside
  one system, floor(`system_cards` / replica cards) replicas per system.
- counts: ports = nodes x `nics_per_node` (blank = one per card); a folded Clos
  over the ports (`clos`); NIC cards = the ports unless `integrated_nic` (then none,
  and no NIC power); optics = 2 x links, cables = links; racks =
  ceil(nodes / nodes per rack), nodes per rack = min(`nodes_per_rack_max`,
  floor(`max_rack_kw` / node peak kW)), node peak = cards x `tdp_w` +
  `node_power_w` + NICs x `nic_power_w` + `system_power_w` / servers per system.
- money: capex = cards, hosts, systems (`system_price`), NICs, switches, optics,
  cables (hardware) + racks
  + cooling plant (IT kW x `capex_per_kw`) + data hall (facility kW x
  `facility_capex_per_kw`) + migration once per software stack adopted (the
  largest `migration_cost` among the stack's chips); energy per year = IT kW x
  `utilization` x `pue` x 8760 h x price; maintenance per year =
  `maintenance_rate` x hardware capex; TCO = capex + annuity x opex with
  annuity = sum_{y=1..H} (1 + rate)^-y.
- limits: facility kW <= `power_budget_kw`, racks <= `max_racks`, cards of a
  chip <= `max_cards`, domestic amount >= `min_domestic_share` x the amount of
  all pools, capex (migration included) <= `capex_budget`.
- share basis (`domestic_share_basis`): the amount of a pool is its cards
  (`cards`), cards x `bf16_tflops` (`compute`), or cards x `card_price` +
  nodes x `node_price` + systems x `system_price`, the accelerator-system
  purchase alone (`spend`), domestic when the chip is. With
  `domestic_share_includes_network` (spend only) a pool's network purchase
  counts too, domestic when the fabric is: the NICs, switches, optics and
  cables the pool buys at its size.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from tco.perf.inference import inference_estimate
from tco.perf.training import training_curve
from tco.schema.inputs import PlanningInputs
from tco.schema.rows import ChipRow, SiteRow

HOURS_PER_YEAR = 8760.0

# --------------------------------------------------------------------------- fabric


@dataclass(frozen=True)
class Clos:
    """Switches and links of a folded Clos over `endpoints` NIC ports."""

    endpoints: int
    tiers: int
    leaf: int
    spine: int
    core: int
    links: int

    @property
    def switches(self) -> int:
        return self.leaf + self.spine + self.core


#: Largest denominator of the ratio an oversubscription cell is read as (4/3, 7/5, 1.33).
OVERSUBSCRIPTION_DENOMINATOR = 1000


def _ceil(value: Fraction) -> int:
    return math.ceil(value)


def clos(endpoints: int, radix: int, oversubscription: float) -> Clos | None:
    """The smallest folded Clos for `endpoints` ports, or None beyond three tiers.

    Exact rational arithmetic: d = r o / (1 + o) leaf down ports; capacities
    r (1 tier), r d (2 tiers), r d r / 2 (3 tiers). The oversubscription is the ratio
    the planner typed (`OVERSUBSCRIPTION_DENOMINATOR`): 1.4 is 7/5, so 24 ports of
    radix 24 at 1.4:1 give d = 14 and two tiers connect 336, not the float's 335.99...
    """
    if endpoints == 0:
        return Clos(0, 0, 0, 0, 0, 0)
    o = Fraction(oversubscription).limit_denominator(OVERSUBSCRIPTION_DENOMINATOR)
    e, r = Fraction(endpoints), Fraction(radix)
    d = r * o / (1 + o)
    if e <= r:
        return Clos(endpoints, 1, _ceil(e / r), 0, 0, endpoints)
    if e <= r * d:
        return Clos(endpoints, 2, _ceil(e / d), _ceil(e / (o * r)), 0, _ceil(e * (1 + 1 / o)))
    if e <= r * d * r / 2:
        return Clos(
            endpoints,
            3,
            _ceil(e / d),
            _ceil(2 * e / (o * r)),
            _ceil(e / (o * r)),
            _ceil(e * (1 + 2 / o)),
        )
    return None


# --------------------------------------------------------------------------- pool


def nics_per_node(chip: Any) -> int:
    """`nics_per_node`, blank = one scale-out port per card."""
    return chip.nics_per_node if chip.nics_per_node is not None else chip.cards_per_node


def nic_cards_per_node(chip: Any) -> int:
    """NIC cards bought per node: none when the ports are on the chip (`integrated_nic`)."""
    return 0 if chip.integrated_nic else nics_per_node(chip)


def system_size(chip: Any) -> int:
    """Cards per orderable system: `system_cards`, blank = one server."""
    return chip.system_cards if chip.system_cards is not None else chip.cards_per_node


def servers_per_system(chip: Any) -> int:
    return system_size(chip) // chip.cards_per_node


def node_peak_kw(chip: Any, fabric: Any) -> float:
    watts = chip.cards_per_node * chip.tdp_w + chip.node_power_w
    watts += chip.system_power_w / servers_per_system(chip)
    return (watts + nic_cards_per_node(chip) * fabric.nic_power_w) / 1000.0


def nodes_per_rack(chip: Any, fabric: Any, cooling: Any) -> int:
    by_power = math.floor(cooling.max_rack_kw / node_peak_kw(chip, fabric) + 1e-12)
    return min(cooling.nodes_per_rack_max, by_power)


def annuity(site: Any) -> float:
    return sum((1.0 + site.discount_rate) ** -y for y in range(1, site.horizon_years + 1))


@dataclass(frozen=True)
class Choice:
    """One (workload, chip, fabric, cooling) combination."""

    workload: str
    chip: str
    fabric: str
    cooling: str


@dataclass(frozen=True)
class PoolCost:
    """One pool at one size, counted and priced."""

    choice: Choice
    nodes: int
    cards: int
    replicas: int | None
    nics: int
    fabric: Clos
    racks: int
    it_kw: float
    facility_kw: float
    #: Extended price per BOM item: cards, hosts, nics, switches, optics, cables,
    #: racks, cooling_plant, data_hall.
    lines: dict[str, float]
    hardware_capex: float
    capex: float
    energy_per_year: float
    maintenance_per_year: float

    @property
    def opex_per_year(self) -> float:
        return self.energy_per_year + self.maintenance_per_year


def price_pool(
    inputs: PlanningInputs, choice: Choice, nodes: int, cards: int, replicas: int | None = None
) -> PoolCost | None:
    """Count and price one pool; None when it cannot be built (rack too hot, > 3 tiers)."""
    chip = inputs.chips[choice.chip]
    fabric = inputs.fabrics[choice.fabric]
    cooling = inputs.coolings[choice.cooling]
    site = inputs.site
    per_rack = nodes_per_rack(chip, fabric, cooling)
    ports = nodes * nics_per_node(chip)
    nics = nodes * nic_cards_per_node(chip)
    net = clos(ports, fabric.switch_radix, fabric.oversubscription)
    if per_rack < 1 or net is None:
        return None
    racks = math.ceil(nodes / per_rack)
    assert nodes % servers_per_system(chip) == 0, (choice, nodes)
    systems = nodes // servers_per_system(chip)
    it_kw = (
        cards * chip.tdp_w
        + nodes * chip.node_power_w
        + systems * chip.system_power_w
        + nics * fabric.nic_power_w
        + net.switches * fabric.switch_power_w
    ) / 1000.0
    facility_kw = it_kw * cooling.pue
    lines = {
        "cards": cards * chip.card_price,
        "hosts": nodes * chip.node_price,
        "systems": systems * chip.system_price,
        "nics": nics * fabric.nic_price,
        "switches": net.switches * fabric.switch_price,
        "optics": 2 * net.links * fabric.optic_price,
        "cables": net.links * fabric.cable_price,
        "racks": racks * cooling.rack_price,
        "cooling_plant": it_kw * cooling.capex_per_kw,
        "data_hall": facility_kw * site.facility_capex_per_kw,
    }
    hardware = sum(
        lines[k] for k in ("cards", "hosts", "systems", "nics", "switches", "optics", "cables")
    )
    energy = it_kw * site.utilization * cooling.pue * HOURS_PER_YEAR
    energy *= site.electricity_price_per_kwh
    return PoolCost(
        choice=choice,
        nodes=nodes,
        cards=cards,
        replicas=replicas,
        nics=nics,
        fabric=net,
        racks=racks,
        it_kw=it_kw,
        facility_kw=facility_kw,
        lines=lines,
        hardware_capex=hardware,
        capex=sum(lines.values()),
        energy_per_year=energy,
        maintenance_per_year=site.maintenance_rate * hardware,
    )


# --------------------------------------------------------------------------- share basis


def share_amount(inputs: PlanningInputs, chip_id: str, nodes: int, cards: int) -> float:
    """What the cards and hosts of a pool of `cards` cards on `nodes` nodes count."""
    chip = inputs.chips[chip_id]
    basis = inputs.site.domestic_share_basis
    if basis == "cards":
        return float(cards)
    if basis == "compute":
        return cards * chip.bf16_tflops
    if basis == "spend":
        systems = nodes // servers_per_system(chip)
        return cards * chip.card_price + nodes * chip.node_price + systems * chip.system_price
    raise AssertionError(f"unknown domestic_share_basis {basis!r}")


NETWORK_LINES = ("nics", "switches", "optics", "cables")


def pool_amounts(inputs: PlanningInputs, pool: PoolCost) -> tuple[float, float]:
    """(domestic, all) amount of one pool: chip part by chip origin, network by fabric's.

    The network counts as bought when the Site asks (spend basis only): this pool's own
    NIC, switch, optic and cable lines at its size."""
    c = pool.choice
    own = share_amount(inputs, c.chip, pool.nodes, pool.cards)
    network = 0.0
    if inputs.site.domestic_share_includes_network:
        network = sum(pool.lines[k] for k in NETWORK_LINES)
    domestic = own if inputs.chips[c.chip].origin == "domestic" else 0.0
    if inputs.fabrics[c.fabric].origin == "domestic":
        domestic += network
    return domestic, own + network


# --------------------------------------------------------------------------- plan


def migration_by_stack(inputs: PlanningInputs) -> dict[str, float]:
    """One porting effort per software stack: the largest migration_cost of its chips.

    Only chips a plan could contain count: buyable at the site, and named (or not
    excluded) by some workload's `allowed_chips`.
    """
    wanted = {
        cid
        for w in inputs.workloads.values()
        for cid, chip in inputs.chips.items()
        if buyable(chip, inputs.site) and (not w.allowed_chips or cid in w.allowed_chips)
    }
    out: dict[str, float] = {}
    for cid, chip in inputs.chips.items():
        if cid not in wanted:
            continue
        cost = float(chip.migration_cost or 0.0)
        out[chip.software_stack] = max(out.get(chip.software_stack, 0.0), cost)
    return out


@dataclass(frozen=True)
class PlanCost:
    capex: float
    migration: float
    opex_per_year: float
    tco: float
    facility_kw: float
    racks: int
    cards: dict[str, int]
    domestic_cards: int
    #: The domestic share's amounts on the site's basis: domestic pools and all pools.
    domestic_amount: float
    total_amount: float
    #: Limits the plan breaks: "power", "racks", "supply:<chip>", "domestic", "capex".
    violations: tuple[str, ...]

    @property
    def feasible(self) -> bool:
        return not self.violations


def price_plan(inputs: PlanningInputs, pools: Sequence[PoolCost]) -> PlanCost:
    site, chips = inputs.site, inputs.chips
    stacks = {chips[p.choice.chip].software_stack for p in pools}
    by_stack = migration_by_stack(inputs)
    migration = sum(by_stack[s] for s in stacks)
    capex = sum(p.capex for p in pools) + migration
    opex = sum(p.opex_per_year for p in pools)
    facility_kw = sum(p.facility_kw for p in pools)
    racks = sum(p.racks for p in pools)
    cards = Counter[str]()
    for p in pools:
        cards[p.choice.chip] += p.cards
    domestic = sum(n for c, n in cards.items() if chips[c].origin == "domestic")
    amounts = [pool_amounts(inputs, p) for p in pools]
    domestic_amount = sum(d for d, _ in amounts)
    total_amount = sum(a for _, a in amounts)
    broken = []
    if site.power_budget_kw is not None and facility_kw > site.power_budget_kw * (1 + 1e-12):
        broken.append("power")
    if site.max_racks is not None and racks > site.max_racks:
        broken.append("racks")
    for chip_id, used in sorted(cards.items()):
        cap = chips[chip_id].max_cards
        if cap is not None and used > cap:
            broken.append(f"supply:{chip_id}")
    needed = site.min_domestic_share * total_amount
    if domestic_amount < needed - 1e-9 * max(1.0, needed):
        broken.append("domestic")
    if site.capex_budget is not None and capex > site.capex_budget * (1 + 1e-12):
        broken.append("capex")
    return PlanCost(
        capex=capex,
        migration=migration,
        opex_per_year=opex,
        tco=capex + annuity(site) * opex,
        facility_kw=facility_kw,
        racks=racks,
        cards=dict(cards),
        domestic_cards=domestic,
        domestic_amount=domestic_amount,
        total_amount=total_amount,
        violations=tuple(broken),
    )


# --------------------------------------------------------------------------- options


def buyable(chip: ChipRow, site: SiteRow) -> bool:
    """The site may buy the chip: not `available` = no, and export control."""
    if chip.available is False:
        return False
    restricted = site.region == "cn" and chip.export_class == "restricted-cn"
    return not restricted or (chip.available is True and site.allow_restricted)


def choices(inputs: PlanningInputs) -> list[Choice]:
    """Every compatible (workload, chip, fabric, cooling), by the documented rules."""
    out = []
    for wid, workload in inputs.workloads.items():
        allowed = set(workload.allowed_chips or inputs.chips)
        for cid, chip in inputs.chips.items():
            if not buyable(chip, inputs.site) or cid not in allowed:
                continue
            if workload.precision == "fp8" and chip.fp8_tflops is None:
                continue
            if workload.precision == "int8" and chip.int8_tops is None:
                continue
            for fid, fabric in inputs.fabrics.items():
                if fabric.compatible_chips and cid not in fabric.compatible_chips:
                    continue
                if chip.integrated_nic and fabric.technology == "InfiniBand":
                    continue
                for kid, cooling in inputs.coolings.items():
                    if chip.cooling_required == "liquid" and cooling.technology == "air":
                        continue
                    out.append(Choice(wid, cid, fid, kid))
    return out


def target_tokens_per_s(workload: Any) -> float:
    """The workload's target; training may give tokens and a deadline instead."""
    if workload.target_tokens_per_s is not None:
        return float(workload.target_tokens_per_s)
    return workload.train_tokens_b * 1e9 / (workload.deadline_days * 86_400.0)


@dataclass(frozen=True)
class Size:
    nodes: int
    cards: int
    replicas: int | None


class Sizer:
    """Pool sizes meeting each workload's target, from the performance model's throughput."""

    def __init__(self, inputs: PlanningInputs) -> None:
        self.inputs = inputs
        self._curves: dict[tuple[str, str, str], Any] = {}
        self._replicas: dict[tuple[str, str], tuple[int, float] | None] = {}
        self._fewest: dict[tuple[str, str, str], int | None] = {}

    def _curve(self, wid: str, cid: str, fid: str) -> Any:
        key = (wid, cid, fid)
        if key not in self._curves:
            i = self.inputs
            w = i.workloads[wid]
            self._curves[key] = training_curve(
                w, i.models[w.model_id], i.chips[cid], i.fabrics[fid], i.site
            )
        return self._curves[key]

    def _replica(self, wid: str, cid: str) -> tuple[int, float] | None:
        """(cards per replica, output tokens/s per replica), None if it cannot serve."""
        if (wid, cid) not in self._replicas:
            i = self.inputs
            w = i.workloads[wid]
            est = inference_estimate(w, i.models[w.model_id], i.chips[cid], i.site)
            ok = est.feasible and est.replica_cards and est.tokens_per_s > 0
            self._replicas[wid, cid] = (est.replica_cards, est.tokens_per_s) if ok else None
        return self._replicas[wid, cid]

    def _fewest_nodes(self, wid: str, cid: str, fid: str) -> int | None:
        """n_t, the fewest nodes whose T(n) meets the target (checked at n_t and n_t - 1)."""
        key = (wid, cid, fid)
        if key in self._fewest:
            return self._fewest[key]
        curve = self._curve(wid, cid, fid)
        target = target_tokens_per_s(self.inputs.workloads[wid])
        n: int | None = None
        if curve.feasible:
            found = curve.nodes_for(target)
            if found.feasible:
                n = int(found.nodes)
                assert curve.tokens_per_s(n) >= target * (1 - 1e-12)
                assert n == curve.min_nodes or curve.tokens_per_s(n - 1) < target
            else:
                assert curve.tokens_per_s(curve.saturation_nodes) < target
        self._fewest[key] = n
        return n

    def smallest(self, choice: Choice) -> Size | None:
        """The smallest pool meeting the target, or None if no pool does."""
        sizes = self.sizes(choice, 0)
        return sizes[0] if sizes else None

    def sizes(self, choice: Choice, extra_cards: int) -> list[Size]:
        """Pools meeting the target, from the smallest up to `extra_cards` more cards.

        Whole systems either way: training on the fewest systems whose nodes meet the
        target and more; inference on the fewest systems holding the replicas the
        target needs (a replica inside one system) and more.
        """
        w = self.inputs.workloads[choice.workload]
        chip = self.inputs.chips[choice.chip]
        target = target_tokens_per_s(w)
        cpn, per_system = chip.cards_per_node, servers_per_system(chip)
        extra_systems = math.ceil(extra_cards / system_size(chip))
        if w.kind == "training":
            fewest = self._fewest_nodes(choice.workload, choice.chip, choice.fabric)
            if fewest is None:
                return []
            first = math.ceil(fewest / per_system) * per_system
            last = first + extra_systems * per_system
            curve = self._curve(choice.workload, choice.chip, choice.fabric)
            nodes = range(first, last + 1, per_system)
            sizes = [
                Size(n, n * cpn, None)
                for n in nodes
                if curve.tokens_per_s(n) >= target * (1 - 1e-12)
            ]
            # T is nondecreasing (more cards may idle), so every size from n_t meets the
            # target: `spare_card_room` relies on a grown pool shrinking by one system.
            assert len(sizes) == len(nodes), (choice, first, last, len(sizes))
            return sizes
        replica = self._replica(choice.workload, choice.chip)
        if replica is None:
            return []
        g, rate = replica
        least = math.ceil(target / rate)
        while (least - 1) * rate >= target * (1 - 1e-12) and least > 1:
            least -= 1
        fits = system_size(chip) // g
        first = math.ceil(least / fits)
        return [
            Size(s * per_system, s * per_system * cpn, least)
            for s in range(first, first + extra_systems + 1)
        ]


_SIZERS: dict[int, tuple[PlanningInputs, Sizer]] = {}


def sizer_for(inputs: PlanningInputs) -> Sizer:
    """One Sizer per inputs object, so repeated pricing reuses its curves."""
    found = _SIZERS.get(id(inputs))
    if found is None or found[0] is not inputs:
        found = (inputs, Sizer(inputs))
        _SIZERS[id(inputs)] = found
    return found[1]


def spare_system_room(
    inputs: PlanningInputs, sizer: Sizer, usable: Iterable[Choice]
) -> dict[Choice, int]:
    """Per choice, the extra whole systems beyond its smallest size a pool of an optimal
    plan can need, on any share basis, with or without the network.

    Let D(P) and I(P) be a pool's domestic and import amounts and s the share; the share
    holds iff F = sum_P g(P) >= 0 with g = (1 - s) D - s I. Each whole system beyond
    the smallest changes g by some d (one d without a counted network; whole switches
    make it vary, in sign too, with one). Every cost and every other limit only grows
    with a pool's size, so a pool may move down to the smallest of its sizes with the
    most g up to its own, after which its g is above g at every smaller size and at
    least its g0; and a pool that could move down to the next such size while F >= 0
    may move. In the optimal plan left, a pool P k systems up has F < g_k(P) - the most
    g below k, and every other pool Q has g(Q) >= the least g0 over its workload's
    choices. So g(P) stays below -(the sum of the other workloads' least g0) at every
    size below k, which bounds k: with one d, g0(P) + k d(P) < d(P) - that sum. Zero
    without a share strictly between 0 and 1.
    """
    usable = list(usable)
    share = inputs.site.min_domestic_share
    if not 0 < share < 1:
        return dict.fromkeys(usable, 0)

    def g(c: Choice, nodes: int, cards: int) -> float:
        pool = price_pool(inputs, c, nodes, cards)
        if pool is None:  # not buildable: the amounts are still linear, price by hand
            own = share_amount(inputs, c.chip, nodes, cards)
            domestic = own if inputs.chips[c.chip].origin == "domestic" else 0.0
            return (1 - share) * domestic - share * (own - domestic)
        domestic, total = pool_amounts(inputs, pool)
        return (1 - share) * domestic - share * (total - domestic)

    # A network counted as bought rounds up to whole switches: each system then changes
    # g by its own d, so g is taken over SCANNED_SYSTEMS systems beyond the smallest.
    scanned = SCANNED_SYSTEMS if inputs.site.domestic_share_includes_network else 1
    start: dict[Choice, list[float]] = {}
    least: dict[str, float] = {}
    for c in usable:
        smallest = sizer.smallest(c)
        if smallest is None:
            continue
        chip = inputs.chips[c.chip]
        per, size = servers_per_system(chip), system_size(chip)
        gs = [g(c, smallest.nodes + k * per, smallest.cards + k * size) for k in range(scanned + 1)]
        start[c] = gs
        least[c.workload] = min(least.get(c.workload, gs[0]), gs[0])
    room = {}
    for c in usable:
        gs = start.get(c)
        if gs is None or max(gs[1:]) <= gs[0]:
            room[c] = 0
            continue
        others = sum(v for w, v in least.items() if w != c.workload)
        if scanned == 1:
            g0, d = gs[0], gs[1] - gs[0]
            room[c] = max(0, math.ceil((d - others - g0) / d) + 1)
            continue
        # A pool left k systems up has g below -others at every smaller size.
        reached = [k for k, v in enumerate(gs) if v >= -others - 1e-9 * max(1.0, abs(others))]
        room[c] = reached[0] if reached else scanned
    return room


#: Systems beyond its smallest size over which a pool's g is taken when the network
#: counts (whole switches make its change per system vary). A domestic chip on an
#: imported fabric may need many: QA found optima 105-168 nodes above the smallest at a
#: 70% share, where 64 made the oracle call them infeasible.
SCANNED_SYSTEMS = 400


def candidate_pools(
    inputs: PlanningInputs, grow: bool = True, sizer: Sizer | None = None, room_scale: int = 1
) -> dict[str, list[PoolCost]]:
    """Per workload, every buildable pool meeting its target that an optimum may use.

    `grow` lets domestic pools take the spare cards a domestic share may need;
    `room_scale` multiplies that room (tests of the room itself).
    """
    sizer = sizer or Sizer(inputs)
    usable = choices(inputs)
    room = spare_system_room(inputs, sizer, usable) if grow else {}
    pools: dict[str, list[PoolCost]] = {w: [] for w in inputs.workloads}
    for c in usable:
        extra = room.get(c, 0) * room_scale * system_size(inputs.chips[c.chip])
        for size in sizer.sizes(c, extra):
            pool = price_pool(inputs, c, size.nodes, size.cards, size.replicas)
            if pool is not None:
                pools[c.workload].append(pool)
    return pools


def plan_count(pools: dict[str, list[PoolCost]]) -> int:
    return math.prod(len(v) for v in pools.values())


def pool_tco(inputs: PlanningInputs, pool: PoolCost) -> float:
    """A pool's own share of a plan's TCO: everything but the migration of its stack."""
    return pool.capex + annuity(inputs.site) * pool.opex_per_year


def cheapest_plan(
    inputs: PlanningInputs, pools: dict[str, list[PoolCost]]
) -> tuple[PlanCost, tuple[PoolCost, ...]] | None:
    """The cheapest feasible combination of one pool per workload, or None.

    Exact branch and bound over the same combinations as `cheapest_plan_exhaustive`: a
    plan's TCO is the sum of its pools' own TCO plus one migration per stack adopted
    (>= 0), so with each workload's pools in increasing own TCO a branch ends as soon as
    the pools chosen, their migrations and the cheapest pool of every later workload
    reach the best feasible plan found. Every combination reached is priced and checked
    by `price_plan` alone. The limits that only grow with pools (power, racks, supply,
    capex) also end a branch once the pools chosen break them.
    """
    order = list(inputs.workloads)
    ranked = [sorted(pools[w], key=lambda p: pool_tco(inputs, p)) for w in order]
    if any(not r for r in ranked):
        return None
    own = [[pool_tco(inputs, p) for p in r] for r in ranked]
    # rest[k] = the cheapest own TCO of workloads k, k+1, ...
    rest = [0.0] * (len(order) + 1)
    for k in range(len(order) - 1, -1, -1):
        rest[k] = rest[k + 1] + own[k][0]
    by_stack = migration_by_stack(inputs)
    chips = inputs.chips
    best: list[Any] = [math.inf, None]
    slack = 1e-9

    def partial_breaks(chosen: list[PoolCost]) -> bool:
        """True when the pools chosen already break a limit no later pool can repair."""
        cost = price_plan(inputs, chosen)
        return any(v != "domestic" for v in cost.violations)

    def visit(k: int, chosen: list[PoolCost], spent: float, stacks: frozenset[str]) -> None:
        if k == len(order):
            cost = price_plan(inputs, chosen)
            if cost.feasible and cost.tco < best[0]:
                best[0], best[1] = cost.tco, (cost, tuple(chosen))
            return
        migration = sum(by_stack[s] for s in stacks)
        for pool, price in zip(ranked[k], own[k], strict=True):
            if spent + migration + price + rest[k + 1] >= best[0] * (1 + slack):
                break  # every later pool of this workload costs at least as much
            stack = chips[pool.choice.chip].software_stack
            grown = stacks | {stack}
            added = by_stack[stack] if stack not in stacks else 0.0
            if spent + migration + added + price + rest[k + 1] >= best[0] * (1 + slack):
                continue
            chosen.append(pool)
            if k + 1 == len(order) or not partial_breaks(chosen):
                visit(k + 1, chosen, spent + price, grown)
            chosen.pop()

    visit(0, [], 0.0, frozenset())
    found: tuple[PlanCost, tuple[PoolCost, ...]] | None = best[1]
    return found


def cheapest_plan_exhaustive(
    inputs: PlanningInputs, pools: dict[str, list[PoolCost]]
) -> tuple[PlanCost, tuple[PoolCost, ...]] | None:
    """The cheapest feasible combination of one pool per workload, every one priced."""
    best: tuple[PlanCost, tuple[PoolCost, ...]] | None = None
    for combo in itertools.product(*(pools[w] for w in inputs.workloads)):
        cost = price_plan(inputs, combo)
        if cost.feasible and (best is None or cost.tco < best[0].tco):
            best = (cost, combo)
    return best


def price_reported_plan(inputs: PlanningInputs, plan: Any) -> PlanCost:
    """Price the pools an optimizer plan reports (chip, fabric, cooling, nodes, cards)."""
    pools = []
    for p in plan.pools:
        pool = price_pool(
            inputs, Choice(p.workload, p.chip, p.fabric, p.cooling), p.nodes, p.cards, p.replicas
        )
        assert pool is not None, f"{p.workload}: the reported pool cannot be built"
        pools.append(pool)
    return price_plan(inputs, pools)


# --------------------------------------------------------------------------- fleets over years
#
# From DESIGN 3.6 and docs/optimizer.md ("Fleet plans"), in the oracle's own words:
# operating years 1..H; what serves year y is bought at its start and paid at the end of
# year y - 1 (discount (1 + r)^-(y - 1)); a bought unit serves `lifetime_years` years
# (blank = H): chips' units are the cards, hosts, systems and NICs, fabrics' the
# switches, optics and cables, coolings' the racks and the cooling plant; the data hall
# lasts H. Card, host and system prices change by (1 + price_change_per_year)^(y - 1).
# Energy follows the serving pools (discounted (1 + r)^-y), maintenance is
# maintenance_rate x the purchase price of the hardware installed in the year, and the
# part of a unit's life after year H is credited straight-line at (1 + r)^-H.
#
# The oracle buys each kind of unit just in time (the shortfall of the year's need
# against what is installed), which is cheapest when prices never rise: a later unit
# costs no more, is maintained fewer years and is worth more after the horizon.


FLEET_KINDS = (
    ("cards", "Chips"),
    ("hosts", "Chips"),
    ("systems", "Chips"),
    ("nics", "Chips"),
    ("leaf", "Fabrics"),
    ("spine", "Fabrics"),
    ("core", "Fabrics"),
    ("links", "Fabrics"),
    ("racks", "Cooling"),
    ("plant_kw", "Cooling"),
    ("hall_kw", "Site"),
)


def _fleet_unit_prices(inputs: PlanningInputs, choice: Choice, year: int) -> dict[str, float]:
    """Price of one unit of each kind bought for `year` (switches one price for every tier)."""
    chip, fabric = inputs.chips[choice.chip], inputs.fabrics[choice.fabric]
    cooling = inputs.coolings[choice.cooling]
    change = (1.0 + chip.price_change_per_year) ** (year - 1)
    return {
        "cards": chip.card_price * change,
        "hosts": chip.node_price * change,
        "systems": chip.system_price * change,
        "nics": fabric.nic_price,
        "leaf": fabric.switch_price,
        "spine": fabric.switch_price,
        "core": fabric.switch_price,
        "links": 2 * fabric.optic_price + fabric.cable_price,
        "racks": cooling.rack_price,
        "plant_kw": cooling.capex_per_kw,
        "hall_kw": inputs.site.facility_capex_per_kw,
    }


def _fleet_life(inputs: PlanningInputs, choice: Choice, sheet: str) -> int:
    rows = {
        "Chips": inputs.chips[choice.chip],
        "Fabrics": inputs.fabrics[choice.fabric],
        "Cooling": inputs.coolings[choice.cooling],
    }
    life = getattr(rows[sheet], "lifetime_years", None) if sheet in rows else None
    return int(life or inputs.site.horizon_years)


def _fleet_needs(pool: PoolCost, chip: Any) -> dict[str, float]:
    """Units of each kind a serving pool needs."""
    systems = pool.nodes // servers_per_system(chip)
    return {
        "cards": pool.cards,
        "hosts": pool.nodes,
        "systems": systems,
        "nics": pool.nics,
        "leaf": pool.fabric.leaf,
        "spine": pool.fabric.spine,
        "core": pool.fabric.core,
        "links": pool.fabric.links,
        "racks": pool.racks,
        "plant_kw": pool.it_kw,
        "hall_kw": pool.facility_kw,
    }


_HARDWARE_KINDS = ("cards", "hosts", "systems", "nics", "leaf", "spine", "core", "links")


def price_fleet(inputs: PlanningInputs, serving: Sequence[Sequence[PoolCost]]) -> float:
    """Discounted TCO of a fleet whose year y (1-based) serves the pools serving[y - 1].

    Purchases are just in time; migration is paid in the first year a stack serves.
    """
    site = inputs.site
    horizon, rate = site.horizon_years, site.discount_rate
    assert len(serving) == horizon
    assert all(c.price_change_per_year <= 0 for c in inputs.chips.values())
    choices = {p.choice for year in serving for p in year}
    # bought[(choice, kind)][year] = units
    bought: dict[tuple[Choice, str], dict[int, float]] = {}
    total = 0.0
    ported: set[str] = set()
    by_stack = migration_by_stack(inputs)
    for y in range(1, horizon + 1):
        pools = {p.choice: p for p in serving[y - 1]}
        capex = maintenance = 0.0
        for choice in choices:
            chip = inputs.chips[choice.chip]
            need = _fleet_needs(pools[choice], chip) if choice in pools else {}
            prices = _fleet_unit_prices(inputs, choice, y)
            for kind, sheet in FLEET_KINDS:
                life = _fleet_life(inputs, choice, sheet)
                history = bought.setdefault((choice, kind), {})
                alive = sum(u for b, u in history.items() if b > y - life)
                short = need.get(kind, 0.0) - alive
                if short > 1e-9:
                    history[y] = short
                    capex += short * prices[kind]
                if kind in _HARDWARE_KINDS:
                    maintenance += sum(
                        u * _fleet_unit_prices(inputs, choice, b)[kind]
                        for b, u in history.items()
                        if b > y - life
                    )
        for p in serving[y - 1]:
            stack = inputs.chips[p.choice.chip].software_stack
            if stack not in ported:
                ported.add(stack)
                capex += by_stack[stack]
        energy = sum(p.energy_per_year for p in serving[y - 1])
        total += capex * (1 + rate) ** -(y - 1)
        total += (energy + site.maintenance_rate * maintenance) * (1 + rate) ** -y
    residual = 0.0
    for (choice, kind), history in bought.items():
        sheet = dict(FLEET_KINDS)[kind]
        life = _fleet_life(inputs, choice, sheet)
        for b, units in history.items():
            left = max(0, b + life - 1 - horizon) / life
            residual += left * units * _fleet_unit_prices(inputs, choice, b)[kind]
    return total - residual * (1 + rate) ** -horizon
