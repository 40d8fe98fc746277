"""One bound, one estimate, one gap on the terminal and the Evaluation sheet."""

from __future__ import annotations

import pytest

from model.analyses.evaluate import Evaluation, PlayedFuture, interval
from model.pipeline import evaluation_lines
from model.report.evaluation import summary_items


def evaluation(costs: list[float], replications: list[float]) -> Evaluation:
    e = Evaluation.tally(len(costs), ["k"], in_sample_expected_cost=100.0, risk_weight=0.0,
                         cvar_level=0.9, replications=replications)
    for i, c in enumerate(costs):
        e.add(i, PlayedFuture(i, "no event", 1, "optimal", c, (0.0,), (0.0,)))
    e.finish()
    return e


@pytest.mark.parametrize("costs, replications, negative", [
    ([110.0, 130.0], [100.0, 104.0, 102.0], False),
    ([90.0, 92.0], [100.0, 104.0, 102.0], True)])
def test_terminal_and_sheet_show_the_same_bound_estimate_and_gap(costs, replications,
                                                                 negative):
    e = evaluation(costs, replications)
    bound, estimate, gap, why = e.bound_estimate_gap()
    # With risk_weight 0 the estimate is the mean cost; the bound the 97.5% end of the
    # replications' interval; the gap their difference.
    assert estimate == pytest.approx(sum(costs) / len(costs))
    assert bound == pytest.approx(interval(replications)[2])
    assert gap == pytest.approx(estimate - bound)
    assert (gap < 0) == negative
    assert ("can fall below the bound" in why) == negative
    items = {item: value for item, value, _, _ in summary_items(e, "USD")}
    assert items["lower bound (97.5%)"] == pytest.approx(bound)
    assert items["gap estimate"] == pytest.approx(gap)
    text = "\n".join(evaluation_lines(e, "USD", {"k": "t"}))
    assert f"{bound:,.0f}" in text and f"{gap:,.0f}" in text and why in text
