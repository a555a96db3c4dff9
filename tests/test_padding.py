"""Padding to size buckets changes no probability, and similar scenarios share one structure."""

import numpy as np
import pytest

from forecast.evaluation.bruteforce import enumerate_joint
from forecast.evaluation.simulate import random_inputs
from forecast.features.arrays import model_data
from forecast.features.padding import pad_inputs
from forecast.model.draws import draw_params
from forecast.model.outcomes import compile_state_posterior
from forecast.priors import resolve_priors

PRIORS = resolve_priors()


def _random(seed: int, lag: int = 0, destinations: int = 0):
    rng = np.random.default_rng(500 + seed)
    inputs = random_inputs(rng, T=int(rng.integers(2, 6)), n_cand=int(rng.integers(0, 4)),
                           n_terms=int(rng.integers(0, 8)), chain=bool(seed % 2),
                           destinations=destinations)
    for post in inputs.posts:
        if post.has_successor:
            post.appointment_lag = lag
        post.mask = (rng.random(post.mask.size) < 0.8).astype(float)
        post.mask[-1] = 1.0  # "still in post" stays possible
    inputs.discount = float(rng.uniform(0.3, 1.0))
    return inputs, draw_params(rng, PRIORS, inputs)


@pytest.mark.parametrize("seed,lag,destinations", [(0, 0, 0), (1, 0, 0), (2, 1, 0), (3, 2, 0),
                                                   (4, 0, 2), (5, 1, 1)])
def test_padded_message_passing_equals_brute_force_on_the_real_inputs(seed, lag, destinations):
    inputs, values = _random(seed, lag, destinations)
    padded = pad_inputs(inputs)
    assert padded.inputs.T % 4 == 0 and padded.inputs.T >= inputs.T
    evaluate = compile_state_posterior(padded.inputs, chunk=1)
    log_z, marg = evaluate(padded.values({n: np.asarray(v)[None] for n, v in values.items()}))
    ref_log_z, ref_marg = enumerate_joint(inputs, values)
    assert log_z[0] == pytest.approx(ref_log_z, abs=1e-9)
    for got, index, ref in zip(marg, padded.states, ref_marg, strict=True):
        np.testing.assert_allclose(got[0, index], ref, atol=1e-9)
        assert got[0, index].sum() == pytest.approx(1.0, abs=1e-9)  # padding states get nothing
    for got, ref in zip(padded.marginals([m[0] for m in marg]), ref_marg, strict=True):
        np.testing.assert_allclose(got, ref, atol=1e-9)


@pytest.mark.parametrize("seed,lag,destinations", [(0, 0, 0), (3, 2, 0), (5, 1, 1)])
def test_padding_the_arrays_gives_the_padded_inputs_arrays(seed, lag, destinations):
    """Arrays edited in the real layout (a rumour left out) are padded as the inputs are."""
    inputs, _ = _random(seed, lag, destinations)
    padded = pad_inputs(inputs)
    want = model_data(padded.inputs)
    got = padded.data()
    assert list(got) == list(want)
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)
        assert got[name].dtype.kind == want[name].dtype.kind, name


def test_scenarios_of_similar_size_share_a_structure_and_others_do_not():
    # (Rumour rows are padded by build_inputs, not here: these designs have none.)
    rng = np.random.default_rng(7)
    small = random_inputs(rng, T=5, n_cand=3, n_terms=0, chain=False)
    large = random_inputs(rng, T=8, n_cand=4, n_terms=0, chain=False)
    assert small.structure_key() != large.structure_key()
    assert pad_inputs(small).inputs.structure_key() == pad_inputs(large).inputs.structure_key()
    other = random_inputs(rng, T=9, n_cand=4, n_terms=0, chain=False)
    assert pad_inputs(other).inputs.structure_key() != pad_inputs(large).inputs.structure_key()


def test_two_resolved_cases_of_different_sizes_share_one_compiled_structure():
    """germany-2021 names 5 candidates and 5 sources, tottenham-2019 6 candidates and 3 sources:
    after build_inputs' rumour and source buckets and the padding, one compiled model serves
    both (the benchmark's ``reuse`` section times it)."""
    from pathlib import Path

    from forecast.data.scenario import Scenario
    from forecast.features.inputs import build_inputs

    cases = Path(__file__).resolve().parents[1] / "data" / "cases"
    one, two = (build_inputs(Scenario.load(cases / name / "scenario.yaml"))
                for name in ("germany-2021", "tottenham-2019"))
    assert [p.n_cand for p in one.posts] != [p.n_cand for p in two.posts]
    assert one.structure_key() != two.structure_key()
    assert pad_inputs(one).inputs.structure_key() == pad_inputs(two).inputs.structure_key()


@pytest.mark.slow
def test_a_fit_on_padded_inputs_reports_only_the_real_candidates_and_months():
    """arsenal-2018 (13 months, 5 candidates) is sampled as 16 months and 6 candidates; what a
    reader sees has neither the spare candidate nor the padded months."""
    from pathlib import Path

    from forecast.data.scenario import Scenario
    from forecast.dims import AFTER, CANDIDATE, NO_VACANCY, NOT_LISTED, slug
    from forecast.inference.fit import fit

    case = Path(__file__).resolve().parents[1] / "data" / "cases" / "arsenal-2018" / "scenario.yaml"
    result = fit(Scenario.load(case), draws=100, tune=100, chains=2)
    inputs = result.inputs
    padded = pad_inputs(inputs).inputs
    assert padded.T > inputs.T and padded.posts[0].n_cand > inputs.posts[0].n_cand
    posterior = result.idata.posterior
    assert list(posterior["appeal"].coords[CANDIDATE].values) == inputs.coords()[CANDIDATE]
    s = slug(inputs.posts[0].club)
    outcomes = posterior[f"successor_{s}"]
    assert list(outcomes.coords[f"{s}_outcome"].values) == [*inputs.posts[0].candidates,
                                                            NOT_LISTED, NO_VACANCY]
    np.testing.assert_allclose(outcomes.sum(f"{s}_outcome"), 1.0, atol=1e-9)
    assert list(posterior["departure"].coords["month_out"].values) == [*inputs.grid.labels, AFTER]
    np.testing.assert_allclose(posterior["departure"].sum("month_out"), 1.0, atol=1e-9)
