"""Flat linear expressions: every constraint body is one Pyomo `LinearExpression` of
monomials, built directly from (coefficient, variable) pairs.

Writing `quicksum(a) - quicksum(b) + u` nests expression objects that must later be walked
generically; a flat sum is cheaper to build and is read straight into the solver's matrix by
`model.solve`. Coefficients may be numbers or expressions of mutable parameters (such as
`1 - max_share[limit]`), so a sweep can change them in place.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

Term = tuple[Any, Any]  # (coefficient, variable)


def plus(variables: Iterable[Any]) -> Iterable[Term]:
    """+1 times each variable."""
    return ((1.0, v) for v in variables)


def minus(variables: Iterable[Any]) -> Iterable[Term]:
    """-1 times each variable."""
    return ((-1.0, v) for v in variables)


def times(coefficient: Any, variables: Iterable[Any]) -> Iterable[Term]:
    """`coefficient` times each variable."""
    return ((coefficient, v) for v in variables)


def linear(*groups: Iterable[Term]) -> LinearExpression:
    """Sum of coefficient * variable over all groups, as one flat expression."""
    args: list[Any] = []
    append = args.append
    for group in groups:
        for coefficient, variable in group:
            if coefficient.__class__ is float and coefficient == 1.0:
                append(variable)
            else:
                append(MonomialTermExpression((coefficient, variable)))
    return LinearExpression(args)
