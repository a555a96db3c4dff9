"""What each fact did: the headline with that fact left out, on prior draws (no sampling)."""

import datetime as dt

import numpy as np
import pytest

from forecast.data.scenario import Scenario
from forecast.evaluation.simulate import prior_idata
from forecast.features.facts import describe_fact
from forecast.features.inputs import build_inputs
from forecast.inference.influence import fact_influence, headline_metrics
from forecast.inference.states import _CACHE, cached_state_posterior
from forecast.priors import resolve_priors

AS_OF = dt.date(2025, 5, 20)  # Alonso has announced his exit (F06); Ancelotti's comes later


@pytest.fixture(scope="module")
def later():
    _CACHE.clear()  # as in a new process
    scenario = Scenario.load()
    inputs = build_inputs(scenario, AS_OF)
    idata = prior_idata(inputs, resolve_priors(scenario.spec.priors), np.random.default_rng(0),
                        chains=2, draws=50)
    clubs = [p.club for p in inputs.posts]
    madrid, leverkusen = clubs.index("Real Madrid"), clubs.index("Bayer Leverkusen")
    alonso = inputs.posts[madrid].candidates.index("Xabi Alonso")
    metrics = headline_metrics(inputs, {madrid: alonso},
                               {leverkusen: inputs.grid.labels.index("2025-06")})
    return scenario, inputs, idata.posterior, metrics


def test_a_fact_that_pins_an_outcome_is_credited_with_it(later):
    scenario, inputs, posterior, metrics = later
    # The compiled function is shared by every inputs of one structure: loaded here for the
    # arrays of another date, it must still be evaluated on these inputs' own arrays.
    cached_state_posterior(build_inputs(scenario))
    table = fact_influence(scenario, inputs, None, resolve_priors(), posterior, metrics, max_draws=100)
    # F06 (Alonso leaves Leverkusen, 9 May 2025) pins his departure; F02 (his extension to
    # 2026) only repeats the contract end the scenario already states, F04 is about Bayern's
    # coach before Kompany, F08 comes after the as-of date: none of them gets a row.
    assert set(table["fact_id"]) == {"F06"}
    leaves = table[table["metric"].str.contains("leaves Bayer Leverkusen")].iloc[0]
    assert leaves["with"] == pytest.approx(1.0) and leaves["without"] < 0.95
    assert leaves["change_pp"] == pytest.approx(100 * (leaves["with"] - leaves["without"]))
    assert 1 <= leaves["weight_ess"] <= 100


def test_a_fact_is_said_as_the_model_reads_it():
    facts = Scenario.load().facts.set_index("id")
    assert describe_fact(facts.loc["F03"]) == ("Carlo Ancelotti's contract with Real Madrid runs "
                                               "to 30 June 2026 (official)")
    assert describe_fact(facts.loc["F09"]) == ("Xabi Alonso is appointed coach of Real Madrid, "
                                               "from 1 June 2025 (official)")
