"""Constraint families of money and obligations (docs/model.md section 15), one function each,
named after the family, with the formula in its docstring (notation of model.md)."""

from __future__ import annotations

import pyomo.core as pyo

from model.formulation.index import ModelIndex
from model.formulation.linear import linear, minus, plus


def add_money_and_obligations(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Every family of section 15 that the workbook uses (none: nothing is added)."""
    if ix.floor:
        add_stock_floor(m, ix)
    if ix.budgets:
        add_budget(m, ix)
    if ix.projects_of_stock:
        add_storage_capacity(m, ix)


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


def add_storage_capacity(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """(5') Storage with room that can be built, each k, g with a storage project and each
    node n (period t), instead of the bound (5):

        I[k, g, n] - sum_{j at (k, g), t >= first_j} z[j]  <=  capacity_k,g

    (0 without a Stockpiles row). Units: the commodity's unit. Dual <= 0 (money per unit of
    room at that node); at an optimum with 0 < z_j < max_capacity_j, capex_j equals minus
    the sum of the duals over the nodes of periods t >= first_j.
    """
    plan = ix.plan
    stock, z = dict(m.stock.items()), dict(m.build.items())
    keys = [(k, g, n) for (k, g) in ix.pairs if (k, g) in ix.projects_of_stock
            and plan.stockpile(k, g).capacity is not None for n in ix.nodes]
    m.ROOMS = pyo.Set(initialize=keys, dimen=3, ordered=True,
                      doc="(commodity, region, node) of stockpiles whose room can be built")

    @m.Constraint(m.ROOMS, doc="storage capacity (5')")
    def storage_capacity(m, k, g, n):
        built = [z[j] for j in ix.projects_of_stock[(k, g)]
                 if ix.t(n) >= plan.projects[j].first_period]
        return linear(plus([stock[k, g, n]]), minus(built)) <= plan.stockpile(k, g).capacity
