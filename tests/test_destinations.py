"""Where does he go: a departure question that names clubs the coach may move to."""

import datetime as dt

import numpy as np
import pytest
import yaml

from forecast.data.scenario import Scenario
from forecast.errors import DataValidationError
from forecast.features.inputs import build_inputs


def _with_destinations(path, destinations, coach="Xabi Alonso"):
    doc = yaml.safe_load(path.read_text())
    question = next(q for q in doc["questions"] if q.get("coach") == coach)
    question["destinations"] = destinations
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return Scenario.load(path)


@pytest.fixture
def moving(scenario_copy):
    return _with_destinations(scenario_copy, ["Manchester City", "Liverpool"])


def test_a_report_of_a_move_to_a_named_club_is_coded_as_that_move(moving):
    inputs = build_inputs(moving)
    alonso = next(p for p in inputs.posts if p.coach == "Xabi Alonso")
    assert alonso.destinations == ["Manchester City", "Liverpool"] and alonso.pulled_to == "Real Madrid"
    T = inputs.T
    assert alonso.n_dest == 4 and alonso.n_obs(T) == 4 * T + 1
    coded = {e.rumour_id: e for e in inputs.coding}
    # r028b: DV (after Eurosport Spain) shortlists Alonso at Manchester City for summer 2025.
    city = coded["r028b"].proposition
    assert city.kind == "move" and city.destination == 0
    assert coded["r028b"].note.startswith("Xabi Alonso leaves Bayer Leverkusen for Manchester City")
    truth = alonso.truth_of(city, T)
    dest = alonso.destination_states(T)
    dep, _ = alonso.states(T)
    assert truth.sum() > 0 and np.all(dest[truth == 1] == 0) and np.all(np.isin(dep[truth == 1], city.months))
    # A move to a club the question does not name still says only that he leaves.
    assert coded["r024c"].proposition.kind == "leave"  # Bayern Munich


def test_without_destinations_the_same_report_says_he_leaves(scenario_copy):
    coded = {e.rumour_id: e for e in build_inputs(Scenario.load(scenario_copy)).coding}
    assert coded["r028b"].proposition.kind == "leave"


@pytest.mark.parametrize(("destinations", "needle"), [
    (["Real Madrid"], "has a successor question"),
    (["Bayer Leverkusen"], "own club"),
    (["Bayern Munich"], "is a tracked post"),
    (["Liverpool", "Liverpool"], "listed twice"),
    (["Brazil"], "Real Madrid has a successor question: where Carlo Ancelotti goes"),
    (["elsewhere", "Liverpool"], "an outcome the forecast names itself"),
    (["still in post"], "an outcome the forecast names itself"),
])
def test_a_destination_that_cannot_be_one_is_refused_with_its_field(scenario_copy, destinations, needle):
    coach = "Carlo Ancelotti" if destinations == ["Brazil"] else "Xabi Alonso"
    with pytest.raises(DataValidationError, match=needle) as err:
        _with_destinations(scenario_copy, destinations, coach)
    assert str(scenario_copy) in str(err.value) and "destinations" in str(err.value)


def test_an_appointment_elsewhere_pins_where_he_went(moving):
    # By August 2025 the facts say Alonso left Leverkusen and was appointed at Real Madrid:
    # the named clubs are ruled out; the pull there, or an exit of his own before it hired him.
    inputs = build_inputs(moving, dt.date(2025, 8, 31))
    alonso = next(p for p in inputs.posts if p.coach == "Xabi Alonso")
    allowed = alonso.mask > 0
    dest = alonso.destination_states(inputs.T)
    assert alonso.n_dest - 1 in set(dest[allowed]) <= {alonso.n_dest - 2, alonso.n_dest - 1}


def test_where_he_goes_sums_with_staying_to_one_and_matches_his_departure():
    from forecast.evaluation.simulate import random_inputs
    from forecast.model.draws import draw_params
    from forecast.model.outcomes import compile_state_posterior, outcomes_from_marginals
    from forecast.priors import resolve_priors

    rng = np.random.default_rng(5)
    inputs = random_inputs(rng, T=3, n_cand=1, n_terms=4, destinations=2)
    values = [draw_params(rng, resolve_priors(), inputs) for _ in range(3)]
    stacked = {n: np.stack([np.asarray(v[n]) for v in values]) for n in values[0]}
    _, marginals = compile_state_posterior(inputs, chunk=3)(stacked)
    out = outcomes_from_marginals(inputs, [m[None] for m in marginals])
    where = out["destination_club_b"]
    assert list(where["club_b_destination"].values) == [
        "Club X0", "Club X1", "elsewhere", "Club A", "still in post"]
    np.testing.assert_allclose(where.sum("club_b_destination"), 1.0, atol=1e-12)
    leaves = out["departure"].sel(post="Coach B").isel(month_out=slice(0, -1)).sum("month_out")
    np.testing.assert_allclose(1 - where.sel(club_b_destination="still in post"), leaves, atol=1e-12)
    # Pulled to Club A when Club A appoints him (candidate 0) before he left of his own accord.
    appointed = out["joint_club_a"].sel(club_a_choice="Cand A0").sum("month")
    pulled = where.sel(club_b_destination="Club A")
    assert np.all(pulled.values <= appointed.values + 1e-12) and np.all(pulled.values > 0)


@pytest.mark.slow
def test_a_forecast_says_where_he_goes(moving):
    from forecast.inference.fit import fit
    from forecast.inference.settings import SamplerSettings

    result = fit(moving, settings=SamplerSettings(draws=300, tune=300, chains=2))
    table = result.destination()
    assert list(table["outcome"]) == ["Manchester City", "Liverpool", "elsewhere", "Real Madrid",
                                      "still in post"]
    assert table["mean"].sum() == pytest.approx(1.0)
    line = next(h for h in result.headlines() if h.startswith("If Xabi Alonso leaves"))
    assert "Manchester City" in line and "anywhere else (or no job)" in line
    # Pulled to Real Madrid only if it appoints him before he left of his own accord.
    madrid = result.successor.set_index(["club", "outcome"]).loc[("Real Madrid", "Xabi Alonso"), "mean"]
    assert 0 < table.set_index("outcome").loc["Real Madrid", "mean"] <= madrid + 1e-9
    assert result.summary()["destination"]["Xabi Alonso"][0]["outcome"] == "Manchester City"
    headline = result.headline_table().set_index("metric")["mean"]
    assert "P(Xabi Alonso leaves Bayer Leverkusen for Manchester City)" in headline


def test_a_second_departure_question_for_the_same_coach_is_refused(scenario_copy):
    doc = yaml.safe_load(scenario_copy.read_text())
    doc["questions"].append({"kind": "departure", "coach": "Xabi Alonso"})
    scenario_copy.write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(DataValidationError, match="already asked"):
        _with_destinations(scenario_copy, ["Liverpool"])


def _facts_with(scenario, rows, drop=()):
    path = scenario.files["facts"]
    lines = [line for line in path.read_text().splitlines() if line.split(",")[0] not in drop]
    path.write_text("\n".join([*lines, *rows]) + "\n")
    return scenario.reload()


def test_a_coach_who_left_first_and_was_hired_by_the_vacancy_later_still_fits(moving):
    # Alonso leaves Leverkusen in February 2025 (not pulled), Real Madrid hires him in May.
    leverkusen_exit = next(line.split(",")[0] for line in moving.files["facts"].read_text().splitlines()
                           if ",left,Xabi Alonso," in line)
    scenario = _facts_with(moving, ["X1,2025-02-03,left,Xabi Alonso,Bayer Leverkusen,,0,"
                                    "https://example.org/left,He left"], drop=(leverkusen_exit,))
    inputs = build_inputs(scenario, dt.date(2025, 8, 31))
    alonso = next(p for p in inputs.posts if p.coach == "Xabi Alonso")
    allowed = alonso.mask > 0
    dep, _ = alonso.states(inputs.T)
    # Left of his own accord ("elsewhere"), then hired; the facts alone also leave the pull's
    # slot, which Real Madrid's hiring in May rules out jointly (check_links let it through).
    assert 2 in set(alonso.destination_states(inputs.T)[allowed]) <= {2, 3}
    assert set(dep[allowed]) == {inputs.grid.labels.index("2025-02")}


def test_a_job_before_his_current_one_does_not_say_where_he_goes(scenario_copy):
    doc = yaml.safe_load(scenario_copy.read_text())
    del next(p for p in doc["posts"] if p["coach"] == "Xabi Alonso")["appointed"]
    scenario_copy.write_text(yaml.safe_dump(doc, sort_keys=False))
    scenario = _facts_with(_with_destinations(scenario_copy, ["Liverpool"]),
                           ["X2,2019-07-01,appointed,Xabi Alonso,Real Sociedad B,,0,"
                            "https://example.org/b,An earlier job"])
    alonso = next(p for p in build_inputs(scenario).posts if p.coach == "Xabi Alonso")
    assert alonso.mask.all()
