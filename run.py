"""Sourcing and stockpile planner: read an input workbook, write the optimal plan workbook.

    python run.py                          # the shipped example in inputs/
    python run.py INPUT.xlsx --output PLAN.xlsx
    python run.py --template BLANK.xlsx    # a blank input workbook with instructions

Exit codes: 0 plan written (warnings allowed), 2 the workbook is wrong, 3 the plan is
infeasible (a Diagnosis workbook is written), 4 solver failure or time limit without a plan,
5 the plan could not be written, 64 the command line is wrong, 1 a bug (details in a log file).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import logging
import signal
import sys
import tempfile
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_INPUT = HERE / "inputs" / "critical_supply_example.xlsx"
BUG_LOG = HERE / "outputs" / "planner-error.log"
EXIT_BUG, EXIT_USAGE, EXIT_INTERRUPTED = 1, 64, 130


class UsageProblem(Exception):
    """The command line is wrong (exit 64)."""


class Parser(argparse.ArgumentParser):
    """argparse, with usage errors raised instead of exiting with argparse's own code 2 (which
    means "the workbook is wrong" here)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Raise instead of printing and exiting."""
        raise UsageProblem(message)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = Parser(
        prog="python run.py",
        description="Find the cheapest sourcing and stockpile plan that keeps supply "
                    "diversified and survives the disruptions of an input workbook.",
        epilog="With no arguments the shipped example inputs/critical_supply_example.xlsx is "
               "planned and the plan written to outputs/critical_supply_example_plan.xlsx. "
               "Exit codes: 0 plan written, 2 workbook wrong, 3 infeasible (Diagnosis written), "
               "4 solver failure, 5 output not writable, 64 command line wrong, 1 internal "
               "error.")
    parser.add_argument("input", nargs="?", help="input workbook (.xlsx); default: the "
                        "shipped example")
    parser.add_argument("-o", "--output", help="plan workbook to write; default: "
                        "outputs/<input name>_plan.xlsx")
    parser.add_argument("--template", metavar="PATH",
                        help="write a blank input workbook with instructions and dropdowns to "
                             "PATH, then stop")
    parser.add_argument("--force", action="store_true",
                        help="with --template: replace an existing file; with an --output that "
                             "is a symbolic link: write the file the link points to")
    parser.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    parser.add_argument("--solver-log", action="store_true", help="show HiGHS's own log")
    parser.add_argument("--compare", nargs=2, metavar=("OLD_PLAN", "NEW_PLAN"),
                        help="compare two plan workbooks (inputs that differ, cost, orders now, "
                             "shortfall, binding limits) into a comparison workbook, then stop")
    parser.add_argument("--evaluate", type=int, default=0, metavar="M",
                        help="test the plan on M fresh futures sampled from the Events sheet "
                             "(out of sample): expected cost with a 95%% interval, chance and "
                             "size of shortfalls")
    parser.add_argument("--replications", type=int, default=0, metavar="R",
                        help="with sampled futures: solve the plan R more times on fresh "
                             "samples for a statistical lower bound on the true optimum")
    parser.add_argument("--insight-seconds", type=float, default=None, metavar="S",
                        help="time for checking prices and break-even prices by re-solving "
                             "(default: half the solve time, at least 1 s; 0 keeps only the exact "
                             "figures from the optimal basis)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="processes for independent solves (default: one per core)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run independent solves on a Dask distributed cluster at ADDRESS "
                             "(e.g. tcp://10.0.0.5:8786) instead of local processes")
    args = parser.parse_args(argv)
    for name in ("evaluate", "replications"):
        if getattr(args, name) < 0:
            raise UsageProblem(f"--{name} needs a whole number >= 0")
    if args.replications and not args.evaluate:
        raise UsageProblem("--replications needs --evaluate M: the lower bound is compared with "
                           "the plan's cost over M fresh futures (for example --evaluate 1000 "
                           f"--replications {args.replications})")
    if args.insight_seconds is not None and not args.insight_seconds >= 0:
        raise UsageProblem("--insight-seconds needs a number of seconds >= 0")
    if args.workers is not None and args.workers < 1:
        raise UsageProblem("--workers needs a whole number >= 1")
    if args.compare is not None and (args.input is not None or args.template is not None):
        raise UsageProblem("--compare reads two plan workbooks and plans nothing; give it "
                           "without an input workbook or --template")
    if args.template is not None:
        if args.input is not None or args.output is not None:
            raise UsageProblem("--template writes a blank workbook and plans nothing; give it "
                               "alone (without an input workbook or --output)")
        if args.template.strip() in ("", "-"):
            raise UsageProblem("--template needs a file name")
    if args.output is not None and args.output.strip() in ("", "-"):
        raise UsageProblem("--output needs a file name (a plan is a workbook; it cannot be "
                           "written to the terminal)")
    if args.input is not None and args.input.strip() == "":
        raise UsageProblem("the input workbook name is empty")
    return args


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _carry_on_after_hangup(signum: int, frame: object) -> None:
    """The terminal was closed (or the SSH session dropped): finish the run and write the plan,
    as `nohup` would; what it would still print goes to the null device."""
    import os

    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            os.dup2(null, fd)
        os.close(null)


def write_bug_log(text: str) -> Path | None:
    """Append the traceback to the bug log; fall back to a temporary folder. None if nowhere
    is writable."""
    for path in (BUG_LOG, Path(tempfile.gettempdir()) / "planner-error.log"):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as log_file:
                log_file.write(f"--- {dt.datetime.now().isoformat()} {sys.argv}\n{text}")
            return path
        except OSError:
            continue
    return None


def main(argv: list[str] | None = None) -> int:
    """Run the planner; returns the exit code."""
    from model.io.terminal import Console, guard_standard_streams

    guard_standard_streams()
    try:
        quiet = "-q" in (argv if argv is not None else sys.argv[1:]) or \
            "--quiet" in (argv if argv is not None else sys.argv[1:])
        console = Console(quiet)
        args = parse_args(argv)
        console.quiet = args.quiet
    except UsageProblem as exc:
        Console().error(f"usage error: {exc} (see python run.py --help)")
        return EXIT_USAGE
    with_handler = signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None)
    if with_handler:
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
    hangup = getattr(signal, "SIGHUP", None)
    on_hangup = hangup is not None and signal.getsignal(hangup) in (signal.SIG_DFL, None)
    if on_hangup:
        signal.signal(hangup, _carry_on_after_hangup)
    previous_hook, sys.unraisablehook = sys.unraisablehook, _quiet_unraisable
    try:
        return _main(args, console)
    finally:
        _clean_up_shielded()
        sys.unraisablehook = previous_hook
        if with_handler:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if on_hangup:
            signal.signal(hangup, signal.SIG_DFL)


def _quiet_unraisable(info: object) -> None:
    """An error Python cannot raise (a library's clean-up at garbage collection, such as a zip
    file that cannot be closed on a full disk, after the real error was reported) is logged at
    debug level, never printed over the terminal's one-line message."""
    logging.getLogger("planner").debug(
        "%s %r", getattr(info, "err_msg", None) or "Exception ignored in",
        getattr(info, "object", None),
        exc_info=(getattr(info, "exc_type", None), getattr(info, "exc_value", None),
                  getattr(info, "exc_traceback", None)))


def _clean_up_shielded() -> None:
    """Remove every temporary file; a second Ctrl-C or SIGTERM meanwhile cannot interrupt it."""
    from model.io.files import cleanup

    saved = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            saved[sig] = signal.signal(sig, signal.SIG_IGN)
        except (ValueError, OSError):  # not the main thread: nothing to shield
            pass
    try:
        gc.collect()  # finalizers of what a failed write left open run now, under our hook
        cleanup()
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def _main(args: argparse.Namespace, console: object) -> int:
    try:
        from model.domain.errors import PlannerError
        from model.pipeline import RunOptions, run, summary_lines

        if args.template:
            return _template(Path(args.template), args.force, console)
        if args.compare:
            from model.report.plan_compare import compare_plans

            written = compare_plans(Path(args.compare[0]), Path(args.compare[1]),
                                    Path(args.output) if args.output else None,
                                    progress=console.say, force=args.force)
            console.say(f"comparison written to {written}")
            return 0
        source = args.input if args.input is not None else str(DEFAULT_INPUT)
        options = RunOptions(solver_log=args.solver_log, evaluate=args.evaluate,
                             replications=args.replications, workers=args.workers,
                             scheduler=args.scheduler, insight_seconds=args.insight_seconds,
                             force=args.force)
        outcome = run(source, args.output, progress=console.say, options=options)
        for line in summary_lines(outcome):
            console.say(line)
        return 0
    except PlannerError as exc:
        if exc.exit_code == EXIT_USAGE:
            console.error(f"usage error: {exc} (see python run.py --help)")
        else:
            console.error(f"error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        console.error("stopped (interrupted); nothing was written and temporary files were "
                      "removed")
        return EXIT_INTERRUPTED
    except Exception:  # a bug of ours: keep the traceback for us, one line for the user
        where = write_bug_log(traceback.format_exc())
        details = f"details are in {where}" if where else \
            "no folder was writable for the details:\n" + traceback.format_exc()
        console.error(f"error: an internal error stopped the planner; {details}. Please send "
                      "that with your workbook to the planner's maintainers.")
        return EXIT_BUG


def _template(path: Path, force: bool, console: object) -> int:
    """Write the blank workbook like a plan: target checked first, written to a temporary
    file and moved into place (an existing file keeps its mode and group)."""
    from model.domain.errors import UsageError
    from model.io.files import atomic_save, check_output_target
    from model.io.template import write_template

    if path.exists() and path.is_file() and not force:
        raise UsageError(f"{path} exists; --template never replaces a file unless --force is "
                         "given")
    for note in check_output_target(path, force):
        console.say(f"  warning: {note}")
    if path.is_symlink():  # allowed by --force: write the file it points to
        path = path.resolve()
    written, notes = atomic_save(write_template, path)
    for note in notes:
        console.say(f"  note: {note}")
    console.say(f"wrote a blank input workbook to {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
