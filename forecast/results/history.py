"""The forecast history of a scenario: one row per tracked number per run, appended atomically."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from forecast.io.files import append_record, locked
from forecast.results.result import ForecastResult

COLUMNS = ["run_time", "as_of", "method", "seed", "passed", "metric", "mean", "lo", "hi"]


def history_path(out: Path, scenario_id: str) -> Path:
    """Return ``<out>/<scenario id>/history.csv``."""
    return Path(out) / scenario_id / "history.csv"


def record_run(result: ForecastResult, out: Path) -> Path:
    """Append the run's headline numbers to the scenario's history."""
    path = history_path(out, result.scenario_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    method = result.idata.posterior.attrs.get("method", "nuts")
    with locked(path):
        for row in result.headline_table().itertuples():
            append_record(path, COLUMNS, {
                "run_time": now, "as_of": result.as_of.isoformat(), "method": method,
                "seed": result.settings.seed, "passed": int(result.diagnostics["passed"]),
                "metric": row.metric, "mean": f"{row.mean:.6f}", "lo": f"{row.lo:.6f}",
                "hi": f"{row.hi:.6f}",
            })
    return path


def read_history(out: Path, scenario_id: str) -> pd.DataFrame:
    """Return the history table (empty when the scenario was never run)."""
    path = history_path(out, scenario_id)
    if not path.exists():
        return pd.DataFrame(columns=COLUMNS)
    return pd.read_csv(path)


def latest(history: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of the most recent run."""
    if history.empty:
        return history
    last = history["run_time"].max()
    return history[history["run_time"] == last]
