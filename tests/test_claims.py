"""The cases' own reports are resolved by what happened (scripts/claim_rates.py)."""

import pandas as pd
from conftest import DATA

from forecast.data.scenario import Scenario
from forecast.evaluation.claims import case_claims, hit_rates


def test_reports_of_the_man_not_appointed_did_not_come_true():
    # Arsenal, May 2018: Arteta was reported joining, close to an agreement; Emery was appointed.
    claims = case_claims(DATA / "cases" / "arsenal-2018" / "scenario.yaml").set_index("rumour_id")
    assert claims.loc[["ar02a", "ar03a", "ar04"], "came_true"].tolist() == [0, 0, 0]
    assert claims.loc["ar04", "claim"] == "agreement" and claims.loc["ar03a", "soon"] == 1
    assert (claims["came_true"] == 0).all()


def test_reports_of_the_man_appointed_came_true():
    # Leverkusen, May 2025: ten Hag, reported in talks, was appointed on 26 May.
    claims = case_claims(DATA / "cases" / "leverkusen-2025" / "scenario.yaml")
    ten_hag = claims[claims["rumour_id"].isin(
        pd.read_csv(DATA / "cases" / "leverkusen-2025" / "rumours.csv")
        .query("subject == 'Erik ten Hag' and claim in ['talks', 'joins', 'agreement']")["id"])]
    assert len(ten_hag) and (ten_hag["came_true"] == 1).all()


def test_hit_rates_count_both_sides_by_kind_and_strength():
    claims = case_claims(DATA / "cases" / "arsenal-2018" / "scenario.yaml")
    track = Scenario.load().track_record
    rates = hit_rates(claims, track)
    assert rates["cases"].sum() == len(claims) and rates["track"].sum() == len(track)
    joins = rates.loc[("joins", "strong")]
    expected = track[(track["claim"] == "joins") & (track["strength"] == "strong")]["came_true"].mean()
    assert joins["cases"] == 0 and abs(joins["track_true"] - expected) < 1e-12


def test_an_appointment_allowed_after_the_vacancy_answers_a_vacancy_of_the_last_month():
    # Bayern, September 2017: Ancelotti sacked on the 28th (the horizon's last month), Heynckes,
    # on no list, appointed on 6 October. With appointment_months 1 the truth is read a month on.
    from forecast.evaluation.backtest import scored_post, true_states, who_truth_columns
    from forecast.evaluation.claims import resolved_inputs

    scenario = Scenario.load(DATA / "cases" / "bayern-2017-03" / "scenario.yaml")
    inputs = resolved_inputs(scenario)
    j = scored_post(scenario, inputs.posts)
    post = inputs.posts[j]
    dep, succ = true_states(scenario, j)
    assert set(dep) == {inputs.T - 1}
    assert who_truth_columns(post, dep, succ, inputs.T) == [post.n_cand]  # not listed
