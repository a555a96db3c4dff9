"""Benchmarks of the forecast package, as ratios measured in one run on one machine.

    python benchmarks/bench.py [--quick] [--out benchmarks/results.json] [--only ess,cli,update,scaling]

Sections (see benchmarks/README.md for what each number means):

1. ``ess``: effective samples per second of the headline probability (Xabi Alonso is the next
   Real Madrid coach), the marginalised model (``forecast.inference.fit.fit``, nutpie) against a naive
   PyMC model that samples the discrete outcome (``benchmarks/naive.py``).
2. ``cli``: cold (fresh caches) and warm wall time of ``forecast run --no-progress --out DIR``.
3. ``update``: rumour-update latencies: in-process refit, fresh ``forecast rumour add`` CLI,
   and the bare ``python -c "import pymc"`` for scale.
4. ``scaling``: wall time and peak memory as rumours, sources, candidates and periods grow,
   with the fitted growth exponent of each.
5. ``reuse``: two resolved cases of different sizes in one size bucket
   (:mod:`forecast.features.padding`), fitted one after the other in a process with fresh
   caches, then the second alone in a new process: the second compiles nothing.
6. ``suite``: the default ``python -m pytest`` and the whole ``forecast backtest`` (wall time
   per case), with this machine's own compile caches (warm once anything has run here); not in
   the default sections: ``--only suite``.

``--only`` with a subset merges the sections it measures into an existing ``--out`` file and
records the rerun under ``meta.partial_reruns``.

Nothing under ``forecast/``, ``tests/`` or ``data/`` is touched: every write goes to copies of
``data/`` and to temporary folders.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = REPO / "data"
SCENARIO_YAML = "scenarios/real-madrid-2024.yaml"
HEADLINE = ("Real Madrid", "Xabi Alonso")

# A rumour about the default scenario, dated on its as-of day (so the default fit counts it): a
# strong report on a claim no outlet had made (so it moves the forecast) from an outlet of the
# sources table (a spare reliability unit, so shapes and the compiled model are unchanged).
RUMOUR = dict(date="2024-11-15", source="Marca", subject="Vincent Kompany",
              club="Real Madrid", claim="agreement", strength="strong", window="2025-05/2025-08",
              summary="benchmark rumour (benchmarks/bench.py)")

FULL = dict(draws=1000, tune=1000, chains=4)  # forecast run's defaults
QUICK = dict(draws=100, tune=100, chains=2)
# The CLI runs of --quick keep enough draws (800) for `rumour add` to be able to reweight the
# saved run (forecast.inference.update.update needs a weight ESS >= 400) instead of always refitting.
QUICK_CLI = dict(draws=400, tune=100, chains=2)

SCALING_FULL = dict(
    draws=300, tune=300, chains=2, timeout_s=900,
    axes={"rumours": [10, 100, 1000, 10000], "sources": [5, 50, 500],
          "candidates": [3, 10, 30], "periods": [6, 12, 24]},
)
SCALING_QUICK = dict(
    draws=100, tune=100, chains=1, timeout_s=300,
    axes={"rumours": [10, 1000], "sources": [5, 50], "candidates": [3, 10], "periods": [6, 12]},
)
# Baseline design; each axis varies one field.
BASE = {"n_terms": 10, "n_units": 5, "n_cand": 3, "T": 6}
AXIS_FIELD = {"rumours": "n_terms", "sources": "n_units", "candidates": "n_cand", "periods": "T"}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def copy_data(root: Path, name: str) -> Path:
    """Copy data/ to ``root/name`` (without editor lock files) and return the copy."""
    dest = root / name
    shutil.copytree(DATA, dest, ignore=shutil.ignore_patterns("*.lock", "__pycache__"))
    return dest


def forecast_cmd() -> list[str]:
    exe = shutil.which("forecast")
    return [exe] if exe else [sys.executable, "-m", "forecast"]


def fresh_env(data: Path, caches: Path) -> dict:
    """Environment of a subprocess with its own data copy and its own compile caches."""
    env = dict(os.environ)
    env["FORECAST_DATA"] = str(data)
    env["NUMBA_CACHE_DIR"] = str(caches / "numba")
    env["FORECAST_CACHE"] = str(caches / "forecast")
    flags = [f for f in env.get("PYTENSOR_FLAGS", "").split(",") if f and
             not f.startswith(("compiledir=", "base_compiledir="))]
    # base_compiledir, not compiledir: PyTensor keeps its numba cache under the base folder.
    env["PYTENSOR_FLAGS"] = ",".join([*flags, f"base_compiledir={caches / 'pytensor'}"])
    env["PYTHONWARNINGS"] = "ignore"
    (caches / "numba").mkdir(parents=True, exist_ok=True)
    (caches / "pytensor").mkdir(parents=True, exist_ok=True)
    return env


def timed_run(cmd: list[str], env: dict, label: str, timeout: float = 3600) -> dict:
    """Run a command, return wall time, exit code, child CPU time and peak RSS."""
    log(f"{label}: {' '.join(cmd[-8:])}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:  # subprocess.run has killed the child
        wall = time.perf_counter() - t0
        log(f"{label}: TIMEOUT after {wall:.0f} s")
        return {"wall_s": wall, "returncode": None, "timeout_s": timeout, "stdout_tail": [],
                "stdout_notes": [], "stderr_tail": [f"killed after the {timeout:.0f} s timeout"]}
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = {"wall_s": wall, "returncode": proc.returncode,
           "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
           "stdout_tail": proc.stdout.strip().splitlines()[-6:],
           "stdout_notes": [x for x in proc.stdout.splitlines()
                            if "full refit" in x or "cannot reuse" in x]}
    if proc.returncode not in (0, 3):  # 3: ran, but a convergence check failed
        out["stderr_tail"] = proc.stderr.strip().splitlines()[-15:]
        log(f"{label} FAILED (exit {proc.returncode}): {out['stderr_tail'][-3:]}")
    log(f"{label}: {wall:.1f} s (exit {proc.returncode})")
    return out


# -- 1. ESS per second: marginalised vs naive ---------------------------------------------------

class _Clock:
    """Wraps functions in place to add up their wall time (no file is edited)."""

    def __init__(self):
        self.total: dict[str, float] = {}

    @contextlib.contextmanager
    def patch(self, owner, name: str, key: str):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.total[key] = self.total.get(key, 0.0) + time.perf_counter() - t0

        setattr(owner, name, wrapper)
        try:
            yield
        finally:
            setattr(owner, name, original)


def timed_fit(scenario, settings: dict, seed: int):
    """Run ``forecast.inference.fit.fit`` and split its wall time into compile, sampling and the rest."""
    import forecast.inference.fit as F

    clock = _Clock()
    t0, c0 = time.perf_counter(), time.process_time()
    import forecast.inference.callbacks as C

    with clock.patch(F, "sample", "sample"), clock.patch(F, "compile_model", "compile"), \
            clock.patch(C, "compile_callback", "callbacks"), \
            clock.patch(F, "finish_warming", "warming"), \
            clock.patch(F, "learn_reliability", "reliability"), \
            clock.patch(F, "outcome_draws", "outcomes"):
        result = F.fit(scenario, seed=seed, **settings)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    t = clock.total
    compile_s = t.get("compile", 0.0)
    return result, {
        "total_s": wall, "cpu_total_s": cpu,
        "reliability_s": t.get("reliability", 0.0),
        "compile_s": compile_s,
        "helpers_wait_s": t.get("warming", 0.0),  # compiles left to helper processes
        "sample_s": t.get("sample", 0.0) - compile_s,  # nutpie tuning + draws
        "outcomes_s": t.get("outcomes", 0.0),
        "compiled_model_reused": "callbacks" not in t,
    }


def headline_marginal(result, who=HEADLINE):
    club, coach = who
    from forecast.dims import slug

    s = slug(club)
    return result.idata.posterior[f"successor_{s}"].sel({f"{s}_outcome": coach})


def ess_stats(draws) -> dict:
    """Mean, MCSE and bulk/tail ESS of a (chain, draw) DataArray."""
    import arviz as az

    ds = draws.rename("x").to_dataset()
    ess = float(az.ess(ds, method="bulk")["x"])
    return {"mean": float(draws.mean()), "sd": float(draws.std()),
            "ess_bulk": ess, "ess_tail": float(az.ess(ds, method="tail")["x"]),
            "mcse": float(az.mcse(ds)["x"]), "rhat": float(az.rhat(ds)["x"])}


def bench_ess(settings: dict, seed: int, data: Path) -> tuple[dict, object, object]:
    """Section 1; returns its results, the scenario and the fit (reused by section 3a)."""
    os.environ["FORECAST_DATA"] = str(data)
    sys.path.insert(0, str(HERE))
    import naive

    from forecast.data.scenario import Scenario
    from forecast.priors import resolve_priors

    scenario = Scenario.load()
    log(f"ess: marginalised fit {settings}")
    result, marg_t = timed_fit(scenario, settings, seed)
    marg = ess_stats(headline_marginal(result))
    marg.update(marg_t)
    marg["diagnostics_passed"] = bool(result.diagnostics["passed"])
    log(f"ess: marginalised {marg['total_s']:.1f} s, sampling {marg['sample_s']:.1f} s, "
        f"mean {marg['mean']:.3f}, ESS {marg['ess_bulk']:.0f}")

    # Same inputs as the fit: the reliabilities it learned and its reports' surprise.
    priors = resolve_priors(scenario.spec.priors, str(scenario.path))
    inputs = result.inputs
    log(f"ess: naive model {settings}")
    c0 = time.process_time()
    idata, naive_t = naive.sample_naive(inputs, priors, seed=seed, **settings)
    cpu = time.process_time() - c0
    nv = ess_stats(naive.xabi_indicator(idata, inputs, *HEADLINE))
    nv.update(naive_t)
    nv["total_s"] = sum(naive_t.values())
    nv["cpu_total_s"] = cpu
    # The continuous parameters' worst ESS too, as a mixing check of the compound sampler.
    import arviz as az

    names = [v for v in ("appeal", "not_listed", "sack_base", "quit_base") if v in idata.posterior]
    nv["min_ess_bulk_params"] = float(az.ess(idata, var_names=names).to_array().min())
    log(f"ess: naive {nv['total_s']:.1f} s, sampling {nv['sample_s']:.1f} s, "
        f"mean {nv['mean']:.3f}, ESS {nv['ess_bulk']:.0f}")

    for d in (marg, nv):
        d["ess_per_s_sampling"] = d["ess_bulk"] / d["sample_s"]
        d["ess_per_s_total"] = d["ess_bulk"] / d["total_s"]
        d["ess_per_cpu_s_total"] = d["ess_bulk"] / d["cpu_total_s"]
    diff = marg["mean"] - nv["mean"]
    se = (marg["mcse"] ** 2 + nv["mcse"] ** 2) ** 0.5
    out = {
        "settings": settings,
        "headline": f"P({HEADLINE[1]} is the next {HEADLINE[0]} coach)",
        "marginalised": marg,
        "naive": nv,
        "ratio_ess_per_s_sampling": marg["ess_per_s_sampling"] / nv["ess_per_s_sampling"],
        "ratio_ess_per_s_total": marg["ess_per_s_total"] / nv["ess_per_s_total"],
        "ratio_ess_per_cpu_s_total": marg["ess_per_cpu_s_total"] / nv["ess_per_cpu_s_total"],
        "mean_difference": diff,
        "mean_difference_z": diff / se if se > 0 else float("nan"),
        "means_agree_3mcse": bool(abs(diff) <= 3 * se),
    }
    return out, scenario, result


# -- 3a. In-process rumour update -----------------------------------------------------------------

def bench_inprocess_update(scenario, base, settings: dict, seed: int) -> dict:
    """Add a rumour to the data copy; time ``forecast.update`` and, beside it, a full refit."""
    import numpy as np

    import forecast

    log("update: in-process add_rumour + forecast.update")
    t0 = time.perf_counter()
    forecast.add_rumour(scenario, {**RUMOUR, "url": "https://example.org/bench/in-process"})
    updated = scenario.reload()
    add_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    fast = forecast.update(base, updated, seed=seed)
    update_s = time.perf_counter() - t1
    log("update: in-process full refit on the same data, for comparison")
    refit, t = timed_fit(updated, settings, seed)
    # The probability the rumour is about: P(Kompany is the next Real Madrid coach).
    who = (RUMOUR["club"], RUMOUR["subject"])
    before, after, again = (headline_marginal(r, who) for r in (base, fast, refit))
    se = float(np.hypot(after.std() / np.sqrt(fast.diagnostics["min_ess_bulk"]),
                        ess_stats(again)["mcse"]))
    out = {"add_rumour_s": add_s, "update_s": update_s, "latency_s": add_s + update_s,
           "method": fast.idata.posterior.attrs["method"],
           "weight_ess": fast.diagnostics.get("weight_ess"),
           "update_passed": bool(fast.diagnostics["passed"]), "goal_s": 1.0,
           "headline_before": float(before.mean()), "headline_after": float(after.mean()),
           "headline_after_refit": float(again.mean()),
           "update_minus_refit_z": float((after.mean() - again.mean()) / se),
           "refit_s": t["total_s"], **{f"refit_{k}": v for k, v in t.items() if k != "total_s"}}
    out["meets_goal"] = bool(out["latency_s"] <= out["goal_s"] and out["update_passed"])
    log(f"update: in-process {out['latency_s']:.2f} s ({out['method']}), refit {out['refit_s']:.1f} s")
    return out


# -- 2 and 3b/3c: fresh processes -----------------------------------------------------------------

def bench_cli(root: Path, settings: dict, quick: bool) -> tuple[dict, dict]:
    """Cold and warm ``forecast run``; then ``forecast rumour add`` and ``import pymc``."""
    data = copy_data(root, "data-cli")
    caches = root / "caches-cli"
    env = fresh_env(data, caches)
    out_dir = root / "reports-cli"
    out_dir.mkdir()
    extra = [] if not quick else ["--draws", str(QUICK_CLI["draws"]), "--tune",
                                  str(QUICK_CLI["tune"]), "--chains", str(QUICK_CLI["chains"])]
    run = [*forecast_cmd(), "run", "--no-progress", "--out", str(out_dir), *extra]
    cold = timed_run(run, env, "cli: cold forecast run")
    warm = timed_run(run, env, "cli: warm forecast run")
    cli = {"command": " ".join(["forecast", *run[len(forecast_cmd()):]]),
           "caches": "NUMBA_CACHE_DIR, PYTENSOR_FLAGS=base_compiledir= and FORECAST_CACHE in a "
                     "new temp folder; "
                     "warm = second run, same caches and same --out",
           "cold": cold, "warm": warm, "ratio_cold_over_warm": cold["wall_s"] / warm["wall_s"]}

    scenario_path = data / SCENARIO_YAML
    fields = {**RUMOUR, "url": "https://example.org/bench/cli"}
    add = [*forecast_cmd(), "rumour", "add", "--scenario", str(scenario_path), "--out",
           str(out_dir), *[x for k, v in fields.items() for x in (f"--{k}", v)]]
    rumour = timed_run(add, env, "update: CLI rumour add")
    refit = any("full refit" in line for line in rumour["stdout_notes"])
    imports = [timed_run([sys.executable, "-c", "import pymc"], env, f"update: import pymc #{k}")
               for k in range(3)]
    bare = min(r["wall_s"] for r in imports)
    upd = {"cli_rumour_add": rumour, "cli_full_refit": refit,
           "import_pymc_s": [r["wall_s"] for r in imports], "import_pymc_best_s": bare,
           "ratio_cli_over_import": rumour["wall_s"] / bare, "goal_ratio": 2.0}
    upd["meets_goal"] = bool(upd["ratio_cli_over_import"] <= upd["goal_ratio"])
    for name, goal in (("warm", 4.0), ("cold", 12.0)):  # the floors, against import pymc
        cli[f"ratio_{name}_over_import"] = cli[name]["wall_s"] / bare
        cli[f"{name}_goal_ratio"] = goal
    return cli, upd


# -- 5. A second scenario of another size -------------------------------------------------------

#: Two resolved cases of one size bucket: 12 months each, 5 and 6 named candidates.
REUSE_CASES = ("germany-2021", "tottenham-2019")
REUSE_SETTINGS = FULL


def reuse_worker(names: list[str]) -> None:
    """Fit each case in turn in this process; print its sizes and timings as JSON."""
    from forecast.data.scenario import Scenario
    from forecast.features.inputs import build_inputs
    from forecast.features.padding import pad_inputs

    rows = []
    for name in names:
        scenario = Scenario.load(DATA / "cases" / name / "scenario.yaml")
        inputs = build_inputs(scenario)
        result, t = timed_fit(scenario, REUSE_SETTINGS, 1)
        padded = pad_inputs(inputs).inputs
        rows.append({"case": name, "months": inputs.T,
                     "candidates": [p.n_cand for p in inputs.posts],
                     "rumour_rows": [int(p.truth.shape[0]) for p in inputs.posts],
                     "padded_months": padded.T, "padded_candidates": [p.n_cand for p in padded.posts],
                     "diagnostics_passed": bool(result.diagnostics["passed"]), **t})
    print(json.dumps(rows))


def bench_reuse(root: Path) -> dict:
    """Section 5: fresh caches; both cases in one process, then the second in a new process."""
    env = fresh_env(DATA, root / "caches-reuse")
    runs = {}
    for label, names in (("one_process", list(REUSE_CASES)), ("new_process", list(REUSE_CASES[1:]))):
        cmd = [sys.executable, str(Path(__file__).resolve()), "--reuse-worker", json.dumps(names)]
        res = timed_run(cmd, env, f"reuse: {' then '.join(names)}")
        runs[label] = json.loads(res["stdout_tail"][-1]) if res["returncode"] == 0 else res
    second = [runs["one_process"][1], runs["new_process"][0]]
    return {"cases": list(REUSE_CASES), "settings": REUSE_SETTINGS, "runs": runs,
            "second_compile_s": [r["compile_s"] for r in second],
            "second_reused": all(r["compiled_model_reused"] for r in second)}


# -- 6. Test suite and backtest ------------------------------------------------------------------

def bench_suite(root: Path) -> dict:
    """Time the default test run and the whole backtest, with the machine's own compile caches."""
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    env.pop("FORECAST_DATA", None)
    tests = timed_run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                       str(REPO / "tests")], env, "suite: default pytest")
    cases = [p for p in (DATA / "cases").iterdir() if (p / "scenario.yaml").exists()]
    backtest = timed_run([*forecast_cmd(), "backtest", "--cases", str(DATA / "cases"), "--out",
                          str(root / "reports-backtest")], env, "suite: backtest")
    return {"caches": "the machine's own numba/pytensor caches (warm after any earlier run)",
            "pytest": tests, "pytest_goal_s": 240.0, "backtest": backtest, "cases": len(cases),
            "backtest_s_per_case": backtest["wall_s"] / len(cases), "backtest_goal_s_per_case": 20.0}


# -- 4. Scaling ---------------------------------------------------------------------------------

def scale_worker(spec: dict) -> None:
    """One scaling configuration, in its own process; print its measurements as JSON."""
    t_start = time.perf_counter()
    import numpy as np
    import nutpie

    import forecast.evaluation.simulate as sim
    from forecast.features.periods import MonthGrid
    from forecast.inference.compiled import compile_model
    from forecast.model.succession import build_model
    from forecast.priors import resolve_priors

    def grid(start, end):
        # random_design asks for MonthGrid((2030, 1), (2030, T)), which stops at December:
        # roll the end month over so T > 12 really gives T months.
        (y, m) = end
        return MonthGrid(start, (y + (m - 1) // 12, (m - 1) % 12 + 1))

    sim.MonthGrid = grid
    rss_import = _rss_kb("VmRSS")
    t_import = time.perf_counter() - t_start
    rng = np.random.default_rng(spec.get("seed", 0))
    t0 = time.perf_counter()
    inputs = sim.random_design(rng, T=spec["T"], n_cand=spec["n_cand"], n_units=spec["n_units"],
                               n_terms=spec["n_terms"])[0]
    assert inputs.T == spec["T"], (inputs.T, spec["T"])
    model = build_model(inputs, resolve_priors())
    t1 = time.perf_counter()
    compiled = compile_model(model)
    t2 = time.perf_counter()
    # Peak RSS is VmHWM of this process. Compilation (numba/LLVM) peaks at about the same
    # level whatever the size, so the high-water mark is reset after it (clear_refs 5) and the
    # sampling peak is measured on its own, above the RSS when sampling starts.
    peak_compile = _rss_kb("VmHWM")
    rss_before_sample = _rss_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")
    idata = nutpie.sample(compiled, draws=spec["draws"], tune=spec["tune"], chains=spec["chains"],
                          cores=1, seed=1, progress_bar=False, target_accept=0.9)
    t3 = time.perf_counter()
    peak_sample = _rss_kb("VmHWM")
    steps = idata.sample_stats["n_steps"].values if "n_steps" in idata.sample_stats else None
    print(json.dumps({
        "import_s": t_import, "build_s": t1 - t0, "compile_s": t2 - t1, "sample_s": t3 - t2,
        "total_s": t3 - t0, "rss_after_import_mb": rss_import / 1024,
        "peak_rss_compile_mb": peak_compile / 1024, "peak_rss_sample_mb": peak_sample / 1024,
        "peak_sample_over_start_mb": (peak_sample - rss_before_sample) / 1024,
        "mean_leapfrog_steps": float(np.mean(steps)) if steps is not None else None,
        "divergences": int(idata.sample_stats["diverging"].sum()),
        "n_obs_post0": int(inputs.posts[0].n_obs(inputs.T)),
    }))


def _rss_kb(field: str) -> float:
    """Return a memory field of /proc/self/status (``VmRSS``, ``VmHWM``) in kB (Linux only)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return float(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status: the scaling benchmark needs Linux")


def slope(sizes, values) -> float:
    import numpy as np

    if len(sizes) < 2:
        return float("nan")
    return float(np.polyfit(np.log(sizes), np.log(values), 1)[0])


def bench_scaling(cfg: dict, out: dict, save=None) -> dict:
    env = dict(os.environ)
    env["PYTHONWARNINGS"] = "ignore"
    out.update({"settings": {k: cfg[k] for k in ("draws", "tune", "chains")}, "base": BASE,
           "sampler": "nutpie, cores=1", "axes": {}})
    done: dict[str, dict] = {}  # the base design is shared by every axis: run it once
    for axis, sizes in cfg["axes"].items():
        rows = []
        for size in sizes:
            if rows and rows[-1].get("returncode") is None:  # the previous size timed out
                rows.append({"size": size, "returncode": None,
                             "error": ["skipped: a smaller size already timed out"]})
                continue
            spec = {**BASE, AXIS_FIELD[axis]: size, **out["settings"]}
            key = json.dumps(spec, sort_keys=True)
            if key not in done:
                cmd = [sys.executable, str(Path(__file__).resolve()), "--scale-worker", key]
                res = timed_run(cmd, env, f"scaling: {axis}={size}", timeout=cfg["timeout_s"])
                row = {"wall_s_process": res["wall_s"], "returncode": res["returncode"]}
                if res["returncode"] == 0:
                    row.update(json.loads(res["stdout_tail"][-1]))
                else:
                    row["error"] = res.get("stderr_tail", [])[-3:]
                done[key] = row
            rows.append({"size": size, **done[key]})
        ok = [r for r in rows if "total_s" in r]
        sz = [r["size"] for r in ok]
        out["axes"][axis] = {
            "field": AXIS_FIELD[axis], "rows": rows,
            "exponent_total": slope(sz, [r["total_s"] for r in ok]),
            "exponent_sample": slope(sz, [r["sample_s"] for r in ok]),
            "exponent_compile": slope(sz, [r["compile_s"] for r in ok]),
            "exponent_peak_sample_mb": slope(sz, [max(r["peak_sample_over_start_mb"], 1.0)
                                                  for r in ok]),
        }
        if save:
            save()
    return out


# -- Table ----------------------------------------------------------------------------------------

def table(res: dict) -> str:
    lines = []

    def row(name, value, note=""):
        lines.append(f"{name:<58} {value:>14}  {note}")

    def f(x, spec=".2f"):
        return "n/a" if x is None else format(x, spec)

    if "ess" in res:
        e = res["ess"]
        m, n = e["marginalised"], e["naive"]
        s = e["settings"]
        lines.append(f"1. ESS/s of {e['headline']}  ({s['chains']} chains x {s['draws']} draws, "
                     f"{s['tune']} tune)")
        row("   mean  marginalised / naive", f"{m['mean']:.3f} / {n['mean']:.3f}",
            f"diff {e['mean_difference']:+.3f} = {e['mean_difference_z']:+.1f} MCSE"
            f"{'' if e['means_agree_3mcse'] else '  (DISAGREE)'}")
        row("   ESS bulk  marginalised / naive", f"{m['ess_bulk']:.0f} / {n['ess_bulk']:.0f}")
        row("   sampling wall s  marginalised / naive", f"{m['sample_s']:.1f} / {n['sample_s']:.1f}")
        row("   total wall s (compile+sample+outputs)", f"{m['total_s']:.1f} / {n['total_s']:.1f}",
            f"marginalised incl. reliability fit {m['reliability_s']:.1f} s")
        row("   ESS/s sampling  marginalised / naive",
            f"{m['ess_per_s_sampling']:.1f} / {n['ess_per_s_sampling']:.2f}")
        row("   RATIO ESS/s sampling (marginalised / naive)", f"{e['ratio_ess_per_s_sampling']:.0f}x")
        row("   ratio ESS/s total wall", f"{e['ratio_ess_per_s_total']:.0f}x")
        row("   ratio ESS per CPU-s total", f"{e['ratio_ess_per_cpu_s_total']:.0f}x")
    if "cli" in res:
        c = res["cli"]
        lines.append("2. forecast run --no-progress (fresh process)")
        row("   cold wall s (empty numba/pytensor caches, empty --out)", f(c["cold"]["wall_s"], ".1f"),
            f"exit {c['cold']['returncode']}")
        row("   warm wall s (same caches)", f(c["warm"]["wall_s"], ".1f"),
            f"exit {c['warm']['returncode']}")
        row("   ratio cold / warm", f"{c['ratio_cold_over_warm']:.2f}x")
        for name in ("warm", "cold"):
            if f"ratio_{name}_over_import" in c:
                ratio, goal = c[f"ratio_{name}_over_import"], c[f"{name}_goal_ratio"]
                row(f"   ratio {name} / import pymc (goal <= {goal:.0f}x)", f"{ratio:.1f}x",
                    "MET" if ratio <= goal else "MISSED")
    if "update" in res:
        u = res["update"]
        lines.append("3. rumour update latency")
        if "in_process" in u:
            ip = u["in_process"]
            row("   (a) in-process add_rumour + forecast.update s (goal <= 1 s)",
                f"{ip['latency_s']:.2f}", f"{'MET' if ip['meets_goal'] else 'MISSED'}; "
                f"{ip['method']}, weight ESS {f(ip['weight_ess'], '.0f')}")
            row(f"       P({RUMOUR['subject']}) before -> update / full refit",
                f"{ip['headline_before']:.3f} -> {ip['headline_after']:.3f} / "
                f"{ip['headline_after_refit']:.3f}", f"diff {ip['update_minus_refit_z']:+.1f} SE")
            row("       full refit s (compiled model reused)", f"{ip['refit_s']:.2f}",
                f"sample {ip['refit_sample_s']:.2f}, outcomes {ip['refit_outcomes_s']:.2f}")
        if "cli_rumour_add" in u:
            row("   (b) CLI forecast rumour add (with refresh) s", f"{u['cli_rumour_add']['wall_s']:.2f}",
                f"exit {u['cli_rumour_add']['returncode']}"
                f"{', FULL REFIT' if u['cli_full_refit'] else ', importance update'}")
            row("   (c) python -c 'import pymc' s (best of 3)", f"{u['import_pymc_best_s']:.2f}")
            row("   ratio (b)/(c) (goal <= 2x)", f"{u['ratio_cli_over_import']:.2f}x",
                "MET" if u["meets_goal"] else "MISSED")
    if "scaling" in res:
        sc = res["scaling"]
        st = sc["settings"]
        lines.append(f"4. scaling (random_design, nutpie 1 core, {st['chains']} chain(s) x "
                     f"{st['draws']} draws + {st['tune']} tune; base {BASE})")
        for axis, a in sc["axes"].items():
            cells = ", ".join(
                f"{r['size']}: {r['total_s']:.1f}s/"
                f"+{r['peak_sample_over_start_mb']:.0f}MB"
                if "total_s" in r
                else f"{r['size']}: {'FAILED' if r.get('returncode') else 'TIMEOUT/SKIPPED'}"
                for r in a["rows"])
            lines.append(f"   {axis:<10} {cells}")
            lines.append(f"   {'':<10} exponent total {f(a['exponent_total'])}, sample "
                         f"{f(a['exponent_sample'])}, compile {f(a['exponent_compile'])}, "
                         f"sampling peak memory {f(a['exponent_peak_sample_mb'])}")
            ok = [r for r in a["rows"] if "sample_s" in r]
            pairs = zip(ok, ok[1:], strict=False)
            local = [f"{x['size']}->{y['size']}: "
                     f"{slope([x['size'], y['size']], [x['sample_s'], y['sample_s']]):.2f}"
                     for x, y in pairs]
            if len(local) > 1:
                lines.append(f"   {'':<10} local sample exponents {', '.join(local)}")
            split = ", ".join(f"{r['size']}: {r['compile_s']:.0f}+{r['sample_s']:.1f}s" for r in ok)
            lines.append(f"   {'':<10} compile+sample {split}")
    if "reuse" in res:
        ru = res["reuse"]
        lines.append(f"5. a second scenario of another size ({' then '.join(ru['cases'])}, fresh caches)")
        for label, runs in ru["runs"].items():
            for r in runs if isinstance(runs, list) else []:
                how = ("reused" if r["compiled_model_reused"] and r["helpers_wait_s"] < 1 else
                       f"compiled (waited {r['helpers_wait_s']:.0f} s for helper processes)")
                row(f"   {label}: {r['case']} compile s / whole fit s",
                    f"{r['compile_s']:.2f} / {r['total_s']:.1f}",
                    f"{r['months']} months, {r['candidates']} candidates -> padded "
                    f"{r['padded_months']}, {r['padded_candidates']}; {how}")
        row("   the second reuses the compiled model", str(ru["second_reused"]),
            "MET" if ru["second_reused"] else "MISSED")
    if "suite" in res:
        su = res["suite"]
        lines.append("6. test suite and backtest (this machine's compile caches)")
        row("   default python -m pytest wall s (goal <= 240)", f(su["pytest"]["wall_s"], ".0f"),
            f"exit {su['pytest']['returncode']}")
        row(f"   forecast backtest, {su['cases']} cases: wall s per case (goal <= 20)",
            f(su["backtest_s_per_case"], ".1f"), f"whole {su['backtest']['wall_s']:.0f} s, "
            f"exit {su['backtest']['returncode']}")
    return "\n".join(lines)


# -- Main -----------------------------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small settings to check it works")
    parser.add_argument("--out", type=Path, default=HERE / "results.json", help="JSON output")
    parser.add_argument("--only", default="ess,cli,update,scaling",
                        help="comma-separated sections: ess, cli, update (cli + in-process), "
                             "inprocess (in-process update only), scaling, reuse, suite (default: "
                             "ess,cli,update,scaling); a subset is merged into an existing --out")
    parser.add_argument("--seed", type=int, default=20241115)
    parser.add_argument("--scale-worker", help=argparse.SUPPRESS)
    parser.add_argument("--reuse-worker", help=argparse.SUPPRESS)
    parser.add_argument("--print", type=Path, metavar="JSON",
                        help="only print the table of an existing results file")
    args = parser.parse_args(argv)
    if args.print:
        print(table(json.loads(args.print.read_text())))
        return 0
    warnings.filterwarnings("ignore")
    if args.scale_worker:
        scale_worker(json.loads(args.scale_worker))
        return 0
    if args.reuse_worker:
        reuse_worker(json.loads(args.reuse_worker))
        return 0

    import numpy
    import nutpie
    import pymc
    import pytensor

    only = set(args.only.split(","))
    settings = QUICK if args.quick else FULL
    res: dict = {"meta": {
        "started": dt.datetime.now().isoformat(timespec="seconds"), "quick": args.quick,
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg(),
        "versions": {"pymc": pymc.__version__, "pytensor": pytensor.__version__,
                     "nutpie": nutpie.__version__, "numpy": numpy.__version__},
        "settings": settings,
    }}
    t_all = time.perf_counter()
    args.out.parent.mkdir(parents=True, exist_ok=True)

    partial = only != {"ess", "cli", "update", "scaling"} and args.out.exists()
    earlier = json.loads(args.out.read_text()) if partial else {}

    def save():
        res["meta"]["elapsed_s"] = time.perf_counter() - t_all
        merged = res
        if partial:
            merged = {**earlier, **{k: v for k, v in res.items() if k != "meta"}}
            reruns = [r for r in earlier.get("meta", {}).get("partial_reruns", [])
                      if r["meta"]["started"] != res["meta"]["started"]]
            merged["meta"] = {**earlier.get("meta", {}), "partial_reruns": [
                *reruns, {"sections": sorted(k for k in res if k != "meta"), "meta": res["meta"]}]}
        args.out.write_text(json.dumps(merged, indent=2, default=str))

    with tempfile.TemporaryDirectory(prefix="forecast-bench-") as tmp:
        root = Path(tmp)
        if "cli" in only or "update" in only:
            cli, upd = bench_cli(root, settings, args.quick)
            if "cli" in only:
                res["cli"] = cli
            res["update"] = upd
            save()
        if only & {"ess", "update", "inprocess"}:
            data = copy_data(root, "data-inprocess")
            ess, scenario, base = bench_ess(settings, args.seed, data)
            if "ess" in only:
                res["ess"] = ess
                save()
            if only & {"update", "inprocess"}:
                res.setdefault("update", {})["in_process"] = bench_inprocess_update(
                    scenario, base, settings, args.seed)
        if "reuse" in only:
            res["reuse"] = bench_reuse(root)
            save()
        if "suite" in only:
            res["suite"] = bench_suite(root)
            save()
        if "scaling" in only:
            res["scaling"] = {}
            bench_scaling(SCALING_QUICK if args.quick else SCALING_FULL, res["scaling"], save)
    save()
    print(table(json.loads(args.out.read_text())))
    print(f"\nwrote {args.out} ({res['meta']['elapsed_s']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
