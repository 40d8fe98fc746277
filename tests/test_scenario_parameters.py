"""Per-node parameters that depend on the scenario (model/formulation/index.py), each on a tiny
case computed by hand, and the numbers the results report from them.
"""

from __future__ import annotations

import pytest
from helpers import one_commodity, write_workbook

from model.results import extract
from model.runner import solve_plan
from model.validation import load_plan


def solved_result(tmp_path, sheets: dict, name: str = "case"):
    solved = solve_plan(load_plan(write_workbook(tmp_path / f"{name}.xlsx", sheets)),
                        progress=lambda _: None)
    assert solved.solution.status == "optimal"
    return solved, extract(solved.built, solved.solver.lp, solved.solution)


def surge_target_sheets() -> dict:
    # One month, demand 73 bought at 10, holding 1, target 30 days of cover, target penalty
    # 20 (> 10 + 1: the target is always held). `surge` (p = 0.5) raises demand by half.
    sheets = one_commodity(1, 73, [["s", 1000, 10]])
    sheets["Commodities"] = [["commodity", "unit", "shortage_penalty", "target_penalty"],
                             ["k", "t", 100, 20]]
    sheets["Stockpiles"] = [["commodity", "region", "target_days", "holding_cost"],
                            ["k", "home", 30, 1]]
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 0.5], ["surge", 0.5]]
    sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period",
                              "end_period", "demand_factor"],
                             ["surge", "demand", "k@home", "2027-01", "2027-01", 1.5]]
    return sheets


def test_target_days_cover_the_demand_after_its_disruption_factor(tmp_path):
    # model.md (6): target = target_days * D * e / dpp, dpp = 365 / 12.
    # base: 30 * 73 / (365 / 12) = 72; surge: demand 73 * 1.5 = 109.5, target 108.
    # base: buy 73 + 72, hold 72: 1,450 + 72 = 1,522; surge: buy 109.5 + 108, hold 108:
    # 2,175 + 108 = 2,283. Expected cost 0.5 * (1,522 + 2,283) = 1,902.5.
    # (Without the factor the surge target would be 72: 1,887 and 1,704.5.)
    solved, result = solved_result(tmp_path, surge_target_sheets())
    assert solved.solution.objective == pytest.approx(1902.5)
    stock = result.stockpile.set_index("scenario")
    assert stock.loc["base", "target"] == pytest.approx(72)
    assert stock.loc["surge", "target"] == pytest.approx(108)
    assert stock.loc["surge", "demand"] == pytest.approx(109.5)
    assert stock.loc["surge", "closing"] == pytest.approx(108)
    assert stock.loc["surge", "days_of_cover"] == pytest.approx(30)
    scenarios = result.scenarios.set_index("scenario")["cost"]
    assert scenarios.to_dict() == pytest.approx({"base": 1522, "surge": 2283})


def test_a_target_below_one_unit_still_counts(tmp_path):
    # One month, no demand; target_stock 0.5 units, target penalty 20 > 10 + 1 (buy and hold):
    # 0.5 * (10 + 1) = 5.5.
    sheets = one_commodity(1, 0, [["s", 1000, 10]])
    sheets["Commodities"] = [["commodity", "unit", "shortage_penalty", "target_penalty"],
                             ["k", "t", 100, 20]]
    sheets["Stockpiles"] = [["commodity", "region", "target_stock", "holding_cost"],
                            ["k", "home", 0.5, 1]]
    solved, result = solved_result(tmp_path, sheets)
    assert solved.solution.objective == pytest.approx(5.5)
    assert result.stockpile.loc[0, "target"] == pytest.approx(0.5)
    assert result.stockpile.loc[0, "closing"] == pytest.approx(0.5)
