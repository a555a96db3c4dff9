"""The marginalised computation equals brute-force enumeration, and probabilities are coherent."""

import numpy as np
import pytest

from forecast.data.scenario import Scenario
from forecast.errors import DataValidationError
from forecast.evaluation.bruteforce import enumerate_joint
from forecast.evaluation.simulate import random_inputs
from forecast.features.inputs import build_inputs
from forecast.model.draws import draw_params
from forecast.model.outcomes import compile_state_posterior
from forecast.priors import resolve_priors

PRIORS = resolve_priors()


def _matches_brute_force(inputs, values, mode="FAST_RUN"):
    """Check message passing against enumeration at ``values``; return both marginals."""
    evaluate = compile_state_posterior(inputs, chunk=1, mode=mode)
    log_z, marg = evaluate({n: np.asarray(v)[None] for n, v in values.items()})
    marg = [m[0] for m in marg]
    ref_log_z, ref_marg = enumerate_joint(inputs, values)
    assert log_z[0] == pytest.approx(ref_log_z, abs=1e-9)
    for got, ref in zip(marg, ref_marg, strict=True):
        np.testing.assert_allclose(got, ref, atol=1e-9)
        assert got.sum() == pytest.approx(1.0, abs=1e-9)
    return marg, ref_marg


# Every backend the package uses: C on eight random structures (quick to compile), numba (the
# production backend, cached on disk) on two of them; half of them run with the slow checks.
SLOW = pytest.mark.slow


@pytest.mark.parametrize("seed,mode", [(s, "FAST_RUN") for s in range(4)] + [(1, "NUMBA")]
                         + [pytest.param(s, "FAST_RUN", marks=SLOW) for s in range(4, 8)]
                         + [pytest.param(6, "NUMBA", marks=SLOW)])
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
    marg, _ = _matches_brute_force(inputs, values, mode)
    assert np.all(marg[masked][post.mask == 0] < 1e-12)


@pytest.mark.parametrize("seed,n_cand,chain,lag", [(1, 1, True, 0), (3, 0, False, 0), (4, 3, True, 2),
                                                 pytest.param(0, 2, False, 0, marks=SLOW),
                                                 pytest.param(2, 2, False, 1, marks=SLOW)])
def test_where_he_goes_equals_brute_force(seed, n_cand, chain, lag):
    """A departure question naming destinations: his own exit goes to one of them or anywhere
    else, a pull goes to the vacancy; reports of a move to a named club weigh the right states."""
    rng = np.random.default_rng(300 + seed)
    inputs = random_inputs(rng, T=int(rng.integers(2, 5)), n_cand=n_cand, n_terms=int(rng.integers(3, 9)),
                           chain=chain, destinations=int(rng.integers(1, 4)))
    for post in inputs.posts:
        if post.has_successor:
            post.appointment_lag = lag
    mover = inputs.posts[-1]
    assert (mover.pulled_to is not None) == bool(n_cand)
    mover.mask = (rng.random(mover.mask.size) < 0.8).astype(float)
    mover.mask[-1] = 1.0
    values = draw_params(rng, PRIORS, inputs)
    assert len(values["destination_appeal"]) == len(mover.destinations)
    _, ref_marg = _matches_brute_force(inputs, values)
    # The destination is not a relabelling: a different appeal moves the answer.
    values["destination_appeal"] = values["destination_appeal"] + 2 * np.eye(len(mover.destinations))[0]
    assert np.abs(enumerate_joint(inputs, values)[1][-1] - ref_marg[-1]).max() > 1e-6


@pytest.mark.parametrize("seed,lag,season_end", [(0, 1, "drawn"), (1, 2, "second month"),
                                                  (2, 1, "none"),
                                                  pytest.param(5, 2, "drawn", marks=SLOW)])
def test_an_appointment_months_after_the_vacancy_equals_brute_force(seed, lag, season_end):
    """The appointee may leave his own post up to ``lag`` months after the vacancy opens: at a
    season end if one falls in those months, otherwise in any of them."""
    from forecast.features.periods import lag_matrix

    rng = np.random.default_rng(200 + seed)
    inputs = random_inputs(rng, T=int(rng.integers(3, 5)), n_cand=int(rng.integers(1, 3)),
                           n_terms=int(rng.integers(0, 6)), chain=bool(seed % 2))
    if season_end != "drawn":
        inputs.season_end = np.eye(inputs.T)[1] * (season_end == "second month")
    for post in inputs.posts:
        if post.has_successor:
            post.appointment_lag = lag
    values = draw_params(rng, PRIORS, inputs)
    _, ref_marg = _matches_brute_force(inputs, values)
    # Without the lag the appointee's own exit comes earlier: the lag is used, not ignored.
    assert not np.array_equal(lag_matrix(inputs.T, lag, inputs.season_end), np.eye(inputs.T + 1))
    for post in inputs.posts:
        post.appointment_lag = 0
    # Relative: where the appointee is an unlikely choice, his exit's months are small numbers.
    assert not np.allclose(enumerate_joint(inputs, values)[1][1], ref_marg[1], rtol=1e-3, atol=0)


def test_an_appointee_leaves_at_a_season_end_within_the_lag():
    from forecast.features.periods import lag_matrix

    season_end = np.array([0.0, 0.0, 1.0, 0.0, 0.0, 0.0])
    got = lag_matrix(6, 2, season_end)
    np.testing.assert_allclose(got.sum(axis=1), 1.0)
    for vacancy in (0, 1, 2):  # named in March, April or May: leaves after May's last match
        np.testing.assert_array_equal(got[vacancy], np.eye(7)[2])
    np.testing.assert_allclose(got[3, 3:6], 1 / 3)  # no season end ahead: any of the months
    np.testing.assert_allclose(got[5, [5, 6]], [1 / 3, 2 / 3])  # past the horizon counts as T
    np.testing.assert_array_equal(lag_matrix(6, 0, season_end), np.eye(7))


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


@pytest.mark.parametrize("months", [0, 2])
def test_an_appointee_may_leave_his_club_after_the_vacancy_opens(scenario_copy, months):
    """Brazil in 2025: the post fell vacant in March, Ancelotti was named in May and left Real
    Madrid at the end of May. Told here of Real Madrid and Alonso (vacancy in March 2025, Alonso
    named and leaving Leverkusen in May): impossible when the appointee must leave in the
    vacancy month, possible when the question allows an appointment two months later."""
    import dataclasses
    import datetime as dt

    facts = scenario_copy.parent.parent / "facts.csv"
    url = "https://example.org/fact"
    facts.write_text(facts.read_text()
                     + f"X1,2025-03-10,left,Carlo Ancelotti,Real Madrid,,0,{url},vacancy in March\n"
                     + f"X2,2025-05-12,appointed,Xabi Alonso,Real Madrid,,0,{url},named in May\n"
                     + f"X3,2025-05-25,left,Xabi Alonso,Bayer Leverkusen,,0,{url},leaves in May\n")
    text = scenario_copy.read_text()
    scenario_copy.write_text(text.replace("club: Real Madrid\n    candidates:",
                                          f"club: Real Madrid\n    appointment_months: {months}"
                                          "\n    candidates:"))
    scenario = Scenario.load(scenario_copy)
    if months == 0:  # refused before any sampling, naming the clubs and the way out
        with pytest.raises(DataValidationError, match="Real Madrid, Bayer Leverkusen.*"
                                                       "appointment_months"):
            build_inputs(scenario, dt.date(2025, 6, 30))
        # With a what-if assumption in play the message blames it along with the facts.
        assumed = dataclasses.replace(scenario, assumed={"r015": True})
        with pytest.raises(DataValidationError) as err:
            build_inputs(assumed, dt.date(2025, 6, 30))
        problem, = err.value.problems
        assert problem.file == "what-if" and problem.message.startswith(
            "the facts and what-if assumptions about Real Madrid, Bayer Leverkusen")
        return
    inputs = build_inputs(scenario, dt.date(2025, 6, 30))
    madrid = next(p for p in inputs.posts if p.club == "Real Madrid")
    assert madrid.appointment_lag == months
    draws = [draw_params(np.random.default_rng(s), PRIORS, inputs) for s in range(4)]
    log_z, marg = compile_state_posterior(inputs, chunk=4)(
        {n: np.stack([d[n] for d in draws]) for n in draws[0]})
    assert np.all(np.isfinite(log_z))
    alonso = next(i for i, p in enumerate(inputs.posts) if p.coach == "Xabi Alonso")
    may = inputs.grid.labels.index("2025-05")
    dep, _ = inputs.posts[alonso].states(inputs.T)
    np.testing.assert_allclose(marg[alonso][:, dep == may].sum(axis=1), 1.0)


@pytest.mark.parametrize("destinations", [0, 2])
def test_linked_facts_are_refused_exactly_when_no_joint_outcome_fits(destinations):
    """check_links agrees with brute force: it refuses the facts iff the evidence is zero.

    Facts name the linked candidate as the successor in one month and pin his own exit to
    another (with destinations: allow a random few of his states), with appointment lags of 0
    to 2 months: some combinations fit, some do not.
    """
    from forecast.features.links import check_links, tree_order

    seen = set()
    for seed in range(10):
        rng = np.random.default_rng(300 + seed)
        inputs = random_inputs(rng, T=3, n_cand=2, n_terms=0, destinations=destinations)
        vacancy, child = inputs.posts
        vacancy.appointment_lag = seed % 3
        dep, succ = vacancy.states(inputs.T)
        vacancy.mask = ((succ == 0) & (dep == rng.integers(inputs.T))).astype(float)
        if destinations:
            child.mask = (rng.random(child.mask.size) < 0.25).astype(float)
            child.mask[int(rng.integers(child.mask.size))] = 1.0
        else:
            child.mask = (child.states(inputs.T)[0] == rng.integers(inputs.T)).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            possible = bool(np.isfinite(enumerate_joint(inputs, draw_params(rng, PRIORS, inputs))[0]))
        seen.add(possible)
        if possible:
            check_links(inputs.posts, *tree_order(inputs.posts), inputs.season_end, "facts.csv")
        else:
            with pytest.raises(DataValidationError, match="contradict"):
                check_links(inputs.posts, *tree_order(inputs.posts), inputs.season_end, "facts.csv")
    assert seen == {True, False}


@pytest.mark.parametrize("destinations", [0, 2])
def test_the_simulator_draws_the_outcome_the_likelihood_sums_over(destinations):
    """SBC's simulator and brute force agree on the prior outcome of a design with a lag, and
    with a departure question naming destinations."""
    from forecast.evaluation.bruteforce import local_factors
    from forecast.evaluation.simulate import simulate_outcome

    rng = np.random.default_rng(7)
    inputs = random_inputs(rng, T=3, n_cand=1, n_terms=0, destinations=destinations)
    inputs.posts[0].appointment_lag = 2
    values = draw_params(rng, PRIORS, inputs)
    values["appeal"] = np.array([3.0])  # the linked candidate is usually chosen
    values["sack_base"] = np.asarray(-1.0)  # and the vacancy usually opens early
    _, exact = enumerate_joint(inputs, values)
    factors = local_factors(inputs, values)
    n = 20_000
    drawn = np.array([simulate_outcome(rng, inputs, factors)[1] for _ in range(n)])
    freq = np.bincount(drawn, minlength=exact[1].size) / n
    np.testing.assert_allclose(freq, exact[1], atol=4 * np.sqrt(0.25 / n))


def test_a_lag_that_reaches_a_season_end_frees_a_contracted_coach():
    from forecast.features.periods import choice_season_end

    season_end = np.array([0.0, 0.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(choice_season_end(0, season_end), season_end)
    np.testing.assert_array_equal(choice_season_end(2, season_end), [1, 1, 1, 0, 0])
