"""``build_model``: a pure function from model inputs and priors to a PyMC model (no sampling, no I/O)."""

from __future__ import annotations

import numpy as np
import pymc as pm

from forecast.dims import CANDIDATE, SCALARS, SOURCE, VACANCY
from forecast.features.arrays import ModelInputs, model_data
from forecast.model.likelihood import log_evidence, reliability_logit
from forecast.priors import Prior


def candidate_labels(inputs: ModelInputs) -> list[str]:
    """Return ``"Club: Candidate"`` labels of the flat appeal vector."""
    return [f"{p.club}: {c}" for p in inputs.posts if p.has_successor for c in p.candidates]


def coords(inputs: ModelInputs) -> dict[str, list[str]]:
    """Return the model's coordinates with real labels."""
    return {
        CANDIDATE: candidate_labels(inputs),
        VACANCY: [p.club for p in inputs.posts if p.has_successor],
        SOURCE: list(inputs.units),
    }


def parameter_priors(inputs: ModelInputs, priors: dict[str, Prior]) -> dict:
    """Create the model's free parameters with their priors; call inside a model context."""
    appeal_mu = np.concatenate([p.appeal_mu for p in inputs.posts if p.has_successor] or [[]])
    params = {name: pm.Normal(name, priors[name].mu, priors[name].sigma) for name in SCALARS}
    params["source_sd"] = pm.HalfNormal("source_sd", priors["source_sd"].sigma)
    params["appeal"] = pm.Normal(
        "appeal", priors["appeal"].mu + appeal_mu, priors["appeal"].sigma, dims=CANDIDATE
    )
    params["not_listed"] = pm.Normal(
        "not_listed", priors["not_listed"].mu, priors["not_listed"].sigma, dims=VACANCY
    )
    if inputs.units:
        params["source_z"] = pm.Normal("source_z", 0.0, 1.0, dims=SOURCE)
    return params


def build_model(inputs: ModelInputs, priors: dict[str, Prior]) -> pm.Model:
    """Build the succession model.

    Parameters
    ----------
    inputs : ModelInputs
        Arrays from :func:`forecast.inputs.build_inputs`.
    priors : dict of Prior
        From :func:`forecast.priors.resolve_priors`.

    Returns
    -------
    pymc.Model
        Free variables: the scalars in :data:`SCALARS`, ``source_sd``, ``appeal`` (dim
        ``candidate``), ``not_listed`` (dim ``vacancy``), ``source_z`` (dim ``source``, only with
        counted rumours). Data: the arrays of :func:`forecast.inputs.model_data`.
        Deterministic ``reliability`` (dim ``source``) is the probability a medium-strength
        claim of that source is right. The potential ``evidence`` is the log evidence with the
        discrete outcome summed out.
    """
    with pm.Model(coords=coords(inputs)) as model:
        params = parameter_priors(inputs, priors)
        # Everything that changes between forecasts of one scenario (rumours, facts, form,
        # learned reliabilities) is data, so a compiled model is reused while shapes hold.
        # Static shapes keep the graph, and so its on-disk compile cache key, the same in every
        # process (forecast.compiled).
        data = {name: pm.Data(name, value, shape=np.shape(value))
                for name, value in model_data(inputs).items()}
        if inputs.units:
            pm.Deterministic("reliability", 0.5 + 0.5 * pm.math.sigmoid(
                reliability_logit(params, data)), dims=SOURCE)
        pm.Potential("evidence", log_evidence(params, inputs, data))
    return model
