"""The timeline's files: which numbers are plotted, and the CSV and PNG written per scenario."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.data.scenario import Scenario


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
    from forecast.io.files import atomic_write, write_csv
    from forecast.report.plots import plot_timeline

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
