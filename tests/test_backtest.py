"""Backtest scoring and the no-look-ahead guarantees it relies on."""

import datetime as dt

import numpy as np
import pytest
from conftest import DATA

from forecast.backtest import (
    _truth,
    brier,
    calibration_bins,
    case_paths,
    log_score,
    rps,
    scored_post,
)
from forecast.inputs import build_inputs
from forecast.reliability import track_inputs
from forecast.scenario import Scenario


def test_scores_on_known_values():
    p, truth = np.array([0.5, 0.3, 0.2]), np.array([0, 1, 0])
    assert log_score(p, truth) == pytest.approx(np.log(0.3))
    assert brier(p, truth) == pytest.approx(0.25 + 0.49 + 0.04)
    assert rps(np.array([0.0, 1.0, 0.0]), np.array([0, 1, 0])) == 0.0
    assert rps(np.array([1.0, 0.0, 0.0]), np.array([0, 0, 1])) == pytest.approx(1.0)


def test_at_least_ten_cases_of_every_kind():
    paths = case_paths(DATA / "cases")
    assert len(paths) >= 30
    outcomes = set()
    for path in paths:
        scenario = Scenario.load(path)
        inputs = build_inputs(scenario)
        i = scored_post(scenario, inputs.posts)
        dep, succ = _truth(scenario, i)
        post = inputs.posts[i]
        if (dep == inputs.T).all():
            outcomes.add("no departure")
        elif (succ == post.n_cand).all():
            outcomes.add("not listed")
        else:
            outcomes.add("listed")
    assert outcomes == {"no departure", "not listed", "listed"}


@pytest.mark.parametrize("path", case_paths(DATA / "cases"), ids=lambda p: p.parent.name)
def test_nothing_after_the_cutoff_is_used(path):
    scenario = Scenario.load(path)
    cutoff = scenario.spec.as_of
    inputs = build_inputs(scenario)
    assert (inputs.rumours["date"] <= cutoff).all()
    # The facts allow more than one outcome at the cutoff unless one was known before it.
    track = track_inputs(scenario.track_record, scenario.sources, cutoff, scenario.source_names())
    used = track.claims[track.used == 1]
    assert (used["resolution_date"] < cutoff).all()
    later = build_inputs(scenario, cutoff + dt.timedelta(days=3650))
    for a, b in zip(inputs.posts, later.posts, strict=True):
        assert a.mask.sum() >= b.mask.sum()


def test_calibration_bins_count_every_probability():
    from forecast.backtest import CaseForecast

    f = CaseForecast("c", "2020-01-01", ["a", "b"], {"model": np.array([0.9, 0.1])},
                     np.array([1, 0]), ["m", "later"], {"model": np.array([0.2, 0.8])},
                     np.array([0, 1]), {})
    bins = calibration_bins([f])
    assert bins["count"].sum() == 4
    top = bins.iloc[-1]
    assert top["observed"] == 1.0 and top["count"] == 2
