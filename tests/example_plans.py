"""The shipped example planned once per test session, shared by the chart, Summary and
comparison tests (a run takes a few seconds)."""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from openpyxl import load_workbook

from model.pipeline import RunOptions, RunOutcome, run

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "inputs" / "critical_supply_example.xlsx"
QUICK = RunOptions(insight_seconds=0)  # the exact figures from the basis only


@functools.cache
def folder() -> Path:
    """A scratch folder for the session's example plans, removed at exit."""
    path = Path(tempfile.mkdtemp(prefix="planner-example-"))
    atexit.register(shutil.rmtree, path, True)
    return path


@functools.cache
def example_outcome() -> RunOutcome:
    """The example, planned and written once."""
    return run(EXAMPLE, folder() / "example_plan.xlsx", progress=lambda _: None, options=QUICK)


def with_max_share(limit: str, share: float) -> tuple[Path, int]:
    """A copy of the example with one Concentration row's max_share changed; returns it and
    the row's Excel row number."""
    wb = load_workbook(EXAMPLE)
    ws = wb["Concentration"]
    header = [c.value for c in ws[1]]
    column = next(i for i, h in enumerate(header) if str(h).lower().startswith("max_share"))
    for row in ws.iter_rows(min_row=2):
        if row[0].value == limit:
            row[column].value = share
            path = folder() / f"example_{limit.replace(' ', '_')}_{share:g}.xlsx"
            wb.save(path)
            return path, row[0].row
    raise KeyError(limit)


@functools.cache
def tighter_outcome() -> RunOutcome:
    """The example with the NdPr FEOC processing cap at 40% instead of 50%."""
    source, _ = with_max_share("NdPr FEOC processing", 0.4)
    return run(source, folder() / "tighter_plan.xlsx", progress=lambda _: None, options=QUICK)
