"""Learning source reliability: fit the track-record model as of a date, cached per process and on disk.

The model itself is :mod:`forecast.model.track_record`; the succession model takes each source's
posterior (a cut) and the learned strength offsets and report discount.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecast.inference.settings import SamplerSettings
from forecast.model.track_posterior import claims_check, group_draws, new_source_logits
from forecast.model.track_record import build_reliability_model, track_inputs
from forecast.priors import Prior, priors_key

if TYPE_CHECKING:
    import pymc as pm


@dataclass
class ReliabilityFit:
    """Learned reliability of every source as of a date."""

    as_of: dt.date
    table: pd.DataFrame  # source, kind, country, tier, claims, true, psi_mean, psi_sd, rho_*
    diagnostics: dict

    def report_weights(self) -> tuple[np.ndarray, float, float]:
        """Return the learned strength offsets (weak, medium, strong), report discount and offset.

        The last is the reliability offset of a claim about the next weeks.
        """
        e = self.diagnostics["report_weights"]
        return (np.array([e["strength_weak"], 0.0, e["strength_strong"]]), float(e["discount"]),
                float(e["soon"]))

    def base_rates(self) -> dict[str, float]:
        """Return each claim kind's learned log-odds before anyone reports it."""
        return {k: float(v) for k, v in self.diagnostics["base_rates"].items()}

    def unit_prior(self, unit: str) -> tuple[float, float] | None:
        """Return (mean, sd) of a source's reliability logit, or None if unknown."""
        row = self.table[self.table["source"] == unit]
        return (float(row["psi_mean"].iloc[0]), float(row["psi_sd"].iloc[0])) if len(row) else None


#: Fits of this process by key: the fitted sources' table, the group draws, the diagnostics and
#: the table of every listed source assembled from them, by listing of sources (a memo).
_FITS: dict[tuple, tuple[pd.DataFrame, dict, dict, dict]] = {}


#: The succession model's priors the track-record model reads (its tier centres and spread).
TRACK_PRIOR_NAMES = ("tier1", "tier2", "tier3", "tier4", "source_sd", "source_z")


#: Part of the cache key: a cached fit of an older track-record model is not reused
#: (2: report_weights; 3-4: claims_check; 5: base_rates; 6: parameters for sources with claims;
#: 7: the offset for claims about the next weeks; 8: claims check by window; 9: group draws kept,
#: so a source listed later is predicted from the stored fit).
MODEL_VERSION = "events-discount-9"


def sample_track_record(model: pm.Model, settings: SamplerSettings, digest: str | None = None):
    """Sample the track-record model with nutpie (compiled through PyTensor's on-disk cache).

    ``digest``: see :func:`forecast.inference.compiled.compile_model`.
    """
    import nutpie

    from forecast.inference.compiled import CORES, compile_model

    return nutpie.sample(compile_model(model, digest), draws=settings.track_draws, tune=settings.track_tune,
                         chains=settings.track_chains, cores=CORES, seed=settings.seed, progress_bar=False,
                         target_accept=settings.track_target_accept)


def learn_reliability(scenario, as_of: dt.date, priors: dict[str, Prior],
                      settings: SamplerSettings | None = None,
                      cache_dir=None, before_fit=None) -> ReliabilityFit | None:
    """Fit the track-record model as of ``as_of``; None without a track record.

    ``settings`` (default :class:`SamplerSettings`) gives the seed and the track-record fit's
    draws, tuning, chains and step-size target.

    Fits are cached per process, and in ``cache_dir`` (a file per set of claims used) when
    given, so a fresh command does not refit what an earlier one learned. The key is what the
    fit reads: the claims, the sources with a claim and the priors. A source listed with no
    claim (an outlet added for a scenario's rumours) is predicted from the stored fit's group
    draws, as a new fit would predict it, so listing one refits nothing; the table of every
    listed source is kept per listing, so a process asking again does not predict again. A
    cache file that cannot be read or written is refitted or skipped, never an error.
    ``before_fit``, when given, is called (without arguments) just before a fit that no cache
    could spare starts.
    """
    track = scenario.track_record
    if not len(track):
        return None
    inputs = track_inputs(track, scenario.sources, as_of, scenario.source_names())
    digest = _digest(inputs.claims.drop(columns="line"), inputs.sources)
    settings = settings or SamplerSettings()
    # Only the priors this model reads: changing a succession prior reuses the fit.
    track_priors = priors_key(priors, TRACK_PRIOR_NAMES)
    key = (MODEL_VERSION, digest, inputs.used.tobytes(), settings.seed, settings.track_draws,
           settings.track_tune, settings.track_chains, settings.track_target_accept,
           track_priors)
    stored = None
    if key not in _FITS and cache_dir is not None:
        name = hashlib.sha256(repr(key).encode()).hexdigest()[:24]
        stored = Path(cache_dir) / "reliability" / f"{name}.json"
        try:
            _FITS[key] = (*_from_json(json.loads(stored.read_text())), {})
        except (OSError, ValueError, KeyError, TypeError):  # not cached yet, or unreadable
            pass
    if key not in _FITS:
        if before_fit is not None:
            before_fit()
        _FITS[key] = (*_fit(inputs, priors, settings, track_priors), {})
        if stored is not None:
            _store(stored, _FITS[key][:3])
    fitted, groups, diagnostics, tables = _FITS[key]
    listing = _digest(scenario.sources[["name", "kind", "country", "tier"]])
    if listing not in tables:
        # Every listed source in the order of the sources file: fitted, or predicted for its groups.
        predicted = inputs.others.rename(columns={"name": "source"}).assign(claims=0, true=0)
        predicted[STATS] = _stats(new_source_logits(groups, inputs.others, inputs.countries,
                                                    settings.seed))
        order = {name: j for j, name in enumerate(scenario.sources["name"])}
        tables[listing] = (pd.concat([fitted, predicted])
                           .sort_values("source", key=lambda c: c.map(order)).reset_index(drop=True))
    return ReliabilityFit(as_of, tables[listing].copy(), diagnostics)


def _digest(*frames: pd.DataFrame) -> str:
    """Return a hash of the frames' contents (their values and index, in order)."""
    return hashlib.sha256(b"".join(pd.util.hash_pandas_object(f).values.tobytes()
                                   for f in frames)).hexdigest()


#: The columns of a source's learned reliability in :attr:`ReliabilityFit.table`.
STATS = ["psi_mean", "psi_sd", "rho_mean", "rho_lo", "rho_hi"]


def _stats(psi: np.ndarray) -> np.ndarray:
    """Return the :data:`STATS` of each source's draws of its reliability logit, (sources, 5)."""
    rho = 0.5 + 0.5 / (1 + np.exp(-psi))
    return np.stack([psi.mean(axis=0), psi.std(axis=0), rho.mean(axis=0),
                     np.quantile(rho, 0.05, axis=0), np.quantile(rho, 0.95, axis=0)], axis=1)


def _fit(inputs, priors: dict[str, Prior], settings: SamplerSettings, track_priors: tuple):
    """Sample the track-record model; return the fitted sources' table, group draws, diagnostics.

    ``track_priors`` is :func:`~forecast.priors.priors_key` of the priors this model reads.
    """
    import arviz as az

    from forecast.inference.records import structure_digest

    # The graph depends on the arrays' shapes (the same for every as-of date) and its priors.
    structure = structure_digest("track record", len(inputs.sources), len(inputs.countries),
                                 len(inputs.claims), len(inputs.event_came_true), track_priors)
    idata = sample_track_record(build_reliability_model(inputs, priors), settings, structure)
    psi = idata.posterior["psi"].values
    used = inputs.claims[inputs.used == 1]
    counts = used.groupby("unit")["came_true"].agg(["size", "sum"])
    fitted = inputs.sources.rename(columns={"name": "source"})
    fitted["claims"] = fitted["source"].map(counts["size"]).fillna(0).astype(int)
    fitted["true"] = fitted["source"].map(counts["sum"]).fillna(0).astype(int)
    fitted[STATS] = _stats(psi.reshape(-1, psi.shape[-1]))
    summary = az.summary(idata, var_names=["~psi"], kind="diagnostics")
    diagnostics = {"max_rhat": float(summary["r_hat"].max()),
                   "min_ess_bulk": float(summary["ess_bulk"].min()),
                   "divergences": int(idata.sample_stats["diverging"].sum()),
                   "claims_used": int(inputs.used.sum()),
                   "events_used": int(inputs.event_used.sum()),
                   # Posterior means the succession model takes (a cut, like psi).
                   "report_weights": {n: float(idata.posterior[n].mean())
                                      for n in ("strength_weak", "strength_strong", "discount", "soon")},
                   # Log-odds of each claim kind before any report: the prior at which a
                   # report's surprise is nil (forecast.features.surprise).
                   "base_rates": dict(zip(idata.posterior["claim_kind"].values.tolist(),
                                          idata.posterior["base_rate"].mean(("chain", "draw"))
                                          .values.tolist(), strict=True)),
                   # How often claims came true against what the fit predicts (model health).
                   "claims_check": claims_check(idata.posterior, inputs, np.random.default_rng(
                       settings.seed)).to_dict(orient="list")}
    return fitted, group_draws(idata.posterior), diagnostics


def _store(path: Path, fit) -> None:
    """Write a fit to ``path`` atomically; one that cannot be written costs a refit next time."""
    from forecast.io.files import atomic_write

    fitted, groups, diagnostics = fit
    # Draws as their float64 bytes: a stored fit predicts a new source to the last digit.
    payload = json.dumps({"table": fitted.to_dict(orient="list"), "diagnostics": diagnostics,
                          "groups": {k: [list(v.shape), base64.b64encode(v.tobytes()).decode()]
                                     for k, v in groups.items()}})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda p: Path(p).write_text(payload))
    except OSError:
        pass


def _from_json(saved: dict):
    """Return a fit as :func:`_store` wrote it."""
    groups = {k: np.frombuffer(base64.b64decode(data), dtype=np.float64).reshape(shape)
              for k, (shape, data) in saved["groups"].items()}
    return pd.DataFrame(saved["table"]), groups, saved["diagnostics"]
