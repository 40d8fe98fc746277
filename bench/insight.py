"""What every check of the insight costs on a workbook (default: the shipped example), by kind,
with an unlimited budget: the items, the seconds (wall and this process's CPU) and the solve
time they are measured against, so the default budget can be set from it.

    python bench/insight.py [WORKBOOK] [--repeat N]

Timings on a shared machine are noisy: compare the ratio to the solve time within one run, and
repeat.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.analyses.parallel import Where  # noqa: E402
from model.analyses.sensitivity import insight  # noqa: E402
from model.inputs import load_plan  # noqa: E402
from model.results.extract import extract  # noqa: E402
from model.solver.plan import solve_plan  # noqa: E402


def main() -> None:
    """Print one table per repeat: kind, items, seconds, seconds per solve time."""
    parser = argparse.ArgumentParser()
    parser.add_argument("workbook", nargs="?",
                        default=str(ROOT / "inputs" / "critical_supply_example.xlsx"))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None,
                        help="processes for the re-solves (default: one per core)")
    args = parser.parse_args()
    plan = load_plan(Path(args.workbook))
    for _ in range(args.repeat):
        solved = solve_plan(plan, progress=lambda _: None)
        result = extract(solved.built, solved.solver.lp, solved.solution)
        cpu = time.process_time()
        _, _, info = insight(solved.built, solved.solver, solved.solution, result.prices,
                             1e9, result.concentration, Where(args.workers))
        cpu = time.process_time() - cpu
        solve = solved.solution.seconds
        print(f"solve {solve:.3f} s; insight {info['seconds']:.3f} s wall, {cpu:.3f} s CPU, "
              f"{info['solves']} re-solves, {info['seconds'] / solve:.1f} x the solve")
        print(f"{'kind':<18}{'items':>7}{'re-solves':>10}{'seconds':>10}")
        for kind, seconds in info["seconds_by_kind"].items():
            print(f"{kind:<18}{info['items_by_kind'][kind]:>7}"
                  f"{info['solves_by_kind'][kind]:>10}{seconds:>10.3f}")


if __name__ == "__main__":
    main()
