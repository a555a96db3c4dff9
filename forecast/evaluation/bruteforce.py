"""Brute-force enumeration of the joint outcome, the reference the marginalised model is checked against.

It uses only the model's primitive local factors (own-departure pmf, successor softmax, per-state
rumour log-likelihood, fact masks) and enumerates every joint outcome explicitly, so it shares
none of the message-passing code it verifies. Exponential in the number of posts: for tests.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytensor

from forecast.features.arrays import ModelInputs, model_data
from forecast.model.likelihood import (
    choice_probs,
    departure_factors,
    destination_probs,
    evidence_loglik,
    reliability_logit,
    split_appeal,
    split_destination,
)
from forecast.model.outcomes import symbolic_params


def local_factors(inputs: ModelInputs, values: dict) -> list[dict]:
    """Evaluate each post's primitive factors at fixed parameter values."""
    return compile_local_factors(inputs)(values)


def compile_local_factors(inputs: ModelInputs):
    """Compile ``f(values) -> [per-post dict of p_own, loglik, mask, choice]``."""
    params = symbolic_params(inputs)
    data = model_data(inputs)
    psi = reliability_logit(params, data)
    appeals = split_appeal(params, inputs)
    destinations = split_destination(params, inputs)
    outputs = []
    for i, post in enumerate(inputs.posts):
        p_own, _ = departure_factors(params, data, i)
        outs = [p_own, evidence_loglik(params, data, i, psi)]
        if post.has_successor:
            outs.append(choice_probs(params, data, i, *appeals[i]))
        if post.destinations:
            outs.append(destination_probs(destinations[i], len(post.destinations)))
        outputs.append(outs)
    flat = [o for outs in outputs for o in outs]
    fn = pytensor.function(list(params.values()), flat, on_unused_input="ignore")

    def evaluate(values: dict) -> list[dict]:
        got = iter(fn(*[np.asarray(values[n], dtype="float64") for n in params]))
        factors = []
        for post in inputs.posts:
            f = {"p_own": next(got), "loglik": next(got), "mask": post.mask}
            if post.has_successor:
                f["choice"] = next(got)
            if post.destinations:
                f["where"] = next(got)  # named destinations, then anywhere else
            factors.append(f)
        return factors

    return evaluate


def enumerate_joint(inputs: ModelInputs, values: dict) -> tuple[float, list[np.ndarray]]:
    """Return log evidence and each post's posterior over observable states by full enumeration."""
    T = inputs.T
    posts = inputs.posts
    factors = local_factors(inputs, values)
    parent = {child: (i, k) for i, p in enumerate(posts) for child, k in p.children}
    top_down = list(reversed(inputs.order))  # parents before children
    axes = []
    for post in posts:
        axes.append(range(T + 1))
        axes.append(range(post.n_cand + 1) if post.has_successor else range(1))
        # How many months after the vacancy the appointee leaves his own post, each equally likely
        # unless a season ends within the lag (then he leaves at its end: _appointee_leaves).
        axes.append(range(post.appointment_lag + 1))
        # Where he goes if he leaves of his own accord (named destinations, anywhere else).
        axes.append(range(len(post.destinations) + 1) if post.destinations else range(1))
    total = 0.0
    marg = [np.zeros(p.n_obs(T)) for p in posts]
    for combo in itertools.product(*axes):
        own, succ, lag, where = combo[0::4], combo[1::4], combo[2::4], combo[3::4]
        dep = [0] * len(posts)
        weight, loglik, obs = 1.0, 0.0, [0] * len(posts)
        for i in top_down:
            post, f = posts[i], factors[i]
            weight /= post.appointment_lag + 1
            pull = T
            if i in parent:
                p, k = parent[i]
                if succ[p] == k and dep[p] < T:
                    pull = _appointee_leaves(dep[p], lag[p], posts[p].appointment_lag,
                                             inputs.season_end)
            dep[i] = min(own[i], pull)
            weight *= f["p_own"][own[i]]
            if post.has_successor:
                if dep[i] < T:
                    weight *= f["choice"][dep[i], succ[i]]
                    obs[i] = dep[i] * (post.n_cand + 1) + succ[i]
                else:
                    weight *= float(succ[i] == 0)
                    obs[i] = T * (post.n_cand + 1)
            elif post.destinations:
                if dep[i] == T:
                    weight *= float(where[i] == 0)
                    obs[i] = T * post.n_dest
                elif own[i] < pull:  # left of his own accord
                    weight *= f["where"][where[i]]
                    obs[i] = dep[i] * post.n_dest + where[i]
                else:  # pulled to the vacancy whose candidate he is
                    weight *= float(where[i] == 0)
                    obs[i] = dep[i] * post.n_dest + post.n_dest - 1
            else:
                obs[i] = dep[i]
            weight *= f["mask"][obs[i]]
            loglik += f["loglik"][obs[i]]
        w = weight * np.exp(loglik)
        total += w
        for i in range(len(posts)):
            marg[i][obs[i]] += w
    return float(np.log(total)), [m / total for m in marg]


def _appointee_leaves(vacancy: int, step: int, lag: int, season_end: np.ndarray) -> int:
    """Return the month an appointee leaves his post: at the first season end in the lag, if any."""
    T = len(season_end)
    for month in range(vacancy, min(vacancy + lag, T - 1) + 1):
        if season_end[month]:
            return month
    return min(vacancy + step, T)
