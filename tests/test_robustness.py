"""Stable outputs, and a reader that never crashes on fuzzed workbooks."""

from __future__ import annotations

import copy
import datetime as dt
import re
import tempfile
import zipfile
from pathlib import Path

import pytest
from helpers import write_workbook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils.exceptions import IllegalCharacterError
from test_bad_workbooks import valid

from model.domain.errors import InputError
from model.inputs import load_plan
from model.pipeline import run

VOLATILE = re.compile(r"^(run_at|\w+_seconds)$")


@pytest.mark.slow
def test_same_input_gives_the_same_plan_bytes_apart_from_the_run_stamp(tmp_path):
    source = write_workbook(tmp_path / "input.xlsx", valid())
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    for output in (first, second):
        run(source, output, progress=lambda _: None)
    names = load_workbook(first).sheetnames
    volatile = {f"xl/worksheets/sheet{names.index(s) + 1}.xml" for s in ("Summary", "Run")}
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(second) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            if name not in volatile:
                assert a.read(name) == b.read(name), name
    for sheet in ("Summary", "Run"):
        rows = [[(r[0].value, r[1].value) for r in load_workbook(p)[sheet].iter_rows()]
                for p in (first, second)]
        stable = [[(k, v) for k, v in r if not VOLATILE.match(str(k))] for r in rows]
        assert stable[0] == stable[1]


ISSUE_LINE = re.compile(r'^  - (File|Workbook|[^\n]+?)( row \d+)?(, column "[^"]*")?: .+\.$')
CELL_VALUES = st.one_of(
    st.none(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["=1+", "#REF!", "NA", "007", "60%", "2027-13",
                                           "2027-Q5", "*", "@x", " ", "\u200b"]),
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)), st.booleans())


@st.composite
def mutated_workbook(draw):
    sheets = copy.deepcopy(valid())
    names = list(sheets)
    for _ in range(draw(st.integers(1, 6))):
        sheet = draw(st.sampled_from(names))
        rows = sheets[sheet]
        action = draw(st.sampled_from(["cell", "cell", "cell", "header", "drop_row",
                                       "drop_sheet", "rename_sheet", "add_row"]))
        if action == "cell" and len(rows) > 1:
            r = draw(st.integers(1, len(rows) - 1))
            c = draw(st.integers(0, len(rows[r]) - 1))
            rows[r][c] = draw(CELL_VALUES)
        elif action == "header":
            c = draw(st.integers(0, len(rows[0]) - 1))
            rows[0][c] = draw(st.one_of(st.text(max_size=10), st.sampled_from(
                ["Capacity (t)", "CAPACITY", "lead time", "value", "supplier"])))
        elif action == "drop_row" and len(rows) > 1:
            rows.pop(draw(st.integers(1, len(rows) - 1)))
        elif action == "drop_sheet" and sheet in sheets:
            del sheets[sheet]
            names.remove(sheet)
            if not names:
                break
        elif action == "rename_sheet" and sheet in sheets:
            new = draw(st.sampled_from(["SUPPLIERS", "Supplier list", "routes ", "Sheet9"]))
            if new not in sheets:
                sheets[new] = sheets.pop(sheet)
                names[names.index(sheet)] = new
        elif action == "add_row":
            rows.append([draw(CELL_VALUES) for _ in rows[0]])
    return sheets


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_workbook())
@pytest.mark.slow
def test_fuzzed_workbooks_are_accepted_or_refused_in_the_documented_format(sheets):
    with tempfile.TemporaryDirectory() as folder:
        try:
            path = write_workbook(Path(folder) / "fuzz.xlsx", sheets)
        except (ValueError, TypeError, IllegalCharacterError):
            return  # openpyxl cannot write this value (e.g. control characters): not a workbook
        try:
            plan = load_plan(path)
        except InputError as error:
            lines = str(error).split("\n")
            assert re.match(r"^.+: the workbook has \d+ problems?:$", lines[0])
            issues = [line for line in lines[1:] if line.startswith("  - ")]
            assert issues and len(issues) == len(error.issues)
            for line in issues:
                assert ISSUE_LINE.match(line), line
            return
        assert plan.commodities and plan.settings.periods >= 1


def test_stray_formatting_far_down_a_sheet_is_not_read_as_rows(tmp_path):
    from openpyxl.styles import Font

    source = write_workbook(tmp_path / "input.xlsx", valid())
    wb = load_workbook(source)
    wb["Suppliers"].cell(1_000_000, 3).font = Font(bold=True)  # formatted, empty
    wb.save(source)
    plan = load_plan(source)
    assert set(plan.suppliers) == {"Lynas", "Baotou"}


def test_residual_recheck_finds_a_violated_row():
    import numpy as np
    import pyomo.core as pyo

    from model.solver.handoff import compile_lp
    from model.solver.solve import max_residual

    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(2), bounds=(0, 10))
    m.c = pyo.Constraint(expr=m.x[0] + 2 * m.x[1] <= 4)
    m.o = pyo.Objective(expr=m.x[0])
    lp = compile_lp(m)
    assert max_residual(lp, np.array([2.0, 1.0])) == 0.0
    assert max_residual(lp, np.array([2.0, 1.5])) == 1.0     # row: 5 > 4
    assert max_residual(lp, np.array([11.0, 0.0])) == 7.0    # row: 11 > 4 beats bound: 1


def test_solution_can_be_loaded_into_the_pyomo_model(tmp_path):
    from helpers import one_commodity

    from model.pipeline import solve_plan

    plan = load_plan(write_workbook(tmp_path / "w.xlsx", one_commodity(
        1, 10, [["cheap", 4, 1], ["dear", 100, 3]])))
    solved = solve_plan(plan, progress=lambda _: None)
    built = solved.built
    solved.solver.load_into_model(solved.solution)
    assert built.model.order["cheap route", 0].value == 4
    assert built.model.order["dear route", 0].value == 6


def test_dual_bound_of_an_optimal_plan_equals_its_objective(tmp_path):
    import numpy as np
    from helpers import one_commodity

    from model.pipeline import solve_plan
    from model.solver.solve import dual_bound

    plan = load_plan(write_workbook(tmp_path / "w.xlsx", one_commodity(
        3, 10, [["cheap", 4, 1], ["dear", 100, 3]], stock=[5, 20, 0.5])))
    solved = solve_plan(plan, progress=lambda _: None)
    solution = solved.solution
    assert dual_bound(solved.solver.lp, solution.row_dual, solution.col_dual) == \
        pytest.approx(solution.objective, rel=1e-9)
    del np


@pytest.mark.slow
def test_plan_stopped_at_the_time_limit_is_written_with_its_status_and_gap(tmp_path,
                                                                             monkeypatch):
    from helpers import one_commodity, read_plan, summary

    from model.solver.solve import LADDER, PlanSolver

    real_solve = PlanSolver.solve

    def stopped_early(self, ladder=LADDER):
        real_solve(self)  # a feasible point, reported as if the clock had run out
        return self._with_plan("time_limit", 0.5, "Time limit reached", LADDER[0])

    monkeypatch.setattr(PlanSolver, "solve", stopped_early)
    source = write_workbook(tmp_path / "w.xlsx", one_commodity(
        2, 10, [["cheap", 4, 1], ["dear", 100, 3]]))
    outcome = run(source, tmp_path / "plan.xlsx", progress=lambda _: None)
    tables = read_plan(outcome.output_path)
    items = summary(tables)
    assert items["status"] == "time_limit"
    assert items["gap"] == pytest.approx(0.0, abs=1e-9)
    assert any("stopped at the time limit" in m for m in tables["Warnings"]["message"])
