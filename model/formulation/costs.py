"""The cost parts of model.md's scenario cost, defined once.

    Cost_w = sum_j capex_j z[j] + sum_t d_t [ sum_r (unit_cost cs + freight cr) x[r,t]
             + sum_{k,g} (holding I + shortage_penalty u + target_penalty v) + sum_f cost_f y ]
             + d_N sum_{k,g} (shortage_penalty vE - TV I[N])
             + section 14: sum d_e c^ (deficiency - make-up) + sum_c fee_c o_c

Every term is (part, node, variable family, position of the variable in its family,
undiscounted coefficient). The objective (`objective.py`), the cost breakdown of the results and
the quick evaluation of sweep points all read these same terms, so the parts always add up to
the objective's expected cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.formulation.index import ModelIndex

COST_PARTS = ("purchase_cost", "freight_cost", "holding_cost", "shortage_penalty",
              "target_penalty", "transfer_cost", "investment_cost", "end_stock_penalty",
              "terminal_value", "contract_deficiency", "make_up_credit", "option_fee")
PART = {name: i for i, name in enumerate(COST_PARTS)}
ONCE = -1  # the node of a term paid once in every scenario (investments), undiscounted


def family_keys(ix: ModelIndex) -> dict[str, list]:
    """The keys of each variable family, in order: the one registry of key order, from which
    variables.py declares the variables and the cost terms take their positions."""
    plan = ix.plan
    return {
        "order": ix.order_keys,
        "stock": ix.stock_index,
        "unmet": ix.stock_index,
        "below_target": list(ix.target),
        "transfer": [(f, n) for f in range(len(plan.transfers)) for n in ix.nodes],
        "build": list(plan.projects),
        "end_shortfall": ix.end_keys,
        **_contract_families(ix),
    }


def _contract_families(ix: ModelIndex) -> dict[str, list]:
    """Section 14's cost-bearing families, where the plan has them."""
    cx = ix.cargo_contracts
    if cx is None:
        return {}
    found = {"deficiency": cx.deficiency_keys, "make_up": cx.make_up_keys, "sign": cx.options}
    return {name: keys for name, keys in found.items() if keys}


@dataclass
class CostTerms:
    """Every cost coefficient of the LP: parallel arrays, one entry per term."""

    part: np.ndarray
    node: np.ndarray
    family: list[str]
    position: np.ndarray
    coefficient: np.ndarray

    def discounted(self, discount: list[float]) -> np.ndarray:
        """Coefficients times d_t(n) (investment terms are not discounted)."""
        factor = np.append(np.asarray(discount, dtype=float), 1.0)  # index -1 -> 1.0
        return self.coefficient * factor[self.node]


def cost_terms(ix: ModelIndex) -> CostTerms:
    """Every (part, node, family, position, coefficient) of the scenario cost."""
    plan = ix.plan
    parts: list[int] = []
    nodes: list[int] = []
    families: list[str] = []
    positions: list[int] = []
    coefficients: list[float] = []

    def add(part: str, family: str, items) -> None:
        code = PART[part]
        for position, node, coefficient in items:
            if coefficient:
                parts.append(code)
                nodes.append(node)
                families.append(family)
                positions.append(position)
                coefficients.append(coefficient)

    orders = ix.order_keys
    add("purchase_cost", "order", ((i, key[1], ix.unit_cost[key]) for i, key in enumerate(orders)))
    add("freight_cost", "order",
        ((i, key[1], ix.freight_cost[key]) for i, key in enumerate(orders)))
    holding = {key: plan.stockpile(*key).holding_cost for key in ix.pairs}
    add("holding_cost", "stock",
        ((i, n, holding[k, g]) for i, (k, g, n) in enumerate(ix.stock_index)))
    penalty = {k: c.shortage_penalty for k, c in plan.commodities.items()}
    add("shortage_penalty", "unmet",
        ((i, n, penalty[k]) for i, (k, _g, n) in enumerate(ix.stock_index)))
    below = {k: c.target_penalty for k, c in plan.commodities.items()}
    add("target_penalty", "below_target",
        ((i, n, below[k]) for i, (k, _g, n) in enumerate(ix.target)))
    lanes = plan.transfers
    add("transfer_cost", "transfer", ((i, n, lanes[f].cost) for i, (f, n)
                                      in enumerate(family_keys(ix)["transfer"])))
    # Capex in the planning currency: at the project's currency rate of period 1 (model.md 15.4).
    add("investment_cost", "build",
        ((i, ONCE, p.capex * ix.capex_rate.get(j, 1.0))
         for i, (j, p) in enumerate(plan.projects.items())))
    add("end_stock_penalty", "end_shortfall",
        ((i, n, penalty[k]) for i, (k, _g, n) in enumerate(ix.end_keys)))
    leaves = set(ix.leaves)
    value = {key: plan.stockpile(*key).terminal_value for key in ix.pairs}
    add("terminal_value", "stock", ((i, n, -value[k, g]) for i, (k, g, n)
                                    in enumerate(ix.stock_index) if n in leaves))
    cx = ix.cargo_contracts
    if cx is not None:
        # Section 14.4: the deficiency at the unit cost of the year's last period, the make-up
        # credit at the unit cost of the last period of the year it is taken in, the fee once.
        add("contract_deficiency", "deficiency",
            ((i, key[2], cx.unit_cost[key]) for i, key in enumerate(cx.deficiency_keys)))
        add("make_up_credit", "make_up",
            ((i, n_e, -cx.unit_cost[(c, y, n_e)]) for i, (c, _y0, y, n_e)
             in enumerate(cx.make_up_keys)))
        add("option_fee", "sign", ((i, ONCE, plan.contracts[c].option_fee)
                                   for i, c in enumerate(cx.options)))
    return CostTerms(np.asarray(parts, dtype=np.int64), np.asarray(nodes, dtype=np.int64),
                     families, np.asarray(positions, dtype=np.int64),
                     np.asarray(coefficients, dtype=float))
