"""Replay a scenario as of each rumour date and track the headline numbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from forecast.fit import SamplerSettings, fit
from forecast.scenario import Scenario

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


def plotted_metrics(timeline: pd.DataFrame, threshold: float = 0.15) -> pd.DataFrame:
    """Keep the numbers worth a line: departures, and outcomes that reach ``threshold`` at some date."""
    peak = timeline.groupby("metric")["mean"].transform("max")
    keep = timeline["metric"].str.contains(" leaves ") | (peak >= threshold)
    return timeline[keep]


def timeline_dir(out: Path, scenario_id: str) -> Path:
    """Return ``<out>/<scenario id>/timeline``."""
    return Path(out) / scenario_id / "timeline"


def write_timeline(table: pd.DataFrame, scenario: Scenario, out: Path) -> Path:
    """Write ``timeline.csv`` and ``timeline.png``; return the folder."""
    from forecast.report.plots import plot_timeline
    from forecast.results import atomic_write, write_csv

    folder = timeline_dir(out, scenario.id)
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(table, folder / "timeline.csv")
    rumours = scenario.active_rumours()
    ax = plot_timeline(plotted_metrics(table), rumours[rumours["date"] >= min(
        pd.to_datetime(table["as_of"]).dt.date)])
    atomic_write(folder / "timeline.png", lambda p: ax.figure.savefig(p, dpi=110))
    return folder


def read_timeline(out: Path, scenario_id: str) -> pd.DataFrame | None:
    """Return a scenario's saved timeline, or None."""
    path = timeline_dir(out, scenario_id) / "timeline.csv"
    return pd.read_csv(path) if path.exists() else None
