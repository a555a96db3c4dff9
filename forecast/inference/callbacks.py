"""numba C callbacks through which nutpie calls a model's PyTensor functions without Python.

Each callback's source is generated for a model's data shapes (:func:`logp_source`,
:func:`expand_source`): it views each data array through its address (``user_data`` is the
array of addresses, :func:`pointers`), calls the compiled PyTensor function and writes nutpie's
outputs. numba caches it on disk under a key made of that source and the PyTensor function's
own cache key. :func:`load_function` loads a compiled PyTensor function itself from that cache
by its key, without its graph.
"""

from __future__ import annotations

import hashlib

import numpy as np

#: Changing the generated callbacks below must change their cache key.
CALLBACK_VERSION = "2"  # 2: scalar data stay 0-d (were viewed as shape (1,))

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
    """Return the source lines that view each data array through its pointer and join the args.

    The arguments are joined from tuples of at most 20: Python compiles a longer call or tuple
    display to an opcode numba does not support.
    """
    index = [order.index(n) for n in names]
    loads = [f"    d{i} = carray(address_as_void_pointer(ptrs[{i}]), "
             f"{tuple(data[n].shape)!r}, dtype{i})" for n, i in zip(names, index, strict=True)]
    parts = [["x"]] + [[f"d{i}" for i in index[k:k + 20]] for k in range(0, len(index), 20)]
    args = " + ".join("(" + ", ".join(p) + ",)" for p in parts)
    return "\n".join(loads), f"    args = {args}"


def logp_source(n_dim: int, data: dict[str, np.ndarray], names: list[str]) -> str:
    """Return the log-density callback's source; ``names``: the data its function takes, in order."""
    loads, args = _load_lines(names, data, list(data))
    return _LOGP.format(n_dim=n_dim, n_data=len(data), loads=loads, args=args)


def expand_source(n_dim: int, sizes: list[int], data: dict[str, np.ndarray], names: list[str]) -> str:
    """Return the expansion callback's source, writing outputs of ``sizes`` one after another."""
    loads, args = _load_lines(names, data, list(data))
    ends = np.cumsum([0, *sizes])
    stores = "\n".join(f"    out[{ends[j]}:{ends[j + 1]}] = values[{j}].ravel()"
                       for j in range(len(sizes)))
    return _EXPAND.format(n_dim=n_dim, n_expanded=int(ends[-1]), n_data=len(data), loads=loads,
                          args=args, stores=stores)


def define(source: str, name: str, key: str | None, callee, call_name: str, dtypes: dict):
    """Define the generated callback ``name`` from ``source``, its cache key registered."""
    import numba
    from nutpie.compile_pymc import address_as_void_pointer
    from pytensor.link.numba.cache import compile_numba_function_src

    # ``__name__`` names an importable module: numba rebuilds a cached function's environment
    # from it.
    env = {"__name__": __name__, "np": np, "carray": numba.carray,
           "address_as_void_pointer": address_as_void_pointer, call_name: callee, **dtypes}
    return compile_numba_function_src(source, name, env, cache_key=key)


class NotCached(Exception):
    """A callback is not in numba's cache."""


def load_callback(fn, signature):
    """Return the numba C callback of ``fn`` from numba's cache, or None: never compile it.

    ``fn``'s callee may be a placeholder: a callback found in the cache is not compiled. numba
    has no public "load only"; its ``CFunc.compile`` loads from the cache and otherwise calls
    ``_compile_uncached``, which is replaced here by a refusal.
    """
    from numba.core import sigutils
    from numba.core.ccallback import CFunc

    callback = CFunc(fn, sigutils.normalize_signature(signature), locals={}, options={})
    callback.enable_caching()

    def refuse():
        raise NotCached

    callback._compile_uncached = refuse
    try:
        callback.compile()
    except NotCached:
        return None
    return callback


def load_function(name: str, key: str):
    """Return PyTensor's compiled numba function ``name`` cached under ``key``, loaded on first call.

    PyTensor's final numba function is ``def name(*args): return jitable_func(*args)``, its code
    (the callee's linked in) cached by numba under ``key``: found there, the callee is never
    compiled, so a placeholder stands for it. A call whose argument types are not in the cache
    raises :class:`NotCached` rather than compiling.
    """
    import pytensor.link.numba.dispatch.basic as dispatch
    from pytensor.link.numba.cache import compile_numba_function_src

    py_func = compile_numba_function_src(f"def {name}(*args): return jitable_func(*args)", name,
                                         vars(dispatch) | {"jitable_func": None}, cache_key=key)
    function = dispatch.numba_njit(py_func, final_function=True, cache=True)

    def refuse(*_):
        raise NotCached

    function._compiler.compile = refuse
    return function


def compile_callback(source: str, name: str, signature, jit_fn, call_name: str,
                     dtypes: dict) -> tuple[object, str | None]:
    """Compile ``source`` as a numba C callback that calls ``jit_fn`` as ``call_name``.

    The callback calls the function PyTensor's wrapper ``jit_fn`` calls (``jitable_func``), not
    the wrapper: numba links and optimises a callee's whole code into each caller again, and one
    more round of it cost 37 s on the default scenario. The callback is cached on disk when
    ``jit_fn`` is, under a key made of its source and ``jit_fn``'s own key (returned).
    """
    import numba
    from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS

    inner_key = CACHED_SRC_FUNCTIONS.get(jit_fn.py_func)
    key = None if inner_key is None else hashlib.sha256(
        f"{CALLBACK_VERSION}\n{source}\n{inner_key}".encode()).hexdigest()
    callee = jit_fn.py_func.__globals__.get("jitable_func", jit_fn)
    fn = define(source, name, key, callee, call_name, dtypes)
    return numba.cfunc(signature, cache=key is not None)(fn), key


def pointers(data: dict[str, np.ndarray]) -> np.ndarray:
    """Return the addresses of the data arrays, in ``data``'s order: the callbacks' ``user_data``."""
    return np.array([a.ctypes.data for a in data.values()], dtype=np.uint64)


def signatures():
    """Return the numba signatures of nutpie's log-density and expansion callbacks."""
    from numba import types

    double = types.CPointer(types.double)
    return (types.int64(types.uint64, double, double, double, types.voidptr),
            types.int64(types.uint64, types.uint64, double, double, types.voidptr))
