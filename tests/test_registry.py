"""The cost-line registry: one declaration, the same arithmetic as number, Pyomo and formula."""

from __future__ import annotations

import re

import pyomo.environ as pyo
import pytest

from tco.costs import registry
from tco.costs.formula import Formula
from tco.costs.linear import Linear
from tco.scenario.optimize import optimize
from tco.schema.fields import SHEETS_BY_NAME, SITE

from factory import CHIP, COOLING, FABRIC, make_inputs

QUANTITIES = registry.PoolQuantities(
    cards=28,
    nodes=4,
    systems=4,
    nics=32,
    leaf_switches=2,
    spine_switches=1,
    core_switches=0,
    links=48,
    racks=1,
)


def _lookup() -> registry.FieldLookup:
    inputs = make_inputs()
    return registry.row_lookup(
        inputs.chips["h100"], inputs.fabrics["ib"], inputs.coolings["air"], inputs.site
    )


def _evaluate(formula: Formula, values: dict[str, float]) -> float:
    """Evaluate formula text whose names are keys of `values` (Excel and Python agree on
    + - * / and parentheses)."""
    text = re.sub(r"[A-Za-z_][A-Za-z_0-9.]*", lambda m: repr(values[m.group(0)]), formula.text)
    return float(eval(text))


def test_formula_parentheses_follow_precedence() -> None:
    a, b, c = Formula("A"), Formula("B"), Formula("C")
    assert ((a + b) * c).text == "(A+B)*C"
    assert (a + b * c).text == "A+B*C"
    assert (a - (b - c)).text == "A-(B-C)"
    assert ((a - b) - c).text == "A-B-C"
    assert (a / (b * c)).text == "A/(B*C)"
    assert (a * b / c).text == "A*B/C"
    assert (2 * a).text == "2*A"
    assert (a / 1000.0).text == "A/1000"
    assert (a * 0.5).text == "A*0.5"
    assert (a * -2).text == "A*(-2)"
    assert sum([a, b], 0).text == "A+B"
    assert (a + b).cell() == "=A+B"


def test_every_line_is_counted_in_a_known_quantity_and_priced_by_a_numeric_field() -> None:
    names = registry.derived(QUANTITIES, _lookup()).keys()
    keys = [line.key for line in registry.LINES]
    assert len(keys) == len(set(keys))
    assert registry.MIGRATION_KEY not in keys
    for line in registry.LINES:
        assert line.quantity in names, line.key
        if line.price_sheet == "Site":
            field = next(f for f in SITE.fields if f.key == line.price_field)
        else:
            field = next(
                f for f in SHEETS_BY_NAME[line.price_sheet].fields if f.key == line.price_field
            )
        assert field.is_numeric, (line.key, field.type)


def test_the_formula_backend_computes_what_the_number_backend_does() -> None:
    """One declaration, two backends: the Excel text evaluates to the engine's numbers."""
    lookup = _lookup()
    numbers = registry.price_pool(QUANTITIES, lookup)
    q_refs = registry.PoolQuantities(*(Formula(f"q_{n}") for n in registry.DECISIONS))

    def ref_lookup(sheet: str, field: str) -> Formula:
        return Formula(f"{sheet}_{field}")

    formulas = registry.price_pool(q_refs, ref_lookup)
    values = {f"q_{n}": float(getattr(QUANTITIES, n)) for n in registry.DECISIONS}
    for sheet in ("Chips", "Fabrics", "Cooling", "Site"):
        for line_field in {ln.price_field for ln in registry.LINES} | {
            "tdp_w",
            "node_power_w",
            "system_power_w",
            "nic_power_w",
            "switch_power_w",
            "pue",
            "utilization",
            "electricity_price_per_kwh",
            "maintenance_rate",
        }:
            try:
                values[f"{sheet}_{line_field}"] = lookup(sheet, line_field)
            except AttributeError:
                continue
    for number, formula in zip(numbers.lines, formulas.lines, strict=True):
        assert _evaluate(formula.extended, values) == pytest.approx(number.extended, rel=1e-12)
    for name in ("it_kw", "facility_kw", "energy_per_year", "maintenance_per_year"):
        assert _evaluate(getattr(formulas, name), values) == pytest.approx(
            getattr(numbers, name), rel=1e-12
        ), name


def test_the_pyomo_backend_is_the_same_linear_function() -> None:
    lookup = _lookup()
    m = pyo.ConcreteModel()
    m.x = pyo.Var(registry.DECISIONS)
    for name in registry.DECISIONS:
        m.x[name].set_value(getattr(QUANTITIES, name))
    q = registry.PoolQuantities(*(m.x[n] for n in registry.DECISIONS))
    expr = registry.price_pool(q, lookup)
    numbers = registry.price_pool(QUANTITIES, lookup)
    assert pyo.value(expr.capex) == pytest.approx(numbers.capex, rel=1e-12)
    assert pyo.value(expr.opex_per_year) == pytest.approx(numbers.opex_per_year, rel=1e-12)


def test_a_hand_priced_pool() -> None:
    """28 H100 cards, 4 hosts, 32 NICs, 3 switches, 48 links, 1 rack (factory prices)."""
    cost = registry.price_pool(QUANTITIES, _lookup())
    by_key = {p.line.key: p for p in cost.lines}
    assert by_key["optic"].units == 96  # a transceiver at each end of 48 links
    it_kw = (28 * 700 + 4 * 4600 + 32 * 25 + 3 * 1500) / 1000  # 43.3 kW
    assert cost.it_kw == pytest.approx(it_kw)
    hardware = 28 * 25000 + 4 * 50000 + 32 * 2000 + 3 * 40000 + 96 * 700 + 48 * 100
    facility = 1 * 5000 + it_kw * 1500 + it_kw * 1.4 * make_inputs().site.facility_capex_per_kw
    assert cost.capex == pytest.approx(hardware + facility)
    site = make_inputs().site
    energy = it_kw * site.utilization * 1.4 * 8760 * 0.1
    assert cost.energy_per_year == pytest.approx(energy)
    assert cost.maintenance_per_year == pytest.approx(site.maintenance_rate * hardware)
    assert (CHIP["tdp_w"], FABRIC["optic_price"], COOLING["pue"]) == (700, 700, 1.4)


def test_a_system_is_priced_and_powered_once_per_system() -> None:
    """An NVL72-like system: 72 cards in 18 trays of 4, one 270k / 7.2 kW system."""
    inputs = make_inputs()
    chip = inputs.chips["h100"].model_copy(
        update={
            "cards_per_node": 4,
            "system_cards": 72,
            "system_price": 270_000.0,
            "system_power_w": 7_200.0,
        }
    )
    lookup = registry.row_lookup(chip, inputs.fabrics["ib"], inputs.coolings["air"], inputs.site)
    q = registry.PoolQuantities(144, 36, 2, 0, 0, 0, 0, 0, 4)
    cost = registry.price_pool(q, lookup)
    by_key = {p.line.key: p for p in cost.lines}
    assert by_key["system"].units == 2
    assert by_key["system"].extended == pytest.approx(540_000)
    assert cost.it_kw == pytest.approx((144 * 700 + 36 * 4600 + 2 * 7200) / 1000)
    assert "72 cards" in registry.LINES_BY_KEY["system"].label(chip, None, None)
    assert registry.share_amount("spend", chip, 144, 36, 2) == pytest.approx(
        144 * 25_000 + 36 * 50_000 + 2 * 270_000
    )


def test_a_delta_costs_its_marginal_cost() -> None:
    """Linear without a constant: cost(a + b) = cost(a) + cost(b), so deltas price growth."""
    lookup = _lookup()
    one_card = registry.PoolQuantities(1, 0, 0, 0, 0, 0, 0, 0, 0)
    more = registry.PoolQuantities(
        *(getattr(QUANTITIES, n) + getattr(one_card, n) for n in registry.DECISIONS)
    )
    base, bigger = registry.price_pool(QUANTITIES, lookup), registry.price_pool(more, lookup)
    delta = registry.price_pool(one_card, lookup)
    assert bigger.capex - base.capex == pytest.approx(delta.capex)
    assert bigger.opex_per_year - base.opex_per_year == pytest.approx(delta.opex_per_year)


def test_renaming_a_label_changes_no_number(monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = make_inputs()
    before = optimize(inputs).plan
    renamed = tuple(
        registry.CostLine(**{**vars(line), "label": lambda *_: "renamed"})
        for line in registry.LINES
    )
    monkeypatch.setattr(registry, "LINES", renamed)
    after = optimize(inputs).plan
    assert before is not None and after is not None
    assert [(b.key, b.quantity, b.extended) for b in before.bom] == [
        (a.key, a.quantity, a.extended) for a in after.bom
    ]
    assert {a.item for a in after.bom if a.key != registry.MIGRATION_KEY} == {"renamed"}
    assert after.tco == before.tco


def test_coefficients_reproduce_the_pool_cost() -> None:
    """The model's flat objective: sum_d coefficient_d x decision_d = price_pool exactly."""
    lookup = _lookup()
    form = registry.coefficients(lookup)
    numbers = registry.price_pool(QUANTITIES, lookup)
    for part in ("capex", "energy_per_year", "maintenance_per_year", "it_kw"):
        flat = sum(
            getattr(form, part).coefficient(d) * getattr(QUANTITIES, d) for d in registry.DECISIONS
        )
        assert flat == pytest.approx(getattr(numbers, part), rel=1e-12), part


def test_linear_forms_refuse_what_is_not_linear() -> None:
    cards = Linear({"cards": 1.0})
    assert (2 * cards + cards / 4).coefficient("cards") == pytest.approx(2.25)
    with pytest.raises(ValueError, match="constant"):
        _ = cards + 5
    with pytest.raises(ValueError, match="multiplies two decisions"):
        _ = cards * cards
