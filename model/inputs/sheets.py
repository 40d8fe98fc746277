"""One check per input sheet: typed rows in, validated records out, every problem recorded.

Each `check_<sheet>` takes the sheet's typed rows (from `cells.parse_sheet`) and the `Known`
names of the sheets read before it, and returns the sheet's records for `PlanData`. Rows with a
problem are left out of the result (their problem is already recorded), so later checks never
see a half-valid record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from model.domain.data import (
    Commodity,
    Disruption,
    EventKind,
    Limit,
    PipelineArrival,
    Project,
    Route,
    Scenario,
    Stockpile,
    Supplier,
    SweepPoint,
    Transfer,
)
from model.domain.periods import SPAN_YEAR, Calendar, Span
from model.domain.tolerances import ROUND_OFF
from model.inputs.cells import (
    INVALID,
    Collector,
    Row,
    as_typed,
    check_reference,
    check_unique,
    close_name,
    split_list,
    suggestion,
    to_plan_period,
    visible,
)

PROBABILITY_TOLERANCE = 1e-6


@dataclass
class Known:
    """Names the sheets checked so far define, for the references of later sheets."""

    calendar: Calendar | None
    commodities: dict[str, Commodity] = field(default_factory=dict)
    commodity_names: set[str] = field(default_factory=set)  # also those of rows with problems
    regions: tuple[str, ...] = ()
    supplier_names: set[str] = field(default_factory=set)
    suppliers: dict[str, Supplier] = field(default_factory=dict)
    route_names: set[str] = field(default_factory=set)
    routes: dict[str, Route] = field(default_factory=dict)
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    invested: set[str] = field(default_factory=set)

    def countries(self, kind: str) -> set[str]:
        """Origin or processing countries of the suppliers, or the routes' chokepoints."""
        if kind == "origin_country":
            return {s.origin_country for s in self.suppliers.values()}
        if kind == "processing_country":
            return {s.processing_country for s in self.suppliers.values()}
        return {c for r in self.routes.values() for c in r.chokepoints}


def check_commodities(rows: list[Row], issues: Collector) -> dict[str, Commodity]:
    """Commodities: unique names, positive shortage penalty."""
    if not rows:
        issues.note("Commodities", None, None, "at least one commodity is needed")
    result = {}
    for row in check_unique(rows, ("commodity",), issues):
        if row.ok("unit", "shortage_penalty", "target_penalty"):
            result[row["commodity"]] = Commodity(row["commodity"], row["unit"],
                                                 row["shortage_penalty"],
                                                 row["target_penalty"], row.excel_row)
    return result


DemandTable = dict[tuple[str, str], tuple[float, ...]]
DemandRows = dict[tuple[str, str], tuple[int | None, ...]]


def check_demand(rows: list[Row], known: Known, issues: Collector
                 ) -> tuple[DemandTable, tuple[str, ...], DemandRows]:
    """Demand: blank-period rows apply to every period; a year or quarter label sets every
    period inside it; dated rows override one period (the finer label wins).

    Returns demand per (commodity, region), the regions in order of appearance, and per
    (commodity, region) the Excel row that sets each period's demand.
    """
    if not rows:
        issues.note("Demand", None, None, "at least one demand row is needed (a zero row "
                    "names a region)")
    regions: dict[str, None] = {}
    for row in rows:
        if row.ok("region"):
            regions.setdefault(row["region"], None)
    unique = check_unique(rows, ("commodity", "region", "period"), issues)
    calendar = known.calendar
    if calendar is None:
        return {}, tuple(regions), {}
    n = calendar.periods
    base: dict[tuple[str, str], list[float]] = {}
    source: dict[tuple[str, str], list[int | None]] = {}
    # How coarse the row that set each period was: a finer label wins (blank < year < quarter
    # < period), whatever the order of the rows.
    level: dict[tuple[str, str], list[int]] = {}
    blank = SPAN_YEAR + 1
    for row in unique:
        if not check_reference(row, "commodity", known.commodities,
                               "commodity (Commodities sheet)", issues,
                               defined=known.commodity_names) or not row.ok("demand"):
            continue
        key = (row["commodity"], row["region"])
        base.setdefault(key, [0.0] * n)
        source.setdefault(key, [row.excel_row] * n)
        level.setdefault(key, [blank + 1] * n)
        span: Span | None = row["period"]
        if span is None:
            periods, rank = range(1, n + 1), blank
        else:
            first, last = calendar.period_of(span.first), calendar.period_of(span.last)
            if last < 1 or first > n:
                issues.error(row.title, row.excel_row, row.header("period"), row.raw("period"),
                             f"a period inside the plan's horizon {calendar.label(1)} to "
                             f"{calendar.label(n)}")
                continue
            periods, rank = range(max(first, 1), min(last, n) + 1), span.level
        for t in periods:
            if rank <= level[key][t - 1]:
                base[key][t - 1] = row["demand"]
                source[key][t - 1] = row.excel_row
                level[key][t - 1] = rank
    return ({k: tuple(v) for k, v in base.items()}, tuple(regions),
            {k: tuple(v) for k, v in source.items()})


def check_stockpiles(rows: list[Row], known: Known, issues: Collector
                     ) -> dict[tuple[str, str], Stockpile]:
    """Stockpiles: known commodity and region; initial stock within capacity (a warning: the
    first period's demand may draw the excess down); end_stock within capacity (an error: it
    could never be held)."""
    result = {}
    columns = ("initial_stock", "capacity", "target_stock", "target_days", "holding_cost",
               "end_stock", "terminal_value")
    for row in check_unique(rows, ("commodity", "region"), issues):
        ok = check_reference(row, "commodity", known.commodities, "commodity (Commodities sheet)",
                             issues, defined=known.commodity_names)
        ok &= check_reference(row, "region", known.regions,
                              "region (regions are named in Demand)", issues)
        if not (ok and row.ok(*columns)):
            continue
        capacity = row["capacity"]
        if capacity is not None and row["initial_stock"] > capacity + ROUND_OFF:
            issues.note(row.title, row.excel_row, row.header("initial_stock"),
                        f"initial stock {row['initial_stock']:g} is above the capacity "
                        f"{capacity:g}; the excess must be used in the first period",
                        "warning")
        if capacity is not None and row["end_stock"] > capacity + ROUND_OFF:
            issues.error(row.title, row.excel_row, row.header("end_stock"), row["end_stock"],
                         f"at most the capacity {capacity:g} (an end stock above it can never "
                         "be held)")
            continue
        if capacity is not None and row["target_stock"] > capacity + ROUND_OFF:
            issues.note(row.title, row.excel_row, row.header("target_stock"),
                        f"the target {row['target_stock']:g} is above the capacity "
                        f"{capacity:g}; the stockpile is always below its target", "warning")
        result[(row["commodity"], row["region"])] = Stockpile(
            row["commodity"], row["region"], row["initial_stock"], capacity,
            row["target_stock"], row["target_days"], row["holding_cost"], row["end_stock"],
            row["terminal_value"], row.excel_row)
    return result


def check_suppliers(rows: list[Row], period_rows: list[Row], known: Known,
                    issues: Collector) -> dict[str, Supplier]:
    """Suppliers with their SupplierPeriods overrides resolved into per-period paths.

    min_take above capacity is an error unless an Investments project can add capacity.
    """
    calendar = known.calendar
    result = {}
    unique = check_unique(rows, ("supplier",), issues)
    names = {row["supplier"] for row in unique}
    overrides: dict[str, list[tuple[int, Row]]] = {}
    for row in check_unique(period_rows, ("supplier", "period"), issues):
        if not check_reference(row, "supplier", names, "supplier (Suppliers sheet)", issues):
            continue
        if calendar is None or not row.ok("capacity", "unit_cost"):
            continue
        t = to_plan_period(row, "period", calendar, issues, must_be_inside=True)
        if t is not None:
            overrides.setdefault(row["supplier"], []).append((t, row))
    columns = ("origin_country", "processing_country", "capacity", "unit_cost", "min_take",
               "available_from", "available_to", "min_lot")
    for row in unique:
        ok = check_reference(row, "commodity", known.commodities, "commodity (Commodities sheet)",
                             issues, defined=known.commodity_names)
        if not (ok and row.ok(*columns)) or calendar is None:
            continue
        supplier = _supplier(row, overrides.get(row["supplier"], []), calendar,
                             row["supplier"] in known.invested, issues)
        if supplier is not None:
            result[supplier.name] = supplier
    return result


def _supplier(row: Row, overrides: list[tuple[int, Row]], calendar: Calendar, invested: bool,
              issues: Collector) -> Supplier | None:
    n = calendar.periods
    first = to_plan_period(row, "available_from", calendar, issues, must_be_inside=False)
    last = to_plan_period(row, "available_to", calendar, issues, must_be_inside=False)
    first = 1 if first is None else first
    last = max(n, first) if last is None else last  # blank: no end
    if last < first:
        issues.error(row.title, row.excel_row, row.header("available_to"), row.raw("available_to"),
                     f"a period on or after available_from ({calendar.label(first)})")
        return None
    if row["min_take"] > row["capacity"] + ROUND_OFF and not invested:
        issues.error(row.title, row.excel_row, row.header("min_take"), row["min_take"],
                     f"at most the capacity {row['capacity']:g} (take-or-pay cannot exceed "
                     "what the supplier can sell)")
        return None
    if last < 1 or first > n:
        window = (f"from {calendar.label(first)} on" if row["available_to"] is None
                  else f"{calendar.label(first)} to {calendar.label(last)}")
        issues.note(row.title, row.excel_row, row.header("available_from"),
                    f"the window {window} lies outside the plan's horizon "
                    f"{calendar.label(1)} to {calendar.label(n)}; this supplier can never "
                    "supply", "warning")
    capacity = [row["capacity"]] * n
    # An indexed supplier's price comes from its index (model.inputs.money), not unit_cost.
    unit_cost = [row["unit_cost"] or 0.0] * n
    period_rows = {}
    for t, override in overrides:
        period_rows[t] = override.excel_row
        if override["capacity"] is not None:
            capacity[t - 1] = override["capacity"]
            if (first <= t <= last and row["min_take"] > override["capacity"] + ROUND_OFF
                    and not invested):
                issues.error(override.title, override.excel_row, override.header("capacity"),
                             override["capacity"],
                             f"at least the supplier's min_take {row['min_take']:g} (Suppliers"
                             f" row {row.excel_row}), or lower min_take")
        if override["unit_cost"] is not None:
            unit_cost[t - 1] = override["unit_cost"]
    for t in range(1, n + 1):
        if not first <= t <= last:
            capacity[t - 1] = 0.0
    return Supplier(row["supplier"], row["commodity"], row["origin_country"],
                    row["processing_country"] or row["origin_country"], tuple(capacity),
                    tuple(unit_cost), row["min_take"], max(first, 1), min(last, n),
                    row.excel_row, row["min_lot"] or 0.0, period_rows)


def check_routes(rows: list[Row], known: Known, issues: Collector) -> dict[str, Route]:
    """Routes: known supplier and region; lead times in whole periods."""
    calendar = known.calendar
    result = {}
    for row in check_unique(rows, ("route",), issues):
        ok = check_reference(row, "supplier", known.supplier_names, "supplier (Suppliers sheet)",
                             issues)
        ok &= check_reference(row, "region", known.regions,
                              "region (regions are named in Demand)", issues)
        if not (ok and row.ok("lead_time_days", "freight_cost", "capacity", "chokepoints",
                              "cargo_size", "max_cargoes")):
            continue
        if calendar is None or row["supplier"] not in known.suppliers:
            continue
        lead = calendar.lead_periods(row["lead_time_days"])
        if lead >= calendar.periods:
            issues.note(row.title, row.excel_row, row.header("lead_time_days"),
                        f"{row['lead_time_days']:g} days is {lead} periods, as long as the "
                        f"plan's {calendar.periods} periods: nothing ordered on this route can "
                        "arrive within the horizon", "warning")
        result[row["route"]] = Route(
            row["route"], row["supplier"], row["region"], row["lead_time_days"], lead,
            row["freight_cost"], row["capacity"], tuple(dict.fromkeys(row["chokepoints"] or ())),
            row.excel_row, row["cargo_size"], row["max_cargoes"])
    return result


def check_pipeline(rows: list[Row], known: Known, issues: Collector
                   ) -> tuple[PipelineArrival, ...]:
    """Pipeline: a known route and an arrival period in the horizon (an arrival before it is
    stock already held; one after it is ignored, with a warning)."""
    calendar = known.calendar
    result = []
    for row in rows:
        ok = check_reference(row, "route", known.route_names, "route (Routes sheet)", issues)
        if not (ok and row.ok("arrival_period", "quantity")) or calendar is None:
            continue
        t = to_plan_period(row, "arrival_period", calendar, issues, must_be_inside=False)
        if t is None or row["route"] not in known.routes:
            continue
        if t < 1:
            issues.error(row.title, row.excel_row, row.header("arrival_period"),
                         row.raw("arrival_period"), f"a period from {calendar.label(1)} on "
                         "(goods that arrived before the plan starts belong in Stockpiles "
                         "initial_stock)")
            continue
        if t > calendar.periods:
            issues.note(row.title, row.excel_row, row.header("arrival_period"),
                        f"{calendar.label(t)} is after the plan's horizon; this arrival is "
                        "ignored", "warning")
            continue
        result.append(PipelineArrival(row["route"], t, row["quantity"], row.excel_row))
    return tuple(result)


def check_groups(rows: list[Row], issues: Collector) -> dict[str, tuple[str, ...]]:
    """Groups: country -> its groups (a country may belong to several)."""
    groups: dict[str, list[str]] = {}
    for row in check_unique(rows, ("country", "group"), issues):
        groups.setdefault(row["country"], []).append(row["group"])
    return {country: tuple(names) for country, names in groups.items()}


def check_scenarios(rows: list[Row], issues: Collector) -> dict[str, Scenario]:
    """Scenarios: unique names, probabilities summing to 1. Absent: `base` with 1."""
    if not rows:
        return {"base": Scenario("base", 1.0, None)}
    result = {}
    for row in check_unique(rows, ("scenario",), issues):
        if row.ok("probability"):
            result[row["scenario"]] = Scenario(row["scenario"], row["probability"],
                                               row.excel_row)
    if len(result) == len(rows):
        total = sum(s.probability for s in result.values())
        if abs(total - 1.0) > PROBABILITY_TOLERANCE:
            listing = " + ".join(f"{s.probability:g}" for s in result.values())
            issues.note(rows[0].title, None, rows[0].header("probability"),
                        f"probabilities must sum to 1; they sum to {total:.6g} ({listing})")
    for scenario in result.values():
        if scenario.probability == 0:
            issues.note("Scenarios", scenario.row, "probability",
                        f'"{scenario.name}" has probability 0, so it cannot shape the plan: '
                        "its figures are not optimised for it", "warning")
    return result


def check_limits(rows: list[Row], known: Known, issues: Collector) -> dict[str, Limit]:
    """Concentration: known commodity, region, value and scenarios; a max_share or a
    min_share (min <= max)."""
    result = {}
    group_names = sorted({g for names in known.groups.values() for g in names})
    for row in check_unique(rows, ("limit",), issues):
        ok = check_reference(row, "commodity", known.commodities,
                             "commodity (Commodities sheet) or *", issues, allow_star=True,
                             defined=known.commodity_names)
        ok &= check_reference(row, "region", known.regions, "region or *", issues,
                              allow_star=True)
        if not (ok and row.ok("attribute", "value", "max_share", "min_share", "basis",
                              "scenarios")):
            continue
        ok = _check_limit_value(row, known, group_names, issues)
        ok &= _check_shares(row, issues)
        scenarios, known_names = scenario_list(row, "scenarios", known, issues)
        ok &= known_names
        basis, rolling = row["basis"]
        calendar = known.calendar
        if basis == "rolling" and calendar is not None and rolling > calendar.periods:
            issues.note(row.title, row.excel_row, row.header("basis"),
                        f"rolling {rolling} is longer than the plan's {calendar.periods} "
                        "periods; the limit holds over the whole horizon", "warning")
        if ok:
            result[row["limit"]] = Limit(row["limit"], row["commodity"], row["region"],
                                         row["attribute"], row["value"], row["max_share"],
                                         row["min_share"], basis, rolling, scenarios,
                                         row.excel_row)
    return result


def _check_limit_value(row: Row, known: Known, group_names: list[str],
                       issues: Collector) -> bool:
    attribute, value = row["attribute"], row["value"]
    if attribute == "supplier":
        return check_reference(row, "value", known.supplier_names,
                               "supplier (Suppliers sheet) or *", issues, allow_star=True)
    if attribute == "route":
        return check_reference(row, "value", known.route_names, "route (Routes sheet) or *",
                               issues, allow_star=True)
    if attribute in ("origin_group", "processing_group"):
        return check_reference(row, "value", group_names, "country group (Groups sheet) or *",
                               issues, allow_star=True)
    if value == "*":
        return True
    return check_country(row, "value", attribute, known, issues,
                         "this limit constrains nothing" + (
                             "" if row["min_share"] is None
                             else " (or, as a floor, forbids all supply)"))


def _check_shares(row: Row, issues: Collector) -> bool:
    low, high = row["min_share"], row["max_share"]
    if low is None and high is None:
        issues.note(row.title, row.excel_row, row.header("max_share"),
                    "a max_share or a min_share (or both) is needed; this row sets neither")
        return False
    if low is not None and high is not None and low > high + 1e-12:
        issues.error(row.title, row.excel_row, row.header("min_share"), low,
                     f"at most the max_share {high:g} of the same row")
        return False
    return True


def resolve_factors(row: Row) -> tuple[float, float, float]:
    """(capacity, cost, demand) factors of a Disruptions or Events row: a blank capacity_factor
    is 1 on a row that sets a cost_factor or demand_factor, 0 (a halt) otherwise; blank cost
    and demand factors are 1."""
    cost, demand, capacity = row["cost_factor"], row["demand_factor"], row["capacity_factor"]
    if capacity is None:
        capacity = 1.0 if (cost is not None or demand is not None) else 0.0
    return capacity, 1.0 if cost is None else cost, 1.0 if demand is None else demand


def check_disruptions(rows: list[Row], known: Known, issues: Collector
                      ) -> tuple[Disruption, ...]:
    """Disruptions: known scenario, target and commodity; end not before start; clipped to
    the horizon (a row overlapping an edge is clipped with a warning, one wholly outside is an
    error)."""
    calendar = known.calendar
    result = []
    for row in rows:
        ok = check_reference(row, "scenario", known.scenarios, "scenario (Scenarios sheet)",
                             issues)
        ok &= row.ok("target_type", "target", "capacity_factor", "cost_factor",
                     "demand_factor", "commodity")
        if ok:
            ok = check_target(row, known, issues)
        if not ok or calendar is None or not row.ok("start_period", "end_period"):
            continue
        start = to_plan_period(row, "start_period", calendar, issues, must_be_inside=False)
        end = to_plan_period(row, "end_period", calendar, issues, must_be_inside=False)
        if start is None or end is None:
            continue
        if end < start:
            issues.error(row.title, row.excel_row, row.header("end_period"), row.raw("end_period"),
                         f"a period on or after start_period ({calendar.label(start)})")
            continue
        if end < 1 or start > calendar.periods:
            issues.error(row.title, row.excel_row, row.header("start_period"),
                         row.raw("start_period"), "a disruption that overlaps the plan's "
                         f"horizon {calendar.label(1)} to {calendar.label(calendar.periods)}")
            continue
        if start < 1 or end > calendar.periods:
            issues.note(row.title, row.excel_row, row.header("start_period"),
                        f"the disruption runs {calendar.label(start)} to {calendar.label(end)}, "
                        "beyond the plan's horizon; only its periods inside the horizon count",
                        "warning")
        capacity, cost, demand = resolve_factors(row)
        result.append(Disruption(row["scenario"], row["target_type"], row["target"],
                                 max(start, 1), min(end, calendar.periods), capacity, cost,
                                 demand, row["commodity"], row.excel_row))
    return tuple(result)


def check_target(row: Row, known: Known, issues: Collector) -> bool:
    """The target of a Disruptions or Events row exists; its commodity filter is known and fits
    the kind of target. Normalises `k @ g` to `k@g`."""
    kind, target = row["target_type"], row["target"]
    commodity = row["commodity"]
    if commodity is not None:
        if not check_reference(row, "commodity", known.commodities,
                               "commodity (Commodities sheet) or blank", issues,
                               defined=known.commodity_names):
            return False
        if kind == "demand":
            issues.note(row.title, row.excel_row, row.header("commodity"),
                        "the commodity column is ignored on demand rows (the target names the "
                        "commodity)", "warning")
            row.values["commodity"] = None
    if kind == "supplier":
        return check_reference(row, "target", known.supplier_names,
                               "supplier (Suppliers sheet)", issues)
    if kind == "route":
        return check_reference(row, "target", known.route_names, "route (Routes sheet)",
                               issues)
    if kind == "demand":
        k, _, region = target.partition("@")
        k, region = k.strip(), region.strip()
        if k not in known.commodities:
            issues.error(row.title, row.excel_row, row.header("target"), target,
                         "a commodity, or commodity@region"
                         + suggestion(k, list(known.commodities)))
            return False
        if region and region not in known.regions:
            issues.error(row.title, row.excel_row, row.header("target"), target,
                         "commodity@region with a known region"
                         + suggestion(region, list(known.regions)))
            return False
        row.values["target"] = f"{k}@{region}" if region else k
        return True
    return check_country(row, "target", kind, known, issues, "this row hits nothing")


def check_country(row: Row, column: str, kind: str, known: Known, issues: Collector,
                  consequence: str) -> bool:
    """A country or chokepoint named in `column` that no supplier or route has: an error when
    it is surely a misspelling of one that some have (case, spacing, invisible characters, one
    edit), a warning otherwise. Nothing is said while a Suppliers or Routes row has problems
    of its own (what they would define is unknown)."""
    value = row[column]
    if known.calendar is None or len(known.suppliers) < len(known.supplier_names) or (
            kind == "chokepoint" and len(known.routes) < len(known.route_names)):
        return True
    names = known.countries(kind)
    if value in names:
        return True
    what = kind.replace("_", " ")
    near = close_name(value, sorted(names))
    if near is not None:
        issues.error(row.title, row.excel_row, row.header(column), visible(value),
                     f"{'an' if what[0] in 'aeiou' else 'a'} {what} that some "
                     f"{'route' if kind == 'chokepoint' else 'supplier'} "
                     f"has{suggestion(value, [near])}; as written it matches none, so "
                     f"{consequence}")
        return False
    separated = split_list(value) if kind == "chokepoint" else ()
    if len(separated) > 1:
        issues.error(row.title, row.excel_row, row.header(column), value,
                     "one chokepoint: in Routes, ; and , separate chokepoints, so no route can "
                     f'have "{value}"; give one row for each of ' + ", ".join(
                         f'"{p}"' for p in separated))
        return False
    issues.note(row.title, row.excel_row, row.header(column),
                f'no supplier or route has the {what} "{visible(value)}"; {consequence}',
                "warning")
    return True


def check_transfers(rows: list[Row], known: Known, issues: Collector) -> tuple[Transfer, ...]:
    """Transfers: known commodity and regions, two different regions."""
    calendar = known.calendar
    result = []
    for row in check_unique(rows, ("commodity", "from_region", "to_region"), issues):
        ok = check_reference(row, "commodity", known.commodities,
                             "commodity (Commodities sheet)", issues, defined=known.commodity_names)
        for column in ("from_region", "to_region"):
            ok &= check_reference(row, column, known.regions, "region (named in Demand)",
                                  issues)
        if not (ok and row.ok("lead_time_days", "cost", "capacity")) or calendar is None:
            continue
        if row["from_region"] == row["to_region"]:
            issues.error(row.title, row.excel_row, row.header("to_region"), row["to_region"],
                         "a region other than from_region")
            continue
        result.append(Transfer(row["commodity"], row["from_region"], row["to_region"],
                               row["lead_time_days"], calendar.lead_periods(row["lead_time_days"]),
                               row["cost"], row["capacity"], row.excel_row))
    return tuple(result)


def check_projects(rows: list[Row], known: Known, issues: Collector) -> dict[str, Project]:
    """Investments: a known supplier, or (storage) a known commodity and region; first period
    clipped to the horizon."""
    calendar = known.calendar
    result = {}
    for row in check_unique(rows, ("project",), issues):
        if not row.ok("supplier", "commodity", "region"):
            continue
        storage = row["supplier"] is None
        if storage and (row["commodity"] is None or row["region"] is None):
            issues.error(row.title, row.excel_row, row.header("supplier"), None,
                         "a supplier, or a commodity and a region (a stockpile to build room "
                         "at)")
            continue
        if not storage and (row["commodity"] is not None or row["region"] is not None):
            column = "commodity" if row["commodity"] is not None else "region"
            issues.error(row.title, row.excel_row, row.header(column), row[column],
                         "blank on a project at a supplier (a project adds supply or storage, "
                         "not both)")
            continue
        if storage:
            ok = check_reference(row, "commodity", known.commodities,
                                 "commodity (Commodities sheet)", issues)
            ok &= check_reference(row, "region", known.regions,
                                  "region (regions are named in Demand)", issues)
        else:
            ok = check_reference(row, "supplier", known.supplier_names,
                                 "supplier (Suppliers sheet)", issues)
        if not (ok and row.ok("capex", "max_capacity", "first_period")) or calendar is None:
            continue
        first = to_plan_period(row, "first_period", calendar, issues, must_be_inside=False)
        first = 1 if first is None else max(first, 1)
        if first > calendar.periods:
            issues.note(row.title, row.excel_row, row.header("first_period"),
                        f"{calendar.label(first)} is after the plan's horizon; this project "
                        "would never supply", "warning")
        result[row["project"]] = Project(row["project"], row["supplier"], row["capex"],
                                         row["max_capacity"], first, row.excel_row,
                                         row["commodity"], row["region"])
    return result


def check_sweep(rows: list[Row], limits: dict[str, Limit], limit_names: set[str],
                issues: Collector) -> tuple[SweepPoint, ...]:
    """Sweep: each row names a Concentration limit that has a max_share, and a share to try."""
    result = []
    for row in rows:
        if not check_reference(row, "limit", limit_names, "limit (Concentration sheet)", issues):
            continue
        limit = limits.get(row["limit"])
        if limit is None or not row.ok("max_share"):
            continue
        if limit.max_share is None:
            issues.error(row.title, row.excel_row, row.header("limit"), row["limit"],
                         "a limit with a max_share to sweep (this one only sets a min_share)")
            continue
        result.append(SweepPoint(row["limit"], row["max_share"], row.excel_row))
    return tuple(result)


EVENT_SHARED = ("probability_per_year", "min_duration", "max_duration", "months")


def check_events(rows: list[Row], known: Known, indices: Iterable[str],
                 issues: Collector) -> tuple[EventKind, ...]:
    """Events: rows with the same name are one event with several effects. Each row hits a
    known target and/or moves a known index; the event's first row gives its chance per year,
    its duration range of whole periods and the months it may start in (later rows leave them
    blank or repeat them)."""
    indices = list(indices)
    result = []
    first: dict[str, Row] = {}
    for row in rows:
        ok = row.ok("event", "target_type", "target", "capacity_factor", "cost_factor",
                    "demand_factor", "commodity", "index", "index_factor", *EVENT_SHARED)
        if not ok:
            continue
        lead = first.setdefault(row["event"], row)
        if not _event_effect(row, known, indices, issues):
            continue
        if lead is row:
            if not _event_timing(row, issues):
                first.pop(row["event"])
                continue
        else:
            if not _same_as_first(row, lead, issues):
                continue
        months = tuple(int(m) for m in (lead["months"] or ()))
        capacity, cost, demand = resolve_factors(row) if row["target_type"] else (1.0, 1.0, 1.0)
        index_factor = 1.0 if row["index_factor"] is None else row["index_factor"]
        result.append(EventKind(row["event"], row["target_type"], row["target"],
                                lead["probability_per_year"], lead["min_duration"],
                                lead["max_duration"], capacity, cost, demand, row["commodity"],
                                row.excel_row, row["index"], index_factor, months))
    return tuple(result)


def _event_effect(row: Row, known: Known, indices: list[str], issues: Collector) -> bool:
    """An Events row hits a target (target_type and target) and/or moves an index."""
    kind, target, index = row["target_type"], row["target"], row["index"]
    if kind is None and target is None and index is None:
        issues.error(row.title, row.excel_row, row.header("target_type"), None,
                     "a target_type and target, or an index the event moves")
        return False
    if (kind is None) != (target is None):
        column = "target" if target is None else "target_type"
        issues.error(row.title, row.excel_row, row.header(column), None,
                     "a target_type together with a target")
        return False
    ok = True
    if kind is not None:
        ok = check_target(row, known, issues)
    if index is not None:
        ok &= check_reference(row, "index", indices, "index (Indices sheet)", issues)
    return ok


def _event_timing(row: Row, issues: Collector) -> bool:
    """The first row of an event: chance, duration range (max >= min) and months 1..12."""
    ok = True
    for column in ("probability_per_year", "min_duration", "max_duration"):
        if row[column] is None:
            issues.error(row.title, row.excel_row, row.header(column), None,
                         "a value on the event's first row")
            ok = False
    if ok and row["max_duration"] < row["min_duration"]:
        issues.error(row.title, row.excel_row, row.header("max_duration"),
                     row["max_duration"], f"at least min_duration ({row['min_duration']})")
        ok = False
    for month in row["months"] or ():
        if not (month.isdigit() and 1 <= int(month) <= 12):
            issues.error(row.title, row.excel_row, row.header("months"), month,
                         "calendar months as numbers 1 to 12 separated by ; (12;1;2)")
            ok = False
    return ok


def _same_as_first(row: Row, lead: Row, issues: Collector) -> bool:
    """A later row of an event leaves the event's timing blank or repeats it."""
    ok = True
    for column in EVENT_SHARED:
        value = row[column]
        if value not in (None, ()) and value != lead[column]:
            issues.error(row.title, row.excel_row, row.header(column), row.raw(column),
                         f'blank or {as_typed(lead, column)}, as on the first row of event '
                         f'"{row["event"]}" (row {lead.excel_row}): an event is drawn once, '
                         "with one chance, duration and season")
            ok = False
    return ok


def ok_rows(rows: list[Row], column: str) -> set[str]:
    """The valid values of one column (names defined by a sheet, even on rows with other
    problems), for references."""
    return {r[column] for r in rows if r.ok(column) and r[column] is not INVALID}


def scenario_list(row: Row, column: str, known: Known, issues: Collector
                  ) -> tuple[tuple[str, ...], bool]:
    """The scenarios a row's `column` names (() for `*` or a blank: every scenario), and
    whether each is known; an unknown name is an error naming the close known one."""
    scenarios = tuple(row[column] or ("*",))
    if "*" in scenarios:
        return (), True
    ok = True
    for name in scenarios:
        if name not in known.scenarios:
            ok = False
            issues.error(row.title, row.excel_row, row.header(column), name,
                         "a known scenario (Scenarios sheet) or *"
                         + suggestion(name, list(known.scenarios)))
    return scenarios, ok
