"""The (commodity, region) pair order is one index, `PlanData.pairs`: the demand factors, the
stock families, the per-pair arrays and every table look a pair up there. Reversing that order
permutes the LP's rows and columns and nothing else, so every table must label the same values:
a consumer that counts on an order of its own puts one pair's figures under another's name."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import settings, write_workbook

from model.domain.data import PairIndex, PlanData
from model.inputs import load_plan
from model.pipeline import RunOptions, add_analyses, solve_plan
from model.results.extract import extract

PENALTY = {"NdPr": 100.0, "Dy": 1000.0}


def two_by_two() -> dict:
    """Two commodities in two regions, each pair with its own demand, stock, target, arrivals
    or transfers, and Dy short in both regions by different amounts, in two scenarios."""
    return {
        "Settings": settings(3),
        "Commodities": [["commodity", "unit", "shortage_penalty"], ["NdPr", "t", PENALTY["NdPr"]],
                        ["Dy", "kg", PENALTY["Dy"]]],
        "Demand": [["commodity", "region", "period", "demand"], ["NdPr", "Japan", None, 10],
                   ["NdPr", "USA", None, 4], ["Dy", "Japan", None, 1], ["Dy", "USA", None, 6]],
        "Stockpiles": [["commodity", "region", "initial_stock", "capacity", "target_stock",
                        "holding_cost"],
                       ["NdPr", "Japan", 5, 50, 3, 1], ["NdPr", "USA", 2, 20, 0, 2],
                       ["Dy", "Japan", 0.5, 5, 0, 3]],
        "Suppliers": [["supplier", "commodity", "origin_country", "capacity", "unit_cost",
                       "min_take", "available_from", "available_to"],
                      ["Lynas", "NdPr", "Australia", 12, 80, 0, None, None],
                      ["Baotou", "NdPr", "China", 20, 70, 0, None, None],
                      ["DyCo", "Dy", "Vietnam", 5, 300, 0, None, None]],
        "Routes": [["route", "supplier", "region", "lead_time_days", "chokepoints"],
                   ["r1", "Lynas", "Japan", 0, None], ["r2", "Baotou", "Japan", 30, None],
                   ["r3", "Lynas", "USA", 0, None], ["r4", "DyCo", "USA", 0, None]],
        "Pipeline": [["route", "arrival_period", "quantity"], ["r3", "2027-02", 3]],
        "Transfers": [["commodity", "from_region", "to_region", "cost", "capacity"],
                      ["NdPr", "Japan", "USA", 5, 2]],
        "Scenarios": [["scenario", "probability"], ["base", 0.7], ["cut", 0.3]],
        "Disruptions": [["scenario", "target_type", "target", "start_period", "end_period",
                         "capacity_factor"], ["cut", "supplier", "Lynas", "2027-02", "2027-03",
                                              0.5]],
    }


def planned(tmp_path, name: str, analyses: bool = False):
    """The plan's tables; with `analyses`, also every check of prices and EVPI/VSS (which
    re-solve the live model and a single-scenario model, each read per pair)."""
    plan = load_plan(write_workbook(tmp_path / f"{name}.xlsx", two_by_two()))
    solved = solve_plan(plan, progress=lambda _: None)
    assert solved.solution.status == "optimal"
    result = extract(solved.built, solved.solver.lp, solved.solution)
    if analyses:
        add_analyses(result, plan, solved, lambda _: None, {}, RunOptions(workers=1))
    return plan, result


def sorted_table(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


def test_reversing_the_pair_order_labels_every_table_the_same(tmp_path, monkeypatch):
    plan, result = planned(tmp_path, "as_read", analyses=True)
    assert list(plan.pairs) == [("NdPr", "Japan"), ("NdPr", "USA"), ("Dy", "Japan"),
                                ("Dy", "USA")]
    monkeypatch.setattr(PlanData, "pairs", property(
        lambda self: PairIndex(reversed([(k, g) for k in self.commodities
                                         for g in self.regions]))))
    plan_r, reversed_result = planned(tmp_path, "reversed", analyses=True)
    assert list(plan_r.pairs)[0] == ("Dy", "USA")

    assert reversed_result.objective == pytest.approx(result.objective, rel=1e-12)
    assert reversed_result.shortfall_by_commodity == pytest.approx(result.shortfall_by_commodity)
    mine, theirs = result.value_of_information, reversed_result.value_of_information
    assert (theirs.ws, theirs.ev, theirs.eev) == pytest.approx((mine.ws, mine.ev, mine.eev))
    for table, keys in (("stockpile", ["scenario", "commodity", "region", "period"]),
                        ("prices", ["commodity", "region", "period"]),
                        ("orders", ["scenario", "period", "route"]),
                        ("transfers", ["scenario", "period"]),
                        ("scenarios", ["scenario"]),
                        ("sensitivity", list(result.sensitivity.columns[:3]))):
        mine = sorted_table(getattr(result, table), keys)
        theirs = sorted_table(getattr(reversed_result, table), keys)
        pd.testing.assert_frame_equal(mine, theirs, check_exact=False, rtol=1e-9, atol=1e-9,
                                      obj=table)


def test_each_pair_keeps_its_own_figures(tmp_path):
    # Labelled by hand, so that a mislabelling made the same way in both orders is caught too.
    _, result = planned(tmp_path, "hand")
    stock = result.stockpile.set_index(["scenario", "commodity", "region", "period"]).sort_index()
    for (k, g), demand in {("NdPr", "Japan"): 10, ("NdPr", "USA"): 4, ("Dy", "Japan"): 1,
                           ("Dy", "USA"): 6}.items():
        assert (stock.loc[("base", k, g), "demand"] == demand).all(), (k, g)
    first = {pair: stock.loc[("base", *pair, "2027-01"), "opening"]
             for pair in (("NdPr", "Japan"), ("NdPr", "USA"), ("Dy", "Japan"), ("Dy", "USA"))}
    assert first == {("NdPr", "Japan"): 5, ("NdPr", "USA"): 2, ("Dy", "Japan"): 0.5,
                     ("Dy", "USA"): 0}
    assert (stock.loc[("base", "NdPr", "Japan"), "target"] == 3).all()
    assert (stock.loc[("base", "NdPr", "USA"), "target"] == 0).all()
    assert stock.loc[("base", "NdPr", "USA", "2027-02"), "arrivals"] == 3  # the pipeline cargo
    assert (stock.loc[("base", "NdPr", "USA"), "transfers_in"].tolist() == [0, 2, 2])
    assert (stock.loc[("base", "NdPr", "Japan"), "transfers_out"].tolist() == [0, 2, 2])
    # No Dy reaches Japan: its half unit of stock covers half of the first period. DyCo sells
    # the USA 5 of the 6 it needs.
    assert stock.loc[("base", "Dy", "Japan"), "shortfall"].tolist() == [0.5, 1, 1]
    assert stock.loc[("base", "Dy", "USA"), "shortfall"].tolist() == [1, 1, 1]
    assert result.shortfall_by_commodity == pytest.approx({"NdPr": 0.0, "Dy": 5.5})
    prices = result.prices.set_index(["commodity", "region", "period"]).sort_index()[
        "marginal_cost"]
    assert prices[("Dy", "USA", "2027-03")] == pytest.approx(PENALTY["Dy"])
    assert prices[("NdPr", "Japan", "2027-01")] == pytest.approx(80.0)  # Lynas, the only one
    assert prices[("NdPr", "USA", "2027-02")] == pytest.approx(78.0)  # held one period at 2
