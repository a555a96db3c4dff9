"""The marginalised computation equals brute-force enumeration, and probabilities are coherent."""

import numpy as np
import pytest

from forecast.data.scenario import Scenario
from forecast.evaluation.bruteforce import enumerate_joint
from forecast.evaluation.simulate import draw_params, random_inputs
from forecast.features.inputs import build_inputs
from forecast.model.outcomes import compile_state_posterior
from forecast.priors import resolve_priors

PRIORS = resolve_priors()


# Every backend the package uses: C on eight random structures (quick to compile), numba (the
# production backend, cached on disk) on two of them.
@pytest.mark.parametrize("seed,mode", [(s, "FAST_RUN") for s in range(8)]
                         + [(s, "NUMBA") for s in (1, 6)])
def test_message_passing_equals_brute_force(seed, mode):
    rng = np.random.default_rng(seed)
    inputs = random_inputs(rng, T=int(rng.integers(2, 5)), n_cand=int(rng.integers(1, 4)),
                           n_terms=int(rng.integers(0, 9)), chain=bool(seed % 2))
    inputs.discount = float(rng.uniform(0.2, 1.0))  # further reports of a claim count less
    values = draw_params(rng, PRIORS, inputs)
    # Facts: rule out a random subset of states of one post (never all of them).
    masked = int(rng.integers(len(inputs.posts)))
    post = inputs.posts[masked]
    post.mask = (rng.random(post.mask.size) < 0.7).astype(float)
    post.mask[int(rng.integers(post.mask.size))] = 1.0
    evaluate = compile_state_posterior(inputs, chunk=1, mode=mode)
    log_z, marg = evaluate({n: np.asarray(v)[None] for n, v in values.items()})
    log_z, marg = log_z[0], [m[0] for m in marg]
    ref_log_z, ref_marg = enumerate_joint(inputs, values)
    assert log_z == pytest.approx(ref_log_z, abs=1e-9)
    for got, ref in zip(marg, ref_marg, strict=True):
        np.testing.assert_allclose(got, ref, atol=1e-9)
        assert got.sum() == pytest.approx(1.0, abs=1e-9)
    assert np.all(marg[masked][post.mask == 0] < 1e-12)


def test_coupling_leaving_bounds_taking_the_job():
    """P(he has left his club by t) >= P(he was appointed at the vacancy by t), draw by draw."""
    scenario = Scenario.load()
    inputs = build_inputs(scenario)
    evaluate = compile_state_posterior(inputs)
    rng = np.random.default_rng(3)
    T = inputs.T
    vac = next(i for i, p in enumerate(inputs.posts) if p.has_successor)
    for child, k in inputs.posts[vac].children:
        draws = [draw_params(rng, PRIORS, inputs) for _ in range(20)]
        _, marg = evaluate({n: np.stack([d[n] for d in draws]) for n in draws[0]})
        dep_v, succ_v = inputs.posts[vac].states(T)
        dep_c, _ = inputs.posts[child].states(T)
        for t in range(T):
            took = marg[vac][:, (succ_v == k) & (dep_v <= t)].sum(axis=1)
            left = marg[child][:, dep_c <= t].sum(axis=1)
            assert np.all(left >= took - 1e-12)


def test_facts_constrain_the_outcome():
    """As of mid-June 2025 the official facts fix both answers."""
    import datetime as dt

    scenario = Scenario.load()
    inputs = build_inputs(scenario, dt.date(2025, 6, 15))
    values = draw_params(np.random.default_rng(0), PRIORS, inputs)
    _, marg = compile_state_posterior(inputs)({n: np.asarray(v)[None] for n, v in values.items()})
    marg = [m[0] for m in marg]
    rm = next(i for i, p in enumerate(inputs.posts) if p.club == "Real Madrid")
    post = inputs.posts[rm]
    dep, succ = post.states(inputs.T)
    alonso = post.candidates.index("Xabi Alonso")
    assert marg[rm][succ == alonso].sum() == pytest.approx(1.0)
    assert marg[rm][dep == inputs.grid.labels.index("2025-05")].sum() == pytest.approx(1.0)
    lev = next(i for i, p in enumerate(inputs.posts) if p.club == "Bayer Leverkusen")
    assert marg[lev][inputs.grid.labels.index("2025-05")] == pytest.approx(1.0)
    # Kompany had not left by the as-of date: no probability on months before it.
    bay = next(i for i, p in enumerate(inputs.posts) if p.club == "Bayern Munich")
    assert marg[bay][: inputs.grid.labels.index("2025-06")].sum() < 1e-12


def test_numpy_reliability_matches_the_model():
    import pytensor

    from forecast.evaluation.simulate import reliability_psi
    from forecast.features.arrays import model_data
    from forecast.model.likelihood import reliability_logit
    from forecast.model.outcomes import symbolic_params

    rng = np.random.default_rng(5)
    inputs = random_inputs(rng)
    inputs.unit_prior[0] = (1.0, 0.3, 0.7)  # one source with a learned reliability
    params = symbolic_params(inputs)
    fn = pytensor.function(list(params.values()), reliability_logit(params, model_data(inputs)),
                           on_unused_input="ignore")
    values = draw_params(rng, PRIORS, inputs)
    got = fn(*[np.asarray(values[n], dtype="float64") for n in params])
    np.testing.assert_allclose(got, reliability_psi(values, inputs), atol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_a_vacancy_with_no_names_yet_equals_brute_force(seed):
    """A successor question before anyone is named: 'not listed' is the only named outcome."""
    rng = np.random.default_rng(100 + seed)
    inputs = random_inputs(rng, T=int(rng.integers(2, 5)), n_cand=0, n_terms=int(rng.integers(0, 6)))
    post = inputs.posts[0]
    assert post.has_successor and post.n_cand == 0 and post.n_obs(inputs.T) == inputs.T + 1
    values = draw_params(rng, PRIORS, inputs)
    evaluate = compile_state_posterior(inputs, chunk=1)
    log_z, marg = evaluate({n: np.asarray(v)[None] for n, v in values.items()})
    ref_log_z, ref_marg = enumerate_joint(inputs, values)
    assert np.isfinite(log_z[0]) and log_z[0] == pytest.approx(ref_log_z, abs=1e-9)
    for got, ref in zip([m[0] for m in marg], ref_marg, strict=True):
        np.testing.assert_allclose(got, ref, atol=1e-9)
    # Given a vacancy in month d, the successor is 'not listed' with probability 1.
    dep, succ = post.states(inputs.T)
    assert set(succ[dep < inputs.T]) == {0}


def test_a_reversed_departure_no_longer_pins_the_exit():
    """Xavi announced in January 2024 that he would leave Barcelona in June, then stayed (April):
    before the reversal the announcement fixes his exit month, after it nothing does."""
    import datetime as dt

    from conftest import DATA

    scenario = Scenario.load(DATA / "cases" / "barcelona-2024" / "scenario.yaml")

    def exit_months(as_of):
        post = next(p for p in build_inputs(scenario, as_of).posts if p.club == "Barcelona")
        dep, _ = post.states(len(post.expiry))
        return sorted(set(dep[post.mask > 0].tolist()))

    june = 1  # the case's months start in May 2024
    assert exit_months(dt.date(2024, 3, 1)) == [june]
    assert len(exit_months(dt.date(2024, 5, 20))) > 2


@pytest.mark.parametrize("interim_counts", [False, True])
def test_an_interim_answers_the_question_only_when_it_says_so(tmp_path, interim_counts):
    """Manchester United, 28 October 2024: van Nistelrooy took interim charge, Amorim was named
    on 1 November. A question that counts interims is answered by the first (someone not
    listed); the usual question is not answered until Amorim."""
    import datetime as dt
    import shutil

    from conftest import DATA

    shutil.copytree(DATA / "cases" / "man-utd-2024", tmp_path / "cases" / "man-utd-2024")
    for name in ("sources.csv", "track_record.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    shutil.copytree(DATA / "results", tmp_path / "results")
    path = tmp_path / "cases" / "man-utd-2024" / "scenario.yaml"
    if interim_counts:
        path.write_text(path.read_text().replace("club: Manchester United\n    candidates:",
                                                 "club: Manchester United\n    interim_counts: true"
                                                 "\n    candidates:"))
    scenario = Scenario.load(path)
    assert any(q.interim_counts for q in scenario.spec.questions) == interim_counts
    post = next(p for p in build_inputs(scenario, dt.date(2024, 10, 30)).posts if p.has_successor)
    _, succ = post.states(len(post.expiry))
    allowed = set(succ[post.mask > 0].tolist())
    assert allowed == {post.n_cand} if interim_counts else len(allowed) > 2
