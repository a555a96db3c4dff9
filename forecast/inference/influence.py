r"""What each rumour or fact did: the headline probabilities with it left out.

Leaving a rumour or a fact out changes both the outcome given the parameters and the parameter
posterior. Both are handled exactly per draw and by importance weighting across draws: with draws
:math:`\theta_d` from the full posterior, the leave-one-out posterior mean of a probability
:math:`g` is :math:`\sum_d w_d\, g_{-t}(\theta_d) / \sum_d w_d` with
:math:`w_d = Z_{-t}(\theta_d) / Z(\theta_d)`, where :math:`Z` is the exactly marginalised
evidence. The effective sample size of the weights is reported so a shaky estimate shows.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import xarray as xr

from forecast.errors import DataValidationError
from forecast.features.arrays import ModelInputs, model_data
from forecast.features.inputs import build_inputs
from forecast.features.propositions import post_reports
from forecast.features.ranks import term_ranks
from forecast.inference.states import cached_state_posterior, weigh_surprise
from forecast.model.outcomes import CHUNK, parameter_shapes


def headline_metrics(inputs: ModelInputs, top: dict[int, int], by_month: dict[int, int]):
    """Return ``[(label, f(marginals) -> per-draw values)]`` for the headline probabilities.

    ``marginals`` is a list (one per post) of state distributions shaped (draws, n_obs), as
    :func:`forecast.model.outcomes.state_evaluator` returns them.

    Parameters
    ----------
    top : dict
        Successor post index -> index of its most likely named outcome.
    by_month : dict
        Post index -> last grid month counted in "leaves by".
    """
    T = inputs.T
    metrics = []
    for i, k in top.items():
        post = inputs.posts[i]
        name = (post.candidates + ["someone not listed"])[k]
        dep, succ = post.states(T)
        sel = succ == k
        metrics.append((f"P({name} next {post.club} coach)",
                        lambda m, i=i, sel=sel: m[i][:, sel].sum(axis=1)))
    for i, last in by_month.items():
        post = inputs.posts[i]
        dep, _ = post.states(T)
        sel = dep <= last
        label = f"P({post.coach} leaves {post.club} by {inputs.grid.labels[last]})"
        metrics.append((label, lambda m, i=i, sel=sel: m[i][:, sel].sum(axis=1)))
    return metrics


def _thin(posterior: xr.Dataset, inputs: ModelInputs, max_draws: int) -> dict[str, np.ndarray]:
    """Return at most ``max_draws`` evenly spaced draws of every parameter (draw axis first)."""
    stacked = {n: posterior[n].values.reshape(-1, *shape)
               for n, shape in parameter_shapes(inputs).items()}
    total = next(iter(stacked.values())).shape[0]
    idx = np.linspace(0, total - 1, min(max_draws, total)).astype(int)
    return {n: v[idx] for n, v in stacked.items()}


def default_metrics(result):
    """Return a result's headline metrics as ``[(label, f(marginals))]``.

    Its most likely successor per vacancy, and each asked-about coach leaving by the end of the
    first summer.
    """
    inputs = result.inputs
    top = {}
    for i, p in enumerate(inputs.posts):
        if p.has_successor:
            table = result.successor[result.successor["club"] == p.club].iloc[: p.n_cand + 1]
            top[i] = int(np.argmax(table["mean"].to_numpy()))
    last = inputs.grid.labels.index(result.first_summer_end())
    by_month = {i: last for i, p in enumerate(inputs.posts) if p.coach in result.asked}
    return headline_metrics(inputs, top, by_month)


#: Draws a report's influence table is computed on: four chunks of the compiled state posterior
#: exactly. It took 800, padded to 1,000 at the same cost; 750 saved 0.16 s but moved the
#: third-largest influence on the default scenario by 1.1 points (+6.0 -> +4.9).
INFLUENCE_DRAWS = 4 * CHUNK


COLUMNS = ["metric", "with", "without", "change_pp", "weight_ess"]


def _left_out(evaluate, draws: dict, full_logz: np.ndarray, full_vals: np.ndarray, metrics,
              data: dict) -> list[dict]:
    """Return one row per metric: its value over the draws, and reweighted to ``data``."""
    loo_logz, loo = evaluate(draws, data)
    log_w = loo_logz - full_logz
    w = np.exp(log_w - log_w.max())
    w /= w.sum()
    ess = 1.0 / np.sum(w**2)
    without = w @ np.stack([g(loo) for _, g in metrics], axis=1)
    with_ = full_vals.mean(axis=0)
    return [{"metric": label, "with": a, "without": b, "change_pp": 100 * (a - b), "weight_ess": ess}
            for (label, _), a, b in zip(metrics, with_, without, strict=True)]


def _full(inputs: ModelInputs, posterior: xr.Dataset, metrics, max_draws: int):
    """Return the state posterior, the thinned draws, their log evidence and metric values."""
    evaluate = cached_state_posterior(inputs)
    draws = _thin(posterior, inputs, max_draws)
    full_logz, full = evaluate(draws)
    return evaluate, draws, full_logz, np.stack([g(full) for _, g in metrics], axis=1)


def rumour_influence(inputs: ModelInputs, posterior: xr.Dataset, metrics,
                     max_draws: int = INFLUENCE_DRAWS,
                     only: set[str] | None = None):
    """Return one row per counted rumour (or those in ``only``): each headline with and without it.

    Returns
    -------
    pandas.DataFrame
        ``rumour_id, metric, with, without, change_pp, weight_ess``.
    """
    evaluate, draws, full_logz, full_vals = _full(inputs, posterior, metrics, max_draws)
    counted = [e for e in inputs.coding if e.status == "counted"]
    base = model_data(inputs)
    rows = []
    for item in counted:
        if only is not None and item.rumour_id not in only:
            continue
        i = item.proposition.post
        j = [e.rumour_id for e in post_reports(inputs.coding, i)].index(item.rumour_id)
        data = dict(base)
        data[f"weight_{i}"] = base[f"weight_{i}"].copy()
        data[f"weight_{i}"][j] = 0.0
        post = inputs.posts[i]  # the next report of its claim moves up a rank
        data[f"rank_{i}"] = term_ranks(post.term_group, post.term_score, data[f"weight_{i}"])
        rows += [{"rumour_id": item.rumour_id, **row}
                 for row in _left_out(evaluate, draws, full_logz, full_vals, metrics, data)]
    return pd.DataFrame(rows, columns=["rumour_id", *COLUMNS])


def fact_influence(scenario, inputs: ModelInputs, reliability, priors: dict, posterior: xr.Dataset, metrics,
                   max_draws: int = INFLUENCE_DRAWS):
    """Return one row per fact the forecast reads: each headline with and without it.

    A fact is left out by building the arrays again from the scenario without its row (as of
    the same date, with the same learned reliabilities): an extension gives back the contract
    end before it, a departure or appointment unpins the outcome it pinned. Facts known at the
    as-of date that change no array (about clubs the scenario does not track, or before a
    coach's appointment) get no row, nor does one whose absence would change the model's
    structure or leave the other facts contradicting each other.

    Parameters
    ----------
    scenario : forecast.data.scenario.Scenario
        The scenario ``inputs`` were built from.
    reliability : forecast.inference.reliability.ReliabilityFit or None
        The learned reliabilities ``inputs`` were built with.
    priors : dict of Prior
        The fit's priors (without a fact the rumours' surprise is weighed again).

    Returns
    -------
    pandas.DataFrame
        ``fact_id, metric, with, without, change_pp, weight_ess``.
    """
    base = model_data(inputs)
    known = scenario.facts[scenario.facts["date"] <= inputs.as_of] if len(scenario.facts) \
        else scenario.facts
    changed = {}
    for index, fact in known.iterrows():
        try:
            other = build_inputs(dataclasses.replace(scenario, facts=scenario.facts.drop(index)),
                                 inputs.as_of, reliability)
        except DataValidationError:  # the other facts alone contradict each other
            continue
        if other.structure_key() != inputs.structure_key():
            continue
        data = model_data(other)
        if any(not np.array_equal(data[k], base[k]) for k in base if not k.startswith("surprise_")):
            # The prior without this fact differs, and with it how much each report says.
            weigh_surprise(other, priors, reliability)
            changed[fact["id"]] = model_data(other)
    rows = []
    if changed:
        full = _full(inputs, posterior, metrics, max_draws)
        for fact_id, data in changed.items():
            rows += [{"fact_id": fact_id, **row} for row in _left_out(*full, metrics, data)]
    return pd.DataFrame(rows, columns=["fact_id", *COLUMNS])
