"""What each scenario changes against the reference scenario (`base`, else the most likely):
cost by part, shortfall by commodity, the suppliers and routes that gain or lose volume, and the
stock at its lowest. Pure pandas on a `PlanResult`'s tables and the plan data; no solver.

Every change is the scenario's figure minus the reference scenario's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.domain.data import PlanData
from model.domain.tolerances import NOTHING
from model.formulation.costs import COST_PARTS
from model.results.extract import PlanResult
from model.results.tables import (
    SCENARIO_COSTS,
    SCENARIO_LOWEST,
    SCENARIO_SHORTFALL,
    SCENARIO_VOLUMES,
)

# A change smaller than this (relative to the larger of the two figures, at least NOTHING
# units) is rounding, not a change.
RELATIVE_NOISE = 1e-7
ABSOLUTE_NOISE = NOTHING


def reference_scenario(plan: PlanData) -> str:
    """`base` if the workbook has it; for futures sampled from the Events sheet the calm
    future (no event within the horizon), else the most probable path of the tree; else the
    most likely scenario (the first of equals)."""
    if "base" in plan.scenarios:
        return "base"
    if plan.settings.sample_scenarios > 0:
        return _calm_or_most_probable(plan)[0]
    return max(plan.scenarios.values(), key=lambda s: s.probability).name


def reference_label(plan: PlanData) -> str:
    """The reference scenario as sheets name it: `future 7 (the calm future: no event in the
    horizon)`, `future 3 (the most probable path: ...)`, or its plain name."""
    name = reference_scenario(plan)
    if plan.settings.sample_scenarios > 0 and name != "base":
        calm = _calm_or_most_probable(plan)[1]
        return (f"{name} (the calm future: no event in the horizon)" if calm else
                f"{name} (the most probable path: no sampled future is calm)")
    return name


def _calm_or_most_probable(plan: PlanData) -> tuple[str, bool]:
    """(scenario, whether it is calm): the first future without a disruption row, else the
    path that follows, period by period, the most probable group of futures still alike."""
    touched = {d.scenario for d in plan.disruptions}
    for name in plan.scenarios:
        if name not in touched:
            return name, True
    by_scenario: dict[str, list] = {}
    for d in plan.disruptions:
        by_scenario.setdefault(d.scenario, []).append(d)
    candidates = list(plan.scenarios)
    for t in range(1, plan.settings.periods + 1):
        groups: dict[tuple, list[str]] = {}
        for w in candidates:
            active = tuple(sorted(
                (d.target_type, d.target, d.capacity_factor, d.cost_factor, d.demand_factor,
                 d.commodity or "") for d in by_scenario.get(w, []) if d.start <= t <= d.end))
            groups.setdefault(active, []).append(w)
        candidates = max(groups.values(), key=lambda group: (
            sum(plan.scenarios[w].probability for w in group), len(group)))
    return candidates[0], False


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
    """Each scenario's cost and shortfall, with the change of the total (`cost_change`) and of
    each cost part (the part's column) against the reference scenario; the reference's own
    row first, its changes zero."""
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
        columns[part] = (rows[part] - base[part]).to_numpy()
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
    """Orders over the horizon, one row per scenario and one column per route (every scenario
    and route of the plan, zeros where nothing is ordered)."""
    orders = result.orders
    table = (orders.pivot_table(index="scenario", columns="route", values="quantity",
                                aggfunc="sum", fill_value=0.0)
             if len(orders) else pd.DataFrame(dtype=float))
    return table.reindex(index=list(plan.scenarios), columns=list(plan.routes),
                         fill_value=0.0).astype(float)


def scenario_volumes(result: PlanResult, plan: PlanData, reference: str) -> pd.DataFrame:
    """Routes whose volume in a scenario differs from the reference, per scenario and
    commodity, the biggest change (gain or loss) first."""
    volumes = route_volumes(result, plan)
    others = [s for s in plan.scenarios if s != reference]
    if not others or not len(volumes.columns):
        return SCENARIO_VOLUMES.frame([])
    mine = volumes.loc[others]
    theirs = volumes.loc[[reference] * len(others)].set_axis(others)
    changed = pd.DataFrame(_changed(mine, theirs), index=others, columns=volumes.columns)
    found = changed.stack()
    found = found[found].index
    if not len(found):
        return SCENARIO_VOLUMES.frame([])
    scenarios = found.get_level_values(0)
    routes = found.get_level_values(1)
    quantity = np.array([mine.at[w, r] for w, r in found])
    reference_quantity = volumes.loc[reference, routes].to_numpy()
    suppliers = [plan.routes[r].supplier for r in routes]
    commodities = [plan.suppliers[x].commodity for x in suppliers]
    change = quantity - reference_quantity
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(reference_quantity > ABSOLUTE_NOISE, change / reference_quantity,
                         np.nan)
    table = SCENARIO_VOLUMES.frame(
        scenario=list(scenarios), commodity=commodities, supplier=suppliers, route=list(routes),
        processing_country=[plan.suppliers[x].processing_country for x in suppliers],
        unit=[plan.commodities[k].unit for k in commodities], quantity=quantity,
        reference_quantity=reference_quantity, change=change, change_share=share)
    scenario_order = {w: i for i, w in enumerate(plan.scenarios)}
    commodity_order = {k: i for i, k in enumerate(plan.commodities)}
    order = np.lexsort((-np.abs(change), table["commodity"].map(commodity_order).to_numpy(),
                        table["scenario"].map(scenario_order).to_numpy()))
    return table.iloc[order].reset_index(drop=True)


def scenario_lowest(result: PlanResult, plan: PlanData, reference: str) -> pd.DataFrame:
    """Stock at its lowest per commodity and region in each other scenario, when it first
    gets there and in how many periods it is empty, against the reference; pairs that never
    hold stock in either are left out."""
    stock = result.stockpile
    if not len(stock):
        return SCENARIO_LOWEST.frame([])
    keys = ["scenario", "commodity", "region"]
    groups = stock.groupby(keys, sort=False)
    at = stock.loc[groups["closing"].idxmin().to_numpy()]
    per = pd.DataFrame({
        "lowest": at["closing"].to_numpy(), "period": at["period"].to_numpy(),
        "days": at["days_of_cover"].to_numpy(),
        "highest": groups["closing"].max().to_numpy(),
        "empty": (stock["closing"] <= ABSOLUTE_NOISE).groupby(
            [stock[k] for k in keys], sort=False).sum().to_numpy()},
        index=pd.MultiIndex.from_frame(at[keys]))
    ref = per.xs(reference, level="scenario")
    mine = per.drop(index=reference, level="scenario")
    if not len(mine):
        return SCENARIO_LOWEST.frame([])
    pairs = mine.index.droplevel("scenario")
    theirs = ref.reindex(pairs)
    keep = (np.maximum(mine["highest"].to_numpy(), theirs["highest"].fillna(0).to_numpy())
            > ABSOLUTE_NOISE) & theirs["lowest"].notna().to_numpy()
    mine, theirs = mine[keep], theirs[keep]
    commodities = mine.index.get_level_values("commodity")
    table = SCENARIO_LOWEST.frame(
        scenario=list(mine.index.get_level_values("scenario")), commodity=list(commodities),
        region=list(mine.index.get_level_values("region")),
        unit=[plan.commodities[k].unit for k in commodities],
        lowest_stock=mine["lowest"].to_numpy(), period=mine["period"].to_numpy(),
        days_of_cover=mine["days"].to_numpy(dtype=float),
        periods_empty=mine["empty"].to_numpy(dtype=int),
        reference_lowest=theirs["lowest"].to_numpy(),
        reference_period=theirs["period"].to_numpy(),
        reference_periods_empty=theirs["empty"].to_numpy(dtype=int),
        change=mine["lowest"].to_numpy() - theirs["lowest"].to_numpy())
    order = {w: i for i, w in enumerate(plan.scenarios)}
    return table.sort_values("scenario", key=lambda c: c.map(order), kind="stable") \
        .reset_index(drop=True)


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
    country = {name: plan.suppliers[route.supplier].processing_country
               for name, route in plan.routes.items()
               if plan.suppliers[route.supplier].commodity == commodity}
    others = [s for s in plan.scenarios if s != reference]
    totals = volumes[list(country)].T.groupby(pd.Series(country), sort=False).sum().T
    mine = totals.loc[others]
    theirs = totals.loc[[reference] * len(others)].set_axis(others)
    table = (mine - theirs).where(_changed(mine, theirs), 0.0)
    table.index.name = "scenario"
    table.columns.name = None
    return table.loc[:, (table.abs() > 0).any(axis=0)]
