"""Rules with one home each, checked where behaviour could drift between their users."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from model.domain.scenarios import Node, ScenarioTree
from model.results.extract import worth_per_point


def two_branch_tree() -> ScenarioTree:
    # Period 1 shared (node 0); scenarios w0 and w1 split in period 2 (nodes 1, 2) and go on
    # in period 3 (nodes 3, 4).
    nodes = (Node(0, 1, (0, 1), 1.0, None), Node(1, 2, (0,), 0.25, 0), Node(2, 2, (1,), 0.75, 0),
             Node(3, 3, (0,), 0.25, 1), Node(4, 3, (1,), 0.75, 2))
    return ScenarioTree(nodes, ((0, 1, 3), (0, 2, 4)), ("w0", "w1"), (0.25, 0.75))


def test_a_delivery_leaves_from_the_ancestor_on_its_own_path():
    tree = two_branch_tree()
    assert tree.sent_from(3, 0) == 3
    assert tree.sent_from(3, 1) == 1        # w0's period-2 node, not w1's
    assert tree.sent_from(4, 1) == 2
    assert tree.sent_from(4, 2) == 0        # the shared period-1 node
    assert tree.sent_from(4, 3) is None     # sent before the horizon
    assert tree.sent_from_all(1).tolist() == [-1, 0, 0, 1, 2]


def test_sums_along_paths_count_shared_nodes_in_every_scenario():
    tree = two_branch_tree()
    unmet = np.array([[1.0, 2.0, 4.0, 8.0, 16.0]])
    # w0: 1 + 2 + 8 = 11; w1: 1 + 4 + 16 = 21.
    assert tree.along_paths(unmet).tolist() == [[11.0, 21.0]]


def test_a_point_of_share_is_worth_a_hundredth_of_the_dual_times_the_scope_supply():
    # |mu| = 30 money per unit share, S = 50 units: 0.01 * 30 * 50 = 15.
    assert worth_per_point(-30.0, 50.0) == pytest.approx(15.0)
    assert worth_per_point(30.0, 50.0) == pytest.approx(15.0)


def test_a_one_scenario_tree_numbers_its_nodes_as_the_single_scenario_users_expect():
    from model.domain.scenarios import (
        ScenarioFactors,
        build_tree,
        single_scenario_node,
        single_scenario_period,
    )

    # Factor arrays of one scenario, 4 periods and no entities: the tree has one node a
    # period and node single_scenario_node(t) is period t's.
    empty = np.ones((0, 1, 4))
    factors = ScenarioFactors(empty, empty, empty, empty, empty, {}, {}, {})
    tree = build_tree(("only",), (1.0,), factors, 4)
    assert [node.t for node in tree.nodes] == [1, 2, 3, 4]
    for t in range(1, 5):
        n = single_scenario_node(t)
        assert tree.node_of[0][t - 1] == n and tree.nodes[n].t == t
        assert single_scenario_period(n) == t
        assert tree.nodes[n].parent == (single_scenario_node(t - 1) if t > 1 else None)


def test_the_availability_window_answers_for_one_period_and_for_many_alike():
    import dataclasses

    from model.domain.data import Supplier

    fields = {f.name: None for f in dataclasses.fields(Supplier) if f.default is dataclasses.MISSING
              and f.default_factory is dataclasses.MISSING}
    supplier = Supplier(**{**fields, "available_from": 2, "available_to": 3})
    periods = np.arange(1, 6)
    assert [bool(supplier.available(int(t))) for t in periods] == [False, True, True, False,
                                                                      False]
    assert supplier.available(periods).tolist() == [False, True, True, False, False]


def test_the_tree_and_the_out_of_sample_policy_compare_the_same_signature():
    # Two scenarios whose factor differs only past the 12th significant digit share a node;
    # past the 3rd they do not; period_signature (the policy's lookup) agrees with the tree.
    from model.domain.scenarios import ScenarioFactors, build_tree, period_signature

    def tree_and_signatures(second: float):
        cap = np.array([[[0.5, 0.5], [0.5, second]]])            # (1 supplier, 2 w, 2 t)
        ones = np.ones((0, 2, 2))
        factors = ScenarioFactors(cap, np.ones_like(cap), ones, ones, ones, {"s": 0}, {}, {})
        tree = build_tree(("a", "b"), (0.5, 0.5), factors, 2)
        same = period_signature(factors, 0, 2) == period_signature(factors, 1, 2)
        return len(tree.nodes), same

    assert tree_and_signatures(0.5 + 1e-14) == (2, True)
    assert tree_and_signatures(0.5004) == (3, False)


MODEL = Path(__file__).resolve().parent.parent / "model"


def _sources(*skip: str) -> list[tuple[str, str]]:
    return [(str(p.relative_to(MODEL)), p.read_text(encoding="utf-8"))
            for p in sorted(MODEL.rglob("*.py")) if str(p.relative_to(MODEL)) not in skip]


def test_number_formats_are_written_only_in_their_home():
    # Every Excel number format of the workbooks we write lives in io/formats.py; io/workbook.py
    # only knows Excel's built-in formats to read cells.
    literal = re.compile(r"""["'](#,##0[^"']*|0(\.0+)?%|0\.0+(E\+00)?)["']""")
    bare = re.compile(r"""(num_format"?:? ?=? ?|fmt\()["']0["']""")
    found = [(name, line.strip()) for name, text in _sources("io/formats.py", "io/workbook.py")
             for line in text.splitlines() if literal.search(line) or bare.search(line)]
    assert found == []


def test_the_pair_order_is_spelled_out_only_in_its_home():
    # (commodity, region) pairs are put in order once, by PlanData.pairs; everything else looks
    # a pair up there (`position`, `rows`) or goes through ModelIndex.per_pair.
    spelled = re.compile(r"for k in [\w.]*commodities for g in [\w.]*regions")
    found = [name for name, text in _sources() if spelled.search(text)]
    assert found == ["domain/data.py"]
