"""Backtest scoring and the no-look-ahead guarantees it relies on."""

import collections
import dataclasses
import datetime as dt
import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, ROOT

from forecast.data.scenario import Scenario
from forecast.evaluation.backtest import case_paths, most_rumoured, scored_post, true_states
from forecast.evaluation.scores import brier, calibration_bins, log_score, rps
from forecast.features.inputs import build_inputs
from forecast.model.track_record import track_inputs


def test_scores_on_known_values():
    p, truth = np.array([0.5, 0.3, 0.2]), np.array([0, 1, 0])
    assert log_score(p, truth) == pytest.approx(np.log(0.3))
    assert brier(p, truth) == pytest.approx(0.25 + 0.49 + 0.04)
    assert rps(np.array([0.0, 1.0, 0.0]), np.array([0, 1, 0])) == 0.0
    assert rps(np.array([1.0, 0.0, 0.0]), np.array([0, 0, 1])) == pytest.approx(1.0)


def test_scores_when_the_facts_allow_several_outcomes():
    """The allowed outcomes count as one event that happened: a forecast sure of one of them
    scores as well as the truth can, however it splits its mass between them."""
    truth = np.array([1, 1, 0])
    for p in (np.array([1.0, 0.0, 0.0]), np.array([0.5, 0.5, 0.0])):
        assert log_score(p, truth) == pytest.approx(0.0)
        assert brier(p, truth) == pytest.approx(0.0)
    assert brier(np.array([0.2, 0.2, 0.6]), truth) == pytest.approx(0.36 + 0.36)
    assert np.isnan(rps(np.array([0.5, 0.5, 0.0]), truth))


def test_most_rumoured_shares_a_tie_whatever_the_candidate_order():
    # Two names tied on three reports, one on one; five outcomes (3 named, not listed, no change).
    counts = {"b": 3, "a": 3, "c": 1}
    p = most_rumoured(["a", "b", "c"], counts, 5)
    assert p[:2] == pytest.approx([0.3, 0.3]) and p[2:] == pytest.approx([0.4 / 3] * 3)
    assert most_rumoured(["b", "a", "c"], counts, 5) == pytest.approx(p)
    assert most_rumoured(["a", "b"], {"b": 2, "a": 1}, 4) == pytest.approx([0.4 / 3, 0.6, 0.4 / 3, 0.4 / 3])
    assert most_rumoured(["a"], {}, 3) == pytest.approx([1 / 3] * 3)


def test_backtest_report_says_what_each_baseline_is(tmp_path):
    from forecast.evaluation.backtest import BASELINES, CaseForecast
    from forecast.report.backtest import write_backtest

    who = {"model": np.array([0.6, 0.3, 0.1]), "most rumoured": np.array([0.6, 0.2, 0.2]),
           "uniform": np.full(3, 1 / 3)}
    forecasts = [CaseForecast(name, cutoff, ["a", "not listed", "no vacancy"], who,
                              np.array([1, 0, 0]), ["m", "later"],
                              {"model": np.array([0.5, 0.5]), "uniform": np.array([0.5, 0.5])},
                              np.array([0, 1]), {"passed": True})
                 for name, cutoff in (("early", "2020-01-01"), ("late", "2024-01-01"))]
    html = (write_backtest(forecasts, tmp_path) / "report.html").read_text()
    assert {"scores.csv", "paired.csv", "features.csv", "calibration.png", "checks.json"} <= {
        p.name for p in tmp_path.iterdir()}
    for name, text in BASELINES.items():
        assert f"<b>{name}</b>: {text}" in html.replace("&#39;", "'")
    assert "shared when names tie" in BASELINES["most rumoured"]
    checks = json.loads((tmp_path / "checks.json").read_text())
    assert set(checks["expected_calibration_error_by_question"]) == {"who", "when"}
    assert "(who" in html and set(pd.read_csv(tmp_path / "calibration.csv")["question"]) == {
        "all", "who", "when"}


@functools.cache
def _at_cutoff(path):
    """A case's scenario and its model inputs at the cutoff, built once for this module's tests."""
    scenario = Scenario.load(path)
    return scenario, build_inputs(scenario)


def test_at_least_ten_cases_of_every_kind():
    paths = case_paths(DATA / "cases")
    assert len(paths) >= 30
    outcomes = collections.Counter()
    for path in paths:
        scenario, inputs = _at_cutoff(path)
        i = scored_post(scenario, inputs.posts)
        dep, succ = true_states(scenario, i)
        post = inputs.posts[i]
        if (dep == inputs.T).all():
            outcomes["no departure"] += 1
        elif (succ == post.n_cand).all():
            outcomes["not listed"] += 1
        else:
            outcomes["listed"] += 1
    assert set(outcomes) == {"no departure", "not listed", "listed"}
    assert min(outcomes.values()) >= 10, outcomes


@pytest.mark.parametrize("path", case_paths(DATA / "cases"), ids=lambda p: p.parent.name)
def test_nothing_after_the_cutoff_is_used(path):
    scenario, inputs = _at_cutoff(path)
    cutoff = scenario.spec.as_of
    assert (inputs.rumours["date"] <= cutoff).all()
    # The facts allow more than one outcome at the cutoff unless one was known before it.
    track = track_inputs(scenario.track_record, scenario.sources, cutoff, scenario.source_names())
    used = track.claims[track.used == 1]
    assert (used["resolution_date"] < cutoff).all()
    later = build_inputs(scenario, cutoff + dt.timedelta(days=3650))
    for a, b in zip(inputs.posts, later.posts, strict=True):
        assert a.mask.sum() >= b.mask.sum()
    # Form reads no match after the cutoff: dropping them changes nothing.
    if len(scenario.results):
        assert any(p.form_matches > 0 for p in inputs.posts)
        cut = dataclasses.replace(scenario, results=scenario.results[scenario.results["Date"] <= cutoff])
        assert [p.form for p in build_inputs(cut).posts] == [p.form for p in inputs.posts]


def test_calibration_bins_count_every_probability():
    from forecast.evaluation.backtest import CaseForecast

    f = CaseForecast("c", "2020-01-01", ["a", "b"], {"model": np.array([0.9, 0.1])},
                     np.array([1, 0]), ["m", "later"], {"model": np.array([0.2, 0.8])},
                     np.array([0, 1]), {})
    bins = calibration_bins([f])
    assert bins["count"].sum() == 4
    top = bins.iloc[-1]
    assert top["observed"] == 1.0 and top["count"] == 2
    # Each question alone: who's 0.9 happened and 0.1 did not; when's 0.8 happened, 0.2 did not.
    who, when = (calibration_bins([f], question=q).set_index("bin") for q in ("who", "when"))
    assert who["count"].sum() == when["count"].sum() == 2
    assert who.loc["0.8-1.0", "mean_forecast"] == pytest.approx(0.9)
    assert when.loc["0.8-1.0", "observed"] == 1.0 and when.loc["0.2-0.4", "observed"] == 0.0



def test_backtest_files_without_a_who_question(tmp_path):
    """Only "when" questions: who's calibration is not measurable, and says so (valid JSON)."""
    from forecast.evaluation.backtest import CaseForecast
    from forecast.report.backtest import write_backtest

    forecasts = [CaseForecast(name, cutoff, [], {}, np.zeros(0), ["m", "later"],
                              {"model": np.array([0.7, 0.3]), "uniform": np.array([0.5, 0.5])},
                              np.array([1, 0]), {"passed": True})
                 for name, cutoff in (("early", "2020-01-01"), ("late", "2024-01-01"))]
    html = (write_backtest(forecasts, tmp_path) / "report.html").read_text()
    checks = json.loads((tmp_path / "checks.json").read_text())  # no bare NaN in the file
    assert checks["expected_calibration_error_by_question"]["who"] is None
    assert checks["expected_calibration_error_by_question"]["when"] == pytest.approx(0.3)
    assert "(who\nn/a" in html and "nan" not in html.split("<h2>Calibration diagram")[0]
    with pytest.raises(ValueError, match="where"):
        calibration_bins(forecasts, question="where")


def test_calibration_pools_the_states_the_facts_leave_open():
    """He left in one of two months, we do not know which: one event of 0.2 + 0.3 happened."""
    from forecast.evaluation.backtest import CaseForecast

    f = CaseForecast("c", "2020-01-01", [], {}, np.zeros(0), ["m1", "m2", "later"],
                     {"model": np.array([0.2, 0.3, 0.5])}, np.array([1, 1, 0]), {})
    bins = calibration_bins([f])
    assert bins["count"].sum() == 2
    middle = bins.set_index("bin").loc["0.4-0.6"]
    assert middle["count"] == 2 and middle["observed"] == 0.5
    assert middle["mean_forecast"] == pytest.approx(0.5)


def test_paired_differences_split_by_period_and_set_and_not_listed_check():
    import dataclasses

    from forecast.evaluation.backtest import CaseForecast
    from forecast.evaluation.scores import (
        expected_calibration_error,
        not_listed_check,
        paired_differences,
        score_table,
    )

    labels = ["a", "not listed", "no vacancy"]

    def case(name, cutoff, model, truth):
        who = {"model": np.array(model), "uniform": np.full(3, 1 / 3),
               "most rumoured": np.array([0.6, 0.2, 0.2])}  # a baseline for "who" only
        return CaseForecast(name, cutoff, labels, who,
                            np.array(truth), ["m", "later"], {"model": np.array([0.5, 0.5]),
                                                              "uniform": np.array([0.5, 0.5])},
                            np.array([0, 1]), {})

    forecasts = [case("early", "2020-01-01", [0.6, 0.3, 0.1], [1, 0, 0]),
                 case("late1", "2024-01-01", [0.2, 0.6, 0.2], [0, 1, 0]),
                 case("late2", "2024-06-01", [0.2, 0.2, 0.6], [0, 1, 0])]
    # A set cuts across periods: the early case and one late one were chosen by one rule.
    forecasts[0], forecasts[2] = (dataclasses.replace(f, case_set="calendar")
                                  for f in (forecasts[0], forecasts[2]))
    scores = score_table(forecasts)
    paired = paired_differences(scores, forecasts).set_index(["question", "baseline", "period"])
    early = paired.loc[("who", "uniform", "before 2023")]
    assert early["cases"] == 1 and early["difference"] == pytest.approx(np.log(0.6 / (1 / 3)))
    late = paired.loc[("who", "uniform", "2023 on")]
    diffs = np.log(np.array([0.6, 0.2]) * 3)
    assert late["difference"] == pytest.approx(diffs.mean())
    assert late["se"] == pytest.approx(diffs.std(ddof=1) / np.sqrt(2))
    assert paired.loc[("when", "uniform", "all"), "difference"] == pytest.approx(0.0)
    in_set = paired.loc[("who", "uniform", "calendar set")]
    assert in_set["cases"] == 2
    assert in_set["difference"] == pytest.approx(np.log(np.array([0.6, 0.2]) * 3).mean())
    assert set(paired.index.get_level_values("period")) == {"before 2023", "2023 on", "all",
                                                            "calendar set"}
    assert paired["cases"].min() >= 1  # no row for a baseline that does not answer a question
    check = not_listed_check(forecasts)
    assert check["cases"] == 3 and check["mean_forecast"] == pytest.approx(1.1 / 3)
    assert check["frequency"] == pytest.approx(2 / 3)
    bins = calibration_bins(forecasts)
    assert 0.0 <= expected_calibration_error(bins) <= 1.0


def test_feature_calibration_scores_the_choice_given_the_vacancy():
    """Expected wins are the forecasts given the vacancy, summed over the candidates with a
    feature; a case with no vacancy, or with an outcome the facts leave open, is not scored."""
    from forecast.data.spec import CandidateSpec
    from forecast.evaluation.backtest import CaseForecast, candidate_features
    from forecast.evaluation.scores import feature_calibration

    specs = [CandidateSpec(name="a", free_agent=True, ties=["former_player"]),
             CandidateSpec(name="b", club="X", contract_end="2026-06-30")]
    features = candidate_features(specs, {"b": 3, "a": 1})
    assert features[1]["most reported"] and not features[0]["most reported"]
    assert features[0]["tie: former_player"] and features[1]["under contract elsewhere"]
    assert not any(f["in no report of a move there"] for f in features)
    labels = ["a", "b", "not listed", "no vacancy"]

    def case(name, cutoff, model, truth, vacancy=7):
        months = [f"m{m}" for m in range(8)]  # the cutoff's month is m0
        when = np.eye(9)[vacancy]
        return CaseForecast(name, cutoff, labels, {"model": np.array(model)}, np.array(truth),
                            [*months, "later"], {"model": np.full(9, 1 / 9)}, when, {},
                            who_features=features)

    forecasts = [case("early", "2020-01-01", [0.3, 0.3, 0.2, 0.2], [1, 0, 0, 0]),
                 case("late", "2024-01-01", [0.1, 0.6, 0.1, 0.2], [0, 0, 1, 0], vacancy=2),
                 case("stayed", "2021-01-01", [0.3, 0.3, 0.2, 0.2], [0, 0, 0, 1], vacancy=8),
                 case("open", "2021-06-01", [0.3, 0.3, 0.2, 0.2], [1, 1, 0, 0])]
    table = feature_calibration(forecasts).set_index(["feature", "period"])
    early = table.loc[("tie: former_player", "before 2023")]
    assert early["candidates"] == 1 and early["observed"] == 1
    assert early["expected"] == pytest.approx(0.3 / 0.8)
    assert early["se"] == pytest.approx(np.sqrt(0.375 * 0.625))
    both = table.loc[("most reported", "all")]
    assert both["candidates"] == 2 and both["observed"] == 0
    assert both["expected"] == pytest.approx(0.3 / 0.8 + 0.6 / 0.8)
    listed = table.loc[("not listed", "2023 on")]
    assert listed["observed"] == 1 and listed["expected"] == pytest.approx(0.1 / 0.8)
    assert table.loc[("every named candidate", "all"), "candidates"] == 4
    # "Not listed" again by the months from the cutoff to the vacancy.
    soon = table.loc[("not listed, vacancy 0-2 months after the cutoff", "all")]
    assert soon["candidates"] == 1 and soon["observed"] == 1
    assert soon["expected"] == pytest.approx(0.1 / 0.8)
    far = table.loc[("not listed, vacancy 6 months or more after the cutoff", "all")]
    assert far["candidates"] == 1 and far["observed"] == 0
    assert far["expected"] == pytest.approx(0.2 / 0.8)
    assert table.loc[("not listed, vacancy 3-5 months after the cutoff", "all"), "candidates"] == 0
    names = list(dict.fromkeys(table.index.get_level_values("feature")))
    assert names[0] == "every named candidate" and names[-4] == "not listed"
    assert names[-3:] == [f"not listed, vacancy {span} after the cutoff"
                          for span in ("0-2 months", "3-5 months", "6 months or more")]
    # The vacancy's month left open by the facts: within one bin it counts there, across two
    # in none (but still as "not listed").
    one, two = (case(name, "2021-09-01", [0.2, 0.2, 0.4, 0.2], [0, 0, 1, 0], vacancy=4)
                for name in ("one bin", "two bins"))
    one.when_truth[3] = 1  # months 3 and 4: both "3-5 months"
    two.when_truth[6] = 1  # months 4 and 6: two bins
    table = feature_calibration([one, two]).set_index(["feature", "period"])
    assert table.loc[("not listed", "all"), "candidates"] == 2
    middle = table.loc[("not listed, vacancy 3-5 months after the cutoff", "all")]
    assert middle["candidates"] == 1 and middle["expected"] == pytest.approx(0.4 / 0.8)
    assert table.loc[("not listed, vacancy 6 months or more after the cutoff", "all"), "candidates"] == 0


def test_where_is_scored_when_a_case_asks_it():
    from forecast.evaluation.backtest import CaseForecast
    from forecast.evaluation.scores import paired_differences, score_table

    where = ["Inter", "elsewhere", "still in post"]
    forecasts = [CaseForecast(
        name, cutoff, [], {}, np.zeros(0), ["m", "later"], {"model": np.array([0.5, 0.5])},
        np.array([0, 1]), {}, where, {"model": np.array(model), "uniform": np.full(3, 1 / 3)},
        np.array([0, 0, 1]))
        for name, cutoff, model in (("a", "2017-05-20", [0.2, 0.2, 0.6]),
                                    ("b", "2024-03-10", [0.5, 0.3, 0.2]))]
    scores = score_table(forecasts)
    rows = scores[scores["question"] == "where"].set_index(["case", "method"])
    assert rows.loc[("a", "model"), "log_score"] == pytest.approx(np.log(0.6))
    assert rows.loc[("b", "model"), "truth"] == "still in post"
    paired = paired_differences(scores, forecasts).set_index(["question", "baseline", "period"])
    assert paired.loc[("where", "uniform", "all"), "difference"] == pytest.approx(
        np.mean(np.log(np.array([0.6, 0.2]) * 3)))


def test_another_tracked_post_is_scored_as_a_departure():
    """When the coach of a case's other tracked post leaves it is its own question."""
    from forecast.evaluation.backtest import CaseForecast
    from forecast.evaluation.scores import OTHER_POST, paired_differences, score_table

    months = ["m1", "m2", "later"]
    forecasts = [CaseForecast(
        name, cutoff, [], {}, np.zeros(0), months, {"model": np.full(3, 1 / 3)}, np.array([0, 0, 1]),
        {}, other_coach="X", other_when={"model": np.array(model), "uniform": np.full(3, 1 / 3)},
        other_truth=np.array([0, 1, 0]))
        for name, cutoff, model in (("a", "2018-05-20", [0.1, 0.7, 0.2]),
                                    ("b", "2024-03-10", [0.6, 0.2, 0.2]))]
    scores = score_table(forecasts)
    rows = scores[scores["question"] == OTHER_POST].set_index(["case", "method"])
    assert rows.loc[("a", "model"), "log_score"] == pytest.approx(np.log(0.7))
    assert rows.loc[("b", "model"), "truth"] == "m2"
    assert rows.loc[("b", "model"), "rps"] == pytest.approx((0.6**2 + 0.2**2) / 2)
    paired = paired_differences(scores, forecasts).set_index(["question", "baseline", "period"])
    assert paired.loc[(OTHER_POST, "uniform", "all"), "difference"] == pytest.approx(
        np.mean(np.log(np.array([0.7, 0.2]) * 3)))
    assert len(scores[scores["question"] == "when"]) == 2  # the vacancy's own question unchanged


FOOTBALL_DATASETS = Path(os.environ.get("FOOTBALL_DATASETS", ROOT.parent / "shared/data/football-datasets"))


@pytest.mark.skipif(not FOOTBALL_DATASETS.is_dir(), reason="no football-datasets folder to check against")
def test_case_results_match_the_cases():
    # Adding a case without re-running the build once left a case reading a third of its club's
    # season; the committed files must be what the script derives for today's cases.
    script = ROOT / "scripts" / "build_case_results.py"
    done = subprocess.run([sys.executable, script, FOOTBALL_DATASETS, "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_reports_after_the_cutoff_do_not_move_the_rumour_free_forecast():
    """Reports dated after the cutoff still size the model's arrays (one compiled model serves
    every date), here 20 more outlets, so a longer source_z; the prior draws behind the
    rumour-free forecast (the surprise term, the prior-only baseline) must not move with them."""
    from forecast.inference.states import prior_marginals
    from forecast.priors import resolve_priors

    scenario = Scenario.load(DATA / "cases" / "roma-2021" / "scenario.yaml")
    cutoff = scenario.spec.as_of
    outlets = [s for s in scenario.sources["name"] if s not in set(scenario.rumours["source"])][:20]
    later = scenario.rumours.iloc[[0] * len(outlets)].copy()
    later["source"] = outlets
    later["cites"] = None  # each outlet's own report, not an echo of another's
    later["date"] = cutoff + dt.timedelta(days=10)
    later["id"] = [f"later{j}" for j in range(len(outlets))]
    grown = dataclasses.replace(scenario, rumours=pd.concat([scenario.rumours, later], ignore_index=True))
    base, more = build_inputs(scenario), build_inputs(grown)
    assert len(more.units) > len(base.units)
    for a, b in zip(prior_marginals(base, resolve_priors(), draws=200),
                    prior_marginals(more, resolve_priors(), draws=200), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
