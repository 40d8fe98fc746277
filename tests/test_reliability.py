"""Issue 9: never stop without a plan, never lose a file.

Solver fallbacks (a forced first failure and the whole ladder), hostile terminals (run as a
real process: broken pipe, closed stdout, full device, a non-UTF-8 encoding), files (modes,
groups, targets that are not files, usage errors, SIGTERM and Ctrl-C clean-up, stale temporary
files, a full disk) and the known defects (fast reading of heavily formatted sheets, the primal
ray, per-commodity limit warnings, reading progress, plans wider than Excel).
"""

from __future__ import annotations

import copy
import errno
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import check_residuals, one_commodity, read_plan, settings, summary, write_workbook
from test_bad_workbooks import valid

import model.solver.solve as solve_module
from model.domain.errors import EXIT_OUTPUT, EXIT_SOLVER, EXIT_USAGE
from model.inputs import load_plan
from model.pipeline import run
from model.solver.solve import LADDER, PlanSolver, Status

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "run.py"
sys.path.insert(0, str(ROOT))

import run as cli  # noqa: E402

QUIET = {"progress": lambda _: None}


def light() -> dict:
    """A valid one-scenario workbook without a sweep: the quickest full run."""
    return one_commodity(2, 10, [["cheap", 4, 1], ["dear", 100, 3]])


@pytest.fixture(autouse=True)
def bug_log_in_tmp(tmp_path, monkeypatch):
    """A test that trips an internal error never writes into the project's outputs folder."""
    monkeypatch.setattr(cli, "BUG_LOG", tmp_path / "bug-log" / "planner-error.log")


def fail_first(monkeypatch, how_many: int = 1, status=Status.kSolveError) -> list[str]:
    """Make the first `how_many` rungs of the ladder end with `status` after really running
    (as HiGHS does when the clean-up after postsolve fails); returns the rungs tried."""
    real_run = PlanSolver._run
    tried: list[str] = []

    def failing(self, attempt, seconds_left):
        tried.append(attempt.name)
        real = real_run(self, attempt, seconds_left)
        return status if len(tried) <= how_many else real

    monkeypatch.setattr(PlanSolver, "_run", failing)
    return tried


# --------------------------------------------------------------------------- 1. solver ladder


@pytest.mark.slow
def test_a_solve_error_falls_back_to_no_presolve_and_says_so(tmp_path, monkeypatch):
    tried = fail_first(monkeypatch)
    source = write_workbook(tmp_path / "input.xlsx", valid())
    said: list[str] = []
    outcome = run(source, tmp_path / "plan.xlsx", progress=said.append)
    assert tried[:2] == ["dual simplex", "dual simplex without presolve"]
    assert "  dual simplex: Solve error; tried other settings" in said
    assert any(line.startswith("solved: optimal") and
               line.endswith(" by dual simplex without presolve") for line in said), said
    tables = read_plan(outcome.output_path)
    check_residuals(outcome.plan, tables)
    items = summary(tables)
    assert items["status"] == "optimal"
    notes = dict(zip(tables["Summary"]["item"], tables["Summary"]["note"], strict=True))
    assert notes["solve_seconds"] == "solved by dual simplex without presolve"
    run_sheet = tables["Run"]
    assert run_sheet.loc[run_sheet["item"] == "solved_by", "value"].tolist() == \
        ["dual simplex without presolve"]
    assert run_sheet.loc[run_sheet["item"] == "tried first", "value"].tolist() == \
        ["dual simplex: Solve error"]
    assert ("HiGHS failed with its usual settings (dual simplex: Solve error); the plan was "
            "solved by dual simplex without presolve") in tables["Warnings"]["message"].tolist()


@pytest.mark.parametrize("status", [Status.kUnknown, Status.kPostsolveError])
def test_unknown_and_postsolve_errors_climb_the_ladder_too(tmp_path, monkeypatch, status):
    fail_first(monkeypatch, status=status)
    plan = load_plan(write_workbook(tmp_path / "w.xlsx", one_commodity(
        3, 10, [["cheap", 4, 1], ["dear", 100, 3]])))
    from model.pipeline import solve_plan

    solved = solve_plan(plan, **QUIET)
    assert solved.solution.status == "optimal"
    assert solved.solution.method == "dual simplex without presolve"
    assert solved.solution.objective == pytest.approx(3 * (4 * 1 + 6 * 3))


@pytest.mark.slow
def test_interior_point_without_crossover_is_still_a_plan_and_says_so(tmp_path, monkeypatch,
                                                                       capsys):
    tried = fail_first(monkeypatch, how_many=len(LADDER) - 1)
    source = write_workbook(tmp_path / "input.xlsx", valid())
    code = cli.main([str(source), "-o", str(tmp_path / "plan.xlsx")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert tried[:len(LADDER)] == [a.name for a in LADDER]
    for attempt in LADDER[:-1]:
        assert f"  {attempt.name}: Solve error; tried other settings" in out
    assert "by interior point without crossover" in out
    assert ("note: the plan comes from the interior point method without a basis: prices and "
            "marginal costs are the interior point's duals") in out
    tables = read_plan(tmp_path / "plan.xlsx")
    notes = dict(zip(tables["Summary"]["item"], tables["Summary"]["note"], strict=True))
    assert notes["solve_seconds"] == ("solved by interior point without crossover (duals from "
                                      "the interior point method, no basis)")
    assert len(tables["Prices"]) and tables["Prices"]["marginal_cost"].notna().all()
    check_residuals(load_plan(source), tables)


@pytest.mark.slow
def test_every_rung_failing_exits_4_naming_each_rung(tmp_path, monkeypatch, capsys):
    tried = fail_first(monkeypatch, how_many=len(LADDER))
    source = write_workbook(tmp_path / "input.xlsx", valid())
    code = cli.main([str(source), "-o", str(tmp_path / "plan.xlsx"), "-q"])
    err = capsys.readouterr().err
    assert code == EXIT_SOLVER
    assert tried == [a.name for a in LADDER]
    assert "error: the solver stopped without a plan (" + "; ".join(
        f"{a.name}: Solve error" for a in LADDER) + "); every fallback setting was tried" in err
    assert not (tmp_path / "plan.xlsx").exists()


@pytest.mark.slow
def test_each_rung_runs_within_what_is_left_of_the_time_limit(tmp_path, monkeypatch):
    plan = load_plan(write_workbook(tmp_path / "w.xlsx", one_commodity(
        2, 10, [["cheap", 4, 1], ["dear", 100, 3]])))
    from model.formulation import build_model
    from model.solver.handoff import compile_lp

    solver = PlanSolver(compile_lp(build_model(plan).model), time_limit_seconds=0.5)
    limits: list[float] = []

    def slow_failure(self, attempt, seconds_left):
        limits.append(seconds_left)
        time.sleep(0.2)
        return Status.kSolveError

    monkeypatch.setattr(PlanSolver, "_run", slow_failure)
    solution = solver.solve()
    assert solution.col_value is None and solution.status == "error"
    assert 2 <= len(limits) < len(LADDER)        # the clock ran out before the last rung
    assert limits[0] == pytest.approx(0.5, abs=0.05)
    assert all(b < a - 0.15 for a, b in zip(limits, limits[1:], strict=False))
    assert solution.tried[-1].endswith("not tried: the time limit of 0.5 s was used up")


def test_a_plan_that_breaks_a_limit_is_numerical_trouble_and_climbs_on(tmp_path, monkeypatch):
    plan = load_plan(write_workbook(tmp_path / "w.xlsx", one_commodity(
        2, 10, [["cheap", 4, 1], ["dear", 100, 3]])))
    from model.formulation import build_model
    from model.solver.handoff import compile_lp

    solver = PlanSolver(compile_lp(build_model(plan).model))
    residuals = iter([1.0])
    real = solve_module.max_residual
    monkeypatch.setattr(solve_module, "max_residual",
                        lambda lp, values: next(residuals, None) or real(lp, values))
    solution = solver.solve()
    assert solution.method == "dual simplex without presolve"
    assert solution.tried == ["dual simplex: a plan that breaks a limit by 1 (numerical "
                              "trouble)"]
    assert solution.max_residual < 1e-9


def test_the_rung_that_worked_is_tried_first_on_the_next_solve(tmp_path, monkeypatch):
    tried = fail_first(monkeypatch)
    plan = load_plan(write_workbook(tmp_path / "w.xlsx", one_commodity(
        2, 10, [["cheap", 4, 1], ["dear", 100, 3]])))
    from model.formulation import build_model
    from model.solver.handoff import compile_lp

    solver = PlanSolver(compile_lp(build_model(plan).model))
    first = solver.solve()
    assert first.method == "dual simplex without presolve"
    assert first.tried == ["dual simplex: Solve error"]
    second = solver.solve()  # a sweep point or a re-solve: no second failed dual simplex
    assert tried == ["dual simplex", "dual simplex without presolve",
                     "dual simplex without presolve"]
    assert second.method == "dual simplex without presolve" and second.tried == []
    assert second.objective == pytest.approx(first.objective)


def test_a_solve_leaves_the_signal_handlers_as_it_found_them(tmp_path):
    plan = load_plan(write_workbook(tmp_path / "w.xlsx", one_commodity(
        2, 10, [["cheap", 4, 1], ["dear", 100, 3]])))
    from model.formulation import build_model
    from model.solver.handoff import compile_lp

    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    solution = PlanSolver(compile_lp(build_model(plan).model)).solve()
    assert solution.status == "optimal"
    assert {sig: signal.getsignal(sig) for sig in before} == before


def test_highspy_is_pinned_to_the_tested_minor_series():
    import highspy

    text = (ROOT / "pyproject.toml").read_text()
    minor = f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}"
    upper = f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR + 1}"
    assert f'"highspy>={minor},<{upper}"' in text


@pytest.mark.slow
def test_the_time_limit_running_out_between_rungs_is_said_plainly(tmp_path, monkeypatch,
                                                                   capsys):
    def slow_failure(self, attempt, seconds_left):
        time.sleep(0.3)
        return Status.kSolveError

    monkeypatch.setattr(PlanSolver, "_run", slow_failure)
    sheets = valid()
    sheets["Settings"].append(["time_limit_seconds", 0.5])
    source = write_workbook(tmp_path / "input.xlsx", sheets)
    code = cli.main([str(source), "-o", str(tmp_path / "plan.xlsx"), "-q"])
    err = capsys.readouterr().err
    assert code == EXIT_SOLVER
    assert ("error: the solver stopped without a plan (dual simplex: Solve error; dual simplex "
            "without presolve: Solve error; dual simplex with another scaling, dual simplex with "
            "another random seed, dual simplex with Dantzig pricing, primal simplex, interior "
            "point with crossover, interior point without crossover: not tried: the time limit "
            "of 0.5 s was used up); "
            "the time limit ran out before every fallback setting was tried: raise "
            "time_limit_seconds in Settings") in err


# --------------------------------------------------------------------------- 2. terminals


def no_leftovers(folder: Path) -> None:
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".~")]


SLOW = pytest.mark.slow

# name: (shell command, environment, exit code); {src} a valid workbook whose names need more
# than cp1252, {bad} a broken one, {out} the plan. Every case runs as its own planner process.
TERMINALS = {  # the cases of the issue
    "broken pipe (| head -1)": ("$PLANNER {src} -o {out} | head -1; exit ${{PIPESTATUS[0]}}",
                                {}, 0),
    "cp1252 terminal": ("$PLANNER {src} -o {out}", {"PYTHONIOENCODING": "cp1252"}, 0),
}
MORE_TERMINALS = {  # slow: each case is a planner process of a second or two
    "closed stdout, quiet (cron)": ("$PLANNER {src} -o {out} --quiet >&-", {}, 0),
    "full device (> /dev/full)": ("$PLANNER {src} -o {out} > /dev/full", {}, 0),
    "full stderr, an error": ("$PLANNER {bad} -o {out} -q 2>/dev/full", {}, 2),
    "closed stdout (>&-)": ("$PLANNER {src} -o {out} >&-", {}, 0),
    "closed stdin, stdout and stderr": ("$PLANNER {src} -o {out} <&- >&- 2>&-", {}, 0),
    "full device for both": ("$PLANNER {src} -o {out} > /dev/full 2>&1", {}, 0),
    "cp1252 terminal, an error": ("$PLANNER {bad} -o {out}", {"PYTHONIOENCODING": "cp1252"}, 2),
    "closed stderr, an error": ("$PLANNER {bad} -o {out} -q 2>&-", {}, 2),
    "stderr into a broken pipe, an error": (
        "$PLANNER {bad} -o {out} -q 2>&1 | head -c 10; exit ${{PIPESTATUS[0]}}", {}, 2),
}


@pytest.mark.slow
def test_a_hostile_terminal_never_takes_the_plan_down(tmp_path):
    hostile_terminals(tmp_path, TERMINALS)


@pytest.mark.slow
def test_more_hostile_terminals(tmp_path):
    hostile_terminals(tmp_path, MORE_TERMINALS)


def hostile_terminals(tmp_path: Path, cases: dict) -> None:
    """Every case at once (one process each, in parallel): the plan is written (or, for a
    broken workbook, the exit code is 2), nothing is left behind, no traceback."""
    sheets = valid()
    sheets["Settings"].append(["currency", "円"])
    sheets["Suppliers"][1][0] = "Lynas ¥"
    sheets["Routes"][1][1] = "Lynas ¥"
    src = write_workbook(tmp_path / "yen.xlsx", sheets)
    sheets["Suppliers"][2][3] = "二十"
    bad = write_workbook(tmp_path / "bad.xlsx", sheets)
    running = {}
    for i, (name, (command, env, _)) in enumerate(cases.items()):
        folder = tmp_path / f"case{i}"
        folder.mkdir()
        running[name] = (folder, subprocess.Popen(
            ["bash", "-c", command.format(src=src, bad=bad, out=folder / "plan.xlsx")],
            cwd=folder, env={**os.environ, "PLANNER": f"{sys.executable} {RUN}", **env},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL))
    failed = []
    for name, (folder, process) in running.items():
        out, err = process.communicate(timeout=300)
        out, err = out.decode("cp1252", "replace"), err.decode("cp1252", "replace")
        code = cases[name][2]
        plan = folder / "plan.xlsx"
        problems = []
        if process.returncode != code:
            problems.append(f"exit {process.returncode}, expected {code}: {err[-300:]}")
        if "Traceback" in out + err:
            problems.append("a traceback reached the terminal")
        if code == 0 and not (plan.exists() and summary(read_plan(plan))["status"] == "optimal"):
            problems.append("no plan")
        if code != 0 and plan.exists():
            problems.append("a plan from a broken workbook")
        if [p.name for p in folder.iterdir() if p.name.startswith(".~")]:
            problems.append("temporary files left")
        if name == "cp1252 terminal" and not ("  objective" in out and " ?\n" in out):
            problems.append("円 not replaced by ? in the summary: " + out[-200:])
        if name == "cp1252 terminal, an error" and \
                'Suppliers row 3, column "capacity": found "??"; expected a number >= 0.' \
                not in err:
            problems.append("the error message was lost: " + err[-300:])
        failed += [f"{name}: {p}" for p in problems]
    assert not failed, "\n".join(failed)


def test_the_bug_log_falls_back_to_the_temporary_folder(tmp_path, monkeypatch, capsys):
    import model.pipeline

    def boom(*args, **kwargs):
        raise RuntimeError("deliberate")

    blocker = tmp_path / "outputs"
    blocker.write_text("a file where the outputs folder should be")
    monkeypatch.setattr(model.pipeline, "run", boom)
    monkeypatch.setattr(cli, "BUG_LOG", blocker / "planner-error.log")
    monkeypatch.setattr(cli.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    code = cli.main([str(tmp_path / "x.xlsx"), "-q"])
    err = capsys.readouterr().err
    assert code == 1
    log = tmp_path / "tmp" / "planner-error.log"
    assert f"details are in {log}" in err
    assert "RuntimeError: deliberate" in log.read_text()


def test_with_nowhere_to_write_the_bug_log_the_details_go_to_stderr(tmp_path, monkeypatch,
                                                                    capsys):
    import model.pipeline

    def boom(*args, **kwargs):
        raise RuntimeError("deliberate")

    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    monkeypatch.setattr(model.pipeline, "run", boom)
    monkeypatch.setattr(cli, "BUG_LOG", blocker / "planner-error.log")
    monkeypatch.setattr(cli.tempfile, "gettempdir", lambda: str(blocker))
    code = cli.main([str(tmp_path / "x.xlsx"), "-q"])
    err = capsys.readouterr().err
    assert code == 1
    assert "no folder was writable for the details" in err
    assert "RuntimeError: deliberate" in err


@pytest.mark.slow
def test_an_internal_error_with_a_read_only_outputs_folder_still_exits_1(tmp_path):
    """As a real process, with the project's outputs folder replaced by an unwritable path."""
    script = (
        "import sys, tempfile; sys.path.insert(0, {root!r}); import run, model.pipeline\n"
        "run.BUG_LOG = __import__('pathlib').Path({blocker!r}) / 'planner-error.log'\n"
        "tempfile.tempdir = {tmp!r}\n"
        "def boom(*a, **k): raise RuntimeError('deliberate')\n"
        "model.pipeline.run = boom\n"
        "sys.exit(run.main([{source!r}]))\n")
    blocker = tmp_path / "outputs"
    blocker.write_text("not a folder")
    (tmp_path / "tmp").mkdir()
    code = script.format(root=str(ROOT), blocker=str(blocker), tmp=str(tmp_path / "tmp"),
                         source=str(tmp_path / "x.xlsx"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 1, done.stderr
    assert f"details are in {tmp_path / 'tmp' / 'planner-error.log'}" in done.stderr
    assert done.stderr.count("Traceback") == 0


# --------------------------------------------------------------------------- 3. files


@pytest.mark.slow
def test_a_plan_written_over_a_file_keeps_its_mode_and_group(tmp_path):
    source = write_workbook(tmp_path / "input.xlsx", light())
    target = tmp_path / "plan.xlsx"
    target.write_bytes(b"yesterday's plan")
    os.chmod(target, 0o664)
    group = os.getgid()
    if os.geteuid() == 0:
        group = 4242
        os.chown(target, -1, group)
    run(source, target, **QUIET)
    info = target.stat()
    assert stat.S_IMODE(info.st_mode) == 0o664
    assert info.st_gid == group
    assert summary(read_plan(target))["status"] == "optimal"


@pytest.mark.slow
def test_a_new_plan_follows_the_umask(tmp_path):
    source = write_workbook(tmp_path / "input.xlsx", light())
    previous = os.umask(0o002)
    try:
        outcome = run(source, tmp_path / "plan.xlsx", **QUIET)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(outcome.output_path.stat().st_mode) == 0o664


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o027, 0o640)])
def test_atomic_save_gives_a_new_file_the_umasks_mode(tmp_path, umask, mode):
    from model.io.files import atomic_save

    previous = os.umask(umask)
    try:
        written, notes = atomic_save(lambda temporary: temporary.write_bytes(b"plan"),
                                     tmp_path / "plan.xlsx")
    finally:
        os.umask(previous)
    assert (written, notes) == (tmp_path / "plan.xlsx", [])
    assert stat.S_IMODE(written.stat().st_mode) == mode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.xlsx"]


@pytest.fixture
def never_read(monkeypatch):
    """Fail the test if the workbook is read (targets must be refused before any work)."""
    import model.pipeline

    def refuse(*args, **kwargs):
        raise AssertionError("the workbook was read before the output target was checked")

    monkeypatch.setattr(model.pipeline, "read_workbook", refuse)


@pytest.mark.parametrize(("target", "message"), [
    ("/dev/null", "error: the output /dev/null is not a regular file (a device or a pipe); "
                  "give a file name such as plan.xlsx"),
    ("{tmp}", "error: the output {tmp} is a folder; give a file name such as {tmp}/plan.xlsx"),
    ("{tmp}/input.xlsx/plan.xlsx", "error: cannot write into the folder {tmp}/input.xlsx: "
                                   "{tmp}/input.xlsx is a file, not a folder"),
    ("{tmp}/input.xlsx/deeper/plan.xlsx", "error: cannot write into the folder "
                                          "{tmp}/input.xlsx/deeper: {tmp}/input.xlsx is a file, "
                                          "not a folder"),
])
def test_an_output_that_cannot_be_a_plan_file_is_refused_before_reading(
        tmp_path, capsys, never_read, target, message):
    source = write_workbook(tmp_path / "input.xlsx", valid())
    code = cli.main([str(source), "-o", target.format(tmp=tmp_path), "-q"])
    err = capsys.readouterr().err
    assert code == EXIT_OUTPUT, err
    assert err == message.format(tmp=tmp_path) + "\n"
    no_leftovers(tmp_path)


@pytest.mark.slow
def test_an_output_name_without_xlsx_is_written_with_a_warning(tmp_path, capsys):
    source = write_workbook(tmp_path / "input.xlsx", light())
    code = cli.main([str(source), "-o", str(tmp_path / "plan.txt")])
    out = capsys.readouterr().out
    assert code == 0
    assert ("  warning: the output name plan.txt does not end in .xlsx; Excel may not open it "
            "by double-click (it is an .xlsx workbook all the same)") in out
    assert summary(read_plan(tmp_path / "plan.txt"))["status"] == "optimal"


@pytest.mark.parametrize(("argv", "message"), [
    (["{src}", "--output", ""], "--output needs a file name (a plan is a workbook; it cannot "
                                "be written to the terminal)"),
    (["{src}", "-o", "-"], "--output needs a file name (a plan is a workbook; it cannot be "
                           "written to the terminal)"),
    (["{src}", "-o", " "], "--output needs a file name"),
    (["{src}", "-o"], "argument -o/--output: expected one argument"),
    (["{src}", "--template", "{tmp}/blank.xlsx"], "--template writes a blank workbook and "
                                                  "plans nothing; give it alone"),
    (["--template", "{tmp}/blank.xlsx", "-o", "{tmp}/x.xlsx"], "--template writes a blank "
                                                               "workbook and plans nothing"),
    (["--template", ""], "--template needs a file name"),
    (["--template", "-"], "--template needs a file name"),
    (["{src}", "--no-such-option"], "unrecognized arguments: --no-such-option"),
    (["{src}", "{src}"], "unrecognized arguments: {src}"),
    ([""], "the input workbook name is empty"),
    (["{src}", "--replications", "3"], "--replications needs --evaluate M: the lower bound is "
                                       "compared with the plan's cost over M fresh futures"),
])
def test_usage_errors_exit_64_before_anything_is_done(tmp_path, capsys, never_read, argv,
                                                      message):
    source = tmp_path / "input.xlsx"
    args = [a.format(src=source, tmp=tmp_path) for a in argv]
    assert cli.main(args) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("usage error: ") and err.endswith("(see python run.py --help)\n")
    assert message.format(src=source, tmp=tmp_path) in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_the_template_never_replaces_a_file_unless_forced(tmp_path, capsys):
    target = tmp_path / "blank.xlsx"
    target.write_bytes(b"my own workbook")
    assert cli.main(["--template", str(target), "-q"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err == (f"usage error: {target} exists; --template never replaces a file unless "
                   "--force is given (see python run.py --help)\n")
    assert target.read_bytes() == b"my own workbook"
    os.chmod(target, 0o640)
    assert cli.main(["--template", str(target), "--force", "-q"]) == 0
    assert target.read_bytes().startswith(b"PK")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    no_leftovers(tmp_path)


@pytest.mark.parametrize(("target", "message"), [
    ("{tmp}", "the output {tmp} is a folder"),
    ("{tmp}/a_file/blank.xlsx", "cannot write into the folder {tmp}/a_file: {tmp}/a_file is a "
                                "file, not a folder"),
    ("/dev/null", "the output /dev/null is not a regular file"),
])
@pytest.mark.slow
def test_the_template_refuses_targets_that_are_not_files(tmp_path, capsys, target, message):
    (tmp_path / "a_file").write_text("x")
    code = cli.main(["--template", target.format(tmp=tmp_path), "--force", "-q"])
    err = capsys.readouterr().err
    assert code == EXIT_OUTPUT, err
    assert message.format(tmp=tmp_path) in err
    assert "internal error" not in err


@pytest.mark.slow
def test_a_new_template_is_written_atomically_with_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        assert cli.main(["--template", str(tmp_path / "new" / "blank.xlsx"), "-q"]) == 0
    finally:
        os.umask(previous)
    written = tmp_path / "new" / "blank.xlsx"
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    assert load_plan_problems(written)
    no_leftovers(tmp_path / "new")


def load_plan_problems(path: Path) -> list:
    from model.domain.errors import InputError

    try:
        load_plan(path)
    except InputError as error:
        return error.issues
    return []


def dead_pid() -> int:
    for pid in range(4_000_000, 3_000_000, -7919):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            continue
    raise RuntimeError("no free process id found")


@pytest.mark.slow
def test_stale_temporary_files_of_killed_runs_are_removed_by_the_next_run(tmp_path, capsys):
    source = write_workbook(tmp_path / "input.xlsx", valid())
    out = tmp_path / "out"
    out.mkdir()
    pid = dead_pid()
    # Files of older planners (named by process id, without a lock): a process id proves
    # nothing (another container, another host), so only files older than a day go.
    stale = [out / f".~plan.{pid}.k3x9_q.tmp", out / f".~plan.{pid}.k3x9_q.tmp.rows",
             out / f".~other.{pid}.abc.tmp", out / ".~plan.xlsx.tmp"]
    for path in stale:
        path.write_bytes(b"half a plan")
    scratch = out / f".~planner-{pid}-zz1"
    scratch.mkdir()
    (scratch / "sheet1.xml").write_text("<x/>")
    two_days_ago = time.time() - 2 * 86400
    for path in [*stale, scratch]:
        os.utime(path, (two_days_ago, two_days_ago))
    alive = out / f".~plan.{pid}.live1.tmp"   # young: perhaps a run still going, left alone
    alive.write_bytes(b"being written")
    mine = out / "notes.~tmp"
    mine.write_text("the user's own file")
    bad = copy.deepcopy(valid())
    bad["Suppliers"][1][3] = -1
    broken = write_workbook(tmp_path / "broken.xlsx", bad)
    assert cli.main([str(broken), "-o", str(out / "plan.xlsx"), "-q"]) == 2  # even so
    assert [p for p in stale if p.exists()] == []
    assert not scratch.exists()
    assert alive.exists() and mine.exists()
    assert cli.main([str(source), "-o", str(out / "plan.xlsx"), "-q"]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([alive.name, "notes.~tmp",
                                                            "plan.xlsx"])
    capsys.readouterr()


@pytest.mark.slow
def test_ctrl_c_while_the_plan_is_written_removes_every_temporary_file(tmp_path, monkeypatch,
                                                                       capsys):
    import model.report.book as book

    real_inject = book.inject_rows
    seen: list[list[str]] = []

    def interrupted(path, deferred):
        real_inject(path, deferred)  # leaves the finished plan in the temporary file
        path.with_name(path.name + ".rows").write_bytes(b"half of a rewrite")
        seen.append(sorted(p.name for p in path.parent.iterdir()))
        raise KeyboardInterrupt

    monkeypatch.setattr(book, "inject_rows", interrupted)
    source = write_workbook(tmp_path / "input.xlsx", light())
    out = tmp_path / "out"
    code = cli.main([str(source), "-o", str(out / "plan.xlsx")])
    captured = capsys.readouterr()
    assert code == 130
    assert ("stopped (interrupted); nothing was written and temporary files were removed"
            in captured.err)
    assert any(name.startswith(".~planner-") for name in seen[0])  # the writer's scratch
    assert any(name.endswith(".tmp.rows") for name in seen[0])
    assert list(out.iterdir()) == []


def start_planner(source: Path, output: Path) -> subprocess.Popen:
    # SIGHUP at its default in the planner, as from a terminal, even when the tests themselves
    # run under nohup (which the planner rightly leaves alone: nohup means "keep printing").
    return subprocess.Popen([sys.executable, str(RUN), str(source), "-o", str(output)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=output.parent, stdin=subprocess.DEVNULL,
                            preexec_fn=_hangup_as_from_a_terminal)


def _hangup_as_from_a_terminal() -> None:
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)


def wait_for(process: subprocess.Popen, fragment: str) -> None:
    for line in process.stdout:
        if fragment in line:
            return
    raise AssertionError(f"the planner ended before {fragment!r}: {process.stderr.read()}")


@pytest.fixture(scope="module")
def medium_workbook(tmp_path_factory) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    from generate import write_synthetic

    return write_synthetic(tmp_path_factory.mktemp("medium") / "medium.xlsx", "medium")


@pytest.mark.parametrize("sig", [signal.SIGTERM, pytest.param(signal.SIGINT, marks=SLOW)])
@pytest.mark.slow
def test_a_signal_while_solving_stops_with_130_and_leaves_nothing(tmp_path, medium_workbook,
                                                                  sig):
    output = tmp_path / "plan.xlsx"
    process = start_planner(medium_workbook, output)
    wait_for(process, "solving with HiGHS")
    process.send_signal(sig)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert err == ("stopped (interrupted); nothing was written and temporary files were "
                   "removed\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_sigterm_while_the_plan_is_written_removes_the_writers_scratch_files(
        tmp_path, medium_workbook):
    output = tmp_path / "plan.xlsx"
    old = tmp_path / "plan.xlsx"
    old.write_bytes(b"yesterday's plan")
    process = start_planner(medium_workbook, output)
    wait_for(process, "writing")
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.xlsx"]
    assert old.read_bytes() == b"yesterday's plan"


def infeasible() -> dict:
    sheets = valid()
    sheets["Suppliers"][1][5] = 8  # Lynas must take 8 a period ...
    sheets["Routes"][1][4] = None
    sheets["Stockpiles"][1][3] = 5  # ... that Japan can neither use nor store
    sheets["Demand"][1][3] = 0
    return sheets


def enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.slow
def test_a_full_disk_still_explains_an_infeasible_plan(tmp_path, monkeypatch, capsys):
    import zipfile

    source = write_workbook(tmp_path / "input.xlsx", infeasible())
    monkeypatch.setattr(zipfile.ZipFile, "writestr", enospc)
    monkeypatch.setattr(zipfile.ZipFile, "write", enospc)
    code = cli.main([str(source), "-o", str(tmp_path / "plan.xlsx"), "-q"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "Traceback" not in err and "FileCreateError" not in err
    first, _, rest = err.partition("\nThe diagnosis workbook could not be written: ")
    assert first.startswith("error: no plan meets every limit.\nThese limits cannot all hold"), err
    assert "  - Suppliers row 2 min_take: Lynas must be taken at 8 t a period or more " \
        "(take-or-pay)" in first
    assert rest == (f"the file could not be written to {tmp_path / 'input_diagnosis.xlsx'}: "
                    "No space left on device\n")
    no_leftovers(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.xlsx"]


@pytest.mark.slow
def test_a_full_disk_while_writing_the_plan_exits_5_and_keeps_the_old_plan(tmp_path,
                                                                          monkeypatch, capsys):
    import zipfile

    source = write_workbook(tmp_path / "input.xlsx", light())
    old = tmp_path / "plan.xlsx"
    old.write_bytes(b"yesterday's plan")
    monkeypatch.setattr(zipfile.ZipFile, "writestr", enospc)
    monkeypatch.setattr(zipfile.ZipFile, "write", enospc)
    code = cli.main([str(source), "-o", str(old), "-q"])
    err = capsys.readouterr().err
    assert code == EXIT_OUTPUT
    assert err == (f"error: the file could not be written to {old}: No space left on "
                   "device\n")
    assert old.read_bytes() == b"yesterday's plan"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.xlsx", "plan.xlsx"]


# --------------------------------------------------------------------------- 5. known defects


def formatted_down_to_a_million(path: Path) -> Path:
    """The valid workbook with every Suppliers row down to 1,000,000 formatted (as Excel stores
    a sheet whose rows were formatted in bulk): one styled empty cell per row."""
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.styles import Font

    plain = write_workbook(path.with_name("plain.xlsx"), valid())
    wb = load_workbook(plain)
    wb["Suppliers"]["A2"].font = Font(bold=True)  # a second cell style, s="1"
    wb.save(plain)
    with zipfile.ZipFile(plain) as source, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        titles = [t.decode() for t in __import__("re").findall(
            rb'<sheet [^>]*name="([^"]+)"', source.read("xl/workbook.xml"))]
        member = f"xl/worksheets/sheet{titles.index('Suppliers') + 1}.xml"
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == member:
                rows = b"".join(b'<row r="%d" s="1" customFormat="1"><c r="C%d" s="1"/></row>'
                                % (r, r) for r in range(10, 1_000_001))
                data = data.replace(b"</sheetData>", rows + b"</sheetData>")
                data = __import__("re").sub(rb'<dimension ref="[^"]*"/>',
                                            b'<dimension ref="A1:H1000000"/>', data)
            target.writestr(info.filename, data)
    return path


@pytest.mark.slow
def test_a_sheet_formatted_down_to_row_a_million_reads_in_seconds(tmp_path):
    from model.io.workbook import read_workbook

    source = formatted_down_to_a_million(tmp_path / "formatted.xlsx")
    started = time.process_time()  # CPU seconds: a busy machine does not fail the test
    raw = read_workbook(source)
    seconds = time.process_time() - started
    assert [r.excel_row for r in raw.sheets["Suppliers"].rows] == [2, 3]
    assert seconds < 3.0, f"{seconds:.1f} s"  # the openpyxl reader took two minutes
    assert set(load_plan(source).suppliers) == {"Lynas", "Baotou"}


def test_the_primal_ray_of_a_genuinely_unbounded_lp():
    import numpy as np
    import pyomo.core as pyo

    from model.solver.handoff import compile_lp

    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(3), bounds=(0, None))
    m.c1 = pyo.Constraint(expr=m.x[0] - m.x[1] <= 1)
    m.c2 = pyo.Constraint(expr=m.x[2] <= 5)
    m.o = pyo.Objective(expr=-m.x[0] - 2 * m.x[1] + m.x[2])
    lp = compile_lp(m)
    solver = PlanSolver(lp)
    solution = solver.solve()
    assert solution.status == "unbounded"
    ray = solver.primal_ray()
    assert ray is not None and ray.shape == (3,)
    assert float(lp.cost @ ray) < 0                        # the cost falls along it
    assert (ray >= -1e-9).all()                            # it keeps x >= 0
    assert ray[0] - ray[1] <= 1e-9 and abs(ray[2]) <= 1e-9  # and every row
    assert np.linalg.norm(ray) > 0


@pytest.mark.slow
def test_a_workbook_whose_plan_is_unbounded_is_explained_not_crashed(tmp_path, monkeypatch,
                                                                     capsys):
    from model.formulation import build_model

    def with_a_free_lunch(plan, scenarios=None):
        import pyomo.core as pyo

        built = build_model(plan, scenarios)
        built.model.free_lunch = pyo.Var(bounds=(0, None))
        built.model.total_cost.expr = built.model.total_cost.expr - built.model.free_lunch
        return built

    import model.solver.plan

    monkeypatch.setattr(model.solver.plan, "build_model", with_a_free_lunch)
    source = write_workbook(tmp_path / "input.xlsx", valid())
    code = cli.main([str(source), "-o", str(tmp_path / "plan.xlsx"), "-q"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "Traceback" not in err and "internal error" not in err
    assert "unbounded" in err
    assert not (tmp_path / "plan.xlsx").exists()


def two_commodities(periods: int = 2) -> dict:
    """Commodity A is only sold by Chinese suppliers, B by Chinese and Australian ones."""
    return {
        "Settings": settings(periods),
        "Commodities": [["commodity", "unit", "shortage_penalty"], ["A", "t", 100],
                        ["B", "t", 100]],
        "Demand": [["commodity", "region", "period", "demand"], ["A", "home", None, 5],
                   ["B", "home", None, 5]],
        "Suppliers": [["supplier", "commodity", "origin_country", "capacity", "unit_cost"],
                      ["a1", "A", "China", 10, 1], ["b1", "B", "China", 10, 1],
                      ["b2", "B", "Australia", 10, 2]],
        "Routes": [["route", "supplier", "region"], ["ra1", "a1", "home"],
                   ["rb1", "b1", "home"], ["rb2", "b2", "home"]],
        "Concentration": [["limit", "commodity", "attribute", "value", "max_share"],
                          ["China cap", "*", "origin_country", "China", 0.5]],
    }


def test_a_limit_no_supply_can_meet_is_warned_per_commodity_of_a_star_limit(tmp_path):
    plan = load_plan(write_workbook(tmp_path / "w.xlsx", two_commodities()))
    texts = [str(w) for w in plan.warnings]
    assert ('Concentration row 2, column "max_share": "China cap" cannot be met by any supply '
            "of A in 2027-01: every open route in its scope has origin_country China, so the "
            "limit allows buying none of them.") in texts
    assert not any("supply of B" in t for t in texts)


def test_reading_reports_progress_every_50000_rows(tmp_path, monkeypatch):
    import model.io.workbook as workbook

    assert workbook.PROGRESS_ROWS == 50_000
    monkeypatch.setattr(workbook, "PROGRESS_ROWS", 10)
    sheets = valid()
    sheets["Demand"] += [["NdPr", "Japan", f"2027-{m:02d}", 10] for m in (1, 2, 3)] * 0
    sheets["Demand"] = [sheets["Demand"][0]] + [["NdPr", f"region {i}", None, 1]
                                                for i in range(25)]
    said: list[str] = []
    workbook.read_workbook(write_workbook(tmp_path / "w.xlsx", sheets), said.append)
    assert said == ["  read 10 of 25 rows of Demand ...", "  read 20 of 25 rows of Demand ..."]


@pytest.mark.slow
def test_a_hundred_thousand_demand_rows_show_reading_progress(tmp_path):
    from openpyxl import Workbook

    from model.io.workbook import read_workbook

    wb = Workbook(write_only=True)
    for name, rows in valid().items():
        ws = wb.create_sheet(name)
        for row in rows if name != "Demand" else rows[:1]:
            ws.append(row)
        if name == "Demand":
            for i in range(100_000):
                ws.append(["NdPr", f"region {i}", None, 1])
    wb.save(tmp_path / "big.xlsx")
    said: list[str] = []
    raw = read_workbook(tmp_path / "big.xlsx", said.append)
    assert len(raw.sheets["Demand"].rows) == 100_000
    assert said == ["  read 50,000 of 100,000 rows of Demand ...",
                    "  read 100,000 of 100,000 rows of Demand ..."]


@pytest.mark.slow
def test_a_plan_wider_than_excel_is_written_as_rows(tmp_path, monkeypatch):
    import model.report.plan as plan_writer

    monkeypatch.setattr(plan_writer, "EXCEL_COLUMNS", 12)  # 6 leading columns + 6 periods + 1
    sheets = one_commodity(6, 10, [["cheap", 4, 1], ["dear", 100, 3]])
    outcome = run(write_workbook(tmp_path / "w.xlsx", sheets), tmp_path / "plan.xlsx", **QUIET)
    grid = read_plan(outcome.output_path)["Plan"]
    assert list(grid.columns) == ["commodity", "unit", "supplier", "route", "region",
                                  "processing_country", "period", "quantity"]
    data = grid[grid["route"].notna()]
    assert len(data) == 12  # two routes x six periods, none cut
    assert sorted(set(data["period"])) == [f"2027-{m:02d}" for m in range(1, 7)]
    assert data.groupby("route")["quantity"].sum().to_dict() == {"cheap route": 24.0,
                                                                 "dear route": 36.0}
    note = grid.iloc[-1, 0]
    assert note.endswith("The plan has 6 periods, more than Excel has columns, so the grid is "
                         "written with one row per route and period.")


# --------------------------------------------------------------------------- more files


@pytest.mark.slow
def test_an_output_that_is_a_symlink_writes_the_file_it_points_to(tmp_path, capsys):
    source = write_workbook(tmp_path / "input.xlsx", light())
    shared = tmp_path / "shared"
    shared.mkdir()
    real = shared / "plan.xlsx"
    real.write_bytes(b"yesterday's plan")
    os.chmod(real, 0o640)
    link = tmp_path / "plan.xlsx"
    link.symlink_to(real)
    # Refused without --force (it would replace the file the link points to) ...
    assert cli.main([str(source), "-o", str(link), "-q"]) == 64
    assert capsys.readouterr().err == (
        f"usage error: the output {link} is a link to {real}; the plan would replace that "
        "file: give --force to write it there, or choose another --output (see python run.py "
        "--help)\n")
    assert real.read_bytes() == b"yesterday's plan"
    # ... and written there with it.
    assert cli.main([str(source), "-o", str(link), "-q", "--force"]) == 0
    assert link.is_symlink() and link.resolve() == real
    assert summary(read_plan(real))["status"] == "optimal"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    no_leftovers(shared)


@pytest.mark.slow
def test_an_output_folder_without_write_permission_is_refused_before_reading(
        tmp_path, capsys, monkeypatch, never_read):
    source = write_workbook(tmp_path / "input.xlsx", valid())
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: Path(p) != locked
                        and real_access(p, mode, **kw))
    code = cli.main([str(source), "-o", str(locked / "plan.xlsx"), "-q"])
    assert code == EXIT_OUTPUT
    assert capsys.readouterr().err == (f"error: cannot write into the folder {locked}: "
                                       "read-only (no permission to create files there); "
                                       "choose another --output\n")
    code = cli.main([str(source), "-o", str(locked / "new" / "plan.xlsx"), "-q"])
    assert code == EXIT_OUTPUT
    assert f"{locked} is read-only" in capsys.readouterr().err
    assert not (locked / "new").exists()


def damaged(tmp_path: Path, how: str) -> Path:
    """The valid workbook with the Suppliers sheet's XML cut in half or missing."""
    import re
    import zipfile

    plain = write_workbook(tmp_path / "plain.xlsx", valid())
    target = tmp_path / f"{how}.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(target, "w") as out:
        titles = [t.decode() for t in re.findall(rb'<sheet [^>]*name="([^"]+)"',
                                                 source.read("xl/workbook.xml"))]
        member = f"xl/worksheets/sheet{titles.index('Suppliers') + 1}.xml"
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == member:
                if how == "missing":
                    continue
                data = data[:len(data) // 2]
            out.writestr(info.filename, data)
    return target


@pytest.mark.parametrize(("how", "why"), [
    ("cut", "XmlError: syntax error"), ("missing", "WorksheetNotFound: Suppliers")])
def test_a_damaged_sheet_is_named_and_the_rest_is_still_checked(tmp_path, capsys, how, why):
    source = damaged(tmp_path, how)
    code = cli.main([str(source), "-o", str(tmp_path / "plan.xlsx"), "-q"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "  - Suppliers: this sheet cannot be read: the file is damaged there (" + why in err
    assert "open the workbook in Excel and save it again." in err
    assert 'Routes row 2, column "supplier": found "Lynas"' in err  # the other sheets: checked
    assert "internal error" not in err and "Traceback" not in err


@pytest.mark.slow  # a whole planner run of a few seconds; CI runs it
def test_a_zip_a_library_cannot_close_on_a_full_disk_prints_no_traceback(tmp_path):
    """On a real full disk xlsxwriter's zip file fails to close, and Python would print
    "Exception ignored in: <function ZipFile.__del__>" with a traceback when it is collected."""
    source = write_workbook(tmp_path / "input.xlsx", valid())
    script = (
        "import errno, os, sys, zipfile; sys.path.insert(0, {root!r}); import run\n"
        "real = zipfile.ZipFile.close\n"
        "def full(self):\n"
        "    if self.mode == 'w' and str(self.filename).startswith({tmp!r}):\n"
        "        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))\n"
        "    return real(self)\n"
        "zipfile.ZipFile.close = full\n"
        "sys.exit(run.main([{source!r}, '-o', {out!r}, '-q']))\n")
    code = script.format(root=str(ROOT), tmp=str(tmp_path / "out"), source=str(source),
                         out=str(tmp_path / "out" / "plan.xlsx"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == EXIT_OUTPUT, done.stderr
    assert done.stderr == (f"error: the file could not be written to {tmp_path / 'out'}"
                           "/plan.xlsx: No space left on device\n")
    no_leftovers(tmp_path / "out")


@pytest.mark.slow
def test_a_closed_terminal_lets_the_run_finish_and_write_its_plan(tmp_path):
    """SIGHUP (the terminal closed, an SSH session dropped) is what nohup ignores: the plan is
    still written, nothing temporary is left, and what would have been printed is dropped."""
    source = write_workbook(tmp_path / "input.xlsx", light())
    output = tmp_path / "plan.xlsx"
    process = start_planner(source, output)
    wait_for(process, "validated")
    process.send_signal(signal.SIGHUP)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    assert err == "" and "plan written to" not in out  # the rest went to the null device
    assert summary(read_plan(output))["status"] == "optimal"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["input.xlsx", "plan.xlsx"]
