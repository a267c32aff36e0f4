"""Prefill/decode disaggregation: decode iterations without prefill, units sized to the target."""

from __future__ import annotations

import math
from typing import Any

import pytest

from tco.perf.disaggregated import disaggregated_estimate, serving_estimate
from tco.perf.inference import decode_step, inference_estimate
from tco.scenario.optimize import optimize
from tests.factory import CHIP, FABRIC, MODEL, make_inputs

#: Llama-2-70B at a tight TPOT, where the prefill chunks of colocated serving crowd decode.
TIGHT: dict[str, Any] = dict(
    workload_id="chat",
    kind="inference",
    model_id="llama-2-70b",
    precision="fp8",
    target_tokens_per_s=300_000,
    avg_input_tokens=1000,
    avg_output_tokens=1000,
    max_tpot_ms=15,
    max_ttft_ms=2000,
)


def _inputs(pd: str, **workload: Any) -> Any:
    return make_inputs(
        site={"pd_disaggregation": pd},
        Chips=[CHIP],
        Fabrics=[FABRIC],
        Models=[MODEL],
        Workloads=[dict(TIGHT, **workload)],
    )


def _parts(inputs: Any) -> tuple[Any, ...]:
    w = inputs.workloads["chat"]
    return w, inputs.models[w.model_id], inputs.chips["h100"], inputs.site, inputs.fabrics["ib"]


def test_without_the_site_flag_serving_is_colocated() -> None:
    parts = _parts(_inputs("no"))
    assert serving_estimate(*parts) == inference_estimate(*parts)


def test_a_decode_only_iteration_carries_no_prefill() -> None:
    _, m, c, _, _ = _parts(_inputs("no"))
    mixed = decode_step(m, c, "fp8", 4, 32, 1000.0, 1000.0)
    alone = decode_step(m, c, "fp8", 4, 32, 1000.0, 1000.0, chunk=0.0)
    assert mixed.chunk_tokens == pytest.approx(32.0) and alone.chunk_tokens == 0.0
    assert alone.step_s < mixed.step_s


def test_the_unit_is_the_fewest_replicas_of_each_phase_meeting_the_target() -> None:
    parts = _parts(_inputs("allowed"))
    unit = disaggregated_estimate(*parts)
    assert unit.feasible, unit.reason
    assert unit.disaggregated is not None and unit.layout == unit.disaggregated
    assert unit.tokens_per_s >= TIGHT["target_tokens_per_s"]
    assert unit.tpot_ms is not None and unit.tpot_ms <= TIGHT["max_tpot_ms"]
    assert unit.ttft_ms is not None and unit.ttft_ms <= TIGHT["max_ttft_ms"]
    # "n_p prefill TPa + n_d decode TPb": one replica fewer of either phase misses the target.
    prefill, decode = unit.disaggregated.split(" + ")
    n_p, p_layout = int(prefill.split()[0]), prefill.split()[2]
    n_d, d_layout = int(decode.split()[0]), decode.split()[2]
    g_p, g_d = int(p_layout.removeprefix("TP")), int(d_layout.removeprefix("TP"))
    assert unit.replica_cards == n_p * g_p + n_d * g_d
    per_decode = unit.batch / (unit.tpot_ms / 1e3)  # b / iteration output tokens/s
    assert (n_d - 1) * per_decode < TIGHT["target_tokens_per_s"] <= n_d * per_decode * (1 + 1e-9)


def test_the_unit_is_chosen_only_when_it_needs_fewer_cards() -> None:
    parts = _parts(_inputs("allowed"))
    chosen, colocated = serving_estimate(*parts), inference_estimate(*parts)
    unit = disaggregated_estimate(*parts)
    target = TIGHT["target_tokens_per_s"]
    colocated_cards = math.ceil(target / colocated.tokens_per_s) * (colocated.replica_cards or 0)
    # 8-card servers: both counts in whole servers; a tie goes to the more tokens/s a card.
    split_servers = math.ceil((unit.replica_cards or 0) / 8)
    colocated_servers = math.ceil(colocated_cards / 8)
    tie = split_servers == colocated_servers
    assert (chosen == unit) == (
        split_servers < colocated_servers
        or (tie and unit.tokens_per_s_per_card > colocated.tokens_per_s_per_card)
    )


def test_a_tie_in_systems_goes_to_the_more_tokens_a_card(monkeypatch: Any) -> None:
    """QA: with a looser TPOT the colocated replicas needed as many 8-card servers as the
    prefill/decode unit (64 cards) and won the tie with fewer tokens/s a card (318.6
    against 341.4), so the estimate fell as the limit rose. Ties now go to the faster."""
    from tco.perf import disaggregated
    from tco.perf.inference import InferenceResult

    parts = _parts(_inputs("allowed", target_tokens_per_s=20_000))
    colocated = InferenceResult(True, "", replica_cards=16, tokens_per_s=16 * 318.6)
    unit = InferenceResult(True, "", replica_cards=64, tokens_per_s=64 * 341.4)
    monkeypatch.setattr(disaggregated, "inference_estimate", lambda *_: colocated)
    monkeypatch.setattr(disaggregated, "disaggregated_estimate", lambda *_: unit)
    # 20,000 / 5,098 -> 4 replicas of 16 cards = 8 servers, as the unit's 64 cards.
    assert math.ceil(20_000 / colocated.tokens_per_s) * 16 == 64
    assert serving_estimate(*parts) is unit
    slower = InferenceResult(True, "", replica_cards=64, tokens_per_s=64 * 300.0)
    monkeypatch.setattr(disaggregated, "disaggregated_estimate", lambda *_: slower)
    assert serving_estimate(*parts) is colocated


def test_optimizer_buys_the_unit_as_one_replica() -> None:
    inputs = _inputs("allowed")
    chosen = serving_estimate(*_parts(inputs))
    result = optimize(inputs, time_limit_s=60)
    assert result.status == "optimal" and result.plan is not None
    (pool,) = result.plan.pools
    assert pool.replica_cards == chosen.replica_cards
    assert pool.cards >= (chosen.replica_cards or 0)
    if chosen.disaggregated:
        assert pool.replicas == 1 and pool.cards == 8 * math.ceil(chosen.replica_cards / 8)


def test_the_estimate_explains_a_prefill_decode_unit() -> None:
    """A disaggregated row says how its unit is split, as an expert-parallel one does."""
    from tco.perf.estimate import estimate, notes

    inputs = _inputs("allowed")
    rows = [e for e in estimate(inputs, "chat") if e.feasible]
    units = [e for e in rows if e.layout and " prefill " in e.layout]
    assert units, [e.layout for e in rows]
    text = "\n".join(notes(rows))
    for e in units:
        assert f"one prefill/decode unit of {e.replica_cards:,} cards, {e.layout}" in text
