"""Model structure without sampling: names, dims, finite log density and gradient."""

import numpy as np
import pymc as pm
import pytest

from forecast.data.scenario import Scenario
from forecast.dims import CANDIDATE, SCALARS, SOURCE, VACANCY
from forecast.evaluation.simulate import random_inputs
from forecast.features.inputs import build_inputs
from forecast.model.succession import build_model
from forecast.priors import resolve_priors


@pytest.fixture(scope="module")
def default_model():
    inputs = build_inputs(Scenario.load())
    return inputs, build_model(inputs, resolve_priors())


def test_variables_and_dims_are_named_as_documented(default_model):
    inputs, model = default_model
    names = {v.name for v in model.free_RVs}
    assert names == {*SCALARS, "source_sd", "appeal", "not_listed", "source_z"}
    assert model.named_vars_to_dims["appeal"] == (CANDIDATE,)
    assert model.named_vars_to_dims["not_listed"] == (VACANCY,)
    assert model.named_vars_to_dims["source_z"] == (SOURCE,)
    assert model.coords[CANDIDATE][0] == "Real Madrid: Xabi Alonso"
    assert list(model.coords[SOURCE]) == inputs.units
    assert "evidence" in {p.name for p in model.potentials}


def test_logp_and_gradient_finite_at_initial_point(default_model):
    _, model = default_model
    point = model.initial_point()
    assert np.isfinite(model.compile_logp()(point))
    grad = model.compile_dlogp()(point)
    assert np.all(np.isfinite(grad)) and np.any(grad != 0)


@pytest.mark.parametrize("seed", [0, 1, pytest.param(2, marks=pytest.mark.slow)])
def test_random_scenarios_have_finite_gradients(seed):
    inputs = random_inputs(np.random.default_rng(seed), chain=bool(seed % 2))
    model = build_model(inputs, resolve_priors())
    point = model.initial_point()
    assert np.all(np.isfinite(model.compile_dlogp()(point)))


def test_scenario_prior_override_reaches_the_model(scenario_copy):
    text = scenario_copy.read_text() + "priors:\n  sack_base: {mu: -2.0, sigma: 0.1}\n"
    scenario_copy.write_text(text)
    scenario = Scenario.load(scenario_copy)
    priors = resolve_priors(scenario.spec.priors)
    assert priors["sack_base"].mu == -2.0 and "override" in priors["sack_base"].citation
    # The model built from those priors draws sack_base from N(-2.0, 0.1), not the default.
    model = build_model(build_inputs(scenario), priors)
    draws = pm.draw(model["sack_base"], draws=4000, random_seed=1)
    assert abs(draws.mean() - (-2.0)) < 0.01 and abs(draws.std() - 0.1) < 0.01


def test_the_state_posterior_uses_pymcs_compiler_flags_without_importing_pymc():
    """Compiled C modules are cached under their compiler flags: a process that reweights a saved
    run (no PyMC import) must compile the state posterior with the flags of one that imported
    PyMC (this one), or it recompiles what the full run cached."""
    import subprocess
    import sys

    import pytensor

    from forecast.model.outcomes import set_compiler_flags

    code = ("import sys, pytensor\nimport forecast.inference.refresh\n"
            "from forecast.model.outcomes import set_compiler_flags\nset_compiler_flags()\n"
            "print('pymc' in sys.modules, pytensor.config.gcc__cxxflags)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    set_compiler_flags()
    assert out[0] == "False"
    assert sorted(out[1:]) == sorted(pytensor.config.gcc__cxxflags.split())
    assert len(set(out[1:])) == len(out[1:])  # each flag once


def test_own_staff_is_available_without_prising_him_from_another_club(default_model, scenario_copy):
    """Raul coaches Real Madrid's reserve team: never under contract elsewhere; coded as a
    Castilla employee he would be, in every month, and pay the availability penalty."""
    inputs, _ = default_model
    post = next(p for p in inputs.posts if p.asks_successor)
    raul = post.candidates.index("Raul Gonzalez")
    assert not post.employed[:, raul].any()
    text = scenario_copy.read_text().replace("club: Real Madrid Castilla\n        own_staff: true\n",
                                             "club: Real Madrid Castilla\n")
    scenario_copy.write_text(text)
    post = next(p for p in build_inputs(Scenario.load(scenario_copy)).posts if p.asks_successor)
    assert post.employed[:, raul].all()


def test_each_kind_of_tie_weighs_as_the_cases_chose(default_model):
    """A former player counts two ties and a former head coach half of one (TIE_WEIGHTS):
    Alonso played for Real Madrid, Zidane played for and coached it, Raul played for it and
    coaches its reserve team, Kompany has no tie."""
    inputs, _ = default_model
    post = next(p for p in inputs.posts if p.asks_successor)
    weight = dict(zip(post.candidates, post.ties, strict=True))
    assert weight["Xabi Alonso"] == 2.0 and weight["Zinedine Zidane"] == 2.5
    assert weight["Raul Gonzalez"] == 3.0 and weight["Vincent Kompany"] == 0.0
