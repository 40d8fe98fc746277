"""The sign and meaning of each constraint family's dual (and of the reduced cost of the bounds
that stand for route capacity and storage), on tiny cases computed by hand.

HiGHS reports d objective / d right-hand side. Each dual is asserted three times: its sign, its
value from the hand calculation, and that value against a re-solve of the workbook with the
data behind the right-hand side moved by a small step (objective difference / step). The step is
always small enough that the optimal basis stays the same, so the difference is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from helpers import one_commodity, write_workbook

from model.inputs import load_plan
from model.pipeline import SolvedModel, solve_plan
from model.results.extract import PlanResult, SolutionReader, extract


@dataclass
class Case:
    solved: SolvedModel
    plan: SolutionReader
    result: PlanResult

    @property
    def objective(self) -> float:
        return self.solved.solution.objective

    def node(self, scenario: str, t: int) -> int:
        tree = self.solved.built.index.tree
        return tree.node_of[tree.scenario_names.index(scenario)][t - 1]

    def dual(self, family: str, key: Any) -> float:
        keys = self.solved.solver.lp.layout.rows[family].keys
        return float(self.plan.duals(family)[keys.index(key)])

    def reduced_cost(self, family: str, key: Any) -> float:
        block = self.solved.solver.lp.layout.columns[family]
        return float(self.solved.solution.col_dual[block.start + block.keys.index(key)])


_count = iter(range(10**6))


def planned(tmp_path, sheets: dict) -> Case:
    """Write, read and solve a workbook; the solution's duals and its result tables."""
    path = write_workbook(tmp_path / f"case{next(_count)}.xlsx", sheets)
    solved = solve_plan(load_plan(path), progress=lambda _: None)
    assert solved.solution.status == "optimal"
    assert solved.solution.row_dual is not None and solved.solution.has_basis
    return Case(solved, SolutionReader(solved.built, solved.solver.lp, solved.solution),
                extract(solved.built, solved.solver.lp, solved.solution))


def slope(tmp_path, sheets_at, at: float, step: float) -> float:
    """(objective(at + step) - objective(at)) / step, each from its own workbook."""
    low = planned(tmp_path, sheets_at(at)).objective
    high = planned(tmp_path, sheets_at(at + step)).objective
    return (high - low) / step


def prices(result: PlanResult) -> dict[str, float]:
    table = result.prices
    return dict(zip(table["period"], table["marginal_cost"], strict=True))


# --- (1) stock balance: Prices ------------------------------------------------------------

def diverging_sheets(demand2: float = 10.0, demand1: float = 10.0) -> dict:
    # Two months, demand 10 in each (month by month, so one month can be moved), no storage.
    # One supplier, capacity 100 at 1. Scenario `crisis` (p = 0.3) cuts it to 4% (capacity 4)
    # in month 2, so the scenarios share month 1 and diverge in month 2. Penalty 100.
    sheets = one_commodity(2, [demand1, demand2], [["only", 100, 1]])
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 0.7], ["crisis", 0.3]]
    sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period",
                              "end_period", "capacity_factor"],
                             ["crisis", "supplier", "only", "2027-02", "2027-02", 0.04]]
    return sheets


@pytest.mark.slow
def test_stock_balance_dual_summed_over_the_nodes_of_a_period_is_the_price(tmp_path):
    # Objective: month 1: 10 * 1 = 10 (both scenarios, one node).
    # Month 2: base buys 10 at 1 (0.7 * 10 = 7); crisis buys 4 and is 6 short
    # (0.3 * (4 + 600) = 181.2). Total 198.2.
    case = planned(tmp_path, diverging_sheets())
    assert case.objective == pytest.approx(198.2)
    # Duals (expected cost of one more unit at that node): month 1: 1 (bought at 1, p = 1);
    # month 2 base: 0.7 * 1 = 0.7; month 2 crisis: one more unit is short: 0.3 * 100 = 30.
    assert case.node("base", 1) == case.node("crisis", 1)
    assert case.node("base", 2) != case.node("crisis", 2)
    balance = {(w, t): case.dual("stock_balance", ("k", "home", case.node(w, t)))
               for w in ("base", "crisis") for t in (1, 2)}
    assert balance == pytest.approx({("base", 1): 1.0, ("crisis", 1): 1.0,
                                     ("base", 2): 0.7, ("crisis", 2): 30.0})
    # Prices: the sum over the period's nodes: month 1: 1; month 2: 0.7 + 30 = 30.7 (neither
    # node alone: 0.7 or 30).
    assert prices(case.result) == pytest.approx({"2027-01": 1.0, "2027-02": 30.7})
    # Meaning: one more unit of month-2 demand in every scenario costs 30.7 more expected cost;
    # of month-1 demand 1 more.
    assert slope(tmp_path, lambda d: diverging_sheets(demand2=d), 10, 0.5) == \
        pytest.approx(30.7)
    assert slope(tmp_path, lambda d: diverging_sheets(demand1=d), 10, 0.5) == \
        pytest.approx(1.0)


# --- (2) supplier capacity ---------------------------------------------------------------

def capacity_sheets(cheap: float) -> dict:
    # Demand 10; `cheap` (1) sells at most 4, `dear` (3) 100.
    return one_commodity(1, 10, [["cheap", cheap, 1], ["dear", 100, 3]])


@pytest.mark.slow
def test_supplier_capacity_dual_is_what_one_more_unit_of_capacity_saves(tmp_path):
    # 4 * 1 + 6 * 3 = 22. One more unit of cheap capacity replaces a dear unit: -(3 - 1) = -2
    # (<= 0: more capacity lowers the cost). The dear supplier's row is slack: 0.
    case = planned(tmp_path, capacity_sheets(4))
    assert case.objective == pytest.approx(22)
    assert case.dual("supplier_capacity", ("cheap", 0)) == pytest.approx(-2)
    assert case.dual("supplier_capacity", ("dear", 0)) == pytest.approx(0, abs=1e-9)
    # Re-solve with capacity 4.5: 4.5 + 5.5 * 3 = 21: slope -2.
    assert slope(tmp_path, capacity_sheets, 4, 0.5) == pytest.approx(-2)
    # The marginal unit of demand is bought from the dear supplier: price 3.
    assert prices(case.result) == pytest.approx({"2027-01": 3})


# --- (4) take-or-pay ---------------------------------------------------------------------

def take_or_pay_sheets(min_take: float) -> dict:
    # Demand 10, no storage. `cheap` (1, capacity 100); `dear` (5, capacity 10) must be taken
    # at `min_take` a month.
    sheets = one_commodity(1, 10, [["cheap", 100, 1], ["dear", 10, 5]])
    sheets["Suppliers"][0].append("min_take")
    sheets["Suppliers"][1].append(0)
    sheets["Suppliers"][2].append(min_take)
    return sheets


@pytest.mark.slow
def test_take_or_pay_dual_is_what_one_more_unit_of_obligation_costs(tmp_path):
    # 3 * 5 + 7 * 1 = 22. One more unit of obligation replaces a cheap unit by a dear one:
    # 5 - 1 = 4 (>= 0). Re-solve with min_take 3.5: 17.5 + 6.5 = 24: slope 4.
    case = planned(tmp_path, take_or_pay_sheets(3))
    assert case.objective == pytest.approx(22)
    assert case.dual("take_or_pay", ("dear", 0)) == pytest.approx(4)
    assert slope(tmp_path, take_or_pay_sheets, 3, 0.5) == pytest.approx(4)
    assert prices(case.result) == pytest.approx({"2027-01": 1})


# --- (6) stock target --------------------------------------------------------------------

def target_sheets(target: float, penalty: float) -> dict:
    # Demand 73 bought at 10, holding 1 a unit, a target of `target` units (target_stock).
    sheets = one_commodity(1, 73, [["s", 1000, 10]])
    sheets["Commodities"] = [["commodity", "unit", "shortage_penalty", "target_penalty"],
                             ["k", "t", 100, penalty]]
    sheets["Stockpiles"] = [["commodity", "region", "target_stock", "holding_cost"],
                            ["k", "home", target, 1]]
    return sheets


@pytest.mark.parametrize(("penalty", "objective", "dual"), [
    # Holding a unit of target costs 10 + 1 = 11.
    (3, 73 * 10 + 72 * 3, 3),           # penalty 3 < 11: stay below: one more unit costs 3
    (20, (73 + 72) * 10 + 72 * 1, 11),  # penalty 20 > 11: hold it: one more unit costs 11
])
@pytest.mark.slow
def test_stock_target_dual_is_the_cheaper_of_penalty_and_holding(tmp_path, penalty, objective,
                                                                  dual):
    case = planned(tmp_path, target_sheets(72, penalty))
    assert case.objective == pytest.approx(objective)
    assert case.dual("stock_target", ("k", "home", 0)) == pytest.approx(dual)
    assert case.dual("stock_target", ("k", "home", 0)) >= 0
    assert slope(tmp_path, lambda x: target_sheets(x, penalty), 72, 0.5) == pytest.approx(dual)


# --- (7b) end stock ----------------------------------------------------------------------

def end_sheets(end_stock: float) -> dict:
    # Demand 10 bought at 2, holding 1, `end_stock` wanted at the end, storage unlimited.
    sheets = one_commodity(1, 10, [["s", 1000, 2]])
    sheets["Stockpiles"] = [["commodity", "region", "holding_cost", "end_stock"],
                            ["k", "home", 1, end_stock]]
    return sheets


def test_end_stock_dual_is_what_one_more_unit_at_the_end_costs(tmp_path):
    # Buy 15, hold 5: 15 * 2 + 5 * 1 = 35. One more unit of end stock: bought (2) and held (1):
    # 3 (>= 0). Re-solve with end_stock 5.5: 36.5: slope 3.
    case = planned(tmp_path, end_sheets(5))
    assert case.objective == pytest.approx(35)
    assert case.dual("end_stock", ("k", "home", 0)) == pytest.approx(3)
    assert slope(tmp_path, end_sheets, 5, 0.5) == pytest.approx(3)


# --- (8) concentration -------------------------------------------------------------------

def hormuz_sheets(max_share: float) -> dict:
    # Demand 100; Qatar (1) ships through Hormuz, Oman (2) does not; Hormuz <= max_share.
    sheets = one_commodity(1, 100, [["Qatar", 1000, 1], ["Oman", 1000, 2]],
                           routes=[["route", "supplier", "region", "chokepoints"],
                                   ["via Hormuz", "Qatar", "home", "Hormuz"],
                                   ["direct", "Oman", "home", None]])
    sheets["Concentration"] = [["limit", "commodity", "attribute", "value", "max_share"],
                               ["Hormuz", "k", "chokepoint", "Hormuz", max_share]]
    return sheets


def test_concentration_max_dual_and_marginal_cost_per_point(tmp_path):
    # Hormuz <= 25%: 25 * 1 + 75 * 2 = 175. The row `Hormuz supply - 0.25 * scope <= 0`: one
    # unit more on its right-hand side lets one unit move from Oman to Qatar: -1 (<= 0).
    case = planned(tmp_path, hormuz_sheets(0.25))
    assert case.objective == pytest.approx(175)
    assert case.dual("concentration", 0) == pytest.approx(-1)
    # A point (0.01) more share frees 0.01 * 100 = 1 unit: the objective falls by 1.
    table = case.result.concentration
    assert len(table) == 1 and bool(table.loc[0, "binding"])
    assert table.loc[0, "marginal_cost_per_point"] == pytest.approx(1.0)
    assert table.loc[0, "supply"] == pytest.approx(100)
    fall = case.objective - planned(tmp_path, hormuz_sheets(0.26)).objective
    assert fall == pytest.approx(table.loc[0, "marginal_cost_per_point"])


def floor_sheets(min_share: float) -> dict:
    # Demand 100; A (1), B (3); B at least min_share of supply.
    sheets = one_commodity(1, 100, [["A", 1000, 1], ["B", 1000, 3]])
    sheets["Concentration"] = [["limit", "commodity", "attribute", "value", "min_share"],
                               ["B floor", "k", "supplier", "B", min_share]]
    return sheets


def test_concentration_min_dual_and_marginal_cost_per_point(tmp_path):
    # B >= 30%: 70 * 1 + 30 * 3 = 160. The row `B supply - 0.3 * scope >= 0`: one unit more on
    # its right-hand side moves one unit from A to B: +2 (>= 0).
    case = planned(tmp_path, floor_sheets(0.3))
    assert case.objective == pytest.approx(160)
    assert case.dual("concentration", 0) == pytest.approx(2)
    # min_share one point lower (29%): 71 + 87 = 158: the objective falls by 2 = 0.01 * 2 * 100.
    table = case.result.concentration
    assert len(table) == 1 and bool(table.loc[0, "binding"])
    assert table.loc[0, "marginal_cost_per_point"] == pytest.approx(2.0)
    fall = case.objective - planned(tmp_path, floor_sheets(0.29)).objective
    assert fall == pytest.approx(2.0)


def split_sheets(max_share: float) -> dict:
    # Two months, demand 10 a month, no storage. China (1) and Australia (3), capacity 100
    # each; China <= max_share of each month's supply. `surge` (p = 0.2) raises month-2 demand
    # by half; `base` has p = 0.8. Month 1 is one node for both scenarios.
    sheets = one_commodity(2, [10, 10], [["China", 100, 1], ["Australia", 100, 3]])
    sheets["Scenarios"] = [["scenario", "probability"], ["base", 0.8], ["surge", 0.2]]
    sheets["Disruptions"] = [["scenario", "target_type", "target", "start_period",
                              "end_period", "demand_factor"],
                             ["surge", "demand", "k", "2027-02", "2027-02", 1.5]]
    sheets["Concentration"] = [["limit", "commodity", "attribute", "value", "max_share",
                                "basis"],
                               ["China cap", "k", "origin_country", "China", max_share,
                                "period"]]
    return sheets


def test_concentration_worth_of_a_shared_row_is_split_by_probability(tmp_path):
    # Month 1 (p = 1): China 5, Australia 5: 20. Month 2 base: 5 + 15 = 20, times 0.8 = 16;
    # surge (demand 15): 7.5 + 22.5 = 30, times 0.2 = 6. Objective 42.
    case = planned(tmp_path, split_sheets(0.5))
    assert case.objective == pytest.approx(42)
    # Duals: month 1 row: -(3 - 1) * 1 = -2; month 2: -2 * 0.8 = -1.6 (base), -2 * 0.2 = -0.4
    # (surge). Worth of a point: 0.01 * |dual| * supply: month 1 0.01 * 2 * 10 = 0.2, shared by
    # both scenarios and split 0.8 : 0.2 -> base 0.16, surge 0.04; month 2 base
    # 0.01 * 1.6 * 10 = 0.16; surge 0.01 * 0.4 * 15 = 0.06.
    assert sorted(case.plan.duals("concentration").tolist()) == pytest.approx([-2, -1.6, -0.4])
    table = case.result.concentration
    worth = {(row.scenario, row.period): row.marginal_cost_per_point
             for row in table.itertuples(index=False)}
    assert worth == pytest.approx({("base", "2027-01"): 0.16, ("surge", "2027-01"): 0.04,
                                   ("base", "2027-02"): 0.16, ("surge", "2027-02"): 0.06})
    assert table["binding"].astype(bool).all()
    # The shared row's scenario rows add up to the whole.
    month1 = table[table.period == "2027-01"]
    assert month1["marginal_cost_per_point"].sum() == pytest.approx(0.2)
    # Meaning: with max_share one point higher (51%) the objective falls by the sum,
    # 0.2 + 0.16 + 0.06 = 0.42 (month 1: 5.1 + 14.7 = 19.8; base: 0.8 * 19.8; surge:
    # 0.2 * (7.65 + 22.05) = 5.94; 19.8 + 15.84 + 5.94 = 41.58).
    higher = planned(tmp_path, split_sheets(0.51)).objective
    assert higher == pytest.approx(41.58)
    assert case.objective - higher == pytest.approx(table["marginal_cost_per_point"].sum())


# --- (3) route capacity and (5) storage: bounds, read as reduced costs ---------------------

def route_sheets(narrow: float) -> dict:
    # The cheap supplier (1) can sell 100 but its route carries `narrow`; dear (3). Demand 10.
    return one_commodity(1, 10, [["cheap", 100, 1], ["dear", 100, 3]],
                         routes=[["route", "supplier", "region", "capacity"],
                                 ["narrow", "cheap", "home", narrow],
                                 ["wide", "dear", "home", None]])


@pytest.mark.slow
def test_route_capacity_reduced_cost(tmp_path):
    # 4 * 1 + 6 * 3 = 22. The order on `narrow` sits at its bound 4: one more unit of route
    # capacity replaces a dear unit: reduced cost 1 - 3 = -2. Re-solve with 4.5: 21.
    case = planned(tmp_path, route_sheets(4))
    assert case.objective == pytest.approx(22)
    assert case.reduced_cost("order", ("narrow", 0)) == pytest.approx(-2)
    assert case.reduced_cost("order", ("wide", 0)) == pytest.approx(0, abs=1e-9)
    assert slope(tmp_path, route_sheets, 4, 0.5) == pytest.approx(-2)


def storage_sheets(capacity: float) -> dict:
    # The only supplier (1) sells in month 1 only; demand 10 a month, storage `capacity`,
    # penalty 50, no holding cost.
    sheets = one_commodity(2, 10, [["once", 100, 1]], penalty=50, stock=[0, capacity, 0])
    sheets["Suppliers"][0].append("available_to")
    sheets["Suppliers"][1].append("2027-01")
    return sheets


def test_storage_bound_reduced_cost(tmp_path):
    # Buy 14 in month 1, hold 4, month 2 is 6 short: 14 + 300 = 314. One more unit of storage:
    # buy one more in month 1 (1) and be one less short (-50): reduced cost of the month-1
    # stock at its bound: 1 - 50 = -49. Re-solve with storage 4.5: 314 - 24.5 = 289.5.
    case = planned(tmp_path, storage_sheets(4))
    assert case.objective == pytest.approx(314)
    assert case.reduced_cost("stock", ("k", "home", 0)) == pytest.approx(-49)
    assert slope(tmp_path, storage_sheets, 4, 0.5) == pytest.approx(-49)
    # Prices: month 1 bought at 1; month 2 short at 50.
    assert prices(case.result) == pytest.approx({"2027-01": 1, "2027-02": 50})



def test_sensitivity_names_the_largest_capacity_and_the_mean_unit_cost(tmp_path):
    # Two periods; cheap (unit cost 1) can sell 4 in period 1 and 6 in period 2 (SupplierPeriods,
    # unit cost 2 there), dear (3) 100; demand 10 a period. cheap's row binds in both periods,
    # so it is a binding capacity, and it is used: its rows carry the largest capacity (6) and
    # the mean unit cost ((1 + 2) / 2 = 1.5), each in its own column, the other one blank.
    from model.analyses.sensitivity import insight

    sheets = one_commodity(2, 10, [["cheap", 4, 1], ["dear", 100, 3]],
                           SupplierPeriods=[["supplier", "period", "capacity", "unit_cost"],
                                            ["cheap", "2027-02", 6, 2]])
    case = planned(tmp_path, sheets)
    solved = case.solved
    _, table, _ = insight(solved.built, solved.solver, solved.solution, case.result.prices, 5.0)
    assert "current" not in table.columns
    capacity = table[(table["kind"] == "supplier capacity") & (table["name"] == "cheap")]
    assert capacity["largest_capacity"].tolist() == [6]
    assert capacity["price"].isna().all()
    price = table[(table["kind"] == "price of a supplier used") & (table["name"] == "cheap")]
    assert price["price"].tolist() == [pytest.approx(1.5)]
    assert price["largest_capacity"].isna().all()


def test_sensitivity_moves_a_price_along_the_objective_and_cvar_rows_the_lp_has(tmp_path):
    # With CVaR and discounting, one unit more on a supplier's price must change exactly the
    # coefficients the objective wrote: the order column's cost by (1 - lambda) P d and its
    # node-cost row entry by -d. With freight 0 and no cost factors, both are the LP's own
    # coefficients divided by the unit cost (4).
    from model.analyses.sensitivity import price_direction

    sheets = one_commodity(2, 10, [["only", 100, 4]])
    sheets["Settings"] = sheets["Settings"] + [["risk_weight", 0.4], ["cvar_level", 0.5],
                                               ["discount_rate", 0.2]]
    solved = planned(tmp_path, sheets).solved
    lp = solved.solver.lp
    direction, cols, _ = price_direction(solved.built, lp, "only")
    assert cols.size == 2 and len(direction.entries) == 2
    assert lp.cost[cols] / 4 == pytest.approx(direction.cost_rate)
    # Period 1: (1 - 0.4) * 1 * 1 = 0.6; period 2 is discounted, so less.
    assert direction.cost_rate[0] == pytest.approx(0.6)
    assert 0 < direction.cost_rate[1] < 0.6
    for row, col, rate in direction.entries:
        column = lp.index[lp.start[col]:lp.start[col + 1]].tolist()
        value = lp.value[lp.start[col]:lp.start[col + 1]][column.index(row)]
        assert value / 4 == pytest.approx(rate)
