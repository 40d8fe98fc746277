"""The whole run: read and validate -> build -> hand off -> solve -> extract -> write.

`run` is what `run.py` calls; each step is its own module and can be used on its own.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from model.analyses.diagnose import diagnose
from model.analyses.evaluate import evaluate
from model.analyses.parallel import Where
from model.analyses.sensitivity import insight
from model.analyses.sweep import run_sweep
from model.analyses.value import value_of_information
from model.domain.data import PlanData
from model.domain.errors import (
    InfeasiblePlan,
    InputError,
    Issue,
    OutputError,
    issue_note,
)
from model.domain.sampling import sampled_plan
from model.inputs import validate
from model.io.files import check_output_target, same_file
from model.io.workbook import inputs_table, read_workbook
from model.report import write_diagnosis, write_plan_workbook
from model.results.extract import PlanResult, extract
from model.solver.plan import LARGE_COLUMNS, Solved, give_back_memory, solve_notes, solve_plan

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
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError:
            with contextlib.suppress(OSError):
                if path.is_file():  # half a list is no list
                    path.unlink()
            continue
        error.full_list_path = path
        return path
    return None


def run(input_path: str | Path, output_path: str | Path | None = None,
        progress: Progress = log.info, options: RunOptions | None = None) -> RunOutcome:
    """Read, validate, solve and write the plan; returns where it went."""
    options = options or RunOptions()
    solver_log = options.solver_log

    input_path = Path(input_path)
    output = Path(output_path) if output_path is not None else default_output_path(input_path)
    notes = check_output_target(output)
    if same_file(input_path, output):
        raise InputError([Issue("File", None, "--output", str(output),
                                "an output path other than the input workbook (the input is "
                                "never written); choose another --output")], str(input_path))
    for note in notes:
        progress(f"  warning: {note}")
    timings: dict[str, float] = {}
    inputs: list = []
    try:
        plan = read_plan_data(input_path, progress, timings, inputs)
    except InputError as exc:
        keep_full_list(exc, input_path, output.parent)
        raise
    check_evaluation_inputs(plan, options, input_path)
    plan = sample_if_asked(plan, progress)
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
    add_analyses(result, plan, solved, progress, timings, options)
    result.timings = timings
    result.extras["inputs"] = inputs
    progress(f"writing {output}")
    started = time.perf_counter()
    written, write_notes = write_plan_workbook(result, plan, output, notes, progress=progress)
    timings["write_seconds"] = time.perf_counter() - started  # including the final save
    return RunOutcome(result, written, plan, notes + write_notes)


def add_analyses(result: PlanResult, plan: PlanData, solved: Solved, progress: Progress,
                 timings: dict[str, float], options: RunOptions) -> None:
    """What the plan is worth and how sure it is, each from its own solves: prices and
    break-evens (insight), the trade-off sweep, EVPI and VSS, and out-of-sample evaluation."""
    where = Where(options.workers, options.scheduler)
    add_insight(result, solved, progress, timings, options)
    if plan.sweep:
        progress(f"sweeping {len(plan.sweep)} trade-off points ...")
        started = time.perf_counter()
        result.tradeoff = run_sweep(solved.built, solved.solver, where,
                                    item_seconds=solved.solution.seconds)
        timings["sweep_seconds"] = time.perf_counter() - started
    add_value_of_information(result, plan, solved, progress, timings, where)
    if solved.solver.lp.num_cols > LARGE_COLUMNS:  # the single-scenario model is gone now
        give_back_memory()
    if options.evaluate or options.replications:
        progress(f"playing the plan in {options.evaluate:,} fresh futures ...")
        started = time.perf_counter()
        result.extras["evaluation"] = evaluate(plan, solved, options.evaluate,
                                               options.replications, where, progress)
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
    kinds = f"{len(plan.events)} kind{'s' if len(plan.events) != 1 else ''} of event"
    progress(f"sampled {count:,} futures from {kinds} "
             f"(seed {plan.settings.sample_seed}): {len(sampled.disruptions):,} events")
    return replace(sampled, warnings=plan.warnings + tuple(notes))


INSIGHT_SHARE_OF_SOLVE = 0.5


def add_insight(result: PlanResult, solved: Solved, progress: Progress,
                timings: dict[str, float], options: RunOptions) -> None:
    """Prices that hold for one more unit, and the Sensitivity table, within a time budget."""
    # By default the checks take at most half as long as the plan's own solve (at least a
    # second): enough for every figure of a small plan, a bounded share of a national one.
    budget = options.insight_seconds if options.insight_seconds is not None else max(
        1.0, INSIGHT_SHARE_OF_SOLVE * timings.get("solve_seconds", 0.0))
    progress(f"testing how sure the plan is (prices, break-evens; up to {round(budget, 1):g} s)"
             " ...")
    prices, table, info = insight(solved.built, solved.solver, solved.solution, result.prices,
                                  budget)
    if solved.solution.mip_bound is not None or solved.solution.status == "rounded":
        # model.md 14.5: these figures are the duals and re-solves of the LP with every cargo
        # count, lot and contract decision fixed at the plan's values.
        fixed = "; cargoes, lots and contract decisions fixed at the plan's"
        for frame in (prices, table):
            if frame is not None and len(frame) and "method" in frame:
                frame["method"] = frame["method"].astype(str) + fixed
    result.prices, result.sensitivity = prices, table
    timings["insight_seconds"] = info["seconds"]
    result.extras.setdefault("run", {}).update(
        insight_resolves=info["solves"], insight_left_for_budget=info.get("left_for_budget", 0))


def add_value_of_information(result: PlanResult, plan: PlanData, solved: Solved,
                             progress: Progress, timings: dict[str, float],
                             where: Where | None = None) -> None:
    """EVPI and VSS into the result, each from its own solves."""
    if len(plan.scenarios) > 1:
        progress("valuing perfect warning (EVPI) and hedging (VSS) ...")
    values = value_of_information(plan, solved, where)
    timings["value_seconds"] = values.seconds
    evpi_text, vss_text = values.sentences(plan.settings.currency)
    result.extras.update(evpi=values.evpi, vss=values.vss, evpi_text=evpi_text,
                         vss_text=vss_text, ws=values.ws, ev=values.ev, eev=values.eev)


def evaluation_lines(evaluation, money: str, units: dict[str, str]) -> list[str]:
    """Out-of-sample figures for the terminal."""
    mean, _, low, high = evaluation.cost_interval
    optimism = evaluation.optimism
    lines = [f"  out of sample    {mean:>18,.0f} {money} expected over "
             f"{len(evaluation.futures):,} fresh futures (95%: {low:,.0f} to {high:,.0f})",
             f"  optimism         {abs(optimism):>18,.0f} {money} "
             f"{'above' if optimism >= 0 else 'below'} the in-sample expected cost"]
    bound = evaluation.lower_bound
    if bound is not None:
        estimate = evaluation.objective_estimate
        lines += [f"  objective out    {estimate:>18,.0f} {money} the plan's objective over the "
                  "fresh futures",
                  f"  lower bound      {bound[2]:>18,.0f} {money} (the true optimum is "
                  f"above it with 97.5% confidence, from {len(evaluation.replications)} "
                  "replications)",
                  f"  gap estimate     {estimate - bound[0]:>18,.0f} {money} how far the plan "
                  "may be from the true optimum"]
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
    for key, label in (("evpi", "value of warning"), ("vss", "value of hedging")):
        value = result.extras.get(key)
        if value is not None:
            shown = "infinite" if value == float("inf") else f"{value:,.0f} {money}"
            if key == "vss" and result.extras.get("vss_text", "").startswith("not measured"):
                shown = "not measured"
            lines.append(f"  {label:<16} {shown:>22}")
    table = result.concentration
    if len(table):
        binding = (table[table["binding"].astype(bool)]
                   .groupby("limit", sort=False)["marginal_cost_per_point"].sum()
                   .sort_values(ascending=False))
        for limit, worth in binding.head(5).items():
            lines.append(f"  binding limit    {limit:<24.24} {worth:>12,.0f} {money} per point")
    evaluation = result.extras.get("evaluation")
    if evaluation is not None:
        lines += evaluation_lines(evaluation, money,
                                  {k: c.unit for k, c in plan.commodities.items()})
    for note in outcome.notes:
        lines.append(f"  note: {note}")
    lines.append(f"  plan written to  {outcome.output_path}")
    return lines
