"""Synthetic national plans of a chosen size, written as real input workbooks.

Sizes (monthly): medium ~50k LP variables, large ~250k+ with ten disruption scenarios. The
shape is the shipped example's, scaled: many commodities, regions and supplier-routes, a decade
of months, disruptions that open a scenario tree.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

COUNTRIES = ["China", "Australia", "USA", "Malaysia", "Vietnam", "Brazil", "Canada", "India",
             "Myanmar", "Russia", "Qatar", "Norway"]
CHOKEPOINTS = ["Malacca", "Hormuz", "Panama", "Suez", "South China Sea"]


@dataclass(frozen=True)
class Size:
    """How big a synthetic plan is."""

    commodities: int
    regions: int
    suppliers_per_commodity: int
    periods: int
    scenarios: int


SIZES = {
    "medium": Size(commodities=8, regions=3, suppliers_per_commodity=7, periods=60, scenarios=4),
    "large": Size(commodities=12, regions=4, suppliers_per_commodity=6, periods=120,
                  scenarios=7),
    "xl": Size(commodities=14, regions=4, suppliers_per_commodity=10, periods=120,
               scenarios=9),
    "xxl": Size(commodities=18, regions=5, suppliers_per_commodity=12, periods=120,
                scenarios=12),
    # The national plan of issue 9: 10 commodities, 200 suppliers, 400 routes, 6 scenarios,
    # 120 months.
    "national": Size(commodities=10, regions=2, suppliers_per_commodity=20, periods=120,
                     scenarios=6),
}


def _year_month(start_year: int, t: int) -> str:
    return f"{start_year + (t - 1) // 12}-{(t - 1) % 12 + 1:02d}"


def synthetic_sheets(size: Size, seed: int = 7) -> dict[str, list[list]]:
    """The sheets of a synthetic workbook, as lists of rows (header first)."""
    rng = random.Random(seed)
    commodities = [f"material {i + 1}" for i in range(size.commodities)]
    regions = [f"region {chr(65 + i)}" for i in range(size.regions)]
    sheets: dict[str, list[list]] = {
        "Settings": [["setting", "value"], ["start_period", "2030-01"],
                     ["periods", size.periods], ["discount_rate", 0.04],
                     ["time_limit_seconds", 3600]],
        "Commodities": [["commodity", "unit", "shortage_penalty", "target_penalty"]],
        "Demand": [["commodity", "region", "period", "demand"]],
        "Stockpiles": [["commodity", "region", "initial_stock", "capacity", "target_days",
                        "holding_cost"]],
        "Suppliers": [["supplier", "commodity", "origin_country", "processing_country",
                       "capacity", "unit_cost", "min_take"]],
        "Routes": [["route", "supplier", "region", "lead_time_days", "freight_cost",
                    "capacity", "chokepoints"]],
        "Groups": [["country", "group"], ["China", "FEOC"], ["Russia", "FEOC"],
                   ["Myanmar", "FEOC"]],
        "Concentration": [["limit", "commodity", "region", "attribute", "value", "max_share",
                           "basis", "scenarios"],
                          ["FEOC processing", "*", "*", "processing_group", "FEOC", 0.6,
                           "horizon", "base"],
                          ["one origin", "*", "*", "origin_country", "*", 0.7, "period",
                           "*"]],
        "Scenarios": [["scenario", "probability"]],
        "Disruptions": [["scenario", "target_type", "target", "start_period", "end_period",
                         "capacity_factor", "cost_factor"]],
        "Transfers": [["commodity", "from_region", "to_region", "lead_time_days", "cost",
                       "capacity"]],
        "Sweep": [["limit", "max_share"]] + [["FEOC processing", s / 10] for s in range(10, 0, -1)],
    }
    for k in commodities:
        price = rng.uniform(50, 500)
        sheets["Commodities"].append([k, "t", price * 8, price * 0.05])
        for g in regions:
            demand = rng.uniform(50, 400)
            sheets["Demand"].append([k, g, None, round(demand, 1)])
            sheets["Stockpiles"].append([k, g, round(demand, 1), round(demand * 6, 1), 60,
                                         round(price * 0.01, 3)])
        total = sum(row[3] for row in sheets["Demand"][1:] if row[0] == k)
        for i in range(size.suppliers_per_commodity):
            name = f"{k} supplier {i + 1}"
            origin = rng.choice(COUNTRIES)
            processing = rng.choice([origin, "China", "Malaysia", origin])
            capacity = round(total * rng.uniform(0.2, 0.5), 1)
            sheets["Suppliers"].append([name, k, origin, processing, capacity,
                                        round(price * rng.uniform(0.8, 1.4), 2),
                                        round(capacity * 0.1, 1) if i == 0 else 0])
            for g in regions:
                points = "; ".join(rng.sample(CHOKEPOINTS, rng.randint(0, 2))) or None
                sheets["Routes"].append([f"{name} to {g}", name, g, rng.choice([5, 20, 35, 60]),
                                         round(price * 0.03, 2),
                                         round(capacity * 0.8, 1) if rng.random() < 0.3 else
                                         None, points])
        for a in regions:
            for b in regions:
                if a != b:
                    sheets["Transfers"].append([k, a, b, 30, round(price * 0.02, 2), None])
    share = 0.5 / size.scenarios
    sheets["Scenarios"].append(["base", 1 - share * (size.scenarios - 1)])
    for w in range(1, size.scenarios):
        name = f"disruption {w}"
        sheets["Scenarios"].append([name, share])
        start = rng.randint(size.periods // 4, 3 * size.periods // 4)
        end = min(size.periods, start + rng.randint(2, 12))
        kind, target = rng.choice([("processing_country", "China"), ("chokepoint", "Hormuz"),
                                   ("chokepoint", "Malacca"), ("origin_country", "Australia"),
                                   ("processing_country", "Malaysia")])
        sheets["Disruptions"].append([name, kind, target, _year_month(2030, start),
                                      _year_month(2030, end), rng.choice([0.0, 0.3, 0.5]),
                                      rng.choice([1.0, 1.5])])
    return sheets


EVENTS = [["event", "target_type", "target", "capacity_factor", "cost_factor",
           "probability_per_year", "min_duration", "max_duration"],
          ["China curb", "processing_country", "China", 0.3, None, 0.2, 2, 9],
          ["Hormuz closure", "chokepoint", "Hormuz", 0, None, 0.05, 1, 3],
          ["Malacca disruption", "chokepoint", "Malacca", 0.5, 1.3, 0.1, 1, 4],
          ["Australian strike", "origin_country", "Australia", 0.5, None, 0.1, 1, 3]]


def write_synthetic(path: Path, size_name: str, seed: int = 7, events: bool = False) -> Path:
    """Write a synthetic workbook of the named size (with an Events sheet if asked)."""
    wb = Workbook()
    wb.remove(wb.active)
    sheets = synthetic_sheets(SIZES[size_name], seed)
    if events:
        sheets["Events"] = EVENTS
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_demand_rows(path: Path, count: int, seed: int = 7) -> Path:
    """A workbook whose Demand sheet has `count` dated rows (to time reading and validating
    large sheets); the rest is a minimal valid plan."""
    rng = random.Random(seed)
    commodities, regions = 10, 20
    periods = -(-count // (commodities * regions))
    wb = Workbook(write_only=True)
    sheets = {
        "Settings": [["setting", "value"], ["start_period", "2030-01"], ["periods", periods]],
        "Commodities": [["commodity", "unit", "shortage_penalty"]]
        + [[f"material {k}", "t", 1000] for k in range(commodities)],
        "Suppliers": [["supplier", "commodity", "origin_country", "capacity", "unit_cost"]]
        + [[f"supplier {k}", f"material {k}", "Australia", 500, 10] for k in range(commodities)],
        "Routes": [["route", "supplier", "region"]]
        + [[f"route {k}", f"supplier {k}", "region 0"] for k in range(commodities)],
    }
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    ws = wb.create_sheet("Demand")
    ws.append(["commodity", "region", "period", "demand"])
    written = 0
    for t in range(periods):
        label = _year_month(2030, t + 1)
        for k in range(commodities):
            for g in range(regions):
                if written == count:
                    break
                ws.append([f"material {k}", f"region {g}", label, round(rng.uniform(1, 50), 2)])
                written += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
