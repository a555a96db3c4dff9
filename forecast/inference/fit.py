"""Fit a scenario: build inputs and model, sample, compute forecast probabilities, check convergence."""

from __future__ import annotations

import datetime as dt
import logging
import warnings

import arviz as az
import numpy as np
import pymc as pm

from forecast.data.scenario import Scenario
from forecast.features.arrays import ModelInputs, model_data
from forecast.features.inputs import build_inputs
from forecast.features.labelled import constant_data
from forecast.features.padding import pad_inputs
from forecast.inference.compiled import CORES, compile_model
from forecast.inference.records import succession_digest
from forecast.inference.reliability import learn_reliability
from forecast.inference.settings import MAX_RHAT, MIN_ESS, SamplerSettings
from forecast.inference.states import outcome_draws, weigh_surprise
from forecast.inference.warm import finish_warming, start_warming
from forecast.model.succession import build_model
from forecast.priors import resolve_priors
from forecast.results.result import ForecastResult


def sample(model: pm.Model, settings: SamplerSettings, inputs: ModelInputs | None = None,
           priors: dict | None = None, late_data=None) -> az.InferenceData:
    """Run NUTS on the continuous parameters (the discrete outcome is already summed out).

    With nutpie, the model is compiled through PyTensor's on-disk cache
    (:func:`forecast.inference.compiled.compile_model`), kept for the process and reused for
    any later fit of the same structure (``inputs`` and ``priors`` name it): a new rumour,
    another as-of date, another scenario of the same size bucket. ``late_data``, if given, is
    called once the model is compiled and returns data arrays (by name) to sample with instead
    of the model's own.
    """
    if settings.sampler == "nutpie":
        import nutpie

        digest = succession_digest(inputs, priors) if inputs is not None else None
        compiled = compile_model(model, digest)
        if late_data is not None:
            compiled = compiled.with_data(**late_data())
        idata = nutpie.sample(compiled, draws=settings.draws, tune=settings.tune,
                              chains=settings.chains, cores=CORES, seed=settings.seed,
                              progress_bar=settings.progressbar, save_warmup=False,
                              target_accept=settings.target_accept)
        return idata
    logging.getLogger("pymc").setLevel(logging.ERROR)
    with model:
        if late_data is not None:
            pm.set_data(late_data())
        return pm.sample(draws=settings.draws, tune=settings.tune, chains=settings.chains,
                         cores=1, random_seed=settings.seed, progressbar=settings.progressbar,
                         target_accept=settings.target_accept, compute_convergence_checks=False)


def diagnose(idata: az.InferenceData, var_names: list[str]) -> dict:
    """Return R-hat, ESS and divergences over ``var_names`` with a pass/fail verdict.

    The figures are ArviZ's rank-normalised split R-hat and bulk and tail ESS, unrounded (its
    ``summary`` rounds R-hat to two decimals, and spends a third of its time on MCSE).
    """
    posterior = idata.posterior[var_names]
    with warnings.catch_warnings():
        # Probabilities that facts fix at 0 or 1 have no variance: their R-hat is undefined (NaN,
        # skipped below), and ArviZ warns about the division.
        warnings.simplefilter("ignore", RuntimeWarning)
        rhat, bulk, tail = (az.rhat(posterior), az.ess(posterior, method="bulk"),
                            az.ess(posterior, method="tail"))

    def values(ds):
        return np.concatenate([ds[v].values.ravel() for v in var_names])

    divergences = int(idata.sample_stats["diverging"].sum()) if "diverging" in idata.sample_stats else 0
    max_rhat = float(np.nanmax(values(rhat)))
    min_bulk = float(np.nanmin(values(bulk)))
    min_tail = float(np.nanmin(values(tail)))
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
        cache_dir=None, **overrides) -> ForecastResult:
    """Fit the succession model to a scenario as of a date.

    Parameters
    ----------
    scenario : Scenario
        A loaded scenario.
    as_of : date, optional
        Forecast date (default the scenario's); nothing dated later is used.
    settings : SamplerSettings, optional
        Sampler settings; keyword ``overrides`` (``draws=``, ``seed=``...) replace single fields.
    cache_dir : path, optional
        Where learned source reliabilities are cached between commands.

    Returns
    -------
    ForecastResult
        Tidy forecast tables, diagnostics and the InferenceData.
    """
    settings = settings or SamplerSettings()
    if overrides:
        settings = SamplerSettings(**{**settings.__dict__, **overrides})
    priors = resolve_priors(scenario.spec.priors, str(scenario.path))
    # While the track record is fitted, a structure no process has compiled yet compiles in
    # helper processes (forecast.inference.warm).
    warming = None  # the helpers, once started or found unneeded

    def warm_during_track_fit():
        nonlocal warming
        warming = start_warming(scenario, as_of, priors)

    reliability = learn_reliability(
        scenario, as_of or scenario.spec.as_of, priors, settings, cache_dir=cache_dir,
        before_fit=warm_during_track_fit if settings.sampler == "nutpie" else None)
    inputs = build_inputs(scenario, as_of, reliability)
    # The model is built on the inputs padded to their size bucket, so scenarios of similar
    # size share one compiled model; the spare candidates' appeals are then dropped.
    padded = pad_inputs(inputs)
    if settings.sampler == "nutpie" and warming is None:
        # No track-record fit to overlap with: the outcome function compiles beside the sampler.
        warming = start_warming(scenario, as_of, priors, jobs=("outcomes",), inputs=padded.inputs)
    warming = warming or []
    finish_warming([h for h in warming if h.job == "sampler"])
    model = build_model(padded.inputs, priors)

    def surprise_data():
        # How much each report says beyond its proposition's prior needs the outcome function,
        # which may be compiling in a helper while the sampler compiled here.
        finish_warming([h for h in warming if h.job == "outcomes"])
        weigh_surprise(inputs, priors, reliability)
        return {k: v for k, v in padded.data(model_data(inputs)).items() if k.startswith("surprise_")}

    idata = sample(model, settings, padded.inputs, priors, late_data=surprise_data)
    idata.posterior = padded.posterior(idata.posterior)
    # The exact data of this fit, so a later update can reweight its draws (forecast.inference.update).
    constant = constant_data(inputs)
    if "constant_data" in idata.groups():
        del idata.constant_data
    idata.add_groups(constant_data=constant)
    outcomes, evidence = outcome_draws(inputs, idata.posterior)
    idata.posterior = idata.posterior.assign(outcomes)
    # log p(rumours, facts | parameters), the outcome summed out: the base of a later update.
    idata.add_groups(log_likelihood=evidence.to_dataset())
    # Convergence is judged on every parameter and every reported probability.
    params = [v.name for v in model.free_RVs if v.name in idata.posterior]
    reported = [n for n in outcomes.data_vars]
    diagnostics = diagnose(idata, params + reported)
    result = ForecastResult.from_fit(scenario, inputs, priors, idata, diagnostics, settings)
    result.reliability = reliability
    return result
