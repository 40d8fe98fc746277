"""Write the plan workbook: the only module that writes Excel for a plan. Never sees Pyomo.

Sheets: Summary first, then the tables of the output contract (workbook.md), each with a
styled header naming its unit, frozen header row, filter and sensible widths. Text from the
user is always written as text (a supplier named `=HYPERLINK(...)` stays a name). The file is
written to a temporary file in the target folder and moved into place only when complete.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .data import PlanData
from .errors import OutputError
from .results import COST_PARTS, PlanResult

log = logging.getLogger(__name__)

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14, color="1F4E78")
SECTION_FONT = Font(bold=True, size=11, color="1F4E78")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
MONEY = "#,##0"
PRICE = "#,##0.00"
QUANTITY = "#,##0.###"
SHARE = "0.0%"
DAYS = "#,##0.0"
FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Col:
    """One output column: the field in the table, its header (with unit), format and width."""

    field: str
    header: str
    number_format: str | None = None
    width: float = 14


def _text_cell(ws: Any, value: str, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # never a formula, whatever the text starts with
    if font is not None:
        cell.font = font
    return cell


def _cell(ws: Any, value: Any, number_format: str | None = None,
          font: Font | None = None) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        return _text_cell(ws, value, font)
    if hasattr(value, "item"):
        value = value.item()  # numpy scalar
    if number_format is None and font is None:
        return value
    cell = WriteOnlyCell(ws, value=value)
    if number_format:
        cell.number_format = number_format
    if font is not None:
        cell.font = font
    return cell


def write_table(ws: Any, table: pd.DataFrame, columns: list[Col], first_row: int = 1,
                filters: bool = True) -> None:
    """Header row plus one row per record, formatted by column; freezes the header."""
    for i, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = f"A{first_row + 1}"
    header = []
    for col in columns:
        cell = _text_cell(ws, col.header, HEADER_FONT)
        cell.fill = HEADER_FILL
        cell.alignment = WRAP
        header.append(cell)
    ws.append(header)
    fields = [c.field for c in columns]
    formats = [c.number_format for c in columns]
    if len(table):
        for record in table[fields].itertuples(index=False, name=None):
            ws.append([_cell(ws, v, f) for v, f in zip(record, formats, strict=True)])
    if filters:
        last = get_column_letter(len(columns))
        ws.auto_filter.ref = f"A{first_row}:{last}{first_row + max(len(table), 1)}"


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
    for key in ("read_seconds", "build_seconds", "handoff_seconds", "solve_seconds",
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


def fit_to_page_width(ws: Any) -> None:
    """Print landscape, one page wide, as many pages tall as needed."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


def _header_cell(ws: Any, text: str) -> WriteOnlyCell:
    cell = _text_cell(ws, text, HEADER_FONT)
    cell.fill = HEADER_FILL
    cell.alignment = WRAP
    return cell


def _side_blocks(ws: Any, result: PlanResult, plan: PlanData) -> list[list[Any]]:
    """Rows of the Summary's right-hand side: decisions to take now, binding limits and
    scenario costs, each a small titled table."""
    money = plan.settings.currency
    rows: list[list[Any]] = []
    first = result.first_period_orders
    label = plan.settings.calendar.label(1)
    rows.append([_text_cell(ws, f"Decisions to take now: orders of {label}, the same in "
                            "every scenario", SECTION_FONT)])
    rows.append([_header_cell(ws, h) for h in ("commodity", "supplier", "route", "region",
                                                "quantity", "unit")])
    for r in first.itertuples(index=False):
        rows.append([_cell(ws, r.commodity), _cell(ws, r.supplier), _cell(ws, r.route),
                     _cell(ws, r.region), _cell(ws, r.quantity, QUANTITY),
                     _cell(ws, plan.commodities[r.commodity].unit)])
    if not len(first):
        rows.append([_cell(ws, "nothing is ordered in the first period")])
    rows.append([])
    table = result.concentration
    rows.append([_text_cell(ws, "Binding limits, most costly first", SECTION_FONT)])
    rows.append([_header_cell(ws, h) for h in (
        "limit", "binding in", f"marginal cost ({money} per 1% of max_share)")])
    binding = table[table["binding"]] if len(table) else table
    if len(binding):
        grouped = (binding.groupby("limit", sort=False)
                   .agg(worth=("marginal_cost_per_point", "sum"), periods=("period", "nunique"))
                   .sort_values("worth", ascending=False))
        for limit, r in grouped.head(10).iterrows():
            rows.append([_cell(ws, limit), _cell(ws, f"{r.periods} period(s)"),
                         _cell(ws, r.worth, MONEY)])
    else:
        rows.append([_cell(ws, "no concentration limit binds")])
    rows.append([])
    rows.append([_text_cell(ws, "Scenarios", SECTION_FONT)])
    rows.append([_header_cell(ws, h) for h in ("scenario", "probability", f"cost ({money})",
                                                "shortfall (units)")])
    for r in result.scenarios.itertuples(index=False):
        rows.append([_cell(ws, r.scenario), _cell(ws, r.probability, SHARE),
                     _cell(ws, r.cost, MONEY), _cell(ws, r.shortfall, QUANTITY)])
    return rows


def _write_summary(ws: Any, result: PlanResult, plan: PlanData) -> None:
    """Key figures (item, value, unit, note) on the left, decisions and limits on the right."""
    for letter, width in zip("ABCDEFGHIJK", (26, 22, 10, 58, 3, 22, 26, 30, 14, 14, 8),
                             strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    fit_to_page_width(ws)
    left: list[list[Any]] = [[_header_cell(ws, h) for h in ("item", "value", "unit", "note")]]
    quantity_units = {"units"} | {c.unit for c in plan.commodities.values()}
    for item, value, unit, note in summary_items(result, plan):
        fmt = MONEY if unit == plan.settings.currency else None
        if unit in quantity_units:
            fmt = QUANTITY
        if item in ("discount_rate", "gap"):
            fmt = "0.00%"
        elif item in ("variables", "constraints", "nonzeros", "warnings"):
            fmt = "#,##0"
        elif item == "max_residual":
            fmt = "0.0E+00"
        font = BOLD if item in ("status", "objective", "expected_cost", "cvar") else None
        left.append([_text_cell(ws, item, font), _cell(ws, value, fmt, font), _cell(ws, unit),
                     _cell(ws, note)])
    right = _side_blocks(ws, result, plan)
    for i in range(max(len(left), len(right))):
        row = list(left[i]) if i < len(left) else [None] * 4
        row += [None] + (right[i] if i < len(right) else [])
        ws.append(row)


def _write_plan_grid(ws: Any, result: PlanResult, plan: PlanData) -> None:
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
    write_table(ws, grid, columns)
    ws.freeze_panes = "G2"
    fit_to_page_width(ws)
    ws.append([])
    ws.append([_text_cell(ws, f"Orders of the {reference_scenario(plan)} scenario, by the "
                          "period they are placed in (quantities in each commodity's unit).",
                          Font(italic=True))])


def _write_warnings(wb: Workbook, plan: PlanData, notes: Iterable[str]) -> None:
    rows = [{"sheet": w.sheet, "row": w.row, "column": w.column, "message": str(w)}
            for w in plan.warnings]
    rows += [{"sheet": "", "row": None, "column": None, "message": n} for n in notes]
    if not rows:
        return
    ws = wb.create_sheet("Warnings")
    write_table(ws, pd.DataFrame(rows), [Col("sheet", "sheet", width=16),
                                         Col("row", "row", width=8),
                                         Col("column", "column", width=18),
                                         Col("message", "message", width=110)])


def build_workbook(result: PlanResult, plan: PlanData, notes: Iterable[str] = ()) -> Workbook:
    """The plan workbook, in memory; `notes` join the reader's warnings."""
    from .charts import add_charts

    started = time.perf_counter()
    wb = Workbook(write_only=True)
    columns = _columns(plan)
    summary = wb.create_sheet("Summary")  # first sheet; filled last, with the write time
    _write_plan_grid(wb.create_sheet("Plan"), result, plan)
    add_charts(wb, result, plan, _append_plain)
    sheets: list[tuple[str, pd.DataFrame | None]] = [
        ("Orders", result.orders), ("Stockpile", result.stockpile),
        ("Concentration", result.concentration), ("Prices", result.prices),
        ("Scenarios", result.scenarios),
        ("Investments", result.investments if plan.projects else None),
        ("Transfers", result.transfers if plan.transfers else None),
        ("Tradeoff", result.tradeoff),
    ]
    for name, table in sheets:
        if table is None:
            continue
        write_table(wb.create_sheet(name), table, columns[name])
    _write_warnings(wb, plan, notes)
    result.timings["write_seconds"] = time.perf_counter() - started
    _write_summary(summary, result, plan)
    return wb


def _append_plain(ws: Any, values: list[Any], bold: bool = False) -> None:
    """Append a row of plain values (text kept as text), bold on request."""
    ws.append([_cell(ws, v, None, BOLD if bold else None) for v in values])


class _StableZip(zipfile.ZipFile):
    """A zip whose entries carry a fixed timestamp, so the same plan gives the same bytes."""

    def writestr(self, zinfo_or_arcname: Any, data: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, FIXED_ZIP_TIME)
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename: Any, arcname: Any = None, *args: Any, **kwargs: Any) -> None:
        with open(filename, "rb") as handle:
            self.writestr(arcname or os.path.basename(filename), handle.read())


def save_stable(wb: Workbook, path: Path) -> None:
    """Save with fixed zip timestamps and document dates (byte-stable for the same plan)."""
    from openpyxl.writer.excel import ExcelWriter

    stamp = dt.datetime(2000, 1, 1)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    with _StableZip(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()


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


def write_diagnosis(diagnosis: Any, plan: PlanData, path: str | Path) -> Path:
    """Write the Diagnosis workbook of an infeasible or unbounded plan."""
    target, _ = atomic_save(lambda tmp: save_stable(diagnosis_workbook(diagnosis, plan), tmp),
                            Path(path))
    return target


def diagnosis_workbook(diagnosis: Any, plan: PlanData) -> Workbook:
    """The Diagnosis workbook, in memory."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Diagnosis")
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 120
    title = _text_cell(ws, "Why no plan could be made", TITLE_FONT)
    ws.append([title])
    rows = [("status", diagnosis.status), ("input_file", plan.source),
            ("input_sha256", plan.source_sha256)]
    rows += [("", line) for line in diagnosis.message.splitlines()]
    rows += [("how to read", "Conflicts: limits that cannot all hold at once (a minimal set, "
              "from the solver's irreducible infeasible subsystem). Changes: the smallest "
              "changes found that make a plan possible (an elastic re-solve in which every "
              "limit may bend at a cost of one per unit).")]
    for item, value in rows:
        ws.append([_text_cell(ws, item, BOLD), _cell(ws, value)])
    conflicts = pd.DataFrame(diagnosis.conflicts, columns=[
        "scenario", "period", "sheet", "row", "column", "value", "limit"])
    write_table(wb.create_sheet("Conflicts"), conflicts, [
        Col("scenario", "scenario", width=22), Col("period", "period", width=10),
        Col("sheet", "sheet", width=16), Col("row", "row", width=8),
        Col("column", "column", width=18), Col("value", "value", width=14),
        Col("limit", "what it demands", width=90)])
    changes = pd.DataFrame(diagnosis.changes, columns=[
        "sheet", "row", "column", "value", "change", "periods", "scenarios", "limit",
        "largest_change", "total_change"])
    write_table(wb.create_sheet("Changes"), changes, [
        Col("sheet", "sheet", width=16), Col("row", "row", width=8),
        Col("column", "column", width=18), Col("value", "current value", width=14),
        Col("change", "smallest change", width=60), Col("periods", "periods", width=30),
        Col("scenarios", "scenarios", width=22), Col("limit", "what it demands", width=70),
        Col("largest_change", "largest change (unit)", QUANTITY, 14),
        Col("total_change", "total change (unit)", QUANTITY, 14)])
    return wb


def write_plan(result: PlanResult, plan: PlanData, path: str | Path,
               notes: Iterable[str] = ()) -> tuple[Path, list[str]]:
    """Write the plan workbook atomically; returns where it went and any notes."""
    return atomic_save(lambda tmp: save_stable(build_workbook(result, plan, notes), tmp),
                       Path(path))
