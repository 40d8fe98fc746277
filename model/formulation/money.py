"""Constraint families of money and obligations (docs/model.md section 15), one function each,
named after the family, with the formula in its docstring (notation of model.md)."""

from __future__ import annotations

import pyomo.core as pyo

from model.formulation.index import ModelIndex
from model.formulation.linear import linear, plus


def add_money_and_obligations(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Every family of section 15 that the workbook uses (none: nothing is added)."""
    if ix.floor:
        add_stock_floor(m, ix)
    if ix.budgets:
        add_budget(m, ix)


def add_stock_floor(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """(10) Stock floor (an obligation), each k, g with min_stock or min_days and each node n
    on the path of a scenario it binds in (floor_scenarios), where the floor is positive:

        I[k, g, n] >= F[k, g, n] = max(min_stock, min_days * D[t] * e[n] / dpp)

    A row, not a bound, so that it has a dual and a diagnosis can name it. Units: the
    commodity's unit. Dual >= 0 (money per unit, present value, probability-weighted): what
    one more unit of obligation at that node costs the plan.
    """
    stock = dict(m.stock.items())
    m.FLOORS = pyo.Set(initialize=list(ix.floor), dimen=3, ordered=True,
                       doc="(commodity, region, node) where an obligation binds")

    @m.Constraint(m.FLOORS, doc="stock floor (10)")
    def stock_floor(m, k, g, n):
        return linear(plus([stock[k, g, n]])) >= ix.floor[(k, g, n)]


def add_budget(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """(11) Budget, each Budgets row b and each path of nodes (n_t) through its plan year Y_b:

        sum_{t in Y_b} sum_{r in scope_b, t + L_r <= N}
            (unit_cost[s,t] cs[s,n_t] + freight_r cr[r,n_t]) x[r, n_t]  <=  max_spend_b

    Spend is undiscounted, in the planning currency, with the scenario's factors. Units: money.
    Dual <= 0 (money per money): minus it is what one more unit of budget on that path saves.
    """
    x = dict(m.order.items())
    m.BUDGETS = pyo.Set(initialize=range(len(ix.budgets)), doc="budget rows")

    @m.Constraint(m.BUDGETS, doc="budget (11)")
    def budget(m, i):
        row = ix.budgets[i]
        spend = [(c, x[key]) for c, key in zip(row.spend, row.orders, strict=True) if c]
        return linear(spend) <= ix.plan.budgets[row.budget].max_spend
