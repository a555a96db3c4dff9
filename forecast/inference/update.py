r"""Fast refresh after new evidence: importance-reweight a saved full run instead of refitting.

With posterior draws :math:`\theta_d` of a full NUTS run on data :math:`D_0`, the posterior on
new data :math:`D_1` (a rumour added, a later as-of date) is the same draws reweighted by
:math:`w_d \propto Z_{D_1}(\theta_d) / Z_{D_0}(\theta_d)`, the exactly marginalised evidence of
each (:math:`\log Z_{D_0}` is stored with the full run); the forecast probabilities of each
draw are recomputed exactly on :math:`D_1`. The weights' effective sample size says whether the
shortcut holds: below the threshold :func:`update` refits. Spare reliability units were sampled
from their prior in the base run, so a rumour from a source not seen before is covered too.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict

import arviz as az
import numpy as np
import xarray as xr

from forecast.data.scenario import Scenario
from forecast.dims import CANDIDATE, DESTINATION, PARAMETERS
from forecast.features.arrays import model_data
from forecast.features.inputs import build_inputs
from forecast.features.labelled import constant_data
from forecast.inference.reliability import learn_reliability
from forecast.inference.settings import MIN_ESS, SamplerSettings
from forecast.inference.states import cached_state_posterior, weigh_surprise
from forecast.model.outcomes import outcomes_from_marginals, parameter_shapes
from forecast.priors import resolve_priors
from forecast.results.result import ForecastResult


def _appeal_prior_ratio(base, inputs, new: dict, priors, flat: dict, pick) -> np.ndarray | float:
    """Return each draw's log prior ratio of the appeals when their centres moved (new odds)."""
    keys = [f"appeal_shift_{i}" for i, p in enumerate(inputs.posts) if p.has_successor]
    if "appeal" not in flat or not keys:
        return 0.0
    old_c = np.concatenate([base.constant_data[k].values for k in keys])
    new_c = np.concatenate([new[k] for k in keys])
    prior = priors["appeal"]
    a = flat["appeal"][pick] - prior.mu
    return (((a - old_c) ** 2 - (a - new_c) ** 2) / (2 * prior.sigma**2)).sum(axis=1)


def importance_update(base: az.InferenceData, scenario: Scenario, as_of: dt.date,
                      max_draws: int = 4000, seed: int = 0, cache_dir=None) -> ForecastResult | None:
    """Return the forecast on the scenario's current data, reweighting ``base``; None if impossible.

    ``base`` must be a full run (``method == "nuts"``) of the same structure and priors, with
    the log evidence of each draw (``log_likelihood.evidence``, stored by
    :func:`forecast.inference.fit.fit`).
    """
    attrs = base.posterior.attrs
    if attrs.get("method") != "nuts" or not {"constant_data", "log_likelihood"} <= set(base.groups()):
        return None
    priors = resolve_priors(scenario.spec.priors, str(scenario.path))
    if json.loads(attrs["priors"]) != {k: asdict(v) for k, v in priors.items()}:
        return None
    settings = SamplerSettings(**json.loads(attrs["sampler_settings"]))
    reliability = learn_reliability(scenario, as_of, priors, settings, cache_dir=cache_dir)
    inputs = build_inputs(scenario, as_of, reliability)
    weigh_surprise(inputs, priors, reliability)
    new = model_data(inputs)
    old_shapes = {k: base.constant_data[k].shape for k in new if k in base.constant_data}
    if set(old_shapes) != set(new) or any(old_shapes[k] != new[k].shape for k in new):
        return None
    post = base.posterior
    names = list(parameter_shapes(inputs))
    # Same shapes are not enough: candidates and destinations must be the same, in order.
    labels = inputs.coords()
    if any(name in post and list(post[name].coords[dim].values) != labels[dim]
           for name, dim in PARAMETERS if dim in (CANDIDATE, DESTINATION)):
        return None
    flat = {n: post[n].values.reshape(-1, *post[n].shape[2:]) for n in names}
    total = next(iter(flat.values())).shape[0]
    pick = np.linspace(0, total - 1, min(max_draws, total)).astype(int)
    evaluate = cached_state_posterior(inputs)
    log_old = base.log_likelihood["evidence"].values.reshape(-1)[pick]
    log_new, margs = evaluate({n: v[pick] for n, v in flat.items()}, new)
    log_w = log_new - log_old + _appeal_prior_ratio(base, inputs, new, priors, flat, pick)
    w = np.exp(log_w - log_w.max())
    w /= w.sum()
    ess = float(1.0 / np.sum(w**2))
    # Systematic resampling: equally weighted draws, one seed.
    rng = np.random.default_rng(seed)
    positions = (rng.random() + np.arange(len(pick))) / len(pick)
    idx = np.minimum(np.searchsorted(np.cumsum(w), positions), len(pick) - 1)
    params = {n: xr.DataArray(flat[n][pick[idx]][None], dims=post[n].dims,
                              coords={k: v for k, v in post[n].coords.items()
                                      if k not in ("chain", "draw")})
              for n in names}
    marginals = [m[idx][None] for m in margs]
    outcomes = outcomes_from_marginals(inputs, marginals)
    posterior = xr.Dataset(params).assign_coords(chain=[0], draw=np.arange(len(idx))).merge(outcomes)
    if "reliability" in post:
        rel = post["reliability"].values.reshape(-1, post["reliability"].shape[-1])[pick[idx]]
        posterior["reliability"] = xr.DataArray(rel[None], dims=("chain", "draw", "source"),
                                                coords={"source": list(inputs.units)})
    idata = az.InferenceData(posterior=posterior)
    idata.add_groups(constant_data=constant_data(inputs, new))
    # Each kept draw's evidence on the new data, for reweighting it further
    # (forecast.inference.health.surprise_sensitivity); a later update still starts from a full run.
    idata.add_groups(log_likelihood=xr.Dataset(
        {"evidence": (("chain", "draw"), log_new[idx][None])},
        coords={"chain": [0], "draw": np.arange(len(idx))}))
    base_passed = bool(json.loads(attrs.get("diagnostics", "{}")).get("passed", False))
    diagnostics = {
        "method": f"importance update of the full run as of {attrs.get('as_of')}",
        "weight_ess": ess, "draws": int(len(pick)), "base_passed": base_passed,
        "max_rhat": float(json.loads(attrs.get("diagnostics", "{}")).get("max_rhat", np.nan)),
        "min_ess_bulk": ess, "min_ess_tail": ess, "divergences": 0,
        "thresholds": {"min_weight_ess": MIN_ESS},
        "passed": bool(base_passed and ess >= MIN_ESS),
    }
    result = ForecastResult.from_fit(scenario, inputs, priors, idata, diagnostics, settings)
    result.idata.posterior.attrs["method"] = "importance"
    result.base = base
    return result


def update(base: ForecastResult | az.InferenceData | None, scenario: Scenario,
           as_of: dt.date | None = None, seed: int | None = None, cache_dir=None,
           say=None) -> ForecastResult:
    """Return the forecast on the scenario's current data, as fast as it can be done honestly.

    Reweights the draws of ``base`` (a result of :func:`forecast.inference.fit.fit` or of an earlier
    update, or a saved full run's InferenceData) on the new data when enough of them keep weight
    (weight ESS >= ``MIN_ESS``); otherwise, or without a usable base, fits afresh.

    Parameters
    ----------
    base : ForecastResult, InferenceData or None
        The last forecast of this scenario (same structure and priors).
    scenario : Scenario
        The scenario with its new rumours or facts (e.g. after :func:`forecast.add_rumour`).
    as_of : date, optional
        Forecast date (default the scenario's).
    seed : int, optional
        Seed of the resampling and of a refit (default the base run's, else the default).
    cache_dir : path, optional
        Where learned source reliabilities are cached.
    say : callable, optional
        Receives one line saying why a refit was needed.

    Examples
    --------
    >>> result = forecast.fit(scenario)                    # doctest: +SKIP
    >>> forecast.add_rumour(scenario, {"date": "2024-11-15", ...})  # doctest: +SKIP
    >>> scenario = scenario.reload()                       # doctest: +SKIP
    >>> result = forecast.update(result, scenario)         # doctest: +SKIP
    """
    as_of = as_of or scenario.spec.as_of
    if isinstance(base, ForecastResult):
        base = base.base if base.base is not None else base.idata
    settings = SamplerSettings()
    if base is not None and "sampler_settings" in base.posterior.attrs:
        settings = SamplerSettings(**json.loads(base.posterior.attrs["sampler_settings"]))
    seed = settings.seed if seed is None else seed
    result = None if base is None else importance_update(base, scenario, as_of, seed=seed,
                                                         cache_dir=cache_dir)
    if result is not None and result.diagnostics["passed"]:
        return result
    why = ("no earlier full run to update" if base is None else
           "the earlier run has another structure" if result is None else
           f"reweighting keeps only {result.diagnostics['weight_ess']:.0f} effective draws")
    if say is not None:
        say(f"full refit ({why})...")
    from forecast.inference.fit import fit  # imports PyMC (0.5 s), which a reweighting never needs

    return fit(scenario, as_of, settings, cache_dir=cache_dir, seed=seed)
