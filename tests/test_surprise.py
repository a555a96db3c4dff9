"""A report counts for more the less expected its proposition was (forecast.features.surprise)."""

import numpy as np
import pytest

from forecast.data.scenario import Scenario
from forecast.features.inputs import build_inputs
from forecast.features.surprise import PRIOR_FLOOR, report_priors, set_surprise, surprise


def posterior(prior: float, x: float, offset: float) -> float:
    """P(proposition | one report of it) under the report channel with logit ``x + offset``."""
    rho = 0.5 + 0.5 / (1 + np.exp(-(x + offset)))
    return prior * rho / (prior * rho + (1 - prior) * (1 - rho))


@pytest.mark.parametrize("g", [0.005, 0.05, 0.3, 0.8])
def test_with_exponent_one_a_report_takes_any_prior_the_same_share_of_the_way(g):
    # The informed-source story: a report moves its proposition a share q of the way to certain,
    # q set by the source (x) and the claim kind's base rate b, whatever the prior g.
    x, b = 0.7, -1.2
    offset = surprise(np.array([[1.0, 0.0]]), np.array([g, 1 - g]), np.array([b]), 1.0)[0]
    share = 2 * np.exp(x) / (1 + np.exp(-b))
    q = share / (1 + share)
    assert posterior(g, x, offset) == pytest.approx(q + (1 - q) * g)


def test_a_report_of_the_expected_counts_less_than_a_scoop():
    truth = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    prior = np.array([0.6, 0.3, 0.1])
    offsets = surprise(truth, prior, np.full(3, -1.0), 0.25)
    assert offsets[0] < offsets[1] < offsets[2]
    # At the base rate itself a report counts as learned; never from a prior below the floor.
    assert surprise(np.array([[1.0, 0.0]]), np.array([0.25, 0.75]), np.array([np.log(1 / 3)]),
                    0.25)[0] == pytest.approx(0.0)
    tiny = surprise(np.array([[1.0, 0.0]]), np.array([1e-9, 1.0]), np.array([0.0]), 1.0)[0]
    assert tiny == pytest.approx(np.log(0.5 / PRIOR_FLOOR))


def test_each_counted_rumour_gets_its_own_kind_strength_and_proposition():
    scenario = Scenario.load()
    inputs = build_inputs(scenario)
    kinds = sorted(set(scenario.rumours["claim"]))
    base = {k: -0.5 * j for j, k in enumerate(kinds)}  # a different base rate per claim kind
    prior = [np.full(p.n_obs(inputs.T), 1.0 / p.n_obs(inputs.T)) for p in inputs.posts]
    by_strength = {"weak": 0.5, "medium": 1.0, "strong": 2.0}
    set_surprise(inputs, prior, base, by_strength)
    claim = dict(zip(scenario.rumours["id"], scenario.rumours["claim"], strict=True))
    priors = report_priors(inputs)
    counted = [e for e in inputs.coding if e.status == "counted"]
    assert set(priors) == {e.rumour_id for e in counted}
    for i, post in enumerate(inputs.posts):
        mine = [e for e in counted if e.proposition.post == i]
        for j, e in enumerate(mine):
            g = post.truth[j].mean()
            assert priors[e.rumour_id] == pytest.approx(g)
            log_base = -np.log1p(np.exp(-base[claim[e.rumour_id]]))
            assert post.term_surprise[j] == pytest.approx(by_strength[e.strength] * (log_base - np.log(g)))
        assert not post.term_surprise[len(mine):].any()  # spare rows


def test_a_what_if_assumption_leaves_every_reports_surprise_as_it_was():
    # Conditioning on a claim must not change how the other reports are weighed: the prior
    # behind the surprise keeps the facts and leaves the assumption out.
    import dataclasses

    from forecast.inference.states import prior_marginals
    from forecast.priors import resolve_priors

    scenario = Scenario.load()
    base = build_inputs(scenario)
    assumed = build_inputs(dataclasses.replace(scenario, assumed={"r012": False}))
    assert any(not np.array_equal(a.mask, b.mask) for a, b in zip(assumed.posts, base.posts, strict=True))
    for a, b in zip(prior_marginals(assumed, resolve_priors(), draws=200),
                    prior_marginals(base, resolve_priors(), draws=200), strict=True):
        np.testing.assert_array_equal(a, b)
