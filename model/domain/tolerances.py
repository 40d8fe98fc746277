"""The small numbers the planner compares against: the one home of each tolerance that more
than one module uses. A module's own numerical steps (the ratio test's pivot tolerances in
analyses/sensitivity.py, the solver's residual scale in solver/solve.py) stay beside the code
they tune."""

from __future__ import annotations

ROUND_OFF = 1e-9
"""Two numbers (or a number and 0) closer than this, in the workbook's units, differ by
floating-point round-off only: a quantity above it is something (an order, a transfer, the
supply in a limit's scope), an input above another by more than it is above it."""

NOTHING = 1e-6
"""A solved quantity (units) up to this is shown and counted as nothing: a shortfall on a
chart or in an evaluated future, stock below its target, a change between two scenarios."""

BINDS = 1e-7
"""A row binds when its slack is within this share of its scale (max(1, |size|)); a value
fixed into a model may sit this far past its bounds."""

DUAL_ZERO = 1e-9
"""A dual (money per unit) no larger than this in absolute value is zero: its row does not
bind."""
