"""Batched, memoised cost coefficients: bit-identical to the registry's, never stale."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tco.costs import coefficients, registry
from tco.scenario.scenario import Override, apply_overrides

from factory import make_inputs


def _reference(rows: tuple[object, ...]) -> tuple[np.ndarray, tuple[float, ...], ...]:
    """What the model used before the memo: `registry.coefficients` on `row_lookup`."""
    cost = registry.coefficients(registry.row_lookup(*rows))

    def row(form: object) -> tuple[float, ...]:
        return tuple(form.coefficient(d) for d in registry.DECISIONS)  # type: ignore[attr-defined]

    matrix = np.array([row(cost.capex), row(cost.opex_per_year), row(cost.facility_kw)])
    return matrix, row(cost.capex), row(cost.energy_per_year), row(cost.maintenance_per_year)


def _same(found: coefficients.Coefficients, reference: tuple[object, ...]) -> bool:
    matrix, capex, energy, maintenance = reference
    return (
        np.array_equal(found.matrix, matrix)  # type: ignore[arg-type]
        and found.capex == capex
        and found.energy_per_year == energy
        and found.maintenance_per_year == maintenance
    )


def _rows(inputs: object, chip: str = "h100") -> tuple[object, ...]:
    return (inputs.chips[chip], inputs.fabrics["ib"], inputs.coolings["air"], inputs.site)  # type: ignore[attr-defined]


def test_fields_are_every_field_the_pool_equations_read() -> None:
    read: set[tuple[str, str]] = set()
    lookup = registry.row_lookup(*_rows(make_inputs()))

    def recording(sheet: str, name: str) -> float:
        read.add((sheet, name))
        return lookup(sheet, name)

    registry.price_pool(registry.PoolQuantities(3, 2, 2, 4, 1, 1, 0, 6, 1), recording)
    assert read == set(coefficients.FIELDS)


_values = st.floats(min_value=1e-6, max_value=1e7, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(*[_values] * len(coefficients.FIELDS)), min_size=1, max_size=6))
def test_a_batch_is_bit_identical_to_one_linear_evaluation_each(
    keys: list[tuple[float, ...]],
) -> None:
    batch = coefficients._evaluate(keys)
    for key, found in zip(keys, batch, strict=True):
        reference = coefficients._one(key)
        assert np.array_equal(found.matrix, reference.matrix)
        assert found.capex == reference.capex
        assert found.energy_per_year == reference.energy_per_year
        assert found.maintenance_per_year == reference.maintenance_per_year


def test_memo_returns_the_new_coefficients_when_a_priced_field_changes() -> None:
    base = make_inputs()
    before = coefficients.of_rows(*_rows(base))
    assert _same(before, _reference(_rows(base)))
    card = registry.DECISIONS.index("cards")
    for field, value in (("card_price", 31_234.5), ("tdp_w", 812.0)):
        changed = apply_overrides(base, (Override("Chips", "h100", field, value),))
        after = coefficients.of_rows(*_rows(changed))
        assert _same(after, _reference(_rows(changed)))
        assert after.matrix[0, card] != before.matrix[0, card]
    # Every field the equations read is in the key: a change to any of them is a new entry.
    rows = _rows(base)
    key = coefficients.key_of(rows)  # type: ignore[arg-type]
    for i, (sheet, name) in enumerate(coefficients.FIELDS):
        moved = list(rows)
        index = coefficients.SHEETS.index(sheet)
        value = float(getattr(rows[index], name))
        moved[index] = rows[index].model_copy(update={name: value + 1.0})  # type: ignore[attr-defined]
        other = coefficients.key_of(tuple(moved))  # type: ignore[arg-type]
        assert other[i] != key[i] and other[:i] + other[i + 1 :] == key[:i] + key[i + 1 :]


def test_a_field_the_equations_do_not_read_reuses_the_entry() -> None:
    base = make_inputs()
    changed = apply_overrides(base, (Override("Chips", "h100", "bf16_tflops", 700.0),))
    assert coefficients.of_rows(*_rows(base)) is coefficients.of_rows(*_rows(changed))


def test_a_non_finite_value_is_evaluated_by_the_registry_alone() -> None:
    key = tuple(2.0 for _ in coefficients.FIELDS)
    i = coefficients.FIELDS.index(("Chips", "card_price"))
    key = (*key[:i], math.inf, *key[i + 1 :])
    found = coefficients._evaluate([key])[0]
    reference = coefficients._one(key)
    assert found.capex == reference.capex
    assert found.capex[registry.DECISIONS.index("cards")] == math.inf
    # Unit columns would give 0 x inf = nan for the decisions the card price does not touch.
    others = zip(registry.DECISIONS, found.capex, strict=True)
    assert all(math.isfinite(c) for d, c in others if d != "cards")
