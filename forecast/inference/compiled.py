"""Compile a PyMC model for nutpie once per machine, not once per process.

nutpie's own numba backend wraps the log density in a C callback that numba cannot cache, so
every process spent 40-60 s recompiling it (``benchmarks/results.json``). Here the log density,
its gradient and the expansion to named variables are PyTensor ``NUMBA`` functions, which
PyTensor caches on disk keyed by the graph's structure (under ``~/.pytensor``), and nutpie calls
them through its Python-function interface. A fresh process with a warm cache compiles in a few
seconds, for any data of the same shapes; each gradient costs a Python call more than with the C
callback (``benchmarks/`` measures both ends).

The cache key is only stable across processes when the graph is: every ``pm.Data`` of the models
here has a static shape, which removes the shape-check nodes whose argument order PyTensor's
rewrites choose differently in every process.

:func:`compile_model` and :func:`sample_compiled` rely on nutpie's ``_make_functions``, which is
private: ``pyproject.toml`` bounds nutpie's version accordingly.
"""

from __future__ import annotations

import numpy as np
import pymc as pm

#: Threads nutpie samples on. The log density is a Python call (above), so chains take turns on
#: the interpreter lock whatever the thread count: one thread sampled the default scenario in
#: 6.5 s against 7.45 s on both cores of a 2-core machine, and the track record in 12.5 s
#: against 15.1 s, with the same draws (each chain is seeded on its own).
CORES = 1


def compile_model(model: pm.Model):
    """Return a nutpie model of ``model`` whose functions come from PyTensor's on-disk cache.

    Parameters
    ----------
    model : pymc.Model
        A model whose data are ``pm.Data`` with static shapes.

    Returns
    -------
    nutpie compiled model
        Supports ``with_data(**arrays)`` for new data of the same shapes, like nutpie's own.
    """
    from nutpie.compile_pymc import _make_functions, _prepare_dims_and_coords, _wrap_with_lock
    from nutpie.compiled_pyfunc import from_pyfunc
    from pymc.initial_point import make_initial_point_fn

    point_fn = _wrap_with_lock(make_initial_point_fn(model=model, return_transformed=True,
                                                     jitter_rvs=set(model.free_RVs)))
    n_dim, _, logp_pt, expand_pt, initial_point, shape_info = _make_functions(
        model, mode="NUMBA", compute_grad=True, join_expanded=False,
        pymc_initial_point_fn=point_fn, var_names=None,
    )
    # The jitted functions themselves: PyTensor's Function wrapper adds ~30 us a call.
    logp_fn, expand_fn = logp_pt.vm.jit_fn, expand_pt.vm.jit_fn
    logp_names = [v.name for v in logp_pt.get_shared()]
    expand_names = [v.name for v in expand_pt.get_shared()]
    shared = {v.name: np.asarray(v.get_value())
              for v in (*logp_pt.get_shared(), *expand_pt.get_shared())}
    names, _, shapes = shape_info

    def make_logp():
        def logp(x, **data):
            value, grad = logp_fn(x, *[data[n] for n in logp_names])
            return float(value), grad
        return logp

    def make_expand(seed1, seed2, chain):
        def expand(x, **data):
            values = expand_fn(x, *[data[n] for n in expand_names])
            return {n: np.asarray(v, dtype="float64").reshape(s)
                    for n, v, s in zip(names, values, shapes, strict=True)}
        return expand

    dims, coords = _prepare_dims_and_coords(model, shape_info)
    compiled = from_pyfunc(
        ndim=n_dim, make_logp_fn=make_logp, make_expand_fn=make_expand,
        make_initial_point_fn=initial_point, expanded_dtypes=[np.dtype("float64")] * len(names),
        expanded_shapes=shapes, expanded_names=names, shared_data=shared, dims=dims,
        coords=coords,
    )
    # Compile now (a cache load when warm), not inside the sampler's first call.
    make_logp()(initial_point(0), **shared)
    return compiled


def with_data(compiled, arrays: dict[str, np.ndarray]):
    """Return ``compiled`` with new data, cast to the dtypes and shapes it was compiled for.

    Raises
    ------
    ValueError
        If an array's shape differs from the compiled one (a new structure needs a new compile).
    """
    current = compiled._shared_data
    cast = {}
    for name, value in arrays.items():
        value = np.asarray(value, dtype=current[name].dtype)
        if value.shape != current[name].shape:
            raise ValueError(f"{name}: shape {value.shape} differs from the compiled "
                             f"{current[name].shape}")
        cast[name] = value
    return compiled.with_data(**cast)
