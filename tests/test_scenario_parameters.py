"""Per-node parameters that depend on the scenario (model/formulation/index.py), each on a tiny
case computed by hand, and the numbers the results report from them.
"""

from __future__ import annotations

import pytest
from helpers import one_commodity, settings, write_workbook

from model.inputs import load_plan
from model.pipeline import solve_plan
from model.results.extract import extract


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


def storm_sheets() -> dict:
    # One month, demand 10, no storage. `cheap` (1, capacity 100) and `dear` (5, capacity 10,
    # min_take 4), each on its own route. Scenario `storm` (p = 0.5) halves dear's route
    # (capacity factor 0.5; the route has no limit, so only the obligation feels it).
    sheets = one_commodity(1, 10, [["cheap", 100, 1], ["dear", 10, 5]])
    sheets["Suppliers"][0].append("min_take")
    sheets["Suppliers"][1].append(0)
    sheets["Suppliers"][2].append(4)
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 0.5], ["storm", 0.5]]
    sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period",
                              "end_period", "capacity_factor"],
                             ["storm", "route", "dear route", "2027-01", "2027-01", 0.5]]
    return sheets


def test_take_or_pay_shrinks_with_the_suppliers_own_routes_only(tmp_path):
    # model.md (4): need = min_take * a * max over the supplier's own routes of b.
    # base: 4 * 5 + 6 * 1 = 26; storm: need 4 * 1 * 0.5 = 2: 2 * 5 + 8 * 1 = 18 (the cheap
    # supplier's open route does not count). Expected 0.5 * (26 + 18) = 22.
    solved, result = solved_result(tmp_path, storm_sheets())
    assert solved.solution.objective == pytest.approx(22)
    orders = result.orders[result.orders.supplier == "dear"].set_index("scenario")["quantity"]
    assert orders.to_dict() == pytest.approx({"base": 4, "storm": 2})


def two_limit_sheets() -> dict:
    # One month; China (1) and Australia (2), capacity 100 each. `crisis` (p = 0.5) raises
    # demand from 10 to 12 from month 1, so the scenarios never share a decision.
    # Limits, in this order: `China half` (China <= 50%, in `base` only) and `China 80%`
    # (China <= 80%, in every scenario).
    sheets = one_commodity(1, 10, [["China", 100, 1], ["Australia", 100, 2]])
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 0.5], ["crisis", 0.5]]
    sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period",
                              "end_period", "demand_factor"],
                             ["crisis", "demand", "k", "2027-01", "2027-01", 1.2]]
    sheets["Concentration"] = [["limit", "commodity", "attribute", "value", "max_share",
                                "scenarios"],
                               ["China half", "k", "origin_country", "China", 0.5, "base"],
                               ["China 80%", "k", "origin_country", "China", 0.8, None]]
    return sheets


def test_a_limit_of_one_scenario_leaves_the_other_limits_binding_in_the_others(tmp_path):
    # base: China 5, Australia 5: 5 + 10 = 15. crisis (demand 12): only `China 80%` binds:
    # China 9.6, Australia 2.4: 9.6 + 4.8 = 14.4. RP = 0.5 * (15 + 14.4) = 14.7.
    # The scenarios share nothing, so wait-and-see is the same plan: WS = 14.7, EVPI = 0
    # (were `China 80%` lost in crisis's own problem, WS would be 0.5 * (15 + 12) = 13.5).
    from model.analyses.value import value_of_information

    solved, result = solved_result(tmp_path, two_limit_sheets())
    assert solved.solution.objective == pytest.approx(14.7)
    costs = result.scenarios.set_index("scenario")["cost"]
    assert costs.to_dict() == pytest.approx({"base": 15, "crisis": 14.4})
    values = value_of_information(solved.built.index.plan, solved)
    assert values.ws == pytest.approx(14.7)
    assert values.evpi == pytest.approx(0, abs=1e-9)


def test_a_limit_that_binds_in_no_future_leaves_the_next_limit_in_force(tmp_path):
    # Sampled futures: a limit naming a scenario binds in each future until its first event.
    # One yearly period; the only event (a halt of `spare`, probability 1 a year) starts in
    # period 1 of every future, so `China half` (named for `base`) binds nowhere.
    # `China 80%`, which comes after it, binds everywhere: China 8 (1), Australia 2 (2):
    # 8 + 4 = 12 in both futures. (Were it dropped too: China 10, cost 10.)
    sheets = one_commodity(1, 10, [["China", 100, 1], ["Australia", 100, 2],
                                   ["spare", 100, 9]])
    sheets["Settings"] = settings(1, start="2027", period_length="year", sample_scenarios=2,
                                  sample_seed=3)
    sheets["Events"] = [["event", "target_type", "target", "probability_per_year",
                         "min_duration", "max_duration"],
                        ["halt", "supplier", "spare", 1, 1, 1]]
    sheets["Concentration"] = [["limit", "commodity", "attribute", "value", "max_share",
                                "scenarios"],
                               ["China half", "k", "origin_country", "China", 0.5, "base"],
                               ["China 80%", "k", "origin_country", "China", 0.8, None]]
    from model.domain.sampling import sampled_plan

    plan = load_plan(write_workbook(tmp_path / "futures.xlsx", sheets))
    plan = sampled_plan(plan, plan.settings.sample_scenarios, plan.settings.sample_seed)
    solved = solve_plan(plan, progress=lambda _: None)
    result = extract(solved.built, solved.solver.lp, solved.solution)
    assert result.scenarios["scenario"].tolist() == ["future 1", "future 2"]
    assert solved.solution.objective == pytest.approx(12)
    assert set(result.concentration["limit"]) == {"China 80%"}
    assert result.concentration["share"].tolist() == pytest.approx([0.8, 0.8])


def test_scenarios_that_differ_from_the_first_period_leave_the_value_of_hedging_unmeasured(
        tmp_path):
    # `crisis` raises demand from month 1: no decision is shared, EEV fixes nothing, EEV = RP.
    # The Summary must not claim that hedging is worth 0.
    from model.analyses.value import value_of_information

    solved, _ = solved_result(tmp_path, two_limit_sheets())
    values = value_of_information(solved.built.index.plan, solved)
    assert values.shared_periods == 0 and values.eev == pytest.approx(values.rp)
    assert values.vss is None  # blank, not 0
    assert values.sentences("USD")[1].startswith("not measured: the scenarios differ from the "
                                                 "first period")
