"""Forecast probabilities for each posterior draw, read off exactly from the marginalised model.

The gradient of the log evidence with respect to zero offsets on each post's observable states is
that post's posterior state distribution (see :mod:`forecast.likelihood`); summing states gives
departure months, successors and the joint who-by-month table.
"""

from __future__ import annotations

import re

import numpy as np
import pytensor
import pytensor.tensor as pt
import xarray as xr

from forecast.inputs import NOT_LISTED, ModelInputs, model_data
from forecast.likelihood import log_evidence
from forecast.model import SCALARS

AFTER = "after horizon"
NO_VACANCY = "no vacancy"


def symbolic_params(inputs: ModelInputs) -> dict:
    """Return one symbolic input per model parameter, named as in the PyMC model."""
    params = {name: pt.scalar(name, dtype="float64") for name in (*SCALARS, "source_sd")}
    params["appeal"] = pt.vector("appeal", dtype="float64")
    params["not_listed"] = pt.vector("not_listed", dtype="float64")
    if inputs.units:
        params["source_z"] = pt.vector("source_z", dtype="float64")
    return params


def symbolic_data(inputs: ModelInputs) -> dict:
    """Return one symbolic input per array of :func:`forecast.inputs.model_data`."""
    return {
        name: pt.tensor(name, dtype=value.dtype, shape=(None,) * value.ndim)
        for name, value in model_data(inputs).items()
    }


def compile_state_posterior(inputs: ModelInputs):
    """Compile ``f(params, data=None) -> (log Z, [posterior over each post's states])``.

    ``data`` (default: the inputs' own arrays) may be any arrays of the same structure, for
    example with a rumour's weight set to 0 to leave it out, or the arrays of a later as-of date.
    """
    params = symbolic_params(inputs)
    data = symbolic_data(inputs)
    etas = [pt.vector(f"eta{i}", dtype="float64") for i in range(len(inputs.posts))]
    log_z = log_evidence(params, inputs, data, etas)
    grads = pytensor.grad(log_z, etas)
    fn = pytensor.function([*params.values(), *data.values(), *etas], [log_z, *grads],
                           on_unused_input="ignore")
    names = list(params)
    zeros = [np.zeros(p.n_obs(inputs.T)) for p in inputs.posts]
    own = model_data(inputs)

    def evaluate(values: dict, data_values: dict | None = None) -> tuple[float, list[np.ndarray]]:
        arrays = own if data_values is None else data_values
        out = fn(*[np.asarray(values[n], dtype="float64") for n in names],
                 *[arrays[n] for n in data], *zeros)
        return float(out[0]), [np.asarray(g) for g in out[1:]]

    return evaluate


def slug(name: str) -> str:
    """Return a variable-name-safe slug of a club name."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def state_marginals(inputs: ModelInputs, posterior: xr.Dataset) -> tuple[np.ndarray, list[np.ndarray]]:
    """Return the log evidence per draw (chain, draw) and each post's state distribution per draw.

    The distributions are shaped (chain, draw, n_obs).
    """
    evaluate = cached_state_posterior(inputs)
    n_chain, n_draw = posterior.sizes["chain"], posterior.sizes["draw"]
    names = [*SCALARS, "source_sd", "appeal", "not_listed"] + (["source_z"] if inputs.units else [])
    values = {n: posterior[n].values for n in names}
    data = model_data(inputs)
    log_z = np.zeros((n_chain, n_draw))
    out = [np.zeros((n_chain, n_draw, p.n_obs(inputs.T))) for p in inputs.posts]
    for c in range(n_chain):
        for d in range(n_draw):
            log_z[c, d], marg = evaluate({n: v[c, d] for n, v in values.items()}, data)
            for i, m in enumerate(marg):
                out[i][c, d] = m
    return log_z, out


def outcomes_from_marginals(inputs: ModelInputs, marginals: list[np.ndarray],
                            chain=None, draw=None) -> xr.Dataset:
    """Turn per-draw state distributions into departure, successor and joint probabilities.

    Returns
    -------
    xarray.Dataset
        ``departure`` (chain, draw, post, month_out); for each vacancy with slug ``s``:
        ``successor_s`` (chain, draw, s_outcome) summing to one with "no vacancy", and ``joint_s``
        (chain, draw, month, s_choice) the probability the choice is appointed in that month.
    """
    T = inputs.T
    n_chain, n_draw = marginals[0].shape[:2]
    dep = np.zeros((n_chain, n_draw, len(inputs.posts), T + 1))
    months = inputs.grid.labels
    data = {}
    for i, post in enumerate(inputs.posts):
        probs = marginals[i]
        if not post.has_successor:
            dep[:, :, i] = probs
            continue
        joint = probs[..., :-1].reshape(n_chain, n_draw, T, post.n_cand + 1)
        dep[:, :, i, :T] = joint.sum(axis=-1)
        dep[:, :, i, T] = probs[..., -1]
        s = slug(post.club)
        choices = [*post.candidates, NOT_LISTED]
        data[f"joint_{s}"] = xr.DataArray(
            joint, dims=("chain", "draw", "month", f"{s}_choice"),
            coords={"month": months, f"{s}_choice": choices},
        )
        successor = np.concatenate([joint.sum(axis=2), probs[..., -1:]], axis=2)
        data[f"successor_{s}"] = xr.DataArray(
            successor, dims=("chain", "draw", f"{s}_outcome"),
            coords={f"{s}_outcome": [*choices, NO_VACANCY]},
        )
    data["departure"] = xr.DataArray(
        dep, dims=("chain", "draw", "post", "month_out"),
        coords={"post": [p.coach for p in inputs.posts], "month_out": [*months, AFTER]},
    )
    coords = {"chain": np.arange(n_chain) if chain is None else chain,
              "draw": np.arange(n_draw) if draw is None else draw}
    return xr.Dataset(data, coords=coords)


def outcome_draws(inputs: ModelInputs, posterior: xr.Dataset) -> tuple[xr.Dataset, xr.DataArray]:
    """Compute forecast probabilities for every posterior draw (see :func:`outcomes_from_marginals`).

    Also returns the log evidence of each draw (``evidence``, dims chain and draw), which
    :func:`forecast.reweight.importance_update` needs to reweight the draws on new data.
    """
    log_z, marginals = state_marginals(inputs, posterior)
    coords = {"chain": posterior["chain"], "draw": posterior["draw"]}
    evidence = xr.DataArray(log_z, dims=("chain", "draw"), coords=coords, name="evidence")
    return outcomes_from_marginals(inputs, marginals, posterior["chain"], posterior["draw"]), evidence


_CACHE: dict[tuple, object] = {}


def cached_state_posterior(inputs: ModelInputs):
    """Return :func:`compile_state_posterior` for this structure, compiled once per process."""
    key = inputs.structure_key()
    if key not in _CACHE:
        _CACHE[key] = compile_state_posterior(inputs)
    return _CACHE[key]
