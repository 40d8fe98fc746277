"""Result tables of money and obligations (docs/model.md section 15): the stock floors with
their duals, the budgets with their spend and duals, and the periods a stock sits below its
soft target. Figures are read from the solution and the duals of the `stock_floor` and `budget`
rows: a dual is a rate (exact for a small change, valid while the optimal basis holds)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from model.domain.tolerances import BINDS, DUAL_ZERO, NOTHING


def floor_table(solved: Any) -> pd.DataFrame:
    """One row per stock-floor row: commodity, region, period, the scenarios of its node, the
    floor, the closing stock, and the dual (money per unit, present value, probability-weighted:
    what one more unit of obligation at that node costs)."""
    ix = solved.ix
    columns = ["commodity", "region", "period", "scenarios", "floor", "closing", "rate", "row"]
    if not ix.floor:
        return pd.DataFrame(columns=columns)
    stock_index = {key: i for i, key in enumerate(ix.stock_index)}
    closing = solved.values("stock")
    duals = solved.duals("stock_floor")
    calendar = ix.plan.settings.calendar
    tree = ix.tree
    records = []
    for (k, g, n), dual in zip(ix.floor, duals.tolist(), strict=True):
        node = tree.nodes[n]
        records.append([k, g, calendar.label(node.t),
                        ", ".join(tree.scenario_names[w] for w in node.scenarios),
                        ix.floor[(k, g, n)], float(closing[stock_index[(k, g, n)]]), dual,
                        ix.plan.stockpiles[(k, g)].row])
    return pd.DataFrame(records, columns=columns)


def binding_obligations(floors: pd.DataFrame, tolerance: float = BINDS) -> pd.DataFrame:
    """Per stockpile with a binding floor: in how many of its periods it binds (dual nonzero or
    the stock at the floor) and the sum of its duals: the rate at which the objective rises if
    the obligation rises by one unit in every period and scenario where it binds."""
    columns = ["commodity", "region", "row", "binding", "periods", "rate"]
    if floors is None or not len(floors):
        return pd.DataFrame(columns=columns)
    table = floors.assign(binds=(floors["rate"].abs() > DUAL_ZERO)
                          | (floors["closing"] - floors["floor"]
                             <= tolerance * np.maximum(1.0, floors["floor"])))
    grouped = table.groupby(["commodity", "region", "row"], sort=False)
    found = pd.DataFrame({
        "binding": table[table["binds"]].groupby(["commodity", "region", "row"],
                                                 sort=False)["period"].nunique(),
        "periods": grouped["period"].nunique(), "rate": grouped["rate"].sum()}).reset_index()
    found = found[found["binding"].fillna(0) > 0]
    found["binding"] = found["binding"].astype(int)
    return found.sort_values("rate", ascending=False, kind="stable")[columns]


def below_target(stockpile: pd.DataFrame) -> pd.DataFrame:
    """Every (commodity, region, period) in which some scenario's closing stock sits below its
    soft target: the scenarios where it does, the lowest closing stock, the target and the
    days of cover at that lowest stock, in the order of the Stockpile sheet."""
    columns = ["commodity", "region", "period", "scenarios", "closing", "target",
               "days_of_cover"]
    if stockpile is None or not len(stockpile):
        return pd.DataFrame(columns=columns)
    low = stockpile[stockpile["below_target"] > NOTHING]
    if not len(low):
        return pd.DataFrame(columns=columns)
    records = []
    for (k, g, period), rows in low.groupby(["commodity", "region", "period"], sort=False):
        lowest = rows.loc[rows["closing"].idxmin()]
        records.append([k, g, period, ", ".join(rows["scenario"].astype(str)),
                        float(lowest["closing"]), float(rows["target"].max()),
                        lowest["days_of_cover"]])
    found = pd.DataFrame(records, columns=columns)
    order = {label: i for i, label in enumerate(dict.fromkeys(stockpile["period"]))}
    found["position"] = found["period"].map(order)
    return found.sort_values(["commodity", "region", "position"], kind="stable")[
        columns].reset_index(drop=True)


def budget_table(solved: Any) -> pd.DataFrame:
    """One row per budget row (a Budgets row along one path of its plan year): the Budgets row,
    the plan year, commodity and region, the scenarios on the path, the spend (undiscounted),
    max_spend, and `saving_per_unit`: minus the dual, what one more unit of budget saves (money
    per money, present value, probability-weighted; a rate)."""
    ix = solved.ix
    columns = ["row", "year", "commodity", "region", "scenarios", "spend", "max_spend",
               "saving_per_unit"]
    if not ix.budgets:
        return pd.DataFrame(columns=columns)
    plan = ix.plan
    block = solved.lp.layout.columns["order"]
    position = {key: block.start + i for i, key in enumerate(ix.order_keys)}
    x = solved.x
    duals = solved.duals("budget")
    label = plan.settings.calendar.label
    tree = ix.tree
    records = []
    for row, dual in zip(ix.budgets, duals.tolist(), strict=True):
        budget = plan.budgets[row.budget]
        spend = float(sum(c * x[position[key]] for c, key in zip(row.spend, row.orders,
                                                                  strict=True)))
        records.append([budget.row, label(budget.periods[0]), budget.commodity, budget.region,
                        ", ".join(tree.scenario_names[w] for w in row.scenarios), spend,
                        budget.max_spend, -dual + 0.0])
    return pd.DataFrame(records, columns=columns)


def binding_budgets(budgets: pd.DataFrame, tolerance: float = BINDS) -> pd.DataFrame:
    """Per Budgets row that binds on some path: on how many of its paths, and the sum of the
    savings: the rate at which the expected objective falls per unit more max_spend."""
    columns = ["row", "year", "commodity", "region", "binding", "paths", "saving_per_unit"]
    if budgets is None or not len(budgets):
        return pd.DataFrame(columns=columns)
    table = budgets.assign(binds=(budgets["saving_per_unit"].abs() > DUAL_ZERO)
                           | (budgets["max_spend"] - budgets["spend"]
                              <= tolerance * np.maximum(1.0, budgets["max_spend"])))
    keys = ["row", "year", "commodity", "region"]
    grouped = table.groupby(keys, sort=False)
    found = pd.DataFrame({
        "binding": table[table["binds"]].groupby(keys, sort=False)["scenarios"].count(),
        "paths": grouped["scenarios"].count(),
        "saving_per_unit": grouped["saving_per_unit"].sum()}).reset_index()
    found = found[found["binding"].fillna(0) > 0]
    found["binding"] = found["binding"].astype(int)
    return found.sort_values("saving_per_unit", ascending=False, kind="stable")[columns]
