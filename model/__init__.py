"""Sourcing and stockpile planner: an Excel workbook in, an optimal diversified plan out.

The flow, one module per step: `workbook` (read) -> `validation` (check, `data.PlanData`) ->
`scenarios` (factors and the non-anticipativity tree) -> `formulation` (the Pyomo LP) ->
`handoff` (arrays for HiGHS) -> `solve` -> `results` (tidy tables) -> `report` (the plan
workbook). `runner.run` does all of it.
"""

__version__ = "0.2.0"
