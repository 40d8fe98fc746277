"""One tiny case per constraint family of model.md, each with its optimum computed by hand.

Every solve also passes the residual check of helpers.check_residuals on the written plan.
"""

from __future__ import annotations

import pytest
from helpers import one_commodity, read_plan, settings, solve

from model.domain.periods import Calendar


def test_lead_time_rounds_to_whole_periods():
    month = Calendar("month", 2027 * 12, 12)  # dpp = 30.42 days
    # L = floor(days / dpp + 0.5)
    assert [month.lead_periods(d) for d in (0, 15, 16, 45, 46, 60, 90)] == [0, 0, 1, 1, 2, 2, 3]
    quarter = Calendar("quarter", 2027 * 4, 4)  # dpp = 91.25 days
    assert [quarter.lead_periods(d) for d in (45, 46, 136, 137)] == [0, 1, 1, 2]


@pytest.mark.slow
def test_balance_with_lead_time_delays_arrival(tmp_path):
    # Demand 10 a month for 3 months. "far" costs 1 but takes 45 days (1 month); "near" costs 5
    # with no lead time. Month 1 can only come from near: 10 * 5 = 50; months 2 and 3 from far
    # ordered in months 1 and 2: 20 * 1 = 20. Total 70; nothing is ordered in month 3.
    sheets = one_commodity(3, 10, [["far", 1000, 1], ["near", 1000, 5]],
                           routes=[["route", "supplier", "region", "lead_time_days"],
                                   ["far lane", "far", "home", 45],
                                   ["near lane", "near", "home", 0]])
    outcome = solve(tmp_path, sheets)
    assert outcome.result.objective == pytest.approx(70)
    orders = read_plan(outcome.output_path)["Orders"]
    far = orders[orders.supplier == "far"]
    assert list(zip(far.period, far.arrival_period, far.quantity, strict=True)) == [
        ("2027-01", "2027-02", 10), ("2027-02", "2027-03", 10)]


@pytest.mark.slow
def test_no_order_arrives_after_the_horizon(tmp_path):
    # Take-or-pay 2 a month on a 45-day (1-month) route over 2 months. An order of month 2
    # would arrive after the horizon, so it cannot be placed, and the obligation of month 2
    # lapses (no route can deliver within the horizon). Demand 0, storage unlimited:
    # cost = 2 * 3 = 6, one order arriving in month 2.
    sheets = one_commodity(2, 0, [["far", 10, 3]],
                           routes=[["route", "supplier", "region", "lead_time_days"],
                                   ["far lane", "far", "home", 45]],
                           stock=[0, None, 0])
    sheets["Suppliers"][0].append("min_take")
    sheets["Suppliers"][1].append(2)
    outcome = solve(tmp_path, sheets)
    assert outcome.result.objective == pytest.approx(6)
    orders = read_plan(outcome.output_path)["Orders"]
    assert list(zip(orders.period, orders.arrival_period, strict=True)) == [
        ("2027-01", "2027-02")]


@pytest.mark.slow
def test_supplier_capacity_binds(tmp_path):
    # Demand 10; cheap supplier (1) sells at most 4, dear supplier (3): 4 + 6 * 3 = 22.
    outcome = solve(tmp_path, one_commodity(1, 10, [["cheap", 4, 1], ["dear", 100, 3]]))
    assert outcome.result.objective == pytest.approx(22)


@pytest.mark.slow
def test_route_capacity_binds(tmp_path):
    # The cheap supplier can sell 100 but its route carries 4: again 4 * 1 + 6 * 3 = 22.
    sheets = one_commodity(1, 10, [["cheap", 100, 1], ["dear", 100, 3]],
                           routes=[["route", "supplier", "region", "capacity"],
                                   ["narrow", "cheap", "home", 4], ["wide", "dear", "home", None]])
    outcome = solve(tmp_path, sheets)
    assert outcome.result.objective == pytest.approx(22)


@pytest.mark.slow
def test_take_or_pay_forces_an_expensive_buy(tmp_path):
    # Demand 10 a month for 2 months, no storage. The dear supplier (5) must be taken at 3 a
    # month: 3 * 5 + 7 * 1 = 22 a month, 44 in all (instead of 20 without the contract).
    sheets = one_commodity(2, 10, [["cheap", 100, 1], ["dear", 10, 5]])
    sheets["Suppliers"][0].append("min_take")
    sheets["Suppliers"][1].append(0)
    sheets["Suppliers"][2].append(3)
    outcome = solve(tmp_path, sheets)
    assert outcome.result.objective == pytest.approx(44)


@pytest.mark.slow
def test_storage_cap_causes_shortfall(tmp_path):
    # The only supplier sells in month 1 only. Demand 10 a month, storage 4, penalty 50:
    # buy 14 in month 1 (10 used, 4 held), month 2 is 6 short: 14 * 1 + 6 * 50 = 314.
    sheets = one_commodity(2, 10, [["once", 100, 1]], penalty=50, stock=[0, 4, 0])
    sheets["Suppliers"][0].append("available_to")
    sheets["Suppliers"][1].append("2027-01")
    outcome = solve(tmp_path, sheets)
    assert outcome.result.objective == pytest.approx(314)
    stock = read_plan(outcome.output_path)["Stockpile"].set_index("period")
    assert stock.loc["2027-01", "closing"] == pytest.approx(4)
    assert stock.loc["2027-02", "shortfall"] == pytest.approx(6)


@pytest.mark.parametrize(("target_penalty", "expected"), [
    # Target = 30 days * 73 / (365/12) = 72 t. Holding a unit costs 10 + 1 = 11.
    (3, 73 * 10 + 72 * 3),        # penalty 3 < 11: stay below target: 946
    (20, (73 + 72) * 10 + 72),    # penalty 20 > 11: buy the target and hold it: 1,522
])
@pytest.mark.slow
def test_target_in_days_of_cover(tmp_path, target_penalty, expected):
    sheets = one_commodity(1, 73, [["s", 1000, 10]])
    sheets["Commodities"] = [["commodity", "unit", "shortage_penalty", "target_penalty"],
                             ["k", "t", 100, target_penalty]]
    sheets["Stockpiles"] = [["commodity", "region", "target_days", "holding_cost"],
                            ["k", "home", 30, 1]]
    outcome = solve(tmp_path, sheets)
    assert outcome.result.objective == pytest.approx(expected)
    stock = read_plan(outcome.output_path)["Stockpile"]
    assert stock.loc[0, "target"] == pytest.approx(72)


@pytest.mark.slow
def test_transfer_with_its_lead_time(tmp_path):
    # Only region A is supplied (cost 1). Region B needs 10 a month for 3 months; the lane
    # A -> B takes 45 days (1 month) at 2 a unit. Month 1 of B is short (10 * 100); months 2
    # and 3 arrive from transfers sent in months 1 and 2: 20 * (1 + 2) = 60. Total 1,060.
    sheets = {
        "Settings": settings(3),
        "Commodities": [["commodity", "unit", "shortage_penalty"], ["k", "t", 100]],
        "Demand": [["commodity", "region", "demand"], ["k", "A", 0], ["k", "B", 10]],
        "Suppliers": [["supplier", "commodity", "origin_country", "capacity", "unit_cost"],
                      ["s", "k", "X", 1000, 1]],
        "Routes": [["route", "supplier", "region"], ["to A", "s", "A"]],
        "Transfers": [["commodity", "from_region", "to_region", "lead_time_days", "cost"],
                      ["k", "A", "B", 45, 2]],
    }
    outcome = solve(tmp_path, sheets)
    assert outcome.result.objective == pytest.approx(1060)
    moved = read_plan(outcome.output_path)["Transfers"]
    assert list(zip(moved.period, moved.arrival_period, moved.quantity, strict=True)) == [
        ("2027-01", "2027-02", 10), ("2027-02", "2027-03", 10)]


@pytest.mark.parametrize(("capex", "expected", "built"), [
    # Each unit of new capacity saves (5 - 1) * 3 months = 12: build 10 at capex 11 -> 140.
    (11, 10 * 11 + 30 * 1, 10),
    # At capex 13 it does not pay: buy everything at 5 -> 150.
    (13, 30 * 5, 0),
])
@pytest.mark.slow
def test_investment_pays_off_only_when_capex_is_below_the_saved_cost(
        tmp_path, capex, expected, built):
    sheets = one_commodity(3, 10, [["new mine", 0, 1], ["incumbent", 1000, 5]])
    sheets["Investments"] = [["project", "supplier", "capex", "max_capacity"],
                             ["expansion", "new mine", capex, 10]]
    outcome = solve(tmp_path, sheets)
    assert outcome.result.objective == pytest.approx(expected)
    investments = read_plan(outcome.output_path)["Investments"]
    assert investments.loc[0, "capacity_built"] == pytest.approx(built)


def _two_origin_sheets(basis: str) -> dict:
    # Demand 10 a month for 2 months, no storage, penalty 100. China (1) sells 100; Australia
    # (2) sells 3 in month 1 and 100 in month 2. Limit: China at most 50% of supply.
    sheets = one_commodity(2, 10, [["China", 100, 1], ["Australia", 100, 2]])
    sheets["SupplierPeriods"] = [["supplier", "period", "capacity"],
                                 ["Australia", "2027-01", 3]]
    sheets["Concentration"] = [["limit", "commodity", "attribute", "value", "max_share", "basis"],
                               ["China cap", "k", "origin_country", "China", 0.5, basis]]
    return sheets


@pytest.mark.slow
def test_concentration_per_period(tmp_path):
    # Month 1: China <= Australia <= 3: buy 3 + 3, 4 short: 3 + 6 + 400 = 409.
    # Month 2: 5 + 5: 5 + 10 = 15. Total 424.
    outcome = solve(tmp_path, _two_origin_sheets("period"))
    assert outcome.result.objective == pytest.approx(424)


@pytest.mark.slow
def test_concentration_over_the_horizon(tmp_path):
    # Over both months China <= 50% of 20: China 7 + 3, Australia 3 + 7: 10 + 20 = 30.
    outcome = solve(tmp_path, _two_origin_sheets("horizon"))
    assert outcome.result.objective == pytest.approx(30)
    table = read_plan(outcome.output_path)["Concentration"]
    assert table.loc[0, "period"] == "horizon"
    assert table.loc[0, "share"] == pytest.approx(0.5)


@pytest.mark.slow
def test_chokepoint_limit_and_its_marginal_cost(tmp_path):
    # Demand 100; Qatar (1) ships through Hormuz, Oman (2) does not. Hormuz <= 25%:
    # 25 * 1 + 75 * 2 = 175. One more point (26%) moves 1 unit to the cheaper source: saves 1.
    sheets = one_commodity(1, 100, [["Qatar", 1000, 1], ["Oman", 1000, 2]],
                           routes=[["route", "supplier", "region", "chokepoints"],
                                   ["via Hormuz", "Qatar", "home", "Hormuz; Malacca"],
                                   ["direct", "Oman", "home", None]])
    sheets["Concentration"] = [["limit", "commodity", "attribute", "value", "max_share"],
                               ["Hormuz", "k", "chokepoint", "Hormuz", "25%"]]
    outcome = solve(tmp_path, sheets)
    assert outcome.result.objective == pytest.approx(175)
    table = read_plan(outcome.output_path)["Concentration"]
    assert bool(table.loc[0, "binding"]) is True
    assert table.loc[0, "marginal_cost_per_point"] == pytest.approx(1.0)


@pytest.mark.slow
def test_group_limit_on_processing_countries(tmp_path):
    # China (1) and Russia (1.5) are FEOC, Australia (3) a partner. FEOC <= 40% of 100:
    # China 40 + Australia 60 = 40 + 180 = 220.
    sheets = one_commodity(1, 100, [["China", 1000, 1], ["Russia", 1000, 1.5],
                                    ["Australia", 1000, 3]])
    sheets["Groups"] = [["country", "group"], ["China", "FEOC"], ["Russia", "FEOC"],
                        ["Australia", "Partners"]]
    sheets["Concentration"] = [["limit", "commodity", "attribute", "value", "max_share"],
                               ["FEOC", "k", "processing_group", "FEOC", 0.4]]
    outcome = solve(tmp_path, sheets)
    assert outcome.result.objective == pytest.approx(220)


@pytest.mark.slow
def test_every_value_of_a_star_limit_is_capped(tmp_path):
    # Three origins at 1, 2, 3; no origin above 40% of 100: 40 + 40 * 2 + 20 * 3 = 180.
    sheets = one_commodity(1, 100, [["A", 1000, 1], ["B", 1000, 2], ["C", 1000, 3]])
    sheets["Concentration"] = [["limit", "commodity", "attribute", "value", "max_share"],
                               ["any origin", "*", "origin_country", "*", 0.4]]
    outcome = solve(tmp_path, sheets)
    assert outcome.result.objective == pytest.approx(180)


@pytest.mark.slow
def test_discounting(tmp_path):
    # Quarterly, 10% a year: d_t = 1.1 ** (-(t - 1) / 4). One unit a quarter at 100.
    sheets = one_commodity(5, 1, [["s", 10, 100]])
    sheets["Settings"] = settings(5, start="2027-Q1", period_length="quarter",
                                  discount_rate=0.1)
    outcome = solve(tmp_path, sheets)
    expected = 100 * sum(1.1 ** (-(t - 1) / 4) for t in range(1, 6))  # 477.00
    assert outcome.result.objective == pytest.approx(expected, rel=1e-9)
    assert outcome.result.objective == pytest.approx(477.002, abs=1e-3)


def _cvar_sheets(risk_weight: float) -> dict:
    # Demand 10 in month 2 only; the supplier (1) is cut in month 2 of `crisis` (p = 0.02).
    # Holding 3 a unit a month, penalty 100. Stocking s units in month 1 costs 10 + 3s in base
    # and 1000 - 96s in crisis.
    sheets = one_commodity(2, [0, 10], [["s", 100, 1]], penalty=100, stock=[0, None, 3])
    sheets["Settings"] = settings(2, risk_weight=risk_weight, cvar_level=0.9)
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 0.98], ["crisis", 0.02]]
    sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period",
                              "end_period"], ["crisis", "supplier", "s", "2027-02", "2027-02"]]
    return sheets


@pytest.mark.slow
def test_cvar_with_lambda_0_minimises_expected_cost(tmp_path):
    # E = 29.8 + 1.02 s: s = 0, E = 0.98 * 10 + 0.02 * 1000 = 29.8.
    # CVaR_0.9 of (10 w.p. 0.98, 1000 w.p. 0.02) = (0.02 * 1000 + 0.08 * 10) / 0.1 = 208.
    outcome = solve(tmp_path, _cvar_sheets(0))
    assert outcome.result.objective == pytest.approx(29.8)
    assert outcome.result.expected_cost == pytest.approx(29.8)
    assert outcome.result.cvar == pytest.approx(208)


@pytest.mark.slow
def test_cvar_with_lambda_1_minimises_the_tail(tmp_path):
    # CVaR = 208 - 16.8 s for s <= 10: s = 10, both scenarios cost 40.
    outcome = solve(tmp_path, _cvar_sheets(1))
    assert outcome.result.objective == pytest.approx(40)
    assert outcome.result.expected_cost == pytest.approx(40)
    assert outcome.result.cvar == pytest.approx(40)


@pytest.mark.slow
def test_disruption_scales_capacity_and_cost(tmp_path):
    # Scenario `squeeze` (p = 0.5) halves the cheap supplier (1, capacity 10) and doubles its
    # price from month 1; the rest comes from the dear one (4). Demand 10.
    # base: 10 * 1 = 10; squeeze: 5 * 2 + 5 * 4 = 30; expected 20.
    sheets = one_commodity(1, 10, [["cheap", 10, 1], ["dear", 100, 4]])
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 0.5], ["squeeze", 0.5]]
    sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period", "end_period",
                              "capacity_factor", "cost_factor"],
                             ["squeeze", "origin_country", "cheap", "2027-01", "2027-01", 0.5, 2]]
    outcome = solve(tmp_path, sheets)
    assert outcome.result.objective == pytest.approx(20)
    scenarios = read_plan(outcome.output_path)["Scenarios"].set_index("scenario")["cost"]
    assert scenarios.to_dict() == pytest.approx({"base": 10, "squeeze": 30})


@pytest.mark.slow
def test_demand_disruption_and_chokepoint_closure(tmp_path):
    # `storm`: demand +50% and the Hormuz route closed. Demand 10, Qatar (1) via Hormuz,
    # Oman (2). base: 10; storm: 15 * 2 = 30; expected (p = 0.5) 20.
    sheets = one_commodity(1, 10, [["Qatar", 100, 1], ["Oman", 100, 2]],
                           routes=[["route", "supplier", "region", "chokepoints"],
                                   ["via Hormuz", "Qatar", "home", "Hormuz"],
                                   ["direct", "Oman", "home", None]])
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 0.5], ["storm", 0.5]]
    sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period", "end_period",
                              "demand_factor"],
                             ["storm", "demand", "k@home", "2027-01", "2027-01", 1.5],
                             ["storm", "chokepoint", "Hormuz", "2027-01", "2027-01", None]]
    outcome = solve(tmp_path, sheets)
    assert outcome.result.objective == pytest.approx(20)


@pytest.mark.slow
def test_limit_bound_to_base_holds_in_every_scenario_until_they_diverge(tmp_path):
    # Two months; China (1) and Australia (3); China <= 50% in `base` only. `ban` cuts China in
    # month 2, so in month 1 both scenarios share decisions and the limit holds in both; in
    # month 2 of `ban` nothing comes from China anyway. Demand 10 a month, no storage.
    # Month 1: 5 * 1 + 5 * 3 = 20 (both). Month 2: base 20; ban 10 * 3 = 30.
    # Expected (p = 0.5 each): 20 + 25 = 45.
    sheets = one_commodity(2, 10, [["China", 100, 1], ["Australia", 100, 3]])
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 0.5], ["ban", 0.5]]
    sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period",
                              "end_period"], ["ban", "supplier", "China", "2027-02", "2027-02"]]
    sheets["Concentration"] = [["limit", "commodity", "attribute", "value", "max_share",
                                "scenarios"],
                               ["China cap", "k", "origin_country", "China", 0.5, "base"]]
    outcome = solve(tmp_path, sheets)
    assert outcome.result.objective == pytest.approx(45)
    orders = read_plan(outcome.output_path)["Orders"]
    month1 = orders[(orders.period == "2027-01") & (orders.supplier == "China")]
    assert month1.set_index("scenario")["quantity"].to_dict() == pytest.approx(
        {"base": 5, "ban": 5})
