"""Benchmark the planner on three plan sizes through the real workbook path.

    python bench/bench.py                      # small (shipped example), medium, large
    python bench/bench.py --sizes small,medium

For each size, in separate processes (so peak memory is per process):
- ours: read, validate, build, hand-off, solve, extract, write seconds, peak memory, LP size;
- raw: the same LP (identical arrays, saved by our run) assembled column-wise with numpy,
  passed to highspy and solved; its peak memory.
`ratio` compares our end-to-end time from build to extracted solution (build + hand-off +
solve, the solution arrays in hand) with raw (numpy assembly + passModel + solve +
getSolution); `+tables` adds our extraction of every result table (Orders, Stockpile, duals,
...), which raw does not do at all. For the medium plan it also times a 10-point trade-off
sweep against one full solve (build + hand-off + solve).
"""

from __future__ import annotations

import argparse
import json
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


def measure_ours(workbook: str, arrays: str, sweep: bool) -> dict:
    import numpy as np
    from model.build import build_model
    from model.build.index import build_index
    from model.validate import validate

    from model.report import write_plan
    from model.results import extract
    from model.solve import PlanSolver
    from model.sweep import run_sweep
    from model.workbook import read_workbook

    t = {}
    start = time.perf_counter()
    raw = read_workbook(workbook)
    t["read"] = time.perf_counter() - start
    start = time.perf_counter()
    plan = validate(raw)
    t["validate"] = time.perf_counter() - start
    start = time.perf_counter()
    built = build_model(plan, build_index(plan))
    t["build"] = time.perf_counter() - start
    start = time.perf_counter()
    solver = PlanSolver(built.model, plan.settings.time_limit_seconds)
    t["handoff"] = time.perf_counter() - start
    start = time.perf_counter()
    solution = solver.solve()
    t["solve"] = time.perf_counter() - start
    start = time.perf_counter()
    result = extract(built, solver, solution)
    t["extract"] = time.perf_counter() - start
    if sweep and plan.sweep:
        start = time.perf_counter()
        result.tradeoff = run_sweep(built, solver, plan)
        t["sweep"] = time.perf_counter() - start
        t["sweep_points"] = len(plan.sweep)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        write_plan(result, plan, Path(folder) / "plan.xlsx")
    t["write"] = time.perf_counter() - start
    lp = solver.lp
    cols = np.repeat(np.arange(len(lp.variables)), np.diff(lp.start))
    np.savez(arrays, rows=lp.index.astype(np.int64), cols=cols, vals=lp.value, cost=lp.cost,
             col_lower=lp.col_lower, col_upper=lp.col_upper, row_lower=lp.row_lower,
             row_upper=lp.row_upper, offset=np.array([lp.offset]))
    cols_n, rows_n, nnz = solver.size
    return {"times": t, "peak_mb": peak_mb(), "variables": cols_n, "rows": rows_n,
            "nonzeros": nnz, "objective": solution.objective, "status": solution.status}


def measure_raw(arrays: str) -> dict:
    import highspy
    import numpy as np

    data = dict(np.load(arrays))
    before = peak_mb()
    start = time.perf_counter()
    n, m = data["cost"].size, data["row_lower"].size
    order = np.lexsort((data["rows"], data["cols"]))
    index = data["rows"][order].astype(np.int32)
    value = data["vals"][order]
    starts = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(data["cols"], minlength=n), out=starts[1:])
    assemble = time.perf_counter() - start
    start = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(n, m, int(value.size), 1, 1, float(data["offset"][0]), data["cost"],
                data["col_lower"], data["col_upper"], data["row_lower"], data["row_upper"],
                starts, index, value, np.zeros(n, dtype=np.int32))
    handoff = time.perf_counter() - start
    start = time.perf_counter()
    h.run()
    solve = time.perf_counter() - start
    start = time.perf_counter()
    solution = h.getSolution()
    values = np.asarray(solution.col_value)
    duals = np.asarray(solution.row_dual)
    fetch = time.perf_counter() - start
    return {"times": {"assemble": assemble, "handoff": handoff, "solve": solve, "fetch": fetch},
            "peak_mb": peak_mb(), "base_mb": before, "objective": h.getInfo().
            objective_function_value, "checksum": float(values.sum() + duals.sum() * 0)}


def child(argv: list[str]) -> None:
    kind = argv[0]
    result = (measure_ours(argv[1], argv[2], argv[3] == "sweep") if kind == "ours"
              else measure_raw(argv[1]))
    print(json.dumps(result))


def run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def workbook_for(size: str, folder: Path) -> Path:
    if size == "small":
        return ROOT / "inputs" / "critical_supply_example.xlsx"
    from generate import write_synthetic

    return write_synthetic(folder / f"{size}.xlsx", size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small,medium,large")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for size in args.sizes.split(","):
            workbook = workbook_for(size, folder)
            arrays = str(folder / f"{size}.npz")
            ours = run_child("ours", str(workbook), arrays, "sweep" if size == "medium" else "-")
            raw = run_child("raw", arrays)
            rows.append((size, ours, raw))
            print(f"measured {size}", file=sys.stderr, flush=True)
    header = (f"{'size':<7}{'vars':>9}{'rows':>9}{'read':>7}{'valid':>7}{'build':>7}"
              f"{'hand':>7}{'solve':>7}{'extr':>7}{'write':>7}{'e2e':>8}{'raw':>8}{'ratio':>7}"
              f"{'+tables':>8}{'MB':>7}{'rawMB':>7}{'mem':>6}")
    print(header)
    print("-" * len(header))
    for size, ours, raw in rows:
        t, r = ours["times"], raw["times"]
        e2e = t["build"] + t["handoff"] + t["solve"]
        raw_e2e = sum(r.values())
        assert abs(ours["objective"] - raw["objective"]) <= 1e-6 * max(1, abs(raw["objective"]))
        print(f"{size:<7}{ours['variables']:>9,}{ours['rows']:>9,}{t['read']:>7.2f}"
              f"{t['validate']:>7.2f}{t['build']:>7.2f}{t['handoff']:>7.2f}{t['solve']:>7.2f}"
              f"{t['extract']:>7.2f}{t['write']:>7.2f}{e2e:>8.2f}{raw_e2e:>8.2f}"
              f"{e2e / raw_e2e:>7.2f}{(e2e + t['extract']) / raw_e2e:>8.2f}"
              f"{ours['peak_mb']:>7.0f}{raw['peak_mb']:>7.0f}"
              f"{ours['peak_mb'] / raw['peak_mb']:>6.2f}")
    for size, ours, _ in rows:
        t = ours["times"]
        if "sweep" in t:
            full = t["build"] + t["handoff"] + t["solve"]
            print(f"\n{size}: {t['sweep_points']}-point sweep {t['sweep']:.2f} s; one full solve "
                  f"(build + hand-off + solve) {full:.2f} s; ratio {t['sweep'] / full:.2f}")
    print("\nseconds; e2e = build + hand-off + solve; raw = numpy assembly + passModel + solve + "
          "getSolution of the same LP; +tables = (e2e + extract) / raw; MB = peak resident "
          "memory of each process (ours includes reading and writing the workbooks)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
