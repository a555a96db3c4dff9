"""Form against expectation: recent results weighed against the club's own earlier ones."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from conftest import DATA

from forecast.features.form import (
    BASELINE,
    MAX_AGE_DAYS,
    MAX_GAP_DAYS,
    RECENT,
    club_form,
    current_run,
    form_against_expectation,
    recency_weights,
)


def weekly(start: dt.date, points: list[int]) -> pd.Series:
    """Points per match, one match a week from ``start``."""
    return pd.Series(points, index=[start + dt.timedelta(weeks=k) for k in range(len(points))])


def test_half_the_weight_is_on_the_last_five_matches():
    w = recency_weights(200)
    assert w[:5].sum() / w.sum() == pytest.approx(0.5)


def test_form_is_recent_points_against_the_earlier_baseline():
    # Draws for a season, then wins: the recent window is all wins, the baseline all draws.
    points = weekly(dt.date(2020, 8, 1), [1] * BASELINE + [3] * RECENT)
    form, n = form_against_expectation(points)
    assert form == pytest.approx(2.0) and n == BASELINE + RECENT
    # Too few matches to tell: no effect.
    assert form_against_expectation(weekly(dt.date(2020, 8, 1), [3] * 9)) == (0.0, 9)


def test_a_summer_break_does_not_cut_the_run_but_a_longer_absence_does():
    season1 = weekly(dt.date(2018, 8, 11), [1] * 38)  # to early May 2019
    after_summer = weekly(season1.index[-1] + dt.timedelta(days=95), [3] * 10)
    run = current_run(pd.concat([season1, after_summer]), after_summer.index[-1])
    assert len(run) == 48
    # Two seasons away (relegated, results not in the data): only the matches since come back.
    back = weekly(season1.index[-1] + dt.timedelta(days=460), [3] * 10)
    run = current_run(pd.concat([season1, back]), back.index[-1])
    assert list(run.index) == list(back.index)


@pytest.mark.parametrize(("gap", "kept"), [(MAX_GAP_DAYS, 20), (MAX_GAP_DAYS + 1, 10)])
def test_a_run_ends_at_a_gap_longer_than_the_limit(gap, kept):
    before = weekly(dt.date(2019, 8, 10), [1] * 10)
    after = weekly(before.index[-1] + dt.timedelta(days=gap), [3] * 10)
    assert len(current_run(pd.concat([before, after]), after.index[-1])) == kept


def test_old_matches_of_a_club_now_out_of_the_results_give_no_form():
    """A club relegated years ago (its league not in the data) has no form now, not its last
    season's."""
    points = weekly(dt.date(2016, 8, 13), [1] * BASELINE + [0] * RECENT)
    last = points.index[-1]
    assert form_against_expectation(points)[0] < 0
    assert len(current_run(points, last + dt.timedelta(days=MAX_AGE_DAYS))) == len(points)
    assert len(current_run(points, last + dt.timedelta(days=MAX_AGE_DAYS + 1))) == 0
    results = pd.DataFrame({
        "Date": list(points.index), "HomeTeam": "Boro", "AwayTeam": "Rivals",
        "FTHG": np.where(points.to_numpy() == 1, 1, 0), "FTAG": np.where(points.to_numpy() == 1, 1, 2)})
    assert club_form(results, {"Boro"}, last)[0] < 0
    assert club_form(results, {"Boro"}, dt.date(2025, 11, 2)) == (0.0, 0)


def test_a_candidates_club_read_only_in_an_old_season_has_no_form():
    """wolves-2025-11: Middlesbrough (Edwards's club) appear in the case results only in ten
    matches of 2016-17, their last Premier League season, which other cases' clubs played."""
    from forecast.data.scenario import Scenario
    from forecast.features.inputs import build_inputs

    scenario = Scenario.load(DATA / "cases" / "wolves-2025-11" / "scenario.yaml")
    assert (scenario.results["HomeTeam"].eq("Middlesbrough")
            | scenario.results["AwayTeam"].eq("Middlesbrough")).sum() >= 5
    post = build_inputs(scenario).posts[0]
    assert post.candidates[2] == "Rob Edwards" and post.cand_form[2] == 0.0
    assert post.form != 0.0  # Wolves' own run reaches the cutoff
