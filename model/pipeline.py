"""The whole run: read and validate -> build -> hand off -> solve -> extract -> write.

`run` is what `run.py` calls; each step is its own module and can be used on its own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from model.analyses.budget import TimeBudget
from model.analyses.diagnose import diagnose
from model.analyses.evaluate import evaluate
from model.analyses.parallel import Where, check_scheduler
from model.analyses.sensitivity import insight, not_checked
from model.analyses.sweep import run_sweep
from model.analyses.value import ValueOfInformation, value_of_information, wait_and_see
from model.domain.data import PlanData
from model.domain.errors import (
    InfeasiblePlan,
    InputError,
    Issue,
    OutputError,
    UsageError,
    issue_note,
)
from model.domain.sampling import sampled_plan
from model.inputs import validate
from model.io.files import check_output_target, same_file, write_text_atomic
from model.io.workbook import inputs_table, read_workbook
from model.report import write_diagnosis, write_plan_workbook
from model.results.extract import InformationValue, PlanResult, RunFact, extract
from model.solver.decompose import find_mpiexec, run_ranks, solve_fixed_plan
from model.solver.plan import LARGE_COLUMNS, SolvedModel, give_back_memory, solve_notes, solve_plan
from model.solver.solve import SolveStatus

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
MAX_WARNINGS_SHOWN = 10


@dataclass(frozen=True)
class RunOptions:
    """How to run beyond the workbook: the solver's log, out-of-sample futures, replications
    for a lower bound, and where independent solves run."""

    solver_log: bool = False
    evaluate: int = 0
    replications: int = 0
    workers: int | None = None
    scheduler: str | None = None
    insight_seconds: float | None = None
    decompose: bool = False
    ranks: int = 3
    mpiexec: str | None = None
    force: bool = False


@dataclass
class RunOutcome:
    """What a run produced: the plan's tables, where they were written, and any notes."""

    result: PlanResult
    output_path: Path
    plan: PlanData
    notes: list[str] = field(default_factory=list)


def default_output_path(input_path: Path) -> Path:
    """`outputs/<input name>_plan.xlsx` next to the project's inputs."""
    base = input_path.resolve().parent.parent / "outputs"
    if input_path.resolve().parent.name != "inputs":
        base = Path("outputs")
    return base / f"{input_path.stem}_plan.xlsx"


def read_plan_data(input_path: Path, progress: Progress, timings: dict[str, float],
                   inputs: list | None = None) -> PlanData:
    """Read and validate the workbook; warnings are shown on the way. `inputs` receives every
    input cell as read (`workbook.inputs_table`)."""
    started = time.perf_counter()
    progress(f"reading {input_path}")
    raw = read_workbook(input_path, progress)
    if inputs is not None:
        inputs.extend(inputs_table(raw))
    timings["read_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    plan = validate(raw)
    timings["validate_seconds"] = time.perf_counter() - started
    progress(f"validated: {len(plan.commodities)} commodities, {len(plan.suppliers)} suppliers, "
             f"{len(plan.routes)} routes, {len(plan.scenarios)} scenarios, "
             f"{plan.settings.periods} periods"
             + (f"; {len(plan.warnings)} warning(s):" if plan.warnings else ""))
    for warning in plan.warnings[:MAX_WARNINGS_SHOWN]:
        progress(f"  warning: {warning}")
    if len(plan.warnings) > MAX_WARNINGS_SHOWN:
        progress(f"  ... and {len(plan.warnings) - MAX_WARNINGS_SHOWN} more on the plan's "
                 "Warnings sheet")
    return plan


def keep_full_list(error: InputError, input_path: Path, output_folder: Path) -> Path | None:
    """When there are more problems than the terminal shows (`InputError.MAX_SHOWN`), write
    them all to `<input name>_problems.txt` next to the input, else in the output folder, else
    in the system's temporary folder; the message then names the file."""
    if not error.hidden():
        return None
    import tempfile

    name = f"{input_path.stem}_problems.txt"
    text = error.text(None) + "\n"
    for folder in (input_path.parent, output_folder, Path(tempfile.gettempdir())):
        path = folder / name
        try:  # whole or not at all, and never through a link someone put at that name
            write_text_atomic(path, text)
        except (OSError, OutputError):
            continue
        error.full_list_path = path
        return path
    return None


def run(input_path: str | Path, output_path: str | Path | None = None,
        progress: Progress = log.info, options: RunOptions | None = None) -> RunOutcome:
    """Read, validate, solve and write the plan; returns where it went."""
    run_started = time.perf_counter()
    options = options or RunOptions()
    solver_log = options.solver_log

    input_path = Path(input_path)
    output = Path(output_path) if output_path is not None else default_output_path(input_path)
    if same_file(input_path, output):
        raise UsageError(f"--output {output} is the input workbook itself (the input is never "
                         "written); choose another --output")
    if options.scheduler:
        check_scheduler(options.scheduler)
    notes = check_output_target(output, options.force)
    if output.is_symlink():  # allowed by --force: the plan goes to the file it points to
        output = output.resolve()
    for note in notes:
        progress(f"  warning: {note}")
    launcher = find_mpiexec(options.mpiexec) if options.decompose else None
    timings: dict[str, float] = {}
    inputs: list = []
    try:
        plan = read_plan_data(input_path, progress, timings, inputs)
    except InputError as exc:
        keep_full_list(exc, input_path, output.parent)
        raise
    check_evaluation_inputs(plan, options, input_path)
    plan = sample_if_asked(plan, progress)
    if launcher is not None:
        return run_decomposed(plan, launcher, output, notes, inputs, timings, progress, options)
    try:
        solved = solve_plan(plan, None, progress, timings, solver_log, keep_model=False,
                            diagnose=diagnose)
    except InfeasiblePlan as exc:
        where = output.parent / f"{input_path.stem}_diagnosis.xlsx"
        try:
            exc.diagnosis.path = write_diagnosis(exc.diagnosis, plan, where)
        except OutputError as failure:
            raise InfeasiblePlan(f"{exc}\nThe diagnosis workbook could not be written: "
                                 f"{failure}", exc.diagnosis) from None
        raise InfeasiblePlan(f"{exc}\nThe diagnosis is in {exc.diagnosis.path}",
                             exc.diagnosis) from None
    notes += solve_notes(solved)
    for note in notes:
        progress(f"  warning: {note}")
    started = time.perf_counter()
    result = extract(solved.built, solved.solver.lp, solved.solution)
    timings["extract_seconds"] = time.perf_counter() - started
    budget = analyses_budget(solved, timings, run_started)
    add_analyses(result, plan, solved, progress, timings, options, budget)
    result.run_facts.update(budget.run_facts())
    if solved.solver.lp.num_cols > LARGE_COLUMNS:  # no solve is left: free HiGHS's memory
        solved.solver.release()
        give_back_memory()
    result.timings = timings
    result.inputs = inputs
    progress(f"writing {output}")
    started = time.perf_counter()
    written, write_notes = write_plan_workbook(result, plan, output, notes, progress=progress)
    timings["write_seconds"] = time.perf_counter() - started  # including the final save
    return RunOutcome(result, written, plan, notes + write_notes)


NATIONAL_COLUMNS = 100_000  # from here on, the whole run's time is capped (see below)
WHOLE_RUN_FACTOR = 2.0      # the whole run, analyses included, within 2x the plan's solve
SWEEP_WARM_SHARE = 0.5      # a sweep point, from the plan's basis, against the plan's solve


def analyses_budget(solved: SolvedModel, timings: dict[str, float], run_started: float
                    ) -> TimeBudget:
    """The analyses' shared time budget. On a national plan (NATIONAL_COLUMNS columns or more)
    the whole run should take at most WHOLE_RUN_FACTOR times the plan's own HiGHS solve: the
    analyses get what is left of that after the time spent so far and the writing still to
    come (estimated as long as the build, both being per-row Python work). Smaller plans get
    no shared cap: each analysis keeps its own default."""
    if solved.solver.lp.num_cols < NATIONAL_COLUMNS:
        return TimeBudget()
    spent = time.perf_counter() - run_started
    whole = WHOLE_RUN_FACTOR * timings.get("solve_seconds", 0.0)
    return TimeBudget(max(0.0, whole - spent - timings.get("build_seconds", 0.0)))


def run_decomposed(plan: PlanData, launcher: str, output: Path, notes: list[str], inputs: list,
                   timings: dict[str, float], progress: Progress,
                   options: RunOptions) -> RunOutcome:
    """`--decompose`: progressive hedging on MPI ranks, the best plan found completed by one
    LP with its shared decisions fixed, and the plan workbook written from it."""
    found = run_ranks(plan, options.ranks, launcher, progress, options.solver_log)
    timings["decompose_seconds"] = found.seconds
    solved = solve_fixed_plan(plan, found, progress, timings)
    upper = float(solved.solution.objective)
    lower = found.best_lower
    gap = None if lower is None else max(0.0, upper - lower) / max(1.0, abs(upper))
    reached = gap is not None and gap <= plan.settings.ph_gap
    started = time.perf_counter()
    result = extract(solved.built, solved.solver.lp, solved.solution)
    timings["extract_seconds"] = time.perf_counter() - started
    result.method = (f"progressive hedging (mpi-sppy), then {result.method} with the shared "
                     "decisions fixed")
    if result.mip_bound is not None:
        # The final MIP's own bound holds only with PH's shared decisions fixed; the least any
        # plan can cost is PH's lower bound, and the plan's gap is PH's.
        result.mip_bound, result.mip_gap = lower, gap
    if not reached:
        result.status = SolveStatus.TIME_LIMIT
        shown = "unknown (no lower bound yet)" if gap is None else f"{gap:.4%}"
        notes.append(f"progressive hedging stopped at the time limit before the gap of "
                     f"{plan.settings.ph_gap:g} was reached; this is the best plan found, "
                     f"within {shown} of the optimum; raise time_limit_seconds in Settings")
    where = Where(options.workers, options.scheduler)
    values = ValueOfInformation(upper, wait_and_see(plan, solved.built.index.scenarios, where)
                                if len(plan.scenarios) > 1 else upper, None, None)
    evpi_text, _ = values.sentences(plan.settings.currency)
    result.value_of_information = InformationValue(
        evpi=values.evpi, evpi_text=evpi_text, ws=values.ws, vss=None,
        vss_text="not computed with --decompose: it needs another decomposed solve (the plan "
                 "for the average future played in every future)")
    share = None if values.evpi in (None, 0.0) or gap is None else \
        (upper - lower) / values.evpi
    result.run_facts.update(
        ph_lower_bound=RunFact(lower, plan.settings.currency,
                               "no plan costs less: the best of PH's Lagrangian bounds and the "
                               "bundles' bound"),
        ph_bundle_bound=RunFact(found.bundle_bound, plan.settings.currency,
                                ("LP relaxations of " if solved.solver.lp.is_mip else "") +
                                f"bundles of {found.bundle_size} futures, each solved as its "
                                "own extensive form, zeta's weights from CVaR's tail"),
        ph_upper_bound=RunFact(upper, plan.settings.currency, "this plan's objective"),
        ph_gap=RunFact(gap, "", "(upper - lower) / upper"),
        ph_gap_asked=RunFact(plan.settings.ph_gap, "", "Settings ph_gap"),
        ph_gap_share_of_evpi=RunFact(share, "", "the gap against the value of perfect warning "
                                     "(EVPI = this plan's objective - WS): how much of what "
                                     "planning can change is still uncertain"),
        ph_iterations=RunFact(found.iterations, "", "PH iterations of the hub"),
        mpi_ranks=RunFact(found.ranks, "", "hub, Lagrangian spoke and x-hat spoke, a third "
                          "each"),
        prices=RunFact("per future, shared decisions fixed", "", "Prices and marginal costs "
                       "are the duals of each future's LP with the plan's shared decisions "
                       "fixed"),
        left_out=RunFact("Sensitivity, trade-off sweep, VSS", "", "each would need another "
                         "decomposed solve"))
    result.timings = timings
    result.inputs = inputs
    for note in notes:
        progress(f"  warning: {note}")
    progress(f"writing {output}")
    started = time.perf_counter()
    written, write_notes = write_plan_workbook(result, plan, output, notes, progress=progress)
    timings["write_seconds"] = time.perf_counter() - started
    return RunOutcome(result, written, plan, notes + write_notes)


def add_analyses(result: PlanResult, plan: PlanData, solved: SolvedModel, progress: Progress,
                 timings: dict[str, float], options: RunOptions,
                 budget: TimeBudget | None = None) -> None:
    """What the plan is worth and how sure it is, each from its own solves: prices and
    break-evens (insight), the trade-off sweep, EVPI and VSS (all three within the one shared
    `budget`), and out-of-sample evaluation (asked for explicitly, so never left out)."""
    budget = budget or TimeBudget()
    where = Where(options.workers, options.scheduler)
    add_insight(result, solved, progress, timings, options, where, budget)
    solve_seconds = solved.solution.seconds
    if plan.sweep and budget.fits("sweep", SWEEP_WARM_SHARE * solve_seconds * len(plan.sweep),
                                  f"{len(plan.sweep)} re-solves from the plan's basis, each "
                                  "about half the plan's solve"):
        progress(f"sweeping {len(plan.sweep)} trade-off points ...")
        started = time.perf_counter()
        result.tradeoff = run_sweep(solved.built, solved.solver, where,
                                    item_seconds=solved.solution.seconds)
        timings["sweep_seconds"] = time.perf_counter() - started
    elif plan.sweep:
        progress(f"  warning: the trade-off sweep is left out: {budget.left_out[-1][1]}")
    if len(plan.scenarios) <= 1 or budget.fits(
            "EVPI and VSS", solve_seconds, "the wait-and-see, expected-value and EEV solves "
            "together, about one solve of the plan"):
        add_value_of_information(result, plan, solved, progress, timings, where)
    else:
        why = budget.left_out[-1][1]
        progress(f"  warning: EVPI and VSS are left out: {why}")
        result.value_of_information = InformationValue(evpi_text=why, vss_text=why)
        timings["value_seconds"] = 0.0
    # run_tasks released the wait-and-see and sweep set-ups: hand their memory back before
    # the evaluation builds its own models.
    if solved.solver.lp.num_cols > LARGE_COLUMNS:
        give_back_memory()
    if options.evaluate or options.replications:
        progress(f"playing the plan in {options.evaluate:,} fresh futures ...")
        started = time.perf_counter()
        result.evaluation = evaluate(plan, solved, options.evaluate, options.replications,
                                     where, progress)
        timings["evaluate_seconds"] = time.perf_counter() - started


def check_evaluation_inputs(plan: PlanData, options: RunOptions, input_path: Path) -> None:
    """`--evaluate` and `--replications` draw futures from the Events sheet, and replications
    bound the optimum of a plan made for sampled futures: refuse, before solving, what would
    measure nothing."""
    issues = []
    if (options.evaluate or options.replications) and not plan.events:
        issues.append(Issue("Events", None, None, None,
                            "the sheet has no event, and --evaluate and --replications play the "
                            "plan in futures drawn from it; add Events rows (a kind of "
                            "disruption, its chance per year and its duration)",
                            has_value=False))
    if options.replications and plan.settings.sample_scenarios <= 0:
        issues.append(Issue("Settings", None, "sample_scenarios",
                            plan.settings.sample_scenarios,
                            "a number of futures > 0: --replications re-solves a plan made "
                            "for sampled futures on fresh samples of the same size"))
    if issues:
        raise InputError(issues, str(input_path))


def sample_if_asked(plan: PlanData, progress: Progress) -> PlanData:
    """With sample_scenarios N > 0, the plan's scenarios become N futures sampled from its
    Events (the Scenarios and Disruptions sheets are set aside, with a note)."""
    count = plan.settings.sample_scenarios
    if count <= 0:
        return plan
    sampled = sampled_plan(plan, count, plan.settings.sample_seed)
    notes = []
    if len(plan.scenarios) > 1 or plan.disruptions:
        notes.append(issue_note("Scenarios", None, None, f"sample_scenarios is {count}: the plan "
                                "is made for futures sampled from the Events sheet; the "
                                "Scenarios and Disruptions sheets are set aside", "warning"))
        progress(f"  warning: {notes[0]}")
    named = len({event.name for event in plan.events})  # rows of one event share its name
    kinds = f"{named} kind{'s' if named != 1 else ''} of event"
    progress(f"sampled {count:,} futures from {kinds} "
             f"(seed {plan.settings.sample_seed}): {len(sampled.disruptions):,} events")
    return replace(sampled, warnings=plan.warnings + tuple(notes))


INSIGHT_SHARE_OF_SOLVE = 0.5
# Every check of the shipped example (10,402 columns; 252 prices, 142 binding windows, 4
# limits, 22 capacities, 23 suppliers: about 550 re-solves) takes 7 to 10 s of CPU on this
# project's 2-core machine (bench/insight.py), about half that on both cores. By default a plan
# up to twice its size is checked in full, whatever the machine's load; a larger one within
# half its solve time, at least INSIGHT_MIN_SECONDS, and the Run sheet counts what is left.
INSIGHT_FULL_COLUMNS = 20_000
INSIGHT_MIN_SECONDS = 15.0


def insight_budget(options: RunOptions, columns: int, solve_seconds: float) -> float:
    """Seconds for the insight's checks: `--insight-seconds`, else unlimited for a plan up to
    INSIGHT_FULL_COLUMNS columns, else half the solve time and at least INSIGHT_MIN_SECONDS."""
    if options.insight_seconds is not None:
        return options.insight_seconds
    if columns <= INSIGHT_FULL_COLUMNS:
        return float("inf")
    return max(INSIGHT_MIN_SECONDS, INSIGHT_SHARE_OF_SOLVE * solve_seconds)


def add_insight(result: PlanResult, solved: SolvedModel, progress: Progress,
                timings: dict[str, float], options: RunOptions,
                where: Where | None = None, shared: TimeBudget | None = None) -> None:
    """Prices that hold for one more unit, whole points of each limit, and the Sensitivity
    table, within a time budget (`insight_budget`); left out when the run's `shared` budget
    has no room for it; what it leaves unchecked is counted by kind on the Run sheet."""
    budget = insight_budget(options, solved.solver.lp.num_cols,
                            timings.get("solve_seconds", 0.0))
    shared = shared or TimeBudget()
    # Every check of a small plan has no time of its own to ask the shared budget for: it
    # asks for half the plan's solve, the least the checks get on a larger plan.
    estimate = budget if budget < float("inf") else \
        INSIGHT_SHARE_OF_SOLVE * timings.get("solve_seconds", 0.0)
    if options.insight_seconds is None and not shared.fits(
            "prices and sensitivity", estimate, "half the plan's solve, at least "
            f"{INSIGHT_MIN_SECONDS:g} s on a plan past {INSIGHT_FULL_COLUMNS:,} variables"):
        why = shared.left_out[-1][1]
        progress(f"  warning: the checks of prices and break-evens are left out: {why}")
        prices, table, info = not_checked(result.prices, why)
    else:
        if options.insight_seconds is None:
            budget = min(budget, shared.left())
        progress("testing how sure the plan is (prices, break-evens, points of each limit; "
                 + ("every check" if budget == float("inf") else
                    f"up to {round(budget, 1):g} s") + ") ...")
        prices, table, info = insight(solved.built, solved.solver, solved.solution,
                                      result.prices, budget, result.concentration, where)
    if solved.solution.mip_bound is not None or solved.solution.status == SolveStatus.ROUNDED:
        # model.md 14.5: these figures are the duals and re-solves of the LP with every cargo
        # count, lot and contract decision fixed at the plan's values.
        fixed = "; cargoes, lots and contract decisions fixed at the plan's"
        for frame in (prices, table):
            if frame is not None and len(frame) and "method" in frame:
                frame["method"] = frame["method"].astype(str) + fixed
    result.prices, result.sensitivity = prices, table
    if "concentration" in info:
        result.concentration = info["concentration"]
        result.limit_points = info["limits"]
    timings["insight_seconds"] = info["seconds"]
    result.run_facts.update(insight_resolves=RunFact(info["solves"]),
                            insight_left_for_budget=RunFact(info.get("left_for_budget", 0)))
    for kind, count in info.get("unchecked", {}).items():
        result.run_facts[f"unchecked {kind}"] = RunFact(count)


def add_value_of_information(result: PlanResult, plan: PlanData, solved: SolvedModel,
                             progress: Progress, timings: dict[str, float],
                             where: Where | None = None) -> None:
    """EVPI and VSS into the result, each from its own solves."""
    if len(plan.scenarios) > 1:
        progress("valuing perfect warning (EVPI) and hedging (VSS) ...")
    values = value_of_information(plan, solved, where)
    timings["value_seconds"] = values.seconds
    evpi_text, vss_text = values.sentences(plan.settings.currency)
    result.value_of_information = InformationValue(
        evpi=values.evpi, evpi_text=evpi_text, vss=values.vss, vss_text=vss_text, ws=values.ws,
        ev=values.ev, eev=values.eev)


def evaluation_lines(evaluation, money: str, units: dict[str, str]) -> list[str]:
    """Out-of-sample figures for the terminal."""
    mean, _, low, high = evaluation.cost_interval
    optimism = evaluation.optimism
    lines = [f"  out of sample    {mean:>18,.0f} {money} expected over "
             f"{evaluation.count:,} fresh futures (95%: {low:,.0f} to {high:,.0f})",
             f"  optimism         {abs(optimism):>18,.0f} {money} "
             f"{'above' if optimism >= 0 else 'below'} the in-sample expected cost"]
    found = evaluation.bound_estimate_gap()
    if found is not None:
        bound, estimate, gap, why = found
        lines += [f"  objective out    {estimate:>18,.0f} {money} the plan's objective over the "
                  "fresh futures",
                  f"  lower bound      {bound:>18,.0f} {money} (the true optimum is "
                  f"above it with 97.5% confidence, from {len(evaluation.replications)} "
                  "replications)",
                  f"  gap estimate     {gap:>18,.0f} {money} objective out minus the lower "
                  "bound",
                  f"                   {why}"]
    for k, chance, size, _ in evaluation.shortfall():
        if chance > 0:
            lines.append(f"  short of {k:<15.15} in {chance:.0%} of futures, "
                         f"{size:,.1f} {units.get(k, 'units')} when short")
    return lines


def summary_lines(outcome: RunOutcome) -> list[str]:
    """A compact summary for the terminal: cost, shortfall per commodity, binding limits."""
    result, plan = outcome.result, outcome.plan
    money = plan.settings.currency
    lines = ["", f"  status           {result.status}",
             f"  objective        {result.objective:>18,.0f} {money}",
             f"  expected cost    {result.expected_cost:>18,.0f} {money}",
             f"  CVaR             {result.cvar:>18,.0f} {money}"]
    for k, value in result.shortfall_by_commodity.items():
        lines.append(f"  shortfall {k:<14.14} {value:>12,.1f} {plan.commodities[k].unit}")
    worth = result.value_of_information
    for value, text, label in ((worth.evpi, worth.evpi_text, "value of warning"),
                               (worth.vss, worth.vss_text, "value of hedging")):
        if value is not None:
            shown = "infinite" if value == float("inf") else f"{value:,.0f} {money}"
            lines.append(f"  {label:<16} {shown:>22}")
        elif str(text or "").startswith("not measured"):
            lines.append(f"  {label:<16} {'not measured':>22}")
    points = result.limit_points
    if points is not None:
        for r in points.head(5).itertuples(index=False):
            cost = r.cost_of_one_more_point
            shown = (f"{cost:>12,.0f} {money} for one more point" if cost is not None
                     and not pd.isna(cost) else f"{'':>12} one more point not measured: "
                     f"{r.method}")
            lines.append(f"  binding limit    {r.limit:<24.24} {shown}")
    evaluation = result.evaluation
    if evaluation is not None:
        lines += evaluation_lines(evaluation, money,
                                  {k: c.unit for k, c in plan.commodities.items()})
    for note in outcome.notes:
        lines.append(f"  note: {note}")
    lines.append(f"  plan written to  {outcome.output_path}")
    return lines
