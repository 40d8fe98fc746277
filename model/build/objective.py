"""The objective of model.md: expected discounted cost blended with its CVaR.

    Cost_w = sum_j capex_j z[j] + sum_t d_t [ sum_r (unit_cost cs + freight cr) x[r,t]
             + sum_{k,g} (holding I + shortage_penalty u + target_penalty v) + sum_f cost_f y ]

    minimise (1 - lambda) sum_w p_w Cost_w + lambda (zeta + sum_w p_w eta[w] / (1 - beta))
    with eta[w] >= Cost_w - zeta, eta >= 0, zeta free.

With decisions on tree nodes, sum_w p_w Cost_w = capex z + sum_n P_n d_t(n) c_n . vars_n, where
P_n is the probability of the scenarios through node n.
"""

from __future__ import annotations

from typing import Any

import pyomo.core as pyo

from .index import ModelIndex
from .linear import linear, plus


def variable_lookup(m: pyo.ConcreteModel) -> dict[str, dict[Any, Any]]:
    """Plain dicts of the cost-bearing variables: far cheaper to index than Pyomo's."""
    return {name: dict(getattr(m, name).items())
            for name in ("order", "stock", "unmet", "below_target", "transfer")}


class NodeCosts:
    """Cost coefficients of each node's decisions, from constants computed once.

    `terms(n, scale)` lists (scale * d_t * cost, variable) for node n.
    """

    def __init__(self, m: pyo.ConcreteModel, ix: ModelIndex):
        plan = ix.plan
        self.ix = ix
        self.var = variable_lookup(m)
        self.stock_costs = []
        for k, g in ix.stock_keys:
            commodity = plan.commodities[k]
            self.stock_costs.append((k, g, plan.stockpile(k, g).holding_cost,
                                     commodity.shortage_penalty, commodity.target_penalty))
        self.lanes = [(f, lane.cost) for f, lane in enumerate(plan.transfers) if lane.cost]
        self.routes = list(plan.routes)

    def terms(self, n: int, scale: float = 1.0) -> list[tuple[float, Any]]:
        """(scale * discounted cost coefficient, variable) of the decisions at node n."""
        ix, var = self.ix, self.var
        order, stock, unmet = var["order"], var["stock"], var["unmet"]
        below, transfer = var["below_target"], var["transfer"]
        d = scale * ix.plan.settings.discount_factor(ix.t(n))
        unit_cost, freight_cost, target = ix.unit_cost, ix.freight_cost, ix.target
        terms: list[tuple[float, Any]] = []
        append = terms.append
        for r in self.routes:
            key = (r, n)
            price = unit_cost[key] + freight_cost[key]
            if price:
                append((d * price, order[key]))
        for k, g, holding, shortage, target_penalty in self.stock_costs:
            key = (k, g, n)
            if holding:
                append((d * holding, stock[key]))
            append((d * shortage, unmet[key]))
            if target_penalty and key in target:
                append((d * target_penalty, below[key]))
        for f, cost in self.lanes:
            append((d * cost, transfer[f, n]))
        return terms


def investment_terms(m: pyo.ConcreteModel, ix: ModelIndex) -> list[tuple[float, Any]]:
    """(capex, z[j]) of every project; not discounted, paid once in every scenario."""
    return [(p.capex, m.build[j]) for j, p in ix.plan.projects.items() if p.capex]


def add_objective(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Minimise (1 - lambda) E[Cost] + lambda CVaR_beta[Cost]; adds the CVaR rows when
    lambda > 0."""
    settings = ix.plan.settings
    risk_weight, beta = settings.risk_weight, settings.cvar_level
    costs = NodeCosts(m, ix)
    capex = investment_terms(m, ix)
    weight = max(0.0, 1.0 - risk_weight)
    expected: list[tuple[float, Any]] = []
    if weight > 0:
        for n in ix.nodes:  # probability and (1 - lambda) folded into each coefficient
            expected.extend(costs.terms(n, weight * ix.tree.nodes[n].probability))
        expected.extend((weight * c, v) for c, v in capex)
    if risk_weight <= 0:
        m.total_cost = pyo.Objective(expr=linear(expected), sense=pyo.minimize,
                                     doc="expected discounted cost")
        return

    m.NODES = pyo.Set(initialize=list(ix.nodes))
    m.SCENARIOS = pyo.Set(initialize=range(len(ix.tree.scenario_names)))
    m.node_cost = pyo.Var(m.NODES, doc="discounted cost of a node's period")
    m.cvar_threshold = pyo.Var(doc="zeta: value-at-risk threshold of CVaR")
    m.cost_excess = pyo.Var(m.SCENARIOS, within=pyo.NonNegativeReals,
                            doc="eta[w]: scenario cost above zeta")

    @m.Constraint(m.NODES, doc="node cost definition")
    def node_cost_definition(m, n):
        return linear(plus([m.node_cost[n]]), costs.terms(n, -1.0)) == 0

    @m.Constraint(m.SCENARIOS, doc="CVaR excess: eta[w] >= Cost_w - zeta")
    def cvar_excess(m, w):
        path_cost = ((-1.0, m.node_cost[n]) for n in ix.tree.path(w))
        return linear(plus([m.cost_excess[w], m.cvar_threshold]), path_cost,
                      ((-c, v) for c, v in capex)) >= 0

    cvar_terms = [(1.0, m.cvar_threshold)] + [
        (ix.tree.probabilities[w] / (1.0 - beta), m.cost_excess[w]) for w in m.SCENARIOS]
    objective = linear(expected, ((risk_weight * c, v) for c, v in cvar_terms))
    m.total_cost = pyo.Objective(expr=objective, sense=pyo.minimize,
                                 doc="(1 - lambda) expected cost + lambda CVaR")
