"""How much of the plan's promise holds out of sample.

The plan was optimised for its own futures (hand-written or sampled), which flatters it.
`evaluate` draws M fresh futures from the Events sheet and plays the plan in each: the plan is a
policy, so a fresh future follows the plan's decisions as long as its history matches a future
the plan was made for (at least the decisions taken before any event can be seen: the first
periods, and the investments); from the first period it departs, the rest of that future is
re-planned with foresight of it (the usual two-stage reading of a multi-stage plan, which can
only flatter the evaluation, never hurt it). A fresh future equal to one of the plan's own
reproduces that future's cost exactly.

Reported: the expected cost with a 95% confidence interval, the chance and size of a shortfall
per commodity, and the gap to the in-sample expected cost (the optimism of planning on N
futures). With R replications of the in-sample solve on fresh samples, the mean of their optima
is a statistical lower bound on the true optimum (Mak, Morton and Wood 1999); the plan's
objective over the fresh futures minus that bound is the gap estimate (an estimate only: the
re-planning after a future departs from the plan's tree flatters the plan).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace

import numpy as np

from model.analyses.parallel import Progress, Task, Where, run_tasks, task_key
from model.analyses.scenario_lp import ScenarioModel
from model.domain.data import PlanData, Scenario
from model.domain.sampling import (
    EVALUATION,
    describe,
    disruptions_of,
    draw_future,
    future_name,
    replication_stream,
    sampled_plan,
)
from model.domain.scenarios import (
    limit_until,
    period_signature,
    scenario_factors,
    single_scenario_node,
)
from model.domain.tolerances import NOTHING
from model.results.extract import cvar_of
from model.solver.plan import solve_plan
from model.solver.solve import Solution, SolveStatus

T_95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120,
        17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069,
        24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045}


def t_quantile(degrees: int) -> float:
    """The two-sided 95% quantile of Student's t (the normal one from 30 degrees of
    freedom)."""
    return T_95.get(degrees, 1.96)


def interval(values) -> tuple[float, float, float, float]:
    """(mean, standard deviation, lower, upper) of a 95% confidence interval of the mean."""
    values = np.asarray(values, dtype=float)
    mean = float(np.mean(values))
    if len(values) < 2:
        return mean, 0.0, mean, mean
    sd = float(np.std(values, ddof=1))
    half = t_quantile(len(values) - 1) * sd / math.sqrt(len(values))
    return mean, sd, mean - half, mean + half


@dataclass(frozen=True)
class PlanPolicy:
    """What the plan decides, by tree node, for a fresh future to follow: each node's factor
    signature and children, and its orders, transfers and unmet demand; the investments."""

    signatures: dict[int, bytes]
    children: dict[int, list[int]]        # -1: the first period's nodes
    orders: dict[int, dict[str, float]]
    transfers: dict[int, dict[int, float]]
    unmet: dict[int, dict[tuple[str, str], float]]
    build: dict[str, float]


def plan_policy(solved) -> PlanPolicy:
    """The policy of a solved plan (`solver.plan.SolvedModel`)."""
    ix, lp, x = solved.built.index, solved.solver.lp, solved.solution.col_value
    tree, factors = ix.tree, ix.factors
    signatures, children = {}, {}
    for node in tree.nodes:
        signatures[node.id] = period_signature(factors, node.scenarios[0], node.t)
        children.setdefault(node.parent if node.parent is not None else -1,
                            []).append(node.id)
    orders: dict[int, dict[str, float]] = {}
    block = lp.layout.columns["order"]
    for i, (r, n) in enumerate(block.keys):
        orders.setdefault(n, {})[r] = float(x[block.start + i])
    transfers: dict[int, dict[int, float]] = {}
    block = lp.layout.columns.get("transfer")
    for i, (f, n) in enumerate(block.keys if block else []):
        transfers.setdefault(n, {})[f] = float(x[block.start + i])
    unmet: dict[int, dict[tuple[str, str], float]] = {}
    block = lp.layout.columns["unmet"]
    for i, (k, g, n) in enumerate(block.keys):
        unmet.setdefault(n, {})[(k, g)] = float(x[block.start + i])
    block = lp.layout.columns.get("build")
    build = {j: float(x[block.start + i]) for i, j in enumerate(block.keys)} if block else {}
    return PlanPolicy(signatures, children, orders, transfers, unmet, build)


@dataclass(frozen=True)
class PlayedFuture:
    """One fresh future played with the plan."""

    index: int
    events: str
    followed_periods: int
    status: SolveStatus
    cost: float | None
    shortfall: tuple[float, ...]        # per commodity, units over the horizon
    end_shortfall: tuple[float, ...]    # per commodity, below end_stock at the end
    solve_seconds: float = 0.0          # HiGHS's own time for this future


class EvaluationTask(Task):
    """Plays fresh futures with the plan on a worker's single-scenario model."""

    def __init__(self, plan: PlanData, policy: PlanPolicy, seed: int, stream: int = EVALUATION):
        self.plan, self.policy, self.seed, self.stream = plan, policy, seed, stream
        self.key = task_key("evaluate")

    def setup(self) -> ScenarioModel:
        """The single-scenario model, solved once so every future starts from one basis."""
        model = ScenarioModel(self.plan)
        model.solve_once()
        return model

    def run(self, model: ScenarioModel, index: int) -> PlayedFuture:
        """Draw future `index`, follow the plan while it matches, re-plan the rest."""
        plan = self.plan
        calendar = plan.settings.calendar
        occurrences = draw_future(plan.events, calendar.periods, calendar.periods_per_year,
                                  self.seed, self.stream, index, calendar.start)
        name = future_name(self.stream, index)
        future = replace(plan, scenarios={name: Scenario(name, 1.0)},
                         disruptions=tuple(disruptions_of(name, occurrences)))
        factors = scenario_factors(future, [name])
        until = {limit: periods[0] for limit, periods in limit_until(
            future, (name,), factors, sampled=True).items()}
        model.set_scenario(factors, until)
        columns, values, followed = self._followed(model, factors)
        model.fix(columns, values)
        try:
            solution = model.solve_from_start()
        finally:
            model.release(columns)
        shortfall, end = self._shortfall(model, solution)
        return PlayedFuture(index, describe(occurrences, calendar.label), followed,
                            solution.status, solution.optimal_objective, shortfall, end,
                            solution.seconds)

    def _followed(self, model: ScenarioModel, factors) -> tuple[np.ndarray, np.ndarray, int]:
        """Columns to fix and their values: the plan's decisions along the longest prefix of
        tree nodes whose factors this future shares, and the investments."""
        policy, layout = self.policy, model.solver.lp.layout
        cols, values = [], []
        node, followed = -1, 0
        position = model.positions
        for t in range(1, self.plan.settings.periods + 1):
            signature = period_signature(factors, 0, t)
            match = next((c for c in policy.children.get(node, [])
                          if policy.signatures[c] == signature), None)
            if match is None:
                break
            node, followed = match, t
            for r, value in policy.orders.get(node, {}).items():
                cols.append(position["order"][(r, single_scenario_node(t))])
                values.append(value)
            for f, value in policy.transfers.get(node, {}).items():
                cols.append(position["transfer"][(f, single_scenario_node(t))])
                values.append(value)
            for (k, g), value in policy.unmet.get(node, {}).items():
                cols.append(position["unmet"][(k, g, single_scenario_node(t))])
                values.append(value)
        build = layout.columns.get("build")
        for i, j in enumerate(build.keys if build else []):
            cols.append(build.start + i)
            values.append(policy.build[j])
        return np.asarray(cols, dtype=np.int64), np.asarray(values, dtype=float), followed

    def _shortfall(self, model: ScenarioModel, solution: Solution
                   ) -> tuple[tuple[float, ...], tuple[float, ...]]:
        commodities = list(self.plan.commodities)
        short = np.zeros(len(commodities))
        end = np.zeros(len(commodities))
        x = solution.col_value
        if x is None:
            return tuple(short), tuple(end)
        which = {k: i for i, k in enumerate(commodities)}
        layout = model.solver.lp.layout
        block = layout.columns["unmet"]
        for i, (k, _g, _n) in enumerate(block.keys):
            short[which[k]] += x[block.start + i]
        block = layout.columns.get("end_shortfall")
        for i, (k, _g, _n) in enumerate(block.keys if block else []):
            end[which[k]] += x[block.start + i]
        return tuple(float(v) for v in short), tuple(float(v) for v in end)


class ReplicationTask(Task):
    """Solves the plan on a fresh sample of its size (one replication of the SAA problem)."""

    def __init__(self, plan: PlanData, count: int, seed: int):
        self.plan, self.count, self.seed = plan, count, seed
        self.key = task_key("replicate")

    def setup(self) -> None:
        """Nothing to share: each replication is a model of its own."""
        return None

    def run(self, state: None, r: int) -> float | None:
        """The optimal objective of replication r."""
        from model.domain.errors import PlannerError

        sample = sampled_plan(self.plan, self.count, self.seed, replication_stream(r))
        try:
            return float(solve_plan(sample, progress=lambda _: None).solution.objective)
        except PlannerError:
            return None


KEEP_FUTURES = 10_000  # futures listed one by one in the plan; the figures count them all


@dataclass
class Evaluation:
    """Out-of-sample figures of a plan (see the module docstring). Built as the futures come
    in: each future's cost by its number (8 bytes a future), the shortfall per commodity as
    running sums, and the first KEEP_FUTURES futures in full for the plan's list, so that
    millions of futures fit in memory."""

    futures: list[PlayedFuture]          # the first KEEP_FUTURES, in order
    commodities: list[str]
    in_sample_expected_cost: float
    risk_weight: float
    cvar_level: float
    replications: list[float | None] = field(default_factory=list)
    seconds: float = 0.0
    solves_per_second: float = 0.0
    count: int = 0                        # futures played
    cost_by_future: np.ndarray = field(default_factory=lambda: np.zeros(0))  # NaN: no plan
    short_futures: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per commodity
    short_total: np.ndarray = field(default_factory=lambda: np.zeros(0))
    shortfall_total: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def tally(cls, count: int, commodities: list[str], **figures) -> Evaluation:
        """An empty evaluation of `count` futures, to `add` them to in any order."""
        k = len(commodities)
        return cls([], commodities, count=count,
                   cost_by_future=np.full(count, np.nan), short_futures=np.zeros(k),
                   short_total=np.zeros(k), shortfall_total=np.zeros(k), **figures)

    def add(self, index: int, outcome: PlayedFuture) -> None:
        """Count one future played."""
        if index < KEEP_FUTURES:
            self.futures.append(outcome)
        if outcome.cost is None:
            return
        self.cost_by_future[index] = outcome.cost
        amounts = np.add(outcome.shortfall, outcome.end_shortfall)
        short = amounts > NOTHING
        self.short_futures += short
        self.short_total += np.where(short, amounts, 0.0)
        self.shortfall_total += amounts

    def finish(self) -> None:
        """Put the listed futures in their order."""
        self.futures.sort(key=lambda f: f.index)

    @property
    def costs(self) -> np.ndarray:
        """Costs of the futures that have a plan."""
        return self.cost_by_future[~np.isnan(self.cost_by_future)]

    @property
    def cost_interval(self) -> tuple[float, float, float, float]:
        """(mean, sd, low, high) of the expected cost, 95%."""
        costs = self.costs
        return interval(costs) if len(costs) else (float("nan"),) * 4

    @property
    def objective_estimate(self) -> float:
        """(1 - lambda) mean + lambda CVaR of the out-of-sample costs."""
        costs = self.costs
        if not len(costs):
            return float("nan")
        p = np.full(len(costs), 1.0 / len(costs))
        return (1 - self.risk_weight) * float(np.mean(costs)) + self.risk_weight * cvar_of(
            costs, p, self.cvar_level)

    @property
    def optimism(self) -> float:
        """Out-of-sample mean cost minus the in-sample expected cost."""
        return self.cost_interval[0] - self.in_sample_expected_cost

    @property
    def lower_bound(self) -> tuple[float, float, float, float] | None:
        """(mean, sd, low, high) of the replications' optima: a lower bound on the true
        optimal objective (its low end is the one-sided 97.5% bound)."""
        found = [v for v in self.replications if v is not None]
        return interval(found) if found else None

    def bound_estimate_gap(self) -> tuple[float, float, float, str] | None:
        """(bound, estimate, gap, why) shown alike on the terminal and the Evaluation sheet:
        the one-sided 97.5% lower bound on the true optimal objective, the plan's objective
        over the fresh futures, their difference, and why the gap can be negative; None
        without replications."""
        bound = self.lower_bound
        if bound is None:
            return None
        estimate = self.objective_estimate
        gap = estimate - bound[2]
        why = ("the estimate can fall below the bound (and below the in-sample objective): a "
               "fresh future is re-planned with foresight from the period it departs from the "
               "plan's own futures, which flatters the plan, and both figures carry sampling "
               "noise" if gap < 0 else
               "how far the plan may be from the best possible, against the 97.5% bound; an "
               "estimate: re-planning a fresh future with foresight after it departs from the "
               "plan's own futures flatters the plan")
        return bound[2], estimate, gap, why

    def shortfall(self) -> list[tuple[str, float, float, float]]:
        """Per commodity: (commodity, chance of a shortfall, mean shortfall when short, mean
        shortfall over all futures)."""
        played = len(self.costs)
        rows = []
        for i, k in enumerate(self.commodities):
            short = float(self.short_futures[i])
            rows.append((k, short / played if played else 0.0,
                         float(self.short_total[i]) / short if short else 0.0,
                         float(self.shortfall_total[i]) / played if played else 0.0))
        return rows


def evaluate(plan: PlanData, solved, count: int, replications: int = 0,
             where: Where | None = None, progress: Progress | None = None,
             stream: int = EVALUATION) -> Evaluation:
    """Play the solved plan in `count` fresh futures (and solve `replications` fresh samples
    of the plan's own size for the lower bound). `stream` picks the futures: fresh ones by
    default; the plan's own (`sampling.PLAN`) replay the futures it was made for. The futures
    are counted as they come in (`Evaluation.add`): memory does not grow with their number
    beyond 8 bytes a future."""
    started = time.perf_counter()
    seed = plan.settings.sample_seed
    task = EvaluationTask(plan, plan_policy(solved), seed, stream)
    # Built here once: forked workers inherit it, and its first solve says whether the futures
    # are worth a pool at all (a few hundred small solves are not).
    state = task.setup()
    evaluation = Evaluation.tally(count, list(plan.commodities),
                                  in_sample_expected_cost=in_sample_expected_cost(solved),
                                  risk_weight=plan.settings.risk_weight,
                                  cvar_level=plan.settings.cvar_level)
    run_tasks(task, range(count), where, progress, state=state, label="futures",
              item_seconds=state.first_solve_seconds, consume=evaluation.add)
    evaluation.finish()
    seconds = time.perf_counter() - started
    evaluation.seconds, evaluation.solves_per_second = seconds, count / max(seconds, 1e-9)
    if replications:
        size = plan.settings.sample_scenarios or len(plan.scenarios)
        if progress:
            progress(f"solving {replications} replications of {size} fresh futures each ...")
        evaluation.replications = run_tasks(ReplicationTask(plan, size, seed),
                                            list(range(replications)), where, progress,
                                            label="replications")
    evaluation.seconds = time.perf_counter() - started
    return evaluation


def in_sample_expected_cost(solved) -> float:
    """The solved plan's expected cost over its own scenarios (money)."""
    from model.results.extract import SolutionReader

    view = SolutionReader(solved.built, solved.solver.lp, solved.solution)
    costs = view.scenario_parts().sum(axis=1)
    p = np.asarray(solved.built.index.tree.probabilities)
    return float(costs @ p)
