"""Form against expectation from a results table.

Boards react to results against expectation, weighted to recent matches (Hope 2002: about half
the weight on the last five; Audas, Goddard & Rowe 2006: up to 15 games back). Here the
expectation is the club's own points per match over the matches before the recent window, so a
champion that starts to draw looks out of form and a promoted side that keeps winning does not.
The weighting is a plain function so users can swap it. Only the club's latest unbroken run of
matches counts, and only if it reaches the forecast date: a gap longer than any break within a
league (:data:`MAX_GAP_DAYS`) means the club played where the results do not reach (relegated,
or in another country), so matches before it say nothing about the club now; and a club with no
match in the :data:`MAX_AGE_DAYS` before the forecast date has no current form.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

RECENT = 15


BASELINE = 38


HALF_WEIGHT_MATCHES = 5


#: Longest gap, in days, between two matches of one run of form: longer than a summer break
#: (about 90 days), the pause of 2020 (100 days in England, 166 in France) or the winter of a
#: calendar-year league; a season away (relegated) is over 400.
MAX_GAP_DAYS = 200


#: Longest time, in days, from a club's last match to the forecast date for its run to count:
#: longer than a summer break, shorter than half a season away.
MAX_AGE_DAYS = 120


def recency_weights(n: int, half_weight_matches: int = HALF_WEIGHT_MATCHES) -> np.ndarray:
    """Return geometric weights for the ``n`` most recent matches, newest first.

    The decay puts half of the total weight on the newest ``half_weight_matches`` matches
    (for a long window), which is Hope's (2002) estimate.
    """
    decay = 0.5 ** (1.0 / half_weight_matches)
    return decay ** np.arange(n)


def team_points(results: pd.DataFrame, names: set[str], as_of: dt.date) -> pd.Series:
    """Return the points a team took per match (3/1/0), oldest first, up to and including ``as_of``."""
    played = results[results["Date"] <= as_of]
    home = played[played["HomeTeam"].isin(names)]
    away = played[played["AwayTeam"].isin(names)]
    pts_home = np.select([home.FTHG > home.FTAG, home.FTHG == home.FTAG], [3, 1], 0)
    pts_away = np.select([away.FTAG > away.FTHG, away.FTAG == away.FTHG], [3, 1], 0)
    points = pd.concat(
        [pd.Series(pts_home, index=home["Date"]), pd.Series(pts_away, index=away["Date"])]
    )
    return points.sort_index(kind="stable")


def current_run(points: pd.Series, as_of: dt.date) -> pd.Series:
    """Return the club's latest run of matches, if it reaches ``as_of``; else no match.

    A run has no gap over :data:`MAX_GAP_DAYS` between matches, and reaches ``as_of`` if its
    last match is at most :data:`MAX_AGE_DAYS` before it. ``points``: per match, indexed by
    date, oldest first, none after ``as_of`` (:func:`team_points`).
    """
    if not len(points) or as_of.toordinal() - points.index[-1].toordinal() > MAX_AGE_DAYS:
        return points.iloc[:0]
    days = np.array([d.toordinal() for d in points.index])
    breaks = np.flatnonzero(np.diff(days) > MAX_GAP_DAYS)
    return points.iloc[breaks[-1] + 1:] if len(breaks) else points


def form_against_expectation(points: pd.Series) -> tuple[float, int]:
    """Return recency-weighted points per match minus the earlier baseline, and the match count.

    Returns 0 when there are fewer than five recent matches or no baseline: no evidence, no effect.
    """
    values = points.to_numpy(dtype=float)
    if len(values) < 5 + 5:
        return 0.0, len(values)
    recent = values[-RECENT:][::-1]
    baseline = values[: len(values) - len(recent)][-BASELINE:]
    if len(baseline) < 5:
        return 0.0, len(values)
    weights = recency_weights(len(recent))
    return float(np.dot(weights, recent) / weights.sum() - baseline.mean()), len(values)


def club_form(results: pd.DataFrame, names: set[str], as_of: dt.date) -> tuple[float, int]:
    """Return a club's form against expectation as of ``as_of`` and the matches it reads.

    The club's latest run of matches in ``results`` (:func:`current_run`) up to ``as_of``.
    """
    return form_against_expectation(current_run(team_points(results, names, as_of), as_of))
