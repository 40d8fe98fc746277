"""Whole cargoes, lots and contracts (docs/model.md section 14): the MIP's time against the LP's.

    python bench/mip.py                       # the shipped example, 3 repeats
    python bench/mip.py --synthetic medium    # also a synthetic plan, cargoes on every route
                                              # of its first commodity

For each plan: the plan as it is (a MIP) and the same plan with every cargo size, minimum lot
and contract removed (the LP), each built and solved `--repeats` times in this process; the
table gives the median seconds of build + hand-off and of the solve (for the MIP: branch and
bound plus the LP with the whole-number decisions fixed), the MIP's gap and the ratio. Timings
on a shared machine are noisy: compare the ratio within one run.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from model.domain.data import PlanData  # noqa: E402
from model.inputs import load_plan  # noqa: E402
from model.solver.plan import solve_plan  # noqa: E402


def without_section_14(plan: PlanData) -> PlanData:
    """The same plan as a pure LP: no cargo sizes, no minimum lots, no contracts."""
    routes = {r: dataclasses.replace(x, cargo_size=None, max_cargoes=None)
              for r, x in plan.routes.items()}
    suppliers = {s: dataclasses.replace(x, min_lot=0.0) for s, x in plan.suppliers.items()}
    return dataclasses.replace(plan, routes=routes, suppliers=suppliers, contracts={})


def with_cargoes(plan: PlanData, size: float) -> PlanData:
    """Cargoes of `size` on every route of the plan's first commodity."""
    first = next(iter(plan.commodities))
    routes = {r: dataclasses.replace(x, cargo_size=size) if plan.commodity_of(x) == first
              else x for r, x in plan.routes.items()}
    return dataclasses.replace(plan, routes=routes)


def timed(plan: PlanData, repeats: int) -> tuple[float, float, float | None, int]:
    builds, solves, gap, integers = [], [], None, 0
    for _ in range(repeats):
        timings: dict[str, float] = {}
        solved = solve_plan(plan, progress=lambda _: None, timings=timings)
        builds.append(timings["build_seconds"] + timings["handoff_seconds"])
        solves.append(timings["solve_seconds"])
        gap, integers = solved.solution.mip_gap, int(solved.solver.lp.integer_columns.size)
    return statistics.median(builds), statistics.median(solves), gap, integers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--synthetic", default="", help="a size of bench/generate.py")
    parser.add_argument("--cargo", type=float, default=70.0, help="cargo size, synthetic plan")
    args = parser.parse_args()
    plans = [("shipped example", load_plan(ROOT / "inputs" / "critical_supply_example.xlsx"))]
    if args.synthetic:
        from generate import write_synthetic

        path = write_synthetic(Path(tempfile.mkdtemp()) / "synthetic.xlsx", args.synthetic)
        plans.append((f"{args.synthetic}, cargoes of {args.cargo:g}",
                      with_cargoes(load_plan(path), args.cargo)))
    print("| plan | whole-number decisions | LP build | LP solve | MIP build | MIP solve | "
          "MIP gap | MIP solve / LP solve |")
    print("|---|---|---|---|---|---|---|---|")
    for name, plan in plans:
        lp_build, lp_solve, _, _ = timed(without_section_14(plan), args.repeats)
        mip_build, mip_solve, gap, integers = timed(plan, args.repeats)
        shown = "" if gap is None else f"{gap:.1e}"
        print(f"| {name} | {integers:,} | {lp_build:.2f} | {lp_solve:.2f} | {mip_build:.2f} | "
              f"{mip_solve:.2f} | {shown} | {mip_solve / max(lp_solve, 1e-9):.1f} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
