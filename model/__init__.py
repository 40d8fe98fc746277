"""Sourcing and stockpile planner: an Excel workbook in, an optimal diversified plan out.

The flow, one folder per stage, each importing only the stages before it
(tests/test_layers.py): `domain` (the plan's data, periods, scenarios and the tree) -> `io`
(read and write files: the workbook, the template, number formats) -> `inputs` (validation,
giving `domain.data.PlanData`) -> `formulation` (the Pyomo LP) -> `solver` (hand-off to HiGHS
and the plan's solve, giving `solver.plan.SolvedModel`) -> `results` (tidy tables,
`results.extract.PlanResult`) -> `analyses` (prices and break-evens, the sweep, EVPI/VSS,
evaluation, diagnosis) -> `report` (the plan workbook). `pipeline.run` orders the stages.
"""

__version__ = "0.2.0"
