"""Write input workbooks: the blank template (`run.py --template`) and, with data rows, the
shipped example. Built from `schema.py`, so headers, units, dropdowns and the Instructions sheet
always match what the reader accepts."""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from model.io.formats import QUANTITY, WHOLE_SHARE
from model.io.schema import SETTINGS_COLUMNS, SHEETS, Column, Sheet

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = Font(bold=True, color="FFFFFF")
NOTE_FILL = PatternFill("solid", fgColor="7F7F7F")
TITLE_FONT = Font(bold=True, size=14, color="1F4E78")
WRAP = Alignment(wrap_text=True, vertical="top")
VALIDATION_ROWS = 2000
KEY_SOURCES = {  # column name -> (sheet, key column) its dropdown lists
    "commodity": ("Commodities", "commodity"),
    "supplier": ("Suppliers", "supplier"),
    "region": ("Demand", "region"),
    "from_region": ("Demand", "region"),
    "to_region": ("Demand", "region"),
    "scenario": ("Scenarios", "scenario"),
    "limit": ("Concentration", "limit"),
    "route": ("Routes", "route"),
    "price_index": ("Indices", "index"),
    "index": ("Indices", "index"),
    "currency": ("FX", "currency"),
}
SETTING_DEFAULTS = {c.name: c.default for c in SETTINGS_COLUMNS}


FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


class _StableZip(zipfile.ZipFile):
    """A zip whose entries carry a fixed timestamp, so the same content gives the same bytes."""

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
    """Save with fixed zip timestamps and document dates (byte-stable for the same content)."""
    from openpyxl.writer.excel import ExcelWriter

    stamp = dt.datetime(2000, 1, 1)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    with _StableZip(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()


def _letter(sheet: Sheet, column: str) -> str:
    return get_column_letter([c.name for c in sheet.columns].index(column) + 1)


def _spec(name: str) -> Sheet:
    return next(s for s in SHEETS if s.name == name)


def _text(ws: Any, row: int, col: int, value: Any) -> Any:
    cell = ws.cell(row, col, value)
    if isinstance(value, str):
        cell.data_type = "s"  # names starting with = + - @ stay text
    return cell


def _style_header(ws: Any, headers: list[str], widths: list[float]) -> None:
    for i, (text, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = _text(ws, 1, i, text)
        cell.font = HEADER_FONT
        cell.fill = NOTE_FILL if text == "notes" else HEADER_FILL
        cell.alignment = WRAP
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 32


def _width(column: Column) -> float:
    if column.kind in ("key", "text", "list"):
        return 22
    return 16


def _validation(sheet: Sheet, column: Column, own_sheet_keys: bool) -> DataValidation | None:
    """A dropdown or number range for one column (None where free text is right)."""
    if column.kind == "enum":
        dv = DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"',
                            allow_blank=True, showErrorMessage=True,
                            errorTitle=column.name, error=column.expectation())
    elif column.kind == "basis":
        # A suggestion list: "rolling 3" is typed, so other values must stay allowed.
        dv = DataValidation(type="list", formula1='"period,year,rolling 3,rolling 12,horizon"',
                            allow_blank=True, showErrorMessage=False)
        dv.showInputMessage = True
        dv.promptTitle = column.name
        dv.prompt = "period, year, horizon, or rolling N (N consecutive periods)"
    elif column.kind == "share":
        dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="1",
                            allow_blank=True, showErrorMessage=True, errorTitle=column.name,
                            error="A fraction between 0 and 1, or a percent such as 60%.")
    elif column.kind in ("number", "int") and column.lo is not None:
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual",
                            formula1=f"{column.lo:g}", allow_blank=True, showErrorMessage=True,
                            errorTitle=column.name, error=column.expectation())
    elif column.name in KEY_SOURCES and not own_sheet_keys:
        source_sheet, source_column = KEY_SOURCES[column.name]
        letter = _letter(_spec(source_sheet), source_column)
        dv = DataValidation(type="list",
                            formula1=f"={source_sheet}!${letter}$2:${letter}${VALIDATION_ROWS}",
                            allow_blank=True, showErrorMessage=False)
        dv.showInputMessage = True
        dv.promptTitle = column.name
        dv.prompt = f"Pick from {source_sheet}, or type a name (* where the sheet allows it)."
    else:
        return None
    letter = _letter(sheet, column.name)
    dv.add(f"{letter}2:{letter}{VALIDATION_ROWS}")
    return dv


def _owns_key(sheet: Sheet, column: str) -> bool:
    """The column defines keys on this sheet (Suppliers.supplier), so no dropdown of itself."""
    source = KEY_SOURCES.get(column)
    return source is not None and source[0] == sheet.name


def _write_settings(wb: Workbook, values: dict[str, Any] | None, currency: str) -> None:
    ws = wb.create_sheet("Settings")
    _style_header(ws, ["setting", "value", "notes"], [22, 18, 70])
    values = values or {}
    for r, column in enumerate(SETTINGS_COLUMNS, start=2):
        _text(ws, r, 1, column.name)
        _text(ws, r, 2, values.get(column.name, SETTING_DEFAULTS[column.name]))
        required = "required; " if column.required else ""
        _text(ws, r, 3, f"{required}{column.description}").alignment = WRAP
        if column.kind == "enum":
            dv = DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"',
                                allow_blank=True, showErrorMessage=True)
            dv.add(f"B{r}")
            ws.add_data_validation(dv)
        elif column.kind == "share" or column.name == "cvar_level":
            dv = DataValidation(type="decimal", operator="between", formula1="0",
                                formula2="1", allow_blank=True, showErrorMessage=True)
            dv.add(f"B{r}")
            ws.add_data_validation(dv)


def _write_instructions(wb: Workbook, currency: str) -> None:
    ws = wb.create_sheet("Instructions", 0)
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 12
    ws.column_dimensions["D"].width = 16
    ws.column_dimensions["E"].width = 18
    ws.column_dimensions["F"].width = 80
    _text(ws, 1, 1, "How to fill in this workbook").font = TITLE_FONT
    lines = [
        "One header row per sheet (row 1), one record per row below. Blank rows are skipped.",
        "Header names ignore case, spaces and a unit in brackets: 'Unit cost (USD/t)' is "
        "unit_cost. Extra columns (such as notes) are kept for you and ignored.",
        "Shares and probabilities: a fraction (0.6) or a percent cell (60%). Periods: a date "
        "inside the period or a label: 2027-01 (month), 2027-Q1 (quarter), 2027 (year). In "
        "Demand a year or quarter label sets every period inside it (a dated row still wins).",
        "Quantities are in the commodity's unit (Commodities sheet) per period; money in the "
        "currency of Settings (a supplier with another currency is converted with the FX "
        "sheet). Run: python run.py this_workbook.xlsx",
        "Obligations (Stockpiles min_stock, min_days) and Budgets (max_spend per plan year) are "
        "hard limits; target_stock and target_days stay soft targets priced by target_penalty.",
        "Whole cargoes (Routes cargo_size, max_cargoes), minimum lots (Suppliers min_lot) and "
        "long-term contracts (Contracts sheet: ACQ, take-or-pay, flex, make-up, options) make "
        "the plan a mixed-integer programme, solved to Settings mip_gap; leave them blank for "
        "continuous orders.",
    ]
    row = 2
    for line in lines:
        _text(ws, row, 1, line)
        row += 1
    row += 1
    for i, text in enumerate(["sheet", "column", "required", "default", "unit", "meaning"],
                             start=1):
        cell = _text(ws, row, i, text)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    row += 1
    for sheet in SHEETS:
        cell = _text(ws, row, 1, sheet.name)
        cell.font = Font(bold=True)
        _text(ws, row, 3, "required sheet" if sheet.required else "optional sheet")
        _text(ws, row, 6, sheet.description)
        row += 1
        columns = SETTINGS_COLUMNS if sheet.name == "Settings" else sheet.columns
        for column in columns:
            _text(ws, row, 2, column.name)
            _text(ws, row, 3, "yes" if column.required else "")
            default = column.default
            if column.kind == "basis":
                default = default[0]
            elif isinstance(default, tuple):
                default = "; ".join(default) or None
            _text(ws, row, 4, None if default is None else str(default))
            _text(ws, row, 5, column.unit.replace("money", currency))
            _text(ws, row, 6, f"{column.description}. Expected: {column.expectation()}.")
            row += 1


def write_input_workbook(path: Path, rows: dict[str, list[dict[str, Any]]] | None = None,
                         settings: dict[str, Any] | None = None,
                         currency: str = "USD") -> Path:
    """An input workbook with every sheet of the contract, styled and validated, holding the
    given rows (each a dict by column name; a `notes` key becomes the Notes column)."""
    rows = rows or {}
    wb = Workbook()
    wb.remove(wb.active)
    _write_settings(wb, settings, currency)
    for sheet in SHEETS[1:]:
        ws = wb.create_sheet(sheet.name)
        names = [c.name for c in sheet.columns]
        sheet_rows = rows.get(sheet.name, [])
        has_notes = any("notes" in r for r in sheet_rows) or not rows
        headers = [c.header(currency) for c in sheet.columns] + (["notes"] if has_notes else [])
        widths = [_width(c) for c in sheet.columns] + ([60] if has_notes else [])
        _style_header(ws, headers, widths)
        for r, record in enumerate(sheet_rows, start=2):
            unknown = set(record) - set(names) - {"notes"}
            if unknown:
                raise ValueError(f"{sheet.name}: unknown columns {sorted(unknown)}")
            for c, name in enumerate(names + (["notes"] if has_notes else []), start=1):
                value = record.get(name)
                if isinstance(value, tuple | list):
                    value = "; ".join(value)
                cell = _text(ws, r, c, value)
                column = sheet.column_index.get(name)
                if column is not None and column.kind == "share" and value is not None:
                    cell.number_format = WHOLE_SHARE
                elif column is not None and column.kind in ("number", "int"):
                    cell.number_format = QUANTITY
        for column in sheet.columns:
            dv = _validation(sheet, column, _owns_key(sheet, column.name))
            if dv is not None:
                ws.add_data_validation(dv)
    _write_instructions(wb, currency)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_stable(wb, path)
    return path


def write_template(path: Path) -> Path:
    """A blank input workbook: every sheet, headers with units, instructions, dropdowns."""
    return write_input_workbook(path)
