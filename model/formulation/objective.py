"""The objective of model.md: expected discounted cost blended with its CVaR.

    minimise (1 - lambda) sum_w p_w Cost_w + lambda (zeta + sum_w p_w eta[w] / (1 - beta))
    with eta[w] >= Cost_w - zeta, eta >= 0, zeta free.

With decisions on tree nodes, sum_w p_w Cost_w = capex z + sum_n P_n d_t(n) c_n . vars_n, where
P_n is the probability of the scenarios through node n. The cost coefficients come from
`costs.cost_terms`, the one definition of the cost parts.
"""

from __future__ import annotations

from typing import Any

import pyomo.core as pyo

from model.formulation.costs import ONCE, CostTerms
from model.formulation.index import ModelIndex
from model.formulation.linear import linear, plus


def expected_cost_weight(risk_weight: float) -> float:
    """(1 - lambda), the weight of the expected cost in the objective (0 when lambda >= 1)."""
    return max(0.0, 1.0 - risk_weight)


def objective_coefficient(risk_weight: float, probability: float,
                          discounted_cost: float) -> float:
    """The objective coefficient of a decision with discounted unit cost d c at a node of
    probability P: (1 - lambda) P d c. (With CVaR its cost also enters the node's cost row
    with `node_cost_entry`.) Sensitivity changes prices through these two, so they cannot drift
    from the objective."""
    return expected_cost_weight(risk_weight) * probability * discounted_cost


def node_cost_entry(discounted_cost: float) -> float:
    """The coefficient of a decision in its node's cost row `node_cost[n] - sum d c v = 0`
    (with CVaR only): -d c."""
    return -discounted_cost


def node_cost_rows(ix: ModelIndex) -> list[int]:
    """The nodes of the node-cost rows (with CVaR only), in row order."""
    return list(ix.nodes)


def term_variables(m: pyo.ConcreteModel, terms: CostTerms) -> list[Any]:
    """The Pyomo variable of each cost term."""
    families = {name: list(getattr(m, name).values()) for name in dict.fromkeys(terms.family)}
    return [families[f][p] for f, p in zip(terms.family, terms.position.tolist(), strict=True)]


def add_objective(m: pyo.ConcreteModel, ix: ModelIndex, terms: CostTerms) -> None:
    """Minimise (1 - lambda) E[Cost] + lambda CVaR_beta[Cost]; adds the CVaR rows when
    lambda > 0."""
    settings = ix.plan.settings
    risk_weight, beta = settings.risk_weight, settings.cvar_level
    variables = term_variables(m, terms)
    discounted = terms.discounted(ix.discount).tolist()
    nodes = terms.node.tolist()
    probability = [node.probability for node in ix.tree.nodes] + [1.0]  # ONCE -> 1
    weight = expected_cost_weight(risk_weight)
    expected = [(objective_coefficient(risk_weight, probability[n], c), v)
                for n, c, v in zip(nodes, discounted, variables, strict=True)] if weight else []
    if risk_weight <= 0:
        m.total_cost = pyo.Objective(expr=linear(expected), sense=pyo.minimize,
                                     doc="expected discounted cost")
        return

    by_node: dict[int, list[tuple[float, Any]]] = {n: [] for n in ix.nodes}
    by_node[ONCE] = []
    for n, c, v in zip(nodes, discounted, variables, strict=True):
        by_node[n].append((c, v))
    scenario_count = len(ix.tree.scenario_names)
    m.NODES = pyo.Set(initialize=node_cost_rows(ix), doc="scenario-tree nodes")
    m.SCENARIOS = pyo.Set(initialize=range(scenario_count), doc="scenarios")
    m.node_cost = pyo.Var(m.NODES, doc="discounted cost of a node's period")
    m.cvar_threshold = pyo.Var(doc="zeta: value-at-risk threshold of CVaR")
    m.cost_excess = pyo.Var(m.SCENARIOS, within=pyo.NonNegativeReals,
                            doc="eta[w]: scenario cost above zeta")

    @m.Constraint(m.NODES, doc="node cost definition")
    def node_cost_definition(m, n):
        return linear(plus([m.node_cost[n]]), [(node_cost_entry(c), v)
                                               for c, v in by_node[n]]) == 0

    once = by_node[ONCE]

    @m.Constraint(m.SCENARIOS, doc="CVaR excess: eta[w] >= Cost_w - zeta")
    def cvar_excess(m, w):
        path_cost = [(-1.0, m.node_cost[n]) for n in ix.tree.path(w)]
        return linear(plus([m.cost_excess[w], m.cvar_threshold]), path_cost,
                      [(node_cost_entry(c), v) for c, v in once]) >= 0

    cvar_terms = [(1.0, m.cvar_threshold)] + [
        (ix.tree.probabilities[w] / (1.0 - beta), m.cost_excess[w]) for w in m.SCENARIOS]
    objective = linear(expected, [(risk_weight * c, v) for c, v in cvar_terms])
    m.total_cost = pyo.Objective(expr=objective, sense=pyo.minimize,
                                 doc="(1 - lambda) expected cost + lambda CVaR")
