"""How the plan grows with the number of sampled futures, and where one machine stops.

    python bench/scale.py                                 # the shipped example, N = 25..800
    python bench/scale.py --plan large --counts 10,20,40  # the large synthetic plan
    python bench/scale.py --evaluate 1000                 # 1,000 out-of-sample futures

For each N, in its own process: the plan made on N futures sampled from its Events sheet
(bench/generate.py adds events to the synthetic plans), with the number of scenario-tree nodes,
LP columns, rows and nonzeros, peak memory and the seconds of each stage. With --evaluate M,
the plan of the first N is played in M fresh futures serially and on the process pool, and
the speed-up is printed against M solves divided by the cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def load(plan_name: str, folder: Path):
    """The plan data of the shipped example or of a synthetic size with events."""
    from model.inputs import load_plan

    if plan_name == "example":
        return load_plan(ROOT / "inputs" / "critical_supply_example.xlsx")
    from generate import write_synthetic

    return load_plan(write_synthetic(folder / f"{plan_name}.xlsx", plan_name, events=True))


def measure(plan_name: str, count: int, evaluate_count: int) -> dict:
    """Sample, build, solve (and evaluate) in this process."""
    from model.analyses.evaluate import evaluate
    from model.analyses.parallel import Where
    from model.pipeline import sample_if_asked, solve_plan

    with tempfile.TemporaryDirectory() as tmp:
        plan = load(plan_name, Path(tmp))
    plan = dataclasses.replace(plan, settings=dataclasses.replace(
        plan.settings, sample_scenarios=count))
    plan = sample_if_asked(plan, lambda _: None)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    solved = solve_plan(plan, progress=lambda _: None, timings=timings, keep_model=False)
    total = time.perf_counter() - start
    cols, rows, nonzeros = solved.solver.size
    found = {"count": count, "nodes": len(solved.built.index.tree.nodes), "cols": cols,
             "rows": rows, "nonzeros": nonzeros, "build": timings["build_seconds"],
             "handoff": timings["handoff_seconds"], "solve": timings["solve_seconds"],
             "total": total, "peak_mb": peak_mb(), "status": solved.solution.status}
    if evaluate_count:
        for workers in (1, os.cpu_count() or 1):
            started = time.perf_counter()
            evaluation = evaluate(plan, solved, evaluate_count, where=Where(workers))
            found[f"evaluate_{workers}"] = time.perf_counter() - started
            if workers == 1:  # the solver's own seconds per future, measured without contention
                found["solve_each"] = sum(f.solve_seconds for f in evaluation.futures) / len(
                    evaluation.futures)
                found["expected_cost"] = evaluation.cost_interval[0]
            else:
                found["same_numbers"] = evaluation.cost_interval[0] == found["expected_cost"]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", default="example")
    parser.add_argument("--counts", default="25,50,100,200,400,800")
    parser.add_argument("--evaluate", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    print(f"{'N':>6}{'nodes':>9}{'columns':>11}{'rows':>10}{'nonzeros':>12}{'build':>8}"
          f"{'handoff':>8}{'solve':>8}{'total':>8}{'MB':>8}")
    for count in [int(c) for c in args.counts.split(",")]:
        try:
            out = subprocess.run([sys.executable, __file__, "--child", args.plan, str(count),
                                  str(args.evaluate)], capture_output=True, text=True,
                                 check=True, timeout=args.timeout)
        except subprocess.TimeoutExpired:
            print(f"{count:>6}  did not finish in {args.timeout:g} s")
            break
        except subprocess.CalledProcessError as exc:
            print(f"{count:>6}  failed: {exc.stderr.strip().splitlines()[-1:]}")
            break
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['count']:>6}{r['nodes']:>9,}{r['cols']:>11,}{r['rows']:>10,}"
              f"{r['nonzeros']:>12,}{r['build']:>8.1f}{r['handoff']:>8.1f}{r['solve']:>8.1f}"
              f"{r['total']:>8.1f}{r['peak_mb']:>8.0f}", flush=True)
        if args.evaluate:
            cores = os.cpu_count() or 1
            ideal = r["solve_each"] * args.evaluate / cores
            print(f"        {args.evaluate:,} fresh futures: serial {r['evaluate_1']:.1f} s, "
                  f"{cores} workers {r[f'evaluate_{cores}']:.1f} s (speed-up "
                  f"{r['evaluate_1'] / r[f'evaluate_{cores}']:.2f}); {args.evaluate:,} solves "
                  f"/ {cores} cores = {ideal:.1f} s, target < {2 * ideal:.1f} s; serial / "
                  f"{cores} = {r['evaluate_1'] / cores:.1f} s; same expected cost serial and "
                  f"pooled: {r['same_numbers']}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(measure(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
    else:
        main()
