"""`--decompose`: the plan solved by progressive hedging on MPI ranks, then written like any
plan (docs/scale.md, section 4; docs/model.md, "Solving by scenario decomposition").

The planner starts K ranks itself (`mpiexec -n K python -m model.solver.ph_ranks JOB`, with the
mpiexec of the `mpich` wheel of `.[mpi]`, or the site's launcher given by `--mpiexec`), reads
their progress lines, and takes back the x-hat spoke's best plan: every future's decisions.
`solve_fixed_plan` then builds the plan's extensive form with the x-hat's shared decisions
(the orders, transfers, whole cargoes and lots of the nodes two or more futures share, the
investments and the options signed) fixed, unmet demand, stock and below-target left free on
the tree's nodes (so shared by construction) and each future's own path re-planned for it
alone, and solves it (a MIP over the futures' own paths where the plan has whole-number
decisions, else an LP): it splits into one small problem per path of the tree, its objective
is the plan's cost (an upper bound on the optimum: it is a plan of the extensive form), and its
duals are the per-future prices with the shared decisions fixed. The lower bound is the best
of the Lagrangian spoke's and the bundles' (docs/model.md 10c); the gap is
(upper - lower) / |upper|.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model.domain.data import PlanData
from model.domain.errors import SolverFailure, UsageError
from model.formulation import build_model
from model.solver.handoff import compile_lp
from model.solver.ph_ranks import NODE_DECISIONS, PROGRESS_PREFIX, ROOT_DECISIONS
from model.solver.plan import SolvedModel
from model.solver.solve import PlanSolver, SolveStatus

Progress = Callable[[str], None]
INSTALL = 'python -m pip install ".[mpi]"'
SETUP_SECONDS = 0.25  # share of the time limit for starting the ranks, the final LP, writing
RHO_MULTIPLIER = 10.0  # rho = 10 x cost / scale: best of 1, 3, 10, 30, 100 on 20 futures
PROGRESS_SECONDS = 5.0


@dataclass
class Decomposed:
    """What the ranks found: bounds, iterations, the best plan's decisions per future."""

    lower: float | None
    iterations: int
    ranks: int
    seconds: float
    decisions: dict = field(default_factory=dict)   # future name -> family -> key -> value
    bundle_bound: float | None = None               # the bundles' lower bound (model.md 10c)
    bundle_size: int | None = None                  # at most this many futures a bundle

    @property
    def best_lower(self) -> float | None:
        """The stated lower bound: the best of the hub's (Lagrangian) and the bundles'."""
        known = [b for b in (self.lower, self.bundle_bound) if b is not None]
        return max(known) if known else None


def find_mpiexec(mpiexec: str | None) -> str:
    """The launcher: the one asked for, else the mpich wheel's next to this Python, else
    one on PATH; a usage error (before any solving) when there is none or the MPI libraries
    are not installed."""
    missing = [name for name in ("mpisppy", "mpi4py") if not _importable(name)]
    if missing:
        raise UsageError(f"--decompose needs {' and '.join(missing)} and an MPI runtime, "
                         f"which are not installed: run {INSTALL}")
    if mpiexec:
        found = shutil.which(mpiexec)
        if found is None:
            raise UsageError(f"--mpiexec {mpiexec}: no such program; give the site's MPI "
                             "launcher (mpiexec, mpirun or srun) or leave --mpiexec out to use "
                             f"the one {INSTALL} installs")
        return found
    scripts = Path(sysconfig.get_path("scripts"))
    for candidate in (scripts / "mpiexec", Path(sys.executable).parent / "mpiexec"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("mpiexec")
    if found is None:
        raise UsageError(f"--decompose needs an MPI runtime (mpiexec), which is not installed: "
                         f"run {INSTALL}, or give the site's launcher with --mpiexec")
    return found


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def run_ranks(plan: PlanData, ranks: int, mpiexec: str, progress: Progress,
              solver_log: bool = False) -> Decomposed:
    """Run the PH ranks on `plan` (already sampled) and bring back their best plan."""
    started = time.perf_counter()
    limit = plan.settings.time_limit_seconds
    settings = {"ph_gap": plan.settings.ph_gap, "time_limit_seconds": limit * (1 - SETUP_SECONDS),
                "max_iterations": 100_000, "rho_multiplier": RHO_MULTIPLIER,
                "progress_seconds": PROGRESS_SECONDS}
    with tempfile.TemporaryDirectory(prefix="planner-ph-") as folder:
        job = Path(folder)
        with open(job / "plan.pickle", "wb") as handle:
            pickle.dump((plan, settings), handle)
        command = [mpiexec, "-n", str(ranks), sys.executable, "-m", "model.solver.ph_ranks",
                   str(job)]
        root = Path(__file__).resolve().parents[2]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(root)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
        progress(f"progressive hedging on {ranks} MPI ranks (hub, lower-bound and upper-bound "
                 f"spokes), stopping at a gap of {plan.settings.ph_gap:g} or after "
                 f"{settings['time_limit_seconds']:.0f} s ...")
        bundles: dict = {}
        failed, errors = _launch(command, env, job, progress, solver_log, limit, bundles)
        found = _read(job)
    seconds = time.perf_counter() - started
    if failed:
        names = ", ".join(f"{name} ({status})" for name, status in failed.items())
        raise SolverFailure(f"these futures could not be solved during progressive hedging: "
                            f"{names}; the extensive form (without --decompose) says why")
    if found is None:
        detail = errors.strip().splitlines()[-8:] if errors.strip() else []
        raise SolverFailure("an MPI rank stopped before the plan was found"
                            + (": " + " | ".join(detail) if detail else "")
                            + "; rerun with --solver-log to see every rank's output")
    summary, decisions = found
    if not decisions:
        raise SolverFailure(
            f"progressive hedging found no plan for every future within {limit:g} s "
            f"(lower bound {summary.get('lower')}); raise time_limit_seconds in Settings")
    return Decomposed(summary.get("lower"), summary.get("iterations", 0), ranks, seconds,
                      decisions, bundles.get("bound"), bundles.get("size"))


def _launch(command: list[str], env: dict, job: Path, progress: Progress, solver_log: bool,
            limit: float, bundles: dict) -> tuple[dict[str, str], str]:
    """Start the ranks and relay their progress lines; the ranks' failures by future."""
    failed: dict[str, str] = {}
    errors: list[str] = []
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env, cwd=str(job))

    def drain() -> None:
        for line in process.stderr:
            errors.append(line)
            if solver_log:
                progress(line.rstrip())

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    last = 0.0
    try:
        for line in process.stdout:
            if not line.startswith(PROGRESS_PREFIX):
                if solver_log:
                    progress(line.rstrip())
                continue
            message = json.loads(line[len(PROGRESS_PREFIX):])
            if message["kind"] == "failed":
                failed[message["future"]] = message["status"]
            elif message["kind"] == "error":
                errors.append(message["text"])
            elif message["kind"] == "bundles" and message["bound"] is not None:
                bundles.update(message)
                how = "as its LP relaxation" if message.get("relaxed") else "whole"
                progress(f"  lower bound from bundles of up to {message['size']} futures, each "
                         f"solved {how}: {message['bound']:,.0f} ({message['seconds']:.0f} s)")
            elif message["kind"] == "progress" and time.perf_counter() - last >= 1.0:
                last = time.perf_counter()
                progress(progress_line(message))
        process.wait(timeout=max(60.0, limit))
    except BaseException:
        # SIGTERM first: the launcher passes it on to every rank; SIGKILL would orphan them.
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        raise
    reader.join(timeout=5)
    return failed, "".join(errors)


def progress_line(message: dict) -> str:
    """`  iteration 12: lower 96,087,713,735  upper 96,503,529,725  gap 0.431%  (41 s)`."""
    lower, upper = message.get("lower"), message.get("upper")
    gap = "-" if lower is None or upper is None else \
        f"{max(0.0, upper - lower) / max(1.0, abs(upper)):.4%}"
    def text(v):
        return ("-" if v is None else f"{v:,.0f}")
    return (f"  iteration {message['iteration']}: lower {text(lower)}  upper {text(upper)}  "
            f"gap {gap}  ({message['seconds']:.0f} s)")


def _read(job: Path) -> tuple[dict, dict] | None:
    path = job / "xhat.pickle"
    if path.exists():
        with open(path, "rb") as handle:
            found = pickle.load(handle)
        return found, found.get("decisions", {})
    path = job / "summary.pickle"
    if path.exists():
        with open(path, "rb") as handle:
            return pickle.load(handle), {}
    return None


SHARED_FAMILIES = (*NODE_DECISIONS, *ROOT_DECISIONS)


def solve_fixed_plan(plan: PlanData, found: Decomposed, progress: Progress,
                     timings: dict[str, float]) -> SolvedModel:
    """The plan's extensive form with the x-hat's shared decisions fixed (module docstring;
    on a route with whole cargoes the cargo count, which fixes its orders exactly), solved
    within a quarter of the time limit: the plan the workbook shows, its cost the upper
    bound."""
    started = time.perf_counter()
    built = build_model(plan)
    timings["build_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    lp = compile_lp(built.model)
    lp.release_model()
    built.model = None
    solver = PlanSolver(lp, max(30.0, SETUP_SECONDS * plan.settings.time_limit_seconds),
                        mip_gap=plan.settings.mip_gap)
    timings["handoff_seconds"] = time.perf_counter() - started
    ix = built.index
    tree = ix.tree
    position = {name: w for w, name in enumerate(ix.scenarios.names)}
    columns, values = [], []
    for family in SHARED_FAMILIES:
        block = lp.layout.columns.get(family)
        if block is None:
            continue
        at = {key: block.start + i for i, key in enumerate(block.keys)}
        done: set = set()
        for name, decisions in found.decisions.items():
            w = position[name]
            whole_cargoes = decisions.get("cargoes", {})
            for key, value in decisions.get(family, {}).items():
                if family == "order" and key in whole_cargoes:
                    continue  # x = q nu: the whole count fixes the order, to the last bit
                if family in ROOT_DECISIONS:
                    target = key
                else:  # the future's own node t - 1 is the plan's node of period t
                    node = tree.node_of[w][key[-1]]
                    if len(tree.nodes[node].scenarios) < 2:
                        continue  # a future's own path stays free: re-planned for it alone
                    target = (*key[:-1], node)
                if target in done or value is None:
                    continue
                done.add(target)
                columns.append(at[target])
                values.append(float(value))
    cols = np.asarray(columns, dtype=np.int64)
    fixed = np.asarray(values, dtype=float)
    whole = np.isin(cols, lp.integer_columns)
    fixed[whole] = np.round(fixed[whole])  # a branch and bound's whole numbers, exactly
    fixed = np.clip(fixed, lp.col_lower[cols], lp.col_upper[cols])
    solver.change_col_bounds(cols, fixed, fixed)
    solution = solver.solve()
    timings["solve_seconds"] = solution.seconds
    if not solution.has_plan:
        raise SolverFailure(f"the plan progressive hedging found could not be completed in "
                            f"every future ({solution.status}); raise time_limit_seconds in "
                            "Settings so that it converges further")
    progress(f"the plan's shared decisions fixed in every future: objective "
             f"{solution.objective:,.2f} {plan.settings.currency}"
             + ("" if solution.status == SolveStatus.OPTIMAL else
                f" (the final solve stopped at its time limit: {solution.status})"))
    return SolvedModel(built, solver, solution)
