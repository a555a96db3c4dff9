"""Simulation-based calibration (Talts et al. 2018) and recovery on simulated scenarios.

Each simulation draws parameters from the prior, the joint outcome from the model, and each
source's report (it asserts its proposition or the opposite, truthfully with probability rho);
the model is then fitted to the reports. If inference is right, the rank of each true parameter
among its posterior draws is uniform, and forecast probabilities are calibrated against the
simulated outcomes. The compiled model is reused across simulations (the reports are data).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import nutpie
import pandas as pd
from scipy import stats

from forecast.evaluation.bruteforce import compile_local_factors
from forecast.evaluation.simulate import (
    draw_params,
    random_design,
    set_terms,
    simulate_outcome,
    simulate_reports,
)
from forecast.features.arrays import model_data
from forecast.inference.compiled import CORES, compile_model
from forecast.model.outcomes import compile_state_posterior
from forecast.model.succession import build_model
from forecast.priors import resolve_priors

RANKED = ("sack_base", "quit_base", "quit_season_end", "avail_season_end", "tier1", "tier3",
          "source_sd", "appeal[0]", "not_listed[0]", "source_z[0]")


@dataclass
class SBCResult:
    """Ranks per parameter, outcome forecasts against simulated truth, and uniformity tests."""

    ranks: pd.DataFrame  # one row per simulation, one column per parameter
    n_ranks: int  # posterior draws compared per simulation: ranks run from 0 to n_ranks
    outcomes: pd.DataFrame  # forecast probability of events and whether they happened

    def uniformity(self, bins: int = 5) -> pd.DataFrame:
        """Chi-square test of uniform ranks per parameter."""
        rows = []
        for name in self.ranks:
            counts = np.histogram(self.ranks[name], bins=bins, range=(0, self.n_ranks + 1))[0]
            rows.append({"parameter": name, "counts": counts.tolist(),
                         "p_value": float(stats.chisquare(counts).pvalue)})
        return pd.DataFrame(rows)

    def calibration(self) -> dict:
        """Mean forecast against frequency of the simulated events, with a z score."""
        p, y = self.outcomes["p"].to_numpy(), self.outcomes["happened"].to_numpy()
        se = np.sqrt(np.sum(p * (1 - p))) / len(p)
        return {"n": int(len(p)), "mean_forecast": float(p.mean()), "frequency": float(y.mean()),
                "z": float((y.mean() - p.mean()) / se) if se > 0 else 0.0,
                "brier": float(np.mean((p - y) ** 2))}


def _value(values: dict, name: str) -> float:
    if "[" in name:
        base, idx = name[:-1].split("[")
        return float(np.asarray(values[base])[int(idx)])
    return float(values[name])


def _draws(trace, name: str) -> np.ndarray:
    if "[" in name:
        base, idx = name[:-1].split("[")
        return trace.posterior[base].values[..., int(idx)].reshape(-1)
    return trace.posterior[name].values.reshape(-1)


def run_sbc(n_sims: int, seed: int = 0, draws: int = 300, tune: int = 300, chains: int = 2,
            n_ranks: int = 99, T: int = 5, n_cand: int = 3, n_units: int = 4,
            n_terms: int = 12, progress=None) -> SBCResult:
    """Run ``n_sims`` simulations on one random scenario design and collect ranks."""
    priors = resolve_priors()
    design_rng = np.random.default_rng(seed)
    inputs, props, units, strengths = random_design(design_rng, T, n_cand, n_units, n_terms)
    compiled = compile_model(build_model(inputs, priors))
    factors_of = compile_local_factors(inputs)
    evaluate = compile_state_posterior(inputs)
    rng = np.random.default_rng(seed + 1)
    rank_rows, outcome_rows = [], []
    for s in range(n_sims):
        truth = draw_params(rng, priors, inputs)
        states = simulate_outcome(rng, inputs, factors_of(truth))
        asserted = simulate_reports(rng, inputs, props, units, strengths, truth, states)
        set_terms(inputs, asserted, units, strengths)
        data = {f"truth_{i}": p.truth for i, p in enumerate(inputs.posts)}
        trace = nutpie.sample(compiled.with_data(**data), draws=draws, tune=tune, chains=chains,
                              cores=CORES, seed=int(rng.integers(2**31)), progress_bar=False)
        thin = np.linspace(0, draws * chains - 1, n_ranks).astype(int)
        rank_rows.append({name: int(np.sum(_draws(trace, name)[thin] < _value(truth, name)))
                          for name in RANKED})
        # Forecast of the simulated outcome: P(post 0 falls vacant before the horizon),
        # averaged over posterior draws.
        data = model_data(inputs)
        post = inputs.posts[0]
        dep, succ = post.states(inputs.T)
        pick = np.linspace(0, draws * chains - 1, 40).astype(int)
        values = {n: trace.posterior[n].values.reshape(-1, *trace.posterior[n].shape[2:])[pick]
                  for n in truth if n in trace.posterior}
        marg = evaluate(values, data)[1][0].mean(axis=0)
        outcome_rows.append({"event": "vacancy", "p": float(marg[dep < inputs.T].sum()),
                             "happened": float(dep[states[0]] < inputs.T)})
        if progress:
            progress(s + 1, n_sims)
    return SBCResult(pd.DataFrame(rank_rows), n_ranks, pd.DataFrame(outcome_rows))
