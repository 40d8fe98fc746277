"""Whole cargoes, minimum lots and contracts (model.md section 14): hand-computed optima.

One commodity `k` in region `home`, monthly periods from 2027-01, no lead times, no freight,
no discounting. Without a Stockpiles row nothing can be held, so each month's arrivals are at
most its demand: the integer decisions cannot be rounded away into stock.
"""

from __future__ import annotations

import pytest
from helpers import one_commodity, read_plan, settings, solve, summary


def _suppliers(rows: list[list]) -> list[list]:
    """Suppliers sheet with min_lot: rows [name, capacity, unit_cost, min_lot]."""
    return [["supplier", "commodity", "origin_country", "capacity", "unit_cost", "min_lot"]] + [
        [r[0], "k", r[0], r[1], r[2], r[3] if len(r) > 3 else None] for r in rows]


@pytest.mark.slow
def test_whole_cargoes_change_the_supplier_mix(tmp_path):
    # Demand 100 in one month. `cheap` at 10 a unit ships cargoes of 70; `dear` at 12 any
    # quantity. As an LP: 100 from cheap, 1,000. With cargoes: two cargoes (140) cannot be
    # received, so one cargo (70 x 10 = 700) and 30 from dear (30 x 12 = 360): 1,060.
    sheets = one_commodity(1, 100, [["cheap", 1000, 10], ["dear", 1000, 12]], penalty=10_000)
    sheets["Routes"] = [["route", "supplier", "region", "cargo_size"],
                        ["ship", "cheap", "home", 70], ["truck", "dear", "home", None]]
    outcome = solve(tmp_path, sheets)
    assert outcome.result.objective == pytest.approx(1_060, rel=1e-9)
    orders = read_plan(outcome.output_path)["Orders"].set_index("route")["quantity"]
    assert orders.to_dict() == pytest.approx({"ship": 70, "truck": 30})
    lp = one_commodity(1, 100, [["cheap", 1000, 10], ["dear", 1000, 12]], penalty=10_000)
    assert solve(tmp_path, lp, "lp").result.objective == pytest.approx(1_000, rel=1e-9)


@pytest.mark.slow
def test_max_cargoes_caps_berth_slots(tmp_path):
    # Demand 150, cheap cargoes of 50 at 10 but only 2 berth slots a month: 2 x 50 x 10 =
    # 1,000, the last 50 from dear at 12 = 600: 1,600.
    sheets = one_commodity(1, 150, [["cheap", 1000, 10], ["dear", 1000, 12]], penalty=10_000)
    sheets["Routes"] = [["route", "supplier", "region", "cargo_size", "max_cargoes"],
                        ["ship", "cheap", "home", 50, 2], ["truck", "dear", "home", None, None]]
    assert solve(tmp_path, sheets).result.objective == pytest.approx(1_600, rel=1e-9)


@pytest.mark.slow
def test_minimum_lot_leaves_a_small_cheap_supplier_unused(tmp_path):
    # Demand 30. `small` sells at 5 but only in lots of at least 40, which cannot be received;
    # `big` at 10: 30 x 10 = 300 (an LP would buy small: 150).
    sheets = one_commodity(1, 30, [], penalty=10_000)
    sheets["Suppliers"] = _suppliers([["small", 50, 5, 40], ["big", 1000, 10]])
    sheets["Routes"] = [["route", "supplier", "region"], ["a", "small", "home"],
                        ["b", "big", "home"]]
    outcome = solve(tmp_path, sheets)
    assert outcome.result.objective == pytest.approx(300, rel=1e-9)
    orders = read_plan(outcome.output_path)["Orders"]
    assert orders[orders.supplier == "small"]["quantity"].sum() == pytest.approx(0, abs=1e-9)


@pytest.mark.slow
def test_minimum_lot_is_taken_whole_when_it_fits(tmp_path):
    # Demand 55: small's lot of 40 fits and it sells its whole 50 (50 x 5 = 250); big tops up
    # 5 x 10 = 50: 300.
    sheets = one_commodity(1, 55, [], penalty=10_000)
    sheets["Suppliers"] = _suppliers([["small", 50, 5, 40], ["big", 1000, 10]])
    sheets["Routes"] = [["route", "supplier", "region"], ["a", "small", "home"],
                        ["b", "big", "home"]]
    assert solve(tmp_path, sheets).result.objective == pytest.approx(300, rel=1e-9)


def _contract_case(periods: int, demand: list[float], contracts: list[list],
                   spot_cost: float = 150.0, contract_cost: float = 100.0,
                   extra: dict | None = None) -> dict:
    sheets = one_commodity(periods, 0, [["lng", 1000, contract_cost],
                                        ["spot", 1000, spot_cost]], penalty=10_000)
    sheets["Demand"] = [["commodity", "region", "period", "demand"]] + [
        ["k", "home", f"{2027 + t // 12}-{t % 12 + 1:02d}", d] for t, d in enumerate(demand)]
    sheets["Settings"] = settings(periods)
    sheets["Contracts"] = [["contract", "supplier", "acq", "take_or_pay", "flex_up",
                            "make_up_years", "first_period", "last_period", "option_fee"]] + \
        contracts
    sheets.update(extra or {})
    return sheets


@pytest.mark.slow
def test_deficiency_is_paid_and_made_up_the_next_year(tmp_path):
    # 24 months; nothing is needed in year 1 and nothing can be held, so year 1 takes nothing
    # and pays the deficiency 0.9 x 120 = 108 at 100 = 10,800 (in 2027-12). Year 2 needs 20 a
    # month (240): all from the contract at 100 (spot is 150) = 24,000, of which the 132 above
    # year 2's own 108 may be made up; the bank holds 108: credit 10,800. Total 24,000.
    demand = [0] * 12 + [20] * 12
    contract = [["acq", "lng", 120, 0.9, None, 1, "2027-01", "2028-12", None]]
    outcome = solve(tmp_path, _contract_case(24, demand, contract))
    assert outcome.result.objective == pytest.approx(24_000, rel=1e-9)
    assert outcome.result.cost_parts["contract_deficiency"] == pytest.approx(10_800, rel=1e-9)
    assert outcome.result.cost_parts["make_up_credit"] == pytest.approx(-10_800, rel=1e-9)
    # Without make-up rights the deficiency is simply lost: 10,800 + 24,000.
    no_make_up = [["acq", "lng", 120, 0.9, None, 0, "2027-01", "2028-12", None]]
    assert solve(tmp_path, _contract_case(24, demand, no_make_up), "none").result.objective \
        == pytest.approx(34_800, rel=1e-9)


@pytest.mark.slow
def test_make_up_expires_after_its_years(tmp_path):
    # 36 months, one make-up year: year 1 pays 108 (10,800) that year 2 cannot use (no demand)
    # and year 3 may no longer take. Year 2 pays its own 108 (10,800); year 3 needs 240 from
    # the contract (24,000) and makes up year 2's 108 (-10,800). Total 34,800.
    demand = [0] * 24 + [20] * 12
    contract = [["acq", "lng", 120, 0.9, None, 1, "2027-01", None, None]]
    outcome = solve(tmp_path, _contract_case(36, demand, contract))
    assert outcome.result.objective == pytest.approx(34_800, rel=1e-9)


@pytest.mark.slow
def test_flex_up_binds(tmp_path):
    # 12 months of 20 (240). The contract sells at 50, ACQ 120 with 50% flex: at most 180
    # (9,000); the other 60 from spot at 80 (4,800): 13,800.
    contract = [["cheap", "lng", 120, 0, 0.5, None, "2027-01", None, None]]
    sheets = _contract_case(12, [20] * 12, contract, spot_cost=80, contract_cost=50)
    outcome = solve(tmp_path, sheets)
    assert outcome.result.objective == pytest.approx(13_800, rel=1e-9)
    orders = read_plan(outcome.output_path)["Orders"]
    assert orders[orders.supplier == "lng"]["quantity"].sum() == pytest.approx(180, rel=1e-9)


@pytest.mark.parametrize(("fee", "objective", "signed_volume"), [
    # 12 months of 10 (120). Spot at 100: 12,000. The option sells at 80 (9,600) for a fee:
    (1_000, 10_600, 120),   # 9,600 + 1,000 < 12,000: signed
    (3_000, 12_000, 0),     # 9,600 + 3,000 > 12,000: not signed, no volume from it
])
@pytest.mark.slow
def test_an_option_is_signed_exactly_when_it_pays(tmp_path, fee, objective, signed_volume):
    contract = [["alaska", "lng", 120, 0.9, 0, None, "2027-01", None, fee]]
    sheets = _contract_case(12, [10] * 12, contract, spot_cost=100, contract_cost=80)
    outcome = solve(tmp_path, sheets)
    assert outcome.result.objective == pytest.approx(objective, rel=1e-9)
    orders = read_plan(outcome.output_path)["Orders"]
    assert orders[orders.supplier == "lng"]["quantity"].sum() == \
        pytest.approx(signed_volume, abs=1e-6)
    assert outcome.result.cost_parts["option_fee"] == pytest.approx(
        fee if signed_volume else 0.0, abs=1e-9)


@pytest.mark.slow
def test_force_majeure_waives_take_or_pay(tmp_path):
    # No demand and no storage: nothing can be taken. Take-or-pay 100% of 120 at 100 is
    # 12,000 owed; the supplier is halted for 6 of the 12 months, so half is waived: 6,000.
    contract = [["acq", "lng", 120, 1.0, None, None, "2027-01", None, None]]
    halt = {"Disruptions": [["scenario", "target_type", "target", "start_period",
                             "end_period"], ["base", "supplier", "lng", "2027-01", "2027-06"]]}
    outcome = solve(tmp_path, _contract_case(12, [0] * 12, contract, extra=halt))
    assert outcome.result.objective == pytest.approx(6_000, rel=1e-9)
    outcome = solve(tmp_path, _contract_case(12, [0] * 12, contract), "open")
    assert outcome.result.objective == pytest.approx(12_000, rel=1e-9)


@pytest.mark.slow
def test_a_contract_begun_before_the_plan_is_pro_rated(tmp_path):
    # The contract began 2026-07: its year 2026-07..2027-06 has 6 months in the plan (from
    # 2027-01), so it owes 0.5 x 120 x 1.0 = 60; its next year 2027-07..2028-06 has 6 months
    # in this 12-month plan: 60 more. Nothing can be taken: 120 x 100 = 12,000 ... pro-rated
    # to (60 + 60) x 100 = 12,000; with a last_period of 2027-09 the second year has 3
    # months: (60 + 30) x 100 = 9,000.
    contract = [["old", "lng", 120, 1.0, None, None, "2026-07", "2027-09", None]]
    outcome = solve(tmp_path, _contract_case(12, [0] * 12, contract))
    assert outcome.result.objective == pytest.approx(9_000, rel=1e-9)


@pytest.mark.slow
def test_a_contract_supplier_sells_only_under_its_contracts(tmp_path):
    # The contract runs 2027-01..2027-03 only; demand 10 a month for 6 months; the contract
    # supplier at 50, spot at 100. Months 1-3 from the contract (1,500), 4-6 spot (3,000).
    contract = [["short", "lng", 120, 0, None, None, "2027-01", "2027-03", None]]
    sheets = _contract_case(6, [10] * 6, contract, spot_cost=100, contract_cost=50)
    assert solve(tmp_path, sheets).result.objective == pytest.approx(4_500, rel=1e-9)


@pytest.mark.slow
def test_the_summary_shows_the_mip_bound_and_gap(tmp_path):
    sheets = one_commodity(1, 100, [["cheap", 1000, 10], ["dear", 1000, 12]], penalty=10_000)
    sheets["Routes"] = [["route", "supplier", "region", "cargo_size"],
                        ["ship", "cheap", "home", 70], ["truck", "dear", "home", None]]
    outcome = solve(tmp_path, sheets)
    items = summary(read_plan(outcome.output_path))
    assert items["mip_bound"] == pytest.approx(1_060, rel=1e-6)
    assert 0 <= items["mip_gap"] <= 1e-6


@pytest.mark.slow
def test_prices_come_from_the_lp_with_cargoes_fixed_and_equal_a_re_solve(tmp_path):
    # The cargo case: with one cargo of 70 fixed, one more unit of demand comes from dear at
    # 12, and the MIP re-solved with demand 101 costs 1,072 = 1,060 + 12 (still one cargo).
    sheets = one_commodity(1, 100, [["cheap", 1000, 10], ["dear", 1000, 12]], penalty=10_000)
    sheets["Routes"] = [["route", "supplier", "region", "cargo_size"],
                        ["ship", "cheap", "home", 70], ["truck", "dear", "home", None]]
    outcome = solve(tmp_path, sheets)
    prices = read_plan(outcome.output_path)["Prices"].set_index("period")
    assert prices.loc["2027-01", "marginal_cost"] == pytest.approx(12, rel=1e-9)
    assert "fixed at the plan's" in prices.loc["2027-01", "method"]
    more = one_commodity(1, 101, [["cheap", 1000, 10], ["dear", 1000, 12]], penalty=10_000)
    more["Routes"] = sheets["Routes"]
    again = solve(tmp_path, more, "more").result.objective
    assert again - outcome.result.objective == pytest.approx(
        prices.loc["2027-01", "marginal_cost"], rel=1e-9)


def _crisis_with_cargoes(cargo: float) -> dict:
    # model.md 12.2 at p = 0.10 with the supplier's route shipping whole cargoes: two months,
    # demand 10 a month, supplier `only` at cost 0 halted in month 2 of `crisis`, holding 5 a
    # unit a month, shortage penalty 100, unlimited storage.
    return {
        "Settings": settings(2),
        "Commodities": [["commodity", "unit", "shortage_penalty"], ["k", "t", 100]],
        "Demand": [["commodity", "region", "demand"], ["k", "home", 10]],
        "Stockpiles": [["commodity", "region", "holding_cost"], ["k", "home", 5]],
        "Suppliers": [["supplier", "commodity", "origin_country", "capacity", "unit_cost"],
                      ["only", "k", "X", 100, 0]],
        "Routes": [["route", "supplier", "region", "cargo_size"], ["lane", "only", "home", cargo]],
        "Scenarios": [["scenario", "probability"], ["base", 0.9], ["crisis", 0.1]],
        "Disruptions": [["scenario", "target_type", "target", "start_period", "end_period"],
                        ["crisis", "supplier", "only", "2027-02", "2027-02"]],
    }


@pytest.mark.parametrize(("cargo", "evpi", "vss"), [
    # Cargoes of 10 change nothing: model.md 12.2's RP 50, WS 5 (EVPI 45), EEV 100 (VSS 50).
    (10, 45, 50),
    # Cargoes of 20: month 1 must take a whole cargo of 20 anyway, holding 10 into month 2
    # (50) in every plan, with or without warning: RP = WS = EEV = 50, EVPI = VSS = 0.
    (20, 0, 0),
])
@pytest.mark.slow
def test_evpi_and_vss_solve_their_problems_as_mips(tmp_path, cargo, evpi, vss):
    outcome = solve(tmp_path, _crisis_with_cargoes(cargo))
    worth = outcome.result.value_of_information
    assert outcome.result.objective == pytest.approx(50, rel=1e-9)
    assert worth.evpi == pytest.approx(evpi, abs=1e-6)
    assert worth.vss == pytest.approx(vss, abs=1e-6)
    assert "given the gaps of the MIPs" in worth.evpi_text


def test_a_cargo_larger_than_storage_can_receive_is_diagnosed(tmp_path):
    # `seller` must be taken at 30 a month (take-or-pay) and ships cargoes of 70; nothing is
    # used and only 50 can be stored. Fractional cargoes (30 = 3/7 of a cargo) would fit, so
    # the LP relaxation has a plan; whole ones do not (0 breaks take-or-pay, 70 > 50): the
    # diagnosis names the cargo size and the storage.
    from helpers import write_workbook

    from model.domain.errors import InfeasiblePlan
    from model.pipeline import run

    sheets = one_commodity(1, 0, [], penalty=10_000, stock=[0, 50, 0])
    sheets["Suppliers"] = [["supplier", "commodity", "origin_country", "capacity", "unit_cost",
                            "min_take"], ["seller", "k", "X", 100, 10, 30]]
    sheets["Routes"] = [["route", "supplier", "region", "cargo_size"],
                        ["ship", "seller", "home", 70]]
    source = write_workbook(tmp_path / "cargo.xlsx", sheets)
    with pytest.raises(InfeasiblePlan) as raised:
        run(source, tmp_path / "cargo_plan.xlsx", progress=lambda _: None)
    message = str(raised.value)
    assert "a plan would exist if they could be fractional" in message
    assert "Routes row 2 cargo_size: route ship carries whole cargoes of 70 t" in message
    conflicts = raised.value.diagnosis.conflicts
    assert {(c["sheet"], c["row"], c["column"]) for c in conflicts} == {
        ("Routes", 2, "cargo_size"), ("Stockpiles", 2, "capacity")}
