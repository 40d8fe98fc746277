"""The reference cases of model.md that any correct implementation must reproduce."""

from __future__ import annotations

import pytest
from helpers import read_plan, settings, solve, summary


def smoothing_workbook() -> dict:
    # Demand 40, 60, 75, 25; a supplier of 40 a period at 400 and an unlimited one at 450;
    # holding 20 a unit a period; initial stock 10.
    return {
        "Settings": settings(4),
        "Commodities": [["commodity", "unit", "shortage_penalty"], ["widget", "t", 10_000]],
        "Demand": [["commodity", "region", "period", "demand"],
                   ["widget", "home", "2027-01", 40], ["widget", "home", "2027-02", 60],
                   ["widget", "home", "2027-03", 75], ["widget", "home", "2027-04", 25]],
        "Stockpiles": [["commodity", "region", "initial_stock", "holding_cost"],
                       ["widget", "home", 10, 20]],
        "Suppliers": [["supplier", "commodity", "origin_country", "capacity", "unit_cost"],
                      ["regular", "widget", "A", 40, 400],
                      ["overtime", "widget", "A", 1_000_000, 450]],
        "Routes": [["route", "supplier", "region"], ["r1", "regular", "home"],
                   ["r2", "overtime", "home"]],
    }


@pytest.mark.slow
def test_production_smoothing_gives_78450(tmp_path):
    outcome = solve(tmp_path, smoothing_workbook())
    # Regular 40+40+40+25 at 400 = 58,000; overtime 10+35 at 450 = 20,250; 10 held once: 200.
    assert outcome.result.objective == pytest.approx(78_450, rel=1e-9)
    tables = read_plan(outcome.output_path)
    assert summary(tables)["objective"] == pytest.approx(78_450, rel=1e-9)
    orders = tables["Orders"]
    overtime = orders[orders.supplier == "overtime"].set_index("period")["quantity"]
    assert overtime.to_dict() == pytest.approx({"2027-02": 10, "2027-03": 35})
    # One more unit of demand: in period 1 keep the 10 units instead of carrying them
    # (saves 20 holding) and buy overtime in period 2 (450): 430. Periods 2-3: overtime 450.
    # Period 4: regular capacity is spare: 400.
    prices = tables["Prices"].set_index("period")["marginal_cost"]
    assert prices.to_dict() == pytest.approx(
        {"2027-01": 430, "2027-02": 450, "2027-03": 450, "2027-04": 400})


def crisis_workbook(probability: float) -> dict:
    # Two months, demand 10 in each, one supplier at cost 0 cut off in month 2 of `crisis`.
    # Holding 5 a unit a month, shortage penalty 100, unlimited storage.
    return {
        "Settings": settings(2),
        "Commodities": [["commodity", "unit", "shortage_penalty"], ["k", "t", 100]],
        "Demand": [["commodity", "region", "demand"], ["k", "home", 10]],
        "Stockpiles": [["commodity", "region", "holding_cost"], ["k", "home", 5]],
        "Suppliers": [["supplier", "commodity", "origin_country", "capacity", "unit_cost"],
                      ["only", "k", "X", 100, 0]],
        "Routes": [["route", "supplier", "region"], ["lane", "only", "home"]],
        "Scenarios": [["scenario", "probability"], ["base", 1 - probability],
                      ["crisis", probability]],
        "Disruptions": [["scenario", "target_type", "target", "start_period", "end_period"],
                        ["crisis", "supplier", "only", "2027-02", "2027-02"]],
    }


@pytest.mark.parametrize(("probability", "expected_cost", "first_order"), [
    # p * 100 = 2 < 5 holding: no stockpile; the crisis leaves 10 unmet: 0.02 * 1,000 = 20.
    (0.02, 20.0, 10.0),
    # p * 100 = 10 > 5: buy 20 in month 1, hold 10 for a month in both scenarios: 50.
    (0.10, 50.0, 20.0),
])
@pytest.mark.slow
def test_unseen_crisis_stockpile_pays_only_when_p_times_penalty_exceeds_holding(
        tmp_path, probability, expected_cost, first_order):
    outcome = solve(tmp_path, crisis_workbook(probability))
    assert outcome.result.objective == pytest.approx(expected_cost, rel=1e-9)
    assert outcome.result.expected_cost == pytest.approx(expected_cost, rel=1e-9)
    orders = read_plan(outcome.output_path)["Orders"]
    first = orders[orders.period == "2027-01"].set_index("scenario")["quantity"]
    # Non-anticipativity: the month-1 order cannot depend on a crisis not yet seen.
    assert first["base"] == pytest.approx(first["crisis"], abs=1e-9)
    assert first["base"] == pytest.approx(first_order, abs=1e-6)
