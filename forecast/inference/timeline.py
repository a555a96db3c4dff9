"""Replay a scenario as of each rumour date and track the headline numbers."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from forecast.data.scenario import Scenario
from forecast.inference.fit import fit
from forecast.inference.settings import SamplerSettings

LOOKBACK_DAYS = 365


def timeline_dates(scenario: Scenario, today: dt.date | None = None) -> list[dt.date]:
    """Return the scenario's as-of date and every rumour date from a year before it to today."""
    start = scenario.spec.as_of - dt.timedelta(days=LOOKBACK_DAYS)
    today = today or dt.date.today()
    dates = {d for d in scenario.active_rumours()["date"] if start <= d <= today}
    return sorted(dates | {scenario.spec.as_of})


def replay(scenario: Scenario, settings: SamplerSettings, dates: list[dt.date] | None = None,
           progress=None, cache_dir=None) -> pd.DataFrame:
    """Fit the scenario as of each date (one compiled model, new data each time).

    Returns
    -------
    pandas.DataFrame
        ``as_of, metric, mean, lo, hi, passed`` for every date and headline number.
    """
    frames = []
    dates = dates or timeline_dates(scenario)
    for k, date in enumerate(dates):
        result = fit(scenario, date, settings, cache_dir=cache_dir)
        table = result.headline_table()
        table.insert(0, "as_of", date.isoformat())
        table["passed"] = result.diagnostics["passed"]
        frames.append(table)
        if progress:
            progress(k + 1, len(dates), date)
    return pd.concat(frames, ignore_index=True)
