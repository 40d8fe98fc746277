"""The plain reference LP (tests/reference_lp.py) against hand-computed cases.

Each case is a PlanData built directly in Python (no workbook), small enough to solve by hand;
the hand calculation sits in the comments. Unless a case says otherwise: one commodity `k`
(shortage penalty 100) in region `A`, monthly periods, no discounting, lead time 0, no storage
(a (commodity, region) without a Stockpiles row holds nothing), one scenario `base`.
"""

from __future__ import annotations

import math

import pytest
from reference_lp import (
    reference_expected_cost_parts,
    reference_objective,
    reference_values,
)

from model.domain.data import (
    Commodity,
    Disruption,
    Limit,
    PipelineArrival,
    PlanData,
    Project,
    Route,
    Scenario,
    Settings,
    Stockpile,
    Supplier,
    Transfer,
)
from model.domain.periods import PERIODS_PER_YEAR, Calendar


def sup(name: str, N: int, capacity, cost, *, commodity: str = "k", origin: str | None = None,
        processing: str | None = None, min_take: float = 0.0) -> Supplier:
    caps = tuple(capacity) if isinstance(capacity, list | tuple) else (float(capacity),) * N
    costs = tuple(cost) if isinstance(cost, list | tuple) else (float(cost),) * N
    origin = origin or name
    return Supplier(name, commodity, origin, processing or origin, caps, costs,
                    min_take=min_take, available_from=1, available_to=N)


def route(name: str, supplier: str, *, region: str = "A", lead: int = 0, freight: float = 0.0,
          capacity: float | None = None, chokepoints: tuple[str, ...] = ()) -> Route:
    return Route(name, supplier, region, lead_periods=lead, freight_cost=freight,
                 capacity=capacity, chokepoints=chokepoints)


def make(N: int, suppliers: list[Supplier], routes: list[Route], demand, *,
         length: str = "month", commodities: dict[str, Commodity] | None = None,
         regions: tuple[str, ...] = ("A",), stockpiles: list[Stockpile] = (),
         scenarios: dict[str, float] | None = None, disruptions: list[Disruption] = (),
         limits: list[Limit] = (), transfers: list[Transfer] = (),
         projects: list[Project] = (), pipeline: list[PipelineArrival] = (),
         groups: dict[str, tuple[str, ...]] | None = None, discount: float = 0.0,
         risk_weight: float = 0.0, cvar_level: float = 0.95, start_index: int = 0) -> PlanData:
    ppy = PERIODS_PER_YEAR[length]
    settings = Settings(Calendar(length, 2027 * ppy + start_index, N), discount_rate=discount,
                        risk_weight=risk_weight, cvar_level=cvar_level)
    if not isinstance(demand, dict):
        demand = {("k", "A"): demand}
    demand = {key: tuple(float(d) for d in (v if isinstance(v, list | tuple) else [v] * N))
              for key, v in demand.items()}
    scenarios = scenarios or {"base": 1.0}
    return PlanData(
        settings=settings,
        commodities=commodities or {"k": Commodity("k", "t", 100.0)},
        regions=regions,
        demand=demand,
        stockpiles={(s.commodity, s.region): s for s in stockpiles},
        suppliers={s.name: s for s in suppliers},
        routes={r.name: r for r in routes},
        groups=groups or {},
        limits={lim.name: lim for lim in limits},
        scenarios={w: Scenario(w, p) for w, p in scenarios.items()},
        disruptions=tuple(disruptions),
        transfers=tuple(transfers),
        projects={p.name: p for p in projects},
        pipeline=tuple(pipeline),
    )


def objective(plan: PlanData) -> float:
    status, value = reference_objective(plan)
    assert status == "optimal", status
    return value


# ----------------------------------------------------------------------------------------------
def test_production_smoothing_reference_case():
    # model.md's reference case. Demand 40, 60, 75, 25; S1 40 a period at 400, S2 unlimited at
    # 450; holding 20; initial stock 10. Cheap units: 40, 40, 40 and 25 in period 4 (145);
    # the rest 200 - 10 - 145 = 45 at 450 just in time; the initial 10 sit through period 1
    # (10 * 20). 145*400 + 45*450 + 200 = 58000 + 20250 + 200 = 78450.
    N = 4
    plan = make(N, [sup("S1", N, 40, 400), sup("S2", N, 1e9, 450)],
                [route("R1", "S1"), route("R2", "S2")], [40, 60, 75, 25],
                commodities={"k": Commodity("k", "t", 10_000.0)},
                stockpiles=[Stockpile("k", "A", initial_stock=10, capacity=None,
                                      holding_cost=20)])
    assert objective(plan) == pytest.approx(78_450)


# ----------------------------------------------------------------------------------------------
def _pipeline_plan(closure: float | None, limit: bool = False) -> PlanData:
    # N = 2, route R (supplier S at 5) with lead 1: an order of period t arrives in t + 1.
    # Pipeline on R: 10 in period 1, 3 + 1 (two rows) in period 2. Demand 10 a period.
    N = 2
    suppliers = [sup("S", N, 100, 5)]
    routes = [route("R", "S", lead=1)]
    if limit:
        suppliers.append(sup("S2", N, 100, 7))
        routes.append(route("R2", "S2", lead=1))
    disruptions = [] if closure is None else [
        Disruption("base", "route", "R", 2, 2, capacity_factor=closure)]
    limits = [Limit("cap S", "k", "*", "supplier", "S", 0.5, basis="horizon")] if limit else []
    return make(N, suppliers, routes, 10, disruptions=disruptions, limits=limits,
                pipeline=[PipelineArrival("R", 1, 10.0), PipelineArrival("R", 2, 3.0),
                          PipelineArrival("R", 2, 1.0)])


def test_pipeline_arrival():
    # Period 1: the pipeline's 10 (no order can arrive in period 1). Period 2: 3 + 1 = 4 from
    # the pipeline, 6 ordered in period 1 at 5: 30. Sunk pipeline costs nothing.
    assert objective(_pipeline_plan(None)) == pytest.approx(30)


def test_pipeline_is_no_part_of_concentration_shares():
    # As above, with S2 (lead 1, at 7) and "S at most 50% over the horizon". Only orders count:
    # xS + xS2 = 6 in period 1 and xS <= 0.5 (xS + xS2): 3 * 5 + 3 * 7 = 36. (Counting the
    # 14 pipeline units as S's would leave no feasible split without shortage.)
    assert objective(_pipeline_plan(None, limit=True)) == pytest.approx(36)


def test_pipeline_held_back_by_a_route_closure_in_its_arrival_period():
    # R closed (b = 0) in period 2: the 4 pipeline units of period 2 do not arrive. The order
    # of period 1 (R open then) arrives in period 2: 10 * 5 = 50.
    assert objective(_pipeline_plan(0.0)) == pytest.approx(50)
    # Half open: 2 of the 4 arrive; 8 ordered: 40.
    assert objective(_pipeline_plan(0.5)) == pytest.approx(40)


# ----------------------------------------------------------------------------------------------
def test_no_order_arrives_after_the_horizon():
    # N = 2, demand 10 then 2, no storage. A at 1 (lead 0), B at 3 (lead 1), "B at least 50%
    # over the horizon". Orders that arrive within the horizon: xA1, xA2, xB1 (xB2 would arrive
    # in period 3: forbidden). Share: xB1 >= xA1 + xA2. Period 2 takes at most 2 (no storage),
    # so xB1 <= 2, xA1 <= 2: xA1 = 2, xB1 = 2, 8 short in period 1:
    # 2*1 + 2*3 + 8*100 = 808. (Were xB2 allowed: xA1 = 10, xB1 = 2, xB2 = 8 gives 40.)
    N = 2
    plan = make(N, [sup("A", N, 100, 1), sup("B", N, 100, 3)],
                [route("RA", "A"), route("RB", "B", lead=1)], [10, 2],
                limits=[Limit("floor", "k", "*", "supplier", "B", None, min_share=0.5,
                              basis="horizon")])
    assert objective(plan) == pytest.approx(808)


# ----------------------------------------------------------------------------------------------
def _end_stock_plan(penalty: float) -> PlanData:
    # Yearly, N = 2, discount 25%: d1 = 1, d2 = 0.8. No demand; end_stock 10; S sells 6 a
    # period at 30, then 50; holding 5.
    N = 2
    return make(N, [sup("S", N, 6, [30, 50])], [route("R", "S")], 0, length="year",
                discount=0.25, commodities={"k": Commodity("k", "t", penalty)},
                stockpiles=[Stockpile("k", "A", capacity=None, holding_cost=5, end_stock=10)])


def test_end_stock_bought_against_its_penalty():
    # A unit bought in period 1 costs 30 + 5 (held end of 1) + 0.8*5 (end of 2) = 39; in period
    # 2: 0.8*50 + 0.8*5 = 44; a unit short of end_stock costs d2 * 100 = 80. So 6 at 39 and
    # 4 at 44: 234 + 176 = 410.
    assert objective(_end_stock_plan(100)) == pytest.approx(410)
    # With a penalty of 40 a unit short costs 0.8 * 40 = 32 < 39: buy nothing, 10 * 32 = 320.
    plan = _end_stock_plan(40)
    assert objective(plan) == pytest.approx(320)
    parts = reference_expected_cost_parts(plan)
    assert parts["end_stock_penalty"] == pytest.approx(320)
    assert parts["purchase_cost"] == pytest.approx(0, abs=1e-9)


def test_terminal_value_credit():
    # Yearly, N = 2, discount 25% (d2 = 0.8); no demand; terminal value 20, so a unit held at
    # the end earns 0.8 * 20 = 16. S1 sells 5 a period at 15, S2 10 a period at 25; no holding.
    # S1 in period 1: 15 - 16 = -1 a unit; in period 2: 0.8*15 - 16 = -4; S2: 25 - 16 > 0 and
    # 0.8*25 - 16 = 4 > 0: never. Objective 5*(-1) + 5*(-4) = -25, of which purchases
    # 75 + 60 = 135 and the terminal credit -16 * 10 = -160.
    N = 2
    plan = make(N, [sup("S1", N, 5, 15), sup("S2", N, 10, 25)],
                [route("R1", "S1"), route("R2", "S2")], 0, length="year", discount=0.25,
                stockpiles=[Stockpile("k", "A", capacity=None, terminal_value=20)])
    assert objective(plan) == pytest.approx(-25)
    parts = reference_expected_cost_parts(plan)
    assert parts["purchase_cost"] == pytest.approx(135)
    assert parts["terminal_value"] == pytest.approx(-160)
    assert parts["expected_cost"] == pytest.approx(-25)
    assert sum(parts[p] for p in ("purchase_cost", "freight_cost", "holding_cost",
                                  "shortage_penalty", "target_penalty", "transfer_cost",
                                  "investment_cost", "end_stock_penalty", "terminal_value")
               ) == pytest.approx(parts["expected_cost"])


# ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("basis", "rolling", "expected"), [
    # Quarterly (ppy = 4), N = 6, starting in 2027-Q3 (years are counted from plan period 1,
    # not by calendar year), demand 10 a quarter, no storage. A at 1 sells 0, 10, 10, 10, 0, 0;
    # B at 2 unlimited. "A at most 50% of supply". Cost = sum A + 2 * (60 - sum A).
    # period: A2, A3, A4 <= 5: 15 -> 15 + 90 = 105.
    ("period", None, 105),
    # year: windows {1..4} (A <= 20, sells 30) and {5, 6} (sells 0): 20 -> 20 + 80 = 100.
    # (Calendar years {1,2} {3..6} would give 10 + 20 = 30 -> 90.)
    ("year", None, 100),
    # rolling 2: windows {1,2} {2,3} {3,4} {4,5} {5,6}, each A <= 10: A2 + A3 <= 10,
    # A3 + A4 <= 10, so A2 + A3 + A4 <= 20 - A3: 20 -> 100.
    ("rolling", 2, 100),
    # rolling 3: windows {1,2,3} {2,3,4} {3,4,5} {4,5,6}, each A <= 15: A2 + A3 + A4 <= 15
    # -> 105. (Disjoint blocks {1,2,3} {4,5,6} would allow 15 + 10 = 25 -> 95.)
    ("rolling", 3, 105),
    # rolling n >= N is the horizon: A <= 30, sells 30 -> 90.
    ("rolling", 6, 90),
    ("rolling", 8, 90),
    ("horizon", None, 90),
])
def test_windows_of_a_limit(basis, rolling, expected):
    N = 6
    plan = make(N, [sup("A", N, [0, 10, 10, 10, 0, 0], 1), sup("B", N, 1000, 2)],
                [route("RA", "A"), route("RB", "B")], 10, length="quarter", start_index=2,
                limits=[Limit("A cap", "k", "*", "supplier", "A", 0.5, basis=basis,
                              rolling_periods=rolling)])
    assert objective(plan) == pytest.approx(expected)


# ----------------------------------------------------------------------------------------------
def _share_plan(*limits: Limit) -> PlanData:
    # One period, demand 10. A (China) at 1, B (Australia) at 3, C (USA) at 2, each 10.
    # Groups: Australia in Partners and Quad, USA in Partners.
    N = 1
    return make(N, [sup("A", N, 10, 1, origin="China"), sup("B", N, 10, 3, origin="Australia"),
                    sup("C", N, 10, 2, origin="USA")],
                [route("RA", "A"), route("RB", "B"), route("RC", "C")], 10, limits=list(limits),
                groups={"Australia": ("Partners", "Quad"), "USA": ("Partners",)})


def test_min_share_floor():
    # No limit: all from A, 10.
    assert objective(_share_plan()) == pytest.approx(10)
    # Partners >= 40%: 4 from C (cheapest partner): 6*1 + 4*2 = 14.
    partners = Limit("partners", "k", "*", "origin_group", "Partners", None, min_share=0.4)
    assert objective(_share_plan(partners)) == pytest.approx(14)
    # And Quad (Australia only, though Australia is also a Partner) >= 10%: B = 1, C = 3:
    # 6 + 3 + 6 = 15.
    quad = Limit("quad", "k", "*", "origin_group", "Quad", None, min_share=0.1)
    assert objective(_share_plan(partners, quad)) == pytest.approx(15)


def test_one_limit_with_both_bounds_gives_two_rows():
    # A (cheap) within [20%, 70%]: the max binds, A = 7, C = 3: 7 + 6 = 13.
    a = Limit("A band", "k", "*", "supplier", "A", 0.7, min_share=0.2)
    assert objective(_share_plan(a)) == pytest.approx(13)
    # C within [50%, 90%]: the min binds, C = 5, A = 5: 5 + 10 = 15.
    c = Limit("C band", "k", "*", "supplier", "C", 0.9, min_share=0.5)
    assert objective(_share_plan(c)) == pytest.approx(15)
    # Each origin country at most 50% (`*` expansion): A = 5, C = 5: 15.
    each = Limit("each", "*", "*", "origin_country", "*", 0.5)
    assert objective(_share_plan(each)) == pytest.approx(15)


# ----------------------------------------------------------------------------------------------
def _filter_plan(filtered: bool) -> PlanData:
    # Two commodities (penalty 100 each), demand 10 each in A, one period. S1 sells k1, S2
    # sells k2, both 10 at 1, both from country X (S1 also processed in X). R1 (S1, capacity 6)
    # and R2 (S2, capacity 10, freight 2) both pass the chokepoint H. Disruptions in period 1:
    #  - origin_country X, capacity 0.4 (commodity k1 when filtered),
    #  - chokepoint H, capacity 0.5, cost x3 (commodity k2 when filtered),
    #  - supplier S2, cost x2 (capacity blank: already resolved to 1).
    N = 1
    coms = {"k1": Commodity("k1", "t", 100.0), "k2": Commodity("k2", "t", 100.0)}
    return make(
        N, [sup("S1", N, 10, 1, commodity="k1", origin="X", processing="X"),
            sup("S2", N, 10, 1, commodity="k2", origin="X", processing="Y")],
        [route("R1", "S1", capacity=6, chokepoints=("H",)),
         route("R2", "S2", capacity=10, freight=2, chokepoints=("H",))],
        {("k1", "A"): 10, ("k2", "A"): 10}, commodities=coms,
        disruptions=[
            Disruption("base", "origin_country", "X", 1, 1, capacity_factor=0.4,
                       commodity="k1" if filtered else None),
            Disruption("base", "chokepoint", "H", 1, 1, capacity_factor=0.5, cost_factor=3,
                       commodity="k2" if filtered else None),
            Disruption("base", "supplier", "S2", 1, 1, capacity_factor=1.0, cost_factor=2),
        ])


def test_disruption_with_a_commodity_filter():
    # Filtered: S1 sells 10 * 0.4 = 4 (hit once by the X row, though origin and processing
    # are both X); R1 keeps its 6: k1 = 4*1 + 6*100 = 604. S2 is untouched by the X row; R2
    # carries 10 * 0.5 = 5 at unit 1*2 + freight 2*3 = 8: k2 = 5*8 + 5*100 = 540. Total 1144.
    assert objective(_filter_plan(True)) == pytest.approx(1144)
    # Unfiltered: R1 carries 6 * 0.5 = 3 (its freight 0 x3 is still 0): k1 = 3 + 700 = 703;
    # S2 sells 10 * 0.4 = 4 < R2's 5: k2 = 4*8 + 6*100 = 632. Total 1335.
    assert objective(_filter_plan(False)) == pytest.approx(1335)


# ----------------------------------------------------------------------------------------------
def _take_or_pay_plan(supplier_factor: float | None) -> PlanData:
    # N = 2, no demand, unlimited free storage. S at 10 sells 20 with min_take 8, on R1 (via
    # Suez, lead 0), R2 (via Bab, lead 0) and R3 (lead 1). In period 2 Suez is shut (b = 0) and
    # Bab half open (b = 0.5). S2 at 1, min_take 5, has only a lead-1 route.
    N = 2
    disruptions = [Disruption("base", "chokepoint", "Suez", 2, 2, capacity_factor=0.0),
                   Disruption("base", "chokepoint", "Bab", 2, 2, capacity_factor=0.5)]
    if supplier_factor is not None:
        disruptions.append(Disruption("base", "origin_country", "S", 2, 2,
                                      capacity_factor=supplier_factor))
    return make(N, [sup("S", N, 20, 10, min_take=8), sup("S2", N, 20, 1, min_take=5)],
                [route("R1", "S", chokepoints=("Suez",)), route("R2", "S", chokepoints=("Bab",)),
                 route("R3", "S", lead=1), route("R4", "S2", lead=1)], 0,
                stockpiles=[Stockpile("k", "A", capacity=None)], disruptions=disruptions)


def test_take_or_pay_under_a_route_closure():
    # S, period 1: all routes open, obligation 8. Period 2: R3 cannot deliver within the
    # horizon, so the most open deliverable route is R2 (0.5): obligation 8 * 0.5 = 4.
    # S2: 5 in period 1; period 2 no route can deliver -> no obligation.
    # (8 + 4) * 10 + 5 * 1 = 125.
    assert objective(_take_or_pay_plan(None)) == pytest.approx(125)
    # S's own capacity halved in period 2 as well: 8 * 0.5 * 0.5 = 2: (8 + 2)*10 + 5 = 105.
    assert objective(_take_or_pay_plan(0.5)) == pytest.approx(105)


# ----------------------------------------------------------------------------------------------
def _stockpile_plan(p_crisis: float, **settings) -> PlanData:
    # model.md's unseen-crisis case. N = 2, demand 10 a period, S sells 100 at 10, holding 5,
    # unlimited storage; in `crisis` S is halted in period 2. Period 1 is the same in both
    # scenarios, so its order is one decision: x1 = 10 + s (s carried into period 2).
    #   Cost_base   = 10(10 + s) + 5s + 10(10 - s) = 200 + 5s
    #   Cost_crisis = 10(10 + s) + 5s + 100(10 - s) = 1100 - 85s
    N = 2
    return make(N, [sup("S", N, 100, 10)], [route("R", "S")], 10,
                stockpiles=[Stockpile("k", "A", capacity=None, holding_cost=5)],
                scenarios={"base": 1 - p_crisis, "crisis": p_crisis},
                disruptions=[Disruption("crisis", "supplier", "S", 2, 2, capacity_factor=0.0)],
                **settings)


def test_evpi_and_vss_of_a_stockpile():
    # p = 0.3: E = 0.7(200 + 5s) + 0.3(1100 - 85s) = 470 - 22s -> s = 10: RP = 250.
    # WS: base s = 0 (200), crisis s = 10 (250): 0.7*200 + 0.3*250 = 215. EVPI = 35.
    # EV: S sells 100 * (0.7*1 + 0.3*0) = 70 in period 2, enough: s = 0 (holding 5): EV = 200.
    # EEV: s = 0 fixed: 0.7*200 + 0.3*1100 = 470. VSS = 470 - 250 = 220.
    values = reference_values(_stockpile_plan(0.3))
    assert values["rp"] == pytest.approx(250)
    assert values["ws"] == pytest.approx(215)
    assert values["evpi"] == pytest.approx(35)
    assert values["ev"] == pytest.approx(200)
    assert values["eev"] == pytest.approx(470)
    assert values["vss"] == pytest.approx(220)


def test_stockpile_pays_only_when_p_times_penalty_exceeds_holding():
    # p = 0.04: p * 100 = 4 < 5. E = 0.96(200 + 5s) + 0.04(1100 - 85s) = 236 + 1.4s -> s = 0:
    # RP = 236. WS = 0.96*200 + 0.04*250 = 202: EVPI = 34. EV plan is also s = 0: EEV = RP,
    # VSS = 0.
    values = reference_values(_stockpile_plan(0.04))
    assert values["rp"] == pytest.approx(236)
    assert values["ws"] == pytest.approx(202)
    assert values["evpi"] == pytest.approx(34)
    assert values["eev"] == pytest.approx(236)
    assert values["vss"] == pytest.approx(0, abs=1e-7)
    # Expected cost 236; CVaR at 90%: the worst 10% of mass is crisis (0.04, 1100) and 0.06 of
    # base (200): (44 + 12) / 0.1 = 560.
    parts = reference_expected_cost_parts(_stockpile_plan(0.04, cvar_level=0.9))
    assert parts["expected_cost"] == pytest.approx(236)
    assert parts["cvar"] == pytest.approx(560)


@pytest.mark.parametrize(("lam", "expected"), [
    # CVaR_0.9(s) = (0.04(1100 - 85s) + 0.06(200 + 5s)) / 0.1 = 560 - 31s (crisis is the worse
    # while s <= 10). Objective (1 - lam)(236 + 1.4s) + lam(560 - 31s), slope 1.4 - 32.4 lam.
    # lam = 0.02: slope > 0, s = 0: 0.98*236 + 0.02*560 = 242.48.
    (0.02, 242.48),
    # lam = 0.5: slope < 0, s = 10: 0.5*250 + 0.5*250 = 250.
    (0.5, 250.0),
])
def test_risk_weight_makes_the_stockpile_pay(lam, expected):
    assert objective(_stockpile_plan(0.04, risk_weight=lam, cvar_level=0.9)) == \
        pytest.approx(expected)


# ----------------------------------------------------------------------------------------------
def test_eev_is_infinite_when_the_ev_root_plan_cannot_be_completed():
    # N = 2, demand 10 a period; S sells 100 at 1 then 5, min_take 10; storage 10, free.
    # Scenario `low` (0.5): demand x0 in period 2; `high` (0.5): demand x3 in period 2.
    # RP: in `low`, period 2 must take 10 with no demand, so I1 + 10 <= 10: I1 = 0 (and so in
    # `high`, same period-1 decisions): low = 10 + 50 = 60, high = 10 + 30*5 = 160: RP = 110.
    # WS: low 60; high stocks 10 at 1: 20*1 + 20*5 = 120: WS = 90, EVPI = 20.
    # EV: period-2 demand 10 * 1.5 = 15, period 2 takes >= 10: buy 5 ahead at 1: 15 + 50 = 65.
    # EEV: x1 = 15, I1 = 5 fixed; `low` must then hold 5 + 10 = 15 > 10: infeasible.
    N = 2
    plan = make(N, [sup("S", N, 100, [1, 5], min_take=10)], [route("R", "S")], 10,
                stockpiles=[Stockpile("k", "A", capacity=10)],
                scenarios={"low": 0.5, "high": 0.5},
                disruptions=[
                    Disruption("low", "demand", "k", 2, 2, capacity_factor=1.0,
                               demand_factor=0.0),
                    Disruption("high", "demand", "k@A", 2, 2, capacity_factor=1.0,
                               demand_factor=3.0)],
                cvar_level=0.5)
    values = reference_values(plan)
    assert values["rp"] == pytest.approx(110)
    assert values["ws"] == pytest.approx(90)
    assert values["evpi"] == pytest.approx(20)
    assert values["ev"] == pytest.approx(65)
    assert values["eev"] == math.inf
    assert values["vss"] == math.inf
    # RP parts: purchases 0.5*60 + 0.5*160 = 110; CVaR at 50% = the worse half = 160.
    parts = reference_expected_cost_parts(plan)
    assert parts["purchase_cost"] == pytest.approx(110)
    assert parts["expected_cost"] == pytest.approx(110)
    assert parts["cvar"] == pytest.approx(160)


def test_a_base_only_limit_holds_in_every_scenario_until_it_diverges():
    # N = 2, demand 10; A at 1, B at 2; "A at most 50%" each period, in `base` only.
    # `surge` (0.5) doubles demand in period 2. Period 1 is shared: 5 + 5*2 = 15 in both.
    # base period 2: 15; surge period 2: 20 from A. RP = 0.5*30 + 0.5*35 = 32.5.
    # WS: surge buys all from A in period 1: 30. WS = 30, EVPI = 2.5.
    # EV: demand 15 in period 2, limit binding: 15 + (7.5 + 15) = 37.5. EEV: period 1 fixed to
    # 5/5 as in RP: 32.5, VSS = 0.
    N = 2
    plan = make(N, [sup("A", N, 100, 1), sup("B", N, 100, 2)],
                [route("RA", "A"), route("RB", "B")], 10,
                scenarios={"base": 0.5, "surge": 0.5},
                disruptions=[Disruption("surge", "demand", "k", 2, 2, capacity_factor=1.0,
                                        demand_factor=2.0)],
                limits=[Limit("A cap", "k", "*", "supplier", "A", 0.5, scenarios=("base",))])
    values = reference_values(plan)
    assert values["rp"] == pytest.approx(32.5)
    assert values["ws"] == pytest.approx(30)
    assert values["evpi"] == pytest.approx(2.5)
    assert values["ev"] == pytest.approx(37.5)
    assert values["eev"] == pytest.approx(32.5)
    assert values["vss"] == pytest.approx(0, abs=1e-7)


# ----------------------------------------------------------------------------------------------
def test_target_uses_demand_after_its_factor():
    # Yearly (dpp = 365), one period, base demand 10 with a demand factor 2: 20. Target 73 days
    # of 20 = 4 units; target penalty 3 > buying at 1 and holding (free): buy 24: 24.
    # (With the base demand the target would be 2: 22.)
    N = 1
    plan = make(N, [sup("S", N, 100, 1)], [route("R", "S")], 10, length="year",
                commodities={"k": Commodity("k", "t", 100.0, target_penalty=3.0)},
                stockpiles=[Stockpile("k", "A", capacity=None, target_days=73)],
                disruptions=[Disruption("base", "demand", "k", 1, 1, capacity_factor=1.0,
                                        demand_factor=2.0)])
    assert objective(plan) == pytest.approx(24)


def test_investment_capex_is_paid_once_undiscounted():
    # Yearly, N = 2, discount 25% (d2 = 0.8). Demand 10, no storage; S sells 5 at 10. Project
    # P at S: capex 3 per unit of capacity, from period 2, at most 8. Period 1: 50 + 5*100 =
    # 550. Period 2: build 5 (3 + 0.8*10 = 11 < 0.8*100 a unit): 0.8*10*10 + 3*5 = 95. 645.
    N = 2
    plan = make(N, [sup("S", N, 5, 10)], [route("R", "S")], 10, length="year", discount=0.25,
                projects=[Project("P", "S", capex=3, max_capacity=8, first_period=2)])
    assert objective(plan) == pytest.approx(645)
    assert reference_expected_cost_parts(plan)["investment_cost"] == pytest.approx(15)


def test_transfer_arrives_after_its_lead_time():
    # Regions A and B, N = 2, no storage. S (into A) at 1. Lane A -> B, lead 1, cost 2,
    # capacity 4. Demand only in B, 10 in period 2: 4 bought and sent in period 1 arrive in
    # period 2, 6 short: 4*(1 + 2) + 6*100 = 612.
    N = 2
    plan = make(N, [sup("S", N, 100, 1)], [route("R", "S")],
                {("k", "A"): 0, ("k", "B"): [0, 10]}, regions=("A", "B"),
                transfers=[Transfer("k", "A", "B", lead_periods=1, cost=2, capacity=4)])
    assert objective(plan) == pytest.approx(612)
