"""One function per constraint family of model.md, each named after it.

Notation of model.md; every decision is indexed by a node `n` of the scenario tree instead of a
(period, scenario) pair: `n` stands for all scenarios that cannot yet be told apart in period
`t(n)`, so non-anticipativity (9) holds by construction. `anc(n, t')` is the node on the same
path in period `t'`. Balances are written `sources == uses` and capacities `use <= limit` so the
duals carry the sign a planner expects (HiGHS reports d objective / d right-hand side).
"""

from __future__ import annotations

import pyomo.core as pyo

from .index import ModelIndex
from .linear import linear, minus, plus, times


def add_balance(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """(1) Stock balance, each commodity k, region g, node n (period t):

        I[n-1] + sum_{r into g, t-L_r >= 1} x[r, anc(n, t-L_r)]
               + sum_{f into g, t-L_f >= 1} y[f, anc(n, t-L_f)] - sum_{f out of g} y[f, n]
               + u[n]  =  D[t] * e[n] + I[n]

    with I[0] = initial_stock. Units: the commodity's unit per period.
    Dual: money per unit; summed over the nodes of a period it is `Prices.marginal_cost`, the
    expected cost of one more unit of demand in (k, g, t).
    """
    plan, tree = ix.plan, ix.tree
    initial = {key: plan.stockpile(*key).initial_stock for key in ix.stock_keys}
    x, y = dict(m.order.items()), dict(m.transfer.items())
    stock, unmet = dict(m.stock.items()), dict(m.unmet.items())

    @m.Constraint(m.STOCK, doc="stock balance (1): arrivals + stock in = demand + stock out")
    def stock_balance(m, k, g, n):
        node = tree.nodes[n]
        t = node.t
        previous = [stock[k, g, node.parent]] if node.parent is not None else []
        arrivals = [x[r, tree.ancestor(n, t - lead)] for r, lead in ix.arrivals[(k, g)]
                    if t - lead >= 1]
        moved_in = [y[f, tree.ancestor(n, t - lead)] for f, lead in ix.transfers_in[(k, g)]
                    if t - lead >= 1]
        moved_out = [y[f, n] for f in ix.transfers_out[(k, g)]]
        rhs = ix.demand[(k, g, n)] - (initial[(k, g)] if node.parent is None else 0.0)
        return linear(plus(previous), plus(arrivals), plus(moved_in), minus(moved_out),
                      plus([unmet[k, g, n]]), minus([stock[k, g, n]])) == rhs


def add_supplier_capacity(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """(2) Supplier capacity, each supplier s, node n (period t):

        sum_{r of s} x[r, n] <= (C[s,t] + sum_{j at s, t >= first_j} z[j]) * a[s, n]

    C[s,t] is 0 outside the availability window. Units: the commodity's unit per period.
    Dual: money per unit of capacity (<= 0: more capacity lowers cost).
    """
    plan = ix.plan
    rows = [(s, n) for s in plan.suppliers if ix.routes_of_supplier[s] for n in ix.nodes]
    x, z = dict(m.order.items()), dict(m.build.items())

    @m.Constraint(rows, doc="supplier capacity (2)")
    def supplier_capacity(m, s, n):
        t = ix.t(n)
        a = ix.supply_factor[(s, n)]
        built = [z[j] for j in ix.projects_of_supplier[s] if t >= plan.projects[j].first_period]
        supply = [x[r, n] for r in ix.routes_of_supplier[s]]
        capacity = plan.suppliers[s].capacity_per_period[t - 1] * a
        return linear(plus(supply), times(-a, built if a > 0 else [])) <= capacity


def add_route_capacity(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """(3) Route capacity, each route r, node n: x[r, n] <= Cr_r * b[r, n].

    Imposed as the upper bound of x. A route without a limit is bounded only where
    b[r, n] = 0 (then x[r, n] = 0). Units: the commodity's unit per period.
    """
    for key, upper in ix.order_upper.items():
        m.order[key].setub(upper)


def add_take_or_pay(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """(4) Take-or-pay, each supplier s and node n with t inside its window:

        sum_{r of s} x[r, n] >= min_take_s * a[s, n]

    Units: the commodity's unit per period. Dual: money per unit (>= 0 when it forces a buy).
    """
    plan = ix.plan
    rows = [(s, n) for s, supplier in plan.suppliers.items() if supplier.min_take > 0
            for n in ix.nodes
            if supplier.available(ix.t(n)) and supplier.min_take * ix.supply_factor[(s, n)] > 0]

    x = dict(m.order.items())

    @m.Constraint(rows, doc="take-or-pay (4)")
    def take_or_pay(m, s, n):
        supply = [x[r, n] for r in ix.routes_of_supplier[s]]
        return linear(plus(supply)) >= plan.suppliers[s].min_take * ix.supply_factor[(s, n)]


def add_storage(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """(5) Storage, each k, g, node n: I[k, g, n] <= capacity[k, g].

    Imposed as the upper bound of I; no Stockpiles row means capacity 0, a blank capacity
    means unlimited. Units: the commodity's unit.
    """
    plan = ix.plan
    for k, g in ix.stock_keys:
        capacity = plan.stockpile(k, g).capacity
        for n in ix.nodes:
            m.stock[k, g, n].setub(capacity)


def add_unmet_limit(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Unmet demand cannot exceed demand: u[k, g, n] <= D[t] * e[n] (an upper bound of u)."""
    for (k, g, n), demand in ix.demand.items():
        m.unmet[k, g, n].setub(demand)


def add_target(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """(6) Soft stock target, each k, g, node n with a positive target:

        I[k, g, n] + v[k, g, n] >= max(target_stock, target_days * D[t] * e[n] / dpp)

    Units: the commodity's unit. Dual: money per unit of target (the target penalty while the
    stock sits below it, the holding cost it takes to keep it otherwise).
    """
    stock, below = dict(m.stock.items()), dict(m.below_target.items())

    @m.Constraint(m.TARGETS, doc="stock target (6)")
    def stock_target(m, k, g, n):
        key = (k, g, n)
        return linear(plus([stock[key], below[key]])) >= ix.target[key]


def add_transfer_capacity(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """(7) Transfer capacity, each lane f and node n: y[f, n] <= capacity_f (an upper bound)."""
    for f, lane in enumerate(ix.plan.transfers):
        for n in ix.nodes:
            m.transfer[f, n].setub(lane.capacity)


def add_investment_limit(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Capacity built by project j: 0 <= z[j] <= max_capacity_j (an upper bound; blank is
    unlimited). One decision for all scenarios."""
    for name, project in ix.plan.projects.items():
        m.build[name].setub(project.max_capacity)


def add_concentration(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """(8) Concentration, each limit, expansion of its `*`s (commodity k, value v), and each
    node (basis `period`) or scenario path (basis `horizon`):

        sum_{r in scope, r has v} x[r, n] <= m * sum_{r in scope} x[r, n]

    summed over the path's nodes for `horizon`. Scope: routes of k into the limit's region (all
    regions for `*`). Written with the scope's total as its own variable, shared by every value
    of the expansion (an equivalent, sparser form):

        scope_supply[j] = sum_{r in scope} x[r, n]              (definition, per scope j)
        sum_{r in scope, r has v} x[r, n] - m * scope_supply[j] <= 0

    `m` is the mutable parameter `max_share[limit]`, so a sweep changes one coefficient per row.
    Dual mu <= 0 (money per unit); the objective falls by |mu| * supply for each unit `m`
    rises: `marginal_cost_per_point` = 0.01 * |mu| * sum_{scope} x.
    """
    x = dict(m.order.items())
    m.SCOPES = pyo.Set(initialize=range(len(ix.scopes)), doc="concentration scopes")
    m.scope_supply = pyo.Var(m.SCOPES, within=pyo.NonNegativeReals,
                             doc="total supply in a concentration limit's scope")

    @m.Constraint(m.SCOPES, doc="scope supply definition")
    def scope_supply_definition(m, j):
        return linear(plus([x[key] for key in ix.scopes[j]]),
                      minus([m.scope_supply[j]])) == 0

    share = {name: -m.max_share[name] for name in ix.plan.limits}

    @m.Constraint(list(range(len(ix.concentration))), doc="concentration (8)")
    def concentration(m, i):
        row = ix.concentration[i]
        return linear(plus([x[key] for key in row.has_orders]),
                      times(share[row.limit], [m.scope_supply[row.scope]])) <= 0


def add_non_anticipativity(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """(9) Non-anticipativity: scenarios w, w' with identical scenario data in periods 1..t
    take the same decisions in period t.

    Holds by construction: every decision of period t is indexed by the tree node shared by all
    such scenarios (`model.scenarios.build_tree`), so there is nothing to add. The tree is kept
    on the model for the record.
    """
    m.scenario_tree_nodes = pyo.Set(initialize=list(ix.nodes), doc="non-anticipativity (9)")
