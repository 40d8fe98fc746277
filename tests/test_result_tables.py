"""The numbers of the result tables (model/results.py) on tiny cases computed by hand: Orders,
Scenarios, Decisions now, Pipeline, Transfers, Stockpile, Prices, Concentration, Investments
and the solve figures of the plan.

Added after a mutation run over model/results.py: each test pins down numbers that no other test
of the model read (a changed cost column, a lost transfer lane, a missing end stock, ...).
"""

from __future__ import annotations

import math

import pytest
from helpers import one_commodity, settings, write_workbook

from model.inputs import load_plan
from model.pipeline import SolvedModel, solve_plan
from model.results.extract import PlanResult, extract

DPP = 365 / 12  # days per month


def planned(tmp_path, sheets: dict, name: str = "case") -> tuple[SolvedModel, PlanResult]:
    solved = solve_plan(load_plan(write_workbook(tmp_path / f"{name}.xlsx", sheets)),
                        progress=lambda _: None)
    assert solved.solution.status == "optimal"
    return solved, extract(solved.built, solved.solver.lp, solved.solution)


def records(frame, columns: list[str]) -> list[tuple]:
    """Rows of some columns, numbers rounded to 9 places (NaN kept as NaN)."""
    out = []
    for row in frame[columns].itertuples(index=False):
        out.append(tuple(round(v, 9) if isinstance(v, float) and not math.isnan(v) else v
                         for v in row))
    return out


def same(actual: list[tuple], expected: list[tuple]) -> None:
    """Equal row by row, NaN equal to NaN."""
    assert len(actual) == len(expected), actual
    for a, e in zip(actual, expected, strict=True):
        assert len(a) == len(e)
        for x, y in zip(a, e, strict=True):
            if isinstance(y, float) and math.isnan(y):
                assert isinstance(x, float) and math.isnan(x), (a, e)
            elif isinstance(y, float):
                assert x == pytest.approx(y, abs=1e-7), (a, e)
            else:
                assert x == y, (a, e)


NAN = float("nan")


# --- Orders, Scenarios, Decisions now and the solve figures ------------------------------

def dear_sheets() -> dict:
    # One month, demand 10 from supplier `s` (unit cost 2) on its route (freight 1). Scenario
    # `dear` (p = 0.5) raises the unit cost by half and doubles the freight from month 1.
    sheets = one_commodity(1, 10, [["s", 100, 2]],
                           routes=[["route", "supplier", "region", "freight_cost"],
                                   ["lane", "s", "home", 1]])
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 0.5], ["dear", 0.5]]
    sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period",
                              "end_period", "cost_factor"],
                             ["dear", "supplier", "s", "2027-01", "2027-01", 1.5],
                             ["dear", "route", "lane", "2027-01", "2027-01", 2]]
    return sheets


def test_orders_scenarios_and_first_decisions_of_two_price_scenarios(tmp_path):
    # base: 10 * (2 + 1) = 30; dear: 10 * (3 + 2) = 50; expected 0.5 * 30 + 0.5 * 50 = 40.
    solved, result = planned(tmp_path, dear_sheets())
    assert result.objective == pytest.approx(40)
    assert result.expected_cost == pytest.approx(40)
    same(records(result.orders, list(result.orders.columns)), [
        ("base", "2027-01", "2027-01", "k", "s", "lane", "home", 10.0, 2.0, 1.0, 30.0),
        ("dear", "2027-01", "2027-01", "k", "s", "lane", "home", 10.0, 3.0, 2.0, 50.0)])
    # Scenarios: probability, cost, shortfall and the parts (purchase 20 | 30, freight 10 | 20).
    scenarios = result.scenarios.set_index("scenario")
    assert scenarios["probability"].to_dict() == pytest.approx({"base": 0.5, "dear": 0.5})
    assert scenarios["cost"].to_dict() == pytest.approx({"base": 30, "dear": 50})
    assert scenarios["purchase_cost"].to_dict() == pytest.approx({"base": 20, "dear": 30})
    assert scenarios["freight_cost"].to_dict() == pytest.approx({"base": 10, "dear": 20})
    assert scenarios["shortfall"].to_dict() == pytest.approx({"base": 0, "dear": 0})
    assert result.cost_parts["purchase_cost"] == pytest.approx(25)
    assert result.cost_parts["freight_cost"] == pytest.approx(15)
    # The costs are known in month 1, so month 1 has one node per scenario: two decisions.
    same(records(result.first_period_orders, list(result.first_period_orders.columns)), [
        ("k", "s", "lane", "home", 10.0, "base"), ("k", "s", "lane", "home", 10.0, "dear")])
    # The solve figures the Summary shows.
    lp = solved.solver.lp
    assert result.status == "optimal"
    assert result.model_size == (lp.num_cols, lp.num_rows, lp.num_nonzeros)
    assert result.tree_nodes == 2
    assert result.highs_status == "Optimal"
    assert result.method == "dual simplex" and result.tried == []
    assert result.has_basis is True and result.gap is None
    assert result.max_residual == solved.solution.max_residual
    assert 0 <= result.max_residual <= 1e-9
    assert result.total_shortfall == 0


def shared_sheets() -> dict:
    # Two months, demand 10 a month, no storage; supplier `s` (1) cut in month 2 of `crisis`
    # (p = 0.25); `backup` (4) is never cut. Penalty 100.
    sheets = one_commodity(2, 10, [["s", 100, 1], ["backup", 100, 4]])
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 0.75], ["crisis", 0.25]]
    sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period",
                              "end_period"], ["crisis", "supplier", "s", "2027-02", "2027-02"]]
    return sheets


def test_first_decisions_name_the_scenarios_that_share_them(tmp_path):
    # Month 1: 10 from s (10), one node for both scenarios. Month 2: base 10 from s; crisis 10
    # from backup (40). Expected 10 + 0.75 * 10 + 0.25 * 40 = 27.5.
    _, result = planned(tmp_path, shared_sheets())
    assert result.objective == pytest.approx(27.5)
    same(records(result.first_period_orders, list(result.first_period_orders.columns)), [
        ("k", "s", "s route", "home", 10.0, "base, crisis")])
    orders = records(result.orders, ["scenario", "period", "supplier", "quantity", "cost"])
    same(orders, [("base", "2027-01", "s", 10.0, 10.0), ("base", "2027-02", "s", 10.0, 10.0),
                  ("crisis", "2027-01", "s", 10.0, 10.0),
                  ("crisis", "2027-02", "backup", 10.0, 40.0)])
    scenarios = result.scenarios.set_index("scenario")
    assert scenarios["probability"].to_dict() == pytest.approx({"base": 0.75, "crisis": 0.25})
    assert scenarios["cost"].to_dict() == pytest.approx({"base": 20, "crisis": 50})
    assert result.tree_nodes == 3


# --- Pipeline -----------------------------------------------------------------------------

def pipeline_sheets() -> dict:
    # Two months, demand 10 in month 2 only; 6 units already ordered arrive on `lane` in month 2.
    # Scenario `jam` (p = 0.5) halves the lane in month 2 (capacity factor 0.5): 3 arrive.
    # Supplier `s` (1) makes up the rest.
    sheets = one_commodity(2, [0, 10], [["s", 100, 1]],
                           routes=[["route", "supplier", "region"], ["lane", "s", "home"]])
    sheets["Pipeline"] = [["route", "arrival_period", "quantity"], ["lane", "2027-02", 6]]
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 0.5], ["jam", 0.5]]
    sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period",
                              "end_period", "capacity_factor"],
                             ["jam", "route", "lane", "2027-02", "2027-02", 0.5]]
    return sheets


def test_pipeline_cargo_held_back_by_a_route_disruption(tmp_path):
    # base: 6 arrive, buy 4; jam: 3 arrive, buy 7. The cargo is sunk: 0.5 * 4 + 0.5 * 7 = 5.5.
    _, result = planned(tmp_path, pipeline_sheets())
    assert result.objective == pytest.approx(5.5)
    same(records(result.pipeline, list(result.pipeline.columns)), [
        ("base", "lane", "s", "k", "home", "2027-02", 6.0, 6.0, 0.0),
        ("jam", "lane", "s", "k", "home", "2027-02", 6.0, 3.0, 3.0)])
    stock = records(result.stockpile, ["scenario", "period", "arrivals", "demand", "closing"])
    same(stock, [("base", "2027-01", 0.0, 0.0, 0.0), ("base", "2027-02", 10.0, 10.0, 0.0),
                 ("jam", "2027-01", 0.0, 0.0, 0.0), ("jam", "2027-02", 10.0, 10.0, 0.0)])


# --- Transfers and the Stockpile flows of several lanes --------------------------------------

def lanes_sheets() -> dict:
    # One month. Regions A, B, C (named in Demand in that order); only B has demand (10).
    # Supplier `s` (1) ships to A and to C. Lanes, in this order: A -> B (capacity 4), A -> C
    # (capacity 10), C -> B (capacity 3), each costing 1. Penalty 100.
    return {
        "Settings": settings(1),
        "Commodities": [["commodity", "unit", "shortage_penalty"], ["k", "t", 100]],
        "Demand": [["commodity", "region", "demand"], ["k", "A", 0], ["k", "B", 10],
                   ["k", "C", 0]],
        "Suppliers": [["supplier", "commodity", "origin_country", "capacity", "unit_cost"],
                      ["s", "k", "X", 100, 1]],
        "Routes": [["route", "supplier", "region"], ["to A", "s", "A"], ["to C", "s", "C"]],
        "Transfers": [["commodity", "from_region", "to_region", "cost", "capacity"],
                      ["k", "A", "B", 1, 4], ["k", "A", "C", 1, 10], ["k", "C", "B", 1, 3]],
    }


def test_stock_flows_add_up_over_several_lanes(tmp_path):
    # B gets 4 via A and 3 via C at 1 + 1 each (14) and is 3 short (300): 314. A -> C is not
    # used (C is supplied directly).
    _, result = planned(tmp_path, lanes_sheets())
    assert result.objective == pytest.approx(314)
    same(records(result.transfers, list(result.transfers.columns)), [
        ("base", "2027-01", "2027-01", "k", "A", "B", 4.0, 4.0),
        ("base", "2027-01", "2027-01", "k", "C", "B", 3.0, 3.0)])
    columns = ["region", "arrivals", "transfers_in", "transfers_out", "demand", "shortfall",
               "closing"]
    same(records(result.stockpile, columns), [
        ("A", 4.0, 0.0, 4.0, 0.0, 0.0, 0.0),
        ("B", 0.0, 7.0, 0.0, 10.0, 3.0, 0.0),
        ("C", 3.0, 0.0, 3.0, 0.0, 0.0, 0.0)])
    # Shortfall per commodity sums the regions (B is not the last region).
    assert result.shortfall_by_commodity == pytest.approx({"k": 3})
    assert result.total_shortfall == pytest.approx(3)
    assert result.scenarios["shortfall"].tolist() == pytest.approx([3])
    assert result.cost_parts["transfer_cost"] == pytest.approx(7)


def test_a_transfer_arriving_after_the_horizon_is_reported_with_its_arrival(tmp_path):
    # model.md lets a transfer arrive after period N (only orders must arrive within it).
    # A holds 10 units at 5 a month and needs nothing; the lane A -> B takes 45 days (1 month)
    # and costs 0, so the plan sends the 10 units away in month 1 (they arrive in month 2, after
    # the horizon) instead of paying 50 to hold them: cost 0.
    sheets = {
        "Settings": settings(1),
        "Commodities": [["commodity", "unit", "shortage_penalty"], ["k", "t", 100]],
        "Demand": [["commodity", "region", "demand"], ["k", "A", 0], ["k", "B", 0]],
        "Stockpiles": [["commodity", "region", "initial_stock", "holding_cost"],
                       ["k", "A", 10, 5]],
        "Suppliers": [["supplier", "commodity", "origin_country", "capacity", "unit_cost"],
                      ["s", "k", "X", 100, 1]],
        "Routes": [["route", "supplier", "region"], ["to A", "s", "A"]],
        "Transfers": [["commodity", "from_region", "to_region", "lead_time_days", "cost"],
                      ["k", "A", "B", 45, 0]],
    }
    _, result = planned(tmp_path, sheets)
    assert result.objective == pytest.approx(0)
    same(records(result.transfers, list(result.transfers.columns)), [
        ("base", "2027-01", "2027-02", "k", "A", "B", 10.0, 0.0)])


# --- Stockpile: targets, cover, end stock; Prices per pair -----------------------------------

def depot_sheets() -> dict:
    # Two months. Region `depot` (named first) has 1 unit, no demand, no supply, storage 5 and
    # wants 2 at the end. Region `home` buys from `s` (1): demand 10 then 0.5; storage 20,
    # holding 1, target_stock 8 (target penalty 0.5 < holding: the target is not held) and
    # end_stock 3. Penalty 100.
    sheets = one_commodity(2, 0, [["s", 100, 1]])
    sheets["Commodities"] = [["commodity", "unit", "shortage_penalty", "target_penalty"],
                             ["k", "t", 100, 0.5]]
    sheets["Demand"] = [["commodity", "region", "period", "demand"],
                        ["k", "depot", None, 0],
                        ["k", "home", "2027-01", 10], ["k", "home", "2027-02", 0.5]]
    sheets["Stockpiles"] = [["commodity", "region", "initial_stock", "capacity", "holding_cost",
                             "target_stock", "end_stock"],
                            ["k", "depot", 1, 5, 0, 0, 2],
                            ["k", "home", 0, 20, 1, 8, 3]]
    return sheets


def test_stockpile_targets_cover_and_end_stock(tmp_path):
    # home: month 1 buys 10 (10), holds 0: 8 below target (4); month 2 buys 0.5 + 3 (3.5),
    # holds 3 (3), 5 below target (2.5). depot keeps its 1 unit: 1 below its end stock (100).
    # Total 10 + 4 + 3.5 + 3 + 2.5 + 100 = 123.
    _, result = planned(tmp_path, depot_sheets())
    assert result.objective == pytest.approx(123)
    columns = ["region", "period", "opening", "arrivals", "demand", "closing", "target",
               "below_target", "days_of_cover", "end_stock", "end_shortfall"]
    same(records(result.stockpile, columns), [
        # no demand: no days of cover; end stock in the last period only
        ("depot", "2027-01", 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, NAN, NAN, NAN),
        ("depot", "2027-02", 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, NAN, 2.0, 1.0),
        # cover = closing * (365 / 12) / demand: 0 and 3 * 30.42 / 0.5 = 182.5 days
        ("home", "2027-01", 0.0, 10.0, 10.0, 0.0, 8.0, 8.0, 0.0, NAN, NAN),
        ("home", "2027-02", 0.0, 3.5, 0.5, 3.0, 8.0, 5.0, 3 * DPP / 0.5, 3.0, 0.0)])
    assert result.end_shortfall_by_commodity == pytest.approx({"k": 1})
    assert result.cost_parts["end_stock_penalty"] == pytest.approx(100)
    assert result.cost_parts["target_penalty"] == pytest.approx(6.5)
    # Prices per (commodity, region, period): one more unit of demand at the depot comes out of
    # the stock it keeps for the end (100); at home it is bought (1).
    prices = records(result.prices, ["commodity", "region", "period", "marginal_cost"])
    same(prices, [("k", "depot", "2027-01", 100.0), ("k", "depot", "2027-02", 100.0),
                  ("k", "home", "2027-01", 1.0), ("k", "home", "2027-02", 1.0)])


def test_stockpile_and_prices_list_exactly_the_pairs_that_can_hold_something(tmp_path):
    # Commodities k and k2; regions A..E (named in Demand). For k each region is relevant for
    # exactly one reason: A demand, B a Stockpiles row, C a route into it, D a lane into it,
    # E a lane out of it. For k2 the demand rows make B..E relevant; (k2, A) has nothing.
    # k: A is 10 short (1,000); nothing else moves.
    sheets = {
        "Settings": settings(1),
        "Commodities": [["commodity", "unit", "shortage_penalty"], ["k", "t", 100],
                        ["k2", "t", 100]],
        "Demand": [["commodity", "region", "demand"], ["k", "A", 10], ["k2", "B", 0],
                   ["k2", "C", 0], ["k2", "D", 0], ["k2", "E", 0]],
        "Stockpiles": [["commodity", "region", "initial_stock"], ["k", "B", 0]],
        "Suppliers": [["supplier", "commodity", "origin_country", "capacity", "unit_cost"],
                      ["s", "k", "X", 100, 1], ["s2", "k2", "X", 100, 1]],
        "Routes": [["route", "supplier", "region"], ["to C", "s", "C"], ["k2 to B", "s2", "B"]],
        "Transfers": [["commodity", "from_region", "to_region", "cost"], ["k", "E", "D", 1]],
    }
    _, result = planned(tmp_path, sheets)
    assert result.objective == pytest.approx(1000)
    expected = [("k", "A"), ("k", "B"), ("k", "C"), ("k", "D"), ("k", "E"),
                ("k2", "B"), ("k2", "C"), ("k2", "D"), ("k2", "E")]
    assert records(result.stockpile, ["commodity", "region"]) == expected
    assert records(result.prices, ["commodity", "region"]) == expected
    assert result.shortfall_by_commodity == pytest.approx({"k": 10, "k2": 0})


# --- Concentration: binding or not, both bounds of one limit ------------------------------

def test_concentration_rows_that_do_not_bind_and_a_limit_with_both_bounds(tmp_path):
    # Demand 10; China (1) and Australia (3). `China band`: China between 20% and 50% (the
    # 50% cap binds: China 5, Australia 5: 5 + 15 = 20). `China cap 80%` and `Australia floor
    # 10%` hold with room to spare (shares 50%).
    sheets = one_commodity(1, 10, [["China", 100, 1], ["Australia", 100, 3]])
    sheets["Concentration"] = [
        ["limit", "commodity", "attribute", "value", "max_share", "min_share"],
        ["China band", "k", "origin_country", "China", 0.5, 0.2],
        ["China cap 80%", "k", "origin_country", "China", 0.8, None],
        ["Australia floor", "k", "origin_country", "Australia", None, 0.1]]
    _, result = planned(tmp_path, sheets)
    assert result.objective == pytest.approx(20)
    # One row per limit and window (the band's two bounds merged). A point more on the band's
    # cap moves 0.1 unit to China: 0.01 * |dual 2| * 10 = 0.2; the others are worth 0.
    same(records(result.concentration, ["limit", "share", "max_share", "min_share", "binding",
                                        "marginal_cost_per_point", "supply"]), [
        ("China band", 0.5, 0.5, 0.2, True, 0.2, 10.0),
        ("China cap 80%", 0.5, 0.8, NAN, False, 0.0, 10.0),
        ("Australia floor", 0.5, NAN, 0.1, False, 0.0, 10.0)])


# --- Investments ---------------------------------------------------------------------------

def test_investment_stops_at_its_max_capacity(tmp_path):
    # Demand 20 a month for 3 months. Each unit of new-mine capacity (capex 11) saves
    # (5 - 1) * 3 = 12, but at most 10 can be built: build 10 (110), buy 10 a month from the
    # mine (30) and 10 from the incumbent (150): 290. (Without the limit: 20 built, 280.)
    sheets = one_commodity(3, 20, [["new mine", 0, 1], ["incumbent", 1000, 5]])
    sheets["Investments"] = [["project", "supplier", "capex", "max_capacity"],
                             ["expansion", "new mine", 11, 10]]
    _, result = planned(tmp_path, sheets)
    assert result.objective == pytest.approx(290)
    same(records(result.investments, list(result.investments.columns)), [
        ("expansion", "new mine", "2027-01", 10.0, 10.0, 11.0, 110.0)])
    assert result.cost_parts["investment_cost"] == pytest.approx(110)


def test_a_zero_cap_bans_the_value_and_the_table_names_the_expansion(tmp_path):
    # Demand 10; China (1), Australia (3). China at most 0% (a ban): 10 * 3 = 30.
    # A point more (1%) would let 0.1 unit come from China: 0.01 * |dual 2| * 10 = 0.2.
    sheets = one_commodity(1, 10, [["China", 100, 1], ["Australia", 100, 3]])
    sheets["Concentration"] = [["limit", "commodity", "region", "attribute", "value",
                                "max_share"],
                               ["no China", "k", "home", "origin_country", "China", 0]]
    _, result = planned(tmp_path, sheets)
    assert result.objective == pytest.approx(30)
    same(records(result.concentration, [
        "limit", "scenario", "commodity", "region", "attribute", "value", "period", "share",
        "binding", "marginal_cost_per_point", "supply"]), [
        ("no China", "base", "k", "home", "origin_country", "China", "2027-01", 0.0, True, 0.2,
         10.0)])


@pytest.mark.parametrize("max_share", [None, 0.9])
def test_a_floor_on_a_value_that_cannot_be_ordered_in_a_window_stops_the_scope(tmp_path,
                                                                               max_share):
    # model.md (8): sum_{has} x >= m0 * sum_{scope} x in every window. Two months, demand 10 in
    # month 2 only, storage free. China (1) delivers at once; Australia (2) takes 45 days
    # (1 month), so it cannot be ordered in month 2 (it would arrive after the horizon).
    # Australia >= 50% per period: in month 2 the floor reads 0 >= 0.5 * China's month-2
    # order, so nothing is ordered in month 2; in month 1 Australia 5, China 5 (held a month):
    # 5 * 2 + 5 * 1 = 15. (Dropping the month-2 row would buy 10 from China in month 2: 10.)
    # With a cap of 90% as well (not binding) the answer is the same.
    sheets = one_commodity(2, [0, 10], [["China", 100, 1], ["Australia", 100, 2]],
                           routes=[["route", "supplier", "region", "lead_time_days"],
                                   ["China lane", "China", "home", 0],
                                   ["Australia lane", "Australia", "home", 45]],
                           stock=[0, None, 0])
    sheets["Concentration"] = [["limit", "commodity", "attribute", "value", "max_share",
                                "min_share", "basis"],
                               ["Australia floor", "k", "origin_country", "Australia",
                                max_share, 0.5, "period"]]
    _, result = planned(tmp_path, sheets)
    assert result.objective == pytest.approx(15)
    orders = records(result.orders, ["period", "supplier", "quantity"])
    same(orders, [("2027-01", "China", 5.0), ("2027-01", "Australia", 5.0)])


# --- What the solver said, passed through; a plan without duals ----------------------------

def test_extract_passes_the_solvers_figures_through_and_survives_missing_duals(tmp_path):
    # The Hormuz case of test_duals (objective 175) with the solution's figures replaced as a
    # plan stopped at the time limit by interior point without crossover would give them: no
    # duals, a gap, a residual, a note of what failed before.
    from dataclasses import replace

    sheets = one_commodity(1, 100, [["Qatar", 1000, 1], ["Oman", 1000, 2]],
                           routes=[["route", "supplier", "region", "chokepoints"],
                                   ["via Hormuz", "Qatar", "home", "Hormuz"],
                                   ["direct", "Oman", "home", None]])
    sheets["Concentration"] = [["limit", "commodity", "attribute", "value", "max_share"],
                               ["Hormuz", "k", "chokepoint", "Hormuz", 0.25]]
    solved, _ = planned(tmp_path, sheets)
    stopped = replace(solved.solution, status="time_limit", row_dual=None, col_dual=None,
                      gap=0.05, max_residual=1e-4, method="interior point without crossover",
                      has_basis=False, tried=["dual simplex: Unknown"])
    result = extract(solved.built, solved.solver.lp, stopped)
    assert result.status == "time_limit" and result.objective == pytest.approx(175)
    assert result.gap == 0.05 and result.max_residual == 1e-4
    assert result.method == "interior point without crossover"
    assert result.has_basis is False and result.tried == ["dual simplex: Unknown"]
    # Without duals: prices and the worth of a point are 0 (not an error, not NaN); the share
    # and the binding flag still come from the plan (25% of 100, at the cap).
    assert result.prices["marginal_cost"].tolist() == [0.0]
    same(records(result.concentration, ["share", "binding", "marginal_cost_per_point"]),
         [(0.25, True, 0.0)])


def test_scenario_shortfall_is_per_scenario(tmp_path):
    # Two months, demand 10 a month, no storage; one supplier (1, capacity 100) cut to 4% in
    # month 2 of `crisis` (p = 0.3): crisis is 6 short in month 2, base never.
    # Objective 10 + 0.7 * 10 + 0.3 * (4 + 600) = 198.2.
    sheets = one_commodity(2, 10, [["only", 100, 1]])
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 0.7], ["crisis", 0.3]]
    sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period",
                              "end_period", "capacity_factor"],
                             ["crisis", "supplier", "only", "2027-02", "2027-02", 0.04]]
    _, result = planned(tmp_path, sheets)
    assert result.objective == pytest.approx(198.2)
    scenarios = result.scenarios.set_index("scenario")
    assert scenarios["shortfall"].to_dict() == pytest.approx({"base": 0, "crisis": 6})
    assert scenarios["shortage_penalty"].to_dict() == pytest.approx({"base": 0, "crisis": 600})
    assert result.total_shortfall == pytest.approx(1.8)
    assert result.shortfall_by_commodity == pytest.approx({"k": 1.8})


def test_a_scenario_of_probability_zero_gets_a_worth_of_zero_not_nan(tmp_path):
    # `ghost` (p = 0) halves China from month 1, so it has its own node; China <= 50% binds in
    # both. Demand 10, China (1), Australia (3): base 5 + 15 = 20 (p = 1); ghost weighs nothing.
    # base row: 0.01 * 2 * 10 = 0.2 a point; ghost's row: its dual is 0 (its costs weigh 0),
    # and its worth, split over scenarios of total probability 0, is 0.
    sheets = one_commodity(1, 10, [["China", 100, 1], ["Australia", 100, 3]])
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 1.0], ["ghost", 0.0]]
    sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period",
                              "end_period", "capacity_factor"],
                             ["ghost", "supplier", "China", "2027-01", "2027-01", 0.5]]
    sheets["Concentration"] = [["limit", "commodity", "attribute", "value", "max_share"],
                               ["China cap", "k", "origin_country", "China", 0.5]]
    _, result = planned(tmp_path, sheets)
    assert result.objective == pytest.approx(20)
    # (ghost's own plan is arbitrary, as nothing in it costs anything: its share is not
    # asserted.)
    same(records(result.concentration, ["scenario", "marginal_cost_per_point"]),
         [("base", 0.2), ("ghost", 0.0)])
    assert result.concentration.loc[0, "share"] == pytest.approx(0.5)


@pytest.mark.parametrize(("bound", "value", "share", "expected"), [
    # China (1, capacity 5) and Australia (3); demand 10. China can only give 5 (50%), so a cap
    # of 50% on China is met exactly though capacity, not the cap, decides: the plan is at the
    # cap (binding), 5 + 15 = 20.
    ("max_share", "China", 0.5, 20),
    # A floor of 50% on Australia is met exactly for the same reason.
    ("min_share", "Australia", 0.5, 20),
])
def test_a_limit_met_exactly_is_binding_whatever_its_dual(tmp_path, bound, value, share,
                                                          expected):
    sheets = one_commodity(1, 10, [["China", 5, 1], ["Australia", 100, 3]])
    sheets["Concentration"] = [["limit", "commodity", "attribute", "value", bound],
                               ["limit", "k", "origin_country", value, share]]
    _, result = planned(tmp_path, sheets)
    assert result.objective == pytest.approx(expected)
    table = result.concentration
    assert table["share"].tolist() == pytest.approx([0.5])
    assert table["binding"].astype(bool).tolist() == [True]


def test_the_scenarios_sharing_a_decision_are_listed_short():
    from model.results.extract import scenario_list

    assert scenario_list(["base", "ban"], 6) == "base, ban"
    assert scenario_list([f"future {i}" for i in range(1, 18)], 20) == (
        "17 of 20: future 1, future 2, future 3, ...")
