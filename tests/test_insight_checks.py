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


@pytest.mark.slow
def test_capacity_worth_counts_only_the_periods_the_supplier_is_available(tmp_path):
    # Month 1: A 5, 5 unmet: 505. Month 2: A 5, B 3, 2 unmet: 5 + 6 + 200 = 211. Total 716.
    # One more unit of B's capacity a month helps in month 2 only: 100 - 2 = 98 (not 196).
    f, _, table = figures(tmp_path, windowed(3))
    assert f == pytest.approx(716)
    row = table.set_index(["kind", "name"]).loc[("supplier capacity", "B")]
    assert row["saving_per_unit_of_capacity"] == pytest.approx(98)
    assert row["largest_capacity"] == pytest.approx(3) and row["unit"] == "t"
    assert f - objective(tmp_path, windowed(4)) == pytest.approx(98)


def bought(tmp_path, sheets: dict, supplier: str) -> float:
    solved = solved_case(tmp_path, sheets)
    lp, ix = solved.solver.lp, solved.built.index
    order = lp.layout.columns["order"]
    return sum(solved.solution.col_value[order.start + i] for i, (r, _n) in
               enumerate(order.keys) if ix.plan.routes[r].supplier == supplier)


def two_sellers(a_price: float, b_price: float, c_price: float = 4.0) -> dict:
    # Demand 10: A (8 a month at most), B and C (100 each).
    return one_commodity(1, 10, [["A", 8, a_price], ["B", 100, b_price], ["C", 100, c_price]])


@pytest.mark.slow
def test_break_even_and_entry_price_are_breakpoints_of_the_value_function(tmp_path):
    # A at 2 (8 units), B at 3 (2 units): 16 + 6 = 22. A's value function: 22 + 8 d until A
    # costs as much as B (3, d = 1), then flat: break-even 3.00 (the search reaches up to
    # twice today's price). C at 4 enters when it falls to B's 3 (a fall of 1).
    f, _, table = figures(tmp_path, two_sellers(2, 3))
    assert f == pytest.approx(22)
    rows = table[table["kind"].str.startswith("price")].set_index("name")
    assert rows.loc["A", "break_even"] == pytest.approx(3)
    assert rows.loc["C", "entry_price"] == pytest.approx(3)
    assert rows.loc["C", "price_fall_to_enter"] == pytest.approx(1)
    assert rows.loc["C", "price"] == pytest.approx(4)
    # Each column holds one meaning: a used supplier has no entry price, one left out no
    # break-even.
    assert rows.loc["A", ["entry_price", "price_fall_to_enter"]].isna().all()
    assert rows.loc["C", ["break_even", "spend_in_objective"]].isna().all()
    assert "checked by a re-solve past it" in rows.loc["A", "method"]
    # Fresh solves on each side.
    assert bought(tmp_path, two_sellers(2.99, 3), "A") == pytest.approx(8)
    assert bought(tmp_path, two_sellers(3.01, 3), "A") == pytest.approx(0)
    assert bought(tmp_path, two_sellers(2, 3, 3.01), "C") == pytest.approx(0)
    assert bought(tmp_path, two_sellers(2, 3, 2.99), "C") == pytest.approx(2)


@pytest.mark.slow
def test_a_tie_at_todays_price_gives_todays_price_as_the_break_even(tmp_path):
    # B and C both at 3: a tie; whichever the solver buys has its break-even at 3 (above it the
    # plan buys nothing from it), the other its entry price at 3 (below it, it takes the 2
    # units): neither depends on which of the two equally good plans the solver returned.
    f, _, table = figures(tmp_path, two_sellers(2, 3, 3))
    assert f == pytest.approx(22)
    rows = table[table["kind"].str.startswith("price")].set_index("name")
    used, left_out = ("B", "C") if rows.loc["B", "kind"].endswith("used") else ("C", "B")
    assert rows.loc[used, "break_even"] == pytest.approx(3)
    assert rows.loc[left_out, "entry_price"] == pytest.approx(3)
    assert bought(tmp_path, two_sellers(2, 3.01, 3), "B") == pytest.approx(0)
    assert bought(tmp_path, two_sellers(2, 3, 2.99), "C") == pytest.approx(2)
    assert bought(tmp_path, two_sellers(2, 3, 3.01), "C") == pytest.approx(0)
    assert bought(tmp_path, two_sellers(2, 2.99, 3), "B") == pytest.approx(2)


def stored(capacity: float) -> dict:
    # Demand 0 then 10; A sells (at 1, up to 10) in month 1 only; a stockpile of k starting
    # empty, room for `capacity`, no holding cost; the rest unmet at 100.
    sheets = one_commodity(2, [0, 10], [["A", 10, 1]], stock=[0, capacity, 0])
    sheets["Suppliers"][0] += ["available_to"]
    sheets["Suppliers"][1] += ["2027-01"]
    return sheets


@pytest.mark.slow
def test_the_insurance_value_of_a_stockpile(tmp_path):
    # With room: buy 10 in month 1 and store them: 10. Without room beyond its initial stock
    # (0): the 10 units of month 2 go unmet at 100: 1000. Insurance value 990, expected cost
    # +990, expected shortfall of k +10 t.
    f, _, table = figures(tmp_path, stored(100))
    assert f == pytest.approx(10)
    row = table.set_index("kind").loc["insurance value of a stockpile"]
    assert row["name"] == "k in home"
    assert row["insurance_value"] == pytest.approx(990)
    assert row["expected_cost_change"] == pytest.approx(990)
    assert row["shortfall_change"] == pytest.approx(10)
    assert objective(tmp_path, stored(0)) - f == pytest.approx(990)


@pytest.mark.slow
def test_the_summary_names_the_largest_stockpile_insurance(tmp_path):
    from helpers import read_plan, solve, summary

    outcome = solve(tmp_path, stored(100))
    tables = read_plan(outcome.output_path)
    values = summary(tables)
    assert values["largest stockpile insurance"] == pytest.approx(990)
    notes = dict(zip(tables["Summary"]["item"], tables["Summary"]["note"], strict=True))
    assert notes["largest stockpile insurance"].startswith("k in home: ")
