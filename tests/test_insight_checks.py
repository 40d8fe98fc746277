"""Prices at degenerate cells, capacity worth of a supplier with an availability window, and
break-evens and entry prices as breakpoints of the value function: each printed figure against
a fresh solve of the edited workbook (and a hand calculation)."""

from __future__ import annotations

import pytest
from helpers import one_commodity, write_workbook

from model.analyses.sensitivity import insight
from model.inputs import load_plan
from model.results.extract import extract
from model.solver.plan import solve_plan

_count = iter(range(10**6))


def solved_case(tmp_path, sheets: dict):
    path = write_workbook(tmp_path / f"case{next(_count)}.xlsx", sheets)
    solved = solve_plan(load_plan(path), progress=lambda _: None)
    assert solved.solution.status == "optimal"
    return solved


def figures(tmp_path, sheets: dict):
    """(objective, Prices, Sensitivity) with every check finished."""
    solved = solved_case(tmp_path, sheets)
    result = extract(solved.built, solved.solver.lp, solved.solution)
    prices, sensitivity, info = insight(solved.built, solved.solver, solved.solution,
                                        result.prices, 60.0, result.concentration)
    assert info["left_for_budget"] == 0
    return solved.solution.objective, prices, sensitivity


def objective(tmp_path, sheets: dict) -> float:
    return solved_case(tmp_path, sheets).solution.objective


def test_a_zero_demand_period_prices_what_one_more_unit_costs(tmp_path):
    # Demand 0 then 10; A sells at 1 (up to 100 a month); no storage. One more unit in month 1
    # is bought at 1 (not unmet at the penalty of 100), whatever dual the degenerate cell has.
    f, prices, _ = figures(tmp_path, one_commodity(2, [0, 10], [["A", 100, 1]]))
    assert f == pytest.approx(10)
    month1 = prices.set_index("period").loc["2027-01"]
    assert month1["one_more_unit"] == pytest.approx(1)
    assert objective(tmp_path, one_commodity(2, [1, 10], [["A", 100, 1]])) - f == \
        pytest.approx(1)


def windowed(b_capacity: float) -> dict:
    # Demand 10 a month; A at 1 (5 a month); B at 2 (b_capacity a month) only from month 2;
    # the rest unmet at 100.
    sheets = one_commodity(2, 10, [["A", 5, 1], ["B", b_capacity, 2]])
    sheets["Suppliers"][0] += ["available_from"]
    sheets["Suppliers"][1] += [None]
    sheets["Suppliers"][2] += ["2027-02"]
    return sheets


def test_capacity_worth_counts_only_the_periods_the_supplier_is_available(tmp_path):
    # Month 1: A 5, 5 unmet: 505. Month 2: A 5, B 3, 2 unmet: 5 + 6 + 200 = 211. Total 716.
    # One more unit of B's capacity a month helps in month 2 only: 100 - 2 = 98 (not 196).
    f, _, table = figures(tmp_path, windowed(3))
    assert f == pytest.approx(716)
    row = table.set_index(["kind", "name"]).loc[("supplier capacity", "B")]
    assert row["worth"] == pytest.approx(98)
    assert f - objective(tmp_path, windowed(4)) == pytest.approx(98)
