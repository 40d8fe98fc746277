"""The workbooks the planner writes: the plan, the diagnosis of an infeasible plan and the
comparison of two plans. The only writers of Excel; they never see Pyomo."""

from model.report.diagnosis import write_diagnosis
from model.report.plan import write_plan_workbook

__all__ = ["write_diagnosis", "write_plan_workbook"]
