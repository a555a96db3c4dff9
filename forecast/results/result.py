"""The forecast as a domain object: tidy tables with intervals, headlines, and self-describing files."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from forecast.dims import AFTER, IN_POST, NO_VACANCY, slug
from forecast.errors import ResultsMismatchError
from forecast.features.arrays import ModelInputs
from forecast.io.files import atomic_write
from forecast.priors import Prior
from forecast.results.answers import headlines
from forecast.results.stats import interval_stats as _stats
from forecast.results.windows import window_of
from forecast.version import __version__

#: Columns of the successor and joint tables (empty when no successor is asked).
SUCCESSOR_COLUMNS = ["club", "outcome", "mean", "lo", "hi"]
JOINT_COLUMNS = ["club", "month", "candidate", "mean", "lo", "hi"]
DESTINATION_COLUMNS = ["coach", "club", "outcome", "mean", "lo", "hi"]


@dataclass
class ForecastResult:
    """A fitted forecast.

    Attributes
    ----------
    successor : pandas.DataFrame
        ``club, outcome, mean, lo, hi``: who is the next coach (appointed before the horizon),
        "not listed", or "no vacancy" before the horizon; sums to one per club.
    departure : pandas.DataFrame
        ``coach, club, month, window, mean, lo, hi, cum_mean, cum_lo, cum_hi``.
    joint : pandas.DataFrame
        ``club, month, candidate, mean, lo, hi``: who is chosen for a vacancy opening in which month.
    diagnostics : dict
        R-hat, ESS, divergences and the verdict.
    idata : arviz.InferenceData
        Posterior draws of parameters and of every forecast probability.
    """

    scenario_id: str
    scenario_hash: str
    as_of: dt.date
    inputs: ModelInputs
    priors: dict[str, Prior]
    idata: az.InferenceData
    diagnostics: dict
    settings: object
    successor: pd.DataFrame
    departure: pd.DataFrame
    joint: pd.DataFrame
    asked: list[str]
    scenario: object = None
    reliability: object = None  # forecast.inference.reliability.ReliabilityFit used, if any
    base: az.InferenceData | None = None  # the full run an importance update reweighted

    @classmethod
    def from_fit(cls, scenario, inputs, priors, idata, diagnostics, settings) -> ForecastResult:
        """Summarise a fitted InferenceData into tables and stamp its attributes."""
        post = idata.posterior
        successor_rows, joint_rows, departure_rows = [], [], []
        for p in inputs.posts:
            dep = post["departure"].sel(post=p.coach).values  # chain, draw, month_out
            cum = np.cumsum(dep, axis=-1)
            for m, label in enumerate([*inputs.grid.labels, AFTER]):
                departure_rows.append({
                    "coach": p.coach, "club": p.club, "month": label, "window": window_of(label),
                    **dict(zip(("mean", "lo", "hi"), _stats(dep[..., m]), strict=True)),
                    **dict(zip(("cum_mean", "cum_lo", "cum_hi"), _stats(cum[..., m]), strict=True)),
                })
            if not p.has_successor:
                continue
            s = slug(p.club)
            succ = post[f"successor_{s}"]
            for j, outcome in enumerate(succ[f"{s}_outcome"].values):
                successor_rows.append({"club": p.club, "outcome": str(outcome),
                                       **dict(zip(("mean", "lo", "hi"),
                                                  _stats(succ.values[..., j]), strict=True))})
            joint = post[f"joint_{s}"]
            for m, label in enumerate(inputs.grid.labels):
                for j, cand in enumerate(joint[f"{s}_choice"].values):
                    joint_rows.append({"club": p.club, "month": label, "candidate": str(cand),
                                       **dict(zip(("mean", "lo", "hi"),
                                                  _stats(joint.values[..., m, j]), strict=True))})
        digest = scenario.content_hash()
        idata.posterior.attrs.update({
            "forecast_version": __version__,
            "scenario_id": scenario.id,
            "scenario_hash": digest,
            "as_of": inputs.as_of.isoformat(),
            "seed": int(settings.seed),
            "sampler_settings": json.dumps(asdict(settings)),
            "priors": json.dumps({k: asdict(v) for k, v in priors.items()}),
            "diagnostics": json.dumps(diagnostics),
            "method": "nuts",
        })
        asked = [q.coach for q in scenario.spec.questions if q.kind == "departure"]
        return cls(scenario.id, digest, inputs.as_of, inputs, priors, idata, diagnostics, settings,
                   pd.DataFrame(successor_rows, columns=SUCCESSOR_COLUMNS),
                   pd.DataFrame(departure_rows),
                   pd.DataFrame(joint_rows, columns=JOINT_COLUMNS), asked, scenario)

    # -- plain-words answers -------------------------------------------------------------
    def departure_windows(self) -> pd.DataFrame:
        """Return departure probability by football window (summer, season) with intervals."""
        post = self.idata.posterior["departure"]
        rows = []
        labels = [*self.inputs.grid.labels, AFTER]
        windows = pd.Series([window_of(x) for x in labels])
        for coach in post["post"].values:
            dep = post.sel(post=coach).values
            for window in dict.fromkeys(windows):
                idx = np.flatnonzero(windows == window)
                rows.append({"coach": str(coach), "window": window,
                             **dict(zip(("mean", "lo", "hi"), _stats(dep[..., idx].sum(-1)),
                                        strict=True))})
        return pd.DataFrame(rows)

    def first_summer_end(self) -> str:
        """Return the last month of the first summer window in the forecast months."""
        labels = self.inputs.grid.labels
        windows = [window_of(x) for x in labels]
        summers = [w for w in windows if w.startswith("summer")]
        if not summers:
            return labels[-1]
        return [x for x, w in zip(labels, windows, strict=True) if w == summers[0]][-1]

    def headline_draws(self, posterior: xr.Dataset | None = None) -> dict[str, np.ndarray]:
        """Return each tracked number per posterior draw, by its name in the headline table.

        Every successor outcome, and each asked-about coach leaving by the end of the first summer;
        from ``posterior`` (default: this result's), whose forecast variables may be recomputed
        on other data.
        """
        post, out = (self.idata.posterior if posterior is None else posterior), {}
        for club in self.successor["club"].unique():
            succ = post[f"successor_{slug(club)}"]
            values = succ.values.reshape(-1, succ.shape[-1])
            for j, outcome in enumerate(str(o) for o in succ[f"{slug(club)}_outcome"].values):
                out[f"P(no vacancy at {club})" if outcome == NO_VACANCY
                    else f"P({outcome} next {club} coach)"] = values[:, j]
        by = self.first_summer_end()
        months = [str(m) for m in post["month_out"].values]
        for coach in self.asked:
            club = self.departure.loc[self.departure["coach"] == coach, "club"].iloc[0]
            dep = post["departure"].sel(post=coach).values.reshape(-1, len(months))
            out[f"P({coach} leaves {club} by {by})"] = np.cumsum(dep, axis=-1)[:, months.index(by)]
        for p in self.inputs.posts:
            if p.destinations:
                draws = post[f"destination_{slug(p.club)}"]
                values = draws.values.reshape(-1, draws.shape[-1])
                for j, place in enumerate(str(o) for o in draws[f"{slug(p.club)}_destination"].values):
                    if place != IN_POST:
                        out[f"P({p.coach} leaves {p.club} for {place})"] = values[:, j]
        return out

    def headline_table(self) -> pd.DataFrame:
        """Return the tracked numbers with 90% intervals (``metric, mean, lo, hi``)."""
        rows = [(name, *_stats(draws)) for name, draws in self.headline_draws().items()]
        return pd.DataFrame(rows, columns=["metric", "mean", "lo", "hi"])

    def headlines(self) -> list[str]:
        """Return the answers in plain words (:func:`forecast.results.answers.headlines`)."""
        return headlines(self)

    def destination(self) -> pd.DataFrame:
        """Return where each coach whose question names destinations goes.

        Columns ``coach, club, outcome, mean, lo, hi``: each named club, anywhere else, the
        tracked vacancy he may be pulled to, or still in post at the horizon; sums to one per coach.
        """
        post, rows = self.idata.posterior, []
        for p in self.inputs.posts:
            if not p.destinations:
                continue
            s = slug(p.club)
            draws = post[f"destination_{s}"]
            for j, outcome in enumerate(draws[f"{s}_destination"].values):
                rows.append({"coach": p.coach, "club": p.club, "outcome": str(outcome),
                             **dict(zip(("mean", "lo", "hi"), _stats(draws.values[..., j]), strict=True))})
        return pd.DataFrame(rows, columns=DESTINATION_COLUMNS)

    # -- files ---------------------------------------------------------------------------
    def summary(self) -> dict:
        """Return the machine-readable answers written to ``summary.json``."""
        successor = {
            club: [{"outcome": r.outcome, "mean": r.mean, "interval_90": [r.lo, r.hi]}
                   for r in table.itertuples()]
            for club, table in self.successor.groupby("club", sort=False)
        }
        departure = {
            coach: {
                "club": table["club"].iloc[0],
                "by_month": [{"month": r.month, "mean": r.mean, "interval_90": [r.lo, r.hi],
                              "cumulative": r.cum_mean, "cumulative_interval_90": [r.cum_lo, r.cum_hi]}
                             for r in table.itertuples()],
            }
            for coach, table in self.departure.groupby("coach", sort=False)
        }
        joint = {
            club: [{"month": r.month, "candidate": r.candidate, "mean": r.mean,
                    "interval_90": [r.lo, r.hi]} for r in table.itertuples()]
            for club, table in self.joint.groupby("club", sort=False)
        }
        return {
            "scenario": self.scenario_id,
            "as_of": self.as_of.isoformat(),
            "forecast_version": __version__,
            "scenario_hash": self.scenario_hash,
            "seed": int(self.settings.seed),
            "headlines": self.headlines(),
            "successor": successor,
            "departure": departure,
            "joint": joint,
            "destination": {
                coach: [{"outcome": r.outcome, "mean": r.mean, "interval_90": [r.lo, r.hi]}
                        for r in table.itertuples()]
                for coach, table in self.destination().groupby("coach", sort=False)
            },
            "markets": [{**asdict(m), "date": m.date.isoformat()} for m in self.inputs.markets],
            "diagnostics": self.diagnostics,
        }

    def output_dir(self, out: Path) -> Path:
        """Return ``<out>/<scenario id>/<as-of>/``."""
        return Path(out) / self.scenario_id / self.as_of.isoformat()

    def save(self, out: Path) -> Path:
        """Write ``summary.json`` and the draws atomically; return the folder.

        A full run's draws go to ``idata.nc`` (the base later updates reweight); an importance
        update's go to ``update.nc``, so it never replaces the full run it came from.
        """
        folder = self.output_dir(out)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / "summary.json",
                     lambda p: Path(p).write_text(json.dumps(self.summary(), indent=2)))
        name = "idata.nc" if self.idata.posterior.attrs.get("method") == "nuts" else "update.nc"
        atomic_write(folder / name, lambda p: self.idata.to_netcdf(p))
        return folder


def load_idata(path: Path, scenario_hash: str | None = None) -> az.InferenceData:
    """Load a saved InferenceData, refusing one made from other inputs or another version."""
    idata = az.from_netcdf(path)
    attrs = idata.posterior.attrs
    if attrs.get("forecast_version") != __version__:
        raise ResultsMismatchError(
            f"{path} was written by forecast {attrs.get('forecast_version')}, this is {__version__}"
        )
    if scenario_hash and attrs.get("scenario_hash") != scenario_hash:
        raise ResultsMismatchError(f"{path} was computed from different scenario inputs")
    return idata
