"""Progressive hedging (--decompose) against the extensive form on the same sampled plans.

    python bench/decompose.py --counts 20,50 --seconds 300 [--ranks 3]

For each number of futures N of the shipped example (its contracts, whole cargoes and lots
removed, so that the extensive form is an LP): the extensive form's build-and-solve time
and optimum, then PH on K ranks with Settings time_limit_seconds = --seconds and ph_gap =
--gap: its wall time, lower bound, the upper bound of its best plan completed by the fixed LP,
the stated gap, the true gap of that plan against the optimum, and PH's iterations.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "tests"))
from test_decompose import sampled_workbook  # noqa: E402  (the example without contracts)

from model.inputs import load_plan  # noqa: E402
from model.pipeline import sample_if_asked  # noqa: E402
from model.solver.decompose import find_mpiexec, run_ranks, solve_fixed_plan  # noqa: E402
from model.solver.plan import solve_plan  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", default="20,50")
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--gap", type=float, default=1e-4)
    parser.add_argument("--ranks", type=int, default=3)
    args = parser.parse_args()
    launcher = find_mpiexec(None)
    print("| futures N | EF seconds | EF optimum | PH seconds | PH iterations | lower bound | "
          "upper bound (plan) | stated gap | plan above optimum |")
    print("|---|---|---|---|---|---|---|---|---|")
    for count in [int(c) for c in args.counts.split(",")]:
        with tempfile.TemporaryDirectory() as folder:
            plan = load_plan(sampled_workbook(Path(folder) / "plan.xlsx", count, args.seconds,
                                              args.gap))
        plan = sample_if_asked(plan, lambda _: None)
        started = time.perf_counter()
        optimum = solve_plan(plan, progress=lambda _: None,
                             keep_model=False).solution.objective
        ef_seconds = time.perf_counter() - started
        started = time.perf_counter()
        found = run_ranks(plan, args.ranks, launcher, lambda _: None)
        solved = solve_fixed_plan(plan, found, lambda _: None, {})
        ph_seconds = time.perf_counter() - started
        upper = solved.solution.objective
        lower = found.best_lower
        gap = (upper - lower) / abs(upper)
        print(f"| {count} | {ef_seconds:.1f} | {optimum:,.0f} | {ph_seconds:.0f} | "
              f"{found.iterations} | {lower:,.0f} | {upper:,.0f} | {gap:.3%} | "
              f"{(upper - optimum) / abs(optimum):.4%} |", flush=True)


if __name__ == "__main__":
    main()
