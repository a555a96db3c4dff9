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

from forecast.inputs import NOT_LISTED, ModelInputs
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


def compile_state_posterior(inputs: ModelInputs):
    """Compile ``f(params, weights=None) -> (log Z, [posterior over each post's states])``.

    ``weights`` is an optional list (one array per post) of rumour-term weights, 1 by default;
    setting one to 0 leaves that rumour out.
    """
    params = symbolic_params(inputs)
    etas = [pt.vector(f"eta{i}", dtype="float64") for i in range(len(inputs.posts))]
    weights = [pt.vector(f"w{i}", dtype="float64") for i in range(len(inputs.posts))]
    log_z = log_evidence(params, inputs, etas, weights)
    grads = pytensor.grad(log_z, etas)
    fn = pytensor.function([*params.values(), *etas, *weights], [log_z, *grads],
                           on_unused_input="ignore")
    names = list(params)
    zeros = [np.zeros(p.n_obs(inputs.T)) for p in inputs.posts]
    ones = [np.ones(p.truth.shape[0]) for p in inputs.posts]

    def evaluate(values: dict, term_weights: list | None = None) -> tuple[float, list[np.ndarray]]:
        out = fn(*[np.asarray(values[n], dtype="float64") for n in names], *zeros,
                 *(term_weights or ones))
        return float(out[0]), [np.asarray(g) for g in out[1:]]

    return evaluate


def slug(name: str) -> str:
    """Return a variable-name-safe slug of a club name."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def outcome_draws(inputs: ModelInputs, posterior: xr.Dataset) -> xr.Dataset:
    """Compute forecast probabilities for every posterior draw.

    Returns
    -------
    xarray.Dataset
        ``departure`` (chain, draw, post, month_out); for each vacancy with slug ``s``:
        ``successor_s`` (chain, draw, s_choice) summing to one with "no vacancy", and ``joint_s``
        (chain, draw, month, s_choice) the probability the choice is appointed in that month.
    """
    evaluate = compile_state_posterior(inputs)
    T = inputs.T
    n_chain, n_draw = posterior.sizes["chain"], posterior.sizes["draw"]
    names = [*SCALARS, "source_sd", "appeal", "not_listed"] + (["source_z"] if inputs.units else [])
    values = {n: posterior[n].values for n in names}
    dep = np.zeros((n_chain, n_draw, len(inputs.posts), T + 1))
    joints = {i: np.zeros((n_chain, n_draw, T, p.n_cand + 1))
              for i, p in enumerate(inputs.posts) if p.has_successor}
    for c in range(n_chain):
        for d in range(n_draw):
            _, marg = evaluate({n: v[c, d] for n, v in values.items()})
            for i, post in enumerate(inputs.posts):
                probs = marg[i]
                if post.has_successor:
                    joint = probs[:-1].reshape(T, post.n_cand + 1)
                    joints[i][c, d] = joint
                    dep[c, d, i, :T] = joint.sum(axis=1)
                    dep[c, d, i, T] = probs[-1]
                else:
                    dep[c, d, i] = probs
    months = inputs.grid.labels
    data = {
        "departure": xr.DataArray(
            dep, dims=("chain", "draw", "post", "month_out"),
            coords={"post": [p.coach for p in inputs.posts], "month_out": [*months, AFTER]},
        )
    }
    for i, joint in joints.items():
        post = inputs.posts[i]
        s = slug(post.club)
        choices = [*post.candidates, NOT_LISTED]
        data[f"joint_{s}"] = xr.DataArray(
            joint, dims=("chain", "draw", "month", f"{s}_choice"),
            coords={"month": months, f"{s}_choice": choices},
        )
        successor = np.concatenate([joint.sum(axis=2), dep[:, :, i, T:]], axis=2)
        data[f"successor_{s}"] = xr.DataArray(
            successor, dims=("chain", "draw", f"{s}_outcome"),
            coords={f"{s}_outcome": [*choices, NO_VACANCY]},
        )
    return xr.Dataset(data, coords={"chain": posterior["chain"], "draw": posterior["draw"]})
