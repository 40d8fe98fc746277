"""Build the Pyomo LP of model.md from validated data. Never touches Excel.

`build_model` reads like the model's table of contents: index sets and parameters, variables,
one `add_<family>` per constraint family, then the objective.

| model.md        | Pyomo component          | meaning                                  |
|-----------------|--------------------------|------------------------------------------|
| x[r,t,w]        | `order[r, n]`            | ordered on route r at node n             |
| I[k,g,t,w]      | `stock[k, g, n]`         | stock at the end of the node's period    |
| u[k,g,t,w]      | `unmet[k, g, n]`         | demand left unmet                        |
| v[k,g,t,w]      | `below_target[k, g, n]`  | stock below target                       |
| y[f,t,w]        | `transfer[f, n]`         | moved on lane f (index in Transfers)     |
| z[j]            | `build[j]`               | capacity built by project j              |
| zeta, eta[w]    | `cvar_threshold`, `cost_excess[w]` | CVaR (only when lambda > 0)    |
| m (max_share)   | `max_share[limit]`       | mutable, for sweeps                      |
"""

from __future__ import annotations

from dataclasses import dataclass

# pyomo.core has every modelling component used here; pyomo.environ would also load solver
# plugins that the planner bypasses (it hands the model to highspy itself), at 0.1 s a run.
import pyomo.core as pyo
from pyomo.common.gc_manager import PauseGC

from ..data import PlanData
from .constraints import (
    add_balance,
    add_concentration,
    add_investment_limit,
    add_non_anticipativity,
    add_route_capacity,
    add_storage,
    add_supplier_capacity,
    add_take_or_pay,
    add_target,
    add_transfer_capacity,
    add_unmet_limit,
)
from .index import ModelIndex, build_index
from .objective import add_objective


@dataclass
class BuiltModel:
    """The Pyomo model and the index it was built from."""

    model: pyo.ConcreteModel
    index: ModelIndex


def add_variables(m: pyo.ConcreteModel, ix: ModelIndex) -> None:
    """Decision variables, all >= 0, on the nodes of the scenario tree."""
    plan = ix.plan
    m.ORDERS = pyo.Set(initialize=ix.orders, dimen=2, ordered=True, doc="(route, node)")
    m.STOCK = pyo.Set(initialize=[(k, g, n) for k, g in ix.stock_keys for n in ix.nodes],
                      dimen=3, ordered=True, doc="(commodity, region, node)")
    m.TARGETS = pyo.Set(initialize=list(ix.target), dimen=3, ordered=True,
                        doc="(commodity, region, node) with a positive stock target")
    m.FLOWS = pyo.Set(initialize=[(f, n) for f in range(len(plan.transfers)) for n in ix.nodes],
                      dimen=2, ordered=True, doc="(transfer lane, node)")
    m.PROJECTS = pyo.Set(initialize=list(plan.projects), ordered=True)
    m.LIMITS = pyo.Set(initialize=list(plan.limits), ordered=True)

    m.order = pyo.Var(m.ORDERS, within=pyo.NonNegativeReals, doc="x: ordered on a route")
    m.stock = pyo.Var(m.STOCK, within=pyo.NonNegativeReals, doc="I: closing stock")
    m.unmet = pyo.Var(m.STOCK, within=pyo.NonNegativeReals, doc="u: demand left unmet")
    m.below_target = pyo.Var(m.TARGETS, within=pyo.NonNegativeReals, doc="v: below target")
    m.transfer = pyo.Var(m.FLOWS, within=pyo.NonNegativeReals, doc="y: moved between regions")
    m.build = pyo.Var(m.PROJECTS, within=pyo.NonNegativeReals, doc="z: capacity built")
    m.max_share = pyo.Param(m.LIMITS, mutable=True,
                            initialize={name: lim.max_share for name, lim in plan.limits.items()},
                            doc="max_share of each concentration limit")


def build_model(plan: PlanData, index: ModelIndex | None = None) -> BuiltModel:
    """The LP of model.md for `plan`."""
    # Building allocates millions of small objects; the cyclic garbage collector would rescan
    # the growing model again and again (half the build time on large plans).
    with PauseGC():
        ix = index if index is not None else build_index(plan)
        m = pyo.ConcreteModel(name="sourcing and stockpile plan")
        add_variables(m, ix)
        add_balance(m, ix)
        add_supplier_capacity(m, ix)
        add_route_capacity(m, ix)
        add_take_or_pay(m, ix)
        add_storage(m, ix)
        add_unmet_limit(m, ix)
        add_target(m, ix)
        add_transfer_capacity(m, ix)
        add_investment_limit(m, ix)
        add_concentration(m, ix)
        add_non_anticipativity(m, ix)
        add_objective(m, ix)
    return BuiltModel(m, ix)
