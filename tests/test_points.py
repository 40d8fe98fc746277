"""What a point of diversification is worth: whole points, both ways, per limit and per window,
each against a fresh solve of the edited problem (and a hand calculation)."""

from __future__ import annotations

import pytest
from helpers import one_commodity, read_plan, solve, write_workbook
from openpyxl import load_workbook

from model.analyses.sensitivity import insight
from model.inputs import load_plan
from model.results.extract import extract
from model.solver.plan import solve_plan

_count = iter(range(10**6))


def hormuz_sheets(max_share: float, oman: float = 74.5, periods: int = 1,
                  basis: str | None = None) -> dict:
    # Demand 100 a period, no storage. Qatar (1 a unit) ships through Hormuz, Oman (2, at most
    # `oman` a period) and Yemen (5) do not; Hormuz at most max_share of supply.
    sheets = one_commodity(periods, 100, [["Qatar", 1000, 1], ["Oman", oman, 2],
                                          ["Yemen", 1000, 5]],
                           routes=[["route", "supplier", "region", "chokepoints"],
                                   ["via Hormuz", "Qatar", "home", "Hormuz"],
                                   ["Oman direct", "Oman", "home", None],
                                   ["Yemen direct", "Yemen", "home", None]])
    header = ["limit", "commodity", "attribute", "value", "max_share"]
    row = ["Hormuz", "k", "chokepoint", "Hormuz", max_share]
    if basis:
        header.append("basis")
        row.append(basis)
    sheets["Concentration"] = [header, row]
    return sheets


def objective(tmp_path, sheets: dict) -> float:
    path = write_workbook(tmp_path / f"case{next(_count)}.xlsx", sheets)
    solved = solve_plan(load_plan(path), progress=lambda _: None)
    assert solved.solution.status == "optimal"
    return solved.solution.objective


def points(tmp_path, sheets: dict):
    """(objective, Concentration table with its whole points, the per-limit table)."""
    path = write_workbook(tmp_path / f"case{next(_count)}.xlsx", sheets)
    solved = solve_plan(load_plan(path), progress=lambda _: None)
    result = extract(solved.built, solved.solver.lp, solved.solution)
    _, _, info = insight(solved.built, solved.solver, solved.solution, result.prices, 60.0,
                         result.concentration)
    return solved.solution.objective, info["concentration"], info["limits"]


@pytest.mark.slow
def test_a_whole_point_both_ways_differs_from_the_rate(tmp_path):
    # Cap 25%: Qatar 25, Oman 74.5, Yemen 0.5: 25 + 149 + 2.5 = 176.5.
    # 24%: Qatar 24, Yemen 1.5: 24 + 149 + 7.5 = 180.5, one more point costs 4.
    # 26%: Qatar 26, Oman 74: 26 + 148 = 174, one point less saves 2.5 (half a unit from
    # Yemen at 4, half from Oman at 1). The dual's rate: 0.01 * 4 * 100 = 4.
    f, table, limits = points(tmp_path, hormuz_sheets(0.25))
    assert f == pytest.approx(176.5)
    row = table.iloc[0]
    assert row["marginal_cost_per_point"] == pytest.approx(4)
    assert row["cost_of_one_more_point"] == pytest.approx(4)
    assert row["saving_of_one_point_less"] == pytest.approx(2.5)
    # Against fresh solves of the edited workbook.
    assert objective(tmp_path, hormuz_sheets(0.24)) - f == pytest.approx(4)
    assert f - objective(tmp_path, hormuz_sheets(0.26)) == pytest.approx(2.5)
    assert limits.loc[0, "limit"] == "Hormuz"
    assert limits.loc[0, "cost_of_one_more_point"] == pytest.approx(4)
    assert limits.loc[0, "saving_of_one_point_less"] == pytest.approx(2.5)


def test_a_non_unique_dual_still_gives_whole_points(tmp_path):
    # Oman 75 exactly: at 25% Qatar 25, Oman 75, Yemen 0: 175, a degenerate optimum whose
    # dual may be 1 or 4 a unit. A point tighter: Yemen 1 at 5 instead of Qatar at 1: +4; a
    # point looser: Qatar 26, Oman 74: -1.
    f, table, _ = points(tmp_path, hormuz_sheets(0.25, oman=75))
    assert f == pytest.approx(175)
    row = table.iloc[0]
    assert row["cost_of_one_more_point"] == pytest.approx(4)
    assert row["saving_of_one_point_less"] == pytest.approx(1)
    assert objective(tmp_path, hormuz_sheets(0.24, oman=75)) - f == pytest.approx(4)
    assert f - objective(tmp_path, hormuz_sheets(0.26, oman=75)) == pytest.approx(1)


@pytest.mark.slow
def test_a_window_point_moves_that_window_alone(tmp_path):
    # Two months, each as the one-month case: the limit as a whole costs 4 + 4 = 8 a point
    # tighter and saves 2.5 + 2.5 = 5 a point looser; each month's window 4 and 2.5.
    sheets = hormuz_sheets(0.25, periods=2, basis="period")
    f, table, limits = points(tmp_path, sheets)
    assert f == pytest.approx(2 * 176.5)
    assert table["cost_of_one_more_point"].tolist() == pytest.approx([4, 4])
    assert table["saving_of_one_point_less"].tolist() == pytest.approx([2.5, 2.5])
    assert limits.loc[0, "cost_of_one_more_point"] == pytest.approx(8)
    assert limits.loc[0, "saving_of_one_point_less"] == pytest.approx(5)
    assert objective(tmp_path, hormuz_sheets(0.24, periods=2, basis="period")) - f == \
        pytest.approx(8)
    # Only month 1's row moved, in a fresh model: the objective rises by 4.
    path = write_workbook(tmp_path / "window.xlsx", sheets)
    solved = solve_plan(load_plan(path), progress=lambda _: None)
    lp = solved.solver.lp
    row = lp.layout.rows["concentration"].start
    col = lp.layout.columns["scope_supply"].start + solved.built.index.concentration[0].scope
    solved.solver.change_coefficients([(row, col, -0.24)])
    solved.solver.highs.clearSolver()
    assert solved.solver.solve().objective - f == pytest.approx(4)


def test_a_floor_point_raises_the_floor(tmp_path):
    # Demand 100: A (1), B (3, at most 30.5); B at least 30%: 70 + 90 = 160. Floor 31%: B 30.5
    # and the rest unmet at the penalty 100: 69 + 91.5 + 0.5 * 100 = 210.5, +50.5. Floor
    # 29%: 71 + 87 = 158, -2.
    def floor(share: float) -> dict:
        sheets = one_commodity(1, 100, [["A", 1000, 1], ["B", 30.5, 3]])
        sheets["Concentration"] = [["limit", "commodity", "attribute", "value", "min_share"],
                                   ["B floor", "k", "supplier", "B", share]]
        return sheets

    f, table, _ = points(tmp_path, floor(0.30))
    assert f == pytest.approx(160)
    assert objective(tmp_path, floor(0.31)) - f == pytest.approx(
        table.loc[0, "cost_of_one_more_point"])
    assert f - objective(tmp_path, floor(0.29)) == pytest.approx(2)
    assert table.loc[0, "saving_of_one_point_less"] == pytest.approx(2)


@pytest.mark.slow
def test_summary_and_terminal_show_the_cost_of_one_more_point(tmp_path):
    outcome = solve(tmp_path, hormuz_sheets(0.25))
    tables = read_plan(outcome.output_path)
    rows = list(load_workbook(outcome.output_path, read_only=True)["Summary"].iter_rows(
        min_col=6, values_only=True))
    at = next(i for i, r in enumerate(rows) if str(r[2]).startswith("cost of one more point"))
    assert "re-solved" in rows[at][2]
    assert rows[at + 1][0] == "Hormuz" and rows[at + 1][2] == pytest.approx(4)
    limits = outcome.result.limit_points
    assert limits.loc[0, "cost_of_one_more_point"] == pytest.approx(4)
    concentration = tables["Concentration"]
    assert concentration.loc[0, "cost_of_one_more_point"] == pytest.approx(4)
    assert concentration.loc[0, "point_method"].startswith(("basis", "re-solve"))


@pytest.mark.slow
def test_tradeoff_point_where_the_limit_does_not_bind_shows_zero(tmp_path):
    # Yemen costs 1, as Qatar does: the cap never costs anything (objective 100 at any
    # share), so no point of it binds, whatever dual a degenerate optimum returns.
    sheets = hormuz_sheets(0.25)
    sheets["Suppliers"][3][4] = 1
    sheets["Sweep"] = [["limit", "max_share"], ["Hormuz", 1.0], ["Hormuz", 0.5]]
    outcome = solve(tmp_path, sheets)
    tradeoff = read_plan(outcome.output_path)["Tradeoff"].set_index("max_share")
    assert tradeoff.loc[1.0, "objective"] == pytest.approx(100)
    assert tradeoff.loc[0.5, "objective"] == pytest.approx(100)
    assert tradeoff["marginal_cost_per_point"].tolist() == [0, 0]
    assert tradeoff["cost_of_one_more_point"].tolist() == [0, 0]


def test_one_sided_rates_where_the_dual_is_not_unique(tmp_path):
    # Oman 75 exactly (see above): tightening moves Qatar's units to Yemen at 4 a unit, a
    # unit a point: 4 per point; loosening moves Oman's to Qatar at 1: 1 per point. The two
    # rates differ (the dual is not unique), and each equals its whole point here.
    _, table, _ = points(tmp_path, hormuz_sheets(0.25, oman=75))
    row = table.iloc[0]
    assert row["rate_of_one_more_point"] == pytest.approx(4)
    assert row["rate_of_one_point_less"] == pytest.approx(1)
    # Where the dual is unique (Oman 74.5) both sides have the dual's rate, 4.
    _, table, _ = points(tmp_path, hormuz_sheets(0.25))
    assert table.loc[0, "rate_of_one_more_point"] == pytest.approx(4)
    assert table.loc[0, "rate_of_one_point_less"] == pytest.approx(4)
    assert table.loc[0, "marginal_cost_per_point"] == pytest.approx(4)
