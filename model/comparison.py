"""What each scenario changes against the reference scenario (`base`, else the most likely):
cost by part, shortfall by commodity, the suppliers and routes that gain or lose volume, and the
stock at its lowest. Pure pandas on a `PlanResult`'s tables and the plan data; no solver.

Every change is the scenario's figure minus the reference scenario's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .data import PlanData
from .formulation.costs import COST_PARTS
from .results import PlanResult
from .tables import SCENARIO_COSTS, SCENARIO_LOWEST, SCENARIO_SHORTFALL, SCENARIO_VOLUMES

# A change smaller than this (relative to the larger of the two figures, at least 1e-6 units)
# is rounding, not a change.
RELATIVE_NOISE = 1e-7
ABSOLUTE_NOISE = 1e-6


def reference_scenario(plan: PlanData) -> str:
    """`base` if the workbook has it, else the most likely scenario (the first of equals)."""
    if "base" in plan.scenarios:
        return "base"
    return max(plan.scenarios.values(), key=lambda s: s.probability).name


@dataclass
class ScenarioComparison:
    """The four tables of the Scenario comparison sheet."""

    reference: str
    costs: pd.DataFrame
    shortfall: pd.DataFrame
    volumes: pd.DataFrame
    lowest: pd.DataFrame


def _noise(a: np.ndarray | pd.Series, b: np.ndarray | pd.Series) -> np.ndarray:
    return np.maximum(ABSOLUTE_NOISE,
                      RELATIVE_NOISE * np.maximum(np.abs(np.asarray(a, dtype=float)),
                                                  np.abs(np.asarray(b, dtype=float))))


def _changed(a: np.ndarray | pd.Series, b: np.ndarray | pd.Series) -> np.ndarray:
    """Where two figures differ by more than rounding."""
    return np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float)) > _noise(a, b)


def scenario_costs(result: PlanResult, reference: str) -> pd.DataFrame:
    """Each scenario's cost and shortfall, with the change of the total and of each cost part
    against the reference scenario (the reference's own row first, its changes zero)."""
    table = result.scenarios.set_index("scenario")
    names = [reference] + [s for s in table.index if s != reference]
    base = table.loc[reference]
    rows = table.loc[names]
    columns = {"scenario": names, "probability": rows["probability"].to_numpy(),
               "cost": rows["cost"].to_numpy(),
               "cost_change": (rows["cost"] - base["cost"]).to_numpy(),
               "shortfall": rows["shortfall"].to_numpy(),
               "shortfall_change": (rows["shortfall"] - base["shortfall"]).to_numpy()}
    for part in COST_PARTS:
        columns[f"{part}_change"] = (rows[part] - base[part]).to_numpy()
    return SCENARIO_COSTS.frame(**columns)


def shortfall_by_commodity(result: PlanResult, plan: PlanData) -> pd.DataFrame:
    """Unmet demand per (scenario, commodity) over the horizon, every scenario and commodity."""
    stock = result.stockpile
    totals = (stock.groupby(["scenario", "commodity"], sort=False)["shortfall"].sum()
              if len(stock) else pd.Series(dtype=float))
    index = pd.MultiIndex.from_product([list(plan.scenarios), list(plan.commodities)],
                                       names=["scenario", "commodity"])
    return totals.reindex(index, fill_value=0.0)


def scenario_shortfall(result: PlanResult, plan: PlanData, reference: str) -> pd.DataFrame:
    """Shortfall of each commodity in each other scenario against the reference; a commodity
    short in neither is left out."""
    totals = shortfall_by_commodity(result, plan)
    records = []
    for scenario in plan.scenarios:
        if scenario == reference:
            continue
        for k, commodity in plan.commodities.items():
            mine, theirs = float(totals[(scenario, k)]), float(totals[(reference, k)])
            if max(abs(mine), abs(theirs)) > ABSOLUTE_NOISE:
                records.append((scenario, k, commodity.unit, mine, theirs, mine - theirs))
    return SCENARIO_SHORTFALL.frame(records)


def route_volumes(result: PlanResult, plan: PlanData) -> pd.DataFrame:
    """Orders over the horizon per (scenario, route), every scenario and route."""
    orders = result.orders
    totals = (orders.groupby(["scenario", "route"], sort=False)["quantity"].sum()
              if len(orders) else pd.Series(dtype=float))
    index = pd.MultiIndex.from_product([list(plan.scenarios), list(plan.routes)],
                                       names=["scenario", "route"])
    return totals.reindex(index, fill_value=0.0)


def scenario_volumes(result: PlanResult, plan: PlanData, reference: str) -> pd.DataFrame:
    """Routes whose volume in a scenario differs from the reference, per scenario and
    commodity, the biggest change (gain or loss) first."""
    volumes = route_volumes(result, plan)
    order = {k: i for i, k in enumerate(plan.commodities)}
    records = []
    for scenario in plan.scenarios:
        if scenario == reference:
            continue
        found = []
        for name, route in plan.routes.items():
            mine, theirs = float(volumes[(scenario, name)]), float(volumes[(reference, name)])
            if not _changed(mine, theirs):
                continue
            supplier = plan.suppliers[route.supplier]
            k = supplier.commodity
            found.append((scenario, k, route.supplier, name, supplier.processing_country,
                          plan.commodities[k].unit, mine, theirs, mine - theirs,
                          (mine - theirs) / theirs if theirs > ABSOLUTE_NOISE else np.nan))
        found.sort(key=lambda r: (order[r[1]], -abs(r[8])))
        records += found
    return SCENARIO_VOLUMES.frame(records)


def _lowest(stock: pd.DataFrame) -> pd.DataFrame:
    """Per (scenario, commodity, region): the lowest closing stock and its first period."""
    at = stock.groupby(["scenario", "commodity", "region"], sort=False)["closing"].idxmin()
    return stock.loc[at.to_numpy(), ["scenario", "commodity", "region", "closing", "period",
                                     "days_of_cover"]].set_index(
        ["scenario", "commodity", "region"])


def scenario_lowest(result: PlanResult, plan: PlanData, reference: str) -> pd.DataFrame:
    """Stock at its lowest per commodity and region in each other scenario, and when, against
    the reference; pairs that never hold stock in either are left out."""
    stock = result.stockpile
    if not len(stock):
        return SCENARIO_LOWEST.frame([])
    lowest = _lowest(stock)
    highest = stock.groupby(["scenario", "commodity", "region"], sort=False)["closing"].max()
    pairs = list(dict.fromkeys(zip(stock["commodity"], stock["region"], strict=True)))
    records = []
    for scenario in plan.scenarios:
        if scenario == reference:
            continue
        for k, g in pairs:
            key, ref = (scenario, k, g), (reference, k, g)
            if key not in lowest.index or ref not in lowest.index:
                continue
            if max(highest[key], highest[ref]) <= ABSOLUTE_NOISE:
                continue
            mine, theirs = lowest.loc[key], lowest.loc[ref]
            records.append((scenario, k, g, plan.commodities[k].unit, float(mine["closing"]),
                            mine["period"], float(mine["days_of_cover"]),
                            float(theirs["closing"]), theirs["period"],
                            float(mine["closing"]) - float(theirs["closing"])))
    return SCENARIO_LOWEST.frame(records)


def compare_scenarios(result: PlanResult, plan: PlanData) -> ScenarioComparison | None:
    """The Scenario comparison tables; None for a plan with one scenario."""
    if len(plan.scenarios) < 2 or len(result.scenarios) < 2:
        return None
    reference = reference_scenario(plan)
    return ScenarioComparison(
        reference=reference, costs=scenario_costs(result, reference),
        shortfall=scenario_shortfall(result, plan, reference),
        volumes=scenario_volumes(result, plan, reference),
        lowest=scenario_lowest(result, plan, reference))


def supply_change_by_country(result: PlanResult, plan: PlanData, commodity: str,
                             reference: str) -> pd.DataFrame:
    """Change of a commodity's orders over the horizon per processing country (columns) in
    each other scenario (rows) against the reference; countries that never change are left
    out, and so is the whole table (empty) when nothing changes."""
    volumes = route_volumes(result, plan)
    countries: dict[str, list[str]] = {}
    for name, route in plan.routes.items():
        supplier = plan.suppliers[route.supplier]
        if supplier.commodity == commodity:
            countries.setdefault(supplier.processing_country, []).append(name)
    others = [s for s in plan.scenarios if s != reference]
    table = pd.DataFrame(0.0, index=pd.Index(others, name="scenario"), columns=list(countries))
    for country, routes in countries.items():
        theirs = sum(float(volumes[(reference, r)]) for r in routes)
        for scenario in others:
            mine = sum(float(volumes[(scenario, r)]) for r in routes)
            table.loc[scenario, country] = mine - theirs if _changed(mine, theirs) else 0.0
    return table.loc[:, (table.abs() > 0).any(axis=0)]
