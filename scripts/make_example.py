"""Write the shipped example workbook inputs/critical_supply_example.xlsx from code.

A Japan and USA plan over 36 months (2028-01 to 2030-12) for NdPr, Dy and Tb oxides and LNG.
Figures come from public sources where there are any (S = stated in a public source such as the
USGS Mineral Commodity Summaries, the IEA Global Critical Minerals Outlook or trade press,
D = derived from sourced figures, A = our assumption); every row says which in its notes.

    python scripts/make_example.py          # rewrites the committed workbook
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from model.io.template import write_input_workbook  # noqa: E402

EXAMPLE = ROOT / "inputs" / "critical_supply_example.xlsx"
MMBTU_PER_KT = 52_000  # 1 t LNG ~ 52 MMBtu (A, standard conversion)


def lng(usd_per_mmbtu: float) -> float:
    """USD per kt of LNG from USD per MMBtu."""
    return round(usd_per_mmbtu * MMBTU_PER_KT)


CARGO_KT = 70  # D: a 155,000 m3 carrier holds ~70 kt of LNG (0.45 t/m3)


def per_month(per_year: float) -> float:
    """Units per month from units per year."""
    return round(per_year / 12, 3)


SETTINGS = {"start_period": "2028-01", "period_length": "month", "periods": 36,
            "currency": "USD", "discount_rate": 0.05, "risk_weight": 0.2, "cvar_level": 0.9,
            "time_limit_seconds": 300}

COMMODITIES = [
    dict(commodity="NdPr oxide", unit="t", shortage_penalty=600_000, target_penalty=2_000,
         notes="A: unmet magnet demand valued at ~8x the China price of ~70 USD/kg"),
    dict(commodity="Dy oxide", unit="t", shortage_penalty=3_000_000, target_penalty=10_000,
         notes="A: ~3x the European price after the April 2025 controls (700-1,000 USD/kg, S)"),
    dict(commodity="Tb oxide", unit="t", shortage_penalty=9_000_000, target_penalty=40_000,
         notes="A: ~3x the European price (2,000-4,000 USD/kg, S)"),
    dict(commodity="LNG", unit="kt", shortage_penalty=lng(40), target_penalty=10_000,
         notes="A: unserved gas valued at 40 USD/MMBtu, about 3x JKM spot (11-12.5, S)"),
]

DEMAND = [
    dict(commodity="NdPr oxide", region="Japan", demand=per_month(4_000),
         notes="D: ~4,000 t/yr NdPr in Japan's 12,400 t NdFeB alloy"),
    dict(commodity="Dy oxide", region="Japan", demand=per_month(300), notes="A: 300 t/yr"),
    dict(commodity="Tb oxide", region="Japan", demand=per_month(60), notes="A: 60 t/yr"),
    dict(commodity="LNG", region="Japan", demand=per_month(66_000),
         notes="S: Japan imported 65.9 Mt of LNG in 2024"),
    dict(commodity="LNG", region="Japan", period="2028-01", demand=per_month(66_000) * 1.15,
         notes="A: winter peak, +15%"),
    dict(commodity="LNG", region="Japan", period="2029-01", demand=per_month(66_000) * 1.15,
         notes="A: winter peak, +15%"),
    dict(commodity="LNG", region="Japan", period="2030-01", demand=per_month(66_000) * 1.15,
         notes="A: winter peak, +15%"),
    dict(commodity="NdPr oxide", region="USA", demand=per_month(1_500),
         notes="A: US magnet makers ramping up"),
    dict(commodity="Dy oxide", region="USA", demand=per_month(100), notes="A"),
    dict(commodity="Tb oxide", region="USA", demand=per_month(20), notes="A"),
]

DAYS_PER_MONTH = 365 / 12


def days_of(demand_per_year: float, days: float) -> float:
    """Units covering `days` of a yearly demand (the planner's days-of-cover target)."""
    return round(per_month(demand_per_year) * days / DAYS_PER_MONTH, 1)


STOCKPILES = [
    dict(commodity="NdPr oxide", region="Japan", initial_stock=650, capacity=2_000,
         target_days=60, holding_cost=700, end_stock=days_of(4_000, 60),
         notes="S: JOGMEC holds generally 60 days; A: holding ~1%/month of value; end stock = "
               "the 60-day target, so the plan hands over a full stockpile"),
    dict(commodity="Dy oxide", region="Japan", initial_stock=120, capacity=400, target_days=180,
         holding_cost=3_000, end_stock=days_of(300, 180),
         notes="S: up to 180 days for high-risk metals; A: end stock = the target"),
    dict(commodity="Tb oxide", region="Japan", initial_stock=25, capacity=80, target_days=180,
         holding_cost=12_000, end_stock=days_of(60, 180),
         notes="S: up to 180 days for high-risk metals; A: end stock = the target"),
    dict(commodity="LNG", region="Japan", initial_stock=2_200, capacity=3_500,
         target_stock=1_500, holding_cost=5_000, end_stock=1_500,
         notes="S: utilities held ~2.2 Mt (March 2026); floor ~1.5 Mt; A: capacity, cost; "
               "end stock = the floor"),
    dict(commodity="NdPr oxide", region="USA", initial_stock=150, capacity=1_000,
         target_days=60, holding_cost=700, end_stock=days_of(1_500, 60),
         notes="A: new US stockpile; end stock = the target"),
    dict(commodity="Dy oxide", region="USA", initial_stock=20, capacity=200, target_days=180,
         holding_cost=3_000, end_stock=days_of(100, 180), notes="A; end stock = the target"),
    dict(commodity="Tb oxide", region="USA", initial_stock=4, capacity=40, target_days=180,
         holding_cost=12_000, end_stock=days_of(20, 180), notes="A; end stock = the target"),
]

SUPPLIERS = [
    dict(supplier="China NdPr refiners", commodity="NdPr oxide", origin_country="China",
         capacity=per_month(3_000), unit_cost=70_000,
         notes="S: ~59-83 USD/kg in China in 2025; A: volume sold to this plan"),
    dict(supplier="Lynas Malaysia NdPr", commodity="NdPr oxide", origin_country="Australia",
         processing_country="Malaysia", capacity=per_month(2_000), unit_cost=80_000,
         notes="S: 10,500 t/yr NdPr, Mt Weld ore; A: share to Japan and USA"),
    dict(supplier="MP Materials", commodity="NdPr oxide", origin_country="USA",
         capacity=per_month(1_300), unit_cost=110_000,
         notes="S: ~1,300 t NdPr oxide in 2024; US DoD price floor 110 USD/kg"),
    dict(supplier="Neo Silmet", commodity="NdPr oxide", origin_country="Estonia",
         capacity=per_month(200), unit_cost=90_000,
         notes="S: ~3,000 t/yr separation in Estonia; A: 200 t/yr to this plan, feed origin "
               "taken as Estonia"),
    dict(supplier="Vietnam separation", commodity="NdPr oxide", origin_country="China",
         processing_country="Vietnam", capacity=per_month(500), unit_cost=75_000,
         notes="A: Chinese feed separated in Vietnam (facts.md suggestion)"),
    dict(supplier="Japan recycling", commodity="NdPr oxide", origin_country="Japan",
         capacity=per_month(300), unit_cost=95_000, notes="A: magnet swarf recycling"),
    dict(supplier="China Dy refiners", commodity="Dy oxide", origin_country="China",
         capacity=per_month(120), unit_cost=210_000,
         notes="S: ~185-238 USD/kg in China; A: volume"),
    dict(supplier="Myanmar ore via China", commodity="Dy oxide", origin_country="Myanmar",
         processing_country="China", capacity=per_month(80), unit_cost=210_000,
         notes="S: Myanmar ionic clays feed Chinese separation (~99% of Dy processing)"),
    dict(supplier="Lynas Malaysia Dy", commodity="Dy oxide", origin_country="Australia",
         processing_country="Malaysia", capacity=per_month(90), unit_cost=450_000,
         notes="S: first Dy May 2025; Japan entitled to up to 65% of Mt Weld Dy/Tb; A: price"),
    dict(supplier="European traders Dy", commodity="Dy oxide", origin_country="Germany",
         capacity=per_month(24), unit_cost=850_000,
         notes="S: 700-1,000 USD/kg in Europe after April 2025; A: origin as trading hub"),
    dict(supplier="US heavy RE separation", commodity="Dy oxide", origin_country="Australia",
         processing_country="USA", capacity=0, unit_cost=400_000,
         notes="A: a project not yet built (see Investments)"),
    dict(supplier="China Tb refiners", commodity="Tb oxide", origin_country="China",
         capacity=per_month(48), unit_cost=900_000, notes="S: ~836-997 USD/kg in China"),
    dict(supplier="Lynas Malaysia Tb", commodity="Tb oxide", origin_country="Australia",
         processing_country="Malaysia", capacity=per_month(18), unit_cost=1_500_000,
         available_from="2028-07", notes="S: Tb planned at Lynas; A: from mid-2028, price"),
    dict(supplier="European traders Tb", commodity="Tb oxide", origin_country="Germany",
         capacity=per_month(6), unit_cost=2_500_000,
         notes="S: 2,000-4,000 USD/kg in Europe"),
    dict(supplier="Australia LNG", commodity="LNG", origin_country="Australia",
         capacity=per_month(25_100), unit_cost=lng(9.6), min_take=1_400,
         notes="S: 25.1 Mt to Japan in 2024; oil-linked ~9.6 USD/MMBtu (D); A: take-or-pay"),
    dict(supplier="Malaysia LNG", commodity="LNG", origin_country="Malaysia",
         capacity=per_month(10_200), unit_cost=lng(9.6), min_take=500,
         notes="S: 10.2 Mt in 2024; A: take-or-pay"),
    dict(supplier="US Gulf Coast LNG", commodity="LNG", origin_country="USA",
         capacity=per_month(7_900), unit_cost=lng(6.5),
         notes="S: FOB = 1.15 x Henry Hub + 2.25-3.00; D: 6.5 USD/MMBtu at HH 3.5"),
    dict(supplier="Sakhalin-2", commodity="LNG", origin_country="Russia",
         capacity=per_month(5_700), unit_cost=lng(9.0), min_take=300,
         notes="S: 9.6 Mtpa plant, ~6 Mt/yr to Japan; A: contracts run through the horizon"),
    dict(supplier="Qatar and UAE LNG", commodity="LNG", origin_country="Qatar",
         capacity=per_month(4_000), unit_cost=lng(9.6),
         notes="S: Middle East ~11% of Japan's LNG; ~6% through Hormuz"),
    dict(supplier="Oman LNG", commodity="LNG", origin_country="Oman",
         capacity=per_month(3_200), unit_cost=lng(10.3), notes="D: facts.md suggestion"),
    dict(supplier="PNG Brunei Indonesia LNG", commodity="LNG", origin_country="Papua New Guinea",
         capacity=per_month(11_400), unit_cost=lng(9.6),
         notes="S: PNG ~5% plus Brunei and Indonesia; A: pooled under one origin"),
    dict(supplier="Alaska LNG", commodity="LNG", origin_country="USA",
         capacity=per_month(2_000), unit_cost=lng(9.5), available_from="2030-01",
         notes="S: 20 Mtpa proposed, not before 2030; JERA and Tokyo Gas LOIs ~1 Mtpa each"),
    dict(supplier="Spot cargoes", commodity="LNG", origin_country="Spot market",
         capacity=per_month(5_000), unit_cost=lng(11.5),
         notes="S: JKM ~11-12.5 USD/MMBtu in 2025; A: up to 5 Mt/yr"),
]

SUPPLIER_PERIODS = [
    dict(supplier="Spot cargoes", period="2028-01", unit_cost=lng(14),
         notes="A: winter spot premium"),
    dict(supplier="Spot cargoes", period="2029-01", unit_cost=lng(14),
         notes="A: winter spot premium"),
    dict(supplier="Spot cargoes", period="2030-01", unit_cost=lng(14),
         notes="A: winter spot premium"),
    dict(supplier="MP Materials", period="2030-01", capacity=per_month(2_000),
         notes="A: expansion ramps up in 2030"),
]


def _route(route: str, supplier: str, region: str, days: float, freight: float,
           capacity: float | None = None, chokepoints: str | None = None,
           notes: str = "A", cargo_size: float | None = None) -> dict[str, object]:
    record: dict[str, object] = dict(route=route, supplier=supplier, region=region,
                                     lead_time_days=days, freight_cost=freight, notes=notes)
    if cargo_size is not None:
        record["cargo_size"] = cargo_size
    if capacity is not None:
        record["capacity"] = capacity
    if chokepoints:
        record["chokepoints"] = chokepoints
    return record


ROUTES = [
    _route("China NdPr to Japan", "China NdPr refiners", "Japan", 30, 500,
           notes="S: 30 days incl. licensing (facts.md); A: freight"),
    _route("China NdPr to USA", "China NdPr refiners", "USA", 45, 800),
    _route("Lynas NdPr to Japan", "Lynas Malaysia NdPr", "Japan", 45, 600,
           chokepoints="South China Sea", notes="S: 45 days (facts.md)"),
    _route("Lynas NdPr to USA", "Lynas Malaysia NdPr", "USA", 60, 900),
    _route("MP Materials to USA", "MP Materials", "USA", 10, 200),
    _route("MP Materials to Japan", "MP Materials", "Japan", 60, 900,
           notes="S: 60 days (facts.md)"),
    _route("Neo Silmet to Japan", "Neo Silmet", "Japan", 75, 900, chokepoints="Suez",
           notes="S: 75 days (facts.md)"),
    _route("Neo Silmet to USA", "Neo Silmet", "USA", 40, 700),
    _route("Vietnam NdPr to Japan", "Vietnam separation", "Japan", 30, 500,
           chokepoints="South China Sea"),
    _route("Japan recycling", "Japan recycling", "Japan", 90, 0,
           notes="A: 90 days of reprocessing"),
    _route("China Dy to Japan", "China Dy refiners", "Japan", 90, 1_000,
           notes="S: 90 days incl. export licence (facts.md)"),
    _route("China Dy to USA", "China Dy refiners", "USA", 100, 1_200),
    _route("Myanmar Dy via China to Japan", "Myanmar ore via China", "Japan", 90, 1_000),
    _route("Lynas Dy to Japan", "Lynas Malaysia Dy", "Japan", 45, 1_000,
           chokepoints="South China Sea"),
    _route("Lynas Dy to USA", "Lynas Malaysia Dy", "USA", 60, 1_200),
    _route("European Dy to Japan", "European traders Dy", "Japan", 40, 1_500, chokepoints="Suez"),
    _route("European Dy to USA", "European traders Dy", "USA", 30, 1_200),
    _route("US heavy RE to USA", "US heavy RE separation", "USA", 10, 300),
    _route("US heavy RE to Japan", "US heavy RE separation", "Japan", 45, 1_000),
    _route("China Tb to Japan", "China Tb refiners", "Japan", 90, 1_000),
    _route("China Tb to USA", "China Tb refiners", "USA", 100, 1_200),
    _route("Lynas Tb to Japan", "Lynas Malaysia Tb", "Japan", 45, 1_000,
           chokepoints="South China Sea"),
    _route("Lynas Tb to USA", "Lynas Malaysia Tb", "USA", 60, 1_200),
    _route("European Tb to Japan", "European traders Tb", "Japan", 40, 1_500, chokepoints="Suez"),
    _route("European Tb to USA", "European traders Tb", "USA", 30, 1_200),
    _route("Australia to Japan", "Australia LNG", "Japan", 10, lng(0.6),
           notes="S: ~10 days (facts.md); A: freight"),
    _route("Malaysia to Japan", "Malaysia LNG", "Japan", 5, lng(0.4),
           chokepoints="South China Sea", notes="S: all Malaysian LNG passes the South China Sea"),
    _route("US Gulf via Panama", "US Gulf Coast LNG", "Japan", 20, lng(1.0),
           capacity=per_month(6_300), chokepoints="Panama",
           notes="S: ~20 days, ~1.0 USD/MMBtu; 6.3 Mt in 2024"),
    _route("US Gulf via Cape", "US Gulf Coast LNG", "Japan", 37, lng(1.4),
           chokepoints="Cape of Good Hope", notes="S: 34-40 days, ~1.39 USD/MMBtu (D)"),
    _route("Sakhalin to Tokyo Bay", "Sakhalin-2", "Japan", 3, lng(0.2),
           notes="D: 2-3 days one way"),
    _route("Qatar via Hormuz and Malacca", "Qatar and UAE LNG", "Japan", 15, lng(0.8),
           chokepoints="Hormuz; Malacca", cargo_size=CARGO_KT,
           notes="S: through Hormuz and Malacca; D: whole cargoes of ~70 kt (a 155,000 m3 "
                 "carrier)"),
    _route("Oman via Malacca", "Oman LNG", "Japan", 13, lng(0.8), chokepoints="Malacca",
           notes="A: Qalhat lies outside Hormuz"),
    _route("PNG Brunei Indonesia to Japan", "PNG Brunei Indonesia LNG", "Japan", 6, lng(0.5)),
    _route("Alaska to Japan", "Alaska LNG", "Japan", 10, lng(0.6), cargo_size=CARGO_KT,
           notes="S: ~10 days; D: whole cargoes of ~70 kt"),
    _route("Spot to Japan", "Spot cargoes", "Japan", 20, lng(1.0),
           notes="A: mixed origins; left in any quantity: a pool of many sellers' cargoes "
                 "(whole spot cargoes made the plan too slow to solve, see the README)"),
]

PIPELINE = [
    dict(route="Australia to Japan", arrival_period="2028-01", quantity=1_800,
         notes="A: cargoes loaded in late December 2027 under the term contract"),
    dict(route="Malaysia to Japan", arrival_period="2028-01", quantity=700, notes="A"),
    dict(route="PNG Brunei Indonesia to Japan", arrival_period="2028-01", quantity=800,
         notes="A"),
    dict(route="Qatar via Hormuz and Malacca", arrival_period="2028-01", quantity=250,
         notes="A: one month of Middle East cargoes at sea (~15 days' voyage)"),
    dict(route="US Gulf via Panama", arrival_period="2028-01", quantity=450,
         notes="A: ~20 days' voyage, loaded in December"),
    dict(route="US Gulf via Cape", arrival_period="2028-01", quantity=200,
         notes="A: ~37 days' voyage, loaded in early December"),
    dict(route="US Gulf via Cape", arrival_period="2028-02", quantity=200,
         notes="A: loaded in late December"),
    dict(route="China NdPr to Japan", arrival_period="2028-01", quantity=160,
         notes="A: December shipments under licence"),
    dict(route="Lynas NdPr to Japan", arrival_period="2028-01", quantity=80, notes="A"),
    dict(route="China NdPr to USA", arrival_period="2028-01", quantity=60, notes="A"),
    dict(route="China NdPr to USA", arrival_period="2028-02", quantity=60, notes="A"),
    dict(route="China Dy to Japan", arrival_period="2028-01", quantity=12,
         notes="A: ~90 days incl. export licence: October-December 2027 orders"),
    dict(route="China Dy to Japan", arrival_period="2028-02", quantity=12, notes="A"),
    dict(route="China Dy to Japan", arrival_period="2028-03", quantity=12, notes="A"),
    dict(route="China Tb to Japan", arrival_period="2028-01", quantity=3, notes="A"),
    dict(route="China Tb to Japan", arrival_period="2028-02", quantity=3, notes="A"),
    dict(route="China Tb to Japan", arrival_period="2028-03", quantity=3, notes="A"),
    dict(route="China Dy to USA", arrival_period="2028-01", quantity=4, notes="A"),
    dict(route="China Dy to USA", arrival_period="2028-02", quantity=4, notes="A"),
    dict(route="China Dy to USA", arrival_period="2028-03", quantity=4, notes="A"),
]

GROUPS = [
    dict(country="China", group="FEOC", notes="A: foreign entity of concern (US usage)"),
    dict(country="Russia", group="FEOC", notes="A"),
    dict(country="Myanmar", group="Non-partner", notes="A"),
    dict(country="Australia", group="Partners", notes="A"),
    dict(country="USA", group="Partners", notes="A"),
    dict(country="Japan", group="Partners", notes="A"),
    dict(country="Malaysia", group="Partners", notes="A"),
    dict(country="Estonia", group="Partners", notes="A"),
    dict(country="Germany", group="Partners", notes="A"),
    dict(country="Vietnam", group="Partners", notes="A"),
    dict(country="Qatar", group="Middle East", notes="A"),
    dict(country="Oman", group="Middle East", notes="A"),
]

CONCENTRATION = [
    dict(limit="NdPr FEOC processing", commodity="NdPr oxide", region="*",
         attribute="processing_group", value="FEOC", max_share=0.5, basis="year",
         scenarios="base",
         notes="A: policy target, held each plan year; S: the EU CRMA benchmark is at most 65% "
               "of annual consumption from one third country"),
    dict(limit="NdPr Partners floor", commodity="NdPr oxide", region="*",
         attribute="processing_group", value="Partners", min_share=0.3, basis="year",
         notes="A: at least 30% of each year's NdPr refined in partner countries, in every "
               "scenario"),
    dict(limit="Dy FEOC processing", commodity="Dy oxide", region="*",
         attribute="processing_group", value="FEOC", max_share=0.65, basis="year",
         scenarios="base", notes="S: EU CRMA 65% annual benchmark applied to Dy"),
    dict(limit="Tb FEOC processing", commodity="Tb oxide", region="*",
         attribute="processing_group", value="FEOC", max_share=0.65, basis="year",
         scenarios="base", notes="S: EU CRMA 65% annual benchmark applied to Tb"),
    dict(limit="LNG one origin", commodity="LNG", region="Japan", attribute="origin_country",
         value="*", max_share=0.4, basis="period",
         notes="A: no origin above 40% of any month's cargoes (Australia was 38% in 2024, S)"),
    dict(limit="LNG via Hormuz", commodity="LNG", region="Japan", attribute="chokepoint",
         value="Hormuz", max_share=0.06, basis="period",
         notes="S: ~6% of Japan's LNG passes Hormuz; A: capped there"),
]

SCENARIOS = [
    dict(scenario="base", probability=0.45, notes="A: remainder so probabilities sum to 1"),
    dict(scenario="Heavy RE export ban", probability=0.25,
         notes="A: facts.md licence squeeze, 0.30 there"),
    dict(scenario="RE embargo on Japan", probability=0.05, notes="S: 2010 embargo ~2 months"),
    dict(scenario="Sakhalin-2 halt", probability=0.10, notes="A"),
    dict(scenario="Panama restriction", probability=0.10, notes="S: 2023-24 drought halved slots"),
    dict(scenario="Hormuz closure", probability=0.05, notes="S: a closure in March 2026"),
]

DISRUPTIONS = [
    dict(scenario="Heavy RE export ban", target_type="processing_country", target="China",
         commodity="Dy oxide", start_period="2028-07", end_period="2028-12",
         capacity_factor=0.1,
         notes="S: April 2025 licences; Dy exports to Japan fell ~95%; hits every Dy oxide "
               "refined in China (Myanmar feed included)"),
    dict(scenario="Heavy RE export ban", target_type="processing_country", target="China",
         commodity="Tb oxide", start_period="2028-07", end_period="2028-12",
         capacity_factor=0.1, notes="S: the same licences cover Tb"),
    dict(scenario="Heavy RE export ban", target_type="supplier", target="European traders Dy",
         start_period="2028-07", end_period="2028-12", cost_factor=1.5,
         notes="A: European prices jump when China stops (capacity unchanged: the blank "
               "capacity_factor of a price row is 1)"),
    dict(scenario="RE embargo on Japan", target_type="processing_country", target="China",
         start_period="2029-03", end_period="2029-04", capacity_factor=0,
         notes="S: 2010 embargo lasted ~2 months; A: hits all China-processed supply"),
    dict(scenario="Sakhalin-2 halt", target_type="supplier", target="Sakhalin-2",
         start_period="2028-10", end_period="2029-09", capacity_factor=0,
         notes="A: 12 months (facts.md)"),
    dict(scenario="Sakhalin-2 halt", target_type="supplier", target="Spot cargoes",
         start_period="2028-10", end_period="2029-09", cost_factor=1.3,
         notes="A: spot tightens (a price row: capacity unchanged)"),
    dict(scenario="Panama restriction", target_type="chokepoint", target="Panama",
         start_period="2029-01", end_period="2029-06", capacity_factor=0.5, cost_factor=1.2,
         notes="S: neopanamax slots 10 -> 5 a day in 2023-24"),
    dict(scenario="Hormuz closure", target_type="chokepoint", target="Hormuz",
         start_period="2029-06", end_period="2029-07", capacity_factor=0,
         notes="S: Qatari output halted in March 2026"),
    dict(scenario="Hormuz closure", target_type="demand", target="LNG@Japan",
         start_period="2029-06", end_period="2029-07", demand_factor=1.05,
         notes="A: fuel switching adds 5%"),
]

TRANSFERS = [
    dict(commodity=k, from_region=a, to_region=b, lead_time_days=30, cost=2_000,
         capacity=cap, notes="S: US-Japan framework (Oct 2025) to explore complementary "
                              "stockpiling; A: lane terms")
    for k, cap in (("NdPr oxide", 60), ("Dy oxide", 10), ("Tb oxide", 3))
    for a, b in (("Japan", "USA"), ("USA", "Japan"))
]

INVESTMENTS = [
    dict(project="US heavy RE separation line", supplier="US heavy RE separation",
         capex=1_500_000, max_capacity=5, first_period="2029-01",
         notes="S: US-Japan project financing within six months of Oct 2025; A: cost and size "
               "(USD per t/month of capacity)"),
]

EVENTS = [
    dict(event="China Dy licence squeeze", target_type="processing_country", target="China",
         commodity="Dy oxide", capacity_factor=0.1, probability_per_year=0.3, min_duration=3,
         max_duration=9, notes="S: April 2025 licences cut Dy exports ~95%; A: chance, "
                               "duration"),
    dict(event="China Tb licence squeeze", target_type="processing_country", target="China",
         commodity="Tb oxide", capacity_factor=0.1, probability_per_year=0.3, min_duration=3,
         max_duration=9, notes="S: the same licences cover Tb; A: drawn independently of Dy"),
    dict(event="Hormuz closure", target_type="chokepoint", target="Hormuz",
         capacity_factor=0, probability_per_year=0.05, min_duration=1, max_duration=3,
         notes="S: a closure in March 2026; A: chance and duration"),
    dict(event="Panama drought", target_type="chokepoint", target="Panama",
         capacity_factor=0.5, cost_factor=1.2, probability_per_year=0.2, min_duration=3,
         max_duration=9, notes="S: 2023-24 drought halved slots; A: chance"),
    dict(event="Sakhalin-2 halt", target_type="supplier", target="Sakhalin-2",
         capacity_factor=0, probability_per_year=0.1, min_duration=6, max_duration=12,
         notes="A: sanctions risk, months"),
]

CONTRACTS = [
    dict(contract="Qatar SPA", supplier="Qatar and UAE LNG", acq=3_600, take_or_pay=0.9,
         flex_up=0.1, make_up_years=1, first_period="2026-04",
         notes="A: a long-term SPA of ~3.6 Mt/yr (~90% of Qatar's and the UAE's sales to Japan, "
               "S: ~4 Mt/yr), 90% take-or-pay, 10% upward flex and one make-up year as is usual "
               "in Japanese SPAs; begun April 2026 (A), so its contract years run April-March"),
    dict(contract="Alaska LNG option", supplier="Alaska LNG", acq=1_500, take_or_pay=0.9,
         flex_up=0.1, make_up_years=1, first_period="2030-01", option_fee=5_000_000,
         notes="S: JERA and Tokyo Gas signed letters of intent for ~1 Mtpa each; A: 1.5 Mt/yr, "
               "90% take-or-pay, a 5 million USD fee to sign now (all assumed)"),
]

SWEEP = [dict(limit="NdPr FEOC processing", max_share=s, notes="trade-off curve")
         for s in (1.0, 0.8, 0.65, 0.5, 0.4, 0.3)]


def example_rows() -> dict[str, list[dict[str, object]]]:
    """The example's rows, sheet by sheet."""
    return {
        "Commodities": COMMODITIES, "Demand": DEMAND, "Stockpiles": STOCKPILES,
        "Suppliers": SUPPLIERS, "SupplierPeriods": SUPPLIER_PERIODS, "Routes": ROUTES,
        "Pipeline": PIPELINE, "Groups": GROUPS, "Concentration": CONCENTRATION,
        "Scenarios": SCENARIOS,
        "Disruptions": DISRUPTIONS, "Transfers": TRANSFERS, "Investments": INVESTMENTS,
        "Contracts": CONTRACTS, "Sweep": SWEEP, "Events": EVENTS,
    }


def write_example(path: Path = EXAMPLE) -> Path:
    """Write the example workbook to `path`."""
    return write_input_workbook(path, example_rows(), SETTINGS)


if __name__ == "__main__":
    print(f"wrote {write_example(Path(sys.argv[1]) if len(sys.argv) > 1 else EXAMPLE)}")
