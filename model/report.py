"""Write the plan workbook: the only module that writes a plan (or a diagnosis) to Excel.
Never sees Pyomo.

Sheets: Summary first, the Plan grid and Charts, then the tables of the output contract
(workbook.md), each with a styled header naming its unit, frozen header row, filter and
sensible widths. Written with xlsxwriter: text is always written as text (a supplier named
`=HYPERLINK(...)` stays a name), zip entries carry a fixed timestamp and the document a fixed
creation date, so the same plan gives the same bytes apart from the run stamp. The file is
written to a temporary file in the target folder and moved into place only when complete.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.exceptions import FileCreateError

from .data import PlanData
from .errors import OutputError
from .results import COST_PARTS, PlanResult

log = logging.getLogger(__name__)

HEADER = {"bold": True, "font_color": "#FFFFFF", "bg_color": "#1F4E78", "text_wrap": True,
          "valign": "top", "border": 1, "border_color": "#9BB7D4"}
TITLE = {"bold": True, "font_size": 14, "font_color": "#1F4E78"}
SECTION = {"bold": True, "font_size": 11, "font_color": "#1F4E78"}
MONEY = "#,##0"
PRICE = "#,##0.00"
QUANTITY = "#,##0.###"
SHARE = "0.0%"
DAYS = "#,##0.0"
FIXED_CREATED = dt.datetime(2000, 1, 1)


@dataclass(frozen=True)
class Col:
    """One output column: the field in the table, its header (with unit), format and width."""

    field: str
    header: str
    number_format: str | None = None
    width: float = 14


class Book:
    """An xlsxwriter workbook with cached formats."""

    def __init__(self, path: Path):
        # constant_memory: rows go to disk as they are written (each sheet in row order).
        self.workbook = xlsxwriter.Workbook(str(path), {
            "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "constant_memory": True})
        self.workbook.set_properties({"created": FIXED_CREATED,
                                      "title": "Sourcing and stockpile plan"})
        self._formats: dict[tuple, Any] = {}

    def fmt(self, number_format: str | None = None, **props: Any) -> Any:
        """A cached format: a number format plus any xlsxwriter properties."""
        if number_format:
            props["num_format"] = number_format
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.workbook.add_format(dict(props)) if props else None
        return self._formats[key]

    def sheet(self, name: str) -> Any:
        """A new worksheet."""
        return self.workbook.add_worksheet(name)

    def close(self) -> None:
        """Write the file."""
        self.workbook.close()


def plain(value: Any) -> Any:
    """A value xlsxwriter writes as is: NaN and None become blanks, numpy scalars Python."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def write_cell(ws: Any, row: int, col: int, value: Any, cell_format: Any = None) -> None:
    """One cell, typed: text as text, numbers as numbers, blanks skipped."""
    value = plain(value)
    if value is None:
        if cell_format is not None:
            ws.write_blank(row, col, None, cell_format)
    elif isinstance(value, str):
        ws.write_string(row, col, value, cell_format)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, cell_format)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, cell_format)
    else:
        ws.write_string(row, col, str(value), cell_format)


def write_table(book: Book, ws: Any, table: pd.DataFrame, columns: list[Col],
                first_row: int = 0, filters: bool = True) -> None:
    """Header row plus one row per record; columns carry their number format, so data cells
    are written without one (fast) and still show it. Freezes the header and adds a filter."""
    header = book.fmt(**HEADER)
    for i, col in enumerate(columns):
        ws.set_column(i, i, col.width, book.fmt(col.number_format))
        ws.write_string(first_row, i, col.header, header)
    ws.freeze_panes(first_row + 1, 0)
    ws.set_row(first_row, 30)
    if len(table):
        series = [table[c.field].tolist() for c in columns]
        for r, record in enumerate(zip(*series, strict=True), start=first_row + 1):
            for c, value in enumerate(record):
                write_cell(ws, r, c, value)
    if filters:
        ws.autofilter(first_row, 0, first_row + max(len(table), 1), len(columns) - 1)


def fit_to_page_width(ws: Any) -> None:
    """Print landscape on A4, one page wide."""
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)


def _columns(plan: PlanData) -> dict[str, list[Col]]:
    money = plan.settings.currency
    return {
        "Orders": [
            Col("scenario", "scenario", width=16), Col("period", "period", width=10),
            Col("arrival_period", "arrival_period", width=12),
            Col("commodity", "commodity", width=14), Col("supplier", "supplier", width=24),
            Col("route", "route", width=28), Col("region", "region", width=12),
            Col("quantity", "quantity (commodity unit)", QUANTITY),
            Col("unit_cost", f"unit_cost ({money}/unit)", PRICE),
            Col("freight_cost", f"freight_cost ({money}/unit)", PRICE),
            Col("cost", f"cost ({money}, undiscounted)", MONEY, 16)],
        "Stockpile": [
            Col("scenario", "scenario", width=16), Col("commodity", "commodity", width=14),
            Col("region", "region", width=12), Col("period", "period", width=10),
            Col("opening", "opening (unit)", QUANTITY), Col("arrivals", "arrivals (unit)",
                                                             QUANTITY),
            Col("transfers_in", "transfers_in (unit)", QUANTITY),
            Col("transfers_out", "transfers_out (unit)", QUANTITY),
            Col("demand", "demand (unit)", QUANTITY), Col("shortfall", "shortfall (unit)",
                                                          QUANTITY),
            Col("closing", "closing (unit)", QUANTITY), Col("target", "target (unit)", QUANTITY),
            Col("below_target", "below_target (unit)", QUANTITY),
            Col("days_of_cover", "days_of_cover (days)", DAYS)],
        "Concentration": [
            Col("limit", "limit", width=24), Col("scenario", "scenario", width=16),
            Col("commodity", "commodity", width=14), Col("region", "region", width=10),
            Col("attribute", "attribute", width=18), Col("value", "value", width=16),
            Col("period", "period", width=10), Col("share", "share (%)", SHARE),
            Col("max_share", "max_share (%)", SHARE), Col("binding", "binding", width=10),
            Col("marginal_cost_per_point", f"marginal_cost_per_point ({money} per 1%)", MONEY,
                18),
            Col("supply", "supply in scope (unit)", QUANTITY)],
        "Prices": [
            Col("commodity", "commodity", width=14), Col("region", "region", width=12),
            Col("period", "period", width=10),
            Col("marginal_cost", f"marginal_cost ({money}/unit, present value)", PRICE, 20)],
        "Scenarios": [
            Col("scenario", "scenario", width=18), Col("probability", "probability (%)", SHARE),
            Col("cost", f"cost ({money}, present value)", MONEY, 18),
            Col("shortfall", "shortfall (units, all commodities)", QUANTITY, 18),
            *[Col(part, f"{part} ({money})", MONEY, 16) for part in COST_PARTS]],
        "Investments": [
            Col("project", "project", width=24), Col("supplier", "supplier", width=24),
            Col("first_period", "first_period", width=12),
            Col("capacity_built", "capacity_built (unit/period)", QUANTITY, 16),
            Col("max_capacity", "max_capacity (unit/period)", QUANTITY, 16),
            Col("capex_per_unit", f"capex ({money} per unit/period)", PRICE, 16),
            Col("investment_cost", f"investment_cost ({money})", MONEY, 16)],
        "Transfers": [
            Col("scenario", "scenario", width=16), Col("period", "period", width=10),
            Col("arrival_period", "arrival_period", width=12),
            Col("commodity", "commodity", width=14), Col("from_region", "from_region", width=14),
            Col("to_region", "to_region", width=14), Col("quantity", "quantity (unit)", QUANTITY),
            Col("cost", f"cost ({money})", MONEY)],
        "Tradeoff": [
            Col("limit", "limit", width=24), Col("max_share", "max_share (%)", SHARE),
            Col("status", "status", width=12), Col("objective", f"objective ({money})", MONEY,
                                                     16),
            Col("expected_cost", f"expected_cost ({money})", MONEY, 16),
            Col("cvar", f"cvar ({money})", MONEY, 16),
            Col("total_shortfall", "total_shortfall (units)", QUANTITY, 16),
            Col("marginal_cost_per_point", f"marginal_cost_per_point ({money} per 1%)", MONEY,
                18)],
    }


def summary_items(result: PlanResult, plan: PlanData) -> list[tuple[str, Any, str, str]]:
    """(item, value, unit, note) rows of the Summary sheet."""
    money = plan.settings.currency
    solver_name = _solver_name()
    items: list[tuple[str, Any, str, str]] = [
        ("status", result.status, "", "optimal, or time_limit (best plan found in time)"),
        ("objective", result.objective, money,
         "(1 - risk_weight) x expected_cost + risk_weight x cvar, present value"),
        ("expected_cost", result.expected_cost, money, "probability-weighted cost"),
        ("cvar", result.cvar, money,
         f"mean cost of the worst {100 * (1 - plan.settings.cvar_level):g}% of outcomes"),
    ]
    if result.status == "time_limit":
        items.append(("gap", result.gap, "", "relative distance to the best possible plan "
                      "when the time limit stopped the solver (blank: unknown)"))
    for part in COST_PARTS:
        items.append((part, result.cost_parts[part], money, "expected, present value"))
    items.append(("total_shortfall", result.total_shortfall, "units",
                  "expected unmet demand, all commodities"))
    for k, value in result.shortfall_by_commodity.items():
        items.append((f"shortfall: {k}", value, plan.commodities[k].unit, "expected unmet demand"))
    for key in ("read_seconds", "validate_seconds", "build_seconds", "handoff_seconds",
                "solve_seconds",
                "extract_seconds", "write_seconds"):
        if key in result.timings:
            items.append((key, round(result.timings[key], 3), "s", ""))
    cols, rows, nonzeros = result.model_size
    items += [
        ("variables", cols, "", "LP columns"), ("constraints", rows, "", "LP rows"),
        ("nonzeros", nonzeros, "", ""),
        ("max_residual", result.max_residual, "", "largest violation of any limit by the "
         "returned plan, rechecked after solving"),
        ("input_file", plan.source, "", ""), ("input_sha256", plan.source_sha256, "", ""),
        ("solver", solver_name, "", ""), ("currency", money, "", ""),
        ("risk_weight", plan.settings.risk_weight, "", "lambda"),
        ("cvar_level", plan.settings.cvar_level, "", "beta"),
        ("discount_rate", plan.settings.discount_rate, "per year", ""),
        ("warnings", len(plan.warnings), "", "listed on the Warnings sheet"),
        ("run_at", dt.datetime.now().replace(microsecond=0).isoformat(sep=" "), "", ""),
    ]
    return items


def _solver_name() -> str:
    import pyomo.version

    from .solve import new_highs

    try:
        h = new_highs()
        version = f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"
    except Exception:  # a missing version call must not stop the plan from being written
        version = "?"
    return f"HiGHS {version} (highspy), Pyomo {pyomo.version.version}"


class _Grid:
    """Cells collected in any order and written row by row (constant-memory mode needs
    rows in order)."""

    def __init__(self) -> None:
        self.cells: dict[int, list[tuple[int, Any, Any]]] = {}

    def put(self, row: int, col: int, value: Any, cell_format: Any = None) -> None:
        """Remember one cell."""
        self.cells.setdefault(row, []).append((col, value, cell_format))

    def write(self, ws: Any) -> None:
        """Write every cell, rows in ascending order."""
        for row in sorted(self.cells):
            for col, value, cell_format in self.cells[row]:
                write_cell(ws, row, col, value, cell_format)


def _write_summary(book: Book, ws: Any, result: PlanResult, plan: PlanData) -> None:
    """Key figures (item, value, unit, note) on the left, decisions, binding limits and
    scenarios on the right."""
    money = plan.settings.currency
    for i, width in enumerate((26, 22, 10, 58, 3, 22, 26, 30, 14, 14, 8)):
        ws.set_column(i, i, width)
    ws.freeze_panes(1, 0)
    fit_to_page_width(ws)
    header = book.fmt(**HEADER)
    bold = book.fmt(bold=True)
    grid = _Grid()
    for c, text in enumerate(("item", "value", "unit", "note")):
        grid.put(0, c, text, header)
    quantity_units = {"units"} | {c.unit for c in plan.commodities.values()}
    for r, (item, value, unit, note) in enumerate(summary_items(result, plan), start=1):
        number_format = None
        if unit == money:
            number_format = MONEY
        elif unit in quantity_units:
            number_format = QUANTITY
        elif item in ("discount_rate", "gap"):
            number_format = "0.00%"
        elif item in ("variables", "constraints", "nonzeros", "warnings"):
            number_format = "#,##0"
        elif item == "max_residual":
            number_format = "0.0E+00"
        key = item in ("status", "objective", "expected_cost", "cvar")
        grid.put(r, 0, item, bold if key else None)
        grid.put(r, 1, value, book.fmt(number_format, bold=True) if key
                 else book.fmt(number_format))
        grid.put(r, 2, unit)
        grid.put(r, 3, note)
    _side_blocks(book, grid, result, plan, first_col=5)
    grid.write(ws)


def _side_blocks(book: Book, grid: _Grid, result: PlanResult, plan: PlanData,
                 first_col: int) -> None:
    money = plan.settings.currency
    header = book.fmt(**HEADER)
    section = book.fmt(**SECTION)
    row = 0

    def table(headers: list[str], records: list[list[tuple[Any, str | None]]]) -> None:
        nonlocal row
        for c, text in enumerate(headers):
            grid.put(row, first_col + c, text, header)
        row += 1
        for record in records:
            for c, (value, number_format) in enumerate(record):
                grid.put(row, first_col + c, value, book.fmt(number_format))
            row += 1
        row += 1

    grid.put(row, first_col, f"Decisions to take now: orders of "
                    f"{plan.settings.calendar.label(1)}, the same in every scenario", section)
    row += 1
    first = result.first_period_orders
    records = [[(r.commodity, None), (r.supplier, None), (r.route, None), (r.region, None),
                (r.quantity, QUANTITY), (plan.commodities[r.commodity].unit, None)]
               for r in first.itertuples(index=False)]
    table(["commodity", "supplier", "route", "region", "quantity", "unit"],
          records or [[("nothing is ordered in the first period", None)]])
    grid.put(row, first_col, "Binding limits, most costly first", section)
    row += 1
    concentration = result.concentration
    binding = concentration[concentration["binding"]] if len(concentration) else concentration
    records = []
    if len(binding):
        grouped = (binding.groupby("limit", sort=False)
                   .agg(worth=("marginal_cost_per_point", "sum"), periods=("period", "nunique"))
                   .sort_values("worth", ascending=False))
        records = [[(limit, None), (f"{r.periods} period(s)", None), (r.worth, MONEY)]
                   for limit, r in grouped.head(10).iterrows()]
    table(["limit", "binding in", f"marginal cost ({money} per 1% of max_share)"],
          records or [[("no concentration limit binds", None)]])
    grid.put(row, first_col, "Scenarios", section)
    row += 1
    table(["scenario", "probability", f"cost ({money})", "shortfall (units)"],
          [[(r.scenario, None), (r.probability, SHARE), (r.cost, MONEY),
            (r.shortfall, QUANTITY)] for r in result.scenarios.itertuples(index=False)])


def _write_plan_grid(book: Book, ws: Any, result: PlanResult, plan: PlanData) -> None:
    """Orders of the reference scenario as a route x period grid."""
    from .charts import plan_grid, reference_scenario

    grid = plan_grid(result, plan)
    labels = plan.settings.calendar.labels()
    columns = [Col("commodity", "commodity", width=14), Col("unit", "unit", width=6),
               Col("supplier", "supplier", width=24), Col("route", "route", width=28),
               Col("region", "region", width=10),
               Col("processing_country", "processing country", width=14)]
    columns += [Col(label, label, QUANTITY, 9) for label in labels]
    columns += [Col("total", "total", QUANTITY, 11)]
    write_table(book, ws, grid, columns)
    ws.freeze_panes(1, 6)
    fit_to_page_width(ws)
    ws.write_string(len(grid) + 2, 0, f"Orders of the {reference_scenario(plan)} scenario, by "
                    "the period they are placed in (quantities in each commodity's unit).",
                    book.fmt(italic=True))


def _write_warnings(book: Book, plan: PlanData, notes: Iterable[str]) -> None:
    rows = [{"sheet": w.sheet, "row": w.row, "column": w.column, "message": str(w)}
            for w in plan.warnings]
    rows += [{"sheet": "", "row": None, "column": None, "message": n} for n in notes]
    if not rows:
        return
    write_table(book, book.sheet("Warnings"), pd.DataFrame(rows), [
        Col("sheet", "sheet", width=16), Col("row", "row", width=8),
        Col("column", "column", width=18), Col("message", "message", width=110)])


def build_plan(book: Book, result: PlanResult, plan: PlanData,
               notes: Iterable[str] = ()) -> None:
    """Fill `book` with the plan; `notes` join the reader's warnings."""
    from .charts import add_charts

    started = time.perf_counter()
    columns = _columns(plan)
    summary = book.sheet("Summary")  # first sheet; filled last, with the time it took
    _write_plan_grid(book, book.sheet("Plan"), result, plan)
    add_charts(book, result, plan)
    sheets: list[tuple[str, pd.DataFrame | None]] = [
        ("Orders", result.orders), ("Stockpile", result.stockpile),
        ("Concentration", result.concentration), ("Prices", result.prices),
        ("Scenarios", result.scenarios),
        ("Investments", result.investments if plan.projects else None),
        ("Transfers", result.transfers if plan.transfers else None),
        ("Tradeoff", result.tradeoff),
    ]
    for name, table in sheets:
        if table is not None:
            write_table(book, book.sheet(name), table, columns[name])
    _write_warnings(book, plan, notes)
    result.timings["write_seconds"] = time.perf_counter() - started
    _write_summary(book, summary, result, plan)
    summary.activate()


def _book_writer(fill: Callable[[Book], None]) -> Callable[[Path], None]:
    def save(path: Path) -> None:
        book = Book(path)
        fill(book)
        try:
            book.close()
        except FileCreateError as exc:
            raise OSError(getattr(exc.args[0], "errno", None),
                          getattr(exc.args[0], "strerror", str(exc))) from exc
    return save


def free_name(path: Path) -> Path:
    """`name (1).xlsx`, `name (2).xlsx`, ...: the first that does not exist."""
    for i in range(1, 1000):
        candidate = path.with_name(f"{path.stem} ({i}){path.suffix}")
        if not candidate.exists():
            return candidate
    raise OutputError(f"could not find a free file name next to {path}")


def atomic_save(save: Any, path: Path) -> tuple[Path, list[str]]:
    """Run `save(temporary_path)` in the target folder, then move the file into place.

    If the target is locked (open in Excel), the plan goes to `name (1).xlsx` instead and a
    note says so. Nothing half-written is ever left at the target.
    """
    notes: list[str] = []
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".~", suffix=".xlsx.tmp", dir=path.parent)
        os.close(handle)
    except OSError as exc:
        raise OutputError(f"cannot write into the folder {path.parent}: {exc.strerror}") from exc
    temporary_path = Path(temporary)
    try:
        save(temporary_path)
        try:
            os.replace(temporary_path, path)
        except PermissionError:
            alternative = free_name(path)
            os.replace(temporary_path, alternative)
            notes.append(f"{path} is open in another program (locked), so the plan was "
                         f"written to {alternative} instead; close the file to write it there")
            path = alternative
    except OSError as exc:
        temporary_path.unlink(missing_ok=True)
        reason = exc.strerror or str(exc)
        raise OutputError(f"the plan could not be written to {path}: {reason}") from exc
    except BaseException:
        temporary_path.unlink(missing_ok=True)
        raise
    return path, notes


def fill_diagnosis(book: Book, diagnosis: Any, plan: PlanData) -> None:
    """The Diagnosis workbook of an infeasible or unbounded plan."""
    ws = book.sheet("Diagnosis")
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 120)
    ws.write_string(0, 0, "Why no plan could be made", book.fmt(**TITLE))
    rows = [("status", diagnosis.status), ("input_file", plan.source),
            ("input_sha256", plan.source_sha256)]
    rows += [("", line) for line in diagnosis.message.splitlines()]
    rows += [("how to read", "Conflicts: limits that cannot all hold at once (a minimal set, "
              "from the solver's irreducible infeasible subsystem). Changes: the smallest "
              "changes found that make a plan possible (an elastic re-solve in which every "
              "limit may bend at a cost of one per unit).")]
    bold = book.fmt(bold=True)
    for r, (item, value) in enumerate(rows, start=1):
        write_cell(ws, r, 0, item, bold)
        write_cell(ws, r, 1, value)
    conflicts = pd.DataFrame(diagnosis.conflicts, columns=[
        "scenario", "period", "sheet", "row", "column", "value", "limit"])
    write_table(book, book.sheet("Conflicts"), conflicts, [
        Col("scenario", "scenario", width=22), Col("period", "period", width=10),
        Col("sheet", "sheet", width=16), Col("row", "row", width=8),
        Col("column", "column", width=18), Col("value", "value", width=14),
        Col("limit", "what it demands", width=90)])
    changes = pd.DataFrame(diagnosis.changes, columns=[
        "sheet", "row", "column", "value", "change", "periods", "scenarios", "limit",
        "largest_change", "total_change"])
    write_table(book, book.sheet("Changes"), changes, [
        Col("sheet", "sheet", width=16), Col("row", "row", width=8),
        Col("column", "column", width=18), Col("value", "current value", width=14),
        Col("change", "smallest change", width=60), Col("periods", "periods", width=30),
        Col("scenarios", "scenarios", width=22), Col("limit", "what it demands", width=70),
        Col("largest_change", "largest change (unit)", QUANTITY, 14),
        Col("total_change", "total change (unit)", QUANTITY, 14)])


def write_diagnosis(diagnosis: Any, plan: PlanData, path: str | Path) -> Path:
    """Write the Diagnosis workbook atomically; returns where it went."""
    target, _ = atomic_save(_book_writer(lambda book: fill_diagnosis(book, diagnosis, plan)),
                            Path(path))
    return target


def write_plan(result: PlanResult, plan: PlanData, path: str | Path,
               notes: Iterable[str] = ()) -> tuple[Path, list[str]]:
    """Write the plan workbook atomically; returns where it went and any notes."""
    return atomic_save(_book_writer(lambda book: build_plan(book, result, plan, notes)),
                       Path(path))
