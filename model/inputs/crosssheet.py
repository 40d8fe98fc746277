"""Checks that look across sheets once every sheet is read: legal but suspicious plans get a
warning (a supplier without a route, a limit no supply can meet, names that differ only by
case), a few impossible combinations an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from model.domain.data import Limit, PlanData
from model.domain.semantics import limit_commodities, limit_scope, values_of
from model.domain.tolerances import ROUND_OFF
from model.inputs.cells import INVALID, Collector, Row, close_name, fold_name, visible

COEFFICIENT_RANGE_WARNING = 1e8


def check_take_or_pay_routes(plan: PlanData, issues: Collector) -> None:
    """A take-or-pay supplier without any route has no obligation it could meet (model.md,
    constraint 4): warn, since the contract is then ignored."""
    routed = {r.supplier for r in plan.routes.values()}
    for supplier in plan.suppliers.values():
        if supplier.min_take > 0 and supplier.name not in routed:
            issues.note("Suppliers", supplier.row, "min_take",
                        f'"{supplier.name}" has take-or-pay ({supplier.min_take:g} a period) '
                        "but no route in Routes, so nothing can be delivered and the obligation "
                        "is ignored; add a route", "warning")


def check_coverage(plan: PlanData, issues: Collector) -> None:
    """Legal but suspicious: suppliers without routes, commodities without suppliers, demand
    without a stockpile row, routes into a region that has no use for their commodity."""
    routed = {r.supplier for r in plan.routes.values()}
    for supplier in plan.suppliers.values():
        if supplier.name not in routed and supplier.min_take <= 0:
            issues.note("Suppliers", supplier.row, "supplier",
                        f'"{supplier.name}" has no route in Routes, so it cannot deliver '
                        "anywhere", "warning")
    supplied = {s.commodity for s in plan.suppliers.values()}
    for commodity in plan.commodities.values():
        if commodity.name not in supplied:
            issues.note("Commodities", commodity.row, "commodity",
                        f'"{commodity.name}" has no supplier in Suppliers; all its demand '
                        "beyond stock goes unmet", "warning")
    delivered = {(plan.commodity_of(r), r.region) for r in plan.routes.values()}
    delivered |= {(f.commodity, f.to_region) for f in plan.transfers}
    served = sorted({g for _, g in delivered})
    for (k, g), rows in plan.demand_rows.items():
        if not any(plan.demand.get((k, g), ())):
            continue
        row = next((r for r in rows if r is not None), None)
        if (k, g) not in delivered:
            near = close_name(g, [r for r in served if r != g])
            if near is not None:
                issues.error("Demand", row, "region", visible(g),
                             f'a region that goods reach: did you mean "{visible(near)}"? As '
                             f"written no route in Routes delivers {k} to {visible(g)}, so "
                             "all its demand would go unmet")
                continue
            stock = plan.stockpiles.get((k, g))
            held = "" if stock is None or stock.initial_stock <= 0 else \
                f" beyond its initial stock of {stock.initial_stock:g}"
            issues.note("Demand", row, "region",
                        f"{k} in {visible(g)} has demand, but no route in Routes delivers {k} to "
                        f"{visible(g)} (and no transfer lane brings it), so all its demand"
                        f"{held} goes unmet: add a route with region {visible(g)} from a "
                        f"supplier of {k}", "warning")
        elif (k, g) not in plan.stockpiles:
            issues.note("Demand", row, "region",
                        f"{k} in {g} has demand but no Stockpiles row, so no stock can be "
                        "held there (capacity 0)", "warning")
    lanes_out = {(f.commodity, f.from_region) for f in plan.transfers}
    for route in plan.routes.values():
        k, g = plan.commodity_of(route), route.region
        stock = plan.stockpiles.get((k, g))
        wanted = stock is not None and (stock.end_stock > 0 or stock.target_stock > 0
                                        or stock.terminal_value > 0)
        if not any(plan.demand_of(k, g)) and (k, g) not in lanes_out and not wanted:
            issues.note("Routes", route.row, "region",
                        f'route "{route.name}" delivers {k} to {g}, which has no demand for '
                        "it, no transfer lane onward and no stock wanted there", "warning")


def check_targets_within_capacity(plan: PlanData, issues: Collector) -> None:
    """A days-of-cover target above the stockpile's capacity can never be met: warn."""
    dpp = plan.settings.calendar.days_per_period
    for (k, g), stock in plan.stockpiles.items():
        if stock.capacity is None or not stock.target_days:
            continue
        peak = max(plan.demand_of(k, g), default=0.0) * stock.target_days / dpp
        if peak > stock.capacity + ROUND_OFF:
            issues.note("Stockpiles", stock.row, "target_days",
                        f"{stock.target_days:g} days of {k} demand in {g} is up to {peak:,.6g} "
                        f"units, above the capacity {stock.capacity:g}; the stockpile will sit "
                        "below its target", "warning")


def check_limits_satisfiable(plan: PlanData, issues: Collector) -> None:
    """Per commodity of a limit's expansion: a cap that every open route in scope has can only
    be met by buying nothing in scope (for `value = *`, a value every open route shares); a
    floor on a value no route in scope has, likewise; a 0% cap on every value forbids all
    supply."""
    for limit in plan.limits.values():
        if limit.value == "*" and limit.max_share == 0 and limit.attribute not in (
                "chokepoint", "origin_group", "processing_group"):
            issues.note("Concentration", limit.row, "max_share",
                        f'"{limit.name}" caps every {limit.attribute.replace("_", " ")} at '
                        "0%, which forbids all supply in its scope", "warning")
            continue
        for k in limit_commodities(plan, limit):
            scope = limit_scope(plan, limit, k)
            if not scope:
                continue
            has = {r.name: set(values_of(plan, r, limit.attribute)) for r in scope}
            if limit.value != "*" and limit.min_share and not any(
                    limit.value in values for values in has.values()):
                issues.note("Concentration", limit.row, "min_share",
                            f'"{limit.name}": no route of {k} in its scope has '
                            f"{limit.attribute.replace('_', ' ')} {limit.value}, so the floor "
                            "can only be met by buying nothing in scope", "warning")
                continue
            if limit.max_share is None or limit.max_share >= 1.0:
                continue
            blocked = _blocked(plan, limit, scope, has)
            if blocked is not None:
                value, when = blocked
                issues.note("Concentration", limit.row, "max_share",
                            f'"{limit.name}" cannot be met by any supply of {k} in {when}: '
                            f"every open route in its scope has {limit.attribute} {value}, so "
                            "the limit allows buying none of them", "warning")


def _blocked(plan: PlanData, limit: Limit, scope: list, has: dict[str, set[str]]
             ) -> tuple[str, str] | None:
    """(value, when) if in some period (basis `period`), or over the whole horizon (any other
    basis, whose windows may move purchases between periods), every open route in scope has
    the capped value; None otherwise."""
    calendar = plan.settings.calendar
    periods = range(1, plan.settings.periods + 1)

    def capped(routes: list) -> str | None:
        if not routes:
            return None
        common = set.intersection(*(has[r.name] for r in routes))
        if limit.value != "*":
            return limit.value if limit.value in common else None
        return min(common) if common else None

    def open_in(t: int) -> list:
        return [r for r in scope if plan.suppliers[r.supplier].capacity_per_period[t - 1] > 0]

    if limit.basis == "period":
        for t in periods:
            value = capped(open_in(t))
            if value is not None:
                return value, calendar.label(t)
        return None
    ever_open = [r for r in scope if any(c > 0 for c in
                                         plan.suppliers[r.supplier].capacity_per_period)]
    value = capped(ever_open)
    if value is None:
        return None
    return value, f"{calendar.label(1)} to {calendar.label(plan.settings.periods)}"


def check_coefficient_ranges(plan: PlanData, issues: Collector) -> None:
    """Warn when money or quantities span more than 1e8: LP solvers lose accuracy there."""
    costs = [c.shortage_penalty for c in plan.commodities.values()]
    costs += [c for s in plan.suppliers.values() for c in s.unit_cost_per_period if c > 0]
    costs += [r.freight_cost for r in plan.routes.values() if r.freight_cost > 0]
    quantities = [d for v in plan.demand.values() for d in v if d > 0]
    quantities += [c for s in plan.suppliers.values() for c in s.capacity_per_period if c > 0]
    for label, values, unit in (("costs", costs, plan.settings.currency),
                                ("quantities", quantities, "units")):
        if values and min(values) > 0 and max(values) / min(values) > COEFFICIENT_RANGE_WARNING:
            issues.note("Workbook", None, None,
                        f"{label} range from {min(values):g} to {max(values):g} {unit}, a ratio "
                        "above 1e8; the solver may lose accuracy: express them in larger or "
                        "smaller units", "warning")


@dataclass(frozen=True)
class Spelling:
    """One place a name is written: its namespace, sheet, Excel row and column."""

    kind: str
    value: str
    sheet: str
    row: int
    column: str


COUNTRY_ATTRIBUTES = {"origin_country": "country", "processing_country": "country",
                      "origin_group": "group", "processing_group": "group",
                      "chokepoint": "chokepoint"}


def spellings(rows: dict[str, list[Row]]) -> Iterable[Spelling]:
    """Every name the workbook defines or uses as free text, by namespace."""
    simple = {"Demand": [("region", "region")], "Suppliers": [
        ("supplier", "supplier"), ("origin_country", "country"),
        ("processing_country", "country")], "Commodities": [("commodity", "commodity")],
        "Routes": [("route", "route")], "Groups": [("country", "country"), ("group", "group")],
        "Scenarios": [("scenario", "scenario")]}
    for sheet, columns in simple.items():
        for row in rows.get(sheet, []):
            for column, kind in columns:
                value = row[column]
                if isinstance(value, str) and value is not INVALID:
                    yield Spelling(kind, value, row.title, row.excel_row, row.header(column))
    for row in rows.get("Routes", []):
        if row.ok("chokepoints"):
            for point in row["chokepoints"] or ():
                yield Spelling("chokepoint", point, row.title, row.excel_row,
                               row.header("chokepoints"))
    for row in rows.get("Concentration", []):
        kind = COUNTRY_ATTRIBUTES.get(row["attribute"]) if row.ok("attribute") else None
        if kind and row.ok("value") and row["value"] != "*":
            yield Spelling(kind, row["value"], row.title, row.excel_row, row.header("value"))
    for sheet in ("Disruptions", "Events"):
        for row in rows.get(sheet, []):
            kind = {"origin_country": "country", "processing_country": "country",
                    "chokepoint": "chokepoint"}.get(row["target_type"]) \
                if row.ok("target_type") else None
            if kind and row.ok("target"):
                yield Spelling(kind, row["target"], row.title, row.excel_row,
                               row.header("target"))


def check_name_spellings(rows: dict[str, list[Row]], issues: Collector) -> None:
    """Names that differ only by case, spacing or look-alike letters make a second region,
    double a supplier or void a limit without a word: warn, naming both rows."""
    first: dict[tuple[str, str], Spelling] = {}
    reported: set[tuple[str, str, str]] = set()
    for place in spellings(rows):
        key = (place.kind, fold_name(place.value))
        seen = first.setdefault(key, place)
        if seen.value == place.value:
            continue
        pair = (place.kind, *sorted((seen.value, place.value)))
        if pair in reported:
            continue
        reported.add(pair)
        issues.warn(place.sheet, place.row, place.column, place.value,
                    f'the same {place.kind} as "{seen.value}" ({seen.sheet} row {seen.row}): '
                    f'did you mean "{seen.value}"? The two differ only in case, spacing or '
                    f"look-alike letters, so they are read as two different {place.kind} "
                    "names")
