"""Turn raw sheets into validated `PlanData`, collecting every problem before raising once.

Three steps, each in its own module: `model.inputs.cells` types each cell by its column spec,
`sheets` checks each sheet against the names defined before it, `crosssheet` looks across the
whole plan. All problems of the workbook are raised together as one InputError; warnings
travel with the data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from model.domain.data import PlanData
from model.domain.errors import InputError
from model.inputs import contracts, crosssheet, money, sheets
from model.inputs.cells import Collector, Row, parse_sheet
from model.inputs.settings import read_settings
from model.inputs.sheets import Known, ok_rows
from model.io.workbook import RawWorkbook, read_workbook

log = logging.getLogger(__name__)


def validate(raw: RawWorkbook) -> PlanData:
    """Validate a raw workbook; raise InputError listing every problem, else the PlanData."""
    issues = Collector()
    issues.issues.extend(raw.issues)
    read = read_settings(raw.sheets.get("Settings"), issues, raw.epoch)
    settings = read.settings
    rows: dict[str, list[Row]] = {
        name: parse_sheet(sheet, issues, read.period_length, raw.epoch)
        for name, sheet in raw.sheets.items() if name != "Settings"}

    def rows_of(name: str) -> list[Row]:
        return rows.get(name, [])

    known = Known(settings.calendar if settings else None)
    known.commodities = sheets.check_commodities(rows_of("Commodities"), issues)
    known.commodity_names = ok_rows(rows_of("Commodities"), "commodity")
    demand, known.regions, demand_rows = sheets.check_demand(rows_of("Demand"), known, issues)
    stockpiles = sheets.check_stockpiles(rows_of("Stockpiles"), known, issues)
    known.supplier_names = ok_rows(rows_of("Suppliers"), "supplier")
    known.invested = ok_rows(rows_of("Investments"), "supplier")
    known.suppliers = sheets.check_suppliers(rows_of("Suppliers"), rows_of("SupplierPeriods"),
                                             known, issues)
    known.route_names = ok_rows(rows_of("Routes"), "route")
    known.routes = sheets.check_routes(rows_of("Routes"), known, issues)
    pipeline = sheets.check_pipeline(rows_of("Pipeline"), known, issues)
    known.groups = sheets.check_groups(rows_of("Groups"), issues)
    known.scenarios = sheets.check_scenarios(rows_of("Scenarios"), issues)
    stockpiles = money.add_floors(rows_of("Stockpiles"), stockpiles, known, issues)
    limits = sheets.check_limits(rows_of("Concentration"), known, issues)
    disruptions = sheets.check_disruptions(rows_of("Disruptions"), known, issues)
    transfers = sheets.check_transfers(rows_of("Transfers"), known, issues)
    projects = sheets.check_projects(rows_of("Investments"), known, issues)
    sweep = sheets.check_sweep(rows_of("Sweep"), limits, ok_rows(rows_of("Concentration"),
                                                                 "limit"), issues)
    budgets = money.check_budgets(rows_of("Budgets"), known, issues)
    indices = money.check_series(rows_of("Indices"), "index", "value", known, issues)
    fx = money.check_series(rows_of("FX"), "currency", "rate", known, issues)
    events = sheets.check_events(rows_of("Events"), known, indices, issues)
    if settings is not None:
        known.suppliers = money.check_supplier_money(
            rows_of("Suppliers"), known.suppliers, indices, fx, known, settings.currency,
            settings.sample_scenarios > 0, issues)
    contract_rows = contracts.check_contracts(rows_of("Contracts"), known, issues)
    crosssheet.check_name_spellings(rows, issues)
    if settings is not None:
        _check_sampling(settings.sample_scenarios, events, issues)
    if issues.has_errors or settings is None:
        raise InputError(issues.issues, str(raw.path))

    plan = PlanData(
        settings=settings, commodities=known.commodities, regions=known.regions,
        demand=demand, stockpiles=stockpiles, suppliers=known.suppliers, routes=known.routes,
        groups=known.groups, limits=limits, scenarios=known.scenarios,
        disruptions=disruptions, transfers=transfers, projects=projects, pipeline=pipeline,
        sweep=sweep, events=events, budgets=budgets, indices=indices, fx=fx,
        contracts=contract_rows, source=str(raw.path), source_sha256=raw.sha256,
        demand_rows=demand_rows)
    crosssheet.check_take_or_pay_routes(plan, issues)
    money.check_storage_projects(plan, issues)
    crosssheet.check_coverage(plan, issues)
    crosssheet.check_targets_within_capacity(plan, issues)
    crosssheet.check_limits_satisfiable(plan, issues)
    crosssheet.check_coefficient_ranges(plan, issues)
    contracts.check_lots_and_options(plan, issues)
    if issues.has_errors:  # a cross-sheet check found a name that is surely misspelt
        raise InputError(issues.issues, str(raw.path))
    warnings = tuple(i for i in issues.issues if i.severity != "error")
    for warning in warnings:
        log.info("warning: %s", warning)
    return _with_warnings(plan, warnings)


def _with_warnings(plan: PlanData, warnings: tuple) -> PlanData:
    from dataclasses import replace

    return replace(plan, warnings=warnings)


def _check_sampling(count: int, events: tuple, issues: Collector) -> None:
    if count > 0 and not events:
        issues.note("Settings", None, "sample_scenarios",
                    f"sample_scenarios is {count}, but the Events sheet has no event to sample "
                    "futures from; add Events rows or set sample_scenarios to 0")


def load_plan(path: str | Path, progress: Callable[[str], None] | None = None) -> PlanData:
    """Read and validate the workbook at `path`."""
    return validate(read_workbook(path, progress))
