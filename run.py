"""Sourcing and stockpile planner: read an input workbook, write the optimal plan workbook.

    python run.py                          # the shipped example in inputs/
    python run.py INPUT.xlsx --output PLAN.xlsx
    python run.py --template BLANK.xlsx    # a blank input workbook with instructions

Exit codes: 0 plan written (warnings allowed), 2 the workbook is wrong, 3 the plan is
infeasible (a Diagnosis workbook is written), 4 solver failure or time limit without a plan,
5 the plan could not be written, 1 a bug (details in a log file).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_INPUT = HERE / "inputs" / "critical_supply_example.xlsx"
BUG_LOG = HERE / "outputs" / "planner-error.log"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python run.py",
        description="Find the cheapest sourcing and stockpile plan that keeps supply "
                    "diversified and survives the disruptions of an input workbook.",
        epilog="With no arguments the shipped example inputs/critical_supply_example.xlsx is "
               "planned and the plan written to outputs/critical_supply_example_plan.xlsx. "
               "Exit codes: 0 plan written, 2 workbook wrong, 3 infeasible (Diagnosis written), "
               "4 solver failure, 5 output not writable, 1 internal error.")
    parser.add_argument("input", nargs="?", default=str(DEFAULT_INPUT),
                        help="input workbook (.xlsx); default: the shipped example")
    parser.add_argument("-o", "--output", help="plan workbook to write; default: "
                        "outputs/<input name>_plan.xlsx")
    parser.add_argument("--template", metavar="PATH",
                        help="write a blank input workbook with instructions and dropdowns to "
                             "PATH, then stop")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    parser.add_argument("--solver-log", action="store_true", help="show HiGHS's own log")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the planner; returns the exit code."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(message)s")

    def say(text: str) -> None:
        if not args.quiet:
            print(text, flush=True)

    try:
        from model.errors import PlannerError
        from model.pipeline import run, summary_lines

        if args.template:
            from model.template import write_template

            path = write_template(Path(args.template))
            say(f"wrote a blank input workbook to {path}")
            return 0
        outcome = run(args.input, args.output, progress=say, solver_log=args.solver_log)
        for line in summary_lines(outcome):
            say(line)
        return 0
    except PlannerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("stopped by the user", file=sys.stderr)
        return 130
    except Exception:  # a bug of ours: keep the traceback for us, one line for the user
        BUG_LOG.parent.mkdir(parents=True, exist_ok=True)
        with BUG_LOG.open("a", encoding="utf-8") as log_file:
            log_file.write(f"--- {dt.datetime.now().isoformat()} {sys.argv}\n")
            log_file.write(traceback.format_exc())
        print(f"error: an internal error stopped the planner; details are in {BUG_LOG}. "
              "Please send that file with your workbook to the planner's maintainers.",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
