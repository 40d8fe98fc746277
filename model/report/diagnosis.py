"""Write the Diagnosis workbook of an infeasible or unbounded plan: why no plan exists, which
rows conflict, and the smallest changes that make a plan possible."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from model.domain.data import PlanData
from model.io.formats import QUANTITY
from model.report.book import TITLE, Book, save_book, write_cell, write_header, write_rows

CONFLICT_COLUMNS = [("scenario", "scenario", 22, None), ("period", "period", 10, None),
                    ("sheet", "sheet", 16, None), ("row", "row", 8, None),
                    ("column", "column", 18, None), ("value", "value", 14, None),
                    ("limit", "what it demands", 90, None)]
CHANGE_COLUMNS = [("sheet", "sheet", 16, None), ("row", "row", 8, None),
                  ("column", "column", 18, None), ("value", "current value", 14, None),
                  ("change", "smallest change", 60, None), ("periods", "periods", 30, None),
                  ("scenarios", "scenarios", 22, None), ("limit", "what it demands", 70, None),
                  ("largest_change", "largest change (unit)", 14, QUANTITY),
                  ("total_change", "total change (unit)", 14, QUANTITY)]


def _table(book: Book, name: str, records: list[dict[str, Any]],
           columns: list[tuple[str, str, float, str | None]]) -> None:
    ws = book.sheet(name)
    fields = [c[0] for c in columns]
    write_header(book, ws, [c[1] for c in columns], [c[2] for c in columns],
                 [c[3] for c in columns])
    write_rows(book, ws, pd.DataFrame(records, columns=fields), fields, 1)


def fill_diagnosis(book: Book, diagnosis: Any, plan: PlanData) -> None:
    """Diagnosis (in words), Conflicts and Changes sheets."""
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
    _table(book, "Conflicts", diagnosis.conflicts, CONFLICT_COLUMNS)
    _table(book, "Changes", diagnosis.changes, CHANGE_COLUMNS)


def write_diagnosis(diagnosis: Any, plan: PlanData, path: str | Path) -> Path:
    """Write the Diagnosis workbook atomically; returns where it went."""
    target, _ = save_book(lambda book: fill_diagnosis(book, diagnosis, plan), Path(path),
                          "Why no plan could be made")
    return target
