"""Prior centres and evidence weights checked against resolved cases, through the full model.

Every case is fitted once at its cutoff (as :func:`forecast.evaluation.backtest.forecast_case`
does). Two kinds of change are then tried on its posterior draws, each by importance weights:

- a prior centre shifted (in units of its prior sd): the draws are reweighted by the ratio of
  the shifted prior to the one used (:func:`forecast.inference.health.log_prior_ratio`, as the
  model-health page does) and "who" (successor-choice parameters) or "when" (leaving hazards)
  is scored again;
- a change in how much reports count (:data:`EVIDENCE`): every report's learned weight scaled,
  one claim kind's or one strength's reports scaled, the discount of further reports of one
  claim set, or each kind's learned base rate (:data:`KIND_FAMILIES`) added to its reports'
  evidence. The
  draws are reweighted by the ratio of the exact marginal likelihoods, changed to used (as
  ``forecast rumour add`` does), each draw's forecast is recomputed exactly on the changed
  data, and both "who" and "when" are scored. The track record fixes a report's likelihood
  ratio only up to the base rate of the propositions reporters choose to report (the two add
  on the log-odds scale), so the scale of the evidence is what these cases can check.

The rumours stay in every forecast, so a prior centre is judged by what it adds to them.
Changes are judged on the cases before
:data:`~forecast.evaluation.scores.CONFIRM_FROM` and confirmed on the later ones, paired over
cases against the model in use; each case set (a scenario's ``case_set``) is shown alone too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast.evaluation.backtest import scored_post, true_states, who_truth_columns
from forecast.evaluation.scores import CONFIRM_FROM, partitions
from forecast.features.arrays import model_data
from forecast.features.propositions import post_reports
from forecast.features.ranks import term_ranks, unit_scores
from forecast.inference.health import GROUPS, log_prior_ratio

#: Shifts of a prior centre tried, in prior standard deviations.
SHIFTS = (-1.0, -0.5, 0.5, 1.0)
#: The score that judges each group of parameters (the third group, reliability, is learned
#: from the track record).
SCORED_ON = {"successor choice": "who", "leaving hazards": "when"}
#: Changes to how reports count: ``scale`` multiplies every report's weight, ``kinds`` the
#: weights of the named claim kinds' reports, ``strengths`` those of the named strengths',
#: ``discount`` replaces the learned weight factor of each further report of one claim,
#: ``base_rates`` adds to each report's log likelihood ratio
#: the difference between its kind's base rate and its family's reference kind's, as the case's
#: track-record fit learned them (:func:`kind_offsets`), and ``half_life`` halves a report's
#: weight for every that many days between its date and the cutoff (old news fades).
EVIDENCE = {
    "every report x0.5": {"scale": 0.5},
    "every report x0.75": {"scale": 0.75},
    "every report x1.5": {"scale": 1.5},
    "every report x2": {"scale": 2.0},
    "shortlisted, talks x0": {"kinds": {"shortlisted": 0.0, "talks": 0.0}},
    "shortlisted, talks x0.5": {"kinds": {"shortlisted": 0.5, "talks": 0.5}},
    "stays, denial x0.5": {"kinds": {"stays": 0.5, "denial": 0.5}},
    "stays, denial x2": {"kinds": {"stays": 2.0, "denial": 2.0}},
    "joins, agreement, leaves x1.5": {"kinds": {"joins": 1.5, "agreement": 1.5, "leaves": 1.5}},
    "shortlisted x1.5": {"kinds": {"shortlisted": 1.5}},
    "weak reports x1.5": {"strengths": {"weak": 1.5}},
    "weak reports x2": {"strengths": {"weak": 2.0}},
    "strong reports x0.75": {"strengths": {"strong": 0.75}},
    "weak x1.5, strong x0.75": {"strengths": {"weak": 1.5, "strong": 0.75}},
    "strong reports x1.5": {"strengths": {"strong": 1.5}},
    "strong reports x2": {"strengths": {"strong": 2.0}},
    "discount 0.25": {"discount": 0.25},  # learned: 0.27-0.52, by as-of date
    "discount 0.75": {"discount": 0.75},
    "discount 1": {"discount": 1.0},
    "kind base rates as evidence": {"base_rates": True},
    "reports halve every 90 days": {"half_life": 90},
    "reports halve every 180 days": {"half_life": 180},
    "reports halve every 365 days": {"half_life": 365},
}
#: Claim kinds that assert one proposition ("he is the next coach there"; "he stays, or does not
#: go there"), reference kind first. If the propositions each kind is used for held equally often
#: before any report, the differences of the kinds' base rates would be evidence the kind itself
#: carries; the ``base_rates`` change tries that.
KIND_FAMILIES = (("joins", "shortlisted", "talks", "agreement"), ("stays", "denial"))


def kind_offsets(base_rates: dict[str, float]) -> dict[str, float]:
    """Return each claim kind's base rate minus its family's reference kind's (0 for ``leaves``)."""
    return {kind: base_rates[kind] - base_rates[family[0]]
            for family in KIND_FAMILIES for kind in family}


def log_lr(x):
    r"""Return a report's log likelihood ratio :math:`\log(1 + 2e^x)` at reliability logit ``x``."""
    return np.log1p(2 * np.exp(x))


def evidence_data(inputs, change: dict, offsets: dict[str, float] | None = None,
                  unit_score: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Return the model's data arrays with the reports' weights changed as ``change`` says.

    A report whose weight becomes 0 takes no rank, so the next report of its claim moves up
    (as if it had not been made). For ``base_rates``, ``offsets`` (:func:`kind_offsets`) and
    ``unit_score`` (each reliability unit's expected logit) are needed: a report's weight is
    scaled so that its log likelihood ratio at its expected reliability logit gains its kind's
    offset (floored at 0: a report never counts against what it says); exact at that logit, an
    approximation for draws of the source's reliability away from it.
    """
    data = model_data(inputs)
    for i, post in enumerate(inputs.posts):
        weight = data[f"weight_{i}"].copy()
        for j, item in enumerate(post_reports(inputs.coding, i)):
            kind = item.kind
            weight[j] *= (change.get("scale", 1.0) * change.get("kinds", {}).get(kind, 1.0)
                          * change.get("strengths", {}).get(item.strength, 1.0))
            if "half_life" in change:
                weight[j] *= 0.5 ** ((inputs.as_of - item.date).days / change["half_life"])
            if change.get("base_rates"):
                x = (unit_score[data[f"unit_{i}"][j]] + inputs.strength_offset[data[f"strength_{i}"][j]]
                     + inputs.soon_offset * data[f"soon_{i}"][j] + data[f"surprise_{i}"][j])
                weight[j] *= max(log_lr(x) + offsets.get(kind, 0.0), 0.0) / log_lr(x)
        data[f"weight_{i}"] = weight
        data[f"rank_{i}"] = term_ranks(post.term_group, post.term_score, weight)
    if "discount" in change:
        data["discount"] = np.asarray(change["discount"], dtype=float)
    return data


def case_draws(path: Path, draws: int = 1000, seed: int = 1, cache_dir: Path | None = None) -> dict:
    """Fit one case; return each draw's probability of what happened and its log prior ratios.

    ``cache_dir`` keeps learned source reliabilities between runs, as ``forecast backtest`` does.

    Returns a dict: ``case``, ``cutoff``, ``case_set``, ``who`` and ``when`` (per draw, the probability of the
    true outcome; ``who`` is None without a successor question), ``log_ratio`` (per draw, the
    log importance weight) keyed by ``(parameter, shift)`` for prior centres and by
    ``(change, None)`` for each change in :data:`EVIDENCE`, and ``changed``: for the evidence
    changes, ``who`` and ``when`` recomputed per draw on the changed data.
    """
    from forecast.data.scenario import Scenario
    from forecast.dims import slug
    from forecast.inference.fit import fit
    from forecast.inference.settings import SamplerSettings
    from forecast.inference.states import cached_state_posterior
    from forecast.model.outcomes import parameter_shapes

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
    log_ratio = {(n, s): log_prior_ratio(result, (n,), shift=s) for n in names for s in SHIFTS}
    # The truth as indicators over the scored post's observable states.
    k = result.inputs.posts.index(post)
    state_dep, state_succ = post.states(T)
    when_states = np.isin(state_dep, np.unique(dep)).astype(float)
    who_states = (np.isin(np.where(state_dep == T, post.n_cand + 1, state_succ),
                          who_truth_columns(post, dep, succ, T)).astype(float)
                  if post.has_successor else None)
    evaluate = cached_state_posterior(result.inputs)
    values = {n: posterior[n].values.reshape(-1, *posterior[n].shape[2:])
              for n in parameter_shapes(result.inputs)}
    log_z = result.idata.log_likelihood["evidence"].values.reshape(-1)
    offsets = kind_offsets(result.reliability.diagnostics["base_rates"])
    unit_score = unit_scores(result.inputs.unit_prior, result.inputs.unit_tier, result.priors)
    changed = {}
    for name, change in EVIDENCE.items():
        log_z_new, marginals = evaluate(values, evidence_data(result.inputs, change, offsets, unit_score))
        log_ratio[(name, None)] = log_z_new - log_z
        changed[(name, None)] = {"when": marginals[k] @ when_states,
                                 "who": None if who_states is None else marginals[k] @ who_states}
    return {
        "case": scenario.id, "cutoff": scenario.spec.as_of, "case_set": scenario.spec.case_set,
        "who": who,
        "when": flat("departure", post=post.coach)[:, np.unique(dep)].sum(axis=1),
        "log_ratio": log_ratio, "changed": changed,
    }


def _changes():
    """Yield ``(parameter, shift, score)`` of every change the sweep scores."""
    for group, score in SCORED_ON.items():
        for name in GROUPS[group]:
            for shift in SHIFTS:
                yield name, shift, score
    for name in EVIDENCE:
        for score in ("who", "when"):
            yield name, None, score


def sweep(cases: list[dict]) -> pd.DataFrame:
    """Return the paired log-score change of every centre shift against none, by period.

    Rows: ``parameter`` (a prior centre, or a change in :data:`EVIDENCE`), ``score``,
    ``shift_sd`` (NaN for an evidence change), ``period`` ("before 2023", "2023 on", "all",
    then ``"<name> set"`` for each case set),
    ``cases``, ``difference`` (mean over cases of the changed minus the current log score;
    positive: the change forecasts better), ``se`` and ``min_weight_ess`` (the smallest
    importance-weight ESS).
    """
    rows = []
    for name, shift, score in _changes():
        per_case = []
        key = (name, shift)
        for case in cases:
            p = case[score]
            if p is None or key not in case["log_ratio"]:
                continue
            new = case.get("changed", {}).get(key, {}).get(score, p)
            w = np.exp(case["log_ratio"][key] - case["log_ratio"][key].max())
            w /= w.sum()
            per_case.append({"later": str(case["cutoff"]) >= CONFIRM_FROM,
                             "case_set": case.get("case_set", ""), "ess": 1 / np.sum(w**2),
                             "diff": np.log(max(float(w @ new), 1e-12))
                             - np.log(max(float(p.mean()), 1e-12))})
        if not per_case:
            continue
        table = pd.DataFrame(per_case)
        for period, keep in partitions(table["later"].to_numpy(dtype=bool), table["case_set"]):
            part = table[keep]
            rows.append({"parameter": name, "score": score,
                         "shift_sd": np.nan if shift is None else shift,
                         "period": period, "cases": len(part),
                         "difference": part["diff"].mean(),
                         "se": part["diff"].std(ddof=1) / np.sqrt(len(part)),
                         "min_weight_ess": part["ess"].min()})
    return pd.DataFrame(rows)
