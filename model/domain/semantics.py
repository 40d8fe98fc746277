"""What the rows of a workbook mean for the model: the one home of the rules that the validator,
the formulation, the diagnosis and the reports all need.

- which values a route "has" for a concentration attribute (model.md, constraint 8);
- which routes a limit's scope holds, and the values a `*` limit expands to;
- the windows of periods a limit's basis makes;
- which suppliers, routes and demands a disruption row hits (model.md, "Scenario data").
"""

from __future__ import annotations

from collections.abc import Iterable

from model.domain.data import Disruption, EventKind, Limit, PlanData, Route, Supplier
from model.domain.periods import year_blocks

SUPPLIER_SIDE = ("supplier", "origin_country", "processing_country")
ROUTE_SIDE = ("route", "chokepoint")


def route_values(route: Route, supplier: Supplier, attribute: str,
                 groups: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The values route r "has" for an attribute: through its supplier's countries or groups,
    its supplier, itself, or any of its chokepoints."""
    if attribute == "origin_country":
        return (supplier.origin_country,)
    if attribute == "processing_country":
        return (supplier.processing_country,)
    if attribute == "origin_group":
        return groups.get(supplier.origin_country, ())
    if attribute == "processing_group":
        return groups.get(supplier.processing_country, ())
    if attribute == "supplier":
        return (supplier.name,)
    if attribute == "route":
        return (route.name,)
    if attribute == "chokepoint":
        return route.chokepoints
    raise ValueError(f"unknown attribute {attribute}")


def values_of(plan: PlanData, route: Route, attribute: str) -> tuple[str, ...]:
    """route_values for a route of the plan."""
    return route_values(route, plan.suppliers[route.supplier], attribute, plan.groups)


def limit_commodities(plan: PlanData, limit: Limit) -> list[str]:
    """The commodities a limit expands to: its own, or each one for `*`."""
    return list(plan.commodities) if limit.commodity == "*" else [limit.commodity]


def limit_scope(plan: PlanData, limit: Limit, commodity: str) -> list[Route]:
    """Routes of `commodity` into the limit's region (into any region for `*`)."""
    return [r for r in plan.routes.values()
            if plan.commodity_of(r) == commodity
            and (limit.region == "*" or r.region == limit.region)]


def limit_expansion(plan: PlanData, limit: Limit, commodity: str
                    ) -> list[tuple[str, list[Route], list[Route]]]:
    """(value, routes that have it, whole scope) for each value of the limit's expansion.

    `*` expands to the values the routes in scope have. A named value that no route in scope
    has still comes back with no routes: as a cap it holds trivially, as a floor it allows no
    supply in scope at all (the validator warns about it).
    """
    scope = limit_scope(plan, limit, commodity)
    if not scope:
        return []
    has = {r.name: values_of(plan, r, limit.attribute) for r in scope}
    if limit.value == "*":
        values = list(dict.fromkeys(v for r in scope for v in has[r.name]))
    else:
        values = [limit.value]
    return [(value, [r for r in scope if value in has[r.name]], scope) for value in values]


def windows(basis: str, periods: int, periods_per_year: int,
            rolling_periods: int | None = None) -> list[tuple[int, ...]]:
    """The windows of plan periods a limit's basis makes (model.md, constraint 8).

    `period`: each period; `year`: each block of ppy periods from period 1 (the last may be
    shorter); `rolling n`: every run of n consecutive periods inside the horizon (one window,
    the horizon, when n >= N); `horizon`: all periods.
    """
    every = range(1, periods + 1)
    if basis == "period":
        return [(t,) for t in every]
    if basis == "year":
        return [tuple(block) for block in year_blocks(periods, periods_per_year)]
    if basis == "rolling":
        n = int(rolling_periods or 1)
        if n >= periods:
            return [tuple(every)]
        return [tuple(range(t, t + n)) for t in range(1, periods - n + 2)]
    if basis == "horizon":
        return [tuple(every)]
    raise ValueError(f"unknown basis {basis}")


Hit = Disruption | EventKind


def hits_supplier(row: Hit, supplier: Supplier) -> bool:
    """Whether a supplier-side row names the supplier, its origin or its processing country
    (and, with a `commodity`, only suppliers of that commodity)."""
    if row.commodity is not None and supplier.commodity != row.commodity:
        return False
    kind = row.target_type
    return ((kind == "supplier" and row.target == supplier.name)
            or (kind == "origin_country" and row.target == supplier.origin_country)
            or (kind == "processing_country" and row.target == supplier.processing_country))


def hits_route(row: Hit, route: Route, commodity: str) -> bool:
    """Whether a route-side row names the route or one of its chokepoints (and, with a
    `commodity`, only routes of that commodity)."""
    if row.commodity is not None and commodity != row.commodity:
        return False
    kind = row.target_type
    return ((kind == "route" and row.target == route.name)
            or (kind == "chokepoint" and row.target in route.chokepoints))


def demand_target(row: Hit) -> tuple[str, str | None]:
    """(commodity, region or None for every region) of a `demand` row (`k` or `k@g`)."""
    commodity, _, region = row.target.partition("@")
    return commodity.strip(), (region.strip() or None)


def hits_demand(row: Hit, commodity: str, region: str) -> bool:
    """Whether a `demand` row names commodity k (or k@g)."""
    if row.target_type != "demand":
        return False
    k, g = demand_target(row)
    return k == commodity and (g is None or g == region)


def suppliers_hit(plan: PlanData, row: Hit) -> list[str]:
    """Names of the suppliers a supplier-side row hits."""
    if row.target_type not in SUPPLIER_SIDE:
        return []
    return [s.name for s in plan.suppliers.values() if hits_supplier(row, s)]


def routes_hit(plan: PlanData, row: Hit) -> list[str]:
    """Names of the routes a route-side row hits."""
    if row.target_type not in ROUTE_SIDE:
        return []
    return [r.name for r in plan.routes.values() if hits_route(row, r, plan.commodity_of(r))]


def active(rows: Iterable[Disruption], scenarios: set[str], t: int) -> list[Disruption]:
    """Disruption rows of these scenarios active in period t."""
    return [d for d in rows if d.scenario in scenarios and d.start <= t <= d.end]
