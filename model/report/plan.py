"""Write the plan workbook. Never sees Pyomo: it reads a `PlanResult` and the plan's data.

Sheets: Summary first (business figures, then the contract's run facts), the Plan grid and
Charts, then the tables of the output contract (`tables.py`), each with a styled header naming
its unit, frozen header row, filter and sensible widths, with the Scenario comparison right
after Scenarios; Run (how the plan was made), Warnings, and last the hidden Inputs sheet (every
input cell, so that `run.py --compare` can tell two plans apart).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.domain.data import PlanData
from model.formulation.costs import COST_PARTS
from model.io.files import atomic_save
from model.io.formats import (
    COUNT,
    MONEY,
    MONEY_RATE,
    ONE_DECIMAL,
    QUANTITY,
    RATE,
    SCIENTIFIC,
    SHARE,
)
from model.report.book import (
    EXCEL_COLUMNS,
    EXCEL_ROWS,
    HEADER,
    LINE_POINTS,
    SECTION,
    Book,
    Grid,
    fit_to_page_width,
    header_width,
    save_book,
    wrapped_lines,
    write_header,
    write_rows,
    write_table,
)
from model.report.charts import add_charts, plan_grid, reference_label, reference_scenario
from model.results.extract import PlanResult
from model.results.money import below_target, binding_budgets, binding_obligations
from model.results.scenario_compare import compare_scenarios
from model.results.tables import (
    BUDGETS,
    CONCENTRATION,
    FIRST_ORDERS,
    INPUTS,
    INVESTMENTS,
    ORDERS,
    PIPELINE,
    PRICES,
    SCENARIO_COSTS,
    SCENARIO_LOWEST,
    SCENARIO_SHORTFALL,
    SCENARIO_VOLUMES,
    SCENARIOS,
    SENSITIVITY,
    STOCKPILE,
    TRADEOFF,
    TRANSFERS,
    OutTable,
    scenarios_table,
)
from model.solver.solve import SolveStatus, solver_version

Progress = Callable[[str], None]
PROGRESS_ROWS = 100_000

PART_NOTES = {
    "purchase_cost": "unit cost x quantity", "freight_cost": "freight x quantity",
    "holding_cost": "stock held x holding cost", "shortage_penalty": "unmet demand x penalty",
    "target_penalty": "stock below target x target penalty",
    "transfer_cost": "stock moved between regions", "investment_cost": "capacity funded",
    "end_stock_penalty": "stock short of end_stock x shortage penalty",
    "terminal_value": "credit for stock held at the end (negative)",
    "contract_deficiency": "take-or-pay paid for volume not taken (Contracts)",
    "make_up_credit": "volume paid earlier and taken later without paying again (negative)",
    "option_fee": "fees of the contract options signed"}


def summary_items(result: PlanResult, plan: PlanData,
                  side_files: dict[str, Path] | None = None) -> list[tuple[str, Any, str, str]]:
    """(item, value, unit, note) rows of the Summary sheet: business figures first, then the
    run facts the output contract asks for (the Run sheet has them all). `side_files`: the CSV
    file of each table too long for its sheet."""
    money = plan.settings.currency
    items: list[tuple[str, Any, str, str]] = [
        ("status", result.status, "", "optimal, time_limit (best plan found in time), or "
         "rounded (a MIP's LP relaxation rounded up: feasible, not optimal)"),
        ("objective", result.objective, money,
         "(1 - risk_weight) x expected_cost + risk_weight x cvar"),
        ("expected_cost", result.expected_cost, money,
         "probability-weighted cost, present value; its parts below"),
        ("cvar", result.cvar, money,
         f"mean cost of the worst {100 * (1 - plan.settings.cvar_level):g}% of outcomes"),
    ]
    if result.status == SolveStatus.TIME_LIMIT and result.mip_bound is None:
        items.append(("gap", result.gap, "", "relative distance to the best possible plan "
                      "when the time limit stopped the solver (blank: unknown)"))
    items += mip_items(result, plan)
    units = sorted({c.unit for c in plan.commodities.values()})
    items.append(("total_shortfall", result.total_shortfall, units[0] if len(units) == 1 else "",
                  "expected unmet demand, all commodities" if result.total_shortfall is not
                  None else f"blank: the commodities come in different units ({', '.join(units)})"
                  "; see the shortfall of each commodity below"))
    for k, value in result.shortfall_by_commodity.items():
        items.append((f"shortfall: {k}", value, plan.commodities[k].unit,
                      "expected unmet demand"))
    ends = {k for (k, _), s in plan.stockpiles.items() if s.end_stock > 0}
    for k, value in result.end_shortfall_by_commodity.items():
        if k in ends:
            items.append((f"end shortfall: {k}", value, plan.commodities[k].unit,
                          "expected stock short of end_stock at the end"))
    worth = result.value_of_information
    for key, value, text, note in (
            ("evpi", worth.evpi, worth.evpi_text, "value of perfect warning of the disruptions"),
            ("vss", worth.vss, worth.vss_text,
             "value of planning for the scenarios instead of their average")):
        items.append((key, value, money, text if text is not None else note))
    insurance = _largest_insurance(result)
    if insurance is not None:
        items.append(("largest stockpile insurance", insurance.insurance_value, money,
                      f"{insurance['name']}: {insurance.finding} (all on the Sensitivity "
                      "sheet)"))
    for part in COST_PARTS:
        if part in ("contract_deficiency", "make_up_credit", "option_fee") and \
                not plan.contracts:
            continue  # a plan without contracts has no such part (model.md section 14)
        items.append((part, result.cost_parts[part], money, PART_NOTES[part]))
    for name, file in (side_files or {}).items():
        items.append((f"full table: {name}", str(file), "", "more rows than an Excel sheet "
                      "holds: the sheet keeps the first ones, this CSV file all of them"))
    items += [
        ("solve_seconds", round(result.timings.get("solve_seconds", 0.0), 3), "s",
         f"solved by {result.method}" + (" (duals from the interior point method, no basis)"
                                         if not result.has_basis else "")),
        ("input_file", plan.source, "", ""), ("input_sha256", plan.source_sha256, "", ""),
        ("solver", solver_version(), "", "more on the Run sheet"),
    ]
    return items


def mip_items(result: PlanResult, plan: PlanData) -> list[tuple[str, Any, str, str]]:
    """The MIP's bound, gap and time (model.md 14.5); none for an LP."""
    if result.mip_bound is None and result.status != SolveStatus.ROUNDED:
        return []
    money = plan.settings.currency
    decomposed = "ph_lower_bound" in result.run_facts  # --decompose: PH's bound and gap
    return [
        ("mip_bound", result.mip_bound, money,
         "no plan can cost less than this (" + ("progressive hedging's lower bound, see the Run "
                                                "sheet" if decomposed else
                                                "the branch and bound's best bound") + ")"),
        ("mip_gap", result.mip_gap, "", "(objective - bound) / objective; "
         + (f"progressive hedging stops below ph_gap {plan.settings.ph_gap:g}" if decomposed
            else f"the solve stops below mip_gap {plan.settings.mip_gap:g}")
         + (", or at the time limit" if result.status == SolveStatus.TIME_LIMIT else "")),
        ("mip_seconds", None if result.mip_seconds is None else round(result.mip_seconds, 3),
         "s", "branch and bound, before the LP with the whole-number decisions fixed is solved "
         "for prices"),
    ]


def run_items(result: PlanResult, plan: PlanData) -> list[tuple[str, Any, str, str]]:
    """(item, value, unit, note) rows of the Run sheet: how the plan was made."""
    settings = plan.settings
    items: list[tuple[str, Any, str, str]] = [
        ("input_file", plan.source, "", ""), ("input_sha256", plan.source_sha256, "", ""),
        ("solver", solver_version(), "", ""),
        ("solved_by", result.method, "", "the solver settings that gave this plan"),
    ]
    for attempt in result.tried:
        items.append(("tried first", attempt, "", "settings that failed before"))
    items.append(("highs_status", result.highs_status, "", ""))
    for key in ("read_seconds", "validate_seconds", "build_seconds", "handoff_seconds",
                "solve_seconds", "extract_seconds", "insight_seconds", "sweep_seconds",
                "value_seconds", "evaluate_seconds", "write_seconds"):
        if key in result.timings:
            items.append((key, round(result.timings[key], 3), "s", ""))
    cols, rows, nonzeros = result.model_size
    items += [
        ("variables", cols, "", "LP columns"), ("constraints", rows, "", "LP rows"),
        ("nonzeros", nonzeros, "", ""),
        ("scenario_tree_nodes", result.tree_nodes, "",
         "decision points: scenarios share a node until their data differ"),
        ("max_residual", result.max_residual, "", "largest violation of any limit by the "
         "returned plan, rechecked after solving"),
        *mip_items(result, plan),
        *([("mip_gap_setting", settings.mip_gap, "", "Settings mip_gap")]
          if result.mip_bound is not None else []),
        ("periods", settings.periods, f"{settings.calendar.period_length}s", ""),
        ("scenarios", len(plan.scenarios), "", ""),
        *([("sample_scenarios", settings.sample_scenarios, "",
            "futures sampled from the Events sheet"),
           ("sample_seed", settings.sample_seed, "", "the same seed gives the same futures")]
          if settings.sample_scenarios > 0 else []),
        ("currency", settings.currency, "", ""),
        ("risk_weight", settings.risk_weight, "", "lambda"),
        ("cvar_level", settings.cvar_level, "", "beta"),
        ("discount_rate", settings.discount_rate, "per year", ""),
        ("time_limit_seconds", settings.time_limit_seconds, "s", ""),
        ("warnings", len(plan.warnings), "", "listed on the Warnings sheet"),
        ("run_at", dt.datetime.now().replace(microsecond=0).isoformat(sep=" "), "", ""),
    ]
    for key, fact in result.run_facts.items():
        items.append((key, fact.value, fact.unit, fact.note))
    return items


COUNT_ITEMS = {"variables", "constraints", "nonzeros", "warnings", "scenario_tree_nodes",
               "periods", "scenarios", "sample_scenarios", "sample_seed"}


def _item_format(item: str, unit: str, money: str, quantity_units: set[str]) -> str | None:
    if unit == money:
        return MONEY
    if unit in quantity_units:
        return QUANTITY
    if item in ("discount_rate", "gap", "mip_gap"):
        return RATE if item != "mip_gap" else SCIENTIFIC
    if item in COUNT_ITEMS:
        return COUNT
    if item == "max_residual":
        return SCIENTIFIC
    return None


RUN_FACTS = {"solve_seconds", "input_file", "input_sha256", "solver"}
def _lines(text: Any, width: int) -> int:
    """Lines a text wrapped at `width` characters takes."""
    return wrapped_lines(text, width)


def _write_items(book: Book, ws: Any, grid: Grid, items: list[tuple[str, Any, str, str]],
                 plan: PlanData, bold_items: set[str], quiet_items: frozenset[str] = frozenset(),
                 wrap: tuple[int, int] | None = None) -> None:
    """Item rows; with `wrap` (characters a line of the value and of the note column holds)
    long notes and long text values wrap, their rows grow, and every cell sits at the top."""
    money = plan.settings.currency
    quantity_units = {"units"} | {c.unit for c in plan.commodities.values()}
    header = book.fmt(**HEADER)
    quiet = {"italic": True, "font_color": "#595959"}
    top = {"valign": "top"} if wrap else {}
    for c, text in enumerate(("item", "value", "unit", "note")):
        grid.put(0, c, text, header)
    for r, (item, value, unit, note) in enumerate(items, start=1):
        number_format = _item_format(item, unit, money, quantity_units)
        if isinstance(value, float) and number_format == COUNT and value.is_integer():
            value = int(value)
        props = {"bold": True} if item in bold_items else \
            quiet if item in quiet_items else {}
        lines = 1
        value_props = dict(props, **top)
        if wrap and isinstance(value, str) and note and _lines(value, wrap[0]) > 1:
            value_props["text_wrap"] = True
            lines = _lines(value, wrap[0])
        grid.put(r, 0, item, book.fmt(**props, **top))
        grid.put(r, 1, value, book.fmt(number_format, **value_props))
        grid.put(r, 2, unit, book.fmt(**props, **top))
        if wrap:
            grid.put(r, 3, note, book.fmt(text_wrap=True, **top,
                                          **(quiet if item in quiet_items else {})))
            lines = max(lines, _lines(note, wrap[1]))
        else:
            grid.put(r, 3, note)
        if lines > 1:
            grid.height(r, LINE_POINTS * lines)


SUMMARY_WIDTHS = (22, 19, 6, 50, 2, 19, 21, 25, 10, 15, 10, 30)


def _write_summary(book: Book, ws: Any, result: PlanResult, plan: PlanData,
                   side_files: dict[str, Path] | None = None) -> None:
    """Key figures (item, value, unit, note) on the left, business first and the run facts
    last; decisions, binding limits and scenarios on the right."""
    for i, width in enumerate(SUMMARY_WIDTHS):
        ws.set_column(i, i, width)
    ws.freeze_panes(1, 0)
    fit_to_page_width(ws)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    grid = Grid()
    _write_items(book, ws, grid, summary_items(result, plan, side_files), plan,
                 {"status", "objective", "expected_cost", "cvar"}, frozenset(RUN_FACTS),
                 wrap=(round(1.1 * SUMMARY_WIDTHS[1]), round(1.15 * SUMMARY_WIDTHS[3])))
    _side_blocks(book, grid, result, plan, first_col=5)
    grid.write(ws)


def _plural(basis: str, period_length: str) -> str:
    """What the windows of a limit's basis are called: `months`, `years`, `windows`."""
    if basis == "period":
        return f"{period_length}s"
    if basis == "year":
        return "years"
    return "windows"


def _largest_insurance(result: PlanResult) -> Any:
    """The Sensitivity row of the stockpile worth most as insurance (None without one)."""
    table = result.sensitivity
    if table is None or "insurance_value" not in table.columns:
        return None
    rows = table[table["kind"] == "insurance value of a stockpile"]
    values = pd.to_numeric(rows["insurance_value"], errors="coerce")
    if not values.notna().any():
        return None
    return rows.loc[values.idxmax()]


def binding_limits(result: PlanResult, plan: PlanData) -> pd.DataFrame:
    """Per binding limit: the cost of one more point (the limit's share 0.01 tighter in every
    window, re-solved; blank where it was not measured), the duals' rate (summed over its
    windows and scenarios), in how many of its windows it binds and how many it has; most
    costly first."""
    table = result.concentration
    columns = ["cost", "rate", "method", "binding", "windows", "basis"]
    if not len(table):
        return pd.DataFrame(columns=columns)
    flags = table["binding"].astype(bool)
    grouped = table.assign(flag=flags).groupby("limit", sort=False)
    summary = pd.DataFrame({
        "rate": grouped["marginal_cost_per_point"].sum(),
        "binding": table[flags].groupby("limit", sort=False)["period"].nunique(),
        "windows": grouped["period"].nunique(),
        "basis": grouped["basis"].first()})
    summary = summary[summary["binding"].fillna(0) > 0]
    summary["binding"] = summary["binding"].astype(int)
    summary["windows"] = summary["windows"].astype(int)
    points = result.limit_points
    if points is not None and len(points):
        points = points.set_index("limit")
        summary["cost"] = points["cost_of_one_more_point"].reindex(summary.index).astype(float)
        summary["method"] = points["method"].reindex(summary.index).fillna("not measured")
    else:
        summary["cost"] = np.nan
        summary["method"] = "not measured"
    key = summary["cost"].fillna(summary["rate"])
    return summary.iloc[np.argsort(-key.to_numpy(), kind="stable")][columns]


def _side_blocks(book: Book, grid: Grid, result: PlanResult, plan: PlanData,
                 first_col: int) -> None:
    money = plan.settings.currency
    header = book.fmt(**HEADER)
    section = book.fmt(**SECTION)
    row = 0

    def table(headers: list[str], records: list[list[tuple[Any, str | None]]]) -> None:
        nonlocal row
        for c, text in enumerate(headers):
            grid.put(row, first_col + c, text, header)
            if _lines(text, round(1.1 * SUMMARY_WIDTHS[first_col + c])) > 1:
                grid.height(row, 2 * LINE_POINTS)
        row += 1
        for record in records:
            for c, (value, number_format) in enumerate(record):
                grid.put(row, first_col + c, value, book.fmt(number_format, valign="top"))
            row += 1
        row += 1

    first = result.first_period_orders
    shared = first["scenarios"].nunique() <= 1 if len(first) else True
    grid.put(row, first_col, f"Decisions to take now: orders of "
             f"{plan.settings.calendar.label(1)}"
             + (", the same in every scenario" if shared else
                ", by the scenarios that can already be told apart"), section)
    row += 1
    records = [[(r.commodity, None), (r.supplier, None), (r.route, None), (r.region, None),
                (r.quantity, QUANTITY), (plan.commodities[r.commodity].unit, None)]
               + ([] if shared else [(r.scenarios, None)])
               for r in first.itertuples(index=False)]
    table(["commodity", "supplier", "route", "region", "quantity", "unit"]
          + ([] if shared else ["scenarios"]),
          records or [[("nothing is ordered in the first period", None)]])
    grid.put(row, first_col, "Binding limits, most costly first", section)
    row += 1
    period_length = plan.settings.calendar.period_length
    records = [[(limit, None),
                (f"{r.binding:,} of {r.windows:,} {_plural(r.basis, period_length)}"
                 if r.windows > 1 else "the whole window", None),
                (None if pd.isna(r.cost) else r.cost, MONEY), (r.rate, MONEY),
                ("" if r.method.startswith(("re-solve", "basis")) else r.method, None)]
               for limit, r in binding_limits(result, plan).head(10).iterrows()]
    table(["limit", "binds in", f"cost of one more point ({money}, share 1% tighter, "
           "re-solved)", f"dual's rate ({money} per 1%)", "note"],
          records or [[("no concentration limit binds", None)]])
    for title, headers, records in money_blocks(result, plan):
        grid.put(row, first_col, title, section)
        row += 1
        table(headers, records)
    reference = reference_scenario(plan)
    grid.put(row, first_col, "Scenarios (details on the Scenario comparison sheet)", section)
    row += 1
    base = result.scenarios.set_index("scenario")["cost"].get(reference, float("nan"))
    many = len(result.scenarios) > 1
    table(["scenario", "probability", f"cost ({money})", "shortfall (units)"]
          + ([f"cost vs {reference} ({money})"] if many else []),
          [[(r.scenario, None), (r.probability, SHARE), (r.cost, MONEY),
            (r.shortfall, QUANTITY)] + ([(r.cost - base, MONEY)] if many else [])
           for r in result.scenarios.itertuples(index=False)])


SHOWN_BELOW_TARGET = 40  # periods below target listed on the Summary (the rest: Stockpile)
Block = tuple[str, list[str], list[list[tuple[Any, str | None]]]]


def _scope(commodity: str, region: str) -> str:
    """`LNG into Japan`, `all commodities into all regions`."""
    return (f"{'all commodities' if commodity == '*' else commodity} into "
            f"{'all regions' if region == '*' else region}")


def money_blocks(result: PlanResult, plan: PlanData) -> list[Block]:
    """(title, headers, records) of the Summary blocks of docs/model.md section 15: the
    obligations that bind, with the rate of one more unit (a dual), and every period a stock
    sits below its soft target, with the days of cover."""
    money = plan.settings.currency
    period_length = plan.settings.calendar.period_length
    blocks: list[Block] = []
    floors = binding_obligations(result.floors)
    if len(floors):
        blocks.append((
            "Obligations that bind (Stockpiles min_stock / min_days)",
            ["stockpile", "binds in", f"cost of 1 unit more, a rate ({money}/unit)"],
            [[(f"{r.commodity} in {r.region} (row {r.row})", None),
              (f"{r.binding:,} of {r.periods:,} {period_length}s", None), (r.rate, MONEY)]
             for r in floors.itertuples(index=False)]))
    budgets = binding_budgets(result.budgets)
    if len(budgets):
        blocks.append((
            "Budgets that bind (Budgets sheet)",
            ["budget", "binds on", f"saving of 1 {money} more, a rate ({money}/{money})"],
            [[(f"row {r.row}: {r.year}, {_scope(r.commodity, r.region)}", None),
              (f"{r.binding:,} of {r.paths:,} scenario paths" if r.paths > 1 else
               "its only path", None), (r.saving_per_unit, MONEY_RATE)]
             for r in budgets.itertuples(index=False)]))
    low = below_target(result.stockpile)
    title = "Stock below its target" + (
        "" if len(low) <= SHOWN_BELOW_TARGET else
        f" (the first {SHOWN_BELOW_TARGET} of {len(low)} periods; all on the Stockpile sheet)")
    blocks.append((title, ["commodity", "region", "period", "scenarios", "lowest stock (units)",
                           "target (units)", "days of cover"],
                   [[(r.commodity, None), (r.region, None), (r.period, None),
                     (r.scenarios, None), (r.closing, QUANTITY), (r.target, QUANTITY),
                     (r.days_of_cover, ONE_DECIMAL)]
                    for r in low.head(SHOWN_BELOW_TARGET).itertuples(index=False)]
                   or [[("no stock sits below its target", None)]]))
    return blocks


def _write_run(book: Book, ws: Any, result: PlanResult, plan: PlanData) -> None:
    for i, width in enumerate((26, 66, 10, 70)):
        ws.set_column(i, i, width)
    fit_to_page_width(ws)
    grid = Grid()
    _write_items(book, ws, grid, run_items(result, plan), plan, set())
    grid.write(ws)


def _write_plan_grid(book: Book, ws: Any, result: PlanResult, plan: PlanData) -> None:
    """Orders of the reference scenario as a route x period grid (periods as rows when there
    are more periods than Excel has columns)."""
    grid = plan_grid(result, plan)
    labels = plan.settings.calendar.labels()
    lead = ["commodity", "unit", "supplier", "route", "region", "processing_country"]
    widths = [14, 6, 24, 28, 10, 14]
    if len(lead) + len(labels) + 1 <= EXCEL_COLUMNS:
        headers = lead + labels + ["total"]
        write_header(book, ws, headers, widths + [9] * len(labels) + [11],
                     [None] * len(lead) + [QUANTITY] * (len(labels) + 1))
        write_rows(book, ws, grid, headers, 1)
        ws.freeze_panes(1, 6)
        note = ""
    else:
        long = grid.melt(id_vars=lead, value_vars=labels, var_name="period",
                         value_name="quantity")
        long = long[long["quantity"] != 0]
        headers = lead + ["period", "quantity"]
        write_header(book, ws, headers, widths + [10, 12], [None] * (len(lead) + 1) + [QUANTITY])
        write_rows(book, ws, long, headers, 1)
        grid = long
        note = (f" The plan has {len(labels):,} periods, more than Excel has columns, so the "
                "grid is written with one row per route and period.")
    fit_to_page_width(ws)
    ws.write_string(len(grid) + 2, 0, f"Orders of the {reference_label(plan)} scenario, by "
                    "the period they are placed in (quantities in each commodity's unit)."
                    + note, book.fmt(italic=True))


def _write_warnings(book: Book, plan: PlanData, notes: Iterable[str]) -> None:
    rows = [(w.sheet, w.row, w.column, str(w)) for w in plan.warnings]
    rows += [("", None, None, n) for n in notes]
    if not rows:
        return
    ws = book.sheet("Warnings")
    write_header(book, ws, ["sheet", "row", "column", "message"], [16, 8, 18, 110],
                 [None] * 4)
    write_rows(book, ws, pd.DataFrame(rows, columns=["sheet", "row", "column", "message"]),
               ["sheet", "row", "column", "message"], 1)


def detail_tables(result: PlanResult, plan: PlanData) -> list[tuple[OutTable, pd.DataFrame]]:
    """The contract's tables, in sheet order, each where the plan has it."""
    found: list[tuple[OutTable, pd.DataFrame | None]] = [
        (FIRST_ORDERS, result.first_period_orders),
        (ORDERS, result.orders), (STOCKPILE, result.stockpile),
        (CONCENTRATION, result.concentration), (PRICES, result.prices),
        (scenarios_table({k: c.unit for k, c in plan.commodities.items()}),
         result.scenarios),
        (INVESTMENTS, result.investments if plan.projects else None),
        (TRANSFERS, result.transfers if plan.transfers else None),
        (PIPELINE, result.pipeline if plan.pipeline else None),
        (TRADEOFF, result.tradeoff), (SENSITIVITY, result.sensitivity),
        (BUDGETS, result.budgets),
    ]
    return [(spec, table) for spec, table in found if table is not None]


ROW_LIMIT = EXCEL_ROWS - 2  # data rows a sheet can hold below its header, with a note row


def side_file(path: Path, name: str) -> Path:
    """Where a table too long for Excel goes: `<plan name>_<table>.csv` next to the plan."""
    return path.with_name(f"{path.stem}_{name.lower().replace(' ', '_')}.csv")


def write_side_files(result: PlanResult, plan: PlanData, path: Path, row_limit: int,
                     progress: Progress) -> dict[str, Path]:
    """Tables longer than a sheet can hold, written whole to CSV files next to the plan
    (atomically); returns them by table name."""
    written = {}
    for spec, table in detail_tables(result, plan):
        if len(table) <= row_limit:
            continue
        target = side_file(path, spec.name)
        progress(f"  {spec.name} has {len(table):,} rows, more than an Excel sheet holds: "
                 f"writing all of them to {target}")
        header = [c.header(plan.settings.currency) for c in spec.columns]
        written[spec.name], _ = atomic_save(
            lambda temporary, table=table, header=header: table.to_csv(
                temporary, index=False, header=header, encoding="utf-8", chunksize=200_000),
            target)
    return written


def fill_plan(book: Book, result: PlanResult, plan: PlanData, notes: Iterable[str] = (),
              side_files: dict[str, Path] | None = None, row_limit: int | None = None,
              progress: Progress | None = None) -> None:
    """Fill `book` with the plan; `notes` join the reader's warnings; tables in `side_files`
    keep their first `row_limit` rows and name the file that holds them all."""
    started = time.perf_counter()
    row_limit = ROW_LIMIT if row_limit is None else row_limit
    currency = plan.settings.currency
    side_files = side_files or {}
    summary = book.sheet("Summary")  # first sheet; filled last, with the time it took
    _write_plan_grid(book, book.sheet("Plan"), result, plan)
    add_charts(book, result, plan)
    for spec, table in detail_tables(result, plan):
        if progress and len(table) >= PROGRESS_ROWS:
            progress(f"  writing {spec.name} ({len(table):,} rows) ...")
        ws = book.sheet(spec.name)
        count = write_table(book, ws, table, spec, currency, max_rows=row_limit)
        if spec.name in side_files:
            ws.write_string(count + 1, 0, f"The first {count:,} of {len(table):,} rows; all of "
                            f"them are in {side_files[spec.name]}", book.fmt(italic=True))
        if spec.name == SCENARIOS.name:
            write_scenario_comparison(book, book.sheet("Scenario comparison"), result, plan)
    run = book.sheet("Run")
    if result.evaluation is not None:
        from model.report.evaluation import add_evaluation

        add_evaluation(book, result.evaluation, plan)
    _write_warnings(book, plan, notes)
    write_inputs(book, result, row_limit)
    # The Run and Summary sheets show the writing's time so far; the result is left as it is.
    written = replace(result, timings={**result.timings,
                                       "write_seconds": time.perf_counter() - started})
    _write_run(book, run, written, plan)
    _write_summary(book, summary, written, plan, side_files)
    summary.activate()


def write_plan_workbook(result: PlanResult, plan: PlanData, path: str | Path,
                        notes: Iterable[str] = (), row_limit: int | None = None,
                        progress: Progress | None = None) -> tuple[Path, list[str]]:
    """Write the plan workbook atomically (and, first, any table too long for a sheet to a
    CSV file next to it); returns where it went and any notes."""
    path = Path(path)
    row_limit = ROW_LIMIT if row_limit is None else row_limit  # read late: tests lower it
    quiet: Progress = progress or (lambda _: None)
    files = write_side_files(result, plan, path, row_limit, quiet)
    written, save_notes = save_book(
        lambda book: fill_plan(book, result, plan, notes, files, row_limit, progress), path,
        "Sourcing and stockpile plan")
    return written, [f"{name} has more rows than an Excel sheet holds: the plan keeps the "
                     f"first {row_limit:,}, and {file} holds all of them"
                     for name, file in files.items()] + save_notes


def write_scenario_comparison(book: Book, ws: Any, result: PlanResult, plan: PlanData) -> None:
    """What each scenario changes against the reference scenario: cost by part, shortfall by
    commodity, routes that gain or lose volume, stock at its lowest; one table under another
    (one line for a plan with one scenario)."""
    currency = plan.settings.currency
    comparison = compare_scenarios(result, plan)
    title = book.fmt(bold=True, font_size=13, font_color="#1F4E78")
    if comparison is None:
        only = next(iter(plan.scenarios), "base")
        ws.set_column(0, 0, 120)
        ws.write_string(0, 0, f"The plan has one scenario ({only}): there is nothing to compare "
                        "it with. Add scenarios (Scenarios and Disruptions sheets) to see what "
                        "each changes.", title)
        return
    reference = comparison.reference
    specs = (SCENARIO_COSTS, SCENARIO_SHORTFALL, SCENARIO_VOLUMES, SCENARIO_LOWEST)
    for c in range(max(len(spec.columns) for spec in specs)):
        ws.set_column(c, c, max(header_width(spec.columns[c].header(currency),
                                             spec.columns[c].width)
                                for spec in specs if c < len(spec.columns)))
    ws.write_string(0, 0, f"Each scenario against {reference_label(plan)}: a change is the "
                    f"scenario's figure minus {reference}'s (charts on the Charts sheet)", title)
    section = book.fmt(**SECTION)
    plain = book.fmt(italic=True)
    row = 2
    blocks = (
        (SCENARIO_COSTS, comparison.costs,
         f"Cost (present value) and shortfall of each scenario, and the change of each cost "
         f"part against {reference}", ""),
        (SCENARIO_SHORTFALL, comparison.shortfall,
         f"Shortfall by commodity (unmet demand over the horizon) against {reference}",
         "No commodity is short in any scenario."),
        (SCENARIO_VOLUMES, comparison.volumes,
         f"Suppliers and routes that gain or lose volume (orders over the horizon) against "
         f"{reference}, biggest change first", f"Every scenario orders what {reference} does."),
        (SCENARIO_LOWEST, comparison.lowest,
         f"Stock at its lowest (end of period) against {reference}", "No stock is held."),
    )
    for spec, table, heading, empty in blocks:
        ws.write_string(row, 0, heading, section)
        row += 1
        if not len(table):
            ws.write_string(row, 0, empty, plain)
            row += 2
            continue
        count = write_table(book, ws, table, spec, currency, first_row=row, shared=True)
        row += count + 3
    ws.freeze_panes(1, 1)
    fit_to_page_width(ws)


def write_inputs(book: Book, result: PlanResult, row_limit: int | None = None) -> None:
    """The hidden, last Inputs sheet: every input cell as read (sheet, Excel row, row key,
    column, value as text), for `run.py --compare`."""
    inputs = result.inputs
    if inputs is None:
        return
    ws = book.sheet(INPUTS.name)
    table = INPUTS.frame(list(inputs))
    count = write_table(book, ws, table, INPUTS, "",
                        max_rows=ROW_LIMIT if row_limit is None else row_limit)
    if count < len(table):
        ws.write_string(count + 1, 0, f"The first {count:,} of {len(table):,} input cells; a "
                        "comparison sees only these", book.fmt(italic=True))
    ws.hide()
