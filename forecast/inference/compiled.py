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

The cache key is only stable across processes when the graph is: every ``pm.Data`` of the models
here has a static shape, which removes the shape-check nodes whose argument order PyTensor's
rewrites choose differently in every process.

:func:`compile_model` relies on nutpie's ``_make_functions`` and ``CompiledPyMCModel``, which are
private (``pyproject.toml`` bounds nutpie's version accordingly), and on the name of the function
PyTensor's compiled wrapper calls (without it, the wrapper is called, at a 37 s dearer cold compile).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os

import numpy as np
import pymc as pm

#: Threads nutpie samples on: every core this process may use (chains are seeded one by one, so
#: the draws do not depend on it).
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)

#: Changing the generated callbacks below must change their cache key.
CALLBACK_VERSION = "1"

_LOGP = """\
def logp_c(dim, x_, out_, logp_, user_data_):
    if dim != {n_dim}:
        return -1
    ptrs = carray(user_data_, ({n_data},), np.uint64)
    x = carray(x_, ({n_dim},))
    out = carray(out_, ({n_dim},))
    logp = carray(logp_, (1,))
{loads}
{args}
    value, grad = logp_fn(*args)
    logp[0] = value
    out[:] = grad
    if not np.all(np.isfinite(out)):
        return 3
    if not np.isfinite(value):
        return 4
    return 0
"""

_EXPAND = """\
def expand_c(dim, n_expanded, x_, out_, user_data_):
    if dim != {n_dim} or n_expanded != {n_expanded}:
        return -1
    ptrs = carray(user_data_, ({n_data},), np.uint64)
    x = carray(x_, ({n_dim},))
    out = carray(out_, ({n_expanded},))
{loads}
{args}
    values = expand_fn(*args)
{stores}
    return 0
"""


def _load_lines(names: list[str], data: dict[str, np.ndarray], order: list[str]) -> tuple[str, str]:
    """Source lines that view each data array through its pointer, and build the call's arguments.

    The arguments are joined from tuples of at most 20: Python compiles a longer call or tuple
    display to an opcode numba does not support.
    """
    index = [order.index(n) for n in names]
    loads = [f"    d{i} = carray(address_as_void_pointer(ptrs[{i}]), "
             f"{tuple(data[n].shape)!r}, dtype{i})" for n, i in zip(names, index, strict=True)]
    parts = [["x"]] + [[f"d{i}" for i in index[k:k + 20]] for k in range(0, len(index), 20)]
    args = " + ".join("(" + ", ".join(p) + ",)" for p in parts)
    return "\n".join(loads), f"    args = {args}"


def _callback(source: str, name: str, signature, jit_fn, call_name: str, dtypes: dict):
    """Compile ``source`` as a numba C callback that calls ``jit_fn`` as ``call_name``.

    The callback calls the function PyTensor's wrapper ``jit_fn`` calls (``jitable_func``), not
    the wrapper: numba links and optimises a callee's whole code into each caller again, and one
    more round of it cost 37 s on the default scenario. The callback is cached on disk when
    ``jit_fn`` is, under a key made of its source and ``jit_fn``'s own key.
    """
    import numba
    from nutpie.compile_pymc import address_as_void_pointer
    from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS, compile_numba_function_src

    inner_key = CACHED_SRC_FUNCTIONS.get(jit_fn.py_func)
    key = None if inner_key is None else hashlib.sha256(
        f"{CALLBACK_VERSION}\n{source}\n{inner_key}".encode()).hexdigest()
    # ``__name__`` names an importable module: numba rebuilds a cached function's environment
    # from it.
    env = {"__name__": __name__, "np": np, "carray": numba.carray,
           "address_as_void_pointer": address_as_void_pointer,
           call_name: jit_fn.py_func.__globals__.get("jitable_func", jit_fn), **dtypes}
    fn = compile_numba_function_src(source, name, env, cache_key=key)
    return numba.cfunc(signature, cache=key is not None)(fn)


def _pointers(data: dict[str, np.ndarray]) -> np.ndarray:
    """Return the addresses of the data arrays, in ``data``'s order: the callbacks' ``user_data``."""
    return np.array([a.ctypes.data for a in data.values()], dtype=np.uint64)


def compile_model(model: pm.Model):
    """Return a nutpie model of ``model`` whose functions come from on-disk caches when warm.

    Parameters
    ----------
    model : pymc.Model
        A model whose data are ``pm.Data`` with static shapes.

    Returns
    -------
    nutpie.compile_pymc.CompiledPyMCModel
        Give it new data of the same shapes with :func:`with_data`.
    """
    from numba import types
    from nutpie.compile_pymc import (
        CompiledPyMCModel,
        _make_functions,
        _prepare_dims_and_coords,
        _wrap_with_lock,
    )
    from pymc.initial_point import make_initial_point_fn

    point_fn = _wrap_with_lock(make_initial_point_fn(model=model, return_transformed=True,
                                                     jitter_rvs=set(model.free_RVs)))
    n_dim, _, logp_pt, expand_pt, initial_point, shape_info = _make_functions(
        model, mode="NUMBA", compute_grad=True, join_expanded=False,
        pymc_initial_point_fn=point_fn, var_names=None,
    )
    data = {}
    for v in (*logp_pt.get_shared(), *expand_pt.get_shared()):
        data.setdefault(v.name, np.ascontiguousarray(v.get_value()))
    order = list(data)
    dtypes = {f"dtype{i}": a.dtype.type for i, a in enumerate(data.values())}
    names, _, shapes = shape_info
    sizes = [int(np.prod(s, dtype=int)) for s in shapes]
    ends = np.cumsum([0, *sizes])

    loads, args = _load_lines([v.name for v in logp_pt.get_shared()], data, order)
    logp_src = _LOGP.format(n_dim=n_dim, n_data=len(order), loads=loads, args=args)
    double = types.CPointer(types.double)
    logp_c = _callback(logp_src, "logp_c",
                       types.int64(types.uint64, double, double, double, types.voidptr),
                       logp_pt.vm.jit_fn, "logp_fn", dtypes)

    loads, args = _load_lines([v.name for v in expand_pt.get_shared()], data, order)
    stores = "\n".join(f"    out[{ends[j]}:{ends[j + 1]}] = values[{j}].ravel()"
                       for j in range(len(names)))
    expand_src = _EXPAND.format(n_dim=n_dim, n_expanded=int(ends[-1]), n_data=len(order),
                                loads=loads, args=args, stores=stores)
    expand_c = _callback(expand_src, "expand_c",
                         types.int64(types.uint64, types.uint64, double, double, types.voidptr),
                         expand_pt.vm.jit_fn, "expand_fn", dtypes)

    dims, coords = _prepare_dims_and_coords(model, shape_info)
    return CompiledPyMCModel(
        _n_dim=n_dim, dims=dims, _coords=coords,
        _shapes={n: tuple(s) for n, s in zip(names, shapes, strict=True)},
        compiled_logp_func=logp_c, compiled_expand_func=expand_c,
        initial_point_func=initial_point, shared_data=data, user_data=_pointers(data),
        n_expanded=int(ends[-1]), shape_info=shape_info, logp_func=logp_pt,
        expand_func=expand_pt,
    )


def with_data(compiled, arrays: dict[str, np.ndarray]):
    """Return ``compiled`` with new data, cast to the dtypes and shapes it was compiled for.

    Raises
    ------
    ValueError
        If an array's shape differs from the compiled one (a new structure needs a new compile).
    """
    data = dict(compiled.shared_data)
    for name, value in arrays.items():
        value = np.ascontiguousarray(value, dtype=data[name].dtype)
        if value.shape != data[name].shape:
            raise ValueError(f"{name}: shape {value.shape} differs from the compiled "
                             f"{data[name].shape}")
        data[name] = value
    # The callbacks read the arrays through these addresses; the model keeps the arrays alive.
    return dataclasses.replace(compiled, shared_data=data, user_data=_pointers(data))
