"""The decision variables of model.md, with every bound that is data declared here.

Families (3) route capacity, (5) storage, (7) transfer capacity, the unmet-demand limit and the
investment limit are bounds of one variable each, so they are set where the variable is
declared; their duals are the variables' reduced costs.
"""

from __future__ import annotations

import pyomo.core as pyo

from model.formulation.costs import family_keys
from model.formulation.index import ModelIndex


def add_variables(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Decision variables, all >= 0, on the nodes of the scenario tree.

    - `order[r, n]` (x): ordered on route r; (3) route capacity x <= Cr_r * b[r, n], and 0 where
      b = 0; only where t + L_r <= N (an order must arrive within the horizon);
    - `stock[k, g, n]` (I): closing stock; (5) storage I <= capacity_k,g (no Stockpiles row:
      capacity 0; blank: unlimited);
    - `unmet[k, g, n]` (u): demand left unmet, u <= D[t] e[n];
    - `below_target[k, g, n]` (v): stock below a positive target;
    - `transfer[f, n]` (y): moved on lane f; (7) transfer capacity y <= capacity_f;
    - `build[j]` (z): capacity built by project j, one decision for all scenarios,
      z <= max_capacity_j;
    - `end_shortfall[k, g, n]` (vE): stock below `end_stock` at a node of the last period.
    """
    plan = ix.plan
    # Key order: the one registry (costs.family_keys), which the cost terms index by position.
    keys = family_keys(ix)
    m.ORDERS = pyo.Set(initialize=keys["order"], dimen=2, ordered=True, doc="(route, node)")
    m.STOCK = pyo.Set(initialize=keys["stock"], dimen=3, ordered=True,
                      doc="(commodity, region, node)")
    m.TARGETS = pyo.Set(initialize=keys["below_target"], dimen=3, ordered=True,
                        doc="(commodity, region, node) with a positive stock target")
    m.FLOWS = pyo.Set(initialize=keys["transfer"],
                      dimen=2, ordered=True, doc="(transfer lane, node)")
    m.PROJECTS = pyo.Set(initialize=keys["build"], ordered=True, doc="projects")
    m.ENDS = pyo.Set(initialize=keys["end_shortfall"], dimen=3, ordered=True,
                     doc="(commodity, region, node of the last period) with an end stock")

    m.order = pyo.Var(m.ORDERS, within=pyo.NonNegativeReals, doc="x: ordered on a route",
                      bounds={key: (0.0, ub) for key, ub in ix.order_upper.items()})
    capacity = {key: plan.stockpile(*key).capacity for key in ix.pairs}
    for key in ix.projects_of_stock:
        capacity[key] = None  # room that can be built: a storage_capacity row instead
    m.stock = pyo.Var(m.STOCK, within=pyo.NonNegativeReals, doc="I: closing stock",
                      bounds={key: (0.0, capacity[key[0], key[1]]) for key in ix.stock_index})
    m.unmet = pyo.Var(m.STOCK, within=pyo.NonNegativeReals, doc="u: demand left unmet",
                      bounds={key: (0.0, demand) for key, demand in ix.demand.items()})
    m.below_target = pyo.Var(m.TARGETS, within=pyo.NonNegativeReals, doc="v: below target")
    lanes = plan.transfers
    m.transfer = pyo.Var(m.FLOWS, within=pyo.NonNegativeReals, doc="y: moved between regions",
                         bounds={(f, n): (0.0, lanes[f].capacity) for f, n in m.FLOWS})
    m.build = pyo.Var(m.PROJECTS, within=pyo.NonNegativeReals, doc="z: capacity built",
                      bounds={j: (0.0, p.max_capacity) for j, p in plan.projects.items()})
    m.end_shortfall = pyo.Var(m.ENDS, within=pyo.NonNegativeReals,
                              doc="vE: stock below end_stock at the end of the horizon")
