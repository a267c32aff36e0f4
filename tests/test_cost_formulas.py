"""The registry's equations as Excel formulas: operator precedence and the new terms."""

from __future__ import annotations

import pytest

from tco.costs import registry
from tco.costs.formula import Formula

A, B = Formula("A1"), Formula("B1")


def test_power_binds_tighter_than_product_and_groups_left() -> None:
    assert (A * B**2).text == "A1*B1^2"
    assert ((A * B) ** 2).text == "(A1*B1)^2"
    assert ((A**2) ** 3).text == "A1^2^3"
    assert (A ** (B + 1)).text == "A1^(B1+1)"
    assert ((1.0 + A) ** -3).text == "(1+A1)^(-3)"


def test_discount_factor_as_number_and_formula() -> None:
    assert registry.discount_factor_at(0.08, 2) == pytest.approx(1.08**-2)
    assert registry.discount_factor_at(Formula("Rate"), 2).text == "(1+Rate)^(-2)"


def test_levelized_cost_and_migration_split_as_formulas() -> None:
    per_mtok = registry.cost_per_million_tokens(Formula("S2"), Formula("L2"), Formula("F10"))
    assert per_mtok.text == "S2/(L2*31536000*F10/1000000)"
    assert registry.migration_share(Formula("G25"), A, A + B).text == "G25*A1/(A1+B1)"
    pv = registry.opex_present_value(registry.yearly_opex(A, B), Formula("F10"))
    assert pv.text == "F10*(A1+B1)"


def test_energy_kwh_is_the_energy_cost_before_the_price() -> None:
    values = {"utilization": 0.8, "pue": 1.4, "electricity_price_per_kwh": 0.1}

    def lookup(_sheet: str, field: str) -> float:
        return values[field]

    kwh = registry.energy_kwh_per_year(10.0, lookup)
    assert kwh == pytest.approx(10 * 0.8 * 1.4 * 8760)
    assert registry.energy_per_year(10.0, lookup) == kwh * 0.1
