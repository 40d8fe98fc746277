"""The national plan on which HiGHS 1.16 ended in `Solve error` (docs/highs_solve_error.md).

tests/data/national_solve_error.xlsx is the workbook (10 commodities, 200 suppliers, 400 routes,
120 months, 6 scenarios). Its LP, as the planner wrote it until the scope totals were shared,
held two totals of the same orders for every commodity, window and tree node (one for the
`origin` cap, one for the `feoc` cap); HiGHS's dual simplex stopped with `Solve error` on it.

    python tests/test_highs_solve_error.py OUT.mps     # writes that LP, for the HiGHS report
"""

from __future__ import annotations

import sys
from pathlib import Path

import highspy
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from helpers import one_commodity, write_workbook  # noqa: E402

import model.formulation.index as index_module  # noqa: E402
from model.formulation import build_model  # noqa: E402
from model.inputs import load_plan  # noqa: E402
from model.pipeline import read_plan_data  # noqa: E402
from model.solver.handoff import compile_lp  # noqa: E402
from model.solver.plan import solve_plan  # noqa: E402
from model.solver.solve import pass_arrays  # noqa: E402

WORKBOOK = ROOT / "tests" / "data" / "national_solve_error.xlsx"
QUIET = {"progress": lambda _: None}


def national_plan():
    """The validated plan of the national workbook."""
    return read_plan_data(WORKBOOK, lambda _: None, {})


def highs_of(lp, **options) -> highspy.Highs:
    """A quiet HiGHS instance holding the compiled LP, with `options` set."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    for name, value in options.items():
        highs.setOptionValue(name, value)
    pass_arrays(highs, lp.num_cols, lp.num_rows, lp.cost, lp.offset, lp.col_lower, lp.col_upper,
                lp.row_lower, lp.row_upper, lp.start, lp.index, lp.value)
    return highs


def total_per_limit(limit: str, routes: list[str], nodes: tuple[int, ...]) -> tuple:
    """The scope key before the fix: one total per limit, even over the same routes."""
    return limit, tuple(routes), nodes


def test_two_limits_over_the_same_routes_share_one_scope_total(tmp_path):
    # Suppliers A, B, C (origin = own name) at 1, 2, 3 per t, 10 t wanted in one month. `each`
    # caps every origin at 50% (<= 5 t), `a` caps A at 40% (<= 4 t): A 4, B 5, C 1 ->
    # 4*1 + 5*2 + 1*3 = 17. Both limits count the same routes in the same month: one total.
    sheets = one_commodity(1, 10, [["A", 100, 1], ["B", 100, 2], ["C", 100, 3]])
    sheets["Concentration"] = [
        ["limit", "commodity", "region", "attribute", "value", "max_share", "basis"],
        ["each", "k", "*", "origin_country", "*", 0.5, "period"],
        ["a", "k", "*", "origin_country", "A", 0.4, "period"]]
    plan = load_plan(write_workbook(tmp_path / "w.xlsx", sheets))
    solved = solve_plan(plan, **QUIET)
    assert solved.solution.objective == pytest.approx(17.0)
    layout = solved.solver.lp.layout
    assert len(layout.columns["scope_supply"].keys) == 1
    assert len(layout.rows["scope_supply_definition"].keys) == 1
    assert len(layout.rows["concentration"].keys) == 4  # A, B, C of `each`; A of `a`
    orders = solved.solution.col_value[:layout.columns["order"].start + 3]
    assert sorted(np.round(orders, 9)) == [1.0, 4.0, 5.0]


@pytest.mark.slow
def test_the_national_plan_solves_on_the_first_rung_with_a_basis():
    solved = solve_plan(national_plan(), **QUIET)
    solution = solved.solution
    assert solution.status == "optimal"
    assert solution.method == "dual simplex" and solution.tried == []
    assert solution.has_basis
    assert solved.solver.size[:2] == (127_255, 93_687)  # 2,720 fewer of each than before
    # The same LP by HiGHS without presolve, an independent path to its optimum.
    check = highs_of(solved.solver.lp, presolve="off")
    check.run()
    assert check.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert solution.objective == pytest.approx(check.getInfo().objective_function_value,
                                               rel=1e-7)
    assert solution.max_residual <= 1e-6 * solved.solver.scale


@pytest.mark.slow
@pytest.mark.skipif((highspy.HIGHS_VERSION_MAJOR, highspy.HIGHS_VERSION_MINOR) != (1, 16),
                    reason="the failure is HiGHS 1.16's")
def test_highs_1_16_fails_on_the_lp_with_a_total_per_limit(monkeypatch):
    # The reproduction for the HiGHS report: default options end in Solve error; without
    # presolve the same LP is optimal, at the objective of the LP with shared totals (the two
    # LPs have the same feasible set in the orders).
    monkeypatch.setattr(index_module, "scope_key", total_per_limit)
    lp = compile_lp(build_model(national_plan()).model)
    assert (lp.num_cols, lp.num_rows) == (129_975, 96_407)
    failing = highs_of(lp)
    failing.run()
    assert failing.getModelStatus() == highspy.HighsModelStatus.kSolveError
    without_presolve = highs_of(lp, presolve="off")
    without_presolve.run()
    assert without_presolve.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert without_presolve.getInfo().objective_function_value == pytest.approx(
        434_229_801.41445, rel=1e-9)


def write_reproduction(path: Path) -> None:
    """Write the LP on which HiGHS 1.16 fails as an MPS file."""
    index_module.scope_key = total_per_limit
    lp = compile_lp(build_model(national_plan()).model)
    highs_of(lp).writeModel(str(path))


if __name__ == "__main__":
    write_reproduction(Path(sys.argv[1]))
