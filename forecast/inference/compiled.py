"""Compile a PyMC model for nutpie once per machine, not once per process.

nutpie's own numba backend compiles the log density anew in every process (40-60 s,
``benchmarks/results.json``): its C callback reads the model's data through structures numba
cannot cache. Here the log density with its gradient, and the expansion to named variables, are
PyTensor ``NUMBA`` functions, which PyTensor caches on disk keyed by the graph's structure (under
``~/.pytensor``). Each is called from a small C callback whose source is generated for the model's
data shapes and cached by numba under a key made of that source and the PyTensor function's own
key: a fresh process with warm caches loads both in 0.1 s, for any data of the same shapes. The
callback reads each data array through a pointer (``user_data`` is the array of their
addresses) and needs no Python, so nutpie runs chains on every core: the default scenario
sampled in 1.9 s on two cores against 5.3 s when each gradient was a Python call (chains then
took turns on the interpreter lock), with the same draws. A cold compile takes 54 s against 49 s.
The callbacks' sources are generated in :mod:`forecast.inference.callbacks`.

Finding the cached functions still meant building and rewriting the model's graph (3 s on the
default scenario) to compute their keys. Given a structure digest of what the graph depends on
(:mod:`forecast.inference.records`), :func:`compile_model` records the callbacks' sources and
keys beside the caches, and a later process with the same digest loads them straight from
numba's cache; if either is missing it compiles as before.

The cache key is only stable across processes when the graph is: every ``pm.Data`` of the models
here has a static shape, which removes the shape-check nodes whose argument order PyTensor's
rewrites choose differently in every process.

:func:`compile_model` relies on nutpie's ``_make_functions`` and ``CompiledPyMCModel``, which are
private (``pyproject.toml`` bounds nutpie's version accordingly), and on the name of the function
PyTensor's compiled wrapper calls (without it, the wrapper is called, at a 37 s dearer cold compile).
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pymc as pm
from nutpie.compile_pymc import CompiledPyMCModel

from forecast.inference import callbacks, records

#: Callbacks of each structure digest this process has loaded or compiled: (record, logp, expand).
_LOADED: dict[str, tuple] = {}

#: Threads nutpie samples on: every core this process may use (chains are seeded one by one, so
#: the draws do not depend on it).
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@dataclasses.dataclass(frozen=True)
class CallbackModel(CompiledPyMCModel):
    """nutpie's compiled PyMC model whose callbacks read the data through their addresses.

    ``user_data`` holds the addresses of the arrays in ``shared_data``, which keeps them alive;
    nutpie's own ``with_data`` would write another layout there, so it is replaced.
    """

    def with_data(self, **arrays):
        """Return this model with new data, copied to the dtypes and shapes it was compiled for.

        Raises
        ------
        ValueError
            If an array's shape differs from the compiled one (a new structure needs a new
            compile).
        """
        data = dict(self.shared_data)
        for name, value in arrays.items():
            value = _own(value, data[name].dtype)
            if value.shape != data[name].shape:
                raise ValueError(f"{name}: shape {value.shape} differs from the compiled "
                                 f"{data[name].shape}")
            data[name] = value
        return dataclasses.replace(self, shared_data=data, user_data=callbacks.pointers(data))


def _own(value, dtype=None) -> np.ndarray:
    """Return a read-only C-ordered copy of ``value``, its shape kept (a scalar stays 0-d)."""
    array = np.array(value, dtype=dtype, order="C", copy=True)
    array.flags.writeable = False
    return array


def _initial_point(model: pm.Model, names: list[str], shapes: list[tuple]):
    """Return nutpie's initial point function: PyMC's jittered start, flat in ``names`` order."""
    from nutpie.compile_pymc import _rv_dict_to_flat_array_wrapper, _wrap_with_lock
    from pymc.initial_point import make_initial_point_fn

    point_fn = _wrap_with_lock(make_initial_point_fn(model=model, return_transformed=True,
                                                     jitter_rvs=set(model.free_RVs)))
    return _rv_dict_to_flat_array_wrapper(point_fn, names=names, shapes=shapes)


def _assemble(model: pm.Model, record: dict, logp_c, expand_c, data: dict):
    """Return nutpie's compiled model from a structure's record, its callbacks and its data."""
    from nutpie.compile_pymc import _prepare_dims_and_coords

    names = record["names"]
    shapes = [tuple(s) for s in record["shapes"]]
    ends = np.cumsum([0, *(int(np.prod(s, dtype=int)) for s in shapes)])
    shape_info = (names, [slice(a, b) for a, b in zip(ends[:-1], ends[1:], strict=True)], shapes)
    n_free = record["n_free"]
    dims, coords = _prepare_dims_and_coords(model, shape_info)
    return CallbackModel(
        _n_dim=record["n_dim"], dims=dims, _coords=coords,
        _shapes=dict(zip(names, shapes, strict=True)),
        compiled_logp_func=logp_c, compiled_expand_func=expand_c,
        initial_point_func=_initial_point(model, names[:n_free], shapes[:n_free]),
        shared_data=data, user_data=callbacks.pointers(data), n_expanded=int(ends[-1]),
        shape_info=shape_info, logp_func=None, expand_func=None,
    )


def _model_data(model: pm.Model, record: dict) -> dict | None:
    """Return the model's data arrays named in ``record``, or None if they do not fit it."""
    try:
        data = {n: _own(model[n].get_value()) for n in record["data"]}
        if ([v.name for v in model.value_vars] != record["names"][:record["n_free"]]
                or [list(a.shape) for a in data.values()] != record["data_shapes"]
                or [a.dtype.str for a in data.values()] != record["data_dtypes"]):
            return None
    except (KeyError, TypeError, ValueError):
        return None
    return data


def _load(model: pm.Model, digest: str | None):
    """Return ``(record, logp_c, expand_c)`` from the record and numba's cache, or None if missing."""
    record = records.read_record(digest)
    if record is None or (data := _model_data(model, record)) is None:
        return None
    dtypes = {f"dtype{i}": a.dtype.type for i, a in enumerate(data.values())}
    found = []
    for (name, call_name), signature in zip((("logp_c", "logp_fn"), ("expand_c", "expand_fn")),
                                            callbacks.signatures(), strict=True):
        # The callee is never called: a callback found in the cache is not compiled.
        fn = callbacks.define(record[name], name, record[f"{name}_key"], None, call_name, dtypes)
        found.append(callbacks.load_callback(fn, signature))
        if found[-1] is None:
            return None
    return record, *found


def compile_model(model: pm.Model, digest: str | None = None):
    """Return a nutpie model of ``model`` whose functions come from on-disk caches when warm.

    Parameters
    ----------
    model : pymc.Model
        A model whose data are ``pm.Data`` with static shapes.
    digest : str, optional
        :func:`~forecast.inference.records.structure_digest` of everything the model's graph
        depends on besides its data. With it, a process whose caches hold this structure loads
        the callbacks directly, without building and rewriting the graph again (3 s on the
        default scenario).

    Returns
    -------
    CallbackModel
        Give it new data of the same shapes with its ``with_data``.

    Callbacks found once are kept for the process by ``digest``; each call assembles them
    with ``model``'s own data, coordinates and initial point, so a model of another scenario
    of the same structure gets its own labels and starting values.
    """
    from nutpie.compile_pymc import _make_functions

    found = _LOADED.get(digest) or _load(model, digest)
    if found is not None and (data := _model_data(model, found[0])) is not None:
        if digest is not None:
            _LOADED[digest] = found
        return _assemble(model, found[0], *found[1:], data)
    n_dim, _, logp_pt, expand_pt, _, shape_info = _make_functions(
        model, mode="NUMBA", compute_grad=True, join_expanded=False,
        pymc_initial_point_fn=None, var_names=None,
    )
    data = {}
    for v in (*logp_pt.get_shared(), *expand_pt.get_shared()):
        data.setdefault(v.name, _own(v.get_value()))
    dtypes = {f"dtype{i}": a.dtype.type for i, a in enumerate(data.values())}
    names, _, shapes = shape_info
    sizes = [int(np.prod(s, dtype=int)) for s in shapes]
    logp_sig, expand_sig = callbacks.signatures()
    logp_src = callbacks.logp_source(n_dim, data, [v.name for v in logp_pt.get_shared()])
    logp_c, logp_key = callbacks.compile_callback(logp_src, "logp_c", logp_sig,
                                                  logp_pt.vm.jit_fn, "logp_fn", dtypes)
    expand_src = callbacks.expand_source(n_dim, sizes, data,
                                         [v.name for v in expand_pt.get_shared()])
    expand_c, expand_key = callbacks.compile_callback(expand_src, "expand_c", expand_sig,
                                                      expand_pt.vm.jit_fn, "expand_fn", dtypes)
    record = {"n_dim": int(n_dim), "n_free": len(model.free_RVs), "names": list(names),
              "shapes": [[int(n) for n in s] for s in shapes], "data": list(data),
              "data_shapes": [list(a.shape) for a in data.values()],
              "data_dtypes": [a.dtype.str for a in data.values()],
              "logp_c": logp_src, "logp_c_key": logp_key,
              "expand_c": expand_src, "expand_c_key": expand_key}
    if logp_key is not None and expand_key is not None:
        records.write_record(digest, record)
    if digest is not None:
        _LOADED[digest] = (record, logp_c, expand_c)
    return _assemble(model, record, logp_c, expand_c, data)
