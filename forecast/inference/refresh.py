"""Refresh a forecast after new rumours: reweight (or refit) the last full run, save it, record it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forecast.data.paths import cache_home
from forecast.data.scenario import Scenario
from forecast.errors import ResultsMismatchError
from forecast.inference.influence import default_metrics, rumour_influence
from forecast.inference.update import update
from forecast.results.history import latest, read_history, record_run
from forecast.results.result import ForecastResult, load_idata


def find_base_run(out: Path, scenario_id: str, as_of: dt.date) -> Path | None:
    """Return the newest full run's ``idata.nc`` of the scenario dated on or before ``as_of``."""
    runs = []
    for path in (Path(out) / scenario_id).glob("*/idata.nc"):
        try:
            when = dt.date.fromisoformat(path.parent.name)
        except ValueError:
            continue
        if when <= as_of:
            runs.append((when, path))
    return max(runs)[1] if runs else None


def updated_forecast(scenario: Scenario, as_of: dt.date, out: Path, seed: int,
                     say=None) -> ForecastResult:
    """Reweight the last full run saved in ``out`` if that is accurate enough; otherwise fit afresh."""
    path = find_base_run(out, scenario.id, as_of)
    base = None
    if path is not None:
        try:
            base = load_idata(path)
        except ResultsMismatchError as exc:
            say(f"cannot reuse {path}: {exc}")
    return update(base, scenario, as_of, seed=seed, cache_dir=cache_home(), say=say)


@dataclass
class Refreshed:
    """A refreshed forecast and what it moved.

    Attributes
    ----------
    result : ForecastResult
        The saved forecast.
    before : pandas.DataFrame
        The previous run's headline numbers (empty if none).
    own : pandas.DataFrame
        With one new rumour, its own part of each move (``metric, change_pp``); else empty.
    folder : Path
        Where the forecast was saved.
    """

    result: ForecastResult
    before: pd.DataFrame
    own: pd.DataFrame
    folder: Path


def refresh(scenario: Scenario, as_of: dt.date, rumour_ids: list[str], out: Path, seed: int,
            say=None) -> Refreshed:
    """Update the forecast after ``rumour_ids`` were added, save it and record it in the history.

    With one new rumour its own part of each move is computed too. ``say`` receives a line when
    a saved run cannot be reused or a refit is needed.
    """
    before = latest(read_history(out, scenario.id))
    result = updated_forecast(scenario, as_of, out, seed, say=say)
    folder = result.save(out)
    record_run(result, out)
    own = pd.DataFrame()
    if len(rumour_ids) == 1:
        own = rumour_influence(result.inputs, result.idata.posterior, default_metrics(result),
                               max_draws=500, only=set(rumour_ids))
    return Refreshed(result, before, own, folder)
