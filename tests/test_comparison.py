"""The Scenario comparison sheet: each scenario against the reference scenario, by hand on a
small plan and against the Scenarios and Stockpile sheets of the shipped example."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from example_plans import example_outcome
from helpers import one_commodity, read_plan, solve
from openpyxl import load_workbook

from model.formulation.costs import COST_PARTS
from model.results.scenario_compare import compare_scenarios, reference_scenario


def halt_sheets() -> dict:
    # Two months, demand 10 a month. A sells up to 100 at 1, B up to 6 at 2; shortage costs
    # 100. `halt` (p = 0.5) stops A in month 2.
    sheets = one_commodity(2, 10, [["A", 100, 1], ["B", 6, 2]])
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 0.5], ["halt", 0.5]]
    sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period",
                              "end_period", "capacity_factor"],
                             ["halt", "supplier", "A", "2027-02", "2027-02", 0]]
    return sheets


def sheet_tables(path, name: str) -> list[pd.DataFrame]:
    """The tables of a sheet that holds several, one below the other (headers with units
    dropped, each found by its first header cell `scenario`)."""
    rows = [[c.value for c in row] for row in load_workbook(path, read_only=True)[name].rows]
    tables, r = [], 0
    while r < len(rows):
        if rows[r] and rows[r][0] == "scenario":
            header = [str(h).split(" (")[0] for h in rows[r] if h is not None]
            body = []
            r += 1
            while r < len(rows) and rows[r] and rows[r][0] is not None:
                body.append(rows[r][:len(header)])
                r += 1
            tables.append(pd.DataFrame(body, columns=header))
        r += 1
    return tables


@pytest.mark.slow
def test_a_halt_by_hand(tmp_path):
    # base buys 10 from A each month: 20. halt: month 1 the same (shared), month 2 B's 6 at 2
    # and 4 short at 100: 10 + 12 + 400 = 422. Changes: cost +402 (purchase +2, shortage
    # +400), shortfall +4; A loses 10 of its 20 (-50%), B gains 6 from nothing.
    outcome = solve(tmp_path, halt_sheets(), "halt")
    comparison = compare_scenarios(outcome.result, outcome.plan)
    assert comparison.reference == "base"
    costs = comparison.costs.set_index("scenario")
    assert list(costs.index) == ["base", "halt"]
    assert costs.loc["base", "cost"] == pytest.approx(20)
    assert costs.loc["halt", "cost"] == pytest.approx(422)
    assert costs.loc["halt", "cost_change"] == pytest.approx(402)
    assert costs.loc["halt", "purchase_cost"] == pytest.approx(2)
    assert costs.loc["halt", "shortage_penalty"] == pytest.approx(400)
    assert costs.loc["halt", "shortfall_change"] == pytest.approx(4)
    assert costs.loc["base", ["cost_change", *COST_PARTS]].abs().max() == 0
    shortfall = comparison.shortfall.set_index(["scenario", "commodity"])
    assert shortfall.loc[("halt", "k"), "shortfall"] == pytest.approx(4)
    assert shortfall.loc[("halt", "k"), "reference_shortfall"] == pytest.approx(0)
    assert shortfall.loc[("halt", "k"), "unit"] == "t"
    volumes = comparison.volumes.set_index("route")
    assert volumes.loc["A route", "quantity"] == pytest.approx(10)
    assert volumes.loc["A route", "reference_quantity"] == pytest.approx(20)
    assert volumes.loc["A route", "change_share"] == pytest.approx(-0.5)
    assert volumes.loc["B route", "change"] == pytest.approx(6)
    assert math.isnan(volumes.loc["B route", "change_share"])
    assert list(volumes.index) == ["A route", "B route"]  # the biggest change first
    assert comparison.lowest.empty  # no stock anywhere
    # The written sheet says the same, right after Scenarios.
    names = load_workbook(outcome.output_path, read_only=True).sheetnames
    assert names[names.index("Scenarios") + 1] == "Scenario comparison"
    written = sheet_tables(outcome.output_path, "Scenario comparison")
    assert len(written) == 3  # costs, shortfall, volumes; the stock table is one line
    assert written[0].set_index("scenario").loc["halt", "cost_change"] == pytest.approx(402)
    assert written[2].set_index("route").loc["A route", "change_share"] == pytest.approx(-0.5)


@pytest.mark.slow
def test_one_scenario_is_said_in_one_line(tmp_path):
    outcome = solve(tmp_path, one_commodity(2, 10, [["A", 100, 1]]), "single")
    assert compare_scenarios(outcome.result, outcome.plan) is None
    ws = load_workbook(outcome.output_path, read_only=True)["Scenario comparison"]
    cells = [c.value for row in ws.rows for c in row if c.value is not None]
    assert len(cells) == 1 and cells[0].startswith("The plan has one scenario (base)")


@pytest.mark.slow
def test_the_example_comparison_matches_its_scenarios_and_stockpile_sheets():
    outcome = example_outcome()
    plan, result = outcome.plan, outcome.result
    tables = read_plan(outcome.output_path)
    reference = reference_scenario(plan)
    assert reference == "base"
    scenarios = tables["Scenarios"].set_index("scenario")
    costs, shortfall, volumes, lowest = sheet_tables(outcome.output_path,
                                                     "Scenario comparison")
    costs = costs.set_index("scenario")
    assert list(costs.index) == list(scenarios.index)
    for name in scenarios.index:
        difference = scenarios.loc[name, "cost"] - scenarios.loc[reference, "cost"]
        assert costs.loc[name, "cost_change"] == pytest.approx(difference, rel=1e-12, abs=1e-6)
        for part in COST_PARTS:
            assert costs.loc[name, part] == pytest.approx(
                scenarios.loc[name, part] - scenarios.loc[reference, part], rel=1e-12,
                abs=1e-6)
        # t and kt are not added: the all-commodity shortfall and its change are blank, the
        # Scenarios sheet has one shortfall column per commodity instead.
        assert costs.loc[name, ["shortfall", "shortfall_change"]].isna().all()
        assert scenarios.loc[name, ["shortfall"]].isna().all()
        assert scenarios.loc[name, "shortfall: Dy oxide"] >= 0
    # Sakhalin-2 halt costs more than base, and the export ban leaves more Dy unmet.
    assert costs.loc["Sakhalin-2 halt", "cost_change"] > 0
    ban = shortfall.set_index(["scenario", "commodity"]).loc[("Heavy RE export ban",
                                                              "Dy oxide")]
    assert ban["change"] == pytest.approx(ban["shortfall"] - ban["reference_shortfall"])
    assert ban["change"] > 0
    # Volumes: each route's change is its Orders total in the scenario minus base's.
    orders = tables["Orders"].groupby(["scenario", "route"])["quantity"].sum()
    for row in volumes.itertuples(index=False):
        mine = orders.get((row.scenario, row.route), 0.0)
        theirs = orders.get((reference, row.route), 0.0)
        assert row.quantity == pytest.approx(mine, abs=1e-9)
        assert row.change == pytest.approx(mine - theirs, abs=1e-9)
        assert abs(row.change) > 1e-6
    # Lowest stock: the Stockpile sheet's minimum closing stock, and when it first comes.
    stock = tables["Stockpile"]
    for row in lowest.itertuples(index=False):
        mine = stock[(stock.scenario == row.scenario) & (stock.commodity == row.commodity)
                     & (stock.region == row.region)]
        assert row.lowest_stock == pytest.approx(mine["closing"].min(), abs=1e-9)
        assert row.period == mine.loc[mine["closing"].idxmin(), "period"]
        assert row.periods_empty == int((mine["closing"] <= 1e-6).sum())
    assert 0 < len(lowest) <= (len(plan.scenarios) - 1) * stock.groupby(
        ["commodity", "region"]).ngroups
    assert result.scenarios["scenario"].tolist() == list(plan.scenarios)
