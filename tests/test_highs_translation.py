"""`PersistentModel` hands HiGHS exactly the Pyomo model: every row form, the bounds,
integrality, the objective's constant, re-solves after bound changes, and the
variables that never reach HiGHS. Each optimum is worked by hand in its test."""

from __future__ import annotations

import pyomo.environ as pyo
import pytest

from tco.solve.highs import PersistentModel


def small() -> pyo.ConcreteModel:
    """min 3x + 2y + 5 + 0 z  s.t.  2 <= x + y <= 10 (ranged),  x - y == 1,  y >= 0.5 z,
    x, y integer in [0, 8], z in [0, 1] continuous, w in no row.

    x - y = 1 and x + y >= 2 give x = y + 1, 2y + 1 >= 2, so y >= 1 (integer):
    y = 1, x = 2, objective 3 x 2 + 2 x 1 + 5 = 13."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(within=pyo.NonNegativeIntegers, bounds=(0, 8))
    m.y = pyo.Var(within=pyo.NonNegativeIntegers, bounds=(0, 8))
    m.z = pyo.Var(bounds=(0, 1))
    m.w = pyo.Var(bounds=(-4, -1))
    m.ranged = pyo.Constraint(expr=pyo.inequality(2, m.x + m.y, 10))
    m.equal = pyo.Constraint(expr=m.x - m.y == 1)
    m.ge = pyo.Constraint(expr=m.y >= 0.5 * m.z)
    m.cost = pyo.Objective(expr=3 * m.x + 2 * m.y + 5)
    return m


def test_the_optimum_of_every_row_form_with_the_objective_constant() -> None:
    m = small()
    outcome = PersistentModel(m).solve(10.0, 1e-9)
    assert outcome.status == "optimal"
    assert outcome.objective == pytest.approx(13.0)
    assert (pyo.value(m.x), pyo.value(m.y)) == (pytest.approx(2.0), pytest.approx(1.0))


def test_a_variable_in_no_row_gets_the_value_of_its_bounds_nearest_zero() -> None:
    m = small()
    PersistentModel(m).solve(10.0, 1e-9)
    assert pyo.value(m.w) == pytest.approx(-1.0)


def test_a_re_solve_sees_changed_upper_bounds_without_translating_again() -> None:
    """With y <= 0 the equality gives x = 1 and the ranged row x + y >= 2 fails:
    infeasible. With y back to 8 and x <= 1 (so y = 0), x + y = 1 < 2: infeasible
    too; with x <= 8 again the first optimum comes back."""
    m = small()
    model = PersistentModel(m)
    assert model.solve(10.0, 1e-9).objective == pytest.approx(13.0)
    seconds = model.translate_seconds
    model.set_upper_bounds([(m.y, 0.0)])
    assert model.solve(10.0, 1e-9).status == "infeasible"
    model.set_upper_bounds([(m.y, 8.0), (m.x, 1.0)])
    assert model.solve(10.0, 1e-9).status == "infeasible"
    model.set_upper_bounds([(m.x, 8.0)])
    assert model.solve(10.0, 1e-9).objective == pytest.approx(13.0)
    assert model.translate_seconds == seconds


def test_an_upper_bound_that_moves_the_optimum() -> None:
    """Objective -3x - y (maximise 3x + y) with x + y <= 10, x - y == 1 (x = y + 1):
    2y + 1 <= 10, y <= 4 -> x = 5, y = 4, objective -19. With x <= 3: x = 3, y = 2,
    objective -11."""
    m = small()
    m.cost.deactivate()
    m.gain = pyo.Objective(expr=-3 * m.x - m.y)
    model = PersistentModel(m)
    assert model.solve(10.0, 1e-9).objective == pytest.approx(-19.0)
    model.set_upper_bounds([(m.x, 3.0)])
    outcome = model.solve(10.0, 1e-9)
    assert outcome.objective == pytest.approx(-11.0)
    assert (pyo.value(m.x), pyo.value(m.y)) == (pytest.approx(3.0), pytest.approx(2.0))


def test_a_fixed_variable_enters_as_its_value() -> None:
    """x fixed at 4: y = 3 from the equality, objective 3 x 4 + 2 x 3 + 5 = 23."""
    m = small()
    m.x.fix(4)
    outcome = PersistentModel(m).solve(10.0, 1e-9)
    assert outcome.objective == pytest.approx(23.0)
    assert pyo.value(m.y) == pytest.approx(3.0)


def test_a_constant_row_that_cannot_hold_is_infeasible_not_an_error() -> None:
    """Every variable of `both` fixed, 1 + 1 >= 3: HiGHS never sees it, the model is
    infeasible all the same."""
    m = small()
    m.x.fix(1)
    m.y.fix(1)
    m.both = pyo.Constraint(expr=m.x + m.y >= 3)
    outcome = PersistentModel(m).solve(10.0, 1e-9)
    assert outcome.status == "infeasible" and outcome.objective is None


def test_a_maximised_objective_is_refused() -> None:
    m = small()
    m.cost.sense = pyo.maximize
    with pytest.raises(ValueError, match="minimised"):
        PersistentModel(m).solve(10.0, 1e-9)
