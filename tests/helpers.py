"""Tiny workbooks written from Python dicts, and checks that read the written plan back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook


def write_workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """Each sheet is a list of rows; the first row is the header."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def settings(periods: int, start: str = "2027-01", **extra: Any) -> list[list[Any]]:
    rows = [["setting", "value"], ["start_period", start], ["periods", periods]]
    rows += [[k, v] for k, v in extra.items()]
    return rows
