"""Form against expectation from a results table.

Boards react to results against expectation, weighted to recent matches (Hope 2002: about half
the weight on the last five; Audas, Goddard & Rowe 2006: up to 15 games back). Here the
expectation is the club's own points per match over the matches before the recent window, so a
champion that starts to draw looks out of form and a promoted side that keeps winning does not.
The weighting is a plain function so users can swap it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

RECENT = 15


BASELINE = 38


HALF_WEIGHT_MATCHES = 5


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
