"""The performance model's answers in the form the option builder needs.

For a (workload, chip, fabric) it gives the node range the MILP may use and
the coefficients of its throughput constraints: training via the concave
under-estimating cuts of T(nodes), inference via tokens/s per replica. Node
counts are whole systems (`system_cards`): a pool is ordered in systems.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field

from pydantic import BaseModel

from tco.perf.disaggregated import serving_estimate
from tco.perf.hardware import (
    fabric_bytes_per_s_per_card,
    nodes_per_system,
    systems_for_replicas,
    systems_per_replica,
    whole_system_nodes,
)
from tco.perf.inference import InferenceResult
from tco.perf.moe import is_moe
from tco.perf.training import TrainingCurve, training_curve, training_target_tokens_per_s
from tco.schema.fields import SHEETS
from tco.schema.inputs import PlanningInputs, required_for_kind


@dataclass(frozen=True)
class TrainingPerformance:
    """T(nodes) with the smallest node count meeting the target (None if it cannot)."""

    curve: TrainingCurve
    target_tokens_per_s: float
    min_nodes: int
    max_nodes_for_target: int | None
    max_useful_nodes: int
    reason: str | None = None
    shortfall_reason: str | None = None
    #: `PerformanceCache.cuts` per node range, kept with the evaluation it derives from,
    #: so every engine of the process sharing the evaluation shares its cuts too.
    cut_cache: dict[int, tuple[tuple[float, float], ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def cuts(
        self, max_nodes: int, chords: list[tuple[float, float]] | None = None
    ) -> list[tuple[float, float]]:
        """Lines t <= a x nodes + b (tokens/s) for the MILP.

        The curve's chords under-estimate T(n) and are exact at their own
        breakpoints, which need not include n_t, the fewest nodes meeting the
        target; with only those, the MILP could over-buy nodes. So when n_t is
        known, chords that cut below T(n_t) are dropped and two lines are
        added: the local chord through (n_t - 1, T(n_t - 1)) and (n_t, T(n_t)),
        which keeps every n < n_t below T(n_t - 1) < target because T never
        decreases, and the cap T(n_t). The result is concave (a minimum of
        lines), exact at n_t, and meets the target at no n < n_t, so the MILP
        picks exactly n_t nodes, as the true function does.

        `chords` are `self.curve.cuts(max_nodes)` when the caller has them already
        (a fleet plan asks for one target per year on the same curve).
        """
        lines = self.curve.cuts(max_nodes) if chords is None else chords
        n_t = self.max_nodes_for_target
        if n_t is None or n_t > max_nodes:
            return lines
        t_n = self.curve.tokens_per_s(n_t)
        kept = [(a, b) for a, b in lines if a * n_t + b >= t_n * (1 - 1e-12)]
        if n_t > self.min_nodes:
            slope = t_n - self.curve.tokens_per_s(n_t - 1)
            kept.append((slope, t_n - slope * n_t))
        kept.append((0.0, t_n))
        return kept


@dataclass(frozen=True)
class InferencePerformance:
    """One replica of g cards serving `tokens_per_replica` output tokens/s."""

    result: InferenceResult
    target_tokens_per_s: float
    replica_cards: int
    tokens_per_replica: float
    min_nodes: int
    max_nodes_for_target: int | None
    max_useful_nodes: int
    reason: str | None = None
    shortfall_reason: str | None = None


def pool_performance(
    inputs: PlanningInputs, workload_id: str, chip_id: str, fabric_id: str
) -> TrainingPerformance | InferencePerformance:
    """Performance of one (workload, chip, fabric); `reason` is set when it cannot work."""
    workload = inputs.workloads[workload_id]
    model = inputs.models[workload.model_id]
    chip = inputs.chips[chip_id]
    site = inputs.site
    if workload.kind == "training":
        target = training_target_tokens_per_s(workload)
        curve = training_curve(workload, model, chip, inputs.fabrics[fabric_id], site)
        if not curve.feasible:
            return TrainingPerformance(curve, target, 0, None, 0, reason=curve.reason)
        need = curve.nodes_for(target)
        # Nodes come in whole systems; T never decreases, so the first whole number of
        # systems at or past the fewest nodes meeting the target meets it too.
        return TrainingPerformance(
            curve,
            target,
            whole_system_nodes(chip, curve.min_nodes),
            None if need.nodes is None else whole_system_nodes(chip, need.nodes),
            whole_system_nodes(chip, max(curve.saturation_nodes, curve.min_nodes)),
            shortfall_reason=None if need.feasible else need.reason,
        )
    target = required_for_kind(workload.target_tokens_per_s, "target_tokens_per_s")
    result = serving_estimate(workload, model, chip, site, inputs.fabrics[fabric_id])
    if not result.feasible or not result.replica_cards or result.tokens_per_s <= 0:
        return InferencePerformance(
            result, target, 0, 0.0, 0, None, 0, reason=result.reason or "no throughput"
        )
    g = result.replica_cards
    replicas = math.ceil(target / result.tokens_per_s - 1e-9)
    nodes = systems_for_replicas(chip, g, replicas) * nodes_per_system(chip)
    least = systems_per_replica(chip, g) * nodes_per_system(chip)  # one replica
    return InferencePerformance(result, target, g, result.tokens_per_s, least, nodes, nodes)


#: Input fields priced in money. The performance model never reads them, so they stay
#: out of its cache keys: a scenario that changes only prices reuses every evaluation.
MONEY_FIELDS = frozenset(key for sheet in SHEETS for key in sheet.money_keys)

#: Evaluations kept across engines of one process (risk samples, compare runs), oldest
#: dropped first; each entry is one (workload, chip[, fabric network figures]) evaluation.
SHARED_ENTRIES = 20_000

PerfKey = tuple[object, ...]
_SHARED: OrderedDict[PerfKey, TrainingPerformance | InferencePerformance] = OrderedDict()


def _row_key(row: BaseModel) -> tuple[tuple[str, object], ...]:
    """Every field but the money ones: what an evaluation of `row` can depend on."""
    return tuple((k, v) for k, v in row if k not in MONEY_FIELDS)


class PerformanceCache:
    """`pool_performance` memoised on what it depends on.

    The key is the workload, model, chip and Site rows without their money
    fields, plus, for training, the scale-out bandwidth per card and what the
    data-parallel ring latency reads (latency_us, switch_radix, oversubscription), and
    the same for a MoE's inference, whose expert-parallel replicas may span systems over
    the fabric, and for any inference under prefill/decode disaggregation, whose KV
    hand-off crosses it: other (dense, colocated) inference does not depend on the
    fabric (a replica lives inside one system, on its scale-up link), and the others see
    a fabric only through those (a test guards that), so fabrics that differ only in
    price or technology share one evaluation.
    Entries are shared by every cache of the process, so a scenario that changes
    prices re-evaluates nothing.
    """

    def __init__(self, inputs: PlanningInputs) -> None:
        self.inputs = inputs
        self._site = _row_key(inputs.site)
        #: Row keys by (sheet, id): a row's key is built once per cache, not per lookup.
        self._keys: dict[tuple[str, str], tuple[tuple[str, object], ...]] = {}

    def _key(self, sheet: str, row_id: str, row: BaseModel) -> tuple[tuple[str, object], ...]:
        found = self._keys.get((sheet, row_id))
        if found is None:
            found = self._keys[(sheet, row_id)] = _row_key(row)
        return found

    def get(
        self, workload_id: str, chip_id: str, fabric_id: str
    ) -> TrainingPerformance | InferencePerformance:
        key = self._perf_key(workload_id, chip_id, fabric_id)
        found = _SHARED.get(key)
        if found is None:
            found = pool_performance(self.inputs, workload_id, chip_id, fabric_id)
            _SHARED[key] = found
            if len(_SHARED) > SHARED_ENTRIES:
                _SHARED.popitem(last=False)
        else:
            _SHARED.move_to_end(key)
        return found

    def peek(
        self, workload_id: str, chip_id: str, fabric_id: str
    ) -> TrainingPerformance | InferencePerformance | None:
        """The evaluation when the process has it already, else None (nothing evaluated)."""
        return _SHARED.get(self._perf_key(workload_id, chip_id, fabric_id))

    def _perf_key(self, workload_id: str, chip_id: str, fabric_id: str) -> PerfKey:
        inputs = self.inputs
        workload, chip = inputs.workloads[workload_id], inputs.chips[chip_id]
        network: tuple[float, ...] | None = None
        if (
            workload.kind == "training"
            or is_moe(inputs.models[workload.model_id])
            or inputs.site.pd_disaggregation == "allowed"
        ):
            fabric = inputs.fabrics[fabric_id]
            network = (
                fabric_bytes_per_s_per_card(chip, fabric),
                fabric.latency_us,
                fabric.switch_radix,
                fabric.oversubscription,
            )
        key: PerfKey = (
            self._key("Workloads", workload_id, workload),
            self._key("Models", workload.model_id, inputs.models[workload.model_id]),
            self._key("Chips", chip_id, chip),
            network,
            self._site,
        )
        return key

    def cuts(self, perf: TrainingPerformance, max_nodes: int) -> tuple[tuple[float, float], ...]:
        """`perf.cuts(max_nodes)`, once per shared evaluation and node range."""
        if max_nodes not in perf.cut_cache:
            perf.cut_cache[max_nodes] = tuple(perf.cuts(max_nodes))
        return perf.cut_cache[max_nodes]
