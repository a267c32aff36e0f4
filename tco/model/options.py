"""Sparse option sets: for each workload, the (chip, fabric, cooling) pools it may use.

Options are enumerated in Python from what is compatible, available and
allowed, never as a dense product filtered inside Pyomo. Each option carries
the performance coefficients the MILP needs (from `tco.perf`), so the model
never calls the performance model itself.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

from tco.costs.clos import tier_capacity, tiers_needed
from tco.model.performance import InferencePerformance, PerformanceCache, TrainingPerformance
from tco.perf.hardware import (
    nic_cards_per_node,
    nics_per_node,
    nodes_per_system,
    replicas_per_system,
    systems_per_replica,
)
from tco.perf.power import node_power
from tco.perf.training import TrainingCurve
from tco.schema.availability import allowed_chip_ids, unavailable_chips
from tco.schema.inputs import PlanningInputs, compatible_fabric_ids, supports_precision
from tco.schema.rows import CoolingRow
from tco.text import listing, plural

OptionKey = tuple[str, str, str, str]

#: Why a chip no Fabrics row serves has no option.
NO_FABRIC = (
    "no compatible fabric (every Fabrics row's compatible_chips leaves it out, or the chip's "
    "on-package ports cannot join the InfiniBand ones)"
)


@dataclass(frozen=True)
class Option:
    """One homogeneous pool a workload may be served by.

    cards = cards_per_node x nodes, nodes = nodes_per_system x systems: a pool is
    ordered in whole systems. Training: throughput t <= a_i x nodes + b_i x use
    for every cut (a concave under-estimator of T(nodes) that is exact at its
    breakpoints). Inference: systems_per_replica x replicas <= replicas_per_system
    x systems (a replica stays in one system, or, expert-parallel across the fabric,
    takes whole systems) and t <= tokens_per_replica x replicas.
    """

    workload: str
    chip: str
    fabric: str
    cooling: str
    kind: str
    target_tokens_per_s: float
    cards_per_node: int
    #: Scale-out ports per node (fabric endpoints) and the NIC cards bought for them
    #: (0 when the ports are on the chip, `integrated_nic`).
    nics_per_node: int
    nic_cards_per_node: int
    min_nodes: int
    max_nodes: int
    nodes_per_rack: int
    node_kw: float
    #: Training: the cuts' maker, run on first use (`cuts`): options the presolve drops
    #: never pay for their chord walk.
    cut_source: Callable[[], tuple[tuple[float, float], ...]] | None = field(
        default=None, compare=False, repr=False
    )
    #: Servers per orderable system (`system_cards` / `cards_per_node`).
    nodes_per_system: int = 1
    #: Nodes of the smallest pool meeting the target (max_nodes of an unshort,
    #: ungrown option; see `tco.model.share`).
    target_nodes: int = 0
    replica_cards: int = 0
    #: Inference: replicas one system holds (0 for training) and systems one replica
    #: takes (1 unless an expert-parallel replica spans systems; then replicas_per_system 1).
    replicas_per_system: int = 0
    systems_per_replica: int = 1
    #: Inference: how one replica splits the model ('TP4', 'EP16 DP-attention across ib').
    replica_layout: str = ""
    tokens_per_replica: float = 0.0
    #: Inference: replicas of the smallest pool meeting the target (0 when short).
    target_replicas: int = 0
    max_replicas: int = 0
    #: Elastic model only: the option cannot reach its target at any size.
    short: bool = False
    #: Training: the true T(nodes) the cuts under-estimate, so a plan's throughput is
    #: read from the curve the model was built from, never recomputed.
    curve: TrainingCurve | None = field(default=None, compare=False, repr=False)

    @property
    def key(self) -> OptionKey:
        return (self.workload, self.chip, self.fabric, self.cooling)

    @property
    def cuts(self) -> tuple[tuple[float, float], ...]:
        """Training: the lines t <= a_i x nodes + b_i [tokens/s] (`TrainingPerformance.cuts`),
        memoised with the evaluation; none for inference."""
        return self.cut_source() if self.cut_source is not None else ()

    @property
    def system_cards(self) -> int:
        return self.nodes_per_system * self.cards_per_node

    def systems(self, nodes: int) -> int:
        """Systems of a pool of `nodes` nodes (whole by construction)."""
        return nodes // self.nodes_per_system

    def replica_capacity(self, systems: int) -> int:
        """Replicas `systems` systems hold = systems x replicas_per_system //
        systems_per_replica (inference)."""
        return systems * self.replicas_per_system // self.systems_per_replica


def _given(cuts: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
    return cuts


def with_cuts(o: Option, cuts: Iterable[tuple[float, float]]) -> Option:
    """`o` with these cuts instead of its own (a fleet part's chords, a year's target).

    A partial of a module function, not a lambda, so that options still pickle for the
    risk engine's worker processes.
    """
    return dataclasses.replace(o, cut_source=functools.partial(_given, tuple(cuts)))


@dataclass(frozen=True)
class Exclusion:
    """Why one combination of a workload is not an option (fabric/cooling None = all)."""

    chip: str
    fabric: str | None
    cooling: str | None
    reason: str

    def matches(self, forced: Mapping[str, str]) -> bool:
        """Whether the combination is inside what `forced` still allows."""
        ids = {"chip": self.chip, "fabric": self.fabric, "cooling": self.cooling}
        return all(ids[dim] in (None, wanted) for dim, wanted in forced.items())

    def __str__(self) -> str:
        where = self.chip
        if self.fabric is not None:
            where += f" on {self.fabric}"
        if self.cooling is not None:
            where += f" with {self.cooling}"
        return f"{where}: {self.reason}"


@dataclass
class OptionSet:
    """All options, and for every workload why its other combinations were dropped."""

    options: list[Option] = field(default_factory=list)
    exclusions: dict[str, list[Exclusion]] = field(default_factory=dict)

    def for_workload(self, workload: str) -> list[Option]:
        return [o for o in self.options if o.workload == workload]

    def causes(self, workload: str) -> list[str]:
        """Why `workload`'s combinations were dropped, said once per chip and cause.

        A chip whose every combination failed for the same reason gets one entry
        ("h100: model ... does not fit"), not one per fabric and cooling; a chip
        with several reasons gets one entry per reason, naming where it applies.
        """
        by_chip: dict[str, dict[str, list[Exclusion]]] = {}
        for e in self.exclusions.get(workload, []):
            by_chip.setdefault(e.chip, {}).setdefault(e.reason, []).append(e)
        out = []
        for chip, by_reason in by_chip.items():
            for reason, found in by_reason.items():
                if len(found) == 1:
                    out.append(str(found[0]))
                elif len(by_reason) == 1:
                    out.append(f"{chip}: {reason}")
                else:
                    out.append(f"{_where(chip, found)}: {reason}")
        return out

    @property
    def excluded(self) -> dict[str, list[str]]:
        """The exclusions as text, per workload."""
        return {w: [str(e) for e in found] for w, found in self.exclusions.items()}

    def restricted(self, forced: Mapping[str, str]) -> OptionSet:
        """The options (and exclusions) with 'chip', 'fabric' or 'cooling' pinned."""
        if not forced:
            return self
        ids = {
            o.key: {"chip": o.chip, "fabric": o.fabric, "cooling": o.cooling} for o in self.options
        }
        kept = [o for o in self.options if all(ids[o.key][d] == v for d, v in forced.items())]
        reasons = {
            w: [e for e in found if e.matches(forced)] for w, found in self.exclusions.items()
        }
        return OptionSet(kept, reasons)


def _where(chip: str, found: list[Exclusion]) -> str:
    """'h100 on ib, roce with air': the fabrics and coolings a shared reason applies to."""
    fabrics = list(dict.fromkeys(e.fabric for e in found if e.fabric is not None))
    coolings = list(dict.fromkeys(e.cooling for e in found if e.cooling is not None))
    where = chip
    if fabrics:
        where += f" on {listing(fabrics)}"
    if coolings:
        where += f" with {listing(coolings)}"
    return where


def compatible_coolings(inputs: PlanningInputs, chip_id: str) -> list[str]:
    needs_liquid = inputs.chips[chip_id].cooling_required == "liquid"
    return [
        kid
        for kid, cooling in inputs.coolings.items()
        if not (needs_liquid and cooling.technology == "air")
    ]


def nodes_per_rack(node_kw: float, cooling: CoolingRow) -> int:
    """Nodes one rack holds: slots, and the cooling's kW limit over the node's peak kW."""
    by_power = math.floor(cooling.max_rack_kw / node_kw + 1e-9)
    return min(cooling.nodes_per_rack_max, by_power)


class OutOfTime(Exception):
    """The run's time limit ran out while the options were being evaluated."""


def build_options(
    inputs: PlanningInputs,
    elastic: bool = False,
    forced: Mapping[str, str] | None = None,
    expired: Callable[[], bool] | None = None,
    only: Mapping[str, Collection[str]] | None = None,
    skip: Mapping[str, Collection[tuple[str, str]]] | None = None,
) -> OptionSet:
    """Enumerate every feasible option; `forced` pins 'chip', 'fabric' or 'cooling' ids.

    `only[w]` (when given) names the chips workload w's options may use: the risk
    engine leaves out chips a cost bound proves cannot be in the optimum. `skip[w]`
    names (chip, fabric) pairs left out likewise, unevaluated (see `Engine`).

    `expired()` is asked before each (workload, chip): the performance model is the
    longest stage before a solve, and a run past its time limit must not finish it
    (raises `OutOfTime`).
    """
    forced = forced or {}
    result = OptionSet()
    performance = PerformanceCache(inputs)
    for wid, workload in inputs.workloads.items():
        reasons = result.exclusions.setdefault(wid, [])
        for cid, why in unavailable_chips(inputs.chips, workload, inputs.site).items():
            if forced.get("chip") in (None, cid):
                reasons.append(Exclusion(cid, None, None, why))
        for cid in allowed_chip_ids(inputs.chips, workload, inputs.site):
            if forced.get("chip") not in (None, cid):
                continue
            if only is not None and cid not in only.get(wid, ()):
                continue
            if expired is not None and expired():
                raise OutOfTime
            chip = inputs.chips[cid]
            if not supports_precision(chip, workload.precision):
                reasons.append(Exclusion(cid, None, None, f"no {workload.precision} support"))
                continue
            fabric_ids = compatible_fabric_ids(inputs, cid)
            if not fabric_ids:
                reasons.append(Exclusion(cid, None, None, NO_FABRIC))
            for fid in fabric_ids:
                if forced.get("fabric") not in (None, fid):
                    continue
                if skip is not None and (cid, fid) in skip.get(wid, ()):
                    continue
                perf = performance.get(wid, cid, fid)
                if perf.reason is not None:
                    reasons.append(Exclusion(cid, fid, None, perf.reason))
                    continue
                sized = _pool_size(inputs, wid, cid, fid, perf, elastic, performance)
                if isinstance(sized, str):
                    reasons.append(Exclusion(cid, fid, None, sized))
                    continue
                for kid in compatible_coolings(inputs, cid):
                    if forced.get("cooling") not in (None, kid):
                        continue
                    option = _option(inputs, wid, cid, fid, kid, perf, sized)
                    if isinstance(option, str):
                        reasons.append(Exclusion(cid, fid, kid, option))
                    else:
                        result.options.append(option)
            if chip.cooling_required == "liquid" and not compatible_coolings(inputs, cid):
                reasons.append(
                    Exclusion(cid, None, None, "needs liquid cooling and no liquid option exists")
                )
    return result


def smallest_size(o: Option) -> tuple[int, int, int | None]:
    """(nodes, cards, replicas) of the smallest pool of option `o` meeting its target."""
    if o.kind == "training":
        return o.target_nodes, o.target_nodes * o.cards_per_node, None
    nodes = max(o.min_nodes, inference_nodes(o, o.target_replicas))
    return nodes, nodes * o.cards_per_node, o.target_replicas


def inference_nodes(o: Option, replicas: int) -> int:
    """Nodes that hold `replicas` = ceil(replicas x systems_per_replica / replicas_per_system)
    x nodes_per_system."""
    return -(-replicas * o.systems_per_replica // o.replicas_per_system) * o.nodes_per_system


@dataclass(frozen=True)
class _PoolSize:
    """Node range and throughput coefficients of one (workload, chip, fabric)."""

    max_nodes: int
    cut_source: Callable[[], tuple[tuple[float, float], ...]] | None
    #: Inference: replicas meeting the target (0 when short) and the most the pool holds.
    target_replicas: int
    max_replicas: int
    short: bool = False


def _pool_size(
    inputs: PlanningInputs,
    wid: str,
    cid: str,
    fid: str,
    perf: TrainingPerformance | InferencePerformance,
    elastic: bool,
    performance: PerformanceCache,
) -> _PoolSize | str:
    """How many nodes the pool may need, or why it cannot meet its target."""
    chip = inputs.chips[cid]
    fabric = inputs.fabrics[fid]
    nics = nics_per_node(chip)
    fabric_nodes = int(tier_capacity(3, fabric.switch_radix, fabric.oversubscription) // nics)
    fabric_nodes -= fabric_nodes % nodes_per_system(chip)  # whole systems
    short = perf.max_nodes_for_target is None
    if short and not elastic:
        return perf.shortfall_reason or "cannot reach the target"
    max_nodes = perf.max_useful_nodes if short else perf.max_nodes_for_target
    assert max_nodes is not None
    if max_nodes > fabric_nodes:
        if not elastic:
            return (
                f"needs {plural(max_nodes, 'node')}, more than a 3-tier {fid} fabric connects "
                f"({fabric_nodes:,})"
            )
        max_nodes = fabric_nodes  # elastic: the largest fabric, short of the target
    if chip.max_cards is not None and not elastic:
        min_cards = perf.min_nodes * chip.cards_per_node  # whole systems, either kind
        if min_cards > chip.max_cards:
            return (
                f"needs at least {plural(min_cards, 'card')}, over the supply cap of "
                f"{chip.max_cards:,}"
            )
    if isinstance(perf, TrainingPerformance):
        cut_source = functools.partial(performance.cuts, perf, max_nodes)
        return _PoolSize(max_nodes, cut_source, 0, 0, short)
    if short:
        # Elastic: as many replicas as the largest pool holds, short of the target.
        systems = max_nodes // nodes_per_system(chip)
        most = (
            systems
            * replicas_per_system(chip, perf.replica_cards)
            // systems_per_replica(chip, perf.replica_cards)
        )
        return _PoolSize(systems * nodes_per_system(chip), None, 0, most, short=True)
    # Replicas beyond the target only add cost (a domestic share may grow domestic
    # pools, see `tco.model.share`).
    replicas = math.ceil(perf.target_tokens_per_s / perf.tokens_per_replica - 1e-9)
    return _PoolSize(max_nodes, None, replicas, replicas)


def _option(
    inputs: PlanningInputs,
    wid: str,
    cid: str,
    fid: str,
    kid: str,
    perf: TrainingPerformance | InferencePerformance,
    size: _PoolSize,
) -> Option | str:
    chip = inputs.chips[cid]
    fabric = inputs.fabrics[fid]
    cooling = inputs.coolings[kid]
    nics = nics_per_node(chip)
    node_kw = node_power(chip, inputs.site, fabric).peak_kw
    per_rack = nodes_per_rack(node_kw, cooling)
    if per_rack < 1:
        return f"one node draws {node_kw:,.1f} kW, over the {cooling.max_rack_kw:,g} kW rack limit"
    is_inference = isinstance(perf, InferencePerformance)
    return Option(
        workload=wid,
        chip=cid,
        fabric=fid,
        cooling=kid,
        kind=inputs.workloads[wid].kind,
        target_tokens_per_s=perf.target_tokens_per_s,
        cards_per_node=chip.cards_per_node,
        nics_per_node=nics,
        nic_cards_per_node=nic_cards_per_node(chip),
        nodes_per_system=nodes_per_system(chip),
        min_nodes=perf.min_nodes,
        max_nodes=size.max_nodes,
        nodes_per_rack=per_rack,
        node_kw=node_kw,
        cut_source=size.cut_source,
        replica_cards=perf.replica_cards if is_inference else 0,  # type: ignore[union-attr]
        replicas_per_system=(
            replicas_per_system(chip, perf.replica_cards)  # type: ignore[union-attr]
            if is_inference
            else 0
        ),
        systems_per_replica=(
            systems_per_replica(chip, perf.replica_cards)  # type: ignore[union-attr]
            if is_inference
            else 1
        ),
        replica_layout=perf.result.layout if is_inference else "",  # type: ignore[union-attr]
        tokens_per_replica=perf.tokens_per_replica if is_inference else 0.0,  # type: ignore[union-attr]
        target_replicas=size.target_replicas,
        max_replicas=size.max_replicas,
        short=size.short,
        target_nodes=size.max_nodes,
        curve=None if is_inference else perf.curve,  # type: ignore[union-attr]
    )


def max_endpoint_tiers(option: Option, radix: int, oversubscription: float) -> int:
    """Tiers the largest pool of this option needs (bounds the tier binaries)."""
    tiers = tiers_needed(option.max_nodes * option.nics_per_node, radix, oversubscription)
    return tiers or 3
