"""Excel number formats: the one home of every format the workbooks we write use (the plan's
tables, Summary, Run and Evaluation sheets, its charts' axes, and the input template), each
named for what it shows. `FORMATS` gives the format of each kind of output column
(`results.tables.OutColumn.kind`)."""

from __future__ import annotations

QUANTITY = "#,##0.###"       # units: up to three decimals, thousands grouped
FINE_QUANTITY = "#,##0.0##"  # an axis whose step is below 1: at least one decimal
MONEY = "#,##0"              # whole money
PRICE = "#,##0.00"           # money per unit
FINE_MONEY = "#,##0.000"     # scaled money (thousands, millions) to three decimals
COUNT = "#,##0"              # a count, thousands grouped
WHOLE = "0"                  # a small count, no grouping (a histogram's axis)
SHARE = "0.0%"               # a share to a tenth of a percent
WHOLE_SHARE = "0%"           # a share to the whole percent (axes of max_share, template cells)
RATE = "0.00%"               # a yearly rate or a relative gap
SCIENTIFIC = "0.0E+00"       # very small numbers: residuals, MIP gaps
DAYS = "#,##0.0"             # days of cover in a table
ONE_DECIMAL = "0.0"          # days of cover in a short side block
RATIO = "0.000"              # a ratio of two figures
MONEY_RATE = "0.0000"        # money saved per unit of money (a budget's dual)

FORMATS: dict[str, str | None] = {
    "quantity": QUANTITY, "money": MONEY, "price": PRICE, "share": SHARE, "days": DAYS,
    "count": COUNT, "text": None, "flag": None, "ratio": RATIO}
