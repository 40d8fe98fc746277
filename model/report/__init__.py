"""The workbooks the planner writes: the plan, the diagnosis of an infeasible plan and the
comparison of two plans; they never see Pyomo. (The other writer of Excel is
`model.io.template`, which writes the blank input template.)"""

from model.report.diagnosis import write_diagnosis
from model.report.plan import write_plan_workbook

__all__ = ["write_diagnosis", "write_plan_workbook"]
