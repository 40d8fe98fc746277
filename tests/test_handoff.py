"""The hand-off to HiGHS (model/handoff.py): its contract with Pyomo's private expression
storage, its fast path against its general path, and both against Pyomo's public
`LinearStandardFormCompiler`.

How the comparison with `LinearStandardFormCompiler` (LSF) works: LSF writes every row as
`A x <= rhs`; a constraint with an upper bound u gives a row (con, +1): `body <= u`, and one with
a lower bound l gives a row (con, -1): `-body <= -l` (an equality gives both). LSF also drops
variables that appear nowhere and constraints without variables. Both LPs are built from the
same Pyomo objects, so each LSF row is matched to our row through its ConstraintData (by
identity) and its multiplier, and each LSF column to our column through its VarData: the match
is exact, with no guessing about row or column order. On matched rows every coefficient and
every right-hand side must agree (to 1e-12 relative, both sides read the same floats), every
column LSF drops must be empty and cost-free in ours, and both LPs, solved by highspy (our
arrays, and LSF's `c`, `A`, `rhs` with the column bounds of its VarData), must give the same
status and optimal objective.
"""

from __future__ import annotations

import highspy
import numpy as np
import pyomo.core as pyo
import pytest
from helpers import write_workbook
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler
from test_cross_check import random_plan

import model.solver.handoff as handoff
from model.formulation import build_model
from model.inputs import load_plan
from model.solver.handoff import CompiledLP, compile_lp, fast_path_ok

EXAMPLE = "inputs/critical_supply_example.xlsx"

# Random plans of test_cross_check.py chosen for what they exercise (listed when written):
#  12: 3 scenarios, min_share floors, transfers, an end stock, targets, take-or-pay;
#  17: risk_weight 1 (CVaR rows only), min_share floors, an investment, pipeline cargoes;
#  45: risk_weight 0.3 (CVaR rows and expected cost), a max_share cap, transfers, investment;
#  55: risk_weight 0.3, both min_share and max_share limits, an end stock, take-or-pay;
#  40: CVaR with caps and floors, and infeasible (both LPs must say so).
SEEDS = (12, 17, 45, 55, 40)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """name -> BuiltModel, for the shipped example and the random plans."""
    root = tmp_path_factory.mktemp("handoff")
    built = {"example": build_model(load_plan(EXAMPLE))}
    for seed in SEEDS:
        plan = load_plan(write_workbook(root / f"random{seed}.xlsx", random_plan(seed)))
        built[f"random{seed}"] = build_model(plan)
    return built


NAMES = ["example"] + [f"random{seed}" for seed in SEEDS]


def test_what_the_seeds_exercise(models):
    # The comparisons below are only as good as the rows they see: make sure the chosen plans
    # still hold CVaR rows, min_share floors and max_share caps (random_plan may change).
    def rows(name, family):
        return len(compile_lp(models[name].model).layout.rows[family].keys)

    def bounds(name):
        return {row.bound for row in models[name].index.concentration}

    assert rows("random17", "cvar_excess") == 2 and models["random17"].index.plan.settings\
        .risk_weight == 1.0
    assert rows("random45", "cvar_excess") == 3
    assert bounds("random12") == {"min"} and bounds("random17") == {"min"}
    assert bounds("random55") == {"min", "max"} and bounds("random45") == {"max"}
    assert rows("example", "cvar_excess") == 6 and bounds("example") == {"min", "max"}


# --- (a) the contract with Pyomo's private storage ---------------------------------------

def test_the_fast_path_contract_holds_on_the_installed_pyomo():
    # If this turns red after a Pyomo upgrade, the private storage handoff.py reads
    # (LinearExpression._args_ / _nargs, MonomialTermExpression._args_) has changed: the
    # planner still works (through the general path) but at its slower speed; adapt
    # handoff._flat_rows / _is_flat to the new storage or drop the fast path.
    assert fast_path_ok() is True
    assert handoff.FAST_PATH is True


def test_the_contract_check_itself_reads_the_private_storage():
    # fast_path_ok must be a real check: the flat body it builds reads back as rows
    # [0, 0, 0], columns [0, 1, 2], coefficients [2, 1, -0.25] (the last a mutable Param).
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(3))
    m.p = pyo.Param(mutable=True, initialize=0.25)
    body = LinearExpression([MonomialTermExpression((2.0, m.x[0])), m.x[1],
                             MonomialTermExpression((-m.p, m.x[2]))])
    assert handoff._is_flat(body)
    found = handoff._flat_rows([(7, body)], handoff.RowCompiler({id(m.x[i]): i
                                                                for i in range(3)}))
    assert found == ([7, 7, 7], [0, 1, 2], [2.0, 1.0, -0.25])


@pytest.fixture
def walk_counter(monkeypatch):
    """Counts the rows (and objective) that go through the public walker."""
    calls = {"n": 0}
    walk = handoff.RowCompiler.terms

    def counted(self, expr):
        calls["n"] += 1
        return walk(self, expr)

    monkeypatch.setattr(handoff.RowCompiler, "terms", counted)
    return calls


# --- (b) fast path == general path ------------------------------------------------------

def assert_same_arrays(a: CompiledLP, b: CompiledLP) -> None:
    """Every array of the LP bit for bit, and the same layout and Pyomo objects."""
    for name in ("cost", "col_lower", "col_upper", "row_lower", "row_upper", "start", "index",
                 "value"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        np.testing.assert_array_equal(x, y, err_msg=name, strict=True)
    assert a.offset == b.offset
    assert [(k, v.start, v.keys) for k, v in a.layout.columns.items()] == \
        [(k, v.start, v.keys) for k, v in b.layout.columns.items()]
    assert [(k, v.start, v.keys) for k, v in a.layout.rows.items()] == \
        [(k, v.start, v.keys) for k, v in b.layout.rows.items()]
    assert all(x is y for x, y in zip(a.variables, b.variables, strict=True))
    assert all(x is y for x, y in zip(a.constraints, b.constraints, strict=True))
    assert a.col_of == b.col_of and a.row_of == b.row_of


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.slow
def test_fast_and_general_paths_give_the_same_arrays(models, name, walk_counter):
    m = models[name].model
    fast = compile_lp(m)
    # The fast path must really have been taken: no row and no objective walked.
    assert walk_counter["n"] == 0
    general = compile_lp(m, general=True)
    # The general path walks every row and the objective once.
    assert walk_counter["n"] == general.num_rows + 1
    assert fast.num_rows > 0 and fast.num_nonzeros > fast.num_cols
    assert_same_arrays(fast, general)


def test_rows_the_fast_path_cannot_read_fall_back_to_the_walker(walk_counter):
    # A model mixing flat rows with rows the fast path must not read: a nested expression,
    # a constant inside a LinearExpression (its term is not a variable: the whole flat batch
    # falls back), and a mutable Param coefficient. Both paths give the same LP:
    #   r0:  2 x0 + x1 - 0.25 x2 <= 4           (flat, Param coefficient -p = -0.25)
    #   r1:  3 (x0 - x1) + 1 >= 2   ->  3 x0 - 3 x1 >= 1   (nested: walked)
    #   r2:  x0 + x2 == 5                         (flat)
    #   objective x0 + 2 x1 + 3 x2 + 7            (nested: walked; offset 7)
    def build(constant_in_flat: bool) -> pyo.ConcreteModel:
        m = pyo.ConcreteModel()
        m.x = pyo.Var(range(3), bounds=(0, 10))
        m.p = pyo.Param(mutable=True, initialize=0.25)
        m.r0 = pyo.Constraint(expr=LinearExpression([
            MonomialTermExpression((2.0, m.x[0])), m.x[1],
            MonomialTermExpression((-m.p, m.x[2]))]) <= 4)
        m.r1 = pyo.Constraint(expr=3 * (m.x[0] - m.x[1]) + 1 >= 2)
        flat = [m.x[0], m.x[2]] + ([0.0] if constant_in_flat else [])
        m.r2 = pyo.Constraint(expr=LinearExpression(flat) == 5)
        m.cost = pyo.Objective(expr=m.x[0] + 2 * m.x[1] + 3 * m.x[2] + 7)
        return m

    for constant_in_flat in (False, True):
        m = build(constant_in_flat)
        fast = compile_lp(m)
        walked = walk_counter["n"]
        # Without the constant, only r1 and the objective are walked; with it, r0 and r2 too.
        assert walked == (4 if constant_in_flat else 2)
        general = compile_lp(m, general=True)
        assert_same_arrays(fast, general)
        # Column-wise: x0 in r0 (2), r1 (3), r2 (1); x1 in r0 (1), r1 (-3); x2 in r0 (-0.25),
        # r2 (1).
        assert fast.start.tolist() == [0, 3, 5, 7]
        assert fast.index.tolist() == [0, 1, 2, 0, 1, 0, 2]
        assert fast.value.tolist() == [2.0, 3.0, 1.0, 1.0, -3.0, -0.25, 1.0]
        assert fast.row_lower.tolist() == [-np.inf, 1.0, 5.0]
        assert fast.row_upper.tolist() == [4.0, np.inf, 5.0]
        assert fast.cost.tolist() == [1.0, 2.0, 3.0] and fast.offset == 7.0
        walk_counter["n"] = 0


# --- (c) against Pyomo's public LinearStandardFormCompiler -------------------------------

def lsf_rows(info) -> dict[tuple[int, int], tuple[dict[int, float], float]]:
    """(id of ConstraintData, multiplier) -> ({id of VarData: coefficient}, rhs) of each LSF
    row `A x <= rhs`, nonzero coefficients only."""
    A = info.A.tocsr()
    found = {}
    for i, (con, multiplier) in enumerate(info.rows):
        first, last = A.indptr[i], A.indptr[i + 1]
        row = {id(info.columns[j]): float(v)
               for j, v in zip(A.indices[first:last], A.data[first:last], strict=True)
               if v != 0.0}
        found[(id(con), multiplier)] = (row, float(info.rhs[i]))
    return found


def our_rows(lp: CompiledLP) -> dict[tuple[int, int], tuple[dict[int, float], float]]:
    """Our rows `lower <= a x <= upper` in LSF's convention: (+1) `a x <= upper` for a finite
    upper bound, (-1) `-a x <= -lower` for a finite lower bound; rows without variables are
    left out (LSF drops them)."""
    cols = np.repeat(np.arange(lp.num_cols), np.diff(lp.start))
    entries: list[dict[int, float]] = [{} for _ in range(lp.num_rows)]
    for i, j, v in zip(lp.index.tolist(), cols.tolist(), lp.value.tolist(), strict=True):
        entries[i][id(lp.variables[j])] = v
    found = {}
    for i, con in enumerate(lp.constraints):
        if not entries[i]:
            continue
        if np.isfinite(lp.row_upper[i]):
            found[(id(con), 1)] = (entries[i], float(lp.row_upper[i]))
        if np.isfinite(lp.row_lower[i]):
            found[(id(con), -1)] = ({k: -v for k, v in entries[i].items()},
                                    -float(lp.row_lower[i]))
    return found


def highs_solve(num_cols, num_rows, cost, offset, col_lower, col_upper, row_lower, row_upper,
                start, index, value) -> tuple[highspy.HighsModelStatus, float | None]:
    """Solve a column-wise LP with a plain highspy instance; every status checked."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = int(num_cols), int(num_rows)
    lp.col_cost_, lp.offset_ = np.asarray(cost, dtype=float), float(offset)
    lp.col_lower_, lp.col_upper_ = np.asarray(col_lower, float), np.asarray(col_upper, float)
    lp.row_lower_, lp.row_upper_ = np.asarray(row_lower, float), np.asarray(row_upper, float)
    lp.sense_ = highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.asarray(start, dtype=np.int32)
    lp.a_matrix_.index_ = np.asarray(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray(value, dtype=float)
    highs = highspy.Highs()
    assert highs.setOptionValue("output_flag", False) == highspy.HighsStatus.kOk
    assert highs.passModel(lp) == highspy.HighsStatus.kOk
    assert highs.run() != highspy.HighsStatus.kError
    status = highs.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return status, float(highs.getInfo().objective_function_value)
    return status, None


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.slow
def test_the_lp_matches_pyomos_standard_form_compiler(models, name):
    m = models[name].model
    lp = compile_lp(m)
    info = LinearStandardFormCompiler().write(m)
    assert len(info.objectives) == 1 and info.c.shape[0] == 1

    # Rows: the same set, matched by constraint object and multiplier, the same entries.
    ours, theirs = our_rows(lp), lsf_rows(info)
    assert set(ours) == set(theirs)
    mine_values, their_values, mine_rhs, their_rhs = [], [], [], []
    for key, (row, rhs) in theirs.items():
        mine, my_rhs = ours[key]
        assert mine.keys() == row.keys(), key
        mine_values.extend(mine[v] for v in row)
        their_values.extend(row.values())
        mine_rhs.append(my_rhs)
        their_rhs.append(rhs)
    np.testing.assert_allclose(mine_values, their_values, rtol=1e-12, atol=0)
    np.testing.assert_allclose(mine_rhs, their_rhs, rtol=1e-12, atol=1e-12)
    # Rows we keep but LSF drops have no variables and must hold at x = 0.
    empty = np.setdiff1d(np.arange(lp.num_rows), lp.index)
    assert ((lp.row_lower[empty] <= 0) & (lp.row_upper[empty] >= 0)).all()

    # Columns: LSF's are ours (same VarData, same bounds); ours that LSF drops are empty and
    # cost nothing.
    col = {id(v): j for j, v in enumerate(lp.variables)}
    kept = [col[id(v)] for v in info.columns]
    assert len(set(kept)) == len(kept)
    dropped = np.setdiff1d(np.arange(lp.num_cols), kept)
    assert (np.diff(lp.start)[dropped] == 0).all() and (lp.cost[dropped] == 0).all()
    lsf_cost = info.c.toarray()[0]
    np.testing.assert_allclose(lp.cost[kept], lsf_cost, rtol=1e-12, atol=0)
    assert lp.offset == pytest.approx(float(info.c_offset[0]), abs=1e-12)
    lower = [-np.inf if v.lb is None else v.lb for v in info.columns]
    upper = [np.inf if v.ub is None else v.ub for v in info.columns]
    np.testing.assert_array_equal(lp.col_lower[kept], lower)
    np.testing.assert_array_equal(lp.col_upper[kept], upper)

    # Both LPs solved: the same status and the same optimum.
    mine = highs_solve(lp.num_cols, lp.num_rows, lp.cost, lp.offset, lp.col_lower,
                       lp.col_upper, lp.row_lower, lp.row_upper, lp.start, lp.index, lp.value)
    A = info.A.tocsc()
    theirs_solved = highs_solve(A.shape[1], A.shape[0], lsf_cost, info.c_offset[0], lower,
                                upper, np.full(A.shape[0], -np.inf), info.rhs, A.indptr,
                                A.indices, A.data)
    assert mine[0] == theirs_solved[0]
    if name == "random40":
        assert mine[0] == highspy.HighsModelStatus.kInfeasible
    else:
        assert mine[0] == highspy.HighsModelStatus.kOptimal
        assert mine[1] == pytest.approx(theirs_solved[1], rel=1e-9)


# --- the column order results.py relies on ----------------------------------------------

@pytest.mark.slow
def test_columns_come_in_the_order_of_the_index_lists(models, tmp_path):
    # results.py reads a family's values by position in the index's key lists
    # (costs.family_keys); the compiled LP must hold each family's columns in that order. Also
    # on a plan with eight projects and end stocks in three regions, whose sets a hash order
    # would shuffle.
    from helpers import one_commodity

    from model.formulation.costs import family_keys

    sheets = one_commodity(2, 5, [["mine A", 0, 1], ["mine B", 0, 1], ["mine C", 0, 1],
                                  ["mine D", 0, 1]])
    sheets["Demand"] = [["commodity", "region", "demand"], ["k", "home", 5], ["k", "north", 0],
                        ["k", "south", 0]]
    sheets["Stockpiles"] = [["commodity", "region", "end_stock"], ["k", "home", 1],
                            ["k", "north", 2], ["k", "south", 3]]
    order = ("mine D", "mine B", "mine A", "mine C", "mine B", "mine D", "mine C", "mine A")
    sheets["Investments"] = [["project", "supplier", "capex", "max_capacity"]] + [
        [f"project {8 - i} at {s}", s, 1 + i, 10] for i, s in enumerate(order)]
    built = {**models, "projects": build_model(load_plan(write_workbook(
        tmp_path / "projects.xlsx", sheets)))}
    assert list(built["projects"].index.plan.projects) == [
        f"project {8 - i} at {s}" for i, s in enumerate(order)]
    assert len(built["projects"].index.end_keys) == 3
    for name, b in built.items():
        layout = compile_lp(b.model).layout
        for family, keys in family_keys(b.index).items():
            assert layout.columns[family].keys == list(keys), (name, family)
