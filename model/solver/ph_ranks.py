"""What each MPI rank runs for `--decompose`: progressive hedging on mpi-sppy (docs/scale.md,
section 4; docs/model.md, "Solving by scenario decomposition").

`python -m model.solver.ph_ranks JOB_FOLDER`, started K times by `mpiexec` (the planner starts
it, see `model.solver.decompose`): the job folder holds the plan (the validated, sampled
PlanData, pickled by the planner) and the run's settings; the ranks form three cylinders of
K / 3 ranks each, a PH hub, a Lagrangian lower-bound spoke and an x-hat upper-bound spoke,
and split the futures among each cylinder's ranks. The hub reports progress on stdout in lines
that start with `@@ ` (JSON), which the planner reads; the x-hat spoke that found the best plan
writes it (every shared decision, by tree node) to `xhat.pickle` in the job folder.

Each future is its own Pyomo model, built by the formulation the extensive form uses
(`build_model` on the future alone, with probability 1, so its objective is
(1 - lambda) Cost_w + lambda (zeta + eta_w / (1 - beta)), which mpi-sppy weighs by p_w). The
future's decisions of period t sit on the mpi-sppy node of the tree node that holds the
future in period t; periods 1..N-1 are the non-leaf stages, period N is each future's own
recourse. Non-anticipative at each node: the orders, transfers and unmet demand of its
period; at the root also the capacity built and the CVaR threshold zeta. Stock and
below-target follow from them through the balance.
"""

from __future__ import annotations

import json
import math
import pickle
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import pyomo.core as pyo

from model.domain.data import PlanData
from model.domain.scenarios import (
    ScenarioSet,
    ScenarioTree,
    build_tree,
    plan_scenarios,
)
from model.formulation import build_model
from model.formulation.contracts import INTEGER_FAMILIES
from model.formulation.costs import ONCE
from model.formulation.objective import term_variables
from model.solver.handoff import compile_lp
from model.solver.solve import INF, STOPPED, make_mip, new_highs, pass_arrays, set_option

PROGRESS_PREFIX = "@@ "
ROOT = "ROOT"
ZETA_SCALE_SHARE = 0.01  # the CVaR threshold's scale: this share of the dearest total cost
IDLE_SECONDS = 0.02  # a spoke with nothing new to work on waits this long before asking again
RHO_FLOOR_SHARE = 1e-3  # a decision without a cost gets rho = this share of the median rho


@dataclass(frozen=True)
class TreeLayout:
    """The plan's scenario tree in mpi-sppy's terms.

    Futures with the same data and the same binding limits throughout are one future to PH
    (with their probabilities summed: the extensive form takes the same decisions in both).
    The non-leaf stages are periods 1..T, T the last period in which a tree node still holds
    two of these; later periods are each future's own recourse (its leaf). mpi-sppy numbers a
    node's children `<parent>_0`, `<parent>_1`, ... and wants the scenarios of every node
    contiguous in the list of names and every leaf at the same depth: futures are listed in
    the order of their paths, and each has a leaf of its own."""

    futures: tuple[int, ...]                  # one future per group, in mpi-sppy's order
    probability: dict[int, float]             # of each group (summed)
    members: dict[int, tuple[int, ...]]       # the futures each stands for
    node_name: dict[int, str]                 # our node id (periods 1..T) -> mpi-sppy name
    shared: frozenset[int]                    # nodes held by two or more of these futures
    all_nodenames: list[str] | None           # None: a two-stage tree (T = 0)
    stages: int                               # T: periods with a shared node (then ROOT)

    @staticmethod
    def cond_prob(tree: ScenarioTree, node: int) -> float:
        """The node's probability over its parent's (ROOT's is 1)."""
        parent = tree.nodes[node].parent
        return tree.nodes[node].probability / (1.0 if parent is None else
                                               tree.nodes[parent].probability)


def tree_layout(base: ScenarioSet) -> TreeLayout:
    """Group identical futures, find the shared periods, name the nodes, order the futures.

    mpi-sppy's ROOT comes before period 1 (futures may differ from the first period on): it
    holds the decisions taken once for every future (investments, the CVaR threshold); the
    node of period t is at mpi-sppy's stage t + 1."""
    tree = base.tree
    groups: dict[tuple, list[int]] = {}
    for w in range(len(base.names)):
        until = tuple(periods[w] for periods in base.limit_until.values())
        groups.setdefault((tree.node_of[w][-1], until), []).append(w)
    representatives = [members[0] for members in groups.values()]
    members = {members[0]: tuple(members) for members in groups.values()}
    probability = {w: float(sum(base.probabilities[v] for v in members[w]))
                   for w in representatives}
    holders: dict[int, int] = {}
    for w in representatives:
        for node in tree.node_of[w]:
            holders[node] = holders.get(node, 0) + 1
    shared = frozenset(node for node, count in holders.items() if count >= 2)
    # T: the last shared period, before the last (the last period is always recourse).
    periods = max([0] + [tree.nodes[node].t for node in shared if tree.nodes[node].t
                         < tree.periods])
    order = tuple(sorted(representatives, key=lambda w: tree.path(w)[:periods]))
    names: dict[int, str] = {}
    children: dict[str, int] = {}
    for w in order:
        parent = ROOT
        for t in range(1, periods + 1):
            node = tree.node_of[w][t - 1]
            if node not in names:
                names[node] = f"{parent}_{children.get(parent, 0)}"
                children[parent] = children.get(parent, 0) + 1
            parent = names[node]
    if periods == 0:
        return TreeLayout(order, probability, members, names, shared, None, 0)
    leaves: list[str] = []
    for w in order:
        parent = names[tree.node_of[w][periods - 1]]
        leaves.append(f"{parent}_{children.get(parent, 0)}")
        children[parent] = children.get(parent, 0) + 1
    return TreeLayout(order, probability, members, names, shared,
                      [ROOT] + list(names.values()) + leaves, periods)


def future_alone(plan: PlanData, base: ScenarioSet, w: int) -> ScenarioSet:
    """Future w alone, with probability 1: its own factors and binding limits."""
    return futures_together(plan, base, [w], [1.0])


def futures_together(plan: PlanData, base: ScenarioSet, futures: list[int],
                     weights: list[float]) -> ScenarioSet:
    """These futures alone, their probabilities `weights` scaled to sum to 1: their own
    factors, tree and binding limits (the extensive form of a bundle)."""
    total = math.fsum(weights)
    names = tuple(base.names[w] for w in futures)
    probabilities = tuple(weight / total for weight in weights)
    factors = base.factors.select(list(futures))
    tree = build_tree(names, probabilities, factors, plan.settings.periods)
    until = {name: tuple(periods[w] for w in futures)
             for name, periods in base.limit_until.items()}
    return ScenarioSet(names, probabilities, factors, tree, until)


class FutureModels:
    """Builds one future's Pyomo model for mpi-sppy (its `scenario_creator`)."""

    def __init__(self, plan: PlanData, base: ScenarioSet | None = None):
        self.plan = plan
        self.base = base if base is not None else plan_scenarios(plan)
        self.layout = tree_layout(self.base)
        self.position = {name: w for w, name in enumerate(self.base.names)}
        # mpi-sppy wants as many shared decisions in every future: count them per period in
        # one future's model (the same in every future: the keys of a period do not depend
        # on the future) ...
        reference = build_model(plan, future_alone(plan, self.base, self.layout.futures[0]))
        columns = sum(len(v) for v in reference.model.component_objects(pyo.Var, active=True))
        self.has_whole_numbers = any(hasattr(reference.model, f) for f in INTEGER_FAMILIES)
        self.bundle_size = max(1, BUNDLE_COLUMNS // max(1, columns))
        found = decisions_by_period(reference.model, plan.settings.periods)
        unmet = unmet_by_period(reference.model, reference.index, plan.settings.periods)
        # ... all but the minimum lots, which exist only where the supplier can deliver in
        # the future: counted as every supplier with a minimum lot, an upper bound.
        lots = {t: sum(1 for v in decisions if v.parent_component().local_name == "lot_used")
                for t, decisions in found.items()}
        with_lots = sum(1 for s in plan.suppliers.values() if s.min_lot > 0)
        per_period = {t: len(decisions) + len(unmet[t]) - lots[t] + (with_lots if t > 0 else 0)
                      for t, decisions in found.items()}
        tree = self.base.tree
        self.shared_count = {
            w: per_period[0] + sum(per_period[t] for t in range(1, self.layout.stages + 1)
                                   if tree.node_of[w][t - 1] in self.layout.shared)
            for w in self.layout.futures}
        self.most_shared = max(self.shared_count.values())

    def scenario_names(self) -> list[str]:
        """One future of each group, in the tree layout's order."""
        return [self.base.names[w] for w in self.layout.futures]

    def commodity_scale(self) -> dict[str, float]:
        """Units of each commodity a period: its mean demand per period over all regions
        (the size a shared decision's deviation is measured against)."""
        plan = self.plan
        found = {}
        for k in plan.commodities:
            total = sum(float(sum(plan.demand_of(k, g))) for kk, g in plan.pairs.keys
                        if kk == k)
            found[k] = max(total / max(1, plan.settings.periods), 1e-6)
        return found

    def scales(self, m: Any, ix: Any) -> dict[int, float]:
        """A quantity scale per shared decision (id -> units): its commodity's demand a
        period; money for the CVaR threshold (1% of the horizon's demand at the dearest
        price)."""
        plan = self.plan
        unit = self.commodity_scale()
        found: dict[int, float] = {}
        for (r, _n), v in m.order.items():
            found[id(v)] = unit[plan.commodity_of(plan.routes[r])]
        for (k, _g, _n), v in m.unmet.items():
            found[id(v)] = unit[k]
        for (f, _n), v in m.transfer.items():
            found[id(v)] = unit[plan.transfers[f].commodity]
        for j, v in m.build.items():
            found[id(v)] = unit[plan.suppliers[plan.projects[j].supplier].commodity]
        if hasattr(m, "cvar_threshold"):
            dearest = {k: 0.0 for k in plan.commodities}
            for s in plan.suppliers.values():
                dearest[s.commodity] = max(dearest[s.commodity],
                                           float(max(s.unit_cost_per_period)))
            # zeta moves with the spread of the futures' costs, a small share of the cost
            # itself: measured against the whole cost, its weights would barely move.
            found[id(m.cvar_threshold)] = max(1.0, ZETA_SCALE_SHARE * sum(
                unit[k] * plan.settings.periods * dearest[k] for k in plan.commodities))
        return found

    def create(self, scenario_name: str, **_: Any) -> Any:
        """The future's model with mpi-sppy's probability and node list attached."""
        from mpisppy.scenario_tree import ScenarioNode

        plan, base, layout = self.plan, self.base, self.layout
        w = self.position[scenario_name]
        built = build_model(plan, future_alone(plan, base, w))
        m, ix = built.model, built.index
        tree = base.tree
        # In the future's own model node id = t - 1: the decisions of each period, shared
        # only where the tree node holds another future; ROOT (index 0) before period 1.
        stages = layout.stages
        shared = {t: tree.node_of[w][t - 1] in layout.shared for t in range(1, stages + 1)}
        every = decisions_by_period(m, stages)
        unmet = unmet_by_period(m, ix, stages)
        per_period = {t: every[t] if t == 0 or shared[t] else [] for t in every}
        unmet = {t: unmet[t] if t > 0 and shared[t] else [] for t in unmet}
        # Padding up to the most any future can have (futures that share fewer periods, or
        # have fewer suppliers with a minimum lot able to deliver), on the future's last node
        # before its leaf (every future through that node shares all its earlier nodes too,
        # so needs the same padding): decisions fixed at 0 that cost nothing.
        padding = self.most_shared - sum(len(v) for v in per_period.values()) - sum(
            len(v) for v in unmet.values())
        if padding:
            m.ph_padding = pyo.Var(range(padding), bounds=(0.0, 0.0), doc="PH padding")
            per_period[stages] += list(m.ph_padding.values())
        # Unmet demand is shared like the orders (PH pulls it together), but the x-hat spoke
        # leaves it free (mpi-sppy's "surrogate" non-anticipative variables): with orders,
        # transfers and unmet demand all fixed, the stock would follow exactly, and the
        # smallest disagreement between futures would make it negative. The plan's final
        # solve (model.solver.decompose) makes it shared again.
        nodes = [ScenarioNode(ROOT, 1.0, 1, 0.0, per_period[0], m)]
        for t in range(1, stages + 1):
            node = tree.node_of[w][t - 1]
            nodes.append(ScenarioNode(layout.node_name[node], layout.cond_prob(tree, node),
                                      t + 1, 0.0, per_period[t], m,
                                      surrogate_nonant_list=unmet[t] or None,
                                      parent_name=nodes[-1].name))
        m._mpisppy_node_list = nodes
        m._mpisppy_probability = layout.probability[w]
        m._planner_cost_of = cost_of_variables(built)
        m._planner_scale_of = self.scales(m, ix)
        m._planner_lp = compile_lp(m)
        # Each future's MIP to a tenth of the gap asked of PH: closer buys nothing, as its
        # bound (not its plan) is what the Lagrangian bound adds up.
        m._planner_mip_gap = max(plan.settings.mip_gap, plan.settings.ph_gap / 10)
        m._planner_cvar = cvar_columns(m, m._planner_lp)
        m.name = scenario_name
        # ArrayHighs puts the solution into the variables itself; mpi-sppy's call to load it
        # from the results object has nothing left to do.
        m.solutions.load_from = lambda *args, **kwargs: None
        return m


@dataclass(frozen=True)
class CvarColumns:
    """Where the CVaR threshold zeta and the future's excess eta sit in its compiled LP."""

    zeta: int
    eta: int
    row: int

    def future_cost(self, x: Any, row_value: Any) -> float:
        """The future's cost Cost_w at a solution, up to a constant the same in every future:
        the CVaR row reads eta + zeta - Cost_w >= 0."""
        return float(x[self.zeta] + x[self.eta] - row_value[self.row])


def cvar_columns(m: Any, lp: Any) -> CvarColumns | None:
    """The future's CVaR columns and row, None without CVaR (lambda = 0)."""
    if not hasattr(m, "cvar_threshold"):
        return None
    return CvarColumns(lp.col_of[id(m.cvar_threshold)], lp.col_of[id(m.cost_excess[0])],
                       lp.row_of[id(m.cvar_excess[0])])


def zeta_weight_range(settings: Any) -> tuple[float, float]:
    """[lowest, highest]: the weights W on zeta for which a future's Lagrangian subproblem
    stays bounded in zeta (docs/model.md 10c). Its objective (probability 1) has
    c_zeta = lambda on zeta and c_eta = lambda / (1 - beta) on eta, computed as the
    formulation does, so its slope in zeta is c_zeta above the future's cost and
    c_zeta - c_eta below it."""
    c_zeta = settings.risk_weight * 1.0
    c_eta = settings.risk_weight * (1.0 / (1.0 - settings.cvar_level))
    return -c_zeta, c_eta - c_zeta


def tail_weights(costs: list[tuple[float, float]], lowest: float, highest: float
                 ) -> list[float]:
    """Weights W_w on zeta, one per (probability, cost) pair, that sum to zero weighted by
    probability: `highest` for the dearest futures, `lowest` for the cheapest, the one in
    between what makes the sum zero (within [lowest, highest]). These are the extensive
    form's own multipliers on zeta's non-anticipativity when these costs are the optimum's:
    the futures in CVaR's tail carry the tail's weight (docs/model.md 10c)."""
    order = sorted(range(len(costs)), key=lambda i: -costs[i][1])
    weights = [highest] * len(costs)
    excess = math.fsum(p for p, _ in costs) * highest
    for i in reversed(order):
        p = costs[i][0]
        step = p * (highest - lowest)
        if excess - step >= 0.0:
            weights[i] = lowest
            excess -= step
        else:
            weights[i] = highest - excess / p if p > 0 else highest
            break
    return weights


NODE_DECISIONS = ("order", "transfer", "cargoes", "lot_used")  # keyed (..., node)
ROOT_DECISIONS = ("build", "sign")  # one value for every future


def decisions_by_period(m: Any, periods: int) -> dict[int, list]:
    """A future's decisions that futures sharing a node must agree on, by period (0: the
    root): orders, transfers, whole cargoes and lots of period t (in the future's own model
    node t - 1 is period t); at the root the capacity built, the options signed and the CVaR
    threshold. With its unmet demand (`unmet_by_period`), stock, below-target and contract
    takes follow from them."""
    found: dict[int, list] = {t: [] for t in range(0, periods + 1)}
    for family in NODE_DECISIONS:
        component = getattr(m, family, None)
        if component is None:
            continue
        for key, v in component.items():
            if key[-1] + 1 <= periods:
                found[key[-1] + 1].append(v)
    for family in ROOT_DECISIONS:
        component = getattr(m, family, None)
        if component is not None:
            found[0].extend(component.values())
    if hasattr(m, "cvar_threshold"):
        found[0].append(m.cvar_threshold)
    return found


def unmet_by_period(m: Any, ix: Any, periods: int) -> dict[int, list]:
    """A future's unmet demand by period (none at the root): shared like the decisions, but
    left free by the x-hat spoke (mpi-sppy's surrogates; see `FutureModels.create`)."""
    found: dict[int, list] = {t: [] for t in range(0, periods + 1)}
    for key in ix.stock_index:
        if key[2] + 1 <= periods:
            found[key[2] + 1].append(m.unmet[key])
    return found


def cost_of_variables(built) -> dict[int, float]:
    """|objective coefficient| of each variable with a cost (id -> money per unit)."""
    settings = built.index.plan.settings
    weight = max(0.0, 1.0 - settings.risk_weight)
    discounted = built.costs.discounted(built.index.discount)
    found: dict[int, float] = {}
    for v, c, n in zip(term_variables(built.model, built.costs), discounted.tolist(),
                       built.costs.node.tolist(), strict=True):
        share = 1.0 if n == ONCE else weight
        found[id(v)] = found.get(id(v), 0.0) + share * c
    if hasattr(built.model, "cvar_threshold"):
        found[id(built.model.cvar_threshold)] = settings.risk_weight
    return {k: abs(v) for k, v in found.items()}


def rho_setter(multiplier: float):
    """Rho per shared decision from its cost: multiplier x |its objective coefficient| / its
    quantity scale (money per unit squared: a deviation of one scale costs as much as the
    decision itself); a decision without a cost gets a small share of the median."""

    def setter(scenario: Any, **_: Any) -> list[tuple[int, float]]:
        costs, scales = scenario._planner_cost_of, scenario._planner_scale_of
        ids = list(scenario._mpisppy_data.varid_to_nonant_index)
        raw = {i: costs.get(i, 0.0) / scales.get(i, 1.0) for i in ids}
        positive = sorted(r for r in raw.values() if r > 0)
        floor = RHO_FLOOR_SHARE * (positive[len(positive) // 2] if positive else 1.0)
        # zeta's rho stays its own: money against money, a millionth of an order's. Floored
        # like a costless decision, its weight W outgrew every cost within a few iterations.
        zeta = {id(scenario.cvar_threshold)} if hasattr(scenario, "cvar_threshold") else set()
        return [(i, multiplier * (raw[i] if i in zeta else max(raw[i], floor))) for i in ids]

    return setter


PROX_BREAKPOINTS = (1.0, 16.0)  # |x - xbar| / delta where the slope steps
PROX_DELTA_SHARE = 0.01     # delta: this share of the decision's quantity scale
PROX_REACH = 1e4            # the last segment ends here (x delta): the LP stays bounded


MIP_ANSWERED = (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kUnbounded)


class ArrayHighs:
    """mpi-sppy's solver for one future: HiGHS fed from the future's compiled arrays.

    Pyomo's own HiGHS interfaces rewrite the whole model for every solve (about a second a
    future here, more than the solve), and HiGHS's quadratic solver is far slower than its
    simplex on PH's proximal terms. The future's constraints never change during PH, so they
    are handed to HiGHS once (`model._planner_lp`, compiled by the planner's hand-off); each
    solve reads what mpi-sppy has set (the weights W, x-bar, rho, whether each term is on,
    and the variables it has fixed) and re-solves from the previous basis. The proximal term
    rho/2 (x - xbar)^2 is replaced by its piecewise-linear interpolation at
    xbar +- delta (1, 16) (then one more segment), through deviation columns and
    one row x - d+ + d- = xbar per shared decision: PH stays a proximal method on LPs, and
    the bounds never depend on it (the Lagrangian spoke and the x-hat spoke solve without
    it)."""

    def __init__(self, **_: Any):
        self.options: dict[str, Any] = {}
        self.highs = None
        self.fixed = np.zeros(0, dtype=bool)
        self.prox_rows: np.ndarray | None = None

    def available(self, exception_flag: bool = True) -> bool:
        """Always: highspy is a dependency of the planner."""
        return True

    def has_capability(self, what: str) -> bool:
        """Linear objectives, and PH's proximal terms (made linear here)."""
        return what in ("linear", "quadratic_objective")

    def _start(self, model: Any, lp: Any) -> None:
        self.highs = new_highs(False)
        pass_arrays(self.highs, lp.num_cols, lp.num_rows, lp.cost, 0.0, lp.col_lower,
                    lp.col_upper, lp.row_lower, lp.row_upper, lp.start, lp.index, lp.value)
        self.fixed = np.zeros(lp.num_cols, dtype=bool)
        self.all_cols = np.arange(lp.num_cols, dtype=np.int32)
        self.is_mip = lp.is_mip
        if self.is_mip:  # whole cargoes, lots, options (model.md 14): each future a MIP
            make_mip(self.highs, lp, model._planner_mip_gap)
        data = getattr(model, "_mpisppy_data", None)
        nonants = data.nonant_indices if data is not None else {}
        self.nonant_keys = list(nonants)
        self.nonant_vars = list(nonants.values())
        self.nonant_cols = np.array([lp.col_of[id(v)] for v in nonants.values()],
                                    dtype=np.int64)

    def _data(self, terms: Any, name: str) -> list:
        """mpi-sppy's parameter `name` for each shared decision (looked up once)."""
        cache = self.__dict__.setdefault("_params", {})
        if name not in cache:
            component = getattr(terms, name)
            cache[name] = [component[k] for k in self.nonant_keys]
        return cache[name]

    def _add_prox(self, model: Any) -> None:
        """Deviation columns and rows of the piecewise-linear proximal term, with delta a
        share of each decision's quantity scale."""
        count = len(self.nonant_cols)
        scales = model._planner_scale_of
        self.delta = np.array([PROX_DELTA_SHARE * scales.get(id(v), 1.0)
                               for v in model._mpisppy_data.nonant_indices.values()])
        points = np.concatenate([[0.0], PROX_BREAKPOINTS, [PROX_REACH]])
        widths = np.diff(points)
        # Secant slopes of rho/2 d^2 per unit of rho and delta; the last segment's slope is
        # that of its chord too.
        self.unit_slopes = 0.5 * (points[:-1] + points[1:])
        k = len(widths)
        first_row, first_col = self.highs.getNumRow(), self.highs.getNumCol()
        # x - sum d+ + sum d- = xbar, one row per shared decision.
        starts = np.arange(count, dtype=np.int32)
        self.highs.addRows(count, np.zeros(count), np.zeros(count), count, starts,
                           self.nonant_cols.astype(np.int32), np.ones(count))
        self.prox_rows = np.arange(first_row, first_row + count, dtype=np.int32)
        n = count * 2 * k
        rows = np.repeat(self.prox_rows, 2 * k)
        signs = np.tile(np.repeat([-1.0, 1.0], k), count)
        upper = (self.delta[:, None, None] * np.ones((1, 2, 1)) * widths[None, None, :]).ravel()
        self.highs.addCols(n, np.zeros(n), np.zeros(n), upper, n,
                           np.arange(n, dtype=np.int32), rows.astype(np.int32), signs)
        self.segment_cols = np.arange(first_col, first_col + n, dtype=np.int32)
        self.segment_upper = upper

    def solve(self, model: Any, load_solutions: bool = False, tee: bool = False,
              **_: Any) -> Any:
        """Solve the future with mpi-sppy's current terms; the values go into its variables."""
        from mpi4py import MPI
        from pyomo.core import value

        # The other cylinders read this rank's bounds and weights by one-sided MPI, which
        # MPICH serves only while this rank is inside an MPI call: one call per future keeps
        # them from waiting out a whole pass over the futures (0.4 s a read on the hub).
        MPI.COMM_WORLD.Iprobe()
        lp = model._planner_lp
        if self.highs is None:
            self._start(model, lp)
        highs = self.highs
        set_option(highs, "output_flag", bool(tee))
        limit = self.options.get("time_limit")
        if limit:
            set_option(highs, "time_limit", float(limit))
        terms = getattr(model, "_mpisppy_model", None)
        cost = lp.cost.copy()
        prox_on = False
        if terms is not None and len(self.nonant_cols):
            # The terms count only once mpi-sppy has put them into the objective.
            if hasattr(terms, "WExpr") and value(terms.W_on):
                cost[self.nonant_cols] += np.array([w.value for w in self._data(terms, "W")])
            prox_on = hasattr(terms, "ProxExpr") and bool(value(terms.prox_on))
        highs.changeColsCost(lp.num_cols, self.all_cols, cost)
        if prox_on and self.prox_rows is None:
            self._add_prox(model)
        if self.prox_rows is not None:
            keys = self.nonant_keys
            if prox_on:
                rho = np.array([r.value for r in self._data(terms, "rho")])
                xbar = np.array([x.value for x in self._data(terms, "xbars")])
                per = (rho * self.delta)[:, None] * self.unit_slopes[None, :]
                slopes = np.repeat(per[:, None, :], 2, axis=1).ravel()
                reach = self.segment_upper
            else:  # the rows stay, their deviations free and costless
                xbar = np.zeros(len(keys))
                slopes = np.zeros(len(self.segment_cols))
                reach = np.full(len(self.segment_cols), INF)
            highs.changeColsCost(len(self.segment_cols), self.segment_cols, slopes)
            highs.changeColsBounds(len(self.segment_cols), self.segment_cols,
                                   np.zeros(len(self.segment_cols)), reach)
            highs.changeRowsBounds(len(self.prox_rows), self.prox_rows, xbar, xbar)
        # mpi-sppy fixes only shared decisions (the x-hat spoke): look at those alone.
        fixed = np.zeros(lp.num_cols, dtype=bool)
        fixed[self.nonant_cols] = np.fromiter((v.fixed for v in self.nonant_vars), dtype=bool,
                                              count=len(self.nonant_vars))
        if fixed.any() or self.fixed.any():
            lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
            at = np.flatnonzero(fixed)
            values = np.array([lp.variables[j].value for j in at.tolist()], dtype=float)
            lower[at] = upper[at] = values
            highs.changeColsBounds(lp.num_cols, self.all_cols, lower, upper)
            self.fixed = fixed
        highs.run()
        if highs.getModelStatus() not in (highspy.HighsModelStatus.kOptimal,
                                          highspy.HighsModelStatus.kUnbounded,
                                          highspy.HighsModelStatus.kInfeasible):
            highs.clearSolver()  # a basis the changes spoiled: once more from scratch
            highs.run()
        if self.is_mip and highs.getModelStatus() not in MIP_ANSWERED:
            # As the plan's own MIP ladder: branch and bound once more without presolve.
            set_option(highs, "presolve", "off")
            highs.run()
            set_option(highs, "presolve", "choose")
        return self._results(model, lp)

    def _results(self, model: Any, lp: Any) -> Any:
        from pyomo.opt import (
            Solution,
            SolutionStatus,
            SolverResults,
            SolverStatus,
            TerminationCondition,
        )

        highs = self.highs
        status = highs.getModelStatus()
        results = SolverResults()
        solution = Solution()
        info = highs.getInfo()
        stopped_with_plan = self.is_mip and status in STOPPED and \
            info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
        if status == highspy.HighsModelStatus.kOptimal or stopped_with_plan:
            objective = float(info.objective_function_value) + lp.offset
            # A MIP's bound is branch and bound's, not its plan's cost: PH is then a
            # heuristic, and the Lagrangian bound must add up the least each future can cost.
            bound = min(objective, float(info.mip_dual_bound) + lp.offset) if self.is_mip \
                else objective
            found = highs.getSolution()
            x = found.col_value
            cvar = getattr(model, "_planner_cvar", None)
            if cvar is not None:
                model._planner_future_cost = cvar.future_cost(x, found.row_value)
            # Straight into each variable's value (as set_value(skip_validation=True) does,
            # at a third of its cost: a pass sets 2,400 variables a future).
            for v, value_j, fixed_j in zip(lp.variables, x[:lp.num_cols], self.fixed.tolist(),
                                           strict=True):
                if not fixed_j:
                    v._value = value_j
            results.solver.status = SolverStatus.ok
            results.solver.termination_condition = TerminationCondition.optimal
            results.problem.lower_bound = bound
            results.problem.upper_bound = objective
            solution.status = SolutionStatus.optimal
        elif status == highspy.HighsModelStatus.kUnbounded:
            # Only a Lagrangian subproblem can be unbounded (weights W that outweigh a
            # decision's cost): its bound is -infinity, never the last one found.
            results.solver.status = SolverStatus.ok
            results.solver.termination_condition = TerminationCondition.optimal
            results.problem.lower_bound = -math.inf
            results.problem.upper_bound = math.inf
            solution.status = SolutionStatus.optimal
            highs.clearSolver()
        else:
            infeasible = status == highspy.HighsModelStatus.kInfeasible
            results.solver.status = SolverStatus.warning
            results.solver.termination_condition = (
                TerminationCondition.infeasible if infeasible else TerminationCondition.error)
            results.solver.message = highs.modelStatusToString(status)
            solution.status = (SolutionStatus.infeasible if infeasible
                               else SolutionStatus.unknown)
            data = getattr(model, "_mpisppy_data", None)
            if data is not None:  # no stale bound may outlive a failed solve
                data.outer_bound = -math.inf
            highs.clearSolver()  # the next solve starts afresh
        results.solution.insert(solution)
        return results


BUNDLE_COLUMNS = 100_000  # a bundle holds as many futures as have this many columns alone


def bundles(layout: TreeLayout, size: int) -> list[tuple[int, ...]]:
    """The (merged) futures dealt in tree order into ceil(n / size) bundles, so that each
    bundle holds futures from every part of the tree."""
    count = max(1, math.ceil(len(layout.futures) / size))
    return [tuple(layout.futures[i::count]) for i in range(count)]


class Gathering:
    """What `bundle_bound` needs of an MPI communicator (mpi4py's `allgather`), with the
    ranks of one process as the default."""

    def allgather(self, value: Any) -> list[Any]:
        """Every rank's `value`, in rank order."""
        return [value]

    def Get_rank(self) -> int:  # noqa: N802 - mpi4py's name
        """The number of the calling rank."""
        return 0

    def Get_size(self) -> int:  # noqa: N802 - mpi4py's name
        """How many ranks."""
        return 1


def bundle_bound(plan: PlanData, layout: TreeLayout, base: ScenarioSet, size: int,
                 comm: Any = None, seconds: float | None = None) -> float | None:
    """A lower bound from bundles of futures, each solved as its own extensive form
    (docs/model.md 10c): sum over bundles b of p_b min f_b, with the futures of a bundle
    sharing their decisions as in the plan and nothing shared between bundles but zeta,
    whose weights are `tail_weights` of the futures' costs at a first solve (then solved
    again). The ranks of `comm` share the bundles; each LP may take `seconds`. None if a
    bundle's LP fails or runs out of time. With whole-number decisions the bundles are solved
    as LP relaxations (each below its bundle's MIP, so still a bound)."""
    comm = comm if comm is not None else Gathering()
    rank, ranks = comm.Get_rank(), comm.Get_size()
    every_bundle = bundles(layout, size)
    mine = [(b, futures) for b, futures in enumerate(every_bundle) if b % ranks == rank]
    solved = []
    for b, futures in mine:
        weights = [layout.probability[w] for w in futures]
        built = build_model(plan, futures_together(plan, base, list(futures), weights))
        lp = compile_lp(built.model)
        highs = new_highs(False)
        pass_arrays(highs, lp.num_cols, lp.num_rows, lp.cost, 0.0, lp.col_lower,
                    lp.col_upper, lp.row_lower, lp.row_upper, lp.start, lp.index, lp.value)
        if seconds is not None:
            set_option(highs, "time_limit", float(seconds))
        m = built.model
        cvar = None
        if hasattr(m, "cvar_threshold"):
            cvar = (lp.col_of[id(m.cvar_threshold)],
                    [lp.col_of[id(m.cost_excess[i])] for i in range(len(futures))],
                    [lp.row_of[id(m.cvar_excess[i])] for i in range(len(futures))])
        lp.release_model()  # the arrays and HiGHS's copy are all the second solve needs
        del built, m
        solved.append((b, futures, math.fsum(weights), lp, highs, cvar))
    serve = getattr(comm, "Iprobe", lambda: None)  # MPI's one-sided reads, between solves

    def solve_all(zeta_weight: dict[int, float]) -> tuple[float, list] | None:
        local, costs = 0.0, []
        for b, futures, probability, lp, highs, cvar in solved:
            if cvar is not None:
                zeta = cvar[0]
                highs.changeColsCost(1, np.array([zeta], dtype=np.int32),
                                     np.array([lp.cost[zeta] + zeta_weight.get(b, 0.0)]))
            serve()
            highs.run()
            if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return None
            local += probability * (float(highs.getInfo().objective_function_value) +
                                    lp.offset)
            if cvar is not None:
                found = highs.getSolution()
                x, rows = found.col_value, found.row_value
                for i, w in enumerate(futures):
                    costs.append((b, w, x[cvar[0]] + x[cvar[1][i]] - rows[cvar[2][i]]))
        return local, costs

    first = solve_all({})
    parts = comm.allgather(None if first is None else first[0])
    if any(part is None for part in parts):
        return None
    bound = math.fsum(parts)
    if plan.settings.risk_weight <= 0:  # decided alike on every rank, even one without a bundle
        return bound
    # zeta: the tail's weights for each future, averaged over its bundle.
    costs = sorted(c for part in comm.allgather(first[1]) for c in part)
    weights = tail_weights([(layout.probability[w], cost) for _, w, cost in costs],
                           *zeta_weight_range(plan.settings))
    zeta_weight: dict[int, float] = {}
    probability_of = {b: math.fsum(layout.probability[w] for w in futures)
                      for b, futures in enumerate(every_bundle)}
    for (b, w, _), weight in zip(costs, weights, strict=True):
        zeta_weight[b] = zeta_weight.get(b, 0.0) + layout.probability[w] / probability_of[b] \
            * weight
    second = solve_all(zeta_weight)
    parts = comm.allgather(None if second is None else second[0])
    if any(part is None for part in parts):
        return bound
    return max(bound, math.fsum(parts))


def tail_lagrangian(cls: type, futures: FutureModels) -> type:
    """mpi-sppy's Lagrangian spoke `cls` that first sends the bundles' bound
    (`bundle_bound`, its ranks sharing the bundles of `futures`), then runs PH's Lagrangian
    bounds with zeta's weights set by `tail_weights` from the futures' costs at its previous
    solve, instead of the hub's.

    Any weights that sum to zero (by probability, at each node) give a valid lower bound.
    The hub's weights on zeta converge to a knife edge: the bounded range [lowest, highest]
    is exactly where the optimum's weights lie, and a weight just past it lets zeta run to its
    far bound, so the hub's own weights gave a bound far below the optimum at every
    iteration. Its first bound (every weight 0) lets each future take its own zeta and
    misses CVaR altogether; so the first bound is solved twice, the second time with the
    tail's weights from the first solve's costs (the wait-and-see bound)."""

    class TailLagrangian(cls):
        costs_known = False

        def main(self, need_solution: bool = False) -> Any:
            # The bundles' bound first: far tighter than PH's first bounds (docs/model.md
            # 10c), it is the hub's lower bound while PH improves the plan.
            started = time.perf_counter()
            bound = bundle_bound(futures.plan, futures.layout, futures.base,
                                 futures.bundle_size, self.opt.mpicomm,
                                 self.opt.options.get("time_limit"))
            if bound is not None:
                self.send_bound(bound)
            if self.opt.cylinder_rank == 0:
                say("bundles", bound=_number(bound), seconds=time.perf_counter() - started,
                    size=futures.bundle_size, relaxed=futures.has_whole_numbers)
            return super().main(need_solution)

        def lagrangian(self, need_solution=True, **kwargs: Any) -> Any:
            if not self._has_cvar():
                return super().lagrangian(need_solution=need_solution, **kwargs)
            if not self.costs_known:  # the first bound: W = 0 gives each future's cost
                first = super().lagrangian(need_solution=need_solution, **kwargs)
                self.costs_known = True
                self._set_zeta_weights()
                second = super().lagrangian(need_solution=need_solution, **kwargs)
                return _best(first, second)
            self._set_zeta_weights()
            return super().lagrangian(need_solution=need_solution, **kwargs)

        def do_while_waiting_for_new_Ws(self, *args: Any, **kwargs: Any) -> None:  # noqa: N802
            # mpi-sppy polls the hub for new weights in a busy loop: 95,000 polls in 40 s
            # on 20 futures, a core's share taken from the hub and the x-hat spoke.
            time.sleep(IDLE_SECONDS)

        def _has_cvar(self) -> bool:
            return any(getattr(s, "_planner_cvar", None) is not None
                       for s in self.opt.local_scenarios.values())

        def _set_zeta_weights(self) -> None:
            local = [(name, float(s._mpisppy_probability),
                      float(getattr(s, "_planner_future_cost", 0.0)))
                     for name, s in self.opt.local_scenarios.items()]
            found = [item for part in self.opt.mpicomm.allgather(local) for item in part]
            found.sort()
            weights = tail_weights([(p, c) for _, p, c in found],
                                   *zeta_weight_range(futures.plan.settings))
            weight_of = {name: wt for (name, _, _), wt in zip(found, weights, strict=True)}
            for name, s in self.opt.local_scenarios.items():
                key = s._mpisppy_data.varid_to_nonant_index[id(s.cvar_threshold)]
                s._mpisppy_model.W[key].value = weight_of[name]

    TailLagrangian.__name__ = cls.__name__
    return TailLagrangian


def _best(first: Any, second: Any) -> Any:
    if first is None:
        return second
    if second is None:
        return first
    return max(first, second)


def few_communicators(cls: type) -> type:
    """`cls` (an mpi-sppy optimiser) with one MPI communicator per set of ranks instead of
    one per tree node.

    mpi-sppy splits a communicator for every node of the tree, and MPICH has 2,048 of them
    per process: 200 sampled futures of the example have about 4,600 nodes, and the ranks
    stopped with "Too many communicators". Nodes whose futures sit on the same ranks can share
    one: a node's futures are a contiguous run of the futures each rank holds in turn, so two
    nodes on the same ranks both hold the futures on either side of a boundary between ranks,
    one inside the other, and every rank reduces over them in the same (root to leaf) order.
    With one rank per cylinder every node shares the cylinder's own communicator."""

    class Few(cls):
        def _create_communicators(self) -> None:
            from mpi4py import MPI

            position = {name: i for i, name in enumerate(self.all_scenario_names)}
            local = {node.name for s in self.local_scenarios.values()
                     for node in s._mpisppy_node_list}
            shared: dict[tuple[int, ...], Any] = {}
            for name in self.all_nodenames:  # the same order on every rank
                if name == ROOT:
                    self.comms[ROOT] = self.mpicomm
                    continue
                futures = self.scenario_names_to_rank.get(name)
                if futures is None:  # a leaf: no communicator
                    continue
                ranks = tuple(sorted({self._scenario_slices[position[f]] for f in futures}))
                if ranks not in shared:
                    colour = len(shared) if self.cylinder_rank in ranks else MPI.UNDEFINED
                    shared[ranks] = self.mpicomm.Split(color=colour, key=self.cylinder_rank)
                if name in local:
                    self.comms[name] = shared[ranks]

    Few.__name__ = cls.__name__
    return Few


def fast_objective(cls: type) -> type:
    """`cls` (an mpi-sppy optimiser) whose expected objective adds up the objective values
    of the last solves, which ArrayHighs computes exactly, instead of evaluating each
    future's Pyomo objective (over a second a future with PH's terms in it)."""

    class Fast(cls):
        def Eobjective(self, verbose: bool = False) -> float:  # noqa: N802 - mpi-sppy's name
            from mpi4py import MPI

            local = math.fsum(s._mpisppy_probability * float(s._mpisppy_data.inner_bound)
                              for s in self.local_scenarios.values())
            found = np.zeros(1)
            self.mpicomm.Allreduce(np.array([local]), found, op=MPI.SUM)
            return float(found[0])

    Fast.__name__ = cls.__name__
    return Fast


def register_solver() -> str:
    """Make `ArrayHighs` known to Pyomo's SolverFactory (mpi-sppy asks for it by name)."""
    from pyomo.opt import SolverFactory

    name = "planner_highs"
    if name not in SolverFactory:
        SolverFactory.register(name, doc="HiGHS on the planner's compiled arrays")(ArrayHighs)
    return name


def say(kind: str, **fields: Any) -> None:
    """One progress line for the planner."""
    print(PROGRESS_PREFIX + json.dumps({"kind": kind, **fields}), flush=True)


def progress_extension(every_seconds: float):
    """A PH extension that reports the hub's iteration, bounds and gap every few seconds, and
    any future whose solve fails, by name."""
    from mpisppy.extensions.extension import Extension

    class Progress(Extension):
        def __init__(self, ph: Any):
            super().__init__(ph)
            self.last = 0.0
            self.started = time.time()

        def post_solve(self, s: Any, results: Any) -> Any:
            # Any failed solve of a future is reported by its name before mpi-sppy stops.
            from pyomo.opt import TerminationCondition

            if results is None:
                say("failed", future=s.name, status="no answer from the solver")
            else:
                condition = results.solver.termination_condition
                if condition not in (TerminationCondition.optimal,
                                     TerminationCondition.locallyOptimal):
                    say("failed", future=s.name, status=str(
                        getattr(results.solver, "message", None) or condition))
            return results

        def _report(self, force: bool = False) -> None:
            now = time.time()
            if not force and now - self.last < every_seconds:
                return
            self.last = now
            hub = self.opt.spcomm
            if hub is None or self.opt.cylinder_rank != 0:
                return
            lower, upper = hub.BestOuterBound, hub.BestInnerBound
            say("progress", iteration=self.opt._PHIter, lower=_number(lower),
                upper=_number(upper), seconds=now - self.started)

        def miditer(self) -> None:
            self._report()

        def enditer(self) -> None:
            self._report()

        def post_everything(self) -> None:
            self._report(force=True)

    return Progress


def _number(value: float) -> float | None:
    return None if value is None or math.isinf(value) or math.isnan(value) else float(value)


def configuration(settings: dict) -> Any:
    """mpi-sppy's configuration for the run (its `Config` with the planner's values)."""
    from mpisppy.utils import config

    cfg = config.Config()
    cfg.popular_args()
    cfg.two_sided_args()
    cfg.ph_args()
    cfg.lagrangian_args()
    cfg.xhatshuffle_args()
    cfg.solver_name = register_solver()
    cfg.default_rho = 1.0
    cfg.max_iterations = settings["max_iterations"]
    cfg.time_limit = settings["time_limit_seconds"]
    cfg.rel_gap = settings["ph_gap"]
    cfg.abs_gap = settings.get("abs_gap", 0.0)
    cfg.display_progress = False
    cfg.tee_rank0_solves = False
    return cfg


def run(job: Path) -> int:
    """Spin the PH hub and its two bound spokes; the winner writes the best plan."""
    from mpi4py import MPI
    from mpisppy.spin_the_wheel import WheelSpinner
    from mpisppy.utils import cfg_vanilla as vanilla

    with open(job / "plan.pickle", "rb") as handle:
        plan, settings = pickle.load(handle)
    futures = FutureModels(plan)
    names = futures.scenario_names()
    cfg = configuration(settings)
    rho = rho_setter(settings["rho_multiplier"])
    all_nodenames = futures.layout.all_nodenames
    hub = vanilla.ph_hub(cfg, futures.create, None, names, rho_setter=rho,
                         all_nodenames=all_nodenames,
                         ph_extensions=progress_extension(settings["progress_seconds"]))
    hub["opt_kwargs"]["options"]["display_progress"] = False
    lagrangian = vanilla.lagrangian_spoke(cfg, futures.create, None, names, rho_setter=rho,
                                          all_nodenames=all_nodenames)
    lagrangian["spoke_class"] = tail_lagrangian(lagrangian["spoke_class"], futures)
    xhat = vanilla.xhatshuffle_spoke(cfg, futures.create, None, names,
                                     all_nodenames=all_nodenames)
    hub["opt_class"] = few_communicators(fast_objective(hub["opt_class"]))
    xhat["opt_class"] = few_communicators(fast_objective(xhat["opt_class"]))
    lagrangian["opt_class"] = few_communicators(lagrangian["opt_class"])
    wheel = WheelSpinner(hub, [lagrangian, xhat])
    wheel.spin()
    world = MPI.COMM_WORLD
    if wheel.on_hub() and wheel.cylinder_rank == 0:
        hub_object = wheel.spcomm
        summary = {"lower": _number(wheel.BestOuterBound), "upper": _number(wheel.BestInnerBound),
                   "iterations": int(hub_object.opt._PHIter)}
    else:
        summary = None
    summary = world.bcast(summary, root=0)
    winner = wheel._determine_innerbound_winner()
    found = None
    if winner and wheel.spcomm.opt.load_best_solution():
        found = local_decisions(wheel.spcomm.opt, futures)
    if winner:
        gathered = wheel.spcomm.opt.mpicomm.gather(found, root=0)
        if wheel.cylinder_rank == 0:
            decisions: dict = {}
            for part in gathered:
                if part:
                    decisions.update(part)
            with open(job / "xhat.pickle.part", "wb") as handle:
                pickle.dump({**summary, "decisions": decisions}, handle)
            (job / "xhat.pickle.part").rename(job / "xhat.pickle")
    if world.Get_rank() == 0:
        if not (job / "xhat.pickle").exists() and summary is not None:
            with open(job / "summary.pickle", "wb") as handle:
                pickle.dump(summary, handle)
    world.Barrier()
    return 0


def local_decisions(opt: Any, futures: FutureModels) -> dict:
    """Every variable's value in the best plan, per future (name -> {component: {key: v}})."""
    found = {}
    for name, model in opt.local_scenarios.items():
        values = {}
        for family in ("order", "transfer", "unmet", "build", "stock", "below_target",
                       "end_shortfall", *NODE_DECISIONS[2:], *ROOT_DECISIONS[1:]):
            component = getattr(model, family, None)
            if component is not None:
                values[family] = {key: var.value for key, var in component.items()}
        if hasattr(model, "cvar_threshold"):
            values["cvar_threshold"] = model.cvar_threshold.value
        found[name] = values
    return found


def main(argv: list[str]) -> int:
    """Entry point of each rank."""
    job = Path(argv[0])
    try:
        return run(job)
    except Exception:  # a rank that fails says why, then MPI stops the others
        text = traceback.format_exc()
        say("error", text=text)
        print(text, file=sys.stderr, flush=True)
        from mpi4py import MPI

        MPI.COMM_WORLD.Abort(1)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
