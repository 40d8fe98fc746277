"""What knowing and hedging are worth (docs/model.md, section 10,
"The value of information: EVPI and VSS").

- RP: the plan's own objective.
- WS (wait and see): every decision, investments included, made per scenario with perfect
  foresight; the same objective. Because that objective only grows with each scenario's cost,
  the best per-scenario plans are each scenario's own optimum, so WS = (1 - lambda) E[C*] +
  lambda CVaR[C*] of those optima. EVPI = RP - WS >= 0.
- EV: one scenario whose factors are the probability-weighted means, every limit binding.
  EEV: the stochastic LP with the EV plan's root decisions fixed (orders, transfers, unmet
  demand of the periods before any scenario diverges, and the investments; stock and below-
  target follow from them). VSS = EEV - RP >= 0; infinite when fixing makes the LP infeasible.

The per-scenario problems and EV are re-solves of one live single-scenario model
(`scenario_lp.ScenarioModel`); EEV is a re-solve of the plan's own live model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model.analyses.parallel import Task, Where, run_tasks, task_key
from model.analyses.scenario_lp import ScenarioModel
from model.domain.data import PlanData
from model.domain.scenarios import single_scenario_period
from model.domain.tolerances import BINDS
from model.results.extract import cvar_of
from model.solver.solve import SolveStatus


@dataclass
class ValueOfInformation:
    """RP, WS, EV, EEV and the two values, each in the plan's currency."""

    rp: float
    ws: float | None
    ev: float | None
    eev: float | None
    seconds: float = 0.0
    shared_periods: int | None = None  # periods before the scenarios diverge (EEV fixes them)
    has_investments: bool = False
    # With whole-number decisions (model.md 14.5) each of RP, WS and EEV is a MIP's cost,
    # known only to within its gap: the least each can be. None for an LP.
    rp_bound: float | None = None
    ws_bound: float | None = None
    eev_bound: float | None = None

    @property
    def evpi_interval(self) -> tuple[float, float] | None:
        """[least, most] EVPI can be given the MIP gaps: RP in [rp_bound, rp], WS in
        [ws_bound, ws]; None for an LP or without WS."""
        if self.rp_bound is None or self.ws is None or self.ws_bound is None:
            return None
        return max(0.0, self.rp_bound - self.ws), max(0.0, self.rp - self.ws_bound)

    @property
    def vss_interval(self) -> tuple[float, float] | None:
        """[least, most] VSS can be given the MIP gaps."""
        if self.rp_bound is None or self.eev is None or self.eev_bound is None or \
                math.isinf(self.eev):
            return None
        return max(0.0, self.eev_bound - self.rp), max(0.0, self.eev - self.rp_bound)

    @property
    def evpi(self) -> float | None:
        """RP - WS: what perfect warning of the disruptions is worth."""
        return None if self.ws is None else max(0.0, self.rp - self.ws)

    @property
    def vss(self) -> float | None:
        """EEV - RP: what planning for the scenarios instead of their average is worth; None
        when not computed, or not measured (no decision is taken before the scenarios diverge
        and there is no investment: EEV fixes nothing, so EEV = RP says nothing)."""
        if self.eev is None or self.unmeasured:
            return None
        return math.inf if math.isinf(self.eev) else max(0.0, self.eev - self.rp)

    @property
    def unmeasured(self) -> bool:
        """Whether EEV fixes nothing (see `vss`)."""
        return self.shared_periods == 0 and not self.has_investments

    def sentences(self, currency: str) -> tuple[str, str]:
        """The two values in words, for the Summary."""
        evpi = ("not computed" if self.evpi is None else
                f"perfect warning of every disruption would save {self.evpi:,.0f} {currency}: "
                "the plan's cost minus what it would cost if each scenario were known in "
                "advance (RP - WS)")
        interval = self.evpi_interval
        if interval is not None:
            evpi += (f"; between {interval[0]:,.0f} and {interval[1]:,.0f} {currency} given "
                     "the gaps of the MIPs solved for it")
        if self.eev is not None and self.unmeasured:
            vss = ("not measured: the scenarios differ from the first period, so no decision is "
                   "taken before they diverge and a plan for their average has nothing to fix "
                   "(EEV = RP)")
        elif self.vss is None:
            vss = "not computed"
        elif math.isinf(self.vss):
            vss = ("a plan made for the average scenario cannot be completed in every scenario "
                   "(fixing its first decisions leaves no feasible plan): planning for the "
                   "scenarios is indispensable")
        else:
            vss = (f"planning for the scenarios instead of for their average saves "
                   f"{self.vss:,.0f} {currency} (EEV - RP)")
            if self.shared_periods == 0:
                vss += ("; only the investments are compared, as the scenarios differ from the "
                        "first period")
            interval = self.vss_interval
            if interval is not None:
                vss += (f"; between {interval[0]:,.0f} and {interval[1]:,.0f} {currency} given "
                        "the gaps of the MIPs solved for it")
        return evpi, vss


class WaitAndSeeTask(Task):
    """Solves one scenario alone (its factors and limits) on a single-scenario model."""

    def __init__(self, plan: PlanData, base):
        self.plan, self.base = plan, base
        self.key = task_key("wait and see")

    def setup(self) -> ScenarioModel:
        """The single-scenario model, solved once so every scenario starts from one basis."""
        model = ScenarioModel(self.plan)
        model.solve_once()
        return model

    def run(self, model: ScenarioModel, w: int) -> float | None:
        """Scenario w's optimal cost with perfect foresight."""
        until = {limit: periods[w] for limit, periods in self.base.limit_until.items()}
        model.set_scenario(self.base.factors.select([w]), until)
        return model.solve_from_start().optimal_objective

    def run_with_bound(self, model: ScenarioModel, w: int) -> tuple[float | None, float | None]:
        """Scenario w's optimal cost and the least it can be (its MIP bound)."""
        until = {limit: periods[w] for limit, periods in self.base.limit_until.items()}
        model.set_scenario(self.base.factors.select([w]), until)
        solution = model.solve_from_start()
        return solution.optimal_objective, solution.bound


def wait_and_see(plan: PlanData, base, where: Where | None = None) -> float | None:
    """WS: (1 - lambda) E[C*] + lambda CVaR[C*] of every scenario's own optimum (None when a
    scenario cannot be solved)."""
    distinct, same_as = distinct_scenarios(base)
    task = WaitAndSeeTask(plan, base)
    model = task.setup()
    found = dict(zip(distinct, run_tasks(task, distinct, where, state=model,
                                         label="wait-and-see scenarios",
                                         item_seconds=model.first_solve_seconds), strict=True))
    return risk_weighted([found[w] for w in same_as], base, plan.settings)


def distinct_scenarios(base) -> tuple[list[int], list[int]]:
    """Scenarios with the same data and the same binding limits have the same optimum: the
    first scenario of each such group, and for every scenario the first of its group."""
    first_of: dict[tuple, int] = {}
    same_as = []
    for w in range(len(base.names)):
        until = tuple(periods[w] for periods in base.limit_until.values())
        same_as.append(first_of.setdefault((base.tree.node_of[w][-1], until), w))
    return list(first_of.values()), same_as


def risk_weighted(costs: list, base, settings) -> float | None:
    """(1 - lambda) E[C] + lambda CVaR[C] of per-scenario costs (None when one is missing)."""
    if any(c is None for c in costs):
        return None
    p = list(base.probabilities)
    lam = settings.risk_weight
    return (1 - lam) * float(np.dot(costs, p)) + lam * cvar_of(costs, p, settings.cvar_level)


def value_of_information(plan: PlanData, solved, where: Where | None = None
                         ) -> ValueOfInformation:
    """EVPI and VSS of a solved plan (`solver.plan.SolvedModel`), from their own solves."""
    import time

    started = time.perf_counter()
    base = solved.built.index.scenarios
    rp = float(solved.solution.objective)
    rp_bound = solved.solution.mip_bound
    if len(base.names) == 1:
        return ValueOfInformation(rp, rp, rp, rp, time.perf_counter() - started,
                                  rp_bound=rp_bound, ws_bound=rp_bound, eev_bound=rp_bound)
    settings = plan.settings
    # Scenarios with the same data and the same binding limits have the same optimum.
    distinct, same_as = distinct_scenarios(base)
    task = WaitAndSeeTask(plan, base)
    model = task.setup()
    mip = model.solver.lp.is_mip
    if mip:  # each scenario's optimum and its bound, solved here (a MIP per scenario)
        pairs = {w: task.run_with_bound(model, w) for w in distinct}
        found = {w: cost for w, (cost, _) in pairs.items()}
        least = {w: bound for w, (_, bound) in pairs.items()}
    else:
        found = dict(zip(distinct, run_tasks(task, distinct, where, state=model,
                                             label="wait-and-see scenarios",
                                             item_seconds=model.first_solve_seconds),
                         strict=True))
        least = found

    ws = risk_weighted([found[w] for w in same_as], base, settings)
    ws_bound = risk_weighted([least[w] for w in same_as], base, settings)
    model.set_scenario(base.factors.mean(base.probabilities))
    ev = model.solve()
    eev, eev_bound = None, None
    if ev.optimal_objective is not None:
        eev, eev_bound = expected_value_plan_cost(solved, model, ev, with_bound=True)
    return ValueOfInformation(rp, ws, ev.optimal_objective, eev, time.perf_counter() - started,
                              base.tree.shared_periods, bool(plan.projects) or
                              any(c.is_option for c in plan.contracts.values()),
                              rp_bound=rp_bound if mip else None,
                              ws_bound=ws_bound if mip else None,
                              eev_bound=eev_bound if mip else None)


def expected_value_plan_cost(solved, model: ScenarioModel, ev_solution,
                             with_bound: bool = False):
    """EEV: the plan's live model re-solved with the EV plan's root decisions fixed; inf when
    that leaves no feasible plan. The live model's bounds are restored afterwards.

    For a plan with whole-number decisions the live model is the LP with them fixed at the
    plan's values: they are released for this solve (a MIP, options fixed at EV's choice like
    investments) and fixed again afterwards. `with_bound`: (EEV, the least it can be)."""
    solver = solved.solver
    mip = solver.integer_values is not None
    if mip:
        solver.release_integers()
        solver.fix_after_mip = False
    try:
        cost, bound = _eev(solved, model, ev_solution)
    finally:
        if mip:
            solver.fix_after_mip = True
            solver.refix_integers()
    return (cost, bound) if with_bound else cost


def _eev(solved, model: ScenarioModel, ev_solution) -> tuple[float | None, float | None]:
    ix = solved.built.index
    tree = ix.tree
    layout, solver = solved.solver.lp.layout, solved.solver
    ev_layout = model.solver.lp.layout
    root = tree.shared_periods
    node_of_period = {t: tree.node_of[0][t - 1] for t in range(1, root + 1)}
    columns, values = [], []
    # The EV model has one scenario: its node n is period single_scenario_period(n).
    for family, period_of in (("order", lambda key: single_scenario_period(key[1])),
                              ("transfer", lambda key: single_scenario_period(key[1])),
                              ("unmet", lambda key: single_scenario_period(key[2])),
                              ("build", None), ("sign", None)):
        ev_block, block = ev_layout.columns.get(family), layout.columns.get(family)
        if ev_block is None or block is None:
            continue
        position = {key: i for i, key in enumerate(block.keys)}
        for i, key in enumerate(ev_block.keys):
            if period_of is not None:
                t = period_of(key)
                if t > root:
                    continue
                key = (*key[:-1], node_of_period[t])
            columns.append(block.start + position[key])
            values.append(float(ev_solution.col_value[ev_block.start + i]))
    cols = np.array(columns, dtype=np.int64)
    lower, upper = solver.lp.col_lower[cols].copy(), solver.lp.col_upper[cols].copy()
    wanted = np.array(values)
    if np.any(wanted < lower - BINDS) or np.any(wanted > upper + BINDS):
        return math.inf, math.inf
    fixed = np.clip(wanted, lower, upper)
    solver.change_col_bounds(cols, fixed, fixed)
    try:
        solution = solver.solve()
    finally:
        solver.change_col_bounds(cols, lower, upper)
    if solution.status == SolveStatus.INFEASIBLE:
        return math.inf, math.inf
    if solution.status != SolveStatus.OPTIMAL:
        return None, None
    cost = float(solution.objective)
    return cost, solution.mip_bound if solution.mip_bound is not None else cost
