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


class NodeCosts:
    """Cost coefficients of each node's decisions, from constants computed once.

    `terms(n, scale)` lists (scale * d_t * cost, variable) for node n. Per node it keeps the
    decisions that carry a cost and their undiscounted costs, so a node's terms are one
    multiplication and one zip.
    """

    def __init__(self, m: pyo.ConcreteModel, ix: ModelIndex):
        plan = ix.plan
        self.ix = ix
        costs: dict[int, list[float]] = {n: [] for n in ix.nodes}
        variables: dict[int, list[Any]] = {n: [] for n in ix.nodes}
        for (r, n), var in m.order.items():
            price = ix.unit_cost[r, n] + ix.freight_cost[r, n]
            if price:
                costs[n].append(price)
                variables[n].append(var)
        holding = {key: plan.stockpile(*key).holding_cost for key in ix.stock_keys}
        for (k, g, n), var in m.stock.items():
            if holding[k, g]:
                costs[n].append(holding[k, g])
                variables[n].append(var)
        for (k, _g, n), var in m.unmet.items():
            costs[n].append(plan.commodities[k].shortage_penalty)
            variables[n].append(var)
        for (k, _g, n), var in m.below_target.items():
            if plan.commodities[k].target_penalty:
                costs[n].append(plan.commodities[k].target_penalty)
                variables[n].append(var)
        for (f, n), var in m.transfer.items():
            if plan.transfers[f].cost:
                costs[n].append(plan.transfers[f].cost)
                variables[n].append(var)
        self.costs, self.variables = costs, variables

    def terms(self, n: int, scale: float = 1.0) -> list[tuple[float, Any]]:
        """(scale * discounted cost coefficient, variable) of the decisions at node n."""
        d = scale * self.ix.plan.settings.discount_factor(self.ix.t(n))
        return list(zip([d * c for c in self.costs[n]], self.variables[n], strict=True))


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
