"""``build_model``: a pure function from model inputs and priors to a PyMC model (no sampling, no I/O)."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from forecast.dims import PARAMETERS, SOURCE
from forecast.features.arrays import ModelInputs, model_data
from forecast.model.likelihood import log_evidence, reliability_logit
from forecast.priors import Prior


def parameter_priors(inputs: ModelInputs, priors: dict[str, Prior], data: dict) -> dict:
    """Create every parameter of :data:`forecast.dims.PARAMETERS` from its prior object.

    Call inside a model context. A scenario's appeal of each candidate and the market's view
    shift that candidate's prior centre; the shift is the model's data (``appeal_shift_i``), so
    new odds reuse a compiled model.
    """
    keys = [f"appeal_shift_{i}" for i, p in enumerate(inputs.posts) if p.has_successor]
    shifts = {"appeal": pt.concatenate([data[k] for k in keys])} if keys else {}
    return {name: priors[name].create(dims=dim, shift=shifts.get(name, 0.0))
            for name, dim in PARAMETERS if dim is None or inputs.coords()[dim]}


def build_model(inputs: ModelInputs, priors: dict[str, Prior]) -> pm.Model:
    """Build the succession model.

    Parameters
    ----------
    inputs : ModelInputs
        Arrays from :func:`forecast.features.inputs.build_inputs`.
    priors : dict of Prior
        From :func:`forecast.priors.resolve_priors`.

    Returns
    -------
    pymc.Model
        Free variables: :data:`forecast.dims.PARAMETERS` (``source_z`` only with counted
        rumours), each created by its :class:`forecast.priors.Prior`. Data: the arrays of
        :func:`forecast.features.arrays.model_data`.
        Deterministic ``reliability`` (dim ``source``) is the probability a medium-strength
        claim of that source, not about the next weeks, is right. The potential ``evidence`` is
        the log evidence with the discrete outcome summed out.
    """
    with pm.Model(coords=inputs.coords()) as model:
        # Everything that changes between forecasts of one scenario (rumours, facts, form, odds,
        # learned reliabilities) is data, so a compiled model is reused while shapes hold.
        # Static shapes keep the graph, and so its on-disk compile cache key, the same in every
        # process (forecast.inference.compiled).
        data = {name: pm.Data(name, value, shape=np.shape(value))
                for name, value in model_data(inputs).items()}
        params = parameter_priors(inputs, priors, data)
        if inputs.units:
            pm.Deterministic("reliability", 0.5 + 0.5 * pm.math.sigmoid(
                reliability_logit(params, data)), dims=SOURCE)
        pm.Potential("evidence", log_evidence(params, inputs, data))
    return model
