"""--decompose: progressive hedging on mpi-sppy against the extensive form of the same plan."""

from __future__ import annotations

import dataclasses
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import check_residuals, read_plan, summary
from openpyxl import load_workbook

from model.domain.errors import UsageError
from model.domain.scenarios import plan_scenarios
from model.inputs import load_plan
from model.pipeline import sample_if_asked
from model.solver.decompose import find_mpiexec, progress_line
from model.solver.ph_ranks import (
    ROOT,
    bundle_bound,
    bundles,
    future_alone,
    tail_weights,
    tree_layout,
)

ROOT_FOLDER = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT_FOLDER / "inputs" / "critical_supply_example.xlsx"
HAS_MPI = all(importlib.util.find_spec(name) is not None for name in ("mpisppy", "mpi4py"))
NO_MPI = 'mpi-sppy and mpi4py are not installed (python -m pip install ".[mpi]")'


def sampled_workbook(path: Path, futures: int, seconds: float, gap: float) -> Path:
    """The shipped example with sample_scenarios, time_limit_seconds and ph_gap set."""
    book = load_workbook(EXAMPLE)
    without_cargoes_and_contracts(book)
    sheet = book["Settings"]
    rows = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1)}
    for name, value in (("sample_scenarios", futures), ("time_limit_seconds", seconds),
                        ("ph_gap", gap)):
        row = rows.get(name) or sheet.max_row + 1
        sheet.cell(row, 1, name)
        sheet.cell(row, 2, value)
        rows[name] = row
    book.save(path)
    return path


def without_cargoes_and_contracts(book) -> None:
    """The example's contracts, cargo sizes, berth slots and lots removed (--decompose does not
    handle whole-number decisions yet)."""
    if "Contracts" in book.sheetnames:
        sheet = book["Contracts"]
        sheet.delete_rows(2, sheet.max_row)
    for name, columns in (("Routes", ("cargo_size", "max_cargoes")), ("Suppliers", ("min_lot",))):
        sheet = book[name]
        for c in range(1, sheet.max_column + 1):
            header = str(sheet.cell(1, c).value or "").strip().lower().replace(" ", "_")
            if header.split("_(")[0] in columns:
                for r in range(2, sheet.max_row + 1):
                    sheet.cell(r, c).value = None


def sampled_plan(futures: int):
    plan = load_plan(EXAMPLE)
    plan = dataclasses.replace(plan, settings=dataclasses.replace(
        plan.settings, sample_scenarios=futures))
    return sample_if_asked(plan, lambda _: None)


@pytest.mark.slow
def test_tree_layout_orders_futures_so_that_every_node_holds_a_contiguous_run():
    # mpi-sppy wants the futures of each node next to each other, children named
    # <parent>_<i>, one leaf per future at the same depth, and ROOT before period 1.
    plan = sampled_plan(20)
    base = plan_scenarios(plan)
    layout = tree_layout(base)
    tree = base.tree
    assert sorted(w for group in layout.members.values() for w in group) == list(range(20))
    assert sum(layout.probability.values()) == pytest.approx(1.0)
    position = {w: i for i, w in enumerate(layout.futures)}
    for node in layout.node_name:
        holders = sorted(position[w] for w in layout.futures if node in tree.path(w))
        assert holders == list(range(holders[0], holders[-1] + 1)), node
    names = layout.all_nodenames
    assert names[0] == ROOT and len(set(names)) == len(names)
    leaves = [n for n in names if f"{n}_0" not in names]
    assert len(leaves) == len(layout.futures)
    assert {n.count("_") for n in leaves} == {layout.stages + 1}
    # Every shared node of the merged futures lies in the non-leaf stages.
    assert all(tree.nodes[n].t <= layout.stages or tree.nodes[n].t == tree.periods
               for n in layout.shared)


def test_progress_line_states_iteration_bounds_and_gap():
    line = progress_line({"iteration": 12, "lower": 99.0, "upper": 100.0, "seconds": 41.2})
    # gap = (100 - 99) / max(1, 100) = 1%.
    assert line == "  iteration 12: lower 99  upper 100  gap 1.0000%  (41 s)"
    assert "gap -" in progress_line({"iteration": 1, "lower": 5.0, "upper": None,
                                     "seconds": 1})


@pytest.mark.slow
def test_a_launcher_that_does_not_exist_is_a_usage_error_before_any_solving(tmp_path):
    book = sampled_workbook(tmp_path / "plan.xlsx", 20, 60, 0.005)
    completed = subprocess.run(
        [sys.executable, str(ROOT_FOLDER / "run.py"), str(book), "--decompose",
         "--mpiexec", str(tmp_path / "no-such-mpiexec"), "--output", str(tmp_path / "o.xlsx")],
        capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert completed.returncode == 64, completed.stderr
    expected = (f"--mpiexec {tmp_path / 'no-such-mpiexec'}: no such program" if HAS_MPI else
                'which are not installed: run python -m pip install ".[mpi]"')
    assert expected in completed.stderr
    assert "reading" not in completed.stdout  # refused before the workbook is even read
    assert not (tmp_path / "o.xlsx").exists()


@pytest.mark.slow
def test_ranks_must_be_a_multiple_of_three(tmp_path):
    completed = subprocess.run(
        [sys.executable, str(ROOT_FOLDER / "run.py"), str(EXAMPLE), "--decompose", "--ranks",
         "4"], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert completed.returncode == 64
    assert "--ranks needs a multiple of 3 (found 4)" in completed.stderr


@pytest.mark.skipif(not HAS_MPI, reason=NO_MPI)
@pytest.mark.slow  # three MPI ranks on per-future MIPs, then the extensive form's MIP
def test_whole_cargoes_and_contracts_are_decomposed_as_a_heuristic_with_true_bounds(tmp_path):
    # 8 futures of the shipped example with its Qatar contract, Alaska option, 70 kt cargoes
    # and minimum lots: each future a MIP in PH, the bounds from branch and bound's bounds
    # and the bundles' LP relaxations (docs/model.md 10c). Whatever PH finds, its plan keeps
    # every whole number, and lower <= the extensive form's optimum <= upper.
    book = load_workbook(EXAMPLE)
    sheet = book["Settings"]
    rows = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1)}
    for name, value in (("sample_scenarios", 8), ("time_limit_seconds", 90), ("ph_gap", 0.01)):
        row = rows.get(name) or sheet.max_row + 1
        sheet.cell(row, 1, name)
        sheet.cell(row, 2, value)
        rows[name] = row
    book.save(tmp_path / "contracts.xlsx")
    output = tmp_path / "plan.xlsx"
    completed = subprocess.run(
        [sys.executable, str(ROOT_FOLDER / "run.py"), str(tmp_path / "contracts.xlsx"),
         "--decompose", "--output", str(output)], capture_output=True, text=True,
        cwd=tmp_path, timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    tables = read_plan(output)
    run = dict(zip(tables["Run"]["item"], tables["Run"]["value"], strict=True))
    lower, upper = run["ph_lower_bound"], run["ph_upper_bound"]

    from model.solver.plan import solve_plan

    same = sample_if_asked(load_plan(tmp_path / "contracts.xlsx"), lambda _: None)
    solution = solve_plan(same, progress=lambda _: None).solution
    assert lower <= solution.objective * (1 + 1e-9)
    assert solution.mip_bound <= upper * (1 + 1e-9)
    # The Summary's bound is PH's, not the final MIP's (which holds only with PH's shared
    # decisions fixed).
    items = summary(tables)
    assert items["mip_bound"] == pytest.approx(lower, rel=1e-12)
    assert items["mip_gap"] == pytest.approx(run["ph_gap"], rel=1e-12)
    check_residuals(same, tables)
    # Whole cargoes: every order on a route with a cargo size is a whole number of them.
    sizes = {r.name: r.cargo_size for r in same.routes.values() if r.cargo_size}
    orders = tables["Orders"].dropna(subset=["quantity"])
    for route, quantity in zip(orders["route"], orders["quantity"], strict=True):
        if route in sizes:
            assert quantity / sizes[route] == pytest.approx(round(quantity / sizes[route]),
                                                            abs=1e-6)


@pytest.mark.skipif(HAS_MPI, reason="checks the message shown when .[mpi] is missing")
def test_without_the_mpi_extra_the_usage_error_names_the_install_command():
    with pytest.raises(UsageError, match=r'python -m pip install "\.\[mpi\]"'):
        find_mpiexec(None)


@pytest.mark.slow  # three MPI ranks for about a minute, then the extensive form
@pytest.mark.skipif(not HAS_MPI, reason=NO_MPI)
def test_progressive_hedging_brackets_the_extensive_form_and_writes_a_plan(tmp_path):
    # 20 futures of the shipped example. PH on 3 ranks stops at the asked gap (0.1%, reached
    # in about 20 s on this machine; 1e-4 takes minutes, see docs/scale.md) or at the time
    # limit; either way the written plan states bounds that must hold against the extensive
    # form's optimum.
    asked = 0.001
    book = sampled_workbook(tmp_path / "sampled.xlsx", 20, 240, asked)
    output = tmp_path / "plan.xlsx"
    completed = subprocess.run(
        [sys.executable, str(ROOT_FOLDER / "run.py"), str(book), "--decompose", "--output",
         str(output)], capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "iteration" in completed.stdout and "gap" in completed.stdout
    tables = read_plan(output)
    run = dict(zip(tables["Run"]["item"], tables["Run"]["value"], strict=True))
    lower, upper, gap = run["ph_lower_bound"], run["ph_upper_bound"], run["ph_gap"]
    assert run["mpi_ranks"] == 3 and run["ph_iterations"] >= 1

    from model.solver.plan import solve_plan

    # The extensive form of the same workbook (the same 20 futures, the same seed).
    same = sample_if_asked(load_plan(book), lambda _: None)
    optimum = solve_plan(same, progress=lambda _: None).solution.objective
    assert lower <= optimum * (1 + 1e-9)
    assert optimum <= upper * (1 + 1e-9)
    assert gap == pytest.approx((upper - lower) / upper, rel=1e-9)
    assert gap <= asked
    items = summary(tables)
    # The Lagrangian bound counts CVaR: never below the wait-and-see bound
    # WS = (1 - lambda) E[C*] + lambda CVaR[C*] = objective - EVPI (docs/model.md 10c);
    # each future's own zeta would give only E[C*], 0.17% below WS here.
    assert lower >= (upper - items["evpi"]) * (1 - 1e-9)
    assert items["objective"] == pytest.approx(upper, rel=1e-9)
    # (With 20 futures the bundles' bound is the optimum itself: then equal, to rounding.)
    assert abs(items["objective"] - optimum) <= gap * abs(items["objective"]) * (1 + 1e-9)
    # The same output contract as the extensive form's plan.
    assert items["status"] == "optimal"
    parts = ("purchase_cost", "freight_cost", "holding_cost", "shortage_penalty",
             "target_penalty", "transfer_cost", "investment_cost", "end_stock_penalty",
             "terminal_value")
    assert sum(items[p] for p in parts) == pytest.approx(items["expected_cost"], rel=1e-9)
    assert items["objective"] == pytest.approx(
        0.8 * items["expected_cost"] + 0.2 * items["cvar"], rel=1e-7)
    check_residuals(same, tables)
    for sheet in ("Summary", "Orders", "Stockpile", "Concentration", "Prices", "Scenarios",
                  "Investments", "Transfers", "Pipeline", "Run"):
        assert sheet in tables, sheet


def test_tail_weights_are_the_extensive_forms_multipliers_on_zeta():
    # lambda = 0.2, beta = 0.9: per future the objective's slope in zeta is c_zeta = 0.2
    # above its cost and 0.2 - 2 = -1.8 below, so W on zeta keeps it bounded in [-0.2, 1.8].
    costs = [(0.5, 10.0), (0.3, 20.0), (0.2, 30.0)]
    weights = tail_weights(costs, -0.2, 1.8)
    # The two cheapest carry the lowest weight; the dearest, in CVaR's tail of mass 0.1,
    # what makes sum p W = 0: 0.5 (-0.2) + 0.3 (-0.2) + 0.2 W = 0 -> W = 0.8.
    assert weights == pytest.approx([-0.2, -0.2, 0.8])
    # With them, each future's Lagrangian min over zeta of 0.8 C + 0.2 zeta
    # + 2 max(0, C - zeta) + W zeta adds up to the wait-and-see bound
    # (1 - lambda) E[C] + lambda CVaR[C] = 0.8 * 17 + 0.2 * 30 = 19.6.
    candidates = [c for _, c in costs] + [-1e3, 1e3]
    bound = sum(p * min(0.8 * c + 0.2 * z + 2.0 * max(0.0, c - z) + wt * z for z in candidates)
                for (p, c), wt in zip(costs, weights, strict=True))
    assert bound == pytest.approx(19.6)


def test_tail_weights_sum_to_zero_and_stay_in_range_whatever_the_costs():
    rng = __import__("random").Random(7)
    for _ in range(200):
        n = rng.randint(1, 12)
        p = [rng.random() + 1e-3 for _ in range(n)]
        costs = [(q / sum(p), rng.choice([1.0, 2.0, rng.random()])) for q in p]
        weights = tail_weights(costs, -0.3, 2.7)
        assert sum(q * wt for (q, _), wt in zip(costs, weights, strict=True)) == \
            pytest.approx(0.0, abs=1e-12)
        assert all(-0.3 - 1e-12 <= wt <= 2.7 + 1e-12 for wt in weights)
        # Dearer futures never carry less weight than cheaper ones.
        ranked = [wt for _, wt in sorted(zip([c for _, c in costs], weights, strict=True),
                                         reverse=True)]
        assert ranked == sorted(ranked, reverse=True)


@pytest.fixture(scope="module")
def eight_futures(tmp_path_factory):
    """8 sampled futures of the example (without its whole-number decisions), its scenario
    set, tree layout and extensive-form optimum."""
    from model.solver.plan import solve_plan

    book = sampled_workbook(tmp_path_factory.mktemp("bundles") / "plan.xlsx", 8, 60, 1e-4)
    plan = sample_if_asked(load_plan(book), lambda _: None)
    base = plan_scenarios(plan)
    optimum = solve_plan(plan, progress=lambda _: None).solution.objective
    return plan, base, tree_layout(base), optimum


def test_bundles_deal_the_futures_in_tree_order():
    class Layout:
        futures = (4, 0, 3, 1, 2, 5, 6)

    assert bundles(Layout(), 3) == [(4, 1, 6), (0, 2), (3, 5)]
    assert bundles(Layout(), 10) == [(4, 0, 3, 1, 2, 5, 6)]


@pytest.mark.slow
def test_one_bundle_of_every_future_is_the_extensive_form(eight_futures):
    plan, base, layout, optimum = eight_futures
    assert bundle_bound(plan, layout, base, size=len(layout.futures)) == \
        pytest.approx(optimum, rel=1e-9)


@pytest.mark.slow
def test_bundles_of_one_future_give_the_wait_and_see_bound(eight_futures):
    # Each future alone, its own optimum C*_w; with zeta's tail weights the bound is
    # WS = (1 - lambda) E[C*] + lambda CVaR_beta[C*] (docs/model.md 10c), computed here from
    # the futures' own extensive forms.
    from model.results.extract import cvar_of
    from model.solver.plan import solve_plan

    plan, base, layout, optimum = eight_futures
    costs = [solve_plan(plan, future_alone(plan, base, w), progress=lambda _: None)
             .solution.objective for w in layout.futures]
    p = [layout.probability[w] for w in layout.futures]
    weight, beta = plan.settings.risk_weight, plan.settings.cvar_level
    ws = (1 - weight) * sum(q * c for q, c in zip(p, costs, strict=True)) + \
        weight * cvar_of(costs, p, beta)
    assert bundle_bound(plan, layout, base, size=1) == pytest.approx(ws, rel=1e-9)
    # Bundles in between lie between the two: more futures solved together, less relaxed.
    middle = bundle_bound(plan, layout, base, size=3)
    assert ws * (1 - 1e-9) <= middle <= optimum * (1 + 1e-9)
