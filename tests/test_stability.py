"""One report moves the forecast by what it deserves: a weak one a little, a strong one a lot.

Random scenarios, with parameters drawn from their priors and weighted by the evidence (the
posterior by importance sampling), and one report added through its data alone (weight, tier,
strength), so one compiled function serves before and after. Each report's surprise is weighed
against its proposition's prior in the design, as a fit does (forecast.features.surprise).
"""

import numpy as np
import pytest
from conftest import strong_top_tier_hit_rate

from forecast.data.schemas import STRENGTHS
from forecast.evaluation.simulate import random_design, random_proposition, set_terms
from forecast.features.arrays import model_data
from forecast.features.surprise import exponents, surprise
from forecast.model.draws import draw_params
from forecast.model.outcomes import compile_state_posterior
from forecast.priors import DISCOUNT, SURPRISE_EXPONENTS, resolve_priors

PRIORS = resolve_priors()
DRAWS = 2000
SEEDS = range(8)
WEAK, STRONG = 0, 2
NEW_UNIT = 4  # the reliability unit of the report under test
#: A claim kind's log-odds before anyone reports it: the middle of those the track record learns
#: (as of 15 November 2024: agreement -1.2, stays -1.5, joins -2.0, leaves -0.5).
BASE_LOGIT = -1.4


def design(seed):
    """A random scenario whose last report (by its own source) can be switched on and off."""
    rng = np.random.default_rng(seed)
    inputs, props, units, strengths = random_design(
        rng, T=int(rng.integers(3, 5)), n_cand=int(rng.integers(1, 4)), n_units=NEW_UNIT + 1,
        n_terms=int(rng.integers(2, 8)), chain=bool(seed % 2))
    inputs.discount = DISCOUNT
    extra = random_proposition(rng, inputs)
    units = [u % NEW_UNIT for u in units]
    set_terms(inputs, [*props, extra], [*units, NEW_UNIT], [*strengths, WEAK])
    for p in inputs.posts:
        p.term_surprise = None  # weighed once the design's prior is known (weigh_surprise)
    post = inputs.posts[extra.post]
    j = sum(p.post == extra.post for p in props)
    post.term_rank[j] = 0  # counted in full, the most a single report can move
    draws = [draw_params(rng, PRIORS, inputs) for _ in range(DRAWS)]
    values = {n: np.stack([np.asarray(d[n]) for d in draws]) for n in draws[0]}
    return inputs, extra, j, values


def weigh_surprise(inputs, evaluate, values):
    """Set every report's surprise from the design's prior state distributions (no rumour).

    Returns each post's surprise at exponent 1, for a report whose strength changes.
    """
    data = {k: np.zeros_like(v) if k.startswith("weight_") else v for k, v in model_data(inputs).items()}
    _, marg = evaluate(values, data)
    unit = []
    for post, m in zip(inputs.posts, marg, strict=True):
        unit.append(surprise(post.truth, m.mean(axis=0), np.full(len(post.term_weight), BASE_LOGIT), 1.0))
        strengths = [STRENGTHS[k] for k in post.term_strength]
        post.term_surprise = unit[-1] * exponents(strengths, SURPRISE_EXPONENTS)
    return unit


def posterior_states(evaluate, values, data):
    """Each post's posterior state distribution: prior draws weighted by their evidence."""
    log_z, marg = evaluate(values, data)
    w = np.exp(log_z - log_z.max())
    return [(w / w.sum()) @ m for m in marg]


def report_data(inputs, extra, j, tier, strength, on, unit):
    data = {k: v.copy() for k, v in model_data(inputs).items()}
    data["unit_tier"][NEW_UNIT] = tier - 1
    data[f"strength_{extra.post}"][j] = strength
    data[f"surprise_{extra.post}"][j] = unit[extra.post][j] * SURPRISE_EXPONENTS[STRENGTHS[strength]]
    data[f"weight_{extra.post}"][j] = float(on)
    return data


@pytest.fixture(scope="module", params=SEEDS)
def case(request):
    inputs, extra, j, values = design(request.param)
    evaluate = compile_state_posterior(inputs)
    unit = weigh_surprise(inputs, evaluate, values)

    def states(tier, strength, on):
        return posterior_states(evaluate, values, report_data(inputs, extra, j, tier, strength, on, unit))

    return inputs, extra, states


def test_one_weak_report_moves_no_probability_by_more_than_ten_points(case):
    inputs, extra, states = case
    before = states(4, WEAK, False)
    after = states(4, WEAK, True)
    # Total variation bounds the change of every probability about the post (any headline).
    moved = max(0.5 * np.abs(a - b).sum() for a, b in zip(after, before, strict=True))
    assert moved <= 0.10, moved


def test_one_strong_report_moves_its_claim_a_third_of_the_way(case, top_tier_hit_rate):
    inputs, extra, states = case
    post = inputs.posts[extra.post]
    truth = extra.truth(*post.states(inputs.T))
    p0 = states(1, STRONG, False)[extra.post] @ truth
    p1 = states(1, STRONG, True)[extra.post] @ truth
    assert p1 > p0
    # A strong report's likelihood ratio grows as its proposition's prior falls, as 1 / prior
    # (SURPRISE_EXPONENTS["strong"] = 1): whatever the prior, it takes it a third of the way.
    if p0 < top_tier_hit_rate:
        assert p1 - p0 >= (top_tier_hit_rate - p0) / 3, (p0, p1, top_tier_hit_rate)


@pytest.fixture(scope="module")
def top_tier_hit_rate():
    """Share of strong tier-1 claims not about the next weeks in the track record that came
    true (a random design's reports carry no window)."""
    from forecast.data.scenario import Scenario

    return strong_top_tier_hit_rate(Scenario.load())
