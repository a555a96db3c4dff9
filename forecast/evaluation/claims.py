"""The backtest cases' own reports, each resolved by what happened.

The succession model reads a report with the reliability the track record learned for its kind,
strength and horizon. The cases' counted reports, resolved against the outcome, say whether the
track record's hit rates hold on reports gathered apart from it (``scripts/claim_rates.py``):
many are about the same moves, few are the same articles (34 of the cases' 1953 rumour rows
share a URL with a track-record claim, 7 December 2026).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from forecast.data.schemas import STRENGTHS


def resolved_inputs(scenario):
    """Return the scenario's model inputs once its horizon has passed.

    Every post's ``mask`` then allows only the states that really happened, as far as the facts
    tell. A successor question whose appointment may come ``appointment_months`` after the post
    falls vacant is read that many months after the horizon, so that a vacancy of the horizon's
    last month is answered by an appointment within them.
    """
    from forecast.features.inputs import build_inputs
    from forecast.features.periods import add_months, month_end

    lag = max((q.appointment_months for q in scenario.spec.questions if q.kind == "successor"),
              default=0)
    later = month_end(*add_months(scenario.spec.horizon_month, lag)) + dt.timedelta(days=1)
    return build_inputs(scenario, max(later, scenario.spec.as_of))


def case_claims(path: Path) -> pd.DataFrame:
    """Return one row per counted report of the case at ``path``, with whether it came true.

    A report's proposition came true when it holds in every outcome state the facts allow once
    the horizon has passed; a report the facts leave open (true in some allowed states, false
    in others) is left out.

    Returns
    -------
    pandas.DataFrame
        Columns ``case``, ``case_set``, ``club``, ``rumour_id``, ``unit``, ``claim``, ``strength`` (as the
        model reads it), ``soon`` and ``came_true`` (0 or 1).
    """
    from forecast.data.scenario import Scenario
    from forecast.features.inputs import build_inputs
    from forecast.features.propositions import post_reports

    scenario = Scenario.load(path)
    inputs = build_inputs(scenario)
    later = resolved_inputs(scenario)
    rows = []
    for i, post in enumerate(inputs.posts):
        known = later.posts[i].mask > 0
        for r, e in enumerate(post_reports(inputs.coding, i)):
            holds = post.truth[r, known]
            if holds.min() != holds.max():
                continue
            rows.append({"case": scenario.spec.id, "case_set": scenario.spec.case_set,
                         "club": post.club, "rumour_id": e.rumour_id,
                         "unit": e.unit, "claim": e.kind, "strength": e.strength,
                         "soon": int(e.soon), "came_true": int(holds.min())})
    columns = ["case", "case_set", "club", "rumour_id", "unit", "claim", "strength", "soon", "came_true"]
    return pd.DataFrame(rows, columns=columns)


def hit_rates(cases: pd.DataFrame, track: pd.DataFrame, by=("claim", "strength")) -> pd.DataFrame:
    """Return how often the cases' reports and the track record's claims came true, by ``by``.

    ``by`` names columns of :func:`case_claims`; ``cases`` is :func:`case_claims` over the
    cases; ``track`` the track record, whose strength and horizon are read as the model reads them.
    """
    from forecast.model.track_record import read_claims

    strength, soon = read_claims(track)
    track = track.assign(strength=[STRENGTHS[s] for s in strength], soon=soon.astype(int))
    keys = list(by)
    ours = cases.groupby(keys)["came_true"].agg(cases="size", cases_true="mean")
    theirs = track.groupby(keys)["came_true"].agg(track="size", track_true="mean")
    counts = {"cases": 0, "track": 0}
    return ours.join(theirs, how="outer").fillna(counts).astype(dict.fromkeys(counts, int))
