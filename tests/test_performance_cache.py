"""The performance cache is keyed by what an evaluation depends on, and only that."""

from __future__ import annotations

import dataclasses

import pytest

from tco.model import performance
from tco.model.options import build_options
from tco.perf.disaggregated import serving_estimate
from tco.perf.training import training_curve
from tco.scenario.scenario import Override, Scenario
from tco.schema.fields import FABRICS

from factory import FABRIC, INFERENCE, TRAINING, make_inputs

#: A MoE an 8 x 80 GB node cannot hold in BF16 (64 experts of 3 x 8192 x 8192 in 32
#: layers: 412 B routed + 5 B dense parameters, 834 GB), so its replicas span nodes.
MOE = dict(
    model_id="tiny-moe",
    params_b=417.0,
    active_params_b=17.9,
    layers=32,
    hidden=8192,
    heads=64,
    kv_heads=8,
    head_dim=128,
    experts=64,
    experts_per_token=2,
    expert_ffn=8192,
)

#: Fabric fields the training model reads: the bandwidth per card (port_gbps,
#: efficiency) and the data-parallel ring latency (latency_us x hops of the tiers that
#: switch_radix and oversubscription give), all in the cache key.
BANDWIDTH_FIELDS = {"port_gbps", "efficiency", "latency_us", "switch_radix", "oversubscription"}


def _perturbed(value: object) -> object:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value * 1.37 + 1
    return value


def test_training_sees_a_fabric_only_through_its_bandwidth() -> None:
    """The cache shares one curve between fabrics of equal bandwidth; this guards it."""
    inputs = make_inputs(Workloads=[TRAINING])
    w = inputs.workloads["train"]
    args = (w, inputs.models[w.model_id], inputs.chips["h100"])
    fabric = inputs.fabrics["ib"]
    base = training_curve(*args, fabric, inputs.site)
    for field in FABRICS.fields:
        if field.key in BANDWIDTH_FIELDS or not field.is_numeric:
            continue
        value = getattr(fabric, field.key)
        if value is None:
            continue
        changed = fabric.model_copy(update={field.key: _perturbed(value)})
        other = training_curve(*args, changed, inputs.site)
        for nodes in (1, 2, 4, 16, 64):
            assert other.tokens_per_s(nodes) == base.tokens_per_s(nodes), field.key


def test_moe_and_disaggregated_serving_see_a_fabric_only_through_the_key_fields() -> None:
    """Expert-parallel replicas across servers and prefill/decode hand-off read the same
    fabric fields as training (the cache key); this guards it for both."""
    inputs = make_inputs(
        site={"pd_disaggregation": "allowed"},
        Models=[MOE],
        Workloads=[dict(INFERENCE, model_id="tiny-moe", target_tokens_per_s=2000)],
    )
    w = inputs.workloads["chat"]
    args = (w, inputs.models["tiny-moe"], inputs.chips["h100"], inputs.site)
    fabric = inputs.fabrics["ib"]
    base = serving_estimate(*args, fabric)
    assert base.feasible, base.reason
    for field in FABRICS.fields:
        if field.key in BANDWIDTH_FIELDS or not field.is_numeric:
            continue
        value = getattr(fabric, field.key)
        if value is None:
            continue
        changed = fabric.model_copy(update={field.key: _perturbed(value)})
        assert serving_estimate(*args, changed) == base, field.key


def test_a_price_only_scenario_re_evaluates_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = make_inputs(Workloads=[TRAINING], Fabrics=[FABRIC, dict(FABRIC, fabric_id="ib2")])
    calls: list[tuple[str, str, str]] = []
    real = performance.pool_performance

    def counted(*args: object) -> object:
        calls.append(args[1:])  # type: ignore[arg-type]
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(performance, "pool_performance", counted)
    monkeypatch.setattr(performance, "_SHARED", type(performance._SHARED)())
    first = build_options(inputs)
    # Two fabrics of equal bandwidth share one evaluation per (workload, chip).
    assert len(calls) == len({(w, c) for w, c, _ in calls}) == 2
    dearer = Scenario(inputs).with_override(Override("Chips", "h100", "card_price", 99_000))
    again = build_options(dearer.inputs())
    assert len(calls) == 2  # prices are not part of any key
    assert [dataclasses.replace(o, curve=None) for o in again.options] == [
        dataclasses.replace(o, curve=None) for o in first.options
    ]
    faster = Scenario(inputs).with_override(Override("Chips", "h100", "bf16_tflops", 1500))
    build_options(faster.inputs())
    assert len(calls) == 3  # a spec change is a new evaluation for that chip only


def test_peek_finds_only_an_evaluation_of_the_same_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixed-plan check of `tco risk` reads curves through `peek`: never another
    sample's (a sampled spec is in the key), never one it would have to evaluate."""
    monkeypatch.setattr(performance, "_SHARED", type(performance._SHARED)())
    inputs = make_inputs(Workloads=[TRAINING])
    cache = performance.PerformanceCache(inputs)
    assert cache.peek("train", "h100", "ib") is None  # peeking evaluates nothing
    assert not performance._SHARED
    made = cache.get("train", "h100", "ib")
    assert performance.PerformanceCache(inputs).peek("train", "h100", "ib") is made
    sampled = Scenario(inputs).with_override(Override("Chips", "h100", "bf16_tflops", 1500))
    assert performance.PerformanceCache(sampled.inputs()).peek("train", "h100", "ib") is None
    priced = Scenario(inputs).with_override(Override("Chips", "h100", "card_price", 9_000))
    assert performance.PerformanceCache(priced.inputs()).peek("train", "h100", "ib") is made
