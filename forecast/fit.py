"""Fit a scenario: build inputs and model, sample, compute forecast probabilities, check convergence."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import arviz as az
import numpy as np
import pymc as pm

from forecast.inputs import build_inputs
from forecast.model import build_model
from forecast.outcomes import outcome_draws
from forecast.priors import resolve_priors
from forecast.results import ForecastResult
from forecast.scenario import Scenario

#: Convergence thresholds every run is held to.
MAX_RHAT = 1.01
MIN_ESS = 400


@dataclass(frozen=True)
class SamplerSettings:
    """How to sample, kept apart from what to model.

    ``sampler`` is ``"nutpie"`` (default: fastest effective samples per second in
    ``benchmarks/``) or ``"pymc"``. One ``seed`` reaches every random call.
    """

    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    seed: int = 20241115
    sampler: str = "nutpie"
    target_accept: float = 0.9
    progressbar: bool = False


def sample(model: pm.Model, settings: SamplerSettings) -> az.InferenceData:
    """Run NUTS on the continuous parameters (the discrete outcome is already summed out)."""
    kwargs = dict(
        draws=settings.draws, tune=settings.tune, chains=settings.chains,
        random_seed=settings.seed, progressbar=settings.progressbar,
        target_accept=settings.target_accept, compute_convergence_checks=False,
    )
    with model:
        if settings.sampler == "nutpie":
            return pm.sample(nuts_sampler="nutpie", **kwargs)
        logging.getLogger("pymc").setLevel(logging.ERROR)
        return pm.sample(cores=1, **kwargs)


def diagnose(idata: az.InferenceData, var_names: list[str]) -> dict:
    """Return R-hat, ESS and divergences over ``var_names`` with a pass/fail verdict."""
    summary = az.summary(idata, var_names=var_names, kind="diagnostics")
    divergences = int(idata.sample_stats["diverging"].sum()) if "diverging" in idata.sample_stats else 0
    max_rhat = float(np.nanmax(summary["r_hat"]))
    min_bulk = float(np.nanmin(summary["ess_bulk"]))
    min_tail = float(np.nanmin(summary["ess_tail"]))
    passed = max_rhat <= MAX_RHAT and min_bulk >= MIN_ESS and min_tail >= MIN_ESS and divergences == 0
    return {
        "max_rhat": max_rhat,
        "min_ess_bulk": min_bulk,
        "min_ess_tail": min_tail,
        "divergences": divergences,
        "thresholds": {"max_rhat": MAX_RHAT, "min_ess": MIN_ESS, "divergences": 0},
        "passed": bool(passed),
    }


def fit(scenario: Scenario, as_of: dt.date | None = None, settings: SamplerSettings | None = None,
        **overrides) -> ForecastResult:
    """Fit the succession model to a scenario as of a date.

    Parameters
    ----------
    scenario : Scenario
        A loaded scenario.
    as_of : date, optional
        Forecast date (default the scenario's); nothing dated later is used.
    settings : SamplerSettings, optional
        Sampler settings; keyword ``overrides`` (``draws=``, ``seed=``...) replace single fields.

    Returns
    -------
    ForecastResult
        Tidy forecast tables, diagnostics and the InferenceData.
    """
    settings = settings or SamplerSettings()
    if overrides:
        settings = SamplerSettings(**{**settings.__dict__, **overrides})
    inputs = build_inputs(scenario, as_of)
    priors = resolve_priors(scenario.spec.priors, str(scenario.path))
    model = build_model(inputs, priors)
    idata = sample(model, settings)
    outcomes = outcome_draws(inputs, idata.posterior)
    idata.posterior = idata.posterior.assign(outcomes)
    # Convergence is judged on every parameter and every reported probability.
    params = [v.name for v in model.free_RVs]
    reported = [n for n in outcomes.data_vars]
    diagnostics = diagnose(idata, params + reported)
    return ForecastResult.from_fit(scenario, inputs, priors, idata, diagnostics, settings)
