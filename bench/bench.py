"""Benchmark the whole run, as the user waits for it, against raw highspy on the same LP.

    python bench/bench.py                          # small (shipped example), medium, large
    python bench/bench.py --sizes large,xl,xxl     # 342k, ~550k and ~1.2M variables
    python bench/bench.py --sizes demand200k       # 200,000 demand rows read and validated
    python bench/bench.py --sizes national --workbook tests/data/national_solve_error.xlsx \
        --repeat 2                                 # national plans against the plain LP

For each size, in separate processes (so peak memory is per process):
- ours: `python run.py` on a generated workbook (bench/generate.py), with the stage timings the
  plan records (read, validate, build, hand-off, solve, extract, write) and, apart, the
  analyses each made of further solves (insight, sweep, EVPI/VSS); wall time of the whole
  process, imports included; peak resident memory;
- raw: the identical LP (arrays saved by our run) assembled column-wise with numpy, passed to
  highspy, solved, and its solution fetched; its peak memory.
- plain: tests/reference_lp.py's independent LP of the same data (every decision per scenario,
  no scenario tree), solved by highspy with its defaults: "the plain LP's HiGHS time", measured
  in the same run as ours (its status is printed: HiGHS can fail on it too).
`core` is the seven stages of the plan itself; `core/raw` is the ratio the target is about;
`whole` is the whole run with its analyses (the process's wall time, imports included), and
`whole/plain` its ratio to the plain LP's HiGHS time. The machine may be shared: ours, raw and
plain run one after the other in the same invocation, and `--repeat` repeats the three.
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

STAGES = ("read", "validate", "build", "handoff", "solve", "extract", "write")
EXTRAS = ("insight", "sweep", "value")


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure_ours(workbook: str, arrays: str, output: str) -> dict:
    """The whole run through model.pipeline.run, saving the LP's arrays for raw."""
    import numpy as np

    import model.pipeline as runner
    from model.pipeline import RunOptions, run

    kept = {}
    real_solve_plan = runner.solve_plan

    def keep(*args, **kwargs):  # the same run; keep the compiled LP for the raw solve
        solved = real_solve_plan(*args, **kwargs)
        kept.setdefault("lp", solved.solver.lp)
        return solved

    runner.solve_plan = keep
    outcome = run(workbook, output, progress=lambda _: None, options=RunOptions())
    lp = kept["lp"]
    cols = np.repeat(np.arange(lp.num_cols), np.diff(lp.start))
    np.savez(arrays, rows=lp.index.astype(np.int64), cols=cols, vals=lp.value, cost=lp.cost,
             col_lower=lp.col_lower, col_upper=lp.col_upper, row_lower=lp.row_lower,
             row_upper=lp.row_upper, offset=np.array([lp.offset]))
    result = outcome.result
    timings = {k.removesuffix("_seconds"): v for k, v in result.timings.items()}
    return {"times": timings, "peak_mb": peak_mb(), "variables": result.model_size[0],
            "rows": result.model_size[1], "objective": result.objective,
            "left_out": result.run_facts["analyses_left_out"].value
            if "analyses_left_out" in result.run_facts else 0,
            "method": result.method}


def measure_raw(arrays: str) -> dict:
    """The same LP through highspy alone."""
    import highspy
    import numpy as np

    data = dict(np.load(arrays))
    start = time.perf_counter()
    n, m = data["cost"].size, data["row_lower"].size
    order = np.lexsort((data["rows"], data["cols"]))
    index = data["rows"][order].astype(np.int32)
    value = data["vals"][order]
    starts = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(data["cols"], minlength=n), out=starts[1:])
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(n, m, int(value.size), int(highspy.MatrixFormat.kColwise),
                int(highspy.ObjSense.kMinimize), float(data["offset"][0]), data["cost"],
                data["col_lower"], data["col_upper"], data["row_lower"], data["row_upper"],
                starts, index, value, np.zeros(n, dtype=np.int32))
    h.run()
    solution = h.getSolution()
    np.asarray(solution.col_value)
    np.asarray(solution.row_dual)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": peak_mb(),
            "objective": h.getInfo().objective_function_value}


def measure_plain(workbook: str) -> dict:
    """HiGHS's default solve of tests/reference_lp.py's plain LP of the same workbook (its
    construction in Python is not timed: only passModel, run and fetching the solution)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import reference_lp

    from model.pipeline import read_plan_data

    plan = read_plan_data(Path(workbook), lambda _: None, {})
    worlds, factors = reference_lp._worlds(plan)
    built = reference_lp._build(plan, worlds, shared_z=True,
                                na_classes=reference_lp._na_classes(plan, factors), fixed=None)
    start = time.perf_counter()
    h = built.lp._highs()
    h.run()
    solution = h.getSolution()
    np_col = list(solution.col_value)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "status": h.modelStatusToString(h.getModelStatus()),
            "objective": h.getInfo().objective_function_value, "columns": len(np_col),
            "peak_mb": peak_mb()}


def measure_read(workbook: str) -> dict:
    """Reading and validating only."""
    from model.inputs import validate
    from model.io.workbook import read_workbook

    start = time.perf_counter()
    raw = read_workbook(workbook)
    read = time.perf_counter() - start
    start = time.perf_counter()
    plan = validate(raw)
    return {"read": read, "validate": time.perf_counter() - start,
            "rows": sum(len(s.rows) for s in raw.sheets.values()), "peak_mb": peak_mb(),
            "periods": plan.settings.periods}


def child(argv: list[str]) -> None:
    kind = argv[0]
    if kind == "ours":
        result = measure_ours(*argv[1:4])
    elif kind == "raw":
        result = measure_raw(argv[1])
    elif kind == "plain":
        result = measure_plain(argv[1])
    else:
        result = measure_read(argv[1])
    print(json.dumps(result))


def run_child(*args: str) -> tuple[dict, float]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1]), time.perf_counter() - start


def workbook_for(size: str, folder: Path) -> Path:
    if size == "small":
        return ROOT / "inputs" / "critical_supply_example.xlsx"
    from generate import write_demand_rows, write_synthetic

    if size == "demand200k":
        return write_demand_rows(folder / "demand200k.xlsx", 200_000)
    return write_synthetic(folder / f"{size}.xlsx", size)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small,medium,large")
    parser.add_argument("--workbook", action="append", default=[],
                        help="also benchmark this workbook (repeatable)")
    parser.add_argument("--repeat", type=int, default=1, help="measure each plan N times")
    parser.add_argument("--no-plain", action="store_true",
                        help="skip the plain reference LP (slow to build on large plans)")
    args = parser.parse_args()
    rows, reads = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plans = [(size, None) for size in args.sizes.split(",") if size]
        plans += [(Path(w).stem[:7], Path(w)) for w in args.workbook]
        for size, given in plans:
            workbook = given or workbook_for(size, folder)
            if size == "demand200k":
                reads.append((size, *run_child("read", str(workbook))))
                continue
            for _ in range(args.repeat):
                arrays = str(folder / f"{size}.npz")
                ours, wall = run_child("ours", str(workbook), arrays,
                                       str(folder / f"{size}_plan.xlsx"))
                raw, _ = run_child("raw", arrays)
                plain = None if args.no_plain else run_child("plain", str(workbook))[0]
                rows.append((size, ours, wall, raw, plain))
                print(f"measured {size}", file=sys.stderr, flush=True)
    header = (f"{'size':<7}{'vars':>10}{'rows':>9}" + "".join(f"{s[:6]:>7}" for s in STAGES)
              + f"{'core':>8}{'raw':>7}{'core/raw':>9}" + "".join(f"{s[:6]:>8}" for s in EXTRAS)
              + f"{'whole':>7}{'wh/raw':>7}{'plain':>7}{'wh/plain':>9}"
              + f"  {'plain status':<14}{'left':>5}"
              + f"{'MB':>7}{'rawMB':>7}{'mem':>6}")
    if rows:
        print(header)
        print("-" * len(header))
    for size, ours, wall, raw, plain in rows:
        t = ours["times"]
        core = sum(t.get(s, 0.0) for s in STAGES)
        assert abs(ours["objective"] - raw["objective"]) <= 1e-6 * max(1, abs(raw["objective"]))
        print(f"{size:<7}{ours['variables']:>10,}{ours['rows']:>9,}"
              + "".join(f"{t.get(s, 0.0):>7.2f}" for s in STAGES)
              + f"{core:>8.2f}{raw['seconds']:>7.2f}{core / raw['seconds']:>9.2f}"
              + "".join(f"{t.get(s, 0.0):>8.2f}" for s in EXTRAS)
              + f"{wall:>7.1f}{wall / raw['seconds']:>7.2f}"
              + (f"{plain['seconds']:>7.2f}{wall / plain['seconds']:>9.2f}  "
                 f"{plain['status']:<14.14}" if plain else f"{'-':>7}{'-':>9}  {'-':<14}")
              + f"{ours['left_out']:>5}"
              + f"{ours['peak_mb']:>7.0f}"
              f"{raw['peak_mb']:>7.0f}{ours['peak_mb'] / raw['peak_mb']:>6.2f}")
    for size, found, wall in reads:
        print(f"\n{size}: {found['rows']:,} rows read in {found['read']:.1f} s and validated in "
              f"{found['validate']:.1f} s ({found['read'] + found['validate']:.1f} s; process "
              f"{wall:.1f} s, {found['peak_mb']:.0f} MB)")
    if rows:
        print("\nseconds; core = read + validate + build + hand-off + solve + extract + write (the "
              "plan itself); raw = numpy assembly + passModel + solve + solution of the same LP "
              "by highspy alone; insight, sweep and value are the analyses' own re-solves; "
              "whole = the whole run with its analyses, as the user waits for it, imports "
              "included; plain = HiGHS's default solve of tests/reference_lp.py's plain LP of "
              "the same data, in the same invocation; left = analyses left out by the "
              "run's shared time budget; MB = peak resident memory of each "
              "process")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
