"""Issue 22 features on hand-computed cases: demand by year or quarter, hard stock floors,
budgets, indexed prices and currencies, storage investment, events with several effects."""

from __future__ import annotations

from helpers import one_commodity, read_plan, settings, solve, summary, write_workbook

from model.inputs import load_plan

# --- demand by year or quarter ------------------------------------------------------------

def test_a_year_or_quarter_label_sets_every_period_inside_it(tmp_path):
    # Monthly plan 2027-11 .. 2028-02. Rows (in this order): 2028-02 -> 5; blank -> 10;
    # 2028 -> 20 (the calendar year, although the plan year runs from November);
    # 2027-Q4 -> 12. The finer label wins: demand 12, 12, 20, 5 (sum 49). One supplier at 2,
    # no stock: the optimum buys exactly the demand, 2 x 49 = 98.
    sheets = one_commodity(4, 0, [["only", 100, 2]])
    sheets["Settings"] = settings(4, start="2027-11")
    sheets["Demand"] = [["commodity", "region", "period", "demand"],
                        ["k", "home", "2028-02", 5], ["k", "home", None, 10],
                        ["k", "home", 2028, 20], ["k", "home", "2027-Q4", 12]]
    plan = load_plan(write_workbook(tmp_path / "in.xlsx", sheets))
    assert plan.demand_of("k", "home") == (12.0, 12.0, 20.0, 5.0)
    assert plan.demand_rows[("k", "home")] == (5, 5, 4, 2)
    outcome = solve(tmp_path, sheets)
    assert summary(read_plan(outcome.output_path))["objective"] == 98


def test_a_year_label_in_a_quarterly_plan(tmp_path):
    # Quarters 2027-Q3 .. 2028-Q2: blank 3, `2028` 8 -> 3, 3, 8, 8; cost 1: optimum 22.
    sheets = one_commodity(4, 0, [["only", 100, 1]])
    sheets["Settings"] = settings(4, start="2027-Q3", period_length="quarter")
    sheets["Demand"] = [["commodity", "region", "period", "demand"],
                        ["k", "home", None, 3], ["k", "home", "2028", 8]]
    outcome = solve(tmp_path, sheets)
    assert outcome.plan.demand_of("k", "home") == (3.0, 3.0, 8.0, 8.0)
    assert summary(read_plan(outcome.output_path))["objective"] == 22
