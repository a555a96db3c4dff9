"""Exact outcome probabilities per draw, from a state posterior compiled once per machine.

:func:`forecast.model.outcomes.state_posterior_graph` is compiled by numba here. PyTensor finds a
compiled function in its cache only after building and rewriting the graph again (1.0 s warm on
the default scenario; its C backend also re-reads the index of its whole C cache, 1.4 s on a
fresh machine and more as the cache grows). So the first process of each structure writes a
record (:mod:`forecast.inference.records`) naming the function's cache key, and later processes
call it straight from numba's cache (0.3 s including the first call); without the record or the
cache entry, it compiles as before.
"""

from __future__ import annotations

import numpy as np
import pytensor
import xarray as xr

from forecast.features.arrays import ModelInputs, model_data
from forecast.features.padding import pad_inputs
from forecast.features.surprise import set_surprise
from forecast.inference import callbacks, records
from forecast.model.draws import prior_draws
from forecast.model.outcomes import (
    CHUNK,
    outcomes_from_marginals,
    parameter_shapes,
    state_evaluator,
    state_posterior_graph,
)
from forecast.priors import SURPRISE_EXPONENTS

#: Prior draws behind each forecast's rumour-free state distribution (:func:`prior_marginals`),
#: with their own seed, so it depends on the inputs alone.
PRIOR_DRAWS, PRIOR_SEED = 2000, 0

_CACHE: dict[tuple, object] = {}


def state_posterior_digest(inputs: ModelInputs, chunk: int = CHUNK) -> str:
    """Return the digest naming the record of this structure's compiled state posterior."""
    return records.structure_digest("state posterior", inputs.structure_key(), chunk)


def load_state_posterior(inputs: ModelInputs, chunk: int = CHUNK):
    """Return :func:`forecast.model.outcomes.state_evaluator` of the numba-compiled state posterior.

    Loaded from numba's cache through the structure's record when a process before this one
    compiled it; compiled (and recorded) otherwise.
    """
    digest = state_posterior_digest(inputs, chunk)
    record = records.read_record(digest) or {}
    # One chunk of zero parameters: the first call loads (or compiles) the function.
    zeros = {n: np.zeros((1, *shape)) for n, shape in parameter_shapes(inputs).items()}
    name, key = record.get("name"), record.get("key")
    if isinstance(name, str) and isinstance(key, str):
        evaluate = state_evaluator(inputs, callbacks.load_function(name, key), chunk)
        try:
            evaluate(zeros)
        except callbacks.NotCached:
            pass
        else:
            return evaluate
    from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS

    ins, outs = state_posterior_graph(inputs, chunk)
    fn = pytensor.function(ins, outs, mode="NUMBA", on_unused_input="ignore")
    evaluate = state_evaluator(inputs, fn, chunk)
    evaluate(zeros)  # compiled (and cached by numba) on its first call
    jitted = fn.vm.jit_fn
    key = CACHED_SRC_FUNCTIONS.get(jitted.py_func)
    if key is not None:
        records.write_record(digest, {"name": jitted.py_func.__name__, "key": key})
    return evaluate


def cached_state_posterior(inputs: ModelInputs):
    """Return :func:`load_state_posterior` for this structure's size bucket, loaded once per process.

    The function is compiled for the inputs padded to their bucket
    (:mod:`forecast.features.padding`) and shared by every inputs of that bucket. The one
    returned takes parameter draws and arrays of ``inputs``' own layout (default: ``inputs``'
    own arrays, whichever inputs loaded it) and returns each post's distribution over its own
    states.
    """
    padded = pad_inputs(inputs)
    key = padded.inputs.structure_key()
    if key not in _CACHE:
        _CACHE[key] = load_state_posterior(padded.inputs)
    evaluate, own = _CACHE[key], model_data(inputs)

    def call(values: dict, data_values: dict | None = None):
        log_z, margs = evaluate(padded.values(values),
                                padded.data(own if data_values is None else data_values))
        return log_z, padded.marginals(margs)

    return call


def state_marginals(inputs: ModelInputs, posterior: xr.Dataset) -> tuple[np.ndarray, list[np.ndarray]]:
    """Return the log evidence per draw (chain, draw) and each post's state distribution per draw.

    The distributions are shaped (chain, draw, n_obs).
    """
    evaluate = cached_state_posterior(inputs)
    n_chain, n_draw = posterior.sizes["chain"], posterior.sizes["draw"]
    values = {n: posterior[n].values.reshape(n_chain * n_draw, *shape)
              for n, shape in parameter_shapes(inputs).items()}
    log_z, margs = evaluate(values)
    return log_z.reshape(n_chain, n_draw), [m.reshape(n_chain, n_draw, -1) for m in margs]


def outcome_draws(inputs: ModelInputs, posterior: xr.Dataset) -> tuple[xr.Dataset, xr.DataArray]:
    """Compute forecast probabilities for every posterior draw.

    See :func:`forecast.model.outcomes.outcomes_from_marginals`. Also returns the log evidence of
    each draw (``evidence``, dims chain and draw), which
    :func:`forecast.inference.update.importance_update` needs to reweight the draws on new data.
    """
    log_z, marginals = state_marginals(inputs, posterior)
    coords = {"chain": posterior["chain"], "draw": posterior["draw"]}
    evidence = xr.DataArray(log_z, dims=("chain", "draw"), coords=coords, name="evidence")
    return outcomes_from_marginals(inputs, marginals, posterior["chain"], posterior["draw"]), evidence


def prior_marginals(inputs: ModelInputs, priors: dict, draws: int = PRIOR_DRAWS,
                    seed: int = PRIOR_SEED) -> list[np.ndarray]:
    """Return each post's state distribution without any rumour, averaged over prior draws.

    Exact given the parameters (the same marginalisation with every rumour's weight set to
    zero); facts, contracts, results and a case's odds are part of it, a what-if's assumption
    about a claim is not (the forecast it conditions weighs its reports as without it).
    """
    evaluate = cached_state_posterior(inputs)
    data = {k: np.zeros_like(v) if k.startswith("weight_") else v
            for k, v in model_data(inputs).items()}
    for i, post in enumerate(inputs.posts):
        if post.fact_mask is not None:
            data[f"mask_{i}"] = np.asarray(post.fact_mask, dtype=float)
    _, margs = evaluate(prior_draws(priors, inputs, draws, seed), data)
    return [m.mean(axis=0) for m in margs]


def weigh_surprise(inputs: ModelInputs, priors: dict, reliability) -> None:
    """Set how much each report says beyond its proposition's prior (:mod:`forecast.features.surprise`).

    Without a track record (``reliability`` None) no claim kind has a base rate and every
    report keeps the ratio its source and strength give.
    """
    if reliability is not None:
        set_surprise(inputs, prior_marginals(inputs, priors), reliability.base_rates(),
                     SURPRISE_EXPONENTS)
