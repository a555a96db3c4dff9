"""Out-of-time check of learned reliability: learn from claims resolved before a date, score later ones."""

from __future__ import annotations

import datetime as dt

import numpy as np

from forecast.inference.reliability import sample_track_record
from forecast.inference.settings import SamplerSettings
from forecast.model.track_posterior import predictive_log_score
from forecast.model.track_record import build_reliability_model, track_inputs
from forecast.priors import Prior


def out_of_time(scenario, split: dt.date, priors: dict[str, Prior],
                settings: SamplerSettings | None = None) -> dict:
    """Learn from claims resolved before ``split``; score claims made on or after it.

    Returns the mean log score (higher is better) of the learned model and of the tier-prior-only
    model (same base rates and strength offsets, no source-specific learning) on the later claims,
    and their mean per-claim difference (learned minus tier-only) with its standard error. Both
    fits use ``settings`` (default :class:`SamplerSettings`, seed 1 as the checks were run).
    """
    settings = settings or SamplerSettings(seed=1)
    alias = scenario.source_names()
    inputs = track_inputs(scenario.track_record, scenario.sources, split, alias)
    later = inputs.claims[inputs.claims["claim_date"] >= split]
    per_claim = {}
    for learn in (True, False):
        idata = sample_track_record(build_reliability_model(inputs, priors, learn_sources=learn),
                                    settings)
        per_claim["learned" if learn else "tier_only"] = predictive_log_score(
            idata, inputs, later, alias, priors, learn)
    scores = {k: float(v.mean()) for k, v in per_claim.items()}
    # Paired by claim: the standard error of the mean difference says whether it is noise.
    diff = per_claim["learned"] - per_claim["tier_only"]
    scores.update({"difference": float(diff.mean()),
                   "difference_se": float(diff.std(ddof=1) / np.sqrt(len(diff)))})
    scores.update({"split": split.isoformat(), "train_claims": int(inputs.used.sum()),
                   "test_claims": int(len(later)),
                   "base_rate_only": float(np.mean(np.log(np.where(
                       later["came_true"] == 1, inputs.came_true[inputs.used == 1].mean(),
                       1 - inputs.came_true[inputs.used == 1].mean()))))})
    return scores
