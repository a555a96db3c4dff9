"""Prior centres judged on resolved cases: the sweep's reweighting and its paired differences."""

import datetime as dt

import numpy as np
import pytest

from forecast.evaluation.centres import SHIFTS, sweep


def _case(cutoff, rng, n=4000):
    """A case whose probability of the truth rises with a parameter drawn from N(0, 1)."""
    x = rng.normal(size=n)
    p = 1 / (1 + np.exp(-(x - 1.0)))
    ratios = {("tie", s): -(x - s) ** 2 / 2 + x**2 / 2 for s in SHIFTS}
    return {"case": str(cutoff), "cutoff": cutoff, "who": p, "when": p, "log_ratio": ratios}


def test_sweep_scores_a_shift_towards_what_happened_higher():
    rng = np.random.default_rng(0)
    cases = [_case(dt.date(2019, 1, 1), rng), _case(dt.date(2020, 1, 1), rng),
             _case(dt.date(2024, 1, 1), rng)]
    table = sweep(cases).set_index(["parameter", "shift_sd", "period"])
    assert set(table.reset_index()["parameter"]) == {"tie"}  # no draws of the others
    up, down = table.loc[("tie", 1.0, "all")], table.loc[("tie", -1.0, "all")]
    assert up["cases"] == 3 and table.loc[("tie", 1.0, "before 2023"), "cases"] == 2
    assert up["difference"] > 0.1 > -0.1 > down["difference"]
    # The reweighted mean equals the mean under the shifted prior: E[p(x)], x ~ N(1, 1).
    x = rng.normal(1.0, 1.0, 400_000)
    exact = np.log(np.mean(1 / (1 + np.exp(-(x - 1.0))))) - np.log(np.mean(cases[0]["who"]))
    assert table.loc[("tie", 1.0, "before 2023"), "difference"] == pytest.approx(exact, abs=0.03)
    # Weights from N(0, 1) to N(1, 1) keep an effective sample size of n * exp(-1).
    assert up["min_weight_ess"] == pytest.approx(4000 * np.exp(-1.0), rel=0.2)
    assert table.loc[("tie", 0.5, "all"), "min_weight_ess"] == pytest.approx(
        4000 * np.exp(-0.25), rel=0.1)
