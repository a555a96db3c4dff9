"""Refresh a forecast after a new rumour and say what moved."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from forecast.errors import ResultsMismatchError
from forecast.history import latest, read_history, record_run
from forecast.influence import default_metrics, rumour_influence
from forecast.results import ForecastResult, load_idata
from forecast.reweight import update
from forecast.scenario import Scenario


def cache_dir(out: Path) -> Path:
    """Return the cache folder inside the reports folder."""
    return Path(out) / ".cache"


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
                     say=print) -> ForecastResult:
    """Reweight the last full run saved in ``out`` if that is accurate enough; otherwise fit afresh."""
    path = find_base_run(out, scenario.id, as_of)
    base = None
    if path is not None:
        try:
            base = load_idata(path)
        except ResultsMismatchError as exc:
            say(f"cannot reuse {path}: {exc}")
    return update(base, scenario, as_of, seed=seed, cache_dir=cache_dir(out), say=say)


def refresh(scenario: Scenario, as_of: dt.date, rumour_ids: list[str], out: Path, seed: int) -> int:
    """Update the forecast after ``rumour_ids`` were added, save it, and print what moved.

    With one new rumour its own part of each move is shown too.
    """
    before = latest(read_history(out, scenario.id))
    result = updated_forecast(scenario, as_of, out, seed)
    folder = result.save(out)
    record_run(result, out)
    own = pd.DataFrame()
    if len(rumour_ids) == 1:
        own = rumour_influence(result.inputs, result.idata.posterior, default_metrics(result),
                               max_draws=500, only=set(rumour_ids))
    print(moves_text(before, result.headline_table(), own, as_of))
    print(result.headlines()[-1])
    print(f"Wrote {folder}/summary.json; run `forecast run --as-of {as_of}` for the full report")
    return 0 if result.diagnostics["passed"] else 3


def moves_text(before: pd.DataFrame, after: pd.DataFrame, own: pd.DataFrame, as_of,
               title: str | None = None) -> str:
    """Format each headline number before -> after, with intervals and the rumour's own part."""
    prev = before.set_index("metric") if len(before) else pd.DataFrame()
    mine = own.set_index("metric")["change_pp"] if len(own) else pd.Series(dtype=float)
    when = f" (previous run as of {before['as_of'].iloc[0]})" if len(before) and "as_of" in before else ""
    lines = [title or f"What moved, as of {as_of}{when}:"]
    for row in after.itertuples():
        had = prev.loc[row.metric] if row.metric in prev.index else None
        if row.mean < 0.01 and (had is None or had["mean"] < 0.01):
            continue
        old = f"{had['mean']:.0%} ({had['lo']:.0%}-{had['hi']:.0%})" if had is not None else "n/a"
        part = f"; this rumour {mine[row.metric]:+.1f} pp" if row.metric in mine.index else ""
        lines.append(f"  {row.metric}: {old} -> {row.mean:.0%} ({row.lo:.0%}-{row.hi:.0%}){part}")
    return "\n".join(lines)
