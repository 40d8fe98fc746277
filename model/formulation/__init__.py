"""Build the Pyomo LP of model.md from validated data. Never touches Excel.

`build_model` reads like the model's table of contents: index sets and parameters, variables
with their bounds, one `add_<family>` per constraint family, then the objective.

| model.md        | Pyomo component               | meaning                                   |
|-----------------|-------------------------------|-------------------------------------------|
| x[r,t,w]        | `order[r, n]`                 | ordered on route r at node n              |
| I[k,g,t,w]      | `stock[k, g, n]`              | stock at the end of the node's period     |
| u[k,g,t,w]      | `unmet[k, g, n]`              | demand left unmet                         |
| v[k,g,t,w]      | `below_target[k, g, n]`       | stock below target                        |
| y[f,t,w]        | `transfer[f, n]`              | moved on lane f (index in Transfers)      |
| z[j]            | `build[j]`                    | capacity built by project j               |
| vE[k,g,w]       | `end_shortfall[k, g, n]`      | stock below end_stock (n in period N)     |
| zeta, eta[w]    | `cvar_threshold`, `cost_excess[w]` | CVaR (only when lambda > 0)          |
| m, m0           | `max_share[limit]`, `min_share[limit]` | mutable, for sweeps              |
| (1)             | `stock_balance`               | dual -> Prices                            |
| (2), (4)        | `supplier_capacity`, `take_or_pay` |                                      |
| (3), (5), (7)   | bounds of `order`, `stock`, `transfer` |                                  |
| (6), (7b), (8)  | `stock_target`, `end_stock`, `concentration` (+ `scope_supply_definition`) |
| (9)             | by construction: decisions live on scenario-tree nodes                    |
| (14a)-(14h)     | `contracts.py`: whole cargoes, minimum lots, contracts (section 14)       |
| (10), (11)      | `stock_floor`, `budget` (`money.py`, model.md section 15)                 |
"""

from __future__ import annotations

from dataclasses import dataclass

# pyomo.core has every modelling component used here; pyomo.environ would also load solver
# plugins that the planner bypasses (it hands the model to highspy itself), at 0.1 s a run.
import pyomo.core as pyo
from pyomo.common.gc_manager import PauseGC

from model.domain.data import PlanData
from model.domain.scenarios import ScenarioSet
from model.formulation.constraints import (
    add_concentration,
    add_end_stock,
    add_stock_balance,
    add_stock_target,
    add_supplier_capacity,
    add_take_or_pay,
)
from model.formulation.contracts import add_contracts
from model.formulation.costs import CostTerms, cost_terms
from model.formulation.index import ModelIndex, build_index
from model.formulation.money import add_money_and_obligations
from model.formulation.objective import add_objective
from model.formulation.variables import add_variables


@dataclass
class BuiltModel:
    """The Pyomo model, the index it was built from and its cost terms."""

    model: pyo.ConcreteModel
    index: ModelIndex
    costs: CostTerms


def build_model(plan: PlanData, scenarios: ScenarioSet | None = None,
                index: ModelIndex | None = None) -> BuiltModel:
    """The LP of model.md for `plan` under `scenarios` (the plan's own by default)."""
    # Building allocates millions of small objects; the cyclic garbage collector would rescan
    # the growing model again and again (half the build time on large plans).
    with PauseGC():
        ix = index if index is not None else build_index(plan, scenarios)
        m = pyo.ConcreteModel(name="sourcing and stockpile plan")
        add_variables(m, ix)
        add_stock_balance(m, ix)
        add_supplier_capacity(m, ix)
        add_take_or_pay(m, ix)
        add_stock_target(m, ix)
        add_end_stock(m, ix)
        add_concentration(m, ix)
        add_money_and_obligations(m, ix)
        add_contracts(m, ix)
        terms = cost_terms(ix)
        add_objective(m, ix, terms)
    return BuiltModel(m, ix, terms)
