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


def node_cost_terms(m: pyo.ConcreteModel, ix: ModelIndex, n: int) -> list[tuple[float, Any]]:
    """(discounted cost coefficient, variable) of every cost-bearing decision at node n."""
    plan = ix.plan
    t = ix.t(n)
    d = plan.settings.discount_factor(t)
    terms: list[tuple[float, Any]] = []
    for r in plan.routes:
        key = (r, n)
        price = ix.unit_cost[key] + ix.freight_cost[key]
        if price:
            terms.append((d * price, m.order[key]))
    for k, g in ix.stock_keys:
        commodity = plan.commodities[k]
        holding = plan.stockpile(k, g).holding_cost
        if holding:
            terms.append((d * holding, m.stock[k, g, n]))
        terms.append((d * commodity.shortage_penalty, m.unmet[k, g, n]))
        if (k, g, n) in ix.target and commodity.target_penalty:
            terms.append((d * commodity.target_penalty, m.below_target[k, g, n]))
    for f, lane in enumerate(plan.transfers):
        if lane.cost:
            terms.append((d * lane.cost, m.transfer[f, n]))
    return terms


def investment_terms(m: pyo.ConcreteModel, ix: ModelIndex) -> list[tuple[float, Any]]:
    """(capex, z[j]) of every project; not discounted, paid once in every scenario."""
    return [(p.capex, m.build[j]) for j, p in ix.plan.projects.items() if p.capex]


def add_objective(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Minimise (1 - lambda) E[Cost] + lambda CVaR_beta[Cost]; adds the CVaR rows when
    lambda > 0."""
    settings = ix.plan.settings
    risk_weight, beta = settings.risk_weight, settings.cvar_level
    node_terms = {n: node_cost_terms(m, ix, n) for n in ix.nodes}
    capex = investment_terms(m, ix)
    expected_terms = [(ix.tree.nodes[n].probability * c, v)
                      for n in ix.nodes for c, v in node_terms[n]]
    expected = linear(expected_terms, capex)
    if risk_weight <= 0:
        m.total_cost = pyo.Objective(expr=expected, sense=pyo.minimize,
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
        return linear(plus([m.node_cost[n]]), ((-c, v) for c, v in node_terms[n])) == 0

    @m.Constraint(m.SCENARIOS, doc="CVaR excess: eta[w] >= Cost_w - zeta")
    def cvar_excess(m, w):
        path_cost = ((-1.0, m.node_cost[n]) for n in ix.tree.path(w))
        return linear(plus([m.cost_excess[w], m.cvar_threshold]), path_cost,
                      ((-c, v) for c, v in capex)) >= 0

    cvar_terms = [(1.0, m.cvar_threshold)] + [
        (ix.tree.probabilities[w] / (1.0 - beta), m.cost_excess[w]) for w in m.SCENARIOS]
    weight = 1.0 - risk_weight
    expected_part = [] if risk_weight >= 1 else [(weight * c, v)
                                                 for c, v in expected_terms + capex]
    objective = linear(expected_part, ((risk_weight * c, v) for c, v in cvar_terms))
    m.total_cost = pyo.Objective(expr=objective, sense=pyo.minimize,
                                 doc="(1 - lambda) expected cost + lambda CVaR")
