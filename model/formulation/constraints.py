"""One function per constraint family of model.md, each named after it.

Notation of model.md; decisions are indexed by a node `n` of the scenario tree instead of a
(period, scenario) pair (see `index.py`); `anc(n, t')` is the node on the same path in period
`t'`. Balances are written `sources == uses` and capacities `use <= limit`, so the duals carry
the sign a planner expects (HiGHS reports d objective / d right-hand side).
"""

from __future__ import annotations

from typing import Any

import pyomo.core as pyo

from model.formulation.index import ModelIndex
from model.formulation.linear import linear, minus, plus, times


def stock_balance_rhs(demand: Any, pipeline: Any, initial: Any) -> Any:
    """Right-hand side of the stock balance (1) once the known terms are moved across:
    D[t] e[n] - Q b[n] - I[0] (I[0] only at a first-period node, else 0). Floats or arrays: the
    formulation and the re-solvable single-scenario LP (analyses/scenario_lp.py) both use it."""
    return demand - pipeline - initial


def add_stock_balance(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """(1) Stock balance, each commodity k, region g, node n (period t):

        I[n-1] + sum_{r into g, t-L_r >= 1} x[r, anc(n, t-L_r)] + sum_{r into g} Q[r,t] b[r,n]
               + sum_{f into g, t-L_f >= 1} y[f, anc(n, t-L_f)] - sum_{f out of g} y[f, n]
               + u[n]  =  D[t] e[n] + I[n]

    with I[0] = initial_stock; the pipeline term Q b is a constant. Units: the commodity's unit
    per period. Dual: money per unit; summed over the nodes of a period it is
    `Prices.marginal_cost`, the expected cost of one more unit of demand in (k, g, t).
    """
    plan, tree = ix.plan, ix.tree
    initial = {key: plan.stockpile(*key).initial_stock for key in ix.pairs}
    x, y = dict(m.order.items()), dict(m.transfer.items())
    stock, unmet = dict(m.stock.items()), dict(m.unmet.items())
    parent = [node.parent for node in tree.nodes]

    @m.Constraint(m.STOCK, doc="stock balance (1): arrivals + stock in = demand + stock out")
    def stock_balance(m, k, g, n):
        before = parent[n]
        previous = [stock[k, g, before]] if before is not None else []
        arrivals = [x[r, sent] for r, lead in ix.arrivals[(k, g)]
                    if (sent := tree.sent_from(n, lead)) is not None]
        moved_in = [y[f, sent] for f, lead in ix.transfers_in[(k, g)]
                    if (sent := tree.sent_from(n, lead)) is not None]
        moved_out = [y[f, n] for f in ix.transfers_out[(k, g)]]
        rhs = stock_balance_rhs(ix.demand[(k, g, n)], ix.pipeline.get((k, g, n), 0.0),
                                initial[(k, g)] if before is None else 0.0)
        return linear(plus(previous), plus(arrivals), plus(moved_in), minus(moved_out),
                      plus([unmet[k, g, n]]), minus([stock[k, g, n]])) == rhs


def add_supplier_capacity(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """(2) Supplier capacity, each supplier s and node n (period t) where s can be ordered from:

        sum_{r of s} x[r, n] <= (C[s,t] + sum_{j at s, t >= first_j} z[j]) * a[s, n]

    C[s,t] is 0 outside the availability window. Units: the commodity's unit per period.
    Dual: money per unit of capacity (<= 0: more capacity lowers cost).
    """
    plan = ix.plan
    x, z = dict(m.order.items()), dict(m.build.items())

    @m.Constraint(list(ix.capacity), doc="supplier capacity (2)")
    def supplier_capacity(m, s, n):
        t = ix.t(n)
        a = ix.supply_factor[(s, n)]
        built = [z[j] for j in ix.projects_of_supplier[s] if t >= plan.projects[j].first_period]
        supply = [x[key] for key in ix.orders_of_supplier[(s, n)]]
        return linear(plus(supply), times(-a, built if a > 0 else [])) <= ix.capacity[(s, n)]


def add_take_or_pay(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """(4) Take-or-pay, each supplier s and node n with t inside its window:

        sum_{r of s} x[r, n] >= min_take_s * a[s, n] * max_{r of s, t + L_r <= N} b[r, n]

    Force majeure: the obligation shrinks with the supplier's capacity and with the most open
    of its routes that can still deliver within the horizon; rows whose right-hand side is 0
    are not written. Units: the commodity's unit per period. Dual: money per unit (>= 0 when it
    forces a buy).
    """
    x = dict(m.order.items())

    @m.Constraint(list(ix.take_or_pay), doc="take-or-pay (4)")
    def take_or_pay(m, s, n):
        supply = [x[key] for key in ix.orders_of_supplier[(s, n)]]
        return linear(plus(supply)) >= ix.take_or_pay[(s, n)]


def add_stock_target(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """(6) Soft stock target, each k, g, node n with a positive target:

        I[k, g, n] + v[k, g, n] >= max(target_stock, target_days * D[t] * e[n] / dpp)

    Units: the commodity's unit. Dual: money per unit of target (>= 0: the target penalty while
    the stock sits below it, the holding cost it takes to keep it otherwise).
    """
    stock, below = dict(m.stock.items()), dict(m.below_target.items())

    @m.Constraint(m.TARGETS, doc="stock target (6)")
    def stock_target(m, k, g, n):
        key = (k, g, n)
        return linear(plus([stock[key], below[key]])) >= ix.target[key]


def add_end_stock(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """(7b) End of horizon, each k, g with an end_stock E and each node n of period N:

        I[k, g, n] + vE[k, g, n] >= E_k,g

    vE costs d_N * shortage_penalty_k per unit (objective). Units: the commodity's unit.
    Dual: money per unit of end stock (>= 0).
    """
    plan = ix.plan
    stock, short = dict(m.stock.items()), dict(m.end_shortfall.items())

    @m.Constraint(m.ENDS, doc="end stock (7b)")
    def end_stock(m, k, g, n):
        return linear(plus([stock[k, g, n], short[k, g, n]])) >= plan.stockpile(k, g).end_stock


def add_concentration(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """(8) Concentration, each limit, expansion of its `*`s (commodity k, value v), bound and
    window W of its basis, along the tree nodes the binding scenarios take in W:

        sum_{t in W} sum_{r in scope, r has v} x[r, n_t] <= m  * sum_{t in W} sum_{r in scope} x
        sum_{t in W} sum_{r in scope, r has v} x[r, n_t] >= m0 * sum_{t in W} sum_{r in scope} x

    Scope: routes of k into the limit's region (all regions for `*`). Written with the scope's
    total as its own variable, shared by every value of the expansion and by every limit over the
    same routes and window (the same feasible set, sparser, and no pair of totals forced equal):

        scope_supply[j] = sum_{t in W} sum_{r in scope} x[r, n_t]      (definition, per scope j)
        sum_{has} x - m * scope_supply[j] <= 0   (max)   and   >= 0 with m0 (min)

    `m` and `m0` are the mutable parameters `max_share[limit]` and `min_share[limit]`.
    Dual: mu <= 0 for a max row, >= 0 for a min row (money per unit); the objective falls by
    |mu| * supply for each unit the bound relaxes: `marginal_cost_per_point` =
    0.01 * |mu| * scope supply.
    """
    plan = ix.plan
    x = dict(m.order.items())
    maxima = [name for name, limit in plan.limits.items() if limit.max_share is not None]
    minima = [name for name, limit in plan.limits.items() if limit.min_share is not None]
    m.max_share = pyo.Param(maxima, mutable=True, doc="max_share m of each limit",
                            initialize={name: plan.limits[name].max_share for name in maxima})
    m.min_share = pyo.Param(minima, mutable=True, doc="min_share m0 of each limit",
                            initialize={name: plan.limits[name].min_share for name in minima})
    m.SCOPES = pyo.Set(initialize=range(len(ix.scopes)), doc="concentration scopes")
    m.scope_supply = pyo.Var(m.SCOPES, within=pyo.NonNegativeReals,
                             doc="total supply in a concentration limit's scope and window")

    @m.Constraint(m.SCOPES, doc="scope supply definition")
    def scope_supply_definition(m, j):
        return linear(plus([x[key] for key in ix.scopes[j]]),
                      minus([m.scope_supply[j]])) == 0

    share = {"max": {name: -m.max_share[name] for name in maxima},
             "min": {name: -m.min_share[name] for name in minima}}

    @m.Constraint(range(len(ix.concentration)), doc="concentration (8)")
    def concentration(m, i):
        row = ix.concentration[i]
        body = linear(plus([x[key] for key in row.has_orders]),
                      times(share[row.bound][row.limit], [m.scope_supply[row.scope]]))
        return body <= 0 if row.bound == "max" else body >= 0
