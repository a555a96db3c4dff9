"""Prior centres checked against resolved cases, through the full model's forecasts.

Every case is fitted once at its cutoff (as :func:`forecast.evaluation.backtest.forecast_case`
does). For each parameter and each shift of its prior centre (in units of its prior sd), the
case's posterior draws are reweighted by the ratio of the shifted prior to the one used
(:func:`forecast.inference.health.log_prior_ratio`, as the model-health page does) and the log
score of what happened is recomputed: "who" for the successor-choice parameters, "when" for the
leaving hazards. The rumours stay in every forecast, so a centre is judged by what it adds to
them, not as if it had to predict alone. Shifts are judged on the cases before :data:`SPLIT`
and confirmed on the later ones, paired over cases against the centre in use.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.evaluation.backtest import scored_post, true_states, who_truth_columns
from forecast.inference.health import GROUPS, log_prior_ratio

#: Shifts of a prior centre tried, in prior standard deviations.
SHIFTS = (-1.0, -0.5, 0.5, 1.0)
#: The score that judges each group of parameters (the third group, reliability, is learned
#: from the track record).
SCORED_ON = {"successor choice": "who", "leaving hazards": "when"}
#: Choices are made on cases whose cutoff is before this date and confirmed on the rest.
SPLIT = dt.date(2023, 1, 1)


def case_draws(path: Path, draws: int = 1000, seed: int = 1, cache_dir: Path | None = None) -> dict:
    """Fit one case; return each draw's probability of what happened and its log prior ratios.

    ``cache_dir`` keeps learned source reliabilities between runs, as ``forecast backtest`` does.

    Returns a dict: ``case``, ``cutoff``, ``who`` and ``when`` (per draw, the probability of the
    true outcome; ``who`` is None without a successor question) and ``log_ratio`` keyed by
    ``(parameter, shift)``.
    """
    from forecast.data.scenario import Scenario
    from forecast.dims import slug
    from forecast.inference.fit import fit
    from forecast.inference.settings import SamplerSettings

    scenario = Scenario.load(path)
    result = fit(scenario, settings=SamplerSettings(draws=draws, tune=draws, seed=seed),
                 cache_dir=cache_dir)
    posterior = result.idata.posterior
    post = result.inputs.posts[scored_post(scenario, result.inputs.posts)]
    T = result.inputs.T
    dep, succ = true_states(scenario, result.inputs.posts.index(post))

    def flat(name, **sel):
        values = posterior[name].sel(**sel).values
        return values.reshape(values.shape[0] * values.shape[1], -1)

    who = None
    if post.has_successor:
        columns = who_truth_columns(post, dep, succ, T)
        who = flat(f"successor_{slug(post.club)}")[:, columns].sum(axis=1)
    names = [n for group in SCORED_ON for n in GROUPS[group]
             if n != "appeal" and n in posterior and posterior[n].size]
    return {
        "case": scenario.id, "cutoff": scenario.spec.as_of, "who": who,
        "when": flat("departure", post=post.coach)[:, np.unique(dep)].sum(axis=1),
        "log_ratio": {(n, s): log_prior_ratio(result, (n,), shift=s) for n in names for s in SHIFTS},
    }


def sweep(cases: list[dict]) -> pd.DataFrame:
    """Return the paired log-score change of every centre shift against none, by period.

    Rows: ``parameter, score, shift_sd, period`` ("before 2023", "2023 on", "all"), ``cases``,
    ``difference`` (mean over cases of the shifted minus the current log score; positive: the
    shift forecasts better), ``se`` and ``min_weight_ess`` (the smallest importance-weight ESS).
    """
    rows = []
    for group, score in SCORED_ON.items():
        for name in GROUPS[group]:
            for shift in SHIFTS:
                per_case = []
                for case in cases:
                    p, key = case[score], (name, shift)
                    if p is None or key not in case["log_ratio"]:
                        continue
                    w = np.exp(case["log_ratio"][key] - case["log_ratio"][key].max())
                    w /= w.sum()
                    per_case.append({"early": case["cutoff"] < SPLIT, "ess": 1 / np.sum(w**2),
                                     "diff": np.log(max(float(w @ p), 1e-12))
                                     - np.log(max(float(p.mean()), 1e-12))})
                if not per_case:
                    continue
                table = pd.DataFrame(per_case)
                for period, part in (("before 2023", table[table["early"]]),
                                     ("2023 on", table[~table["early"]]), ("all", table)):
                    rows.append({"parameter": name, "score": score, "shift_sd": shift,
                                 "period": period, "cases": len(part),
                                 "difference": part["diff"].mean(),
                                 "se": part["diff"].std(ddof=1) / np.sqrt(len(part)),
                                 "min_weight_ess": part["ess"].min()})
    return pd.DataFrame(rows)
