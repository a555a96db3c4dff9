"""Compile and sampling time of the succession model on other backends, cold and warm.

    python benchmarks/backends.py [--out benchmarks/backends.json]

Issue #13 asked to measure the alternatives to nutpie's numba backend end to end, not per
sample. For each backend, the default scenario's succession model (as ``forecast run`` builds
it: inputs padded to their size bucket, the machine's learned reliabilities) is compiled and
sampled with ``forecast run``'s settings (4 chains x 1000 draws, 1000 tune) in a fresh process
with fresh compile caches ("cold"), then again in a second fresh process with the same caches
("warm"). Only the succession model is timed: a run also compiles the track-record model and
the outcome function, on the same backend choice. The reports' surprise
(:mod:`forecast.features.surprise`) is left at zero here: it is data, so it changes neither
the compiled graph nor, much, the sampling time, and weighing it would need the outcome function
compiled first.

Backends: ``nutpie-numba`` (what the package uses, through
``forecast.inference.compiled.compile_model``), ``nutpie-jax`` (nutpie's JAX backend),
``numpyro`` (``pm.sample(nuts_sampler="numpyro")``, chains vectorised) and ``pymc-c`` (PyMC's
own NUTS on PyTensor's C backend, one chain per core). The JAX backends need ``pip install jax
numpyro``, which the package does not depend on; JAX's persistent compilation cache is on, in
the fresh cache folder, so a warm JAX run may reuse its compiled code.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BACKENDS = ("nutpie-numba", "nutpie-jax", "numpyro", "pymc-c")
SETTINGS = dict(draws=1000, tune=1000, chains=4, seed=20241115)


def worker(backend: str) -> dict:
    """Build the default scenario's model, then compile and sample it on ``backend``."""
    t_start = time.perf_counter()
    import arviz as az
    import pymc as pm

    from forecast.data.paths import cache_home
    from forecast.data.scenario import Scenario
    from forecast.features.inputs import build_inputs
    from forecast.features.padding import pad_inputs
    from forecast.inference.reliability import learn_reliability
    from forecast.model.succession import build_model
    from forecast.priors import resolve_priors

    scenario = Scenario.load()
    priors = resolve_priors(scenario.spec.priors, str(scenario.path))
    reliability = learn_reliability(scenario, scenario.spec.as_of, priors,
                                    cache_dir=os.environ["BENCH_RELIABILITY_CACHE"] or cache_home())
    inputs = pad_inputs(build_inputs(scenario, reliability=reliability)).inputs
    model = build_model(inputs, priors)
    t0 = time.perf_counter()
    s = SETTINGS
    if backend.startswith("nutpie"):
        import nutpie

        if backend == "nutpie-numba":
            from forecast.inference.compiled import compile_model
            from forecast.inference.records import succession_digest

            compiled = compile_model(model, succession_digest(inputs, priors))
        else:
            compiled = nutpie.compile_pymc_model(model, backend="jax", gradient_backend="jax")
        t1 = time.perf_counter()
        idata = nutpie.sample(compiled, draws=s["draws"], tune=s["tune"], chains=s["chains"],
                              cores=2, seed=s["seed"], progress_bar=False, target_accept=0.9)
        t2 = time.perf_counter()
    else:
        kwargs = dict(nuts_sampler="numpyro", nuts_sampler_kwargs={"chain_method": "vectorized"}) \
            if backend == "numpyro" else dict(cores=2)
        with model:
            # PyMC compiles inside pm.sample: its first draw marks the end of compiling.
            idata = pm.sample(draws=s["draws"], tune=s["tune"], chains=s["chains"],
                              random_seed=s["seed"], progressbar=False, target_accept=0.9,
                              compute_convergence_checks=False, **kwargs)
        t1 = t2 = time.perf_counter()
    names = [v.name for v in model.free_RVs]
    ess = az.ess(idata.posterior[names]).to_array()
    return {"backend": backend, "import_and_build_s": t0 - t_start,
            "compile_s": t1 - t0 if backend.startswith("nutpie") else None,
            "sample_s": t2 - t1 if backend.startswith("nutpie") else None,
            "compile_and_sample_s": t2 - t0, "min_ess_bulk": float(ess.min()),
            "divergences": int(idata.sample_stats["diverging"].sum())}


def run(backend: str, caches: Path, reliability: str) -> dict:
    """Run :func:`worker` in a fresh process whose compile caches live in ``caches``."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(caches / "numba"),
               PYTENSOR_FLAGS=f"base_compiledir={caches / 'pytensor'}",
               JAX_COMPILATION_CACHE_DIR=str(caches / "jax"), PYTHONWARNINGS="ignore",
               BENCH_RELIABILITY_CACHE=reliability)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--worker", backend], env=env,
                          capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - t0
    if proc.returncode:
        return {"backend": backend, "wall_s": wall, "error": proc.stderr.strip().splitlines()[-3:]}
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "wall_s": wall}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "backends.json")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        import warnings

        warnings.filterwarnings("ignore")
        print(json.dumps(worker(args.worker)))
        return 0
    rows = []
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix=f"bench-{backend}-") as tmp:
            for label in ("cold", "warm"):
                row = {"caches": label, **run(backend, Path(tmp), os.environ.get("FORECAST_CACHE", ""))}
                rows.append(row)
                print(json.dumps(row), flush=True)
    args.out.write_text(json.dumps({"settings": SETTINGS, "cpus": os.cpu_count(), "rows": rows},
                                   indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
