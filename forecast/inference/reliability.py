"""Learning source reliability: fit the track-record model as of a date, cached per process and on disk.

The model itself is :mod:`forecast.model.track_record`; the succession model takes each source's
posterior (a cut) and the learned strength offsets and report discount.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forecast.inference.settings import SamplerSettings
from forecast.model.track_posterior import claims_check, new_source_logits
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


_FITS: dict[tuple, ReliabilityFit] = {}


#: The succession model's priors the track-record model reads (its tier centres and spread).
TRACK_PRIOR_NAMES = ("tier1", "tier2", "tier3", "tier4", "source_sd", "source_z")


#: Part of the cache key: a cached fit of an older track-record model is not reused
#: (2: report_weights; 3-4: claims_check; 5: base_rates; 6: parameters for sources with claims;
#: 7: the offset for claims about the next weeks; 8: claims check by window).
MODEL_VERSION = "events-discount-8"


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

    Fits are cached per process, and in ``cache_dir`` (a table per set of claims used) when
    given, so a fresh command does not refit what an earlier one learned. A cache file that
    cannot be read or written is refitted or skipped, never an error. ``before_fit``, when
    given, is called (without arguments) just before a fit that no cache could spare starts.
    """
    import arviz as az

    track = scenario.track_record
    if not len(track):
        return None
    inputs = track_inputs(track, scenario.sources, as_of, scenario.source_names())
    digest = hashlib.sha256(pd.util.hash_pandas_object(track.drop(columns="line")).values.tobytes()
                            + pd.util.hash_pandas_object(scenario.sources.drop(columns="line"))
                            .values.tobytes()).hexdigest()
    settings = settings or SamplerSettings()
    # Only the priors this model reads: changing a succession prior reuses the fit.
    track_priors = priors_key(priors, TRACK_PRIOR_NAMES)
    key = (MODEL_VERSION, digest, inputs.used.tobytes(), settings.seed, settings.track_draws,
           settings.track_tune, settings.track_chains, settings.track_target_accept,
           track_priors)
    if key in _FITS:
        return _FITS[key]
    stored = None
    if cache_dir is not None:
        name = hashlib.sha256(repr(key).encode()).hexdigest()[:24]
        stored = Path(cache_dir) / "reliability" / f"{name}.json"
        try:
            saved = json.loads(stored.read_text())
        except (OSError, ValueError):  # not cached yet, or unreadable: fit again
            saved = None
        if saved is not None:
            fit = ReliabilityFit(as_of, pd.DataFrame(saved["table"]), saved["diagnostics"])
            _FITS[key] = fit
            return fit
    from forecast.inference.records import structure_digest

    if before_fit is not None:
        before_fit()
    # The graph depends on the arrays' shapes (the same for every as-of date) and its priors.
    structure = structure_digest("track record", len(inputs.sources), len(inputs.countries),
                                 len(inputs.claims), len(inputs.event_came_true), track_priors)
    idata = sample_track_record(build_reliability_model(inputs, priors), settings, structure)
    psi = idata.posterior["psi"].values
    psi = np.concatenate([psi.reshape(-1, psi.shape[-1]), new_source_logits(
        idata.posterior, inputs, settings.seed)], axis=1)
    rho = 0.5 + 0.5 / (1 + np.exp(-psi))
    used = inputs.claims[inputs.used == 1]
    counts = used.groupby("unit")["came_true"].agg(["size", "sum"])
    # Every listed source in the order of the sources file: fitted, or predicted for its groups.
    table = pd.concat([inputs.sources, inputs.others]).rename(columns={"name": "source"})
    table["claims"] = table["source"].map(counts["size"]).fillna(0).astype(int)
    table["true"] = table["source"].map(counts["sum"]).fillna(0).astype(int)
    table["psi_mean"] = psi.mean(axis=0)
    table["psi_sd"] = psi.std(axis=0)
    table["rho_mean"] = rho.mean(axis=0)
    table["rho_lo"] = np.quantile(rho, 0.05, axis=0)
    table["rho_hi"] = np.quantile(rho, 0.95, axis=0)
    order = {name: j for j, name in enumerate(scenario.sources["name"])}
    table = table.sort_values("source", key=lambda c: c.map(order)).reset_index(drop=True)
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
    fit = ReliabilityFit(as_of, table, diagnostics)
    _FITS[key] = fit
    if stored is not None:
        from forecast.io.files import atomic_write

        payload = json.dumps({"table": table.to_dict(orient="list"), "diagnostics": diagnostics})
        try:
            stored.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(stored, lambda p: Path(p).write_text(payload))
        except OSError:  # a cache that cannot be written costs a refit next time, nothing else
            pass
    return fit
