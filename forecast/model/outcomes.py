"""Forecast probabilities for each posterior draw, read off exactly from the marginalised model.

The gradient of the log evidence with respect to zero offsets on each post's observable states is
that post's posterior state distribution (see :mod:`forecast.model.likelihood`); summing states gives
departure months, successors and the joint who-by-month table.
"""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import xarray as xr
from pytensor.graph.replace import vectorize_graph

from forecast.dims import AFTER, ELSEWHERE, IN_POST, NO_VACANCY, NOT_LISTED, slug
from forecast.dims import parameter_shapes as dim_shapes
from forecast.features.arrays import ModelInputs, model_data
from forecast.model.likelihood import log_evidence

#: Draws per call of the compiled state posterior. One static shape means one compiled function,
#: cached on disk by PyTensor, for any number of draws (the last chunk is padded).
CHUNK = 250

#: The C compiler flags PyMC adds to PyTensor's on import (``pymc/__init__.py``). They are part
#: of the key of every compiled C module, so the state posterior sets them itself, once each: its
#: modules are then found in PyTensor's cache whether or not the process imported PyMC
#: (forecasts use numba's state posterior, :mod:`forecast.inference.states`; the C one serves
#: SBC and the exactness tests).
PYMC_CXXFLAGS = ("-Wno-c++11-narrowing", "-fno-exceptions", "-fno-unwind-tables",
                 "-fno-asynchronous-unwind-tables")


def set_compiler_flags() -> None:
    """Make PyTensor's C compiler flags those of a process that imported PyMC, each flag once."""
    flags = pytensor.config.gcc__cxxflags.split()
    pytensor.config.gcc__cxxflags = " ".join(
        [f for f in flags if f not in PYMC_CXXFLAGS] + list(PYMC_CXXFLAGS))


def parameter_shapes(inputs: ModelInputs) -> dict[str, tuple[int, ...]]:
    """Return the shape of every model parameter, named as in the PyMC model."""
    return dim_shapes({dim: len(labels) for dim, labels in inputs.coords().items()})


def symbolic_params(inputs: ModelInputs, draws: int | None = None) -> dict:
    """Return one symbolic input per model parameter, with a leading axis of ``draws`` if given."""
    lead = () if draws is None else (draws,)
    return {name: pt.tensor(name, dtype="float64", shape=lead + shape)
            for name, shape in parameter_shapes(inputs).items()}


def symbolic_data(inputs: ModelInputs) -> dict:
    """Return one symbolic input per array of :func:`forecast.features.arrays.model_data`.

    Shapes are static: the compiled graph, and so PyTensor's on-disk cache key, is then the same
    in every process (:mod:`forecast.inference.compiled`).
    """
    return {
        name: pt.tensor(name, dtype=value.dtype, shape=value.shape)
        for name, value in model_data(inputs).items()
    }


def state_posterior_graph(inputs: ModelInputs, chunk: int = CHUNK) -> tuple[list, list]:
    """Return the inputs and outputs of the state posterior of ``chunk`` draws at once.

    Inputs: each parameter with a leading axis of draws (in :func:`parameter_shapes` order),
    each array of :func:`forecast.features.arrays.model_data`, and a zero offset per post's
    states. Outputs: the log evidence of each draw, then each post's state distribution per
    draw (the gradient of the log evidence with respect to those offsets).
    """
    params = symbolic_params(inputs)
    data = symbolic_data(inputs)
    etas = [pt.vector(f"eta{i}", dtype="float64", shape=(p.n_obs(inputs.T),))
            for i, p in enumerate(inputs.posts)]
    log_z = log_evidence(params, inputs, data, etas)
    batch = symbolic_params(inputs, chunk)
    batch_etas = [pt.matrix(f"eta{i}_draws", dtype="float64", shape=(chunk, e.type.shape[0]))
                  for i, e in enumerate(etas)]
    log_z_batch = vectorize_graph(log_z, replace={**{params[k]: batch[k] for k in params},
                                                  **dict(zip(etas, batch_etas, strict=True))})
    # Draws are independent, so the gradient of the sum is each draw's own gradient.
    grads = pytensor.grad(log_z_batch.sum(), batch_etas)
    return [*batch.values(), *data.values(), *batch_etas], [log_z_batch, *grads]


def state_evaluator(inputs: ModelInputs, call, chunk: int = CHUNK):
    """Return ``evaluate(values, data=None) -> (log Z, [each post's states])`` over any draws.

    ``call`` computes :func:`state_posterior_graph`'s outputs from its inputs, ``chunk`` draws
    at a time. ``values`` maps each parameter name to an array whose first axis is the draw;
    ``evaluate`` returns the log evidence of each draw, shaped (D,), and for each post its state
    distribution, shaped (D, n_obs). ``data`` (default: the inputs' own arrays) may be any
    arrays of the same structure, for example with a rumour's weight set to 0 to leave it out,
    or the arrays of a later as-of date. Every array is passed C-ordered and writable with the
    graph's dtype, so a numba function sees one signature, whatever the caller's layout.
    """
    names = list(parameter_shapes(inputs))
    own = model_data(inputs)
    zeros = [np.zeros((chunk, p.n_obs(inputs.T))) for p in inputs.posts]

    def evaluate(values: dict, data_values: dict | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
        arrays = own if data_values is None else data_values
        arrays = [np.require(arrays[n], own[n].dtype, ["C", "W"]) for n in own]
        n_draws = np.asarray(values[names[0]]).shape[0]
        padded = -(-n_draws // chunk) * chunk
        take = np.minimum(np.arange(padded), n_draws - 1)  # repeat the last draw as padding
        stacked = [np.asarray(values[n], dtype="float64")[take] for n in names]
        log_z_out, margs = [], []
        for start in range(0, padded, chunk):
            out = call(*[v[start:start + chunk] for v in stacked], *arrays, *zeros)
            log_z_out.append(out[0])
            margs.append(out[1:])
        log_z_all = np.concatenate(log_z_out)[:n_draws]
        return log_z_all, [np.concatenate([m[i] for m in margs])[:n_draws]
                           for i in range(len(inputs.posts))]

    return evaluate


def compile_state_posterior(inputs: ModelInputs, chunk: int = CHUNK, mode: str = "FAST_RUN"):
    """Compile the state posterior in PyTensor ``mode`` and return its :func:`state_evaluator`.

    The C backend by default: for a new structure it compiled in 28-34 s against numba's 40 s.
    Forecasts use numba through :mod:`forecast.inference.states`, which a warm process loads
    without building the graph; the exactness tests check both.
    """
    set_compiler_flags()
    ins, outs = state_posterior_graph(inputs, chunk)
    fn = pytensor.function(ins, outs, mode=mode, on_unused_input="ignore")
    return state_evaluator(inputs, fn, chunk)


def outcomes_from_marginals(inputs: ModelInputs, marginals: list[np.ndarray],
                            chain=None, draw=None) -> xr.Dataset:
    """Turn per-draw state distributions into departure, successor and joint probabilities.

    Returns
    -------
    xarray.Dataset
        ``departure`` (chain, draw, post, month_out); for each vacancy with slug ``s``:
        ``successor_s`` (chain, draw, s_outcome) summing to one with "no vacancy", and ``joint_s``
        (chain, draw, month, s_choice) the probability the post falls vacant in that month and
        the choice is appointed to it. For a post whose departure question names destinations,
        ``destination_s`` (chain, draw, s_destination): each named club, anywhere else, the
        tracked vacancy he may be pulled to, and still in post, summing to one.
    """
    T = inputs.T
    n_chain, n_draw = marginals[0].shape[:2]
    dep = np.zeros((n_chain, n_draw, len(inputs.posts), T + 1))
    months = inputs.grid.labels
    data = {}
    for i, post in enumerate(inputs.posts):
        probs = marginals[i]
        if post.n_dest:
            moves = probs[..., :-1].reshape(n_chain, n_draw, T, post.n_dest)
            dep[:, :, i, :T] = moves.sum(axis=-1)
            dep[:, :, i, T] = probs[..., -1]
            s = slug(post.club)
            places = [*post.destinations, ELSEWHERE] + ([post.pulled_to] if post.pulled_to else [])
            data[f"destination_{s}"] = xr.DataArray(
                np.concatenate([moves.sum(axis=2), probs[..., -1:]], axis=2),
                dims=("chain", "draw", f"{s}_destination"),
                coords={f"{s}_destination": [*places, IN_POST]},
            )
            continue
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
