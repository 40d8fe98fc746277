"""Sampled futures (Events sheet) and the plan played out of sample: the draws follow their
distributions, the same seed gives the same futures, an evaluation of a hand-computable plan
lands in its own interval, replaying the plan's own futures reproduces its expected cost, and
serial, process-pool and Dask runs agree."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from helpers import one_commodity, read_plan, settings, summary, write_workbook

from model.analyses import parallel
from model.analyses.evaluate import evaluate, interval
from model.analyses.parallel import Where
from model.domain.data import EventKind
from model.domain.sampling import PLAN, draw_future, sampled_plan
from model.inputs import load_plan
from model.pipeline import RunOptions, run, sample_if_asked, solve_plan

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "inputs" / "critical_supply_example.xlsx"


def test_the_same_seed_gives_the_same_futures_whatever_their_number():
    plan = load_plan(EXAMPLE)
    few = sampled_plan(plan, 10, seed=7)
    many = sampled_plan(plan, 50, seed=7)
    other = sampled_plan(plan, 10, seed=8)
    first_ten = [d for d in many.disruptions if int(d.scenario.split()[-1]) <= 10]
    assert [dataclasses.astuple(d) for d in few.disruptions] == \
        [dataclasses.astuple(d) for d in first_ten]
    assert [dataclasses.astuple(d) for d in few.disruptions] != \
        [dataclasses.astuple(d) for d in other.disruptions]
    assert all(s.probability == pytest.approx(0.1) for s in few.scenarios.values())


CHI2_999 = {3: 16.27, 11: 31.26}  # 99.9% quantiles of the chi-square distribution


@pytest.mark.slow
def test_event_starts_and_durations_follow_their_distributions():
    # One event, 40% a year, 2 to 5 months, over three plan years of months. 20,000 futures:
    # starts per plan year ~ Binomial(20000, 0.4) (4 sd = 277); months of a start uniform
    # over the year, durations uniform over 2..5 (chi-square, 99.9%).
    event = EventKind("cut", "supplier", "s", 0.4, 2, 5)
    starts, months, durations = np.zeros(3), np.zeros(12), np.zeros(4)
    for i in range(20_000):
        for o in draw_future((event,), 36, 12, seed=3, stream=0, index=i):
            starts[(o.start - 1) // 12] += 1
            months[(o.start - 1) % 12] += 1
            if o.start <= 36 - 5 + 1:  # long enough before the end never to be cut
                durations[o.end - o.start + 1 - 2] += 1
    assert np.all(np.abs(starts - 8_000) < 4 * np.sqrt(20_000 * 0.4 * 0.6)), starts
    for counts, df in ((months, 11), (durations, 3)):
        expected = counts.sum() / len(counts)
        assert ((counts - expected) ** 2 / expected).sum() < CHI2_999[df], counts


@pytest.mark.slow
def test_a_shorter_last_plan_year_has_a_proportionally_smaller_chance():
    # 18 months: years of 12 and 6 months; 50% a year gives 25% in the half year.
    event = EventKind("cut", "supplier", "s", 0.5, 1, 1)
    late = sum(1 for i in range(20_000)
               for o in draw_future((event,), 18, 12, seed=1, stream=0, index=i)
               if o.start > 12)
    assert abs(late - 5_000) < 4 * np.sqrt(20_000 * 0.25 * 0.75)


def _cut_sheets(futures: int) -> dict:
    # A year of months, demand 10 a month, no storage. Cheap supplier (1, capacity 10) and a
    # dear one (5). One event: the cheap one is cut for one month, 50% a year.
    sheets = one_commodity(12, 10, [["cheap", 10, 1], ["dear", 100, 5]])
    sheets["Settings"] = settings(12, sample_scenarios=futures, sample_seed=11)
    sheets["Events"] = [["event", "target_type", "target", "probability_per_year",
                         "min_duration", "max_duration"],
                        ["cut", "supplier", "cheap", 0.5, 1, 1]]
    return sheets


@pytest.mark.slow
def test_out_of_sample_cost_of_a_hand_computable_plan_lies_in_its_interval(tmp_path):
    # Nothing can be stored, so no plan can hedge: a future costs 12 * 10 = 120, plus
    # 10 * (5 - 1) = 40 in the month the cut happens (if it does, with chance 0.5).
    # Expected cost 120 + 0.5 * 40 = 140; one future's sd = 20.
    source = write_workbook(tmp_path / "cut.xlsx", _cut_sheets(20))
    outcome = run(source, tmp_path / "plan.xlsx", progress=lambda _: None,
                  options=RunOptions(evaluate=400, workers=1, insight_seconds=0))
    evaluation = outcome.result.evaluation
    assert sorted(set(evaluation.costs)) == pytest.approx([120, 160])
    mean, sd, low, high = evaluation.cost_interval
    assert low <= 140 <= high
    assert sd == pytest.approx(20, rel=0.1)
    sheet = read_plan(outcome.output_path)["Evaluation"]
    assert len(sheet.dropna(how="all")) > 0


@pytest.mark.slow  # a whole planner run of a few seconds; CI runs it
def test_playing_the_plans_own_futures_reproduces_its_expected_cost():
    # The plan is a policy: replayed in the very futures it was made for, each future follows
    # it all the way, so the mean cost equals the in-sample expected cost.
    plan = sample_if_asked(dataclasses.replace(
        load_plan(EXAMPLE), settings=dataclasses.replace(
            load_plan(EXAMPLE).settings, sample_scenarios=20, sample_seed=5)), lambda _: None)
    solved = solve_plan(plan, progress=lambda _: None)
    evaluation = evaluate(plan, solved, 20, where=Where(1), stream=PLAN)
    assert all(f.followed_periods == plan.settings.periods for f in evaluation.futures)
    assert np.mean(evaluation.costs) == pytest.approx(evaluation.in_sample_expected_cost,
                                                      rel=1e-9)


@pytest.mark.slow
def test_serial_process_pool_and_dask_give_the_same_numbers(tmp_path):
    distributed = pytest.importorskip("distributed")
    plan = load_plan(write_workbook(tmp_path / "cut.xlsx", _cut_sheets(10)))
    plan = sample_if_asked(plan, lambda _: None)
    solved = solve_plan(plan, progress=lambda _: None)
    serial = evaluate(plan, solved, 30, where=Where(1))
    pooled = evaluate(plan, solved, 30, where=Where(2))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        dasked = evaluate(plan, solved, 30, where=Where(scheduler=client))
        # Released on the Dask worker (in this process: processes=False) and here.
        assert client.run(lambda: len(parallel._STATES)) == {
            address: 0 for address in client.scheduler_info()["workers"]}
    assert parallel._STATES == {}
    for other in (pooled, dasked):
        assert [f.cost for f in other.futures] == pytest.approx([f.cost for f in
                                                                 serial.futures], rel=1e-12)
        assert [f.events for f in other.futures] == [f.events for f in serial.futures]


def test_interval_of_a_small_sample_uses_students_t():
    mean, sd, low, high = interval([1.0, 2.0, 3.0])
    # mean 2, sd 1, t(2) = 4.303: 2 +- 4.303 / sqrt(3)
    assert (mean, sd) == (2.0, 1.0)
    assert high - mean == pytest.approx(4.303 / np.sqrt(3))


@pytest.mark.slow
def test_a_sampled_plan_reports_its_tree_and_keeps_base_limits_until_the_first_event(tmp_path):
    # Limits that name a scenario bind, in sampled futures, until the future's first event.
    sheets = _cut_sheets(8)
    sheets["Concentration"] = [["limit", "commodity", "attribute", "value", "max_share",
                                "scenarios"], ["cheap half", "k", "supplier", "cheap", 0.5,
                                               "base"]]
    source = write_workbook(tmp_path / "limit.xlsx", sheets)
    outcome = run(source, tmp_path / "plan.xlsx", progress=lambda _: None,
                  options=RunOptions(workers=1, insight_seconds=0))
    tables = read_plan(outcome.output_path)
    orders = tables["Orders"]
    plan = outcome.plan
    assert list(plan.scenarios) == [f"future {i}" for i in range(1, 9)]
    assert any(d.scenario == name for name in plan.scenarios for d in plan.disruptions)
    for name in plan.scenarios:
        cut = [d for d in plan.disruptions if d.scenario == name]
        first = min((d.start for d in cut), default=13)
        mine = orders[orders.scenario == name]
        for t in range(1, 13):
            label = f"2027-{t:02d}"
            cheap = mine[(mine.period == label) & (mine.supplier == "cheap")].quantity.sum()
            if t < first:   # undisrupted so far: the limit holds, 5 of 10 from cheap
                assert cheap == pytest.approx(5), (name, label)
            elif t > first:  # after the event: waived, all 10 from cheap
                assert cheap == pytest.approx(10), (name, label)
    assert summary(tables)["status"] == "optimal"


@pytest.mark.slow
def test_run_plans_for_the_sampled_futures_and_says_so(tmp_path):
    # With sample_scenarios 20 the plan is made for 20 futures of probability 1/20. Nothing can
    # be stored, so each future costs 120, plus 40 if the cheap supplier is cut in it:
    # objective = 120 + 40 * (futures with a cut) / 20. The Summary counts the tree's nodes.
    source = write_workbook(tmp_path / "cut.xlsx", _cut_sheets(20))
    said: list[str] = []
    outcome = run(source, tmp_path / "plan.xlsx", progress=said.append,
                  options=RunOptions(workers=1, insight_seconds=0))
    plan = outcome.plan
    assert len(plan.scenarios) == 20
    assert all(s.probability == pytest.approx(1 / 20) for s in plan.scenarios.values())
    cut = {d.scenario for d in plan.disruptions}
    assert 0 < len(cut) < 20
    assert outcome.result.objective == pytest.approx(120 + 40 * len(cut) / 20)
    assert any(line.startswith("sampled 20 futures from 1 kind of event (seed 11)")
               for line in said)
    run_sheet = read_plan(outcome.output_path)["Run"]
    facts = dict(zip(run_sheet["item"], run_sheet["value"], strict=True))
    assert facts["scenarios"] == facts["sample_scenarios"] == 20
    assert facts["sample_seed"] == 11
    assert facts["scenario_tree_nodes"] == outcome.result.tree_nodes > 12


@pytest.mark.parametrize(("events", "argv", "expected"), [
    (False, ["--evaluate", "10"],
     'Events: the sheet has no event, and --evaluate and --replications play the plan in '
     'futures drawn from it; add Events rows (a kind of disruption, its chance per year and its '
     'duration).'),
    (True, ["--evaluate", "10", "--replications", "2"],
     'Settings, column "sample_scenarios": found 0; expected a number of futures > 0: '
     '--replications re-solves a plan made for sampled futures on fresh samples of the same '
     'size'),
])
def test_evaluation_that_would_measure_nothing_is_refused_before_solving(tmp_path, capsys,
                                                                         events, argv,
                                                                         expected):
    import run as cli

    sheets = _cut_sheets(0)
    if not events:
        del sheets["Events"]
    source = write_workbook(tmp_path / "plan.xlsx", sheets)
    assert cli.main([str(source), "-o", str(tmp_path / "out.xlsx"), *argv]) == 2
    err = capsys.readouterr().err
    assert expected in err, err
    assert not (tmp_path / "out.xlsx").exists()


@pytest.mark.slow
def test_many_futures_are_counted_as_they_come_without_keeping_them(tmp_path, monkeypatch):
    """The statistics of M futures are built as each one comes in: only the first few are kept
    whole (KEEP_FUTURES, lowered here to 25), yet the figures count all M, and equal those
    computed from every future kept. Progress lines come at every tenth."""
    import model.analyses.evaluate as evaluate_module

    plan = load_plan(write_workbook(tmp_path / "cut.xlsx", _cut_sheets(10)))
    plan = sample_if_asked(plan, lambda _: None)
    solved = solve_plan(plan, progress=lambda _: None)
    everything = evaluate(plan, solved, 200, where=Where(1))
    monkeypatch.setattr(evaluate_module, "KEEP_FUTURES", 25)
    lines: list[str] = []
    streamed = evaluate(plan, solved, 200, where=Where(1), progress=lines.append)
    assert [f.index for f in streamed.futures] == list(range(25))
    assert streamed.count == 200 and len(streamed.costs) == 200
    assert streamed.cost_interval == pytest.approx(everything.cost_interval, rel=1e-12)
    assert streamed.objective_estimate == pytest.approx(everything.objective_estimate)
    # Each future costs 120, or 160 when the cheap supplier is cut (see above); the chance of
    # a cut is what the figures say, computed here from the costs themselves.
    cut = float(np.mean(np.asarray(everything.costs) > 130))
    (k, chance, _, _), = streamed.shortfall()
    assert chance == 0.0  # the dear supplier always covers the cut: never short
    assert 0.2 < cut < 0.8
    assert lines[-1] == "  200 of 200 futures done"
    assert len([line for line in lines if "futures done" in line]) == 10


def test_cvar_by_sorting_equals_the_minimum_over_thresholds():
    """CVaR_0.75 of the equally likely costs 1, 2, 3, 10: the worst quarter is the 10, so 10;
    CVaR_0.5 is the mean of 3 and 10 = 6.5; at beta 0.6 the tail of 0.4 is 10 (0.25) and
    0.15 of 3: (2.5 + 0.45) / 0.4 = 7.375."""
    from model.results.extract import cvar_of

    p = [0.25] * 4
    assert cvar_of([3, 1, 10, 2], p, 0.75) == pytest.approx(10.0)
    assert cvar_of([3, 1, 10, 2], p, 0.5) == pytest.approx(6.5)
    assert cvar_of([3, 1, 10, 2], p, 0.6) == pytest.approx(7.375)
    assert cvar_of([3, 1, 10, 2], p, 0.0) == pytest.approx(4.0)
