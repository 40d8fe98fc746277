"""Render a plan's Summary and Charts to PDF and PNG pages, to look at it as a reader would.

Needs LibreOffice and poppler (Debian: libreoffice-calc-nogui poppler-utils); not part of the
test suite because it is slow.

    python scripts/render_plan.py outputs/critical_supply_example_plan.xlsx /tmp/render
    python scripts/render_plan.py PLAN.xlsx /tmp/render "Scenario comparison" Run   # others
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from openpyxl import load_workbook

KEEP = ("Summary", "Charts", "Chart data")


def render(plan: Path, folder: Path, sheets: tuple[str, ...] = KEEP) -> list[Path]:
    """Write `view.pdf` and `page-N.png` of the Summary and Charts sheets (or the sheets
    named) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    wb = load_workbook(plan)
    for name in wb.sheetnames:
        if name not in sheets:
            del wb[name]
    for ws in wb.worksheets:
        ws.sheet_state = "visible"
    view = folder / "view.xlsx"
    wb.save(view)
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(folder),
                    str(view)], check=True, capture_output=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", str(folder / "view.pdf"),
                    str(folder / "page")], check=True)
    return sorted(folder.glob("page*.png"))


if __name__ == "__main__":
    pages = render(Path(sys.argv[1]), Path(sys.argv[2] if len(sys.argv) > 2 else "render"),
                   tuple(sys.argv[3:]) or KEEP)
    print("\n".join(str(p) for p in pages))
