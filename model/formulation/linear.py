"""Flat linear expressions: every constraint body is one Pyomo `LinearExpression` of
monomials, built directly from (coefficient, variable) pairs.

Writing `quicksum(a) - quicksum(b) + u` nests expression objects that must later be walked
generically; a flat sum is cheaper to build and is read straight into the solver's matrix by
`model.solver.solve`. Coefficients may be numbers or expressions of mutable parameters (such as
`1 - max_share[limit]`), so a sweep can change them in place.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

Term = tuple[Any, Any]  # (coefficient, variable)


class Plain(list):
    """Variables that enter with coefficient +1."""


def plus(variables: Iterable[Any]) -> Plain:
    """+1 times each variable."""
    return Plain(variables)


def minus(variables: Iterable[Any]) -> list[Term]:
    """-1 times each variable."""
    return [(-1.0, v) for v in variables]


def times(coefficient: Any, variables: Iterable[Any]) -> list[Term]:
    """`coefficient` times each variable."""
    return [(coefficient, v) for v in variables]


def linear(*groups: Iterable[Any]) -> LinearExpression:
    """Sum of coefficient * variable over all groups, as one flat expression.

    A group is either `plus(variables)` or an iterable of (coefficient, variable) pairs.
    """
    args: list[Any] = []
    for group in groups:
        if group.__class__ is Plain:
            args.extend(group)
        else:
            args.extend(map(MonomialTermExpression, group))
    return LinearExpression(args)
